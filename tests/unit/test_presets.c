/*
 * test_presets.c: the protocol presets of examples/presets/ (DESIGN 6: the
 * seed's minimal protocol and the 12-line Russian precinct protocol) load in
 * a definition, and each rule of the 12-line preset is tried on both sides
 * of its integer boundary, starting from a real protocol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/definition.h"
#include "common/fileio.h"
#include "common/rules.h"
#include "proto/codec.h"
#include "proto/return.h"

#define CLOSE "2026-03-15T17:00:00Z"

/* noinline: GCC 12 at -O3 inlines it and takes b for a local that pid
 * points into (a false -Wdangling-pointer) */
__attribute__((noinline)) static char *slurp(const char *name)
{
    char path[1024];
    uint8_t *b = NULL;
    size_t len = 0;
    pr_diag d;

    snprintf(path, sizeof path, "%s/%s", PR_SOURCE_DIR, name);
    if (cm_read_file(path, 1u << 20, 1, &b, &len, NULL, &d) != 0)
        fail_msg("%s: %s", path, d.msg);
    return (char *)b;
}

/* A definition with one contest on the preset: three candidates, against-
 * all when the preset has it, one precinct p1 (roll 2609). */
static cm_definition *with_preset(const char *file, int against_all)
{
    char *preset = slurp(file), *text = malloc(65536);
    cm_definition *def = NULL;
    const char *pid;
    char id[80];
    pr_diag d;
    int n;

    assert_non_null(text);
    pid = strstr(preset, "\"id\": \"");
    assert_non_null(pid);
    pid += strlen("\"id\": \"");
    snprintf(id, sizeof id, "%.*s", (int)strcspn(pid, "\""), pid);
    n = snprintf(text, 65536,
                 "{\"format\": \"election-definition/1\", \"id\": \"p\", \"name\": \"P\",\n"
                 " \"date\": \"2026-03-15\", \"parties\": [],\n"
                 " \"areas\": [{\"id\": \"land\", \"name\": \"L\", \"parent\": null, \"close\": \"" CLOSE "\"}],\n"
                 " \"protocols\": [%s],\n"
                 " \"contests\": [{\"id\": \"c\", \"name\": \"C\", \"area\": \"land\", \"protocol\": \"%s\",\n"
                 "   \"against_all\": %s, \"outcome\": \"plurality\", \"candidates\": [\n"
                 "   {\"id\": \"a\", \"name\": \"A\", \"party\": null}, {\"id\": \"b\", \"name\": \"B\", \"party\": null},\n"
                 "   {\"id\": \"cc\", \"name\": \"C\", \"party\": null}]}],\n"
                 " \"precincts\": [{\"id\": \"p1\", \"name\": \"P1\", \"area\": \"land\", \"contests\": [\"c\"],\n"
                 "   \"registered\": 2609}]}\n",
                 preset, id, against_all ? "true" : "false");
    assert_true(n > 0 && n < 65536);
    if (cm_definition_load((const uint8_t *)text, strlen(text), &def, &d) != 0)
        fail_msg("%s in a definition: %s", file, d.msg);
    free(preset);
    free(text);
    return def;
}

static void add_item(pr_item *items, size_t *n, const char *id, uint64_t value)
{
    (void)snprintf(items[*n].id, sizeof items[*n].id, "%s", id);
    items[*n].value = value;
    (*n)++;
}

/* A real protocol shaped for the preset (2011, Adygea, UIK 1, with the
 * boxes 6 short of the ballots issued): 2609 on the list, 2356 received,
 * 0 + 1614 + 182 issued, 560 cancelled, 180 + 1610 in the boxes, 4 invalid,
 * 1786 valid = 1000 + 700 + 86, nothing lost or unaccounted. */
static pr_return *ru_return(const cm_definition *def)
{
    pr_return *r = calloc(1, sizeof *r);

    assert_non_null(r);
    (void)snprintf(r->election, sizeof r->election, "%s", def->id);
    memcpy(r->definition, def->hash, PR_HASH_BYTES);
    r->mode = PR_MODE_LIVE;
    (void)snprintf(r->contest, sizeof r->contest, "c");
    (void)snprintf(r->precinct, sizeof r->precinct, "p1");
    r->revision = 1;
    add_item(r->counts, &r->n_counts, "registered", 2609);
    add_item(r->counts, &r->n_counts, "received", 2356);
    add_item(r->counts, &r->n_counts, "issued-early", 0);
    add_item(r->counts, &r->n_counts, "issued-station", 1614);
    add_item(r->counts, &r->n_counts, "issued-outside", 182);
    add_item(r->counts, &r->n_counts, "cancelled", 560);
    add_item(r->counts, &r->n_counts, "cast-portable", 180);
    add_item(r->counts, &r->n_counts, "cast-stationary", 1610);
    add_item(r->counts, &r->n_counts, "ballots-cast", 1790);
    add_item(r->counts, &r->n_counts, "invalid", 4);
    add_item(r->counts, &r->n_counts, "valid", 1786);
    add_item(r->counts, &r->n_counts, "lost", 0);
    add_item(r->counts, &r->n_counts, "unaccounted", 0);
    if (def->contests[0].against_all)
        add_item(r->counts, &r->n_counts, "against-all", 0);
    add_item(r->votes, &r->n_votes, "a", 1000);
    add_item(r->votes, &r->n_votes, "b", 700);
    add_item(r->votes, &r->n_votes, "cc", 86);
    r->signed_at = def->precincts[0].close + 3600;
    return r;
}

static void set(pr_return *r, const char *id, uint64_t value)
{
    for (size_t i = 0; i < r->n_counts; i++)
        if (strcmp(r->counts[i].id, id) == 0) {
            r->counts[i].value = value;
            return;
        }
    for (size_t i = 0; i < r->n_votes; i++)
        if (strcmp(r->votes[i].id, id) == 0) {
            r->votes[i].value = value;
            return;
        }
    fail_msg("test bug: no line %s", id);
}

static uint64_t get(const pr_return *r, const char *id)
{
    uint64_t v = 0;

    if (pr_return_count(r, id, &v) != 1)
        fail_msg("test bug: no line %s", id);
    return v;
}

/* Both ballot-box lines and the derived ballots-cast move together. */
static void boxes(pr_return *r, uint64_t portable, uint64_t stationary)
{
    set(r, "cast-portable", portable);
    set(r, "cast-stationary", stationary);
    set(r, "ballots-cast", portable + stationary);
}

/* The codes of groups 4-7, space-separated ("" when it passes), and, when
 * it passes, the holds and flags after a "|". */
static const char *verdict(const cm_definition *def, const pr_return *r)
{
    static char out[512];
    static const cm_check_ctx live = {"live", NULL, 0, NULL};
    cm_findings f, h, fl;
    size_t k, len = 0;

    out[0] = '\0';
    if (cm_check_return(def, r, &live, &f) != 0) {
        for (k = 0; k < f.n; k++)
            len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", k ? " " : "", f.codes[k]);
        return out;
    }
    cm_review_return(def, r, &h, &fl);
    len += (size_t)snprintf(out + len, sizeof out - len, "|");
    for (k = 0; k < h.n; k++)
        len += (size_t)snprintf(out + len, sizeof out - len, " %s", h.codes[k]);
    for (k = 0; k < fl.n; k++)
        len += (size_t)snprintf(out + len, sizeof out - len, " %s", fl.codes[k]);
    return out;
}

static int setup(void **state)
{
    *state = with_preset("examples/presets/ru-precinct-12.json", 0);
    return 0;
}

static int teardown(void **state)
{
    cm_definition_free(*state);
    return 0;
}

/* ---- the files --------------------------------------------------------- */

static void test_preset_files_load_in_a_definition(void **state)
{
    static const struct {
        const char *file;
        int against_all;
        size_t lines, rules;
    } presets[] = {
        {"examples/presets/minimal.json", 0, 3, 1},
        {"examples/presets/seed-minimal.json", 1, 4, 1},
        {"examples/presets/ru-precinct-12.json", 0, 13, 6},
        {"examples/presets/ru-precinct-12-against-all.json", 1, 14, 6},
    };
    (void)state;

    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        cm_definition *def = with_preset(presets[i].file, presets[i].against_all);
        const cm_protocol *p = &def->protocols[0];

        assert_int_equal(p->n_lines, presets[i].lines);
        /* the preset's rules and the default cast-exceeds-registered */
        assert_int_equal(p->n_rules, presets[i].rules);
        cm_definition_free(def);
    }
}

/* The seed's minimal preset is the protocol of the seed example. */
static void test_preset_seed_minimal_is_the_seed_example_protocol(void **state)
{
    cm_definition *preset = with_preset("examples/presets/seed-minimal.json", 1), *example = NULL;
    char *text = slurp("examples/kz-2021-akim-by/definition.json");
    const cm_protocol *a, *b;
    pr_diag d;
    (void)state;

    if (cm_definition_load((const uint8_t *)text, strlen(text), &example, &d) != 0)
        fail_msg("example: %s", d.msg);
    a = &preset->protocols[0];
    b = &example->protocols[0];
    assert_int_equal(a->n_lines, b->n_lines);
    for (size_t i = 0; i < a->n_lines; i++) {
        assert_string_equal(a->lines[i].id, b->lines[i].id);
        assert_int_equal(a->lines[i].n_parts, b->lines[i].n_parts);
    }
    assert_int_equal(a->n_rules, b->n_rules);
    cm_definition_free(preset);
    cm_definition_free(example);
    free(text);
}

/* 12 typed lines and ballots-cast derived from the two box lines. */
static void test_preset_ru12_lines_and_derived_ballots_cast(void **state)
{
    const cm_definition *def = *state;
    const cm_protocol *p = &def->protocols[0];
    size_t typed = 0;
    pr_return *r = ru_return(def);

    for (size_t i = 0; i < p->n_lines; i++)
        typed += p->lines[i].n_parts == 0;
    assert_int_equal(typed, 12);
    assert_string_equal(p->lines[p->ballots_cast].id, "ballots-cast");
    assert_int_equal(p->lines[p->ballots_cast].n_parts, 2);
    assert_string_equal(verdict(def, r), "|");
    /* ballots-cast is the sum of the boxes, nothing else */
    set(r, "ballots-cast", 1791);
    assert_string_equal(verdict(def, r), "derived-mismatch");
    free(r);
}

/* ---- each rule on both sides of its boundary ---------------------------- */

/* issued-early + issued-station + issued-outside <= registered */
static void test_rule_issued_exceeds_registered_boundary(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = ru_return(def);

    set(r, "registered", 1796); /* issued 1796: equal is fine (held and
                                 * flagged for other reasons) */
    assert_string_equal(verdict(def, r), "| registered-drift turnout-high");
    set(r, "registered", 1795);
    assert_string_equal(verdict(def, r), "issued-exceeds-registered");
    free(r);
}

/* received = issued + cancelled + lost - unaccounted */
static void test_rule_paper_balance_mismatch_boundary(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = ru_return(def);

    set(r, "received", 2357);
    assert_string_equal(verdict(def, r), "paper-balance-mismatch");
    set(r, "received", 2355);
    assert_string_equal(verdict(def, r), "paper-balance-mismatch");
    /* one lost ballot balances one more received */
    set(r, "received", 2357);
    set(r, "lost", 1);
    assert_string_equal(verdict(def, r), "|");
    /* one not accounted for on receipt balances one fewer */
    set(r, "received", 2355);
    set(r, "lost", 0);
    set(r, "unaccounted", 1);
    assert_string_equal(verdict(def, r), "|");
    free(r);
}

/* ballots-cast (the boxes) = invalid + valid; valid = votes + against-all.
 * Each count sits in two of these identities and DESIGN 7's sum-mismatch
 * (votes + against-all + invalid = ballots-cast), so changing one count
 * fails exactly the two that hold it. */
static void test_rule_boxes_and_valid_mismatch_boundary(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = ru_return(def);

    set(r, "valid", 1787);
    assert_string_equal(verdict(def, r), "boxes-mismatch valid-mismatch");
    set(r, "valid", 1785);
    assert_string_equal(verdict(def, r), "boxes-mismatch valid-mismatch");
    set(r, "valid", 1786);
    set(r, "a", 1001);
    assert_string_equal(verdict(def, r), "sum-mismatch valid-mismatch");
    set(r, "a", 1000);
    boxes(r, 181, 1610);
    assert_string_equal(verdict(def, r), "sum-mismatch boxes-mismatch");
    /* all three moved together: consistent again */
    set(r, "valid", 1787);
    set(r, "a", 1001);
    assert_string_equal(verdict(def, r), "|");
    free(r);
}

/* valid = votes + against-all, with against-all on the ballot (2004). */
static void test_rule_valid_mismatch_with_against_all(void **state)
{
    cm_definition *def = with_preset("examples/presets/ru-precinct-12-against-all.json", 1);
    pr_return *r = ru_return(def);
    (void)state;

    assert_string_equal(verdict(def, r), "|");
    set(r, "against-all", 6);
    set(r, "a", 994);
    assert_string_equal(verdict(def, r), "|");
    set(r, "against-all", 7);
    assert_string_equal(verdict(def, r), "sum-mismatch valid-mismatch");
    free(r);
    cm_definition_free(def);
}

/* ballots-cast <= issued, a flag: real protocols break it by a ballot or
 * two and explain it with a lost one (published fault 8). */
static void test_flag_cast_exceeds_issued_boundary(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = ru_return(def);

    boxes(r, 182, 1614); /* 1796 in the boxes, 1796 issued */
    set(r, "valid", 1792);
    set(r, "a", 1006);
    assert_string_equal(verdict(def, r), "|");
    boxes(r, 182, 1615); /* one more than issued */
    set(r, "valid", 1793);
    set(r, "a", 1007);
    set(r, "received", 2357);
    set(r, "lost", 1);
    assert_int_equal(get(r, "ballots-cast"), 1797);
    assert_string_equal(verdict(def, r), "| cast-exceeds-issued");
    free(r);
}

/* Published fault 8 at the level of the rules: 288 on the list, 143 issued,
 * 144 in the boxes, 1 lost (2011, Udmurtia, UIK 1724). */
static void test_published_fault_8_rules_flag_not_reject(void **state)
{
    cm_definition *def = *state;
    pr_return *r = ru_return(def);

    set(r, "registered", 288);
    set(r, "received", 300);
    set(r, "issued-early", 0);
    set(r, "issued-station", 139);
    set(r, "issued-outside", 4);
    set(r, "cancelled", 156);
    boxes(r, 4, 140);
    set(r, "invalid", 0);
    set(r, "valid", 144);
    set(r, "lost", 1);
    set(r, "a", 83);
    set(r, "b", 29);
    set(r, "cc", 32);
    /* the roll here is 2609, so registered-drift holds it too; with the
     * roll right it is only flagged */
    def->precincts[0].roll = 288;
    assert_string_equal(verdict(def, r), "| cast-exceeds-issued");
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preset_files_load_in_a_definition),
        cmocka_unit_test(test_preset_seed_minimal_is_the_seed_example_protocol),
        cmocka_unit_test_setup_teardown(test_preset_ru12_lines_and_derived_ballots_cast, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rule_issued_exceeds_registered_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_paper_balance_mismatch_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_boxes_and_valid_mismatch_boundary, setup, teardown),
        cmocka_unit_test(test_rule_valid_mismatch_with_against_all),
        cmocka_unit_test_setup_teardown(test_flag_cast_exceeds_issued_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_published_fault_8_rules_flag_not_reject, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
