/*
 * import.h: `central import`: walking the given paths (files, folders,
 * standard input), deciding and storing each file in its own transaction,
 * printing one line per input after it commits, and deciding again the
 * files that waited for what was just stored (DESIGN 7, 9, 10).
 */
#ifndef CENTRAL_IMPORT_H
#define CENTRAL_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "ct.h"
#include "db.h"
#include "input.h"

typedef enum {
    CT_ITEM_STORED = 0,     /* stored with a verdict */
    CT_ITEM_DUPLICATE,      /* same bytes as a stored file: nothing written */
    CT_ITEM_SKIPPED,        /* a folder member that is not a return */
    CT_ITEM_SECRET,         /* a secret key file: never stored */
    CT_ITEM_UNREADABLE      /* could not be read */
} ct_item_kind;

/* The outcome of one input. */
typedef struct ct_item_result {
    ct_item_kind kind;
    ct_verdict verdict;             /* stored: its verdict; duplicate: the stored one's */
    ct_codes codes;
    char detail[256];
    int has_hash;
    uint8_t hash[PR_HASH_BYTES];
    int64_t seq;                    /* stored: its event; duplicate: the stored file's */
    int64_t file;                   /* files.id, 0 when not stored */
    char why[128];                  /* skipped/unreadable: short reason */
} ct_item_result;

typedef struct ct_import_opts {
    int json;                       /* JSON lines instead of text */
    struct ct_progress *progress;   /* the progress line, or NULL (progress.h) */
} ct_import_opts;

/* Decides and stores one input in its own transaction (group 1 first:
 * a byte duplicate writes nothing). 0, or -1 with e (database error: the
 * transaction is rolled back, nothing of the file is stored). */
int ct_import_item(ct_db *db, const ct_input *in, ct_item_result *res, ct_err *e);

/* The same inside a write transaction the caller opened (ct_db_begin) and
 * will commit: many inputs then share one commit (`central audit`'s
 * replay). 0, or -1 with e (database error or out of memory: the caller
 * must roll the transaction back). */
int ct_import_item_in_tx(ct_db *db, const ct_input *in, ct_item_result *res, ct_err *e);

/* Imports every path in order; prints one line per input to out after its
 * commit (and a `redecided` line for each file decided again), errors and
 * warnings to err. Returns the exit code (DESIGN 11). */
int ct_import_paths(ct_db *db, const char *const *paths, size_t n, const ct_import_opts *o, FILE *out,
                    FILE *err);

/* Decides again what waits on state that just changed: corrections
 * awaiting the file with hash `stored` (may be NULL), and key-state
 * rejections of returns signed with key id `key_id` (16 hex, may be NULL);
 * then, transitively, what waited on those. Prints a `redecided` line per
 * changed decision. 0, or -1 with e. */
int ct_redecide(ct_db *db, const uint8_t *stored, const char *key_id, const ct_import_opts *o,
                FILE *out, ct_err *e);

/* The same for returns rejected as wrong-definition (after a definition
 * amendment: they may name the version just stored). 0, or -1 with e. */
int ct_redecide_definition(ct_db *db, const ct_import_opts *o, FILE *out, ct_err *e);

/* Decides again every file whose current decision DESIGN 7 re-decides
 * (awaiting-predecessor holds, key- and definition-state rejections), then
 * what waited on those. Each re-decision is its own transaction, so a run
 * killed half-way through a cascade leaves some files undecided; every
 * write command calls this first, so the next run finishes the work and the
 * outcome is the same as an uninterrupted run. Idempotent. */
int ct_redecide_pending(ct_db *db, const ct_import_opts *o, FILE *out, ct_err *e);

/* Decides again exactly the stored file with that hash, as a re-decision
 * would (a correction awaiting its predecessor, or a rejection that depends
 * on key or definition state), recording a redecide event when the verdict
 * changes (*changed 1). For `central audit`, which replays each recorded
 * re-decision itself. A file not stored, or not in such a state: 0 with
 * *changed 0. -1 with e on a database error. */
int ct_redecide_file(ct_db *db, const uint8_t hash[PR_HASH_BYTES], int *changed, ct_err *e);

/* on = 0: ct_redecide, ct_redecide_definition and ct_redecide_pending do
 * nothing (audit's replay re-decides what the log says, ct_redecide_file).
 * on = 1 (the default) restores them. */
void ct_redecide_set_auto(int on);

/* Imports bytes[0..len) exactly as a file named name given on the command
 * line (secret-key refusal, verdict, item line, deciding again), raising
 * *code (DESIGN 11). For `central import --qr`. 0, or -1 with e on a
 * database error. */
int ct_import_bytes(ct_db *db, const char *name, const uint8_t *bytes, size_t len,
                    const ct_import_opts *o, FILE *out, FILE *err, int *code, ct_err *e);

/* Prints an item line (text or JSON) for name. */
void ct_print_item(FILE *out, const ct_import_opts *o, const char *name, const ct_item_result *r);

#endif
