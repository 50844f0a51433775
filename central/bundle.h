/*
 * bundle.h: a database's content as plain files (docs/BUNDLE.md): written
 * by `central export --bundle`, checked with no database by `central audit
 * --bundle`, and imported by a higher commission with `central import
 * --bundle`, which re-verifies every station signature itself, replays the
 * lower level's decisions as decided by it, and checks its signed tally.
 */
#ifndef CENTRAL_BUNDLE_H
#define CENTRAL_BUNDLE_H

#include <stdio.h>

#include "import.h"

/* `central export --bundle DIR --db DB ...`: the command (argv[0] is
 * "export"). Returns the exit code (DESIGN 11). */
int ct_cmd_export(int argc, char **argv, FILE *out, FILE *err);

/* `central audit --bundle DIR --commission-pub PUB [--checkpoints CPDIR]`:
 * loads the bundle into a temporary database and runs the audit replay on
 * it (audit.h), then checks receipts, the signed tally, the commission key
 * and that every file of the bundle is named by an event. 0 all agree, 1
 * any difference, 3 unreadable. */
int ct_bundle_audit(const char *dir, const char *pub, const char *cpdir, FILE *out, FILE *err);

/* `central import --db DB --bundle DIR --lower-pub PUB`: imports a lower
 * commission's bundle into the database at dbpath (docs/BUNDLE.md
 * "Levels"). Prints one line per file and decision, and one `mismatch:`
 * line per difference between the lower level's signed tally and the sum
 * of its precincts here. Returns the exit code (DESIGN 11). */
int ct_bundle_import(const char *dbpath, const char *dir, const char *lower_pub,
                     const ct_import_opts *o, FILE *out, FILE *err);

#endif
