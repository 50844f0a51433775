/*
 * ct.c: small shared pieces of central: error records, verdict and role
 * names, reason-code lists, and the width arithmetic of aligned output.
 */
#include "ct.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "common/fileio.h"
#include "proto/codec.h"

void ct_err_set(ct_err *e, int code, const char *what, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return;
    e->code = code;
    snprintf(e->what, sizeof e->what, "%s", what != NULL ? what : "");
    va_start(ap, fmt);
    vsnprintf(e->why, sizeof e->why, fmt, ap);
    va_end(ap);
}

void ct_err_print(const ct_err *e, FILE *f)
{
    char esc[1024];

    if (e->what[0] != '\0')
        fprintf(f, "central: %s: %s\n", cm_escape(e->what, esc, sizeof esc), e->why);
    else
        fprintf(f, "central: %s\n", e->why);
}

int ct_exit_max(int a, int b)
{
    return a > b ? a : b;
}

static const char *const verdict_names[] = {
    [CT_ACCEPTED] = "accepted", [CT_FLAGGED] = "flagged",   [CT_CORRECTED] = "corrected",
    [CT_DUPLICATE] = "duplicate", [CT_STALE] = "stale",     [CT_CONFLICT] = "conflict",
    [CT_HELD] = "held",         [CT_REJECTED] = "rejected",
};

const char *ct_verdict_name(ct_verdict v)
{
    return (size_t)v < sizeof verdict_names / sizeof verdict_names[0] ? verdict_names[v] : "?";
}

int ct_verdict_parse(const char *s, ct_verdict *v)
{
    size_t i;

    for (i = 0; i < sizeof verdict_names / sizeof verdict_names[0]; i++) {
        if (strcmp(s, verdict_names[i]) == 0) {
            *v = (ct_verdict)i;
            return 0;
        }
    }
    return -1;
}

int ct_verdict_exit(ct_verdict v)
{
    switch (v) {
    case CT_ACCEPTED:
    case CT_FLAGGED:
    case CT_CORRECTED:
    case CT_DUPLICATE:
        return CT_EXIT_OK;
    case CT_STALE:
    case CT_CONFLICT:
    case CT_HELD:
    case CT_REJECTED:
        break;
    }
    return CT_EXIT_FAIL;
}

static const char *const role_names[] = {
    [CT_ROLE_REJECTED] = "rejected", [CT_ROLE_AWAITING] = "awaiting",
    [CT_ROLE_NEW] = "new",           [CT_ROLE_CORRECTION] = "correction",
    [CT_ROLE_CONFLICT] = "conflict", [CT_ROLE_RESIGNED] = "resigned",
    [CT_ROLE_STALE] = "stale",
};

const char *ct_role_name(ct_role r)
{
    return (size_t)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "?";
}

int ct_role_parse(const char *s, ct_role *r)
{
    size_t i;

    for (i = 0; i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *r = (ct_role)i;
            return 0;
        }
    }
    return -1;
}

int ct_role_standing(ct_role r)
{
    return r != CT_ROLE_REJECTED && r != CT_ROLE_AWAITING;
}

void ct_codes_add(ct_codes *l, const char *code)
{
    if (ct_codes_has(l, code) || l->n >= CT_CODES_MAX)
        return;
    snprintf(l->c[l->n], sizeof l->c[l->n], "%s", code);
    l->n++;
}

int ct_codes_has(const ct_codes *l, const char *code)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->c[i], code) == 0)
            return 1;
    return 0;
}

void ct_codes_join(const ct_codes *l, char *out, size_t outlen)
{
    size_t i, used = 0;

    if (outlen == 0)
        return;
    out[0] = '\0';
    for (i = 0; i < l->n; i++) {
        int k = snprintf(out + used, outlen - used, "%s%s", i > 0 ? "," : "", l->c[i]);
        if (k < 0 || (size_t)k >= outlen - used)
            break;
        used += (size_t)k;
    }
}

void ct_codes_split(const char *s, ct_codes *l)
{
    char one[PR_ID_MAX + 1];
    size_t k = 0;

    l->n = 0;
    for (;; s++) {
        if (*s == ',' || *s == '\0') {
            if (k > 0) {
                one[k] = '\0';
                ct_codes_add(l, one);
            }
            k = 0;
            if (*s == '\0')
                break;
        } else if (k < PR_ID_MAX) {
            one[k++] = *s;
        }
    }
}

int ct_decision_ref_ok(const char *s)
{
    size_t n = strlen(s), i;
    int ok = n >= 1 && n <= CT_DECISION_REF_MAX && isalnum((unsigned char)s[0]);

    for (i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)s[i]) || strchr("._:/#+-", s[i]) != NULL;
    return ok;
}

int ct_key_id_norm(const char *in, char out[PR_KEYID_HEX + 1])
{
    size_t i;
    int rc = strlen(in) == PR_KEYID_HEX ? 0 : -1;

    for (i = 0; rc == 0 && i < PR_KEYID_HEX; i++) {
        if (!isxdigit((unsigned char)in[i]))
            rc = -1;
        out[i] = (char)tolower((unsigned char)in[i]);
    }
    out[PR_KEYID_HEX] = '\0';
    return rc;
}

int ct_hash_prefix(const char *s, char out[PR_HASH_HEX + 1])
{
    size_t n = strlen(s), i;
    int rc = n >= PR_KEYID_HEX && n <= PR_HASH_HEX ? 0 : -1;

    for (i = 0; rc == 0 && i < n; i++) {
        if (!isxdigit((unsigned char)s[i]))
            rc = -1;
        out[i] = (char)tolower((unsigned char)s[i]);
    }
    out[rc == 0 ? n : 0] = '\0';
    return rc;
}

void ct_hex(char *out, const uint8_t *bin, size_t n)
{
    pr_hex_encode(out, bin, n);
}

static int64_t (*clock_fn)(void *);
static void *clock_ctx;

void ct_clock_set(int64_t (*fn)(void *ctx), void *ctx)
{
    clock_fn = fn;
    clock_ctx = ctx;
}

int64_t ct_now(void)
{
    return clock_fn != NULL ? clock_fn(clock_ctx) : (int64_t)time(NULL);
}

size_t ct_width(const char *s)
{
    size_t w = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0u) != 0x80u)
            w++;
    return w;
}

void ct_pad(FILE *f, const char *s, size_t width)
{
    size_t w = ct_width(s);

    fputs(s, f);
    for (; w < width; w++)
        fputc(' ', f);
}

void ct_rpad(FILE *f, const char *s, size_t width)
{
    size_t w = ct_width(s);

    for (; w < width; w++)
        fputc(' ', f);
    fputs(s, f);
}

void ct_display(const char *s, char *out, size_t outlen)
{
    size_t used = 0;

    if (outlen == 0)
        return;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20u || c == 0x7Fu) {
            if (used + 4 >= outlen)
                break;
            snprintf(out + used, outlen - used, "\\x%02x", c);
            used += 4;
        } else {
            if (used + 1 >= outlen)
                break;
            out[used++] = (char)c;
        }
    }
    out[used] = '\0';
}
