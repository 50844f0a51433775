/*
 * keys.h: public and secret key files of stations and the commission,
 * enrolment requests and definition signatures (DESIGN 5.2).
 */
#ifndef PROTO_KEYS_H
#define PROTO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/codec.h"
#include "proto/limits.h"

/* Whose key a file holds: selects the type line. */
typedef enum { PR_KEY_STATION = 0, PR_KEY_COMMISSION = 1 } pr_key_kind;

/* --- public key files ------------------------------------------------- */

/* Writes `<kind>-public-key 1`, key id and public key into out. 0 or -1. */
PR_WARN_UNUSED int pr_pubkey_encode(pr_key_kind kind, const uint8_t pk[PR_PK_BYTES], pr_buf *out);

/* Parses a public key file of the given kind; checks the key id matches the
 * key and that the key is a valid point. 0, or -1 with d set. */
PR_WARN_UNUSED int pr_pubkey_parse(pr_key_kind kind, const uint8_t *buf, size_t len,
                                   uint8_t pk[PR_PK_BYTES], pr_diag *d);

/* --- secret key files ------------------------------------------------- */

/* Encodes a secret key (64-byte libsodium form). With pass == NULL the file
 * is plain (`kdf none`); otherwise Argon2id13 with opslimit/memlimit and a
 * random salt, XChaCha20-Poly1305-IETF with a random nonce, the associated
 * data being every byte before the `ciphertext` line. 0, or -1. */
PR_WARN_UNUSED int pr_seckey_encode(pr_key_kind kind, const uint8_t sk[PR_SK_BYTES],
                                    const char *pass, size_t passlen,
                                    unsigned long long opslimit, size_t memlimit, pr_buf *out);

/* 1 if buf holds an encrypted secret key of that kind (needs a passphrase),
 * 0 if plain, -1 if not a secret key file of that kind at all. */
int pr_seckey_is_encrypted(pr_key_kind kind, const uint8_t *buf, size_t len);

/* Parses (and for an encrypted file, decrypts with pass) a secret key into
 * sk (caller-provided, ideally sodium_malloc'd; wiped on failure).
 * Returns 0; -1 malformed (d set); -2 wrong passphrase or tampered file;
 * -3 KDF limits above crypto_pwhash_OPSLIMIT_SENSITIVE or 1 GiB (refused
 * before use); -4 out of memory (in the KDF, or for the guarded copy that
 * checks the key). After decryption the public half must match the `key`
 * line (else -1). */
PR_WARN_UNUSED int pr_seckey_parse(pr_key_kind kind, const uint8_t *buf, size_t len,
                                   const char *pass, size_t passlen, uint8_t sk[PR_SK_BYTES],
                                   pr_diag *d);

/* 1 if any line of the bytes (after an optional BOM) begins with either
 * secret key type line or with `secret `: a secret key, alone, damaged
 * (CRLF, BOM) or appended to another file. Else 0. */
int pr_is_secret_key_file(const uint8_t *buf, size_t len);

/* --- enrolment requests ------------------------------------------------ */

typedef struct pr_enrolment {
    char election[PR_ID_MAX + 1];
    uint8_t definition[PR_HASH_BYTES];
    size_t n_precincts;                             /* >= 1, ascending */
    char precincts[PR_ENROL_PRECINCTS_MAX][PR_ID_MAX + 1];
    uint8_t pk[PR_PK_BYTES];
    int64_t created;
    uint8_t key_id[PR_KEYID_BYTES];
    uint8_t signature[PR_SIG_BYTES];
    size_t signed_len;
} pr_enrolment;

/* Signs e with sk (sets pk, key_id, signature from it) and writes the file
 * into out. Precincts must be ascending and distinct. 0, or -1 with d. */
PR_WARN_UNUSED int pr_enrolment_sign(pr_enrolment *e, const uint8_t sk[PR_SK_BYTES], pr_buf *out,
                                     pr_diag *d);
/* Parses strictly (key id must match the public key). 0, or -1 with d. */
PR_WARN_UNUSED int pr_enrolment_parse(const uint8_t *buf, size_t len, pr_enrolment *out,
                                      pr_diag *d);
/* pr_enrolment_parse without its costliest step, the check that the key
 * is a valid point: only for bytes that pr_enrolment_parse accepted a
 * moment before, in the same process (issue 8: bulk enrolment parses each
 * request twice, on a worker thread and in the transaction). 0, or -1 with
 * d. */
PR_WARN_UNUSED int pr_enrolment_reparse(const uint8_t *buf, size_t len, pr_enrolment *out,
                                        pr_diag *d);
/* Proof of possession: the request's own key signed it. 0 valid, -1 not. */
PR_WARN_UNUSED int pr_enrolment_verify(const uint8_t *buf, const pr_enrolment *e);
/* The same for an e just filled by pr_enrolment_parse from buf, which has
 * checked that the key is a valid point (in the prime-order subgroup): that
 * check, as costly as the signature's, is not repeated (issue 8: bulk
 * enrolment and audit). 0 valid, -1 not. */
PR_WARN_UNUSED int pr_enrolment_verify_parsed(const uint8_t *buf, const pr_enrolment *e);

/* --- definition signatures --------------------------------------------- */

typedef struct pr_defsig {
    uint8_t definition[PR_HASH_BYTES];
    uint8_t key_id[PR_KEYID_BYTES];
    uint8_t signature[PR_SIG_BYTES];
    size_t signed_len;
} pr_defsig;

/* Signs the definition hash with the commission secret key, writes DEF.sig
 * bytes into out. 0, or -1. */
PR_WARN_UNUSED int pr_defsig_sign(const uint8_t def_hash[PR_HASH_BYTES],
                                  const uint8_t sk[PR_SK_BYTES], pr_buf *out);
/* Parses strictly. 0, or -1 with d. */
PR_WARN_UNUSED int pr_defsig_parse(const uint8_t *buf, size_t len, pr_defsig *out, pr_diag *d);
/* Verifies a parsed signature file: the hash equals def_hash, the key id is
 * pk's, and the signature is valid. 0 valid; -1 with d naming why. */
PR_WARN_UNUSED int pr_defsig_verify(const uint8_t *buf, const pr_defsig *s,
                                    const uint8_t def_hash[PR_HASH_BYTES],
                                    const uint8_t pk[PR_PK_BYTES], pr_diag *d);

#endif
