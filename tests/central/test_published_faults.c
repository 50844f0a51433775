/*
 * test_published_faults.c: the cases from real published faults
 * (neutral names; A, B, C candidates), each imported end to end into a live
 * central database: what was published wrong is refused with the right
 * reason code, and what is right is accepted (cases 4 and 5 are the
 * station's, in tests/unit/test_counts.c).
 */
#include "gx.h"

#define CLOSE "2026-03-15T17:00:00Z"

/* The seed's minimal protocol without against-all (cases 1, 3, 6, 7), with
 * against-all (case 2) and the 12-line preset (case 8), read from
 * examples/presets/ so the shipped files are what is tested. */
static char *definition(void)
{
    char *minimal, *seed, *ru12, *text;
    char path[1024];
    int n;

    snprintf(path, sizeof path, "%s/examples/presets/minimal.json", PR_SOURCE_DIR);
    minimal = fx_slurp(path, NULL);
    snprintf(path, sizeof path, "%s/examples/presets/seed-minimal.json", PR_SOURCE_DIR);
    seed = fx_slurp(path, NULL);
    snprintf(path, sizeof path, "%s/examples/presets/ru-precinct-12.json", PR_SOURCE_DIR);
    ru12 = fx_slurp(path, NULL);
    text = malloc(65536);
    assert_non_null(text);
    n = snprintf(
        text, 65536,
        "{\"format\": \"election-definition/1\", \"id\": \"faults\", \"name\": \"Published faults\",\n"
        " \"date\": \"2026-03-15\", \"parties\": [],\n"
        " \"areas\": [{\"id\": \"land\", \"name\": \"Land\", \"parent\": null, \"close\": \"" CLOSE "\"}],\n"
        " \"protocols\": [%s, %s, %s],\n"
        " \"contests\": [\n"
        "  {\"id\": \"abc\", \"name\": \"ABC\", \"area\": \"land\", \"protocol\": \"minimal\",\n"
        "   \"against_all\": false, \"outcome\": \"plurality\", \"candidates\": [\n"
        "   {\"id\": \"a\", \"name\": \"A\", \"party\": null}, {\"id\": \"b\", \"name\": \"B\", \"party\": null},\n"
        "   {\"id\": \"c\", \"name\": \"C\", \"party\": null}]},\n"
        "  {\"id\": \"ab-aa\", \"name\": \"AB\", \"area\": \"land\", \"protocol\": \"seed-minimal\",\n"
        "   \"against_all\": true, \"outcome\": \"plurality\", \"candidates\": [\n"
        "   {\"id\": \"a\", \"name\": \"A\", \"party\": null}, {\"id\": \"b\", \"name\": \"B\", \"party\": null}]},\n"
        "  {\"id\": \"lists\", \"name\": \"Lists\", \"area\": \"land\", \"protocol\": \"ru-precinct-12\",\n"
        "   \"against_all\": false, \"seats\": 10, \"outcome\": \"party-list\", \"method\": \"hare\",\n"
        "   \"threshold_bp\": 500, \"candidates\": [\n"
        "   {\"id\": \"l1\", \"name\": \"1\", \"party\": null}, {\"id\": \"l2\", \"name\": \"2\", \"party\": null},\n"
        "   {\"id\": \"l3\", \"name\": \"3\", \"party\": null}, {\"id\": \"l4\", \"name\": \"4\", \"party\": null},\n"
        "   {\"id\": \"l5\", \"name\": \"5\", \"party\": null}, {\"id\": \"l6\", \"name\": \"6\", \"party\": null},\n"
        "   {\"id\": \"l7\", \"name\": \"7\", \"party\": null}]}],\n"
        " \"precincts\": [\n"
        "  {\"id\": \"f1\", \"name\": \"1\", \"area\": \"land\", \"contests\": [\"abc\"], \"registered\": 5771},\n"
        "  {\"id\": \"f2\", \"name\": \"2\", \"area\": \"land\", \"contests\": [\"ab-aa\"], \"registered\": 1100},\n"
        "  {\"id\": \"t1\", \"name\": \"T1\", \"area\": \"land\", \"contests\": [\"abc\"], \"registered\": 1000},\n"
        "  {\"id\": \"t2\", \"name\": \"T2\", \"area\": \"land\", \"contests\": [\"abc\"], \"registered\": 900},\n"
        "  {\"id\": \"f6\", \"name\": \"6\", \"area\": \"land\", \"contests\": [\"abc\"], \"registered\": 800},\n"
        "  {\"id\": \"f7\", \"name\": \"7\", \"area\": \"land\", \"contests\": [\"abc\"], \"registered\": 300},\n"
        "  {\"id\": \"f8\", \"name\": \"8\", \"area\": \"land\", \"contests\": [\"lists\"], \"registered\": 288}]}\n",
        minimal, seed, ru12);
    assert_true(n > 0 && n < 65536);
    free(minimal);
    free(seed);
    free(ru12);
    return text;
}

static int setup(void **state)
{
    char *text = definition();

    *state = gx_setup("faults", text, CLOSE, GX_LIST("f1", "f2", "t1", "t2", "f6", "f7", "f8"));
    free(text);
    return 0;
}

static int teardown(void **state)
{
    gx_teardown(*state);
    return 0;
}

/* A return of contest abc: registered, cast, invalid; A, B, C. */
static void abc(const gx *g, const char *name, const char *precinct, const char *reg,
                const char *cast, const char *inv, const char *a, const char *b, const char *c)
{
    char r[3][48], v[3][48];

    snprintf(r[0], sizeof r[0], "registered=%s", reg);
    snprintf(r[1], sizeof r[1], "ballots-cast=%s", cast);
    snprintf(r[2], sizeof r[2], "invalid=%s", inv);
    snprintf(v[0], sizeof v[0], "a=%s", a);
    snprintf(v[1], sizeof v[1], "b=%s", b);
    snprintf(v[2], sizeof v[2], "c=%s", c);
    gx_return(g, gx_key(g, precinct), name, precinct, "abc", GX_LIST(r[0], r[1], r[2]),
              GX_LIST(v[0], v[1], v[2]));
}

/* 1. registered 5771, cast 4854, A 3990, B 806, C 53, invalid 15: the parts
 * sum to 4864, so sum-mismatch; the corrected cast 4864 is accepted, with
 * turnout 84.28 %. */
static void test_published_fault_1_cast_4854_parts_4864(void **state)
{
    gx *g = *state;
    json_t *t, *c;

    abc(g, "f1-wrong.return", "f1", "5771", "4854", "15", "3990", "806", "53");
    gx_expect("f1-wrong.return", "rejected", "sum-mismatch");
    abc(g, "f1-right.return", "f1", "5771", "4864", "15", "3990", "806", "53");
    gx_expect("f1-right.return", "accepted", NULL);
    t = gx_tally("abc", 0);
    c = gx_contest(t, "abc");
    assert_int_equal(json_integer_value(json_object_get(c, "ballots_cast")), 4864);
    assert_int_equal(json_integer_value(json_object_get(c, "registered")), 5771);
    assert_string_equal(json_string_value(json_object_get(c, "turnout")), "84.28");
    json_decref(t);
}

/* 2. registered 1100, cast 780, A 420, B 330, against-all 9, invalid 20:
 * 779, sum-mismatch; one ballot is not tolerated. */
static void test_published_fault_2_one_ballot_short_no_tolerance(void **state)
{
    gx *g = *state;

    gx_return(g, gx_key(g, "f2"), "f2.return", "f2", "ab-aa",
              GX_LIST("registered=1100", "ballots-cast=780", "invalid=20", "against-all=9"),
              GX_LIST("a=420", "b=330"));
    gx_expect("f2.return", "rejected", "sum-mismatch");
    gx_return(g, gx_key(g, "f2"), "f2-779.return", "f2", "ab-aa",
              GX_LIST("registered=1100", "ballots-cast=779", "invalid=20", "against-all=9"),
              GX_LIST("a=420", "b=330"));
    gx_expect("f2-779.return", "accepted", NULL);
}

/* 3. Two precincts and a file for a precinct `total` holding their sums:
 * unknown-precinct; each vote is counted once. */
static void test_published_fault_3_total_row_is_unknown_precinct(void **state)
{
    gx *g = *state;
    json_t *t, *c;

    abc(g, "t1.return", "t1", "1000", "600", "10", "300", "200", "90");
    abc(g, "t2.return", "t2", "900", "500", "5", "250", "200", "45");
    /* the sums, signed by a real station's key (t1's): the precinct is not
     * in the definition, and not the key's */
    gx_return(g, gx_key(g, "t1"), "total.return", "total", "abc",
              GX_LIST("registered=1900", "ballots-cast=1100", "invalid=15"),
              GX_LIST("a=550", "b=400", "c=135"));
    gx_expect("t1.return", "accepted", NULL);
    gx_expect("t2.return", "accepted", NULL);
    gx_expect("total.return", "rejected", "unknown-precinct,key-precinct-mismatch");
    t = gx_tally("abc", 0);
    c = gx_contest(t, "abc");
    assert_int_equal(json_integer_value(json_object_get(c, "ballots_cast")), 1100);
    assert_int_equal(json_integer_value(json_object_get(gx_candidate(c, "a"), "votes")), 550);
    assert_int_equal(json_integer_value(json_object_get(gx_candidate(c, "b"), "votes")), 400);
    assert_int_equal(json_integer_value(json_object_get(gx_candidate(c, "c"), "votes")), 135);
    json_decref(t);
}

/* 6. All counts zero with 800 registered: accepted (counted), zero-turnout. */
static void test_published_fault_6_all_zero_is_zero_turnout(void **state)
{
    gx *g = *state;
    json_t *t, *c;

    abc(g, "f6.return", "f6", "800", "0", "0", "0", "0", "0");
    gx_expect("f6.return", "flagged", "zero-turnout");
    t = gx_tally("abc", 0);
    c = gx_contest(t, "abc");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "precincts"), "in-tally")), 1);
    assert_int_equal(json_integer_value(json_object_get(c, "registered")), 800);
    assert_string_equal(json_string_value(json_object_get(c, "turnout")), "0.00");
    json_decref(t);
}

/* 7. registered 300, cast 180, A 44, B 948, C 21, invalid 2 (digits misread
 * from a photo): sum-mismatch. */
static void test_published_fault_7_misread_digits_sum_mismatch(void **state)
{
    gx *g = *state;

    abc(g, "f7.return", "f7", "300", "180", "2", "44", "948", "21");
    gx_expect("f7.return", "rejected", "sum-mismatch");
    /* what the photo said: 44 + 113 + 21 + 2 = 180 */
    abc(g, "f7-read.return", "f7", "300", "180", "2", "44", "113", "21");
    gx_expect("f7-read.return", "accepted", NULL);
}

/* 8. The 12-line preset with a real protocol (2011, Udmurtia, UIK 1724):
 * registered 288, issued 143, 144 in the boxes, 1 lost: accepted and
 * flagged cast-exceeds-issued, not rejected. */
static void test_published_fault_8_preset_one_ballot_over_issued_is_flagged(void **state)
{
    gx *g = *state;
    json_t *t, *c;

    gx_return(g, gx_key(g, "f8"), "f8.return", "f8", "lists",
              GX_LIST("registered=288", "received=300", "issued-early=0", "issued-station=139",
                      "issued-outside=4", "cancelled=156", "cast-portable=4", "cast-stationary=140",
                      "ballots-cast=144", "invalid=0", "valid=144", "lost=1", "unaccounted=0"),
              GX_LIST("l1=11", "l2=17", "l3=0", "l4=29", "l5=3", "l6=83", "l7=1"));
    gx_expect("f8.return", "flagged", "cast-exceeds-issued");
    t = gx_tally("lists", 0);
    c = gx_contest(t, "lists");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "lines"), "ballots-cast")), 144);
    /* 10 seats, 5 % of 144 = 7.2 ballots: l1 11, l2 17, l4 29, l6 83 pass
     * (140 votes); quotas 0.79, 1.21, 2.07, 5.93: 0 + 1 + 2 + 5 = 8, the
     * 2 largest remainders .93 (l6) and .79 (l1) */
    assert_int_equal(json_integer_value(json_object_get(gx_candidate(c, "l6"), "seats")), 6);
    assert_int_equal(json_integer_value(json_object_get(gx_candidate(c, "l4"), "seats")), 2);
    assert_int_equal(json_integer_value(json_object_get(gx_candidate(c, "l2"), "seats")), 1);
    assert_int_equal(json_integer_value(json_object_get(gx_candidate(c, "l1"), "seats")), 1);
    assert_string_equal(json_string_value(json_object_get(gx_candidate(c, "l5"), "result")),
                        "below-threshold");
    json_decref(t);
}

/* 8, the same protocol with a ballot neither lost nor found: the paper
 * balance breaks, and that is a rejection. */
static void test_published_fault_8_without_the_lost_ballot_is_rejected(void **state)
{
    gx *g = *state;

    gx_return(g, gx_key(g, "f8"), "f8.return", "f8", "lists",
              GX_LIST("registered=288", "received=300", "issued-early=0", "issued-station=139",
                      "issued-outside=4", "cancelled=156", "cast-portable=4", "cast-stationary=140",
                      "ballots-cast=144", "invalid=0", "valid=144", "lost=0", "unaccounted=0"),
              GX_LIST("l1=11", "l2=17", "l3=0", "l4=29", "l5=3", "l6=83", "l7=1"));
    gx_expect("f8.return", "rejected", "paper-balance-mismatch");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_published_fault_1_cast_4854_parts_4864, setup, teardown),
        cmocka_unit_test_setup_teardown(test_published_fault_2_one_ballot_short_no_tolerance, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_published_fault_3_total_row_is_unknown_precinct, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_published_fault_6_all_zero_is_zero_turnout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_published_fault_7_misread_digits_sum_mismatch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_published_fault_8_preset_one_ballot_over_issued_is_flagged,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_published_fault_8_without_the_lost_ballot_is_rejected,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
