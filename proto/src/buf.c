/*
 * buf.c: capped growable byte buffer. Every encoder writes through it, so
 * no output can exceed the format's size limit.
 */
#include "proto/buf.h"
#include "proto/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pr_buf_init(pr_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void pr_buf_free(pr_buf *b)
{
    if (b == NULL)
        return;
    pr_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int grow(pr_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 256;
    uint8_t *p;
    while (cap < need + 1)
        cap *= 2;
    p = pr_realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int pr_buf_add(pr_buf *b, const void *p, size_t n)
{
    if (b->failed || n > b->max - b->len) {
        b->failed = 1;
        return -1;
    }
    if (grow(b, b->len + n) != 0) {
        b->failed = 1;
        b->nomem = 1;
        return -1;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int pr_buf_printf(pr_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof small) {
        b->failed = 1; /* every line of our formats is far shorter */
        return -1;
    }
    return pr_buf_add(b, small, (size_t)n);
}
