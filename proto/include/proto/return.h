/*
 * return.h: the signed precinct return, `precinct-return 1` (DESIGN 5.1).
 * Strict parser (exactly the grammar, naming the line and rule broken),
 * canonical encoder, Ed25519 signing and verification, content hash.
 */
#ifndef PROTO_RETURN_H
#define PROTO_RETURN_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/codec.h"
#include "proto/limits.h"

typedef enum { PR_MODE_LIVE = 0, PR_MODE_TEST = 1 } pr_mode;

/* One `count` or `votes` line. */
typedef struct pr_item {
    char id[PR_ID_MAX + 1];
    uint64_t value;
} pr_item;

/* A parsed (or to-be-encoded) return. Plain data, no pointers: copy freely.
 * About 20 KiB: allocate on the heap in loops. */
typedef struct pr_return {
    char election[PR_ID_MAX + 1];
    uint8_t definition[PR_HASH_BYTES];
    pr_mode mode;
    char contest[PR_ID_MAX + 1];
    char precinct[PR_ID_MAX + 1];
    uint64_t revision;                      /* >= 1 */
    uint8_t supersedes[PR_HASH_BYTES];      /* revision > 1 only */
    char reason[PR_TEXT_MAX + 1];           /* revision > 1 only */
    size_t n_counts;
    pr_item counts[PR_LINES_MAX];           /* protocol order */
    size_t n_votes;
    pr_item votes[PR_CANDIDATES_MAX];       /* definition order */
    size_t n_evidence;
    uint8_t evidence[PR_EVIDENCE_MAX][PR_HASH_BYTES]; /* ascending, distinct */
    int64_t signed_at;                      /* epoch seconds */
    uint8_t key_id[PR_KEYID_BYTES];
    uint8_t signature[PR_SIG_BYTES];
    size_t signed_len;                      /* parse: bytes the signature covers */
} pr_return;

/* Parses buf[0..len) as a return, exactly the grammar of DESIGN 5.1 and the
 * shared rules of DESIGN 5 (LF only, final LF, no CR/tab/NUL/BOM/trailing
 * space, <= 64 KiB, fields in order, no duplicate/unknown field, `count`
 * lines for registered, ballots-cast and invalid present, no repeated line
 * or candidate id, at least one `votes` line).
 * Returns 0 and fills *out; or -1 with d naming the line and rule (the
 * verdict is `rejected`/`malformed`). Does not verify the signature. */
PR_WARN_UNUSED int pr_return_parse(const uint8_t *buf, size_t len, pr_return *out, pr_diag *d);

/* Appends the canonical bytes from the type line through the LF that ends
 * the `key` line (the signed part) to out. Fields are validated as the
 * parser would; returns 0, or -1 with d set (nothing useful in out). */
PR_WARN_UNUSED int pr_return_encode_signed_part(const pr_return *r, pr_buf *out, pr_diag *d);

/* Signs r with sk (64-byte libsodium secret key), setting r->key_id from the
 * secret key's public half and r->signature, and writes the whole file into
 * out (a fresh buffer, caller frees). Returns 0, or -1 with d set. */
PR_WARN_UNUSED int pr_return_sign(pr_return *r, const uint8_t sk[PR_SK_BYTES], pr_buf *out,
                                  pr_diag *d);

/* Verifies the signature of a parsed return over buf[0..r->signed_len)
 * with pk (crypto_sign_verify_detached; invalid points refused).
 * 0 if valid, -1 if not. */
PR_WARN_UNUSED int pr_return_verify(const uint8_t *buf, const pr_return *r,
                                    const uint8_t pk[PR_PK_BYTES]);

/* The same for a key already known to be a valid point of the prime-order
 * subgroup (pr_pk_valid checked when it was enrolled): the key id and
 * libsodium's crypto_sign_verify_detached (which itself refuses small-order
 * and non-canonical keys), without the subgroup check again, which costs
 * almost half a verification (issue 8). Central uses it for keys read from
 * its database, whose rows `central audit` checks against a replay of the
 * enrolments. 0 if valid, -1 if not. */
PR_WARN_UNUSED int pr_return_verify_enrolled(const uint8_t *buf, const pr_return *r,
                                             const uint8_t pk[PR_PK_BYTES]);

/* BLAKE2b-256 of the return's content (every line but signed, key and
 * signature, canonically encoded): equal content gives equal hashes.
 * Returns 0, -1 if r does not encode, -2 out of memory (nothing said about
 * r: a caller must not judge the return on it). */
PR_WARN_UNUSED int pr_return_content_hash(const pr_return *r, uint8_t out[PR_HASH_BYTES]);

/* 1 and *value set when r has a count line `id`; 0 when it has none. */
int pr_return_count(const pr_return *r, const char *id, uint64_t *value);

/* "live" / "test". */
const char *pr_mode_name(pr_mode m);

#endif
