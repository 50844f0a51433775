/*
 * codec.h: the primitive field codecs every format shares (DESIGN 5): ids,
 * counts, times, reason text, lowercase hex, canonical base64, hashes and
 * key ids. All functions are pure; none allocates, prints or exits.
 */
#ifndef PROTO_CODEC_H
#define PROTO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/limits.h"

#if defined(__GNUC__)
#define PR_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define PR_WARN_UNUSED
#endif

/* A small diagnostic: which line of the input (1-based, 0 when not about a
 * line) and which rule was broken, as one line of text without a newline.
 * Filled by parsers on failure; untouched on success. */
typedef struct pr_diag {
    unsigned line;
    char msg[192];
} pr_diag;

/* Sets d->line and formats d->msg (printf-style). d may be NULL. */
void pr_diag_set(pr_diag *d, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 if s[0..len) is an id ([a-z0-9][a-z0-9._-]{0,63}), else 0. */
int pr_is_id(const char *s, size_t len);

/* Parses a count (decimal, no sign, no leading zeros, <= PR_COUNT_MAX) from
 * exactly s[0..len). 0 and *out set on success; -1 otherwise. */
PR_WARN_UNUSED int pr_parse_count(const char *s, size_t len, uint64_t *out);

/* Parses a time YYYY-MM-DDTHH:MM:SSZ (UTC, years 2000-2099, valid Gregorian
 * date) from exactly s[0..len) into seconds since 1970-01-01T00:00:00Z.
 * 0 on success, -1 otherwise. */
PR_WARN_UNUSED int pr_parse_time(const char *s, size_t len, int64_t *out);

/* Formats t (seconds since the epoch, within 2000-2099) as
 * YYYY-MM-DDTHH:MM:SSZ into out (at least PR_TIME_LEN + 1 bytes).
 * 0 on success, -1 when t is out of range. */
PR_WARN_UNUSED int pr_format_time(int64_t t, char out[PR_TIME_LEN + 1]);

/* 1 if s[0..len) is a valid reason text (DESIGN 5 "text": 1-200 bytes of
 * shortest-form UTF-8, no surrogates, C0, DEL, C1, U+2028/U+2029 or bidi
 * controls, no leading or trailing space), else 0. Beyond DESIGN
 * (docs/DECISIONS.md): U+FEFF and noncharacters are refused too, and
 * "space" includes Unicode spaces such as U+00A0 and U+3000. */
int pr_is_text(const char *s, size_t len);

/* The same rules for a display name of the definition (party, area,
 * contest, candidate, precinct, line), up to PR_NAME_MAX bytes, so no name
 * can carry a terminal control or a bidirectional override. */
int pr_is_name(const char *s, size_t len);

/* Decodes the shortest-form UTF-8 scalar at s[*i..len) and advances *i
 * past it; returns the code point, or -1 (and leaves *i) when the bytes
 * there are not valid UTF-8 (overlong, surrogate, truncated, > U+10FFFF). */
long pr_utf8_next(const char *s, size_t len, size_t *i);

/* 1 if code point cp may be printed as is in a text or name (see
 * pr_is_text), 0 for controls, bidi controls, U+FEFF, noncharacters, -1. */
int pr_cp_printable(long cp);

/* Decodes exactly `hexlen` lowercase hex digits into bin (hexlen / 2 bytes).
 * 0 on success, -1 on any other character or length. */
PR_WARN_UNUSED int pr_hex_decode(uint8_t *bin, size_t binlen, const char *hex, size_t hexlen);

/* Writes 2*len lowercase hex digits and a NUL into out. */
void pr_hex_encode(char *out, const uint8_t *bin, size_t len);

/* Decodes canonical padded standard base64 (whole input, libsodium
 * sodium_base642bin, re-encoded and compared) into exactly binlen bytes.
 * 0 on success, -1 otherwise. */
PR_WARN_UNUSED int pr_b64_decode(uint8_t *bin, size_t binlen, const char *b64, size_t b64len);

/* Writes the padded standard base64 of bin and a NUL into out; out must hold
 * sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL) bytes. */
void pr_b64_encode(char *out, size_t outlen, const uint8_t *bin, size_t len);

/* BLAKE2b-256 (unkeyed) of buf[0..len) into out. */
void pr_hash(uint8_t out[PR_HASH_BYTES], const uint8_t *buf, size_t len);

/* Key id of an Ed25519 public key: first 8 bytes of BLAKE2b-256(pk). */
void pr_key_id(uint8_t out[PR_KEYID_BYTES], const uint8_t pk[PR_PK_BYTES]);

/* 1 if pk is a valid Ed25519 point accepted everywhere (libsodium
 * crypto_core_ed25519_is_valid_point), else 0. */
int pr_pk_valid(const uint8_t pk[PR_PK_BYTES]);

/* Initialises libsodium; 0 on success, -1 on failure. Safe to call often. */
PR_WARN_UNUSED int pr_init(void);

#endif
