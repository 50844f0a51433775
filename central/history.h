/*
 * history.h: DESIGN 7 group 8 and the status of a (precinct, contest).
 * Both come from one replay: the decisions about the files of a (precinct,
 * contest), applied in event order, give its heads (the return(s) that
 * stand for it now), its waiting corrections and its rejections. A new
 * return is judged against that state; the status is read from it.
 */
#ifndef CENTRAL_HISTORY_H
#define CENTRAL_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "ct.h"
#include "db.h"
#include "proto/return.h"

/* One file of the (precinct, contest), as its newest decision leaves it. */
typedef struct ct_pc_entry {
    int64_t file;                   /* files.id */
    uint8_t hash[PR_HASH_BYTES];    /* of the file's bytes */
    uint8_t content[PR_HASH_BYTES]; /* pr_return_content_hash */
    uint64_t revision;
    ct_role role;
    ct_verdict verdict;
    unsigned grp;                   /* group of the decision, 0: passed all */
    int chain_ok;                   /* may be named by a correction (DESIGN 7) */
    int key_pending;                /* rejected for key state (unknown-key,
                                     * bad-signature, key-precinct-mismatch):
                                     * decided again after an enrolment */
    int64_t key;                    /* keys.id that verified, 0 none */
    int head;                       /* stands for the (precinct, contest) now */
    int64_t seq;                    /* its newest decision */
} ct_pc_entry;

typedef struct ct_pc_state {
    size_t n, cap;
    ct_pc_entry *e;                 /* in order of first decision */
    size_t n_heads, n_awaiting, n_rejected;
    uint64_t maxrev;                /* highest revision among standing returns */
} ct_pc_state;

/* Replays the decisions of (precinct, contest) with seq <= as_of (0: all),
 * leaving out file `exclude` (0: none; the file being decided again).
 * st is overwritten; free with ct_pc_free. 0, or -1 with e. */
int ct_pc_load(ct_db *db, const char *precinct, const char *contest, int64_t exclude,
               int64_t as_of, ct_pc_state *st, ct_err *e);
void ct_pc_free(ct_pc_state *st);

/* Replays every (precinct, contest) that has a parsed stored file, in one
 * query, calling visit with each state (borrowed for the call). Stops at
 * the first visit that returns non-zero. 0, or -1 with e. */
typedef int (*ct_pc_visit)(void *ctx, const char *precinct, const char *contest,
                           const ct_pc_state *st, ct_err *e);
int ct_pc_each(ct_db *db, int64_t as_of, ct_pc_visit visit, void *ctx, ct_err *e);

/* Status of a (precinct, contest) (DESIGN 7), exactly one. */
typedef enum {
    CT_ST_IN_TALLY = 0,
    CT_ST_HELD,
    CT_ST_CONFLICT,
    CT_ST_REJECTED_ONLY,
    CT_ST_MISSING,
    CT_ST_COUNT
} ct_status;

const char *ct_status_name(ct_status s);

/* The status, and the single head when there is one (else NULL):
 *   no head:  held if a correction awaits its predecessor, else
 *             rejected-only if anything was rejected, else missing;
 *   2+ heads: conflict;
 *   1 head:   held if the head is held or a correction awaits its
 *             predecessor, else in-tally (the head is what is counted). */
ct_status ct_pc_status(const ct_pc_state *st, const ct_pc_entry **head);

/* What group 8 made of a return. */
typedef struct ct_hist {
    ct_role role;
    int decided;                    /* 1: group 8 decides the verdict */
    ct_verdict verdict;             /* when decided */
    ct_codes codes;                 /* when decided */
    int resolves_conflict;          /* a correction of one side of a conflict */
    int64_t pred;                   /* predecessor files.id, 0 none */
    int64_t pred_key;               /* its verifying key, 0 none */
    char detail[256];
} ct_hist;

/* Group 8 for a return r that passed groups 1-7, given the replayed state
 * st of its (precinct, contest) without r itself (DESIGN 7 "History", in
 * its order: resigned, stale, conflict, correction, awaiting-predecessor /
 * broken-chain). A revision-1 return with no standing one is role NEW and
 * not decided (groups 9-10 follow). 0, or -1 with e. */
int ct_history_decide(ct_db *db, const ct_pc_state *st, const pr_return *r,
                      const uint8_t content[PR_HASH_BYTES], ct_hist *h, ct_err *e);

#endif
