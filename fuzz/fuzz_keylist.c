/*
 * fuzz_keylist.c: pr_keylist_parse and pr_keylist_verify (`election-keylist
 * 1`, the frozen key list, docs/EVENTS.md); what parses re-signs with the
 * test-vector commission key to the same signed bytes, and its entries are
 * in order, distinct, each key id that of its key.
 */
#include "proto/keylist.h"
#include "signed_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pr_keylist kl, again;
    pr_diag d = {0, ""};
    pr_buf out;
    uint8_t id[PR_KEYID_BYTES];
    size_t i;
    int verified;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    if (pr_keylist_parse(data, size, &kl, &d) != 0) {
        fuzz_check_message("pr_keylist_parse", d.msg);
        if (kl.entries != NULL || kl.n != 0)
            fuzz_fail("a refused key list left entries allocated");
        return 0;
    }
    for (i = 0; i < kl.n; i++) {
        pr_key_id(id, kl.entries[i].pk);
        if (memcmp(id, kl.entries[i].key_id, PR_KEYID_BYTES) != 0)
            fuzz_fail("entry %zu: key id is not its key's", i);
        if (i > 0 && pr_keylist_cmp(&kl.entries[i - 1], &kl.entries[i]) >= 0)
            fuzz_fail("entry %zu: out of order", i);
    }
    verified = pr_keylist_verify(data, &kl, fuzz_commission_pk(), &d) == 0;
    again = kl;
    if (pr_keylist_sign(&again, commission_sk(), &out, &d) != 0)
        fuzz_fail("a parsed key list does not sign: %s", d.msg);
    check_resigned(data, size, kl.signed_len, kl.key_id, &out, verified);
    pr_buf_free(&out);
    pr_keylist_free(&kl);
    return 0;
}
