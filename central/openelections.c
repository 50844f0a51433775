/*
 * openelections.c: `central tally --format openelections`: renders the tally
 * as CSV in the OpenElections precinct layout
 * county,precinct,office,district,candidate,party,votes. Per precinct
 * (definition order) the pseudo-offices "Registered Voters" and "Ballots
 * Cast", then per contest (definition order) its candidates (ballot order)
 * and the pseudo-candidates "Against all" and "Invalid ballots", as
 * OpenElections writes "Over Votes" and "Under Votes". The mapping is
 * docs/OPENELECTIONS.md.
 */
#include <stdlib.h>
#include <string.h>

#include "openelections.h"

#define NONE ((size_t)-1)

void ct_oe_field(FILE *out, const char *v)
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

static void row(FILE *out, const char *county, const char *precinct, const char *office,
                const char *district, const char *candidate, const char *party, uint64_t votes)
{
    ct_oe_field(out, county);
    fputc(',', out);
    ct_oe_field(out, precinct);
    fputc(',', out);
    ct_oe_field(out, office);
    fputc(',', out);
    ct_oe_field(out, district);
    fputc(',', out);
    ct_oe_field(out, candidate);
    fputc(',', out);
    ct_oe_field(out, party);
    fprintf(out, ",%llu\n", (unsigned long long)votes);
}

/* Depth of area a below the root (root 0). */
static size_t depth_of(const cm_definition *def, size_t a)
{
    size_t d = 0;

    while (def->areas[a].parent != NONE) {
        a = def->areas[a].parent;
        d++;
    }
    return d;
}

/* The county area of precinct p: its area's ancestor at county_level, or
 * (default) its area's parent; the precinct's own area when that is not
 * deep enough (or is the root). */
static size_t county_of(const cm_definition *def, size_t p, long county_level)
{
    size_t a = def->precincts[p].area, d = depth_of(def, a), want;

    if (county_level < 0)
        return def->areas[a].parent != NONE ? def->areas[a].parent : a;
    want = (size_t)county_level;
    while (d > want) {
        a = def->areas[a].parent;
        d--;
    }
    return a;
}

/* Abbreviation, or the name when the party has none; NULL for none. */
static const char *party_of(const cm_definition *def, size_t party)
{
    const cm_party *pa;

    if (party == NONE)
        return NULL;
    pa = &def->parties[party];
    return pa->abbreviation != NULL && pa->abbreviation[0] != '\0' ? pa->abbreviation : pa->name;
}

static int wanted(const ct_pc_row *w, const cm_definition *def, const char *only)
{
    return w->status == CT_ST_IN_TALLY && w->counts != NULL && w->votes != NULL &&
           (only == NULL || strcmp(def->contests[w->contest].id, only) == 0);
}

int ct_oe_print(FILE *out, const cm_definition *def, const ct_report *r, const char *only,
                long county_level)
{
    size_t i = 0, j, end, c, k;

    fputs("county,precinct,office,district,candidate,party,votes\n", out);
    /* r->rows: precincts in definition order, each one's rows together. */
    while (i < r->n) {
        const ct_pc_row *first = NULL;
        size_t p = r->rows[i].precinct;
        const char *county, *pid = def->precincts[p].id;

        for (end = i; end < r->n && r->rows[end].precinct == p; end++)
            if (first == NULL && wanted(&r->rows[end], def, only))
                first = &r->rows[end];
        if (first != NULL) {
            const cm_protocol *pr = &def->protocols[def->contests[first->contest].protocol];

            county = def->areas[county_of(def, p, county_level)].name;
            row(out, county, pid, "Registered Voters", NULL, NULL, NULL,
                first->counts[pr->registered]);
            row(out, county, pid, "Ballots Cast", NULL, NULL, NULL, first->counts[pr->ballots_cast]);
            for (c = 0; c < def->n_contests; c++) {
                const cm_contest *ct = &def->contests[c];
                const ct_pc_row *w = NULL;
                const char *district;

                for (j = i; j < end && w == NULL; j++)
                    if (r->rows[j].contest == c && wanted(&r->rows[j], def, only))
                        w = &r->rows[j];
                if (w == NULL)
                    continue;
                pr = &def->protocols[ct->protocol];
                district = def->areas[ct->area].parent != NONE ? def->areas[ct->area].name : NULL;
                for (k = 0; k < ct->n_candidates; k++)
                    row(out, county, pid, ct->name, district, ct->candidates[k].name,
                        party_of(def, ct->candidates[k].party), w->votes[k]);
                if (ct->against_all && pr->against_all != NONE)
                    row(out, county, pid, ct->name, district, "Against all", NULL,
                        w->counts[pr->against_all]);
                row(out, county, pid, ct->name, district, "Invalid ballots", NULL,
                    w->counts[pr->invalid]);
            }
        }
        i = end;
    }
    return ferror(out) ? -1 : 0;
}
