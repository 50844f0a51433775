/*
 * tally.h: the commission-signed tally of one level (`election-tally 1`,
 * docs/BUNDLE.md): per contest, the sums of every protocol line and every
 * candidate over the precincts of the level's area in its tally, at one
 * event of its chain. A higher commission that imports the level's bundle
 * checks these sums against the sum of the same precincts in its own
 * database.
 */
#ifndef PROTO_TALLY_H
#define PROTO_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/codec.h"
#include "proto/limits.h"

#define PR_MAGIC_TALLY "election-tally 1"
/* Largest tally file (many contests): 4 MiB. */
#define PR_TALLY_FILE_MAX (4u * 1024u * 1024u)
/* Largest sum a tally line may carry (sums of counts, not counts). */
#define PR_TALLY_SUM_MAX 1000000000000000000ull

typedef struct pr_tally_contest {
    char id[PR_ID_MAX + 1];
    uint64_t in_tally, expected;                    /* precincts */
    size_t n_lines;
    char line_ids[PR_LINES_MAX][PR_ID_MAX + 1];
    uint64_t lines[PR_LINES_MAX];
    size_t n_votes;
    char candidate_ids[PR_CANDIDATES_MAX][PR_ID_MAX + 1];
    uint64_t votes[PR_CANDIDATES_MAX];
} pr_tally_contest;

typedef struct pr_tally {
    char election[PR_ID_MAX + 1];
    char area[PR_ID_MAX + 1];                       /* the area the sums cover */
    uint64_t seq;                                   /* the event they are computed at */
    uint8_t head[PR_HASH_BYTES];                    /* its hash */
    size_t n_contests;
    pr_tally_contest *contests;                     /* owned (pr_tally_free) */
    int64_t time;                                   /* when it was signed */
    uint8_t key_id[PR_KEYID_BYTES];                 /* set by sign / parse */
    uint8_t signature[PR_SIG_BYTES];
    size_t signed_len;                              /* bytes through the LF of `key` */
} pr_tally;

/* Appends an empty contest with this id; its fields are the caller's to
 * fill. NULL when out of memory. */
pr_tally_contest *pr_tally_add_contest(pr_tally *t, const char *id);
/* Frees t->contests (t itself is the caller's). NULL ok. */
void pr_tally_free(pr_tally *t);

/* Signs t with the commission secret key sk (sets key_id, signature,
 * signed_len) and writes the file into out (initialised here; the caller
 * frees it). 0, or -1 with d. */
PR_WARN_UNUSED int pr_tally_sign(pr_tally *t, const uint8_t sk[PR_SK_BYTES], pr_buf *out,
                                 pr_diag *d);
/* Parses strictly (fixed line order, ids and counts, nothing after the
 * signature) into out (free with pr_tally_free, also on failure). 0, or -1
 * with d naming the line. */
PR_WARN_UNUSED int pr_tally_parse(const uint8_t *buf, size_t len, pr_tally *out, pr_diag *d);
/* Verifies the signature over buf[0..signed_len) with the commission
 * public key pk (whose id must be the `key` line). 0 valid, -1 not (d). */
PR_WARN_UNUSED int pr_tally_verify(const uint8_t *buf, const pr_tally *t,
                                   const uint8_t pk[PR_PK_BYTES], pr_diag *d);

#endif
