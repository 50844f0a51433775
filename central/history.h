/*
 * history.h: DESIGN 7 group 8 and the status of a (precinct, contest).
 * Both come from one replay of the decisions about its files and of the
 * people's resolutions, in event order. What stands is then computed from
 * the *set* of returns that stand (a graph of contents linked by
 * `supersedes`), not from the order they came in: that is what makes every
 * status the same whatever the arrival order (DESIGN 7 "Order
 * independence"; docs/REVIEW.md explains the rules).
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
    int has_holds;                  /* group 9 found holds for it */
    int held_certified;             /* one of them is after-certification */
    int64_t key;                    /* keys.id that verified, 0 none */
    int64_t pred;                   /* predecessor files.id, 0 none */
    int64_t import_seq;             /* the event that stored it */
    int64_t seq;                    /* its newest decision */
    /* Derived by the replay: */
    int dismissed;                  /* its content was rejected by a person */
    int accepted;                   /* its content was accepted by a person */
    int dropped;                    /* stands, but a newer line replaced it */
    int head;                       /* represents one of the heads */
    int head_held;                  /* (head only) held by group 9 */
} ct_pc_entry;

/* A person's decision about a content (the newest one counts). */
typedef struct ct_pc_mark {
    uint8_t content[PR_HASH_BYTES];
    int accepted;                   /* 1 accepted, 0 rejected (dismissed) */
    int64_t seq;                    /* the resolve event */
} ct_pc_mark;

typedef struct ct_pc_state {
    size_t n, cap;
    ct_pc_entry *e;                 /* in order of first decision */
    size_t n_marks, cap_marks;
    ct_pc_mark *marks;
    size_t n_heads;                 /* contents that stand now */
    size_t n_awaiting;              /* corrections still waiting (not decided on by a person) */
    size_t n_rejected;              /* rejected files and contents a person rejected */
} ct_pc_state;

/* Replays the decisions and resolutions of (precinct, contest) with
 * seq <= as_of (0: all), leaving out file `exclude` (0: none; the file
 * being decided again). st is overwritten; free with ct_pc_free. 0, or -1
 * with e. */
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
    CT_ST_EXCUSED,
    CT_ST_COUNT
} ct_status;

const char *ct_status_name(ct_status s);

/* The status, and the single head when there is one (else NULL):
 *   no head:  held if a correction awaits its predecessor, else
 *             rejected-only if anything was rejected, else missing;
 *   2+ heads: conflict;
 *   1 head:   held if the head is held (and no person accepted it) or a
 *             correction awaits its predecessor, else in-tally (the head is
 *             what is counted).
 * `excused` is not a replay state: the report applies it on top. */
ct_status ct_pc_status(const ct_pc_state *st, const ct_pc_entry **head);

/* The state's entry for a file id, or NULL. */
const ct_pc_entry *ct_pc_find(const ct_pc_state *st, int64_t file);

/* What group 8 made of a return. */
typedef struct ct_hist {
    ct_role role;
    int decided;                    /* 1: group 8 decides the verdict */
    ct_verdict verdict;             /* when decided */
    ct_codes codes;                 /* when decided */
    int resolves_conflict;          /* a correction that ends a conflict */
    int64_t pred;                   /* predecessor files.id, 0 none */
    int64_t pred_key;               /* its verifying key, 0 none */
    char detail[256];
} ct_hist;

/* Group 8 for a return r that passed groups 1-7, given the replayed state
 * st of its (precinct, contest) without r itself (DESIGN 7 "History"):
 * resigned; then a correction's predecessor (awaiting-predecessor,
 * broken-chain); then what r would do to what stands: not stand (stale,
 * with equivocation when another return of its revision is stored), stand
 * alone (a first return: role NEW, not decided, groups 9-10 follow; a
 * correction: role CORRECTION, likewise), or stand beside another
 * (conflict). 0, or -1 with e. */
int ct_history_decide(ct_db *db, const ct_pc_state *st, const pr_return *r,
                      const uint8_t content[PR_HASH_BYTES], ct_hist *h, ct_err *e);

/* Calls visit for every excused (precinct, contest) (`central excuse`)
 * with seq <= as_of (0: all), in (precinct, contest) order. Its status is
 * `excused` whatever was stored for it. Stops at the first visit that
 * returns non-zero. 0, or -1 with e. */
typedef int (*ct_excuse_visit)(void *ctx, const char *precinct, const char *contest, ct_err *e);
int ct_excuses_each(ct_db *db, int64_t as_of, ct_excuse_visit visit, void *ctx, ct_err *e);

/* Whether the key that signed file was revoked as compromised after the
 * file was stored (and at or before as_of, 0: now): the `key-compromised`
 * flag that status and review show on returns stored before such a
 * revocation, without changing their verdict. 0, or -1 with e. */
int ct_file_key_compromised(ct_db *db, int64_t file, int64_t as_of, int *yes, ct_err *e);

/* Whether any key was revoked as compromised at or before as_of (0: now):
 * when none was, no file needs ct_file_key_compromised. 0, or -1 with e. */
int ct_any_compromised(ct_db *db, int64_t as_of, int *yes, ct_err *e);

/*
 * The replay memo (issue 8). In one write transaction of import's batch,
 * a decision replays the (precinct, contest) of the return it decides
 * (ct_pc_load), and at COMMIT the tally cache's refresh replayed it again,
 * now with that return's file: 9 % of the writer at 100,000 returns. With
 * the memo on, the decision's state is kept (ct_pc_memo_keep), the file's
 * stored decision is added to it in memory exactly as the replay would
 * read it back (ct_pc_memo_stored: the newest event comes last in seq
 * order), and ct_report_row takes that state (ct_pc_memo_get) instead of
 * replaying. A (precinct, contest) that gets a file the memo cannot follow
 * (a return rejected before group 8, so nothing was replayed) is dropped
 * from it and replayed as before. Only import's batch turns it on, and only
 * for its own transaction, in which nothing but imports is written.
 */

/* Turns the memo on for db (empty). Without memory it stays off, which
 * only costs time. */
void ct_pc_memo_start(ct_db *db);

/* Turns it off and frees it. No-op when off. */
void ct_pc_memo_stop(ct_db *db);

/* ct_decide, for a new file (self 0) that reached group 8: st, replayed
 * for (precinct, contest) in this transaction, is the state the file's
 * decision will be added to. Takes st (left empty) when the memo is on;
 * otherwise does nothing. Forgets any state kept before. */
void ct_pc_memo_keep(ct_db *db, const char *precinct, const char *contest, ct_pc_state *st);

/* ct_decide, at its start: forgets the kept state (a decision that ends
 * before group 8 keeps none). */
void ct_pc_memo_forget(ct_db *db);

/* ct_store_import, after storing a parsed file of (precinct, contest) and
 * its decision: the replay row that decision adds (event seq, which also
 * stored the file; role, verdict, codes and holds as stored). When the
 * state kept by the decision is for this (precinct, contest), the row is
 * added to it and it becomes the memo's state of that pair; otherwise the
 * pair is dropped from the memo. No-op when off. 0, or -1 with e (out of
 * memory is not an error: the pair is dropped). */
int ct_pc_memo_stored(ct_db *db, const char *precinct, const char *contest, int64_t seq,
                      int64_t file, const uint8_t hash[PR_HASH_BYTES],
                      const uint8_t content[PR_HASH_BYTES], uint64_t revision, const char *role,
                      const char *verdict, unsigned grp, const char *codes, int64_t key,
                      int64_t pred, const char *holds, ct_err *e);

/* Drops (precinct, contest) from the memo (anything else written about
 * it). No-op when off. */
void ct_pc_memo_drop(ct_db *db, const char *precinct, const char *contest);

/* The memo's state of (precinct, contest): what ct_pc_load(db, precinct,
 * contest, 0, 0) would return now. NULL when it holds none (or is off).
 * Borrowed until the next memo call. */
const ct_pc_state *ct_pc_memo_get(ct_db *db, const char *precinct, const char *contest);

#endif
