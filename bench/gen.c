/*
 * gen.c: a deterministic synthetic election for benchmarks and large tests
 * (issue 8). N precincts in districts in regions under one nation; one
 * single-member district contest per precinct (2 to 12 candidates from 8
 * parties and independents), registered voters, plausible turnout and
 * shares; a station key per precinct (derived from the seed: test keys,
 * anyone can recompute them), its enrolment request, and its signed return,
 * plus a chosen share of faults. Everything is a function of (N, seed,
 * faults): two runs write the same bytes.
 *
 * Faults, each in about faults/6 per mille of precincts (docs/PERFORMANCE.md):
 *   tampered     a count changed after signing             rejected bad-signature
 *   sum          votes + invalid != ballots cast, signed   rejected sum-mismatch
 *   duplicate    the same file twice                       duplicate
 *   resigned     the same content signed a minute later    duplicate resigned
 *   conflict     a second revision 1 with one vote moved   conflict (both)
 *   correction   revision 2, emitted before revision 1     held, then corrected
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

static const char usage[] =
    "usage: bench-gen --precincts N [--seed S] [--faults PERMILLE] [--files] --out DIR\n"
    "Writes DIR/definition.json (+ .sig), DIR/commission.pub, DIR/commission.key\n"
    "(unencrypted, a test key), DIR/requests.stream (every station's enrolment request,\n"
    "back to back, for `central enroll -`), DIR/returns.stream (every return and\n"
    "fault, back to back, for `central import -`), DIR/expected.txt (what was planted)\n"
    "and with --files also DIR/returns/NNNN/<precinct>-<k>.return, one file per item.\n";

#define N_PARTIES 8
#define CLOSE_TIME 1773594000 /* 2026-03-15T17:00:00Z */

enum { F_NONE, F_TAMPERED, F_SUM, F_DUPLICATE, F_RESIGNED, F_CONFLICT, F_CORRECTION, F_KINDS };
static const char *const FAULT_NAMES[F_KINDS] = {"none",     "tampered", "sum",       "duplicate",
                                                 "resigned", "conflict", "correction"};

typedef struct gen {
    uint64_t n, seed;
    unsigned faults;                /* per mille */
    int files;
    const char *out;
    uint64_t districts, regions;
    char election[32];
    uint8_t def_hash[PR_HASH_BYTES];
    FILE *returns;
    uint64_t items, planted[F_KINDS];
    pr_buf b;
    pr_return *r;
} gen;

_Noreturn static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench-gen: %s: %s\n", what, why);
    exit(3);
}

/* splitmix64: a good, tiny, deterministic generator. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t rnd(const gen *g, uint64_t a, uint64_t b)
{
    return mix(mix(g->seed ^ mix(a)) ^ b);
}

static uint64_t district_of(const gen *g, uint64_t i)
{
    return i * g->districts / g->n;
}

static unsigned candidates_of(const gen *g, uint64_t d)
{
    return 2 + (unsigned)(rnd(g, 0xd15, d) % 11);
}

static void station_key(const gen *g, uint64_t i, uint8_t pk[PR_PK_BYTES], uint8_t sk[PR_SK_BYTES])
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    char who[64];

    snprintf(who, sizeof who, "bench-gen %s %" PRIu64, g->election, i);
    crypto_generichash(seed, sizeof seed, (const uint8_t *)who, strlen(who), NULL, 0);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
}

static FILE *create(const gen *g, const char *name)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", g->out, name);
    f = fopen(path, "wx");
    if (f == NULL)
        die(path, strerror(errno));
    return f;
}

static void finish(FILE *f, const char *name)
{
    if (ferror(f) || fclose(f) != 0)
        die(name, "write error");
}

/* ---- the definition -------------------------------------------------- */

static void write_definition(gen *g)
{
    FILE *f = create(g, "definition.json");
    uint64_t i, d;
    unsigned k;
    uint8_t *bytes;
    long len = 0; /* die() returns to clang's eyes: -Wsometimes-uninitialized */

    fprintf(f, "{\n  \"format\": \"election-definition/1\",\n  \"id\": \"%s\",\n", g->election);
    fprintf(f, "  \"name\": \"Synthetic election of %" PRIu64 " precincts\",\n", g->n);
    fprintf(f, "  \"date\": \"2026-03-15\",\n  \"parties\": [\n");
    for (k = 0; k < N_PARTIES; k++)
        fprintf(f, "    {\"id\": \"party%u\", \"name\": \"Party %u\", \"abbreviation\": \"P%u\", "
                   "\"colour\": null}%s\n", k + 1, k + 1, k + 1, k + 1 < N_PARTIES ? "," : "");
    fprintf(f, "  ],\n  \"areas\": [\n    {\"id\": \"nation\", \"name\": \"Nation\", "
               "\"parent\": null, \"close\": \"2026-03-15T17:00:00Z\"}");
    for (d = 0; d < g->regions; d++)
        fprintf(f, ",\n    {\"id\": \"r%" PRIu64 "\", \"name\": \"Region %" PRIu64 "\", "
                   "\"parent\": \"nation\", \"close\": null}", d + 1, d + 1);
    for (d = 0; d < g->districts; d++)
        fprintf(f, ",\n    {\"id\": \"d%" PRIu64 "\", \"name\": \"District %" PRIu64 "\", "
                   "\"parent\": \"r%" PRIu64 "\", \"close\": null}",
                d + 1, d + 1, d * g->regions / g->districts + 1);
    fprintf(f, "\n  ],\n  \"protocols\": [\n    {\"id\": \"plain\", \"lines\": [\n"
               "      {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
               "      {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\"},\n"
               "      {\"id\": \"invalid\", \"name\": \"Invalid ballots\"}\n"
               "    ], \"rules\": []}\n  ],\n  \"contests\": [\n");
    for (d = 0; d < g->districts; d++) {
        unsigned nc = candidates_of(g, d);

        fprintf(f, "    {\"id\": \"d%" PRIu64 "\", \"name\": \"District %" PRIu64 " seat\", "
                   "\"area\": \"d%" PRIu64 "\", \"protocol\": \"plain\", \"against_all\": false, "
                   "\"outcome\": \"plurality\", \"candidates\": [",
                d + 1, d + 1, d + 1);
        for (k = 0; k < nc; k++) {
            uint64_t p = (d + k) % (N_PARTIES + 1);

            if (p == N_PARTIES)
                fprintf(f, "%s{\"id\": \"c%u\", \"name\": \"Candidate %u\", \"party\": null}",
                        k ? ", " : "", k + 1, k + 1);
            else
                fprintf(f, "%s{\"id\": \"c%u\", \"name\": \"Candidate %u\", "
                           "\"party\": \"party%" PRIu64 "\"}", k ? ", " : "", k + 1, k + 1, p + 1);
        }
        fprintf(f, "]}%s\n", d + 1 < g->districts ? "," : "");
    }
    fprintf(f, "  ],\n  \"precincts\": [\n");
    for (i = 0; i < g->n; i++) {
        d = district_of(g, i) + 1;
        fprintf(f, "    {\"id\": \"p%" PRIu64 "\", \"name\": \"P%" PRIu64 "\", \"area\": "
                   "\"d%" PRIu64 "\", \"contests\": [\"d%" PRIu64 "\"], \"registered\": %" PRIu64
                   "}%s\n", i + 1, i + 1, d, d, 300 + rnd(g, 0x4e9, i) % 2700,
                i + 1 < g->n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    finish(f, "definition.json");

    /* The definition's hash is BLAKE2b-256 of its bytes (DESIGN 6). */
    {
        char path[4096];
        FILE *in;

        snprintf(path, sizeof path, "%s/definition.json", g->out);
        in = fopen(path, "rb");
        if (in == NULL || fseek(in, 0, SEEK_END) != 0 || (len = ftell(in)) < 0 ||
            fseek(in, 0, SEEK_SET) != 0)
            die(path, "cannot read back");
        bytes = malloc((size_t)len + 1);
        if (bytes == NULL || fread(bytes, 1, (size_t)len, in) != (size_t)len)
            die(path, "cannot read back");
        fclose(in);
        pr_hash(g->def_hash, bytes, (size_t)len);
        free(bytes);
    }
}

static void write_commission(gen *g)
{
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES], seed[crypto_sign_SEEDBYTES];
    char who[64];
    FILE *f;

    snprintf(who, sizeof who, "bench-gen %s commission", g->election);
    crypto_generichash(seed, sizeof seed, (const uint8_t *)who, strlen(who), NULL, 0);
    crypto_sign_seed_keypair(pk, sk, seed);
    pr_buf_free(&g->b);
    if (pr_defsig_sign(g->def_hash, sk, &g->b) != 0)
        die("definition.json.sig", "cannot sign");
    f = create(g, "definition.json.sig");
    fwrite(g->b.data, 1, g->b.len, f);
    finish(f, "definition.json.sig");
    pr_buf_free(&g->b);
    if (pr_pubkey_encode(PR_KEY_COMMISSION, pk, &g->b) != 0)
        die("commission.pub", "cannot encode");
    f = create(g, "commission.pub");
    fwrite(g->b.data, 1, g->b.len, f);
    finish(f, "commission.pub");
    pr_buf_free(&g->b);
    if (pr_seckey_encode(PR_KEY_COMMISSION, sk, NULL, 0, 0, 0, &g->b) != 0)
        die("commission.key", "cannot encode");
    f = create(g, "commission.key");
    fwrite(g->b.data, 1, g->b.len, f);
    finish(f, "commission.key");
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(seed, sizeof seed);
}

/* ---- returns ----------------------------------------------------------- */

static void emit(gen *g, uint64_t i, unsigned k, const uint8_t *p, size_t len)
{
    if (fwrite(p, 1, len, g->returns) != len)
        die("returns.stream", "write error");
    if (g->files) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof path, "%s/returns/%04" PRIu64, g->out, i / 1000);
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            die(path, strerror(errno));
        snprintf(path, sizeof path, "%s/returns/%04" PRIu64 "/p%" PRIu64 "-%u.return", g->out,
                 i / 1000, i + 1, k);
        f = fopen(path, "wx");
        if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0)
            die(path, "write error");
    }
    g->items++;
}

/* Fills g->r with precinct i's true counts, revision 1. */
static void counts_of(gen *g, uint64_t i)
{
    pr_return *r = g->r;
    uint64_t d = district_of(g, i), registered = 300 + rnd(g, 0x4e9, i) % 2700;
    uint64_t cast, invalid, valid, left, w[12], wsum = 0;
    unsigned nc = candidates_of(g, d), k;

    memset(r, 0, sizeof *r);
    snprintf(r->election, sizeof r->election, "%s", g->election);
    memcpy(r->definition, g->def_hash, PR_HASH_BYTES);
    r->mode = PR_MODE_LIVE;
    snprintf(r->contest, sizeof r->contest, "d%" PRIu64, d + 1);
    snprintf(r->precinct, sizeof r->precinct, "p%" PRIu64, i + 1);
    r->revision = 1;
    cast = registered * (3500 + rnd(g, 0x7a1, i) % 5000) / 10000;
    invalid = cast * (rnd(g, 0x1a7, i) % 250) / 10000;
    valid = cast - invalid;
    r->n_counts = 3;
    snprintf(r->counts[0].id, sizeof r->counts[0].id, "registered");
    r->counts[0].value = registered;
    snprintf(r->counts[1].id, sizeof r->counts[1].id, "ballots-cast");
    r->counts[1].value = cast;
    snprintf(r->counts[2].id, sizeof r->counts[2].id, "invalid");
    r->counts[2].value = invalid;
    /* Shares: a district-wide preference times a precinct-level noise. */
    for (k = 0; k < nc; k++) {
        w[k] = (1 + rnd(g, 0xca9d ^ d, k) % 100) * (80 + rnd(g, i, k) % 40);
        wsum += w[k];
    }
    left = valid;
    r->n_votes = nc;
    for (k = 0; k < nc; k++) {
        uint64_t v = k + 1 < nc ? valid * w[k] / wsum : left;

        snprintf(r->votes[k].id, sizeof r->votes[k].id, "c%u", k + 1);
        r->votes[k].value = v;
        left -= v;
    }
    r->signed_at = CLOSE_TIME + 3600 + (int64_t)(rnd(g, 0x519, i) % 7200);
}

/* Moves one vote between the first two candidates (the sums still hold). */
static void move_vote(pr_return *r)
{
    if (r->votes[1].value > 0) {
        r->votes[1].value -= 1;
        r->votes[0].value += 1;
    } else {
        r->votes[0].value -= 1;
        r->votes[1].value += 1;
    }
}

static void sign_into(gen *g, const uint8_t sk[PR_SK_BYTES])
{
    pr_diag dg;

    pr_buf_free(&g->b);
    if (pr_return_sign(g->r, sk, &g->b, &dg) != 0)
        die(g->r->precinct, dg.msg);
}

static void write_returns(gen *g, FILE *requests)
{
    pr_enrolment *en = calloc(1, sizeof *en);
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES], first[PR_FILE_MAX];
    uint64_t i;
    pr_diag dg;

    if (en == NULL)
        die("bench-gen", "out of memory");
    for (i = 0; i < g->n; i++) {
        uint64_t x = rnd(g, 0xfa17, i) % 1000;
        int fault = F_NONE;
        size_t first_len;

        if (x < g->faults)
            fault = 1 + (int)(rnd(g, 0xfa18, i) % (F_KINDS - 1));
        g->planted[fault]++;
        station_key(g, i, pk, sk);
        memset(en, 0, sizeof *en);
        snprintf(en->election, sizeof en->election, "%s", g->election);
        memcpy(en->definition, g->def_hash, PR_HASH_BYTES);
        en->n_precincts = 1;
        snprintf(en->precincts[0], sizeof en->precincts[0], "p%" PRIu64, i + 1);
        en->created = CLOSE_TIME - 7 * 86400;
        pr_buf_free(&g->b);
        if (pr_enrolment_sign(en, sk, &g->b, &dg) != 0)
            die(en->precincts[0], dg.msg);
        if (fwrite(g->b.data, 1, g->b.len, requests) != g->b.len)
            die("requests.stream", "write error");

        counts_of(g, i);
        if (fault == F_SUM)
            g->r->counts[2].value += 1;
        sign_into(g, sk);
        if (fault == F_TAMPERED) {
            /* Change the last digit of the ballots-cast line: the signature
             * no longer covers these bytes. */
            char *p = strstr((char *)g->b.data, "\ncount ballots-cast ");
            if (p != NULL) {
                p = strchr(p + 1, '\n') - 1;
                *p = *p == '9' ? '8' : (char)(*p + 1);
            }
        }
        if (fault == F_CORRECTION) {
            /* Revision 2 first (its predecessor not yet stored), then 1. */
            uint8_t h[PR_HASH_BYTES];

            memcpy(first, g->b.data, g->b.len);
            first_len = g->b.len;
            pr_hash(h, first, first_len);
            g->r->revision = 2;
            memcpy(g->r->supersedes, h, PR_HASH_BYTES);
            snprintf(g->r->reason, sizeof g->r->reason, "recount of precinct %s", g->r->precinct);
            move_vote(g->r);
            g->r->signed_at += 3600;
            sign_into(g, sk);
            emit(g, i, 2, g->b.data, g->b.len);
            emit(g, i, 1, first, first_len);
            continue;
        }
        emit(g, i, 1, g->b.data, g->b.len);
        if (fault == F_DUPLICATE)
            emit(g, i, 2, g->b.data, g->b.len);
        if (fault == F_RESIGNED) {
            g->r->signed_at += 60;
            sign_into(g, sk);
            emit(g, i, 2, g->b.data, g->b.len);
        }
        if (fault == F_CONFLICT) {
            move_vote(g->r);
            sign_into(g, sk);
            emit(g, i, 2, g->b.data, g->b.len);
        }
    }
    sodium_memzero(sk, sizeof sk);
    free(en);
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
    gen g;
    FILE *requests, *f;
    uint64_t v;
    int i, k;
    char path[4096];

    memset(&g, 0, sizeof g);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--files") == 0) {
            g.files = 1;
        } else if (strcmp(a, "--precincts") == 0 && parse_u64(val, &g.n) == 0 && g.n > 0) {
            i++;
        } else if (strcmp(a, "--seed") == 0 && parse_u64(val, &g.seed) == 0) {
            i++;
        } else if (strcmp(a, "--faults") == 0 && parse_u64(val, &v) == 0 && v <= 1000) {
            g.faults = (unsigned)v;
            i++;
        } else if (strcmp(a, "--out") == 0 && val != NULL) {
            g.out = val;
            i++;
        } else {
            fprintf(stderr, "bench-gen: %s: unknown option or bad value\n%s", a, usage);
            return 2;
        }
    }
    if (g.n == 0 || g.out == NULL) {
        fprintf(stderr, "bench-gen: --precincts and --out are required\n%s", usage);
        return 2;
    }
    if (sodium_init() < 0)
        die("libsodium", "cannot initialise");
    if (mkdir(g.out, 0755) != 0)
        die(g.out, strerror(errno));
    g.districts = g.n < 800 ? 2 : (g.n + 399) / 400;
    g.regions = g.districts < 25 ? 1 : (g.districts + 24) / 25;
    snprintf(g.election, sizeof g.election, "bench-%" PRIu64 "-%" PRIu64, g.n, g.seed);
    pr_buf_init(&g.b, PR_FILE_MAX);
    g.r = malloc(sizeof *g.r);
    if (g.r == NULL)
        die("bench-gen", "out of memory");
    write_definition(&g);
    write_commission(&g);
    if (g.files) {
        snprintf(path, sizeof path, "%s/returns", g.out);
        if (mkdir(path, 0755) != 0)
            die(path, strerror(errno));
    }
    requests = create(&g, "requests.stream");
    g.returns = create(&g, "returns.stream");
    write_returns(&g, requests);
    finish(requests, "requests.stream");
    finish(g.returns, "returns.stream");
    f = create(&g, "expected.txt");
    fprintf(f, "election %s\nprecincts %" PRIu64 "\ndistricts %" PRIu64 "\nregions %" PRIu64
               "\nitems %" PRIu64 "\n",
            g.election, g.n, g.districts, g.regions, g.items);
    for (k = 1; k < F_KINDS; k++)
        fprintf(f, "fault %s %" PRIu64 "\n", FAULT_NAMES[k], g.planted[k]);
    finish(f, "expected.txt");
    pr_buf_free(&g.b);
    free(g.r);
    return 0;
}
