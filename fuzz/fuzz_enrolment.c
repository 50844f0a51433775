/*
 * fuzz_enrolment.c: pr_enrolment_parse and the proof of possession
 * pr_enrolment_verify (DESIGN 5.2) on arbitrary bytes; what parses must
 * hold ascending, distinct precincts and a valid key with its own key id.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pr_enrolment e; /* 16 KiB: not on the stack */
    pr_diag d = {0, ""};
    uint8_t id[PR_KEYID_BYTES];

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    if (pr_enrolment_parse(data, size, &e, &d) != 0) {
        fuzz_check_message("pr_enrolment_parse", d.msg);
        return 0;
    }
    if (e.n_precincts < 1 || e.n_precincts > PR_ENROL_PRECINCTS_MAX)
        fuzz_fail("%zu precincts", e.n_precincts);
    for (size_t i = 1; i < e.n_precincts; i++)
        if (strcmp(e.precincts[i - 1], e.precincts[i]) >= 0)
            fuzz_fail("precincts not strictly ascending");
    if (!pr_pk_valid(e.pk))
        fuzz_fail("accepted an invalid point");
    pr_key_id(id, e.pk);
    if (memcmp(id, e.key_id, sizeof id) != 0)
        fuzz_fail("key id does not match the key");
    if (e.signed_len >= size || memcmp(data + e.signed_len, "signature ", 10) != 0)
        fuzz_fail("signed_len does not end at the signature line");
    if (pr_enrolment_verify(data, &e) == 0 && e.signed_len == 0)
        fuzz_fail("verified an empty signed part");
    return 0;
}
