/*
 * nist.c: `central tally --format nist-json`: renders the tally as one NIST
 * SP 1500-100 v2 Election Results Reporting ElectionReport (JSON CDF),
 * precinct level: the area tree and precincts as ReportingUnits, parties,
 * candidates, one CandidateContest per contest with VoteCounts per precinct
 * in the tally and a total at the contest's area, BallotCounts per precinct
 * and area. The mapping (against-all, invalid ballots, ids) is docs/NIST.md.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "nist.h"

#ifndef PR_VERSION
#define PR_VERSION "unknown"
#endif

#define NONE ((size_t)-1)
#define ID_LEN 256
#define NS "ElectionResults."

/* What a precinct contributes: the figures of its first contest in the
 * tally (listed order), and whether every contest of it is in the tally. */
typedef struct pfig {
    int has;                    /* some contest in the tally, with counts */
    int expected;               /* has at least one (precinct, contest) row */
    int reported;               /* every row in the tally */
    uint64_t reg, cast, invalid;
} pfig;

/* Per area: sums over the precincts of its subtree. */
typedef struct afig {
    size_t total, reported, with_counts;
    uint64_t reg, cast, invalid;
    int overflow;
} afig;

static json_t *typed(const char *type)
{
    char t[64];
    json_t *o = json_object();

    snprintf(t, sizeof t, NS "%s", type);
    json_object_set_new(o, "@type", json_string(t));
    return o;
}

/* InternationalizedText of one string; the definition names no language. */
static json_t *itext(const char *s)
{
    json_t *o = typed("InternationalizedText"), *a = json_array(), *l = typed("LanguageString");

    json_object_set_new(l, "Content", ct_json_text(s != NULL ? s : ""));
    json_object_set_new(l, "Language", json_string("und"));
    json_array_append_new(a, l);
    json_object_set_new(o, "Text", a);
    return o;
}

/* ExternalIdentifier list holding our own id (Type local-level), or an
 * `other` one with OtherType. */
static json_t *ext_id(const char *type, const char *other, const char *value)
{
    json_t *a = json_array(), *o = typed("ExternalIdentifier");

    json_object_set_new(o, "Type", json_string(type));
    if (other != NULL)
        json_object_set_new(o, "OtherType", json_string(other));
    json_object_set_new(o, "Value", json_string(value));
    json_array_append_new(a, o);
    return a;
}

/* Ids: a prefix, then our ids ([a-z0-9][a-z0-9._-]*); an upper-case
 * separator can never occur inside them, so the result is unique. */
static void mkid(char out[ID_LEN], const char *prefix, const char *a, const char *sep, const char *b)
{
    snprintf(out, ID_LEN, "%s%s%s%s", prefix, a, sep != NULL ? sep : "", b != NULL ? b : "");
}

static void area_id(char out[ID_LEN], const cm_definition *def, size_t a)
{
    mkid(out, "gpu-area-", def->areas[a].id, NULL, NULL);
}

static void precinct_id(char out[ID_LEN], const cm_definition *def, size_t p)
{
    mkid(out, "gpu-precinct-", def->precincts[p].id, NULL, NULL);
}

static int add_u64(uint64_t *acc, uint64_t v)
{
    if (*acc > UINT64_MAX - v)
        return -1;
    *acc += v;
    return 0;
}

static void figures(const cm_definition *def, const ct_report *r, pfig *pf, afig *af)
{
    size_t i, p, a;

    for (p = 0; p < def->n_precincts; p++)
        pf[p].reported = 1;
    for (i = 0; i < r->n; i++) {
        const ct_pc_row *row = &r->rows[i];
        const cm_protocol *pr = &def->protocols[def->contests[row->contest].protocol];
        pfig *f = &pf[row->precinct];

        f->expected = 1;
        if (row->status != CT_ST_IN_TALLY)
            f->reported = 0;
        if (row->status == CT_ST_IN_TALLY && row->counts != NULL && !f->has) {
            f->has = 1;
            f->reg = row->counts[pr->registered];
            f->cast = row->counts[pr->ballots_cast];
            f->invalid = row->counts[pr->invalid];
        }
    }
    for (p = 0; p < def->n_precincts; p++) {
        if (!pf[p].expected)
            continue;
        for (a = def->precincts[p].area; a != NONE; a = def->areas[a].parent) {
            af[a].total++;
            af[a].reported += pf[p].reported ? 1u : 0u;
            if (!pf[p].has)
                continue;
            af[a].with_counts++;
            if (add_u64(&af[a].reg, pf[p].reg) != 0 || add_u64(&af[a].cast, pf[p].cast) != 0 ||
                add_u64(&af[a].invalid, pf[p].invalid) != 0)
                af[a].overflow = 1;
        }
    }
}

static json_t *gpunits(const cm_definition *def, const pfig *pf, const afig *af)
{
    json_t *arr = json_array(), *o, *comp;
    char id[ID_LEN];
    size_t a, b, p;

    for (a = 0; a < def->n_areas; a++) {
        o = typed("ReportingUnit");
        area_id(id, def, a);
        json_object_set_new(o, "@id", json_string(id));
        json_object_set_new(o, "Type", json_string("other"));
        json_object_set_new(o, "OtherType", json_string("area"));
        json_object_set_new(o, "Name", itext(def->areas[a].name));
        json_object_set_new(o, "ExternalIdentifier", ext_id("local-level", NULL, def->areas[a].id));
        comp = json_array();
        for (b = 0; b < def->n_areas; b++)
            if (def->areas[b].parent == a) {
                area_id(id, def, b);
                json_array_append_new(comp, json_string(id));
            }
        for (p = 0; p < def->n_precincts; p++)
            if (def->precincts[p].area == a) {
                precinct_id(id, def, p);
                json_array_append_new(comp, json_string(id));
            }
        if (json_array_size(comp) > 0)
            json_object_set_new(o, "ComposingGpUnitIds", comp);
        else
            json_decref(comp);
        json_object_set_new(o, "TotalSubUnits", json_integer((json_int_t)af[a].total));
        json_object_set_new(o, "SubUnitsReported", json_integer((json_int_t)af[a].reported));
        /* sums only when every precinct of the subtree has figures */
        if (af[a].total > 0 && af[a].with_counts == af[a].total && !af[a].overflow) {
            json_object_set_new(o, "VotersRegistered", ct_json_count(af[a].reg));
            json_object_set_new(o, "VotersParticipated", ct_json_count(af[a].cast));
        }
        json_array_append_new(arr, o);
    }
    for (p = 0; p < def->n_precincts; p++) {
        const cm_precinct *pc = &def->precincts[p];
        o = typed("ReportingUnit");
        precinct_id(id, def, p);
        json_object_set_new(o, "@id", json_string(id));
        json_object_set_new(o, "Type", json_string("precinct"));
        json_object_set_new(o, "Name", itext(pc->name));
        json_object_set_new(o, "ExternalIdentifier", ext_id("local-level", NULL, pc->id));
        if (pf[p].has) {
            json_object_set_new(o, "VotersRegistered", ct_json_count(pf[p].reg));
            json_object_set_new(o, "VotersParticipated", ct_json_count(pf[p].cast));
        } else if (pc->has_roll) {
            json_object_set_new(o, "VotersRegistered", ct_json_count(pc->roll));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *parties(const cm_definition *def)
{
    json_t *arr = json_array(), *o;
    char id[ID_LEN], colour[7];
    size_t i, k;
    int ok;

    for (i = 0; i < def->n_parties; i++) {
        const cm_party *pa = &def->parties[i];
        o = typed("Party");
        mkid(id, "party-", pa->id, NULL, NULL);
        json_object_set_new(o, "@id", json_string(id));
        json_object_set_new(o, "Name", itext(pa->name));
        if (pa->abbreviation != NULL && pa->abbreviation[0] != '\0')
            json_object_set_new(o, "Abbreviation", itext(pa->abbreviation));
        ok = strlen(pa->colour) == 6;
        for (k = 0; ok && k < 6; k++) {
            char ch = pa->colour[k];
            if (ch >= 'A' && ch <= 'F')
                ch = (char)(ch - 'A' + 'a');
            ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
            colour[k] = ch;
        }
        colour[6] = '\0';
        if (ok)
            json_object_set_new(o, "Color", json_string(colour));
        json_object_set_new(o, "ExternalIdentifier", ext_id("local-level", NULL, pa->id));
        json_array_append_new(arr, o);
    }
    return arr;
}

static int in_list(const size_t *v, size_t n, size_t i)
{
    size_t k;
    int found = 0;

    for (k = 0; k < n; k++)
        found |= v[k] == i;
    return found;
}

/* PostElectionStatus, or NULL when the outcome does not decide it. */
static const char *post_status(const cm_contest *ct, const ct_outcome *o, size_t i)
{
    const char *st = NULL;

    if (ct->candidates[i].withdrawn)
        st = "withdrawn";
    else if (o->incomplete || o->kind == CT_OUT_OVERFLOW || in_list(o->tied, o->n_tied, i))
        st = NULL;
    else if (in_list(o->runoff, o->n_runoff, i))
        st = "advanced-to-runoff";
    else if (o->seats[i] > 0)
        st = "winner";
    else
        st = "defeated";
    return st;
}

static json_t *vote_count(const char *gpu, uint64_t n)
{
    json_t *o = typed("VoteCounts");

    json_object_set_new(o, "GpUnitId", json_string(gpu));
    json_object_set_new(o, "Type", json_string("total"));
    json_object_set_new(o, "Count", ct_json_count(n));
    return o;
}

/* One selection: k is a candidate index, or NONE for against-all. */
static json_t *selection(const cm_definition *def, const ct_report *r, size_t c,
                         const ct_contest_sum *s, size_t k, const char *cand_id)
{
    const cm_contest *ct = &def->contests[c];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    json_t *o = typed("CandidateSelection"), *ids = json_array(), *vc = json_array();
    char id[ID_LEN];
    size_t i;

    if (k == NONE)
        mkid(id, "sel-", ct->id, "-AGAINST-ALL", NULL);
    else
        mkid(id, "sel-", ct->id, "-C-", ct->candidates[k].id);
    json_object_set_new(o, "@id", json_string(id));
    json_array_append_new(ids, json_string(cand_id));
    json_object_set_new(o, "CandidateIds", ids);
    json_object_set_new(o, "IsWriteIn", json_false());
    json_object_set_new(o, "SequenceOrder",
                        json_integer((json_int_t)(k == NONE ? ct->n_candidates + 1 : k + 1)));
    for (i = 0; i < r->n; i++) {
        const ct_pc_row *row = &r->rows[i];
        if (row->contest != c || row->status != CT_ST_IN_TALLY || row->counts == NULL)
            continue;
        precinct_id(id, def, row->precinct);
        json_array_append_new(vc, vote_count(id, k == NONE ? row->counts[pr->against_all]
                                                          : row->votes[k]));
    }
    if (!s->overflow) {
        area_id(id, def, ct->area);
        json_array_append_new(vc, vote_count(id, k == NONE ? ct_sum_line(def, s, "against-all")
                                                          : s->votes[k]));
    }
    json_object_set_new(o, "VoteCounts", vc);
    return o;
}

/* Appends contest c's candidates to cands and returns its CandidateContest. */
static json_t *contest(const cm_definition *def, const ct_report *r, size_t c,
                       const ct_contest_sum *s, const ct_outcome *out, json_t *cands)
{
    const cm_contest *ct = &def->contests[c];
    json_t *o = typed("CandidateContest"), *sels = json_array(), *cd;
    char id[ID_LEN], pid[ID_LEN];
    const char *st, *var = "plurality";
    size_t k;

    mkid(id, "contest-", ct->id, NULL, NULL);
    json_object_set_new(o, "@id", json_string(id));
    json_object_set_new(o, "Name", ct_json_text(ct->name));
    json_object_set_new(o, "BallotTitle", itext(ct->name));
    area_id(id, def, ct->area);
    json_object_set_new(o, "ElectionDistrictId", json_string(id));
    json_object_set_new(o, "VotesAllowed", ct_json_count(ct->votes_allowed));
    json_object_set_new(o, "NumberElected", ct_json_count(ct->seats));
    if (ct->outcome == CM_OUTCOME_MAJORITY)
        var = "majority";
    else if (ct->outcome == CM_OUTCOME_PARTY_LIST)
        var = "proportional";
    else if (ct->votes_allowed > 1)
        var = "n-of-m";
    json_object_set_new(o, "VoteVariation", json_string(var));
    json_object_set_new(o, "SequenceOrder", json_integer((json_int_t)(c + 1)));
    json_object_set_new(o, "TotalSubUnits", json_integer((json_int_t)s->expected));
    json_object_set_new(o, "SubUnitsReported",
                        json_integer((json_int_t)s->by_status[CT_ST_IN_TALLY]));
    json_object_set_new(o, "ExternalIdentifier", ext_id("local-level", NULL, ct->id));
    for (k = 0; k < ct->n_candidates; k++) {
        const cm_candidate *ca = &ct->candidates[k];
        cd = typed("Candidate");
        mkid(id, "cand-", ct->id, "-C-", ca->id);
        json_object_set_new(cd, "@id", json_string(id));
        json_object_set_new(cd, "BallotName", itext(ca->name));
        if (ca->party != NONE) {
            mkid(pid, "party-", def->parties[ca->party].id, NULL, NULL);
            json_object_set_new(cd, "PartyId", json_string(pid));
        }
        if (ca->withdrawn)
            json_object_set_new(cd, "PreElectionStatus", json_string("withdrawn"));
        st = post_status(ct, out, k);
        if (st != NULL)
            json_object_set_new(cd, "PostElectionStatus", json_string(st));
        json_object_set_new(cd, "ExternalIdentifier", ext_id("local-level", NULL, ca->id));
        json_array_append_new(cands, cd);
        json_array_append_new(sels, selection(def, r, c, s, k, id));
    }
    if (ct->against_all) {
        cd = typed("Candidate");
        mkid(id, "cand-", ct->id, "-AGAINST-ALL", NULL);
        json_object_set_new(cd, "@id", json_string(id));
        json_object_set_new(cd, "BallotName", itext("Against all"));
        json_object_set_new(cd, "ExternalIdentifier",
                            ext_id("other", "selection-kind", "against-all"));
        json_array_append_new(cands, cd);
        json_array_append_new(sels, selection(def, r, c, s, NONE, id));
    }
    json_object_set_new(o, "ContestSelection", sels);
    return o;
}

static json_t *ballot_counts(const char *gpu, uint64_t cast, uint64_t invalid)
{
    json_t *o = typed("BallotCounts");

    json_object_set_new(o, "GpUnitId", json_string(gpu));
    json_object_set_new(o, "Type", json_string("total"));
    json_object_set_new(o, "BallotsCast", ct_json_count(cast));
    json_object_set_new(o, "BallotsRejected", ct_json_count(invalid));
    return o;
}

int ct_nist_print(FILE *out, const cm_definition *def, const char *mode, const ct_report *r,
                  const char *only)
{
    pfig *pf = calloc(def->n_precincts ? def->n_precincts : 1, sizeof *pf);
    afig *af = calloc(def->n_areas ? def->n_areas : 1, sizeof *af);
    json_t *root = NULL, *el, *cands, *contests, *bc, *arr;
    char id[ID_LEN], date[32], notes[512], hex[PR_HASH_HEX + 1];
    size_t c, p, a, root_area = 0, in_tally = 0;
    ct_contest_sum s;
    ct_outcome o;
    time_t now = time(NULL);
    struct tm tm;
    int rc = -1, complete = 1;

    if (pf == NULL || af == NULL)
        goto out;
    figures(def, r, pf, af);
    for (a = 0; a < def->n_areas; a++)
        if (def->areas[a].parent == NONE)
            root_area = a;
    for (c = 0; c < r->n; c++) {
        complete &= r->rows[c].status == CT_ST_IN_TALLY;
        in_tally += r->rows[c].status == CT_ST_IN_TALLY ? 1u : 0u;
    }
    root = typed("ElectionReport");
    json_object_set_new(root, "Format", json_string("precinct-level"));
    if (gmtime_r(&now, &tm) == NULL || strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(date, sizeof date, "1970-01-01T00:00:00Z");
    json_object_set_new(root, "GeneratedDate", json_string(date));
    json_object_set_new(root, "Issuer", ct_json_text(def->name));
    json_object_set_new(root, "IssuerAbbreviation", json_string(def->id));
    json_object_set_new(root, "SequenceStart", json_integer(1));
    json_object_set_new(root, "SequenceEnd", json_integer(1));
    json_object_set_new(root, "Status", json_string(complete && in_tally > 0 ? "unofficial-complete"
                                                                             : "unofficial-partial"));
    json_object_set_new(root, "VendorApplicationId", json_string("central " PR_VERSION));
    json_object_set_new(root, "IsTest", json_boolean(strcmp(mode, "test") == 0));
    ct_hex(hex, r->head, PR_HASH_BYTES);
    snprintf(notes, sizeof notes, "central tally as of event %lld, head %s; definition %s",
             (long long)r->seq, hex, def->hash_hex);
    json_object_set_new(root, "Notes", json_string(notes));
    json_object_set_new(root, "GpUnit", gpunits(def, pf, af));
    json_object_set_new(root, "Party", parties(def));

    el = typed("Election");
    area_id(id, def, root_area);
    json_object_set_new(el, "ElectionScopeId", json_string(id));
    json_object_set_new(el, "Name", itext(def->name));
    json_object_set_new(el, "StartDate", json_string(def->date));
    json_object_set_new(el, "EndDate", json_string(def->date));
    json_object_set_new(el, "Type", json_string("other"));
    json_object_set_new(el, "OtherType", json_string("unspecified"));
    json_object_set_new(el, "ExternalIdentifier", ext_id("local-level", NULL, def->id));
    cands = json_array();
    contests = json_array();
    for (c = 0; c < def->n_contests; c++) {
        if (only != NULL && strcmp(def->contests[c].id, only) != 0)
            continue;
        memset(&s, 0, sizeof s);
        memset(&o, 0, sizeof o);
        if (ct_contest_sum_build(def, r, c, &s) != 0 || ct_outcome_build(def, &s, &o) != 0) {
            ct_contest_sum_free(&s);
            json_decref(cands);
            json_decref(contests);
            json_decref(el);
            goto out;
        }
        json_array_append_new(contests, contest(def, r, c, &s, &o, cands));
        ct_outcome_free(&o);
        ct_contest_sum_free(&s);
    }
    json_object_set_new(el, "Candidate", cands);
    json_object_set_new(el, "Contest", contests);
    bc = json_array();
    for (p = 0; p < def->n_precincts; p++)
        if (pf[p].has) {
            precinct_id(id, def, p);
            json_array_append_new(bc, ballot_counts(id, pf[p].cast, pf[p].invalid));
        }
    for (a = 0; a < def->n_areas; a++)
        if (af[a].total > 0 && af[a].with_counts == af[a].total && !af[a].overflow) {
            area_id(id, def, a);
            json_array_append_new(bc, ballot_counts(id, af[a].cast, af[a].invalid));
        }
    json_object_set_new(el, "BallotCounts", bc);
    arr = json_array();
    json_array_append_new(arr, el);
    json_object_set_new(root, "Election", arr);
    ct_json_print(out, root);
    rc = 0;
out:
    json_decref(root);
    free(pf);
    free(af);
    return rc;
}
