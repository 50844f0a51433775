/*
 * fuzz_counts.c: the station's counts file, st_counts_parse (station/
 * counts.h, docs/STATION.md), for each contest of the test-vector
 * definition. Errors name a real line; success means every number is given.
 */
#include <string.h>

#include "common/rules.h"
#include "counts.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const cm_definition *def;
    unsigned lines = 1;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    def = fuzz_definition();
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (size_t ci = 0; ci < def->n_contests; ci++) {
        const cm_contest *c = &def->contests[ci];
        const cm_protocol *p = &def->protocols[c->protocol];
        uint64_t counts[PR_LINES_MAX], votes[PR_CANDIDATES_MAX];
        pr_diag d = {0, ""};

        if (st_counts_parse(data, size, p, c, counts, votes, &d) != 0) {
            fuzz_check_message("st_counts_parse", d.msg);
            if (d.line > lines)
                fuzz_fail("error names line %u of a %u-line file", d.line, lines);
            continue;
        }
        for (size_t i = 0; i < p->n_lines; i++)
            if (counts[i] > PR_COUNT_MAX || (p->lines[i].n_parts > 0 && counts[i] != 0))
                fuzz_fail("line %s: value %llu", p->lines[i].id, (unsigned long long)counts[i]);
        for (size_t i = 0; i < c->n_candidates; i++)
            if (votes[i] > PR_COUNT_MAX)
                fuzz_fail("candidate %s: value %llu", c->candidates[i].id,
                          (unsigned long long)votes[i]);
        /* Derived sums may pass PR_COUNT_MAX; record refuses those. */
        if (cm_compute_derived(p, counts) != 0)
            continue;
    }
    return 0;
}
