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
    /* The rows grouped by contest (issue 8: a scan of every row for each
     * contest is quadratic in the size of the election), set by
     * ct_report_build: contest c's rows are rows[by_contest[k]] for k in
     * contest_start[c] .. contest_start[c + 1] - 1, in row order. */
    size_t *by_contest;
    size_t *contest_start;          /* def->n_contests + 1 entries */
} ct_report;

/* Builds the report at as_of (0: now). With want_counts the counts of
 * every return in the tally are read back from its stored bytes (the
 * signed bytes are the truth, not a copy). 0, or -1 with e. */
int ct_report_build(ct_db *db, int64_t as_of, int want_counts, ct_report *r, ct_err *e);
void ct_report_free(ct_report *r);

/* One row at the head, as ct_report_build makes it: precinct p expects
 * contest c (definition indexes; the caller checked both, and the scope).
 * Status and head only: counts and votes stay NULL (ct_report_counts).
 * any_excused 0 says the database has no excuse at all (one query saved
 * per row). For the tally cache (running.h), which recomputes the
 * (precinct, contest)s an event touched. 0, or -1 with e. */
int ct_report_row(ct_db *db, size_t p, size_t c, int any_excused, ct_pc_row *row, ct_err *e);

/* Fills counts, votes and key_id of every row of r whose status is in the
 * tally, from its return's stored bytes, parsing on every core. r needs
 * only n and rows. 0, or -1 with e (a stored return that no longer parses,
 * or cannot be read). */
int ct_report_counts(ct_db *db, ct_report *r, ct_err *e);

/* Groups items 0..n-1 by key(ctx, i), which must be < n_keys, keeping
 * their order (a stable counting sort): group g is (*idx)[(*start)[g] ..
 * (*start)[g + 1]). *idx (n entries) and *start (n_keys + 1) are
 * malloc'd for the caller. 0, or -1 out of memory (both NULL). */
int ct_group_by(size_t n, size_t n_keys, size_t (*key)(const void *ctx, size_t i), const void *ctx,
                size_t **idx, size_t **start);

/* Contest c's rows of a report from ct_report_build, in row order: *n row
 * indexes into r->rows (borrowed from r). Constant time. */
const size_t *ct_report_contest_rows(const ct_report *r, size_t c, size_t *n);

/* The rows of contest (an index of the definition's contests) per status
 * into by (CT_ST_COUNT counts, overwritten); returns how many rows it has
 * (the precincts that expect a return of it). */
size_t ct_contest_status_counts(const ct_report *r, size_t contest, size_t by[CT_ST_COUNT]);

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

/* The sums of one contest, all zero, arrays allocated (free with
 * ct_contest_sum_free). 0, or -1 out of memory. */
int ct_contest_sum_init(const cm_definition *def, size_t contest, ct_contest_sum *s);

/* Adds (sign > 0) or takes away (sign < 0) one row of s's contest: its
 * status in by_status and, when it is in the tally with counts, its
 * counts, votes and roll (DESIGN 8 sums). expected is left alone. 0, or
 * -1 when a sum would pass UINT64_MAX or go below 0 (the other fields are
 * still updated). */
int ct_contest_sum_apply(const cm_definition *def, ct_contest_sum *s, const ct_pc_row *row,
                         int sign);

/* 0, or -1 when out of memory. Free with ct_contest_sum_free. */
int ct_contest_sum_build(const cm_definition *def, const ct_report *r, size_t contest,
                         ct_contest_sum *s);
void ct_contest_sum_free(ct_contest_sum *s);
/* The sum of line `line` (index), of registered, ballots-cast, invalid and
 * against-all (0 when the contest has none). */
uint64_t ct_sum_line(const cm_definition *def, const ct_contest_sum *s, const char *which);

typedef enum {
    CT_OUT_ELECTED = 0,     /* winners (or, party-list, every seat) decided */
    CT_OUT_TIE,             /* a tie at the last seat (or for a runoff place) */
    CT_OUT_RUNOFF,          /* majority not reached: runoff between `runoff` */
    CT_OUT_AGAINST_ALL,     /* against-all > 0 and >= the leader's votes */
    CT_OUT_NO_CANDIDATES,   /* every candidate withdrawn */
    CT_OUT_BELOW_THRESHOLD, /* party-list: no list with votes reached the threshold */
    CT_OUT_OVERFLOW         /* a product passed UINT64_MAX: nothing decided */
} ct_outcome_kind;

const char *ct_outcome_name(ct_outcome_kind k);

/* DESIGN 8 outcome of one contest. Every array is indexed as its comment
 * says; all are allocated by ct_outcome_build and freed by ct_outcome_free.
 *
 * party-list (docs/DEFINITION.md "Outcomes"): a list passes when
 * votes x 10000 >= threshold_bp x ballots cast (of the contest's sums);
 * the seats go to the passing lists by `hare` (largest remainder: quota
 * is the passing lists' votes / seats; equal remainders go to the list
 * with more votes) or `dhondt` (highest quotients votes / (s + 1); equal
 * quotients go to the list with more votes). What is still tied after
 * that can only be lists with exactly equal votes: those seats are left
 * undecided (`tied_seats`), kind CT_OUT_TIE, `tied` names the lists. */
typedef struct ct_outcome {
    ct_outcome_kind kind;
    int incomplete;                 /* some expected precinct is not in the tally:
                                     * kind is then only provisional */
    size_t n_winners;
    size_t *winners;                /* candidate indexes: elected, or lists with
                                     * at least one seat (most votes first) */
    size_t n_tied;
    size_t *tied;                   /* candidates tied for the last place(s) */
    size_t n_runoff;
    size_t *runoff;
    size_t n_ranked;
    size_t *ranked;                 /* eligible candidates, most votes first,
                                     * definition order among equals */
    uint64_t *seats;                /* per candidate: seats decided (0/1 for
                                     * plurality and majority) */
    unsigned char *passed;          /* per candidate, party-list: 1 when it
                                     * reached the threshold (else all 0) */
    uint64_t tied_seats;            /* seats left undecided by a tie */
} ct_outcome;

/* DESIGN 8 outcome from the sums. 0, or -1 out of memory. */
int ct_outcome_build(const cm_definition *def, const ct_contest_sum *s, ct_outcome *o);
void ct_outcome_free(ct_outcome *o);

/* Roll-ups over the area tree (DESIGN 8): for one contest, the sums of
 * the rows in each area's subtree, turnout per contest so no voter is
 * counted twice. On success *out is an array of def->n_areas sums indexed
 * by area (an area outside the contest has expected == 0); free it with
 * ct_area_sums_free(*out, def->n_areas). 0, or -1 out of memory. */
int ct_area_sums_build(const cm_definition *def, const ct_report *r, size_t contest,
                       ct_contest_sum **out);
void ct_area_sums_free(ct_contest_sum *sums, size_t n);

/* Areas of the subtree of `root` in depth-first order (children in
 * definition order): (*order)[0..*n) and each one's depth below root in
 * (*depth)[0..*n), both malloc'd for the caller. 0, or -1 out of memory
 * (both NULL, *n 0). */
int ct_area_order(const cm_definition *def, size_t root, size_t **order, size_t **depth,
                  size_t *n);

/* Reports of DESIGN 7 that are never verdicts (they depend on the whole
 * tally), computed from a report built with counts. */
typedef enum { CT_NOTE_TURNOUT_OUTLIER = 0, CT_NOTE_REGISTERED_DIFFERS } ct_note_kind;

/* turnout-outlier: a precinct's turnout, in parts per million (floor of
 * ballots cast x 10^6 / registered), lies outside median +- K x MAD of the
 * turnouts of the contest's precincts in the tally that have registered >
 * 0, when there are at least CT_OUTLIER_MIN_PRECINCTS of them. The median
 * of an even count is the lower middle value (integers throughout). */
#define CT_OUTLIER_K 5u
#define CT_OUTLIER_MIN_PRECINCTS 20u

typedef struct ct_note {
    ct_note_kind kind;
    size_t precinct;                /* definition index */
    size_t contest;                 /* definition index; for registered-differs
                                     * the first contest that differs */
    char detail[256];
} ct_note;

const char *ct_note_name(ct_note_kind k);

/* Builds the notes, in definition order: turnout outliers contest by
 * contest (precincts in definition order), then registered-differs-across-
 * contests per precinct. *notes (free with free()) and *n. 0, or -1 out
 * of memory. */
int ct_notes_build(const cm_definition *def, const ct_report *r, ct_note **notes, size_t *n);

#endif
