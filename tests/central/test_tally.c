/*
 * test_tally.c: `central status` and `central tally` (DESIGN 7 statuses,
 * DESIGN 8 arithmetic and outcomes): exactly one status per precinct and
 * contest, shares of ballots cast, turnout, outcomes, the national summary,
 * --by precinct, --as-of, and every output naming its event and head.
 */
#include "fixture.h"

#include "ct.h"

static json_t *tally_json(const char *contest)
{
    char *out = NULL;
    json_t *j;
    json_error_t je;

    if (contest != NULL)
        assert_int_equal(fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", "--contest",
                                contest, "--by", "precinct", NULL),
                         0);
    else
        assert_int_equal(fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", NULL), 0);
    j = json_loads(out, 0, &je);
    if (j == NULL)
        print_error("%s: %s\n", je.text, out);
    assert_non_null(j);
    free(out);
    return j;
}

static json_t *contest_of(json_t *root, const char *id)
{
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(root, "contests"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
            return c;
    }
    fail_msg("no contest %s", id);
    return NULL;
}

static void import_ok(fx *f, fx_ret *s, const char *name)
{
    char *out = NULL;

    fx_make_file(f, s, name, NULL);
    assert_int_equal(fx_import(name, &out), 0);
    free(out);
}

/* The three mayor returns of fx_good: 1800 cast in all. */
static void mayor_all(fx *f)
{
    fx_ret a = fx_good("p1", 0), b = fx_good("p2", 1), c = fx_good("p3", 2);

    import_ok(f, &a, "m1.return");
    import_ok(f, &b, "m2.return");
    import_ok(f, &c, "m3.return");
}

static fx_ret gov(const char *precinct, int key, uint64_t dan, uint64_t eve, uint64_t fay)
{
    fx_ret s = fx_good(precinct, key);

    s.contest = "gov";
    s.inv = 10;
    s.aa = 0;
    s.v[0] = dan;
    s.v[1] = eve;
    s.v[2] = fay;
    s.cast = dan + eve + fay + s.inv;
    return s;
}

static const char *share(json_t *c, const char *cand, json_int_t *votes)
{
    json_t *x;
    size_t i;

    json_array_foreach(json_object_get(c, "candidates"), i, x) {
        if (strcmp(json_string_value(json_object_get(x, "id")), cand) == 0) {
            *votes = json_integer_value(json_object_get(x, "votes"));
            return json_string_value(json_object_get(x, "percent"));
        }
    }
    fail_msg("no candidate %s", cand);
    return NULL;
}

static void test_tally_shares_are_of_ballots_cast(void **state)
{
    fx *f = *state;
    json_t *j, *c;
    json_int_t v = 0;

    mayor_all(f);
    j = tally_json("mayor");
    c = contest_of(j, "mayor");
    assert_string_equal(share(c, "alice", &v), "50.00");
    assert_int_equal(v, 900);
    assert_string_equal(share(c, "bob", &v), "33.33");
    assert_string_equal(share(c, "carol", &v), "8.33");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "against_all"), "percent")), "6.67");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "invalid"), "percent")), "1.67");
    assert_int_equal(json_integer_value(json_object_get(c, "ballots_cast")), 1800);
    /* Registered: the stations' lines (1000 + 800 + 1000); roll: only the
     * precincts that have one (p3 has none). */
    assert_int_equal(json_integer_value(json_object_get(c, "registered")), 2800);
    assert_int_equal(json_integer_value(json_object_get(c, "roll")), 1800);
    assert_int_equal(json_integer_value(json_object_get(c, "roll_unknown")), 1);
    assert_string_equal(json_string_value(json_object_get(c, "turnout")), "64.29");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "lines"), "invalid")), 30);
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "outcome"), "kind")), "elected");
    json_decref(j);
}

static void test_tally_incomplete_while_precincts_missing(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0);
    json_t *j, *o;

    import_ok(f, &a, "m1.return");
    j = tally_json("mayor");
    o = json_object_get(contest_of(j, "mayor"), "outcome");
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "incomplete");
    assert_string_equal(json_string_value(json_object_get(o, "provisional")), "elected");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(contest_of(j, "mayor"), "precincts"), "missing")), 2);
    json_decref(j);
}

static void test_tally_plurality_tie_at_last_seat(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0), b = fx_good("p2", 1), c = fx_good("p3", 2);
    json_t *j, *o;

    a.v[0] = 250;
    a.v[1] = 250;
    import_ok(f, &a, "m1.return");
    import_ok(f, &b, "m2.return");
    c.v[0] = 200; /* p3 evens it: alice 750, bob 750 */
    c.v[1] = 300;
    import_ok(f, &c, "m3.return");
    j = tally_json("mayor");
    o = json_object_get(contest_of(j, "mayor"), "outcome");
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "tie");
    assert_int_equal(json_array_size(json_object_get(o, "tied")), 2);
    json_decref(j);
}

static void test_tally_against_all_at_least_leader(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0), b = fx_good("p2", 1), c = fx_good("p3", 2);
    json_t *j;

    a.aa = 300;
    a.v[0] = 200;
    a.v[1] = 50;
    a.v[2] = 40;
    import_ok(f, &a, "m1.return");
    b.aa = 300;
    b.v[0] = 200;
    b.v[1] = 50;
    b.v[2] = 40;
    import_ok(f, &b, "m2.return");
    c.aa = 40;
    import_ok(f, &c, "m3.return");
    /* against all 640, alice 700: alice wins; with p3's alice lower it would not. */
    j = tally_json("mayor");
    assert_string_equal(json_string_value(json_object_get(json_object_get(contest_of(j, "mayor"), "outcome"), "kind")),
                        "elected");
    json_decref(j);
}

static void test_tally_against_all_outcome(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0), b = fx_good("p2", 1), c = fx_good("p3", 2);
    json_t *j;

    a.aa = 300;
    a.v[0] = 200;
    a.v[1] = 50;
    a.v[2] = 40;
    b = a;
    b.key = 1;
    b.precinct = "p2";
    b.reg = 800;
    c = a;
    c.key = 2;
    c.precinct = "p3";
    import_ok(f, &a, "m1.return");
    import_ok(f, &b, "m2.return");
    import_ok(f, &c, "m3.return");
    j = tally_json("mayor");
    assert_string_equal(json_string_value(json_object_get(json_object_get(contest_of(j, "mayor"), "outcome"), "kind")),
                        "against-all");
    json_decref(j);
}

static void test_tally_majority_runoff_between_top_two(void **state)
{
    fx *f = *state;
    fx_ret a = gov("p1", 0, 260, 240, 90), b = gov("p2", 1, 260, 240, 90);
    json_t *j, *o;

    import_ok(f, &a, "g1.return");
    import_ok(f, &b, "g2.return");
    j = tally_json("gov");
    o = json_object_get(contest_of(j, "gov"), "outcome");
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "runoff");
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "runoff"), 0)), "dan");
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "runoff"), 1)), "eve");
    json_decref(j);
}

static void test_tally_majority_of_valid_ballots_elects(void **state)
{
    fx *f = *state;
    /* dan 296 of 590 valid: more than half of ballots cast minus invalid. */
    fx_ret a = gov("p1", 0, 296, 200, 94), b = gov("p2", 1, 296, 200, 94);
    json_t *j, *o;

    import_ok(f, &a, "g1.return");
    import_ok(f, &b, "g2.return");
    j = tally_json("gov");
    o = json_object_get(contest_of(j, "gov"), "outcome");
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "elected");
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "winners"), 0)), "dan");
    json_decref(j);
}

static void test_national_summary_seats_and_popular_vote(void **state)
{
    fx *f = *state;
    fx_ret a = gov("p1", 0, 400, 150, 40), b = gov("p2", 1, 400, 150, 40);
    json_t *j, *n, *red;

    mayor_all(f);
    import_ok(f, &a, "g1.return");
    import_ok(f, &b, "g2.return");
    j = tally_json(NULL);
    n = json_object_get(j, "national");
    assert_int_equal(json_integer_value(json_object_get(n, "decided")), 2);
    red = json_array_get(json_object_get(n, "parties"), 0);
    assert_string_equal(json_string_value(json_object_get(red, "party")), "red");
    assert_int_equal(json_integer_value(json_object_get(red, "seats")), 2);
    /* alice 900 + dan 800 of 1800 + 1200 ballots cast */
    assert_int_equal(json_integer_value(json_object_get(red, "votes")), 1700);
    assert_string_equal(json_string_value(json_object_get(red, "percent")), "56.67");
    assert_int_equal(json_integer_value(json_object_get(n, "ballots_cast")), 3000);
    json_decref(j);
}

static void test_tally_by_precinct_names_return_and_key(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0);
    uint8_t h[PR_HASH_BYTES];
    char hex[PR_HASH_HEX + 1], *out = NULL;
    json_t *j, *row;

    fx_make_file(f, &a, "m1.return", h);
    assert_int_equal(fx_import("m1.return", &out), 0);
    free(out);
    pr_hex_encode(hex, h, sizeof h);
    j = tally_json("mayor");
    row = json_array_get(json_object_get(contest_of(j, "mayor"), "by_precinct"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "precinct")), "p1");
    assert_string_equal(json_string_value(json_object_get(row, "return")), hex);
    assert_string_equal(json_string_value(json_object_get(row, "key")), f->kid[0]);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(row, "votes"), "alice")), 300);
    json_decref(j);
    assert_int_equal(fx_cli(&out, NULL, "tally", "--db", "c.db", "--by", "precinct", NULL), 0);
    assert_non_null(strstr(out, hex));
    assert_non_null(strstr(out, f->kid[0]));
    free(out);
}

static void test_every_output_names_event_and_head(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0);
    char *t = NULL, *s = NULL, *p, *q;
    json_t *j;
    json_error_t je;
    char want[160];

    import_ok(f, &a, "m1.return");
    j = tally_json(NULL);
    snprintf(want, sizeof want, "as of event %lld, head %s",
             (long long)json_integer_value(json_object_get(json_object_get(j, "as_of"), "seq")),
             json_string_value(json_object_get(json_object_get(j, "as_of"), "head")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "as_of"), "seq")), 5);
    json_decref(j);
    assert_int_equal(fx_cli(&t, NULL, "tally", "--db", "c.db", NULL), 0);
    assert_int_equal(fx_cli(&s, NULL, "status", "--db", "c.db", NULL), 0);
    assert_non_null(strstr(t, want));
    assert_non_null(strstr(s, want));
    free(t);
    free(s);
    assert_int_equal(fx_cli(&s, NULL, "status", "--db", "c.db", "--json", NULL), 0);
    j = json_loads(s, 0, &je);
    assert_non_null(j);
    p = strstr(want, "head ") + 5;
    q = (char *)(uintptr_t)json_string_value(json_object_get(json_object_get(j, "as_of"), "head"));
    assert_string_equal(p, q);
    json_decref(j);
    free(s);
}

static void test_tally_as_of_reproduces_earlier_state(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0), b = fx_good("p1", 0);
    uint8_t ha[PR_HASH_BYTES];
    char *out = NULL, *before = NULL, *again = NULL;

    fx_make_file(f, &a, "a.return", ha);
    assert_int_equal(fx_import("a.return", &out), 0);
    free(out);
    assert_int_equal(fx_cli(&before, NULL, "tally", "--db", "c.db", NULL), 0);
    b.rev = 2;
    b.sup = ha;
    b.v[0] = 310;
    b.v[1] = 190;
    fx_make_file(f, &b, "b.return", NULL);
    assert_int_equal(fx_import("b.return", &out), 0);
    free(out);
    assert_int_equal(fx_cli(&again, NULL, "tally", "--db", "c.db", "--as-of", "5", NULL), 0);
    assert_string_equal(before, again);
    free(before);
    free(again);
}

/* Display width of the line of text starting at p. */
static size_t line_width(const char *p)
{
    char buf[512];
    size_t n = strcspn(p, "\n");

    assert_true(n < sizeof buf);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return ct_width(buf);
}

static void test_tally_text_aligned_by_code_points(void **state)
{
    fx *f = *state;
    char *out = NULL, *a, *b;

    mayor_all(f);
    assert_int_equal(fx_cli(&out, NULL, "tally", "--db", "c.db", "--contest", "mayor", NULL), 0);
    a = strstr(out, "  \xc3\x84lice \xc3\x84xample");
    b = strstr(out, "  Bob Example");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(line_width(a), line_width(b));
    free(out);
}

static void test_status_exactly_one_per_precinct_and_contest(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0), x = fx_good("p2", -1), c = fx_good("p3", 2), c2 = fx_good("p3", 2);
    fx_ret g = gov("p1", 0, 400, 150, 40);
    char *out = NULL;
    json_t *j, *tot;
    json_error_t je;

    import_ok(f, &a, "m1.return");
    fx_make_file(f, &x, "m2.return", NULL);
    assert_int_equal(fx_import("m2.return", &out), 1);
    free(out);
    import_ok(f, &c, "m3.return");
    c2.v[0] = 299;
    c2.v[1] = 201;
    fx_make_file(f, &c2, "m3b.return", NULL);
    assert_int_equal(fx_import("m3b.return", &out), 1);
    free(out);
    g.reg = 1100; /* held: registered-drift */
    fx_make_file(f, &g, "g1.return", NULL);
    assert_int_equal(fx_import("g1.return", &out), 1);
    free(out);
    assert_string_equal(fx_status("p1", "mayor", NULL), "in-tally");
    assert_string_equal(fx_status("p2", "mayor", NULL), "rejected-only");
    assert_string_equal(fx_status("p3", "mayor", NULL), "conflict");
    assert_string_equal(fx_status("p1", "gov", NULL), "held");
    assert_string_equal(fx_status("p2", "gov", NULL), "missing");
    assert_int_equal(fx_cli(&out, NULL, "status", "--db", "c.db", "--json", NULL), 0);
    j = json_loads(out, 0, &je);
    assert_non_null(j);
    tot = json_object_get(j, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "expected")), 5);
    assert_int_equal(json_integer_value(json_object_get(tot, "in-tally")), 1);
    assert_int_equal(json_integer_value(json_object_get(tot, "held")), 1);
    assert_int_equal(json_integer_value(json_object_get(tot, "conflict")), 1);
    assert_int_equal(json_integer_value(json_object_get(tot, "rejected-only")), 1);
    assert_int_equal(json_integer_value(json_object_get(tot, "missing")), 1);
    json_decref(j);
    free(out);
    /* The conflicting precinct is not counted. */
    j = tally_json("mayor");
    assert_int_equal(json_integer_value(json_object_get(contest_of(j, "mayor"), "ballots_cast")), 600);
    json_decref(j);
}

static void test_status_fail_incomplete_exits_1(void **state)
{
    fx *f = *state;
    char *out = NULL;
    fx_ret g1 = gov("p1", 0, 400, 150, 40), g2 = gov("p2", 1, 400, 150, 40);

    assert_int_equal(fx_cli(&out, NULL, "status", "--db", "c.db", "--fail-incomplete", NULL), 1);
    free(out);
    mayor_all(f);
    import_ok(f, &g1, "g1.return");
    import_ok(f, &g2, "g2.return");
    assert_int_equal(fx_cli(&out, NULL, "status", "--db", "c.db", "--fail-incomplete", NULL), 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tally_shares_are_of_ballots_cast, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_incomplete_while_precincts_missing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_plurality_tie_at_last_seat, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_against_all_at_least_leader, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_against_all_outcome, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_majority_runoff_between_top_two, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_majority_of_valid_ballots_elects, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_national_summary_seats_and_popular_vote, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_by_precinct_names_return_and_key, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_every_output_names_event_and_head, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_as_of_reproduces_earlier_state, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_text_aligned_by_code_points, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_status_exactly_one_per_precinct_and_contest, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_status_fail_incomplete_exits_1, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
