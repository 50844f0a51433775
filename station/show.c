/*
 * show.c: `station show` (a return made readable with the definition's
 * names, percentages and turnout) and `station verify` (its signature
 * against a station public key). Also the summary `station record` prints.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/rules.h"
#include "proto/keys.h"
#include "station.h"

static const char show_help[] =
    "usage: station show RETURN --definition DEF\n"
    "\n"
    "Prints RETURN readably: names from DEF, percentages of ballots cast,\n"
    "turnout, revision, signing time, key id and the return's BLAKE2b-256 hash.\n"
    "It does not check the signature (use station verify) nor DEF.sig.\n";

static const char verify_help[] =
    "usage: station verify RETURN --pub PUB\n"
    "\n"
    "Checks RETURN's signature with the station public key file PUB. Prints\n"
    "`valid` (exit 0) or `invalid: <why>` (exit 1, also for a malformed return);\n"
    "exit 3 when a file cannot be read.\n";

/* Longest name column: longer names still print whole, just unaligned. */
#define NAME_COL_MAX 36u

static int find_count(const pr_return *r, const char *id, uint64_t *v)
{
    for (size_t i = 0; i < r->n_counts; i++)
        if (strcmp(r->counts[i].id, id) == 0) {
            *v = r->counts[i].value;
            return 1;
        }
    return 0;
}

/* Protocol line `id`, or NULL when the definition has no such line. */
static const cm_line *find_line(const cm_protocol *p, const char *id)
{
    if (p != NULL)
        for (size_t i = 0; i < p->n_lines; i++)
            if (strcmp(p->lines[i].id, id) == 0)
                return &p->lines[i];
    return NULL;
}

static const cm_candidate *find_candidate(const cm_contest *c, const char *id)
{
    if (c != NULL)
        for (size_t i = 0; i < c->n_candidates; i++)
            if (strcmp(c->candidates[i].id, id) == 0)
                return &c->candidates[i];
    return NULL;
}

/* One row: id, name, value, and a share (num of den) when share_label is
 * not NULL. */
static void row(FILE *f, const char *id, size_t idw, const char *name, size_t namew, uint64_t v,
                const char *share_label, uint64_t num, uint64_t den)
{
    char pct[32];
    fprintf(f, "  %-*s  ", (int)idw, id);
    st_print_name(f, name, namew);
    fprintf(f, "  %10llu", (unsigned long long)v);
    if (share_label != NULL) {
        cm_percent(num, den, pct, sizeof pct);
        if (strcmp(pct, "n/a") != 0)
            strcat(pct, "%");
        fprintf(f, "  %-7s %7s", share_label, pct);
    }
    fputc('\n', f);
}

void st_print_return(FILE *f, const cm_definition *def, const pr_return *r,
                     const uint8_t file_hash[PR_HASH_BYTES], const char *file_name)
{
    const cm_contest *c = NULL;
    const cm_protocol *p = NULL;
    const cm_precinct *pc = NULL;
    char hex[PR_HASH_HEX + 1], t[PR_TIME_LEN + 1], e[ST_NAME_BUF];
    uint64_t cast = 0, registered = 0;
    size_t idw = 0, namew = 0;
    int have_cast = find_count(r, "ballots-cast", &cast);
    int have_reg = find_count(r, "registered", &registered);

    if (def != NULL) {
        size_t ci = cm_find_contest(def, r->contest);
        size_t pi = cm_find_precinct(def, r->precinct);
        if (ci != (size_t)-1) {
            c = &def->contests[ci];
            p = &def->protocols[c->protocol];
        }
        if (pi != (size_t)-1)
            pc = &def->precincts[pi];
    }

    if (file_name != NULL)
        fprintf(f, "return      %s\n", st_esc(file_name, e));
    pr_hex_encode(hex, file_hash, PR_HASH_BYTES);
    fprintf(f, "hash        %s\n", hex);
    pr_hex_encode(hex, r->definition, PR_HASH_BYTES);
    fprintf(f, "election    %s\n", r->election);
    fprintf(f, "definition  %.8s", hex);
    if (def != NULL && memcmp(def->hash, r->definition, PR_HASH_BYTES) != 0)
        fprintf(f, "   (NOT the definition given, which is %.8s)", def->hash_hex);
    fputc('\n', f);
    fprintf(f, "mode        %s\n", pr_mode_name(r->mode));
    fprintf(f, "contest     %s", r->contest);
    if (c != NULL) {
        fputs("   ", f);
        st_print_name(f, c->name, 0);
    }
    fputc('\n', f);
    fprintf(f, "precinct    %s", r->precinct);
    if (pc != NULL) {
        fputs("   ", f);
        st_print_name(f, pc->name, 0);
    }
    fputc('\n', f);
    fprintf(f, "revision    %llu\n", (unsigned long long)r->revision);
    if (r->revision > 1) {
        pr_hex_encode(hex, r->supersedes, PR_HASH_BYTES);
        fprintf(f, "supersedes  %s\n", hex);
        fprintf(f, "reason      ");
        st_print_name(f, r->reason, 0);
        fputc('\n', f);
    }
    for (size_t i = 0; i < r->n_evidence; i++) {
        pr_hex_encode(hex, r->evidence[i], PR_HASH_BYTES);
        fprintf(f, "evidence    %s\n", hex);
    }
    if (pr_format_time(r->signed_at, t) != 0)
        memcpy(t, "(out of range)", 15);
    fprintf(f, "signed      %s\n", t);
    st_key_id_hex(r->key_id, hex);
    fprintf(f, "key         %s\n", hex);

    /* Column widths over both tables, so they line up. */
    for (size_t i = 0; i < r->n_counts; i++) {
        const cm_line *l = find_line(p, r->counts[i].id);
        idw = strlen(r->counts[i].id) > idw ? strlen(r->counts[i].id) : idw;
        if (l != NULL && st_display_width(l->name) > namew)
            namew = st_display_width(l->name);
    }
    for (size_t i = 0; i < r->n_votes; i++) {
        const cm_candidate *k = find_candidate(c, r->votes[i].id);
        idw = strlen(r->votes[i].id) > idw ? strlen(r->votes[i].id) : idw;
        if (k != NULL && st_display_width(k->name) > namew)
            namew = st_display_width(k->name);
    }
    if (namew > NAME_COL_MAX)
        namew = NAME_COL_MAX;

    fprintf(f, "counts\n");
    for (size_t i = 0; i < r->n_counts; i++) {
        const pr_item *it = &r->counts[i];
        const cm_line *l = find_line(p, it->id);
        const char *name = l ? l->name : "";
        /* Shares follow DESIGN 8: turnout is of registered, invalid and
         * against-all of ballots cast; other lines get none. */
        if (strcmp(it->id, "ballots-cast") == 0 && have_reg)
            row(f, it->id, idw, name, namew, it->value, "turnout", it->value, registered);
        else if ((strcmp(it->id, "invalid") == 0 || strcmp(it->id, "against-all") == 0) &&
                 have_cast)
            row(f, it->id, idw, name, namew, it->value, "", it->value, cast);
        else
            row(f, it->id, idw, name, namew, it->value, NULL, 0, 0);
    }
    fprintf(f, "votes\n");
    for (size_t i = 0; i < r->n_votes; i++) {
        const cm_candidate *k = find_candidate(c, r->votes[i].id);
        row(f, r->votes[i].id, idw, k ? k->name : "", namew, r->votes[i].value,
            have_cast ? "" : NULL, r->votes[i].value, cast);
    }
}

enum { S_DEF, S_N };
static const st_optspec show_specs[S_N] = {{"definition", 1, 0}};

int st_cmd_show(int argc, char **argv)
{
    int rc = ST_USAGE;
    st_opts o;
    uint8_t *bytes = NULL, *defbytes = NULL;
    size_t len = 0, deflen = 0;
    pr_return *r = NULL;
    cm_definition *def = NULL;
    uint8_t hash[PR_HASH_BYTES];
    pr_diag d = {0, ""};
    char e[ST_NAME_BUF];

    if (st_parse_opts(argc, argv, show_specs, S_N, 1, &o) != ST_OK)
        goto out;
    if (o.help) {
        fputs(show_help, stdout);
        rc = ST_OK;
        goto out;
    }
    if (o.n_pos != 1 || !o.val[S_DEF]) {
        st_err("show", "RETURN and --definition are required (see --help)");
        goto out;
    }
    if ((rc = st_read(o.pos[0], PR_FILE_MAX, &bytes, &len)) != ST_OK)
        goto out;
    if ((rc = st_read(o.val[S_DEF], CM_DEFINITION_MAX, &defbytes, &deflen)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        st_err("show", "out of memory");
        goto out;
    }
    if (pr_return_parse(bytes, len, r, &d) != 0) {
        st_err(st_esc(o.pos[0], e), "malformed: line %u: %s", d.line, d.msg);
        goto out;
    }
    if (cm_definition_load(defbytes, deflen, &def, &d) != 0) {
        st_err(st_esc(o.val[S_DEF], e), "%s", d.msg);
        goto out;
    }
    pr_hash(hash, bytes, len);
    printf("signature   NOT CHECKED (use station verify)\n");
    st_print_return(stdout, def, r, hash, o.pos[0]);
    rc = ST_OK;
out:
    free(bytes);
    free(defbytes);
    free(r);
    cm_definition_free(def);
    return rc;
}

enum { V_PUB, V_N };
static const st_optspec verify_specs[V_N] = {{"pub", 1, 0}};

int st_cmd_verify(int argc, char **argv)
{
    int rc = ST_USAGE;
    st_opts o;
    uint8_t *bytes = NULL, *pubbytes = NULL;
    size_t len = 0, publen = 0;
    pr_return *r = NULL;
    uint8_t pk[PR_PK_BYTES], kid[PR_KEYID_BYTES];
    pr_diag d = {0, ""};
    char e[ST_NAME_BUF], a[PR_KEYID_HEX + 1], b[PR_KEYID_HEX + 1];

    if (st_parse_opts(argc, argv, verify_specs, V_N, 1, &o) != ST_OK)
        goto out;
    if (o.help) {
        fputs(verify_help, stdout);
        rc = ST_OK;
        goto out;
    }
    if (o.n_pos != 1 || !o.val[V_PUB]) {
        st_err("verify", "RETURN and --pub are required (see --help)");
        goto out;
    }
    if ((rc = st_read(o.pos[0], PR_FILE_MAX, &bytes, &len)) != ST_OK)
        goto out;
    if ((rc = st_read(o.val[V_PUB], PR_FILE_MAX, &pubbytes, &publen)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    if (pr_pubkey_parse(PR_KEY_STATION, pubbytes, publen, pk, &d) != 0) {
        st_err(st_esc(o.val[V_PUB], e), "line %u: %s", d.line, d.msg);
        goto out;
    }
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        st_err("verify", "out of memory");
        goto out;
    }
    if (pr_return_parse(bytes, len, r, &d) != 0) {
        printf("invalid: malformed: line %u: %s\n", d.line, d.msg);
        goto out;
    }
    pr_key_id(kid, pk);
    if (memcmp(kid, r->key_id, PR_KEYID_BYTES) != 0) {
        st_key_id_hex(r->key_id, a);
        st_key_id_hex(kid, b);
        printf("invalid: signed by key %s, not by this key (%s)\n", a, b);
        goto out;
    }
    if (pr_return_verify(bytes, r, pk) != 0) {
        printf("invalid: bad signature\n");
        goto out;
    }
    printf("valid\n");
    rc = ST_OK;
out:
    free(bytes);
    free(pubbytes);
    free(r);
    return rc;
}
