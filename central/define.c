/*
 * define.c: `central define --from-csv DIR --out DEF`: the definition built
 * from spreadsheets (docs/DEFINITION-CSV.md), every mistake reported with its
 * file, row and column, and DEF written only when all is well.
 */
#include "define.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "args.h"
#include "commands.h"
#include "common/definition.h"
#include "common/fileio.h"
#include "proto/codec.h"

#define NONE ((size_t)-1)

static const char define_usage[] =
    "usage: central define --from-csv DIR [--protocols FILE]... --out DEF\n";
static const char define_help[] =
    "Builds the election definition DEF (JSON, docs/DEFINITION.md) from the CSV\n"
    "files in DIR: election.csv, areas.csv, contests.csv, candidates.csv,\n"
    "precincts.csv, and parties.csv and tolerances.csv when present (layout in\n"
    "docs/DEFINITION-CSV.md). Protocols come from the JSON files given with\n"
    "--protocols (each a protocol object or an array of them, as the presets),\n"
    "or else from DIR/protocols.json. Names are normalised to Unicode NFC and the\n"
    "output is deterministic: the same files give the same bytes and hash.\n"
    "Every error names its file, row and column; DEF is written only when there\n"
    "is none and the result passes the definition check, and never overwritten.\n"
    "Prints the definition hash. Exit 1 on bad content, 2 on usage, 3 when a\n"
    "file cannot be read or DEF exists or cannot be written.\n";

/* ---- columns of each file ------------------------------------------------ */

enum { EL_ID, EL_NAME, EL_DATE };
static const ct_csv_colspec election_cols[] = {{"id", 1}, {"name", 1}, {"date", 1}, {NULL, 0}};

enum { PA_ID, PA_NAME, PA_ABBR, PA_COLOUR };
static const ct_csv_colspec party_cols[] = {
    {"id", 1}, {"name", 1}, {"abbreviation", 1}, {"colour", 0}, {NULL, 0}};

enum { AR_ID, AR_NAME, AR_PARENT, AR_CLOSE };
static const ct_csv_colspec area_cols[] = {
    {"id", 1}, {"name", 1}, {"parent", 1}, {"close", 1}, {NULL, 0}};

enum { CO_ID, CO_NAME, CO_AREA, CO_PROTOCOL, CO_AA, CO_VOTES, CO_SEATS, CO_OUTCOME, CO_METHOD,
       CO_THRESHOLD };
static const ct_csv_colspec contest_cols[] = {
    {"id", 1},      {"name", 1},    {"area", 1},    {"protocol", 1},     {"against_all", 1},
    {"votes_allowed", 0}, {"seats", 0}, {"outcome", 1}, {"method", 0}, {"threshold_bp", 0},
    {NULL, 0}};

enum { CA_CONTEST, CA_ID, CA_NAME, CA_PARTY, CA_WITHDRAWN };
static const ct_csv_colspec candidate_cols[] = {
    {"contest", 1}, {"id", 1}, {"name", 1}, {"party", 0}, {"withdrawn", 0}, {NULL, 0}};

enum { PR_COL_ID, PR_COL_NAME, PR_COL_AREA, PR_COL_CONTESTS, PR_COL_REGISTERED, PR_COL_CLOSE };
static const ct_csv_colspec precinct_cols[] = {
    {"id", 1},         {"name", 1},  {"area", 1}, {"contests", 1},
    {"registered", 1}, {"close", 0}, {NULL, 0}};

enum { TO_KEY, TO_VALUE };
static const ct_csv_colspec tolerance_cols[] = {{"key", 1}, {"value", 1}, {NULL, 0}};

/* docs/DEFINITION.md's tolerances, in the order they are written. */
static const char *const tolerance_keys[] = {
    "registered_up_abs", "registered_up_bp", "registered_down_abs", "registered_down_bp",
    "turnout_high_bp",   "invalid_high_bp",  "hold_corrections",    NULL};

/* ---- the builder ----------------------------------------------------------- */

typedef struct bld {
    const ct_define_in *in;
    ct_errlist *errs;
    ct_csv *election, *parties, *areas, *contests, *candidates, *precincts, *tolerances;
    json_t *party_ix;       /* party id -> data row index in parties */
    json_t *area_ix;        /* area id -> data row index in areas */
    json_t *contest_ix;     /* contest id -> data row index in contests */
    json_t *precinct_ix;    /* precinct id -> data row index */
    json_t *protocols;      /* protocol id -> {"json", "file", "path", "aa", "used"} */
    json_t *proto_order;    /* protocol ids in the order read */
    json_t *contest_json;   /* per contest data row: its object, or null */
    json_t *cand_ix;        /* per contest data row: {candidate id -> candidates row} */
    json_t *cand_rows;      /* per contest data row: [candidates data row, ...] */
    json_t *out_parties, *out_areas, *out_contests, *out_precincts, *out_tolerances;
    json_t *out_election;   /* {"id", "name", "date"} */
} bld;

/* Quotes a cell for a message: escaped (cm_escape), at most ~80 bytes. */
static const char *q(const char *s, char *buf, size_t n)
{
    return cm_escape(s, buf, n);
}

/* Adds `WHERE: message` about a cell; returns -1. */
__attribute__((format(printf, 5, 6))) static int bad_cell(bld *b, const ct_csv *t, size_t r,
                                                          size_t s, const char *fmt, ...)
{
    char where[200], msg[400];
    va_list ap;

    ct_csv_where(t, r, s, where, sizeof where);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ct_errlist_add(b->errs, CT_EXIT_FAIL, t->path, "%s: %s", where, msg);
    return -1;
}

/* DIR/name into out; -1 when too long. */
static int join(const char *dir, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(dir);
    int k = snprintf(out, outlen, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", name);

    return k < 0 || (size_t)k >= outlen ? -1 : 0;
}

/* Reads DIR/name; optional files that do not exist give *t NULL and 0. */
static int read_table(bld *b, const char *name, const ct_csv_colspec *spec, int optional,
                      ct_csv **t)
{
    char path[4096];
    struct stat sb;
    int rc = -1;

    *t = NULL;
    if (join(b->in->dir, name, path, sizeof path) != 0) {
        ct_errlist_add(b->errs, CT_EXIT_USAGE, b->in->dir, "path too long");
    } else if (optional && stat(path, &sb) != 0 && errno == ENOENT) {
        rc = 0;
    } else {
        rc = ct_csv_read(path, CM_DEFINITION_MAX, spec, t, b->errs);
    }
    return rc;
}

/* An id cell. 0 and *out (the cell, or NULL when empty and allowed); -1. */
static int get_id(bld *b, const ct_csv *t, size_t r, size_t s, int allow_empty, const char **out)
{
    const char *v = ct_csv_cell(t, r, s);
    char qb[100];
    int rc = 0;

    *out = NULL;
    if (v[0] == '\0') {
        if (!allow_empty)
            rc = bad_cell(b, t, r, s, "empty (an id is required)");
    } else if (!pr_is_id(v, strlen(v))) {
        rc = bad_cell(b, t, r, s, "not an id: \"%s\" (want [a-z0-9][a-z0-9._-]{0,63}: lowercase "
                                  "letters, digits, . _ -)", q(v, qb, sizeof qb));
    } else {
        *out = v;
    }
    return rc;
}

/* s[0..len) in Unicode NFC as a new JSON string; NULL when it cannot be
 * normalised or the result is not a name (pr_is_name) or memory ran out. */
static json_t *nfc_name(const char *s, size_t len, int *oom)
{
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t n;
    json_t *j = NULL;

    n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &dst,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n == UTF8PROC_ERROR_NOMEM)
        *oom = 1;
    if (n >= 0 && pr_is_name((const char *)dst, (size_t)n)) {
        j = json_stringn((const char *)dst, (size_t)n);
        if (j == NULL)
            *oom = 1;
    }
    free(dst);
    return j;
}

/* A name cell, normalised to NFC. 0 and *out (a new reference); -1. */
static int get_name(bld *b, const ct_csv *t, size_t r, size_t s, json_t **out)
{
    const char *v = ct_csv_cell(t, r, s);
    int oom = 0, rc = 0;

    *out = NULL;
    if (v[0] == '\0')
        rc = bad_cell(b, t, r, s, "empty (a name is required)");
    else if ((*out = nfc_name(v, strlen(v), &oom)) == NULL)
        rc = oom ? bad_cell(b, t, r, s, "out of memory")
                 : bad_cell(b, t, r, s,
                            "not a printable name (1-%u bytes of UTF-8, no control or "
                            "bidirectional characters, no leading or trailing space)",
                            PR_NAME_MAX);
    return rc;
}

/* A count cell within [min, max]. Empty: *present 0 and 0 when present is
 * not NULL, else an error. */
static int get_count(bld *b, const ct_csv *t, size_t r, size_t s, uint64_t min, uint64_t max,
                     int *present, uint64_t *out)
{
    const char *v = ct_csv_cell(t, r, s);
    char qb[100];
    int rc = 0;

    *out = 0;
    if (present != NULL)
        *present = v[0] != '\0';
    if (v[0] == '\0') {
        if (present == NULL)
            rc = bad_cell(b, t, r, s, "empty (a count is required)");
    } else if (pr_parse_count(v, strlen(v), out) != 0) {
        rc = bad_cell(b, t, r, s, "not a plain integer: \"%s\" (digits only: no sign, "
                                  "separators, decimals or leading zeros)", q(v, qb, sizeof qb));
    } else if (*out < min || *out > max) {
        rc = bad_cell(b, t, r, s, "%llu is out of range (%llu to %llu)", (unsigned long long)*out,
                      (unsigned long long)min, (unsigned long long)max);
    }
    return rc;
}

/* A true/false cell (either case). Empty: dflt when dflt >= 0, else an error. */
static int get_bool(bld *b, const ct_csv *t, size_t r, size_t s, int dflt, int *out)
{
    const char *v = ct_csv_cell(t, r, s);
    char qb[100];
    int rc = 0;

    *out = dflt;
    if (v[0] == '\0' && dflt >= 0)
        ;
    else if (v[0] == '\0')
        rc = bad_cell(b, t, r, s, "empty (write true or false)");
    else if (strcasecmp(v, "true") == 0)
        *out = 1;
    else if (strcasecmp(v, "false") == 0)
        *out = 0;
    else
        rc = bad_cell(b, t, r, s, "not true or false: \"%s\"", q(v, qb, sizeof qb));
    return rc;
}

/* A close-of-polls cell: a JSON string, or JSON null when empty. */
static int get_time(bld *b, const ct_csv *t, size_t r, size_t s, json_t **out)
{
    const char *v = ct_csv_cell(t, r, s);
    char qb[100];
    int64_t when = 0;
    int rc = 0;

    *out = NULL;
    if (v[0] == '\0')
        *out = json_null();
    else if (pr_parse_time(v, strlen(v), &when) != 0)
        rc = bad_cell(b, t, r, s, "not a time: \"%s\" (want YYYY-MM-DDTHH:MM:SSZ, UTC, "
                                  "2000-2099)", q(v, qb, sizeof qb));
    else
        *out = json_string(v);
    return rc;
}

/* Records id -> data row r in ix; a second use is an error naming the first. */
static int claim_id(bld *b, json_t *ix, const ct_csv *t, size_t r, size_t s, const char *id,
                    const char *what)
{
    json_t *first = json_object_get(ix, id);
    int rc = 0;

    if (first != NULL)
        rc = bad_cell(b, t, r, s, "duplicate %s \"%s\" (first in row %lu)", what, id,
                      t->row[(size_t)json_integer_value(first)]);
    else
        json_object_set_new(ix, id, json_integer((json_int_t)r));
    return rc;
}

/* Sets key in o to v (a new reference; NULL sets nothing). */
static void put(json_t *o, const char *key, json_t *v)
{
    if (v != NULL)
        json_object_set_new(o, key, v);
}

/* ---- election.csv ---------------------------------------------------------- */

static void do_election(bld *b)
{
    const ct_csv *t = b->election;
    const char *id = NULL, *date;
    char stamp[PR_TIME_LEN + 1], qb[100];
    json_t *name = NULL;
    int64_t when = 0;

    if (t->n_rows == 0) {
        ct_errlist_add(b->errs, CT_EXIT_FAIL, t->path,
                       "no data row (want one row under the header: id, name, date)");
    } else {
        if (t->n_rows > 1)
            ct_errlist_add(b->errs, CT_EXIT_FAIL, t->path,
                           "row %lu: a second election (election.csv holds exactly one)",
                           t->row[1]);
        (void)get_id(b, t, 0, EL_ID, 0, &id);
        (void)get_name(b, t, 0, EL_NAME, &name);
        date = ct_csv_cell(t, 0, EL_DATE);
        snprintf(stamp, sizeof stamp, "%.10sT00:00:00Z", date);
        if (strlen(date) != 10 || pr_parse_time(stamp, PR_TIME_LEN, &when) != 0)
            (void)bad_cell(b, t, 0, EL_DATE, "not a date: \"%s\" (want YYYY-MM-DD, 2000-2099)",
                           q(date, qb, sizeof qb));
        put(b->out_election, "id", id ? json_string(id) : NULL);
        put(b->out_election, "name", name);
        put(b->out_election, "date", json_string(date));
    }
}

/* ---- parties.csv ------------------------------------------------------------ */

static int is_hex6(const char *s)
{
    size_t i;
    int ok = strlen(s) == 6;

    for (i = 0; ok && i < 6; i++)
        ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
             (s[i] >= 'A' && s[i] <= 'F');
    return ok;
}

static void do_parties(bld *b)
{
    const ct_csv *t = b->parties;
    size_t r;

    for (r = 0; t != NULL && r < t->n_rows; r++) {
        const char *id = NULL, *colour = ct_csv_cell(t, r, PA_COLOUR);
        json_t *o = json_object(), *name = NULL, *abbr = NULL;
        char qb[100];

        if (get_id(b, t, r, PA_ID, 0, &id) == 0)
            (void)claim_id(b, b->party_ix, t, r, PA_ID, id, "party id");
        (void)get_name(b, t, r, PA_NAME, &name);
        (void)get_name(b, t, r, PA_ABBR, &abbr);
        if (colour[0] != '\0' && !is_hex6(colour))
            (void)bad_cell(b, t, r, PA_COLOUR, "not a colour: \"%s\" (want 6 hex digits such "
                                               "as 1CA9C9, no #; empty for none)",
                           q(colour, qb, sizeof qb));
        put(o, "id", id ? json_string(id) : NULL);
        put(o, "name", name);
        put(o, "abbreviation", abbr);
        put(o, "colour", colour[0] != '\0' ? json_string(colour) : json_null());
        json_array_append_new(b->out_parties, o);
    }
}

/* ---- areas.csv --------------------------------------------------------------- */

/* Finds the cycles of the parent relation (every parent known) and reports
 * each once, at the row of its first member in file order. */
static void area_cycles(bld *b, const size_t *parent, size_t n)
{
    const ct_csv *t = b->areas;
    unsigned char *state = calloc(n ? n : 1, 1); /* 0 new, 1 on this walk, 2 done */
    size_t *walk = malloc((n ? n : 1) * sizeof *walk);
    size_t i;

    if (state == NULL || walk == NULL) {
        ct_errlist_add(b->errs, CT_EXIT_IO, t->path, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        size_t len = 0, v = i, k, start, first;
        char chain[400];
        size_t used = 0;

        while (v != NONE && state[v] == 0) {
            state[v] = 1;
            walk[len++] = v;
            v = parent[v];
        }
        if (v != NONE && state[v] == 1) {
            /* walk[start..len) is a cycle; name it from its first row. */
            for (start = 0; walk[start] != v; start++)
                ;
            for (first = start, k = start; k < len; k++)
                if (walk[k] < walk[first])
                    first = k;
            for (k = 0; k <= len - start; k++) {
                size_t m = walk[start + (first - start + k) % (len - start)];
                int w = snprintf(chain + used, sizeof chain - used, "%s%s", k ? " -> " : "",
                                 ct_csv_cell(t, m, AR_ID));
                if (w > 0 && (size_t)w < sizeof chain - used)
                    used += (size_t)w;
            }
            (void)bad_cell(b, t, walk[first], AR_PARENT, "the area tree has a cycle: %s", chain);
        }
        for (k = 0; k < len; k++)
            state[walk[k]] = 2;
    }
out:
    free(state);
    free(walk);
}

static void do_areas(bld *b)
{
    const ct_csv *t = b->areas;
    size_t r, root = NONE, *parent = NULL, before = b->errs->total;

    if (t->n_rows == 0) {
        ct_errlist_add(b->errs, CT_EXIT_FAIL, t->path, "no data row (at least the root area)");
        goto out;
    }
    parent = calloc(t->n_rows, sizeof *parent);
    if (parent == NULL) {
        ct_errlist_add(b->errs, CT_EXIT_IO, t->path, "out of memory");
        goto out;
    }
    for (r = 0; r < t->n_rows; r++) {
        const char *id = NULL, *par = NULL;
        json_t *o = json_object(), *name = NULL, *close = NULL;

        if (get_id(b, t, r, AR_ID, 0, &id) == 0)
            (void)claim_id(b, b->area_ix, t, r, AR_ID, id, "area id");
        (void)get_name(b, t, r, AR_NAME, &name);
        (void)get_id(b, t, r, AR_PARENT, 1, &par);
        (void)get_time(b, t, r, AR_CLOSE, &close);
        put(o, "id", id ? json_string(id) : NULL);
        put(o, "name", name);
        put(o, "parent", par ? json_string(par) : json_null());
        put(o, "close", close);
        json_array_append_new(b->out_areas, o);
    }
    /* Parents may come after their children: resolve once all are known. */
    for (r = 0; r < t->n_rows; r++) {
        const char *par = ct_csv_cell(t, r, AR_PARENT);
        json_t *ix = json_object_get(b->area_ix, par);

        parent[r] = NONE;
        if (par[0] == '\0') {
            if (root == NONE)
                root = r;
            else
                (void)bad_cell(b, t, r, AR_PARENT, "a second root area (empty parent; the root "
                                                   "is \"%s\" in row %lu)",
                               ct_csv_cell(t, root, AR_ID), t->row[root]);
        } else if (ix == NULL) {
            /* a malformed id was reported by get_id already */
            if (pr_is_id(par, strlen(par)))
                (void)bad_cell(b, t, r, AR_PARENT, "unknown area \"%s\" (not in areas.csv)", par);
        } else {
            parent[r] = (size_t)json_integer_value(ix);
        }
    }
    /* An unresolved parent ends a walk like the root does, so cycles are
     * found whatever else is wrong. */
    area_cycles(b, parent, t->n_rows);
    if (root == NONE && b->errs->total == before)
        ct_errlist_add(b->errs, CT_EXIT_FAIL, t->path,
                       "no root area (one row with an empty parent)");
    if (root != NONE && ct_csv_cell(t, root, AR_CLOSE)[0] == '\0')
        (void)bad_cell(b, t, root, AR_CLOSE, "empty (the root area needs a close of polls; the "
                                             "others inherit it)");
out:
    free(parent);
}

/* ---- protocols (JSON) -------------------------------------------------------- */

/* A copy of a protocol's line or rule object with its keys in the order
 * given by keys (names normalised to NFC); unknown keys are errors. */
static json_t *rebuild(bld *b, const char *file, const char *path, json_t *o,
                       const char *const *keys)
{
    json_t *c = json_object(), *v;
    const char *k;
    char qb[100];
    size_t i;
    int oom = 0;

    if (c == NULL || !json_is_object(o)) {
        ct_errlist_add(b->errs, c == NULL ? CT_EXIT_IO : CT_EXIT_FAIL, file, "%s: %s", path,
                       c == NULL ? "out of memory" : "expected an object");
        json_decref(c);
        c = NULL;
        goto out;
    }
    json_object_foreach(o, k, v) {
        for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
            ;
        if (keys[i] == NULL)
            ct_errlist_add(b->errs, CT_EXIT_FAIL, file, "%s: unknown key \"%s\"", path,
                           q(k, qb, sizeof qb));
    }
    for (i = 0; keys[i] != NULL; i++) {
        v = json_object_get(o, keys[i]);
        if (v == NULL)
            continue;
        if (strcmp(keys[i], "name") == 0 && json_is_string(v)) {
            json_t *n = nfc_name(json_string_value(v), json_string_length(v), &oom);
            /* a bad name is left as is for the definition check to name */
            json_object_set_new(c, keys[i], n != NULL ? n : json_incref(v));
        } else {
            json_object_set(c, keys[i], v);
        }
    }
out:
    return c;
}

static const char *const protocol_keys[] = {"id", "lines", "rules", NULL};
static const char *const line_keys[] = {"id", "name", "derived", NULL};
static const char *const rule_keys[] = {"id", "check", "severity", NULL};

/* Rebuilds the list under key ("lines" or "rules") of protocol p into c;
 * anything but an array is copied for the definition check to name. */
static void rebuild_list(bld *b, const char *file, const char *ppath, json_t *p, json_t *c,
                         const char *key, const char *const *keys)
{
    json_t *arr = json_object_get(p, key), *item, *out, *x;
    char path[256];
    size_t i;

    if (json_is_array(arr)) {
        out = json_array();
        json_array_foreach(arr, i, item) {
            snprintf(path, sizeof path, "%s.%s[%zu]", ppath, key, i);
            x = rebuild(b, file, path, item, keys);
            json_array_append_new(out, x != NULL ? x : json_incref(item));
        }
        json_object_set_new(c, key, out);
    } else if (arr != NULL) {
        json_object_set(c, key, arr);
    }
}

/* Adds protocol p (at path in file) to b->protocols under its id. */
static void add_protocol(bld *b, const char *file, const char *path, json_t *p)
{
    json_t *c = rebuild(b, file, path, p, protocol_keys), *id, *lines, *line, *have, *info;
    char qb[100];
    size_t i;
    int aa = 0;

    if (c == NULL)
        goto out;
    json_object_del(c, "lines");
    json_object_del(c, "rules");
    rebuild_list(b, file, path, p, c, "lines", line_keys);
    rebuild_list(b, file, path, p, c, "rules", rule_keys);
    id = json_object_get(c, "id");
    if (!json_is_string(id) || !pr_is_id(json_string_value(id), json_string_length(id))) {
        ct_errlist_add(b->errs, CT_EXIT_FAIL, file, "%s.id: %s", path,
                       json_is_string(id) ? "not an id" : "missing (a protocol needs an id)");
        goto out;
    }
    have = json_object_get(b->protocols, json_string_value(id));
    if (have != NULL) {
        ct_errlist_add(b->errs, CT_EXIT_FAIL, file,
                       "%s.id: duplicate protocol id \"%s\" (first in %s at %s)", path,
                       q(json_string_value(id), qb, sizeof qb),
                       json_string_value(json_object_get(have, "file")),
                       json_string_value(json_object_get(have, "path")));
        goto out;
    }
    lines = json_object_get(c, "lines");
    json_array_foreach(lines, i, line) {
        json_t *lid = json_object_get(line, "id");
        if (json_is_string(lid) && strcmp(json_string_value(lid), "against-all") == 0)
            aa = 1;
    }
    json_array_append_new(b->proto_order, json_string(json_string_value(id)));
    /* info keeps its own reference to c */
    info = json_pack("{s:O, s:s, s:s, s:b, s:b}", "json", c, "file", file, "path", path, "aa",
                     aa, "used", 0);
    if (info == NULL)
        ct_errlist_add(b->errs, CT_EXIT_IO, file, "out of memory");
    else
        json_object_set_new(b->protocols, json_string_value(id), info);
out:
    json_decref(c);
}

/* Reads one protocol file. 0, or -1 when it cannot be used at all. */
static int read_protocols(bld *b, const char *file, int implicit)
{
    uint8_t *buf = NULL;
    size_t len = 0, i;
    json_t *root = NULL, *p;
    json_error_t jerr;
    char path[32];
    pr_diag d;
    int k, rc = -1;

    memset(&d, 0, sizeof d);
    k = cm_read_file(file, CM_DEFINITION_MAX, 1, &buf, &len, NULL, &d);
    if (k != 0) {
        ct_errlist_add(b->errs, k == -2 ? CT_EXIT_FAIL : CT_EXIT_IO, file, "%s%s",
                       k == -2 ? "too large" : k == -3 ? "not a regular file"
                                : d.msg[0] ? d.msg : strerror(errno),
                       implicit ? " (the protocols: give --protocols FILE or put them here)" : "");
        goto out;
    }
    root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        ct_errlist_add(b->errs, CT_EXIT_FAIL, file, "line %d, column %d: %s", jerr.line,
                       jerr.column, jerr.text);
        goto out;
    }
    if (json_is_object(root)) {
        add_protocol(b, file, "$", root);
    } else if (json_is_array(root) && json_array_size(root) > 0) {
        json_array_foreach(root, i, p) {
            snprintf(path, sizeof path, "$[%zu]", i);
            add_protocol(b, file, path, p);
        }
    } else {
        ct_errlist_add(b->errs, CT_EXIT_FAIL, file,
                       "$: expected a protocol object or a non-empty array of them");
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    free(buf);
    return rc;
}

/* ---- contests.csv ------------------------------------------------------------ */

static void do_contests(bld *b)
{
    const ct_csv *t = b->contests;
    size_t r;

    if (t->n_rows == 0)
        ct_errlist_add(b->errs, CT_EXIT_FAIL, t->path, "no data row (at least one contest)");
    for (r = 0; r < t->n_rows; r++) {
        const char *id = NULL, *area = NULL, *proto = NULL;
        const char *outcome = ct_csv_cell(t, r, CO_OUTCOME), *method = ct_csv_cell(t, r, CO_METHOD);
        json_t *o = json_object(), *name = NULL, *pinfo = NULL;
        uint64_t votes = 1, seats = 1, thr = 0;
        int aa = 0, aa_ok, present = 0, party_list = strcmp(outcome, "party-list") == 0;
        char qb[100];

        if (get_id(b, t, r, CO_ID, 0, &id) == 0)
            (void)claim_id(b, b->contest_ix, t, r, CO_ID, id, "contest id");
        (void)get_name(b, t, r, CO_NAME, &name);
        if (get_id(b, t, r, CO_AREA, 0, &area) == 0 && json_object_get(b->area_ix, area) == NULL)
            (void)bad_cell(b, t, r, CO_AREA, "unknown area \"%s\" (not in areas.csv)", area);
        if (get_id(b, t, r, CO_PROTOCOL, 0, &proto) == 0) {
            pinfo = json_object_get(b->protocols, proto);
            if (pinfo == NULL)
                (void)bad_cell(b, t, r, CO_PROTOCOL, "unknown protocol \"%s\" (not in the "
                                                     "protocol files)", proto);
            else
                json_object_set_new(pinfo, "used", json_true());
        }
        aa_ok = get_bool(b, t, r, CO_AA, -1, &aa) == 0;
        if (aa_ok && pinfo != NULL && aa != json_is_true(json_object_get(pinfo, "aa")))
            (void)bad_cell(b, t, r, CO_AA, "%s, but protocol \"%s\" has %s against-all line",
                           aa ? "true" : "false", proto, aa ? "no" : "an");
        if (get_count(b, t, r, CO_VOTES, 1, PR_COUNT_MAX, &present, &votes) == 0 && !present)
            votes = 1;
        if (get_count(b, t, r, CO_SEATS, 1, PR_COUNT_MAX, &present, &seats) == 0 && !present)
            seats = 1;
        if (outcome[0] == '\0')
            (void)bad_cell(b, t, r, CO_OUTCOME, "empty (want plurality, majority or party-list)");
        else if (!party_list && strcmp(outcome, "plurality") != 0 &&
                 strcmp(outcome, "majority") != 0)
            (void)bad_cell(b, t, r, CO_OUTCOME,
                           "not an outcome: \"%s\" (want plurality, majority or party-list)",
                           q(outcome, qb, sizeof qb));
        if (party_list && method[0] == '\0')
            (void)bad_cell(b, t, r, CO_METHOD, "empty (party-list needs hare or dhondt)");
        else if (party_list && strcmp(method, "hare") != 0 && strcmp(method, "dhondt") != 0)
            (void)bad_cell(b, t, r, CO_METHOD, "not a method: \"%s\" (want hare or dhondt)",
                           q(method, qb, sizeof qb));
        if (!party_list && method[0] != '\0')
            (void)bad_cell(b, t, r, CO_METHOD, "only for outcome party-list (leave it empty)");
        if (party_list)
            (void)get_count(b, t, r, CO_THRESHOLD, 0, 10000, &present, &thr);
        else if (ct_csv_cell(t, r, CO_THRESHOLD)[0] != '\0')
            (void)bad_cell(b, t, r, CO_THRESHOLD, "only for outcome party-list (leave it empty)");
        put(o, "id", id ? json_string(id) : NULL);
        put(o, "name", name);
        put(o, "area", area ? json_string(area) : NULL);
        put(o, "protocol", proto ? json_string(proto) : NULL);
        put(o, "against_all", json_boolean(aa));
        put(o, "votes_allowed", json_integer((json_int_t)votes));
        put(o, "seats", json_integer((json_int_t)seats));
        put(o, "outcome", json_string(outcome));
        if (party_list) {
            put(o, "method", json_string(method));
            put(o, "threshold_bp", json_integer((json_int_t)thr));
        }
        put(o, "candidates", json_array());
        json_array_append(b->out_contests, o);
        json_array_append_new(b->contest_json, o);
        json_array_append_new(b->cand_ix, json_object());
        json_array_append_new(b->cand_rows, json_array());
    }
}

/* ---- candidates.csv ---------------------------------------------------------- */

static void do_candidates(bld *b)
{
    const ct_csv *t = b->candidates;
    const ct_csv *ct = b->contests;
    size_t r, i;

    for (r = 0; r < t->n_rows; r++) {
        const char *contest = NULL, *id = NULL, *party = NULL;
        json_t *o = json_object(), *name = NULL, *cix = NULL, *cobj, *list;
        size_t c = NONE;
        int withdrawn = 0;

        if (get_id(b, t, r, CA_CONTEST, 0, &contest) == 0) {
            cix = json_object_get(b->contest_ix, contest);
            if (cix == NULL)
                (void)bad_cell(b, t, r, CA_CONTEST, "unknown contest \"%s\" (not in contests.csv)",
                               contest);
            else
                c = (size_t)json_integer_value(cix);
        }
        if (get_id(b, t, r, CA_ID, 0, &id) == 0 && c != NONE) {
            json_t *seen = json_array_get(b->cand_ix, c), *first = json_object_get(seen, id);
            if (first != NULL)
                (void)bad_cell(b, t, r, CA_ID, "duplicate candidate id \"%s\" in contest \"%s\" "
                                               "(first in row %lu)",
                               id, contest, t->row[(size_t)json_integer_value(first)]);
            else
                json_object_set_new(seen, id, json_integer((json_int_t)r));
        }
        (void)get_name(b, t, r, CA_NAME, &name);
        if (get_id(b, t, r, CA_PARTY, 1, &party) == 0 && party != NULL &&
            json_object_get(b->party_ix, party) == NULL)
            (void)bad_cell(b, t, r, CA_PARTY, "unknown party \"%s\" (not in parties.csv)", party);
        (void)get_bool(b, t, r, CA_WITHDRAWN, 0, &withdrawn);
        put(o, "id", id ? json_string(id) : NULL);
        put(o, "name", name);
        put(o, "party", party ? json_string(party) : json_null());
        if (withdrawn)
            put(o, "withdrawn", json_true());
        if (c != NONE) {
            cobj = json_array_get(b->contest_json, c);
            list = json_object_get(cobj, "candidates");
            if (json_array_size(list) == PR_CANDIDATES_MAX)
                (void)bad_cell(b, t, r, CA_CONTEST, "contest \"%s\" has more than %u candidates",
                               contest, PR_CANDIDATES_MAX);
            json_array_append(list, o);
            json_array_append_new(json_array_get(b->cand_rows, c), json_integer((json_int_t)r));
        }
        json_decref(o);
    }
    for (i = 0; i < ct->n_rows; i++) {
        json_t *cobj = json_array_get(b->contest_json, i);
        const char *id = ct_csv_cell(ct, i, CO_ID);
        if (json_array_size(json_object_get(cobj, "candidates")) == 0 && pr_is_id(id, strlen(id)))
            (void)bad_cell(b, ct, i, CO_ID, "contest \"%s\" has no candidate in candidates.csv",
                           id);
    }
}

/* ---- precincts.csv ------------------------------------------------------------ */

/* The contests cell: ids separated by `;` (spaces around them ignored). */
static json_t *precinct_contests(bld *b, const ct_csv *t, size_t r)
{
    const char *v = ct_csv_cell(t, r, PR_COL_CONTESTS), *p = v;
    json_t *list = json_array(), *seen = json_object();
    char id[PR_ID_MAX + 2], qb[100];

    if (v[0] == '\0')
        (void)bad_cell(b, t, r, PR_COL_CONTESTS, "empty (at least one contest id; separate "
                                                 "several with ;)");
    while (v[0] != '\0') {
        const char *end = strchr(p, ';'), *s = p, *e;
        size_t n;

        if (end == NULL)
            end = p + strlen(p);
        e = end;
        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        n = (size_t)(e - s);
        if (n > PR_ID_MAX || !pr_is_id(s, n)) {
            snprintf(id, sizeof id, "%.*s", (int)(n > PR_ID_MAX ? PR_ID_MAX + 1 : n), s);
            (void)bad_cell(b, t, r, PR_COL_CONTESTS, "not a contest id: \"%s\"%s",
                           q(id, qb, sizeof qb), n == 0 ? " (an empty item between ;)" : "");
        } else {
            memcpy(id, s, n);
            id[n] = '\0';
            if (json_object_get(b->contest_ix, id) == NULL)
                (void)bad_cell(b, t, r, PR_COL_CONTESTS, "unknown contest \"%s\" (not in "
                                                         "contests.csv)", id);
            else if (json_object_get(seen, id) != NULL)
                (void)bad_cell(b, t, r, PR_COL_CONTESTS, "contest \"%s\" listed twice", id);
            json_object_set_new(seen, id, json_true());
            json_array_append_new(list, json_string(id));
        }
        if (*end == '\0')
            break;
        p = end + 1;
    }
    json_decref(seen);
    return list;
}

static void do_precincts(bld *b)
{
    const ct_csv *t = b->precincts;
    size_t r;

    if (t->n_rows == 0)
        ct_errlist_add(b->errs, CT_EXIT_FAIL, t->path, "no data row (at least one precinct)");
    for (r = 0; r < t->n_rows; r++) {
        const char *id = NULL, *area = NULL, *reg = ct_csv_cell(t, r, PR_COL_REGISTERED);
        json_t *o = json_object(), *name = NULL, *close = NULL, *contests;
        uint64_t roll = 0;

        if (get_id(b, t, r, PR_COL_ID, 0, &id) == 0)
            (void)claim_id(b, b->precinct_ix, t, r, PR_COL_ID, id, "precinct id");
        (void)get_name(b, t, r, PR_COL_NAME, &name);
        if (get_id(b, t, r, PR_COL_AREA, 0, &area) == 0 &&
            json_object_get(b->area_ix, area) == NULL)
            (void)bad_cell(b, t, r, PR_COL_AREA, "unknown area \"%s\" (not in areas.csv)", area);
        contests = precinct_contests(b, t, r);
        if (reg[0] == '\0')
            (void)bad_cell(b, t, r, PR_COL_REGISTERED, "empty (write the roll's count, or null "
                                                       "when it is unknown)");
        else if (strcmp(reg, "null") != 0)
            (void)get_count(b, t, r, PR_COL_REGISTERED, 0, PR_COUNT_MAX, NULL, &roll);
        if (ct_csv_cell(t, r, PR_COL_CLOSE)[0] != '\0')
            (void)get_time(b, t, r, PR_COL_CLOSE, &close);
        put(o, "id", id ? json_string(id) : NULL);
        put(o, "name", name);
        put(o, "area", area ? json_string(area) : NULL);
        put(o, "contests", contests);
        put(o, "registered",
            strcmp(reg, "null") == 0 ? json_null() : json_integer((json_int_t)roll));
        put(o, "close", close);
        json_array_append_new(b->out_precincts, o);
    }
}

/* ---- tolerances.csv ------------------------------------------------------------ */

static void do_tolerances(bld *b)
{
    const ct_csv *t = b->tolerances;
    json_t *given = json_object();
    size_t r, k;
    char qb[100];

    for (r = 0; t != NULL && r < t->n_rows; r++) {
        const char *key = ct_csv_cell(t, r, TO_KEY);
        uint64_t v = 0;
        int flag = 0;

        for (k = 0; tolerance_keys[k] != NULL && strcmp(tolerance_keys[k], key) != 0; k++)
            ;
        if (tolerance_keys[k] == NULL) {
            (void)bad_cell(b, t, r, TO_KEY, "unknown tolerance \"%s\" (see docs/DEFINITION.md)",
                           q(key, qb, sizeof qb));
        } else if (json_object_get(given, key) != NULL) {
            (void)bad_cell(b, t, r, TO_KEY, "\"%s\" given twice (first in row %lu)", key,
                           t->row[(size_t)json_integer_value(
                               json_object_get(json_object_get(given, key), "row"))]);
        } else if (strcmp(key, "hold_corrections") == 0) {
            if (get_bool(b, t, r, TO_VALUE, -1, &flag) == 0)
                json_object_set_new(given, key, json_pack("{s:b, s:I}", "v", flag, "row",
                                                          (json_int_t)r));
        } else if (get_count(b, t, r, TO_VALUE, 0, PR_COUNT_MAX, NULL, &v) == 0) {
            json_object_set_new(given, key, json_pack("{s:I, s:I}", "v", (json_int_t)v, "row",
                                                      (json_int_t)r));
        }
    }
    for (k = 0; tolerance_keys[k] != NULL; k++) {
        json_t *g = json_object_get(given, tolerance_keys[k]);
        if (g != NULL)
            json_object_set(b->out_tolerances, tolerance_keys[k], json_object_get(g, "v"));
    }
    json_decref(given);
}

/* ---- the whole ------------------------------------------------------------------- */

/* The protocol written at index i (the used ones, in the order read). */
static json_t *written_protocol(bld *b, size_t i)
{
    json_t *id, *info, *found = NULL;
    size_t k, n = 0;

    json_array_foreach(b->proto_order, k, id) {
        info = json_object_get(b->protocols, json_string_value(id));
        if (found == NULL && json_is_true(json_object_get(info, "used")) && n++ == i)
            found = info;
    }
    return found;
}

/* Says where a complaint of the definition check comes from: the JSON path
 * at the start of msg mapped back to its file and row (a protocol: its
 * file and the path inside it). */
static void map_check_error(bld *b, const char *msg)
{
    static const char *const prefix[] = {"$.parties[", "$.areas[", "$.contests[", "$.precincts[",
                                         "$.protocols["};
    const ct_csv *tables[4] = {b->parties, b->areas, b->contests, b->precincts};
    const ct_csv *t = NULL;
    json_t *info = NULL, *rows;
    unsigned long row = 0;
    const char *rest = NULL;
    char *end = NULL;
    size_t s, i = 0, j;

    for (s = 0; rest == NULL && s < sizeof prefix / sizeof prefix[0]; s++)
        if (strncmp(msg, prefix[s], strlen(prefix[s])) == 0) {
            i = (size_t)strtoul(msg + strlen(prefix[s]), &end, 10);
            if (end != NULL && *end == ']')
                rest = end + 1;
            else
                break;
        }
    if (rest != NULL && s - 1 == 4) {
        info = written_protocol(b, i);
    } else if (rest != NULL && tables[s - 1] != NULL && i < tables[s - 1]->n_rows) {
        t = tables[s - 1];
        row = t->row[i];
        rows = json_array_get(b->cand_rows, i);
        if (s - 1 == 2 && strncmp(rest, ".candidates[", 12) == 0) {
            j = (size_t)strtoul(rest + 12, &end, 10);
            if (end != NULL && *end == ']' && j < json_array_size(rows)) {
                t = b->candidates;
                row = t->row[(size_t)json_integer_value(json_array_get(rows, j))];
            }
        }
    }
    if (info != NULL)
        ct_errlist_add(b->errs, CT_EXIT_FAIL, json_string_value(json_object_get(info, "file")),
                       "%s%s", json_string_value(json_object_get(info, "path")), rest);
    else if (t != NULL)
        ct_errlist_add(b->errs, CT_EXIT_FAIL, t->path, "row %lu: %s", row, msg);
    else
        ct_errlist_add(b->errs, CT_EXIT_FAIL, "define", "the result fails the definition check: %s",
                       msg);
}

static json_t *assemble(bld *b)
{
    json_t *root = json_object(), *protocols = json_array(), *id;
    size_t k;

    json_array_foreach(b->proto_order, k, id) {
        json_t *info = json_object_get(b->protocols, json_string_value(id));
        if (json_is_true(json_object_get(info, "used")))
            json_array_append(protocols, json_object_get(info, "json"));
    }
    json_object_set_new(root, "format", json_string("election-definition/1"));
    json_object_set(root, "id", json_object_get(b->out_election, "id"));
    json_object_set(root, "name", json_object_get(b->out_election, "name"));
    json_object_set(root, "date", json_object_get(b->out_election, "date"));
    json_object_set(root, "parties", b->out_parties);
    json_object_set(root, "areas", b->out_areas);
    json_object_set_new(root, "protocols", protocols);
    json_object_set(root, "contests", b->out_contests);
    json_object_set(root, "precincts", b->out_precincts);
    if (json_object_size(b->out_tolerances) > 0)
        json_object_set(root, "tolerances", b->out_tolerances);
    return root;
}

int ct_define_build(const ct_define_in *in, char **out, size_t *len, char *hash_hex,
                    ct_errlist *errs)
{
    bld b;
    json_t *root = NULL;
    char *text = NULL, path[4096];
    cm_definition *def = NULL;
    pr_diag d;
    size_t i, n;
    int rc = -1;

    memset(&b, 0, sizeof b);
    memset(&d, 0, sizeof d);
    *out = NULL;
    *len = 0;
    b.in = in;
    b.errs = errs;
    b.party_ix = json_object();
    b.area_ix = json_object();
    b.contest_ix = json_object();
    b.precinct_ix = json_object();
    b.protocols = json_object();
    b.proto_order = json_array();
    b.contest_json = json_array();
    b.cand_ix = json_array();
    b.cand_rows = json_array();
    b.out_parties = json_array();
    b.out_areas = json_array();
    b.out_contests = json_array();
    b.out_precincts = json_array();
    b.out_tolerances = json_object();
    b.out_election = json_object();
    if (!b.party_ix || !b.area_ix || !b.contest_ix || !b.precinct_ix || !b.protocols ||
        !b.proto_order || !b.contest_json || !b.cand_ix || !b.cand_rows || !b.out_parties ||
        !b.out_areas || !b.out_contests || !b.out_precincts || !b.out_tolerances ||
        !b.out_election) {
        ct_errlist_add(errs, CT_EXIT_IO, "define", "out of memory");
        goto out;
    }
    /* Each file is read and checked in dependency order; a file that
     * cannot be used at all stops here, before its dependants would
     * report every reference to it as unknown. */
    if (read_table(&b, "election.csv", election_cols, 0, &b.election) != 0)
        goto out;
    do_election(&b);
    if (read_table(&b, "parties.csv", party_cols, 1, &b.parties) != 0)
        goto out;
    do_parties(&b);
    if (read_table(&b, "areas.csv", area_cols, 0, &b.areas) != 0)
        goto out;
    do_areas(&b);
    n = in->n_protocols;
    if (n == 0) {
        if (join(in->dir, "protocols.json", path, sizeof path) != 0) {
            ct_errlist_add(errs, CT_EXIT_USAGE, in->dir, "path too long");
            goto out;
        }
        if (read_protocols(&b, path, 1) != 0)
            goto out;
    }
    for (i = 0; i < n; i++)
        if (read_protocols(&b, in->protocols[i], 0) != 0)
            goto out;
    if (read_table(&b, "contests.csv", contest_cols, 0, &b.contests) != 0)
        goto out;
    do_contests(&b);
    if (read_table(&b, "candidates.csv", candidate_cols, 0, &b.candidates) != 0)
        goto out;
    do_candidates(&b);
    if (read_table(&b, "precincts.csv", precinct_cols, 0, &b.precincts) != 0)
        goto out;
    do_precincts(&b);
    if (read_table(&b, "tolerances.csv", tolerance_cols, 1, &b.tolerances) != 0)
        goto out;
    do_tolerances(&b);
    if (errs->total > 0)
        goto out;
    root = assemble(&b);
    text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text == NULL) {
        ct_errlist_add(errs, CT_EXIT_IO, "define", "out of memory");
        goto out;
    }
    n = strlen(text);
    *out = malloc(n + 2);
    if (*out == NULL) {
        ct_errlist_add(errs, CT_EXIT_IO, "define", "out of memory");
        goto out;
    }
    memcpy(*out, text, n);
    (*out)[n] = '\n';
    (*out)[n + 1] = '\0';
    *len = n + 1;
    if (cm_definition_load((const uint8_t *)*out, *len, &def, &d) != 0) {
        map_check_error(&b, d.msg);
        free(*out);
        *out = NULL;
        *len = 0;
        goto out;
    }
    memcpy(hash_hex, def->hash_hex, PR_HASH_HEX + 1);
    rc = 0;
out:
    cm_definition_free(def);
    free(text);
    json_decref(root);
    ct_csv_free(b.election);
    ct_csv_free(b.parties);
    ct_csv_free(b.areas);
    ct_csv_free(b.contests);
    ct_csv_free(b.candidates);
    ct_csv_free(b.precincts);
    ct_csv_free(b.tolerances);
    json_decref(b.party_ix);
    json_decref(b.area_ix);
    json_decref(b.contest_ix);
    json_decref(b.precinct_ix);
    json_decref(b.protocols);
    json_decref(b.proto_order);
    json_decref(b.contest_json);
    json_decref(b.cand_ix);
    json_decref(b.cand_rows);
    json_decref(b.out_parties);
    json_decref(b.out_areas);
    json_decref(b.out_contests);
    json_decref(b.out_precincts);
    json_decref(b.out_tolerances);
    json_decref(b.out_election);
    return rc;
}

/* ---- the command ----------------------------------------------------------------- */

/* Writes data to a temporary file beside path, then links it to path
 * (which must not exist: link never replaces) and fsyncs the folder.
 * 0, or -1 with e set (CT_EXIT_IO). */
static int write_beside(const char *path, const char *data, size_t len, ct_err *e)
{
    char tmp[4200], dir[4096];
    const char *slash = strrchr(path, '/');
    int fd, rc = -1;

    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    if (cm_write_new(tmp, data, len, 0644) != 0) {
        ct_err_set(e, CT_EXIT_IO, tmp, "%s", strerror(errno));
        goto out;
    }
    if (link(tmp, path) != 0) {
        ct_err_set(e, CT_EXIT_IO, path, "%s", errno == EEXIST ? "already exists (refusing to "
                                                                "overwrite a definition)"
                                                              : strerror(errno));
        (void)unlink(tmp);
        goto out;
    }
    (void)unlink(tmp);
    snprintf(dir, sizeof dir, "%.*s", slash == NULL ? 1 : slash == path ? 1 : (int)(slash - path),
             slash == NULL ? "." : path);
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
    rc = 0;
out:
    return rc;
}

int ct_cmd_define(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {
        {"from-csv", 1}, {"protocols", 1}, {"out", 1}, {"help", 0}, {NULL, 0}};
    const char *dir = NULL, *outpath = NULL, *v;
    const char **protos = NULL;
    char *bytes = NULL, hash[PR_HASH_HEX + 1];
    size_t n_protos = 0, len = 0, i;
    ct_define_in in;
    ct_errlist *errs = NULL;
    struct stat sb;
    ct_args a;
    ct_err e;
    int opt, k, code = CT_EXIT_IO;

    memset(&e, 0, sizeof e);
    protos = calloc((size_t)argc + 1, sizeof *protos);
    errs = calloc(1, sizeof *errs);
    if (protos == NULL || errs == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "define", "out of memory");
        ct_err_print(&e, err);
        goto out;
    }
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, define_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, define_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0) {
            dir = v;
        } else if (opt == 1) {
            protos[n_protos++] = v;
        } else if (opt == 2) {
            outpath = v;
        } else {
            fputs(define_usage, out);
            fputs(define_help, out);
            code = CT_EXIT_OK;
            goto out;
        }
    }
    if (dir == NULL || dir[0] == '\0' || outpath == NULL || outpath[0] == '\0') {
        code = ct_usage_error(err, define_usage, "define",
                              "--from-csv DIR and --out DEF are required");
        goto out;
    }
    if (strlen(outpath) > 4000) {
        code = ct_usage_error(err, define_usage, outpath, "too long");
        goto out;
    }
    /* Refuse early so nobody fixes a spreadsheet for nothing; link()
     * below refuses again if DEF appears meanwhile. */
    if (lstat(outpath, &sb) == 0) {
        ct_err_set(&e, CT_EXIT_IO, outpath, "already exists (refusing to overwrite a definition)");
        ct_err_print(&e, err);
        goto out;
    }
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "define", "libsodium failed to initialise");
        ct_err_print(&e, err);
        goto out;
    }
    in.dir = dir;
    in.protocols = protos;
    in.n_protocols = n_protos;
    if (ct_define_build(&in, &bytes, &len, hash, errs) != 0) {
        for (i = 0; i < errs->n; i++)
            ct_err_print(&errs->e[i], err);
        if (errs->total > errs->n)
            fprintf(err, "central: define: %zu more errors not shown\n", errs->total - errs->n);
        ct_err_set(&e, CT_EXIT_FAIL, outpath, "not written (%zu error%s)", errs->total,
                   errs->total == 1 ? "" : "s");
        ct_err_print(&e, err);
        code = errs->code != 0 ? errs->code : CT_EXIT_FAIL;
        goto out;
    }
    if (write_beside(outpath, bytes, len, &e) != 0) {
        ct_err_print(&e, err);
        goto out;
    }
    fprintf(out, "%s\n", hash);
    code = CT_EXIT_OK;
out:
    free(bytes);
    free(errs);
    free(protos);
    return code;
}
