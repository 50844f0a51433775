/*
 * vcache.c: parallel signature verification ahead of a batch (vcache.h).
 * The main thread parses and looks up keys (SQLite stays on one thread);
 * worker threads only call pr_return_verify_enrolled on memory they do not share.
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

void ct_vcache_clear(ct_db *db)
{
    if (db->vcache != NULL) {
        free(db->vcache->v);
        free(db->vcache);
        db->vcache = NULL;
    }
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

int ct_vcache_fill(ct_db *db, const ct_input *in, size_t n, ct_err *e)
{
    static const char sql_keys[] = "SELECT pk FROM keys WHERE key_id = ?1 ORDER BY id";
    struct ct_vcache *c = calloc(1, sizeof *c);
    pr_return *rs = calloc(n ? n : 1, sizeof *rs);
    pthread_t t[THREADS_MAX];
    job jobs[THREADS_MAX];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads, i, started = 0;
    sqlite3_stmt *s = NULL;
    pr_diag d;
    int rc = -1, step;

    ct_vcache_clear(db);
    if (c == NULL || rs == NULL) {
        ct_err_set(e, CT_EXIT_IO, "import", "out of memory");
        goto out;
    }
    if (ct_db_cached(db, sql_keys, &s, e) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        char kid[PR_KEYID_HEX + 1];
        uint8_t pk[PR_PK_BYTES];

        if (ct_input_oversize(&in[i]) || pr_return_parse(in[i].bytes, in[i].len, &rs[i], &d) != 0)
            continue;
        ct_hex(kid, rs[i].key_id, PR_KEYID_BYTES);
        sqlite3_reset(s);
        if (ct_bind_text(s, 1, kid) != SQLITE_OK) {
            ct_db_error(db, e, NULL);
            goto out;
        }
        while ((step = sqlite3_step(s)) == SQLITE_ROW)
            if (ct_col_blob(s, 0, pk, PR_PK_BYTES) == 0 && add(c, in[i].bytes, &rs[i], pk) != 0) {
                ct_err_set(e, CT_EXIT_IO, "import", "out of memory");
                goto out;
            }
        if (step != SQLITE_DONE) {
            ct_db_error(db, e, NULL);
            goto out;
        }
    }
    ct_db_done(db, s);
    s = NULL;
    threads = cores < 1 ? 1 : cores > THREADS_MAX ? THREADS_MAX : (size_t)cores;
    if (threads > c->n)
        threads = c->n ? c->n : 1;
    /* The calling thread takes the first share. */
    for (i = 0; i < threads; i++) {
        jobs[i].v = c->v;
        jobs[i].from = c->n * i / threads;
        jobs[i].to = c->n * (i + 1) / threads;
    }
    for (i = 1; i < threads; i++) {
        if (pthread_create(&t[i], NULL, verify_range, &jobs[i]) != 0)
            break;
        started = i;
    }
    verify_range(&jobs[0]);
    for (i = 1; i <= started; i++)
        pthread_join(t[i], NULL);
    /* A thread that did not start: its share is done here. */
    for (i = started + 1; i < threads; i++)
        verify_range(&jobs[i]);
    for (i = 0; i < c->n; i++)
        c->v[i].r = NULL;
    db->vcache = c;
    c = NULL;
    rc = 0;
out:
    ct_db_done(db, s);
    if (c != NULL) {
        free(c->v);
        free(c);
    }
    free(rs);
    return rc;
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
