/*
 * fuzz_checkpoint.c: pr_checkpoint_parse and pr_checkpoint_verify
 * (`election-checkpoint 1`, docs/EVENTS.md); what parses re-signs with the
 * test-vector commission key to the same signed bytes.
 */
#include "proto/checkpoint.h"
#include "signed_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pr_checkpoint cp, again;
    pr_diag d = {0, ""};
    pr_buf out;
    int verified;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    if (pr_checkpoint_parse(data, size, &cp, &d) != 0) {
        fuzz_check_message("pr_checkpoint_parse", d.msg);
        return 0;
    }
    verified = pr_checkpoint_verify(data, &cp, fuzz_commission_pk(), &d) == 0;
    again = cp;
    if (pr_checkpoint_sign(&again, commission_sk(), &out, &d) != 0)
        fuzz_fail("a parsed checkpoint does not sign: %s", d.msg);
    check_resigned(data, size, cp.signed_len, cp.key_id, &out, verified);
    pr_buf_free(&out);
    return 0;
}
