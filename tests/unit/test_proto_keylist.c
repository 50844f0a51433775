/*
 * test_proto_keylist.c: `election-keylist 1`, the frozen key list (issue
 * 5), against its golden vector (tests/vectors/keylist-4.txt): it parses,
 * verifies with the commission key and with no other, re-signs byte for
 * byte; any changed byte, lines out of order or repeated, a key id that is
 * not its key's, and another object's type line are refused; the signer
 * refuses what the parser would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/keylist.h"
#include "proto/keys.h"

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

static void commission(uint8_t pk[PR_PK_BYTES], uint8_t sk[PR_SK_BYTES])
{
    size_t n;
    uint8_t *b = slurp("commission.pub", &n);
    pr_diag d;

    assert_int_equal(pr_pubkey_parse(PR_KEY_COMMISSION, b, n, pk, &d), 0);
    free(b);
    b = slurp("commission.key", &n);
    assert_int_equal(pr_seckey_parse(PR_KEY_COMMISSION, b, n, NULL, 0, sk, &d), 0);
    free(b);
}

static void test_keylist_vector_parses_verifies_and_resigns(void **state)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES], other[PR_PK_BYTES], osk[PR_SK_BYTES], spk[PR_PK_BYTES];
    size_t n, sn;
    uint8_t *buf = slurp("keylist-4.txt", &n), *pub;
    pr_keylist kl, again;
    pr_buf b;
    pr_diag d;

    (void)state;
    commission(pk, sk);
    assert_int_equal(pr_keylist_parse(buf, n, &kl, &d), 0);
    assert_string_equal(kl.election, "vec-2026");
    assert_int_equal(kl.seq, 4);
    assert_int_equal(kl.n, 3);
    assert_string_equal(kl.entries[0].precinct, "p1");
    assert_string_equal(kl.entries[2].precinct, "p3");
    /* The entry is the station's real key (tests/vectors/station-p2.pub). */
    pub = slurp("station-p2.pub", &sn);
    assert_int_equal(pr_pubkey_parse(PR_KEY_STATION, pub, sn, spk, &d), 0);
    assert_memory_equal(kl.entries[1].pk, spk, PR_PK_BYTES);
    free(pub);
    assert_int_equal(pr_keylist_verify(buf, &kl, pk, &d), 0);
    assert_memory_equal(buf + kl.signed_len, "signature ", 10);
    crypto_sign_keypair(other, osk);
    assert_int_equal(pr_keylist_verify(buf, &kl, other, &d), -1);
    assert_string_equal(d.msg, "signed by another commission key");
    again = kl;
    assert_int_equal(pr_keylist_sign(&again, sk, &b, &d), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, buf, n);
    pr_buf_free(&b);
    pr_keylist_free(&kl);
    assert_null(kl.entries);
    free(buf);
}

/* A tampered list (any byte changed) fails to parse or to verify. */
static void test_keylist_any_changed_byte_is_refused(void **state)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES];
    size_t n, i;
    uint8_t *buf = slurp("keylist-4.txt", &n);
    pr_keylist kl;
    pr_diag d;
    int ok;

    (void)state;
    commission(pk, sk);
    for (i = 0; i < n; i++) {
        uint8_t keep = buf[i];
        buf[i] = (uint8_t)(keep == '1' ? '2' : keep == '\n' ? ' ' : '1');
        ok = pr_keylist_parse(buf, n, &kl, &d) == 0;
        if (ok) {
            ok = pr_keylist_verify(buf, &kl, pk, &d) == 0;
            pr_keylist_free(&kl);
        } else {
            assert_null(kl.entries);
        }
        assert_false(ok);
        buf[i] = keep;
    }
    free(buf);
}

/* Swapping two station lines, or repeating one, is refused by the parser
 * (one spelling per list), naming the line. */
static void test_keylist_order_and_repeats_refused(void **state)
{
    size_t n;
    char *buf = (char *)slurp("keylist-4.txt", &n), *l1, *l2, *l3, *copy;
    size_t len1;
    pr_keylist kl;
    pr_diag d;

    (void)state;
    buf[n] = '\0';
    l1 = strstr(buf, "station p1 ");
    l2 = strstr(buf, "station p2 ");
    l3 = strstr(buf, "station p3 ");
    assert_non_null(l1);
    assert_non_null(l2);
    assert_non_null(l3);
    len1 = (size_t)(l2 - l1);
    assert_int_equal((size_t)(l3 - l2), len1); /* same length lines */
    copy = malloc(n + 1);
    assert_non_null(copy);
    /* p2 before p1. */
    memcpy(copy, buf, n + 1);
    memcpy(copy + (l1 - buf), l2, len1);
    memcpy(copy + (l2 - buf), l1, len1);
    assert_int_equal(pr_keylist_parse((uint8_t *)copy, n, &kl, &d), -1);
    assert_int_equal(d.line, 7);
    assert_non_null(strstr(d.msg, "ascending"));
    /* p1 twice. */
    memcpy(copy, buf, n + 1);
    memcpy(copy + (l2 - buf), l1, len1);
    assert_int_equal(pr_keylist_parse((uint8_t *)copy, n, &kl, &d), -1);
    assert_int_equal(d.line, 7);
    /* A key id that is not its key's (p1's id on p2's key). */
    memcpy(copy, buf, n + 1);
    memcpy(copy + (l2 - buf) + 11, l1 + 11, PR_KEYID_HEX);
    assert_int_equal(pr_keylist_parse((uint8_t *)copy, n, &kl, &d), -1);
    assert_non_null(strstr(d.msg, "key id"));
    free(copy);
    free(buf);
}

static void test_keylist_other_objects_are_not_keylists(void **state)
{
    static const char *const others[] = {"checkpoint-7.txt", "receipt-5.txt", "definition.json.sig",
                                         "station-p1.req"};
    size_t n, i;
    uint8_t *buf;
    pr_keylist kl;
    pr_diag d;

    (void)state;
    for (i = 0; i < sizeof others / sizeof others[0]; i++) {
        buf = slurp(others[i], &n);
        assert_int_equal(pr_keylist_parse(buf, n, &kl, &d), -1);
        assert_int_equal(d.line, 1);
        free(buf);
    }
}

/* The empty list (no station yet) is a list; the signer refuses what the
 * parser would refuse. */
static void test_keylist_sign_refuses_what_parse_refuses(void **state)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES];
    pr_keylist_entry ent[2];
    pr_keylist kl, back;
    pr_buf b;
    pr_diag d;

    (void)state;
    commission(pk, sk);
    memset(&kl, 0, sizeof kl);
    snprintf(kl.election, sizeof kl.election, "e1");
    kl.time = 1773565200; /* 2026-03-15T09:00:00Z */
    assert_int_equal(pr_keylist_sign(&kl, sk, &b, &d), 0);
    assert_int_equal(pr_keylist_parse(b.data, b.len, &back, &d), 0);
    assert_int_equal(back.n, 0);
    assert_int_equal(pr_keylist_verify(b.data, &back, pk, &d), 0);
    pr_buf_free(&b);
    memset(ent, 0, sizeof ent);
    snprintf(ent[0].precinct, sizeof ent[0].precinct, "p1");
    memcpy(ent[0].pk, pk, PR_PK_BYTES);
    pr_key_id(ent[0].key_id, pk);
    ent[1] = ent[0];
    kl.entries = ent;
    kl.n = 2; /* repeated */
    assert_int_equal(pr_keylist_sign(&kl, sk, &b, &d), -1);
    assert_null(b.data);
    kl.n = 1;
    ent[0].key_id[0] ^= 1; /* not its key's id */
    assert_int_equal(pr_keylist_sign(&kl, sk, &b, &d), -1);
    ent[0].key_id[0] ^= 1;
    snprintf(ent[0].precinct, sizeof ent[0].precinct, "P1"); /* not an id */
    assert_int_equal(pr_keylist_sign(&kl, sk, &b, &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keylist_vector_parses_verifies_and_resigns),
        cmocka_unit_test(test_keylist_any_changed_byte_is_refused),
        cmocka_unit_test(test_keylist_order_and_repeats_refused),
        cmocka_unit_test(test_keylist_other_objects_are_not_keylists),
        cmocka_unit_test(test_keylist_sign_refuses_what_parse_refuses),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
