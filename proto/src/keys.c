/*
 * keys.c: key files, enrolment requests and definition signatures
 * (DESIGN 5.2). Secret keys are plain or Argon2id + XChaCha20-Poly1305;
 * KDF limits read from a file are bounded before any work is done.
 */
#include "proto/keys.h"

#include <sodium.h>
#include <string.h>

#include "lines.h"
#include "proto/alloc.h"

#define B64_LEN(n) sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL)

static const char *pub_magic(pr_key_kind k)
{
    return k == PR_KEY_COMMISSION ? PR_MAGIC_COMMISSION_PUB : PR_MAGIC_STATION_PUB;
}

static const char *sec_magic(pr_key_kind k)
{
    return k == PR_KEY_COMMISSION ? PR_MAGIC_COMMISSION_SEC : PR_MAGIC_STATION_SEC;
}

/* Reads a `key <16 hex>` line and a `public <b64>` line and checks they
 * agree and the point is valid. */
static int key_and_public(pr_lines *c, uint8_t id[PR_KEYID_BYTES], uint8_t pk[PR_PK_BYTES],
                          pr_diag *d)
{
    uint8_t want[PR_KEYID_BYTES];
    if (pr_lines_expect(c, "public", d) || pr_lines_b64(c, pk, PR_PK_BYTES, d))
        return -1;
    if (!pr_pk_valid(pk)) {
        pr_diag_set(d, c->lineno, "public: not a valid Ed25519 public key");
        return -1;
    }
    pr_key_id(want, pk);
    if (memcmp(want, id, PR_KEYID_BYTES) != 0) {
        pr_diag_set(d, c->lineno, "public: key id does not match the public key");
        return -1;
    }
    return 0;
}

int pr_pubkey_encode(pr_key_kind kind, const uint8_t pk[PR_PK_BYTES], pr_buf *out)
{
    char b64[B64_LEN(PR_PK_BYTES)], hex[PR_KEYID_HEX + 1];
    uint8_t id[PR_KEYID_BYTES];
    if (!pr_pk_valid(pk))
        return -1;
    pr_key_id(id, pk);
    pr_hex_encode(hex, id, PR_KEYID_BYTES);
    pr_b64_encode(b64, sizeof b64, pk, PR_PK_BYTES);
    pr_buf_printf(out, "%s\nkey %s\npublic %s\n", pub_magic(kind), hex, b64);
    return out->failed ? -1 : 0;
}

int pr_pubkey_parse(pr_key_kind kind, const uint8_t *buf, size_t len, uint8_t pk[PR_PK_BYTES],
                    pr_diag *d)
{
    pr_lines c;
    uint8_t id[PR_KEYID_BYTES];
    if (pr_lines_check_file(buf, len, d) != 0)
        return -1;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, pub_magic(kind), d) ||
        pr_lines_expect(&c, "key", d) || pr_lines_hex(&c, id, PR_KEYID_BYTES, d) ||
        key_and_public(&c, id, pk, d))
        return -1;
    return pr_lines_expect_end(&c, d);
}

/* 1 if the line at p (n bytes to the end of the buffer) starts with s. */
static int line_starts(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && memcmp(p, s, k) == 0;
}

int pr_is_secret_key_file(const uint8_t *buf, size_t len)
{
    /* Any line (a BOM, CR or other damage around it does not matter) that
     * is a secret key's type line, or a plain `secret ` line: such a file
     * carries key material and must never be stored. Lines of a return
     * never start like that, so no return is mistaken for one. */
    for (size_t i = 0; i < len;) {
        const uint8_t *p = buf + i, *nl = memchr(p, '\n', len - i);
        size_t n = len - i;
        if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
            p += 3;
            n -= 3;
        }
        if (line_starts(p, n, PR_MAGIC_STATION_SEC) || line_starts(p, n, PR_MAGIC_COMMISSION_SEC) ||
            line_starts(p, n, "secret "))
            return 1;
        if (nl == NULL)
            break;
        i = (size_t)(nl - buf) + 1;
    }
    return 0;
}

int pr_seckey_encode(pr_key_kind kind, const uint8_t sk[PR_SK_BYTES], const char *pass,
                     size_t passlen, unsigned long long opslimit, size_t memlimit, pr_buf *out)
{
    char hex[PR_KEYID_HEX + 1];
    uint8_t id[PR_KEYID_BYTES];
    int rc = -1;
    pr_key_id(id, sk + 32);
    pr_hex_encode(hex, id, PR_KEYID_BYTES);
    pr_buf_printf(out, "%s\nkey %s\n", sec_magic(kind), hex);
    if (pass == NULL) {
        char *b64 = pr_secret_malloc(B64_LEN(PR_SK_BYTES));
        if (b64 == NULL)
            return -1;
        pr_b64_encode(b64, B64_LEN(PR_SK_BYTES), sk, PR_SK_BYTES);
        pr_buf_printf(out, "kdf %s\nsecret %s\n", PR_KDF_NONE, b64);
        pr_secret_free(b64);
        return out->failed ? -1 : 0;
    }
    if (opslimit > crypto_pwhash_OPSLIMIT_SENSITIVE || memlimit > PR_MEMLIMIT_MAX)
        return -1;
    {
        uint8_t salt[PR_SALT_BYTES], nonce[PR_NONCE_BYTES], ct[PR_CIPHERTEXT_BYTES];
        char salt64[B64_LEN(PR_SALT_BYTES)], nonce64[B64_LEN(PR_NONCE_BYTES)],
            ct64[B64_LEN(PR_CIPHERTEXT_BYTES)];
        unsigned long long ctlen = 0;
        uint8_t *key = pr_secret_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
        if (key == NULL)
            return -1;
        randombytes_buf(salt, sizeof salt);
        randombytes_buf(nonce, sizeof nonce);
        pr_b64_encode(salt64, sizeof salt64, salt, sizeof salt);
        pr_b64_encode(nonce64, sizeof nonce64, nonce, sizeof nonce);
        pr_buf_printf(out, "kdf %s\nopslimit %llu\nmemlimit %zu\nsalt %s\naead %s\nnonce %s\n",
                      PR_KDF_ARGON2ID, opslimit, memlimit, salt64, PR_AEAD_NAME, nonce64);
        if (out->failed ||
            crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pass, passlen, salt,
                          opslimit, memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
            goto enc_out;
        /* The associated data is every byte before the ciphertext line. */
        crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, sk, PR_SK_BYTES, out->data,
                                                   out->len, NULL, nonce, key);
        pr_b64_encode(ct64, sizeof ct64, ct, sizeof ct);
        pr_buf_printf(out, "ciphertext %s\n", ct64);
        rc = out->failed ? -1 : 0;
    enc_out:
        pr_secret_free(key);
    }
    return rc;
}

int pr_seckey_is_encrypted(pr_key_kind kind, const uint8_t *buf, size_t len)
{
    size_t n = strlen(sec_magic(kind));
    const char *p = (const char *)buf;
    const char *kdf;
    if (len < n + 1 || memcmp(buf, sec_magic(kind), n) != 0 || buf[n] != '\n')
        return -1;
    kdf = memchr(p + n + 1, '\n', len - n - 1); /* end of the key line */
    if (kdf == NULL)
        return -1;
    kdf++;
    if ((size_t)(p + len - kdf) >= 15 && memcmp(kdf, "kdf argon2id13\n", 15) == 0)
        return 1;
    if ((size_t)(p + len - kdf) >= 9 && memcmp(kdf, "kdf none\n", 9) == 0)
        return 0;
    return -1;
}

/* After decoding: the secret key's seed must give its public half, and
 * that public half must have the file's key id. 0, -1 when not, -4 out of
 * memory (not a verdict on the key). */
static int check_secret(const uint8_t sk[PR_SK_BYTES], const uint8_t id[PR_KEYID_BYTES])
{
    uint8_t pk[PR_PK_BYTES], want[PR_KEYID_BYTES];
    uint8_t *sk2 = pr_secret_malloc(PR_SK_BYTES);
    int ok;
    if (sk2 == NULL)
        return -4;
    crypto_sign_seed_keypair(pk, sk2, sk);
    pr_key_id(want, pk);
    ok = sodium_memcmp(sk2, sk, PR_SK_BYTES) == 0 && memcmp(want, id, PR_KEYID_BYTES) == 0 &&
         pr_pk_valid(pk);
    pr_secret_free(sk2);
    return ok ? 0 : -1;
}

int pr_seckey_parse(pr_key_kind kind, const uint8_t *buf, size_t len, const char *pass,
                    size_t passlen, uint8_t sk[PR_SK_BYTES], pr_diag *d)
{
    pr_lines c;
    uint8_t id[PR_KEYID_BYTES];
    int rc = -1;
    if (pr_lines_check_file(buf, len, d) != 0)
        return -1;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, sec_magic(kind), d) || pr_lines_expect(&c, "key", d) ||
        pr_lines_hex(&c, id, PR_KEYID_BYTES, d) || pr_lines_expect(&c, "kdf", d))
        goto out;
    if (c.value_len == strlen(PR_KDF_NONE) && memcmp(c.value, PR_KDF_NONE, c.value_len) == 0) {
        if (pr_lines_expect(&c, "secret", d) || pr_lines_b64(&c, sk, PR_SK_BYTES, d) ||
            pr_lines_expect_end(&c, d))
            goto out;
    } else if (c.value_len == strlen(PR_KDF_ARGON2ID) &&
               memcmp(c.value, PR_KDF_ARGON2ID, c.value_len) == 0) {
        uint64_t ops, mem;
        uint8_t salt[PR_SALT_BYTES], nonce[PR_NONCE_BYTES], ct[PR_CIPHERTEXT_BYTES];
        size_t ad_len;
        uint8_t *key;
        if (pr_lines_expect(&c, "opslimit", d) || pr_lines_number(&c, UINT64_MAX / 2, &ops, d) ||
            pr_lines_expect(&c, "memlimit", d) || pr_lines_number(&c, UINT64_MAX / 2, &mem, d) ||
            pr_lines_expect(&c, "salt", d) || pr_lines_b64(&c, salt, sizeof salt, d) ||
            pr_lines_expect(&c, "aead", d))
            goto out;
        if (c.value_len != strlen(PR_AEAD_NAME) || memcmp(c.value, PR_AEAD_NAME, c.value_len)) {
            pr_diag_set(d, c.lineno, "aead must be %s", PR_AEAD_NAME);
            goto out;
        }
        if (pr_lines_expect(&c, "nonce", d) || pr_lines_b64(&c, nonce, sizeof nonce, d))
            goto out;
        ad_len = c.pos;
        if (pr_lines_expect(&c, "ciphertext", d) || pr_lines_b64(&c, ct, sizeof ct, d) ||
            pr_lines_expect_end(&c, d))
            goto out;
        /* Bound the limits before any work (minisign does not). */
        if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
            mem < crypto_pwhash_MEMLIMIT_MIN || mem > PR_MEMLIMIT_MAX) {
            pr_diag_set(d, 0, "KDF limits out of range (opslimit %llu, memlimit %llu)",
                        (unsigned long long)ops, (unsigned long long)mem);
            rc = -3;
            goto out;
        }
        if (pass == NULL) {
            pr_diag_set(d, 0, "the key is encrypted and no passphrase was given");
            rc = -2;
            goto out;
        }
        key = pr_secret_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
        if (key == NULL) {
            pr_diag_set(d, 0, "out of memory");
            rc = -4;
            goto out;
        }
        if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pass, passlen, salt,
                          ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
            pr_secret_free(key);
            pr_diag_set(d, 0, "out of memory in the key derivation");
            rc = -4;
            goto out;
        }
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(sk, NULL, NULL, ct, sizeof ct, buf, ad_len,
                                                       nonce, key) != 0) {
            pr_secret_free(key);
            pr_diag_set(d, 0, "wrong passphrase or damaged key file");
            rc = -2;
            goto out;
        }
        pr_secret_free(key);
    } else {
        pr_diag_set(d, c.lineno, "kdf must be 'none' or '%s'", PR_KDF_ARGON2ID);
        goto out;
    }
    rc = check_secret(sk, id);
    if (rc == -4) {
        pr_diag_set(d, 0, "out of memory");
        goto out;
    }
    if (rc != 0) {
        rc = -1;
        pr_diag_set(d, 0, "the secret key does not match its key id");
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        sodium_memzero(sk, PR_SK_BYTES);
    return rc;
}

/* ---- enrolment requests ---------------------------------------------- */

int pr_enrolment_sign(pr_enrolment *e, const uint8_t sk[PR_SK_BYTES], pr_buf *out, pr_diag *d)
{
    char hex[PR_HASH_HEX + 1], b64[B64_LEN(PR_SIG_BYTES)], t[PR_TIME_LEN + 1];
    pr_buf_init(out, PR_FILE_MAX);
    memcpy(e->pk, sk + 32, PR_PK_BYTES);
    pr_key_id(e->key_id, e->pk);
    if (!pr_is_id(e->election, strlen(e->election)) || e->n_precincts == 0 ||
        e->n_precincts > PR_ENROL_PRECINCTS_MAX || pr_format_time(e->created, t) != 0) {
        pr_diag_set(d, 0, "bad election id, precinct list or creation time");
        goto fail;
    }
    pr_hex_encode(hex, e->definition, PR_HASH_BYTES);
    pr_buf_printf(out, "%s\nelection %s\ndefinition %s\n", PR_MAGIC_ENROLMENT, e->election, hex);
    for (size_t i = 0; i < e->n_precincts; i++) {
        if (!pr_is_id(e->precincts[i], strlen(e->precincts[i])) ||
            (i > 0 && strcmp(e->precincts[i - 1], e->precincts[i]) >= 0)) {
            pr_diag_set(d, 0, "precincts must be ids, ascending and distinct");
            goto fail;
        }
        pr_buf_printf(out, "precinct %s\n", e->precincts[i]);
    }
    pr_b64_encode(b64, sizeof b64, e->pk, PR_PK_BYTES);
    pr_hex_encode(hex, e->key_id, PR_KEYID_BYTES);
    pr_buf_printf(out, "public %s\ncreated %s\nkey %s\n", b64, t, hex);
    if (out->failed)
        goto fail;
    e->signed_len = out->len;
    crypto_sign_detached(e->signature, NULL, out->data, out->len, sk);
    pr_b64_encode(b64, sizeof b64, e->signature, PR_SIG_BYTES);
    pr_buf_printf(out, "signature %s\n", b64);
    if (out->failed)
        goto fail;
    return 0;
fail:
    pr_buf_free(out);
    return -1;
}

static int parse_enrolment(const uint8_t *buf, size_t len, pr_enrolment *e, pr_diag *d,
                           int check_point)
{
    pr_lines c;
    uint8_t want[PR_KEYID_BYTES];
    memset(e, 0, sizeof *e);
    if (pr_lines_check_file(buf, len, d) != 0)
        return -1;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, PR_MAGIC_ENROLMENT, d) || pr_lines_expect(&c, "election", d) ||
        pr_lines_id(&c, e->election, d) || pr_lines_expect(&c, "definition", d) ||
        pr_lines_hex(&c, e->definition, PR_HASH_BYTES, d))
        return -1;
    do {
        if (e->n_precincts == PR_ENROL_PRECINCTS_MAX) {
            pr_diag_set(d, c.lineno + 1, "more than %u precincts", PR_ENROL_PRECINCTS_MAX);
            return -1;
        }
        if (pr_lines_expect(&c, "precinct", d) || pr_lines_id(&c, e->precincts[e->n_precincts], d))
            return -1;
        if (e->n_precincts > 0 &&
            strcmp(e->precincts[e->n_precincts - 1], e->precincts[e->n_precincts]) >= 0) {
            pr_diag_set(d, c.lineno, "precinct: must be ascending and distinct");
            return -1;
        }
        e->n_precincts++;
    } while (pr_lines_peek(&c, "precinct"));
    if (pr_lines_expect(&c, "public", d) || pr_lines_b64(&c, e->pk, PR_PK_BYTES, d))
        return -1;
    if (check_point && !pr_pk_valid(e->pk)) {
        pr_diag_set(d, c.lineno, "public: not a valid Ed25519 public key");
        return -1;
    }
    if (pr_lines_expect(&c, "created", d) || pr_lines_time(&c, &e->created, d) ||
        pr_lines_expect(&c, "key", d) || pr_lines_hex(&c, e->key_id, PR_KEYID_BYTES, d))
        return -1;
    pr_key_id(want, e->pk);
    if (memcmp(want, e->key_id, PR_KEYID_BYTES) != 0) {
        pr_diag_set(d, c.lineno, "key: does not match the public key");
        return -1;
    }
    e->signed_len = c.pos;
    if (pr_lines_expect(&c, "signature", d) || pr_lines_b64(&c, e->signature, PR_SIG_BYTES, d))
        return -1;
    return pr_lines_expect_end(&c, d);
}

int pr_enrolment_parse(const uint8_t *buf, size_t len, pr_enrolment *e, pr_diag *d)
{
    return parse_enrolment(buf, len, e, d, 1);
}

int pr_enrolment_reparse(const uint8_t *buf, size_t len, pr_enrolment *e, pr_diag *d)
{
    return parse_enrolment(buf, len, e, d, 0);
}

int pr_enrolment_verify_parsed(const uint8_t *buf, const pr_enrolment *e)
{
    return crypto_sign_verify_detached(e->signature, buf, e->signed_len, e->pk) == 0 ? 0 : -1;
}

int pr_enrolment_verify(const uint8_t *buf, const pr_enrolment *e)
{
    if (!pr_pk_valid(e->pk))
        return -1;
    return pr_enrolment_verify_parsed(buf, e);
}

/* ---- definition signatures --------------------------------------------- */

int pr_defsig_sign(const uint8_t def_hash[PR_HASH_BYTES], const uint8_t sk[PR_SK_BYTES],
                   pr_buf *out)
{
    char hex[PR_HASH_HEX + 1], b64[B64_LEN(PR_SIG_BYTES)];
    uint8_t id[PR_KEYID_BYTES], sig[PR_SIG_BYTES];
    pr_buf_init(out, PR_FILE_MAX);
    pr_hex_encode(hex, def_hash, PR_HASH_BYTES);
    pr_buf_printf(out, "%s\ndefinition %s\n", PR_MAGIC_DEFSIG, hex);
    pr_key_id(id, sk + 32);
    pr_hex_encode(hex, id, PR_KEYID_BYTES);
    pr_buf_printf(out, "key %s\n", hex);
    if (out->failed)
        goto fail;
    crypto_sign_detached(sig, NULL, out->data, out->len, sk);
    pr_b64_encode(b64, sizeof b64, sig, PR_SIG_BYTES);
    pr_buf_printf(out, "signature %s\n", b64);
    if (out->failed)
        goto fail;
    return 0;
fail:
    pr_buf_free(out);
    return -1;
}

int pr_defsig_parse(const uint8_t *buf, size_t len, pr_defsig *s, pr_diag *d)
{
    pr_lines c;
    memset(s, 0, sizeof *s);
    if (pr_lines_check_file(buf, len, d) != 0)
        return -1;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, PR_MAGIC_DEFSIG, d) || pr_lines_expect(&c, "definition", d) ||
        pr_lines_hex(&c, s->definition, PR_HASH_BYTES, d) || pr_lines_expect(&c, "key", d) ||
        pr_lines_hex(&c, s->key_id, PR_KEYID_BYTES, d))
        return -1;
    s->signed_len = c.pos;
    if (pr_lines_expect(&c, "signature", d) || pr_lines_b64(&c, s->signature, PR_SIG_BYTES, d))
        return -1;
    return pr_lines_expect_end(&c, d);
}

int pr_defsig_verify(const uint8_t *buf, const pr_defsig *s, const uint8_t def_hash[PR_HASH_BYTES],
                     const uint8_t pk[PR_PK_BYTES], pr_diag *d)
{
    uint8_t id[PR_KEYID_BYTES];
    if (memcmp(s->definition, def_hash, PR_HASH_BYTES) != 0) {
        pr_diag_set(d, 0, "the signature is for another definition (hash differs)");
        return -1;
    }
    pr_key_id(id, pk);
    if (!pr_pk_valid(pk) || memcmp(id, s->key_id, PR_KEYID_BYTES) != 0) {
        pr_diag_set(d, 0, "signed by another commission key");
        return -1;
    }
    if (crypto_sign_verify_detached(s->signature, buf, s->signed_len, pk) != 0) {
        pr_diag_set(d, 0, "bad signature");
        return -1;
    }
    return 0;
}
