/*
 * test_enroll.c: `central enroll` (DESIGN 3 key ceremony, 5.2 requests):
 * proof of possession, the paper form's key id, this election and
 * definition, known precincts, one transaction, and DESIGN 7's rule that
 * key-state rejections are decided again after an enrolment.
 */
#include "fixture.h"

static const char *const P1[1] = {"p1"};

static void test_enroll_expect_key_id_must_match(void **state)
{
    fx *f = *state;
    char *out = NULL, want[128];

    fx_request(f, 3, P1, 1, "st3.req");
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "--expect-key-id",
                            "0123456789abcdef", "st3.req", NULL),
                     1);
    snprintf(want, sizeof want, "refused st3.req: key id %s, the paper form says 0123456789abcdef\n",
             f->kid[3]);
    assert_string_equal(out, want);
    free(out);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM keys"), 3);
    /* Typed in capitals from the form: still the same id. */
    {
        char upper[PR_KEYID_HEX + 1];
        size_t i;
        for (i = 0; i <= PR_KEYID_HEX; i++)
            upper[i] = (char)(f->kid[3][i] >= 'a' && f->kid[3][i] <= 'f' ? f->kid[3][i] - 32 : f->kid[3][i]);
        assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "--expect-key-id", upper,
                                "st3.req", NULL),
                         0);
    }
    snprintf(want, sizeof want, "enrolled %s p1\n", f->kid[3]);
    assert_string_equal(out, want);
    free(out);
}

static void test_enroll_same_key_again_already_enrolled(void **state)
{
    fx *f = *state;
    char *out = NULL, want[128];
    long long events = fx_sql_int("SELECT count(*) FROM events");

    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st0.req", NULL), 0);
    snprintf(want, sizeof want, "already-enrolled %s p1\n", f->kid[0]);
    assert_string_equal(out, want);
    free(out);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM events"), events);
}

static void test_enroll_requires_proof_of_possession(void **state)
{
    fx *f = *state;
    size_t n;
    char *req, *p, *out = NULL;

    fx_request(f, 3, P1, 1, "st3.req");
    req = fx_slurp("st3.req", &n);
    p = strstr(req, "created ");
    assert_non_null(p);
    p[8 + 18] = p[8 + 18] == '0' ? '1' : '0'; /* a second of the signed time */
    fx_write("st3.req", req, n);
    free(req);
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st3.req", NULL), 1);
    assert_string_equal(out, "refused st3.req: signature does not verify (no proof of possession)\n");
    free(out);
}

static void test_enroll_refuses_unknown_precinct(void **state)
{
    fx *f = *state;
    static const char *const p9[1] = {"p9"};
    char *out = NULL;

    fx_request(f, 3, p9, 1, "st3.req");
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st3.req", NULL), 1);
    assert_string_equal(out, "refused st3.req: unknown precinct p9\n");
    free(out);
}

static void test_enroll_refuses_other_definition(void **state)
{
    fx *f = *state;
    char *out = NULL;

    f->def_hash[0] ^= 1;
    fx_request(f, 3, P1, 1, "st3.req");
    f->def_hash[0] ^= 1;
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st3.req", NULL), 1);
    assert_string_equal(out, "refused st3.req: made for another definition\n");
    free(out);
}

static void test_enroll_good_ones_enrolled_when_others_refused(void **state)
{
    fx *f = *state;
    static const char *const p9[1] = {"p9"};
    char *out = NULL, want[256];

    fx_request(f, 3, p9, 1, "bad.req");
    fx_request(f, 3, P1, 1, "good.req");
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "bad.req", "good.req", "nope.req", NULL), 3);
    snprintf(want, sizeof want, "refused bad.req: unknown precinct p9\nenrolled %s p1\n", f->kid[3]);
    assert_memory_equal(out, want, strlen(want));
    assert_non_null(strstr(out, "refused nope.req: "));
    free(out);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM keys"), 4);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM key_precincts WHERE precinct = 'p1'"), 2);
}

static void test_enroll_decides_unknown_key_again(void **state)
{
    fx *f = *state;
    fx_ret s = fx_good("p1", 3);
    char *out = NULL, want[256];

    fx_make_file(f, &s, "r.return", NULL);
    assert_int_equal(fx_import("r.return", &out), 1);
    assert_string_equal(out, "rejected r.return unknown-key\n");
    free(out);
    assert_string_equal(fx_status("p1", "mayor", NULL), "rejected-only");
    fx_request(f, 3, P1, 1, "st3.req");
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st3.req", NULL), 0);
    snprintf(want, sizeof want, "enrolled %s p1\nredecided r.return accepted\n", f->kid[3]);
    assert_string_equal(out, want);
    free(out);
    assert_string_equal(fx_status("p1", "mayor", NULL), "in-tally");
    /* The verdict printed at import stays in the log; the new decision is
     * an event of its own. */
    assert_int_equal(fx_sql_int("SELECT count(*) FROM events WHERE kind = 'redecide'"), 1);
}

static void test_correction_waits_for_predecessor_key(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 3), b = fx_good("p1", 0);
    uint8_t ha[PR_HASH_BYTES];
    char *out = NULL, want[256];

    fx_make_file(f, &a, "a.return", ha);
    b.rev = 2;
    b.sup = ha;
    b.v[0] = 310;
    b.v[1] = 190;
    fx_make_file(f, &b, "b.return", NULL);
    assert_int_equal(fx_import("a.return", &out), 1);
    free(out);
    /* Its predecessor's key is not enrolled yet: wait, do not reject. */
    assert_int_equal(fx_import("b.return", &out), 1);
    assert_string_equal(out, "held b.return awaiting-predecessor\n");
    free(out);
    fx_request(f, 3, P1, 1, "st3.req");
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st3.req", NULL), 0);
    snprintf(want, sizeof want,
             "enrolled %s p1\nredecided a.return accepted\nredecided b.return held correction-review\n",
             f->kid[3]);
    assert_string_equal(out, want);
    free(out);
    assert_string_equal(fx_status("p1", "mayor", NULL), "held");
}

static void test_operator_key_returns_flagged_entered_centrally(void **state)
{
    fx *f = *state;
    static const char *const p23[2] = {"p2", "p3"};
    fx_ret s = fx_good("p3", 3);
    char *out = NULL;

    fx_request(f, 3, p23, 2, "op.req");
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "op.req", NULL), 0);
    free(out);
    fx_make_file(f, &s, "r.return", NULL);
    assert_int_equal(fx_import("r.return", &out), 0);
    assert_string_equal(out, "flagged r.return entered-centrally\n");
    free(out);
}

static void test_enroll_expect_count_must_match_requests(void **state)
{
    fx *f = *state;
    char *out = NULL, *err = NULL;

    fx_request(f, 3, P1, 1, "st3.req");
    assert_int_equal(fx_cli(&out, &err, "enroll", "--db", "c.db", "--expect-key-id", f->kid[3],
                            "st3.req", "st0.req", NULL),
                     2);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enroll_expect_key_id_must_match, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enroll_same_key_again_already_enrolled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enroll_requires_proof_of_possession, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enroll_refuses_unknown_precinct, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enroll_refuses_other_definition, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enroll_good_ones_enrolled_when_others_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enroll_decides_unknown_key_again, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_correction_waits_for_predecessor_key, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_operator_key_returns_flagged_entered_centrally, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enroll_expect_count_must_match_requests, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
