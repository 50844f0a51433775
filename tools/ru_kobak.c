/*
 * ru_kobak.c: turns one Russian federal election of the Kobak-Shpilkin data
 * set (../shared/data/ru-kobak-elections/<year>.csv, on stdin) into what a
 * real commission would hold: an election definition with the 12-line
 * protocol preset, deterministic station keys, their enrolment requests and
 * one signed return per precinct. Test tooling (tests/cli/ru_real_data.sh).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/definition.h"
#include "common/fileio.h"
#include "common/rules.h"
#include "proto/codec.h"
#include "proto/keys.h"
#include "proto/return.h"

#define NONE ((size_t)-1)
#define CSV_MAX (512u * 1024u * 1024u)
#define PRESET_MAX (1024u * 1024u)
#define COLS_MAX 64u

static const char usage[] =
    "usage: ru_kobak --election 2004|2011|2012|2018|2024 --preset PROTOCOL.json --out DIR\n"
    "                [--every K] [--limit N] < YEAR.csv\n"
    "Writes DIR/definition.json (+ .sig), DIR/commission.pub, DIR/requests/<precinct>.req,\n"
    "DIR/returns.stream (every return, back to back, for `central import -`),\n"
    "DIR/refused.txt (precincts without a return, and why) and DIR/summary.txt.\n"
    "--every K keeps data rows 1, K + 1, 2K + 1, ... (a sample across every region);\n"
    "--limit N then keeps the first N of those.\n";

/* ---- the elections --------------------------------------------------- */

/* What the data does not say about an election: its id, name, date, the
 * contest's id and outcome rule. Closes of polls are taken as 18:00 UTC on
 * election day, no earlier than 20:00 local time anywhere in Russia in any
 * of these years, so no return is signed before its precinct closed. */
typedef struct election {
    const char *year, *id, *name, *date, *contest, *contest_name;
    int party_list;             /* else majority (presidential) */
} election;

static const election ELECTIONS[] = {
    {"2004", "ru-2004-president", "Russian presidential election, 14 March 2004", "2004-03-14",
     "president", "President of the Russian Federation", 0},
    {"2011", "ru-2011-duma", "Russian State Duma election, 4 December 2011", "2011-12-04", "duma",
     "State Duma, federal party lists", 1},
    {"2012", "ru-2012-president", "Russian presidential election, 4 March 2012", "2012-03-04",
     "president", "President of the Russian Federation", 0},
    {"2018", "ru-2018-president", "Russian presidential election, 18 March 2018", "2018-03-18",
     "president", "President of the Russian Federation", 0},
    {"2024", "ru-2024-president", "Russian presidential election, 15-17 March 2024", "2024-03-17",
     "president", "President of the Russian Federation", 0},
};

/* The State Duma in 2011: 450 seats among the federal lists, largest
 * remainder (Hare quota), 7 % of the ballots cast (Federal Law 51-FZ). */
#define DUMA_SEATS 450
#define DUMA_THRESHOLD_BP 700

/* ---- the columns ----------------------------------------------------- */

/* Which CSV column feeds which protocol line: each is found by words its
 * Russian header contains (the wording varies by year), and must be found
 * exactly once. */
typedef struct colspec {
    const char *line;           /* protocol line id */
    const char *all[3];         /* every one must occur */
    const char *none[3];        /* none may occur */
} colspec;

static const colspec COLUMNS[] = {
    {"registered", {"Число избирателей", NULL, NULL}, {"проголосовавших", NULL, NULL}},
    {"received", {"бюллетен", "получен", NULL}, {"открепительн", "не учтенных", NULL}},
    {"issued-early", {"бюллетен", "досрочно", NULL}, {"открепительн", NULL, NULL}},
    {"issued-station",
     {"бюллетен", "выданных", NULL},
     {"досрочно", "вне помещения", "открепительн"}},
    {"issued-outside", {"бюллетен", "вне помещения", NULL}, {"открепительн", NULL, NULL}},
    {"cancelled", {"погашенных", "бюллетен", NULL}, {"открепительн", NULL, NULL}},
    {"cast-portable", {"переносных", NULL, NULL}, {NULL, NULL, NULL}},
    {"cast-stationary", {"стационарных", NULL, NULL}, {NULL, NULL, NULL}},
    {"invalid", {"недействительных", NULL, NULL}, {NULL, NULL, NULL}},
    {"valid", {"действительных", NULL, NULL}, {"недействительных", NULL, NULL}},
    {"lost", {"утраченных", "бюллетен", NULL}, {"открепительн", NULL, NULL}},
    {"unaccounted", {"не учтенных", NULL, NULL}, {NULL, NULL, NULL}},
    {"against-all", {"Против всех", NULL, NULL}, {NULL, NULL, NULL}},
};
#define N_COLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])
#define COL_AGAINST_ALL (N_COLUMNS - 1)

/* ---- state ----------------------------------------------------------- */

/* One parsed CSV record: fields point into the (modified) input buffer. */
typedef struct record {
    size_t n;
    char *f[COLS_MAX];
} record;

typedef struct candidate {
    char id[PR_ID_MAX + 1];
    char party[PR_ID_MAX + 1];  /* "" for none */
    const char *name;           /* the column header, as written */
    size_t col;
} candidate;

typedef struct run {
    const election *el;
    const char *preset_path, *out;
    size_t limit, every;
    uint8_t *csv;
    size_t csv_len;
    record header;
    record *rows;
    size_t n_rows;
    size_t col[N_COLUMNS];      /* column per COLUMNS entry, NONE if absent */
    candidate cand[PR_CANDIDATES_MAX];
    size_t n_cand;
    /* per row: region and territorial commission numbers (1-based) */
    size_t *region, *tik;
    size_t n_regions, n_tiks;
    char **pid;                 /* per row: precinct id */
    int64_t close;
} run;

static void err_msg(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints `ru_kobak: what: why` to stderr; the caller fails. */
static void err_msg(const char *what, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "ru_kobak: %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- CSV (RFC 4180, as the data set writes it) ----------------------- */

/* Splits one record starting at *pos in place (unquoting, NUL-terminating
 * fields). 1 with rec filled, 0 at the end of input, -1 on a syntax error. */
static int csv_record(uint8_t *b, size_t len, size_t *pos, record *rec)
{
    size_t i = *pos, w;
    int rc = -1;

    rec->n = 0;
    if (i >= len) {
        rc = 0;
        goto out;
    }
    for (;;) {
        char *start = (char *)b + i;

        if (rec->n == COLS_MAX)
            goto out;
        rec->f[rec->n++] = start;
        w = i;
        if (i < len && b[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    goto out;           /* unterminated quote */
                if (b[i] == '"') {
                    if (i + 1 < len && b[i + 1] == '"') {
                        b[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                b[w++] = b[i++];
            }
        } else {
            while (i < len && b[i] != ',' && b[i] != '\n' && b[i] != '\r' && b[i] != '"')
                b[w++] = b[i++];
            if (i < len && b[i] == '"')
                goto out;               /* a quote inside an unquoted field */
        }
        if (i < len && b[i] == ',') {
            b[w] = '\0';
            i++;
            continue;
        }
        if (i < len && b[i] == '\r')
            i++;
        if (i < len && b[i] != '\n')
            goto out;
        b[w] = '\0';
        if (i < len)
            i++;
        break;
    }
    *pos = i;
    rc = 1;
out:
    return rc;
}

/* Trims spaces at both ends in place: a few names in the data end with a
 * space, which a definition name may not (docs/DEFINITION.md). */
static char *trim(char *s)
{
    size_t n;

    while (*s == ' ')
        s++;
    n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

/* ---- ids ------------------------------------------------------------- */

/* Latin spelling of a Cyrillic letter (Russian passport style, lowercase),
 * or NULL when cp is not one. */
static const char *translit(long cp)
{
    static const char *const lower[32] = {"a", "b", "v", "g", "d", "e", "zh", "z",
                                          "i", "y", "k", "l", "m", "n", "o", "p",
                                          "r", "s", "t", "u", "f", "kh", "ts", "ch",
                                          "sh", "shch", "", "y", "", "e", "yu", "ya"};

    const char *t = NULL;

    if (cp >= 0x410 && cp <= 0x42f)
        t = lower[cp - 0x410];
    else if (cp >= 0x430 && cp <= 0x44f)
        t = lower[cp - 0x430];
    else if (cp == 0x401 || cp == 0x451)
        t = "e";
    return t;
}

/* An id from the first word of s (a surname): transliterated, lowercase,
 * anything else dropped. "" when nothing is left. */
static void surname_id(const char *s, char out[PR_ID_MAX + 1])
{
    size_t i = 0, n = strlen(s), o = 0;

    while (i < n && o < PR_ID_MAX) {
        size_t at = i;
        long cp = pr_utf8_next(s, n, &i);
        const char *t;

        if (cp < 0 || i == at)
            break;
        if (cp == ' ')
            break;
        t = translit(cp);
        if (t != NULL) {
            size_t k = strlen(t);
            if (o + k > PR_ID_MAX)
                break;
            memcpy(out + o, t, k);
            o += k;
        } else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
            out[o++] = (char)cp;
        } else if (cp >= 'A' && cp <= 'Z') {
            out[o++] = (char)(cp - 'A' + 'a');
        }
    }
    out[o] = '\0';
}

/* ---- reading and mapping --------------------------------------------- */

static int contains_all(const char *h, const char *const *all, const char *const *none)
{
    size_t k;
    int yes = 1;

    for (k = 0; k < 3 && all[k] != NULL; k++)
        if (strstr(h, all[k]) == NULL)
            yes = 0;
    for (k = 0; k < 3 && none[k] != NULL; k++)
        if (strstr(h, none[k]) != NULL)
            yes = 0;
    return yes;
}

/* Finds the protocol columns and the candidates (every column after
 * `unaccounted` but url and against-all). */
static int map_columns(run *R)
{
    const record *h = &R->header;
    size_t c, k, first_cand;
    int rc = -1;

    if (h->n < 4 || strcmp(h->f[0], "region") != 0 || strcmp(h->f[1], "tik") != 0 ||
        strcmp(h->f[2], "uik") != 0) {
        err_msg("header", "expected region,tik,uik first");
        goto out;
    }
    for (k = 0; k < N_COLUMNS; k++) {
        R->col[k] = NONE;
        for (c = 3; c < h->n; c++) {
            if (!contains_all(h->f[c], COLUMNS[k].all, COLUMNS[k].none))
                continue;
            if (R->col[k] != NONE) {
                err_msg("header", "columns %zu and %zu both look like `%s`", R->col[k] + 1, c + 1,
                        COLUMNS[k].line);
                goto out;
            }
            R->col[k] = c;
        }
        if (R->col[k] == NONE && k != COL_AGAINST_ALL) {
            err_msg("header", "no column for `%s`", COLUMNS[k].line);
            goto out;
        }
    }
    first_cand = 0;
    for (k = 0; k < N_COLUMNS; k++)
        if (k != COL_AGAINST_ALL && R->col[k] + 1 > first_cand)
            first_cand = R->col[k] + 1;
    for (c = first_cand; c < h->n; c++) {
        candidate *cd;
        const char *name = h->f[c];
        char *dot = NULL;
        unsigned long num;

        if (strcmp(name, "url") == 0 || c == R->col[COL_AGAINST_ALL])
            continue;
        if (R->n_cand == PR_CANDIDATES_MAX) {
            err_msg("header", "too many candidates");
            goto out;
        }
        cd = &R->cand[R->n_cand];
        cd->col = c;
        cd->name = name;
        errno = 0;
        num = strtoul(name, &dot, 10);
        if (R->el->party_list) {
            /* "6. Всероссийская политическая партия ..." : list number 6 */
            if (dot == name || *dot != '.' || errno != 0 || num == 0 || num > 999) {
                err_msg("header", "party list column %zu has no number: %s", c + 1, name);
                goto out;
            }
            snprintf(cd->id, sizeof cd->id, "list-%lu", num);
            snprintf(cd->party, sizeof cd->party, "party-%lu", num);
        } else {
            surname_id(name, cd->id);
            if (cd->id[0] == '\0' || !pr_is_id(cd->id, strlen(cd->id)))
                snprintf(cd->id, sizeof cd->id, "candidate-%zu", R->n_cand + 1);
        }
        for (k = 0; k < R->n_cand; k++)
            if (strcmp(R->cand[k].id, cd->id) == 0) {
                err_msg("header", "two candidates would both be `%s`", cd->id);
                goto out;
            }
        R->n_cand++;
    }
    if (R->n_cand == 0) {
        err_msg("header", "no candidate columns");
        goto out;
    }
    rc = 0;
out:
    return rc;
}

static int read_csv(run *R)
{
    pr_diag d;
    size_t pos = 0, cap = 0, seen = 0;
    int k, rc = -1;

    memset(&d, 0, sizeof d);
    if (cm_read_fd(0, CSV_MAX, &R->csv, &R->csv_len, &d) != 0) {
        err_msg("stdin", "%s", d.msg[0] ? d.msg : "cannot read");
        goto out;
    }
    if (csv_record(R->csv, R->csv_len, &pos, &R->header) != 1) {
        err_msg("stdin", "no header line");
        goto out;
    }
    for (k = 0; (size_t)k < R->header.n; k++)
        R->header.f[k] = trim(R->header.f[k]);
    for (;;) {
        record rec;

        if (R->limit > 0 && R->n_rows == R->limit)
            break;
        k = csv_record(R->csv, R->csv_len, &pos, &rec);
        if (k == 0)
            break;
        if (k < 0 || rec.n != R->header.n) {
            err_msg("stdin", "data row %zu: %s", seen + 1,
                    k < 0 ? "CSV syntax error" : "not as many fields as the header");
            goto out;
        }
        if (R->every > 1 && seen++ % R->every != 0)
            continue;
        if (R->n_rows == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            record *nr = realloc(R->rows, ncap * sizeof *nr);
            if (nr == NULL) {
                err_msg("stdin", "out of memory");
                goto out;
            }
            R->rows = nr;
            cap = ncap;
        }
        /* names only: a count with a space around it stays wrong */
        rec.f[0] = trim(rec.f[0]);
        rec.f[1] = trim(rec.f[1]);
        rec.f[2] = trim(rec.f[2]);
        R->rows[R->n_rows++] = rec;
    }
    if (R->n_rows == 0) {
        err_msg("stdin", "no data rows");
        goto out;
    }
    rc = map_columns(R);
out:
    return rc;
}

/* Numbers regions and territorial commissions in order of appearance and
 * names every precinct `rRR-tTTT-uNNNN` (the data's (region, tik, uik) is
 * unique; the precinct number is the digits of `uik`). */
static int number_areas(run *R)
{
    size_t i, j, t_in_region = 0;
    int rc = -1;

    R->region = calloc(R->n_rows, sizeof *R->region);
    R->tik = calloc(R->n_rows, sizeof *R->tik);
    R->pid = calloc(R->n_rows, sizeof *R->pid);
    if (R->region == NULL || R->tik == NULL || R->pid == NULL) {
        err_msg("areas", "out of memory");
        goto out;
    }
    for (i = 0; i < R->n_rows; i++) {
        const record *r = &R->rows[i];
        const char *u = r->f[2];
        char id[PR_ID_MAX + 1], digits[16];
        size_t nd = 0;

        /* the data groups rows by region and commission: a name seen
         * before continues its group, a new one starts the next number */
        if (i > 0 && strcmp(r->f[0], R->rows[i - 1].f[0]) == 0) {
            R->region[i] = R->region[i - 1];
            if (strcmp(r->f[1], R->rows[i - 1].f[1]) == 0) {
                R->tik[i] = R->tik[i - 1];
            } else {
                R->tik[i] = ++t_in_region;
                R->n_tiks++;
            }
        } else {
            R->region[i] = ++R->n_regions;
            t_in_region = 1;
            R->tik[i] = 1;
            R->n_tiks++;
        }
        for (j = 0; u[j] != '\0'; j++)
            if (u[j] >= '0' && u[j] <= '9' && nd + 1 < sizeof digits)
                digits[nd++] = u[j];
        digits[nd] = '\0';
        if (nd == 0) {
            err_msg("areas", "data row %zu: precinct number \"%s\" has no digits", i + 1, u);
            goto out;
        }
        snprintf(id, sizeof id, "r%02zu-t%03zu-u%s", R->region[i], R->tik[i], digits);
        R->pid[i] = strdup(id);
        if (R->pid[i] == NULL) {
            err_msg("areas", "out of memory");
            goto out;
        }
    }
    /* a region or commission that reappears after another one would get
     * a second number: refuse rather than split it */
    for (i = 1; i < R->n_rows; i++)
        if (R->region[i] != R->region[i - 1])
            for (j = 0; j < i; j++)
                if (R->region[j] != R->region[i] && strcmp(R->rows[j].f[0], R->rows[i].f[0]) == 0) {
                    err_msg("areas", "region \"%s\" is not contiguous in the file",
                            R->rows[i].f[0]);
                    goto out;
                }
    rc = 0;
out:
    return rc;
}

/* ---- the definition ---------------------------------------------------- */

/* Writes `"key": [` then each element dumped compactly on its own line. */
static int write_array(FILE *f, const char *key, json_t *arr, int last)
{
    size_t i;
    json_t *v;
    int rc = -1;

    fprintf(f, "  \"%s\": [", key);
    json_array_foreach(arr, i, v) {
        char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        if (s == NULL)
            goto out;
        fprintf(f, "%s\n    %s", i == 0 ? "" : ",", s);
        free(s);
    }
    fprintf(f, "%s]%s\n", json_array_size(arr) ? "\n  " : "", last ? "" : ",");
    rc = 0;
out:
    return rc;
}

static json_t *obj(void)
{
    return json_object();
}

static int parse_field(const char *s, uint64_t *v)
{
    return pr_parse_count(s, strlen(s), v);
}

static int write_definition(run *R, const char *path)
{
    const election *el = R->el;
    json_t *parties = json_array(), *areas = json_array(), *protocols = json_array();
    json_t *contests = json_array(), *precincts = json_array(), *preset = NULL, *c, *cands, *o;
    json_error_t je;
    char close[PR_TIME_LEN + 1], id[PR_ID_MAX + 1];
    FILE *f = NULL;
    size_t i;
    int rc = -1;

    preset = json_load_file(R->preset_path, JSON_REJECT_DUPLICATES, &je);
    if (preset == NULL || !json_is_string(json_object_get(preset, "id"))) {
        err_msg(R->preset_path, "%s", preset == NULL ? je.text : "not a protocol object");
        goto out;
    }
    if (pr_format_time(R->close, close) != 0)
        goto out;
    for (i = 0; i < R->n_cand && el->party_list; i++) {
        const char *name = strchr(R->cand[i].name, '.');
        name = name != NULL ? name + 1 : R->cand[i].name;
        while (*name == ' ')
            name++;
        o = obj();
        json_object_set_new(o, "id", json_string(R->cand[i].party));
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "abbreviation", json_string(R->cand[i].id + strlen("list-")));
        json_object_set_new(o, "colour", json_null());
        json_array_append_new(parties, o);
    }
    o = obj();
    json_object_set_new(o, "id", json_string("ru"));
    json_object_set_new(o, "name", json_string("Российская Федерация"));
    json_object_set_new(o, "parent", json_null());
    json_object_set_new(o, "close", json_string(close));
    json_array_append_new(areas, o);
    for (i = 0; i < R->n_rows; i++) {
        char rid[16];

        snprintf(rid, sizeof rid, "r%02zu", R->region[i]);
        if (i == 0 || R->region[i] != R->region[i - 1]) {
            o = obj();
            json_object_set_new(o, "id", json_string(rid));
            json_object_set_new(o, "name", json_string(R->rows[i].f[0]));
            json_object_set_new(o, "parent", json_string("ru"));
            json_object_set_new(o, "close", json_null());
            json_array_append_new(areas, o);
        }
        if (i == 0 || R->region[i] != R->region[i - 1] || R->tik[i] != R->tik[i - 1]) {
            snprintf(id, sizeof id, "%s-t%03zu", rid, R->tik[i]);
            o = obj();
            json_object_set_new(o, "id", json_string(id));
            json_object_set_new(o, "name", json_string(R->rows[i].f[1]));
            json_object_set_new(o, "parent", json_string(rid));
            json_object_set_new(o, "close", json_null());
            json_array_append_new(areas, o);
        }
    }
    json_array_append(protocols, preset);
    c = obj();
    json_object_set_new(c, "id", json_string(el->contest));
    json_object_set_new(c, "name", json_string(el->contest_name));
    json_object_set_new(c, "area", json_string("ru"));
    json_object_set(c, "protocol", json_object_get(preset, "id"));
    json_object_set_new(c, "against_all", json_boolean(R->col[COL_AGAINST_ALL] != NONE));
    if (el->party_list) {
        json_object_set_new(c, "seats", json_integer(DUMA_SEATS));
        json_object_set_new(c, "outcome", json_string("party-list"));
        json_object_set_new(c, "method", json_string("hare"));
        json_object_set_new(c, "threshold_bp", json_integer(DUMA_THRESHOLD_BP));
    } else {
        json_object_set_new(c, "outcome", json_string("majority"));
    }
    cands = json_array();
    for (i = 0; i < R->n_cand; i++) {
        o = obj();
        json_object_set_new(o, "id", json_string(R->cand[i].id));
        json_object_set_new(o, "name", json_string(R->cand[i].name));
        json_object_set_new(o, "party",
                            el->party_list ? json_string(R->cand[i].party) : json_null());
        json_array_append_new(cands, o);
    }
    json_object_set_new(c, "candidates", cands);
    json_array_append_new(contests, c);
    for (i = 0; i < R->n_rows; i++) {
        uint64_t reg;
        const char *digits = strrchr(R->pid[i], 'u') + 1;
        char name[64];

        snprintf(id, sizeof id, "r%02zu-t%03zu", R->region[i], R->tik[i]);
        snprintf(name, sizeof name, "УИК №%s", digits);
        o = obj();
        json_object_set_new(o, "id", json_string(R->pid[i]));
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "area", json_string(id));
        c = json_array();
        json_array_append_new(c, json_string(el->contest));
        json_object_set_new(o, "contests", c);
        /* the roll is the protocol's own line 1; empty means unknown */
        if (parse_field(R->rows[i].f[R->col[0]], &reg) == 0)
            json_object_set_new(o, "registered", json_integer((json_int_t)reg));
        else
            json_object_set_new(o, "registered", json_null());
        json_array_append_new(precincts, o);
    }
    f = fopen(path, "wx");
    if (f == NULL) {
        err_msg(path, "%s", strerror(errno));
        goto out;
    }
    fprintf(f, "{\n  \"format\": \"election-definition/1\",\n  \"id\": \"%s\",\n", el->id);
    {
        json_t *t = json_string(el->name);
        char *s = json_dumps(t, JSON_ENCODE_ANY);

        fprintf(f, "  \"name\": %s,\n  \"date\": \"%s\",\n", s ? s : "\"\"", el->date);
        free(s);
        json_decref(t);
    }
    if (write_array(f, "parties", parties, 0) != 0 || write_array(f, "areas", areas, 0) != 0 ||
        write_array(f, "protocols", protocols, 0) != 0 ||
        write_array(f, "contests", contests, 0) != 0 ||
        write_array(f, "precincts", precincts, 1) != 0) {
        err_msg(path, "out of memory");
        goto out;
    }
    fputs("}\n", f);
    if (ferror(f) || fclose(f) != 0) {
        f = NULL;
        err_msg(path, "write error");
        goto out;
    }
    f = NULL;
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    json_decref(preset);
    json_decref(parties);
    json_decref(areas);
    json_decref(protocols);
    json_decref(contests);
    json_decref(precincts);
    return rc;
}

/* ---- keys, requests, returns ------------------------------------------ */

/* A deterministic Ed25519 key: seed = BLAKE2b-256("ru-kobak" 0 election 0
 * who). For tests only: anyone can recompute these secrets. */
static void seed_key(const char *election_id, const char *who, uint8_t pk[PR_PK_BYTES],
                     uint8_t sk[PR_SK_BYTES])
{
    crypto_generichash_state st;
    uint8_t seed[crypto_sign_SEEDBYTES];

    crypto_generichash_init(&st, NULL, 0, sizeof seed);
    crypto_generichash_update(&st, (const uint8_t *)"ru-kobak", 9);
    crypto_generichash_update(&st, (const uint8_t *)election_id, strlen(election_id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)who, strlen(who));
    crypto_generichash_final(&st, seed, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wx");
    int rc = -1;

    if (f == NULL) {
        err_msg(path, "%s", strerror(errno));
        goto out;
    }
    if (fwrite(p, 1, n, f) != n) {
        err_msg(path, "write error");
        fclose(f);
        goto out;
    }
    if (fclose(f) != 0) {
        err_msg(path, "write error");
        goto out;
    }
    rc = 0;
out:
    return rc;
}

/* Counts per reason code (what the station's own check would say). */
typedef struct tally_codes {
    size_t n;
    char code[64][PR_ID_MAX + 1];
    size_t count[64];
} tally_codes;

static void count_code(tally_codes *t, const char *code)
{
    size_t k;

    for (k = 0; k < t->n; k++)
        if (strcmp(t->code[k], code) == 0)
            break;
    if (k == t->n && t->n < 64)
        snprintf(t->code[t->n++], sizeof t->code[0], "%s", code);
    if (k < t->n)
        t->count[k]++;
}

/* Fills the return of row i: every typed line from its column, derived
 * lines computed, votes per candidate. 0; or 1 when a field is empty or not
 * a count (why says which): the row gets no return, nothing is guessed. */
static int row_return(const run *R, const cm_definition *def, size_t i, pr_return *r, char *why,
                      size_t whylen)
{
    const cm_contest *ct = &def->contests[0];
    const cm_protocol *p = &def->protocols[ct->protocol];
    const record *row = &R->rows[i];
    uint64_t counts[PR_LINES_MAX], v;
    size_t k, m;
    int rc = 1;

    memset(counts, 0, sizeof counts);
    for (k = 0; k < p->n_lines; k++) {
        const char *field;

        if (p->lines[k].n_parts > 0)
            continue;
        for (m = 0; m < N_COLUMNS; m++)
            if (strcmp(COLUMNS[m].line, p->lines[k].id) == 0)
                break;
        if (m == N_COLUMNS || R->col[m] == NONE) {
            snprintf(why, whylen, "no column for line %s", p->lines[k].id);
            goto out;
        }
        field = row->f[R->col[m]];
        if (parse_field(field, &counts[k]) != 0) {
            snprintf(why, whylen, "%s field \"%.40s\" for line %s", field[0] ? "bad" : "empty",
                     field, p->lines[k].id);
            goto out;
        }
    }
    if (cm_compute_derived(p, counts) != 0) {
        snprintf(why, whylen, "derived line overflows");
        goto out;
    }
    r->n_counts = p->n_lines;
    for (k = 0; k < p->n_lines; k++) {
        snprintf(r->counts[k].id, sizeof r->counts[k].id, "%s", p->lines[k].id);
        r->counts[k].value = counts[k];
    }
    r->n_votes = ct->n_candidates;
    for (k = 0; k < ct->n_candidates; k++) {
        const char *field = row->f[R->cand[k].col];

        if (parse_field(field, &v) != 0) {
            snprintf(why, whylen, "%s field \"%.40s\" for candidate %s", field[0] ? "bad" : "empty",
                     field, ct->candidates[k].id);
            goto out;
        }
        snprintf(r->votes[k].id, sizeof r->votes[k].id, "%s", ct->candidates[k].id);
        r->votes[k].value = v;
    }
    rc = 0;
out:
    return rc;
}

static int write_keys_and_returns(run *R, const cm_definition *def)
{
    char path[4096], why[160];
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES];
    pr_return *r = calloc(1, sizeof *r);
    pr_enrolment *en = calloc(1, sizeof *en);
    FILE *stream = NULL, *refused = NULL, *summary = NULL;
    tally_codes rejects, flags, holds;
    size_t i, k, n_returns = 0, n_refused = 0;
    uint64_t reg_sum = 0;
    pr_diag d;
    pr_buf b;
    int rc = -1;

    memset(&rejects, 0, sizeof rejects);
    memset(&flags, 0, sizeof flags);
    memset(&holds, 0, sizeof holds);
    pr_buf_init(&b, PR_FILE_MAX);
    snprintf(path, sizeof path, "%s/requests", R->out);
    if (r == NULL || en == NULL || mkdir(path, 0755) != 0) {
        err_msg(path, "%s", r == NULL || en == NULL ? "out of memory" : strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/returns.stream", R->out);
    stream = fopen(path, "wx");
    snprintf(path, sizeof path, "%s/refused.txt", R->out);
    refused = fopen(path, "wx");
    snprintf(path, sizeof path, "%s/summary.txt", R->out);
    summary = fopen(path, "wx");
    if (stream == NULL || refused == NULL || summary == NULL) {
        err_msg(R->out, "cannot create the output files: %s", strerror(errno));
        goto out;
    }
    for (i = 0; i < R->n_rows; i++) {
        cm_findings f, h, fl;
        cm_check_ctx ctx = {"live", NULL, 0, NULL};

        seed_key(def->id, R->pid[i], pk, sk);
        memset(en, 0, sizeof *en);
        snprintf(en->election, sizeof en->election, "%s", def->id);
        memcpy(en->definition, def->hash, PR_HASH_BYTES);
        en->n_precincts = 1;
        snprintf(en->precincts[0], sizeof en->precincts[0], "%s", R->pid[i]);
        en->created = R->close - 7 * 86400;
        pr_buf_free(&b); /* each sign starts a fresh buffer (return.h) */
        if (pr_enrolment_sign(en, sk, &b, &d) != 0) {
            err_msg(R->pid[i], "enrolment: %s", d.msg);
            goto out;
        }
        snprintf(path, sizeof path, "%s/requests/%s.req", R->out, R->pid[i]);
        if (write_file(path, b.data, b.len) != 0)
            goto out;
        memset(r, 0, sizeof *r);
        if (row_return(R, def, i, r, why, sizeof why) != 0) {
            fprintf(refused, "%s %s\n", R->pid[i], why);
            n_refused++;
            continue;
        }
        snprintf(r->election, sizeof r->election, "%s", def->id);
        memcpy(r->definition, def->hash, PR_HASH_BYTES);
        r->mode = PR_MODE_LIVE;
        snprintf(r->contest, sizeof r->contest, "%s", def->contests[0].id);
        snprintf(r->precinct, sizeof r->precinct, "%s", R->pid[i]);
        r->revision = 1;
        r->signed_at = R->close + 12 * 3600;
        /* what the station's own check says (it would refuse groups 4-7) */
        if (cm_check_return(def, r, &ctx, &f) != 0) {
            for (k = 0; k < f.n; k++)
                count_code(&rejects, f.codes[k]);
        } else {
            cm_review_return(def, r, &h, &fl);
            for (k = 0; k < h.n; k++)
                count_code(&holds, h.codes[k]);
            for (k = 0; k < fl.n; k++)
                count_code(&flags, fl.codes[k]);
        }
        pr_buf_free(&b);
        if (pr_return_sign(r, sk, &b, &d) != 0) {
            err_msg(R->pid[i], "return: %s", d.msg);
            goto out;
        }
        if (fwrite(b.data, 1, b.len, stream) != b.len) {
            err_msg("returns.stream", "write error");
            goto out;
        }
        reg_sum += r->counts[def->protocols[def->contests[0].protocol].registered].value;
        n_returns++;
    }
    fprintf(summary, "election %s\nrows %zu\nregions %zu\nterritorial-commissions %zu\n", def->id,
            R->n_rows, R->n_regions, R->n_tiks);
    fprintf(summary, "returns %zu\nrefused %zu\nregistered %" PRIu64 "\n", n_returns, n_refused,
            reg_sum);
    for (k = 0; k < rejects.n; k++)
        fprintf(summary, "station-would-refuse %s %zu\n", rejects.code[k], rejects.count[k]);
    for (k = 0; k < holds.n; k++)
        fprintf(summary, "hold %s %zu\n", holds.code[k], holds.count[k]);
    for (k = 0; k < flags.n; k++)
        fprintf(summary, "flag %s %zu\n", flags.code[k], flags.count[k]);
    rc = 0;
out:
    if (stream != NULL && fclose(stream) != 0 && rc == 0) {
        err_msg("returns.stream", "write error");
        rc = -1;
    }
    if (refused != NULL && fclose(refused) != 0)
        rc = -1;
    if (summary != NULL && fclose(summary) != 0)
        rc = -1;
    sodium_memzero(sk, sizeof sk);
    pr_buf_free(&b);
    free(r);
    free(en);
    return rc;
}

/* Reads back the definition just written, strictly, as central will. */
static int load_definition(const char *path, cm_definition **def)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    pr_diag d;
    int rc = -1;

    memset(&d, 0, sizeof d);
    if (cm_read_file(path, CM_DEFINITION_MAX, 0, &bytes, &len, NULL, &d) != 0) {
        err_msg(path, "%s", d.msg);
        goto out;
    }
    if (cm_definition_load(bytes, len, def, &d) != 0) {
        err_msg(path, "%s", d.msg);
        goto out;
    }
    rc = 0;
out:
    free(bytes);
    return rc;
}

static int sign_definition(const run *R, const cm_definition *def)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES];
    char path[4096];
    pr_buf b;
    int rc = -1;

    seed_key(def->id, "commission", pk, sk);
    pr_buf_init(&b, PR_FILE_MAX);
    snprintf(path, sizeof path, "%s/definition.json.sig", R->out);
    if (pr_defsig_sign(def->hash, sk, &b) != 0 || write_file(path, b.data, b.len) != 0)
        goto out;
    pr_buf_free(&b);
    pr_buf_init(&b, PR_FILE_MAX);
    snprintf(path, sizeof path, "%s/commission.pub", R->out);
    if (pr_pubkey_encode(PR_KEY_COMMISSION, pk, &b) != 0 || write_file(path, b.data, b.len) != 0)
        goto out;
    rc = 0;
out:
    sodium_memzero(sk, sizeof sk);
    pr_buf_free(&b);
    return rc;
}

/* A positive decimal option value: 0, or -1 when it is not one. */
static int parse_size(const char *s, size_t *out)
{
    uint64_t v = 0;
    int rc = -1;

    if (pr_parse_count(s, strlen(s), &v) == 0 && v > 0) {
        *out = (size_t)v;
        rc = 0;
    }
    return rc;
}

int main(int argc, char **argv)
{
    run R;
    cm_definition *def = NULL;
    const char *year = NULL;
    char path[4096];
    size_t i;
    int a, code = 1;

    memset(&R, 0, sizeof R);
    for (a = 1; a < argc; a++) {
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;

        if (strcmp(argv[a], "--election") == 0 && v != NULL)
            year = argv[++a];
        else if (strcmp(argv[a], "--preset") == 0 && v != NULL)
            R.preset_path = argv[++a];
        else if (strcmp(argv[a], "--out") == 0 && v != NULL)
            R.out = argv[++a];
        else if (strcmp(argv[a], "--limit") == 0 && v != NULL && parse_size(v, &R.limit) == 0)
            a++;
        else if (strcmp(argv[a], "--every") == 0 && v != NULL && parse_size(v, &R.every) == 0)
            a++;
        else {
            fputs(usage, strcmp(argv[a], "--help") == 0 ? stdout : stderr);
            code = strcmp(argv[a], "--help") == 0 ? 0 : 2;
            goto out;
        }
    }
    for (i = 0; year != NULL && i < sizeof ELECTIONS / sizeof ELECTIONS[0]; i++)
        if (strcmp(ELECTIONS[i].year, year) == 0)
            R.el = &ELECTIONS[i];
    if (R.el == NULL || R.preset_path == NULL || R.out == NULL) {
        fputs(usage, stderr);
        code = 2;
        goto out;
    }
    snprintf(path, sizeof path, "%sT18:00:00Z", R.el->date);
    if (pr_init() != 0 || pr_parse_time(path, strlen(path), &R.close) != 0) {
        err_msg("init", "libsodium or the election date");
        goto out;
    }
    if (mkdir(R.out, 0755) != 0) {
        err_msg(R.out, "%s", strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/definition.json", R.out);
    if (read_csv(&R) != 0 || number_areas(&R) != 0 || write_definition(&R, path) != 0 ||
        load_definition(path, &def) != 0 || sign_definition(&R, def) != 0 ||
        write_keys_and_returns(&R, def) != 0)
        goto out;
    code = 0;
out:
    cm_definition_free(def);
    for (i = 0; R.pid != NULL && i < R.n_rows; i++)
        free(R.pid[i]);
    free(R.pid);
    free(R.region);
    free(R.tik);
    free(R.rows);
    free(R.csv);
    return code;
}
