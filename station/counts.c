/*
 * counts.c: the counts file parser (counts.h). People write these files, so
 * every refusal names the line and says what a count must look like; nothing
 * is rounded, guessed or filled in.
 */
#include "counts.h"

#include <string.h>

/* Tokens looked at per line: keyword, id, value, and one more to detect
 * anything trailing. */
#define TOKENS 4

typedef struct tok {
    const char *s;
    size_t n;
} tok;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Splits s[0..n) on blanks, stopping at a token that starts with `#`.
 * Stores at most TOKENS tokens and returns how many it stored: a result of
 * TOKENS means "three fields and something after them". */
static size_t split(const char *s, size_t n, tok t[TOKENS])
{
    size_t i = 0, k = 0;
    while (i < n && k < TOKENS) {
        while (i < n && is_blank(s[i]))
            i++;
        if (i == n || s[i] == '#')
            break;
        size_t start = i;
        while (i < n && !is_blank(s[i]))
            i++;
        t[k].s = s + start;
        t[k].n = i - start;
        k++;
    }
    return k;
}

/* Copies a token for a message: printable ASCII as is, anything else as
 * \xNN, cut at about 40 bytes so the message stays one short line. */
static const char *quote(const tok *t, char out[64])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < t->n; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (o > 40) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c > 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

static int tok_is(const tok *t, const char *word)
{
    size_t n = strlen(word);
    return t->n == n && memcmp(t->s, word, n) == 0;
}

/* Why a token is not a count, in words an official can act on. */
static const char *why_not_count(const tok *t)
{
    int digits_only = 1;
    for (size_t i = 0; i < t->n; i++) {
        char c = t->s[i];
        if (c == '.' || c == ',' || c == '\'')
            return "whole numbers only: no decimal point or thousands separator";
        if (c == '%')
            return "percentages are computed, never entered";
        if (c == '-' || c == '+')
            return "no sign: counts are never negative";
        if (c < '0' || c > '9')
            digits_only = 0;
    }
    if (!digits_only)
        return "digits 0-9 only";
    if (t->n > 1 && t->s[0] == '0')
        return "no leading zeros";
    return "at most 1000000000";
}

/* Appends "sep item" to a missing-list, marking truncation with "...". */
static void list_add(char *list, size_t cap, size_t *len, int *cut, const char *kind,
                     const char *id)
{
    size_t need = strlen(kind) + 1 + strlen(id) + 2;
    if (*cut)
        return;
    if (*len + need + 6 >= cap) { /* keep room for ", ..." */
        memcpy(list + *len, ", ...", 6);
        *len += 5;
        *cut = 1;
        return;
    }
    if (*len > 0) {
        memcpy(list + *len, ", ", 2);
        *len += 2;
    }
    size_t k = strlen(kind), m = strlen(id);
    memcpy(list + *len, kind, k);
    list[*len + k] = ' ';
    memcpy(list + *len + k + 1, id, m);
    *len += k + 1 + m;
    list[*len] = '\0';
}

int st_counts_parse(const uint8_t *buf, size_t len, const cm_protocol *p, const cm_contest *c,
                    uint64_t *counts, uint64_t *votes, pr_diag *d)
{
    /* Line where each line id / candidate was first given, 0 if not yet. */
    unsigned line_at[PR_LINES_MAX];
    unsigned cand_at[PR_CANDIDATES_MAX];
    const char *s = (const char *)buf;
    size_t pos = 0;
    unsigned lineno = 0;
    int rc = -1;
    char q[64];

    if (p->n_lines > PR_LINES_MAX || c->n_candidates > PR_CANDIDATES_MAX) {
        pr_diag_set(d, 0, "the contest has more lines or candidates than a return can hold");
        goto out;
    }
    if (len > ST_COUNTS_MAX) {
        pr_diag_set(d, 0, "larger than %u bytes", (unsigned)ST_COUNTS_MAX);
        goto out;
    }
    memset(line_at, 0, sizeof line_at);
    memset(cand_at, 0, sizeof cand_at);
    for (size_t i = 0; i < p->n_lines; i++)
        counts[i] = 0;
    for (size_t i = 0; i < c->n_candidates; i++)
        votes[i] = 0;

    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        pr_diag_set(d, 1, "byte order mark at the start: save the file as UTF-8 without BOM");
        goto out;
    }

    while (pos < len) {
        size_t start = pos, end;
        const char *nl = memchr(s + pos, '\n', len - pos);
        end = nl ? (size_t)(nl - s) : len;
        pos = nl ? end + 1 : len;
        lineno++;
        /* CRLF: the CR belongs to the line ending, not to the last field. */
        if (end > start && s[end - 1] == '\r')
            end--;
        if (memchr(s + start, '\0', end - start)) {
            pr_diag_set(d, lineno, "NUL byte");
            goto out;
        }
        if (memchr(s + start, '\r', end - start)) {
            pr_diag_set(d, lineno, "carriage return inside the line");
            goto out;
        }

        tok t[TOKENS];
        size_t n = split(s + start, end - start, t);
        if (n == 0)
            continue;

        int is_count = tok_is(&t[0], "count");
        if (!is_count && !tok_is(&t[0], "votes")) {
            pr_diag_set(d, lineno, "unknown keyword \"%s\" (expected \"count\" or \"votes\")",
                        quote(&t[0], q));
            goto out;
        }
        const char *kw = is_count ? "count" : "votes";
        if (n == 1) {
            pr_diag_set(d, lineno, "\"%s\" needs an id and a value", kw);
            goto out;
        }

        /* Find the id among the protocol's lines or the contest's candidates. */
        size_t idx = (size_t)-1;
        if (is_count) {
            for (size_t i = 0; i < p->n_lines; i++)
                if (tok_is(&t[1], p->lines[i].id)) {
                    idx = i;
                    break;
                }
            if (idx == (size_t)-1) {
                pr_diag_set(d, lineno, "no line \"%s\" in protocol %s", quote(&t[1], q), p->id);
                goto out;
            }
            if (p->lines[idx].n_parts > 0) {
                pr_diag_set(d, lineno,
                            "count %s is a derived line (the sum of others): it is computed, "
                            "do not give it",
                            p->lines[idx].id);
                goto out;
            }
            if (line_at[idx] != 0) {
                pr_diag_set(d, lineno, "count %s given twice (first on line %u)",
                            p->lines[idx].id, line_at[idx]);
                goto out;
            }
        } else {
            for (size_t i = 0; i < c->n_candidates; i++)
                if (tok_is(&t[1], c->candidates[i].id)) {
                    idx = i;
                    break;
                }
            if (idx == (size_t)-1) {
                pr_diag_set(d, lineno, "no candidate \"%s\" in contest %s", quote(&t[1], q),
                            c->id);
                goto out;
            }
            if (cand_at[idx] != 0) {
                pr_diag_set(d, lineno, "votes %s given twice (first on line %u)",
                            c->candidates[idx].id, cand_at[idx]);
                goto out;
            }
        }
        const char *id = is_count ? p->lines[idx].id : c->candidates[idx].id;

        if (n == 2) {
            pr_diag_set(d, lineno, "%s %s: no value (an empty value is not zero; write 0)", kw,
                        id);
            goto out;
        }
        if (n > 3) {
            pr_diag_set(d, lineno,
                        "%s %s: unexpected \"%s\" after the value (one number, no spaces in it)",
                        kw, id, quote(&t[3], q));
            goto out;
        }
        uint64_t v = 0;
        if (pr_parse_count(t[2].s, t[2].n, &v) != 0) {
            const char *why = why_not_count(&t[2]);
            pr_diag_set(d, lineno, "%s %s: \"%s\" is not a count: %s", kw, id, quote(&t[2], q),
                        why);
            goto out;
        }
        if (is_count) {
            counts[idx] = v;
            line_at[idx] = lineno;
        } else {
            votes[idx] = v;
            cand_at[idx] = lineno;
        }
    }

    /* Everything typed must be there: a missing number is refused, never
     * taken as zero. */
    {
        char list[160];
        size_t ll = 0;
        int cut = 0;
        list[0] = '\0';
        for (size_t i = 0; i < p->n_lines; i++)
            if (p->lines[i].n_parts == 0 && line_at[i] == 0)
                list_add(list, sizeof list, &ll, &cut, "count", p->lines[i].id);
        for (size_t i = 0; i < c->n_candidates; i++)
            if (cand_at[i] == 0)
                list_add(list, sizeof list, &ll, &cut, "votes", c->candidates[i].id);
        if (ll > 0) {
            pr_diag_set(d, 0, "missing %s (every typed line and candidate must be given)", list);
            goto out;
        }
    }
    rc = 0;
out:
    return rc;
}
