/*
 * test_proto_checkpoint.c: `election-checkpoint 1` against its golden
 * vector (tests/vectors/checkpoint-7.txt): it parses, verifies with the
 * commission key and with no other, re-signs byte for byte, and any changed
 * byte or another object's type line is refused; the same for the receipt
 * (tests/vectors/receipt-5.txt).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/checkpoint.h"
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

static void test_checkpoint_vector_parses_verifies_and_resigns(void **state)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES], other[PR_PK_BYTES], osk[PR_SK_BYTES];
    size_t n;
    uint8_t *buf = slurp("checkpoint-7.txt", &n);
    pr_checkpoint cp, again;
    pr_buf b;
    pr_diag d;

    (void)state;
    commission(pk, sk);
    assert_int_equal(pr_checkpoint_parse(buf, n, &cp, &d), 0);
    assert_string_equal(cp.election, "vec-2026");
    assert_int_equal(cp.seq, 7);
    assert_int_equal(cp.counts[0], 3);
    assert_int_equal(cp.counts[3], 1);
    assert_int_equal(cp.counts[7], 2);
    assert_int_equal(pr_checkpoint_verify(buf, &cp, pk, &d), 0);
    /* The signature covers every byte through the LF of the key line. */
    assert_memory_equal(buf + cp.signed_len, "signature ", 10);
    /* Another commission key: refused. */
    crypto_sign_keypair(other, osk);
    assert_int_equal(pr_checkpoint_verify(buf, &cp, other, &d), -1);
    /* Re-signing the parsed fields gives the same bytes. */
    again = cp;
    assert_int_equal(pr_checkpoint_sign(&again, sk, &b, &d), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, buf, n);
    pr_buf_free(&b);
    free(buf);
}

static void test_checkpoint_any_changed_byte_is_refused(void **state)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES];
    size_t n, i;
    uint8_t *buf = slurp("checkpoint-7.txt", &n);
    pr_checkpoint cp;
    pr_diag d;

    (void)state;
    commission(pk, sk);
    for (i = 0; i < n; i++) {
        uint8_t keep = buf[i];
        buf[i] = (uint8_t)(keep == '1' ? '2' : keep == '\n' ? ' ' : '1');
        assert_false(pr_checkpoint_parse(buf, n, &cp, &d) == 0 &&
                     pr_checkpoint_verify(buf, &cp, pk, &d) == 0);
        buf[i] = keep;
    }
    free(buf);
}

static void test_checkpoint_other_objects_are_not_checkpoints(void **state)
{
    size_t n;
    uint8_t *buf = slurp("definition.json.sig", &n);
    pr_checkpoint cp;
    pr_diag d;

    (void)state;
    assert_int_equal(pr_checkpoint_parse(buf, n, &cp, &d), -1);
    assert_int_equal(d.line, 1);
    free(buf);
}

static void test_receipt_vector_parses_verifies_and_resigns(void **state)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES];
    size_t n, i;
    uint8_t *buf = slurp("receipt-5.txt", &n);
    pr_receipt r, again;
    pr_buf b;
    pr_diag d;

    (void)state;
    commission(pk, sk);
    assert_int_equal(pr_receipt_parse(buf, n, &r, &d), 0);
    assert_string_equal(r.verdict, "rejected");
    assert_string_equal(r.codes, "unknown-precinct,unknown-contest");
    assert_int_equal(r.seq, 5);
    assert_int_equal(pr_receipt_verify(buf, &r, pk, &d), 0);
    again = r;
    assert_int_equal(pr_receipt_sign(&again, sk, &b, &d), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, buf, n);
    pr_buf_free(&b);
    for (i = 0; i < n; i++) {
        uint8_t keep = buf[i];
        buf[i] = (uint8_t)(keep == '1' ? '2' : keep == '\n' ? ' ' : '1');
        assert_false(pr_receipt_parse(buf, n, &r, &d) == 0 && pr_receipt_verify(buf, &r, pk, &d) == 0);
        buf[i] = keep;
    }
    free(buf);
    /* A checkpoint is not a receipt, nor the reverse. */
    buf = slurp("checkpoint-7.txt", &n);
    assert_int_equal(pr_receipt_parse(buf, n, &r, &d), -1);
    free(buf);
    buf = slurp("receipt-5.txt", &n);
    {
        pr_checkpoint cp;
        assert_int_equal(pr_checkpoint_parse(buf, n, &cp, &d), -1);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_vector_parses_verifies_and_resigns),
        cmocka_unit_test(test_checkpoint_any_changed_byte_is_refused),
        cmocka_unit_test(test_checkpoint_other_objects_are_not_checkpoints),
        cmocka_unit_test(test_receipt_vector_parses_verifies_and_resigns),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
