/*
 * tally.c: `central tally`: per contest the sums, shares of ballots cast,
 * turnout, precinct counts and outcome (DESIGN 8), optionally rolled up over
 * the area tree or listed per precinct, then a national summary of seats and
 * popular vote per party (independents together), as aligned text, JSON or
 * CSV (docs/DEFINITION.md, "Tally output"), always naming the event it was
 * computed at.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "certify.h"
#include "commands.h"
#include "common/rules.h"
#include "ct.h"
#include "db.h"
#include "jsonout.h"
#include "nist.h"
#include "openelections.h"
#include "report.h"
#include "running.h"

#define NONE ((size_t)-1)
#define NAME_MAX_DISPLAY 1024

static const char tally_usage[] =
    "usage: central tally --db DB [--contest C] [--by precinct|area]... [--as-of SEQ]\n"
    "                     [--format text|json|csv|nist-json|openelections]\n"
    "                     [--county-level N] [--recount]\n";
static const char tally_help[] =
    "Prints the tally of every contest (or only C): votes per candidate with shares\n"
    "of ballots cast, against-all and invalid, every protocol line's sum, registered\n"
    "voters (stations' lines and the roll), turnout, precincts in the tally, held,\n"
    "in conflict and missing, and the outcome; then seats and popular vote per\n"
    "party. --by precinct adds each precinct's counts, return hash and key id;\n"
    "--by area adds the sums of every area of the contest's subtree (turnout per\n"
    "contest). --as-of SEQ computes it as it was after event SEQ. --format csv\n"
    "writes one row per figure (docs/DEFINITION.md, \"Tally output\"); --format\n"
    "nist-json the whole tally as a NIST SP 1500-100 v2 ElectionReport (docs/NIST.md);\n"
    "--format openelections CSV in OpenElections' precinct layout, the county column\n"
    "naming each precinct's area at depth N of --county-level N (root 0; default the\n"
    "parent of the precinct's area) (docs/OPENELECTIONS.md).\n"
    "The summary at the newest event is read from the tally cache that every\n"
    "import keeps (without reading any return or the definition's precincts);\n"
    "--recount computes it again from every return's signed bytes.\n";

typedef enum { FMT_TEXT = 0, FMT_JSON, FMT_CSV, FMT_NIST, FMT_OE } out_format;

typedef struct opts {
    const char *contest;
    int by_precinct, by_area;
    out_format format;
    long county_level;              /* CT_OE_COUNTY_DEFAULT, or --county-level */
} opts;

/* One contest, computed; areas (def->n_areas sums) only with --by area. */
typedef struct contest_out {
    size_t c;
    ct_contest_sum s;
    ct_outcome o;
    ct_contest_sum *areas;
} contest_out;

static void pct(uint64_t n, uint64_t d, char out[32])
{
    (void)cm_percent(n, d, out, 32);
}

static void disp(const char *s, char *out, size_t outlen)
{
    ct_display(s, out, outlen);
}

/* "Name (Party)" or "Name (Independent)"; a party list is its name. */
static void cand_label(const cm_definition *def, const cm_contest *ct, size_t i, char *out,
                       size_t outlen)
{
    char n[NAME_MAX_DISPLAY], p[NAME_MAX_DISPLAY];
    size_t party = ct->candidates[i].party;

    disp(ct->candidates[i].name, n, sizeof n);
    if (party == NONE)
        snprintf(p, sizeof p, "Independent");
    else
        disp(def->parties[party].name, p, sizeof p);
    if (ct->outcome == CM_OUTCOME_PARTY_LIST)
        snprintf(out, outlen, "%s", n);
    else
        snprintf(out, outlen, "%s (%s)", n, p);
}

static void list_labels(FILE *out, const cm_definition *def, const cm_contest *ct, const size_t *v,
                        size_t n, const char *sep_last)
{
    char label[2 * NAME_MAX_DISPLAY + 8];
    size_t i;

    for (i = 0; i < n; i++) {
        cand_label(def, ct, v[i], label, sizeof label);
        fprintf(out, "%s%s", i == 0 ? "" : (i + 1 == n ? sep_last : ", "), label);
    }
}

/* "Name (Party) 238" for a list with seats. */
static void list_seats(FILE *out, const cm_definition *def, const cm_contest *ct,
                       const ct_outcome *o)
{
    char label[2 * NAME_MAX_DISPLAY + 8];
    size_t i;

    for (i = 0; i < o->n_winners; i++) {
        cand_label(def, ct, o->winners[i], label, sizeof label);
        fprintf(out, "%s%s %llu", i == 0 ? "" : ", ", label,
                (unsigned long long)o->seats[o->winners[i]]);
    }
}

static void print_outcome_text(FILE *out, const cm_definition *def, const contest_out *co)
{
    const cm_contest *ct = &def->contests[co->c];
    const ct_outcome *o = &co->o;
    int plist = ct->outcome == CM_OUTCOME_PARTY_LIST;
    char a[32], b[32];

    fputs("  outcome: ", out);
    if (o->incomplete)
        fputs("incomplete (provisional: ", out);
    switch (o->kind) {
    case CT_OUT_ELECTED:
        if (plist) {
            fputs("seats ", out);
            list_seats(out, def, ct, o);
        } else {
            fputs("elected ", out);
            list_labels(out, def, ct, o->winners, o->n_winners, " and ");
        }
        break;
    case CT_OUT_TIE:
        if (o->n_winners > 0) {
            fputs(plist ? "seats " : "elected ", out);
            if (plist)
                list_seats(out, def, ct, o);
            else
                list_labels(out, def, ct, o->winners, o->n_winners, " and ");
            fputs("; ", out);
        }
        if (o->n_runoff > 0) {
            fputs("runoff undecided; ", out);
        }
        fputs("tie between ", out);
        list_labels(out, def, ct, o->tied, o->n_tied, " and ");
        if (o->tied_seats > 0)
            fprintf(out, " for %llu seat%s", (unsigned long long)o->tied_seats,
                    o->tied_seats == 1 ? "" : "s");
        break;
    case CT_OUT_RUNOFF:
        if (o->n_winners > 0) {
            fputs("elected ", out);
            list_labels(out, def, ct, o->winners, o->n_winners, " and ");
            fputs("; ", out);
        }
        fputs("runoff between ", out);
        list_labels(out, def, ct, o->runoff, o->n_runoff, " and ");
        break;
    case CT_OUT_AGAINST_ALL:
        snprintf(a, sizeof a, "%llu", (unsigned long long)ct_sum_line(def, &co->s, "against-all"));
        snprintf(b, sizeof b, "%llu",
                 (unsigned long long)(o->n_ranked ? co->s.votes[o->ranked[0]] : 0));
        fprintf(out, "against-all (%s against all, leader %s)", a, b);
        break;
    case CT_OUT_NO_CANDIDATES:
        fputs("no-candidates (every candidate withdrawn)", out);
        break;
    case CT_OUT_BELOW_THRESHOLD:
        fputs("below-threshold (no list reached the threshold)", out);
        break;
    case CT_OUT_OVERFLOW:
        fputs("overflow (a product of counts does not fit 64 bits: nothing decided)", out);
        break;
    }
    if (o->incomplete)
        fputc(')', out);
    fputc('\n', out);
}

static const char *outcome_rule(const cm_contest *ct)
{
    return ct->outcome == CM_OUTCOME_PLURALITY ? "plurality"
           : ct->outcome == CM_OUTCOME_MAJORITY ? "majority"
                                                : "party-list";
}

static const char *method_name(const cm_contest *ct)
{
    return ct->method == CM_METHOD_HARE ? "hare" : ct->method == CM_METHOD_DHONDT ? "dhondt" : "";
}

/* What the outcome says about one candidate: elected, tied, runoff,
 * passed / below-threshold (party-list), withdrawn, or "". */
static const char *cand_result(const cm_contest *ct, const ct_outcome *o, size_t i)
{
    const char *res = "";
    size_t k;

    for (k = 0; k < o->n_tied; k++)
        if (o->tied[k] == i)
            res = "tied";
    for (k = 0; k < o->n_runoff; k++)
        if (o->runoff[k] == i)
            res = "runoff";
    /* tied or runoff says it all; else what the seats say */
    if (ct->candidates[i].withdrawn)
        res = "withdrawn";
    else if (res[0] == '\0' && ct->outcome != CM_OUTCOME_PARTY_LIST)
        res = o->seats[i] > 0 ? "elected" : "";
    else if (res[0] == '\0' && (o->kind == CT_OUT_ELECTED || o->kind == CT_OUT_TIE ||
                                o->kind == CT_OUT_BELOW_THRESHOLD))
        res = o->passed[i] ? "passed" : "below-threshold";
    return res;
}

/* A row of label, optional second label, count, percent, and seats
 * (NULL: left blank). */
static void row4(FILE *out, const char *a, size_t wa, const char *b, size_t wb, uint64_t n,
                 const char *p, const char *seats)
{
    char num[32];

    snprintf(num, sizeof num, "%llu", (unsigned long long)n);
    fputs("  ", out);
    ct_pad(out, a, wa);
    fputs("  ", out);
    ct_pad(out, b, wb);
    fputs("  ", out);
    ct_rpad(out, num, 12);
    fputs("  ", out);
    ct_rpad(out, p, 7);
    if (seats != NULL) {
        fputs("  ", out);
        ct_rpad(out, seats, 5);
    }
    fputc('\n', out);
}

static void print_by_precinct_text(FILE *out, const cm_definition *def, const ct_report *r,
                                   size_t c)
{
    const cm_contest *ct = &def->contests[c];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    size_t wp = strlen("precinct"), i, k, w, m;
    const size_t *ix = ct_report_contest_rows(r, c, &m);
    char num[32], hex[PR_HASH_HEX + 1];

    for (i = 0; i < m; i++)
        if (ct_width(def->precincts[r->rows[ix[i]].precinct].id) > wp)
            wp = ct_width(def->precincts[r->rows[ix[i]].precinct].id);
    fputs("\n  by precinct\n  ", out);
    ct_pad(out, "precinct", wp);
    for (k = 0; k < pr->n_lines; k++) {
        w = ct_width(pr->lines[k].id);
        fputs("  ", out);
        ct_rpad(out, pr->lines[k].id, w > 10 ? w : 10);
    }
    for (k = 0; k < ct->n_candidates; k++) {
        w = ct_width(ct->candidates[k].id);
        fputs("  ", out);
        ct_rpad(out, ct->candidates[k].id, w > 10 ? w : 10);
    }
    fputs("  key               return\n", out);
    for (i = 0; i < m; i++) {
        const ct_pc_row *row = &r->rows[ix[i]];
        fputs("  ", out);
        ct_pad(out, def->precincts[row->precinct].id, wp);
        if (row->status != CT_ST_IN_TALLY || row->counts == NULL) {
            fprintf(out, "  (%s)\n", ct_status_name(row->status));
            continue;
        }
        for (k = 0; k < pr->n_lines; k++) {
            w = ct_width(pr->lines[k].id);
            snprintf(num, sizeof num, "%llu", (unsigned long long)row->counts[k]);
            fputs("  ", out);
            ct_rpad(out, num, w > 10 ? w : 10);
        }
        for (k = 0; k < ct->n_candidates; k++) {
            w = ct_width(ct->candidates[k].id);
            snprintf(num, sizeof num, "%llu", (unsigned long long)row->votes[k]);
            fputs("  ", out);
            ct_rpad(out, num, w > 10 ? w : 10);
        }
        ct_hex(hex, row->hash, PR_HASH_BYTES);
        fprintf(out, "  %s  %s\n", row->key_id, hex);
    }
}

/* --by area: one row per area of the contest's subtree that expects a
 * return, indented by depth: precincts in the tally / expected,
 * registered, ballots cast, turnout, then each candidate's votes. */
static void print_by_area_text(FILE *out, const cm_definition *def, const contest_out *co)
{
    const cm_contest *ct = &def->contests[co->c];
    size_t *order = NULL, *depth = NULL, n = 0, i, k, wa = strlen("area"), w;
    char name[NAME_MAX_DISPLAY], label[NAME_MAX_DISPLAY + 256], num[64], p[32];

    if (ct_area_order(def, ct->area, &order, &depth, &n) != 0) {
        fputs("\n  by area: out of memory\n", out);
        goto out;
    }
    for (i = 0; i < n; i++) {
        disp(def->areas[order[i]].name, name, sizeof name);
        w = 2 * depth[i] + ct_width(def->areas[order[i]].id) + 1 + ct_width(name);
        if (co->areas[order[i]].expected > 0 && w > wa)
            wa = w;
    }
    fputs("\n  by area\n  ", out);
    ct_pad(out, "area", wa);
    fputs("  in tally/expected    registered  ballots cast  turnout", out);
    for (k = 0; k < ct->n_candidates; k++) {
        w = ct_width(ct->candidates[k].id);
        fputs("  ", out);
        ct_rpad(out, ct->candidates[k].id, w > 10 ? w : 10);
    }
    fputc('\n', out);
    for (i = 0; i < n; i++) {
        const ct_contest_sum *as = &co->areas[order[i]];
        uint64_t reg = ct_sum_line(def, as, "registered");
        uint64_t cast = ct_sum_line(def, as, "ballots-cast");

        if (as->expected == 0)
            continue;
        disp(def->areas[order[i]].name, name, sizeof name);
        snprintf(label, sizeof label, "%*s%s %s", (int)(2 * depth[i]), "", def->areas[order[i]].id,
                 name);
        fputs("  ", out);
        ct_pad(out, label, wa);
        if (as->overflow) {
            fputs("  sums overflow\n", out);
            continue;
        }
        snprintf(num, sizeof num, "%zu/%zu", as->by_status[CT_ST_IN_TALLY], as->expected);
        fputs("  ", out);
        ct_rpad(out, num, 17);
        snprintf(num, sizeof num, "%llu", (unsigned long long)reg);
        fputs("  ", out);
        ct_rpad(out, num, 12);
        snprintf(num, sizeof num, "%llu", (unsigned long long)cast);
        fputs("  ", out);
        ct_rpad(out, num, 12);
        pct(cast, reg, p);
        fputs("  ", out);
        ct_rpad(out, p, 7);
        for (k = 0; k < ct->n_candidates; k++) {
            w = ct_width(ct->candidates[k].id);
            snprintf(num, sizeof num, "%llu", (unsigned long long)as->votes[k]);
            fputs("  ", out);
            ct_rpad(out, num, w > 10 ? w : 10);
        }
        fputc('\n', out);
    }
out:
    free(order);
    free(depth);
}

static void print_contest_text(FILE *out, const cm_definition *def, const ct_report *r,
                               const contest_out *co, const opts *op)
{
    const cm_contest *ct = &def->contests[co->c];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    const ct_contest_sum *s = &co->s;
    char name[NAME_MAX_DISPLAY], party[NAME_MAX_DISPLAY], p[32], num[32], seats[32];
    size_t wn = strlen("ballots cast"), wq = strlen("party"), i, w;
    uint64_t cast = ct_sum_line(def, s, "ballots-cast"), reg = ct_sum_line(def, s, "registered");
    int show_seats = ct->outcome == CM_OUTCOME_PARTY_LIST || ct->seats > 1;

    disp(ct->name, name, sizeof name);
    if (ct->outcome == CM_OUTCOME_PARTY_LIST)
        fprintf(out,
                "contest %s: %s (party-list %s, threshold %llu.%02llu %% of ballots cast, "
                "%llu seat%s)\n",
                ct->id, name, method_name(ct), (unsigned long long)(ct->threshold_bp / 100),
                (unsigned long long)(ct->threshold_bp % 100), (unsigned long long)ct->seats,
                ct->seats == 1 ? "" : "s");
    else
        fprintf(out, "contest %s: %s (%s, %llu seat%s)\n", ct->id, name, outcome_rule(ct),
                (unsigned long long)ct->seats, ct->seats == 1 ? "" : "s");
    if (s->overflow) {
        fputs("  sums overflow: no figures printed\n\n", out);
        goto out;
    }
    print_outcome_text(out, def, co);
    for (i = 0; i < ct->n_candidates; i++) {
        size_t pi = ct->candidates[i].party;
        disp(ct->candidates[i].name, name, sizeof name);
        w = ct_width(name) + (ct->candidates[i].withdrawn ? strlen(" (withdrawn)") : 0);
        if (w > wn)
            wn = w;
        if (pi == NONE)
            snprintf(party, sizeof party, "Independent");
        else
            disp(def->parties[pi].name, party, sizeof party);
        if (ct_width(party) > wq)
            wq = ct_width(party);
    }
    fputc('\n', out);
    fputs("  ", out);
    ct_pad(out, "candidate", wn);
    fputs("  ", out);
    ct_pad(out, "party", wq);
    fputs("  ", out);
    ct_rpad(out, "votes", 12);
    fputs("  ", out);
    ct_rpad(out, "%", 7);
    /* a seats column only where it says more than the outcome line */
    fputs(show_seats ? "  seats\n" : "\n", out);
    for (i = 0; i < ct->n_candidates; i++) {
        size_t pi = ct->candidates[i].party;
        const char *res = cand_result(ct, &co->o, i);
        char label[NAME_MAX_DISPLAY + 32];
        disp(ct->candidates[i].name, name, sizeof name);
        snprintf(label, sizeof label, "%s%s", name,
                 ct->candidates[i].withdrawn ? " (withdrawn)" : "");
        if (pi == NONE)
            snprintf(party, sizeof party, "Independent");
        else
            disp(def->parties[pi].name, party, sizeof party);
        pct(s->votes[i], cast, p);
        if (strcmp(res, "below-threshold") == 0)
            snprintf(seats, sizeof seats, "-");
        else
            snprintf(seats, sizeof seats, "%llu", (unsigned long long)co->o.seats[i]);
        row4(out, label, wn, party, wq, s->votes[i], p, show_seats ? seats : NULL);
    }
    if (ct->against_all) {
        pct(ct_sum_line(def, s, "against-all"), cast, p);
        row4(out, "against all", wn, "", wq, ct_sum_line(def, s, "against-all"), p, NULL);
    }
    pct(ct_sum_line(def, s, "invalid"), cast, p);
    row4(out, "invalid", wn, "", wq, ct_sum_line(def, s, "invalid"), p, NULL);
    pct(cast, cast, p);
    row4(out, "ballots cast", wn, "", wq, cast, p, NULL);
    if (ct->outcome == CM_OUTCOME_PARTY_LIST)
        fputs("  (seats: - below the threshold)\n", out);

    /* Every protocol line's sum. */
    w = strlen("line");
    for (i = 0; i < pr->n_lines; i++) {
        disp(pr->lines[i].name, name, sizeof name);
        if (ct_width(name) > w)
            w = ct_width(name);
    }
    fputs("\n  ", out);
    ct_pad(out, "line", w);
    fputs("  ", out);
    ct_pad(out, "id", PR_ID_MAX > 20 ? 20 : PR_ID_MAX);
    fputs("  ", out);
    ct_rpad(out, "sum", 12);
    fputc('\n', out);
    for (i = 0; i < pr->n_lines; i++) {
        disp(pr->lines[i].name, name, sizeof name);
        snprintf(num, sizeof num, "%llu", (unsigned long long)s->lines[i]);
        fputs("  ", out);
        ct_pad(out, name, w);
        fputs("  ", out);
        ct_pad(out, pr->lines[i].id, 20);
        fputs("  ", out);
        ct_rpad(out, num, 12);
        fputc('\n', out);
    }
    fputc('\n', out);
    fprintf(out, "  registered voters  %llu (stations' registered lines)\n", (unsigned long long)reg);
    fprintf(out, "  roll               %llu (roll of the precincts in the tally", (unsigned long long)s->roll);
    if (s->roll_unknown > 0)
        fprintf(out, "; %zu without a roll", s->roll_unknown);
    fputs(")\n", out);
    pct(cast, reg, p);
    fprintf(out, "  turnout            %s%s (ballots cast / registered)\n", p,
            strcmp(p, "n/a") == 0 ? "" : " %");
    fprintf(out,
            "  precincts          %zu in tally / %zu expected, %zu held, %zu in conflict, "
            "%zu rejected only, %zu missing, %zu excused\n",
            s->by_status[CT_ST_IN_TALLY], s->expected, s->by_status[CT_ST_HELD],
            s->by_status[CT_ST_CONFLICT], s->by_status[CT_ST_REJECTED_ONLY],
            s->by_status[CT_ST_MISSING], s->by_status[CT_ST_EXCUSED]);
    if (op->by_area && co->areas != NULL)
        print_by_area_text(out, def, co);
    if (op->by_precinct)
        print_by_precinct_text(out, def, r, co->c);
    fputc('\n', out);
out:
    return;
}

/* National summary: per party (independents together) seats decided in
 * complete contests, seats provisionally held in incomplete ones, and
 * popular vote; shares are of ballots cast summed over the contests
 * (DESIGN 8). Seats of a tie are in neither. */
typedef struct nat {
    size_t n;                   /* parties + 1 (independents last) */
    uint64_t *votes;
    uint64_t *seats, *leading;
    uint64_t against_all, invalid, cast;
    size_t decided, contests;
    int overflow;
} nat;

static void nat_add(uint64_t *acc, uint64_t v, int *overflow)
{
    if (*acc > UINT64_MAX - v)
        *overflow = 1;
    else
        *acc += v;
}

static int nat_build(const cm_definition *def, const contest_out *cos, size_t n, nat *na)
{
    size_t i, k, pi;
    int rc = -1;

    memset(na, 0, sizeof *na);
    na->n = def->n_parties + 1;
    na->votes = calloc(na->n, sizeof *na->votes);
    na->seats = calloc(na->n, sizeof *na->seats);
    na->leading = calloc(na->n, sizeof *na->leading);
    if (na->votes == NULL || na->seats == NULL || na->leading == NULL)
        goto out;
    for (i = 0; i < n; i++) {
        const contest_out *co = &cos[i];
        const cm_contest *ct = &def->contests[co->c];
        na->contests++;
        if (co->s.overflow) {
            na->overflow = 1;
            continue;
        }
        for (k = 0; k < ct->n_candidates; k++) {
            pi = ct->candidates[k].party == NONE ? def->n_parties : ct->candidates[k].party;
            nat_add(&na->votes[pi], co->s.votes[k], &na->overflow);
        }
        if (ct->against_all)
            nat_add(&na->against_all, ct_sum_line(def, &co->s, "against-all"), &na->overflow);
        nat_add(&na->invalid, ct_sum_line(def, &co->s, "invalid"), &na->overflow);
        nat_add(&na->cast, ct_sum_line(def, &co->s, "ballots-cast"), &na->overflow);
        if (co->o.kind != CT_OUT_ELECTED && co->o.kind != CT_OUT_RUNOFF && co->o.kind != CT_OUT_TIE)
            continue;
        if (!co->o.incomplete && co->o.kind == CT_OUT_ELECTED)
            na->decided++;
        for (k = 0; k < ct->n_candidates; k++) {
            if (co->o.seats[k] == 0)
                continue;
            pi = ct->candidates[k].party;
            pi = pi == NONE ? def->n_parties : pi;
            nat_add(co->o.incomplete ? &na->leading[pi] : &na->seats[pi], co->o.seats[k],
                    &na->overflow);
        }
    }
    rc = 0;
out:
    return rc;
}

static void nat_free(nat *na)
{
    free(na->votes);
    free(na->seats);
    free(na->leading);
}

static void print_nat_text(FILE *out, const cm_definition *def, const nat *na)
{
    char name[NAME_MAX_DISPLAY], p[32], num[32];
    size_t w = strlen("ballots cast"), i;

    fprintf(out, "national summary: %zu contest%s, %zu decided\n", na->contests,
            na->contests == 1 ? "" : "s", na->decided);
    if (na->overflow) {
        fputs("  sums overflow: no figures printed\n", out);
        goto out;
    }
    for (i = 0; i < def->n_parties; i++) {
        disp(def->parties[i].name, name, sizeof name);
        if (ct_width(name) > w)
            w = ct_width(name);
    }
    fputs("  ", out);
    ct_pad(out, "party", w);
    fputs("  seats  leading         votes        %\n", out);
    for (i = 0; i < na->n; i++) {
        if (i < def->n_parties)
            disp(def->parties[i].name, name, sizeof name);
        else
            snprintf(name, sizeof name, "Independent");
        fputs("  ", out);
        ct_pad(out, name, w);
        snprintf(num, sizeof num, "%llu", (unsigned long long)na->seats[i]);
        fputs("  ", out);
        ct_rpad(out, num, 5);
        snprintf(num, sizeof num, "%llu", (unsigned long long)na->leading[i]);
        fputs("  ", out);
        ct_rpad(out, num, 7);
        snprintf(num, sizeof num, "%llu", (unsigned long long)na->votes[i]);
        fputs("  ", out);
        ct_rpad(out, num, 12);
        pct(na->votes[i], na->cast, p);
        fputs("  ", out);
        ct_rpad(out, p, 7);
        fputc('\n', out);
    }
    {
        const char *labels[3] = {"against all", "invalid", "ballots cast"};
        uint64_t vals[3] = {na->against_all, na->invalid, na->cast};
        for (i = 0; i < 3; i++) {
            snprintf(num, sizeof num, "%llu", (unsigned long long)vals[i]);
            pct(vals[i], na->cast, p);
            fputs("  ", out);
            ct_pad(out, labels[i], w);
            fputs("                  ", out);
            ct_rpad(out, num, 12);
            fputs("  ", out);
            ct_rpad(out, p, 7);
            fputc('\n', out);
        }
    }
    fputc('\n', out);
out:
    return;
}

/* ---- JSON ----------------------------------------------------------- */

static json_t *share_json(uint64_t n, uint64_t d)
{
    json_t *j = json_object();
    char p[32];

    pct(n, d, p);
    json_object_set_new(j, "votes", ct_json_count(n));
    json_object_set_new(j, "percent", json_string(p));
    return j;
}

static json_t *ids_json(const cm_contest *ct, const size_t *v, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_string(ct->candidates[v[i]].id));
    return a;
}

/* --by area: every area of the contest's subtree that expects a return,
 * depth first. */
static json_t *areas_json(const cm_definition *def, const contest_out *co)
{
    const cm_contest *ct = &def->contests[co->c];
    size_t *order = NULL, *depth = NULL, n = 0, i, k;
    json_t *a = json_array(), *o, *votes;
    char p[32];

    if (ct_area_order(def, ct->area, &order, &depth, &n) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        const ct_contest_sum *as = &co->areas[order[i]];
        const cm_area *ar = &def->areas[order[i]];
        uint64_t reg = ct_sum_line(def, as, "registered");
        uint64_t cast = ct_sum_line(def, as, "ballots-cast");

        if (as->expected == 0)
            continue;
        o = json_object();
        json_object_set_new(o, "area", json_string(ar->id));
        json_object_set_new(o, "name", ct_json_text(ar->name));
        json_object_set_new(o, "parent", ar->parent == NONE ? json_null()
                                                            : json_string(def->areas[ar->parent].id));
        json_object_set_new(o, "depth", json_integer((json_int_t)depth[i]));
        json_object_set_new(o, "expected", json_integer((json_int_t)as->expected));
        json_object_set_new(o, "in_tally", json_integer((json_int_t)as->by_status[CT_ST_IN_TALLY]));
        if (as->overflow) {
            json_object_set_new(o, "error", json_string("sums overflow"));
            json_array_append_new(a, o);
            continue;
        }
        json_object_set_new(o, "registered", ct_json_count(reg));
        json_object_set_new(o, "ballots_cast", ct_json_count(cast));
        pct(cast, reg, p);
        json_object_set_new(o, "turnout", json_string(p));
        json_object_set_new(o, "invalid", share_json(ct_sum_line(def, as, "invalid"), cast));
        json_object_set_new(o, "against_all",
                            ct->against_all ? share_json(ct_sum_line(def, as, "against-all"), cast)
                                            : json_null());
        votes = json_object();
        for (k = 0; k < ct->n_candidates; k++)
            json_object_set_new(votes, ct->candidates[k].id, share_json(as->votes[k], cast));
        json_object_set_new(o, "candidates", votes);
        json_array_append_new(a, o);
    }
out:
    free(order);
    free(depth);
    return a;
}

static json_t *contest_json(const cm_definition *def, const ct_report *r, const contest_out *co,
                            const opts *op)
{
    const cm_contest *ct = &def->contests[co->c];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    const ct_contest_sum *s = &co->s;
    json_t *j = json_object(), *o, *a, *lines;
    uint64_t cast = ct_sum_line(def, s, "ballots-cast"), reg = ct_sum_line(def, s, "registered");
    char p[32], hex[PR_HASH_HEX + 1];
    size_t i, k, m;
    const size_t *ix;

    json_object_set_new(j, "id", json_string(ct->id));
    json_object_set_new(j, "name", ct_json_text(ct->name));
    json_object_set_new(j, "rule", json_string(outcome_rule(ct)));
    if (ct->outcome == CM_OUTCOME_PARTY_LIST) {
        json_object_set_new(j, "method", json_string(method_name(ct)));
        json_object_set_new(j, "threshold_bp", ct_json_count(ct->threshold_bp));
    }
    json_object_set_new(j, "seats", ct_json_count(ct->seats));
    if (s->overflow) {
        json_object_set_new(j, "error", json_string("sums overflow"));
        goto out;
    }
    o = json_object();
    json_object_set_new(o, "kind", json_string(co->o.incomplete ? "incomplete" : ct_outcome_name(co->o.kind)));
    json_object_set_new(o, "provisional", json_string(ct_outcome_name(co->o.kind)));
    json_object_set_new(o, "winners", ids_json(ct, co->o.winners, co->o.n_winners));
    json_object_set_new(o, "tied", ids_json(ct, co->o.tied, co->o.n_tied));
    json_object_set_new(o, "runoff", ids_json(ct, co->o.runoff, co->o.n_runoff));
    json_object_set_new(o, "tied_seats", ct_json_count(co->o.tied_seats));
    json_object_set_new(j, "outcome", o);
    a = json_array();
    for (i = 0; i < ct->n_candidates; i++) {
        size_t pi = ct->candidates[i].party;
        o = share_json(s->votes[i], cast);
        json_object_set_new(o, "id", json_string(ct->candidates[i].id));
        json_object_set_new(o, "name", ct_json_text(ct->candidates[i].name));
        json_object_set_new(o, "party", pi == NONE ? json_null() : json_string(def->parties[pi].id));
        json_object_set_new(o, "party_name",
                            pi == NONE ? json_string("Independent") : ct_json_text(def->parties[pi].name));
        if (ct->candidates[i].withdrawn)
            json_object_set_new(o, "withdrawn", json_true());
        json_object_set_new(o, "seats", ct_json_count(co->o.seats[i]));
        json_object_set_new(o, "result", json_string(cand_result(ct, &co->o, i)));
        json_array_append_new(a, o);
    }
    json_object_set_new(j, "candidates", a);
    json_object_set_new(j, "against_all",
                        ct->against_all ? share_json(ct_sum_line(def, s, "against-all"), cast) : json_null());
    json_object_set_new(j, "invalid", share_json(ct_sum_line(def, s, "invalid"), cast));
    json_object_set_new(j, "ballots_cast", ct_json_count(cast));
    lines = json_object();
    for (i = 0; i < pr->n_lines; i++)
        json_object_set_new(lines, pr->lines[i].id, ct_json_count(s->lines[i]));
    json_object_set_new(j, "lines", lines);
    json_object_set_new(j, "registered", ct_json_count(reg));
    json_object_set_new(j, "roll", ct_json_count(s->roll));
    json_object_set_new(j, "roll_unknown", json_integer((json_int_t)s->roll_unknown));
    pct(cast, reg, p);
    json_object_set_new(j, "turnout", json_string(p));
    o = json_object();
    json_object_set_new(o, "expected", json_integer((json_int_t)s->expected));
    for (k = 0; k < CT_ST_COUNT; k++)
        json_object_set_new(o, ct_status_name((ct_status)k), json_integer((json_int_t)s->by_status[k]));
    json_object_set_new(j, "precincts", o);
    if (op->by_area && co->areas != NULL)
        json_object_set_new(j, "by_area", areas_json(def, co));
    if (op->by_precinct) {
        a = json_array();
        ix = ct_report_contest_rows(r, co->c, &m);
        for (i = 0; i < m; i++) {
            const ct_pc_row *row = &r->rows[ix[i]];
            json_t *counts, *votes;
            o = json_object();
            json_object_set_new(o, "precinct", json_string(def->precincts[row->precinct].id));
            json_object_set_new(o, "status", json_string(ct_status_name(row->status)));
            if (row->status == CT_ST_IN_TALLY && row->counts != NULL) {
                counts = json_object();
                votes = json_object();
                for (k = 0; k < pr->n_lines; k++)
                    json_object_set_new(counts, pr->lines[k].id, ct_json_count(row->counts[k]));
                for (k = 0; k < ct->n_candidates; k++)
                    json_object_set_new(votes, ct->candidates[k].id, ct_json_count(row->votes[k]));
                ct_hex(hex, row->hash, PR_HASH_BYTES);
                json_object_set_new(o, "counts", counts);
                json_object_set_new(o, "votes", votes);
                json_object_set_new(o, "revision", ct_json_count(row->revision));
                json_object_set_new(o, "return", json_string(hex));
                json_object_set_new(o, "key", json_string(row->key_id));
            }
            json_array_append_new(a, o);
        }
        json_object_set_new(j, "by_precinct", a);
    }
out:
    return j;
}

static json_t *nat_json(const cm_definition *def, const nat *na)
{
    json_t *j = json_object(), *a = json_array(), *o;
    size_t i;

    json_object_set_new(j, "contests", json_integer((json_int_t)na->contests));
    json_object_set_new(j, "decided", json_integer((json_int_t)na->decided));
    if (na->overflow) {
        json_object_set_new(j, "error", json_string("sums overflow"));
        json_decref(a);
        goto out;
    }
    for (i = 0; i < na->n; i++) {
        o = share_json(na->votes[i], na->cast);
        json_object_set_new(o, "party", i < def->n_parties ? json_string(def->parties[i].id) : json_null());
        json_object_set_new(o, "name", i < def->n_parties ? ct_json_text(def->parties[i].name)
                                                          : json_string("Independent"));
        json_object_set_new(o, "seats", ct_json_count(na->seats[i]));
        json_object_set_new(o, "leading", ct_json_count(na->leading[i]));
        json_array_append_new(a, o);
    }
    json_object_set_new(j, "parties", a);
    json_object_set_new(j, "against_all", share_json(na->against_all, na->cast));
    json_object_set_new(j, "invalid", share_json(na->invalid, na->cast));
    json_object_set_new(j, "ballots_cast", ct_json_count(na->cast));
out:
    return j;
}

/* ---- CSV (docs/DEFINITION.md, "Tally output") ----------------------------- */

enum { CSV_CONTEST, CSV_AREA, CSV_PRECINCT, CSV_KIND, CSV_ID, CSV_NAME, CSV_PARTY, CSV_COUNT,
       CSV_PERCENT, CSV_SEATS, CSV_RESULT, CSV_COLS };

static const char *const csv_header[CSV_COLS] = {"contest", "area",  "precinct", "kind",
                                                 "id",      "name",  "party",    "count",
                                                 "percent", "seats", "result"};

/* One field, RFC 4180: quoted when it holds a comma, quote, CR or LF. */
static void csv_field(FILE *out, const char *v)
{
    if (v != NULL && strpbrk(v, ",\"\r\n") == NULL) {
        fputs(v, out);
    } else if (v != NULL) {
        fputc('"', out);
        for (; *v != '\0'; v++) {
            if (*v == '"')
                fputc('"', out);
            fputc(*v, out);
        }
        fputc('"', out);
    }
}

/* A row being filled: the text of each column (NULL: empty). */
typedef struct csv_row {
    const char *f[CSV_COLS];
    char count[32], percent[32], seats[32], name[NAME_MAX_DISPLAY];
} csv_row;

static void csv_emit(FILE *out, const csv_row *row)
{
    size_t i;

    for (i = 0; i < CSV_COLS; i++) {
        if (i > 0)
            fputc(',', out);
        csv_field(out, row->f[i]);
    }
    /* RFC 4180 ends records with CRLF; we write LF like every other output
     * of the project (readers accept both). */
    fputc('\n', out);
}

/* Starts a row of the given scope and kind. */
static void csv_begin(csv_row *row, const char *contest, const char *area, const char *precinct,
                      const char *kind, const char *id)
{
    memset(row, 0, sizeof *row);
    row->f[CSV_CONTEST] = contest;
    row->f[CSV_AREA] = area;
    row->f[CSV_PRECINCT] = precinct;
    row->f[CSV_KIND] = kind;
    row->f[CSV_ID] = id;
}

static void csv_name(csv_row *row, const char *name)
{
    disp(name, row->name, sizeof row->name);
    row->f[CSV_NAME] = row->name;
}

static void csv_count(csv_row *row, uint64_t n)
{
    snprintf(row->count, sizeof row->count, "%llu", (unsigned long long)n);
    row->f[CSV_COUNT] = row->count;
}

static void csv_share(csv_row *row, uint64_t n, uint64_t d)
{
    csv_count(row, n);
    pct(n, d, row->percent);
    row->f[CSV_PERCENT] = row->percent;
}

static void csv_seats(csv_row *row, uint64_t n)
{
    snprintf(row->seats, sizeof row->seats, "%llu", (unsigned long long)n);
    row->f[CSV_SEATS] = row->seats;
}

/* The figures every scope has (contest, area): registered, roll (contest
 * scope only), ballots cast, turnout, invalid, against-all. */
static void csv_totals(FILE *out, const cm_definition *def, const cm_contest *ct, const char *area,
                       const ct_contest_sum *s, int with_roll)
{
    uint64_t cast = ct_sum_line(def, s, "ballots-cast"), reg = ct_sum_line(def, s, "registered");
    csv_row row;

    csv_begin(&row, ct->id, area, NULL, "registered", "registered");
    csv_count(&row, reg);
    csv_emit(out, &row);
    if (with_roll) {
        csv_begin(&row, ct->id, area, NULL, "roll", "roll");
        csv_count(&row, s->roll);
        csv_emit(out, &row);
    }
    csv_begin(&row, ct->id, area, NULL, "ballots-cast", "ballots-cast");
    csv_share(&row, cast, cast);
    csv_emit(out, &row);
    csv_begin(&row, ct->id, area, NULL, "turnout", "turnout");
    csv_share(&row, cast, reg);
    csv_emit(out, &row);
    csv_begin(&row, ct->id, area, NULL, "invalid", "invalid");
    csv_share(&row, ct_sum_line(def, s, "invalid"), cast);
    csv_emit(out, &row);
    if (ct->against_all) {
        csv_begin(&row, ct->id, area, NULL, "against-all", "against-all");
        csv_share(&row, ct_sum_line(def, s, "against-all"), cast);
        csv_emit(out, &row);
    }
}

/* A contest's candidates, totals, line sums and precinct counts. */
static void csv_contest_figures(FILE *out, const cm_definition *def, const contest_out *co)
{
    const cm_contest *ct = &def->contests[co->c];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    const ct_contest_sum *s = &co->s;
    const char *area = def->areas[ct->area].id;
    uint64_t cast = ct_sum_line(def, s, "ballots-cast");
    size_t i, k;
    csv_row row;

    for (i = 0; i < ct->n_candidates; i++) {
        size_t pi = ct->candidates[i].party;

        csv_begin(&row, ct->id, area, NULL, "candidate", ct->candidates[i].id);
        csv_name(&row, ct->candidates[i].name);
        row.f[CSV_PARTY] = pi == NONE ? NULL : def->parties[pi].id;
        csv_share(&row, s->votes[i], cast);
        csv_seats(&row, co->o.seats[i]);
        row.f[CSV_RESULT] = cand_result(ct, &co->o, i);
        csv_emit(out, &row);
    }
    csv_totals(out, def, ct, area, s, 1);
    for (i = 0; i < pr->n_lines; i++) {
        csv_begin(&row, ct->id, area, NULL, "line", pr->lines[i].id);
        csv_name(&row, pr->lines[i].name);
        csv_count(&row, s->lines[i]);
        csv_emit(out, &row);
    }
    csv_begin(&row, ct->id, area, NULL, "precincts", "expected");
    csv_count(&row, s->expected);
    csv_emit(out, &row);
    for (k = 0; k < CT_ST_COUNT; k++) {
        csv_begin(&row, ct->id, area, NULL, "precincts", ct_status_name((ct_status)k));
        csv_count(&row, s->by_status[k]);
        csv_emit(out, &row);
    }
}

/* --by area: each area of the contest's subtree that expects a return. */
static void csv_by_area(FILE *out, const cm_definition *def, const contest_out *co)
{
    const cm_contest *ct = &def->contests[co->c];
    size_t *order = NULL, *depth = NULL, n = 0, i, k;
    csv_row row;

    (void)ct_area_order(def, ct->area, &order, &depth, &n); /* out of memory: n 0 */
    for (i = 0; i < n; i++) {
        const ct_contest_sum *as = &co->areas[order[i]];
        const char *aid = def->areas[order[i]].id;
        uint64_t acast = ct_sum_line(def, as, "ballots-cast");

        if (as->expected == 0 || as->overflow)
            continue;
        csv_begin(&row, ct->id, aid, NULL, "precincts", "expected");
        csv_name(&row, def->areas[order[i]].name);
        csv_count(&row, as->expected);
        csv_emit(out, &row);
        csv_begin(&row, ct->id, aid, NULL, "precincts", "in-tally");
        csv_count(&row, as->by_status[CT_ST_IN_TALLY]);
        csv_emit(out, &row);
        csv_totals(out, def, ct, aid, as, 0);
        for (k = 0; k < ct->n_candidates; k++) {
            size_t pi = ct->candidates[k].party;

            csv_begin(&row, ct->id, aid, NULL, "candidate", ct->candidates[k].id);
            row.f[CSV_PARTY] = pi == NONE ? NULL : def->parties[pi].id;
            csv_share(&row, as->votes[k], acast);
            csv_emit(out, &row);
        }
    }
    free(order);
    free(depth);
}

/* --by precinct: each precinct's status, and its counts when in the tally. */
static void csv_by_precinct(FILE *out, const cm_definition *def, const ct_report *r,
                            const contest_out *co)
{
    const cm_contest *ct = &def->contests[co->c];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    size_t i, k, m;
    const size_t *ix = ct_report_contest_rows(r, co->c, &m);
    csv_row row;
    char hex[PR_HASH_HEX + 1];

    for (i = 0; i < m; i++) {
        const ct_pc_row *pr_row = &r->rows[ix[i]];
        const char *pid = def->precincts[pr_row->precinct].id;
        const char *aid = def->areas[def->precincts[pr_row->precinct].area].id;

        csv_begin(&row, ct->id, aid, pid, "status", ct_status_name(pr_row->status));
        if (pr_row->has_head) {
            csv_count(&row, pr_row->revision);
            ct_hex(hex, pr_row->hash, PR_HASH_BYTES);
            row.f[CSV_NAME] = hex;
            row.f[CSV_RESULT] = pr_row->counts != NULL ? pr_row->key_id : NULL;
        }
        csv_emit(out, &row);
        if (pr_row->status != CT_ST_IN_TALLY || pr_row->counts == NULL)
            continue;
        for (k = 0; k < pr->n_lines; k++) {
            csv_begin(&row, ct->id, aid, pid, "line", pr->lines[k].id);
            csv_count(&row, pr_row->counts[k]);
            csv_emit(out, &row);
        }
        for (k = 0; k < ct->n_candidates; k++) {
            csv_begin(&row, ct->id, aid, pid, "candidate", ct->candidates[k].id);
            csv_share(&row, pr_row->votes[k], pr_row->counts[pr->ballots_cast]);
            csv_emit(out, &row);
        }
    }
}

static void csv_contest(FILE *out, const cm_definition *def, const ct_report *r,
                        const contest_out *co, const opts *op)
{
    const cm_contest *ct = &def->contests[co->c];
    csv_row row;

    csv_begin(&row, ct->id, def->areas[ct->area].id, NULL, "outcome",
              co->o.incomplete ? "incomplete" : ct_outcome_name(co->o.kind));
    csv_name(&row, ct->name);
    csv_seats(&row, ct->seats);
    row.f[CSV_RESULT] = ct_outcome_name(co->o.kind);
    csv_emit(out, &row);
    /* sums that overflowed are not printed (the outcome row says so) */
    if (!co->s.overflow) {
        csv_contest_figures(out, def, co);
        if (op->by_area && co->areas != NULL)
            csv_by_area(out, def, co);
        if (op->by_precinct)
            csv_by_precinct(out, def, r, co);
    }
}

static void csv_national(FILE *out, const cm_definition *def, const nat *na)
{
    size_t i;
    csv_row row;
    char n[32];

    for (i = 0; i < na->n && !na->overflow; i++) {
        csv_begin(&row, NULL, NULL, NULL, "party", i < def->n_parties ? def->parties[i].id : NULL);
        csv_name(&row, i < def->n_parties ? def->parties[i].name : "Independent");
        row.f[CSV_PARTY] = row.f[CSV_ID];
        csv_share(&row, na->votes[i], na->cast);
        csv_seats(&row, na->seats[i]);
        /* seats held in contests still incomplete */
        snprintf(n, sizeof n, "leading %llu", (unsigned long long)na->leading[i]);
        row.f[CSV_RESULT] = na->leading[i] > 0 ? n : NULL;
        csv_emit(out, &row);
    }
    if (!na->overflow) {
        csv_begin(&row, NULL, NULL, NULL, "against-all", "against-all");
        csv_share(&row, na->against_all, na->cast);
        csv_emit(out, &row);
        csv_begin(&row, NULL, NULL, NULL, "invalid", "invalid");
        csv_share(&row, na->invalid, na->cast);
        csv_emit(out, &row);
        csv_begin(&row, NULL, NULL, NULL, "ballots-cast", "ballots-cast");
        csv_share(&row, na->cast, na->cast);
        csv_emit(out, &row);
    }
}

static void print_csv(FILE *out, const cm_definition *def, const ct_report *r,
                      const contest_out *cos, size_t ncos, const nat *na, const opts *op)
{
    csv_row row;
    char hex[PR_HASH_HEX + 1];
    size_t i;

    memset(&row, 0, sizeof row);
    for (i = 0; i < CSV_COLS; i++)
        row.f[i] = csv_header[i];
    csv_emit(out, &row);
    ct_hex(hex, r->head, PR_HASH_BYTES);
    csv_begin(&row, NULL, NULL, NULL, "as-of", hex);
    csv_count(&row, (uint64_t)r->seq);
    row.f[CSV_NAME] = def->id;
    csv_emit(out, &row);
    for (i = 0; i < ncos; i++)
        csv_contest(out, def, r, &cos[i], op);
    csv_national(out, def, na);
}

int ct_cmd_tally(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},    {"contest", 1}, {"by", 1},  {"as-of", 1},
                                       {"format", 1}, {"help", 0},   {"county-level", 1},
                                       {"recount", 0}, {NULL, 0}};
    const char *dbpath = NULL, *v;
    long long as_of = 0;
    ct_contest_sum *cached = NULL;
    int recount = 0;
    contest_out *cos = NULL;
    size_t ncos = 0, c, i;
    char hex[PR_HASH_HEX + 1];
    ct_report r;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    nat na;
    opts op;
    int opt, k, code = CT_EXIT_OK;

    memset(&r, 0, sizeof r);
    memset(&e, 0, sizeof e);
    memset(&op, 0, sizeof op);
    memset(&na, 0, sizeof na);
    op.county_level = CT_OE_COUNTY_DEFAULT;
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, tally_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, tally_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0) {
            dbpath = v;
        } else if (opt == 1) {
            op.contest = v;
        } else if (opt == 2) {
            if (strcmp(v, "precinct") == 0) {
                op.by_precinct = 1;
            } else if (strcmp(v, "area") == 0) {
                op.by_area = 1;
            } else {
                code = ct_usage_error(err, tally_usage, "--by", "precinct or area");
                goto out;
            }
        } else if (opt == 3) {
            if (ct_parse_uint(v, INT64_MAX, &as_of) != 0 || as_of == 0) {
                code = ct_usage_error(err, tally_usage, "--as-of", "an event sequence number >= 1");
                goto out;
            }
        } else if (opt == 4) {
            if (strcmp(v, "text") == 0) {
                op.format = FMT_TEXT;
            } else if (strcmp(v, "json") == 0) {
                op.format = FMT_JSON;
            } else if (strcmp(v, "csv") == 0) {
                op.format = FMT_CSV;
            } else if (strcmp(v, "nist-json") == 0) {
                op.format = FMT_NIST;
            } else if (strcmp(v, "openelections") == 0) {
                op.format = FMT_OE;
            } else {
                code = ct_usage_error(err, tally_usage, "--format",
                                      "text, json, csv, nist-json or openelections");
                goto out;
            }
        } else if (opt == 6) {
            long long n;
            if (ct_parse_uint(v, 1000000, &n) != 0) {
                code = ct_usage_error(err, tally_usage, "--county-level",
                                      "an area depth >= 0 (the root is 0)");
                goto out;
            }
            op.county_level = (long)n;
        } else if (opt == 7) {
            recount = 1;
        } else {
            fputs(tally_usage, out);
            fputs(tally_help, out);
            goto out;
        }
    }
    if (dbpath == NULL) {
        code = ct_usage_error(err, tally_usage, "tally", "--db DB is required");
        goto out;
    }
    if (op.county_level != CT_OE_COUNTY_DEFAULT && op.format != FMT_OE) {
        code = ct_usage_error(err, tally_usage, "--county-level", "only with --format openelections");
        goto out;
    }
    /* The summary at the head comes from the tally cache when it is
     * current (running.h); per precinct or area, at an earlier event, in
     * the export formats, or with --recount, from every return. */
    if (!recount && as_of == 0 && !op.by_precinct && !op.by_area &&
        (op.format == FMT_TEXT || op.format == FMT_JSON || op.format == FMT_CSV) &&
        ct_running_open(dbpath, &db, &r.seq, r.head, &cached, &e) < 0)
        goto fail;
    if (db == NULL && ct_db_open(dbpath, 1, &db, &e) != 0)
        goto fail;
    if (op.contest != NULL && cm_find_contest(db->def, op.contest) == NONE) {
        code = ct_usage_error(err, tally_usage, op.contest, "no such contest in the definition");
        goto out;
    }
    if (cached == NULL && ct_report_build(db, (int64_t)as_of, 1, &r, &e) != 0)
        goto fail;
    cos = calloc(db->def->n_contests ? db->def->n_contests : 1, sizeof *cos);
    if (cos == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "tally", "out of memory");
        goto fail;
    }
    for (c = 0; c < db->def->n_contests; c++) {
        if (op.contest != NULL && strcmp(db->def->contests[c].id, op.contest) != 0)
            continue;
        cos[ncos].c = c;
        if (cached != NULL) { /* taken over from the cache */
            cos[ncos].s = cached[c];
            memset(&cached[c], 0, sizeof cached[c]);
        }
        if ((cached == NULL && ct_contest_sum_build(db->def, &r, c, &cos[ncos].s) != 0) ||
            ct_outcome_build(db->def, &cos[ncos].s, &cos[ncos].o) != 0 ||
            (op.by_area && ct_area_sums_build(db->def, &r, c, &cos[ncos].areas) != 0)) {
            ncos++;
            ct_err_set(&e, CT_EXIT_IO, "tally", "out of memory");
            goto fail;
        }
        ncos++;
    }
    if (nat_build(db->def, cos, ncos, &na) != 0) {
        ct_err_set(&e, CT_EXIT_IO, "tally", "out of memory");
        goto fail;
    }
    ct_hex(hex, r.head, PR_HASH_BYTES);
    if (op.format == FMT_NIST) {
        if (ct_nist_print(out, db->def, db->mode, &r, op.contest) != 0) {
            ct_err_set(&e, CT_EXIT_IO, "tally", "out of memory");
            goto fail;
        }
    } else if (op.format == FMT_OE) {
        if (ct_oe_print(out, db->def, &r, op.contest, op.county_level) != 0) {
            ct_err_set(&e, CT_EXIT_IO, "tally", "cannot write the output");
            goto fail;
        }
    } else if (op.format == FMT_CSV) {
        print_csv(out, db->def, &r, cos, ncos, &na, &op);
    } else if (op.format == FMT_JSON) {
        /* Written contest by contest (ct_json_stream): the same bytes as
         * one tree, without holding every contest's at once. */
        ct_json_stream js;
        json_t *o, *certs = NULL;

        /* Issue 5: the certifications at or before the event shown. */
        if (ct_certifications_json(db, r.seq, op.contest, &certs, &e) != 0)
            goto fail;
        ct_json_stream_begin(&js, out);
        ct_json_stream_member(&js, "election", json_string(db->def->id));
        ct_json_stream_member(&js, "mode", json_string(db->mode));
        o = json_object();
        json_object_set_new(o, "seq", json_integer((json_int_t)r.seq));
        json_object_set_new(o, "head", json_string(hex));
        ct_json_stream_member(&js, "as_of", o);
        ct_json_stream_array(&js, "contests");
        for (i = 0; i < ncos; i++)
            ct_json_stream_element(&js, contest_json(db->def, &r, &cos[i], &op));
        ct_json_stream_array_end(&js);
        ct_json_stream_member(&js, "national", nat_json(db->def, &na));
        ct_json_stream_member(&js, "certifications", certs);
        ct_json_stream_end(&js);
    } else {
        char name[NAME_MAX_DISPLAY];
        disp(db->def->name, name, sizeof name);
        fprintf(out, "%s (%s)%s\n\n", name, db->def->id,
                strcmp(db->mode, "test") == 0 ? " TEST DATABASE" : "");
        for (i = 0; i < ncos; i++)
            print_contest_text(out, db->def, &r, &cos[i], &op);
        print_nat_text(out, db->def, &na);
        fprintf(out, "as of event %lld, head %s\n", (long long)r.seq, hex);
        if (ct_certifications_print(db, r.seq, op.contest, out, &e) != 0)
            goto fail;
    }
    goto out;
fail:
    ct_err_print(&e, err);
    code = e.code;
out:
    nat_free(&na);
    for (i = 0; i < ncos; i++) {
        ct_contest_sum_free(&cos[i].s);
        ct_outcome_free(&cos[i].o);
        ct_area_sums_free(cos[i].areas, db != NULL ? db->def->n_areas : 0);
    }
    free(cos);
    ct_running_sums_free(cached, db != NULL ? db->def->n_contests : 0);
    ct_report_free(&r);
    ct_db_close(db);
    return code;
}
