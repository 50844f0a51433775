/*
 * vcache.h: signatures checked ahead of the decisions, on every core
 * (issue 8). Before a batch of returns is decided in one transaction,
 * each return's signature is verified against every enrolled key with its
 * key id, in parallel; the decision then asks ct_verify_return, which takes
 * the answer from here or computes it. The answer is always libsodium's
 * (crypto_sign_verify_detached through pr_return_verify_enrolled, the
 * acceptance rule of DESIGN 5) on exactly these
 * bytes and this key: an entry holds the signed bytes' address, length and
 * signature and is matched byte for byte, so a cache hit can never answer
 * for other bytes.
 */
#ifndef CENTRAL_VCACHE_H
#define CENTRAL_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ct.h"
#include "db.h"
#include "input.h"
#include "proto/return.h"

/* Verifies the returns among in[0..n) against the keys enrolled in db with
 * their key ids, on all online cores, and keeps the answers in db until
 * ct_vcache_clear. in must stay alive and unchanged until then (entries
 * point into it). Inputs that do not parse are left to the decision. 0, or
 * -1 with e (a database error or out of memory; the cache is then empty,
 * which only costs time). */
int ct_vcache_fill(ct_db *db, const ct_input *in, size_t n, ct_err *e);

/* Forgets every answer. */
void ct_vcache_clear(ct_db *db);

/* pr_return_verify_enrolled(bytes, r, pk) (pk is an enrolled key, checked
 * by pr_pk_valid at enrolment), from the cache when it holds this exact
 * question: 0 verifies, -1 does not. */
int ct_verify_return(ct_db *db, const uint8_t *bytes, const pr_return *r,
                     const uint8_t pk[PR_PK_BYTES]);

#endif
