/*
 * compare.c: `central compare --published FILE.csv`: every number of a
 * results table as it was printed (docs/COMPARE.md) is checked against the
 * tally (the same sums and outcomes `central tally` prints: report.c) and
 * against the table's own printed counts; one line per number that differs,
 * with the right value beside the printed one. A share is right within half
 * its last printed digit; shares are never required to sum to 100.
 */
#include "compare.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "common/fileio.h"
#include "ct.h"
#include "db.h"
#include "define_csv.h"
#include "jsonout.h"
#include "proto/codec.h"
#include "report.h"

#define NONE ((size_t)-1)
/* A published table is small; this cap only keeps a wrong file from
 * filling memory. */
#define COMPARE_MAX_BYTES (16u * 1024u * 1024u)
/* Largest printed count or seat number (a national sum fits easily). */
#define COMPARE_COUNT_MAX 1000000000000000ull
/* The reserved label of a printed total (row or column). */
#define TOTAL "total"

static const char compare_usage[] =
    "usage: central compare [--db DB [--as-of SEQ]] [--json] --published FILE.csv...\n";
static const char compare_help[] =
    "Checks a results table as a commission or a newspaper printed it, transcribed\n"
    "into FILE.csv (docs/COMPARE.md: one row per printed row, columns table, contest,\n"
    "row, column, count, share, of, seats; `#` lines are comments). Every printed\n"
    "count and seat number is compared with the tally of DB; every printed share\n"
    "with the share computed from the table's own printed counts and from the\n"
    "tally's, and is right when within half its last printed digit (78.8 for 78.77\n"
    "is right, 78.7 is not); a printed total with the sum of the rows or columns\n"
    "it totals. Shares are never required to sum to 100. A table whose contest\n"
    "column is empty is not in the tally: it is checked against its own counts only\n"
    "(then DB may be left out). Prints one line per number that differs: FILE:ROW:\n"
    "where: what: printed P, right R (basis), then how many numbers were checked\n"
    "and the event the tally was computed at. --json: one JSON object per line.\n"
    "--as-of SEQ compares with the tally as it was after event SEQ. --published may\n"
    "be given more than once. Exit 0 when every number is right, 1 when any differs\n"
    "or a row cannot be checked (unknown contest, candidate or line: one error per\n"
    "row, naming it), 3 when a file or DB cannot be read.\n";

/* ---- the share rule -------------------------------------------------- */

int ct_share_parse(const char *s, ct_share *out)
{
    uint64_t v = 0;
    unsigned ints = 0, decs = 0;
    const char *p = s;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (strcmp(s, "n/a") == 0) {
        out->na = 1;
        rc = 0;
        goto out;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++ints > CT_SHARE_INT_DIGITS_MAX)
            goto out;
        v = v * 10u + (uint64_t)(*p - '0');
    }
    if (ints == 0)
        goto out;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++decs > CT_SHARE_DECIMALS_MAX)
                goto out;
            v = v * 10u + (uint64_t)(*p - '0');
        }
        if (decs == 0)
            goto out;
    }
    if (*p == '%')
        p++;
    if (*p != '\0')
        goto out;
    out->digits = v;
    out->decimals = decs;
    rc = 0;
out:
    return rc;
}

/* 100 x 10^decimals x n, checked: 0, or -1 on overflow. */
static int scaled(uint64_t n, unsigned decimals, uint64_t *x)
{
    uint64_t scale = 100;
    unsigned i;

    for (i = 0; i < decimals; i++)
        scale *= 10u;   /* <= 10^(2 + CT_SHARE_DECIMALS_MAX): no overflow */
    return __builtin_mul_overflow(n, scale, x) ? -1 : 0;
}

int ct_share_matches(const ct_share *printed, uint64_t n, uint64_t d)
{
    uint64_t x, q, r;

    if (d == 0)
        return printed->na ? 1 : 0;
    if (printed->na)
        return 0;
    if (scaled(n, printed->decimals, &x) != 0)
        return -1;
    /* With X = 100 n 10^k = q d + r (0 <= r < d) and p the printed digits,
     * |p - X / d| <= 1/2 holds only for p = q when r <= d / 2 and for
     * p = q + 1 when d - r <= d / 2; "2r <= d" is "r <= d - r", which
     * cannot overflow. */
    q = x / d;
    r = x % d;
    if (printed->digits == q)
        return r <= d - r ? 1 : 0;
    if (q < UINT64_MAX && printed->digits == q + 1)
        return d - r <= r ? 1 : 0;
    return 0;
}

int ct_share_format(uint64_t n, uint64_t d, unsigned decimals, char *out, size_t outlen)
{
    uint64_t x, q, r, unit = 1;
    unsigned i;

    if (d == 0 || decimals > CT_SHARE_DECIMALS_MAX || scaled(n, decimals, &x) != 0) {
        (void)snprintf(out, outlen, "n/a");
        return d == 0 ? 0 : -1;
    }
    q = x / d;
    r = x % d;
    /* floor((2X + d) / (2d)) = q + (2r >= d): half away from zero */
    if (r >= d - r)
        q++;
    for (i = 0; i < decimals; i++)
        unit *= 10u;
    if (decimals == 0)
        (void)snprintf(out, outlen, "%llu", (unsigned long long)q);
    else
        (void)snprintf(out, outlen, "%llu.%0*llu", (unsigned long long)(q / unit), (int)decimals,
                       (unsigned long long)(q % unit));
    return 0;
}

/* ---- the table --------------------------------------------------------- */

enum { COL_TABLE = 0, COL_CONTEST, COL_ROW, COL_COLUMN, COL_COUNT, COL_SHARE, COL_OF, COL_SEATS };

static const ct_csv_colspec columns[] = {
    {"table", 0}, {"contest", 0}, {"row", 1},   {"column", 0},
    {"count", 0}, {"share", 0},   {"of", 0},    {"seats", 0},
    {NULL, 0},
};

/* What a row label names. In a tallied contest: a candidate, a party (its
 * candidates together), a protocol line, `valid` (ballots cast - invalid,
 * as report.c's majority rule counts them) or `turnout` (ballots cast /
 * `of`, a share only). In an untallied table: a label, or `total`. */
typedef enum { R_LABEL = 0, R_CAND, R_PARTY, R_LINE, R_VALID, R_TURNOUT, R_TOTAL } row_kind;

/* A share's denominator: the count of another row of the same table,
 * a literal number, N seats (`seats:N`), or the contest's seats. */
typedef enum { D_NONE = 0, D_ROW, D_LITERAL, D_SEATS_N, D_SEATS } den_kind;

typedef struct rec {
    const char *file;           /* as given on the command line */
    unsigned long line;         /* spreadsheet row */
    const char *table, *contest, *row, *column, *of; /* cells ("" when empty) */
    const char *share_text;
    size_t c;                   /* contest index, NONE: not tallied */
    row_kind kind;
    size_t ref;                 /* candidate, party or line index */
    int has_count, has_seats, has_share;
    uint64_t count, seats;
    ct_share share;
    den_kind den;
    uint64_t den_value;         /* D_LITERAL, D_SEATS_N */
    const char *den_row;        /* D_ROW: the row label */
    row_kind den_row_kind;         /* D_ROW in a tallied contest: what it names */
    size_t den_ref;
} rec;

/* The tally of one contest, built when a row first needs it. */
typedef struct tallied {
    int built;
    ct_contest_sum s;
    ct_outcome o;
} tallied;

typedef struct state {
    FILE *out;
    int json;
    const cm_definition *def;   /* NULL without --db */
    const ct_report *rep;
    tallied *t;                 /* def->n_contests */
    rec *recs;
    size_t n;
    size_t *by_cell;            /* indexes sorted by table, contest, column, row */
    size_t checked, differ;
    ct_errlist errs;
} state;

/* Same printed cell group: table, contest and column all equal. */
static int cmp_group(const rec *a, const rec *b)
{
    int k = strcmp(a->table, b->table);

    if (k == 0)
        k = strcmp(a->contest, b->contest);
    if (k == 0)
        k = strcmp(a->column, b->column);
    return k;
}

static const rec *sort_base;

static int cmp_cell_idx(const void *x, const void *y)
{
    const rec *a = &sort_base[*(const size_t *)x], *b = &sort_base[*(const size_t *)y];
    int k = cmp_group(a, b);

    if (k == 0)
        k = strcmp(a->row, b->row);
    if (k == 0)
        k = a->line < b->line ? -1 : a->line > b->line;
    return k;
}

/* The record of the same group as g whose row is `row`, or NULL. */
static const rec *find_row(const state *st, const rec *g, const char *row)
{
    size_t lo = 0, hi = st->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const rec *m = &st->recs[st->by_cell[mid]];
        int k = cmp_group(m, g);
        if (k == 0)
            k = strcmp(m->row, row);
        if (k < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < st->n) {
        const rec *m = &st->recs[st->by_cell[lo]];
        if (cmp_group(m, g) == 0 && strcmp(m->row, row) == 0)
            return m;
    }
    return NULL;
}

/* Digits only, no leading zero, at most COMPARE_COUNT_MAX. 0 or -1. */
static int parse_count(const char *s, uint64_t *v)
{
    uint64_t x = 0;
    size_t i;

    if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
        return -1;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 16)
            return -1;
        x = x * 10u + (uint64_t)(s[i] - '0');
    }
    if (x > COMPARE_COUNT_MAX)
        return -1;
    *v = x;
    return 0;
}

static int is_label(const char *s)
{
    return pr_is_id(s, strlen(s));
}

/* What `label` names in contest c (a tallied row). 0, or -1 unknown. */
static int resolve_row(const cm_definition *def, size_t c, const char *label, row_kind *kind,
                       size_t *ref)
{
    const cm_contest *ct = &def->contests[c];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    size_t i, p;

    for (i = 0; i < ct->n_candidates; i++)
        if (strcmp(ct->candidates[i].id, label) == 0) {
            *kind = R_CAND;
            *ref = i;
            return 0;
        }
    for (i = 0; i < pr->n_lines; i++)
        if (strcmp(pr->lines[i].id, label) == 0) {
            *kind = R_LINE;
            *ref = i;
            return 0;
        }
    p = cm_find_party(def, label);
    if (p != NONE)
        for (i = 0; i < ct->n_candidates; i++)
            if (ct->candidates[i].party == p) {
                *kind = R_PARTY;
                *ref = p;
                return 0;
            }
    if (strcmp(label, "valid") == 0) {
        *kind = R_VALID;
        *ref = NONE;
        return 0;
    }
    if (strcmp(label, "turnout") == 0) {
        *kind = R_TURNOUT;
        *ref = NONE;
        return 0;
    }
    return -1;
}

static tallied *tally_of(state *st, size_t c)
{
    tallied *t = &st->t[c];

    if (!t->built) {
        if (ct_contest_sum_build(st->def, st->rep, c, &t->s) != 0 ||
            ct_outcome_build(st->def, &t->s, &t->o) != 0)
            return NULL;
        t->built = 1;
    }
    return t;
}

/* The tally's count (seats == 0) or seats (seats == 1) of a row of contest
 * c. 0, or -1 when the row has none (a line has no seats, turnout no
 * count). */
static int tally_value(const cm_definition *def, const tallied *t, size_t c, row_kind kind,
                       size_t ref, int seats, uint64_t *v)
{
    const cm_contest *ct = &def->contests[c];
    uint64_t sum = 0, cast, inv;
    size_t i;

    switch (kind) {
    case R_CAND:
        *v = seats ? t->o.seats[ref] : t->s.votes[ref];
        return 0;
    case R_PARTY:
        for (i = 0; i < ct->n_candidates; i++)
            if (ct->candidates[i].party == ref)
                sum += seats ? t->o.seats[i] : t->s.votes[i];
        *v = sum;
        return 0;
    case R_LINE:
        if (seats)
            return -1;
        *v = t->s.lines[ref];
        return 0;
    case R_VALID:
        if (seats)
            return -1;
        cast = ct_sum_line(def, &t->s, "ballots-cast");
        inv = ct_sum_line(def, &t->s, "invalid");
        *v = cast >= inv ? cast - inv : 0;
        return 0;
    case R_LABEL:
    case R_TURNOUT:
    case R_TOTAL:
        break;
    }
    return -1;
}

/* "table contest row column", the empty ones left out. */
static void where(const rec *r, char *out, size_t outlen)
{
    const char *parts[4] = {r->table, r->contest, r->row, r->column};
    size_t used = 0, i;

    out[0] = '\0';
    for (i = 0; i < 4; i++) {
        int k;
        if (parts[i][0] == '\0')
            continue;
        k = snprintf(out + used, outlen - used, "%s%s", used ? " " : "", parts[i]);
        if (k < 0 || (size_t)k >= outlen - used)
            break;
        used += (size_t)k;
    }
}

static void add_row_error(state *st, const rec *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error about one row of the table: `central: FILE: row N: why`. */
static void add_row_error(state *st, const rec *r, const char *fmt, ...)
{
    char msg[600], shown[2400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The message may quote a cell: a newline or escape in it must not
     * break the one-line error (red team). */
    ct_display(msg, shown, sizeof shown);
    ct_errlist_add(&st->errs, CT_EXIT_FAIL, r->file, "row %lu: %s", r->line, shown);
}

/* Reads one CSV row into r and checks what can be checked alone. 0, or -1
 * (an error was added). */
static int take(state *st, const ct_csv *t, size_t i, const char *file, rec *r)
{
    const char *count, *seats, *of;
    size_t c;

    memset(r, 0, sizeof *r);
    r->file = file;
    r->line = t->row[i];
    r->table = ct_csv_cell(t, i, COL_TABLE);
    r->contest = ct_csv_cell(t, i, COL_CONTEST);
    r->row = ct_csv_cell(t, i, COL_ROW);
    r->column = ct_csv_cell(t, i, COL_COLUMN);
    r->of = of = ct_csv_cell(t, i, COL_OF);
    r->share_text = ct_csv_cell(t, i, COL_SHARE);
    count = ct_csv_cell(t, i, COL_COUNT);
    seats = ct_csv_cell(t, i, COL_SEATS);
    r->c = NONE;

    if (r->table[0] == '\0' && r->contest[0] == '\0') {
        add_row_error(st, r, "no table and no contest: give at least one");
        return -1;
    }
    if ((r->table[0] && !is_label(r->table)) || !is_label(r->row) ||
        (r->column[0] && !is_label(r->column))) {
        add_row_error(st, r,
                      "table, row and column are ids ([a-z0-9][a-z0-9._-]*, at most 64 "
                      "bytes)");
        return -1;
    }
    if (count[0] != '\0') {
        if (parse_count(count, &r->count) != 0) {
            add_row_error(st, r, "count \"%s\" is not a count (digits only, no separators)",
                          count);
            return -1;
        }
        r->has_count = 1;
    }
    if (seats[0] != '\0') {
        if (parse_count(seats, &r->seats) != 0) {
            add_row_error(st, r, "seats \"%s\" is not a count (digits only)", seats);
            return -1;
        }
        r->has_seats = 1;
    }
    if (r->share_text[0] != '\0') {
        if (ct_share_parse(r->share_text, &r->share) != 0) {
            add_row_error(st, r,
                          "share \"%s\" is not a share as printed (digits, a dot and up to 6 "
                          "decimals, an optional %%; or n/a)", r->share_text);
            return -1;
        }
        r->has_share = 1;
    }

    if (r->contest[0] != '\0') {
        if (st->def == NULL) {
            add_row_error(st, r,
                          "contest %s: comparing with a tally needs --db (leave contest empty "
                          "for a table that is not in the tally)", r->contest);
            return -1;
        }
        c = cm_find_contest(st->def, r->contest);
        if (c == NONE) {
            add_row_error(st, r, "unknown contest \"%s\" (not in the definition)",
                          r->contest);
            return -1;
        }
        r->c = c;
        if (r->column[0] != '\0') {
            add_row_error(st, r,
                          "column \"%s\": columns are for tables not in the tally (leave it "
                          "empty, or contest empty)", r->column);
            return -1;
        }
        if (strcmp(r->row, TOTAL) == 0) {
            add_row_error(st, r,
                          "total: in a contest in the tally, name the line the total is "
                          "(ballots-cast, valid)");
            return -1;
        }
        if (resolve_row(st->def, c, r->row, &r->kind, &r->ref) != 0) {
            add_row_error(st, r,
                          "\"%s\" is no candidate, party or protocol line of contest %s (nor "
                          "valid or turnout)", r->row, r->contest);
            return -1;
        }
        if ((r->kind == R_LINE || r->kind == R_VALID) && r->has_seats) {
            add_row_error(st, r, "%s: a line has no seats", r->row);
            return -1;
        }
    } else if (strcmp(r->row, TOTAL) == 0) {
        r->kind = R_TOTAL;
    } else if (strcmp(r->row, "turnout") == 0) {
        r->kind = R_TURNOUT;
    }
    if (r->kind == R_TURNOUT && (r->has_count || r->has_seats)) {
        add_row_error(st, r, "turnout is a share only (put ballots cast on their own row)");
        return -1;
    }

    /* The denominator. */
    if (of[0] == '\0' && r->kind == R_TURNOUT)
        of = "registered";
    if (of[0] != '\0' && !r->has_share) {
        add_row_error(st, r, "of \"%s\" without a share", of);
        return -1;
    }
    if (r->has_share && of[0] == '\0') {
        add_row_error(st, r,
                      "share %s without its denominator: say in column of what it is a share "
                      "of (ballots-cast, registered, valid, seats:N, a number)",
                      r->share_text);
        return -1;
    }
    if (!r->has_share)
        return 0;
    if (strncmp(of, "seats:", 6) == 0) {
        if (parse_count(of + 6, &r->den_value) != 0) {
            add_row_error(st, r, "of \"%s\": seats:N needs a number N", of);
            return -1;
        }
        r->den = D_SEATS_N;
    } else if (strcmp(of, "seats") == 0) {
        if (r->c == NONE) {
            add_row_error(st, r,
                          "of seats: a table not in the tally says how many (seats:N)");
            return -1;
        }
        r->den = D_SEATS;
        r->den_value = st->def->contests[r->c].seats;
    } else if (of[0] >= '0' && of[0] <= '9') {
        if (parse_count(of, &r->den_value) != 0) {
            add_row_error(st, r, "of \"%s\" is neither a number nor a row", of);
            return -1;
        }
        r->den = D_LITERAL;
    } else {
        if (!is_label(of)) {
            add_row_error(st, r, "of \"%s\" is neither a number nor a row", of);
            return -1;
        }
        r->den = D_ROW;
        r->den_row = of;
        if (r->c != NONE &&
            (resolve_row(st->def, r->c, of, &r->den_row_kind, &r->den_ref) != 0 ||
             r->den_row_kind == R_TURNOUT)) {
            add_row_error(st, r,
                          "of \"%s\" is no candidate, party or protocol line of contest %s (nor "
                          "valid)", of, r->contest);
            return -1;
        }
    }
    if ((r->den == D_SEATS || r->den == D_SEATS_N) && r->kind != R_CAND && r->kind != R_PARTY &&
        r->kind != R_LABEL) {
        add_row_error(st, r, "a share of seats on row %s, which has no seats", r->row);
        return -1;
    }
    return 0;
}

/* Checks that need the whole table: repeated cells, denominators and
 * numerators a table not in the tally must print. */
static void cross_check(state *st)
{
    size_t i;

    for (i = 0; i + 1 < st->n; i++) {
        const rec *a = &st->recs[st->by_cell[i]], *b = &st->recs[st->by_cell[i + 1]];
        char w[400], first[32];
        if (cmp_group(a, b) == 0 && strcmp(a->row, b->row) == 0) {
            where(b, w, sizeof w);
            snprintf(first, sizeof first, "%lu", a->line);
            add_row_error(st, b, "%s appears twice (first on row %s)", w, first);
        }
    }
    for (i = 0; i < st->n; i++) {
        const rec *r = &st->recs[i], *d;
        int seats = r->den == D_SEATS_N || r->den == D_SEATS;
        if (!r->has_share || r->c != NONE)
            continue;
        if (r->kind == R_TURNOUT) {
            d = find_row(st, r, "ballots-cast");
            if (d == NULL || !d->has_count)
                add_row_error(st, r, "turnout: no row ballots-cast with a count in this table");
        } else if (seats ? !r->has_seats : !r->has_count) {
            add_row_error(st, r, "a share with no printed %s to compute it from",
                          seats ? "seats" : "count");
        }
        if (r->den == D_ROW) {
            d = find_row(st, r, r->den_row);
            if (d == NULL || !d->has_count)
                add_row_error(st, r, "of %s: no row %s with a count in this table", r->den_row,
                              r->den_row);
        }
    }
}

/* ---- reporting ----------------------------------------------------------- */

/* One number that differs. basis: "tally", "printed counts", "sum of ...". */
static void report(state *st, const rec *r, const char *what, const char *printed,
                   const char *right, const char *basis, const char *fraction)
{
    char w[400];

    st->differ++;
    if (st->json) {
        json_t *j = json_object();
        char *s;
        json_object_set_new(j, "file", ct_json_text(r->file));
        json_object_set_new(j, "row_number", json_integer((json_int_t)r->line));
        json_object_set_new(j, "table", json_string(r->table));
        json_object_set_new(j, "contest", json_string(r->contest));
        json_object_set_new(j, "row", json_string(r->row));
        json_object_set_new(j, "column", json_string(r->column));
        json_object_set_new(j, "what", json_string(what));
        json_object_set_new(j, "printed", json_string(printed));
        json_object_set_new(j, "right", json_string(right));
        json_object_set_new(j, "basis", json_string(basis));
        if (fraction != NULL)
            json_object_set_new(j, "from", json_string(fraction));
        s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s != NULL)
            fprintf(st->out, "%s\n", s);
        free(s);
        json_decref(j);
    } else {
        char f[1024];
        where(r, w, sizeof w);
        fprintf(st->out, "%s:%lu: %s: %s: printed %s, right %s (%s%s%s)\n",
                cm_escape(r->file, f, sizeof f), r->line, w, what, printed, right,
                fraction != NULL ? fraction : "", fraction != NULL ? ", " : "", basis);
    }
}

static void check_number(state *st, const rec *r, const char *what, uint64_t printed,
                         uint64_t right, const char *basis)
{
    char p[32], q[32];

    if (printed != right) {
        snprintf(p, sizeof p, "%llu", (unsigned long long)printed);
        snprintf(q, sizeof q, "%llu", (unsigned long long)right);
        report(st, r, what, p, q, basis, NULL);
    }
}

/* A total: the sum of the counts (seats) of the other rows of its column
 * (row total) or the other columns of its row (column total). */
static void check_total(state *st, const rec *r, int down, int seats)
{
    uint64_t sum = 0;
    size_t i, n = 0;
    int overflow = 0;
    char basis[96];

    for (i = 0; i < st->n; i++) {
        const rec *o = &st->recs[i];
        int same;
        if (o == r || strcmp(o->table, r->table) != 0 || strcmp(o->contest, r->contest) != 0)
            continue;
        if (down)
            same = strcmp(o->column, r->column) == 0 && strcmp(o->row, TOTAL) != 0;
        else
            same = strcmp(o->row, r->row) == 0 && o->column[0] != '\0' &&
                   strcmp(o->column, TOTAL) != 0;
        if (!same || !(seats ? o->has_seats : o->has_count))
            continue;
        if (__builtin_add_overflow(sum, seats ? o->seats : o->count, &sum))
            overflow = 1;
        n++;
    }
    if (n == 0 || overflow)
        return;
    st->checked++;
    snprintf(basis, sizeof basis, "sum of the %zu printed %s", n, down ? "rows" : "columns");
    check_number(st, r, seats ? "seats" : "count", seats ? r->seats : r->count, sum, basis);
}

/* A share against n / d of one basis: 1 right, 0 wrong (right value in
 * out), -1 cannot be decided (overflow). */
static int share_basis(const rec *r, uint64_t n, uint64_t d, char *right, size_t rlen,
                       char *frac, size_t flen)
{
    int k = ct_share_matches(&r->share, n, d);

    if (k == 0) {
        size_t len = strlen(r->share_text);
        (void)ct_share_format(n, d, r->share.decimals, right, rlen);
        /* written as the table writes it: with its % sign when it has one */
        if (len > 0 && r->share_text[len - 1] == '%' && strcmp(right, "n/a") != 0 &&
            strlen(right) + 1 < rlen)
            strcat(right, "%");
        snprintf(frac, flen, "%llu / %llu", (unsigned long long)n, (unsigned long long)d);
    }
    return k;
}

static void check_share(state *st, const rec *r, const tallied *t)
{
    int seats = r->den == D_SEATS_N || r->den == D_SEATS;
    int have_own = 0, have_tally = 0, ok_own = 1, ok_tally = 1;
    uint64_t on = 0, od = 0, tn = 0, td = 0;
    char what[128], r_own[32], r_tally[32], f_own[64], f_tally[64];
    const rec *d;

    snprintf(what, sizeof what, "share of %s",
             r->den == D_ROW ? r->den_row : r->of[0] ? r->of : "registered");
    /* From the table's own printed numbers. */
    if (r->kind == R_TURNOUT) {
        d = find_row(st, r, "ballots-cast");
        if (d != NULL && d->has_count) {
            on = d->count;
            have_own = 1;
        }
    } else if (seats ? r->has_seats : r->has_count) {
        on = seats ? r->seats : r->count;
        have_own = 1;
    }
    if (r->den == D_ROW) {
        d = find_row(st, r, r->den_row);
        if (d != NULL && d->has_count)
            od = d->count;
        else
            have_own = 0;
    } else {
        od = r->den_value;
    }
    /* From the tally. */
    if (t != NULL) {
        have_tally = 1;
        if (r->kind == R_TURNOUT)
            tn = ct_sum_line(st->def, &t->s, "ballots-cast");
        else if (tally_value(st->def, t, r->c, r->kind, r->ref, seats, &tn) != 0)
            have_tally = 0;
        if (r->den == D_ROW) {
            if (tally_value(st->def, t, r->c, r->den_row_kind, r->den_ref, 0, &td) != 0)
                have_tally = 0;
        } else {
            td = r->den_value;
        }
    }
    if (!have_own && !have_tally)
        return;
    st->checked++;
    if (have_own)
        ok_own = share_basis(r, on, od, r_own, sizeof r_own, f_own, sizeof f_own);
    if (have_tally)
        ok_tally = share_basis(r, tn, td, r_tally, sizeof r_tally, f_tally, sizeof f_tally);
    if (ok_own < 0 || ok_tally < 0) {
        report(st, r, what, r->share_text, "?", "too large to check in 64 bits", NULL);
        return;
    }
    if (!ok_own && !ok_tally && strcmp(r_own, r_tally) == 0 && strcmp(f_own, f_tally) == 0) {
        report(st, r, what, r->share_text, r_own, "printed counts and tally", f_own);
        return;
    }
    if (!ok_own)
        report(st, r, what, r->share_text, r_own, "printed counts", f_own);
    if (!ok_tally)
        report(st, r, what, r->share_text, r_tally, "tally", f_tally);
}

static int check_all(state *st)
{
    size_t i;

    for (i = 0; i < st->n; i++) {
        const rec *r = &st->recs[i];
        const tallied *t = NULL;
        uint64_t v;

        if (r->c != NONE) {
            t = tally_of(st, r->c);
            if (t == NULL)
                return -1;
            if (t->s.overflow) {
                ct_errlist_add(&st->errs, CT_EXIT_FAIL, r->file,
                               "row %lu: contest %s: the tally's sums overflow: not compared",
                               r->line, r->contest);
                continue;
            }
            if (r->has_count && tally_value(st->def, t, r->c, r->kind, r->ref, 0, &v) == 0) {
                st->checked++;
                check_number(st, r, "count", r->count, v, "tally");
            }
            if (r->has_seats && tally_value(st->def, t, r->c, r->kind, r->ref, 1, &v) == 0) {
                st->checked++;
                check_number(st, r, "seats", r->seats, v, "tally");
            }
        } else {
            /* the corner of a grid totals both its column and its row */
            if (r->kind == R_TOTAL && r->has_count)
                check_total(st, r, 1, 0);
            if (r->kind == R_TOTAL && r->has_seats)
                check_total(st, r, 1, 1);
            if (strcmp(r->column, TOTAL) == 0 && r->has_count)
                check_total(st, r, 0, 0);
            if (strcmp(r->column, TOTAL) == 0 && r->has_seats)
                check_total(st, r, 0, 1);
        }
        if (r->has_share)
            check_share(st, r, t);
    }
    return 0;
}

/* ---- the command --------------------------------------------------------- */

static void print_errors(const ct_errlist *l, FILE *err)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        ct_err_print(&l->e[i], err);
    if (l->total > l->n)
        fprintf(err, "central: compare: %zu more errors not shown\n", l->total - l->n);
}

int ct_cmd_compare(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},   {"published", 1}, {"json", 0},
                                       {"as-of", 1}, {"help", 0},      {NULL, 0}};
    const char *dbpath = NULL, *v;
    const char **files = NULL;
    ct_csv **tabs = NULL;
    size_t nfiles = 0, f, i, total = 0;
    long long as_of = 0;
    char hex[PR_HASH_HEX + 1];
    ct_report rep;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    state *st = NULL;
    int opt, k, code = CT_EXIT_OK, have_rep = 0;

    memset(&rep, 0, sizeof rep);
    memset(&e, 0, sizeof e);
    files = calloc((size_t)argc + 1, sizeof *files);
    st = calloc(1, sizeof *st);
    if (files == NULL || st == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "compare", "out of memory");
        goto fail;
    }
    st->out = out;
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, compare_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, compare_usage, v, "unexpected operand (use --published)");
            goto out;
        }
        if (opt == 0) {
            dbpath = v;
        } else if (opt == 1) {
            files[nfiles++] = v;
        } else if (opt == 2) {
            st->json = 1;
        } else if (opt == 3) {
            if (ct_parse_uint(v, INT64_MAX, &as_of) != 0 || as_of == 0) {
                code = ct_usage_error(err, compare_usage, "--as-of",
                                      "an event sequence number >= 1");
                goto out;
            }
        } else {
            fputs(compare_usage, out);
            fputs(compare_help, out);
            goto out;
        }
    }
    if (nfiles == 0) {
        code = ct_usage_error(err, compare_usage, "compare",
                              "at least one --published FILE is required");
        goto out;
    }
    if (as_of != 0 && dbpath == NULL) {
        code = ct_usage_error(err, compare_usage, "--as-of", "only with --db");
        goto out;
    }
    if (dbpath != NULL) {
        if (ct_db_open(dbpath, 1, &db, &e) != 0 ||
            ct_report_build(db, (int64_t)as_of, 1, &rep, &e) != 0)
            goto fail;
        have_rep = 1;
        st->def = db->def;
        st->rep = &rep;
        st->t = calloc(db->def->n_contests ? db->def->n_contests : 1, sizeof *st->t);
        if (st->t == NULL) {
            ct_err_set(&e, CT_EXIT_IO, "compare", "out of memory");
            goto fail;
        }
    }
    tabs = calloc(nfiles, sizeof *tabs);
    if (tabs == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "compare", "out of memory");
        goto fail;
    }
    for (f = 0; f < nfiles; f++) {
        if (ct_csv_read_commented(files[f], COMPARE_MAX_BYTES, columns, &tabs[f], &st->errs) == 0)
            total += tabs[f]->n_rows;
    }
    if (st->errs.total > 0) {
        print_errors(&st->errs, err);
        code = st->errs.code;
        goto out;
    }
    st->recs = calloc(total ? total : 1, sizeof *st->recs);
    st->by_cell = calloc(total ? total : 1, sizeof *st->by_cell);
    if (st->recs == NULL || st->by_cell == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "compare", "out of memory");
        goto fail;
    }
    for (f = 0; f < nfiles; f++)
        for (i = 0; i < tabs[f]->n_rows; i++)
            if (take(st, tabs[f], i, files[f], &st->recs[st->n]) == 0)
                st->n++;
    for (i = 0; i < st->n; i++)
        st->by_cell[i] = i;
    sort_base = st->recs;
    qsort(st->by_cell, st->n, sizeof *st->by_cell, cmp_cell_idx);
    cross_check(st);
    if (st->errs.total > 0) {
        print_errors(&st->errs, err);
        code = st->errs.code;
        goto out;
    }
    if (check_all(st) != 0) {
        ct_err_set(&e, CT_EXIT_IO, "compare", "out of memory");
        goto fail;
    }
    if (st->errs.total > 0) {
        print_errors(&st->errs, err);
        code = ct_exit_max(code, st->errs.code);
    }
    if (st->json) {
        json_t *j = json_object();
        char *s;
        json_object_set_new(j, "checked", json_integer((json_int_t)st->checked));
        json_object_set_new(j, "differ", json_integer((json_int_t)st->differ));
        if (have_rep) {
            ct_hex(hex, rep.head, PR_HASH_BYTES);
            json_object_set_new(j, "seq", json_integer((json_int_t)rep.seq));
            json_object_set_new(j, "head", json_string(hex));
        }
        s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s != NULL)
            fprintf(out, "%s\n", s);
        free(s);
        json_decref(j);
    } else {
        fprintf(out, "%zu checks of printed numbers, %zu differ", st->checked, st->differ);
        if (have_rep) {
            ct_hex(hex, rep.head, PR_HASH_BYTES);
            fprintf(out, " (tally as of event %lld, head %s)\n", (long long)rep.seq, hex);
        } else {
            fputs(" (no tally: own counts only)\n", out);
        }
    }
    if (st->differ > 0)
        code = ct_exit_max(code, CT_EXIT_FAIL);
    goto out;
fail:
    ct_err_print(&e, err);
    code = e.code;
out:
    if (st != NULL) {
        if (st->t != NULL && db != NULL)
            for (i = 0; i < db->def->n_contests; i++)
                if (st->t[i].built) {
                    ct_contest_sum_free(&st->t[i].s);
                    ct_outcome_free(&st->t[i].o);
                }
        free(st->t);
        free(st->recs);
        free(st->by_cell);
        free(st);
    }
    for (f = 0; tabs != NULL && f < nfiles; f++)
        ct_csv_free(tabs[f]);
    free(tabs);
    free(files);
    ct_report_free(&rep);
    ct_db_close(db);
    return code;
}
