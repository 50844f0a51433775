/*
 * fuzz_return_roundtrip.c: "one byte string per meaning" (DESIGN 5): for
 * every input pr_return_parse accepts, pr_return_encode_signed_part must
 * give back the signed bytes exactly, and with the signature line the file.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto/return.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pr_return *r, *again;
    pr_diag d = {0, ""};
    pr_buf b, b2;
    char sig[sodium_base64_ENCODED_LEN(PR_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    r = malloc(sizeof *r);
    again = malloc(sizeof *again);
    pr_buf_init(&b, PR_FILE_MAX);
    pr_buf_init(&b2, PR_FILE_MAX);
    if (r == NULL || again == NULL || pr_return_parse(data, size, r, &d) != 0)
        goto out;
    if (pr_return_encode_signed_part(r, &b, &d) != 0)
        fuzz_fail("parsed, but does not encode: %s", d.msg);
    if (b.len != r->signed_len || memcmp(b.data, data, b.len) != 0)
        fuzz_fail("encoding differs from the signed bytes (%zu vs %zu bytes)", b.len,
                  r->signed_len);
    pr_b64_encode(sig, sizeof sig, r->signature, PR_SIG_BYTES);
    if (pr_buf_printf(&b, "signature %s\n", sig) != 0 || b.len != size ||
        memcmp(b.data, data, size) != 0)
        fuzz_fail("the file is not its signed part plus its signature line");
    /* The encoding parses to a return that encodes the same again (ids
     * are compared as strings: bytes after their NUL carry no meaning). */
    if (pr_return_parse(b.data, b.len, again, &d) != 0 ||
        pr_return_encode_signed_part(again, &b2, &d) != 0 || b2.len != r->signed_len ||
        memcmp(b2.data, data, b2.len) != 0 || again->signed_len != r->signed_len ||
        memcmp(again->signature, r->signature, PR_SIG_BYTES) != 0)
        fuzz_fail("the re-encoded return parses differently");
out:
    pr_buf_free(&b);
    pr_buf_free(&b2);
    free(r);
    free(again);
    return 0;
}
