/*
 * test_order.c: DESIGN 7 "Order independence": for a fixed set of key
 * events, every status and the tally are the same whatever the order in
 * which returns are imported. Imports one set of returns (corrections,
 * a chain of two, a re-signed copy, an equivocating revision 1, a
 * conflict) in many orders into fresh databases and compares.
 */
#include "fixture.h"

#define NFILES 8

static const char *const names[NFILES] = {"a.return", "a-resigned.return", "a2.return", "b.return",
                                          "c.return", "d.return",          "d2.return", "e.return"};

static void make_files(fx *f)
{
    fx_ret a = fx_good("p1", 0), s;
    uint8_t ha[PR_HASH_BYTES], hb[PR_HASH_BYTES];

    fx_make_file(f, &a, names[0], ha);
    s = a;
    s.at = f->close + 9000;
    fx_make_file(f, &s, names[1], NULL);
    s = a;
    s.v[2] = 49;
    s.inv = 11;
    fx_make_file(f, &s, names[2], NULL);
    s = a;
    s.rev = 2;
    s.sup = ha;
    s.v[0] = 310;
    s.v[1] = 190;
    fx_make_file(f, &s, names[3], hb);
    s = a;
    s.rev = 3;
    s.sup = hb;
    s.v[0] = 320;
    s.v[1] = 180;
    fx_make_file(f, &s, names[4], NULL);
    s = fx_good("p2", 1);
    fx_make_file(f, &s, names[5], NULL);
    s.v[0] = 299;
    s.v[1] = 201;
    fx_make_file(f, &s, names[6], NULL);
    s = fx_good("p3", 2);
    fx_make_file(f, &s, names[7], NULL);
}

static void fresh_db(void)
{
    char *out = NULL;

    (void)unlink("c.db");
    (void)unlink("c.db-wal");
    (void)unlink("c.db-shm");
    assert_int_equal(fx_cli(&out, NULL, "init", "--db", "c.db", "--definition", "def.json",
                            "--commission-pub", "commission.pub", NULL),
                     0);
    free(out);
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st0.req", "st1.req", "st2.req", NULL), 0);
    free(out);
}

/* Status rows and tally contests as canonical JSON text, without the
 * event head (which differs with the order, as it must). */
static char *outcome_text(void)
{
    char *out = NULL, *s1, *s2, *all;
    json_t *j, *k;
    json_error_t je;
    size_t n;

    assert_int_equal(fx_cli(&out, NULL, "status", "--db", "c.db", "--json", NULL), 0);
    j = json_loads(out, 0, &je);
    assert_non_null(j);
    free(out);
    /* The verdict of the head may differ (a correction that resolved a
     * conflict is flagged); what stands and its revision may not. */
    {
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(j, "precincts"), i, row) json_object_del(row, "verdict");
    }
    s1 = json_dumps(json_object_get(j, "precincts"), JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    assert_int_equal(fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", "--by",
                            "precinct", NULL),
                     0);
    k = json_loads(out, 0, &je);
    assert_non_null(k);
    free(out);
    s2 = json_dumps(json_object_get(k, "contests"), JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(k);
    n = strlen(s1) + strlen(s2) + 2;
    all = malloc(n);
    assert_non_null(all);
    snprintf(all, n, "%s\n%s", s1, s2);
    free(s1);
    free(s2);
    return all;
}

static void import_in_order(const int *order)
{
    char *out = NULL;
    int i;

    fresh_db();
    for (i = 0; i < NFILES; i++) {
        (void)fx_import(names[order[i]], &out);
        free(out);
    }
}

static void test_order_independence_of_status_and_tally(void **state)
{
    fx *f = *state;
    int order[NFILES], i, k, round;
    char *first, *now;
    unsigned seed = 12345;

    make_files(f);
    for (i = 0; i < NFILES; i++)
        order[i] = i;
    import_in_order(order);
    first = outcome_text();
    /* What must stand: p1's revision 3, p2 in conflict, p3's return. */
    assert_string_equal(fx_status("p1", "mayor", NULL), "in-tally");
    assert_string_equal(fx_status("p2", "mayor", NULL), "conflict");
    assert_string_equal(fx_status("p3", "mayor", NULL), "in-tally");
    for (round = 0; round < 40; round++) {
        if (round == 0) {
            for (i = 0; i < NFILES; i++)
                order[i] = NFILES - 1 - i;
        } else {
            for (i = NFILES - 1; i > 0; i--) {
                int t;
                seed = seed * 1103515245u + 12345u;
                k = (int)((seed >> 16) % (unsigned)(i + 1));
                t = order[i];
                order[i] = order[k];
                order[k] = t;
            }
        }
        import_in_order(order);
        now = outcome_text();
        if (strcmp(first, now) != 0) {
            print_error("order:");
            for (i = 0; i < NFILES; i++)
                print_error(" %s", names[order[i]]);
            print_error("\nwant %s\ngot  %s\n", first, now);
        }
        assert_string_equal(first, now);
        free(now);
    }
    free(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_independence_of_status_and_tally, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
