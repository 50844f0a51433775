/*
 * evidence.h: scans of paper protocols at central (issue 7 "Evidence",
 * docs/EVENTS.md kind `evidence`). A return names up to 8 scans by their
 * BLAKE2b-256 hash (its `evidence` lines). Every stored return's evidence
 * lines are kept in the table return_evidence beside its files row (a query
 * aid: the return's bytes are the truth). `central import --evidence`
 * stores a scan only when a stored return whose signature verified with an
 * enrolled key names it; each stored scan is one `evidence` event and one
 * row of the append-only table evidence. `central status` counts the scans
 * the standing returns name and which of them central holds.
 */
#ifndef CENTRAL_EVIDENCE_H
#define CENTRAL_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ct.h"
#include "db.h"
#include "import.h"
#include "proto/return.h"

/* The outcome of one scan given to `central import --evidence`. */
typedef enum {
    CT_SCAN_STORED = 0,     /* stored now, with its `evidence` event */
    CT_SCAN_DUPLICATE,      /* central already holds these bytes: nothing written */
    CT_SCAN_NOT_NAMED,      /* no stored return with a verified signature names it */
    CT_SCAN_EMPTY,          /* zero bytes */
    CT_SCAN_TOO_LARGE       /* over PR_EVIDENCE_SCAN_MAX bytes */
} ct_scan_kind;

typedef struct ct_scan_result {
    ct_scan_kind kind;
    uint8_t hash[PR_HASH_BYTES];    /* BLAKE2b-256 of the scan (not for TOO_LARGE) */
    int64_t seq;                    /* STORED: its event; DUPLICATE: the one that stored it */
    /* STORED and DUPLICATE: the first stored return (lowest files.id)
     * with a verified signature that names the scan. */
    int has_return;
    uint8_t named_by[PR_HASH_BYTES];
    char precinct[PR_ID_MAX + 1];
    char contest[PR_ID_MAX + 1];
} ct_scan_result;

/* Records the evidence lines of a return being stored as files.id file:
 * one return_evidence row per line. Called inside the caller's transaction
 * by ct_store_import for every parsed return. 0, or -1 with e. */
int ct_evidence_note_return(ct_db *db, int64_t file, const pr_return *r, ct_err *e);

/* Stores bytes[0..len), the scan named name (as printed before escaping),
 * in its own BEGIN IMMEDIATE transaction: an `evidence` event (subject the
 * scan's hash, verdict `stored`, data "precinct P contest C return HEX" of
 * the first stored return with a verified signature that names it) and its
 * evidence row. Nothing is written for a duplicate, an empty or too large
 * scan, or one no such return names (res->kind says which). The clock is
 * ct_now(). Returns 0 with *res filled, or -1 with e on a database error
 * (rolled back: nothing stored). */
int ct_evidence_import_item(ct_db *db, const char *name, const uint8_t *bytes, size_t len,
                            ct_scan_result *res, ct_err *e);

/* `central import --evidence`: reads each path (symlinks followed, a
 * regular file of at most PR_EVIDENCE_SCAN_MAX bytes), stores it with
 * ct_evidence_import_item and prints one line per path after its commit:
 * `stored NAME`, `duplicate NAME stored`, `refused NAME not-named|empty|
 * too-large` (and a `central: NAME: why` line on err) or `unreadable NAME`;
 * with o->json one JSON object per line. Stops at a database error.
 * Returns the exit code (DESIGN 11): 0 when every scan is stored or a
 * duplicate, 1 when any was refused, 3 when one could not be read or the
 * database not written. */
int ct_evidence_import_paths(ct_db *db, const char *const *paths, size_t n,
                             const ct_import_opts *o, FILE *out, FILE *err);

/* The scans one stored return names, ascending, and whether central held
 * each at event as_of (0: now). */
typedef struct ct_evidence_list {
    size_t n;
    uint8_t hash[PR_EVIDENCE_MAX][PR_HASH_BYTES];
    int held[PR_EVIDENCE_MAX];
} ct_evidence_list;

/* Fills *out for files.id file. 0, or -1 with e. */
int ct_evidence_of_file(ct_db *db, int64_t file, int64_t as_of, ct_evidence_list *out,
                        ct_err *e);

/* *any = 1 when any stored return names a scan (return_evidence has a
 * row), else 0: a caller with nothing to look up skips the per-file
 * lookups (issue 8). 0, or -1 with e (the database could not be read). */
int ct_evidence_named_any(ct_db *db, int *any, ct_err *e);

/* *n = the number of scans central held at event as_of (0: now). 0, or -1
 * with e. */
int ct_evidence_held_total(ct_db *db, int64_t as_of, size_t *n, ct_err *e);

#endif
