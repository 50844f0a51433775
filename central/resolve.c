/*
 * resolve.c: a person's decisions about a (precinct, contest), each one
 * event with the commission's decision reference (DESIGN 2: nobody types
 * numbers; a person decides between signed returns). `resolve` accepts or
 * rejects one stored return; `excuse` records that a precinct will never
 * report (void, not-opened), so its contest can complete.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ct.h"
#include "db.h"
#include "events.h"
#include "history.h"
#include "proto/codec.h"

#define NONE ((size_t)-1)

static const char resolve_usage[] =
    "usage: central resolve --db DB --precinct P --contest C (--accept HASH | --reject HASH)\n"
    "                       --decision REF [--by LEVEL]\n";
static const char resolve_help[] =
    "Records a person's decision between the signed returns of precinct P in\n"
    "contest C: --accept makes that return what stands (it enters the tally even\n"
    "if it was held, and every other return present now is set aside); --reject\n"
    "sets it aside (its predecessor, or the other side of a conflict, stands\n"
    "again). HASH is the return's hash, or its first 16 hex digits or more, as\n"
    "`central status` and `central review` print it. REF is the commission's\n"
    "decision reference. Verdicts never change; statuses and the tally follow.\n"
    "--by LEVEL: the decision was made by the lower commission LEVEL (an area id)\n"
    "and is recorded as decided by it (`central import --bundle` does this).\n";

static const char excuse_usage[] =
    "usage: central excuse --db DB --precinct P --contest C --reason void|not-opened\n"
    "                      --decision REF [--by LEVEL]\n";
static const char excuse_help[] =
    "Records that precinct P will never report for contest C (void: its results\n"
    "are annulled; not-opened: it never opened). Its status becomes excused: it is\n"
    "not counted, and its contest is no longer incomplete for want of it. Returns\n"
    "that arrive for it are still stored and decided, and listed by review.\n"
    "--by LEVEL: the decision was made by the lower commission LEVEL (an area id)\n"
    "and is recorded as decided by it (`central import --bundle` does this).\n";

/* Checks that precinct and contest exist and belong together. */
static int check_pc(const ct_db *db, const char *precinct, const char *contest, ct_err *e)
{
    size_t p = cm_find_precinct(db->def, precinct), c = cm_find_contest(db->def, contest);
    int rc = -1;

    if (p == NONE)
        ct_err_set(e, CT_EXIT_FAIL, precinct, "no such precinct in the definition");
    else if (c == NONE)
        ct_err_set(e, CT_EXIT_FAIL, contest, "no such contest in the definition");
    else if (!cm_precinct_in_contest(db->def, p, c))
        ct_err_set(e, CT_EXIT_FAIL, precinct, "does not take part in contest %s", contest);
    else
        rc = 0;
    return rc;
}

/* The excuse of (precinct, contest), if any: *found, and its reason. */
static int find_excuse(ct_db *db, const char *precinct, const char *contest, int *found,
                       char *reason, size_t rlen, ct_err *e)
{
    static const char sql[] = "SELECT reason FROM excuses WHERE precinct = ?1 AND contest = ?2";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *found = 0;
    reason[0] = '\0';
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, precinct) != SQLITE_OK || ct_bind_text(s, 2, contest) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *found = 1;
        ct_col_text(s, 0, reason, rlen);
    } else if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* The stored returns of (precinct, contest) whose hash begins with prefix:
 * *n matches, *file the last one. */
static int find_return(ct_db *db, const char *precinct, const char *contest, const char *prefix,
                       int64_t *file, int *n, ct_err *e)
{
    static const char sql[] =
        "SELECT id FROM files WHERE precinct = ?1 AND contest = ?2 AND parsed = 1"
        " AND substr(lower(hex(hash)), 1, ?4) = ?3 ORDER BY id";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *n = 0;
    *file = 0;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, precinct) != SQLITE_OK || ct_bind_text(s, 2, contest) != SQLITE_OK ||
        ct_bind_text(s, 3, prefix) != SQLITE_OK ||
        ct_bind_i64(s, 4, (int64_t)strlen(prefix)) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        (*n)++;
        *file = (int64_t)sqlite3_column_int64(s, 0);
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

/* Does x carry the content of one of the heads (what stands now)? */
static int is_head(const ct_pc_state *st, const ct_pc_entry *x)
{
    size_t i;
    int yes = 0;

    for (i = 0; !yes && i < st->n; i++)
        yes = st->e[i].head && memcmp(st->e[i].content, x->content, PR_HASH_BYTES) == 0;
    return yes;
}

/* May a person accept (or reject) entry x now? Fills e (code 1) when not. */
static int eligible(const ct_pc_state *st, const ct_pc_entry *x, int accept, const char *hex,
                    ct_err *e)
{
    const ct_pc_entry *head = NULL;
    ct_status s = ct_pc_status(st, &head);
    int rc = -1;

    if (accept) {
        if (x->role == CT_ROLE_REJECTED)
            ct_err_set(e, CT_EXIT_FAIL, hex,
                       "was rejected (%s): only a return that passed the checks can be accepted; "
                       "the station must send a correction",
                       ct_verdict_name(x->verdict));
        else if (s == CT_ST_IN_TALLY && head != NULL &&
                 memcmp(head->content, x->content, PR_HASH_BYTES) == 0)
            ct_err_set(e, CT_EXIT_FAIL, hex, "already stands and is in the tally");
        else
            rc = 0;
    } else {
        if (x->dismissed)
            ct_err_set(e, CT_EXIT_FAIL, hex, "already set aside by a decision");
        else if (x->role == CT_ROLE_AWAITING || is_head(st, x))
            rc = 0;
        else
            ct_err_set(e, CT_EXIT_FAIL, hex, "does not stand (%s): nothing to reject",
                       ct_verdict_name(x->verdict));
    }
    return rc;
}

/* The event and the resolutions row, inside the caller's transaction. */
static int record_resolution(ct_db *db, int64_t file, const uint8_t *hash, const char *precinct,
                             const char *contest, int accept, const char *ref, const char *by,
                             ct_err *e)
{
    static const char sql[] =
        "INSERT INTO resolutions (seq, file, action, decision) VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *s = NULL;
    char data[3 * PR_ID_MAX + CT_DECISION_REF_MAX + 48];
    ct_event ev;
    int rc = -1;

    /* "by LEVEL": decided by a lower commission (docs/BUNDLE.md). */
    snprintf(data, sizeof data, "precinct %s contest %s %s%s%sdecision %s", precinct, contest,
             by != NULL ? "by " : "", by != NULL ? by : "", by != NULL ? " " : "", ref);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_RESOLVE;
    ev.has_subject = 1;
    memcpy(ev.subject, hash, PR_HASH_BYTES);
    ev.verdict = accept ? "accept" : "reject";
    ev.codes = "";
    ev.data = data;
    if (ct_event_append(db, &ev, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, ev.seq) != SQLITE_OK || ct_bind_i64(s, 2, file) != SQLITE_OK ||
        ct_bind_text(s, 3, ev.verdict) != SQLITE_OK || ct_bind_text(s, 4, ref) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

int ct_cmd_resolve(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},     {"precinct", 1}, {"contest", 1},
                                       {"accept", 1}, {"reject", 1},   {"decision", 1},
                                       {"help", 0},   {"by", 1},       {NULL, 0}};
    const char *dbpath = NULL, *precinct = NULL, *contest = NULL, *acc = NULL, *rej = NULL,
               *ref = NULL, *by = NULL, *v;
    char prefix[PR_HASH_HEX + 1], hex[PR_HASH_HEX + 1], reason[32];
    const ct_pc_entry *x, *head = NULL;
    ct_pc_state st;
    ct_status now;
    ct_db *db = NULL;
    int64_t file = 0;
    ct_args a;
    ct_err e;
    int opt, k, n = 0, code = CT_EXIT_OK, began = 0, excused = 0;

    memset(&e, 0, sizeof e);
    memset(&st, 0, sizeof st);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, resolve_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, resolve_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0)
            dbpath = v;
        else if (opt == 1)
            precinct = v;
        else if (opt == 2)
            contest = v;
        else if (opt == 3)
            acc = v;
        else if (opt == 4)
            rej = v;
        else if (opt == 5)
            ref = v;
        else if (opt == 7)
            by = v;
        else {
            fputs(resolve_usage, out);
            fputs(resolve_help, out);
            goto out;
        }
    }
    if (dbpath == NULL || precinct == NULL || contest == NULL || ref == NULL ||
        (acc == NULL) == (rej == NULL)) {
        code = ct_usage_error(err, resolve_usage, "resolve",
                              "--db, --precinct, --contest, --decision and one of --accept and "
                              "--reject are required");
        goto out;
    }
    if (by != NULL && !pr_is_id(by, strlen(by))) {
        code = ct_usage_error(err, resolve_usage, "--by", "not a level (an area id)");
        goto out;
    }
    if (ct_hash_prefix(acc != NULL ? acc : rej, prefix) != 0) {
        code = ct_usage_error(err, resolve_usage, acc != NULL ? acc : rej,
                              "a return hash is 16 to 64 hex digits");
        goto out;
    }
    if (!ct_decision_ref_ok(ref)) {
        code = ct_usage_error(err, resolve_usage, "--decision",
                              "1-64 letters, digits and . _ : / # + -, starting with a letter or digit");
        goto out;
    }
    if (ct_db_open(dbpath, 0, &db, &e) != 0 || check_pc(db, precinct, contest, &e) != 0 ||
        ct_db_begin(db, &e) != 0)
        goto fail;
    began = 1;
    if (find_excuse(db, precinct, contest, &excused, reason, sizeof reason, &e) != 0)
        goto fail;
    if (excused) {
        ct_err_set(&e, CT_EXIT_FAIL, precinct, "is excused for %s (%s): nothing to resolve", contest,
                   reason);
        goto fail;
    }
    if (find_return(db, precinct, contest, prefix, &file, &n, &e) != 0)
        goto fail;
    if (n != 1) {
        ct_err_set(&e, CT_EXIT_FAIL, prefix,
                   n == 0 ? "no stored return of %s in %s has this hash"
                          : "several returns of %s in %s begin with this; give more digits",
                   precinct, contest);
        goto fail;
    }
    if (ct_pc_load(db, precinct, contest, 0, 0, &st, &e) != 0)
        goto fail;
    x = ct_pc_find(&st, file);
    if (x == NULL) {
        ct_err_set(&e, CT_EXIT_IO, db->path, "file %lld has no decision", (long long)file);
        goto fail;
    }
    ct_hex(hex, x->hash, PR_HASH_BYTES);
    if (eligible(&st, x, acc != NULL, hex, &e) != 0 ||
        record_resolution(db, file, x->hash, precinct, contest, acc != NULL, ref, by, &e) != 0 ||
        ct_db_commit(db, &e) != 0)
        goto fail;
    began = 0;
    ct_pc_free(&st);
    if (ct_pc_load(db, precinct, contest, 0, 0, &st, &e) != 0)
        goto fail;
    now = ct_pc_status(&st, &head);
    fprintf(out, "%s %s %s %.16s decision %s: status %s\n", acc != NULL ? "accepted" : "rejected",
            precinct, contest, hex, ref, ct_status_name(now));
    goto out;
fail:
    if (began)
        ct_db_rollback(db);
    ct_err_print(&e, err);
    code = ct_exit_max(code, e.code ? e.code : CT_EXIT_IO);
out:
    ct_pc_free(&st);
    ct_db_close(db);
    return code;
}

/* How many files are stored for (precinct, contest). */
static int count_files(ct_db *db, const char *precinct, const char *contest, long long *n, ct_err *e)
{
    static const char sql[] = "SELECT count(*) FROM files WHERE precinct = ?1 AND contest = ?2";
    sqlite3_stmt *s = NULL;
    int rc = -1;

    *n = 0;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, precinct) != SQLITE_OK || ct_bind_text(s, 2, contest) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *n = (long long)sqlite3_column_int64(s, 0);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

static int record_excuse(ct_db *db, const char *precinct, const char *contest, const char *reason,
                         const char *ref, const char *by, ct_err *e)
{
    static const char sql[] =
        "INSERT INTO excuses (seq, precinct, contest, reason, decision) VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *s = NULL;
    char data[3 * PR_ID_MAX + CT_DECISION_REF_MAX + 48];
    ct_event ev;
    int rc = -1;

    snprintf(data, sizeof data, "precinct %s contest %s %s%s%sdecision %s", precinct, contest,
             by != NULL ? "by " : "", by != NULL ? by : "", by != NULL ? " " : "", ref);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_EXCUSE;
    ev.verdict = "excused";
    ev.codes = reason;
    ev.data = data;
    if (ct_event_append(db, &ev, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, ev.seq) != SQLITE_OK || ct_bind_text(s, 2, precinct) != SQLITE_OK ||
        ct_bind_text(s, 3, contest) != SQLITE_OK || ct_bind_text(s, 4, reason) != SQLITE_OK ||
        ct_bind_text(s, 5, ref) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

int ct_cmd_excuse(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},       {"precinct", 1}, {"contest", 1}, {"reason", 1},
                                       {"decision", 1}, {"help", 0},     {"by", 1},     {NULL, 0}};
    const char *dbpath = NULL, *precinct = NULL, *contest = NULL, *reason = NULL, *ref = NULL, *v;
    const char *by = NULL;
    char had[32];
    long long nfiles = 0;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    int opt, k, code = CT_EXIT_OK, began = 0, found = 0;

    memset(&e, 0, sizeof e);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, excuse_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, excuse_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0)
            dbpath = v;
        else if (opt == 1)
            precinct = v;
        else if (opt == 2)
            contest = v;
        else if (opt == 3)
            reason = v;
        else if (opt == 4)
            ref = v;
        else if (opt == 6)
            by = v;
        else {
            fputs(excuse_usage, out);
            fputs(excuse_help, out);
            goto out;
        }
    }
    if (dbpath == NULL || precinct == NULL || contest == NULL || reason == NULL || ref == NULL) {
        code = ct_usage_error(err, excuse_usage, "excuse",
                              "--db, --precinct, --contest, --reason and --decision are required");
        goto out;
    }
    if (by != NULL && !pr_is_id(by, strlen(by))) {
        code = ct_usage_error(err, excuse_usage, "--by", "not a level (an area id)");
        goto out;
    }
    if (strcmp(reason, "void") != 0 && strcmp(reason, "not-opened") != 0) {
        code = ct_usage_error(err, excuse_usage, "--reason", "must be void or not-opened");
        goto out;
    }
    if (!ct_decision_ref_ok(ref)) {
        code = ct_usage_error(err, excuse_usage, "--decision",
                              "1-64 letters, digits and . _ : / # + -, starting with a letter or digit");
        goto out;
    }
    if (ct_db_open(dbpath, 0, &db, &e) != 0 || check_pc(db, precinct, contest, &e) != 0 ||
        ct_db_begin(db, &e) != 0)
        goto fail;
    began = 1;
    if (find_excuse(db, precinct, contest, &found, had, sizeof had, &e) != 0)
        goto fail;
    if (found) {
        ct_err_set(&e, CT_EXIT_FAIL, precinct, "already excused for %s (%s)", contest, had);
        goto fail;
    }
    if (record_excuse(db, precinct, contest, reason, ref, by, &e) != 0 ||
        count_files(db, precinct, contest, &nfiles, &e) != 0 || ct_db_commit(db, &e) != 0)
        goto fail;
    began = 0;
    fprintf(out, "excused %s %s %s decision %s\n", precinct, contest, reason, ref);
    if (nfiles > 0)
        fprintf(out, "note: %lld stored return(s) of %s for %s are no longer counted\n", nfiles,
                precinct, contest);
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
