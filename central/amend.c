/*
 * amend.c: `central amend-definition` (DESIGN 6 "Amendments"): a new
 * version of the definition, signed by the commission key, recorded as an
 * event with the decision reference. Returns signed against an earlier
 * version stay valid while their contest's ballot part is unchanged.
 */
#include "amend.h"

#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "common/fileio.h"
#include "ct.h"
#include "db.h"
#include "events.h"
#include "history.h"
#include "import.h"
#include "proto/codec.h"
#include "proto/keys.h"

#define NONE ((size_t)-1)

static const char amend_usage[] =
    "usage: central amend-definition --db DB --definition DEF2 --decision REF\n";
static const char amend_help[] =
    "Replaces the election definition by DEF2, whose DEF2.sig must verify with the\n"
    "database's commission key, recording the decision reference REF. DEF2 must be\n"
    "for the same election. Returns signed against an earlier version stay valid\n"
    "while their contest's ballot part is unchanged (contest, line and candidate\n"
    "ids and order, names, rules, the precinct's membership and close of polls).\n"
    "A candidate is never removed or moved: withdraw it (\"withdrawn\": true) and it\n"
    "keeps its place. A contest whose ballot part changes for a precinct that has\n"
    "returns standing is refused: they would no longer be valid. Returns rejected\n"
    "as wrong-definition are decided again.\n";

static int same_str(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static int same_rule(const cm_rule *a, const cm_rule *b)
{
    return same_str(a->id, b->id) && same_str(a->check, b->check) && a->severity == b->severity;
}

static int same_line(const cm_protocol *pa, const cm_line *a, const cm_protocol *pb, const cm_line *b)
{
    size_t i;
    int same = same_str(a->id, b->id) && same_str(a->name, b->name) && a->n_parts == b->n_parts;

    for (i = 0; same && i < a->n_parts; i++)
        same = same_str(pa->lines[a->parts[i]].id, pb->lines[b->parts[i]].id);
    return same;
}

int ct_ballot_part_same(const cm_definition *a, const cm_definition *b, const char *contest,
                        const char *precinct)
{
    size_t ca = cm_find_contest(a, contest), cb = cm_find_contest(b, contest);
    size_t qa = cm_find_precinct(a, precinct), qb = cm_find_precinct(b, precinct), i;
    const cm_contest *x, *y;
    const cm_protocol *px, *py;
    int same = ca != NONE && cb != NONE && qa != NONE && qb != NONE;

    if (!same)
        goto out;
    x = &a->contests[ca];
    y = &b->contests[cb];
    px = &a->protocols[x->protocol];
    py = &b->protocols[y->protocol];
    same = same_str(x->name, y->name) && x->votes_allowed == y->votes_allowed &&
           x->against_all == y->against_all && x->n_candidates == y->n_candidates &&
           px->n_lines == py->n_lines && px->n_rules == py->n_rules &&
           cm_precinct_in_contest(a, qa, ca) && cm_precinct_in_contest(b, qb, cb) &&
           a->precincts[qa].close == b->precincts[qb].close;
    for (i = 0; same && i < x->n_candidates; i++)
        same = same_str(x->candidates[i].id, y->candidates[i].id) &&
               same_str(x->candidates[i].name, y->candidates[i].name);
    for (i = 0; same && i < px->n_lines; i++)
        same = same_line(px, &px->lines[i], py, &py->lines[i]);
    for (i = 0; same && i < px->n_rules; i++)
        same = same_rule(&px->rules[i], &py->rules[i]);
out:
    return same;
}

/* A candidate is withdrawn, never removed or moved (DESIGN 6): every
 * candidate of a contest in old keeps its index in new. */
static int candidates_kept(const cm_definition *old, const cm_definition *new, ct_err *e)
{
    size_t c, k, i;
    int rc = 0;

    for (c = 0; rc == 0 && c < old->n_contests; c++) {
        const cm_contest *x = &old->contests[c];
        k = cm_find_contest(new, x->id);
        for (i = 0; rc == 0 && k != NONE && i < x->n_candidates; i++) {
            if (i >= new->contests[k].n_candidates ||
                !same_str(x->candidates[i].id, new->contests[k].candidates[i].id)) {
                ct_err_set(e, CT_EXIT_FAIL, x->id,
                           "candidate %s is removed or moved; withdraw it instead (\"withdrawn\": "
                           "true) so it keeps its place",
                           x->candidates[i].id);
                rc = -1;
            }
        }
    }
    return rc;
}

/* Refuses a new ballot part for a (precinct, contest) where something
 * stands: those returns would no longer be valid. */
static int no_standing_changed(ct_db *db, const cm_definition *new, ct_err *e)
{
    const cm_definition *old = db->def;
    ct_pc_state st;
    size_t p, k;
    int rc = 0;

    memset(&st, 0, sizeof st);
    for (p = 0; rc == 0 && p < old->n_precincts; p++) {
        for (k = 0; rc == 0 && k < old->precincts[p].n_contests; k++) {
            const char *pid = old->precincts[p].id, *cid = old->contests[old->precincts[p].contests[k]].id;
            if (ct_ballot_part_same(old, new, cid, pid))
                continue;
            if (ct_pc_load(db, pid, cid, 0, 0, &st, e) != 0) {
                rc = -1;
            } else if (st.n_heads > 0) {
                ct_err_set(e, CT_EXIT_FAIL, cid,
                           "its ballot part changes for precinct %s, which has returns standing; "
                           "they would no longer be valid",
                           pid);
                rc = -1;
            }
            ct_pc_free(&st);
        }
    }
    return rc;
}

static int record(ct_db *db, const uint8_t *def, size_t deflen, const uint8_t *hash,
                  const uint8_t *sig, size_t siglen, const char *ref, ct_err *e)
{
    static const char sql[] =
        "INSERT INTO definitions (seq, definition, definition_hash, definition_sig, decision)"
        " VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *s = NULL;
    char data[CT_DECISION_REF_MAX + 16];
    ct_event ev;
    int rc = -1;

    snprintf(data, sizeof data, "decision %s", ref);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_AMEND;
    ev.has_subject = 1;
    memcpy(ev.subject, hash, PR_HASH_BYTES);
    ev.verdict = "amended";
    ev.codes = "";
    ev.data = data;
    if (ct_event_append(db, &ev, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, ev.seq) != SQLITE_OK || ct_bind_blob(s, 2, def, deflen) != SQLITE_OK ||
        ct_bind_blob(s, 3, hash, PR_HASH_BYTES) != SQLITE_OK ||
        ct_bind_blob(s, 4, sig, siglen) != SQLITE_OK || ct_bind_text(s, 5, ref) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

static int read_all(const char *path, size_t max, uint8_t **buf, size_t *len, ct_err *e)
{
    pr_diag d;
    int k;

    memset(&d, 0, sizeof d);
    *buf = NULL;
    k = cm_read_file(path, max, 1, buf, len, NULL, &d);
    if (k != 0) {
        ct_err_set(e, k == -2 ? CT_EXIT_FAIL : CT_EXIT_IO, path, "%s",
                   k == -2 ? "too large" : k == -3 ? "not a regular file" : d.msg);
        free(*buf);
        *buf = NULL;
    }
    return k == 0 ? 0 : -1;
}

int ct_cmd_amend_definition(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1}, {"definition", 1}, {"decision", 1}, {"help", 0},
                                       {NULL, 0}};
    const char *dbpath = NULL, *defpath = NULL, *ref = NULL, *v;
    char sigpath[4096], hex[PR_HASH_HEX + 1];
    uint8_t *def = NULL, *sig = NULL, h[PR_HASH_BYTES];
    size_t deflen = 0, siglen = 0;
    cm_definition *loaded = NULL;
    ct_import_opts io;
    ct_db *db = NULL;
    pr_defsig ds;
    pr_diag d;
    ct_args a;
    ct_err e;
    int opt, k, code = CT_EXIT_OK, began = 0;

    memset(&e, 0, sizeof e);
    memset(&d, 0, sizeof d);
    memset(&io, 0, sizeof io);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, amend_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, amend_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0)
            dbpath = v;
        else if (opt == 1)
            defpath = v;
        else if (opt == 2)
            ref = v;
        else {
            fputs(amend_usage, out);
            fputs(amend_help, out);
            goto out;
        }
    }
    if (dbpath == NULL || defpath == NULL || ref == NULL) {
        code = ct_usage_error(err, amend_usage, "amend-definition",
                              "--db, --definition and --decision are required");
        goto out;
    }
    if (!ct_decision_ref_ok(ref)) {
        code = ct_usage_error(err, amend_usage, "--decision",
                              "1-64 letters, digits and . _ : / # + -, starting with a letter or digit");
        goto out;
    }
    if (strlen(defpath) > sizeof sigpath - 8) {
        code = ct_usage_error(err, amend_usage, defpath, "too long");
        goto out;
    }
    snprintf(sigpath, sizeof sigpath, "%s.sig", defpath);
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "amend-definition", "libsodium failed to initialise");
        goto fail;
    }
    if (read_all(defpath, CM_DEFINITION_MAX, &def, &deflen, &e) != 0 ||
        read_all(sigpath, PR_FILE_MAX, &sig, &siglen, &e) != 0 || ct_db_open(dbpath, 0, &db, &e) != 0)
        goto fail;
    pr_hash(h, def, deflen);
    if (pr_defsig_parse(sig, siglen, &ds, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, sigpath, "line %u: %s", d.line, d.msg);
        goto fail;
    }
    if (pr_defsig_verify(sig, &ds, h, ct_db_definition_pk(db), &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, sigpath, "does not verify with this database's commission key: %s",
                   d.msg);
        goto fail;
    }
    if (cm_definition_load(def, deflen, &loaded, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, defpath, "%s", d.msg);
        goto fail;
    }
    if (strcmp(loaded->id, db->election) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, defpath, "election %s, this database is %s", loaded->id,
                   db->election);
        goto fail;
    }
    if (ct_db_version(db, h) != NULL) {
        ct_err_set(&e, CT_EXIT_FAIL, defpath, "this version is stored already");
        goto fail;
    }
    if (candidates_kept(db->def, loaded, &e) != 0 || ct_db_begin(db, &e) != 0)
        goto fail;
    began = 1;
    if (no_standing_changed(db, loaded, &e) != 0 || record(db, def, deflen, h, sig, siglen, ref, &e) != 0 ||
        ct_db_commit(db, &e) != 0)
        goto fail;
    began = 0;
    ct_hex(hex, h, PR_HASH_BYTES);
    fprintf(out, "amended %s decision %s\n", hex, ref);
    fflush(out);
    /* Decide again, with the new version, what was refused for naming it
     * before central knew it. */
    ct_db_close(db);
    db = NULL;
    if (ct_db_open(dbpath, 0, &db, &e) != 0 || ct_redecide_definition(db, &io, out, &e) != 0)
        goto fail;
    /* The tally cache is of the old version until a commit made with the
     * new one rebuilds it (running.h): make one now. */
    if (ct_db_begin(db, &e) != 0)
        goto fail;
    began = 1;
    if (ct_db_commit(db, &e) != 0)
        goto fail;
    began = 0;
    goto out;
fail:
    if (began)
        ct_db_rollback(db);
    ct_err_print(&e, err);
    code = ct_exit_max(code, e.code ? e.code : CT_EXIT_IO);
out:
    cm_definition_free(loaded);
    free(def);
    free(sig);
    ct_db_close(db);
    return code;
}
