/*
 * fuzz_stream.c: the `central import -` stream splitter (central/input.h,
 * DESIGN 10 "Standard input"). Items must tile the stream exactly, each
 * hashed in full; returns start items, a signature line ends one, and what
 * lies between two returns is exactly one item.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "input.h"

#define RETURN_PREFIX "precinct-return "
#define SIG_PREFIX "signature "

static int starts(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && memcmp(p, s, k) == 0;
}

/* Checks the lines of one item, data[0..n): which lines may start a
 * return or end one. */
static void check_lines(const uint8_t *data, size_t n, int is_return, int last)
{
    for (size_t i = 0; i < n;) {
        const uint8_t *nl = memchr(data + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - data) + 1 : n;
        if (i > 0 && starts(data + i, end - i, RETURN_PREFIX))
            fuzz_fail("a return's first line inside an item at offset %zu", i);
        if (is_return && i > 0 && starts(data + i, end - i, SIG_PREFIX) && nl != NULL &&
            end != n)
            fuzz_fail("a return item goes on after its signature line");
        if (nl == NULL && !last)
            fuzz_fail("an item that is not last ends inside a line");
        i = end;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;
    FILE *f;
    ct_stream *s = NULL;
    size_t off = 0;
    unsigned long k = 0;
    int prev_junk = 0;

    if (size > 4 * FUZZ_TEXT_MAX || size == 0)
        return 0;
    fuzz_init();
    copy = malloc(size);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    f = fmemopen(copy, size, "rb");
    if (f == NULL)
        goto out;
    s = ct_stream_new(f);
    if (s == NULL)
        goto out;
    for (;;) {
        ct_input in;
        ct_err e;
        uint8_t h[PR_HASH_BYTES];
        char name[32];
        int rc = ct_stream_next(s, &in, &e);
        int is_return;

        if (rc == 0)
            break;
        if (rc < 0)
            fuzz_fail("read error on a memory stream: %s", e.why);
        k++;
        snprintf(name, sizeof name, "-:%lu", k);
        if (in.name == NULL || strcmp(in.name, name) != 0)
            fuzz_fail("item %lu is named %s", k, in.name ? in.name : "(null)");
        if (in.size == 0 || in.size > size - off)
            fuzz_fail("item %lu: size %llu at offset %zu of %zu", k,
                      (unsigned long long)in.size, off, size);
        if (in.len != (in.size < CT_KEEP_MAX ? in.size : CT_KEEP_MAX) ||
            memcmp(in.bytes, data + off, in.len) != 0 || in.bytes[in.len] != 0)
            fuzz_fail("item %lu: kept bytes are not the stream's", k);
        crypto_generichash(h, sizeof h, data + off, (size_t)in.size, NULL, 0);
        if (memcmp(h, in.hash, sizeof h) != 0)
            fuzz_fail("item %lu: hash is not of its bytes", k);
        is_return = starts(data + off, (size_t)in.size, RETURN_PREFIX);
        if (!is_return && prev_junk)
            fuzz_fail("two items of junk in a row at item %lu", k);
        check_lines(data + off, (size_t)in.size, is_return, off + in.size == size);
        prev_junk = !is_return;
        off += (size_t)in.size;
        ct_input_free(&in);
    }
    if (off != size)
        fuzz_fail("items cover %zu of %zu bytes", off, size);
out:
    ct_stream_free(s);
    if (f != NULL)
        fclose(f);
    free(copy);
    return 0;
}
