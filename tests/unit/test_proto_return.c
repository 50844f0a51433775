/*
 * test_proto_return.c: `precinct-return 1` (DESIGN 5.1) against the golden
 * vectors: strict parsing (one byte string per meaning), canonical
 * re-encoding, signature checks, any single-byte change caught, Ed25519 edge
 * cases refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "proto/keys.h"
#include "proto/return.h"

static uint8_t *slurp(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    uint8_t *buf = malloc(PR_FILE_MAX + 1);
    snprintf(path, sizeof path, "%s/tests/vectors/%s", PR_SOURCE_DIR, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, PR_FILE_MAX + 1, f);
    fclose(f);
    return buf;
}

static void station_pk(const char *name, uint8_t pk[32])
{
    size_t len;
    pr_diag d;
    uint8_t *b = slurp(name, &len);
    assert_int_equal(pr_pubkey_parse(PR_KEY_STATION, b, len, pk, &d), 0);
    free(b);
}

/* Parses text (a C string) and expects failure at the given line. */
static void expect_malformed(const char *text, unsigned line)
{
    pr_return *r = malloc(sizeof *r);
    pr_diag d = {0, ""};
    assert_non_null(r);
    assert_int_equal(pr_return_parse((const uint8_t *)text, strlen(text), r, &d), -1);
    if (line)
        assert_int_equal(d.line, line);
    assert_true(strlen(d.msg) > 0);
    free(r);
}

static char *good_text(void)
{
    size_t len;
    uint8_t *b = slurp("good-p1-mayor.return", &len);
    b[len] = 0;
    return (char *)b;
}

/* Replaces the first occurrence of `from` with `to` in a copy of s. */
static char *edit(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    char *o;
    assert_non_null(p);
    o = malloc(strlen(s) + strlen(to) + 1);
    assert_non_null(o);
    memcpy(o, s, (size_t)(p - s));
    strcpy(o + (p - s), to);
    strcat(o, p + strlen(from));
    return o;
}

static void test_return_golden_parses_verifies_reencodes(void **state)
{
    size_t len;
    uint8_t pk[32];
    pr_diag d;
    pr_buf b;
    pr_return *r = malloc(sizeof *r);
    uint8_t *buf = slurp("good-p1-mayor.return", &len);
    (void)state;
    assert_int_equal(pr_return_parse(buf, len, r, &d), 0);
    assert_string_equal(r->precinct, "p1");
    assert_int_equal(r->n_counts, 7);
    assert_int_equal(r->n_votes, 3);
    station_pk("station-p1.pub", pk);
    assert_int_equal(pr_return_verify(buf, r, pk), 0);
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_return_encode_signed_part(r, &b, &d), 0);
    assert_int_equal(b.len, r->signed_len);
    assert_memory_equal(b.data, buf, b.len);
    pr_buf_free(&b);
    /* Another station's key does not verify it. */
    station_pk("station-p2.pub", pk);
    assert_int_not_equal(pr_return_verify(buf, r, pk), 0);
    free(buf);
    free(r);
}

static void test_return_any_single_byte_change_is_caught(void **state)
{
    size_t len;
    uint8_t pk[32];
    pr_diag d;
    pr_return *r = malloc(sizeof *r);
    uint8_t *buf = slurp("good-p1-mayor.return", &len);
    (void)state;
    station_pk("station-p1.pub", pk);
    for (size_t i = 0; i < len; i++) {
        for (unsigned delta = 1; delta < 256; delta += 37) {
            uint8_t orig = buf[i];
            buf[i] = (uint8_t)(orig ^ delta);
            int ok = pr_return_parse(buf, len, r, &d) == 0 && pr_return_verify(buf, r, pk) == 0;
            buf[i] = orig;
            if (ok)
                fail_msg("byte %zu xor %u still verifies", i, delta);
        }
    }
    free(buf);
    free(r);
}

static void test_return_ed25519_edge_cases_rejected(void **state)
{
    const char *files[] = {"neg-bad-signature-noncanonical-s.return",
                           "neg-bad-signature-small-order-r.return", "neg-bad-signature.return"};
    uint8_t pk[32];
    pr_diag d;
    pr_return *r = malloc(sizeof *r);
    (void)state;
    station_pk("station-p1.pub", pk);
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        uint8_t *buf = slurp(files[i], &len);
        assert_int_equal(pr_return_parse(buf, len, r, &d), 0);
        assert_int_not_equal(pr_return_verify(buf, r, pk), 0);
        free(buf);
    }
    free(r);
}

static void test_return_small_order_public_key_refused(void **state)
{
    size_t len;
    pr_return *r = malloc(sizeof *r);
    pr_diag d;
    uint8_t small_order[32] = {1};
    uint8_t *buf = slurp("good-p1-mayor.return", &len);
    (void)state;
    assert_int_equal(pr_return_parse(buf, len, r, &d), 0);
    assert_int_not_equal(pr_return_verify(buf, r, small_order), 0);
    free(buf);
    free(r);
}

static void test_malformed_shared_byte_rules(void **state)
{
    char *g = good_text(), *t;
    size_t n = strlen(g);
    (void)state;
    t = edit(g, "mode live\n", "mode live\r\n");
    expect_malformed(t, 4);
    free(t);
    t = edit(g, "precinct-return 1\n", "\xef\xbb\xbfprecinct-return 1\n");
    expect_malformed(t, 1);
    free(t);
    t = edit(g, "contest mayor\n", "contest mayor \n");
    expect_malformed(t, 5);
    free(t);
    t = edit(g, "contest mayor\n", "contest\tmayor\n");
    expect_malformed(t, 5);
    free(t);
    t = edit(g, "contest mayor\n", "contest  mayor\n");
    expect_malformed(t, 5);
    free(t);
    g[n - 1] = '\0'; /* no final LF */
    expect_malformed(g, 0);
    g[n - 1] = '\n';
    t = malloc(n + 2);
    memcpy(t, g, n);
    memcpy(t + n, "x\n", 2);
    t[n + 2 - 1] = '\n';
    {
        pr_return *r = malloc(sizeof *r);
        pr_diag d;
        assert_int_equal(pr_return_parse((uint8_t *)t, n + 2, r, &d), -1); /* trailing bytes */
        free(r);
    }
    free(t);
    free(g);
}

static void test_malformed_grammar(void **state)
{
    char *g = good_text(), *t;
    (void)state;
    struct {
        const char *from, *to;
        unsigned line;
    } cases[] = {
        {"precinct-return 1\n", "precinct-return 2\n", 1},
        {"election vec-2026\n", "election Vec-2026\n", 2},
        {"mode live\n", "mode LIVE\n", 4},
        {"contest mayor\nprecinct p1\n", "precinct p1\ncontest mayor\n", 5},    /* reordered */
        {"precinct p1\n", "precinct p1\nprecinct p1\n", 7},                    /* duplicate */
        {"revision 1\n", "revision 0\n", 7},
        {"revision 1\n", "revision 01\n", 7},
        {"revision 1\n", "revision 2\n", 8},                                   /* no supersedes */
        {"revision 1\n", "revision 1\ncolour red\n", 8},                       /* unknown field */
        {"count registered 1000\n", "count registered 1000\ncount registered 1000\n", 9},
        {"count invalid 15\n", "count invalid 15.0\n", 13},
        {"count invalid 15\n", "count invalid -15\n", 13},
        {"count invalid 15\n", "count invalid 1,5\n", 13},
        {"count invalid 15\n", "count invalid\n", 13},
        {"count invalid 15\n", "count invalid 1000000001\n", 13},
        {"count invalid 15\n", "count votes 15\n", 13},
        {"count ballots-cast 815\n", "", 0},                                   /* required */
        {"votes bob 300\n", "votes alice 300\n", 16},
        {"votes alice 430\nvotes bob 300\nvotes carol 60\n", "", 15},         /* no votes */
        {"signed 2026-03-15T18:00:00Z\n", "signed 2026-02-30T18:00:00Z\n", 18},
        {"signed 2026-03-15T18:00:00Z\n", "signed 2026-03-15T18:00:00+00:00\n", 18},
        {"key c11c3b463ff98ef0\n", "key C11C3B463FF98EF0\n", 19},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t = edit(g, cases[i].from, cases[i].to);
        expect_malformed(t, cases[i].line);
        free(t);
    }
    free(g);
}

static void test_malformed_noncanonical_base64_signature(void **state)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *g = good_text(), *t;
    char *sig = strstr(g, "signature ") + 10;
    const char *pos;
    (void)state;
    /* 64 bytes = 86 chars + "==": the last char carries 4 unused bits,
     * zero in the canonical spelling. Setting one gives the same bytes
     * spelled another way, which must be refused. */
    assert_int_equal(sig[86], '=');
    pos = strchr(alphabet, sig[85]);
    assert_non_null(pos);
    assert_int_equal((pos - alphabet) & 15, 0);
    sig[85] = alphabet[(pos - alphabet) + 1];
    expect_malformed(g, 20);
    free(g);
    g = good_text();
    t = edit(g, "==\n", "\n");
    expect_malformed(t, 20);
    free(t);
    free(g);
}

static void test_content_hash_ignores_signature_fields(void **state)
{
    size_t l1, l2;
    pr_diag d;
    uint8_t h1[32], h2[32];
    pr_return *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    uint8_t *x = slurp("good-p1-mayor.return", &l1), *y = slurp("resigned-p1-mayor.return", &l2);
    (void)state;
    assert_int_equal(pr_return_parse(x, l1, a, &d), 0);
    assert_int_equal(pr_return_parse(y, l2, b, &d), 0);
    assert_int_not_equal(a->signed_at, b->signed_at);
    assert_int_equal(pr_return_content_hash(a, h1), 0);
    assert_int_equal(pr_return_content_hash(b, h2), 0);
    assert_memory_equal(h1, h2, 32);
    b->votes[0].value++;
    assert_int_equal(pr_return_content_hash(b, h2), 0);
    assert_memory_not_equal(h1, h2, 32);
    free(x);
    free(y);
    free(a);
    free(b);
}

static void test_revision_two_roundtrip_with_reason(void **state)
{
    size_t len;
    pr_diag d;
    uint8_t pk[32], sk[64];
    pr_buf out;
    pr_return *r = malloc(sizeof *r), *p = malloc(sizeof *p);
    uint8_t *buf = slurp("good-p1-mayor.return", &len);
    (void)state;
    assert_int_equal(pr_return_parse(buf, len, r, &d), 0);
    r->revision = 2;
    pr_hash(r->supersedes, buf, len);
    strcpy(r->reason, "Пересчёт: қайта санау");
    r->n_evidence = 2;
    memset(r->evidence[0], 0x11, 32);
    memset(r->evidence[1], 0x22, 32);
    crypto_sign_keypair(pk, sk);
    assert_int_equal(pr_return_sign(r, sk, &out, &d), 0);
    assert_int_equal(pr_return_parse(out.data, out.len, p, &d), 0);
    assert_string_equal(p->reason, r->reason);
    assert_int_equal(p->n_evidence, 2);
    assert_int_equal(pr_return_verify(out.data, p, pk), 0);
    /* Evidence out of order does not encode. */
    memset(r->evidence[1], 0x01, 32);
    pr_buf_free(&out);
    assert_int_not_equal(pr_return_sign(r, sk, &out, &d), 0);
    free(buf);
    free(r);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_return_golden_parses_verifies_reencodes),
        cmocka_unit_test(test_return_any_single_byte_change_is_caught),
        cmocka_unit_test(test_return_ed25519_edge_cases_rejected),
        cmocka_unit_test(test_return_small_order_public_key_refused),
        cmocka_unit_test(test_malformed_shared_byte_rules),
        cmocka_unit_test(test_malformed_grammar),
        cmocka_unit_test(test_malformed_noncanonical_base64_signature),
        cmocka_unit_test(test_content_hash_ignores_signature_fields),
        cmocka_unit_test(test_revision_two_roundtrip_with_reason),
    };
    if (pr_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
