/*
 * test_counts.c: the station's counts file parser (DESIGN 10 "A counts file
 * holds count and votes lines ... each once; LF or CRLF; # comments; every
 * error names its line. Derived lines are computed, not given").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "counts.h"

/* A protocol with a derived line (papers-used = ballots-cast + cancelled)
 * and against-all, and a contest with three candidates. Built by hand so
 * the parser is tested on its own. */
static size_t used_parts[] = {1, 5};
static cm_line lines[] = {
    {"registered", "Voters on the list", 0, NULL},
    {"ballots-cast", "Ballots cast", 0, NULL},
    {"invalid", "Invalid ballots", 0, NULL},
    {"against-all", "Against all", 0, NULL},
    {"papers-used", "Ballot papers used", 2, used_parts},
    {"cancelled", "Ballot papers cancelled", 0, NULL},
};
static cm_candidate candidates[] = {
    {"alice", "Alice", 0, 0},
    {"bob", "Bob", 1, 0},
    {"carol", "Carol", (size_t)-1, 1},
};
static cm_protocol protocol;
static cm_contest contest;

static uint64_t counts[PR_LINES_MAX];
static uint64_t votes[PR_CANDIDATES_MAX];
static pr_diag diag;

static int setup(void **state)
{
    (void)state;
    memset(&protocol, 0, sizeof protocol);
    memcpy(protocol.id, "test", 5);
    protocol.n_lines = sizeof lines / sizeof lines[0];
    protocol.lines = lines;
    protocol.registered = 0;
    protocol.ballots_cast = 1;
    protocol.invalid = 2;
    protocol.against_all = 3;
    memset(&contest, 0, sizeof contest);
    memcpy(contest.id, "mayor", 6);
    contest.against_all = 1;
    contest.votes_allowed = 1;
    contest.seats = 1;
    contest.n_candidates = sizeof candidates / sizeof candidates[0];
    contest.candidates = candidates;
    return 0;
}

static int parse(const char *text)
{
    memset(&diag, 0, sizeof diag);
    return st_counts_parse((const uint8_t *)text, strlen(text), &protocol, &contest, counts, votes,
                           &diag);
}

/* A complete file with every line given once, in another order than the
 * protocol's. */
#define GOOD                                                                   \
    "votes bob 300\n"                                                          \
    "count registered 1000\n"                                                  \
    "count ballots-cast 815\n"                                                 \
    "count invalid 15\n"                                                       \
    "count against-all 10\n"                                                   \
    "count cancelled 5\n"                                                      \
    "votes alice 430\n"                                                        \
    "votes carol 60\n"

static void test_counts_accepts_complete_file(void **state)
{
    (void)state;
    assert_int_equal(parse(GOOD), 0);
    assert_int_equal(counts[0], 1000);
    assert_int_equal(counts[1], 815);
    assert_int_equal(counts[2], 15);
    assert_int_equal(counts[3], 10);
    assert_int_equal(counts[4], 0); /* derived: left for cm_compute_derived */
    assert_int_equal(counts[5], 5);
    assert_int_equal(votes[0], 430);
    assert_int_equal(votes[1], 300);
    assert_int_equal(votes[2], 60);
}

static void test_counts_refuses_decimal_point(void **state)
{
    (void)state;
    /* The seed article's numbers: shares and decimals typed as counts. */
    assert_int_equal(parse("count registered 2.172\n"), -1);
    assert_int_equal(diag.line, 1);
    assert_non_null(strstr(diag.msg, "2.172"));
    assert_non_null(strstr(diag.msg, "decimal point"));
    assert_int_equal(parse("count registered 1000\ncount ballots-cast 30.77\n"), -1);
    assert_int_equal(diag.line, 2);
    assert_int_equal(parse("votes alice 0.5\n"), -1);
    assert_int_equal(diag.line, 1);
}

static void test_counts_refuses_thousands_separator(void **state)
{
    (void)state;
    assert_int_equal(parse("count registered 1,346\n"), -1);
    assert_int_equal(diag.line, 1);
    assert_non_null(strstr(diag.msg, "1,346"));
    assert_non_null(strstr(diag.msg, "separator"));
    /* A space inside the number is as bad: it must not become 1 or 1346. */
    assert_int_equal(parse("count registered 1 346\n"), -1);
    assert_int_equal(diag.line, 1);
    assert_non_null(strstr(diag.msg, "346"));
    assert_int_equal(parse("count registered 1'346\n"), -1);
}

static void test_counts_refuses_sign_percent_and_words(void **state)
{
    (void)state;
    assert_int_equal(parse("count invalid -3\n"), -1);
    assert_non_null(strstr(diag.msg, "sign"));
    assert_int_equal(parse("count invalid +3\n"), -1);
    assert_int_equal(parse("count invalid 12%\n"), -1);
    assert_non_null(strstr(diag.msg, "percent"));
    assert_int_equal(parse("count invalid X\n"), -1);
    assert_int_equal(parse("count invalid 007\n"), -1);
    assert_non_null(strstr(diag.msg, "leading zero"));
    assert_int_equal(parse("count invalid 1000000001\n"), -1);
    assert_int_equal(parse("count invalid 1e3\n"), -1);
}

static void test_counts_refuses_empty_value(void **state)
{
    (void)state;
    assert_int_equal(parse("count registered 1000\ncount invalid\n"), -1);
    assert_int_equal(diag.line, 2);
    assert_non_null(strstr(diag.msg, "not zero"));
    assert_int_equal(parse("count invalid   \n"), -1);
    assert_int_equal(diag.line, 1);
    assert_int_equal(parse("count invalid # none\n"), -1);
    assert_int_equal(parse("count\n"), -1);
}

static void test_counts_refuses_missing_ballots_cast(void **state)
{
    (void)state;
    assert_int_equal(parse("count registered 1000\n"
                           "count invalid 15\n"
                           "count against-all 10\n"
                           "count cancelled 5\n"
                           "votes alice 430\n"
                           "votes bob 300\n"
                           "votes carol 60\n"),
                     -1);
    assert_int_equal(diag.line, 0); /* about the whole file, not one line */
    assert_non_null(strstr(diag.msg, "missing count ballots-cast"));
}

static void test_counts_refuses_missing_candidate(void **state)
{
    (void)state;
    /* A withdrawn candidate keeps its place and must be given too. */
    assert_int_equal(parse("count registered 1000\ncount ballots-cast 815\ncount invalid 15\n"
                           "count against-all 10\ncount cancelled 5\nvotes alice 430\n"
                           "votes bob 300\n"),
                     -1);
    assert_non_null(strstr(diag.msg, "votes carol"));
    /* An empty file lists everything that is missing. */
    assert_int_equal(parse(""), -1);
    assert_non_null(strstr(diag.msg, "count registered"));
    assert_non_null(strstr(diag.msg, "votes alice"));
}

static void test_counts_names_the_line(void **state)
{
    (void)state;
    assert_int_equal(parse("# counts of precinct 1\n"
                           "\n"
                           "count registered 1000\n"
                           "count ballots-cast 815\n"
                           "count invalid 15\n"
                           "count against-all ten\n"),
                     -1);
    assert_int_equal(diag.line, 6);
    assert_non_null(strstr(diag.msg, "against-all"));
    assert_non_null(strstr(diag.msg, "ten"));
    assert_int_equal(parse("count registered 1\nvote alice 3\n"), -1);
    assert_int_equal(diag.line, 2);
    assert_non_null(strstr(diag.msg, "unknown keyword"));
    assert_int_equal(parse("\n\ncount nobody 3\n"), -1);
    assert_int_equal(diag.line, 3);
    assert_non_null(strstr(diag.msg, "nobody"));
    assert_int_equal(parse("votes dave 3\n"), -1);
    assert_int_equal(diag.line, 1);
    assert_non_null(strstr(diag.msg, "dave"));
}

static void test_counts_crlf_and_comments_ok(void **state)
{
    (void)state;
    assert_int_equal(parse("# typed from the paper protocol\r\n"
                           "\r\n"
                           "  count registered 1000   # from the list\r\n"
                           "count\tballots-cast\t815\r\n"
                           "count invalid 15\r\n"
                           "count against-all 10\r\n"
                           "count cancelled 5\r\n"
                           "   # candidates\r\n"
                           "votes alice 430\r\n"
                           "votes bob 300\r\n"
                           "votes carol 60"),
                     0);
    assert_int_equal(counts[0], 1000);
    assert_int_equal(counts[1], 815);
    assert_int_equal(votes[2], 60);
    /* A CR anywhere but before the LF is refused. */
    assert_int_equal(parse("count registered 10\r00\n"), -1);
    assert_int_equal(diag.line, 1);
}

static void test_counts_refuses_derived_line(void **state)
{
    (void)state;
    assert_int_equal(parse("count registered 1000\ncount papers-used 820\n"), -1);
    assert_int_equal(diag.line, 2);
    assert_non_null(strstr(diag.msg, "papers-used"));
    assert_non_null(strstr(diag.msg, "derived"));
}

static void test_counts_refuses_duplicate(void **state)
{
    (void)state;
    assert_int_equal(parse("count registered 1000\ncount invalid 3\ncount registered 1000\n"), -1);
    assert_int_equal(diag.line, 3);
    assert_non_null(strstr(diag.msg, "line 1"));
    assert_int_equal(parse("votes bob 1\n\nvotes bob 2\n"), -1);
    assert_int_equal(diag.line, 3);
}

static void test_counts_refuses_nul_and_bom(void **state)
{
    (void)state;
    static const char nul[] = "count registered 1\0" "000\n";
    memset(&diag, 0, sizeof diag);
    assert_int_equal(st_counts_parse((const uint8_t *)nul, sizeof nul - 1, &protocol, &contest,
                                     counts, votes, &diag),
                     -1);
    assert_int_equal(diag.line, 1);
    assert_int_equal(parse("\xef\xbb\xbf" GOOD), -1);
    assert_int_equal(diag.line, 1);
}

/* Published fault 4: counts written as `2.172`, `30.77`, `1,346`, `0.5`,
 * `-3`, `12%`, `X`, or a line left empty: the station names the line and
 * refuses; no number is guessed. Each bad value is tried on the fourth line
 * of an otherwise complete file. */
static void test_published_fault_4_counts_not_written_as_counts(void **state)
{
    static const char *const bad[] = {"2.172", "30.77", "1,346", "0.5", "-3", "12%", "X", ""};
    char text[512];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text,
                 "count registered 1000\ncount ballots-cast 815\ncount invalid 15\n"
                 "count against-all %s\ncount cancelled 5\nvotes alice 430\nvotes bob 300\n"
                 "votes carol 60\n",
                 bad[i]);
        memset(counts, 0xff, sizeof counts);
        if (parse(text) != -1)
            fail_msg("\"%s\" was accepted", bad[i]);
        assert_int_equal(diag.line, 4);
        assert_non_null(strstr(diag.msg, "against-all"));
        if (bad[i][0] != '\0')
            assert_non_null(strstr(diag.msg, bad[i]));
    }
    /* the same file with a count there is accepted */
    snprintf(text, sizeof text,
             "count registered 1000\ncount ballots-cast 815\ncount invalid 15\n"
             "count against-all 10\ncount cancelled 5\nvotes alice 430\nvotes bob 300\n"
             "votes carol 60\n");
    assert_int_equal(parse(text), 0);
}

/* Published fault 5: a counts file without ballots-cast is refused;
 * nothing fills in the sum of the other lines. */
static void test_published_fault_5_no_ballots_cast_is_not_filled_in(void **state)
{
    (void)state;
    memset(counts, 0, sizeof counts);
    assert_int_equal(parse("count registered 1000\ncount invalid 15\ncount against-all 10\n"
                           "count cancelled 5\nvotes alice 430\nvotes bob 300\nvotes carol 60\n"),
                     -1);
    assert_int_equal(diag.line, 0);
    assert_non_null(strstr(diag.msg, "missing count ballots-cast"));
    /* 15 + 10 + 430 + 300 + 60 = 815 would have been the sum: not guessed */
    assert_int_equal(counts[1], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_counts_accepts_complete_file, setup),
        cmocka_unit_test_setup(test_counts_refuses_decimal_point, setup),
        cmocka_unit_test_setup(test_counts_refuses_thousands_separator, setup),
        cmocka_unit_test_setup(test_counts_refuses_sign_percent_and_words, setup),
        cmocka_unit_test_setup(test_counts_refuses_empty_value, setup),
        cmocka_unit_test_setup(test_counts_refuses_missing_ballots_cast, setup),
        cmocka_unit_test_setup(test_counts_refuses_missing_candidate, setup),
        cmocka_unit_test_setup(test_counts_names_the_line, setup),
        cmocka_unit_test_setup(test_counts_crlf_and_comments_ok, setup),
        cmocka_unit_test_setup(test_counts_refuses_derived_line, setup),
        cmocka_unit_test_setup(test_counts_refuses_duplicate, setup),
        cmocka_unit_test_setup(test_counts_refuses_nul_and_bom, setup),
        cmocka_unit_test_setup(test_published_fault_4_counts_not_written_as_counts, setup),
        cmocka_unit_test_setup(test_published_fault_5_no_ballots_cast_is_not_filled_in, setup),
    };
    return cmocka_run_group_tests_name("counts", tests, NULL, NULL);
}
