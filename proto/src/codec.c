/*
 * codec.c: field codecs shared by every format (DESIGN 5): ids, counts,
 * times, reason text, lowercase hex, canonical base64, hashes, key ids.
 * Each accepts exactly one spelling per value ("one byte string per meaning").
 */
#include "proto/codec.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pr_diag_set(pr_diag *d, unsigned line, const char *fmt, ...)
{
    va_list ap;
    if (d == NULL)
        return;
    d->line = line;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

int pr_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int pr_is_id(const char *s, size_t len)
{
    if (len == 0 || len > PR_ID_MAX || !is_lower_alnum(s[0]))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return 0;
    return 1;
}

int pr_parse_count(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    /* 10 digits is the longest count (1000000000); checking the length
     * first means the accumulation below can never overflow. */
    if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10u + (uint64_t)(s[i] - '0');
    }
    if (v > PR_COUNT_MAX)
        return -1;
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153u * (m + (m > 2 ? (unsigned)-3 : 9u)) + 2u) / 5u + d - 1u;
    const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10u + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int pr_parse_time(const char *s, size_t len, int64_t *out)
{
    unsigned y, mo, d, h, mi, se;
    if (len != PR_TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return -1;
    if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
        h > 23 || mi > 59 || se > 59)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se;
    return 0;
}

int pr_format_time(int64_t t, char out[PR_TIME_LEN + 1])
{
    /* civil_from_days, the inverse of days_from_civil. */
    if (t < days_from_civil(2000, 1, 1) * 86400 || t >= days_from_civil(2100, 1, 1) * 86400)
        return -1;
    int64_t days = t / 86400, secs = t % 86400;
    days += 719468;
    const int64_t era = days / 146097;
    const unsigned doe = (unsigned)(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    const unsigned doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    const unsigned mp = (5u * doy + 2u) / 153u;
    const unsigned d = doy - (153u * mp + 2u) / 5u + 1u;
    const unsigned m = mp < 10 ? mp + 3u : mp - 9u;
    const int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    char tmp[64]; /* wide enough for any unsigned fields, to keep gcc's checker quiet */
    const unsigned s = (unsigned)secs;
    snprintf(tmp, sizeof tmp, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y, m, d, s / 3600u,
             s / 60u % 60u, s % 60u);
    memcpy(out, tmp, PR_TIME_LEN);
    out[PR_TIME_LEN] = '\0';
    return 0;
}

/* Decodes one shortest-form UTF-8 scalar at s[*i..len); -1 when invalid. */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    unsigned long cp;
    size_t n;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        cp = c & 0x07u;
    } else {
        return -1;
    }
    if (len - *i <= n)
        return -1;
    for (size_t k = 1; k <= n; k++) {
        unsigned char cc = s[*i + k];
        if ((cc & 0xc0u) != 0x80u)
            return -1;
        cp = (cp << 6) | (cc & 0x3fu);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += n + 1;
    return (long)cp;
}

/* The first code point of s (or -1). */
static long utf8_first(const unsigned char *s, size_t len)
{
    size_t i = 0;
    return utf8_next(s, len, &i);
}

/* 1 for the code points no printed text of ours may carry: C0, DEL, C1,
 * U+2028/U+2029, bidirectional controls (DESIGN 5 "text"), and, beyond
 * DESIGN (docs/DECISIONS.md), U+FEFF and noncharacters, which render as
 * nothing or as garbage and could hide a difference. */
static int forbidden_cp(long cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff ||
           (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

/* 1 for Unicode white space (Zs and U+0085 aside): a reason may not start
 * or end with one, so two texts cannot differ only by invisible padding. */
static int space_cp(long cp)
{
    return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static int text_ok(const char *s, size_t len, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    long cp = 0;
    if (len == 0 || len > max || space_cp(utf8_first(u, len)))
        return 0; /* empty, too long, or leading space */
    for (size_t i = 0; i < len;) {
        cp = utf8_next(u, len, &i);
        if (cp < 0 || forbidden_cp(cp))
            return 0;
    }
    return !space_cp(cp); /* no trailing space */
}

long pr_utf8_next(const char *s, size_t len, size_t *i)
{
    return utf8_next((const unsigned char *)s, len, i);
}

int pr_cp_printable(long cp)
{
    return cp >= 0 && !forbidden_cp(cp);
}

int pr_is_text(const char *s, size_t len)
{
    return text_ok(s, len, PR_TEXT_MAX);
}

int pr_is_name(const char *s, size_t len)
{
    return text_ok(s, len, PR_NAME_MAX);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int pr_hex_decode(uint8_t *bin, size_t binlen, const char *hex, size_t hexlen)
{
    if (hexlen != binlen * 2)
        return -1;
    for (size_t i = 0; i < binlen; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        bin[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void pr_hex_encode(char *out, const uint8_t *bin, size_t len)
{
    static const char digitset[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digitset[bin[i] >> 4];
        out[2 * i + 1] = digitset[bin[i] & 15];
    }
    out[2 * len] = '\0';
}

int pr_b64_decode(uint8_t *bin, size_t binlen, const char *b64, size_t b64len)
{
    char again[sodium_base64_ENCODED_LEN(PR_CIPHERTEXT_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    size_t got = 0;
    if (b64len != sodium_base64_ENCODED_LEN(binlen, sodium_base64_VARIANT_ORIGINAL) - 1 ||
        binlen > PR_CIPHERTEXT_BYTES)
        return -1;
    /* Whole-input mode: no ignore set, no end pointer. */
    if (sodium_base642bin(bin, binlen, b64, b64len, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != binlen)
        return -1;
    /* Second guard: only the canonical spelling re-encodes to itself. */
    sodium_bin2base64(again, sizeof again, bin, binlen, sodium_base64_VARIANT_ORIGINAL);
    if (strlen(again) != b64len || memcmp(again, b64, b64len) != 0)
        return -1;
    return 0;
}

void pr_b64_encode(char *out, size_t outlen, const uint8_t *bin, size_t len)
{
    sodium_bin2base64(out, outlen, bin, len, sodium_base64_VARIANT_ORIGINAL);
}

void pr_hash(uint8_t out[PR_HASH_BYTES], const uint8_t *buf, size_t len)
{
    crypto_generichash(out, PR_HASH_BYTES, buf, len, NULL, 0);
}

void pr_key_id(uint8_t out[PR_KEYID_BYTES], const uint8_t pk[PR_PK_BYTES])
{
    uint8_t h[PR_HASH_BYTES];
    pr_hash(h, pk, PR_PK_BYTES);
    memcpy(out, h, PR_KEYID_BYTES);
}

int pr_pk_valid(const uint8_t pk[PR_PK_BYTES])
{
    return crypto_core_ed25519_is_valid_point(pk) == 1;
}
