/*
 * certify.h: certification of a contest (issue 5; DESIGN 3 step 5, DESIGN 7
 * group 9, DESIGN 8 --as-of) and the group 9 holds of the trust anchors:
 * `late-key` after a key freeze (freeze.h), `after-certification` and
 * `correction-review` once the contest is certified.
 */
#ifndef CENTRAL_CERTIFY_H
#define CENTRAL_CERTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ct.h"
#include "db.h"
#include "proto/return.h"

/* The certification of contest at or before event as_of (0: now): *seq is
 * its event (0 when not certified); ref (reflen bytes, may be NULL) gets
 * its decision reference. 0, or -1 with e (database error, code 3). */
int ct_certified(ct_db *db, const char *contest, int64_t as_of, int64_t *seq, char *ref,
                 size_t reflen, ct_err *e);

/* Prints `certified CONTEST at event N, decision REF` for every contest
 * certified at or before as_of (0: now), only `contest` when not NULL, in
 * event order, to out. For `tally` and `status`. 0, or -1 with e. */
int ct_certifications_print(ct_db *db, int64_t as_of, const char *contest, FILE *out, ct_err *e);

/* The same as a new JSON array of {"contest", "seq", "decision"} objects
 * into *arr (the caller owns the reference: json_decref). 0, or -1 with e
 * (database error or out of memory; *arr is then NULL). */
int ct_certifications_json(ct_db *db, int64_t as_of, const char *contest, json_t **arr, ct_err *e);

/* DESIGN 7 group 9 holds of the trust anchors, for a return r that stands
 * (verdict.c calls it beside the other group 9 checks), whose signature
 * verified with keys.id key, decided as file self (0: new), a correction
 * when is_correction. Adds to holds, in this order: `late-key` (freeze.h:
 * ct_late_key), then, when r's contest is certified in the state it is
 * decided against, `correction-review` for a correction and
 * `after-certification` for every return. The first explanation found goes
 * to detail (dlen bytes) when detail is still empty. 0, or -1 with e
 * (database error). */
int ct_anchor_holds(ct_db *db, const pr_return *r, int64_t key, int64_t self, int is_correction,
                    ct_codes *holds, char *detail, size_t dlen, ct_err *e);

#endif
