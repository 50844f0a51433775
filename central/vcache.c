/*
 * vcache.c: parallel signature verification ahead of a batch (vcache.h).
 * Worker threads parse each return, look up its key id through a read-only
 * connection of their own (SQLite connections are not shared between
 * threads) and verify, while the main thread goes on writing the batch
 * before (import.c). The main thread's connection is never touched here.
 */
#include "vcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/resource.h>
#endif

#define THREADS_MAX 16

struct ct_vcache {
    size_t n;
    size_t next;                        /* where the next lookup starts */
    struct ct_vcache_slot {
        const uint8_t *bytes;           /* the input's bytes (borrowed; matched
                                         * by content, never by address); NULL
                                         * when oversize: left to the decision */
        size_t len;
        uint8_t hash[PR_HASH_BYTES];    /* the input's (ct_input.hash) */
        int filled;                     /* parsed, its keys looked up and verified */
        size_t signed_len;
        uint8_t signature[PR_SIG_BYTES];
        ct_vkeys keys;                  /* the keys with its key id, verified */
        int has_content;                /* content_rc, content set */
        int content_rc;                 /* pr_return_content_hash's result */
        uint8_t content[PR_HASH_BYTES];
    } *v;                               /* one per input, in input order */
};

/* Work split over threads: fn(ctx, from, to) for each share of [0, n). */
typedef void (*range_fn)(void *ctx, size_t from, size_t to);

typedef struct share {
    range_fn fn;
    void *ctx;
    size_t from, to;
} share;

typedef struct par {
    pthread_t t[THREADS_MAX];
    share shares[THREADS_MAX];
    size_t n_shares, started;           /* shares; threads running shares[0..started) */
} par;

/* The nice value of a background worker (issue 8). Import, enrolment and
 * audit verify the next batch on every core while one thread writes the
 * batch before; the writer is the bottleneck, and at equal priority two
 * workers took a third of its core (100,000 returns on two cores: the
 * writer's batches took 6.2-7.7 s of wall time instead of 4.3-5.5 s, the
 * import 13.2 s instead of 11.0 s on average over four interleaved runs).
 * At nice 10 a worker's weight is about a tenth of the writer's, so the
 * writer keeps its core and the workers take the rest; higher values gained
 * nothing more and would starve them behind any other busy process. On
 * Linux a thread's nice value is its own (setpriority(2), NOTES); elsewhere
 * it would renice the whole process, so it is not done. */
#define BACKGROUND_NICE 10

static void *run_share(void *arg)
{
    share *sh = arg;

    sh->fn(sh->ctx, sh->from, sh->to);
    return NULL;
}

/* run_share on a thread of background work, which yields to the writer. */
static void *run_background(void *arg)
{
#ifdef __linux__
    (void)setpriority(PRIO_PROCESS, 0, BACKGROUND_NICE); /* 0: this thread */
#endif
    return run_share(arg);
}

/* Splits [0, n) into one share per online core (at most THREADS_MAX) and
 * starts a thread for each share from `first` on; a share whose thread does
 * not start is done by par_join (on the caller's thread, never reniced).
 * first 0: every share is background work (the caller goes on writing),
 * on threads that yield to the caller's (run_background). */
static void par_spawn(par *p, size_t n, range_fn fn, void *ctx, size_t first)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t k = cores < 1 ? 1 : cores > THREADS_MAX ? THREADS_MAX : (size_t)cores;

    memset(p, 0, sizeof *p);
    if (k > n)
        k = n ? n : 1;
    p->n_shares = k;
    for (size_t i = 0; i < k; i++)
        p->shares[i] = (share){fn, ctx, n * i / k, n * (i + 1) / k};
    p->started = first;
    for (size_t i = first; i < k; i++) {
        if (pthread_create(&p->t[i], NULL, first == 0 ? run_background : run_share,
                           &p->shares[i]) != 0)
            break;
        p->started = i + 1;
    }
}

/* Waits for the threads, then does the shares that had none. */
static void par_join(par *p, size_t first)
{
    size_t i;

    for (i = first; i < p->started; i++)
        pthread_join(p->t[i], NULL);
    for (i = p->started; i < p->n_shares; i++)
        run_share(&p->shares[i]);
}

typedef struct each {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
} each;

static void each_range(void *ctx, size_t from, size_t to)
{
    each *x = ctx;

    for (size_t i = from; i < to; i++)
        x->fn(x->ctx, i);
}

void ct_parallel_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    each x = {fn, ctx};
    par p;

    if (n == 0)
        return;
    /* The calling thread takes the first share. */
    par_spawn(&p, n, each_range, &x, 1);
    run_share(&p.shares[0]);
    par_join(&p, 1);
}

struct ct_par_job {
    each x;
    par p;
};

ct_par_job *ct_parallel_start(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    ct_par_job *j;

    if (n == 0 || (j = malloc(sizeof *j)) == NULL)
        return NULL;
    j->x = (each){fn, ctx};
    /* Every share on a thread of its own, so the caller goes on. */
    par_spawn(&j->p, n, each_range, &j->x, 0);
    return j;
}

void ct_parallel_join(ct_par_job *j)
{
    if (j == NULL)
        return;
    par_join(&j->p, 0);
    free(j);
}

static void cache_free(struct ct_vcache *c)
{
    if (c != NULL) {
        free(c->v);
        free(c);
    }
}

void ct_vcache_clear(ct_db *db)
{
    cache_free(db->vcache);
    db->vcache = NULL;
}

/* A batch being verified: its slots, the database to read keys from, and
 * the worker threads. */
struct ct_vjob {
    struct ct_vcache *c;
    char path[sizeof ((ct_db *)0)->path];
    par p;
};

/* One worker's share: slots [from, to). Anything that fails (the
 * connection, a statement, memory) leaves slots unfilled, which only means
 * the decision verifies them itself. */
static void fill_range(void *ctx, size_t from, size_t to)
{
    static const char sql_keys[] = "SELECT id, pk FROM keys WHERE key_id = ?1 ORDER BY id";
    static const char sql_seen[] = "SELECT 1 FROM files WHERE hash = ?1";
    ct_vjob *j = ctx;
    sqlite3 *q = NULL;
    sqlite3_stmt *keys = NULL, *seen = NULL, *max = NULL;
    int64_t keys_max;
    pr_return *r = malloc(sizeof *r);
    char kid[PR_KEYID_HEX + 1];
    pr_diag d;
    int reading = 0;

    if (r == NULL || from == to ||
        sqlite3_open_v2(j->path, &q, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(q, CT_BUSY_TIMEOUT_MS) != SQLITE_OK ||
        sqlite3_prepare_v2(q, sql_keys, -1, &keys, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q, sql_seen, -1, &seen, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q, CT_KEYS_MAX_SQL, -1, &max, NULL) != SQLITE_OK)
        goto out;
    /* One read transaction for the share, not one per statement: every
     * answer below is of the same state of the keys table, named by its
     * largest id (the table is append-only). */
    reading = sqlite3_exec(q, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    if (!reading || sqlite3_step(max) != SQLITE_ROW)
        goto out;
    keys_max = (int64_t)sqlite3_column_int64(max, 0);
    for (size_t i = from; i < to; i++) {
        struct ct_vcache_slot *x = &j->c->v[i];
        int step;

        if (x->bytes == NULL)
            continue;
        /* Byte-identical to a stored file: a duplicate, no signature work. */
        sqlite3_reset(seen);
        if (sqlite3_bind_blob(seen, 1, x->hash, PR_HASH_BYTES, SQLITE_STATIC) != SQLITE_OK ||
            (step = sqlite3_step(seen)) == SQLITE_ROW || step != SQLITE_DONE)
            continue;
        if (pr_return_parse(x->bytes, x->len, r, &d) != 0)
            continue;
        ct_hex(kid, r->key_id, PR_KEYID_BYTES);
        sqlite3_reset(keys);
        if (sqlite3_bind_text(keys, 1, kid, -1, SQLITE_STATIC) != SQLITE_OK)
            continue;
        x->keys.n = 0;
        x->keys.complete = 1;
        x->keys.keys_max = keys_max;
        while ((step = sqlite3_step(keys)) == SQLITE_ROW) {
            size_t m = x->keys.n;
            if (m == CT_VKEYS_MAX || sqlite3_column_bytes(keys, 1) != PR_PK_BYTES) {
                /* More keys share this id than a slot holds (a collision
                 * made on purpose), or a damaged row: the decision asks the
                 * database itself. */
                x->keys.complete = 0;
                continue;
            }
            x->keys.id[m] = (int64_t)sqlite3_column_int64(keys, 0);
            memcpy(x->keys.pk[m], sqlite3_column_blob(keys, 1), PR_PK_BYTES);
            x->keys.ok[m] = pr_return_verify_enrolled(x->bytes, r, x->keys.pk[m]) == 0;
            x->keys.n++;
        }
        if (step != SQLITE_DONE)
            continue;
        x->content_rc = pr_return_content_hash(r, x->content);
        x->has_content = x->content_rc != -2; /* -2: out of memory, the decision retries */
        x->signed_len = r->signed_len;
        memcpy(x->signature, r->signature, PR_SIG_BYTES);
        x->filled = 1;
    }
out:
    sqlite3_finalize(keys);
    sqlite3_finalize(seen);
    sqlite3_finalize(max);
    if (reading)
        (void)sqlite3_exec(q, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(q);
    free(r);
}

/* Joins j's threads and frees everything but the cache, which is returned. */
static struct ct_vcache *join(ct_vjob *j)
{
    struct ct_vcache *c = j->c;

    par_join(&j->p, 0);
    free(j);
    return c;
}

int ct_vcache_start(ct_db *db, const ct_input *in, size_t n, ct_vjob **out, ct_err *e)
{
    ct_vjob *j = calloc(1, sizeof *j);

    *out = NULL;
    if (j == NULL || (j->c = calloc(1, sizeof *j->c)) == NULL ||
        (j->c->v = calloc(n ? n : 1, sizeof *j->c->v)) == NULL) {
        if (j != NULL)
            cache_free(j->c);
        free(j);
        ct_err_set(e, CT_EXIT_IO, "import", "out of memory");
        return -1;
    }
    snprintf(j->path, sizeof j->path, "%s", db->path);
    j->c->n = n;
    for (size_t i = 0; i < n; i++) {
        j->c->v[i].bytes = ct_input_oversize(&in[i]) ? NULL : in[i].bytes;
        j->c->v[i].len = in[i].len;
        memcpy(j->c->v[i].hash, in[i].hash, PR_HASH_BYTES);
    }
    /* Every share on a thread of its own, so the caller goes on (writing
     * the batch before). */
    par_spawn(&j->p, n, fill_range, j, 0);
    *out = j;
    return 0;
}

void ct_vcache_finish(ct_db *db, ct_vjob *j)
{
    ct_vcache_clear(db);
    if (j != NULL)
        db->vcache = join(j);
}

void ct_vcache_abandon(ct_vjob *j)
{
    if (j != NULL)
        cache_free(join(j));
}

int ct_vcache_fill(ct_db *db, const ct_input *in, size_t n, ct_err *e)
{
    ct_vjob *j = NULL;

    ct_vcache_clear(db);
    if (ct_vcache_start(db, in, n, &j, e) != 0)
        return -1;
    ct_vcache_finish(db, j);
    return 0;
}

/* The filled slot of exactly these signed bytes and signature, or NULL.
 * Decisions come in input order and ask about each return more than once:
 * the search starts at the slot that matched last. */
static const struct ct_vcache_slot *find_slot(ct_db *db, const uint8_t *bytes, const pr_return *r)
{
    struct ct_vcache *c = db->vcache;

    for (size_t k = 0; c != NULL && k < c->n; k++) {
        size_t i = (c->next + k) % c->n;
        const struct ct_vcache_slot *x = &c->v[i];

        if (!x->filled || x->signed_len != r->signed_len ||
            memcmp(x->signature, r->signature, PR_SIG_BYTES) != 0 ||
            memcmp(x->bytes, bytes, r->signed_len) != 0)
            continue;
        c->next = i;
        return x;
    }
    return NULL;
}

int ct_verify_return(ct_db *db, const uint8_t *bytes, const pr_return *r,
                     const uint8_t pk[PR_PK_BYTES])
{
    const struct ct_vcache_slot *x = find_slot(db, bytes, r);

    for (size_t m = 0; x != NULL && m < x->keys.n; m++)
        if (memcmp(x->keys.pk[m], pk, PR_PK_BYTES) == 0)
            return x->keys.ok[m] ? 0 : -1;
    return pr_return_verify_enrolled(bytes, r, pk);
}

const ct_vkeys *ct_vcache_keys(ct_db *db, const uint8_t *bytes, const pr_return *r)
{
    const struct ct_vcache_slot *x = find_slot(db, bytes, r);

    return x != NULL && x->keys.complete ? &x->keys : NULL;
}

int ct_vcache_content(ct_db *db, const uint8_t *bytes, const pr_return *r,
                      uint8_t out[PR_HASH_BYTES], int *rc)
{
    const struct ct_vcache_slot *x = find_slot(db, bytes, r);

    if (x == NULL || !x->has_content)
        return 0;
    memcpy(out, x->content, PR_HASH_BYTES);
    *rc = x->content_rc;
    return 1;
}
