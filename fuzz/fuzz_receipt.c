/*
 * fuzz_receipt.c: pr_receipt_parse and pr_receipt_verify
 * (`election-receipt 1`, docs/EVENTS.md); what parses re-signs with the
 * test-vector commission key to the same signed bytes.
 */
#include "proto/checkpoint.h"
#include "signed_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pr_receipt r, again;
    pr_diag d = {0, ""};
    pr_buf out;
    int verified;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    if (pr_receipt_parse(data, size, &r, &d) != 0) {
        fuzz_check_message("pr_receipt_parse", d.msg);
        return 0;
    }
    verified = pr_receipt_verify(data, &r, fuzz_commission_pk(), &d) == 0;
    again = r;
    if (pr_receipt_sign(&again, commission_sk(), &out, &d) != 0)
        fuzz_fail("a parsed receipt does not sign: %s", d.msg);
    check_resigned(data, size, r.signed_len, r.key_id, &out, verified);
    pr_buf_free(&out);
    return 0;
}
