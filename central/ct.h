/*
 * ct.h: what every part of central shares: the error record that library
 * code fills and only the command layer prints (`central: what: why`), the
 * exit codes of DESIGN 11, verdict and role names, reason-code lists.
 */
#ifndef CENTRAL_CT_H
#define CENTRAL_CT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/limits.h"

/* Exit codes (DESIGN 11); numerically the highest applicable one wins. */
#define CT_EXIT_OK 0
#define CT_EXIT_FAIL 1  /* something rejected/held/stale/conflict, a check failed */
#define CT_EXIT_USAGE 2
#define CT_EXIT_IO 3    /* input unreadable, database not opened or written */

/* An error as library code reports it: the exit code it implies, what it
 * was about (a path, a command) and why, each one line. */
typedef struct ct_err {
    int code;
    char what[512];
    char why[512];
} ct_err;

/* Fills e (may be NULL). what may be NULL. */
void ct_err_set(ct_err *e, int code, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prints `central: what: why` (what escaped with cm_escape) to f. */
void ct_err_print(const ct_err *e, FILE *f);
/* The higher of two exit codes (3 > 2 > 1 > 0). */
int ct_exit_max(int a, int b);

/* Verdicts of DESIGN 7, in no particular order. */
typedef enum {
    CT_ACCEPTED = 0,
    CT_FLAGGED,
    CT_CORRECTED,
    CT_DUPLICATE,
    CT_STALE,
    CT_CONFLICT,
    CT_HELD,
    CT_REJECTED
} ct_verdict;

const char *ct_verdict_name(ct_verdict v);
/* 0 and *v on a known name, -1 otherwise. */
int ct_verdict_parse(const char *s, ct_verdict *v);
/* Exit code a verdict contributes (DESIGN 11): 0 accepted, flagged,
 * corrected, duplicate (a resigned duplicate is as good as its original);
 * 1 otherwise. */
int ct_verdict_exit(ct_verdict v);

/* What a decided file does to its (precinct, contest) history (group 8):
 * the transition the status replay applies (history.c). */
typedef enum {
    CT_ROLE_REJECTED = 0, /* failed groups 2-7, or broken-chain */
    CT_ROLE_AWAITING,     /* held, awaiting-predecessor: not standing yet */
    CT_ROLE_NEW,          /* the first standing return: becomes the head */
    CT_ROLE_CORRECTION,   /* replaces its predecessor (and any conflict) */
    CT_ROLE_CONFLICT,     /* joins the heads: the precinct is in conflict */
    CT_ROLE_RESIGNED,     /* same content as a standing return */
    CT_ROLE_STALE         /* lower revision than the newest standing */
} ct_role;

const char *ct_role_name(ct_role r);
int ct_role_parse(const char *s, ct_role *r);
/* 1 for roles of returns that passed groups 1-7 and were not rejected or
 * left waiting by group 8: the "standing" returns of DESIGN 7. */
int ct_role_standing(ct_role r);

/* A list of reason codes (ids), in the order found, without repeats. */
#define CT_CODES_MAX 48
typedef struct ct_codes {
    size_t n;
    char c[CT_CODES_MAX][PR_ID_MAX + 1];
} ct_codes;

/* Appends code unless present (silently drops past CT_CODES_MAX). */
void ct_codes_add(ct_codes *l, const char *code);
int ct_codes_has(const ct_codes *l, const char *code);
/* Joins with commas into out ("" when empty). */
void ct_codes_join(const ct_codes *l, char *out, size_t outlen);
/* Splits a comma-joined list (as stored). */
void ct_codes_split(const char *s, ct_codes *l);

/* A commission decision reference (`--decision REF`), recorded verbatim in
 * the event log: 1-64 bytes, a letter or digit first, then letters, digits
 * and . _ : / # + - (no space, so it stays one token of an event's data
 * line and needs no escaping anywhere it is printed). */
#define CT_DECISION_REF_MAX 64
int ct_decision_ref_ok(const char *s);

/* A key id as typed (a paper form, a command line): 16 hex digits, either
 * case, written in lowercase to out. 0, or -1 when not such. */
int ct_key_id_norm(const char *in, char out[PR_KEYID_HEX + 1]);

/* A return hash typed by a person: 16 to 64 hex digits (either case), a
 * prefix of the 64-hex hash as status and review print it. Writes it in
 * lowercase to out (PR_HASH_HEX + 1 bytes). 0, or -1 when not such. */
int ct_hash_prefix(const char *s, char out[PR_HASH_HEX + 1]);

/* Lowercase hex of a hash / key id into out (2 * n + 1 bytes). */
void ct_hex(char *out, const uint8_t *bin, size_t n);

/* Current time, seconds since the epoch (UTC); the clock set by
 * ct_clock_set when one is set. */
int64_t ct_now(void);

/* Replaces the clock ct_now reads (fn == NULL: the system clock again).
 * Only `central audit` sets one, to replay every event at the time it was
 * recorded; the process is single-threaded, so one global is enough. */
void ct_clock_set(int64_t (*fn)(void *ctx), void *ctx);

/* Number of code points in a UTF-8 string (counts bytes that are not
 * continuation bytes): the display width used to align text tables. */
size_t ct_width(const char *s);
/* Prints s to f and pads with spaces to width code points. */
void ct_pad(FILE *f, const char *s, size_t width);
/* Prints s right-aligned in width code points. */
void ct_rpad(FILE *f, const char *s, size_t width);
/* Copies a definition string for display: control bytes and DEL become
 * \xNN so a name can never break a line or a terminal. */
void ct_display(const char *s, char *out, size_t outlen);

#endif
