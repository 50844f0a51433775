/*
 * lines.c: the bounded line cursor behind every text parser (see lines.h).
 */
#include "lines.h"

#include <sodium.h>
#include <string.h>

#include "proto/limits.h"

void pr_lines_init(pr_lines *c, const uint8_t *buf, size_t len)
{
    memset(c, 0, sizeof *c);
    c->buf = (const char *)buf;
    c->len = len;
}

int pr_lines_done(const pr_lines *c)
{
    return c->pos == c->len;
}

int pr_lines_check_file(const uint8_t *buf, size_t len, pr_diag *d)
{
    return pr_lines_check_file_max(buf, len, PR_FILE_MAX, d);
}

int pr_lines_check_file_max(const uint8_t *buf, size_t len, size_t max, pr_diag *d)
{
    unsigned line = 1;
    if (len == 0) {
        pr_diag_set(d, 0, "empty file");
        return -1;
    }
    if (len > max) {
        pr_diag_set(d, 0, "file is larger than %zu bytes", max);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t b = buf[i];
        if (b == '\n') {
            if (i > 0 && buf[i - 1] == ' ') {
                pr_diag_set(d, line, "trailing space");
                return -1;
            }
            line++;
        } else if (b == '\0' || b == '\r' || b == '\t') {
            pr_diag_set(d, line, "forbidden byte 0x%02x (NUL, CR and tab are not allowed)", b);
            return -1;
        }
    }
    if (buf[len - 1] != '\n') {
        pr_diag_set(d, line, "last line does not end with LF");
        return -1;
    }
    return 0;
}

static int next(pr_lines *c, pr_diag *d)
{
    const char *nl;
    if (c->pos >= c->len) {
        pr_diag_set(d, c->lineno + 1, "unexpected end of file");
        return -1;
    }
    nl = memchr(c->buf + c->pos, '\n', c->len - c->pos);
    if (nl == NULL) {
        pr_diag_set(d, c->lineno + 1, "last line does not end with LF");
        return -1;
    }
    c->lineno++;
    c->line_start = c->pos;
    c->line = c->buf + c->pos;
    c->line_len = (size_t)(nl - c->line);
    c->pos += c->line_len + 1;
    return 0;
}

int pr_lines_expect_exact(pr_lines *c, const char *text, pr_diag *d)
{
    size_t n = strlen(text);
    if (next(c, d) != 0)
        return -1;
    if (c->line_len != n || memcmp(c->line, text, n) != 0) {
        pr_diag_set(d, c->lineno, "expected '%s'", text);
        return -1;
    }
    return 0;
}

int pr_lines_peek(const pr_lines *c, const char *field)
{
    size_t n = strlen(field);
    return c->len - c->pos > n && memcmp(c->buf + c->pos, field, n) == 0 &&
           c->buf[c->pos + n] == ' ';
}

int pr_lines_expect(pr_lines *c, const char *field, pr_diag *d)
{
    size_t n = strlen(field);
    if (next(c, d) != 0)
        return -1;
    if (c->line_len <= n + 1 || memcmp(c->line, field, n) != 0 || c->line[n] != ' ') {
        size_t show = 0;
        while (show < c->line_len && show < 24 && c->line[show] != ' ' &&
               (unsigned char)c->line[show] >= 0x20 && (unsigned char)c->line[show] < 0x7f)
            show++;
        pr_diag_set(d, c->lineno, "expected field '%s', found '%.*s'", field, (int)show,
                    c->line);
        return -1;
    }
    c->value = c->line + n + 1;
    c->value_len = c->line_len - n - 1;
    if (c->value[0] == ' ') {
        pr_diag_set(d, c->lineno, "%s: more than one space after the field name", field);
        return -1;
    }
    return 0;
}

int pr_lines_two(const pr_lines *c, const char **a, size_t *alen, const char **b, size_t *blen,
                 pr_diag *d)
{
    const char *sp = memchr(c->value, ' ', c->value_len);
    if (sp == NULL || sp == c->value || memchr(sp + 1, ' ', c->value_len - (size_t)(sp + 1 - c->value))) {
        pr_diag_set(d, c->lineno, "expected exactly two values separated by one space");
        return -1;
    }
    *a = c->value;
    *alen = (size_t)(sp - c->value);
    *b = sp + 1;
    *blen = c->value_len - *alen - 1;
    if (*blen == 0) {
        pr_diag_set(d, c->lineno, "missing second value");
        return -1;
    }
    return 0;
}

int pr_lines_id(const pr_lines *c, char *out, pr_diag *d)
{
    if (!pr_is_id(c->value, c->value_len)) {
        pr_diag_set(d, c->lineno, "not an id ([a-z0-9][a-z0-9._-]{0,63})");
        return -1;
    }
    memcpy(out, c->value, c->value_len);
    out[c->value_len] = '\0';
    return 0;
}

int pr_lines_hex(const pr_lines *c, uint8_t *out, size_t outlen, pr_diag *d)
{
    if (pr_hex_decode(out, outlen, c->value, c->value_len) != 0) {
        pr_diag_set(d, c->lineno, "expected %zu lowercase hex digits", outlen * 2);
        return -1;
    }
    return 0;
}

int pr_lines_b64(const pr_lines *c, uint8_t *out, size_t outlen, pr_diag *d)
{
    if (pr_b64_decode(out, outlen, c->value, c->value_len) != 0) {
        pr_diag_set(d, c->lineno, "expected canonical padded base64 of %zu bytes", outlen);
        return -1;
    }
    return 0;
}

int pr_lines_time(const pr_lines *c, int64_t *out, pr_diag *d)
{
    if (pr_parse_time(c->value, c->value_len, out) != 0) {
        pr_diag_set(d, c->lineno, "not a time YYYY-MM-DDTHH:MM:SSZ (UTC, 2000-2099, valid date)");
        return -1;
    }
    return 0;
}

int pr_lines_count(const pr_lines *c, uint64_t *out, pr_diag *d)
{
    if (pr_parse_count(c->value, c->value_len, out) != 0) {
        pr_diag_set(d, c->lineno,
                    "not a count (decimal, no sign, no leading zeros, at most 1000000000)");
        return -1;
    }
    return 0;
}

int pr_lines_number(const pr_lines *c, uint64_t max, uint64_t *out, pr_diag *d)
{
    uint64_t v = 0;
    if (c->value_len == 0 || c->value_len > 19 || (c->value_len > 1 && c->value[0] == '0'))
        goto bad;
    for (size_t i = 0; i < c->value_len; i++) {
        if (c->value[i] < '0' || c->value[i] > '9')
            goto bad;
        v = v * 10u + (uint64_t)(c->value[i] - '0');
    }
    if (v > max) {
        pr_diag_set(d, c->lineno, "value %llu is above the limit %llu", (unsigned long long)v,
                    (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
bad:
    pr_diag_set(d, c->lineno, "not a decimal number without leading zeros");
    return -1;
}

int pr_lines_expect_end(pr_lines *c, pr_diag *d)
{
    if (c->pos != c->len) {
        pr_diag_set(d, c->lineno + 1, "unexpected line after the end of the object");
        return -1;
    }
    return 0;
}

int pr_lines_signed_tail(pr_lines *c, int64_t *time, uint8_t *key_id, size_t *signed_len,
                         uint8_t *signature, pr_diag *d)
{
    if (pr_lines_expect(c, "time", d) || pr_lines_time(c, time, d) ||
        pr_lines_expect(c, "key", d) || pr_lines_hex(c, key_id, PR_KEYID_BYTES, d))
        return -1;
    *signed_len = c->pos;
    if (pr_lines_expect(c, "signature", d) || pr_lines_b64(c, signature, PR_SIG_BYTES, d) ||
        pr_lines_expect_end(c, d))
        return -1;
    return 0;
}

int pr_commission_verify(const uint8_t *buf, size_t signed_len, const uint8_t *key_id,
                         const uint8_t *signature, const uint8_t pk[PR_PK_BYTES], pr_diag *d)
{
    uint8_t id[PR_KEYID_BYTES];

    pr_key_id(id, pk);
    if (!pr_pk_valid(pk) || memcmp(id, key_id, PR_KEYID_BYTES) != 0) {
        pr_diag_set(d, 0, "signed by another commission key");
        return -1;
    }
    if (crypto_sign_verify_detached(signature, buf, signed_len, pk) != 0) {
        pr_diag_set(d, 0, "bad signature");
        return -1;
    }
    return 0;
}
