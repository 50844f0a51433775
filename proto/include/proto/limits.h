/*
 * limits.h: every limit, magic line and tag of the file formats, named once.
 * Source: DESIGN.md section 5 (text file formats). Change a number here and
 * the parsers, encoders and tests follow.
 */
#ifndef PROTO_LIMITS_H
#define PROTO_LIMITS_H

/* Largest signed or key file, in bytes (DESIGN 5). */
#define PR_FILE_MAX 65536u
/* Largest count value (DESIGN 5 "count"). */
#define PR_COUNT_MAX 1000000000ull
/* Longest id: [a-z0-9][a-z0-9._-]{0,63} (DESIGN 5 "id"). */
#define PR_ID_MAX 64u
/* Longest reason text, in bytes (DESIGN 5 "text"). */
#define PR_TEXT_MAX 200u
/* Longest display name in a definition, in bytes (docs/DEFINITION.md). */
#define PR_NAME_MAX 1024u
/* Evidence lines per return (DESIGN 5.1). */
#define PR_EVIDENCE_MAX 8u
/* Largest scan of a paper protocol an evidence line may name: `station
 * record --evidence` refuses a larger one and `central import --evidence`
 * does not store it (docs/DECISIONS.md, issue 7 "Evidence"). A page as
 * JPEG, PNG or PDF at 300 dpi is a few MiB. */
#define PR_EVIDENCE_SCAN_MAX (16u * 1024u * 1024u)
/* Project caps (docs/DECISIONS.md): protocol lines and candidates per
 * contest, precincts per operator key. */
#define PR_LINES_MAX 64u
#define PR_CANDIDATES_MAX 256u
#define PR_ENROL_PRECINCTS_MAX 256u

/* Byte sizes of the cryptographic objects (libsodium Ed25519, BLAKE2b). */
#define PR_HASH_BYTES 32u      /* BLAKE2b-256 */
#define PR_HASH_HEX 64u
#define PR_KEYID_BYTES 8u      /* first 8 bytes of BLAKE2b-256(pk) */
#define PR_KEYID_HEX 16u
#define PR_PK_BYTES 32u
#define PR_SK_BYTES 64u
#define PR_SIG_BYTES 64u
#define PR_TIME_LEN 20u        /* YYYY-MM-DDTHH:MM:SSZ */

/* Type lines (first line of each file), without the LF. */
#define PR_MAGIC_RETURN "precinct-return 1"
#define PR_MAGIC_STATION_PUB "station-public-key 1"
#define PR_MAGIC_COMMISSION_PUB "commission-public-key 1"
#define PR_MAGIC_STATION_SEC "station-secret-key 1"
#define PR_MAGIC_COMMISSION_SEC "commission-secret-key 1"
#define PR_MAGIC_ENROLMENT "station-enrolment 1"
#define PR_MAGIC_DEFSIG "election-definition-signature 1"
/* Prefix that marks a file as a return for `central import` (DESIGN 9). */
#define PR_RETURN_PREFIX "precinct-return "

/* Secret-key encryption (DESIGN 5.2). Limits above these are refused
 * before any work is done. */
#define PR_KDF_ARGON2ID "argon2id13"
#define PR_KDF_NONE "none"
#define PR_AEAD_NAME "xchacha20poly1305-ietf"
#define PR_SALT_BYTES 16u
#define PR_NONCE_BYTES 24u
#define PR_CIPHERTEXT_BYTES 80u /* 64-byte secret + 16-byte tag */
#define PR_MEMLIMIT_MAX (1024ull * 1024ull * 1024ull)

#endif
