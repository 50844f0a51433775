/*
 * fuzz_tally.c: pr_tally_parse and pr_tally_verify (`election-tally 1`, the
 * commission-signed tally of a bundle, docs/BUNDLE.md); what parses carries
 * no sum above PR_TALLY_SUM_MAX and re-signs with the test-vector
 * commission key to the same signed bytes.
 */
#include "proto/tally.h"
#include "signed_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pr_tally t, again;
    pr_diag d = {0, ""};
    pr_buf out;
    size_t i, k;
    int verified;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    if (pr_tally_parse(data, size, &t, &d) != 0) {
        fuzz_check_message("pr_tally_parse", d.msg);
        pr_tally_free(&t);
        return 0;
    }
    for (i = 0; i < t.n_contests; i++) {
        const pr_tally_contest *c = &t.contests[i];
        if (c->n_lines > PR_LINES_MAX || c->n_votes > PR_CANDIDATES_MAX)
            fuzz_fail("contest %zu: more lines or candidates than the limits", i);
        for (k = 0; k < c->n_lines; k++)
            if (c->lines[k] > PR_TALLY_SUM_MAX)
                fuzz_fail("contest %zu: a line sum above the limit", i);
        for (k = 0; k < c->n_votes; k++)
            if (c->votes[k] > PR_TALLY_SUM_MAX)
                fuzz_fail("contest %zu: a vote sum above the limit", i);
    }
    verified = pr_tally_verify(data, &t, fuzz_commission_pk(), &d) == 0;
    again = t;
    if (pr_tally_sign(&again, commission_sk(), &out, &d) != 0)
        fuzz_fail("a parsed tally does not sign: %s", d.msg);
    check_resigned(data, size, t.signed_len, t.key_id, &out, verified);
    pr_buf_free(&out);
    pr_tally_free(&t);
    return 0;
}
