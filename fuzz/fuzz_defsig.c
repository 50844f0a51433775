/*
 * fuzz_defsig.c: pr_defsig_parse and pr_defsig_verify (DESIGN 5.2,
 * `election-definition-signature 1`) against the test-vector definition's
 * hash and commission key, as `central init` and `station record` do.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pr_defsig s;
    pr_diag d = {0, ""};

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    if (pr_defsig_parse(data, size, &s, &d) != 0) {
        fuzz_check_message("pr_defsig_parse", d.msg);
        return 0;
    }
    if (s.signed_len >= size || memcmp(data + s.signed_len, "signature ", 10) != 0)
        fuzz_fail("signed_len does not end at the signature line");
    if (pr_defsig_verify(data, &s, fuzz_definition()->hash, fuzz_commission_pk(), &d) == 0 &&
        memcmp(s.definition, fuzz_definition()->hash, PR_HASH_BYTES) != 0)
        fuzz_fail("verified a signature over another definition");
    return 0;
}
