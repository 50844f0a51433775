/*
 * running.h: the tally cache (issue 8 "running tallies so tally and status
 * never rescan returns"). Beside the append-only tables, central keeps
 * derived, rewritable tables (schema in db.c):
 *
 *   tally_cache          the definition's hash and core (the definition
 *                        without its precincts, cm_definition_core_bytes)
 *   tally_cache_contest  per contest: expected precincts, precincts per
 *                        status, and the sums of the returns in the tally
 *   tally_cache_pc       per (precinct, contest) that is not missing: its
 *                        status and the file counted
 *   tally_dirty          the (precinct, contest)s whose decisions,
 *                        resolutions or excuses changed since; filled by
 *                        triggers on those tables, in the same transaction
 *
 * Every write transaction brings the cache up to date just before its
 * COMMIT (ct_db_commit calls ct_running_refresh), so it moves with the
 * event log atomically and a crash leaves both as they were. A reader
 * uses it only when it is current: no dirty row, and the cache's
 * definition hash is the newest definition's. Otherwise tally and status
 * compute everything from the stored returns, as they always did; and
 * `tally --recount` always does. The cache is never evidence: `central
 * audit` compares it with its replay (docs/DECISIONS.md "Tally cache").
 */
#ifndef CENTRAL_RUNNING_H
#define CENTRAL_RUNNING_H

#include <stdint.h>

#include "db.h"
#include "report.h"

/* Brings the cache up to date inside the caller's write transaction: the
 * (precinct, contest)s in tally_dirty are recomputed from their decisions
 * (ct_report_row) and their counts from the stored bytes, their old share
 * of the contest sums taken away and the new one added; when the cache is
 * missing or of another definition, all of it is rebuilt from a full
 * report. A sum that would overflow leaves no cache (readers then
 * recompute, and report the overflow as they always did). Does nothing
 * when db->running is 0. When the cache cannot be brought up to date (a
 * stored return that no longer parses, a cache row altered by hand), it
 * is emptied instead, so that it never stops a write: readers then
 * compute from every return, and the next commit rebuilds it. 0, or -1
 * with e when not even that can be written (the caller rolls back). */
int ct_running_refresh(ct_db *db, ct_err *e);

/* Rebuilds the whole cache from a full report at the head (inside the
 * caller's write transaction). 0, or -1 with e. */
int ct_running_rebuild(ct_db *db, ct_err *e);

/* The cached state, when it is current, for a national summary: *seq and
 * head of the newest event, and one sum per contest of db->def
 * (sums[c].contest == c; free with ct_running_sums_free). 1 with them
 * filled, 0 when the cache is not current or not readable (the caller
 * computes from the returns instead; *sums NULL), -1 with e on a database
 * error. Reads in one transaction. */
int ct_running_read(ct_db *db, int64_t *seq, uint8_t head[PR_HASH_BYTES], ct_contest_sum **sums,
                    ct_err *e);

/* ct_db_open_core, then ct_running_read: 1 with *db (only the
 * definition's core) and the sums; 0 when there is no current cache to
 * read (*db NULL: open with ct_db_open and compute); -1 with e (*db
 * NULL). For `tally` and `status --summary`. */
int ct_running_open(const char *path, ct_db **db, int64_t *seq, uint8_t head[PR_HASH_BYTES],
                    ct_contest_sum **sums, ct_err *e);

/* Frees n sums of ct_running_read (those taken over may be zeroed) and the
 * array; NULL is allowed. */
void ct_running_sums_free(ct_contest_sum *sums, size_t n);

/* Compares a current cache with sums computed from the returns (sums[c]
 * for every contest c of db->def). 1 when the cache is current and
 * differs (what names the first contest that does, and how), 0 when it is
 * equal or not current, -1 with e. For `central audit`. */
int ct_running_differs(ct_db *db, const ct_contest_sum *sums, char *what, size_t what_len,
                       ct_err *e);

/* Whether a current cache's core (tally_cache.core, the names, ids,
 * seats and rules a cached tally prints by) is not exactly
 * cm_definition_core_bytes of the newest stored definition: 1 when it
 * differs, 0 when equal or not current, -1 with e. For `central audit`. */
int ct_running_core_differs(ct_db *db, ct_err *e);

/* Compares a current cache's rows (tally_cache_pc) with a report r built
 * with ct_report_build at the head: every (precinct, contest) that is not
 * missing must have its row, with its status and counted file, and no
 * other row may exist. 1 when they differ (what names the first row that
 * does, or the counts), 0 when equal or not current, -1 with e. For
 * `central audit`: a wrong row would make later commits take the wrong
 * share out of the sums. */
int ct_running_rows_differ(ct_db *db, const ct_report *r, char *what, size_t what_len, ct_err *e);

#endif
