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

typedef struct job {
    struct ct_vcache_entry *v;
    size_t from, to;
} job;

static void *verify_range(void *arg)
{
    job *j = arg;

    for (size_t i = j->from; i < j->to; i++)
        j->v[i].ok = pr_return_verify_enrolled(j->v[i].bytes, j->v[i].r, j->v[i].pk) == 0;
    return NULL;
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
    pthread_t t[THREADS_MAX];
    job jobs[THREADS_MAX];
    size_t started;                     /* threads running */
};

/* Joins j's threads, does the shares of any that did not start, and frees
 * everything but the cache, which is returned. */
static struct ct_vcache *join(ct_vjob *j)
{
    struct ct_vcache *c = j->c;
    size_t i;

    for (i = 0; i < j->started; i++)
        pthread_join(j->t[i], NULL);
    for (i = j->started; i < THREADS_MAX && j->jobs[i].v != NULL; i++)
        verify_range(&j->jobs[i]);
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
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads, i;
    sqlite3_stmt *s = NULL, *seen = NULL;
    pr_diag d;
    int rc = -1, step;

    *out = NULL;
    if (j == NULL || (j->c = calloc(1, sizeof *j->c)) == NULL ||
        (j->rs = malloc((n ? n : 1) * sizeof *j->rs)) == NULL) {
        ct_err_set(e, CT_EXIT_IO, "import", "out of memory");
        goto out;
    }
    if (ct_db_cached(db, sql_keys, &s, e) != 0 || ct_db_cached(db, sql_seen, &seen, e) != 0)
        goto out;
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
    threads = cores < 1 ? 1 : cores > THREADS_MAX ? THREADS_MAX : (size_t)cores;
    if (threads > j->c->n)
        threads = j->c->n ? j->c->n : 1;
    for (i = 0; i < threads; i++) {
        j->jobs[i].v = j->c->v;
        j->jobs[i].from = j->c->n * i / threads;
        j->jobs[i].to = j->c->n * (i + 1) / threads;
    }
    /* Every share on a thread of its own, so the caller goes on (writing
     * the batch before); a share whose thread does not start is done by
     * join. */
    for (i = 0; i < threads; i++) {
        if (pthread_create(&j->t[i], NULL, verify_range, &j->jobs[i]) != 0)
            break;
        j->started = i + 1;
    }
    *out = j;
    j = NULL;
    rc = 0;
out:
    ct_db_done(db, s);
    ct_db_done(db, seen);
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
