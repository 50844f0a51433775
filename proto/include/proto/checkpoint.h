/*
 * checkpoint.h: the commission-signed checkpoint of central's event chain
 * (`election-checkpoint 1`, docs/EVENTS.md): election, sequence number,
 * head hash and counts per verdict, published outside the database so an
 * auditor can tell a rewritten or truncated log from the real one; and
 * the receipt of one stored file (`election-receipt 1`).
 */
#ifndef PROTO_CHECKPOINT_H
#define PROTO_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/codec.h"
#include "proto/limits.h"

#define PR_MAGIC_CHECKPOINT "election-checkpoint 1"
/* The verdicts counted, in the order of the `count` lines. */
#define PR_CHECKPOINT_VERDICTS 8
extern const char *const pr_checkpoint_verdicts[PR_CHECKPOINT_VERDICTS];

typedef struct pr_checkpoint {
    char election[PR_ID_MAX + 1];
    uint64_t seq;                                   /* the head event */
    uint8_t head[PR_HASH_BYTES];                    /* its hash */
    uint64_t counts[PR_CHECKPOINT_VERDICTS];        /* stored files per current verdict */
    int64_t time;                                   /* when it was signed */
    uint8_t key_id[PR_KEYID_BYTES];                 /* set by sign / parse */
    uint8_t signature[PR_SIG_BYTES];
    size_t signed_len;                              /* bytes through the LF of `key` */
} pr_checkpoint;

/* Signs cp with the commission secret key sk (sets key_id, signature,
 * signed_len) and writes the file into out (initialised here; the caller
 * frees it). 0, or -1 with d. */
PR_WARN_UNUSED int pr_checkpoint_sign(pr_checkpoint *cp, const uint8_t sk[PR_SK_BYTES], pr_buf *out,
                                      pr_diag *d);
/* Parses strictly (fixed line order, every verdict once, no trailing
 * bytes). 0, or -1 with d naming the line. */
PR_WARN_UNUSED int pr_checkpoint_parse(const uint8_t *buf, size_t len, pr_checkpoint *out,
                                       pr_diag *d);
/* Verifies the signature over buf[0..signed_len) with the commission
 * public key pk (whose id must be the `key` line). 0 valid, -1 not (d). */
PR_WARN_UNUSED int pr_checkpoint_verify(const uint8_t *buf, const pr_checkpoint *cp,
                                        const uint8_t pk[PR_PK_BYTES], pr_diag *d);

/* A receipt (`election-receipt 1`): what central decided about one file
 * it stored, signed by the commission, for the courier or the station. */
#define PR_MAGIC_RECEIPT "election-receipt 1"
/* Longest comma-joined reason-code list a receipt carries. */
#define PR_RECEIPT_CODES_MAX 511

typedef struct pr_receipt {
    char election[PR_ID_MAX + 1];
    uint8_t file[PR_HASH_BYTES];                    /* BLAKE2b-256 of all its bytes */
    char verdict[PR_ID_MAX + 1];
    char codes[PR_RECEIPT_CODES_MAX + 1];           /* "" for none ("-" in the file) */
    uint64_t seq;                                   /* the event that stored it */
    uint8_t head[PR_HASH_BYTES];                    /* that event's hash */
    int64_t time;
    uint8_t key_id[PR_KEYID_BYTES];
    uint8_t signature[PR_SIG_BYTES];
    size_t signed_len;
} pr_receipt;

/* As for checkpoints: sign (out initialised here), strict parse, verify. */
PR_WARN_UNUSED int pr_receipt_sign(pr_receipt *r, const uint8_t sk[PR_SK_BYTES], pr_buf *out,
                                   pr_diag *d);
PR_WARN_UNUSED int pr_receipt_parse(const uint8_t *buf, size_t len, pr_receipt *out, pr_diag *d);
PR_WARN_UNUSED int pr_receipt_verify(const uint8_t *buf, const pr_receipt *r,
                                     const uint8_t pk[PR_PK_BYTES], pr_diag *d);

#endif
