/*
 * fuzz_definition.c: cm_definition_load (DESIGN 6, docs/DEFINITION.md) on
 * arbitrary bytes. A refusal must name its JSON path; a loaded definition
 * must be internally consistent, and a return built from it is checked.
 */
#include <stdlib.h>
#include <string.h>

#include "common/rules.h"
#include "fuzz.h"
#include "proto/return.h"

#define NONE ((size_t)-1)

/* Every index the loader resolved points inside its list, ids find
 * themselves, and walking up from any area reaches the root. */
static void check_consistent(const cm_definition *def)
{
    for (size_t i = 0; i < def->n_areas; i++) {
        size_t j = i, steps = 0;
        if (cm_find_area(def, def->areas[i].id) != i)
            fuzz_fail("area %zu not found by its id", i);
        while (def->areas[j].parent != NONE) {
            if (def->areas[j].parent >= def->n_areas || ++steps > def->n_areas)
                fuzz_fail("area tree broken at %zu", j);
            j = def->areas[j].parent;
        }
    }
    for (size_t i = 0; i < def->n_parties; i++)
        if (cm_find_party(def, def->parties[i].id) != i)
            fuzz_fail("party %zu not found by its id", i);
    for (size_t i = 0; i < def->n_protocols; i++) {
        const cm_protocol *p = &def->protocols[i];
        if (p->registered >= p->n_lines || p->ballots_cast >= p->n_lines ||
            p->invalid >= p->n_lines || p->n_lines > PR_LINES_MAX ||
            (p->against_all != NONE && p->against_all >= p->n_lines))
            fuzz_fail("protocol %zu: required line index out of range", i);
        for (size_t k = 0; k < p->n_lines; k++)
            for (size_t m = 0; m < p->lines[k].n_parts; m++)
                if (p->lines[k].parts[m] >= p->n_lines ||
                    p->lines[p->lines[k].parts[m]].n_parts != 0)
                    fuzz_fail("protocol %zu line %zu: bad part", i, k);
        for (size_t k = 0; k < p->n_rules; k++) {
            const cm_rule *r = &p->rules[k];
            for (size_t m = 0; m < r->n_lhs + r->n_rhs; m++) {
                const cm_term *t = m < r->n_lhs ? &r->lhs[m] : &r->rhs[m - r->n_lhs];
                if (t->line != CM_TERM_CONST && t->line != CM_TERM_VOTES && t->line >= p->n_lines)
                    fuzz_fail("protocol %zu rule %zu: term out of range", i, k);
            }
        }
    }
    for (size_t i = 0; i < def->n_contests; i++) {
        const cm_contest *c = &def->contests[i];
        if (cm_find_contest(def, c->id) != i || c->area >= def->n_areas ||
            c->protocol >= def->n_protocols || c->n_candidates == 0 ||
            c->n_candidates > PR_CANDIDATES_MAX)
            fuzz_fail("contest %zu inconsistent", i);
        for (size_t k = 0; k < c->n_candidates; k++)
            if (c->candidates[k].party != NONE && c->candidates[k].party >= def->n_parties)
                fuzz_fail("contest %zu candidate %zu: bad party", i, k);
    }
    for (size_t i = 0; i < def->n_precincts; i++) {
        const cm_precinct *pc = &def->precincts[i];
        if (cm_find_precinct(def, pc->id) != i || pc->area >= def->n_areas || pc->n_contests == 0)
            fuzz_fail("precinct %zu inconsistent", i);
        for (size_t k = 0; k < pc->n_contests; k++)
            if (pc->contests[k] >= def->n_contests)
                fuzz_fail("precinct %zu: bad contest", i);
    }
}

/* Builds the return the first precinct would send for its first contest,
 * with counts taken from the definition hash, and runs the rules on it. */
static void check_a_return(const cm_definition *def)
{
    const cm_precinct *pc = &def->precincts[0];
    const cm_contest *c = &def->contests[pc->contests[0]];
    const cm_protocol *p = &def->protocols[c->protocol];
    cm_findings f, holds, flags;
    cm_check_ctx ctx = {"live", NULL, 0, NULL};
    uint64_t counts[PR_LINES_MAX];
    pr_return *r = calloc(1, sizeof *r);

    if (r == NULL)
        return;
    memcpy(r->election, def->id, sizeof r->election);
    memcpy(r->definition, def->hash, PR_HASH_BYTES);
    memcpy(r->contest, c->id, sizeof r->contest);
    memcpy(r->precinct, pc->id, sizeof r->precinct);
    r->revision = 1;
    r->signed_at = pc->close;
    for (size_t i = 0; i < p->n_lines; i++)
        counts[i] = def->hash[i % PR_HASH_BYTES] * 3907u;
    if (cm_compute_derived(p, counts) != 0)
        goto out;
    r->n_counts = p->n_lines;
    for (size_t i = 0; i < p->n_lines; i++) {
        memcpy(r->counts[i].id, p->lines[i].id, sizeof r->counts[i].id);
        r->counts[i].value = counts[i];
    }
    r->n_votes = c->n_candidates;
    for (size_t i = 0; i < c->n_candidates; i++) {
        memcpy(r->votes[i].id, c->candidates[i].id, sizeof r->votes[i].id);
        r->votes[i].value = def->hash[(i + 7) % PR_HASH_BYTES];
    }
    if (cm_check_return(def, r, &ctx, &f) == 0)
        cm_review_return(def, r, &holds, &flags);
out:
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cm_definition *def = NULL;
    pr_diag d = {0, ""};

    if (size > FUZZ_JSON_MAX)
        return 0;
    fuzz_init();
    if (cm_definition_load(data, size, &def, &d) != 0) {
        if (def != NULL)
            fuzz_fail("refused, but *out is not NULL");
        if (d.msg[0] != '$')
            fuzz_fail("a refusal must name its JSON path: \"%s\"", d.msg);
        fuzz_check_message("cm_definition_load", d.msg);
        return 0;
    }
    check_consistent(def);
    check_a_return(def);
    cm_definition_free(def);
    return 0;
}
