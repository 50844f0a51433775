/*
 * status.c: `central status`: exactly one status per expected (precinct,
 * contest) of the definition, a summary per contest and the totals, named
 * by the event they were computed at.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ct.h"
#include "db.h"
#include "jsonout.h"
#include "report.h"

static const char status_usage[] =
    "usage: central status --db DB [--json] [--as-of SEQ] [--fail-incomplete]\n";
static const char status_help[] =
    "Prints the status of every (precinct, contest) of the definition: in-tally,\n"
    "held, conflict, rejected-only or missing; then counts per contest and in\n"
    "total, and the event sequence number and head hash they were computed at.\n"
    "--as-of SEQ computes them as they were after event SEQ. --fail-incomplete\n"
    "exits 1 when anything is not in the tally.\n";

/* Width of a summary column: its heading, at least 8. */
static size_t colw(const char *heading)
{
    size_t n = strlen(heading);

    return n > 8 ? n : 8;
}

static void print_counts_row(FILE *out, const char *label, size_t lw, size_t expected,
                             const size_t *by)
{
    char num[32];
    size_t s;

    ct_pad(out, label, lw);
    snprintf(num, sizeof num, "%zu", expected);
    fputs("  ", out);
    ct_rpad(out, num, colw("expected"));
    for (s = 0; s < CT_ST_COUNT; s++) {
        snprintf(num, sizeof num, "%zu", by[s]);
        fputs("  ", out);
        ct_rpad(out, num, colw(ct_status_name((ct_status)s)));
    }
    fputc('\n', out);
}

static void print_text(FILE *out, const cm_definition *def, const ct_report *r)
{
    size_t wp = strlen("precinct"), wc = strlen("contest"), ws = strlen("status"), i, c, s;
    size_t total[CT_ST_COUNT], by[CT_ST_COUNT], expected, all = 0;
    char hex[PR_HASH_HEX + 1], rev[32];

    memset(total, 0, sizeof total);
    for (i = 0; i < r->n; i++) {
        const ct_pc_row *row = &r->rows[i];
        size_t a = ct_width(def->precincts[row->precinct].id), b = ct_width(def->contests[row->contest].id);
        if (a > wp)
            wp = a;
        if (b > wc)
            wc = b;
        if (strlen(ct_status_name(row->status)) > ws)
            ws = strlen(ct_status_name(row->status));
    }
    ct_pad(out, "precinct", wp);
    fputs("  ", out);
    ct_pad(out, "contest", wc);
    fputs("  ", out);
    ct_pad(out, "status", ws);
    fputs("  revision  return\n", out);
    for (i = 0; i < r->n; i++) {
        const ct_pc_row *row = &r->rows[i];
        ct_pad(out, def->precincts[row->precinct].id, wp);
        fputs("  ", out);
        ct_pad(out, def->contests[row->contest].id, wc);
        fputs("  ", out);
        if (row->has_head) {
            ct_pad(out, ct_status_name(row->status), ws);
            ct_hex(hex, row->hash, PR_HASH_BYTES);
            snprintf(rev, sizeof rev, "%llu", (unsigned long long)row->revision);
            fputs("  ", out);
            ct_rpad(out, rev, 8);
            fprintf(out, "  %.16s\n", hex);
        } else {
            fprintf(out, "%s\n", ct_status_name(row->status));
        }
        total[row->status]++;
        all++;
    }
    fputc('\n', out);
    ct_pad(out, "contest", wc);
    fputs("  ", out);
    ct_rpad(out, "expected", colw("expected"));
    for (s = 0; s < CT_ST_COUNT; s++) {
        fputs("  ", out);
        ct_rpad(out, ct_status_name((ct_status)s), colw(ct_status_name((ct_status)s)));
    }
    fputc('\n', out);
    for (c = 0; c < def->n_contests; c++) {
        memset(by, 0, sizeof by);
        expected = 0;
        for (i = 0; i < r->n; i++) {
            if (r->rows[i].contest == c) {
                by[r->rows[i].status]++;
                expected++;
            }
        }
        print_counts_row(out, def->contests[c].id, wc, expected, by);
    }
    print_counts_row(out, "total", wc, all, total);
    ct_hex(hex, r->head, PR_HASH_BYTES);
    fprintf(out, "\nas of event %lld, head %s\n", (long long)r->seq, hex);
}

static json_t *counts_json(size_t expected, const size_t *by)
{
    json_t *j = json_object();
    size_t s;

    json_object_set_new(j, "expected", json_integer((json_int_t)expected));
    for (s = 0; s < CT_ST_COUNT; s++)
        json_object_set_new(j, ct_status_name((ct_status)s), json_integer((json_int_t)by[s]));
    return j;
}

static void print_json(FILE *out, const cm_definition *def, const ct_report *r)
{
    json_t *root = json_object(), *rows = json_array(), *contests = json_array(), *o;
    size_t total[CT_ST_COUNT], by[CT_ST_COUNT], expected, i, c;
    char hex[PR_HASH_HEX + 1];

    memset(total, 0, sizeof total);
    json_object_set_new(root, "election", json_string(def->id));
    ct_hex(hex, r->head, PR_HASH_BYTES);
    o = json_object();
    json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
    json_object_set_new(o, "head", json_string(hex));
    json_object_set_new(root, "as_of", o);
    for (i = 0; i < r->n; i++) {
        const ct_pc_row *row = &r->rows[i];
        o = json_object();
        json_object_set_new(o, "precinct", json_string(def->precincts[row->precinct].id));
        json_object_set_new(o, "contest", json_string(def->contests[row->contest].id));
        json_object_set_new(o, "status", json_string(ct_status_name(row->status)));
        if (row->has_head) {
            ct_hex(hex, row->hash, PR_HASH_BYTES);
            json_object_set_new(o, "revision", ct_json_count(row->revision));
            json_object_set_new(o, "return", json_string(hex));
            json_object_set_new(o, "verdict", json_string(ct_verdict_name(row->verdict)));
        }
        json_array_append_new(rows, o);
        total[row->status]++;
    }
    for (c = 0; c < def->n_contests; c++) {
        memset(by, 0, sizeof by);
        expected = 0;
        for (i = 0; i < r->n; i++) {
            if (r->rows[i].contest == c) {
                by[r->rows[i].status]++;
                expected++;
            }
        }
        o = counts_json(expected, by);
        json_object_set_new(o, "contest", json_string(def->contests[c].id));
        json_array_append_new(contests, o);
    }
    json_object_set_new(root, "precincts", rows);
    json_object_set_new(root, "contests", contests);
    json_object_set_new(root, "totals", counts_json(r->n, total));
    ct_json_print(out, root);
    json_decref(root);
}

int ct_cmd_status(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},   {"json", 0}, {"as-of", 1}, {"fail-incomplete", 0},
                                       {"help", 0}, {NULL, 0}};
    const char *dbpath = NULL, *v;
    long long as_of = 0;
    int opt, k, json = 0, fail_incomplete = 0, code = CT_EXIT_OK;
    ct_report r;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    size_t i;

    memset(&r, 0, sizeof r);
    memset(&e, 0, sizeof e);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, status_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, status_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0) {
            dbpath = v;
        } else if (opt == 1) {
            json = 1;
        } else if (opt == 2) {
            if (ct_parse_uint(v, INT64_MAX, &as_of) != 0 || as_of == 0) {
                code = ct_usage_error(err, status_usage, "--as-of", "an event sequence number >= 1");
                goto out;
            }
        } else if (opt == 3) {
            fail_incomplete = 1;
        } else {
            fputs(status_usage, out);
            fputs(status_help, out);
            goto out;
        }
    }
    if (dbpath == NULL) {
        code = ct_usage_error(err, status_usage, "status", "--db DB is required");
        goto out;
    }
    if (ct_db_open(dbpath, 1, &db, &e) != 0 || ct_report_build(db, (int64_t)as_of, 0, &r, &e) != 0) {
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    if (json)
        print_json(out, db->def, &r);
    else
        print_text(out, db->def, &r);
    if (fail_incomplete)
        for (i = 0; i < r.n; i++)
            if (r.rows[i].status != CT_ST_IN_TALLY)
                code = CT_EXIT_FAIL;
out:
    ct_report_free(&r);
    ct_db_close(db);
    return code;
}
