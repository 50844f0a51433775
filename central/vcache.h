/*
 * vcache.h: signatures checked ahead of the decisions, on every core
 * (issue 8). Before a batch of returns is decided in one transaction,
 * each return's signature is verified against every enrolled key with its
 * key id, in parallel; the decision then asks ct_verify_return, which takes
 * the answer from here or computes it. The answer is always libsodium's
 * (crypto_sign_verify_detached through pr_return_verify_enrolled, the
 * acceptance rule of DESIGN 5) on exactly these bytes and this key: an
 * entry holds the signed bytes' address, length, signature and key, and is
 * matched byte for byte, so a cache hit can never answer for other bytes.
 */
#ifndef CENTRAL_VCACHE_H
#define CENTRAL_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ct.h"
#include "db.h"
#include "input.h"
#include "proto/return.h"

/* ct_vcache_start then ct_vcache_finish: verifies the returns among
 * in[0..n) against the keys enrolled in db with their key ids, on all
 * online cores, and keeps the answers in db until
 * ct_vcache_clear. in must stay alive and unchanged until then (entries
 * point into it). Inputs that do not parse are left to the decision. 0, or
 * -1 with e (out of memory; the cache is then empty, which only costs
 * time). */
int ct_vcache_fill(ct_db *db, const ct_input *in, size_t n, ct_err *e);

/* A batch being verified in the background (ct_vcache_start). */
typedef struct ct_vjob ct_vjob;

/* Starts verifying, on worker threads (one per online core, at most 16),
 * the returns among in[0..n) that are not byte-identical to a stored file
 * (found by in[i].hash, which must be set: duplicates cost no signature
 * work), against the keys enrolled in
 * db with their key ids; returns at once with *job set. The workers parse
 * and look keys up through read-only connections of their own to db's file
 * (they see what is committed; db's own handle is not used). in must stay
 * alive and unchanged until ct_vcache_finish or ct_vcache_abandon. 0, or -1
 * with e (out of memory; *job is then NULL, which only costs time:
 * decisions verify one by one, as they do for anything a worker could not
 * read). */
int ct_vcache_start(ct_db *db, const ct_input *in, size_t n, ct_vjob **job, ct_err *e);

/* Waits for job and makes its answers db's cache, replacing any; frees
 * job. job NULL: only clears the cache. */
void ct_vcache_finish(ct_db *db, ct_vjob *job);

/* Waits for job and frees it and its answers (a batch that will not be
 * decided). NULL ok. */
void ct_vcache_abandon(ct_vjob *job);

/* Calls fn(ctx, i) for every i in [0, n), split in equal shares over the
 * online cores (at most 16 threads, the calling one among them), and
 * returns when all are done. fn must only touch what belongs to its i (no
 * database handle, no shared state); when a thread cannot be started its
 * share runs on the calling thread. */
void ct_parallel_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

/* The largest row id of the keys table, which names its state (ct_vkeys). */
#define CT_KEYS_MAX_SQL "SELECT coalesce(max(id), 0) FROM keys"

/* At most this many keys sharing one key id are remembered per return (two
 * in practice only when someone made a collision on purpose). */
#define CT_VKEYS_MAX 4

/* What a worker found for one return: every enrolled key with the return's
 * key id, in the order of their row ids (keys.id), and whether the return's
 * signature verifies with each (pr_return_verify_enrolled == 0), all read
 * in one read transaction in which the largest row id of the keys table was
 * keys_max. The keys table is append-only (db.c's triggers), so while its
 * largest id is still keys_max these are still all of them. */
typedef struct ct_vkeys {
    size_t n;
    int64_t id[CT_VKEYS_MAX];
    uint8_t pk[CT_VKEYS_MAX][PR_PK_BYTES];
    int ok[CT_VKEYS_MAX];
    int complete;                       /* n is every key with the id */
    int64_t keys_max;
} ct_vkeys;

/* The keys the workers found for exactly these signed bytes and signature
 * (r parsed from bytes), or NULL when the cache does not hold them all
 * (not filled, unparsable for a worker, more than CT_VKEYS_MAX keys): the
 * caller then reads the keys table itself. Borrowed from db's cache, valid
 * until ct_vcache_clear or ct_vcache_finish. */
const ct_vkeys *ct_vcache_keys(ct_db *db, const uint8_t *bytes, const pr_return *r);

/* pr_return_content_hash(r, out) as a worker computed it for exactly these
 * signed bytes and signature (r parsed from bytes): 1 with out and *rc
 * (its result) set, or 0 when the cache does not hold it (the caller then
 * computes it). */
int ct_vcache_content(ct_db *db, const uint8_t *bytes, const pr_return *r,
                      uint8_t out[PR_HASH_BYTES], int *rc);

/* ct_parallel_for in the background: starts fn(ctx, i) for every i in
 * [0, n) on worker threads (one per online core, at most 16) and returns at
 * once, so the caller can do other work meanwhile (issue 8: bulk enrolment
 * writes one batch while the next one's signatures are checked). The same
 * rules for fn; the caller must not touch what fn writes before
 * ct_parallel_join. NULL when n is 0 or there is no memory: nothing was
 * started, and the caller does the work itself. */
typedef struct ct_par_job ct_par_job;
ct_par_job *ct_parallel_start(size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

/* Waits until every fn of j has returned (doing itself the shares whose
 * thread could not start) and frees j. NULL is a no-op. */
void ct_parallel_join(ct_par_job *j);

/* Forgets every answer. */
void ct_vcache_clear(ct_db *db);

/* pr_return_verify_enrolled(bytes, r, pk) (pk is an enrolled key, checked
 * by pr_pk_valid at enrolment), from the cache when it holds this exact
 * question: 0 verifies, -1 does not. */
int ct_verify_return(ct_db *db, const uint8_t *bytes, const pr_return *r,
                     const uint8_t pk[PR_PK_BYTES]);

#endif
