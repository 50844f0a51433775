/*
 * store.h: writing files and decisions with their events, and reading a
 * stored file's current decision. Callers hold the transaction; each
 * function here is one step inside it.
 */
#ifndef CENTRAL_STORE_H
#define CENTRAL_STORE_H

#include <stdint.h>

#include "ct.h"
#include "db.h"
#include "input.h"
#include "proto/return.h"
#include "verdict.h"

/* A stored file and its current (newest) decision. */
typedef struct ct_stored {
    int64_t file;
    int64_t import_seq;             /* the event that stored it */
    int64_t seq;                    /* its newest decision */
    ct_verdict verdict;
    ct_role role;
    unsigned grp;
    ct_codes codes;
    char detail[256];
    uint8_t hash[PR_HASH_BYTES];
    char key_id[PR_KEYID_HEX + 1];  /* "" when not parsed */
} ct_stored;

/* Looks a file up by the hash of its bytes. *found = 0 when not stored.
 * 0, or -1 with e. */
int ct_store_find(ct_db *db, const uint8_t hash[PR_HASH_BYTES], ct_stored *out, int *found,
                  ct_err *e);
/* The same by files.id. */
int ct_store_get(ct_db *db, int64_t file, ct_stored *out, ct_err *e);

/* Loads a stored file's kept bytes and name into in (caller frees with
 * ct_input_free). 0, or -1 with e. */
int ct_store_bytes(ct_db *db, int64_t file, ct_input *in, ct_err *e);

/* Stores a new file with its first decision: one `import` event, the files
 * row and the decisions row. r is the parsed return when d->parsed. *seq
 * and *file receive the event's seq and the new files.id. 0, or -1 with e. */
int ct_store_import(ct_db *db, const ct_input *in, const ct_decision *d, const pr_return *r,
                    int64_t now, int64_t *file, int64_t *seq, ct_err *e);

/* Records a new decision about a stored file: one `redecide` event and its
 * decisions row. 0, or -1 with e. */
int ct_store_redecide(ct_db *db, int64_t file, const uint8_t hash[PR_HASH_BYTES],
                      const ct_decision *d, int64_t now, int64_t *seq, ct_err *e);

#endif
