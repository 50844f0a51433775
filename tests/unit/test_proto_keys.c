/*
 * test_proto_keys.c: key files, encrypted secret keys, enrolment requests
 * and definition signatures (DESIGN 5.2).
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

static void test_public_key_roundtrip_and_kind(void **state)
{
    uint8_t pk[32], sk[64], got[32];
    pr_buf b;
    pr_diag d;
    (void)state;
    crypto_sign_keypair(pk, sk);
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_pubkey_encode(PR_KEY_STATION, pk, &b), 0);
    assert_int_equal(pr_pubkey_parse(PR_KEY_STATION, b.data, b.len, got, &d), 0);
    assert_memory_equal(pk, got, 32);
    /* A station key is not a commission key. */
    assert_int_not_equal(pr_pubkey_parse(PR_KEY_COMMISSION, b.data, b.len, got, &d), 0);
    /* Wrong key id. */
    b.data[strlen(PR_MAGIC_STATION_PUB) + 5] ^= 1;
    assert_int_not_equal(pr_pubkey_parse(PR_KEY_STATION, b.data, b.len, got, &d), 0);
    pr_buf_free(&b);
}

static void test_public_key_invalid_point_refused(void **state)
{
    const char *text = "station-public-key 1\nkey 0000000000000000\n"
                       "public AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    uint8_t got[32];
    pr_diag d;
    (void)state;
    assert_int_not_equal(pr_pubkey_parse(PR_KEY_STATION, (const uint8_t *)text, strlen(text), got, &d), 0);
    assert_non_null(strstr(d.msg, "valid"));
}

static void test_secret_key_plain_and_encrypted(void **state)
{
    uint8_t pk[32], sk[64];
    uint8_t *got = sodium_malloc(64);
    pr_buf b;
    pr_diag d;
    (void)state;
    crypto_sign_keypair(pk, sk);
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_seckey_encode(PR_KEY_STATION, sk, NULL, 0, 0, 0, &b), 0);
    assert_int_equal(pr_seckey_is_encrypted(PR_KEY_STATION, b.data, b.len), 0);
    assert_int_equal(pr_seckey_parse(PR_KEY_STATION, b.data, b.len, NULL, 0, got, &d), 0);
    assert_memory_equal(sk, got, 64);
    assert_true(pr_is_secret_key_file(b.data, b.len));
    {
        /* Damaged or appended copies are still recognised. */
        char tmp[1024];
        int n = snprintf(tmp, sizeof tmp, "\xef\xbb\xbf%s", (char *)b.data);
        assert_true(pr_is_secret_key_file((uint8_t *)tmp, (size_t)n));
        n = snprintf(tmp, sizeof tmp, "precinct-return 1\nelection x\n%s", (char *)b.data);
        assert_true(pr_is_secret_key_file((uint8_t *)tmp, (size_t)n));
        n = snprintf(tmp, sizeof tmp, "precinct-return 1\nreason the station-secret-key 1 was lost\n");
        assert_false(pr_is_secret_key_file((uint8_t *)tmp, (size_t)n));
    }
    pr_buf_free(&b);

    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_seckey_encode(PR_KEY_COMMISSION, sk, "correct horse", 13,
                                      crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN, &b), 0);
    assert_int_equal(pr_seckey_is_encrypted(PR_KEY_COMMISSION, b.data, b.len), 1);
    assert_int_equal(pr_seckey_parse(PR_KEY_COMMISSION, b.data, b.len, "correct horse", 13, got, &d), 0);
    assert_memory_equal(sk, got, 64);
    assert_int_equal(pr_seckey_parse(PR_KEY_COMMISSION, b.data, b.len, "wrong horse", 11, got, &d), -2);
    /* The associated data covers the header: change the key id line. */
    b.data[strlen(PR_MAGIC_COMMISSION_SEC) + 5] ^= 1;
    assert_int_not_equal(pr_seckey_parse(PR_KEY_COMMISSION, b.data, b.len, "correct horse", 13, got, &d), 0);
    pr_buf_free(&b);
    sodium_free(got);
}

static void test_secret_key_absurd_kdf_limits_refused_before_use(void **state)
{
    uint8_t *got = sodium_malloc(64);
    pr_diag d;
    char text[1024];
    (void)state;
    /* 4 TiB of memory demanded: refused without running the KDF. */
    snprintf(text, sizeof text,
             "station-secret-key 1\nkey 0000000000000000\nkdf argon2id13\nopslimit 3\n"
             "memlimit 4398046511104\nsalt AAAAAAAAAAAAAAAAAAAAAA==\naead xchacha20poly1305-ietf\n"
             "nonce AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
             "ciphertext %.107s=\n",
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_int_equal(pr_seckey_parse(PR_KEY_STATION, (uint8_t *)text, strlen(text), "x", 1, got, &d), -3);
    sodium_free(got);
}

static void test_enrolment_proof_of_possession(void **state)
{
    uint8_t pk[32], sk[64];
    pr_enrolment *e = calloc(1, sizeof *e), *p = calloc(1, sizeof *p);
    pr_buf b;
    pr_diag d;
    (void)state;
    crypto_sign_keypair(pk, sk);
    strcpy(e->election, "vec-2026");
    e->n_precincts = 2;
    strcpy(e->precincts[0], "p1");
    strcpy(e->precincts[1], "p2");
    assert_int_equal(pr_parse_time("2026-03-01T09:00:00Z", 20, &e->created), 0);
    assert_int_equal(pr_enrolment_sign(e, sk, &b, &d), 0);
    assert_int_equal(pr_enrolment_parse(b.data, b.len, p, &d), 0);
    assert_int_equal(p->n_precincts, 2);
    assert_int_equal(pr_enrolment_verify(b.data, p), 0);
    /* Another precinct written in: the proof no longer holds. */
    char *q = strstr((char *)b.data, "precinct p2\n");
    q[10] = '3';
    assert_int_equal(pr_enrolment_parse(b.data, b.len, p, &d), 0);
    assert_int_not_equal(pr_enrolment_verify(b.data, p), 0);
    /* Descending precincts do not parse. */
    q[10] = '0';
    assert_int_not_equal(pr_enrolment_parse(b.data, b.len, p, &d), 0);
    pr_buf_free(&b);
    free(e);
    free(p);
}

static void test_definition_signature(void **state)
{
    uint8_t pk[32], sk[64], h[32], other[32];
    pr_buf b;
    pr_defsig s;
    pr_diag d;
    (void)state;
    crypto_sign_keypair(pk, sk);
    pr_hash(h, (const uint8_t *)"{}", 2);
    pr_hash(other, (const uint8_t *)"[]", 2);
    assert_int_equal(pr_defsig_sign(h, sk, &b), 0);
    assert_int_equal(pr_defsig_parse(b.data, b.len, &s, &d), 0);
    assert_int_equal(pr_defsig_verify(b.data, &s, h, pk, &d), 0);
    assert_int_not_equal(pr_defsig_verify(b.data, &s, other, pk, &d), 0);
    crypto_sign_keypair(pk, sk);
    assert_int_not_equal(pr_defsig_verify(b.data, &s, h, pk, &d), 0);
    pr_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_key_roundtrip_and_kind),
        cmocka_unit_test(test_public_key_invalid_point_refused),
        cmocka_unit_test(test_secret_key_plain_and_encrypted),
        cmocka_unit_test(test_secret_key_absurd_kdf_limits_refused_before_use),
        cmocka_unit_test(test_enrolment_proof_of_possession),
        cmocka_unit_test(test_definition_signature),
    };
    if (pr_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
