/*
 * keylist.h: the frozen key list (`election-keylist 1`, docs/EVENTS.md
 * "The frozen key list"): the commission-signed list of every precinct's
 * enrolled station keys, published before polls open (DESIGN 3 step 2,
 * issue 5 "Key freeze"). Returns signed by a key that is not on it (enrolled
 * after the freeze) or whose key was revoked after it are held `late-key`
 * (DESIGN 7 group 9). Like checkpoints and receipts, the signed bytes are
 * every byte through the LF of the `key` line, and the type line keeps the
 * signature from being replayed as any other commission-signed object.
 */
#ifndef PROTO_KEYLIST_H
#define PROTO_KEYLIST_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/codec.h"
#include "proto/limits.h"

#define PR_MAGIC_KEYLIST "election-keylist 1"
/* Largest key list, in bytes: an exception to DESIGN 5's 64 KiB, because
 * one list names every precinct's keys (about 110 bytes per key: 16 MiB is
 * some 150,000 keys). docs/DECISIONS.md, issue 5. */
#define PR_KEYLIST_MAX (16u * 1024u * 1024u)

/* One `station <precinct> <key id> <public>` line. */
typedef struct pr_keylist_entry {
    char precinct[PR_ID_MAX + 1];
    uint8_t key_id[PR_KEYID_BYTES];     /* = pr_key_id(pk) */
    uint8_t pk[PR_PK_BYTES];
} pr_keylist_entry;

typedef struct pr_keylist {
    char election[PR_ID_MAX + 1];
    uint8_t definition[PR_HASH_BYTES];  /* the definition in force */
    uint64_t seq;                       /* the last event the list reflects */
    uint8_t head[PR_HASH_BYTES];        /* its hash */
    size_t n;
    pr_keylist_entry *entries;          /* ascending, distinct (pr_keylist_cmp) */
    int64_t time;                       /* when it was signed */
    uint8_t key_id[PR_KEYID_BYTES];     /* commission key id; set by sign / parse */
    uint8_t signature[PR_SIG_BYTES];
    size_t signed_len;                  /* bytes through the LF of `key` */
} pr_keylist;

/* The order of the `station` lines: precinct (bytewise), then key id, then
 * public key; equal to the bytewise order of the lines themselves. <0, 0,
 * >0 as strcmp. */
int pr_keylist_cmp(const pr_keylist_entry *a, const pr_keylist_entry *b);

/* Sorts kl->entries into pr_keylist_cmp order (the caller's array). */
void pr_keylist_sort(pr_keylist *kl);

/* Signs kl with the commission secret key sk and writes the file into out
 * (initialised here with cap PR_KEYLIST_MAX; the caller frees it with
 * pr_buf_free; on failure nothing is left to free). Sets kl->key_id,
 * signature and signed_len. Refuses (-1 with d) an election that is not an
 * id, a time out of range, an entry whose precinct is not an id, whose
 * key_id is not its public key's or whose public key is not a valid point,
 * entries out of order or repeated, or a list larger than PR_KEYLIST_MAX.
 * kl->entries is borrowed. 0, or -1 with d. */
PR_WARN_UNUSED int pr_keylist_sign(pr_keylist *kl, const uint8_t sk[PR_SK_BYTES], pr_buf *out,
                                   pr_diag *d);

/* Parses buf[0..len) strictly: the grammar of docs/EVENTS.md, fixed field
 * order, the shared byte rules of DESIGN 5 with PR_KEYLIST_MAX for size,
 * station lines ascending and distinct, each key id that of its public key,
 * each public key a valid point, nothing after the signature. On success
 * out->entries is malloc'd (NULL when n is 0) and owned by the caller:
 * free it with pr_keylist_free. On failure nothing is left allocated.
 * 0, or -1 with d naming the line (-1 with "out of memory" and line 0 when
 * the entries cannot be allocated). */
PR_WARN_UNUSED int pr_keylist_parse(const uint8_t *buf, size_t len, pr_keylist *out, pr_diag *d);

/* Verifies the signature over buf[0..kl->signed_len) with the commission
 * public key pk, whose id must be the `key` line. 0 valid, -1 not (d). */
PR_WARN_UNUSED int pr_keylist_verify(const uint8_t *buf, const pr_keylist *kl,
                                     const uint8_t pk[PR_PK_BYTES], pr_diag *d);

/* Frees the entries pr_keylist_parse allocated and zeroes n. NULL ok. */
void pr_keylist_free(pr_keylist *kl);

#endif
