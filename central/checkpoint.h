/*
 * checkpoint.h: central's side of `election-checkpoint 1` (docs/EVENTS.md):
 * the options every write command takes to end with a commission-signed
 * checkpoint written outside the database, and the check `central audit`
 * makes of published checkpoints against the replayed chain.
 */
#ifndef CENTRAL_CHECKPOINT_H
#define CENTRAL_CHECKPOINT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "ct.h"
#include "proto/checkpoint.h"

/* Runs the write command run(argc, argv) with `--checkpoint-key KEY`,
 * `--passphrase-fd N`, `--checkpoints DIR` (and, when allow_receipts,
 * `--receipts RDIR`) taken out of argv; when it finished (exit 0 or 1),
 * writes RDIR/receipt-<file hash>.txt for every file it stored and
 * DIR/checkpoint-<seq>.txt of the database given by --db, all signed with
 * KEY (which must be the database's commission key), or says on err that
 * no checkpoint was written. Returns the higher of the command's exit code
 * and the signing's. */
int ct_checkpoint_wrap(int (*run)(int, char **, FILE *, FILE *), int allow_receipts, int argc,
                       char **argv, FILE *out, FILE *err);

/* Counts per current verdict (pr_checkpoint_verdicts order) of the files
 * stored at or before seq, from a central database connection. 0, or -1. */
int ct_checkpoint_counts(sqlite3 *db, int64_t seq, uint64_t counts[PR_CHECKPOINT_VERDICTS]);

/* Checks every checkpoint-*.txt in dir: signed by the key in the public
 * key file pubpath, for this election, naming an event of the replayed
 * database replay (path) with the same hash and counts. Prints one
 * `difference:` line per disagreement to out and adds them to *diffs; the
 * newest checkpoint's seq goes to *newest (0 when none). 0, or -1 with e
 * when dir or pubpath cannot be read. */
int ct_checkpoint_check(const char *replay, const char *election, const char *dir,
                        const char *pubpath, FILE *out, long *diffs, int64_t *newest, ct_err *e);

/* Signs with sk (the database's commission key: the caller checks) and
 * writes DIR/checkpoint-<seq>.txt of db's head (temp file, fsync, rename;
 * one of the same seq already there is kept), printing `checkpoint PATH`
 * to out. For `central keys --freeze`, which holds the commission key
 * itself. 0, or -1 with e. */
struct ct_db;
int ct_checkpoint_write(struct ct_db *db, const uint8_t *sk, const char *dir, FILE *out, ct_err *e);

/* keycmd.c: loads the commission secret key at path into sk (sodium_malloc'd
 * by the caller), reading the passphrase from fd (or the terminal) when the
 * file is encrypted. 0, or -1 with e. */
int ct_load_commission_key(const char *path, int fd, uint8_t *sk, ct_err *e);

#endif
