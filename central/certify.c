/*
 * certify.c: `central certify` (a contest's result certified by the
 * commission, one `certify` event with its decision reference), the
 * certification lines of `tally` and `status`, and the group 9 holds of
 * the trust anchors (certify.h).
 */
#include "certify.h"

#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "events.h"
#include "freeze.h"
#include "import.h"
#include "report.h"

#define NONE ((size_t)-1)

static const char certify_usage[] =
    "usage: central certify --db DB --contest C --decision REF\n";
static const char certify_help[] =
    "Certifies the result of contest C as it stands now, with the commission's\n"
    "decision reference REF (letters, digits and . _ : / # + -, at most 64): one\n"
    "`certify` event. Refused while any precinct of C is held, in conflict,\n"
    "rejected only or missing (resolve or excuse it first), and when C is\n"
    "certified already. Returns of C decided after it are held\n"
    "after-certification (corrections also correction-review) until a person\n"
    "resolves them; `central tally --as-of SEQ` with the printed event number\n"
    "reproduces the certified tally. Takes --checkpoint-key KEY --checkpoints DIR\n"
    "like every write command, to publish the signed head that covers it.\n";

int ct_certified(ct_db *db, const char *contest, int64_t as_of, int64_t *seq, char *ref,
                 size_t reflen, ct_err *e)
{
    static const char sql[] =
        "SELECT seq, decision FROM certifications WHERE contest = ?1 AND (?2 = 0 OR seq <= ?2)"
        " ORDER BY seq LIMIT 1";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *seq = 0;
    if (ref != NULL && reflen > 0)
        ref[0] = '\0';
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, contest) != SQLITE_OK || ct_bind_i64(s, 2, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *seq = (int64_t)sqlite3_column_int64(s, 0);
        if (ref != NULL)
            ct_col_text(s, 1, ref, reflen);
    } else if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

/* Calls each row of the certifications at or before as_of (contest NULL:
 * all) in event order: print (text) or append (JSON). */
static int each(ct_db *db, int64_t as_of, const char *contest, FILE *out, json_t *arr, ct_err *e)
{
    static const char sql[] =
        "SELECT contest, seq, decision FROM certifications WHERE (?1 = 0 OR seq <= ?1)"
        " AND (?2 IS NULL OR contest = ?2) ORDER BY seq";
    sqlite3_stmt *s = NULL;
    char c[PR_ID_MAX + 1], ref[CT_DECISION_REF_MAX + 1];
    long long seq;
    int rc = -1, step;

    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, as_of) != SQLITE_OK ||
        (contest != NULL ? ct_bind_text(s, 2, contest) : sqlite3_bind_null(s, 2)) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        ct_col_text(s, 0, c, sizeof c);
        seq = (long long)sqlite3_column_int64(s, 1);
        ct_col_text(s, 2, ref, sizeof ref);
        if (out != NULL) {
            fprintf(out, "certified %s at event %lld, decision %s\n", c, seq, ref);
        } else {
            json_t *o = json_object();
            if (o == NULL || json_array_append_new(arr, o) != 0) {
                ct_err_set(e, CT_EXIT_IO, "certifications", "out of memory");
                goto out;
            }
            json_object_set_new(o, "contest", json_string(c));
            json_object_set_new(o, "seq", json_integer((json_int_t)seq));
            json_object_set_new(o, "decision", json_string(ref));
        }
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

int ct_certifications_print(ct_db *db, int64_t as_of, const char *contest, FILE *out, ct_err *e)
{
    return each(db, as_of, contest, out, NULL, e);
}

int ct_certifications_json(ct_db *db, int64_t as_of, const char *contest, json_t **arr, ct_err *e)
{
    int rc = -1;

    *arr = json_array();
    if (*arr == NULL) {
        ct_err_set(e, CT_EXIT_IO, "certifications", "out of memory");
        goto out;
    }
    if (each(db, as_of, contest, NULL, *arr, e) != 0) {
        json_decref(*arr);
        *arr = NULL;
        goto out;
    }
    rc = 0;
out:
    return rc;
}

int ct_anchor_holds(ct_db *db, const pr_return *r, int64_t key, int64_t self, int is_correction,
                    ct_codes *holds, char *detail, size_t dlen, ct_err *e)
{
    char why[256];
    int64_t cseq = 0;
    int late = 0, rc = -1;

    if (ct_late_key(db, key, self, &late, why, sizeof why, e) != 0)
        goto out;
    if (late) {
        ct_codes_add(holds, "late-key");
        if (detail[0] == '\0')
            snprintf(detail, dlen, "%s", why);
    }
    /* Decided in the state now (a file decided again after the
     * certification, e.g. once its key is enrolled, is held too): a
     * certified result changes only by a person's decision. */
    if (ct_certified(db, r->contest, 0, &cseq, NULL, 0, e) != 0)
        goto out;
    if (cseq != 0) {
        if (is_correction)
            ct_codes_add(holds, "correction-review");
        ct_codes_add(holds, "after-certification");
        if (detail[0] == '\0')
            snprintf(detail, dlen, "contest %s was certified at event %lld", r->contest,
                     (long long)cseq);
    }
    rc = 0;
out:
    return rc;
}

/* Every precinct of contest c in the tally or excused? Else e (code 1)
 * says what is not. */
static int complete(ct_db *db, size_t c, ct_err *e)
{
    static const ct_status bad[] = {CT_ST_HELD, CT_ST_CONFLICT, CT_ST_REJECTED_ONLY, CT_ST_MISSING};
    ct_report r;
    char why[256] = "", part[64];
    size_t i, j, first = NONE;
    int rc = -1, have = 0;

    memset(&r, 0, sizeof r);
    if (ct_report_build(db, 0, 0, &r, e) != 0)
        goto out;
    have = 1;
    for (j = 0; j < sizeof bad / sizeof bad[0]; j++) {
        size_t n = 0;
        for (i = 0; i < r.n; i++)
            if (r.rows[i].contest == c && r.rows[i].status == bad[j]) {
                n++;
                if (first == NONE)
                    first = i;
            }
        if (n > 0) {
            snprintf(part, sizeof part, "%s%zu %s", why[0] ? ", " : "", n, ct_status_name(bad[j]));
            strncat(why, part, sizeof why - strlen(why) - 1);
        }
    }
    if (first != NONE) {
        ct_err_set(e, CT_EXIT_FAIL, db->def->contests[c].id,
                   "cannot certify: %s (first: precinct %s); resolve or excuse them first", why,
                   db->def->precincts[r.rows[first].precinct].id);
        goto out;
    }
    /* Every precinct excused: there is no result to certify, only a tie of
     * zeros (red team). */
    for (i = 0; i < r.n; i++)
        if (r.rows[i].contest == c && r.rows[i].status == CT_ST_IN_TALLY)
            break;
    if (i == r.n) {
        ct_err_set(e, CT_EXIT_FAIL, db->def->contests[c].id,
                   "cannot certify: no precinct is in the tally (every one is excused)");
        goto out;
    }
    rc = 0;
out:
    if (have)
        ct_report_free(&r);
    return rc;
}

static int record(ct_db *db, const char *contest, const char *ref, int64_t *seq, ct_err *e)
{
    static const char sql[] = "INSERT INTO certifications (seq, contest, decision) VALUES (?1, ?2, ?3)";
    sqlite3_stmt *s = NULL;
    char data[PR_ID_MAX + CT_DECISION_REF_MAX + 32];
    ct_event ev;
    int rc = -1;

    snprintf(data, sizeof data, "contest %s decision %s", contest, ref);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_CERTIFY;
    ev.verdict = "certified";
    ev.codes = "";
    ev.data = data;
    if (ct_event_append(db, &ev, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, ev.seq) != SQLITE_OK || ct_bind_text(s, 2, contest) != SQLITE_OK ||
        ct_bind_text(s, 3, ref) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *seq = ev.seq;
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

int ct_cmd_certify(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {
        {"db", 1}, {"contest", 1}, {"decision", 1}, {"help", 0}, {NULL, 0}};
    const char *dbpath = NULL, *contest = NULL, *ref = NULL, *v;
    char hex[PR_HASH_HEX + 1];
    uint8_t head[PR_HASH_BYTES];
    int64_t seq = 0, already = 0, hseq = 0;
    ct_import_opts io;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    size_t c;
    int opt, k, code = CT_EXIT_OK, began = 0;

    memset(&e, 0, sizeof e);
    memset(&io, 0, sizeof io);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0)
            return ct_usage_error(err, certify_usage, e.what, e.why);
        if (k == 2)
            return ct_usage_error(err, certify_usage, v, "unexpected operand");
        if (opt == 0)
            dbpath = v;
        else if (opt == 1)
            contest = v;
        else if (opt == 2)
            ref = v;
        else {
            fputs(certify_usage, out);
            fputs(certify_help, out);
            return CT_EXIT_OK;
        }
    }
    if (dbpath == NULL || contest == NULL || ref == NULL)
        return ct_usage_error(err, certify_usage, "certify",
                              "--db, --contest and --decision are required");
    if (!ct_decision_ref_ok(ref))
        return ct_usage_error(err, certify_usage, "--decision",
                              "1-64 letters, digits and . _ : / # + -, starting with a letter or digit");
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "certify", "libsodium failed to initialise");
        goto fail;
    }
    /* As every write command: first what a killed run left undecided. */
    if (ct_db_open(dbpath, 0, &db, &e) != 0 || ct_redecide_pending(db, &io, out, &e) != 0)
        goto fail;
    c = cm_find_contest(db->def, contest);
    if (c == NONE) {
        code = ct_usage_error(err, certify_usage, contest, "no such contest in the definition");
        goto out;
    }
    if (ct_db_begin(db, &e) != 0)
        goto fail;
    began = 1;
    if (ct_certified(db, contest, 0, &already, NULL, 0, &e) != 0)
        goto fail;
    if (already != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, contest, "certified at event %lld already", (long long)already);
        goto fail;
    }
    if (complete(db, c, &e) != 0 || record(db, contest, ref, &seq, &e) != 0 ||
        ct_event_head(db, 0, &hseq, head, &e) != 0 || ct_db_commit(db, &e) != 0)
        goto fail;
    began = 0;
    ct_hex(hex, head, sizeof head);
    fprintf(out, "certified %s at event %lld, decision %s, head %s\n", contest, (long long)seq, ref,
            hex);
    fprintf(out, "tally --contest %s --as-of %lld reproduces it\n", contest, (long long)seq);
    goto out;
fail:
    if (began)
        ct_db_rollback(db);
    ct_err_print(&e, err);
    code = ct_exit_max(code, e.code ? e.code : CT_EXIT_IO);
out:
    ct_db_close(db);
    return code;
}
