/*
 * freeze.h: the key freeze (issue 5; DESIGN 3 step 2, DESIGN 7 group 9
 * `late-key`). `central keys --freeze` signs, with the commission key, the
 * list of every enrolled, unrevoked station key and its precincts
 * (`election-keylist 1`, proto/keylist.h), records it as one `freeze`
 * event and writes it out to publish. From then on a return whose key was
 * enrolled after the freeze event, or was revoked (lost or retired) after
 * it and before the return came, is held `late-key`. The verdict depends
 * only on the order of key events (enrolments, revocations, the freeze),
 * never on the order returns arrive in (DESIGN 7 "Order independence").
 */
#ifndef CENTRAL_FREEZE_H
#define CENTRAL_FREEZE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ct.h"
#include "db.h"
#include "proto/keylist.h"

/* The freeze event's seq, 0 when the keys are not frozen. 0, or -1 with e
 * (database error, code 3). */
int ct_freeze_seq(ct_db *db, int64_t *seq, ct_err *e);

/* The key list of the database's state now: election, newest definition
 * hash, the head (seq and hash), and one entry per (precinct, key) of every
 * enrolled key that has no revocation, in pr_keylist_cmp order. time,
 * key_id and signature are left zero. kl->entries is malloc'd (NULL when
 * none): free with pr_keylist_free. 0, or -1 with e (database error or out
 * of memory, code 3). */
int ct_freeze_build(ct_db *db, pr_keylist *kl, ct_err *e);

/* Records the signed key list bytes[0..len) as the freeze, in its own
 * transaction (BEGIN IMMEDIATE .. COMMIT), after checking everything: no
 * freeze yet; it parses (pr_keylist_parse); its signature verifies with
 * the database's commission key (db->commission_pk: in `central audit`'s
 * replay, the key given on the audit's command line); its election and
 * definition are the database's; its seq and head are the database's head;
 * its entries are exactly ct_freeze_build's. Writes the freezes row and the
 * `freeze` event. When keep_open is non-zero the transaction is left open
 * on success (the caller commits or rolls back: `keys --freeze` writes the
 * file in between); otherwise it is committed. On failure nothing is
 * stored and the transaction is rolled back. *seq gets the event's seq
 * (may be NULL). 0, or -1 with e: code 1 for a list that is refused (with
 * why), 3 for a database error. */
int ct_freeze_apply(ct_db *db, const uint8_t *bytes, size_t len, int keep_open, int64_t *seq,
                    ct_err *e);

/* DESIGN 7 group 9 `late-key` for a return whose signature verified with
 * keys.id `key`, decided as file `self` (0: a new file; else the stored
 * file decided again, so only revocations recorded before it was stored
 * count, as in verdict.c). *late is 1 when the keys are frozen and the key
 * was enrolled after the freeze event, or its newest revocation that
 * applies is lost or retired and came after the freeze; why (whylen bytes)
 * gets one line saying which. 0, or -1 with e (database error). */
int ct_late_key(ct_db *db, int64_t key, int64_t self, int *late, char *why, size_t whylen,
                ct_err *e);

#endif
