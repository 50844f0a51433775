/*
 * compare.h: `central compare --published FILE.csv`: a results table as a
 * commission or a newspaper printed it (docs/COMPARE.md), checked number by
 * number against the tally and against its own printed counts. The share
 * rule lives here so it can be tested alone: a printed share is right when
 * it lies within half its last printed digit of 100 n / d, decided in exact
 * integer arithmetic (DESIGN 8: no floating point decides anything).
 */
#ifndef CENTRAL_COMPARE_H
#define CENTRAL_COMPARE_H

#include <stddef.h>
#include <stdint.h>

/* Most decimals a printed share may have, and most digits before the dot. */
#define CT_SHARE_DECIMALS_MAX 6u
#define CT_SHARE_INT_DIGITS_MAX 12u

/* A share as printed: the digits without the dot as one integer (78.77 ->
 * 7877, decimals 2; 79 -> 79, decimals 0), or n/a. */
typedef struct ct_share {
    uint64_t digits;
    unsigned decimals;
    int na;                     /* printed "n/a": no share (zero denominator) */
} ct_share;

/* Parses a share as printed in a table: 1 to CT_SHARE_INT_DIGITS_MAX
 * digits, optionally a dot and 1 to CT_SHARE_DECIMALS_MAX digits, optionally
 * a final '%'; or "n/a". No sign, spaces or thousands separators. The
 * number of decimals is kept: it sets the tolerance. 0, or -1 when s is not
 * such a share. */
int ct_share_parse(const char *s, ct_share *out);

/* 1 when the printed share is within half a unit of its last printed digit
 * of 100 n / d (both ends included, so a printer that rounds half up, half
 * down or half to even all pass), 0 when not; -1 when 100 n x 10^decimals
 * does not fit 64 bits (nothing decided). When d == 0 there is no share:
 * only "n/a" matches. A printed "n/a" with d > 0 does not match. */
int ct_share_matches(const ct_share *printed, uint64_t n, uint64_t d);

/* 100 n / d at `decimals` places, rounded half away from zero (for
 * decimals == 2 exactly DESIGN 8's floor((20000 n + d) / (2 d))), written as
 * a table prints it ("0.00", "79"), or "n/a" when d == 0, into out (>= 32
 * bytes). 0, or -1 on overflow (then "n/a" is written). */
int ct_share_format(uint64_t n, uint64_t d, unsigned decimals, char *out, size_t outlen);

#endif
