/*
 * mini_return.c: the independent `precinct-return 1` parser (see
 * mini_return.h). Built from the prose of docs/FORMATS.md: split into
 * lines, check each line against the field it must be, in order. It shares
 * no code with proto/ (its own hex, base64, UTF-8 and calendar).
 */
#include "mini_return.h"

#include <string.h>

#define MAX_BYTES 65536u

/* One line of the file, without its LF. */
typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct cursor {
    span *lines;
    size_t n_lines, at;
    const char *why;
} cursor;

static int no(cursor *c, const char *why)
{
    c->why = why;
    return -1;
}

/* "field value": when the current line's first token is field, *v is the
 * rest (after exactly one space, which must be followed by something). */
static int field(cursor *c, const char *name, span *v)
{
    size_t k = strlen(name);
    span *l;
    if (c->at >= c->n_lines)
        return 0;
    l = &c->lines[c->at];
    if (l->n < k + 2 || memcmp(l->p, name, k) != 0 || l->p[k] != ' ')
        return 0;
    v->p = l->p + k + 1;
    v->n = l->n - k - 1;
    return 1;
}

static int want(cursor *c, const char *name, span *v)
{
    if (!field(c, name, v))
        return no(c, "a field is missing or out of order");
    c->at++;
    return 0;
}

/* id: [a-z0-9][a-z0-9._-]{0,63} */
static int is_id(span v)
{
    if (v.n < 1 || v.n > 64)
        return 0;
    for (size_t i = 0; i < v.n; i++) {
        char ch = v.p[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
            return 0;
    }
    return 1;
}

static void copy_id(char *dst, span v)
{
    memcpy(dst, v.p, v.n);
    dst[v.n] = '\0';
}

/* count: digits, no sign, no leading zero except "0", at most 10^9. */
static int is_count(span v, uint64_t *out)
{
    uint64_t x = 0;
    if (v.n == 0 || v.n > 10 || (v.p[0] == '0' && v.n != 1))
        return 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return 0;
        x = x * 10 + (uint64_t)(v.p[i] - '0');
    }
    if (x > 1000000000u)
        return 0;
    *out = x;
    return 1;
}

/* Lowercase hex of exactly nbytes. */
static int is_hex(span v, uint8_t *out, size_t nbytes)
{
    if (v.n != 2 * nbytes)
        return 0;
    for (size_t i = 0; i < v.n; i++) {
        char ch = v.p[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else
            return 0;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(d << 4);
        else
            out[i / 2] = (uint8_t)(out[i / 2] | d);
    }
    return 1;
}

static int b64_digit(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Standard padded base64 of exactly nbytes, canonical: the unused low
 * bits of the last character are zero, padding only where it must be. */
static int is_b64(span v, uint8_t *out, size_t nbytes)
{
    size_t groups = (nbytes + 2) / 3, pad = groups * 3 - nbytes, o = 0;
    if (v.n != groups * 4)
        return 0;
    for (size_t g = 0; g < groups; g++) {
        uint32_t acc = 0;
        for (size_t j = 0; j < 4; j++) {
            char ch = v.p[4 * g + j];
            int is_pad_slot = g == groups - 1 && j >= 4 - pad;
            int d;
            if (is_pad_slot) {
                if (ch != '=')
                    return 0;
                d = 0;
            } else if ((d = b64_digit(ch)) < 0) {
                return 0;
            }
            acc = acc << 6 | (uint32_t)d;
        }
        for (size_t j = 0; j < 3; j++)
            if (o < nbytes)
                out[o++] = (uint8_t)(acc >> (16 - 8 * j));
            else if ((uint8_t)(acc >> (16 - 8 * j)) != 0)
                return 0; /* non-zero unused bits */
    }
    return 1;
}

/* YYYY-MM-DDTHH:MM:SSZ, years 2000-2099, a real date, 00-23, 00-59. */
static int is_time(span v, int64_t *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    int f[6] = {0}, k = 0;
    int64_t days = 0;
    if (v.n != 20)
        return 0;
    for (size_t i = 0; i < 20; i++) {
        if (shape[i] == 'd') {
            if (v.p[i] < '0' || v.p[i] > '9')
                return 0;
        } else if (v.p[i] != shape[i]) {
            return 0;
        }
    }
    for (size_t i = 0; i < 20;) {
        if (v.p[i] < '0' || v.p[i] > '9') {
            i++;
            continue;
        }
        while (i < 20 && v.p[i] >= '0' && v.p[i] <= '9')
            f[k] = f[k] * 10 + (v.p[i++] - '0');
        k++;
    }
    {
        int y = f[0], mo = f[1], d = f[2];
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        int dim;
        if (y < 2000 || y > 2099 || mo < 1 || mo > 12)
            return 0;
        dim = mdays[mo - 1] + (mo == 2 && leap);
        if (d < 1 || d > dim || f[3] > 23 || f[4] > 59 || f[5] > 59)
            return 0;
        for (int yy = 1970; yy < y; yy++)
            days += 365 + ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0);
        for (int m = 1; m < mo; m++)
            days += mdays[m - 1] + (m == 2 && leap);
        days += d - 1;
    }
    *out = days * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
    return 1;
}

/* Next UTF-8 scalar in shortest form, or -1. */
static long utf8(const unsigned char *s, size_t n, size_t *i)
{
    unsigned char b = s[*i];
    size_t extra;
    long cp, min;
    if (b < 0x80) {
        *i += 1;
        return b;
    }
    if ((b & 0xe0) == 0xc0) {
        extra = 1;
        cp = b & 0x1f;
        min = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
        extra = 2;
        cp = b & 0x0f;
        min = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
        extra = 3;
        cp = b & 0x07;
        min = 0x10000;
    } else {
        return -1;
    }
    if (extra >= n - *i) /* truncated */
        return -1;
    for (size_t k = 1; k <= extra; k++) {
        if ((s[*i + k] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (s[*i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += extra + 1;
    return cp;
}

/* A character no reason may hold. FORMATS.md: C0, DEL, C1, U+2028/U+2029,
 * the bidirectional controls, U+FEFF (a BOM is refused anywhere).
 * DECISIONS.md "Reason text, beyond DESIGN 5": noncharacters too. */
static int banned(long cp)
{
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
        return 1;
    if (cp == 0x2028 || cp == 0x2029 || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
        (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
        return 1;
#ifndef MINI_FORMATS_ONLY
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xffff) == 0xfffe || (cp & 0xffff) == 0xffff)
        return 1;
#endif
    return 0;
}

/* A space a reason may not begin or end with. FORMATS.md: space.
 * DECISIONS.md: Unicode spaces (U+00A0, U+1680, U+2000-U+200B, U+202F,
 * U+205F, U+3000) too. */
static int edge_space(long cp)
{
    if (cp == ' ')
        return 1;
#ifndef MINI_FORMATS_ONLY
    if (cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x202f ||
        cp == 0x205f || cp == 0x3000)
        return 1;
#endif
    return 0;
}

static int is_text(span v)
{
    const unsigned char *s = (const unsigned char *)v.p;
    long first = -1, last = -1;
    if (v.n < 1 || v.n > 200)
        return 0;
    for (size_t i = 0; i < v.n;) {
        long cp = utf8(s, v.n, &i);
        if (cp < 0 || banned(cp))
            return 0;
        if (first < 0)
            first = cp;
        last = cp;
    }
    return !edge_space(first) && !edge_space(last);
}

/* "<id> <count>" of a count or votes line. */
static int item(span v, mini_item *it)
{
    const char *sp = memchr(v.p, ' ', v.n);
    span a, b;
    if (sp == NULL)
        return 0;
    a.p = v.p;
    a.n = (size_t)(sp - v.p);
    b.p = sp + 1;
    b.n = v.n - a.n - 1;
    if (!is_id(a) || !is_count(b, &it->n))
        return 0;
    copy_id(it->id, a);
    return 1;
}

static int has(const mini_item *items, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].id, id) == 0)
            return 1;
    return 0;
}

static int parse_lines(cursor *c, mini_return *r, const uint8_t *buf)
{
    span v;
    if (c->n_lines == 0 || c->lines[0].n != 17 || memcmp(c->lines[0].p, "precinct-return 1", 17))
        return no(c, "not a precinct-return 1");
    c->at = 1;
    if (want(c, "election", &v) || !is_id(v))
        return no(c, "election");
    copy_id(r->election, v);
    if (want(c, "definition", &v) || !is_hex(v, r->definition, 32))
        return no(c, "definition");
    if (want(c, "mode", &v))
        return -1;
    if (v.n == 4 && memcmp(v.p, "live", 4) == 0)
        r->test_mode = 0;
    else if (v.n == 4 && memcmp(v.p, "test", 4) == 0)
        r->test_mode = 1;
    else
        return no(c, "mode");
    if (want(c, "contest", &v) || !is_id(v))
        return no(c, "contest");
    copy_id(r->contest, v);
    if (want(c, "precinct", &v) || !is_id(v))
        return no(c, "precinct");
    copy_id(r->precinct, v);
    if (want(c, "revision", &v) || !is_count(v, &r->revision) || r->revision < 1)
        return no(c, "revision");
    if (r->revision > 1) {
        if (want(c, "supersedes", &v) || !is_hex(v, r->supersedes, 32))
            return no(c, "supersedes");
        if (want(c, "reason", &v) || !is_text(v))
            return no(c, "reason");
        memcpy(r->reason, v.p, v.n);
        r->reason[v.n] = '\0';
    }
    while (field(c, "count", &v)) {
        mini_item it;
        c->at++;
        if (r->n_counts == 64) /* DECISIONS.md: a protocol has at most 64 lines */
            return no(c, "too many count lines");
        if (!item(v, &it) || strcmp(it.id, "votes") == 0 || has(r->counts, r->n_counts, it.id))
            return no(c, "count");
        r->counts[r->n_counts++] = it;
    }
    if (r->n_counts == 0 || !has(r->counts, r->n_counts, "registered") ||
        !has(r->counts, r->n_counts, "ballots-cast") || !has(r->counts, r->n_counts, "invalid"))
        return no(c, "count lines registered, ballots-cast, invalid");
    while (field(c, "votes", &v)) {
        mini_item it;
        c->at++;
        if (r->n_votes == 256) /* DECISIONS.md: at most 256 candidates */
            return no(c, "too many votes lines");
        if (!item(v, &it) || has(r->votes, r->n_votes, it.id))
            return no(c, "votes");
        r->votes[r->n_votes++] = it;
    }
    if (r->n_votes == 0)
        return no(c, "no votes line");
    while (field(c, "evidence", &v)) {
        c->at++;
        if (r->n_evidence == 8 || !is_hex(v, r->evidence[r->n_evidence], 32) ||
            (r->n_evidence > 0 &&
             memcmp(r->evidence[r->n_evidence - 1], r->evidence[r->n_evidence], 32) >= 0))
            return no(c, "evidence");
        r->n_evidence++;
    }
    if (want(c, "signed", &v) || !is_time(v, &r->signed_at))
        return no(c, "signed");
    if (want(c, "key", &v) || !is_hex(v, r->key_id, 8))
        return no(c, "key");
    r->signed_len = (size_t)(v.p + v.n + 1 - (const char *)buf);
    if (want(c, "signature", &v) || !is_b64(v, r->signature, 64))
        return no(c, "signature");
    if (c->at != c->n_lines)
        return no(c, "lines after the signature");
    return 0;
}

int mini_return_parse(const uint8_t *buf, size_t len, mini_return *r, const char **why)
{
    /* At most 65,536 bytes of at least one byte each: far fewer lines
     * than that can be valid, but count them all to refuse honestly. */
    static span lines[MAX_BYTES / 2 + 1];
    cursor c = {lines, 0, 0, "ok"};
    size_t start = 0;

    memset(r, 0, sizeof *r);
    if (len == 0 || len > MAX_BYTES) {
        *why = "size";
        return -1;
    }
    if (buf[len - 1] != '\n') {
        *why = "the last line does not end with LF";
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t b = buf[i];
        if (b == 0 || b == '\r' || b == '\t') {
            *why = "NUL, CR or tab";
            return -1;
        }
        if (i + 2 < len && b == 0xef && buf[i + 1] == 0xbb && buf[i + 2] == 0xbf) {
            *why = "byte-order mark";
            return -1;
        }
        if (b == '\n') {
            if (i > start && buf[i - 1] == ' ') {
                *why = "trailing space";
                return -1;
            }
            if (c.n_lines == sizeof lines / sizeof lines[0]) {
                *why = "too many lines";
                return -1;
            }
            lines[c.n_lines].p = (const char *)buf + start;
            lines[c.n_lines].n = i - start;
            c.n_lines++;
            start = i + 1;
        }
    }
    if (parse_lines(&c, r, buf) != 0) {
        *why = c.why;
        return -1;
    }
    *why = "ok";
    return 0;
}
