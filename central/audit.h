/*
 * audit.h: the replay at the heart of `central audit` (docs/EVENTS.md), for
 * the command itself and for bundles (bundle.c), whose files are loaded
 * into a database of the same shape first.
 */
#ifndef CENTRAL_AUDIT_H
#define CENTRAL_AUDIT_H

#include <stdio.h>

typedef struct ct_audit_opts {
    const char *stored;         /* the database whose event log is replayed */
    const char *pub;            /* commission public key file, or NULL: the stored one */
    const char *checkpoints;    /* folder of checkpoint-*.txt, or NULL */
    /* 1: stored holds only what the replay reads (meta, events, files,
     * keys, definitions: a bundle), so only the events table is compared
     * with the replay's, and no statuses. */
    int events_only;
    /* 1: a progress line on err even when it is not a terminal
     * (progress.h); 0: only on a terminal. */
    int progress;
    /* Called after the replay and the comparisons, before the replay is
     * removed, with its path: more checks, each difference printed to out
     * as `difference: ...` and counted in *diffs. May be NULL. */
    void (*after)(void *ctx, const char *replay, FILE *out, long *diffs);
    void *ctx;
} ct_audit_opts;

/* Recomputes the hash chain of o->stored, replays its events from event 1
 * into a fresh database in a temporary folder by running the real
 * commands, compares, checks the checkpoints, prints one `difference:` line
 * per disagreement and a summary to out. Returns 0 when all agree, 1 on any
 * difference, 3 when the stored database or the temporary folder cannot be
 * used (the error on err). */
int ct_audit_run(const ct_audit_opts *o, FILE *out, FILE *err);

#endif
