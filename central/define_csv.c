/*
 * define_csv.c: reading one spreadsheet export for `central define`: libcsv
 * in strict mode, spreadsheet row numbers kept through CRLF, blank lines
 * and quoted line breaks, every cell checked for UTF-8 before anyone uses it.
 */
#include "define_csv.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/fileio.h"

void ct_errlist_add(ct_errlist *l, int code, const char *what, const char *fmt, ...)
{
    va_list ap;

    l->total++;
    l->code = ct_exit_max(l->code, code);
    if (l->n < CT_ERRLIST_MAX) {
        ct_err *e = &l->e[l->n++];
        e->code = code;
        snprintf(e->what, sizeof e->what, "%s", what != NULL ? what : "");
        va_start(ap, fmt);
        vsnprintf(e->why, sizeof e->why, fmt, ap);
        va_end(ap);
    }
}

/* Spreadsheet column letters: 0 -> A, 25 -> Z, 26 -> AA. */
static void col_letters(size_t c, char out[16])
{
    char rev[16];
    size_t n = 0, i;

    do {
        rev[n++] = (char)('A' + (int)(c % 26));
        c = c / 26;
    } while (c-- > 0 && n < sizeof rev - 1);
    for (i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    out[n] = '\0';
}

void ct_csv_where(const ct_csv *t, size_t r, size_t s, char *out, size_t outlen)
{
    char letters[16];
    size_t c = t->col[s];

    if (c == (size_t)-1) {
        snprintf(out, outlen, "row %lu (no column %s)", t->row[r], t->spec[s].name);
    } else {
        col_letters(c, letters);
        snprintf(out, outlen, "row %lu, column %s (%s)", t->row[r], letters, t->header[c]);
    }
}

const char *ct_csv_cell(const ct_csv *t, size_t r, size_t s)
{
    size_t c = t->col[s];

    return c == (size_t)-1 ? "" : t->cells[r * t->n_cols + c];
}

void ct_csv_free(ct_csv *t)
{
    size_t i;

    if (t != NULL) {
        for (i = 0; t->header != NULL && i < t->n_cols; i++)
            free(t->header[i]);
        for (i = 0; t->cells != NULL && i < t->n_rows * t->n_cols; i++)
            free(t->cells[i]);
        free(t->header);
        free(t->cells);
        free(t->row);
        free(t->col);
        free(t->path);
        free(t);
    }
}

/* The parser's state between libcsv callbacks. */
typedef struct pstate {
    ct_csv *t;
    ct_errlist *errs;
    const ct_csv_colspec *spec;
    char **rec;                 /* cells of the record being read */
    size_t *rec_len;
    size_t n_rec, cap_rec;
    size_t cap_rows;            /* rows allocated in t->cells / t->row */
    unsigned long line;         /* spreadsheet row where this record starts */
    unsigned long breaks;       /* line breaks inside its quoted cells */
    int prev_cr;                /* the previous record ended with CR */
    int have_header, fatal, oom;
} pstate;

static void rec_clear(pstate *st)
{
    size_t i;

    for (i = 0; i < st->n_rec; i++)
        free(st->rec[i]);
    st->n_rec = 0;
}

/* Makes room for one more cell in the record being read; 0 or -1. */
static int rec_grow(pstate *st)
{
    size_t cap = st->cap_rec ? 2 * st->cap_rec : 16;
    char **r;
    size_t *l;
    int rc = -1;

    r = realloc(st->rec, cap * sizeof *r);
    if (r == NULL)
        goto out;
    st->rec = r;
    l = realloc(st->rec_len, cap * sizeof *l);
    if (l == NULL)
        goto out;
    st->rec_len = l;
    st->cap_rec = cap;
    rc = 0;
out:
    return rc;
}

static void on_field(void *s, size_t n, void *data)
{
    pstate *st = data;
    const char *p = s;
    char *copy = NULL;
    size_t i;

    if (!st->oom && st->n_rec == st->cap_rec && rec_grow(st) != 0)
        st->oom = 1;
    if (!st->oom && (copy = malloc(n + 1)) == NULL)
        st->oom = 1;
    if (!st->oom) {
        if (n > 0)
            memcpy(copy, p, n);
        copy[n] = '\0';
        /* CRLF, LF and a lone CR inside a quoted cell are one line break each. */
        for (i = 0; i < n; i++)
            if (p[i] == '\n' || (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n')))
                st->breaks++;
        st->rec[st->n_rec] = copy;
        st->rec_len[st->n_rec] = n;
        st->n_rec++;
    }
}

/* 0 when s[0..n) is UTF-8 (utf8proc's rules: shortest form, no surrogates,
 * at most U+10FFFF); else -1 and *at the 0-based offset of the bad byte. */
static int utf8_check(const char *s, size_t n, size_t *at)
{
    size_t i = 0;
    utf8proc_int32_t cp;
    int rc = 0;

    while (rc == 0 && i < n) {
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0 || cp < 0) {
            *at = i;
            rc = -1;
        } else {
            i += (size_t)k;
        }
    }
    return rc;
}

/* Checks one cell; adds an error naming row and column. 0 or -1. */
static int cell_ok(pstate *st, size_t c, const char *colname)
{
    char letters[16], where[160];
    size_t at = 0;
    int rc = 0;

    col_letters(c, letters);
    if (colname != NULL)
        snprintf(where, sizeof where, "row %lu, column %s (%s)", st->line, letters, colname);
    else
        snprintf(where, sizeof where, "row %lu, column %s", st->line, letters);
    if (memchr(st->rec[c], '\0', st->rec_len[c]) != NULL) {
        ct_errlist_add(st->errs, CT_EXIT_FAIL, st->t->path, "%s: contains a NUL byte", where);
        rc = -1;
    } else if (utf8_check(st->rec[c], st->rec_len[c], &at) != 0) {
        ct_errlist_add(st->errs, CT_EXIT_FAIL, st->t->path,
                       "%s: not valid UTF-8 at byte %zu (0x%02x): a Latin-1 or Windows-1252 "
                       "export? Save the sheet as CSV UTF-8",
                       where, at + 1, (unsigned)(unsigned char)st->rec[c][at]);
        rc = -1;
    }
    return rc;
}

/* Matches the header's names to the spec; sets st->fatal when it cannot
 * be used. A column with an empty name is allowed (spreadsheets export
 * trailing empty columns) as long as its cells are empty too. */
static void take_header(pstate *st)
{
    ct_csv *t = st->t;
    char letters[16], list[512], esc[160];
    size_t c, s, used = 0, at = 0;
    int bad = 0;

    for (s = 0; s < t->n_spec; s++) {
        int k = snprintf(list + used, sizeof list - used, "%s%s", s ? ", " : "", st->spec[s].name);
        if (k > 0 && (size_t)k < sizeof list - used)
            used += (size_t)k;
    }
    t->header = calloc(st->n_rec, sizeof *t->header);
    if (t->header == NULL) {
        st->oom = 1;
        goto out;
    }
    t->n_cols = st->n_rec;
    for (c = 0; c < st->n_rec; c++) {
        t->header[c] = st->rec[c];
        st->rec[c] = NULL;
    }
    st->n_rec = 0;
    if (t->n_cols == 1 && strchr(t->header[0], ';') != NULL) {
        ct_errlist_add(st->errs, CT_EXIT_FAIL, t->path,
                       "row %lu: the header has no comma (a semicolon-separated export? Save "
                       "the sheet as comma-separated CSV)", st->line);
        bad = 1;
        goto out;
    }
    for (c = 0; c < t->n_cols; c++) {
        col_letters(c, letters);
        for (s = 0; s < t->n_spec && strcmp(st->spec[s].name, t->header[c]) != 0; s++)
            ;
        if (t->header[c][0] == '\0') {
            continue;
        } else if (utf8_check(t->header[c], strlen(t->header[c]), &at) != 0) {
            ct_errlist_add(st->errs, CT_EXIT_FAIL, t->path,
                           "row %lu, column %s: the header is not valid UTF-8", st->line, letters);
            bad = 1;
        } else if (s == t->n_spec) {
            ct_errlist_add(st->errs, CT_EXIT_FAIL, t->path,
                           "row %lu, column %s: unknown column \"%s\" (the columns are: %s)",
                           st->line, letters, cm_escape(t->header[c], esc, sizeof esc), list);
            bad = 1;
        } else if (t->col[s] != (size_t)-1) {
            ct_errlist_add(st->errs, CT_EXIT_FAIL, t->path,
                           "row %lu, column %s: column \"%s\" appears twice", st->line, letters,
                           st->spec[s].name);
            bad = 1;
        } else {
            t->col[s] = c;
        }
    }
    for (s = 0; s < t->n_spec && !bad; s++)
        if (st->spec[s].required && t->col[s] == (size_t)-1) {
            ct_errlist_add(st->errs, CT_EXIT_FAIL, t->path,
                           "row %lu: no column \"%s\" in the header (the columns are: %s)",
                           st->line, st->spec[s].name, list);
            bad = 1;
        }
out:
    st->fatal = bad;
}

/* Makes room for one more data row; 0 or -1. */
static int rows_grow(pstate *st)
{
    ct_csv *t = st->t;
    size_t cap = st->cap_rows ? 2 * st->cap_rows : 64;
    char **cells;
    unsigned long *rows;
    int rc = -1;

    cells = realloc(t->cells, cap * t->n_cols * sizeof *cells);
    if (cells == NULL)
        goto out;
    t->cells = cells;
    rows = realloc(t->row, cap * sizeof *rows);
    if (rows == NULL)
        goto out;
    t->row = rows;
    st->cap_rows = cap;
    rc = 0;
out:
    return rc;
}

/* Checks and keeps one data row; a bad row is reported and left out. */
static void take_row(pstate *st)
{
    ct_csv *t = st->t;
    char letters[16];
    size_t c;
    int bad = 0;

    if (st->n_rec != t->n_cols) {
        ct_errlist_add(st->errs, CT_EXIT_FAIL, t->path,
                       "row %lu: %zu cells, but the header has %zu", st->line, st->n_rec,
                       t->n_cols);
        bad = 1;
    }
    for (c = 0; !bad && c < st->n_rec; c++) {
        if (cell_ok(st, c, t->header[c][0] ? t->header[c] : NULL) != 0) {
            bad = 1;
        } else if (t->header[c][0] == '\0' && st->rec_len[c] != 0) {
            col_letters(c, letters);
            ct_errlist_add(st->errs, CT_EXIT_FAIL, t->path,
                           "row %lu, column %s: a value in a column with no name in the header",
                           st->line, letters);
            bad = 1;
        }
    }
    if (!bad && t->n_rows == st->cap_rows && rows_grow(st) != 0) {
        st->oom = 1;
        bad = 1;
    }
    if (!bad) {
        for (c = 0; c < t->n_cols; c++) {
            t->cells[t->n_rows * t->n_cols + c] = st->rec[c];
            st->rec[c] = NULL;
        }
        t->row[t->n_rows++] = st->line;
        st->n_rec = 0;
    }
}

static void on_record(int term, void *data)
{
    pstate *st = data;
    size_t c;
    int empty = 1;

    /* libcsv (CSV_REPALL_NL) ends a record at CR and again at the LF of
     * CRLF; that second, empty one is no row. */
    if (term == '\n' && st->prev_cr && st->n_rec == 0) {
        st->prev_cr = 0;
    } else {
        st->prev_cr = term == '\r';
        for (c = 0; c < st->n_rec; c++)
            if (st->rec_len[c] != 0)
                empty = 0;
        if (!empty && !st->oom && !st->fatal) {
            if (!st->have_header) {
                st->have_header = 1;
                take_header(st);
            } else {
                take_row(st);
            }
        }
        rec_clear(st);
        st->line += 1 + st->breaks;
        st->breaks = 0;
    }
}

/* Blanks every line that begins with '#' outside a quoted cell (its bytes
 * become spaces, which libcsv drops, so the line reads as an empty row and
 * row numbers still count it). A quote's parity tells inside from outside:
 * a doubled quote inside a cell toggles twice. */
static void blank_comments(uint8_t *buf, size_t len)
{
    size_t i = 0;
    int quoted = 0, at_start = 1;

    while (i < len) {
        if (at_start && !quoted && buf[i] == '#') {
            for (; i < len && buf[i] != '\n' && buf[i] != '\r'; i++)
                buf[i] = ' ';
            continue;
        }
        if (buf[i] == '"')
            quoted = !quoted;
        at_start = !quoted && (buf[i] == '\n' || buf[i] == '\r');
        i++;
    }
}

static int csv_read(const char *path, size_t max, int comments, const ct_csv_colspec *spec,
                    ct_csv **out, ct_errlist *errs);

int ct_csv_read(const char *path, size_t max, const ct_csv_colspec *spec, ct_csv **out,
                ct_errlist *errs)
{
    return csv_read(path, max, 0, spec, out, errs);
}

int ct_csv_read_commented(const char *path, size_t max, const ct_csv_colspec *spec, ct_csv **out,
                          ct_errlist *errs)
{
    return csv_read(path, max, 1, spec, out, errs);
}

static int csv_read(const char *path, size_t max, int comments, const ct_csv_colspec *spec,
                    ct_csv **out, ct_errlist *errs)
{
    struct csv_parser p;
    int p_ok = 0, rc = -1, k;
    uint8_t *buf = NULL;
    size_t len = 0, off = 0, used, s, i;
    unsigned long line;
    pstate st;
    pr_diag d;
    ct_csv *t = NULL;

    memset(&st, 0, sizeof st);
    memset(&d, 0, sizeof d);
    *out = NULL;
    k = cm_read_file(path, max, 1, &buf, &len, NULL, &d);
    if (k == -2) {
        ct_errlist_add(errs, CT_EXIT_FAIL, path, "larger than %zu bytes", max);
        goto out;
    }
    if (k == -3) {
        ct_errlist_add(errs, CT_EXIT_IO, path, "not a regular file");
        goto out;
    }
    if (k != 0) {
        ct_errlist_add(errs, CT_EXIT_IO, path, "%s", d.msg[0] ? d.msg : strerror(errno));
        goto out;
    }
    if (len >= 2 && ((buf[0] == 0xff && buf[1] == 0xfe) || (buf[0] == 0xfe && buf[1] == 0xff))) {
        ct_errlist_add(errs, CT_EXIT_FAIL, path,
                       "UTF-16 text (\"Unicode text\" export?): save the sheet as CSV UTF-8");
        goto out;
    }
    if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
        off = 3;
    if (comments)
        blank_comments(buf + off, len - off);
    t = calloc(1, sizeof *t);
    if (t == NULL || (t->path = strdup(path)) == NULL)
        goto oom;
    for (s = 0; spec[s].name != NULL; s++)
        ;
    t->n_spec = s;
    t->col = malloc((s ? s : 1) * sizeof *t->col);
    if (t->col == NULL)
        goto oom;
    for (s = 0; s < t->n_spec; s++)
        t->col[s] = (size_t)-1;
    t->spec = spec;
    st.t = t;
    st.errs = errs;
    st.spec = spec;
    st.line = 1;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL) != 0)
        goto oom;
    p_ok = 1;
    used = csv_parse(&p, buf + off, len - off, on_field, on_record, &st);
    if (st.oom)
        goto oom;
    if (used < len - off) {
        if (csv_error(&p) == CSV_ENOMEM)
            goto oom;
        for (line = 1, i = off; i < off + used; i++)
            if (buf[i] == '\n')
                line++;
        ct_errlist_add(errs, CT_EXIT_FAIL, path,
                       "row %lu: not valid CSV (a stray quote? Quote the whole cell and double "
                       "each quote inside it)", line);
        goto out;
    }
    if (csv_fini(&p, on_field, on_record, &st) != 0) {
        if (csv_error(&p) == CSV_ENOMEM || st.oom)
            goto oom;
        ct_errlist_add(errs, CT_EXIT_FAIL, path, "row %lu: a quoted cell is never closed", st.line);
        goto out;
    }
    if (st.oom)
        goto oom;
    if (!st.have_header) {
        ct_errlist_add(errs, CT_EXIT_FAIL, path, "empty: no header row");
        goto out;
    }
    if (st.fatal)
        goto out;
    *out = t;
    t = NULL;
    rc = 0;
    goto out;
oom:
    ct_errlist_add(errs, CT_EXIT_IO, path, "out of memory");
out:
    if (p_ok)
        csv_free(&p);
    rec_clear(&st);
    free(st.rec);
    free(st.rec_len);
    ct_csv_free(t);
    free(buf);
    return rc;
}
