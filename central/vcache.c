/*
 * vcache.c: parallel signature verification ahead of a batch (vcache.h).
 * The main thread parses and looks up keys (SQLite stays on one thread);
 * worker threads only call pr_return_verify_enrolled on memory they do not
 * share, while the main thread goes on writing the batch before (import.c).
 */
#include "vcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS_MAX 16

struct ct_vcache {
    size_t n, cap;
    struct ct_vcache_entry {
        const uint8_t *bytes;           /* the return's bytes (borrowed) */
        size_t signed_len;
        uint8_t signature[PR_SIG_BYTES];
        uint8_t pk[PR_PK_BYTES];
        pr_return *r;                   /* parsed, for the worker; freed after */
        int ok;                         /* pr_return_verify_enrolled == 0 */
    } *v;
};

/* Work split over threads: fn(ctx, i) for i in [from, to) of each share. */
typedef struct share {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t from, to;
} share;

typedef struct par {
    pthread_t t[THREADS_MAX];
    share shares[THREADS_MAX];
    size_t n_shares, started;           /* shares; threads running shares[0..started) */
} par;

static void *run_share(void *arg)
{
    share *sh = arg;

    for (size_t i = sh->from; i < sh->to; i++)
        sh->fn(sh->ctx, i);
    return NULL;
}

/* Splits [0, n) into one share per online core (at most THREADS_MAX) and
 * starts a thread for each share from `first` on; a share whose thread does
 * not start is done by par_join. */
static void par_spawn(par *p, size_t n, void (*fn)(void *, size_t), void *ctx, size_t first)
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
        if (pthread_create(&p->t[i], NULL, run_share, &p->shares[i]) != 0)
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

void ct_parallel_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    par p;

    if (n == 0)
        return;
    /* The calling thread takes the first share. */
    par_spawn(&p, n, fn, ctx, 1);
    run_share(&p.shares[0]);
    par_join(&p, 1);
}

static void verify_one(void *ctx, size_t i)
{
    struct ct_vcache_entry *x = &((struct ct_vcache *)ctx)->v[i];

    x->ok = pr_return_verify_enrolled(x->bytes, x->r, x->pk) == 0;
}

static void cache_free(struct ct_vcache *c);

void ct_vcache_clear(ct_db *db)
{
    cache_free(db->vcache);
    db->vcache = NULL;
}

static int add(struct ct_vcache *c, const uint8_t *bytes, pr_return *r, const uint8_t *pk)
{
    struct ct_vcache_entry *x;

    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        x = realloc(c->v, cap * sizeof *x);
        if (x == NULL)
            return -1;
        c->v = x;
        c->cap = cap;
    }
    x = &c->v[c->n++];
    x->bytes = bytes;
    x->signed_len = r->signed_len;
    memcpy(x->signature, r->signature, PR_SIG_BYTES);
    memcpy(x->pk, pk, PR_PK_BYTES);
    x->r = r;
    x->ok = 0;
    return 0;
}

/* A batch being verified: its entries, the parsed returns the workers
 * read, and the worker threads. */
struct ct_vjob {
    struct ct_vcache *c;
    pr_return *rs;
    par p;
};

/* Joins j's threads, does the shares of any that did not start, and frees
 * everything but the cache, which is returned. */
static struct ct_vcache *join(ct_vjob *j)
{
    struct ct_vcache *c = j->c;
    size_t i;

    par_join(&j->p, 0);
    for (i = 0; c != NULL && i < c->n; i++)
        c->v[i].r = NULL;
    free(j->rs);
    free(j);
    return c;
}

static void cache_free(struct ct_vcache *c)
{
    if (c != NULL) {
        free(c->v);
        free(c);
    }
}

int ct_vcache_start(ct_db *db, const ct_input *in, size_t n, ct_vjob **out, ct_err *e)
{
    static const char sql_keys[] = "SELECT pk FROM keys WHERE key_id = ?1 ORDER BY id";
    static const char sql_seen[] = "SELECT 1 FROM files WHERE hash = ?1";
    ct_vjob *j = calloc(1, sizeof *j);
    size_t i;
    sqlite3_stmt *s = NULL, *seen = NULL;
    pr_diag d;
    int rc = -1, step, reading = 0;

    *out = NULL;
    if (j == NULL || (j->c = calloc(1, sizeof *j->c)) == NULL ||
        (j->rs = malloc((n ? n : 1) * sizeof *j->rs)) == NULL) {
        ct_err_set(e, CT_EXIT_IO, "import", "out of memory");
        goto out;
    }
    if (ct_db_cached(db, sql_keys, &s, e) != 0 || ct_db_cached(db, sql_seen, &seen, e) != 0)
        goto out;
    /* One read transaction for all the lookups, not one per statement (each
     * costs WAL locks). */
    if (sqlite3_get_autocommit(db->sql) && sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
        reading = 1;
    for (i = 0; i < n; i++) {
        char kid[PR_KEYID_HEX + 1];
        uint8_t pk[PR_PK_BYTES];

        if (ct_input_oversize(&in[i]))
            continue;
        /* Byte-identical to a stored file: a duplicate, no signature work. */
        sqlite3_reset(seen);
        if (ct_bind_blob(seen, 1, in[i].hash, PR_HASH_BYTES) != SQLITE_OK) {
            ct_db_error(db, e, NULL);
            goto out;
        }
        if ((step = sqlite3_step(seen)) == SQLITE_ROW)
            continue;
        if (step != SQLITE_DONE) {
            ct_db_error(db, e, NULL);
            goto out;
        }
        if (pr_return_parse(in[i].bytes, in[i].len, &j->rs[i], &d) != 0)
            continue;
        ct_hex(kid, j->rs[i].key_id, PR_KEYID_BYTES);
        sqlite3_reset(s);
        if (ct_bind_text(s, 1, kid) != SQLITE_OK) {
            ct_db_error(db, e, NULL);
            goto out;
        }
        while ((step = sqlite3_step(s)) == SQLITE_ROW)
            if (ct_col_blob(s, 0, pk, PR_PK_BYTES) == 0 && add(j->c, in[i].bytes, &j->rs[i], pk) != 0) {
                ct_err_set(e, CT_EXIT_IO, "import", "out of memory");
                goto out;
            }
        if (step != SQLITE_DONE) {
            ct_db_error(db, e, NULL);
            goto out;
        }
    }
    /* Every share on a thread of its own, so the caller goes on (writing
     * the batch before). */
    par_spawn(&j->p, j->c->n, verify_one, j->c, 0);
    *out = j;
    j = NULL;
    rc = 0;
out:
    ct_db_done(db, s);
    ct_db_done(db, seen);
    if (reading)
        (void)sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
    if (j != NULL)
        cache_free(join(j));
    return rc;
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

int ct_verify_return(ct_db *db, const uint8_t *bytes, const pr_return *r,
                     const uint8_t pk[PR_PK_BYTES])
{
    const struct ct_vcache *c = db->vcache;

    for (size_t i = 0; c != NULL && i < c->n; i++) {
        const struct ct_vcache_entry *x = &c->v[i];

        if (x->signed_len == r->signed_len &&
            memcmp(x->signature, r->signature, PR_SIG_BYTES) == 0 &&
            memcmp(x->pk, pk, PR_PK_BYTES) == 0 && memcmp(x->bytes, bytes, r->signed_len) == 0)
            return x->ok ? 0 : -1;
    }
    return pr_return_verify_enrolled(bytes, r, pk);
}
