/*
 * fuzz_return_diff.c: the differential target. proto's pr_return_parse and
 * the independent fuzz/mini_return.c must agree on accept or reject, and on
 * every field of what they accept.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mini_return.h"
#include "proto/return.h"

static void same_item(const pr_item *a, const mini_item *b, const char *what, size_t i)
{
    if (strcmp(a->id, b->id) != 0 || a->value != b->n)
        fuzz_fail("%s line %zu differs: %s %llu vs %s %llu", what, i, a->id,
                  (unsigned long long)a->value, b->id, (unsigned long long)b->n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pr_return r;
    static mini_return m;
    pr_diag d = {0, ""};
    const char *why = "";
    int a, b;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    a = pr_return_parse(data, size, &r, &d) == 0;
    b = mini_return_parse(data, size, &m, &why) == 0;
    if (a != b)
        fuzz_fail("proto %s (%u: %s), mini %s (%s)", a ? "accepts" : "refuses", d.line, d.msg,
                  b ? "accepts" : "refuses", why);
    if (!a)
        return 0;
    if (strcmp(r.election, m.election) || memcmp(r.definition, m.definition, 32) ||
        (r.mode == PR_MODE_TEST) != m.test_mode || strcmp(r.contest, m.contest) ||
        strcmp(r.precinct, m.precinct) || r.revision != m.revision)
        fuzz_fail("header fields differ");
    if (r.revision > 1 && (memcmp(r.supersedes, m.supersedes, 32) || strcmp(r.reason, m.reason)))
        fuzz_fail("supersedes or reason differ");
    if (r.n_counts != m.n_counts || r.n_votes != m.n_votes || r.n_evidence != m.n_evidence)
        fuzz_fail("line counts differ: %zu/%zu/%zu vs %zu/%zu/%zu", r.n_counts, r.n_votes,
                  r.n_evidence, m.n_counts, m.n_votes, m.n_evidence);
    for (size_t i = 0; i < r.n_counts; i++)
        same_item(&r.counts[i], &m.counts[i], "count", i);
    for (size_t i = 0; i < r.n_votes; i++)
        same_item(&r.votes[i], &m.votes[i], "votes", i);
    for (size_t i = 0; i < r.n_evidence; i++)
        if (memcmp(r.evidence[i], m.evidence[i], 32) != 0)
            fuzz_fail("evidence %zu differs", i);
    if (r.signed_at != m.signed_at)
        fuzz_fail("signed time differs: %lld vs %lld", (long long)r.signed_at,
                  (long long)m.signed_at);
    if (memcmp(r.key_id, m.key_id, 8) || memcmp(r.signature, m.signature, 64) ||
        r.signed_len != m.signed_len)
        fuzz_fail("key, signature or signed length differ");
    return 0;
}
