/*
 * fuzz_return.c: pr_return_parse (DESIGN 5.1) on arbitrary bytes; what
 * parses is then hashed, verified and run through the rules (DESIGN 7
 * groups 4-10) against the test-vector definition, as central would.
 */
#include <stdlib.h>
#include <string.h>

#include "common/rules.h"
#include "fuzz.h"
#include "proto/return.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const key_precincts[] = {"p1"};
    pr_return *r;
    pr_diag d = {0, ""};
    uint8_t h[PR_HASH_BYTES];

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    r = malloc(sizeof *r);
    if (r == NULL)
        return 0;
    if (pr_return_parse(data, size, r, &d) != 0) {
        fuzz_check_message("pr_return_parse", d.msg);
        goto out;
    }
    /* What parses is whole: the signed part ends before the signature
     * line, and its fields encode again. */
    if (r->signed_len >= size || memcmp(data + r->signed_len, "signature ", 10) != 0)
        fuzz_fail("signed_len %zu does not end at the signature line", r->signed_len);
    if (pr_return_content_hash(r, h) != 0)
        fuzz_fail("a parsed return does not encode");
    if (pr_return_verify(data, r, fuzz_station_p1_pk()) == 0) {
        uint8_t id[PR_KEYID_BYTES];
        pr_key_id(id, fuzz_station_p1_pk());
        if (memcmp(id, r->key_id, sizeof id) != 0)
            fuzz_fail("verified under a key whose id it does not name");
    }
    {
        const cm_definition *def = fuzz_definition();
        cm_check_ctx ctx = {r->mode == PR_MODE_TEST ? "test" : "live", key_precincts, 1, NULL};
        cm_findings f, holds, flags;
        unsigned g = cm_check_return(def, r, &ctx, &f);
        if (g != 0 && (g < 4 || g > 7 || f.n == 0))
            fuzz_fail("cm_check_return gave group %u with %zu codes", g, f.n);
        if (g == 0)
            cm_review_return(def, r, &holds, &flags);
    }
out:
    free(r);
    return 0;
}
