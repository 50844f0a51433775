/*
 * report.h: the derived state that `status` and `tally` print: one row per
 * expected (precinct, contest) of the definition with exactly one status,
 * the counts of the return in the tally, per-contest sums and outcomes
 * (DESIGN 8), all computed at one event (the head, or --as-of).
 */
#ifndef CENTRAL_REPORT_H
#define CENTRAL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ct.h"
#include "db.h"
#include "history.h"

typedef struct ct_pc_row {
    size_t precinct, contest;       /* definition indexes */
    ct_status status;
    int has_head;                   /* a single head (in tally, or held) */
    int64_t file;
    uint8_t hash[PR_HASH_BYTES];
    uint64_t revision;
    ct_verdict verdict;
    char key_id[PR_KEYID_HEX + 1];  /* with counts */
    uint64_t *counts;               /* in tally and wanted: per protocol line */
    uint64_t *votes;                /* in tally and wanted: per candidate */
} ct_pc_row;

typedef struct ct_report {
    int64_t seq;                    /* event the report is computed at */
    uint8_t head[PR_HASH_BYTES];
    size_t n;
    ct_pc_row *rows;                /* precincts in definition order, each
                                     * one's contests in its listed order */
} ct_report;

/* Builds the report at as_of (0: now). With want_counts the counts of
 * every return in the tally are read back from its stored bytes (the
 * signed bytes are the truth, not a copy). 0, or -1 with e. */
int ct_report_build(ct_db *db, int64_t as_of, int want_counts, ct_report *r, ct_err *e);
void ct_report_free(ct_report *r);

/* Sums over the precincts in the tally of one contest. */
typedef struct ct_contest_sum {
    size_t contest;
    size_t n_lines, n_candidates;
    uint64_t *lines;                /* per protocol line */
    uint64_t *votes;                /* per candidate */
    uint64_t roll;                  /* roll of precincts in the tally that have one */
    size_t roll_unknown;            /* precincts in the tally without a roll */
    size_t expected;
    size_t by_status[CT_ST_COUNT];
    int overflow;                   /* a sum passed UINT64_MAX: not printed */
} ct_contest_sum;

/* 0, or -1 when out of memory. Free with ct_contest_sum_free. */
int ct_contest_sum_build(const cm_definition *def, const ct_report *r, size_t contest,
                         ct_contest_sum *s);
void ct_contest_sum_free(ct_contest_sum *s);
/* The sum of line `line` (index), of registered, ballots-cast, invalid and
 * against-all (0 when the contest has none). */
uint64_t ct_sum_line(const cm_definition *def, const ct_contest_sum *s, const char *which);

typedef enum {
    CT_OUT_ELECTED = 0,     /* winners decided */
    CT_OUT_TIE,             /* a tie at the last seat (or for a runoff place) */
    CT_OUT_RUNOFF,          /* majority not reached: runoff between `runoff` */
    CT_OUT_AGAINST_ALL,     /* against-all > 0 and >= the leader's votes */
    CT_OUT_NO_CANDIDATES,   /* every candidate withdrawn */
    CT_OUT_UNSUPPORTED      /* party-list: not yet */
} ct_outcome_kind;

const char *ct_outcome_name(ct_outcome_kind k);

typedef struct ct_outcome {
    ct_outcome_kind kind;
    int incomplete;                 /* some expected precinct is not in the tally:
                                     * kind is then only provisional */
    size_t n_winners;
    size_t *winners;                /* candidate indexes */
    size_t n_tied;
    size_t *tied;                   /* candidates tied for the last place */
    size_t n_runoff;
    size_t *runoff;
    size_t n_ranked;
    size_t *ranked;                 /* eligible candidates, most votes first,
                                     * definition order among equals */
} ct_outcome;

/* DESIGN 8 outcome from the sums. 0, or -1 out of memory. */
int ct_outcome_build(const cm_definition *def, const ct_contest_sum *s, ct_outcome *o);
void ct_outcome_free(ct_outcome *o);

#endif
