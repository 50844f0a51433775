/*
 * test_outcome.c: DESIGN 8 outcomes computed from sums (report.c), without a
 * database: party-list seats by `hare` (largest remainder) and `dhondt`
 * after a threshold in basis points of ballots cast, ties at the last seat,
 * plurality, majority and runoff, against-all, overflow; the roll-up order
 * of the area tree. Every boundary is tried from both sides.
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
#include "report.h"

/* Contests: `lists` (party-list, 6 lists, no against-all, method and
 * threshold patched per test), `mayor` (plurality, 2 seats, against-all),
 * `gov` (majority, 1 seat). Areas: land > north > n1, n2; land > south. */
static const char DEF[] =
    "{\"format\": \"election-definition/1\", \"id\": \"t\", \"name\": \"T\", \"date\": \"2026-03-15\",\n"
    " \"parties\": [{\"id\": \"pa\", \"name\": \"A\", \"abbreviation\": \"A\", \"colour\": null}],\n"
    " \"areas\": [{\"id\": \"n1\", \"name\": \"N1\", \"parent\": \"north\", \"close\": null},\n"
    "  {\"id\": \"land\", \"name\": \"L\", \"parent\": null, \"close\": \"2026-03-15T17:00:00Z\"},\n"
    "  {\"id\": \"north\", \"name\": \"N\", \"parent\": \"land\", \"close\": null},\n"
    "  {\"id\": \"south\", \"name\": \"S\", \"parent\": \"land\", \"close\": null},\n"
    "  {\"id\": \"n2\", \"name\": \"N2\", \"parent\": \"north\", \"close\": null}],\n"
    " \"protocols\": [\n"
    "  {\"id\": \"plain\", \"lines\": [{\"id\": \"registered\", \"name\": \"r\"},\n"
    "   {\"id\": \"ballots-cast\", \"name\": \"b\"}, {\"id\": \"invalid\", \"name\": \"i\"}], \"rules\": []},\n"
    "  {\"id\": \"aa\", \"lines\": [{\"id\": \"registered\", \"name\": \"r\"},\n"
    "   {\"id\": \"ballots-cast\", \"name\": \"b\"}, {\"id\": \"invalid\", \"name\": \"i\"},\n"
    "   {\"id\": \"against-all\", \"name\": \"a\"}], \"rules\": []}],\n"
    " \"contests\": [\n"
    "  {\"id\": \"lists\", \"name\": \"L\", \"area\": \"land\", \"protocol\": \"plain\", \"against_all\": false,\n"
    "   \"seats\": 10, \"outcome\": \"party-list\", \"method\": \"hare\", \"threshold_bp\": 0,\n"
    "   \"candidates\": [{\"id\": \"a\", \"name\": \"A\", \"party\": \"pa\"}, {\"id\": \"b\", \"name\": \"B\", \"party\": null},\n"
    "   {\"id\": \"c\", \"name\": \"C\", \"party\": null}, {\"id\": \"d\", \"name\": \"D\", \"party\": null},\n"
    "   {\"id\": \"e\", \"name\": \"E\", \"party\": null}, {\"id\": \"f\", \"name\": \"F\", \"party\": null}]},\n"
    "  {\"id\": \"mayor\", \"name\": \"M\", \"area\": \"land\", \"protocol\": \"aa\", \"against_all\": true,\n"
    "   \"seats\": 2, \"outcome\": \"plurality\", \"candidates\": [{\"id\": \"x\", \"name\": \"X\", \"party\": null},\n"
    "   {\"id\": \"y\", \"name\": \"Y\", \"party\": null}, {\"id\": \"z\", \"name\": \"Z\", \"party\": null}]},\n"
    "  {\"id\": \"duma\", \"name\": \"D\", \"area\": \"land\", \"protocol\": \"plain\", \"against_all\": false,\n"
    "   \"seats\": 450, \"outcome\": \"party-list\", \"method\": \"hare\", \"threshold_bp\": 700,\n"
    "   \"candidates\": [{\"id\": \"sr\", \"name\": \"1\", \"party\": null}, {\"id\": \"ldpr\", \"name\": \"2\", \"party\": null},\n"
    "   {\"id\": \"pr\", \"name\": \"3\", \"party\": null}, {\"id\": \"kprf\", \"name\": \"4\", \"party\": null},\n"
    "   {\"id\": \"yabloko\", \"name\": \"5\", \"party\": null}, {\"id\": \"ur\", \"name\": \"6\", \"party\": null},\n"
    "   {\"id\": \"pd\", \"name\": \"7\", \"party\": null}]},\n"
    "  {\"id\": \"gov\", \"name\": \"G\", \"area\": \"north\", \"protocol\": \"plain\", \"against_all\": false,\n"
    "   \"outcome\": \"majority\", \"candidates\": [{\"id\": \"g1\", \"name\": \"1\", \"party\": null},\n"
    "   {\"id\": \"g2\", \"name\": \"2\", \"party\": null}, {\"id\": \"g3\", \"name\": \"3\", \"party\": null}]}],\n"
    " \"precincts\": [{\"id\": \"p1\", \"name\": \"P\", \"area\": \"n1\", \"contests\": [\"lists\"],\n"
    "   \"registered\": null}]}\n";

typedef struct fixture {
    cm_definition *def;
    ct_contest_sum s;
    uint64_t lines[4], votes[8];
    ct_outcome o;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pr_diag d;

    assert_non_null(f);
    if (cm_definition_load((const uint8_t *)DEF, sizeof DEF - 1, &f->def, &d) != 0)
        fail_msg("definition: %s", d.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    ct_outcome_free(&f->o);
    cm_definition_free(f->def);
    free(f);
    return 0;
}

/* Fills the sums of contest `id`: every precinct in the tally, ballots cast
 * = the votes + invalid (+ against-all), and computes the outcome. */
static const ct_outcome *run(fixture *f, const char *id, uint64_t invalid, uint64_t against_all,
                             const uint64_t *votes, size_t n)
{
    size_t c = cm_find_contest(f->def, id), i;
    uint64_t cast = invalid + against_all;

    assert_true(c != (size_t)-1);
    assert_int_equal(n, f->def->contests[c].n_candidates);
    ct_outcome_free(&f->o);
    memset(&f->s, 0, sizeof f->s);
    memset(f->lines, 0, sizeof f->lines);
    f->s.contest = c;
    f->s.n_lines = f->def->protocols[f->def->contests[c].protocol].n_lines;
    f->s.n_candidates = n;
    f->s.lines = f->lines;
    f->s.votes = f->votes;
    f->s.expected = 1;
    f->s.by_status[CT_ST_IN_TALLY] = 1;
    for (i = 0; i < n; i++) {
        f->votes[i] = votes[i];
        cast += votes[i];
    }
    f->lines[0] = cast * 2;
    f->lines[1] = cast;
    f->lines[2] = invalid;
    if (f->s.n_lines > 3)
        f->lines[3] = against_all;
    assert_int_equal(ct_outcome_build(f->def, &f->s, &f->o), 0);
    return &f->o;
}

static cm_contest *contest(fixture *f, const char *id)
{
    return &f->def->contests[cm_find_contest(f->def, id)];
}

static void expect_seats(const ct_outcome *o, const uint64_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (o->seats[i] != want[i])
            fail_msg("list %zu: %llu seats, want %llu", i, (unsigned long long)o->seats[i],
                     (unsigned long long)want[i]);
}

#define U64(...) ((const uint64_t[]){__VA_ARGS__})

/* ---- hare -------------------------------------------------------------- */

/* The textbook case: 100,000 votes, 10 seats; whole quotas 4, 1, 1, 1, 0, 0
 * and the 3 largest remainders .70 (A), .61 (E), .60 (B). */
static void test_outcome_hare_largest_remainder(void **state)
{
    fixture *f = *state;
    const ct_outcome *o = run(f, "lists", 0, 0, U64(47000, 16000, 15800, 12000, 6100, 3100), 6);

    assert_int_equal(o->kind, CT_OUT_ELECTED);
    expect_seats(o, U64(5, 2, 1, 1, 1, 0), 6);
    assert_int_equal(o->n_winners, 5);
    assert_int_equal(o->tied_seats, 0);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(o->passed[i], 1);
}

/* The threshold: votes x 10000 >= threshold_bp x ballots cast. 500 bp of
 * 100,000 cast (99,000 votes + 1,000 invalid) is 5,000 votes exactly. */
static void test_outcome_threshold_bp_boundary(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    contest(f, "lists")->threshold_bp = 500;
    o = run(f, "lists", 1000, 0, U64(50000, 20000, 19000, 5000, 4999, 1), 6);
    assert_int_equal(o->passed[3], 1);  /* 5000 x 10000 = 500 x 100000 */
    assert_int_equal(o->passed[4], 0);  /* 4999: one vote short */
    assert_int_equal(o->passed[5], 0);
    /* the seats go among the 94,000 votes of the lists that passed */
    expect_seats(o, U64(5, 2, 2, 1, 0, 0), 6);
    o = run(f, "lists", 999, 0, U64(50000, 20000, 19000, 5000, 4999, 1), 6);
    /* 99,999 cast: 4999.95 votes needed, so still one short */
    assert_int_equal(o->passed[4], 0);
    o = run(f, "lists", 980, 0, U64(50000, 20000, 19000, 5000, 4999, 1), 6);
    /* 99,979 cast: 4998.95 needed: 4999 passes */
    assert_int_equal(o->passed[4], 1);
}

static void test_outcome_below_threshold(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    contest(f, "lists")->threshold_bp = 10000;
    o = run(f, "lists", 1, 0, U64(10, 10, 10, 10, 10, 10), 6);
    assert_int_equal(o->kind, CT_OUT_BELOW_THRESHOLD);
    assert_int_equal(o->n_winners, 0);
    /* 100 % of the ballots cast: a list that has them all passes */
    o = run(f, "lists", 0, 0, U64(60, 0, 0, 0, 0, 0), 6);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    expect_seats(o, U64(10, 0, 0, 0, 0, 0), 6);
}

/* Equal remainders go to the list with more votes. */
static void test_outcome_hare_equal_remainders_more_votes_first(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    contest(f, "lists")->seats = 3;
    /* V = 12, S = 3: A 7 -> 21 = 1 x 12 + 9; B 3 -> 9 = 0 x 12 + 9; C 2 -> 6.
     * 1 seat given, 2 left: remainders 9 (A), 9 (B), 6 (C): A and B. */
    o = run(f, "lists", 0, 0, U64(7, 3, 2, 0, 0, 0), 6);
    expect_seats(o, U64(2, 1, 0, 0, 0, 0), 6);
    /* V = 13, S = 2: A 7 -> 14 = 1 x 13 + 1; B 6 -> 12 = 0 x 13 + 12: the
     * larger remainder (B's) takes the last seat */
    contest(f, "lists")->seats = 2;
    o = run(f, "lists", 0, 0, U64(7, 6, 0, 0, 0, 0), 6);
    expect_seats(o, U64(1, 1, 0, 0, 0, 0), 6);
    /* equal remainders, unequal votes: V = 8, S = 2, A 6 -> 12 = 1 x 8 + 4,
     * B 2 -> 4 = 0 x 8 + 4: A, with more votes, takes the last seat */
    o = run(f, "lists", 0, 0, U64(6, 2, 0, 0, 0, 0), 6);
    expect_seats(o, U64(2, 0, 0, 0, 0, 0), 6);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
}

/* Lists with exactly equal votes split by the last seat: a tie, not won. */
static void test_outcome_hare_tie_at_last_seat(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    contest(f, "lists")->seats = 3;
    o = run(f, "lists", 0, 0, U64(50, 25, 25, 0, 0, 0), 6);
    /* A 1.5, B 0.75, C 0.75: A 1, then .75 .75 .5: B and C, no tie */
    expect_seats(o, U64(1, 1, 1, 0, 0, 0), 6);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    contest(f, "lists")->seats = 2;
    o = run(f, "lists", 0, 0, U64(40, 30, 30, 0, 0, 0), 6);
    /* A 0.8, B 0.6, C 0.6: A, then B or C for the last seat */
    assert_int_equal(o->kind, CT_OUT_TIE);
    expect_seats(o, U64(1, 0, 0, 0, 0, 0), 6);
    assert_int_equal(o->tied_seats, 1);
    assert_int_equal(o->n_tied, 2);
    assert_int_equal(o->tied[0], 1);
    assert_int_equal(o->tied[1], 2);
    /* one vote more for C decides it */
    o = run(f, "lists", 0, 0, U64(40, 30, 31, 0, 0, 0), 6);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    expect_seats(o, U64(1, 0, 1, 0, 0, 0), 6);
}

/* ---- d'hondt ------------------------------------------------------------- */

static void test_outcome_dhondt_highest_quotients(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    contest(f, "lists")->method = CM_METHOD_DHONDT;
    o = run(f, "lists", 0, 0, U64(47000, 16000, 15800, 12000, 6100, 3100), 6);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    expect_seats(o, U64(5, 2, 2, 1, 0, 0), 6);
    /* 8 seats among 100000, 80000, 30000, 20000: 4, 3, 1, 0 */
    contest(f, "lists")->seats = 8;
    o = run(f, "lists", 0, 0, U64(100000, 80000, 30000, 20000, 0, 0), 6);
    expect_seats(o, U64(4, 3, 1, 0, 0, 0), 6);
}

/* Equal quotients go to the list with more votes; equal votes tie. */
static void test_outcome_dhondt_ties(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    contest(f, "lists")->method = CM_METHOD_DHONDT;
    contest(f, "lists")->seats = 2;
    /* A 4 -> 4, 2; B 2 -> 2: the second seat is A's 2 against B's 2: A */
    o = run(f, "lists", 0, 0, U64(4, 2, 0, 0, 0, 0), 6);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    expect_seats(o, U64(2, 0, 0, 0, 0, 0), 6);
    /* A 6, B 3, C 3 for 2 seats: A 6, then A 3, B 3, C 3: A has more votes */
    o = run(f, "lists", 0, 0, U64(6, 3, 3, 0, 0, 0), 6);
    expect_seats(o, U64(2, 0, 0, 0, 0, 0), 6);
    /* 3 seats: A 6, then 3, 3, 3: A; then B 3 and C 3 tie for the third */
    contest(f, "lists")->seats = 3;
    o = run(f, "lists", 0, 0, U64(6, 3, 3, 0, 0, 0), 6);
    assert_int_equal(o->kind, CT_OUT_TIE);
    expect_seats(o, U64(2, 0, 0, 0, 0, 0), 6);
    assert_int_equal(o->tied_seats, 1);
    assert_int_equal(o->n_tied, 2);
}

/* A withdrawn list takes no seat, whatever its votes. */
static void test_outcome_party_list_withdrawn(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    contest(f, "lists")->candidates[0].withdrawn = 1;
    o = run(f, "lists", 0, 0, U64(47000, 16000, 15800, 12000, 6100, 3100), 6);
    assert_int_equal(o->seats[0], 0);
    assert_int_equal(o->passed[0], 0);
    assert_int_equal(o->seats[1] + o->seats[2] + o->seats[3] + o->seats[4] + o->seats[5], 10);
}

/* A product of counts that does not fit 64 bits decides nothing. */
static void test_outcome_overflow_decides_nothing(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    contest(f, "lists")->seats = 1000000000;
    o = run(f, "lists", 0, 0, U64(UINT64_MAX / 4, 3, 0, 0, 0, 0), 6);
    assert_int_equal(o->kind, CT_OUT_OVERFLOW);
    assert_int_equal(o->n_winners, 0);
    assert_int_equal(o->seats[0], 0);
}

/* The State Duma, 4 December 2011, from the 95,225 precinct protocols of
 * ../shared/data/ru-kobak-elections/2011.csv (sums over the data set, which
 * holds no protocols from abroad; 1,033,438 invalid, 65,648,690 cast): 450
 * seats, Hare, 7 % of ballots cast. The official allocation: United Russia
 * 238, Communist Party 92, A Just Russia 64, LDPR 56. The end-to-end proof
 * from the signed returns is tests/cli/ru_real_data.sh (RU_FULL=1). */
static void test_outcome_ru_2011_duma_seats(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    /* lists in ballot order: A Just Russia, LDPR, Patriots of Russia,
     * Communist Party, Yabloko, United Russia, Right Cause */
    o = run(f, "duma", 1033438, 0,
            U64(8695458, 7664516, 639067, 12599420, 2252327, 32371737, 392727), 7);
    assert_int_equal(f->lines[1], 65648690);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    expect_seats(o, U64(64, 56, 0, 92, 0, 238, 0), 7);
    /* Yabloko's 3.43 % is below 7 %; LDPR's 11.68 % above */
    assert_int_equal(o->passed[4], 0);
    assert_int_equal(o->passed[1], 1);
}

/* ---- plurality, majority, against-all ------------------------------------ */

static void test_outcome_plurality_two_seats_tie_at_last_seat(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    o = run(f, "mayor", 0, 0, U64(50, 30, 30), 3);
    assert_int_equal(o->kind, CT_OUT_TIE);
    assert_int_equal(o->n_winners, 1);
    assert_int_equal(o->tied_seats, 1);
    assert_int_equal(o->seats[0], 1);
    assert_int_equal(o->seats[1], 0);
    o = run(f, "mayor", 0, 0, U64(50, 30, 29), 3);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    assert_int_equal(o->seats[1], 1);
    assert_int_equal(o->seats[2], 0);
}

/* against-all wins when > 0 and at least the leader's votes. */
static void test_outcome_against_all_boundary(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    o = run(f, "mayor", 0, 50, U64(50, 30, 29), 3);
    assert_int_equal(o->kind, CT_OUT_AGAINST_ALL);
    o = run(f, "mayor", 0, 49, U64(50, 30, 29), 3);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    o = run(f, "mayor", 0, 0, U64(0, 0, 0), 3);
    assert_int_equal(o->kind, CT_OUT_TIE); /* nobody has a vote */
}

/* majority: votes x 2 > ballots cast - invalid, else runoff of the top two. */
static void test_outcome_majority_boundary(void **state)
{
    fixture *f = *state;
    const ct_outcome *o;

    o = run(f, "gov", 10, 0, U64(51, 30, 19), 3);
    assert_int_equal(o->kind, CT_OUT_ELECTED);
    assert_int_equal(o->winners[0], 0);
    o = run(f, "gov", 10, 0, U64(50, 30, 20), 3);
    assert_int_equal(o->kind, CT_OUT_RUNOFF);
    assert_int_equal(o->n_runoff, 2);
    assert_int_equal(o->runoff[0], 0);
    assert_int_equal(o->runoff[1], 1);
    o = run(f, "gov", 10, 0, U64(50, 25, 25), 3);
    assert_int_equal(o->kind, CT_OUT_TIE);
}

/* ---- the area tree --------------------------------------------------------- */

static void test_area_order_depth_first_in_definition_order(void **state)
{
    fixture *f = *state;
    size_t *order = NULL, *depth = NULL, n = 0;
    const char *want[] = {"land", "north", "n1", "n2", "south"};
    const size_t wdepth[] = {0, 1, 2, 2, 1};

    assert_int_equal(ct_area_order(f->def, cm_find_area(f->def, "land"), &order, &depth, &n), 0);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(f->def->areas[order[i]].id, want[i]);
        assert_int_equal(depth[i], wdepth[i]);
    }
    free(order);
    free(depth);
    assert_int_equal(ct_area_order(f->def, cm_find_area(f->def, "north"), &order, &depth, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(f->def->areas[order[2]].id, "n2");
    free(order);
    free(depth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outcome_hare_largest_remainder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_threshold_bp_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_below_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_hare_equal_remainders_more_votes_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outcome_hare_tie_at_last_seat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_dhondt_highest_quotients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_dhondt_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_party_list_withdrawn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_overflow_decides_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_ru_2011_duma_seats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_plurality_two_seats_tie_at_last_seat, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outcome_against_all_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_majority_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_area_order_depth_first_in_definition_order, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
