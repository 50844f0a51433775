/*
 * progress.h: one line of progress on standard error for long work
 * (`central import`, `enroll -`, `audit`; issue 8): items done, items per
 * second, counts per outcome, and the time left when the total is known.
 * Shown when standard error is a terminal, or when asked for (--progress);
 * redrawn at most four times a second; at the end it is replaced by a
 * summary line. Never written to standard output, which stays the
 * machine-readable record.
 */
#ifndef CENTRAL_PROGRESS_H
#define CENTRAL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CT_PROGRESS_KINDS 10

typedef struct ct_progress {
    int on;                         /* 0: every call is a no-op */
    int tty;                        /* redraw in place (\r) rather than line by line */
    FILE *f;
    char what[32];                  /* "import" */
    char unit[32];                  /* "returns" */
    uint64_t done, total;           /* total 0: unknown */
    uint64_t at, at_total;          /* position in the input (bytes), for the time left */
    size_t n_kinds;
    char kinds[CT_PROGRESS_KINDS][24];
    uint64_t count[CT_PROGRESS_KINDS];
    double t0, last;                /* monotonic seconds: start, last drawn */
    int drawn;                      /* a line is on the terminal */
    uint64_t unchecked;             /* items since the clock was last read */
} ct_progress;

/* Starts p for work named what counting unit. force non-zero: always on
 * (lines end with LF when f is not a terminal, one every 2 s); 0: on only
 * when f is a terminal. total: the number of items when known, else 0. */
void ct_progress_begin(ct_progress *p, FILE *f, int force, const char *what, const char *unit,
                       uint64_t total);

/* Takes the position in f and f's size, which give the time left when the
 * item total is unknown: a stream read from a regular file (a pipe gives
 * none). Costs system calls: call it every few hundred items. No-op when p
 * is off. */
void ct_progress_input(ct_progress *p, FILE *f);

/* One item done, with outcome kind (a verdict word; NULL: none counted).
 * Redraws when a quarter second has passed (2 s without a terminal). */
void ct_progress_item(ct_progress *p, const char *kind);

/* n items done at once, all of outcome kind. */
void ct_progress_add(ct_progress *p, uint64_t n, const char *kind);

/* Replaces the line by the summary: what, items, seconds, per second and
 * the counts. NULL or off: nothing. */
void ct_progress_end(ct_progress *p);

#endif
