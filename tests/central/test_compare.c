/*
 * test_compare.c: the share rule of `central compare` (compare.c): a printed
 * share is right within half its last printed digit, decided in integers;
 * a zero denominator has no share; shares are never required to sum to 100;
 * and the command on tables that are not in a tally (no database): totals,
 * shares of seats, row errors naming their row, exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "commands.h"
#include "common/rules.h"
#include "compare.h"

/* 1 / 0 as ct_share_matches says for the printed text s against n / d. */
static int ok(const char *s, uint64_t n, uint64_t d)
{
    ct_share sh;

    assert_int_equal(ct_share_parse(s, &sh), 0);
    return ct_share_matches(&sh, n, d);
}

static void test_share_within_half_last_printed_digit(void **state)
{
    (void)state;
    /* 731 / 928 = 78.7715...% (the seed's Aral winner) */
    assert_int_equal(ok("78.77", 731, 928), 1);
    assert_int_equal(ok("78.77%", 731, 928), 1);
    assert_int_equal(ok("78.8", 731, 928), 1);
    assert_int_equal(ok("78.7", 731, 928), 0);
    assert_int_equal(ok("78.76", 731, 928), 0);
    assert_int_equal(ok("78.78", 731, 928), 0);
    assert_int_equal(ok("78.772", 731, 928), 1);
    assert_int_equal(ok("78.771", 731, 928), 0);  /* 0.00055 off, more than 0.0005 */
    /* the seed's Ülken invalid ballots: 0 of 860 printed 3.77 */
    assert_int_equal(ok("3.77", 0, 860), 0);
    assert_int_equal(ok("0.00", 0, 860), 1);
    assert_int_equal(ok("0", 0, 860), 1);
}

static void test_share_printed_with_zero_decimals(void **state)
{
    (void)state;
    assert_int_equal(ok("79", 731, 928), 1);
    assert_int_equal(ok("78", 731, 928), 0);
    assert_int_equal(ok("80", 731, 928), 0);
    assert_int_equal(ok("33", 1, 3), 1);
    assert_int_equal(ok("34", 1, 3), 0);
    assert_int_equal(ok("67", 2, 3), 1);
    assert_int_equal(ok("66", 2, 3), 0);
    assert_int_equal(ok("100", 5, 5), 1);
}

/* Exactly half a last digit off is right both ways: the rule does not care
 * how the printer rounded a half. */
static void test_share_exact_half_both_ends_included(void **state)
{
    (void)state;
    assert_int_equal(ok("12", 1, 8), 1);       /* 12.5 */
    assert_int_equal(ok("13", 1, 8), 1);
    assert_int_equal(ok("11", 1, 8), 0);
    assert_int_equal(ok("14", 1, 8), 0);
    assert_int_equal(ok("12.5", 1, 8), 1);
    assert_int_equal(ok("0.12", 1, 800), 1);   /* 0.125 */
    assert_int_equal(ok("0.13", 1, 800), 1);
    assert_int_equal(ok("0.11", 1, 800), 0);
    assert_int_equal(ok("0.14", 1, 800), 0);
}

static void test_share_zero_denominator_has_no_share(void **state)
{
    char buf[32];

    (void)state;
    assert_int_equal(ok("n/a", 0, 0), 1);
    assert_int_equal(ok("0.00", 0, 0), 0);
    assert_int_equal(ok("0", 5, 0), 0);
    assert_int_equal(ok("n/a", 0, 10), 0);
    assert_int_equal(ct_share_format(0, 0, 2, buf, sizeof buf), 0);
    assert_string_equal(buf, "n/a");
}

/* Each share is checked alone: three thirds printed 33.33 sum to 99.99 and
 * are all right; rounded to whole numbers they sum to 99 and are right. */
static void test_share_never_required_to_sum_to_100(void **state)
{
    (void)state;
    assert_int_equal(ok("33.33", 1, 3), 1);
    assert_int_equal(ok("33", 1, 3), 1);
    /* and 100.00 is no anchor: a share above 100 is checked like any */
    assert_int_equal(ok("150.00", 3, 2), 1);
    assert_int_equal(ok("100.00", 3, 2), 0);
}

/* At two decimals the right value is DESIGN 8's percentage, digit for digit. */
static void test_share_format_agrees_with_design_8(void **state)
{
    char a[32], b[32];
    uint64_t n, d;
    static const uint64_t big[] = {1, 7, 928, 999999999, 1000000000, 108064342};
    size_t i, j;

    (void)state;
    for (d = 1; d <= 300; d++)
        for (n = 0; n <= d + 3; n++) {
            assert_int_equal(ct_share_format(n, d, 2, a, sizeof a), 0);
            assert_int_equal(cm_percent(n, d, b, sizeof b), 0);
            assert_string_equal(a, b);
            /* and the value it gives is always right by the rule */
            assert_int_equal(ok(a, n, d), 1);
        }
    for (i = 0; i < sizeof big / sizeof big[0]; i++)
        for (j = 0; j < sizeof big / sizeof big[0]; j++) {
            assert_int_equal(ct_share_format(big[i], big[j], 2, a, sizeof a), 0);
            assert_int_equal(cm_percent(big[i], big[j], b, sizeof b), 0);
            assert_string_equal(a, b);
        }
    assert_int_equal(ct_share_format(731, 928, 0, a, sizeof a), 0);
    assert_string_equal(a, "79");
    assert_int_equal(ct_share_format(731, 928, 3, a, sizeof a), 0);
    assert_string_equal(a, "78.772");
    assert_int_equal(ct_share_format(15, 730, 2, a, sizeof a), 0);
    assert_string_equal(a, "2.05");
}

static void test_share_parse_rejects_what_no_table_prints(void **state)
{
    static const char *const bad[] = {"", ".5", "5.", "-1", "+1", "1,5", "78.77 %", " 1",
                                      "1.1234567", "1234567890123", "1e2", "%", "n/A", "1..2"};
    ct_share sh;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ct_share_parse(bad[i], &sh), -1);
    assert_int_equal(ct_share_parse("100.00", &sh), 0);
    assert_int_equal(sh.digits, 10000);
    assert_int_equal(sh.decimals, 2);
    assert_int_equal(ct_share_parse("1.123456%", &sh), 0);
    assert_int_equal(sh.decimals, 6);
}

static void test_share_overflow_decides_nothing(void **state)
{
    char buf[32];
    ct_share sh;

    (void)state;
    assert_int_equal(ct_share_parse("1.000000", &sh), 0);
    assert_int_equal(ct_share_matches(&sh, UINT64_MAX / 10, 7), -1);
    assert_int_equal(ct_share_format(UINT64_MAX / 10, 7, 6, buf, sizeof buf), -1);
}

/* ---- the command without a database --------------------------------------- */

/* Runs `central compare ARGS...`, output in *out and *err (freed by caller). */
static int run(char **out, char **err, ...)
{
    char *argv[16];
    int argc = 0, rc;
    size_t on = 0, en = 0;
    FILE *o, *e;
    va_list ap;

    argv[argc++] = (char *)"central";
    argv[argc++] = (char *)"compare";
    va_start(ap, err);
    for (;;) {
        char *a = va_arg(ap, char *);
        if (a == NULL)
            break;
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    o = open_memstream(out, &on);
    e = open_memstream(err, &en);
    assert_non_null(o);
    assert_non_null(e);
    rc = ct_main(argc, argv, o, e);
    fclose(o);
    fclose(e);
    return rc;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char dir[] = "/tmp/test_compare.XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_compare_own_counts_totals_and_seats(void **state)
{
    char path[128], *out = NULL, *err = NULL;

    (void)state;
    snprintf(path, sizeof path, "%s/t.csv", dir);
    /* a grid with a wrong column total (10 + 20 = 30, printed 31), a right
     * row total, and shares of 10 seats (3 -> 30 %, printed 20 %) */
    write_file(path, "# a comment line with \"quotes\", and commas\n"
                     "table,row,column,count,seats,share,of\n"
                     "g,a,x,10,,,\n"
                     "g,b,x,20,,,\n"
                     "g,total,x,31,,,\n"
                     "g,a,y,5,,,\n"
                     "g,a,total,15,,,\n"
                     "s,p,,,3,20%,seats:10\n"
                     "s,q,,,7,70%,seats:10\n"
                     "thirds,a,,1,,33.33,all\n"
                     "thirds,b,,1,,33.33,all\n"
                     "thirds,c,,1,,33.33,all\n"
                     "thirds,all,,3,,,\n");
    assert_int_equal(run(&out, &err, "--published", path, NULL), 1);
    assert_string_equal(err, "");
    assert_non_null(strstr(out, "t.csv:5: g total x: count: printed 31, right 30 (sum of the 2 "
                                "printed rows)\n"));
    assert_non_null(strstr(out, "t.csv:8: s p: share of seats:10: printed 20%, right 30% (3 / 10, "
                                "printed counts)\n"));
    /* the right ones (row total 15, 70 %, the thirds) say nothing */
    assert_null(strstr(out, ":7:"));
    assert_null(strstr(out, ":9:"));
    assert_null(strstr(out, "thirds"));
    assert_non_null(strstr(out, "2 differ (no tally: own counts only)\n"));
    free(out);
    free(err);
}

static void test_compare_row_errors_name_their_row(void **state)
{
    char path[128], *out = NULL, *err = NULL;

    (void)state;
    snprintf(path, sizeof path, "%s/bad.csv", dir);
    write_file(path, "table,contest,row,count,share,of\n"
                     "t,,a,1,50.0,\n"
                     "t,,b,1,5o,x\n"
                     ",,c,1,,\n"
                     "t,mayor,d,1,,\n"
                     "t,,e,1,50,nobody\n"
                     "t,,a,2,,\n");
    assert_int_equal(run(&out, &err, "--published", path, NULL), 1);
    assert_non_null(strstr(err, "bad.csv: row 2: share 50.0 without its denominator"));
    assert_non_null(strstr(err, "bad.csv: row 3: share \"5o\" is not a share"));
    assert_non_null(strstr(err, "bad.csv: row 4: no table and no contest"));
    assert_non_null(
        strstr(err, "bad.csv: row 5: contest mayor: comparing with a tally needs --db"));
    free(out);
    free(err);
    /* once the rows read, whole-table errors: a repeated cell, a missing
     * denominator row */
    write_file(path, "table,row,count,share,of\n"
                     "t,a,1,50,nobody\n"
                     "t,a,2,,\n");
    assert_int_equal(run(&out, &err, "--published", path, NULL), 1);
    assert_non_null(strstr(err, "bad.csv: row 3: t a appears twice (first on row 2)"));
    assert_non_null(strstr(err, "bad.csv: row 2: of nobody: no row nobody with a count"));
    assert_string_equal(out, "");
    free(out);
    free(err);
}

static void test_compare_exit_codes(void **state)
{
    char path[128], *out = NULL, *err = NULL;

    (void)state;
    assert_int_equal(run(&out, &err, NULL), 2);
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/none.csv", dir);
    assert_int_equal(run(&out, &err, "--published", path, NULL), 3);
    assert_non_null(strstr(err, "none.csv"));
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/right.csv", dir);
    write_file(path, "table,row,count,share,of\nt,a,1,25%,all\nt,b,3,75%,all\nt,all,4,,\n");
    assert_int_equal(run(&out, &err, "--published", path, "--json", NULL), 0);
    assert_string_equal(out, "{\"checked\":2,\"differ\":0}\n");
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_within_half_last_printed_digit),
        cmocka_unit_test(test_share_printed_with_zero_decimals),
        cmocka_unit_test(test_share_exact_half_both_ends_included),
        cmocka_unit_test(test_share_zero_denominator_has_no_share),
        cmocka_unit_test(test_share_never_required_to_sum_to_100),
        cmocka_unit_test(test_share_format_agrees_with_design_8),
        cmocka_unit_test(test_share_parse_rejects_what_no_table_prints),
        cmocka_unit_test(test_share_overflow_decides_nothing),
        cmocka_unit_test(test_compare_own_counts_totals_and_seats),
        cmocka_unit_test(test_compare_row_errors_name_their_row),
        cmocka_unit_test(test_compare_exit_codes),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
