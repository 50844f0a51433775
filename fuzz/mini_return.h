/*
 * mini_return.h: a second, minimal parser of `precinct-return 1`, written
 * from docs/FORMATS.md (and the format caps of docs/DECISIONS.md) alone,
 * without proto/'s code, so fuzz_return_diff.c can hold the two to account.
 */
#ifndef FUZZ_MINI_RETURN_H
#define FUZZ_MINI_RETURN_H

#include <stddef.h>
#include <stdint.h>

typedef struct mini_item {
    char id[65];
    uint64_t n;
} mini_item;

typedef struct mini_return {
    char election[65], contest[65], precinct[65];
    uint8_t definition[32];
    int test_mode;               /* 0 live, 1 test */
    uint64_t revision;
    uint8_t supersedes[32];      /* zero when revision is 1 */
    char reason[201];            /* empty when revision is 1 */
    size_t n_counts, n_votes, n_evidence;
    mini_item counts[64], votes[256];
    uint8_t evidence[8][32];
    int64_t signed_at;           /* seconds since 1970-01-01T00:00:00Z */
    uint8_t key_id[8];
    uint8_t signature[64];
    size_t signed_len;           /* bytes through the LF ending the key line */
} mini_return;

/* 0 and *out filled when buf[0..len) is a return, else -1 (and *why says
 * which rule, a static string). */
int mini_return_parse(const uint8_t *buf, size_t len, mini_return *out, const char **why);

#endif
