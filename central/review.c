/*
 * review.c: `central review`: what a person must look at (DESIGN 7):
 * holds, conflicts, flags (key-compromised included), and every correction
 * with a line-by-line difference from its predecessor, named from the
 * definition; then the excused precincts and the decisions people made.
 * Built once as JSON; the text form is printed from it.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "common/fileio.h"
#include "ct.h"
#include "db.h"
#include "events.h"
#include "history.h"
#include "jsonout.h"
#include "store.h"

#define NONE ((size_t)-1)

static const char review_usage[] = "usage: central review --db DB [--json] [--as-of SEQ]\n";
static const char review_help[] =
    "Lists what needs a person: held returns (and why), conflicts (with the\n"
    "differences between the returns that stand), flagged returns that stand\n"
    "(key-compromised when their key was revoked as compromised after they came),\n"
    "and every correction with its line-by-line difference from its predecessor\n"
    "(old -> new, named from the definition); then excused precincts and every\n"
    "decision recorded (revocations, resolutions, excuses). Decide with\n"
    "`central resolve`, `central excuse` or `central revoke`.\n";

typedef struct rv {
    ct_db *db;
    int64_t as_of;
    json_t *holds, *conflicts, *flags, *corrections;
    pr_return *a, *b;               /* scratch for differences */
} rv;

/* What the newest decision about a file says, for display. */
typedef struct info {
    char name[1024];                /* escaped */
    char key_id[PR_KEYID_HEX + 1];
    char verdict[32];
    char codes[1024], holds[1024], flags[1024];
    char detail[512];               /* made displayable */
} info;

static int load_info(ct_db *db, int64_t file, int64_t as_of, info *in, ct_err *e)
{
    static const char sql[] =
        "SELECT f.name, coalesce(f.key_id, ''), d.verdict, d.codes, d.detail, d.holds, d.flags"
        " FROM files f JOIN decisions d ON d.file = f.id"
        " WHERE f.id = ?1 AND (?2 = 0 OR d.seq <= ?2) ORDER BY d.seq DESC LIMIT 1";
    sqlite3_stmt *s = NULL;
    char raw[1024], detail[256];
    int rc = -1;

    memset(in, 0, sizeof *in);
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, file) != SQLITE_OK || ct_bind_i64(s, 2, as_of) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    ct_col_text(s, 0, raw, sizeof raw);
    cm_escape(raw, in->name, sizeof in->name);
    ct_col_text(s, 1, in->key_id, sizeof in->key_id);
    ct_col_text(s, 2, in->verdict, sizeof in->verdict);
    ct_col_text(s, 3, in->codes, sizeof in->codes);
    ct_col_text(s, 4, detail, sizeof detail);
    ct_display(detail, in->detail, sizeof in->detail);
    ct_col_text(s, 5, in->holds, sizeof in->holds);
    ct_col_text(s, 6, in->flags, sizeof in->flags);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* A stored return parsed again from its bytes (the truth, not a copy). */
static int load_return(ct_db *db, int64_t file, pr_return *r, ct_err *e)
{
    ct_input in;
    pr_diag d;
    int rc = -1;

    memset(&d, 0, sizeof d);
    if (ct_store_bytes(db, file, &in, e) != 0)
        goto out;
    if (pr_return_parse(in.bytes, in.len, r, &d) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "stored return %lld no longer parses: %s",
                   (long long)file, d.msg);
        goto out;
    }
    rc = 0;
out:
    ct_input_free(&in);
    return rc;
}

static json_t *codes_json(const char *joined)
{
    json_t *a = json_array();
    ct_codes c;
    size_t i;

    ct_codes_split(joined, &c);
    for (i = 0; a != NULL && i < c.n; i++)
        json_array_append_new(a, json_string(c.c[i]));
    return a;
}

static json_t *hex_json(const uint8_t *h)
{
    char hex[PR_HASH_HEX + 1];

    ct_hex(hex, h, PR_HASH_BYTES);
    return json_string(hex);
}

/* One changed line: old and new (null when a side lacks the line). */
static void add_change(json_t *arr, const char *kind, const char *id, const char *name, int has_old,
                       uint64_t old, int has_new, uint64_t now)
{
    json_t *c = json_object();
    char disp[PR_NAME_MAX * 4 + 1];

    ct_display(name, disp, sizeof disp);
    json_object_set_new(c, "kind", json_string(kind));
    json_object_set_new(c, "id", json_string(id));
    json_object_set_new(c, "name", ct_json_text(disp));
    json_object_set_new(c, "old", has_old ? ct_json_count(old) : json_null());
    json_object_set_new(c, "new", has_new ? ct_json_count(now) : json_null());
    json_array_append_new(arr, c);
}

static int find_item(const pr_item *v, size_t n, const char *id, uint64_t *value)
{
    size_t i;
    int found = 0;

    for (i = 0; !found && i < n; i++) {
        if (strcmp(v[i].id, id) == 0) {
            *value = v[i].value;
            found = 1;
        }
    }
    return found;
}

/* The line-by-line difference of b from a, in the definition's order:
 * protocol lines, then candidates. Only changed lines are listed. */
static json_t *diff_json(const cm_definition *def, const pr_return *a, const pr_return *b)
{
    json_t *arr = json_array();
    size_t c = cm_find_contest(def, b->contest), i;
    uint64_t x = 0, y = 0;
    int hx, hy;

    if (c == NONE || arr == NULL)
        goto out;
    {
        const cm_contest *ct = &def->contests[c];
        const cm_protocol *pr = &def->protocols[ct->protocol];
        for (i = 0; i < pr->n_lines; i++) {
            hx = find_item(a->counts, a->n_counts, pr->lines[i].id, &x);
            hy = find_item(b->counts, b->n_counts, pr->lines[i].id, &y);
            if (hx != hy || (hx && x != y))
                add_change(arr, "count", pr->lines[i].id, pr->lines[i].name, hx, x, hy, y);
        }
        for (i = 0; i < ct->n_candidates; i++) {
            hx = find_item(a->votes, a->n_votes, ct->candidates[i].id, &x);
            hy = find_item(b->votes, b->n_votes, ct->candidates[i].id, &y);
            if (hx != hy || (hx && x != y))
                add_change(arr, "votes", ct->candidates[i].id, ct->candidates[i].name, hx, x, hy, y);
        }
    }
out:
    return arr;
}

static json_t *pc_json(const char *precinct, const char *contest)
{
    json_t *o = json_object();

    json_object_set_new(o, "precinct", json_string(precinct));
    json_object_set_new(o, "contest", json_string(contest));
    return o;
}

/* A file entry of a (precinct, contest) with its newest decision. */
static json_t *entry_json(rv *v, const char *p, const char *c, const ct_pc_entry *x, info *in,
                          ct_err *e)
{
    json_t *o = NULL;

    if (load_info(v->db, x->file, v->as_of, in, e) != 0)
        goto out;
    o = json_object();
    json_object_set_new(o, "precinct", json_string(p));
    json_object_set_new(o, "contest", json_string(c));
    json_object_set_new(o, "return", hex_json(x->hash));
    json_object_set_new(o, "file", ct_json_text(in->name));
    json_object_set_new(o, "revision", ct_json_count(x->revision));
    json_object_set_new(o, "key", json_string(in->key_id));
    json_object_set_new(o, "verdict", json_string(in->verdict));
out:
    return o;
}

/* Holds: the head held by group 9, and corrections awaiting their
 * predecessor. */
static int add_holds(rv *v, const char *p, const char *c, const ct_pc_state *st,
                     const ct_pc_entry *head, ct_err *e)
{
    json_t *o;
    info in;
    size_t i;
    char hex[PR_HASH_HEX + 1];
    int rc = -1;

    if (head != NULL && head->head_held) {
        if ((o = entry_json(v, p, c, head, &in, e)) == NULL)
            goto out;
        json_object_set_new(o, "reasons", codes_json(in.holds));
        json_object_set_new(o, "detail", ct_json_text(in.detail));
        json_array_append_new(v->holds, o);
    }
    for (i = 0; i < st->n; i++) {
        const ct_pc_entry *x = &st->e[i];
        if (x->role != CT_ROLE_AWAITING || x->dismissed || x->accepted)
            continue;
        if (load_return(v->db, x->file, v->a, e) != 0 || (o = entry_json(v, p, c, x, &in, e)) == NULL)
            goto out;
        ct_hex(hex, v->a->supersedes, PR_HASH_BYTES);
        json_object_set_new(o, "reasons", codes_json("awaiting-predecessor"));
        json_object_set_new(o, "detail", ct_json_text(in.detail));
        json_object_set_new(o, "predecessor", json_string(hex));
        json_array_append_new(v->holds, o);
    }
    rc = 0;
out:
    return rc;
}

/* A conflict: the returns that stand, and each one's difference from the
 * first. */
static int add_conflict(rv *v, const char *p, const char *c, const ct_pc_state *st, ct_err *e)
{
    json_t *o = pc_json(p, c), *arr = json_array(), *f;
    const ct_pc_entry *first = NULL;
    info in;
    size_t i;
    int rc = -1;

    for (i = 0; i < st->n; i++) {
        const ct_pc_entry *x = &st->e[i];
        if (!x->head)
            continue;
        if ((f = entry_json(v, p, c, x, &in, e)) == NULL)
            goto out;
        json_object_del(f, "precinct");
        json_object_del(f, "contest");
        if (first == NULL) {
            first = x;
            if (load_return(v->db, x->file, v->a, e) != 0) {
                json_decref(f);
                goto out;
            }
        } else {
            if (load_return(v->db, x->file, v->b, e) != 0) {
                json_decref(f);
                goto out;
            }
            json_object_set_new(f, "against", hex_json(first->hash));
            json_object_set_new(f, "changes", diff_json(v->db->def, v->a, v->b));
        }
        json_array_append_new(arr, f);
    }
    json_object_set(o, "returns", arr);
    json_array_append(v->conflicts, o);
    rc = 0;
out:
    json_decref(arr);
    json_decref(o);
    return rc;
}

/* Flags of what stands: group 10 as found, and key-compromised. */
static int add_flags(rv *v, const char *p, const char *c, const ct_pc_entry *head, ct_err *e)
{
    json_t *o, *flags;
    info in;
    int comp = 0, rc = -1;

    if (ct_file_key_compromised(v->db, head->file, v->as_of, &comp, e) != 0 ||
        load_info(v->db, head->file, v->as_of, &in, e) != 0)
        goto out;
    flags = codes_json(in.flags);
    if (comp)
        json_array_append_new(flags, json_string("key-compromised"));
    if (json_array_size(flags) == 0) {
        json_decref(flags);
        rc = 0;
        goto out;
    }
    if ((o = entry_json(v, p, c, head, &in, e)) == NULL) {
        json_decref(flags);
        goto out;
    }
    json_object_set_new(o, "flags", flags);
    json_array_append_new(v->flags, o);
    rc = 0;
out:
    return rc;
}

/* Does x carry the content of one of the heads (what stands now)? */
static int carries_head(const ct_pc_state *st, const ct_pc_entry *x)
{
    size_t i;
    int yes = 0;

    for (i = 0; !yes && i < st->n; i++)
        yes = st->e[i].head && memcmp(st->e[i].content, x->content, PR_HASH_BYTES) == 0;
    return yes;
}

/* Every correction whose predecessor is stored, with its difference. */
static int add_corrections(rv *v, const char *p, const char *c, const ct_pc_state *st, ct_err *e)
{
    json_t *o;
    info in, pin;
    char reason[PR_TEXT_MAX * 4 + 1];
    size_t i;
    int rc = -1;

    for (i = 0; i < st->n; i++) {
        const ct_pc_entry *x = &st->e[i], *pred;
        if (x->pred == 0 || (pred = ct_pc_find(st, x->pred)) == NULL)
            continue;
        if (load_return(v->db, pred->file, v->a, e) != 0 || load_return(v->db, x->file, v->b, e) != 0 ||
            load_info(v->db, pred->file, v->as_of, &pin, e) != 0 ||
            (o = entry_json(v, p, c, x, &in, e)) == NULL)
            goto out;
        ct_display(v->b->reason, reason, sizeof reason);
        json_object_set_new(o, "stands", json_boolean(carries_head(st, x)));
        json_object_set_new(o, "set_aside", json_boolean(x->dismissed));
        json_object_set_new(o, "reason", ct_json_text(reason));
        json_object_set_new(o, "predecessor", hex_json(pred->hash));
        json_object_set_new(o, "predecessor_file", ct_json_text(pin.name));
        json_object_set_new(o, "predecessor_revision", ct_json_count(pred->revision));
        json_object_set_new(o, "predecessor_key", json_string(pin.key_id));
        json_object_set_new(o, "predecessor_verdict", json_string(pin.verdict));
        json_object_set_new(o, "changes", diff_json(v->db->def, v->a, v->b));
        json_array_append_new(v->corrections, o);
    }
    rc = 0;
out:
    return rc;
}

/* Is (precinct, contest) excused at as_of? */
static int excused(ct_db *db, const char *p, const char *c, int64_t as_of, int *yes, ct_err *e)
{
    static const char sql[] =
        "SELECT 1 FROM excuses WHERE precinct = ?1 AND contest = ?2 AND (?3 = 0 OR seq <= ?3)";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *yes = 0;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, p) != SQLITE_OK || ct_bind_text(s, 2, c) != SQLITE_OK ||
        ct_bind_i64(s, 3, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *yes = step == SQLITE_ROW;
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

static int visit(void *ctx, const char *p, const char *c, const ct_pc_state *st, ct_err *e)
{
    rv *v = ctx;
    const ct_pc_entry *head = NULL;
    ct_status s = ct_pc_status(st, &head);
    int ex = 0, rc = -1;

    if (excused(v->db, p, c, v->as_of, &ex, e) != 0)
        goto out;
    /* An excused precinct is not counted: its holds and conflicts wait for
     * nobody (it is listed under excused). Its corrections are still
     * listed: they are signed returns like any other. */
    if (!ex && add_holds(v, p, c, st, s == CT_ST_HELD ? head : NULL, e) != 0)
        goto out;
    if (!ex && s == CT_ST_CONFLICT && add_conflict(v, p, c, st, e) != 0)
        goto out;
    if (!ex && head != NULL && add_flags(v, p, c, head, e) != 0)
        goto out;
    if (add_corrections(v, p, c, st, e) != 0)
        goto out;
    rc = 0;
out:
    return rc;
}

static int list_excused(ct_db *db, int64_t as_of, json_t *arr, ct_err *e)
{
    static const char sql[] =
        "SELECT x.seq, x.precinct, x.contest, x.reason, x.decision,"
        " (SELECT count(*) FROM files f WHERE f.precinct = x.precinct AND f.contest = x.contest"
        "  AND (?1 = 0 OR f.seq <= ?1))"
        " FROM excuses x WHERE (?1 = 0 OR x.seq <= ?1) ORDER BY x.precinct, x.contest";
    sqlite3_stmt *s = NULL;
    char p[PR_ID_MAX + 1], c[PR_ID_MAX + 1], reason[32], ref[CT_DECISION_REF_MAX + 1];
    json_t *o;
    int rc = -1, step;

    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        ct_col_text(s, 1, p, sizeof p);
        ct_col_text(s, 2, c, sizeof c);
        ct_col_text(s, 3, reason, sizeof reason);
        ct_col_text(s, 4, ref, sizeof ref);
        o = pc_json(p, c);
        json_object_set_new(o, "reason", json_string(reason));
        json_object_set_new(o, "decision", json_string(ref));
        json_object_set_new(o, "seq", json_integer((json_int_t)sqlite3_column_int64(s, 0)));
        json_object_set_new(o, "returns_stored", json_integer((json_int_t)sqlite3_column_int64(s, 5)));
        json_array_append_new(arr, o);
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* People's decisions, from the event log itself. */
static int list_decisions(ct_db *db, int64_t as_of, json_t *arr, ct_err *e)
{
    static const char sql[] =
        "SELECT seq, kind, time, subject, verdict, codes, data FROM events"
        " WHERE kind IN ('" CT_EV_REVOKE "', '" CT_EV_RESOLVE "', '" CT_EV_EXCUSE "')"
        " AND (?1 = 0 OR seq <= ?1) ORDER BY seq";
    sqlite3_stmt *s = NULL;
    char kind[32], t[PR_TIME_LEN + 1], verdict[32], codes[64], data[512];
    uint8_t subject[PR_HASH_BYTES];
    json_t *o;
    int rc = -1, step;

    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        ct_col_text(s, 1, kind, sizeof kind);
        ct_col_text(s, 2, t, sizeof t);
        ct_col_text(s, 4, verdict, sizeof verdict);
        ct_col_text(s, 5, codes, sizeof codes);
        ct_col_text(s, 6, data, sizeof data);
        o = json_object();
        json_object_set_new(o, "seq", json_integer((json_int_t)sqlite3_column_int64(s, 0)));
        json_object_set_new(o, "kind", json_string(kind));
        json_object_set_new(o, "time", json_string(t));
        json_object_set_new(o, "subject", ct_col_blob(s, 3, subject, PR_HASH_BYTES) == 0
                                              ? hex_json(subject)
                                              : json_null());
        json_object_set_new(o, "verdict", json_string(verdict));
        json_object_set_new(o, "codes", json_string(codes));
        json_object_set_new(o, "data", ct_json_text(data));
        json_array_append_new(arr, o);
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* ---- text ------------------------------------------------------------ */

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s != NULL ? s : "";
}

static void print_codes(FILE *out, const json_t *arr)
{
    size_t i;
    json_t *x;

    json_array_foreach(arr, i, x) fprintf(out, "%s%s", i ? "," : "", json_string_value(x));
}

static void print_file_line(FILE *out, const char *indent, const json_t *f)
{
    fprintf(out, "%s%.16s revision %lld, %s, key %s, %s\n", indent, str(f, "return"),
            (long long)json_integer_value(json_object_get(f, "revision")), str(f, "verdict"),
            str(f, "key")[0] ? str(f, "key") : "-", str(f, "file"));
}

static void print_changes(FILE *out, const json_t *changes)
{
    size_t i, w = 0;
    json_t *c;
    char label[PR_NAME_MAX * 4 + PR_ID_MAX + 8], a[32], b[32];

    json_array_foreach(changes, i, c) {
        snprintf(label, sizeof label, "%s (%s)", str(c, "name"), str(c, "id"));
        if (ct_width(label) > w)
            w = ct_width(label);
    }
    if (json_array_size(changes) == 0)
        fputs("        (no line differs)\n", out);
    json_array_foreach(changes, i, c) {
        snprintf(label, sizeof label, "%s (%s)", str(c, "name"), str(c, "id"));
        if (json_is_integer(json_object_get(c, "old")))
            snprintf(a, sizeof a, "%lld", (long long)json_integer_value(json_object_get(c, "old")));
        else
            snprintf(a, sizeof a, "-");
        if (json_is_integer(json_object_get(c, "new")))
            snprintf(b, sizeof b, "%lld", (long long)json_integer_value(json_object_get(c, "new")));
        else
            snprintf(b, sizeof b, "-");
        fputs("        ", out);
        ct_pad(out, label, w);
        fputs("  ", out);
        ct_rpad(out, a, 10);
        fprintf(out, " -> %s\n", b);
    }
}

static void print_text(FILE *out, const json_t *root)
{
    const json_t *as_of = json_object_get(root, "as_of"), *x, *f;
    size_t i, k;

    fprintf(out, "review of %s as of event %lld, head %s\n", str(root, "election"),
            (long long)json_integer_value(json_object_get(as_of, "seq")), str(as_of, "head"));
    fprintf(out, "\nholds: %zu\n", json_array_size(json_object_get(root, "holds")));
    json_array_foreach(json_object_get(root, "holds"), i, x) {
        fprintf(out, "  %s %s: ", str(x, "precinct"), str(x, "contest"));
        print_codes(out, json_object_get(x, "reasons"));
        fputc('\n', out);
        print_file_line(out, "    ", x);
        if (str(x, "detail")[0] != '\0')
            fprintf(out, "    %s\n", str(x, "detail"));
    }
    fprintf(out, "\nconflicts: %zu\n", json_array_size(json_object_get(root, "conflicts")));
    json_array_foreach(json_object_get(root, "conflicts"), i, x) {
        fprintf(out, "  %s %s: %zu returns stand\n", str(x, "precinct"), str(x, "contest"),
                json_array_size(json_object_get(x, "returns")));
        json_array_foreach(json_object_get(x, "returns"), k, f) {
            print_file_line(out, "    ", f);
            if (json_object_get(f, "changes") != NULL) {
                fprintf(out, "      against %.16s:\n", str(f, "against"));
                print_changes(out, json_object_get(f, "changes"));
            }
        }
    }
    fprintf(out, "\nflags: %zu\n", json_array_size(json_object_get(root, "flags")));
    json_array_foreach(json_object_get(root, "flags"), i, x) {
        fprintf(out, "  %s %s: ", str(x, "precinct"), str(x, "contest"));
        print_codes(out, json_object_get(x, "flags"));
        fputc('\n', out);
        print_file_line(out, "    ", x);
    }
    fprintf(out, "\ncorrections: %zu\n", json_array_size(json_object_get(root, "corrections")));
    json_array_foreach(json_object_get(root, "corrections"), i, x) {
        fprintf(out, "  %s %s: revision %lld corrects revision %lld%s%s\n", str(x, "precinct"),
                str(x, "contest"), (long long)json_integer_value(json_object_get(x, "revision")),
                (long long)json_integer_value(json_object_get(x, "predecessor_revision")),
                json_is_true(json_object_get(x, "stands")) ? " (stands)" : "",
                json_is_true(json_object_get(x, "set_aside")) ? " (set aside by a decision)" : "");
        print_file_line(out, "    new ", x);
        fprintf(out, "    old %.16s revision %lld, %s, key %s, %s\n", str(x, "predecessor"),
                (long long)json_integer_value(json_object_get(x, "predecessor_revision")),
                str(x, "predecessor_verdict"),
                str(x, "predecessor_key")[0] ? str(x, "predecessor_key") : "-",
                str(x, "predecessor_file"));
        fprintf(out, "    reason: %s\n", str(x, "reason"));
        print_changes(out, json_object_get(x, "changes"));
    }
    fprintf(out, "\nexcused: %zu\n", json_array_size(json_object_get(root, "excused")));
    json_array_foreach(json_object_get(root, "excused"), i, x)
        fprintf(out, "  %s %s: %s, decision %s, %lld return(s) stored\n", str(x, "precinct"),
                str(x, "contest"), str(x, "reason"), str(x, "decision"),
                (long long)json_integer_value(json_object_get(x, "returns_stored")));
    fprintf(out, "\ndecisions: %zu\n", json_array_size(json_object_get(root, "decisions")));
    json_array_foreach(json_object_get(root, "decisions"), i, x)
        fprintf(out, "  event %lld %s %s %s%s%s: %s\n",
                (long long)json_integer_value(json_object_get(x, "seq")), str(x, "time"),
                str(x, "kind"), str(x, "verdict"), str(x, "codes")[0] ? " " : "", str(x, "codes"),
                str(x, "data"));
}

int ct_cmd_review(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1}, {"json", 0}, {"as-of", 1}, {"help", 0}, {NULL, 0}};
    const char *dbpath = NULL, *v;
    long long as_of = 0;
    json_t *root = NULL, *o;
    char hex[PR_HASH_HEX + 1];
    uint8_t head[PR_HASH_BYTES];
    int64_t seq = 0;
    rv r;
    ct_args a;
    ct_err e;
    int opt, k, json = 0, code = CT_EXIT_OK;

    memset(&e, 0, sizeof e);
    memset(&r, 0, sizeof r);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, review_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, review_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0) {
            dbpath = v;
        } else if (opt == 1) {
            json = 1;
        } else if (opt == 2) {
            if (ct_parse_uint(v, INT64_MAX, &as_of) != 0 || as_of == 0) {
                code = ct_usage_error(err, review_usage, "--as-of", "an event sequence number >= 1");
                goto out;
            }
        } else {
            fputs(review_usage, out);
            fputs(review_help, out);
            goto out;
        }
    }
    if (dbpath == NULL) {
        code = ct_usage_error(err, review_usage, "review", "--db DB is required");
        goto out;
    }
    r.a = malloc(sizeof *r.a);
    r.b = malloc(sizeof *r.b);
    root = json_object();
    r.holds = json_array();
    r.conflicts = json_array();
    r.flags = json_array();
    r.corrections = json_array();
    if (r.a == NULL || r.b == NULL || root == NULL || r.holds == NULL || r.conflicts == NULL ||
        r.flags == NULL || r.corrections == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "review", "out of memory");
        goto fail;
    }
    if (ct_db_open(dbpath, 1, &r.db, &e) != 0 || ct_event_head(r.db, (int64_t)as_of, &seq, head, &e) != 0)
        goto fail;
    r.as_of = seq;
    if (ct_pc_each(r.db, seq, visit, &r, &e) != 0)
        goto fail;
    json_object_set_new(root, "election", json_string(r.db->def->id));
    ct_hex(hex, head, PR_HASH_BYTES);
    o = json_object();
    json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    json_object_set_new(o, "head", json_string(hex));
    json_object_set_new(root, "as_of", o);
    json_object_set(root, "holds", r.holds);
    json_object_set(root, "conflicts", r.conflicts);
    json_object_set(root, "flags", r.flags);
    json_object_set(root, "corrections", r.corrections);
    o = json_array();
    json_object_set_new(root, "excused", o);
    if (list_excused(r.db, seq, o, &e) != 0)
        goto fail;
    o = json_array();
    json_object_set_new(root, "decisions", o);
    if (list_decisions(r.db, seq, o, &e) != 0)
        goto fail;
    if (json)
        ct_json_print(out, root);
    else
        print_text(out, root);
    goto out;
fail:
    ct_err_print(&e, err);
    code = e.code ? e.code : CT_EXIT_IO;
out:
    json_decref(r.holds);
    json_decref(r.conflicts);
    json_decref(r.flags);
    json_decref(r.corrections);
    json_decref(root);
    free(r.a);
    free(r.b);
    ct_db_close(r.db);
    return code;
}
