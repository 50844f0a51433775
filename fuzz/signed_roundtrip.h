/*
 * signed_roundtrip.h: the shared check of the commission-signed formats
 * (checkpoints, receipts): re-signing what parsed with the test-vector
 * commission key must give back the same signed bytes (one spelling each).
 */
#ifndef FUZZ_SIGNED_ROUNDTRIP_H
#define FUZZ_SIGNED_ROUNDTRIP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "proto/buf.h"
#include "proto/codec.h"

/* tests/vectors/commission.key (plain, for tests only). */
static const uint8_t *commission_sk(void)
{
    static uint8_t sk[PR_SK_BYTES];
    static int done;
    static const char b64[] = "zqgM1jhD9OyLotvQ1GNu0wnYg5r93Wa0v33ia1LKY7NzEj1fSGiZm5YD6Axg+iqkcmWYUv8AJvrkF8EY+yYl9w==";
    if (!done) {
        fuzz_init();
        if (pr_b64_decode(sk, sizeof sk, b64, sizeof b64 - 1) != 0)
            fuzz_fail("bad embedded commission secret key");
        done = 1;
    }
    return sk;
}

/* data[0..size) parsed with signed part signed_len and key id kid; out is
 * the same object re-signed with the commission key. Everything before the
 * `key` line must match; with the commission's key id, the signed part;
 * with a valid signature (verified != 0), the whole file. */
static void check_resigned(const uint8_t *data, size_t size, size_t signed_len,
                           const uint8_t kid[PR_KEYID_BYTES], const pr_buf *out, int verified)
{
    const size_t key_line = 4 + PR_KEYID_HEX + 1; /* "key " + 16 hex + LF */
    uint8_t ours[PR_KEYID_BYTES];

    pr_key_id(ours, commission_sk() + 32);
    if (signed_len < key_line || out->len < key_line ||
        out->len < signed_len - key_line ||
        memcmp(out->data, data, signed_len - key_line) != 0)
        fuzz_fail("re-signing changed the bytes before the key line");
    if (memcmp(kid, ours, PR_KEYID_BYTES) == 0 && memcmp(out->data, data, signed_len) != 0)
        fuzz_fail("re-signing changed the signed bytes");
    if (verified && (out->len != size || memcmp(out->data, data, size) != 0))
        fuzz_fail("a valid file does not re-sign to itself");
}

#endif
