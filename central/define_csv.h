/*
 * define_csv.h: the spreadsheet side of `central define --from-csv`: one
 * CSV file read whole with libcsv into checked cells (UTF-8, a known
 * header), each data row keeping its spreadsheet row number for messages.
 */
#ifndef CENTRAL_DEFINE_CSV_H
#define CENTRAL_DEFINE_CSV_H

#include <stddef.h>

#include "ct.h"

/* At most this many errors are kept (and printed); more are only counted. */
#define CT_ERRLIST_MAX 20

/* Errors found so far, in the order found. */
typedef struct ct_errlist {
    size_t n;                   /* kept, <= CT_ERRLIST_MAX */
    size_t total;               /* found, including those not kept */
    int code;                   /* highest exit code among them (0: none) */
    ct_err e[CT_ERRLIST_MAX];
} ct_errlist;

/* Adds an error (what may be NULL); keeps the first CT_ERRLIST_MAX. */
void ct_errlist_add(ct_errlist *l, int code, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* One expected column: its header name and whether it must be present. */
typedef struct ct_csv_colspec {
    const char *name;
    int required;
} ct_csv_colspec;

/* A CSV table. Header names are matched exactly; columns may come in any
 * order; absent optional columns read as empty cells. */
typedef struct ct_csv {
    char *path;                 /* as given, for messages */
    size_t n_cols;              /* columns in the file's header */
    char **header;              /* n_cols header cells */
    const ct_csv_colspec *spec; /* as given to ct_csv_read (not owned) */
    size_t n_spec;              /* its entries */
    size_t *col;                /* per spec entry: file column, or (size_t)-1 */
    size_t n_rows;              /* data rows (all-empty rows are skipped) */
    char **cells;               /* n_rows x n_cols, NUL-terminated UTF-8 */
    unsigned long *row;         /* spreadsheet row of each data row (header: 1) */
} ct_csv;

/* Reads the CSV file at path (at most max bytes) against spec (ended by a
 * {NULL, 0} entry). The first non-empty record is the header; a UTF-8 BOM
 * is skipped; unquoted fields lose surrounding spaces and tabs (libcsv);
 * rows whose cells are all empty are skipped.
 * On success returns 0 and *out owns a new table (ct_csv_free); errors of
 * single rows (a wrong number of cells, invalid UTF-8, a NUL byte) are
 * added to errs and the row left out, so the caller reports them all.
 * Returns -1 with *out NULL and errs extended when the file cannot be read
 * (CT_EXIT_IO) or used at all (CT_EXIT_FAIL: a bad header, CSV syntax,
 * UTF-16, too large). */
int ct_csv_read(const char *path, size_t max, const ct_csv_colspec *spec, ct_csv **out,
                ct_errlist *errs);

/* As ct_csv_read, but a line that begins with '#' (outside a quoted cell)
 * is a comment: it reads as an empty row, so row numbers still count it.
 * For tables people transcribe and annotate (`central compare`). */
int ct_csv_read_commented(const char *path, size_t max, const ct_csv_colspec *spec, ct_csv **out,
                          ct_errlist *errs);

/* Frees a table; NULL is allowed. */
void ct_csv_free(ct_csv *t);

/* The cell of data row r for spec entry s: "" when the column is absent. */
const char *ct_csv_cell(const ct_csv *t, size_t r, size_t s);

/* Writes `row R, column L (NAME)` for data row r and spec entry s into out
 * (the column letter as a spreadsheet shows it: A, B, ..., Z, AA, ...). */
void ct_csv_where(const ct_csv *t, size_t r, size_t s, char *out, size_t outlen);

#endif
