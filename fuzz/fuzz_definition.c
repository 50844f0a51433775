/*
 * fuzz_definition.c: cm_definition_load (DESIGN 6, docs/DEFINITION.md) on
 * arbitrary bytes. A refusal must name its JSON path; a loaded definition
 * must be internally consistent, and a return built from it is checked.
 * Differential: the streamed load (contests and precincts one at a time) and the
 * whole-tree load must accept the same files with the same definition and
 * refuse with the same message.
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

#define SAME(cond, ...)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__VA_ARGS__);                                                                \
    } while (0)

static int same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void same_terms(const cm_term *a, const cm_term *b, size_t n, size_t proto)
{
    for (size_t i = 0; i < n; i++)
        SAME(a[i].coef == b[i].coef && a[i].line == b[i].line, "protocol %zu: rule term %zu differs", proto, i);
}

/* The streamed load's definition equals the whole-tree load's, member by
 * member. */
static void check_same_as_tree(const cm_definition *a, const cm_definition *b)
{
    SAME(memcmp(a->hash, b->hash, sizeof a->hash) == 0 && strcmp(a->id, b->id) == 0 &&
             same_str(a->name, b->name) && strcmp(a->date, b->date) == 0,
         "streamed and tree loads: header differs");
    SAME(a->n_parties == b->n_parties && a->n_areas == b->n_areas && a->n_protocols == b->n_protocols &&
             a->n_contests == b->n_contests && a->n_precincts == b->n_precincts,
         "streamed and tree loads: list sizes differ");
    SAME(memcmp(&a->tol, &b->tol, sizeof a->tol) == 0, "streamed and tree loads: tolerances differ");
    for (size_t i = 0; i < a->n_parties; i++)
        SAME(strcmp(a->parties[i].id, b->parties[i].id) == 0 && same_str(a->parties[i].name, b->parties[i].name) &&
                 same_str(a->parties[i].abbreviation, b->parties[i].abbreviation) &&
                 strcmp(a->parties[i].colour, b->parties[i].colour) == 0,
             "party %zu differs", i);
    for (size_t i = 0; i < a->n_areas; i++)
        SAME(strcmp(a->areas[i].id, b->areas[i].id) == 0 && same_str(a->areas[i].name, b->areas[i].name) &&
                 a->areas[i].parent == b->areas[i].parent && a->areas[i].close == b->areas[i].close,
             "area %zu differs", i);
    for (size_t i = 0; i < a->n_protocols; i++) {
        const cm_protocol *x = &a->protocols[i], *y = &b->protocols[i];
        SAME(strcmp(x->id, y->id) == 0 && x->n_lines == y->n_lines && x->n_rules == y->n_rules &&
                 x->registered == y->registered && x->ballots_cast == y->ballots_cast &&
                 x->invalid == y->invalid && x->against_all == y->against_all,
             "protocol %zu differs", i);
        for (size_t k = 0; k < x->n_lines; k++) {
            SAME(strcmp(x->lines[k].id, y->lines[k].id) == 0 && same_str(x->lines[k].name, y->lines[k].name) &&
                     x->lines[k].n_parts == y->lines[k].n_parts,
                 "protocol %zu line %zu differs", i, k);
            for (size_t m = 0; m < x->lines[k].n_parts; m++)
                SAME(x->lines[k].parts[m] == y->lines[k].parts[m], "protocol %zu line %zu: parts differ", i, k);
        }
        for (size_t k = 0; k < x->n_rules; k++) {
            const cm_rule *r = &x->rules[k], *t = &y->rules[k];
            SAME(strcmp(r->id, t->id) == 0 && same_str(r->check, t->check) && r->severity == t->severity &&
                     r->rel == t->rel && r->n_lhs == t->n_lhs && r->n_rhs == t->n_rhs,
                 "protocol %zu rule %zu differs", i, k);
            same_terms(r->lhs, t->lhs, r->n_lhs, i);
            same_terms(r->rhs, t->rhs, r->n_rhs, i);
        }
    }
    for (size_t i = 0; i < a->n_contests; i++) {
        const cm_contest *x = &a->contests[i], *y = &b->contests[i];
        SAME(strcmp(x->id, y->id) == 0 && same_str(x->name, y->name) && x->area == y->area &&
                 x->protocol == y->protocol && x->against_all == y->against_all &&
                 x->votes_allowed == y->votes_allowed && x->seats == y->seats && x->outcome == y->outcome &&
                 x->method == y->method && x->threshold_bp == y->threshold_bp &&
                 x->n_candidates == y->n_candidates,
             "contest %zu differs", i);
        for (size_t k = 0; k < x->n_candidates; k++)
            SAME(strcmp(x->candidates[k].id, y->candidates[k].id) == 0 &&
                     same_str(x->candidates[k].name, y->candidates[k].name) &&
                     x->candidates[k].party == y->candidates[k].party &&
                     x->candidates[k].withdrawn == y->candidates[k].withdrawn,
                 "contest %zu candidate %zu differs", i, k);
    }
    for (size_t i = 0; i < a->n_precincts; i++) {
        const cm_precinct *x = &a->precincts[i], *y = &b->precincts[i];
        SAME(strcmp(x->id, y->id) == 0 && same_str(x->name, y->name) && x->area == y->area &&
                 x->n_contests == y->n_contests && x->has_roll == y->has_roll && x->roll == y->roll &&
                 x->close == y->close,
             "precinct %zu differs", i);
        for (size_t k = 0; k < x->n_contests; k++)
            SAME(x->contests[k] == y->contests[k], "precinct %zu: contests differ", i);
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
    cm_definition *def = NULL, *tree = NULL;
    pr_diag d = {0, ""}, d_tree = {0, ""};

    if (size > FUZZ_JSON_MAX)
        return 0;
    fuzz_init();
    int rc = cm_definition_load(data, size, &def, &d), rc_tree = cm_definition_load_tree(data, size, &tree, &d_tree);

    cm_definition *alone = NULL;
    int rc_alone = cm_definition_load_streamed(data, size, &alone);

    if (rc != rc_tree || rc_alone != rc_tree)
        fuzz_fail("load %s, tree load %s, streamed load alone %s", rc == 0 ? "accepts" : "refuses",
                  rc_tree == 0 ? "accepts" : "refuses", rc_alone == 0 ? "accepts" : "refuses");
    cm_definition_free(alone);
    if (rc != 0) {
        if (def != NULL || tree != NULL)
            fuzz_fail("refused, but *out is not NULL");
        if (d.msg[0] != '$')
            fuzz_fail("a refusal must name its JSON path: \"%s\"", d.msg);
        if (strcmp(d.msg, d_tree.msg) != 0 || d.line != d_tree.line)
            fuzz_fail("streamed and tree loads refuse differently: \"%s\" / \"%s\"", d.msg, d_tree.msg);
        fuzz_check_message("cm_definition_load", d.msg);
        return 0;
    }
    check_same_as_tree(def, tree);
    cm_definition_free(tree);
    check_consistent(def);
    check_a_return(def);
    cm_definition_free(def);
    return 0;
}
