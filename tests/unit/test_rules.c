/*
 * test_rules.c: DESIGN 7 groups 4-7 (rejections), the definition-only holds
 * of group 9, the flags of group 10, control rules and DESIGN 8 percentages;
 * one test per rule, each integer boundary tried from both sides.
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
#include "common/rules.h"
#include "proto/codec.h"
#include "proto/return.h"

#define NONE ((size_t)-1)

/* The seed's minimal protocol (with against-all) and a ballot-paper
 * protocol with a derived line and a contest of two votes per ballot. */
static const char DEF[] =
    "{\"format\": \"election-definition/1\", \"id\": \"kz-2024\", \"name\": \"T\",\n"
    " \"date\": \"2024-03-17\",\n"
    " \"parties\": [{\"id\": \"amanat\", \"name\": \"A\", \"abbreviation\": \"A\", \"colour\": null}],\n"
    " \"areas\": [{\"id\": \"kz\", \"name\": \"KZ\", \"parent\": null, \"close\": \"2024-03-17T15:00:00Z\"}],\n"
    " \"protocols\": [\n"
    "  {\"id\": \"seed\", \"lines\": [\n"
    "    {\"id\": \"registered\", \"name\": \"r\"}, {\"id\": \"ballots-cast\", \"name\": \"b\"},\n"
    "    {\"id\": \"invalid\", \"name\": \"i\"}, {\"id\": \"against-all\", \"name\": \"a\"}],\n"
    "   \"rules\": [\n"
    "    {\"id\": \"registered-small\", \"check\": \"registered >= 10\", \"severity\": \"hold\"},\n"
    "    {\"id\": \"big-invalid\", \"check\": \"invalid <= 150\", \"severity\": \"flag\"}]},\n"
    "  {\"id\": \"paper\", \"lines\": [\n"
    "    {\"id\": \"registered\", \"name\": \"r\"},\n"
    "    {\"id\": \"ballots-cast\", \"name\": \"b\", \"derived\": [\"cast-station\", \"cast-mobile\"]},\n"
    "    {\"id\": \"cast-station\", \"name\": \"s\"}, {\"id\": \"cast-mobile\", \"name\": \"m\"},\n"
    "    {\"id\": \"invalid\", \"name\": \"i\"}, {\"id\": \"received\", \"name\": \"p\"},\n"
    "    {\"id\": \"cancelled\", \"name\": \"c\"}],\n"
    "   \"rules\": [\n"
    "    {\"id\": \"paper-balance\", \"check\": \"received = ballots-cast + cancelled\", \"severity\": \"reject\"},\n"
    "    {\"id\": \"many-mobile\", \"check\": \"10 * cast-mobile <= ballots-cast\", \"severity\": \"hold\"},\n"
    "    {\"id\": \"invalid-over-100\", \"check\": \"against-all + invalid <= 100\", \"severity\": \"flag\"}]},\n"
    "  {\"id\": \"bare\", \"lines\": [\n"
    "    {\"id\": \"registered\", \"name\": \"r\"}, {\"id\": \"ballots-cast\", \"name\": \"b\"},\n"
    "    {\"id\": \"invalid\", \"name\": \"i\"}], \"rules\": []}],\n"
    " \"contests\": [\n"
    "  {\"id\": \"mayor\", \"name\": \"M\", \"area\": \"kz\", \"protocol\": \"seed\", \"against_all\": true,\n"
    "   \"outcome\": \"plurality\", \"candidates\": [{\"id\": \"c1\", \"name\": \"1\", \"party\": null},\n"
    "   {\"id\": \"c2\", \"name\": \"2\", \"party\": null}, {\"id\": \"c3\", \"name\": \"3\", \"party\": null}]},\n"
    "  {\"id\": \"council\", \"name\": \"C\", \"area\": \"kz\", \"protocol\": \"paper\", \"against_all\": false,\n"
    "   \"votes_allowed\": 2, \"seats\": 2, \"outcome\": \"plurality\", \"candidates\": [\n"
    "   {\"id\": \"x1\", \"name\": \"1\", \"party\": \"amanat\"}, {\"id\": \"x2\", \"name\": \"2\", \"party\": null}]},\n"
    "  {\"id\": \"solo\", \"name\": \"S\", \"area\": \"kz\", \"protocol\": \"bare\", \"against_all\": false,\n"
    "   \"outcome\": \"majority\", \"candidates\": [{\"id\": \"only\", \"name\": \"O\", \"party\": null}]},\n"
    "  {\"id\": \"duo\", \"name\": \"D\", \"area\": \"kz\", \"protocol\": \"bare\", \"against_all\": false,\n"
    "   \"outcome\": \"majority\", \"candidates\": [{\"id\": \"d1\", \"name\": \"1\", \"party\": null},\n"
    "   {\"id\": \"d2\", \"name\": \"2\", \"party\": null}]}],\n"
    " \"precincts\": [\n"
    "  {\"id\": \"p1\", \"name\": \"P1\", \"area\": \"kz\", \"contests\": [\"mayor\", \"council\", \"solo\", \"duo\"],\n"
    "   \"registered\": 1283},\n"
    "  {\"id\": \"p2\", \"name\": \"P2\", \"area\": \"kz\", \"contests\": [\"mayor\"], \"registered\": null,\n"
    "   \"close\": \"2024-03-17T18:00:00Z\"}]}\n";

static cm_definition *load_def(const char *from, const char *to)
{
    const char *at;
    char *text;
    cm_definition *def = NULL;
    pr_diag d;

    text = malloc(sizeof DEF + (to ? strlen(to) : 0));
    assert_non_null(text);
    if (from == NULL)
        memcpy(text, DEF, sizeof DEF);
    else {
        at = strstr(DEF, from);
        assert_non_null(at);
        memcpy(text, DEF, (size_t)(at - DEF));
        strcpy(text + (at - DEF), to);
        strcat(text, at + strlen(from));
    }
    if (cm_definition_load((const uint8_t *)text, strlen(text), &def, &d) != 0)
        fail_msg("definition refused: %s", d.msg);
    free(text);
    return def;
}

static int setup(void **state)
{
    *state = load_def(NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    cm_definition_free(*state);
    return 0;
}

static int64_t close_of(const cm_definition *def, const char *precinct)
{
    return def->precincts[cm_find_precinct(def, precinct)].close;
}

static void add_item(pr_item *items, size_t *n, const char *id, uint64_t value)
{
    (void)snprintf(items[*n].id, sizeof items[*n].id, "%s", id);
    items[*n].value = value;
    (*n)++;
}

/* The seed's figures, filled by hand: 1283 on the list, 928 cast, 35
 * invalid, 731 + 162 + 0 votes, nothing against all. */
static pr_return *seed_return(const cm_definition *def)
{
    pr_return *r = calloc(1, sizeof *r);

    assert_non_null(r);
    (void)snprintf(r->election, sizeof r->election, "%s", def->id);
    memcpy(r->definition, def->hash, PR_HASH_BYTES);
    r->mode = PR_MODE_LIVE;
    (void)snprintf(r->contest, sizeof r->contest, "mayor");
    (void)snprintf(r->precinct, sizeof r->precinct, "p1");
    r->revision = 1;
    add_item(r->counts, &r->n_counts, "registered", 1283);
    add_item(r->counts, &r->n_counts, "ballots-cast", 928);
    add_item(r->counts, &r->n_counts, "invalid", 35);
    add_item(r->counts, &r->n_counts, "against-all", 0);
    add_item(r->votes, &r->n_votes, "c1", 731);
    add_item(r->votes, &r->n_votes, "c2", 162);
    add_item(r->votes, &r->n_votes, "c3", 0);
    r->signed_at = close_of(def, "p1") + 3600;
    return r;
}

/* A ballot-paper return: 900 cast (850 + 50), 20 invalid, 1000 papers
 * received and 100 cancelled, 1000 + 700 votes of 2 x 880 possible. */
static pr_return *council_return(const cm_definition *def)
{
    pr_return *r = seed_return(def);

    (void)snprintf(r->contest, sizeof r->contest, "council");
    r->n_counts = r->n_votes = 0;
    add_item(r->counts, &r->n_counts, "registered", 1283);
    add_item(r->counts, &r->n_counts, "ballots-cast", 900);
    add_item(r->counts, &r->n_counts, "cast-station", 850);
    add_item(r->counts, &r->n_counts, "cast-mobile", 50);
    add_item(r->counts, &r->n_counts, "invalid", 20);
    add_item(r->counts, &r->n_counts, "received", 1000);
    add_item(r->counts, &r->n_counts, "cancelled", 100);
    add_item(r->votes, &r->n_votes, "x1", 1000);
    add_item(r->votes, &r->n_votes, "x2", 700);
    return r;
}

/* Moves a return to p2 (no roll, closes at 18:00), signed at its close. */
static void to_p2(const cm_definition *def, pr_return *r)
{
    (void)snprintf(r->precinct, sizeof r->precinct, "p2");
    r->signed_at = close_of(def, "p2");
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

/* Sets a mayor return's figures, keeping votes + against-all + invalid =
 * ballots-cast unless the caller says otherwise. */
static void mayor(pr_return *r, uint64_t reg, uint64_t cast, uint64_t inv, uint64_t aa,
                  uint64_t c1, uint64_t c2, uint64_t c3)
{
    set(r, "registered", reg);
    set(r, "ballots-cast", cast);
    set(r, "invalid", inv);
    set(r, "against-all", aa);
    set(r, "c1", c1);
    set(r, "c2", c2);
    set(r, "c3", c3);
}

static const cm_check_ctx LIVE = {"live", NULL, 0, NULL};
static const cm_check_ctx TEST = {"test", NULL, 0, NULL};

/* Runs the check and compares the group and the codes, in order. */
static void expect_codes(const cm_definition *def, const pr_return *r, const cm_check_ctx *ctx,
                         unsigned group, const char *const *codes)
{
    cm_findings f;
    size_t n = 0;
    unsigned g = cm_check_return(def, r, ctx, &f);

    while (codes != NULL && codes[n] != NULL)
        n++;
    if (g != group || f.n != n)
        fail_msg("group %u with %zu codes (first %s: %s), want group %u with %zu", g, f.n,
                 f.n ? f.codes[0] : "-", f.detail, group, n);
    assert_int_equal(f.group, group);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(f.codes[i], codes[i]);
}

#define CODES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_detail(const cm_definition *def, const pr_return *r, const char *detail)
{
    cm_findings f;

    (void)cm_check_return(def, r, &LIVE, &f);
    assert_string_equal(f.detail, detail);
}

/* ---- accepted ----------------------------------------------------------- */

static void test_check_accepts_seed_return(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);
    cm_findings f;

    assert_int_equal(cm_check_return(def, r, &LIVE, &f), 0);
    assert_int_equal(f.n, 0);
    assert_int_equal(f.group, 0);
    free(r);
    r = council_return(def);
    assert_int_equal(cm_check_return(def, r, &LIVE, &f), 0);
    free(r);
}

/* ---- group 4 ------------------------------------------------------------ */

static void test_reject_wrong_election(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    (void)snprintf(r->election, sizeof r->election, "kz-2023");
    expect_codes(def, r, &LIVE, 4, CODES("wrong-election"));
    expect_detail(def, r, "election \"kz-2023\", but the definition is for \"kz-2024\"");
    free(r);
}

static void test_reject_wrong_definition(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    r->definition[31] ^= 1;
    expect_codes(def, r, &LIVE, 4, CODES("wrong-definition"));
    free(r);
}

static void test_reject_wrong_mode(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    expect_codes(def, r, &TEST, 4, CODES("wrong-mode"));
    r->mode = PR_MODE_TEST;
    expect_codes(def, r, &LIVE, 4, CODES("wrong-mode"));
    expect_detail(def, r, "a test return, but the mode here is live");
    expect_codes(def, r, &TEST, 0, NULL);
    free(r);
}

static void test_group4_lists_every_code_and_stops(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    (void)snprintf(r->election, sizeof r->election, "other");
    r->definition[0] ^= 0x80;
    /* later groups fail too, but the first failing group decides */
    (void)snprintf(r->precinct, sizeof r->precinct, "p404");
    set(r, "invalid", 36);
    expect_codes(def, r, &TEST, 4, CODES("wrong-election", "wrong-definition", "wrong-mode"));
    free(r);
}

/* ---- group 5 ------------------------------------------------------------ */

static void test_reject_unknown_precinct(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    (void)snprintf(r->precinct, sizeof r->precinct, "p404");
    expect_codes(def, r, &LIVE, 5, CODES("unknown-precinct"));
    expect_detail(def, r, "precinct \"p404\" is not in the definition");
    /* the contest's checks still run without the precinct */
    set(r, "c2", 1);
    r->votes[1].id[0] = 'z';
    expect_codes(def, r, &LIVE, 5, CODES("unknown-precinct", "candidate-mismatch"));
    free(r);
}

static void test_reject_key_precinct_mismatch(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);
    const char *other[] = {"p2"}, *both[] = {"p2", "p1"};
    cm_check_ctx ctx = {"live", other, 1, NULL};

    expect_codes(def, r, &ctx, 5, CODES("key-precinct-mismatch"));
    expect_codes(def, r, &LIVE, 0, NULL); /* no key precincts given: skipped */
    ctx.key_precincts = both;
    ctx.n_key_precincts = 2;
    expect_codes(def, r, &ctx, 0, NULL);
    /* an unknown precinct is also not the key's */
    ctx.key_precincts = other;
    ctx.n_key_precincts = 1;
    (void)snprintf(r->precinct, sizeof r->precinct, "p404");
    expect_codes(def, r, &ctx, 5, CODES("unknown-precinct", "key-precinct-mismatch"));
    free(r);
}

static void test_reject_unknown_contest(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    (void)snprintf(r->contest, sizeof r->contest, "senate");
    /* lines and candidates cannot be checked without the contest */
    r->n_votes = 1;
    expect_codes(def, r, &LIVE, 5, CODES("unknown-contest"));
    expect_detail(def, r, "contest \"senate\" is not in the definition");
    (void)snprintf(r->precinct, sizeof r->precinct, "p404");
    expect_codes(def, r, &LIVE, 5, CODES("unknown-precinct", "unknown-contest"));
    free(r);
}

static void test_reject_precinct_not_in_contest(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = council_return(def);

    (void)snprintf(r->precinct, sizeof r->precinct, "p2");
    expect_codes(def, r, &LIVE, 5, CODES("precinct-not-in-contest"));
    expect_detail(def, r, "precinct \"p2\" does not take part in contest \"council\"");
    free(r);
}

static void test_reject_line_mismatch(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);
    pr_item tmp;

    /* the protocol's lines, but not in protocol order */
    tmp = r->counts[2];
    r->counts[2] = r->counts[3];
    r->counts[3] = tmp;
    expect_codes(def, r, &LIVE, 5, CODES("line-mismatch"));
    expect_detail(def, r, "count line 3 is \"against-all\", protocol \"seed\" has \"invalid\" there");
    free(r);

    r = seed_return(def);
    r->n_counts = 3;
    expect_codes(def, r, &LIVE, 5, CODES("line-mismatch"));
    expect_detail(def, r, "no count line \"against-all\" (protocol \"seed\" has 4 lines)");
    add_item(r->counts, &r->n_counts, "against-all", 0);
    add_item(r->counts, &r->n_counts, "spoiled", 0);
    expect_codes(def, r, &LIVE, 5, CODES("line-mismatch"));
    expect_detail(def, r, "extra count line \"spoiled\" (protocol \"seed\" has 4 lines)");
    free(r);
}

static void test_reject_candidate_mismatch(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);
    pr_item tmp;

    tmp = r->votes[0];
    r->votes[0] = r->votes[1];
    r->votes[1] = tmp;
    expect_codes(def, r, &LIVE, 5, CODES("candidate-mismatch"));
    expect_detail(def, r, "votes line 1 is \"c2\", contest \"mayor\" has \"c1\" there");
    free(r);

    r = seed_return(def);
    r->n_votes = 2; /* c3 had 0 votes: the sums still hold */
    expect_codes(def, r, &LIVE, 5, CODES("candidate-mismatch"));
    expect_detail(def, r, "no votes line for \"c3\" (contest \"mayor\" has 3 candidates)");
    r->n_votes = 3;
    add_item(r->votes, &r->n_votes, "c4", 0);
    expect_codes(def, r, &LIVE, 5, CODES("candidate-mismatch"));
    free(r);
}

static void test_reject_derived_mismatch(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = council_return(def);

    set(r, "cast-mobile", 51);
    expect_codes(def, r, &LIVE, 5, CODES("derived-mismatch"));
    expect_detail(def, r, "line \"ballots-cast\" is 900, the sum of its parts is 901");
    set(r, "cast-mobile", 49);
    expect_codes(def, r, &LIVE, 5, CODES("derived-mismatch"));
    set(r, "cast-mobile", 50);
    expect_codes(def, r, &LIVE, 0, NULL);
    /* with the lines wrong there is nothing to check derived lines on */
    set(r, "cast-mobile", 51);
    r->n_counts--;
    expect_codes(def, r, &LIVE, 5, CODES("line-mismatch"));
    free(r);
}

static void test_group5_lists_codes_in_table_order(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = council_return(def);
    const char *other[] = {"p1"};
    cm_check_ctx ctx = {"live", other, 1, NULL};

    (void)snprintf(r->precinct, sizeof r->precinct, "p2");
    r->n_counts--;
    r->votes[1].id[1] = '9';
    expect_codes(def, r, &ctx, 5,
                 CODES("key-precinct-mismatch", "precinct-not-in-contest", "line-mismatch",
                       "candidate-mismatch"));
    free(r);
}

/* ---- group 6 ------------------------------------------------------------ */

static void test_reject_signed_before_close_boundary(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    r->signed_at = close_of(def, "p1") - 1;
    expect_codes(def, r, &LIVE, 6, CODES("signed-before-close"));
    expect_detail(def, r,
                  "signed 2024-03-17T14:59:59Z, before the close of polls at 2024-03-17T15:00:00Z");
    r->signed_at = close_of(def, "p1");
    expect_codes(def, r, &LIVE, 0, NULL);
    /* test mode: rehearsals happen before election day */
    r->mode = PR_MODE_TEST;
    r->signed_at = close_of(def, "p1") - 86400;
    expect_codes(def, r, &TEST, 0, NULL);
    free(r);

    /* p2 closes at 18:00 by its own close */
    r = seed_return(def);
    (void)snprintf(r->precinct, sizeof r->precinct, "p2");
    r->signed_at = close_of(def, "p1") + 3 * 3600 - 1;
    expect_codes(def, r, &LIVE, 6, CODES("signed-before-close"));
    r->signed_at++;
    expect_codes(def, r, &LIVE, 0, NULL);
    free(r);
}

/* ---- group 7 ------------------------------------------------------------ */

static void test_reject_sum_mismatch(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    mayor(r, 1283, 928, 35, 0, 731, 194, 0);
    expect_codes(def, r, &LIVE, 7, CODES("sum-mismatch"));
    expect_detail(def, r, "votes 925 + against-all 0 + invalid 35 = 960, ballots-cast 928");
    /* one short is as wrong as one over */
    mayor(r, 1283, 928, 35, 0, 731, 161, 0);
    expect_codes(def, r, &LIVE, 7, CODES("sum-mismatch"));
    mayor(r, 1283, 928, 35, 1, 731, 161, 0);
    expect_codes(def, r, &LIVE, 0, NULL);
    mayor(r, 1283, 928, 35, 2, 731, 161, 0);
    expect_codes(def, r, &LIVE, 7, CODES("sum-mismatch"));
    expect_detail(def, r, "votes 892 + against-all 2 + invalid 35 = 929, ballots-cast 928");
    free(r);

    /* a contest without against-all leaves it out of the sentence */
    r = seed_return(def);
    (void)snprintf(r->contest, sizeof r->contest, "duo");
    r->n_counts = r->n_votes = 0;
    add_item(r->counts, &r->n_counts, "registered", 100);
    add_item(r->counts, &r->n_counts, "ballots-cast", 50);
    add_item(r->counts, &r->n_counts, "invalid", 5);
    add_item(r->votes, &r->n_votes, "d1", 40);
    add_item(r->votes, &r->n_votes, "d2", 6);
    expect_codes(def, r, &LIVE, 7, CODES("sum-mismatch"));
    expect_detail(def, r, "votes 46 + invalid 5 = 51, ballots-cast 50");
    set(r, "d2", 5);
    expect_codes(def, r, &LIVE, 0, NULL);
    free(r);
}

static void test_reject_sum_mismatch_votes_allowed_boundary(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = council_return(def);

    /* (900 - 20) x 2 = 1760 votes at most */
    set(r, "x1", 1060);
    expect_codes(def, r, &LIVE, 0, NULL);
    set(r, "x1", 1061);
    expect_codes(def, r, &LIVE, 7, CODES("sum-mismatch"));
    expect_detail(def, r,
                  "votes 1761, more than (ballots-cast 900 - invalid 20) x votes_allowed 2");
    /* fewer votes than places is normal with several votes per ballot */
    set(r, "x1", 0);
    set(r, "x2", 0);
    expect_codes(def, r, &LIVE, 0, NULL);
    /* more invalid ballots than cast ones leaves room for no vote */
    set(r, "invalid", 901);
    expect_codes(def, r, &LIVE, 7, CODES("sum-mismatch"));
    free(r);
}

static void test_reject_cast_exceeds_registered_boundary(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);

    mayor(r, 928, 928, 35, 0, 731, 162, 0);
    expect_codes(def, r, &LIVE, 0, NULL);
    mayor(r, 927, 928, 35, 0, 731, 162, 0);
    expect_codes(def, r, &LIVE, 7, CODES("cast-exceeds-registered"));
    expect_detail(def, r, "ballots-cast = 928, registered = 927");
    free(r);
}

static void test_reject_protocol_rules_in_order(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = council_return(def);

    set(r, "received", 999);
    expect_codes(def, r, &LIVE, 7, CODES("paper-balance"));
    expect_detail(def, r, "received = 999, ballots-cast + cancelled = 1000");
    /* sum-mismatch, then the default rule, then the protocol's */
    set(r, "registered", 899);
    set(r, "x1", 2000);
    expect_codes(def, r, &LIVE, 7, CODES("sum-mismatch", "cast-exceeds-registered", "paper-balance"));
    free(r);
}

static void test_reject_default_rule_redefined(void **state)
{
    cm_definition *def = load_def("\"id\": \"registered-small\", \"check\": \"registered >= 10\", \"severity\": \"hold\"",
                                  "\"id\": \"cast-exceeds-registered\", \"check\": \"ballots-cast <= registered\", \"severity\": \"flag\"");
    pr_return *r = seed_return(def);
    cm_findings holds, flags;
    (void)state;

    mayor(r, 927, 928, 35, 0, 731, 162, 0);
    expect_codes(def, r, &LIVE, 0, NULL);
    cm_review_return(def, r, &holds, &flags);
    assert_int_equal(flags.group, 10);
    assert_string_equal(flags.codes[flags.n - 1], "cast-exceeds-registered");
    free(r);
    cm_definition_free(def);
}

/* ---- group 9 ------------------------------------------------------------ */

/* The hold and flag codes of a return, as "a b c". */
static void review(const cm_definition *def, const pr_return *r, char *holds, char *flags)
{
    cm_findings h, fl;

    assert_int_equal(cm_check_return(def, r, &LIVE, &h), 0);
    cm_review_return(def, r, &h, &fl);
    holds[0] = flags[0] = '\0';
    for (size_t i = 0; i < h.n; i++)
        (void)strcat(strcat(holds, i ? " " : ""), h.codes[i]);
    for (size_t i = 0; i < fl.n; i++)
        (void)strcat(strcat(flags, i ? " " : ""), fl.codes[i]);
    assert_int_equal(h.group, h.n ? 9u : 0u);
    assert_int_equal(fl.group, fl.n ? 10u : 0u);
}

static void test_hold_registered_drift_boundary(void **state)
{
    cm_definition *def = *state;
    pr_return *r = seed_return(def);
    cm_precinct *p1 = &def->precincts[cm_find_precinct(def, "p1")];
    char h[512], f[512];
    cm_findings hf, ff;

    p1->roll = 1000;
    /* up: 200 bp of 1000 = 20 */
    mayor(r, 1020, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "");
    mayor(r, 1021, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "registered-drift");
    cm_review_return(def, r, &hf, &ff);
    assert_string_equal(hf.detail, "registered 1021 is 21 above the roll's 1000 (allowed 20)");
    /* the absolute allowance wins when larger */
    def->tol.registered_up_abs = 30;
    review(def, r, h, f);
    assert_string_equal(h, "");
    mayor(r, 1030, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "");
    mayor(r, 1031, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "registered-drift");
    def->tol.registered_up_abs = 0;
    /* down: 500 bp of 1000 = 50 */
    mayor(r, 950, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "");
    mayor(r, 949, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "registered-drift");
    def->tol.registered_down_abs = 51;
    review(def, r, h, f);
    assert_string_equal(h, "");
    def->tol.registered_down_abs = 0;
    /* the bp share is rounded down: 200 bp of 1049 = 20.98 -> 20 */
    p1->roll = 1049;
    mayor(r, 1069, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "");
    mayor(r, 1070, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "registered-drift");
    p1->roll = 1283;
    free(r);

    /* a null roll disables it */
    r = seed_return(def);
    to_p2(def, r);
    mayor(r, 100000, 928, 35, 0, 731, 162, 0);
    review(def, r, h, f);
    assert_string_equal(h, "");
    free(r);
}

static void test_hold_protocol_rules(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = council_return(def);
    char h[512], f[512];

    /* 10 x cast-mobile <= ballots-cast */
    set(r, "cast-station", 810);
    set(r, "cast-mobile", 90);
    review(def, r, h, f);
    assert_string_equal(h, "");
    set(r, "cast-station", 809);
    set(r, "cast-mobile", 91);
    review(def, r, h, f);
    assert_string_equal(h, "many-mobile");
    free(r);

    /* p2 has no roll, so no registered-drift beside the rule */
    r = seed_return(def);
    to_p2(def, r);
    mayor(r, 10, 0, 0, 0, 0, 0, 0);
    review(def, r, h, f);
    assert_string_equal(h, "");
    mayor(r, 9, 0, 0, 0, 0, 0, 0);
    review(def, r, h, f);
    assert_string_equal(h, "registered-small");
    free(r);
}

/* ---- group 10 ----------------------------------------------------------- */

static void test_flag_turnout_high_boundary(void **state)
{
    cm_definition *def = *state;
    pr_return *r = seed_return(def);
    char h[512], f[512];

    /* ballots-cast x 10000 >= 9900 x registered */
    mayor(r, 1000, 989, 35, 0, 731, 223, 0);
    review(def, r, h, f);
    assert_string_equal(f, "");
    mayor(r, 1000, 990, 35, 0, 731, 224, 0);
    review(def, r, h, f);
    assert_string_equal(f, "turnout-high");
    {
        cm_findings hf, ff;

        cm_review_return(def, r, &hf, &ff);
        assert_string_equal(ff.detail,
                            "ballots-cast 990 of registered 1000 is 99.00 %, at least 99.00 %");
    }
    def->tol.turnout_high_bp = 9901;
    review(def, r, h, f);
    assert_string_equal(f, "");
    def->tol.turnout_high_bp = 9900;
    free(r);
}

static void test_flag_zero_turnout(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);
    char h[512], f[512];

    mayor(r, 1283, 0, 0, 0, 0, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "zero-turnout");
    mayor(r, 1283, 1, 1, 0, 0, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "invalid-high");
    /* exactly as DESIGN 7 says: 0 x 10000 >= 9900 x 0 */
    mayor(r, 0, 0, 0, 0, 0, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "turnout-high zero-turnout");
    free(r);
}

static void test_flag_unanimous(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);
    char h[512], f[512];

    mayor(r, 1283, 928, 35, 0, 893, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "unanimous");
    mayor(r, 1283, 928, 35, 1, 892, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "");
    mayor(r, 1283, 928, 35, 893, 0, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "unanimous");
    mayor(r, 1283, 928, 35, 0, 0, 0, 893);
    review(def, r, h, f);
    assert_string_equal(f, "unanimous");
    /* at least one valid vote */
    mayor(r, 1283, 35, 35, 0, 0, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "invalid-high");
    mayor(r, 1283, 1, 0, 0, 1, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "unanimous");
    free(r);

    /* two candidates and no against-all: 2 choices */
    r = seed_return(def);
    (void)snprintf(r->contest, sizeof r->contest, "duo");
    r->n_counts = r->n_votes = 0;
    add_item(r->counts, &r->n_counts, "registered", 1283);
    add_item(r->counts, &r->n_counts, "ballots-cast", 100);
    add_item(r->counts, &r->n_counts, "invalid", 0);
    add_item(r->votes, &r->n_votes, "d1", 0);
    add_item(r->votes, &r->n_votes, "d2", 100);
    review(def, r, h, f);
    assert_string_equal(f, "unanimous");
    free(r);

    /* one candidate and no against-all: 1 choice, never unanimous */
    r = seed_return(def);
    (void)snprintf(r->contest, sizeof r->contest, "solo");
    r->n_counts = r->n_votes = 0;
    add_item(r->counts, &r->n_counts, "registered", 1283);
    add_item(r->counts, &r->n_counts, "ballots-cast", 100);
    add_item(r->counts, &r->n_counts, "invalid", 0);
    add_item(r->votes, &r->n_votes, "only", 100);
    review(def, r, h, f);
    assert_string_equal(f, "");
    free(r);
}

static void test_flag_invalid_high_boundary(void **state)
{
    cm_definition *def = *state;
    pr_return *r = seed_return(def);
    char h[512], f[512];

    /* invalid x 10000 > 1000 x ballots-cast */
    mayor(r, 1283, 1000, 100, 0, 800, 100, 0);
    review(def, r, h, f);
    assert_string_equal(f, "");
    mayor(r, 1283, 1000, 101, 0, 800, 99, 0);
    review(def, r, h, f);
    assert_string_equal(f, "invalid-high");
    {
        cm_findings hf, ff;

        cm_review_return(def, r, &hf, &ff);
        assert_string_equal(ff.detail, "invalid 101 of ballots-cast 1000 is 10.10 %, above 10.00 %");
    }
    def->tol.invalid_high_bp = 1010;
    review(def, r, h, f);
    assert_string_equal(f, "");
    def->tol.invalid_high_bp = 1000;
    free(r);
}

static void test_flag_cast_exceeds_roll_boundary(void **state)
{
    const cm_definition *def = *state;
    pr_return *r = seed_return(def);
    char h[512], f[512];

    /* the station's registered line may exceed the roll (within drift) */
    mayor(r, 1300, 1283, 35, 0, 1248, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "unanimous");
    mayor(r, 1300, 1284, 35, 0, 1249, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "unanimous cast-exceeds-roll");
    free(r);
    /* unknown roll: nothing to exceed */
    r = seed_return(def);
    to_p2(def, r);
    mayor(r, 100000, 1284, 35, 0, 1248, 1, 0);
    review(def, r, h, f);
    assert_string_equal(f, "");
    free(r);
}

static void test_flag_protocol_rules(void **state)
{
    cm_definition *def = *state;
    pr_return *r = council_return(def);
    char h[512], f[512];

    def->tol.invalid_high_bp = 2000; /* keep invalid-high out of the way */
    /* against-all + invalid <= 100, against-all absent: 0 */
    set(r, "x1", 800);
    set(r, "invalid", 90);
    review(def, r, h, f);
    assert_string_equal(f, "");
    set(r, "invalid", 100);
    review(def, r, h, f);
    assert_string_equal(f, "");
    set(r, "invalid", 101);
    review(def, r, h, f);
    assert_string_equal(f, "invalid-over-100");
    free(r);
}

static void test_flags_in_table_order(void **state)
{
    cm_definition *def = *state;
    pr_return *r = seed_return(def);
    cm_precinct *p1 = &def->precincts[cm_find_precinct(def, "p1")];
    char h[512], f[512];

    p1->roll = 999;
    mayor(r, 1000, 1000, 200, 0, 800, 0, 0);
    review(def, r, h, f);
    assert_string_equal(f, "turnout-high unanimous invalid-high cast-exceeds-roll big-invalid");
    p1->roll = 1283;
    free(r);
}

/* ---- rules, derived lines, percentages ---------------------------------- */

static void test_rule_holds_and_detail(void **state)
{
    const cm_definition *def = *state;
    const cm_protocol *paper = &def->protocols[1];
    uint64_t counts[7] = {1283, 900, 850, 50, 20, 1000, 100};
    char detail[128];

    assert_string_equal(paper->rules[1].id, "paper-balance");
    assert_int_equal(cm_rule_holds(&paper->rules[1], counts, 0, detail, sizeof detail), 1);
    assert_string_equal(detail, "received = 1000, ballots-cast + cancelled = 1000");
    counts[5] = 1001;
    assert_int_equal(cm_rule_holds(&paper->rules[1], counts, 0, NULL, 0), 0);
    /* a detail buffer is optional and never overrun */
    assert_int_equal(cm_rule_holds(&paper->rules[1], counts, 0, detail, 8), 0);
    assert_string_equal(detail, "receive");
}

static void test_rule_overflow_fails(void **state)
{
    cm_term big[2] = {{INT64_MAX, 0}, {1, CM_TERM_CONST}};
    cm_term one[1] = {{1, CM_TERM_CONST}};
    cm_term votes[1] = {{1, CM_TERM_VOTES}};
    cm_term neg[1] = {{-1, CM_TERM_VOTES}};
    cm_rule r = {"r", "a + 1 >= 1", CM_SEV_REJECT, CM_REL_GE, 2, 1, big, one};
    uint64_t counts[1] = {1};
    char detail[128];
    (void)state;

    /* INT64_MAX x 1 + 1 overflows: the rule fails though it "holds" */
    assert_int_equal(cm_rule_holds(&r, counts, 0, detail, sizeof detail), 0);
    assert_string_equal(detail, "arithmetic overflow in a + 1 >= 1");
    counts[0] = 2;
    r.n_lhs = 1;
    assert_int_equal(cm_rule_holds(&r, counts, 0, NULL, 0), 0);
    counts[0] = 1;
    assert_int_equal(cm_rule_holds(&r, counts, 0, NULL, 0), 1);
    /* a value above INT64_MAX cannot be represented */
    r.lhs = votes;
    assert_int_equal(cm_rule_holds(&r, counts, (uint64_t)INT64_MAX + 1, NULL, 0), 0);
    assert_int_equal(cm_rule_holds(&r, counts, (uint64_t)INT64_MAX, NULL, 0), 1);
    /* negative sums are fine */
    r.lhs = neg;
    r.rel = CM_REL_LT;
    assert_int_equal(cm_rule_holds(&r, counts, 5, detail, sizeof detail), 1);
    assert_string_equal(detail, "a + 1 = -5, 1 = 1");
}

static void test_compute_derived(void **state)
{
    const cm_definition *def = *state;
    const cm_protocol *paper = &def->protocols[1];
    uint64_t counts[7] = {1283, 0, 850, 50, 20, 1000, 100};
    (void)state;

    assert_int_equal(cm_compute_derived(paper, counts), 0);
    assert_int_equal(counts[1], 900);
    counts[2] = PR_COUNT_MAX - 50;
    assert_int_equal(cm_compute_derived(paper, counts), 0);
    assert_int_equal(counts[1], PR_COUNT_MAX);
    counts[2]++;
    assert_int_equal(cm_compute_derived(paper, counts), -1);
}

static void expect_percent(uint64_t n, uint64_t d, const char *want)
{
    char out[24];

    assert_int_equal(cm_percent(n, d, out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void test_percent_seed_731_of_928(void **state)
{
    (void)state;
    expect_percent(731, 928, "78.77");
    expect_percent(0, 928, "0.00");
    expect_percent(35, 928, "3.77");
    expect_percent(928, 1283, "72.33");
    expect_percent(162, 928, "17.46");
    expect_percent(928, 928, "100.00");
    expect_percent(731, 0, "n/a");
    expect_percent(0, 0, "n/a");
}

static void test_percent_rounds_half_away_from_zero(void **state)
{
    (void)state;
    expect_percent(1, 8, "12.50");
    expect_percent(1, 32, "3.13");    /* 3.125 */
    expect_percent(3, 32, "9.38");    /* 9.375 */
    expect_percent(1, 3, "33.33");
    expect_percent(2, 3, "66.67");
    expect_percent(1, 20000, "0.01"); /* 0.005 */
    expect_percent(1, 20001, "0.00");
    expect_percent(1300, 1283, "101.33");
    expect_percent(PR_COUNT_MAX, 1, "100000000000.00");
}

static void test_percent_overflow(void **state)
{
    char out[24];
    (void)state;

    assert_int_equal(cm_percent(UINT64_MAX / 20000 + 1, 1, out, sizeof out), -1);
    assert_string_equal(out, "n/a");
    assert_int_equal(cm_percent(1, UINT64_MAX, out, sizeof out), -1);
    assert_string_equal(out, "n/a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check_accepts_seed_return, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_wrong_election, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_wrong_definition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_wrong_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group4_lists_every_code_and_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_unknown_precinct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_key_precinct_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_unknown_contest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_precinct_not_in_contest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_line_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_candidate_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_derived_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group5_lists_codes_in_table_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_signed_before_close_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_sum_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_sum_mismatch_votes_allowed_boundary, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reject_cast_exceeds_registered_boundary, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reject_protocol_rules_in_order, setup, teardown),
        cmocka_unit_test(test_reject_default_rule_redefined),
        cmocka_unit_test_setup_teardown(test_hold_registered_drift_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_protocol_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_turnout_high_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_zero_turnout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_unanimous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_invalid_high_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_cast_exceeds_roll_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_protocol_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags_in_table_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_holds_and_detail, setup, teardown),
        cmocka_unit_test(test_rule_overflow_fails),
        cmocka_unit_test_setup_teardown(test_compute_derived, setup, teardown),
        cmocka_unit_test(test_percent_seed_731_of_928),
        cmocka_unit_test(test_percent_rounds_half_away_from_zero),
        cmocka_unit_test(test_percent_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
