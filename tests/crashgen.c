/*
 * crashgen.c: the election of tests/cli/crash_import.sh (issue 6, crash
 * test). N precincts, each with K contests (`mayor` on a 7-line protocol
 * with a derived line and against-all, `council-2` ... `council-K` on the
 * 3-line one), a
 * station key per precinct (derived from the seed: test keys), every
 * enrolment request, and a few thousand signed returns with the history
 * cases of DESIGN 7 mixed in, and the order to import them in.
 *
 * Per (precinct, contest), by a seeded draw (per mille):
 *   0-29     missing      no return at all                   missing
 *   30-99    corrected    r1, later r2 (a third of them r3)  corrected
 *   100-139  early        r2 before its predecessor r1       held, then corrected
 *   140-169  twice        r1 listed twice (same path)        duplicate
 *   170-189  copy         r1 and its bytes under another name duplicate
 *   190-219  resigned     r1, later re-signed a minute later duplicate resigned
 *   220-234  tampered     r1 with a byte changed, later r1   rejected bad-signature
 *   235-249  conflict     r1, later another r1               conflict
 *   250-259  stale        r1, r2, then another r1            stale equivocation
 *   260-269  stranger     r1 signed by an unenrolled key, r1 rejected unknown-key
 *   270-274  sum          r1 whose sums do not add up        rejected-only
 *   else     plain        r1
 * plus four chains of 24 revisions of `mayor`, newest first, their r1 last:
 * each r1 releases a cascade of 23 re-decisions.
 *
 * Writes into OUTDIR (which must not exist): definition.json (+ .sig),
 * commission.pub, requests.stream (for `central enroll -`), r/<name>.return,
 * order.txt (one path relative to OUTDIR per line, in import order; a path
 * may come twice) and expected.txt (what was planted). Everything is a
 * function of (N, seed): two runs write the same bytes.
 *
 * Usage: crashgen --precincts N [--contests K] [--seed S] --out OUTDIR
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/buf.h"
#include "proto/codec.h"
#include "proto/keys.h"
#include "proto/return.h"

#define CLOSE_TIME 1773594000 /* 2026-03-15T17:00:00Z */
#define CHAINS 4
#define CHAIN_LEN 24

enum { S_MISSING, S_CORRECTED, S_EARLY, S_TWICE, S_COPY, S_RESIGNED, S_TAMPERED, S_CONFLICT,
       S_STALE, S_STRANGER, S_SUM, S_PLAIN, S_CHAIN, S_KINDS };
static const char *const S_NAMES[S_KINDS] = {"missing",  "corrected", "early",    "twice",
                                             "copy",     "resigned",  "tampered", "conflict",
                                             "stale",    "stranger",  "sum",      "plain",
                                             "chain"};

typedef struct item {
    uint64_t key;   /* place in the import order */
    size_t path;    /* index into paths */
} item;

static struct {
    uint64_t n, k, seed;
    const char *out;
    char election[32];
    uint8_t def_hash[PR_HASH_BYTES];
    pr_buf b;
    pr_return *r;
    char **paths;
    size_t npaths, cappaths;
    item *items;
    size_t nitems, capitems;
    uint64_t planted[S_KINDS];
    uint64_t draw;      /* counter for the order keys */
} g;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "crashgen: %s: %s\n", what, why);
    exit(3);
}

/* splitmix64 (as bench/gen.c): deterministic and tiny. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t a, uint64_t b)
{
    return mix(mix(g.seed ^ mix(a)) ^ b);
}

/* Empties g.b: some encoders start a fresh buffer (the old one would
 * leak), others append. */
static void fresh(void)
{
    pr_buf_free(&g.b);
    pr_buf_init(&g.b, PR_FILE_MAX);
}

static void write_file(const char *name, const void *p, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", g.out, name);
    f = fopen(path, "wx");
    if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0)
        die(path, strerror(errno));
}

static void key_of(const char *who, uint8_t pk[PR_PK_BYTES], uint8_t sk[PR_SK_BYTES])
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    char label[128];

    snprintf(label, sizeof label, "crashgen %s %s", g.election, who);
    crypto_generichash(seed, sizeof seed, (const uint8_t *)label, strlen(label), NULL, 0);
    crypto_sign_seed_keypair(pk, sk, seed);
}

static uint64_t roll_of(uint64_t i)
{
    return 400 + rnd(0x4e9, i) % 2600;
}

static void write_definition(void)
{
    char *data = NULL;
    size_t len = 0;
    uint64_t i, c;
    FILE *d = open_memstream(&data, &len);

    if (d == NULL)
        die("definition.json", strerror(errno));
    fprintf(d, "{\n  \"format\": \"election-definition/1\",\n  \"id\": \"%s\",\n"
                      "  \"name\": \"Crash-test election\",\n  \"date\": \"2026-03-15\",\n",
                  g.election);
    fprintf(d, "  \"parties\": [\n"
                      "    {\"id\": \"red\", \"name\": \"Red\", \"abbreviation\": \"R\", \"colour\": null},\n"
                      "    {\"id\": \"blue\", \"name\": \"Blue\", \"abbreviation\": \"B\", \"colour\": null}\n"
                      "  ],\n  \"areas\": [\n"
                      "    {\"id\": \"land\", \"name\": \"Land\", \"parent\": null, \"close\": "
                      "\"2026-03-15T17:00:00Z\"},\n"
                      "    {\"id\": \"north\", \"name\": \"North\", \"parent\": \"land\", \"close\": null},\n"
                      "    {\"id\": \"south\", \"name\": \"South\", \"parent\": \"land\", \"close\": null}\n"
                      "  ],\n");
    fprintf(d,
                  "  \"protocols\": [\n"
                  "    {\"id\": \"box-aa\", \"lines\": [\n"
                  "      {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
                  "      {\"id\": \"issued\", \"name\": \"Ballots issued\"},\n"
                  "      {\"id\": \"cast-portable\", \"name\": \"Ballots in portable boxes\"},\n"
                  "      {\"id\": \"cast-stationary\", \"name\": \"Ballots in stationary boxes\"},\n"
                  "      {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\", \"derived\": "
                  "[\"cast-portable\", \"cast-stationary\"]},\n"
                  "      {\"id\": \"invalid\", \"name\": \"Invalid ballots\"},\n"
                  "      {\"id\": \"against-all\", \"name\": \"Against all\"}\n"
                  "    ], \"rules\": [\n"
                  "      {\"id\": \"issued-exceeds-registered\", \"check\": \"issued <= registered\", "
                  "\"severity\": \"reject\"}\n    ]},\n"
                  "    {\"id\": \"plain\", \"lines\": [\n"
                  "      {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
                  "      {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\"},\n"
                  "      {\"id\": \"invalid\", \"name\": \"Invalid ballots\"}\n"
                  "    ], \"rules\": []}\n  ],\n");
    fprintf(d,
                  "  \"contests\": [\n"
                  "    {\"id\": \"mayor\", \"name\": \"Mayor\", \"area\": \"land\", \"protocol\": "
                  "\"box-aa\", \"against_all\": true, \"outcome\": \"plurality\", \"candidates\": [\n"
                  "      {\"id\": \"alice\", \"name\": \"Alice\", \"party\": \"red\"},\n"
                  "      {\"id\": \"bob\", \"name\": \"Bob\", \"party\": \"blue\"},\n"
                  "      {\"id\": \"carol\", \"name\": \"Carol\", \"party\": null}]}");
    for (c = 2; c <= g.k; c++)
        fprintf(d,
                ",\n    {\"id\": \"council-%" PRIu64 "\", \"name\": \"Council %" PRIu64 "\", "
                "\"area\": \"land\", \"protocol\": \"plain\", \"against_all\": false, "
                "\"outcome\": \"plurality\", \"candidates\": [\n"
                "      {\"id\": \"dan\", \"name\": \"Dan\", \"party\": \"red\"},\n"
                "      {\"id\": \"eve\", \"name\": \"Eve\", \"party\": \"blue\"},\n"
                "      {\"id\": \"fay\", \"name\": \"Fay\", \"party\": null}]}",
                c, c);
    fprintf(d, "\n  ],\n  \"precincts\": [\n");
    for (i = 0; i < g.n; i++) {
        fprintf(d, "    {\"id\": \"p%04" PRIu64 "\", \"name\": \"Precinct %" PRIu64 "\", \"area\": "
                   "\"%s\", \"contests\": [\"mayor\"",
                i + 1, i + 1, i % 2 ? "south" : "north");
        for (c = 2; c <= g.k; c++)
            fprintf(d, ", \"council-%" PRIu64 "\"", c);
        fprintf(d, "], \"registered\": %" PRIu64 "}%s\n", roll_of(i), i + 1 < g.n ? "," : "");
    }
    fprintf(d, "  ]\n}\n");
    if (ferror(d) || fclose(d) != 0)
        die("definition.json", "cannot encode");
    write_file("definition.json", data, len);
    pr_hash(g.def_hash, (const uint8_t *)data, len);
    free(data);
}

static void write_commission(void)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES];

    key_of("commission", pk, sk);
    fresh();
    if (pr_defsig_sign(g.def_hash, sk, &g.b) != 0)
        die("definition.json.sig", "cannot sign");
    write_file("definition.json.sig", g.b.data, g.b.len);
    fresh();
    if (pr_pubkey_encode(PR_KEY_COMMISSION, pk, &g.b) != 0)
        die("commission.pub", "cannot encode");
    write_file("commission.pub", g.b.data, g.b.len);
    sodium_memzero(sk, sizeof sk);
}

/* ---- returns ----------------------------------------------------------- */

static void set(pr_item *it, const char *id, uint64_t v)
{
    snprintf(it->id, sizeof it->id, "%s", id);
    it->value = v;
}

/* Fills g.r with revision 1 of precinct i, contest c (0 mayor, else council-c+1);
 * variant v > 0 moves v votes (another, equally valid, content). */
static void counts_of(uint64_t i, int c, uint64_t v)
{
    static const char *const cand[2][3] = {{"alice", "bob", "carol"}, {"dan", "eve", "fay"}};
    pr_return *r = g.r;
    uint64_t reg = roll_of(i), slot = i * g.k + (uint64_t)c;
    uint64_t cast = reg * (40 + rnd(0xca57, slot) % 45) / 100;
    uint64_t invalid = cast * (5 + rnd(0x1a7, slot) % 20) / 1000;
    uint64_t aa = c == 0 ? cast * (rnd(0xaa, slot) % 20) / 1000 : 0;
    uint64_t valid = cast - invalid - aa, w[3], ws = 0, left = valid;
    unsigned k;

    memset(r, 0, sizeof *r);
    snprintf(r->election, sizeof r->election, "%s", g.election);
    memcpy(r->definition, g.def_hash, PR_HASH_BYTES);
    r->mode = PR_MODE_LIVE;
    if (c == 0)
        snprintf(r->contest, sizeof r->contest, "mayor");
    else
        snprintf(r->contest, sizeof r->contest, "council-%d", c + 1);
    snprintf(r->precinct, sizeof r->precinct, "p%04" PRIu64, i + 1);
    r->revision = 1;
    if (c == 0) {
        uint64_t portable = cast * (1 + rnd(0x9047, slot) % 8) / 100;
        uint64_t spare = reg - cast < 5 ? reg - cast : 5;
        r->n_counts = 7;
        set(&r->counts[0], "registered", reg);
        set(&r->counts[1], "issued", cast + rnd(0x155, slot) % (spare + 1));
        set(&r->counts[2], "cast-portable", portable);
        set(&r->counts[3], "cast-stationary", cast - portable);
        set(&r->counts[4], "ballots-cast", cast);
        set(&r->counts[5], "invalid", invalid);
        set(&r->counts[6], "against-all", aa);
    } else {
        r->n_counts = 3;
        set(&r->counts[0], "registered", reg);
        set(&r->counts[1], "ballots-cast", cast);
        set(&r->counts[2], "invalid", invalid);
    }
    for (k = 0; k < 3; k++) {
        w[k] = 20 + rnd(0x3e1 + k, slot) % 80;
        ws += w[k];
    }
    r->n_votes = 3;
    for (k = 0; k < 3; k++) {
        uint64_t x = k < 2 ? valid * w[k] / ws : left;
        set(&r->votes[k], cand[c != 0][k], x);
        left -= x;
    }
    /* Another content: v votes from the largest share to the next. */
    if (v > 0) {
        unsigned big = r->votes[0].value >= r->votes[1].value ? 0 : 1;
        uint64_t m = v < r->votes[big].value ? v : r->votes[big].value;
        r->votes[big].value -= m;
        r->votes[big ^ 1].value += m;
    }
    r->signed_at = CLOSE_TIME + 3600 + (int64_t)(rnd(0x519, slot) % 7200);
}

/* Makes g.r the correction (revision rev, naming the bytes in g.b). */
static void correct(uint64_t rev)
{
    uint8_t h[PR_HASH_BYTES];
    unsigned big = g.r->votes[0].value >= g.r->votes[1].value ? 0 : 1;

    pr_hash(h, g.b.data, g.b.len);
    g.r->revision = rev;
    memcpy(g.r->supersedes, h, PR_HASH_BYTES);
    snprintf(g.r->reason, sizeof g.r->reason, "recount %" PRIu64 " of precinct %s", rev,
             g.r->precinct);
    if (g.r->votes[big].value > 0) {
        g.r->votes[big].value -= 1;
        g.r->votes[big ^ 1].value += 1;
    }
    g.r->signed_at += 1800;
}

static void sign(const uint8_t sk[PR_SK_BYTES])
{
    pr_diag dg;

    fresh();
    if (pr_return_sign(g.r, sk, &g.b, &dg) != 0)
        die(g.r->precinct, dg.msg);
}

/* Writes g.b as r/<precinct>-<contest>-<tag>.return; returns its path's index. */
static size_t put(const char *tag)
{
    char name[256];

    snprintf(name, sizeof name, "r/%s-%s-%s.return", g.r->precinct, g.r->contest, tag);
    write_file(name, g.b.data, g.b.len);
    if (g.npaths == g.cappaths) {
        g.cappaths = g.cappaths ? g.cappaths * 2 : 1024;
        g.paths = realloc(g.paths, g.cappaths * sizeof *g.paths);
        if (g.paths == NULL)
            die("crashgen", "out of memory");
    }
    g.paths[g.npaths] = strdup(name);
    if (g.paths[g.npaths] == NULL)
        die("crashgen", "out of memory");
    return g.npaths++;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Places the paths seq[0..n) in the import order, in that relative order,
 * each at a random place. */
static void place(const size_t *seq, size_t n)
{
    uint64_t keys[CHAIN_LEN + 4];
    size_t j;

    for (j = 0; j < n; j++)
        keys[j] = rnd(0x0d3e, g.draw++);
    qsort(keys, n, sizeof keys[0], cmp_u64);
    for (j = 0; j < n; j++) {
        if (g.nitems == g.capitems) {
            g.capitems = g.capitems ? g.capitems * 2 : 1024;
            g.items = realloc(g.items, g.capitems * sizeof *g.items);
            if (g.items == NULL)
                die("crashgen", "out of memory");
        }
        g.items[g.nitems].key = keys[j];
        g.items[g.nitems].path = seq[j];
        g.nitems++;
    }
}

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : (x->path > y->path) - (x->path < y->path);
}

static int is_chain(uint64_t i, int c)
{
    uint64_t k;

    for (k = 1; c == 0 && k <= CHAINS; k++)
        if (i == k * g.n / (CHAINS + 1))
            return 1;
    return 0;
}

static void slot(uint64_t i, int c, const uint8_t sk[PR_SK_BYTES], const uint8_t stranger[PR_SK_BYTES])
{
    uint64_t x = rnd(0xfa17, i * g.k + (uint64_t)c) % 1000;
    size_t seq[CHAIN_LEN + 4], n = 0;
    char tag[32];
    int s;

    s = x < 30    ? S_MISSING
        : x < 100 ? S_CORRECTED
        : x < 140 ? S_EARLY
        : x < 170 ? S_TWICE
        : x < 190 ? S_COPY
        : x < 220 ? S_RESIGNED
        : x < 235 ? S_TAMPERED
        : x < 250 ? S_CONFLICT
        : x < 260 ? S_STALE
        : x < 270 ? S_STRANGER
        : x < 275 ? S_SUM
                  : S_PLAIN;
    if (is_chain(i, c))
        s = S_CHAIN;
    g.planted[s]++;
    if (s == S_MISSING)
        return;
    counts_of(i, c, 0);
    if (s == S_SUM)
        g.r->counts[c == 0 ? 5 : 2].value += 1;
    sign(sk);
    switch (s) {
    case S_TAMPERED: {
        /* The last digit of the signed time changed: the bytes still
         * parse, the signature no longer covers them. */
        size_t first;
        char *p = strstr((char *)g.b.data, "\nsigned ");
        if (p == NULL)
            die(g.r->precinct, "no signed line");
        p += 8 + 18;
        *p = *p == '9' ? '8' : (char)(*p + 1);
        first = put("tampered");
        sign(sk);
        seq[n++] = first;
        seq[n++] = put("r1");
        break;
    }
    case S_STRANGER:
        sign(stranger);
        seq[n++] = put("stranger");
        sign(sk);
        seq[n++] = put("r1");
        break;
    case S_CHAIN: {
        size_t revs[CHAIN_LEN];
        uint64_t k;
        revs[0] = put("r1");
        for (k = 2; k <= CHAIN_LEN; k++) {
            correct(k);
            sign(sk);
            snprintf(tag, sizeof tag, "r%" PRIu64, k);
            revs[k - 1] = put(tag);
        }
        for (k = CHAIN_LEN; k >= 1; k--)
            seq[n++] = revs[k - 1];
        break;
    }
    default: {
        size_t r1 = put("r1");
        seq[n++] = r1;
        if (s == S_CORRECTED || s == S_EARLY || s == S_STALE) {
            correct(2);
            sign(sk);
            if (s == S_EARLY) {
                seq[n - 1] = put("r2");
                seq[n++] = r1;
            } else {
                seq[n++] = put("r2");
            }
            if (s == S_CORRECTED && rnd(0x3333, i * g.k + (uint64_t)c) % 3 == 0) {
                correct(3);
                sign(sk);
                seq[n++] = put("r3");
            }
            if (s == S_STALE) {
                counts_of(i, c, 3);
                sign(sk);
                seq[n++] = put("r1-other");
            }
        } else if (s == S_TWICE) {
            seq[n++] = r1;
        } else if (s == S_COPY) {
            seq[n++] = put("r1-copy");
        } else if (s == S_RESIGNED) {
            g.r->signed_at += 60;
            sign(sk);
            seq[n++] = put("r1-resigned");
        } else if (s == S_CONFLICT) {
            counts_of(i, c, 2);
            sign(sk);
            seq[n++] = put("r1-other");
        }
        break;
    }
    }
    place(seq, n);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;

    errno = 0;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    *v = strtoull(s, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : 0;
}

int main(int argc, char **argv)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES], spk[PR_PK_BYTES], ssk[PR_SK_BYTES];
    pr_enrolment *en;
    pr_buf reqs, order;
    pr_diag dg;
    char path[4096], who[32];
    uint64_t i;
    size_t j;
    int k;

    for (k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        if (strcmp(a, "--precincts") == 0 && parse_u64(v, &g.n) == 0 && g.n > 0 && g.n <= 9999)
            k++;
        else if (strcmp(a, "--contests") == 0 && parse_u64(v, &g.k) == 0 && g.k > 0 && g.k <= 99)
            k++;
        else if (strcmp(a, "--seed") == 0 && parse_u64(v, &g.seed) == 0)
            k++;
        else if (strcmp(a, "--out") == 0 && v != NULL)
            g.out = argv[++k];
        else {
            fprintf(stderr, "usage: crashgen --precincts N (1-9999) [--contests K (1-99)] [--seed S] "
                            "--out OUTDIR\n");
            return 2;
        }
    }
    if (g.k == 0)
        g.k = 2;
    if (g.n == 0 || g.out == NULL) {
        fprintf(stderr, "usage: crashgen --precincts N (1-9999) [--contests K (1-99)] [--seed S] "
                        "--out OUTDIR\n");
        return 2;
    }
    if (sodium_init() < 0)
        die("libsodium", "cannot initialise");
    snprintf(g.election, sizeof g.election, "crash-%" PRIu64, g.seed);
    snprintf(path, sizeof path, "%s/r", g.out);
    if (mkdir(g.out, 0755) != 0 || mkdir(path, 0755) != 0)
        die(g.out, strerror(errno));
    pr_buf_init(&g.b, PR_FILE_MAX);
    g.r = malloc(sizeof *g.r);
    en = calloc(1, sizeof *en);
    if (g.r == NULL || en == NULL)
        die("crashgen", "out of memory");
    write_definition();
    write_commission();
    key_of("stranger", spk, ssk);
    pr_buf_init(&reqs, 1u << 28);
    for (i = 0; i < g.n; i++) {
        snprintf(who, sizeof who, "p%04" PRIu64, i + 1);
        key_of(who, pk, sk);
        memset(en, 0, sizeof *en);
        snprintf(en->election, sizeof en->election, "%s", g.election);
        memcpy(en->definition, g.def_hash, PR_HASH_BYTES);
        en->n_precincts = 1;
        snprintf(en->precincts[0], sizeof en->precincts[0], "%s", who);
        en->created = CLOSE_TIME - 7 * 86400;
        fresh();
        if (pr_enrolment_sign(en, sk, &g.b, &dg) != 0)
            die(who, dg.msg);
        pr_buf_add(&reqs, g.b.data, g.b.len);
        for (k = 0; k < (int)g.k; k++)
            slot(i, k, sk, ssk);
    }
    if (reqs.failed)
        die("requests.stream", "too large");
    write_file("requests.stream", reqs.data, reqs.len);
    qsort(g.items, g.nitems, sizeof *g.items, cmp_item);
    pr_buf_init(&order, 1u << 28);
    for (j = 0; j < g.nitems; j++)
        pr_buf_printf(&order, "%s\n", g.paths[g.items[j].path]);
    if (order.failed)
        die("order.txt", "too large");
    write_file("order.txt", order.data, order.len);
    order.len = 0;
    pr_buf_printf(&order, "election %s\nprecincts %" PRIu64 "\ncontests %" PRIu64
                  "\nfiles %zu\nitems %zu\n", g.election, g.n, g.k, g.npaths, g.nitems);
    for (k = 0; k < S_KINDS; k++)
        pr_buf_printf(&order, "slots %s %" PRIu64 "\n", S_NAMES[k], g.planted[k]);
    write_file("expected.txt", order.data, order.len);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(ssk, sizeof ssk);
    pr_buf_free(&order);
    pr_buf_free(&reqs);
    pr_buf_free(&g.b);
    for (j = 0; j < g.npaths; j++)
        free(g.paths[j]);
    free(g.paths);
    free(g.items);
    free(g.r);
    free(en);
    return 0;
}
