/*
 * audit.c: `central audit`: trusts nothing in the database. It recomputes
 * the hash chain, replays the event log from event 1 into a fresh database
 * by running the real commands (so every verdict, signature and status is
 * derived again by the same code), then compares every row of every table
 * and the schema with what is stored, and the head with the checkpoints.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "audit.h"
#include "bundle.h"
#include "checkpoint.h"
#include "commands.h"
#include "ct.h"
#include "db.h"
#include "events.h"
#include "evidence.h"
#include "freeze.h"
#include "import.h"
#include "progress.h"
#include "proto/codec.h"
#include "proto/keys.h"
#include "report.h"
#include "running.h"
#include "vcache.h"

static const char audit_usage[] =
    "usage: central audit --db DB [--checkpoints DIR] [--commission-pub PUB] [--progress]\n"
    "       central audit --bundle DIR --commission-pub PUB [--checkpoints DIR]\n";
static const char audit_help[] =
    "Replays the event log of DB from event 1 into a fresh database, re-deriving\n"
    "every verdict, signature check and status with the import code, recomputes\n"
    "the hash chain, and compares every row of every table with what DB holds.\n"
    "--checkpoints DIR: every checkpoint-<seq>.txt in DIR must verify with the\n"
    "commission key of --commission-pub (never the database's) and name an event\n"
    "of the chain with its hash and counts. Prints one line per difference and\n"
    "exits 1 when there is any, 0 when all agree.\n"
    "--bundle DIR: checks a bundle written by `central export --bundle` with no\n"
    "database: replays its events over its files into a fresh database, compares\n"
    "every event, and checks its checkpoints (DIR/checkpoints, or --checkpoints),\n"
    "receipts and signed tally with PUB (docs/BUNDLE.md).\n"
    "On a terminal (or with --progress), standard error shows the replay's progress\n"
    "(events replayed of all, per second, time left) and a summary.\n";

/* One stored event, as read (the replay's input). Its text columns live
 * in one allocation, mem ("kind\0verdict\0codes\0data\0"), so an event
 * costs its text and about 100 bytes (issue 8: fixed arrays made it 670
 * bytes, 1.3 GB for 2,000,000 events). */
typedef struct aev {
    int64_t seq;
    int64_t time;
    char *kind, *verdict, *codes, *data;  /* in mem */
    int has_subject;
    uint8_t subject[PR_HASH_BYTES];
    char *mem;
} aev;

typedef struct audit {
    FILE *out;
    long diffs;
    sqlite3 *st;            /* the stored database, read only */
    sqlite3 *peek;          /* the replay, read only: its head for the clock */
    aev *ev;
    size_t n_ev;
    char dir[512];          /* temporary folder of the replay */
    char rpath[600];        /* the replay database */
    FILE *null;
    int events_only;        /* a bundle (audit.h): compare the events table only */
    ct_db *rdb;             /* the replay, open across imports and re-decisions */
    size_t pre_until;       /* events before this index are in the vcache */
    size_t n_pre[2];
    ct_input pre[2][256];   /* inputs of the run in the vcache (pre[cur]) and
                             * of the next one (pre[!cur]), alive while the
                             * vcache or the job points in */
    int cur;
    ct_vjob *job;           /* the next run's signatures, being verified */
    size_t next_from, next_until; /* its events */
    int in_tx;              /* a write transaction on rdb holds the imports
                             * replayed since the last other event */
    sqlite3_stmt *q_head;   /* on peek: the replay's head (replay_clock) */
    sqlite3_stmt *q_file;   /* on st: a file by hash (replay_import) */
    struct enrol_group *ahead; /* the next group of enrolments, its
                                * signatures being checked */
} audit;

/* The statement of sql on db kept in *slot: prepared on first use, reset
 * for every later one (issue 8: audit prepared the same SQL once per
 * event). NULL when it does not prepare. Finalized at the end of the run. */
static sqlite3_stmt *kept(sqlite3 *db, sqlite3_stmt **slot, const char *sql)
{
    if (*slot == NULL && sqlite3_prepare_v2(db, sql, -1, slot, NULL) != SQLITE_OK) {
        sqlite3_finalize(*slot);
        *slot = NULL;
    }
    if (*slot != NULL) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
    }
    return *slot;
}

static void differ(audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void group_free(struct enrol_group *g);
static void commit_imports(audit *a);
static void free_run(audit *a, int k);

static void differ(audit *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("difference: ", a->out);
    vfprintf(a->out, fmt, ap);
    fputc('\n', a->out);
    va_end(ap);
    a->diffs++;
}

/* The clock of the replay: the recorded time of the event about to be
 * appended (the replay's head + 1), so decisions that read the clock
 * (signed-in-future) and event times come out as they were. */
static int64_t replay_clock(void *ctx)
{
    static const char sql_head[] = "SELECT coalesce(max(seq), 0) FROM events";
    audit *a = ctx;
    sqlite3_stmt *s = NULL;
    int64_t head = 0, t = 0;
    size_t i;
    ct_err e;

    /* The replay handle when it is open: it sees the events of its own
     * transaction, which another connection would not. */
    if (a->rdb != NULL) {
        if (ct_db_cached(a->rdb, sql_head, &s, &e) == 0 && sqlite3_step(s) == SQLITE_ROW)
            head = (int64_t)sqlite3_column_int64(s, 0);
        ct_db_done(a->rdb, s);
        s = NULL;
    } else if (a->peek != NULL && (s = kept(a->peek, &a->q_head, sql_head)) != NULL &&
               sqlite3_step(s) == SQLITE_ROW) {
        head = (int64_t)sqlite3_column_int64(s, 0);
    }
    if (s != NULL)
        sqlite3_reset(s);
    /* The first stored event of seq >= head + 1 (events are in seq order),
     * else the last one. */
    {
        size_t lo = 0, hi = a->n_ev;

        while (lo < hi) {
            i = lo + (hi - lo) / 2;
            if (a->ev[i].seq >= head + 1)
                hi = i;
            else
                lo = i + 1;
        }
        i = lo < a->n_ev ? lo : a->n_ev - 1;
        t = a->n_ev > 0 ? a->ev[i].time : 0;
    }
    return t;
}

static void free_events(audit *a)
{
    size_t i;

    for (i = 0; i < a->n_ev; i++)
        free(a->ev[i].mem);
    free(a->ev);
    a->ev = NULL;
    a->n_ev = 0;
}

/* x's kind, verdict, codes and data from columns 1, 4, 5 and 6 of s (a
 * NULL as ""), copied into x->mem. 0, or -1 out of memory. */
static int texts_load(sqlite3_stmt *s, aev *x)
{
    static const int cols[4] = {1, 4, 5, 6};
    char **dst[4] = {&x->kind, &x->verdict, &x->codes, &x->data};
    size_t len[4], total = 0, at = 0;

    for (int k = 0; k < 4; k++) {
        (void)sqlite3_column_text(s, cols[k]); /* a blob is read as text too */
        len[k] = (size_t)sqlite3_column_bytes(s, cols[k]);
        total += len[k] + 1;
    }
    if ((x->mem = malloc(total)) == NULL)
        return -1;
    for (int k = 0; k < 4; k++) {
        const unsigned char *v = sqlite3_column_text(s, cols[k]);

        if (len[k] > 0 && v != NULL)
            memcpy(x->mem + at, v, len[k]);
        x->mem[at + len[k]] = '\0';
        *dst[k] = x->mem + at;
        at += len[k] + 1;
    }
    return 0;
}

static int load_events(audit *a, ct_err *e)
{
    static const char sql[] =
        "SELECT seq, kind, time, subject, verdict, codes, data FROM events ORDER BY seq";
    sqlite3_stmt *s = NULL;
    aev *x, *grown;
    char t[64];
    size_t cap = 0;
    int rc = -1, step;

    if (sqlite3_prepare_v2(a->st, sql, -1, &s, NULL) != SQLITE_OK) {
        ct_err_set(e, CT_EXIT_IO, "events", "database: %s", sqlite3_errmsg(a->st));
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (a->n_ev == cap) {
            cap = cap ? 2 * cap : 256;
            grown = realloc(a->ev, cap * sizeof *grown);
            if (grown == NULL) {
                ct_err_set(e, CT_EXIT_IO, "events", "out of memory");
                goto out;
            }
            a->ev = grown;
        }
        x = &a->ev[a->n_ev];
        memset(x, 0, sizeof *x);
        x->seq = (int64_t)sqlite3_column_int64(s, 0);
        ct_col_text(s, 2, t, sizeof t);
        if (pr_parse_time(t, strlen(t), &x->time) != 0)
            x->time = 0;
        x->has_subject = ct_col_blob(s, 3, x->subject, PR_HASH_BYTES) == 0;
        if (texts_load(s, x) != 0) {
            ct_err_set(e, CT_EXIT_IO, "events", "out of memory");
            goto out;
        }
        a->n_ev++;
    }
    if (step != SQLITE_DONE) {
        ct_err_set(e, CT_EXIT_IO, "events", "database: %s", sqlite3_errmsg(a->st));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Writes n bytes to DIR/name; the path into path. 0, or -1. */
static int put(audit *a, const char *name, const void *p, size_t n, char *path, size_t plen)
{
    FILE *f;
    int rc = -1;

    snprintf(path, plen, "%s/%s", a->dir, name);
    f = fopen(path, "wb");
    if (f != NULL && fwrite(p, 1, n, f) == n)
        rc = 0;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    return rc;
}

/* One blob from the stored database by a hash column: sql takes ?1 = hash
 * and returns the blob in column 0 (and optionally column 1). Writes the
 * columns to DIR/name and DIR/name.sig. 1 written, 0 not found, -1 error. */
static int put_blob(audit *a, const char *sql, const uint8_t *hash, const char *name, char *path,
                    size_t plen)
{
    sqlite3_stmt *s = NULL;
    char sigpath[700], signame[128];
    int rc = -1;

    if (sqlite3_prepare_v2(a->st, sql, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_bind_blob(s, 1, hash, PR_HASH_BYTES, SQLITE_STATIC) != SQLITE_OK)
        goto out;
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = 0;
        goto out;
    }
    if (put(a, name, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), path, plen) != 0)
        goto out;
    if (sqlite3_column_count(s) > 1) {
        snprintf(signame, sizeof signame, "%s.sig", name);
        if (put(a, signame, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), sigpath,
                sizeof sigpath) != 0)
            goto out;
    }
    rc = 1;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Runs a command on the replay with its output discarded; a failure to
 * run (usage or database) is a difference naming the event. */
static void run(audit *a, const aev *x, int argc, char **argv)
{
    char *msg = NULL, *nl;
    size_t len = 0;
    FILE *err = open_memstream(&msg, &len);
    FILE *e2 = err != NULL ? err : a->null;
    int rc;

    rc = argv[0][0] == 'e'   ? (argv[0][1] == 'n' ? ct_cmd_enroll : ct_cmd_excuse)(argc, argv, a->null, e2)
         : argv[0][0] == 'i' ? ct_cmd_init(argc, argv, a->null, e2)
         : argv[0][0] == 'c' ? ct_cmd_certify(argc, argv, a->null, e2)
         : argv[0][0] == 'r' ? (argv[0][2] == 'v' ? ct_cmd_revoke : ct_cmd_resolve)(argc, argv, a->null, e2)
                             : ct_cmd_amend_definition(argc, argv, a->null, e2);
    if (err != NULL)
        fclose(err);
    /* Each command below made its event only when it succeeded. */
    if (rc != CT_EXIT_OK) {
        if (msg != NULL && (nl = strchr(msg, '\n')) != NULL)
            *nl = '\0';
        differ(a, "event %lld (%s): cannot be replayed: %s", (long long)x->seq, x->kind,
               msg != NULL ? msg : "");
    }
    free(msg);
}

/* Words of an event's data: "key K decision REF", "precinct P contest C
 * decision REF". The reference is the rest of the line. */
static const char *word_after(const char *data, const char *name, char *out, size_t outlen, int rest)
{
    size_t n = strlen(name), i = 0;
    const char *p = data;

    out[0] = '\0';
    while (p != NULL && *p != '\0') {
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            p += n + 1;
            while (p[i] != '\0' && (rest || p[i] != ' ') && i + 1 < outlen) {
                out[i] = p[i];
                i++;
            }
            out[i] = '\0';
            break;
        }
        p = strchr(p, ' ');
        if (p != NULL)
            p++;
    }
    return out;
}

/* A redecide event: the file it names is decided again on the replay, as
 * re-deciding does (import.c), whatever made the commission's central do
 * it (an import, an enrolment, a run finishing what a killed one left).
 * Its verdict must come out as recorded; the events comparison says so. */
static void replay_redecide(audit *a, aev *x)
{
    char hex[PR_HASH_HEX + 1];
    ct_err e;
    int changed = 0;

    memset(&e, 0, sizeof e);
    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    commit_imports(a);
    if (a->rdb == NULL && ct_db_open(a->rpath, 0, &a->rdb, &e) != 0) {
        a->rdb = NULL;
        differ(a, "event %lld (redecide): cannot be replayed: %s: %s", (long long)x->seq, e.what,
               e.why);
    } else if (ct_redecide_file(a->rdb, x->subject, &changed, &e) != 0) {
        differ(a, "event %lld (redecide): cannot be replayed: %s: %s", (long long)x->seq, e.what,
               e.why);
    } else if (!changed) {
        differ(a, "event %lld (redecide): file %s: nothing to decide again on the replay",
               (long long)x->seq, hex);
    }
}

static void replay_import(audit *a, aev *x)
{
    static const char sql[] =
        "SELECT bytes, name, size, coalesce(precinct, '-'), coalesce(contest, '-') FROM files"
        " WHERE hash = ?1";
    sqlite3_stmt *s = NULL;
    ct_db *db = NULL;
    ct_input in;
    ct_item_result res;
    ct_err e;
    char hex[PR_HASH_HEX + 1], p[PR_ID_MAX + 1], c[PR_ID_MAX + 1];
    size_t n;

    memset(&in, 0, sizeof in);
    memset(&e, 0, sizeof e);
    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    if ((s = kept(a->st, &a->q_file, sql)) == NULL ||
        sqlite3_bind_blob(s, 1, x->subject, PR_HASH_BYTES, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        differ(a, "event %lld (import): file %s is not in the database", (long long)x->seq, hex);
        goto out;
    }
    ct_col_text(s, 3, p, sizeof p);
    ct_col_text(s, 4, c, sizeof c);
    n = (size_t)sqlite3_column_bytes(s, 0);
    in.len = n;
    in.size = (uint64_t)sqlite3_column_int64(s, 2);
    in.bytes = malloc(n + 1);
    in.name = malloc((size_t)sqlite3_column_bytes(s, 1) + 1);
    if (in.bytes == NULL || in.name == NULL)
        goto out;
    if (n > 0)
        memcpy(in.bytes, sqlite3_column_blob(s, 0), n);
    in.bytes[n] = 0;
    memcpy(in.name, sqlite3_column_blob(s, 1) != NULL ? sqlite3_column_blob(s, 1) : "",
           (size_t)sqlite3_column_bytes(s, 1));
    in.name[sqlite3_column_bytes(s, 1)] = '\0';
    memcpy(in.hash, x->subject, PR_HASH_BYTES);
    if (!ct_input_oversize(&in)) {
        /* The bytes are the truth: a file whose bytes were edited is
         * replayed as the bytes now are, and named here. */
        pr_hash(in.hash, in.bytes, in.len);
        if (in.size != in.len || memcmp(in.hash, x->subject, PR_HASH_BYTES) != 0)
            differ(a, "event %lld (import): file %s (precinct %s contest %s): stored bytes do not "
                      "hash to it",
                   (long long)x->seq, hex, p, c);
        in.size = in.len;
    }
    if (a->rdb == NULL && ct_db_open(a->rpath, 0, &a->rdb, &e) != 0)
        a->rdb = NULL;
    db = a->rdb;
    if (db != NULL && !a->in_tx && ct_db_begin(db, &e) == 0)
        a->in_tx = 1;
    if (db == NULL || !a->in_tx || ct_import_item_in_tx(db, &in, &res, &e) != 0) {
        differ(a, "event %lld (import): cannot be replayed: %s: %s", (long long)x->seq, e.what, e.why);
        if (a->in_tx)
            ct_db_rollback(db);
        a->in_tx = 0;
    }
out:
    ct_input_free(&in);
    if (s != NULL)
        sqlite3_reset(s);
}

/* Commits the imports replayed since the last other event (issue 8: one
 * transaction per run of imports, as `central import` writes batches). */
static void commit_imports(audit *a)
{
    ct_err e;

    memset(&e, 0, sizeof e);
    if (a->in_tx && a->rdb != NULL && ct_db_commit(a->rdb, &e) != 0) {
        ct_db_rollback(a->rdb);
        differ(a, "the replay's imports cannot be committed: %s: %s", e.what, e.why);
    }
    a->in_tx = 0;
}

/* Forgets the signatures checked ahead and closes the replay handle: before
 * any other command opens the replay database itself. */
static void close_replay(audit *a)
{
    size_t i;

    commit_imports(a);
    if (a->rdb != NULL) {
        ct_vcache_clear(a->rdb);
        ct_db_close(a->rdb);
        a->rdb = NULL;
    }
    ct_vcache_abandon(a->job);
    a->job = NULL;
    group_free(a->ahead);
    a->ahead = NULL;
    for (i = 0; i < 2; i++)
        free_run(a, (int)i);
    a->pre_until = 0;
}

/* Forgets the inputs of run slot k. */
static void free_run(audit *a, int k)
{
    for (size_t i = 0; i < a->n_pre[k]; i++)
        ct_input_free(&a->pre[k][i]);
    a->n_pre[k] = 0;
}

/* Reads the stored bytes of the run of import events from event i on (up to
 * 256, none past another kind of event, so the keys cannot change
 * meanwhile) into slot k. Returns the index of the event after the run. */
static size_t load_run(audit *a, size_t i, int k)
{
    static const char sql[] = "SELECT bytes, size FROM files WHERE hash = ?1";
    sqlite3_stmt *s = NULL;
    size_t j;

    free_run(a, k);
    if (sqlite3_prepare_v2(a->st, sql, -1, &s, NULL) != SQLITE_OK)
        return i;
    for (j = i; j < a->n_ev && a->n_pre[k] < sizeof a->pre[k] / sizeof a->pre[k][0]; j++) {
        ct_input *in = &a->pre[k][a->n_pre[k]];
        int n;

        if (strcmp(a->ev[j].kind, CT_EV_REDECIDE) == 0)
            continue;
        if (strcmp(a->ev[j].kind, CT_EV_IMPORT) != 0)
            break;
        sqlite3_reset(s);
        if (sqlite3_bind_blob(s, 1, a->ev[j].subject, PR_HASH_BYTES, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_step(s) != SQLITE_ROW)
            continue;
        n = sqlite3_column_bytes(s, 0);
        memset(in, 0, sizeof *in);
        in->bytes = malloc((size_t)n + 1);
        if (in->bytes == NULL)
            break;
        if (n > 0)
            memcpy(in->bytes, sqlite3_column_blob(s, 0), (size_t)n);
        in->bytes[n] = 0;
        in->len = (size_t)n;
        in->size = (uint64_t)sqlite3_column_int64(s, 1);
        /* What the event names (the replay checks the bytes hash to it). */
        memcpy(in->hash, a->ev[j].subject, PR_HASH_BYTES);
        a->n_pre[k]++;
    }
    sqlite3_finalize(s);
    return j;
}

/* Before replaying import event i: the signatures of the run of import
 * events from i on are verified on every core (vcache.h), as `central
 * import` does for a batch; and the next run's are started in the
 * background when it follows at once, so they are checked while this run
 * is replayed. A failure only costs time. */
static void verify_ahead(audit *a, size_t i)
{
    ct_err e;

    if (i < a->pre_until)
        return;
    memset(&e, 0, sizeof e);
    if (a->rdb == NULL && ct_db_open(a->rpath, 0, &a->rdb, &e) != 0) {
        a->rdb = NULL;
        return;
    }
    /* The cache points into the current run's inputs: forget it first. */
    ct_vcache_clear(a->rdb);
    free_run(a, a->cur);
    if (a->job != NULL && a->next_from == i) {
        /* Started one run ago: its inputs are in the other slot. */
        a->cur = !a->cur;
        ct_vcache_finish(a->rdb, a->job);
        a->job = NULL;
        a->pre_until = a->next_until;
    } else {
        ct_vcache_abandon(a->job);
        a->job = NULL;
        free_run(a, !a->cur);
        a->pre_until = load_run(a, i, a->cur);
        if (ct_vcache_fill(a->rdb, a->pre[a->cur], a->n_pre[a->cur], &e) != 0)
            ct_vcache_clear(a->rdb);
    }
    if (a->pre_until < a->n_ev && strcmp(a->ev[a->pre_until].kind, CT_EV_IMPORT) == 0) {
        a->next_from = a->pre_until;
        a->next_until = load_run(a, a->next_from, !a->cur);
        if (ct_vcache_start(a->rdb, a->pre[!a->cur], a->n_pre[!a->cur], &a->job, &e) != 0)
            a->job = NULL;
    }
}

/* An `evidence` event: the scan's stored bytes, found by the event's
 * subject, stored again on the replay by the same code. Bytes edited in
 * the database no longer hash to the subject, and the replay does not
 * store them as the event says. */
static void replay_evidence(audit *a, aev *x)
{
    static const char sql[] = "SELECT bytes, name FROM evidence WHERE hash = ?1";
    static const char *const kinds[] = {"stored", "a duplicate", "named by no signed return",
                                        "empty", "too large"};
    sqlite3_stmt *s = NULL;
    ct_db *db = NULL;
    ct_scan_result res;
    ct_err e;
    char hex[PR_HASH_HEX + 1], *name = NULL;
    uint8_t h[PR_HASH_BYTES];
    const uint8_t *bytes;
    size_t n, nn;

    memset(&e, 0, sizeof e);
    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    if (sqlite3_prepare_v2(a->st, sql, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_bind_blob(s, 1, x->subject, PR_HASH_BYTES, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        differ(a, "event %lld (evidence): scan %s is not in the database", (long long)x->seq, hex);
        goto out;
    }
    bytes = sqlite3_column_blob(s, 0);
    n = (size_t)sqlite3_column_bytes(s, 0);
    nn = (size_t)sqlite3_column_bytes(s, 1);
    name = malloc(nn + 1);
    if (name == NULL)
        goto out;
    if (nn > 0)
        memcpy(name, sqlite3_column_blob(s, 1), nn);
    name[nn] = '\0';
    if (bytes == NULL)
        bytes = (const uint8_t *)"";
    pr_hash(h, bytes, n);
    if (memcmp(h, x->subject, PR_HASH_BYTES) != 0)
        differ(a, "event %lld (evidence): scan %s: stored bytes do not hash to it", (long long)x->seq,
               hex);
    if (ct_db_open(a->rpath, 0, &db, &e) != 0 || ct_evidence_import_item(db, name, bytes, n, &res, &e) != 0)
        differ(a, "event %lld (evidence): cannot be replayed: %s: %s", (long long)x->seq, e.what, e.why);
    else if (res.kind != CT_SCAN_STORED)
        differ(a, "event %lld (evidence): scan %s is not stored on replay: %s", (long long)x->seq, hex,
               kinds[res.kind]);
out:
    ct_db_close(db);
    free(name);
    sqlite3_finalize(s);
}

/* A `freeze` event (issue 5): the signed key list as stored, found by the
 * event's subject, recorded again on the replay by the same code, which
 * verifies its signature with the commission key the audit was given (the
 * replay's) and requires it to list exactly the replay's keys at its head.
 * A list edited in the database no longer hashes to the subject or
 * verifies. */
static void replay_freeze(audit *a, aev *x)
{
    static const char sql[] = "SELECT keylist FROM freezes WHERE keylist_hash = ?1";
    sqlite3_stmt *s = NULL;
    ct_db *db = NULL;
    ct_err e;
    char hex[PR_HASH_HEX + 1];
    uint8_t h[PR_HASH_BYTES];
    const uint8_t *bytes;
    size_t n;

    memset(&e, 0, sizeof e);
    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    if (sqlite3_prepare_v2(a->st, sql, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_bind_blob(s, 1, x->subject, PR_HASH_BYTES, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        differ(a, "event %lld (freeze): key list %s is not in the database", (long long)x->seq, hex);
        goto out;
    }
    bytes = sqlite3_column_blob(s, 0);
    n = (size_t)sqlite3_column_bytes(s, 0);
    pr_hash(h, bytes != NULL ? bytes : (const uint8_t *)"", n);
    if (memcmp(h, x->subject, PR_HASH_BYTES) != 0)
        differ(a, "event %lld (freeze): stored key list does not hash to %s", (long long)x->seq, hex);
    if (ct_db_open(a->rpath, 0, &db, &e) != 0 ||
        ct_freeze_apply(db, bytes != NULL ? bytes : (const uint8_t *)"", n, 0, NULL, &e) != 0)
        differ(a, "event %lld (freeze): cannot be replayed: %s: %s", (long long)x->seq, e.what, e.why);
out:
    ct_db_close(db);
    sqlite3_finalize(s);
}

/* Replays one stored event that is not a re-decision. */
static void replay(audit *a, aev *x)
{
    char path[700], kid[64], ref[CT_DECISION_REF_MAX + 1], p[PR_ID_MAX + 1], c[PR_ID_MAX + 1];
    char hex[PR_HASH_HEX + 1], name[64], by[PR_ID_MAX + 1];
    int k, nb;

    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    snprintf(name, sizeof name, "ev-%lld", (long long)x->seq);
    word_after(x->data, "decision", ref, sizeof ref, 1);
    /* A decision of a lower commission (`--by LEVEL`, docs/BUNDLE.md). */
    word_after(x->data, "by", by, sizeof by, 0);
    nb = by[0] != '\0' ? 2 : 0;
    word_after(x->data, "precinct", p, sizeof p, 0);
    word_after(x->data, "contest", c, sizeof c, 0);
    if (strcmp(x->kind, CT_EV_IMPORT) == 0) {
        replay_import(a, x);
        return;
    }
    close_replay(a);
    if (strcmp(x->kind, CT_EV_EVIDENCE) == 0) {
        replay_evidence(a, x);
    } else if (strcmp(x->kind, CT_EV_ENROL) == 0) {
        k = put_blob(a, "SELECT request FROM keys WHERE request_hash = ?1", x->subject, name, path,
                     sizeof path);
        if (k != 1) {
            differ(a, "event %lld (enrol): request %s is not in the database", (long long)x->seq, hex);
        } else {
            char *argv[] = {"enroll", "--db", a->rpath, path, NULL};
            run(a, x, 4, argv);
        }
    } else if (strcmp(x->kind, CT_EV_REVOKE) == 0) {
        char *argv[] = {"revoke", "--db", a->rpath, "--key", kid, "--reason", x->codes, "--decision",
                        ref, "--by", by, NULL};
        word_after(x->data, "key", kid, sizeof kid, 0);
        run(a, x, 9 + nb, argv);
    } else if (strcmp(x->kind, CT_EV_RESOLVE) == 0) {
        char opt[80];
        char *argv[] = {"resolve", "--db", a->rpath, "--precinct", p, "--contest", c, opt, hex,
                        "--decision", ref, "--by", by, NULL};
        snprintf(opt, sizeof opt, "--%s", x->verdict);
        run(a, x, 11 + nb, argv);
    } else if (strcmp(x->kind, CT_EV_EXCUSE) == 0) {
        char *argv[] = {"excuse", "--db", a->rpath, "--precinct", p, "--contest", c, "--reason",
                        x->codes, "--decision", ref, "--by", by, NULL};
        run(a, x, 11 + nb, argv);
    } else if (strcmp(x->kind, CT_EV_AMEND) == 0) {
        k = put_blob(a,
                     "SELECT definition, definition_sig FROM definitions WHERE definition_hash = ?1",
                     x->subject, name, path, sizeof path);
        if (k != 1) {
            differ(a, "event %lld (amend-definition): definition %s is not in the database",
                   (long long)x->seq, hex);
        } else {
            char *argv[] = {"amend-definition", "--db", a->rpath, "--definition", path,
                            "--decision", ref, NULL};
            run(a, x, 7, argv);
        }
    } else if (strcmp(x->kind, CT_EV_FREEZE) == 0) {
        replay_freeze(a, x);
    } else if (strcmp(x->kind, CT_EV_CERTIFY) == 0) {
        char *argv[] = {"certify", "--db", a->rpath, "--contest", c, "--decision", ref, NULL};
        run(a, x, 7, argv);
    } else {
        differ(a, "event %lld: unknown kind %s", (long long)x->seq, x->kind);
    }
}

/* A group of consecutive enrol events with one time, read for replay:
 * their requests and the signature work on them. */
typedef struct enrol_group {
    size_t from, n;                 /* events from..from+n-1 */
    uint8_t **bufs;
    size_t *lens;
    char (*names)[32];
    const char **np;
    ct_enroll_check *check;         /* started in the background, or NULL */
} enrol_group;

static void group_free(enrol_group *g)
{
    if (g == NULL)
        return;
    ct_enroll_check_free(g->check);
    for (size_t j = 0; g->bufs != NULL && j < g->n; j++)
        free(g->bufs[j]);
    free(g->bufs);
    free(g->lens);
    free(g->names);
    free(g->np);
    free(g);
}

/* Reads the group of enrol events from event i on (up to 1024 of one
 * time: one transaction gives its events one time) and starts the
 * signature work on its requests. NULL when there is no group of two, a
 * request is missing (replay() then takes event i alone and names it) or
 * memory is short. */
static enrol_group *group_read(audit *a, size_t i)
{
    enum { GROUP_MAX = 1024 };
    static const char sql[] = "SELECT request FROM keys WHERE request_hash = ?1";
    enrol_group *g = calloc(1, sizeof *g);
    sqlite3_stmt *s = NULL;
    size_t j;

    if (g == NULL || (g->bufs = calloc(GROUP_MAX, sizeof *g->bufs)) == NULL ||
        (g->lens = calloc(GROUP_MAX, sizeof *g->lens)) == NULL ||
        (g->names = calloc(GROUP_MAX, sizeof *g->names)) == NULL ||
        (g->np = calloc(GROUP_MAX, sizeof *g->np)) == NULL ||
        sqlite3_prepare_v2(a->st, sql, -1, &s, NULL) != SQLITE_OK)
        goto fail;
    g->from = i;
    for (j = i; j < a->n_ev && g->n < GROUP_MAX && strcmp(a->ev[j].kind, CT_EV_ENROL) == 0 &&
                a->ev[j].time == a->ev[i].time;
         j++) {
        int len;

        sqlite3_reset(s);
        if (sqlite3_bind_blob(s, 1, a->ev[j].subject, PR_HASH_BYTES, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_step(s) != SQLITE_ROW)
            goto fail;
        len = sqlite3_column_bytes(s, 0);
        g->bufs[g->n] = malloc((size_t)len + 1);
        if (g->bufs[g->n] == NULL)
            goto fail;
        if (len > 0)
            memcpy(g->bufs[g->n], sqlite3_column_blob(s, 0), (size_t)len);
        g->lens[g->n] = (size_t)len;
        snprintf(g->names[g->n], sizeof g->names[g->n], "ev-%lld", (long long)a->ev[j].seq);
        g->np[g->n] = g->names[g->n];
        g->n++;
    }
    if (g->n < 2)
        goto fail;
    sqlite3_finalize(s);
    g->check = ct_enroll_check_start(g->n, g->bufs, g->lens);
    return g;
fail:
    sqlite3_finalize(s);
    group_free(g);
    return NULL;
}

/* Consecutive enrol events from *i on (up to 1024 of one time) replayed as
 * one `central enroll` of all their requests, as one enrolment of many
 * stations made them: one command instead of one per key (issue 8). The
 * next group's requests are read and their signatures checked in the
 * background while this one is written. Returns 1 with *i at the group's
 * last event; 0 when there is no group (group_read), for replay() to take
 * event *i alone. */
static int replay_enrolments(audit *a, size_t *i)
{
    enrol_group *g = a->ahead, *nx;
    size_t next;
    int code = CT_EXIT_OK;
    ct_err e;

    memset(&e, 0, sizeof e);
    a->ahead = NULL;
    if (g != NULL && g->from != *i) {
        group_free(g);
        g = NULL;
    }
    if (g == NULL && (g = group_read(a, *i)) == NULL)
        return 0;
    next = *i + g->n;
    if (next < a->n_ev && strcmp(a->ev[next].kind, CT_EV_ENROL) == 0 &&
        (nx = group_read(a, next)) != NULL)
        a->ahead = nx;
    commit_imports(a);
    if (a->rdb == NULL && ct_db_open(a->rpath, 0, &a->rdb, &e) != 0) {
        /* replay() takes event *i alone and says why it cannot. */
        a->rdb = NULL;
        group_free(g);
        return 0;
    }
    if (ct_enroll_requests(a->rdb, g->n, g->np, g->bufs, g->lens, g->check, a->null, &code, &e) !=
            0 ||
        code != CT_EXIT_OK) {
        differ(a, "events %lld to %lld (enrol): cannot be replayed: %s%s%s",
               (long long)a->ev[*i].seq, (long long)a->ev[*i + g->n - 1].seq, e.what[0] ? e.what : "",
               e.what[0] ? ": " : "", e.why[0] ? e.why : "a request was refused");
    }
    *i += g->n - 1;
    group_free(g);
    return 1;
}

/* Event 1: `central init` from the stored definition and signature, with
 * the commission key given (or the stored one, said on err). */
static int replay_init(audit *a, const char *pub, FILE *err)
{
    static const char sql[] = "SELECT definition, definition_sig, mode, commission_pk FROM meta";
    sqlite3_stmt *s = NULL;
    char defpath[700], sigpath[700], pubpath[1024], mode[16];
    pr_buf b;
    int rc = -1;

    pr_buf_init(&b, 256);
    if (sqlite3_prepare_v2(a->st, sql, -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW ||
        (pub == NULL && sqlite3_column_bytes(s, 3) != PR_PK_BYTES)) {
        differ(a, "meta: missing or damaged");
        rc = 0;
        goto out;
    }
    if (a->n_ev == 0 || a->ev[0].seq != 1 || strcmp(a->ev[0].kind, CT_EV_INIT) != 0)
        differ(a, "event 1: not an init event");
    ct_col_text(s, 2, mode, sizeof mode);
    if (put(a, "definition.json", sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
            defpath, sizeof defpath) != 0 ||
        put(a, "definition.json.sig", sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
            sigpath, sizeof sigpath) != 0)
        goto out;
    if (pub == NULL) {
        fprintf(err, "central: audit: no --commission-pub: the definition is checked against the "
                     "database's own commission key\n");
        if (pr_pubkey_encode(PR_KEY_COMMISSION, sqlite3_column_blob(s, 3), &b) != 0 ||
            put(a, "commission.pub", b.data, b.len, pubpath, sizeof pubpath) != 0)
            goto out;
    } else {
        snprintf(pubpath, sizeof pubpath, "%s", pub);
    }
    {
        /* A lower commission's scope and top key are in event 1's data. */
        char scope[PR_ID_MAX + 1] = "", tophex[PR_HASH_HEX + 1] = "", toppath[1024] = "";
        uint8_t top[PR_PK_BYTES];
        char *argv[13] = {"init", "--db", a->rpath, "--definition", defpath, "--commission-pub",
                          pubpath, "--mode", mode, NULL, NULL, NULL, NULL};
        aev one = {.seq = 1, .kind = "init"};
        int n = 9;

        if (a->n_ev > 0) {
            word_after(a->ev[0].data, "scope", scope, sizeof scope, 0);
            word_after(a->ev[0].data, "top", tophex, sizeof tophex, 0);
        }
        if (scope[0] != '\0') {
            argv[n++] = "--scope";
            argv[n++] = scope;
        }
        if (tophex[0] != '\0') {
            pr_buf_free(&b);
            pr_buf_init(&b, 256);
            if (pr_hex_decode(top, PR_PK_BYTES, tophex, strlen(tophex)) != 0 ||
                pr_pubkey_encode(PR_KEY_COMMISSION, top, &b) != 0 ||
                put(a, "top.pub", b.data, b.len, toppath, sizeof toppath) != 0) {
                differ(a, "event 1 (init): the top commission key in its data is damaged");
            } else {
                argv[n++] = "--top-pub";
                argv[n++] = toppath;
            }
        }
        run(a, &one, n, argv);
    }
    rc = 0;
out:
    pr_buf_free(&b);
    sqlite3_finalize(s);
    return rc;
}

/* ---- comparison ---------------------------------------------------------- */

/* A table, the key that names its rows, and how a row names its precinct
 * and contest (?1 = the key as text; NULL when the table has none). */
typedef struct table {
    const char *name;
    const char *key;
    const char *where[2];   /* main, stored */
} table;

#define WHERE_FILES(S) "SELECT precinct, contest FROM " S ".files WHERE id = ?1"
#define WHERE_VIA(S, T)                                                                        \
    "SELECT f.precinct, f.contest FROM " S "." T " d JOIN " S ".files f ON f.id = d.file"      \
    " WHERE d.seq = ?1"
#define WHERE_EXCUSES(S) "SELECT precinct, contest FROM " S ".excuses WHERE seq = ?1"
#define WHERE_NAMED(S) "SELECT precinct, contest FROM " S ".files WHERE id = CAST(?1 AS INTEGER)"
#define WHERE_SCAN(S)                                                                          \
    "SELECT f.precinct, f.contest FROM " S ".evidence v JOIN " S ".return_evidence n"          \
    " ON n.hash = v.hash JOIN " S ".files f ON f.id = n.file WHERE v.seq = ?1 ORDER BY f.id"   \
    " LIMIT 1"

static const table tables[] = {
    {"meta", "one", {NULL, NULL}},
    {"events", "seq", {NULL, NULL}},
    {"keys", "id", {NULL, NULL}},
    {"key_precincts", "key || '/' || precinct", {NULL, NULL}},
    {"revocations", "seq", {NULL, NULL}},
    {"files", "id", {WHERE_FILES("main"), WHERE_FILES("stored")}},
    {"decisions", "seq", {WHERE_VIA("main", "decisions"), WHERE_VIA("stored", "decisions")}},
    {"resolutions", "seq", {WHERE_VIA("main", "resolutions"), WHERE_VIA("stored", "resolutions")}},
    {"excuses", "seq", {WHERE_EXCUSES("main"), WHERE_EXCUSES("stored")}},
    {"definitions", "seq", {NULL, NULL}},
    {"freezes", "seq", {NULL, NULL}},
    {"certifications", "seq", {NULL, NULL}},
    {"return_evidence", "file || '/' || lower(hex(hash))", {WHERE_NAMED("main"), WHERE_NAMED("stored")}},
    {"evidence", "seq", {WHERE_SCAN("main"), WHERE_SCAN("stored")}},
};

/* " (precinct P contest C)" of a row, from the replay or else the stored
 * database, into out. */
static void where(sqlite3 *q, const table *t, const char *key, char *out, size_t outlen)
{
    sqlite3_stmt *s = NULL;
    size_t i;

    out[0] = '\0';
    for (i = 0; i < 2 && t->where[i] != NULL && out[0] == '\0'; i++) {
        if (sqlite3_prepare_v2(q, t->where[i], -1, &s, NULL) == SQLITE_OK &&
            sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            snprintf(out, outlen, " (precinct %s contest %s)",
                     sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "-",
                     sqlite3_column_text(s, 1) ? (const char *)sqlite3_column_text(s, 1) : "-");
        sqlite3_finalize(s);
        s = NULL;
    }
}

/* Rows whose key is on one side only. */
static void one_sided(audit *a, sqlite3 *q, const table *t, const char *have, const char *lack,
                      const char *what)
{
    char sql[512], w[2 * PR_ID_MAX + 40];
    sqlite3_stmt *s = NULL;

    snprintf(sql, sizeof sql, "SELECT CAST(%s AS TEXT) FROM %s.%s EXCEPT SELECT CAST(%s AS TEXT) FROM %s.%s"
             " ORDER BY 1",
             t->key, have, t->name, t->key, lack, t->name);
    if (sqlite3_prepare_v2(q, sql, -1, &s, NULL) != SQLITE_OK) {
        differ(a, "table %s: cannot be compared: %s", t->name, sqlite3_errmsg(q));
        goto out;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(s, 0);
        where(q, t, key, w, sizeof w);
        differ(a, "%s %s%s: %s", t->name, key, w, what);
    }
out:
    sqlite3_finalize(s);
}

/* Columns a table may have (the widest, files, has 17). */
#define COLS_MAX 64

/* The columns of t (in the replay) that are compared, into col: their
 * number, or -1 when they cannot be read or are more than COLS_MAX. */
static int compared_columns(const audit *a, sqlite3 *q, const table *t, char (*col)[64])
{
    sqlite3_stmt *s = NULL;
    int n = 0;

    if (sqlite3_prepare_v2(q, "SELECT name FROM pragma_table_info(?1, 'main')", -1, &s, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC) != SQLITE_OK)
        n = -1;
    while (n >= 0 && sqlite3_step(s) == SQLITE_ROW) {
        if (n == COLS_MAX) {
            n = -1;
            break;
        }
        ct_col_text(s, 0, col[n], sizeof col[n]);
        /* meta.created is when init ran, a note, not a fact of the chain. */
        if (strcmp(t->name, "meta") == 0 && strcmp(col[n], "created") == 0)
            continue;
        /* A bundle's chain is verified from its text first; with every
         * other column equal the hashes are, so they would only repeat
         * the difference that caused them. */
        if (a->events_only && (strcmp(col[n], "hash") == 0 || strcmp(col[n], "prev_hash") == 0))
            continue;
        n++;
    }
    sqlite3_finalize(s);
    return n;
}

/* 1 when no row of t present on both sides differs in any of col[0..n),
 * found by one join on t's bare integer key (issue 8: the join per column
 * in cells repeats every lookup for each column); 0 when some row does or
 * the question cannot be put (then each column is compared on its own,
 * which names them). */
static int all_cells_equal(sqlite3 *q, const table *t, char (*col)[64], int n)
{
    char sql[256 + COLS_MAX * 150]; /* a column name is under 64 bytes */
    sqlite3_stmt *s = NULL;
    size_t len;
    int i, equal;

    len = (size_t)snprintf(sql, sizeof sql, "SELECT 1 FROM main.%s m JOIN stored.%s s ON m.%s = s.%s WHERE 0",
                           t->name, t->name, t->key, t->key);
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, " OR m.%s IS NOT s.%s", col[i], col[i]);
    snprintf(sql + len, sizeof sql - len, " LIMIT 1");
    equal = sqlite3_prepare_v2(q, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    return equal;
}

static void cells(audit *a, sqlite3 *q, const table *t)
{
    char sql[768], on[200], col[COLS_MAX][64], w[2 * PR_ID_MAX + 40];
    sqlite3_stmt *s = NULL;
    /* A bare key column is an integer key with an index (INTEGER PRIMARY
     * KEY, or revocations' UNIQUE seq): joined on itself, each row is
     * looked up in it; a join on CAST(...) can use no index and made the
     * audit quadratic in the rows (issue 6, crash test). */
    int bare = strspn(t->key, "abcdefghijklmnopqrstuvwxyz_") == strlen(t->key);
    int n = compared_columns(a, q, t, col);

    if (n < 0) {
        differ(a, "table %s: its columns cannot be compared: %s", t->name, sqlite3_errmsg(q));
        return;
    }
    /* key_precincts is compared row-wise only (its rows are their key). */
    if (strchr(t->key, '|') != NULL || (bare && all_cells_equal(q, t, col, n)))
        return;
    snprintf(on, sizeof on, bare ? "m.%s = s.%s" : "CAST(m.%s AS TEXT) = CAST(s.%s AS TEXT)", t->key,
             t->key);
    for (int i = 0; i < n; i++) {
        int len = snprintf(sql, sizeof sql,
                           "SELECT CAST(m.%s AS TEXT), quote(m.%s), quote(s.%s) FROM main.%s m JOIN"
                           " stored.%s s ON %s WHERE m.%s IS NOT s.%s ORDER BY m.%s",
                           t->key, col[i], col[i], t->name, t->name, on, col[i], col[i], t->key);

        if (len < 0 || (size_t)len >= sizeof sql || sqlite3_prepare_v2(q, sql, -1, &s, NULL) != SQLITE_OK) {
            differ(a, "table %s column %s: cannot be compared: %s", t->name, col[i], sqlite3_errmsg(q));
            continue;
        }
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *key = (const char *)sqlite3_column_text(s, 0);
            const char *mv = (const char *)sqlite3_column_text(s, 1);
            const char *sv = (const char *)sqlite3_column_text(s, 2);
            where(q, t, key, w, sizeof w);
            differ(a, "%s %s%s: %s is %.80s in the database, %.80s on replay", t->name, key, w,
                   col[i], sv != NULL ? sv : "", mv != NULL ? mv : "");
        }
        sqlite3_finalize(s);
        s = NULL;
    }
}

/* The schema (tables, indexes, append-only triggers) must be as created. */
static void schema(audit *a, sqlite3 *q)
{
    static const char *const sql[] = {
        "SELECT type, name FROM main.sqlite_master EXCEPT SELECT type, name FROM stored.sqlite_master",
        "SELECT type, name FROM stored.sqlite_master EXCEPT SELECT type, name FROM main.sqlite_master",
        ("SELECT m.type, m.name FROM main.sqlite_master m JOIN stored.sqlite_master s USING (name)"
         " WHERE m.sql IS NOT s.sql")};
    static const char *const what[] = {"missing from the database", "not created by central",
                                       "altered"};
    sqlite3_stmt *s = NULL;
    size_t i;

    for (i = 0; i < 3; i++) {
        if (sqlite3_prepare_v2(q, sql[i], -1, &s, NULL) != SQLITE_OK)
            continue;
        while (sqlite3_step(s) == SQLITE_ROW)
            differ(a, "schema: %s %s: %s", sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
                   what[i]);
        sqlite3_finalize(s);
        s = NULL;
    }
}

static int compare(audit *a, const char *dbpath, ct_err *e)
{
    sqlite3 *q = NULL;
    sqlite3_stmt *s = NULL;
    size_t i;
    int rc = -1;

    if (sqlite3_open_v2(a->rpath, &q, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q, "ATTACH ?1 AS stored", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_bind_text(s, 1, dbpath, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE) {
        ct_err_set(e, CT_EXIT_IO, dbpath, "database: %s", q != NULL ? sqlite3_errmsg(q) : "no memory");
        goto out;
    }
    if (!a->events_only)
        schema(a, q);
    for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        if (a->events_only && strcmp(tables[i].name, "events") != 0)
            continue;
        one_sided(a, q, &tables[i], "main", "stored", "missing from the database");
        one_sided(a, q, &tables[i], "stored", "main", "in the database but not produced by replay");
        cells(a, q, &tables[i]);
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    sqlite3_close(q);
    return rc;
}

/* ---- statuses and the tally -------------------------------------------- */

/* The tally cache (running.h) of the stored database, when it is current,
 * must hold exactly the sums its returns give (sums: one per contest,
 * from sr; NULL when they could not be computed), its rows and its core:
 * it is what a national summary prints. */
static void cache_check(audit *a, ct_db *sd, const ct_report *sr, const ct_contest_sum *sums)
{
    char what[256];
    ct_err e;
    int k = -1;

    memset(&e, 0, sizeof e);
    if (sums != NULL)
        k = ct_running_differs(sd, sums, what, sizeof what, &e);
    if (k < 0)
        differ(a, "tally cache: cannot be compared: %s", e.why[0] ? e.why : "out of memory");
    else if (k > 0)
        differ(a, "tally cache: %s: not what the returns in the tally add up to", what);
    k = ct_running_core_differs(sd, &e);
    if (k < 0)
        differ(a, "tally cache: its definition's core cannot be compared: %s", e.why);
    else if (k > 0)
        differ(a, "tally cache: its definition's core is not the stored definition's");
    k = ct_running_rows_differ(sd, sr, what, sizeof what, &e);
    if (k < 0)
        differ(a, "tally cache: rows cannot be compared: %s", e.why);
    else if (k > 0)
        differ(a, "tally cache: %s: not the status and return the decisions give", what);
}

/* Every (precinct, contest)'s status and standing return, and every
 * contest's sums, of the database as stored against the replay: the same
 * report code computes both, from each one's own rows and bytes. */
static void statuses(audit *a, const char *dbpath)
{
    ct_db *sd = NULL, *rd = NULL;
    ct_report sr, rr;
    ct_contest_sum *all = NULL, rs;
    const cm_definition *def;
    ct_err e;
    size_t i, j, built = 0;
    int have_s = 0, have_r = 0;

    memset(&sr, 0, sizeof sr);
    memset(&rr, 0, sizeof rr);
    memset(&e, 0, sizeof e);
    if (ct_db_open(dbpath, 1, &sd, &e) != 0 || ct_report_build(sd, 0, 1, &sr, &e) != 0) {
        differ(a, "status: the database's statuses cannot be computed: %s: %s", e.what, e.why);
        goto out;
    }
    have_s = 1;
    if (ct_db_open(a->rpath, 1, &rd, &e) != 0 || ct_report_build(rd, 0, 1, &rr, &e) != 0)
        goto out;
    have_r = 1;
    def = rd->def;
    if (sr.n != rr.n || sd->def->n_contests != def->n_contests)
        goto out; /* another definition: the tables already say so */
    for (i = 0; i < rr.n; i++) {
        const ct_pc_row *x = &sr.rows[i], *y = &rr.rows[i];
        if (x->status != y->status)
            differ(a, "precinct %s contest %s: status %s in the database, %s on replay",
                   def->precincts[y->precinct].id, def->contests[y->contest].id,
                   ct_status_name(x->status), ct_status_name(y->status));
        else if (x->has_head != y->has_head ||
                 (y->has_head && memcmp(x->hash, y->hash, PR_HASH_BYTES) != 0))
            differ(a, "precinct %s contest %s: another return stands in the database",
                   def->precincts[y->precinct].id, def->contests[y->contest].id);
    }
    /* the database's sums, kept for the cache's check below */
    all = calloc(def->n_contests ? def->n_contests : 1, sizeof *all);
    for (j = 0; all != NULL && j < def->n_contests; j++) {
        const ct_contest_sum *ss = &all[j];

        if (ct_contest_sum_build(sd->def, &sr, j, &all[j]) != 0)
            continue;
        built++;
        memset(&rs, 0, sizeof rs);
        if (ct_contest_sum_build(def, &rr, j, &rs) == 0) {
            const cm_protocol *pr = &def->protocols[def->contests[j].protocol];
            for (i = 0; i < rs.n_lines && i < ss->n_lines && i < pr->n_lines; i++)
                if (ss->lines[i] != rs.lines[i])
                    differ(a, "contest %s: tally of line %s is %llu in the database, %llu on replay",
                           def->contests[j].id, pr->lines[i].id, (unsigned long long)ss->lines[i],
                           (unsigned long long)rs.lines[i]);
            for (i = 0; i < rs.n_candidates && i < ss->n_candidates; i++)
                if (ss->votes[i] != rs.votes[i])
                    differ(a, "contest %s: tally of %s is %llu in the database, %llu on replay",
                           def->contests[j].id, def->contests[j].candidates[i].id,
                           (unsigned long long)ss->votes[i], (unsigned long long)rs.votes[i]);
        }
        ct_contest_sum_free(&rs);
    }
    cache_check(a, sd, &sr, all != NULL && built == def->n_contests ? all : NULL);
out:
    ct_running_sums_free(all, sd != NULL ? sd->def->n_contests : 0);
    if (have_s)
        ct_report_free(&sr);
    if (have_r)
        ct_report_free(&rr);
    ct_db_close(sd);
    ct_db_close(rd);
}

/* ---- checkpoints ------------------------------------------------------- */

/* The published checkpoints against the replay; says what they rule out. */
static int check_checkpoints(audit *a, const char *dir, const char *pubpath, ct_err *e)
{
    sqlite3_stmt *s = NULL;
    char election[PR_ID_MAX + 1] = "";
    int64_t newest = 0, last = a->n_ev > 0 ? a->ev[a->n_ev - 1].seq : 0;
    int rc = -1;

    if (sqlite3_prepare_v2(a->st, "SELECT election FROM meta", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        ct_col_text(s, 0, election, sizeof election);
    if (ct_checkpoint_check(a->rpath, election, dir, pubpath, a->out, &a->diffs, &newest, e) != 0)
        goto out;
    if (newest == 0)
        fprintf(a->out, "audit: no checkpoint in %s: events removed from the end of the log cannot "
                        "be ruled out\n", dir);
    else
        fprintf(a->out, "audit: newest checkpoint: event %lld of %lld\n", (long long)newest,
                (long long)last);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Removes the replay's folder and what is in it (files only). */
static void rm_dir(audit *a)
{
    char path[1024];
    DIR *d = opendir(a->dir);
    struct dirent *de;

    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", a->dir, de->d_name);
        (void)unlink(path);
    }
    if (d != NULL)
        closedir(d);
    (void)rmdir(a->dir);
}

int ct_cmd_audit(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {
        {"db", 1}, {"checkpoints", 1}, {"commission-pub", 1}, {"help", 0}, {"bundle", 1},
        {"progress", 0}, {NULL, 0}};
    const char *dbpath = NULL, *cpdir = NULL, *pub = NULL, *bundle = NULL, *v;
    ct_audit_opts o;
    ct_args args;
    ct_err e;
    int k, opt, code = CT_EXIT_IO;

    memset(&e, 0, sizeof e);
    memset(&o, 0, sizeof o);
    ct_args_init(&args, argc, argv, 1);
    while ((k = ct_args_next(&args, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, audit_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, audit_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0)
            dbpath = v;
        else if (opt == 1)
            cpdir = v;
        else if (opt == 2)
            pub = v;
        else if (opt == 4)
            bundle = v;
        else if (opt == 5)
            o.progress = 1;
        else {
            fputs(audit_usage, out);
            fputs(audit_help, out);
            code = CT_EXIT_OK;
            goto out;
        }
    }
    if (bundle != NULL) {
        /* A bundle is checked against the key given here, never its own. */
        if (dbpath != NULL || pub == NULL)
            code = ct_usage_error(err, audit_usage, "--bundle",
                                  "takes --commission-pub and no --db");
        else
            code = ct_bundle_audit(bundle, pub, cpdir, out, err);
        goto out;
    }
    if (dbpath == NULL || (cpdir != NULL && pub == NULL)) {
        code = ct_usage_error(err, audit_usage, "audit",
                              "--db is required, and --checkpoints needs --commission-pub");
        goto out;
    }
    o.stored = dbpath;
    o.pub = pub;
    o.checkpoints = cpdir;
    code = ct_audit_run(&o, out, err);
out:
    return code;
}

/* Copies the database at from into a new file to, as of one moment. 0, or
 * -1 with e (code 3). */
static int snapshot(const char *from, const char *to, ct_err *e)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    int rc = -1, k, step;

    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        ct_err_set(e, CT_EXIT_IO, from, "database: %s", src ? sqlite3_errmsg(src) : "no memory");
        goto out;
    }
    if (sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
        (b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
        ct_err_set(e, CT_EXIT_IO, to, "database: %s", dst ? sqlite3_errmsg(dst) : "no memory");
        goto out;
    }
    /* All pages in one step: one read transaction, so one snapshot. An
     * importer committing meanwhile may make it busy for a moment. */
    sqlite3_busy_timeout(src, CT_BUSY_TIMEOUT_MS);
    for (k = 0; (step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED; k++) {
        if (k == 600)
            break;
        sqlite3_sleep(50);
    }
    if (step != SQLITE_DONE) {
        ct_err_set(e, CT_EXIT_IO, from, "database: cannot be read: %s", sqlite3_errstr(step));
        goto out;
    }
    rc = 0;
out:
    if (b != NULL && sqlite3_backup_finish(b) != SQLITE_OK && rc == 0) {
        ct_err_set(e, CT_EXIT_IO, to, "database: %s", sqlite3_errmsg(dst));
        rc = -1;
    }
    sqlite3_close(dst);
    sqlite3_close(src);
    return rc;
}

int ct_audit_run(const ct_audit_opts *o, FILE *out, FILE *err)
{
    const char *dbpath = o->stored, *cpdir = o->checkpoints, *pub = o->pub, *tmp, *shown;
    char snap[600];
    ct_progress pg;
    audit a;
    ct_err e;
    ct_db raw;
    int64_t bad = 0;
    size_t i;
    int k, code = CT_EXIT_IO;

    memset(&a, 0, sizeof a);
    memset(&e, 0, sizeof e);
    memset(&pg, 0, sizeof pg);
    ct_db_keep_cache(0); /* the replay's statuses are computed in full */
    a.out = out;
    a.events_only = o->events_only;
    a.null = fopen("/dev/null", "w");
    tmp = getenv("TMPDIR");
    snprintf(a.dir, sizeof a.dir, "%s/central-audit-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (a.null == NULL || mkdtemp(a.dir) == NULL) {
        ct_err_set(&e, CT_EXIT_IO, a.dir, "%s", strerror(errno));
        a.dir[0] = '\0';
        ct_err_print(&e, err);
        goto out;
    }
    /* One consistent snapshot: an import running meanwhile must not show
     * as differences (red team). The stored database is copied in one read
     * transaction (SQLite's backup API) and the copy is what is audited. */
    snprintf(snap, sizeof snap, "%s/stored.db", a.dir);
    if (snapshot(dbpath, snap, &e) != 0) {
        ct_err_print(&e, err);
        goto out;
    }
    if (sqlite3_open_v2(snap, &a.st, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        ct_err_set(&e, CT_EXIT_IO, dbpath, "database: %s", a.st ? sqlite3_errmsg(a.st) : "no memory");
        ct_err_print(&e, err);
        goto out;
    }
    shown = dbpath;
    dbpath = snap;
    snprintf(a.rpath, sizeof a.rpath, "%s/replay.db", a.dir);
    if (load_events(&a, &e) != 0) {
        ct_err_print(&e, err);
        goto out;
    }
    /* The chain as stored: each hash from its fields and its predecessor. */
    memset(&raw, 0, sizeof raw);
    raw.sql = a.st;
    snprintf(raw.path, sizeof raw.path, "%s", shown);
    k = ct_events_verify(&raw, &bad, &e);
    raw.sql = NULL;
    if (k < 0) {
        ct_err_print(&e, err);
        goto out;
    }
    if (k == 1)
        differ(&a, "event %lld: the hash chain is broken here (its hash does not follow from its "
                   "fields and its predecessor)",
               (long long)bad);
    ct_clock_set(replay_clock, &a);
    if (replay_init(&a, pub, err) != 0) {
        ct_err_set(&e, CT_EXIT_IO, a.dir, "cannot write the replay's inputs");
        ct_err_print(&e, err);
        goto out;
    }
    if (access(a.rpath, F_OK) != 0 ||
        sqlite3_open_v2(a.rpath, &a.peek, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        /* init refused the stored definition: nothing can be replayed. */
        differ(&a, "event 1 (init): the stored definition cannot be replayed; nothing after it "
                   "was checked");
    } else {
        ct_db_set_durable(0);
        ct_redecide_set_auto(0);
        ct_progress_begin(&pg, err, o->progress, "audit", "events replayed", a.n_ev);
        for (i = 1; i < a.n_ev; i++) {
            /* Events before i are replayed (a group of enrolments moves i on). */
            ct_progress_add(&pg, i - pg.done, NULL);
            if (strcmp(a.ev[i].kind, CT_EV_REDECIDE) == 0) {
                replay_redecide(&a, &a.ev[i]);
                continue;
            }
            if (strcmp(a.ev[i].kind, CT_EV_IMPORT) == 0)
                verify_ahead(&a, i);
            else if (strcmp(a.ev[i].kind, CT_EV_ENROL) == 0 && replay_enrolments(&a, &i))
                continue;
            replay(&a, &a.ev[i]);
        }
        close_replay(&a);
        ct_progress_add(&pg, a.n_ev - pg.done, NULL);
        ct_progress_end(&pg);
        ct_db_set_durable(1);
        ct_redecide_set_auto(1);
        ct_clock_set(NULL, NULL);
        if (compare(&a, dbpath, &e) != 0) {
            ct_err_print(&e, err);
            goto out;
        }
        /* A bundle has no statuses of its own to compare: its events are. */
        if (!a.events_only)
            statuses(&a, dbpath);
    }
    if (cpdir != NULL && access(a.rpath, F_OK) != 0) {
        differ(&a, "checkpoints: not checked: nothing could be replayed");
    } else if (cpdir != NULL) {
        if (check_checkpoints(&a, cpdir, pub, &e) != 0) {
            ct_err_print(&e, err);
            goto out;
        }
    } else
        fprintf(out, "audit: no checkpoint given: events removed from the end of the log cannot be "
                     "ruled out\n");
    if (o->after != NULL && access(a.rpath, F_OK) == 0)
        o->after(o->ctx, a.rpath, out, &a.diffs);
    fprintf(out, "audit: %zu events replayed: %ld difference%s\n", a.n_ev, a.diffs,
            a.diffs == 1 ? "" : "s");
    code = a.diffs > 0 ? CT_EXIT_FAIL : CT_EXIT_OK;
out:
    close_replay(&a);
    ct_db_set_durable(1);
    ct_db_keep_cache(1);
    ct_redecide_set_auto(1);
    ct_clock_set(NULL, NULL);
    sqlite3_finalize(a.q_head);
    sqlite3_finalize(a.q_file);
    sqlite3_close(a.peek);
    sqlite3_close(a.st);
    free_events(&a);
    if (a.dir[0] != '\0')
        rm_dir(&a);
    if (a.null != NULL)
        fclose(a.null);
    return code;
}
