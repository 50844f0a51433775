/*
 * rules.h: the checks of a return against the definition that both the
 * station (before signing) and central (at import) apply: DESIGN 7 groups
 * 4-7 (verdict `rejected`), group 9's definition-only holds and group 10's
 * flags. History (group 8) and key state (group 3) are central's.
 */
#ifndef COMMON_RULES_H
#define COMMON_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "common/definition.h"
#include "proto/return.h"

/* Reason codes found by one check pass, in a fixed order: the order the
 * checks run in (DESIGN 7 table, then protocol rule order). */
#define CM_CODES_MAX 32
typedef struct cm_findings {
    unsigned group;                     /* group that decided (4..7), 0 if none */
    size_t n;
    char codes[CM_CODES_MAX][PR_ID_MAX + 1];
    char detail[256];                   /* human detail of the first code */
} cm_findings;

/* Context of a check: the database's (or station's) mode, and the
 * precincts the signing key is enrolled for (NULL/0 to skip
 * key-precinct-mismatch, e.g. when the key is unknown). */
typedef struct cm_check_ctx {
    const char *mode;                   /* "live" or "test" */
    const char *const *key_precincts;
    size_t n_key_precincts;
    /* A lower commission's area (`central init --scope`): group 5 adds
     * `out-of-scope` for a precinct outside its subtree. NULL: none. */
    const char *scope;
} cm_check_ctx;

/* Runs DESIGN 7 groups 4, 5, 6, 7 in order on a parsed return; stops at the
 * first group with a failure and lists every failing code of that group in
 * f. Returns that group number (4..7), or 0 when all pass (f->n == 0).
 * Group 6 applies in live mode only; signed == close is allowed.
 * Group 7: sum-mismatch (fixed), then the protocol's `reject` rules
 * (cast-exceeds-registered is a default rule). Arithmetic is checked; an
 * overflow counts as a failure of that rule. */
unsigned cm_check_return(const cm_definition *def, const pr_return *r, const cm_check_ctx *ctx,
                         cm_findings *f);

/* Group 9 (definition-only part: registered-drift, the protocol's `hold`
 * rules) into holds, and group 10 (turnout-high, zero-turnout, unanimous,
 * invalid-high, cast-exceeds-roll, the protocol's `flag` rules) into flags.
 * Call only for a return for which cm_check_return returned 0. */
void cm_review_return(const cm_definition *def, const pr_return *r, cm_findings *holds,
                      cm_findings *flags);

/* Fills the derived lines of counts (in protocol order, n == protocol's
 * n_lines) from their parts. Returns 0, or -1 on overflow past
 * PR_COUNT_MAX. */
PR_WARN_UNUSED int cm_compute_derived(const cm_protocol *p, uint64_t *counts);

/* Evaluates one rule on counts in protocol order plus the votes sum.
 * Returns 1 if it holds, 0 if it fails (overflow counts as failing).
 * If detail is not NULL, writes "lhs-expression = N, rhs = M" style text. */
int cm_rule_holds(const cm_rule *rule, const uint64_t *counts, uint64_t votes, char *detail,
                  size_t detail_len);

/* Percentage in hundredths, DESIGN 8: floor((20000 n + d) / (2 d)), checked.
 * Writes "p/100.p%100" (e.g. "78.77") or "n/a" when d == 0 into out
 * (>= 24 bytes). Returns 0, or -1 on overflow (then writes "n/a"). */
int cm_percent(uint64_t n, uint64_t d, char *out, size_t outlen);

#endif
