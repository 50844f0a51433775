/*
 * test_proto_codec.c: the shared field codecs of DESIGN 5 (ids, counts,
 * times, text, hex, base64, key ids), each rule on both sides of its edge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "proto/codec.h"

static int count_ok(const char *s)
{
    uint64_t v;
    return pr_parse_count(s, strlen(s), &v) == 0;
}

static void test_count_grammar(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_true(count_ok("0"));
    assert_true(count_ok("1000000000"));
    assert_int_equal(pr_parse_count("1000000000", 10, &v), 0);
    assert_int_equal(v, 1000000000u);
    assert_false(count_ok("1000000001"));
    assert_false(count_ok("4294967296"));
    assert_false(count_ok("18446744073709551616"));
    assert_false(count_ok("007"));
    assert_false(count_ok("-3"));
    assert_false(count_ok("+3"));
    assert_false(count_ok("2.172"));
    assert_false(count_ok("1,346"));
    assert_false(count_ok("12%"));
    assert_false(count_ok(""));
    assert_false(count_ok(" 1"));
}

static void test_id_grammar(void **state)
{
    (void)state;
    assert_true(pr_is_id("p1", 2));
    assert_true(pr_is_id("a._-9", 5));
    assert_false(pr_is_id("-a", 2));
    assert_false(pr_is_id("A", 1));
    assert_false(pr_is_id("a b", 3));
    assert_false(pr_is_id("", 0));
    char s[66];
    memset(s, 'a', 65);
    assert_true(pr_is_id(s, 64));
    assert_false(pr_is_id(s, 65));
}

static void test_time_grammar_and_instants(void **state)
{
    int64_t t = 0;
    char out[PR_TIME_LEN + 1];
    (void)state;
    assert_int_equal(pr_parse_time("2000-01-01T00:00:00Z", 20, &t), 0);
    assert_int_equal(t, 946684800);
    assert_int_equal(pr_parse_time("2024-02-29T23:59:59Z", 20, &t), 0);
    assert_int_equal(pr_format_time(t, out), 0);
    assert_string_equal(out, "2024-02-29T23:59:59Z");
    assert_int_not_equal(pr_parse_time("2023-02-29T00:00:00Z", 20, &t), 0);
    assert_int_not_equal(pr_parse_time("2100-01-01T00:00:00Z", 20, &t), 0);
    assert_int_not_equal(pr_parse_time("1999-12-31T23:59:59Z", 20, &t), 0);
    assert_int_not_equal(pr_parse_time("2021-08-01T24:00:00Z", 20, &t), 0);
    assert_int_not_equal(pr_parse_time("2021-08-01T12:00:60Z", 20, &t), 0);
    assert_int_not_equal(pr_parse_time("2021-08-01 12:00:00Z", 20, &t), 0);
    assert_int_not_equal(pr_parse_time("2021-08-01T12:00:00+", 20, &t), 0);
    assert_int_not_equal(pr_parse_time("2021-13-01T12:00:00Z", 20, &t), 0);
    assert_int_equal(pr_parse_time("2099-12-31T23:59:59Z", 20, &t), 0);
    assert_int_equal(pr_format_time(t, out), 0);
    assert_string_equal(out, "2099-12-31T23:59:59Z");
    assert_int_not_equal(pr_format_time(t + 1, out), 0);
}

static void test_text_rules(void **state)
{
    (void)state;
    const char *ok[] = {"recount ordered", "Қайта санау", "пересчёт бюллетеней", "a"};
    for (size_t i = 0; i < 4; i++)
        assert_true(pr_is_text(ok[i], strlen(ok[i])));
    const char *bad[] = {" lead", "trail ", "tab\there", "nul",
                         "\xc0\xaf",            /* overlong '/' */
                         "\xed\xa0\x80",        /* surrogate */
                         "\xc2\x85",            /* C1 NEL */
                         "\xe2\x80\xa8",        /* U+2028 */
                         "\xe2\x80\xae",        /* U+202E RLO */
                         "\xe2\x81\xa6",        /* U+2066 LRI */
                         "x\x7f", "\xff", "\xe2\x80",
                         "bom \xef\xbb\xbf x",      /* U+FEFF inside */
                         "nbsp\xc2\xa0",             /* trailing U+00A0 */
                         "\xe3\x80\x80ideographic", /* leading U+3000 */
                         "\xef\xbf\xbe",            /* noncharacter U+FFFE */
                         "\xc2\x9b" "31m"};          /* U+009B CSI */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(pr_is_text(bad[i], i == 3 ? 4 : strlen(bad[i])));
    char longtext[202];
    memset(longtext, 'x', 201);
    assert_true(pr_is_text(longtext, 200));
    assert_false(pr_is_text(longtext, 201));
    assert_false(pr_is_text("", 0));
}

static void test_name_rules(void **state)
{
    (void)state;
    assert_true(pr_is_name("Nūrbek Jandäuletov", strlen("Nūrbek Jandäuletov")));
    assert_false(pr_is_name("evil\xc2\x9b" "31m", 8));
    assert_false(pr_is_name("rtl\xe2\x80\xae", 6));
    assert_false(pr_is_name("", 0));
    char big[PR_NAME_MAX + 2];
    memset(big, 'n', sizeof big);
    assert_true(pr_is_name(big, PR_NAME_MAX));
    assert_false(pr_is_name(big, PR_NAME_MAX + 1));
}

static void test_hex_lowercase_only(void **state)
{
    uint8_t b[2];
    char out[5];
    (void)state;
    assert_int_equal(pr_hex_decode(b, 2, "0aff", 4), 0);
    pr_hex_encode(out, b, 2);
    assert_string_equal(out, "0aff");
    assert_int_not_equal(pr_hex_decode(b, 2, "0AFF", 4), 0);
    assert_int_not_equal(pr_hex_decode(b, 2, "0af", 3), 0);
    assert_int_not_equal(pr_hex_decode(b, 2, "0afg", 4), 0);
}

static void test_base64_canonical_only(void **state)
{
    uint8_t b[32];
    (void)state;
    /* 32 zero bytes: canonical, then the same bytes spelled with non-zero
     * unused bits (last char A -> B), without padding, and with whitespace. */
    const char *canon = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_int_equal(pr_b64_decode(b, 32, canon, strlen(canon)), 0);
    assert_int_not_equal(pr_b64_decode(b, 32, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", 44), 0);
    assert_int_not_equal(pr_b64_decode(b, 32, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 43), 0);
    assert_int_not_equal(pr_b64_decode(b, 32, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA A=", 45), 0);
    assert_int_not_equal(pr_b64_decode(b, 32, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_", 44), 0);
    assert_int_not_equal(pr_b64_decode(b, 31, canon, strlen(canon)), 0);
}

static void test_key_id_is_blake2b_prefix(void **state)
{
    uint8_t pk[32], sk[64], id[8], h[32];
    (void)state;
    crypto_sign_keypair(pk, sk);
    pr_key_id(id, pk);
    crypto_generichash(h, 32, pk, 32, NULL, 0);
    assert_memory_equal(id, h, 8);
    assert_true(pr_pk_valid(pk));
    uint8_t small_order[32] = {1}; /* the identity point */
    assert_false(pr_pk_valid(small_order));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_grammar),
        cmocka_unit_test(test_id_grammar),
        cmocka_unit_test(test_time_grammar_and_instants),
        cmocka_unit_test(test_text_rules),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_hex_lowercase_only),
        cmocka_unit_test(test_base64_canonical_only),
        cmocka_unit_test(test_key_id_is_blake2b_prefix),
    };
    if (pr_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
