/*
 * buf.h: a growable byte buffer with a hard cap (curl's dynbuf idea), used
 * by every encoder so no output can grow past the format's limit.
 */
#ifndef PROTO_BUF_H
#define PROTO_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct pr_buf {
    uint8_t *data;  /* owned; NUL-terminated after every append */
    size_t len;
    size_t cap;     /* allocated */
    size_t max;     /* hard cap on len */
    int failed;     /* sticky: set once an append failed */
    int nomem;      /* sticky: the failure was out of memory, not the cap */
} pr_buf;

/* Starts an empty buffer that will never hold more than max bytes. */
void pr_buf_init(pr_buf *b, size_t max);
/* Frees the data; the buffer may be reused after pr_buf_init. NULL ok. */
void pr_buf_free(pr_buf *b);
/* Appends bytes; on allocation failure or cap, sets b->failed (and, for
 * an allocation failure, b->nomem), returns -1. */
int pr_buf_add(pr_buf *b, const void *p, size_t n);
/* printf-style append; same failure rules. */
int pr_buf_printf(pr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
