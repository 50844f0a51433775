/*
 * fuzz_seckey.c: pr_seckey_is_encrypted, pr_seckey_parse and
 * pr_is_secret_key_file (DESIGN 5.2). KDF limits are capped here, before the
 * parser sees them: a file asking more than the minimum Argon2id work is
 * parsed without a passphrase (the parser stops before the KDF).
 */
#include <sodium.h>
#include <string.h>

#include "fuzz.h"
#include "proto/keys.h"

/* Value of the first line of data that starts with `field ` (as a number),
 * or -1 when there is none or it is not a plain number. */
static long long line_number(const uint8_t *data, size_t size, const char *field)
{
    size_t k = strlen(field);
    for (size_t i = 0; i < size;) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - data) : size;
        if (end - i > k + 1 && memcmp(data + i, field, k) == 0 && data[i + k] == ' ') {
            long long v = 0;
            size_t j = i + k + 1;
            if (end - j > 12)
                return -1;
            for (; j < end; j++) {
                if (data[j] < '0' || data[j] > '9')
                    return -1;
                v = v * 10 + (data[j] - '0');
            }
            return v;
        }
        i = end + 1;
    }
    return -1;
}

/* 1 when the file's KDF work is at most the minimum (cheap to run). */
static int kdf_cheap(const uint8_t *data, size_t size)
{
    long long ops = line_number(data, size, "opslimit");
    long long mem = line_number(data, size, "memlimit");
    return ops >= 0 && mem >= 0 && (unsigned long long)ops <= crypto_pwhash_OPSLIMIT_MIN &&
           (unsigned long long)mem <= crypto_pwhash_MEMLIMIT_MIN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const pr_key_kind kinds[] = {PR_KEY_STATION, PR_KEY_COMMISSION};
    static const char pass[] = "fuzz passphrase";
    int is_secret;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    is_secret = pr_is_secret_key_file(data, size);
    for (size_t k = 0; k < 2; k++) {
        uint8_t sk[PR_SK_BYTES] = {0};
        pr_diag d = {0, ""};
        int enc = pr_seckey_is_encrypted(kinds[k], data, size);
        int cheap = kdf_cheap(data, size);
        int rc = pr_seckey_parse(kinds[k], data, size, cheap ? pass : NULL,
                                 cheap ? sizeof pass - 1 : 0, sk, &d);
        if (rc < -4 || rc > 0)
            fuzz_fail("pr_seckey_parse returned %d", rc);
        if (rc == -1 || rc == -3)
            fuzz_check_message("pr_seckey_parse", d.msg);
        if (rc != -1 && !is_secret)
            fuzz_fail("a secret key file (rc %d) that pr_is_secret_key_file misses", rc);
        if (rc == 0 && enc == 0) {
            /* A plain key encodes back to the same bytes. */
            pr_buf b;
            pr_buf_init(&b, PR_FILE_MAX);
            if (pr_seckey_encode(kinds[k], sk, NULL, 0, 0, 0, &b) != 0 || b.len != size ||
                memcmp(b.data, data, size) != 0)
                fuzz_fail("a plain secret key does not encode to the same bytes");
            pr_buf_free(&b);
        }
        if (rc == 0 && enc != 0 && enc != 1)
            fuzz_fail("parsed, but pr_seckey_is_encrypted says %d", enc);
        if (rc != 0) {
            static const uint8_t zero[PR_SK_BYTES];
            if (memcmp(sk, zero, sizeof sk) != 0)
                fuzz_fail("the secret was not wiped after a failure");
        }
        sodium_memzero(sk, sizeof sk);
    }
    return 0;
}
