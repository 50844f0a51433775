/*
 * events.h: the append-only, hash-chained event log. Every decision of
 * central (init, each enrolment, each stored file, each later re-decision)
 * and of a person (revocation, resolution, excuse) is one event; the head
 * (last seq, its hash) names the state any output was computed at. The
 * canonical text an event's hash covers is built by exactly one function,
 * ct_event_text.
 */
#ifndef CENTRAL_EVENTS_H
#define CENTRAL_EVENTS_H

#include <stdint.h>

#include "db.h"
#include "proto/buf.h"

/* Event kinds. */
#define CT_EV_INIT "init"
#define CT_EV_ENROL "enrol"
#define CT_EV_IMPORT "import"
#define CT_EV_REDECIDE "redecide"
/* Decisions of people, each with the commission's decision reference in
 * its data: `revoke` (subject: the key's enrolment request; verdict
 * `revoked`, codes the reason, data "key <keyid> decision <ref>"),
 * `resolve` (subject: the file; verdict `accept` or `reject`, data
 * "precinct <p> contest <c> decision <ref>"), `excuse` (no subject;
 * verdict `excused`, codes the reason, data as for resolve). */
#define CT_EV_REVOKE "revoke"
#define CT_EV_RESOLVE "resolve"
#define CT_EV_EXCUSE "excuse"
/* A new version of the definition (subject: its hash; verdict `amended`,
 * data "decision <ref>"). */
#define CT_EV_AMEND "amend-definition"
/* A scan of a paper protocol stored (`central import --evidence`, evidence.h):
 * subject its BLAKE2b-256 hash, verdict `stored`, data "precinct <p>
 * contest <c> return <hex>" of the first stored return that names it. */
#define CT_EV_EVIDENCE "evidence"
/* Issue 5. The key freeze (`central keys --freeze`; subject: the hash of
 * the signed `election-keylist 1` file; verdict `frozen`, data "keys <n>"),
 * at most one; and a certification (`central certify`; no subject; verdict
 * `certified`, data "contest <c> decision <ref>"). */
#define CT_EV_FREEZE "freeze"
#define CT_EV_CERTIFY "certify"

/* One event. The strings are borrowed; they hold ids, verdicts, reason
 * codes and hex only (never free text), so the canonical text is one
 * unambiguous line per field. */
typedef struct ct_event {
    int64_t seq;                      /* set by ct_event_append */
    const char *kind;
    int64_t time;                     /* epoch seconds; 0: now */
    int has_subject;
    uint8_t subject[PR_HASH_BYTES];   /* the file, request or definition hash */
    const char *verdict;              /* "" when none */
    const char *codes;                /* comma-joined, "" when none */
    const char *data;                 /* kind-specific ids, "" when none */
    uint8_t prev[PR_HASH_BYTES];      /* set by ct_event_append */
    uint8_t hash[PR_HASH_BYTES];      /* set by ct_event_append */
} ct_event;

/* The canonical text of an event (docs: "event 1" block):
 *   event 1\nseq N\nkind K\ntime T\nsubject HEX|-\nverdict V|-\ncodes C|-\ndata D|-\n
 * Appends to out. 0, or -1 if a field would break the format. */
int ct_event_text(const ct_event *ev, pr_buf *out);

/* hash = BLAKE2b-256(prev || canonical text). 0, or -1. */
int ct_event_hash(const ct_event *ev, uint8_t out[PR_HASH_BYTES]);

/* Appends ev inside the caller's transaction: seq = last + 1, prev = last
 * hash (zeros for the first), time = now when 0. 0, or -1 with e. */
int ct_event_append(ct_db *db, ct_event *ev, ct_err *e);

/* The head at as_of (0: the newest): *seq (0 when the log is empty) and
 * its hash. If as_of is beyond the log, the newest. 0, or -1 with e. */
int ct_event_head(ct_db *db, int64_t as_of, int64_t *seq, uint8_t hash[PR_HASH_BYTES], ct_err *e);

/* Recomputes every event's hash from its fields and its predecessor.
 * 0 when the chain is intact, 1 with *bad_seq at the first broken event,
 * -1 on a database error. */
int ct_events_verify(ct_db *db, int64_t *bad_seq, ct_err *e);

#endif
