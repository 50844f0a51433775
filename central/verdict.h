/*
 * verdict.h: a file's verdict (DESIGN 7 groups 2-10; group 1, the byte
 * duplicate, is the importer's because it stores nothing). A pure function
 * of the bytes, the definition and the database state inside the caller's
 * transaction, so importing and deciding again use the same code.
 */
#ifndef CENTRAL_VERDICT_H
#define CENTRAL_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "ct.h"
#include "db.h"
#include "proto/return.h"

/* signed-in-future flags a return signed more than this many seconds after
 * the decision time: station clocks drift, and the flag should mean a
 * clock that is wrong, not one a few minutes fast. */
#define CT_FUTURE_SLACK_S 600

typedef struct ct_decision {
    ct_verdict verdict;
    ct_role role;
    unsigned grp;                   /* deciding group (2..10), 0: passed all */
    ct_codes codes;
    char detail[256];               /* one line: which line and rule, etc. */
    int parsed;                     /* r is filled */
    int64_t key;                    /* keys.id whose signature verified, 0 none */
    int64_t pred;                   /* predecessor files.id, 0 none */
    uint8_t content[PR_HASH_BYTES]; /* content hash, when parsed */
    ct_codes holds;                 /* group 9 as found for a return that stands,
                                     * whatever its verdict (history.h) */
    ct_codes flags;                 /* group 10, likewise */
} ct_decision;

/* Decides the file bytes[0..len) (oversize != 0: the first 64 KiB + 1 of a
 * larger file). self is the file's own id when deciding it again (0 for a
 * new file), so its own earlier decisions are not its history, and so a
 * revocation recorded after the file was stored does not apply to it
 * (DESIGN 7 "Revocation": its effect follows event order). now is the
 * decision time. r is scratch space for the parsed return (about 20 KiB:
 * the caller allocates it). 0, or -1 with e on a database error. */
int ct_decide(ct_db *db, const uint8_t *bytes, size_t len, int oversize, int64_t self,
              int64_t now, pr_return *r, ct_decision *d, ct_err *e);

#endif
