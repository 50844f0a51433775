/*
 * input.h: what `central import` reads: one file (bounded, hashed in full
 * even when only its first 64 KiB + 1 bytes are kept, DESIGN 9), and the
 * standard-input stream of returns back to back, split into items.
 */
#ifndef CENTRAL_INPUT_H
#define CENTRAL_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ct.h"
#include "proto/limits.h"

/* Bytes kept of an input: a file over PR_FILE_MAX keeps its first
 * PR_FILE_MAX + 1 bytes, enough to show it was over. */
#define CT_KEEP_MAX (PR_FILE_MAX + 1u)

typedef struct ct_input {
    char *name;                     /* as printed (before escaping); owned */
    uint8_t *bytes;                 /* kept bytes, NUL after them; owned */
    size_t len;                     /* kept length, <= CT_KEEP_MAX */
    uint64_t size;                  /* full length */
    uint8_t hash[PR_HASH_BYTES];    /* BLAKE2b-256 of all size bytes */
} ct_input;

void ct_input_free(ct_input *in);
/* 1 when the input was larger than PR_FILE_MAX. */
int ct_input_oversize(const ct_input *in);

/* Outcome of opening a path. */
typedef enum {
    CT_READ_OK = 0,
    CT_READ_SYMLINK,        /* follow == 0 and it is a symlink */
    CT_READ_NOT_REGULAR     /* folder, device, FIFO, socket */
} ct_read_kind;

/* Reads the file at path (symlinks followed only if follow) into in
 * (in->name is not touched). Returns 0 with *kind set (in filled only for
 * CT_READ_OK), or -1 with e (code 3) on a read error. */
int ct_read_path(const char *path, int follow, ct_input *in, ct_read_kind *kind, ct_err *e);

/* Splits a stream into items (DESIGN 10 "Standard input"): an item starts
 * at a line beginning with `precinct-return ` and ends after the next line
 * beginning with `signature `, or where the next item starts, or at the end;
 * whatever lies between returns (even one empty line) is one item of its
 * own. Items are numbered from 1 and named `-:<n>`. */
typedef struct ct_stream ct_stream;

/* f is borrowed. NULL on out of memory. */
ct_stream *ct_stream_new(FILE *f);
/* The same for other signed files back to back: an item starts at a line
 * beginning with prefix (10 to 32 bytes, borrowed, e.g. "station-enrolment "
 * for `central enroll -`); the rest is as above. NULL on out of memory or a
 * prefix of another length. */
ct_stream *ct_stream_new_for(FILE *f, const char *prefix);
void ct_stream_free(ct_stream *s);
/* Next item into in (owned by the caller afterwards, name set):
 * 1 got one, 0 end of stream, -1 read error or out of memory (e set). */
int ct_stream_next(ct_stream *s, ct_input *in, ct_err *e);
/* 1 when the next ct_stream_next would block: nothing buffered and the
 * descriptor has nothing to read now (a slow producer); 0 otherwise. An
 * importer flushes its batch then, so verdicts never wait for returns that
 * have not been sent. */
int ct_stream_waits(ct_stream *s);

#endif
