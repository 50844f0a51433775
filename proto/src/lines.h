/*
 * lines.h (private): a bounded line cursor for the `field value` text
 * formats of DESIGN 5. Enforces the shared byte rules (LF endings, final
 * LF, no CR/tab/NUL, no trailing or doubled space) and gives each step a
 * line number so the parsers can say exactly which line broke which rule.
 */
#ifndef PROTO_LINES_H
#define PROTO_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "proto/codec.h"

typedef struct pr_lines {
    const char *buf;
    size_t len, pos;
    unsigned lineno;        /* number of the current line (1-based) */
    const char *line;       /* current line, without LF */
    size_t line_len;
    size_t line_start;      /* offset of the current line */
    const char *value;      /* after "field " */
    size_t value_len;
} pr_lines;

void pr_lines_init(pr_lines *c, const uint8_t *buf, size_t len);
/* 1 when every byte has been consumed. */
int pr_lines_done(const pr_lines *c);
/* Checks the whole-file rules once: size, final LF, no NUL/CR/tab. */
int pr_lines_check_file(const uint8_t *buf, size_t len, pr_diag *d);
/* The same with another size limit (the frozen key list's). */
int pr_lines_check_file_max(const uint8_t *buf, size_t len, size_t max, pr_diag *d);
/* Reads the next line that must be exactly `text`. */
int pr_lines_expect_exact(pr_lines *c, const char *text, pr_diag *d);
/* Reads the next line, which must be `field value`; the value is in
 * c->value. */
int pr_lines_expect(pr_lines *c, const char *field, pr_diag *d);
/* 1 if the next line starts with "field " (does not consume). */
int pr_lines_peek(const pr_lines *c, const char *field);
/* Splits c->value at its one space into two parts; -1 if not exactly two. */
int pr_lines_two(const pr_lines *c, const char **a, size_t *alen, const char **b, size_t *blen,
                 pr_diag *d);

/* Value helpers: parse c->value as the kind, naming the line on failure. */
int pr_lines_id(const pr_lines *c, char *out, pr_diag *d);
int pr_lines_hex(const pr_lines *c, uint8_t *out, size_t outlen, pr_diag *d);
int pr_lines_b64(const pr_lines *c, uint8_t *out, size_t outlen, pr_diag *d);
int pr_lines_time(const pr_lines *c, int64_t *out, pr_diag *d);
int pr_lines_count(const pr_lines *c, uint64_t *out, pr_diag *d);
/* A plain decimal number without leading zeros up to max (KDF limits). */
int pr_lines_number(const pr_lines *c, uint64_t max, uint64_t *out, pr_diag *d);
/* The end: no bytes after the last expected line. */
int pr_lines_expect_end(pr_lines *c, pr_diag *d);

/* The tail every commission-signed file shares (checkpoint, receipt, key
 * list, tally: docs/EVENTS.md, docs/BUNDLE.md): `time`, `key`, then
 * `signature` over every byte before it, then the end. Sets *time, key_id
 * (PR_KEYID_BYTES), *signed_len and signature (PR_SIG_BYTES). 0, or -1
 * with d set. */
int pr_lines_signed_tail(pr_lines *c, int64_t *time, uint8_t *key_id, size_t *signed_len,
                         uint8_t *signature, pr_diag *d);

/* Verifies such a file's signature: buf[0..signed_len) signed by pk, whose
 * key id must be key_id and which must be a valid point. 0, or -1 with d:
 * "signed by another commission key" or "bad signature". */
int pr_commission_verify(const uint8_t *buf, size_t signed_len, const uint8_t *key_id,
                         const uint8_t *signature, const uint8_t pk[PR_PK_BYTES], pr_diag *d);

#endif
