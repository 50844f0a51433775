/*
 * status.c: `central status`: exactly one status per expected (precinct,
 * contest) of the definition, grouped by area, a summary per contest, per
 * area and in total, named by the event they were computed at.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "certify.h"
#include "commands.h"
#include "ct.h"
#include "db.h"
#include "evidence.h"
#include "history.h"
#include "jsonout.h"
#include "report.h"
#include "running.h"

static const char status_usage[] =
    "usage: central status --db DB [--summary [--recount]] [--json] [--as-of SEQ]\n"
    "                      [--fail-incomplete]\n";
static const char status_help[] =
    "Prints the status of every (precinct, contest) of the definition, grouped by\n"
    "area: in-tally, held, conflict, rejected-only, missing or excused (a return\n"
    "whose key was revoked as compromised after it came is marked key-compromised);\n"
    "then counts per contest, in total and per area (with its sub-areas); then the\n"
    "reports turnout-outlier and registered-differs-across-contests\n"
    "(docs/DEFINITION.md, \"Reports\"); and the event sequence number and head\n"
    "hash they were computed at. Evidence: the scans the returns that stand name\n"
    "(evidence lines), how many of them central holds (`central import --evidence`)\n"
    "and which are missing, per precinct and contest and in total.\n"
    "--as-of SEQ computes them as they were after event SEQ. --fail-incomplete\n"
    "exits 1 when anything is neither in the tally nor excused. --summary prints\n"
    "only the counts per contest and in total, read at the newest event from the\n"
    "tally cache that every import keeps (a national election has a million\n"
    "rows); with --recount, from every decision.\n";

/* The evidence named by each row's standing return (the head: in the tally
 * or held), compact: rows index into one array of hashes. */
typedef struct row_evidence {
    size_t first;                   /* into status_evidence.hash */
    unsigned char n;                /* scans named, 0..PR_EVIDENCE_MAX */
    unsigned char held;             /* bit i: hash[first + i] is held */
} row_evidence;

typedef struct status_evidence {
    row_evidence *row;              /* one per report row */
    uint8_t (*hash)[PR_HASH_BYTES];
    size_t n_hash, cap;
    size_t named, held;             /* over all rows */
    size_t scans;                   /* scans central holds, named or not */
} status_evidence;

static void status_evidence_free(status_evidence *v)
{
    free(v->row);
    free(v->hash);
    memset(v, 0, sizeof *v);
}

/* Fills v for every row of r with a head, at event r->seq. 0, or -1 with e. */
static int status_evidence_build(ct_db *db, const ct_report *r, status_evidence *v, ct_err *e)
{
    ct_evidence_list l;
    size_t i, k;
    int rc = -1, any = 0;

    memset(v, 0, sizeof *v);
    v->row = calloc(r->n ? r->n : 1, sizeof *v->row);
    if (v->row == NULL)
        goto oom;
    /* No return names a scan (the usual case): nothing to look up per row. */
    if (ct_evidence_named_any(db, &any, e) != 0)
        goto out;
    for (i = 0; any && i < r->n; i++) {
        if (!r->rows[i].has_head)
            continue;
        if (ct_evidence_of_file(db, r->rows[i].file, r->seq, &l, e) != 0)
            goto out;
        if (l.n == 0)
            continue;
        if (v->n_hash + l.n > v->cap) {
            size_t ncap = v->cap ? 2 * v->cap : 64;
            uint8_t(*nh)[PR_HASH_BYTES];
            while (ncap < v->n_hash + l.n)
                ncap *= 2;
            nh = realloc(v->hash, ncap * sizeof *nh);
            if (nh == NULL)
                goto oom;
            v->hash = nh;
            v->cap = ncap;
        }
        v->row[i].first = v->n_hash;
        v->row[i].n = (unsigned char)l.n;
        for (k = 0; k < l.n; k++) {
            memcpy(v->hash[v->n_hash++], l.hash[k], PR_HASH_BYTES);
            if (l.held[k]) {
                v->row[i].held |= (unsigned char)(1u << k);
                v->held++;
            }
        }
        v->named += l.n;
    }
    if (ct_evidence_held_total(db, r->seq, &v->scans, e) != 0)
        goto out;
    rc = 0;
    goto out;
oom:
    ct_err_set(e, CT_EXIT_IO, "status", "out of memory");
out:
    return rc;
}

/* The evidence paragraph: totals, a row per (precinct, contest) whose
 * standing return names scans, and a line per scan central lacks. */
static void print_evidence_text(FILE *out, const cm_definition *def, const ct_report *r,
                                const status_evidence *v, size_t wp, size_t wc)
{
    char num[32], hex[PR_HASH_HEX + 1];
    size_t i, k;
    unsigned held;

    fprintf(out, "\nevidence: %zu named by the returns that stand, %zu held, %zu missing; central "
                 "holds %zu scan%s\n",
            v->named, v->held, v->named - v->held, v->scans, v->scans == 1 ? "" : "s");
    if (v->named == 0)
        return;
    fputs("  ", out);
    ct_pad(out, "precinct", wp);
    fputs("  ", out);
    ct_pad(out, "contest", wc);
    fputs("  named  held  missing\n", out);
    for (i = 0; i < r->n; i++) {
        const row_evidence *x = &v->row[i];
        if (x->n == 0)
            continue;
        for (held = 0, k = 0; k < x->n; k++)
            held += (x->held >> k) & 1u;
        fputs("  ", out);
        ct_pad(out, def->precincts[r->rows[i].precinct].id, wp);
        fputs("  ", out);
        ct_pad(out, def->contests[r->rows[i].contest].id, wc);
        snprintf(num, sizeof num, "%u", (unsigned)x->n);
        fputs("  ", out);
        ct_rpad(out, num, 5);
        snprintf(num, sizeof num, "%u", held);
        fputs("  ", out);
        ct_rpad(out, num, 4);
        snprintf(num, sizeof num, "%u", (unsigned)x->n - held);
        fputs("  ", out);
        ct_rpad(out, num, 7);
        fputc('\n', out);
    }
    for (i = 0; i < r->n; i++) {
        const row_evidence *x = &v->row[i];
        for (k = 0; k < x->n; k++) {
            if ((x->held >> k) & 1u)
                continue;
            ct_hex(hex, v->hash[x->first + k], PR_HASH_BYTES);
            fprintf(out, "  missing %s %s %s\n", def->precincts[r->rows[i].precinct].id,
                    def->contests[r->rows[i].contest].id, hex);
        }
    }
}

/* Width of a summary column: its heading, at least 8. */
static size_t colw(const char *heading)
{
    size_t n = strlen(heading);

    return n > 8 ? n : 8;
}

/* The heading of a table of counts per status: label's column, then
 * expected and each status. */
static void print_counts_header(FILE *out, const char *label, size_t lw)
{
    size_t s;

    ct_pad(out, label, lw);
    fputs("  ", out);
    ct_rpad(out, "expected", colw("expected"));
    for (s = 0; s < CT_ST_COUNT; s++) {
        fputs("  ", out);
        ct_rpad(out, ct_status_name((ct_status)s), colw(ct_status_name((ct_status)s)));
    }
    fputc('\n', out);
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

/* Reports that are never verdicts (DESIGN 7): one line each. */
static void print_notes_text(FILE *out, const cm_definition *def, const ct_note *notes, size_t n)
{
    size_t i;

    fprintf(out, "\nreports: %zu\n", n);
    for (i = 0; i < n; i++)
        fprintf(out, "%s %s %s %s\n", ct_note_name(notes[i].kind), def->precincts[notes[i].precinct].id,
                def->contests[notes[i].contest].id, notes[i].detail);
}

static json_t *notes_json(const cm_definition *def, const ct_note *notes, size_t n)
{
    json_t *a = json_array(), *o;
    size_t i;

    for (i = 0; i < n; i++) {
        o = json_object();
        json_object_set_new(o, "report", json_string(ct_note_name(notes[i].kind)));
        json_object_set_new(o, "precinct", json_string(def->precincts[notes[i].precinct].id));
        json_object_set_new(o, "contest", json_string(def->contests[notes[i].contest].id));
        json_object_set_new(o, "detail", ct_json_text(notes[i].detail));
        json_array_append_new(a, o);
    }
    return a;
}

static size_t root_area(const cm_definition *def)
{
    size_t i, root = 0;

    for (i = 0; i < def->n_areas; i++)
        if (def->areas[i].parent == (size_t)-1)
            root = i;
    return root;
}

/* Where status finds rows by area (area_index_build). */
typedef struct area_index {
    size_t *tab;    /* tab[a * CT_ST_COUNT + s]: rows of status s in area a's subtree */
    size_t *idx;    /* row indexes grouped by their area's position in order[] */
    size_t *start;  /* rows of order[k] are idx[start[k] .. start[k + 1]) */
} area_index;

/* Counts per status of the rows of precincts in area top's subtree, into
 * by; returns their sum. */
static size_t area_counts(const area_index *ax, size_t top, size_t *by)
{
    size_t i, expected = 0;

    memcpy(by, ax->tab + top * CT_ST_COUNT, CT_ST_COUNT * sizeof *by);
    for (i = 0; i < CT_ST_COUNT; i++)
        expected += by[i];
    return expected;
}

/* Counts per area (its whole subtree) and status in one pass over the rows,
 * each row added to its area and every area above: tab[a * CT_ST_COUNT +
 * s], malloc'd; NULL when out of memory. Issue 8: scanning every row for
 * every area took minutes at 95,000 precincts in 2,900 areas. */
static size_t *area_table(const cm_definition *def, const ct_report *r)
{
    size_t *tab = calloc(def->n_areas * CT_ST_COUNT + 1, sizeof *tab);
    size_t i, a, steps;

    for (i = 0; tab != NULL && i < r->n; i++)
        for (a = def->precincts[r->rows[i].precinct].area, steps = 0;
             a < def->n_areas && steps <= def->n_areas; a = def->areas[a].parent, steps++)
            tab[a * CT_ST_COUNT + r->rows[i].status]++;
    return tab;
}

/* The rows and where their areas stand in order[] (rows_by_area). */
typedef struct area_pos {
    const cm_definition *def;
    const ct_report *r;
    size_t *pos;                    /* per area: its place in order[], or n_order */
} area_pos;

static size_t row_area_pos(const void *ctx, size_t i)
{
    const area_pos *x = ctx;

    return x->pos[x->def->precincts[x->r->rows[i].precinct].area];
}

/* Row indexes grouped by the position of their precinct's area in order[]
 * (stable: report order within an area): rows of order[k] are
 * idx[start[k] .. start[k + 1]) (rows of areas not in order[] come after).
 * Both malloc'd; 0, or -1 out of memory. */
static int rows_by_area(const cm_definition *def, const ct_report *r, const size_t *order,
                        size_t n_order, size_t **idx, size_t **start)
{
    area_pos x = {def, r, malloc((def->n_areas + 1) * sizeof *x.pos)};
    size_t i;
    int rc = -1;

    if (x.pos != NULL) {
        for (i = 0; i < def->n_areas; i++)
            x.pos[i] = n_order;
        for (i = 0; i < n_order; i++)
            x.pos[order[i]] = i;
        rc = ct_group_by(r->n, n_order + 1, row_area_pos, &x, idx, start);
    }
    free(x.pos);
    return rc;
}

static void area_index_free(area_index *ax)
{
    free(ax->tab);
    free(ax->idx);
    free(ax->start);
}

/* Both tables for the areas of order[0..n_order). 0, or -1 out of memory. */
static int area_index_build(const cm_definition *def, const ct_report *r, const size_t *order,
                            size_t n_order, area_index *ax)
{
    memset(ax, 0, sizeof *ax);
    if ((ax->tab = area_table(def, r)) == NULL ||
        rows_by_area(def, r, order, n_order, &ax->idx, &ax->start) != 0) {
        area_index_free(ax);
        return -1;
    }
    return 0;
}

/* Rows grouped by area, in the tree's depth-first order (DESIGN 7: each
 * (precinct, contest) in exactly one status, per area); a precinct's rows
 * come under its own area. flags[i]: row i's head was signed by a key
 * revoked as compromised after it came (key-compromised). */
static void print_text(FILE *out, const cm_definition *def, const ct_report *r, const int *flags,
                       const ct_note *notes, size_t n_notes, const size_t *order,
                       const size_t *depth, size_t n_order, const area_index *ax,
                       const status_evidence *ev)
{
    size_t wp = strlen("precinct"), wc = strlen("contest"), ws = strlen("status"), wa, i, c, k;
    size_t total[CT_ST_COUNT], by[CT_ST_COUNT], expected, all = 0;
    char hex[PR_HASH_HEX + 1], rev[32], label[PR_ID_MAX + 2 * 64 + 1], name[PR_NAME_MAX * 4 + 1];

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
    fputs("  ", out);
    ct_pad(out, "precinct", wp);
    fputs("  ", out);
    ct_pad(out, "contest", wc);
    fputs("  ", out);
    ct_pad(out, "status", ws);
    fputs("  revision  return\n", out);
    for (k = 0; k < n_order; k++) {
        ct_display(def->areas[order[k]].name, name, sizeof name);
        fprintf(out, "area %s (%s)\n", def->areas[order[k]].id, name);
        for (size_t j = ax->start[k]; j < ax->start[k + 1]; j++) {
            const ct_pc_row *row = &r->rows[i = ax->idx[j]];
            fputs("  ", out);
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
                fprintf(out, "  %.16s%s\n", hex, flags[i] ? "  key-compromised" : "");
            } else {
                fprintf(out, "%s\n", ct_status_name(row->status));
            }
            total[row->status]++;
            all++;
        }
    }
    fputc('\n', out);
    print_counts_header(out, "contest", wc);
    for (c = 0; c < def->n_contests; c++) {
        expected = ct_contest_status_counts(r, c, by);
        print_counts_row(out, def->contests[c].id, wc, expected, by);
    }
    print_counts_row(out, "total", wc, all, total);
    /* Sub-totals per area, each with its whole subtree. */
    wa = strlen("area");
    for (k = 0; k < n_order; k++)
        if (2 * depth[k] + ct_width(def->areas[order[k]].id) > wa)
            wa = 2 * depth[k] + ct_width(def->areas[order[k]].id);
    fputc('\n', out);
    print_counts_header(out, "area", wa);
    for (k = 0; k < n_order; k++) {
        snprintf(label, sizeof label, "%*s%s", (int)(2 * (depth[k] < 64 ? depth[k] : 64)), "",
                 def->areas[order[k]].id);
        expected = area_counts(ax, order[k], by);
        print_counts_row(out, label, wa, expected, by);
    }
    print_notes_text(out, def, notes, n_notes);
    print_evidence_text(out, def, r, ev, wp, wc);
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

static void print_json(FILE *out, const cm_definition *def, const ct_report *r, const int *flags,
                       const ct_note *notes, size_t n_notes, const size_t *order,
                       const size_t *depth, size_t n_order, const area_index *ax,
                       const status_evidence *ev)
{
    json_t *root = json_object(), *rows = json_array(), *contests = json_array(),
           *areas = json_array(), *o;
    size_t k;
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
        json_object_set_new(o, "area", json_string(def->areas[def->precincts[row->precinct].area].id));
        json_object_set_new(o, "status", json_string(ct_status_name(row->status)));
        if (flags[i]) {
            json_t *f = json_array();
            json_array_append_new(f, json_string("key-compromised"));
            json_object_set_new(o, "flags", f);
        }
        if (row->has_head) {
            ct_hex(hex, row->hash, PR_HASH_BYTES);
            json_object_set_new(o, "revision", ct_json_count(row->revision));
            json_object_set_new(o, "return", json_string(hex));
            json_object_set_new(o, "verdict", json_string(ct_verdict_name(row->verdict)));
            /* The scans the standing return names, and whether held. */
            json_t *ea = json_array();
            for (size_t q = 0; q < ev->row[i].n; q++) {
                json_t *x = json_object();
                ct_hex(hex, ev->hash[ev->row[i].first + q], PR_HASH_BYTES);
                json_object_set_new(x, "hash", json_string(hex));
                json_object_set_new(x, "held", json_boolean(((unsigned)ev->row[i].held >> q) & 1u ? 1 : 0));
                json_array_append_new(ea, x);
            }
            json_object_set_new(o, "evidence", ea);
        }
        json_array_append_new(rows, o);
        total[row->status]++;
    }
    for (c = 0; c < def->n_contests; c++) {
        expected = ct_contest_status_counts(r, c, by);
        o = counts_json(expected, by);
        json_object_set_new(o, "contest", json_string(def->contests[c].id));
        json_array_append_new(contests, o);
    }
    /* Sub-totals per area, each with its whole subtree, in tree order. */
    for (k = 0; k < n_order; k++) {
        size_t pa = def->areas[order[k]].parent;
        expected = area_counts(ax, order[k], by);
        o = counts_json(expected, by);
        json_object_set_new(o, "area", json_string(def->areas[order[k]].id));
        json_object_set_new(o, "parent", pa < def->n_areas ? json_string(def->areas[pa].id) : json_null());
        json_object_set_new(o, "depth", json_integer((json_int_t)depth[k]));
        json_array_append_new(areas, o);
    }
    json_object_set_new(root, "precincts", rows);
    json_object_set_new(root, "contests", contests);
    json_object_set_new(root, "areas", areas);
    json_object_set_new(root, "totals", counts_json(r->n, total));
    json_object_set_new(root, "reports", notes_json(def, notes, n_notes));
    o = json_object();
    json_object_set_new(o, "named", json_integer((json_int_t)ev->named));
    json_object_set_new(o, "held", json_integer((json_int_t)ev->held));
    json_object_set_new(o, "missing", json_integer((json_int_t)(ev->named - ev->held)));
    json_object_set_new(o, "scans", json_integer((json_int_t)ev->scans));
    json_object_set_new(root, "evidence", o);
    ct_json_print(out, root);
    json_decref(root);
}

/* --summary: the counts per contest and in total, from the tally cache
 * when it is current (running.h), else from every decision. Returns the
 * exit code. */
static int status_summary(FILE *out, FILE *err, const char *dbpath, long long as_of, int recount,
                          int json, int fail_incomplete)
{
    ct_db *db = NULL;
    ct_report r;
    ct_contest_sum *cached = NULL;
    size_t *expected = NULL, (*by)[CT_ST_COUNT] = NULL, total[CT_ST_COUNT], all = 0, wc = strlen("contest");
    size_t c, s, n = 0;
    int k = 0, code = CT_EXIT_OK;
    char hex[PR_HASH_HEX + 1];
    ct_err e;

    memset(&r, 0, sizeof r);
    memset(&e, 0, sizeof e);
    memset(total, 0, sizeof total);
    if (as_of == 0 && !recount && (k = ct_running_open(dbpath, &db, &r.seq, r.head, &cached, &e)) < 0)
        goto fail;
    if (k == 0 && (ct_db_open(dbpath, 1, &db, &e) != 0 || ct_report_build(db, (int64_t)as_of, 0, &r, &e) != 0))
        goto fail;
    n = db->def->n_contests;
    expected = calloc(n ? n : 1, sizeof *expected);
    by = calloc(n ? n : 1, sizeof *by);
    if (expected == NULL || by == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "status", "out of memory");
        goto fail;
    }
    for (c = 0; c < n; c++) {
        if (cached != NULL) {
            expected[c] = cached[c].expected;
            memcpy(by[c], cached[c].by_status, sizeof by[c]);
        } else {
            expected[c] = ct_contest_status_counts(&r, c, by[c]);
        }
        all += expected[c];
        for (s = 0; s < CT_ST_COUNT; s++) {
            total[s] += by[c][s];
            if (fail_incomplete && by[c][s] > 0 && s != CT_ST_IN_TALLY && s != CT_ST_EXCUSED)
                code = CT_EXIT_FAIL;
        }
        if (ct_width(db->def->contests[c].id) > wc)
            wc = ct_width(db->def->contests[c].id);
    }
    ct_hex(hex, r.head, PR_HASH_BYTES);
    if (json) {
        json_t *root = json_object(), *contests = json_array(), *o;

        json_object_set_new(root, "election", json_string(db->def->id));
        o = json_object();
        json_object_set_new(o, "seq", json_integer((json_int_t)r.seq));
        json_object_set_new(o, "head", json_string(hex));
        json_object_set_new(root, "as_of", o);
        for (c = 0; c < n; c++) {
            o = counts_json(expected[c], by[c]);
            json_object_set_new(o, "contest", json_string(db->def->contests[c].id));
            json_array_append_new(contests, o);
        }
        json_object_set_new(root, "contests", contests);
        json_object_set_new(root, "totals", counts_json(all, total));
        ct_json_print(out, root);
        json_decref(root);
    } else {
        print_counts_header(out, "contest", wc);
        for (c = 0; c < n; c++)
            print_counts_row(out, db->def->contests[c].id, wc, expected[c], by[c]);
        print_counts_row(out, "total", wc, all, total);
        fprintf(out, "\nas of event %lld, head %s\n", (long long)r.seq, hex);
        if (ct_certifications_print(db, r.seq, NULL, out, &e) != 0)
            goto fail;
    }
    goto out;
fail:
    ct_err_print(&e, err);
    code = e.code;
out:
    ct_running_sums_free(cached, n);
    free(expected);
    free(by);
    ct_report_free(&r);
    ct_db_close(db);
    return code;
}

int ct_cmd_status(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},   {"json", 0}, {"as-of", 1}, {"fail-incomplete", 0},
                                       {"help", 0}, {"summary", 0}, {"recount", 0},
                                       {NULL, 0}};
    const char *dbpath = NULL, *v;
    long long as_of = 0;
    int opt, k, json = 0, fail_incomplete = 0, summary = 0, recount = 0, any = 0, code = CT_EXIT_OK;
    ct_report r;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    ct_note *notes = NULL;
    int *flags = NULL;
    size_t *order = NULL, *depth = NULL;
    size_t i, n_notes = 0, n_order = 0;
    status_evidence ev;
    area_index ax;

    memset(&ev, 0, sizeof ev);
    memset(&ax, 0, sizeof ax);
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
        } else if (opt == 5) {
            summary = 1;
        } else if (opt == 6) {
            recount = 1;
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
    if (summary) {
        code = status_summary(out, err, dbpath, as_of, recount, json, fail_incomplete);
        goto out;
    }
    /* counts are read back for the reports (turnout-outlier,
     * registered-differs-across-contests) */
    if (ct_db_open(dbpath, 1, &db, &e) != 0 || ct_report_build(db, (int64_t)as_of, 1, &r, &e) != 0) {
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    if (ct_notes_build(db->def, &r, &notes, &n_notes) != 0) {
        ct_err_set(&e, CT_EXIT_IO, "status", "out of memory");
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    flags = calloc(r.n ? r.n : 1, sizeof *flags);
    if (flags == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "status", "out of memory");
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    if (ct_any_compromised(db, r.seq, &any, &e) != 0) {
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    for (i = 0; any && i < r.n; i++) {
        if (r.rows[i].has_head &&
            ct_file_key_compromised(db, r.rows[i].file, r.seq, &flags[i], &e) != 0) {
            ct_err_print(&e, err);
            code = e.code;
            goto out;
        }
    }
    if (status_evidence_build(db, &r, &ev, &e) != 0) {
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    if (ct_area_order(db->def, root_area(db->def), &order, &depth, &n_order) != 0 ||
        area_index_build(db->def, &r, order, n_order, &ax) != 0) {
        ct_err_set(&e, CT_EXIT_IO, "status", "out of memory");
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    if (json)
        print_json(out, db->def, &r, flags, notes, n_notes, order, depth, n_order, &ax, &ev);
    else
        print_text(out, db->def, &r, flags, notes, n_notes, order, depth, n_order, &ax, &ev);
    /* Issue 5: which contests are certified, and at which event. */
    if (!json && ct_certifications_print(db, r.seq, NULL, out, &e) != 0) {
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    /* Excused precincts will never report: they do not make a contest
     * incomplete. */
    if (fail_incomplete)
        for (i = 0; i < r.n; i++)
            if (r.rows[i].status != CT_ST_IN_TALLY && r.rows[i].status != CT_ST_EXCUSED)
                code = CT_EXIT_FAIL;
out:
    area_index_free(&ax);
    status_evidence_free(&ev);
    free(flags);
    free(order);
    free(depth);
    free(notes);
    ct_report_free(&r);
    ct_db_close(db);
    return code;
}
