/*
 * enroll.c: `central enroll`: station keys from their enrolment requests,
 * all in one transaction. Each request must prove possession of its key,
 * name this election and definition and known precincts, and match the
 * key id written on the paper form when one is given (DESIGN 3).
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "common/fileio.h"
#include "ct.h"
#include "db.h"
#include "events.h"
#include "import.h"
#include "input.h"
#include "progress.h"
#include "vcache.h"
#include "proto/codec.h"
#include "proto/keys.h"

static const char enroll_usage[] =
    "usage: central enroll --db DB [--progress] [--expect-key-id ID]... REQUEST...\n"
    "       central enroll --db DB [--progress] -\n";
static const char enroll_help[] =
    "Enrols station keys from their enrolment requests, all in one transaction.\n"
    "--expect-key-id, when given, is given once per request, in order: the key id\n"
    "written on the paper form, which the request's key must have. Prints\n"
    "`enrolled KEYID PRECINCTS`, `already-enrolled KEYID PRECINCTS` or\n"
    "`refused FILE: WHY` per request; exit 1 if any was refused.\n"
    "-: requests back to back on standard input (named -:1, -:2, ...), enrolled in\n"
    "transactions of 1024 requests each, for bulk enrolment.\n"
    "On a terminal (or with --progress), standard error shows a progress line and\n"
    "a summary at the end.\n";

typedef enum { EN_ENROLLED, EN_ALREADY, EN_REFUSED, EN_UNREADABLE } en_kind;

typedef struct en_result {
    en_kind kind;
    char why[256];
    char key_id[PR_KEYID_HEX + 1];
    char precincts[PR_ENROL_PRECINCTS_MAX * (PR_ID_MAX + 1)]; /* space-separated */
} en_result;

/* Looks for the key among the enrolled ones: *id = 0 when absent, else its
 * row and its precinct list. */
static int find_key(ct_db *db, const uint8_t *pk, int64_t *id, char *precincts, size_t plen,
                    ct_err *e)
{
    static const char sql[] = "SELECT id, precincts FROM keys WHERE pk = ?1";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *id = 0;
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_blob(s, 1, pk, PR_PK_BYTES) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *id = (int64_t)sqlite3_column_int64(s, 0);
        ct_col_text(s, 1, precincts, plen);
    } else if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

static int insert_key(ct_db *db, const pr_enrolment *en, const uint8_t *req, size_t reqlen,
                      const en_result *res, ct_err *e)
{
    static const char sql_key[] =
        "INSERT INTO keys (key_id, pk, precincts, request, request_hash, seq)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    static const char sql_pc[] = "INSERT INTO key_precincts (key, precinct) VALUES (?1, ?2)";
    sqlite3_stmt *s = NULL;
    char *data = NULL;
    size_t dlen;
    ct_event ev;
    int64_t key;
    size_t i;
    int rc = -1;

    memset(&ev, 0, sizeof ev);
    dlen = strlen(res->precincts) + 64;
    data = malloc(dlen);
    if (data == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    snprintf(data, dlen, "key %s precincts %s", res->key_id, res->precincts);
    ev.kind = CT_EV_ENROL;
    ev.has_subject = 1;
    pr_hash(ev.subject, req, reqlen);
    ev.verdict = "enrolled";
    ev.codes = "";
    ev.data = data;
    if (ct_event_append(db, &ev, e) != 0 || ct_db_cached(db, sql_key, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, res->key_id) != SQLITE_OK ||
        ct_bind_blob(s, 2, en->pk, PR_PK_BYTES) != SQLITE_OK ||
        ct_bind_text(s, 3, res->precincts) != SQLITE_OK ||
        ct_bind_blob(s, 4, req, reqlen) != SQLITE_OK ||
        ct_bind_blob(s, 5, ev.subject, PR_HASH_BYTES) != SQLITE_OK ||
        ct_bind_i64(s, 6, ev.seq) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    key = (int64_t)sqlite3_last_insert_rowid(db->sql);
    ct_db_done(db, s);
    s = NULL;
    if (ct_db_cached(db, sql_pc, &s, e) != 0)
        goto out;
    for (i = 0; i < en->n_precincts; i++) {
        sqlite3_reset(s);
        if (ct_bind_i64(s, 1, key) != SQLITE_OK || ct_bind_text(s, 2, en->precincts[i]) != SQLITE_OK ||
            sqlite3_step(s) != SQLITE_DONE) {
            ct_db_error(db, e, NULL);
            goto out;
        }
    }
    rc = 0;
out:
    ct_db_done(db, s);
    free(data);
    return rc;
}

/* What the signature work found of a request (crypto_check), done for a
 * whole batch on every core before its transaction. */
typedef enum { CRYPTO_UNKNOWN = 0, CRYPTO_OK, CRYPTO_BAD_SIGNATURE } crypto;

typedef struct crypto_batch {
    uint8_t *const *bufs;
    const size_t *lens;
    crypto *out;
} crypto_batch;

/* The check of enrol_one that needs no database: the key (a valid point,
 * which the parse checks) signed the request (proof of possession).
 * Requests that do not parse stay CRYPTO_UNKNOWN: enrol_one says why. */
static void crypto_check(void *ctx, size_t i)
{
    crypto_batch *b = ctx;
    pr_enrolment *en;
    pr_diag d;

    b->out[i] = CRYPTO_UNKNOWN;
    if (b->bufs[i] == NULL || pr_is_secret_key_file(b->bufs[i], b->lens[i]) ||
        (en = malloc(sizeof *en)) == NULL)
        return;
    /* The parse has checked the key is a valid point. */
    if (pr_enrolment_parse(b->bufs[i], b->lens[i], en, &d) == 0)
        b->out[i] = pr_enrolment_verify_parsed(b->bufs[i], en) != 0 ? CRYPTO_BAD_SIGNATURE
                                                                     : CRYPTO_OK;
    free(en);
}

/* Judges one request and enrols it when good; pre is what crypto_check
 * found (CRYPTO_UNKNOWN: checked here). Returns 0 (res says what
 * happened), or -1 with e on a database error. */
static int enrol_one(ct_db *db, const uint8_t *req, size_t len, const char *expect, crypto pre,
                     en_result *res, ct_err *e)
{
    pr_enrolment *en = NULL;
    char stored[sizeof res->precincts];
    uint8_t kid[PR_KEYID_BYTES];
    size_t i, used = 0;
    int64_t existing;
    pr_diag d;
    int rc = -1;

    memset(&d, 0, sizeof d);
    en = malloc(sizeof *en);
    if (en == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    res->kind = EN_REFUSED;
    if (pr_is_secret_key_file(req, len)) {
        /* As import does (DESIGN 9): never stored, and said plainly. */
        snprintf(res->why, sizeof res->why,
                 "is a SECRET KEY file: not stored; treat this key as exposed");
        rc = 0;
        goto out;
    }
    /* A request crypto_check found signed was parsed whole there. */
    if ((pre != CRYPTO_UNKNOWN ? pr_enrolment_reparse(req, len, en, &d)
                               : pr_enrolment_parse(req, len, en, &d)) != 0) {
        snprintf(res->why, sizeof res->why, "malformed: line %u: %s", d.line, d.msg);
        rc = 0;
        goto out;
    }
    pr_key_id(kid, en->pk);
    ct_hex(res->key_id, kid, sizeof kid);
    for (i = 0; i < en->n_precincts; i++) {
        int k = snprintf(res->precincts + used, sizeof res->precincts - used, "%s%s",
                         i > 0 ? " " : "", en->precincts[i]);
        if (k > 0)
            used += (size_t)k;
    }
    /* The parse has checked the key is a valid point (else: malformed). */
    if (pre == CRYPTO_UNKNOWN)
        pre = pr_enrolment_verify_parsed(req, en) != 0 ? CRYPTO_BAD_SIGNATURE : CRYPTO_OK;
    if (pre == CRYPTO_BAD_SIGNATURE) {
        snprintf(res->why, sizeof res->why, "signature does not verify (no proof of possession)");
    } else if (strcmp(en->election, db->election) != 0) {
        snprintf(res->why, sizeof res->why, "election %s, this database is %s", en->election,
                 db->election);
    } else if (ct_db_version(db, en->definition) == NULL) {
        snprintf(res->why, sizeof res->why, "made for another definition");
    } else if (expect != NULL && strcmp(expect, res->key_id) != 0) {
        snprintf(res->why, sizeof res->why, "key id %s, the paper form says %s", res->key_id,
                 expect);
    } else {
        for (i = 0; i < en->n_precincts; i++) {
            if (cm_find_precinct(db->def, en->precincts[i]) == (size_t)-1) {
                snprintf(res->why, sizeof res->why, "unknown precinct %s", en->precincts[i]);
                break;
            }
        }
    }
    if (res->why[0] != '\0') {
        rc = 0;
        goto out;
    }
    if (find_key(db, en->pk, &existing, stored, sizeof stored, e) != 0)
        goto out;
    if (existing != 0) {
        /* The identity is the full key: the same key again is fine only
         * for the same precincts. */
        if (strcmp(stored, res->precincts) == 0)
            res->kind = EN_ALREADY;
        else
            snprintf(res->why, sizeof res->why, "key already enrolled for %.200s", stored);
        rc = 0;
        goto out;
    }
    if (insert_key(db, en, req, len, res, e) != 0)
        goto out;
    res->kind = EN_ENROLLED;
    rc = 0;
out:
    free(en);
    return rc;
}


struct ct_enroll_check {
    crypto_batch cb;
    ct_par_job *job;
    size_t n;
};

ct_enroll_check *ct_enroll_check_start(size_t n, uint8_t *const *bufs, const size_t *lens)
{
    ct_enroll_check *c = n ? calloc(1, sizeof *c) : NULL;

    if (c == NULL || (c->cb.out = calloc(n, sizeof *c->cb.out)) == NULL) {
        free(c);
        return NULL;
    }
    c->cb.bufs = bufs;
    c->cb.lens = lens;
    c->n = n;
    c->job = ct_parallel_start(n, crypto_check, &c->cb);
    if (c->job == NULL)
        ct_parallel_for(n, crypto_check, &c->cb);
    return c;
}

/* Waits for c's work; its findings (NULL for c NULL). */
static const crypto *check_wait(ct_enroll_check *c)
{
    if (c == NULL)
        return NULL;
    ct_parallel_join(c->job);
    c->job = NULL;
    return c->cb.out;
}

void ct_enroll_check_free(ct_enroll_check *c)
{
    if (c == NULL)
        return;
    ct_parallel_join(c->job);
    free(c->cb.out);
    free(c);
}

/* One batch of requests, in one transaction: names[i] (for messages),
 * bufs[i]/lens[i] (NULL when unreadable, res[i] then already says why),
 * expect[i] or NULL. Enrols, commits, then prints one line per request and
 * re-decides the returns the new keys may concern. Returns 0 (*code raised
 * for refusals) or -1 with e. */
static int enrol_batch(ct_db *db, size_t n, const char *const *names, uint8_t *const *bufs,
                       const size_t *lens, char (*expect)[PR_KEYID_HEX + 1], ct_enroll_check *check,
                       en_result *res, const ct_import_opts *io, FILE *out, int *code, ct_err *e)
{
    char esc[4096];
    /* Signature work first, on every core, outside the write lock (issue
     * 8), unless the caller started it (check); out of memory here only
     * means enrol_one does it. */
    ct_enroll_check *own = check == NULL ? ct_enroll_check_start(n, bufs, lens) : NULL;
    const crypto *pre = check_wait(check != NULL ? check : own);
    size_t i;
    int began = 0, rc = -1;

    if (ct_db_begin(db, e) != 0)
        goto out;
    began = 1;
    for (i = 0; i < n; i++) {
        if (bufs[i] == NULL)
            continue;
        if (enrol_one(db, bufs[i], lens[i], expect != NULL ? expect[i] : NULL,
                      pre != NULL ? pre[i] : CRYPTO_UNKNOWN, &res[i], e) != 0)
            goto out;
    }
    if (ct_db_commit(db, e) != 0)
        goto out;
    began = 0;
    /* Printed after the commit: an `enrolled` line is a stored key. */
    for (i = 0; i < n; i++) {
        en_result *r = &res[i];
        char *p;
        if (r->kind == EN_ENROLLED || r->kind == EN_ALREADY) {
            for (p = r->precincts; *p != '\0'; p++)
                if (*p == ' ')
                    *p = ',';
            fprintf(out, "%s %s %s\n", r->kind == EN_ENROLLED ? "enrolled" : "already-enrolled",
                    r->key_id, r->precincts);
            ct_progress_item(io->progress, r->kind == EN_ENROLLED ? "enrolled" : "already-enrolled");
        } else {
            char why[sizeof r->why * 4];
            /* The reason may quote the request's bytes (a parser message). */
            ct_display(r->why, why, sizeof why);
            fprintf(out, "refused %s: %s\n", cm_escape(names[i], esc, sizeof esc), why);
            ct_progress_item(io->progress, "refused");
            *code = ct_exit_max(*code, r->kind == EN_UNREADABLE ? CT_EXIT_IO : CT_EXIT_FAIL);
        }
    }
    fflush(out);
    /* DESIGN 7: key-state rejections are decided again after every
     * enrolment. */
    for (i = 0; i < n; i++)
        if (res[i].kind == EN_ENROLLED && ct_redecide(db, NULL, res[i].key_id, io, out, e) != 0)
            goto out;
    rc = 0;
out:
    if (began)
        ct_db_rollback(db);
    ct_enroll_check_free(own);
    return rc;
}

int ct_enroll_requests(ct_db *db, size_t n, const char *const *names, uint8_t *const *bufs,
                       const size_t *lens, ct_enroll_check *pre, FILE *out, int *code, ct_err *e)
{
    en_result *res = calloc(n ? n : 1, sizeof *res);
    ct_import_opts io;
    int rc;

    memset(&io, 0, sizeof io);
    if (res == NULL) {
        ct_err_set(e, CT_EXIT_IO, "enroll", "out of memory");
        return -1;
    }
    /* Only a check of exactly these requests stands for them. */
    if (pre != NULL && (pre->n != n || pre->cb.bufs != bufs || pre->cb.lens != lens))
        pre = NULL;
    rc = enrol_batch(db, n, names, bufs, lens, NULL, pre, res, &io, out, code, e);
    free(res);
    return rc;
}

/* Requests per transaction when they come as a stream (`-`): the memory
 * of a batch is bounded, and a crash loses at most the batch being
 * written (a rerun reports the rest `already-enrolled`). */
#define ENROL_BATCH 1024u

/* A batch of the request stream: its inputs and their signature work
 * (done in the background). */
typedef struct en_batch {
    ct_input in[ENROL_BATCH];
    const char *names[ENROL_BATCH];
    uint8_t *bufs[ENROL_BATCH];
    size_t lens[ENROL_BATCH];
    en_result res[ENROL_BATCH];
    ct_enroll_check *check;
    size_t n;
} en_batch;

static void en_batch_clear(en_batch *b)
{
    ct_enroll_check_free(b->check);
    b->check = NULL;
    for (size_t i = 0; i < b->n; i++)
        ct_input_free(&b->in[i]);
    b->n = 0;
}

/* While *more, reads up to ENROL_BATCH requests into b (b->n of them),
 * stopping early when b holds some and the stream has nothing more to
 * read now (a slow producer's requests are enrolled without waiting for
 * more, as import does). *more becomes 0 at the stream's end, and on a
 * read error, which goes to rerr (rerr->code set). */
static void en_batch_read(ct_stream *st, en_batch *b, int *more, ct_err *rerr)
{
    int k = *more;

    while (k == 1 && b->n < ENROL_BATCH && !(b->n > 0 && ct_stream_waits(st)) &&
           (k = ct_stream_next(st, &b->in[b->n], rerr)) == 1) {
        size_t n = b->n++;
        b->names[n] = b->in[n].name;
        b->lens[n] = b->in[n].len;
        b->bufs[n] = b->in[n].bytes;
        /* Not a memset: a result is 17 KiB, mostly room for precinct ids,
         * and touching it all made two batches cost 34 MiB. */
        b->res[n].kind = EN_REFUSED;
        b->res[n].why[0] = b->res[n].key_id[0] = b->res[n].precincts[0] = '\0';
        if (ct_input_oversize(&b->in[n])) {
            snprintf(b->res[n].why, sizeof b->res[n].why, "larger than 64 KiB");
            b->bufs[n] = NULL;
        }
    }
    *more = k == 1;
}

/* `central enroll -`: requests back to back on standard input, split like
 * the return stream (input.h), enrolled in batches of up to ENROL_BATCH.
 * While a batch is written, the signatures of the next are checked on the
 * other threads (issue 8; as import does): the next batch is read first,
 * unless the stream has nothing to read now. A read error still lets the
 * batch already read be enrolled and printed before the command fails. */
static int enrol_stream(ct_db *db, const ct_import_opts *io, FILE *out, int *code, ct_err *e)
{
    ct_stream *st = ct_stream_new_for(stdin, "station-enrolment ");
    en_batch *b = calloc(2, sizeof *b);
    size_t cur = 0;
    int rc = -1, more = 1;
    ct_err rerr;

    memset(&rerr, 0, sizeof rerr);
    if (st == NULL || b == NULL) {
        ct_err_set(e, CT_EXIT_IO, "-", "out of memory");
        goto out;
    }
    for (;;) {
        en_batch *now = &b[cur], *nx = &b[1 - cur];
        if (now->n == 0) {
            en_batch_read(st, now, &more, &rerr);
            if (now->n == 0)
                break;
            now->check = ct_enroll_check_start(now->n, now->bufs, now->lens);
        }
        if (!ct_stream_waits(st))
            en_batch_read(st, nx, &more, &rerr);
        /* This batch's checks first, so the next one's have the cores. */
        (void)check_wait(now->check);
        nx->check = ct_enroll_check_start(nx->n, nx->bufs, nx->lens);
        ct_progress_input(io->progress, stdin);
        if (enrol_batch(db, now->n, now->names, now->bufs, now->lens, NULL, now->check, now->res,
                        io, out, code, e) != 0)
            goto out;
        en_batch_clear(now);
        cur = 1 - cur;
    }
    rc = 0;
out:
    if (rerr.code != 0 && rc == 0) {
        *e = rerr;
        rc = -1;
    }
    if (b != NULL) {
        en_batch_clear(&b[0]);
        en_batch_clear(&b[1]);
    }
    ct_stream_free(st);
    free(b);
    return rc;
}

int ct_cmd_enroll(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},   {"expect-key-id", 1}, {"help", 0},
                                         {"progress", 0}, {NULL, 0}};
    const char *dbpath = NULL, *v;
    const char **files = NULL;
    char (*expect)[PR_KEYID_HEX + 1] = NULL;
    uint8_t **bufs = NULL;
    size_t *lens = NULL, nfiles = 0, nexpect = 0, i;
    en_result *res = NULL;
    ct_import_opts io;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    pr_diag d;
    ct_progress pg;
    int opt, k, code = CT_EXIT_OK, stdin_seen = 0, progress = 0;

    memset(&e, 0, sizeof e);
    memset(&io, 0, sizeof io);
    memset(&pg, 0, sizeof pg);
    files = calloc((size_t)argc + 1, sizeof *files);
    expect = calloc((size_t)argc + 1, sizeof *expect);
    if (files == NULL || expect == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "enroll", "out of memory");
        goto fail;
    }
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, enroll_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            if (strcmp(v, "-") == 0)
                stdin_seen = 1;
            files[nfiles++] = v;
        } else if (opt == 0) {
            dbpath = v;
        } else if (opt == 1) {
            if (ct_key_id_norm(v, expect[nexpect]) != 0) {
                code = ct_usage_error(err, enroll_usage, v, "a key id is 16 hex digits");
                goto out;
            }
            nexpect++;
        } else if (opt == 3) {
            progress = 1;
        } else {
            fputs(enroll_usage, out);
            fputs(enroll_help, out);
            goto out;
        }
    }
    if (dbpath == NULL || nfiles == 0) {
        code = ct_usage_error(err, enroll_usage, "enroll", "--db DB and at least one REQUEST are required");
        goto out;
    }
    if (stdin_seen && (nfiles != 1 || nexpect != 0)) {
        code = ct_usage_error(err, enroll_usage, "-",
                              "standard input is read alone, without --expect-key-id");
        goto out;
    }
    if (nexpect != 0 && nexpect != nfiles) {
        code = ct_usage_error(err, enroll_usage, "--expect-key-id",
                              "give it once per request, in order, or not at all");
        goto out;
    }
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "enroll", "libsodium failed to initialise");
        goto fail;
    }
    /* First finish any re-decisions a killed run left undone. */
    if (ct_db_open(dbpath, 0, &db, &e) != 0 || ct_redecide_pending(db, &io, out, &e) != 0)
        goto fail;
    ct_progress_begin(&pg, err, progress, "enroll", "requests", stdin_seen ? 0 : nfiles);
    io.progress = &pg;
    if (stdin_seen) {
        if (enrol_stream(db, &io, out, &code, &e) != 0)
            goto fail;
        goto out;
    }
    bufs = calloc(nfiles, sizeof *bufs);
    lens = calloc(nfiles, sizeof *lens);
    res = calloc(nfiles, sizeof *res);
    if (bufs == NULL || lens == NULL || res == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "enroll", "out of memory");
        goto fail;
    }
    /* Read everything before the transaction: no file I/O while holding
     * the write lock. */
    for (i = 0; i < nfiles; i++) {
        memset(&d, 0, sizeof d);
        k = cm_read_file(files[i], PR_FILE_MAX, 1, &bufs[i], &lens[i], NULL, &d);
        if (k != 0) {
            res[i].kind = k == -2 ? EN_REFUSED : EN_UNREADABLE;
            snprintf(res[i].why, sizeof res[i].why, "%s",
                     k == -2 ? "larger than 64 KiB" : k == -3 ? "not a regular file" : d.msg);
            free(bufs[i]);
            bufs[i] = NULL;
        }
    }
    if (enrol_batch(db, nfiles, files, bufs, lens, nexpect ? expect : NULL, NULL, res, &io, out, &code,
                    &e) != 0)
        goto fail;
    goto out;
fail:
    ct_progress_end(&pg);
    ct_err_print(&e, err);
    code = ct_exit_max(code, e.code ? e.code : CT_EXIT_IO);
out:
    ct_progress_end(&pg);
    if (bufs != NULL)
        for (i = 0; i < nfiles; i++)
            free(bufs[i]);
    free(bufs);
    free(lens);
    free(res);
    free(files);
    free(expect);
    ct_db_close(db);
    return code;
}
