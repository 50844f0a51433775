/*
 * test_amend.c: DESIGN 6 "Amendments": `central amend-definition` with a
 * decision reference; returns signed against an earlier version stay valid
 * while their contest's ballot part is unchanged; a withdrawn candidate
 * keeps its place.
 */
#include "fixture.h"

#include <jansson.h>

/* A copy of src with the first `from` replaced by `to` (caller frees). */
static char *replace1(const char *src, const char *from, const char *to)
{
    const char *p = strstr(src, from);
    size_t a, n;
    char *out;

    assert_non_null(p);
    a = (size_t)(p - src);
    n = strlen(src) - strlen(from) + strlen(to) + 1;
    out = malloc(n);
    assert_non_null(out);
    memcpy(out, src, a);
    snprintf(out + a, n - a, "%s%s", to, p + strlen(from));
    return out;
}

static const char carol[] = "{\"id\": \"carol\", \"name\": \"Carol Example\", \"party\": null}";
static const char carol_withdrawn[] =
    "{\"id\": \"carol\", \"name\": \"Carol Example\", \"party\": null, \"withdrawn\": true}";

/* Writes def text to path and path.sig signed with sk; the hash to h. */
static void write_signed(const char *path, const char *def, const uint8_t *sk, uint8_t *h)
{
    char sig[256];
    pr_buf b;

    fx_write(path, def, strlen(def));
    pr_hash(h, (const uint8_t *)def, strlen(def));
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_defsig_sign(h, sk, &b), 0);
    snprintf(sig, sizeof sig, "%s.sig", path);
    fx_write(sig, b.data, b.len);
    pr_buf_free(&b);
}

/* Version 2: carol withdrawn in mayor (its ballot part unchanged), fay
 * renamed in gov (its ballot part changed). */
static void make_v2(fx *f, uint8_t *h)
{
    char *a = replace1(fx_definition, carol, carol_withdrawn);
    char *b = replace1(a, "Fay Example", "Fay Changed");

    write_signed("def2.json", b, f->csk, h);
    free(a);
    free(b);
}

static fx_ret gov(const char *p, int key)
{
    fx_ret s;

    memset(&s, 0, sizeof s);
    s.key = key;
    s.precinct = p;
    s.contest = "gov";
    s.rev = 1;
    s.reg = strcmp(p, "p2") == 0 ? 800 : 1000;
    s.cast = 600;
    s.inv = 10;
    s.v[0] = 400;
    s.v[1] = 150;
    s.v[2] = 40;
    return s;
}

static void import_expect(const char *path, int code, const char *want)
{
    char *out = NULL;

    assert_int_equal(fx_import(path, &out), code);
    assert_string_equal(out, want);
    free(out);
}

static int amend(char **out, char **err, const char *def)
{
    return fx_cli(out, err, "amend-definition", "--db", "c.db", "--definition", def, "--decision",
                  "CEC-2026/40", NULL);
}

static void test_amend_definition_unchanged_ballot_part_stays_valid(void **state)
{
    fx *f = *state;
    fx_ret m1 = fx_good("p1", 0), m2 = fx_good("p2", 1), g1 = gov("p1", 0), g2 = gov("p2", 1);
    uint8_t h2[PR_HASH_BYTES], h1[PR_HASH_BYTES];
    char *out = NULL, want[256], hex[PR_HASH_HEX + 1];
    json_t *j, *c;
    json_error_t je;

    memcpy(h1, f->def_hash, PR_HASH_BYTES);
    fx_make_file(f, &m1, "m1.return", NULL);
    import_expect("m1.return", 0, "accepted m1.return\n");
    make_v2(f, h2);
    assert_int_equal(amend(&out, NULL, "def2.json"), 0);
    pr_hex_encode(hex, h2, PR_HASH_BYTES);
    snprintf(want, sizeof want, "amended %s decision CEC-2026/40\n", hex);
    assert_string_equal(out, want);
    free(out);
    /* Signed against version 1: mayor's ballot part is the same (a
     * withdrawn candidate keeps its place), gov's is not. */
    fx_make_file(f, &m2, "m2.return", NULL);
    import_expect("m2.return", 0, "accepted m2.return\n");
    fx_make_file(f, &g1, "g1.return", NULL);
    import_expect("g1.return", 1, "rejected g1.return wrong-definition\n");
    /* Signed against version 2. */
    memcpy(f->def_hash, h2, PR_HASH_BYTES);
    fx_make_file(f, &g2, "g2.return", NULL);
    import_expect("g2.return", 0, "accepted g2.return\n");
    memcpy(f->def_hash, h1, PR_HASH_BYTES);
    /* The tally is of version 2: carol is still in her place. */
    assert_int_equal(fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", NULL), 0);
    j = json_loads(out, 0, &je);
    assert_non_null(j);
    free(out);
    c = json_array_get(json_object_get(json_array_get(json_object_get(j, "contests"), 0), "candidates"), 2);
    assert_string_equal(json_string_value(json_object_get(c, "id")), "carol");
    json_decref(j);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM events WHERE kind = 'amend-definition'"
                                " AND verdict = 'amended' AND data = 'decision CEC-2026/40'"),
                     1);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM definitions"), 1);
}

static void test_amend_definition_needs_commission_signature(void **state)
{
    fx *f = *state;
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES], h[PR_HASH_BYTES];
    char *a = replace1(fx_definition, carol, carol_withdrawn), *out = NULL, *err = NULL;

    (void)f;
    crypto_sign_keypair(pk, sk);
    write_signed("def2.json", a, sk, h);
    free(a);
    assert_int_equal(amend(&out, &err, "def2.json"), 1);
    assert_non_null(strstr(err, "does not verify"));
    free(out);
    free(err);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM definitions"), 0);
    /* No decision reference, no amendment. */
    assert_int_equal(fx_cli(&out, &err, "amend-definition", "--db", "c.db", "--definition",
                            "def2.json", NULL),
                     2);
    free(out);
    free(err);
}

static void test_amend_definition_withdrawn_candidate_keeps_place(void **state)
{
    fx *f = *state;
    uint8_t h[PR_HASH_BYTES];
    char *a = replace1(fx_definition, ",\n       {\"id\": \"carol\", \"name\": \"Carol Example\", \"party\": null}", "");
    char *out = NULL, *err = NULL;

    write_signed("def3.json", a, f->csk, h);
    free(a);
    assert_int_equal(amend(&out, &err, "def3.json"), 1);
    assert_non_null(strstr(err, "withdraw it instead"));
    free(out);
    free(err);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM definitions"), 0);
}

static void test_amend_definition_refused_when_standing_returns_would_break(void **state)
{
    fx *f = *state;
    fx_ret g1 = gov("p1", 0);
    uint8_t h2[PR_HASH_BYTES];
    char *out = NULL, *err = NULL;

    fx_make_file(f, &g1, "g1.return", NULL);
    import_expect("g1.return", 0, "accepted g1.return\n");
    make_v2(f, h2);
    assert_int_equal(amend(&out, &err, "def2.json"), 1);
    assert_non_null(strstr(err, "central: gov: its ballot part changes for precinct p1"));
    free(out);
    free(err);
    assert_string_equal(fx_status("p1", "gov", NULL), "in-tally");
}

static void test_amend_definition_decides_again_returns_naming_it(void **state)
{
    fx *f = *state;
    fx_ret g2 = gov("p2", 1);
    uint8_t h1[PR_HASH_BYTES], h2[PR_HASH_BYTES];
    char *out = NULL;
    static const char *const p2[1] = {"p2"};

    /* A station had version 2 before central: its return, and the request
     * of a key made with version 1, around the amendment. */
    memcpy(h1, f->def_hash, PR_HASH_BYTES);
    make_v2(f, h2);
    memcpy(f->def_hash, h2, PR_HASH_BYTES);
    fx_make_file(f, &g2, "g2.return", NULL);
    memcpy(f->def_hash, h1, PR_HASH_BYTES);
    import_expect("g2.return", 1, "rejected g2.return wrong-definition\n");
    assert_int_equal(amend(&out, NULL, "def2.json"), 0);
    assert_non_null(strstr(out, "\nredecided g2.return accepted\n"));
    free(out);
    assert_string_equal(fx_status("p2", "gov", NULL), "in-tally");
    fx_request(f, 3, p2, 1, "st3.req");
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st3.req", NULL), 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_amend_definition_unchanged_ballot_part_stays_valid, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_amend_definition_needs_commission_signature, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_amend_definition_withdrawn_candidate_keeps_place, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_amend_definition_refused_when_standing_returns_would_break, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_amend_definition_decides_again_returns_naming_it, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
