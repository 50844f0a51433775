/*
 * fuzz_pubkey.c: pr_pubkey_parse for station and commission public keys
 * (DESIGN 5.2). What parses must be a valid point with its own key id, and
 * pr_pubkey_encode must give back the same bytes (one spelling per key).
 */
#include <string.h>

#include "fuzz.h"
#include "proto/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const pr_key_kind kinds[] = {PR_KEY_STATION, PR_KEY_COMMISSION};
    int accepted = 0;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    for (size_t k = 0; k < 2; k++) {
        uint8_t pk[PR_PK_BYTES];
        pr_diag d = {0, ""};
        pr_buf b;
        if (pr_pubkey_parse(kinds[k], data, size, pk, &d) != 0) {
            fuzz_check_message("pr_pubkey_parse", d.msg);
            continue;
        }
        accepted++;
        if (!pr_pk_valid(pk))
            fuzz_fail("accepted an invalid point");
        pr_buf_init(&b, PR_FILE_MAX);
        if (pr_pubkey_encode(kinds[k], pk, &b) != 0 || b.len != size ||
            memcmp(b.data, data, size) != 0)
            fuzz_fail("a parsed public key does not encode to the same bytes");
        pr_buf_free(&b);
    }
    if (accepted > 1)
        fuzz_fail("one file parsed as both a station and a commission key");
    return 0;
}
