/*
 * fixture.h: what the central tests share: a temporary folder with a
 * signed definition, a commission key, a database and enrolled station
 * keys, made with libsodium and proto exactly as the real programs would;
 * builders for signed returns; and running `central` in-process with its
 * output captured. Everything is static inline so each test file uses
 * what it needs without unused-function warnings.
 */
#ifndef TESTS_CENTRAL_FIXTURE_H
#define TESTS_CENTRAL_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "common/fileio.h"
#include "proto/codec.h"
#include "proto/keys.h"
#include "proto/return.h"

/* Two contests: `mayor` (plurality, against-all) in p1, p2, p3 and `gov`
 * (majority, no against-all) in p1, p2. p3 has no roll. */
static const char fx_definition[] =
    "{\n"
    "  \"format\": \"election-definition/1\",\n"
    "  \"id\": \"t-2026\",\n"
    "  \"name\": \"Test election\",\n"
    "  \"date\": \"2026-03-15\",\n"
    "  \"parties\": [\n"
    "    {\"id\": \"red\", \"name\": \"Red Party\", \"abbreviation\": \"R\", \"colour\": \"cc0000\"},\n"
    "    {\"id\": \"blue\", \"name\": \"Blue Party\", \"abbreviation\": \"B\", \"colour\": null}\n"
    "  ],\n"
    "  \"areas\": [\n"
    "    {\"id\": \"land\", \"name\": \"Land\", \"parent\": null, \"close\": \"2026-03-15T17:00:00Z\"}\n"
    "  ],\n"
    "  \"protocols\": [\n"
    "    {\"id\": \"aa\", \"lines\": [\n"
    "      {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
    "      {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\"},\n"
    "      {\"id\": \"invalid\", \"name\": \"Invalid ballots\"},\n"
    "      {\"id\": \"against-all\", \"name\": \"Against all\"}], \"rules\": []},\n"
    "    {\"id\": \"plain\", \"lines\": [\n"
    "      {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
    "      {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\"},\n"
    "      {\"id\": \"invalid\", \"name\": \"Invalid ballots\"}], \"rules\": []}\n"
    "  ],\n"
    "  \"contests\": [\n"
    "    {\"id\": \"mayor\", \"name\": \"Mayor\", \"area\": \"land\", \"protocol\": \"aa\",\n"
    "     \"against_all\": true, \"outcome\": \"plurality\", \"candidates\": [\n"
    "       {\"id\": \"alice\", \"name\": \"\xc3\x84lice \xc3\x84xample\", \"party\": \"red\"},\n"
    "       {\"id\": \"bob\", \"name\": \"Bob Example\", \"party\": \"blue\"},\n"
    "       {\"id\": \"carol\", \"name\": \"Carol Example\", \"party\": null}]},\n"
    "    {\"id\": \"gov\", \"name\": \"Governor\", \"area\": \"land\", \"protocol\": \"plain\",\n"
    "     \"against_all\": false, \"outcome\": \"majority\", \"candidates\": [\n"
    "       {\"id\": \"dan\", \"name\": \"Dan Example\", \"party\": \"red\"},\n"
    "       {\"id\": \"eve\", \"name\": \"Eve Example\", \"party\": \"blue\"},\n"
    "       {\"id\": \"fay\", \"name\": \"Fay Example\", \"party\": null}]}\n"
    "  ],\n"
    "  \"precincts\": [\n"
    "    {\"id\": \"p1\", \"name\": \"One\", \"area\": \"land\", \"contests\": [\"mayor\", \"gov\"], \"registered\": 1000},\n"
    "    {\"id\": \"p2\", \"name\": \"Two\", \"area\": \"land\", \"contests\": [\"mayor\", \"gov\"], \"registered\": 800},\n"
    "    {\"id\": \"p3\", \"name\": \"Three\", \"area\": \"land\", \"contests\": [\"mayor\"], \"registered\": null}\n"
    "  ]\n"
    "}\n";

/* A larger election for history, review and order tests: the same
 * contests and candidates (so fx_make builds its returns), twelve precincts
 * in an area tree land > north, south > harbour. p9 ("Precinct 9") has a
 * roll of 5000; p3 has no roll. */
static const char fx_definition_areas[] =
    "{\n"
    "  \"format\": \"election-definition/1\",\n"
    "  \"id\": \"t-2026\",\n"
    "  \"name\": \"Test election with areas\",\n"
    "  \"date\": \"2026-03-15\",\n"
    "  \"parties\": [\n"
    "    {\"id\": \"red\", \"name\": \"Red Party\", \"abbreviation\": \"R\", \"colour\": \"cc0000\"},\n"
    "    {\"id\": \"blue\", \"name\": \"Blue Party\", \"abbreviation\": \"B\", \"colour\": null}\n"
    "  ],\n"
    "  \"areas\": [\n"
    "    {\"id\": \"land\", \"name\": \"Land\", \"parent\": null, \"close\": \"2026-03-15T17:00:00Z\"},\n"
    "    {\"id\": \"north\", \"name\": \"North\", \"parent\": \"land\", \"close\": null},\n"
    "    {\"id\": \"south\", \"name\": \"South\", \"parent\": \"land\", \"close\": null},\n"
    "    {\"id\": \"harbour\", \"name\": \"Harbour\", \"parent\": \"south\", \"close\": null}\n"
    "  ],\n"
    "  \"protocols\": [\n"
    "    {\"id\": \"aa\", \"lines\": [\n"
    "      {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
    "      {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\"},\n"
    "      {\"id\": \"invalid\", \"name\": \"Invalid ballots\"},\n"
    "      {\"id\": \"against-all\", \"name\": \"Against all\"}], \"rules\": []},\n"
    "    {\"id\": \"plain\", \"lines\": [\n"
    "      {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
    "      {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\"},\n"
    "      {\"id\": \"invalid\", \"name\": \"Invalid ballots\"}], \"rules\": []}\n"
    "  ],\n"
    "  \"contests\": [\n"
    "    {\"id\": \"mayor\", \"name\": \"Mayor\", \"area\": \"land\", \"protocol\": \"aa\",\n"
    "     \"against_all\": true, \"outcome\": \"plurality\", \"candidates\": [\n"
    "       {\"id\": \"alice\", \"name\": \"Alice A\", \"party\": \"red\"},\n"
    "       {\"id\": \"bob\", \"name\": \"Bob B\", \"party\": \"blue\"},\n"
    "       {\"id\": \"carol\", \"name\": \"Carol C\", \"party\": null}]},\n"
    "    {\"id\": \"gov\", \"name\": \"Governor\", \"area\": \"land\", \"protocol\": \"plain\",\n"
    "     \"against_all\": false, \"outcome\": \"majority\", \"candidates\": [\n"
    "       {\"id\": \"dan\", \"name\": \"Dan Example\", \"party\": \"red\"},\n"
    "       {\"id\": \"eve\", \"name\": \"Eve Example\", \"party\": \"blue\"},\n"
    "       {\"id\": \"fay\", \"name\": \"Fay Example\", \"party\": null}]}\n"
    "  ],\n"
    "  \"precincts\": [\n"
    "    {\"id\": \"p1\", \"name\": \"Precinct 1\", \"area\": \"north\", \"contests\": [\"mayor\", \"gov\"], \"registered\": 1000},\n"
    "    {\"id\": \"p2\", \"name\": \"Precinct 2\", \"area\": \"north\", \"contests\": [\"mayor\", \"gov\"], \"registered\": 800},\n"
    "    {\"id\": \"p3\", \"name\": \"Precinct 3\", \"area\": \"north\", \"contests\": [\"mayor\"], \"registered\": null},\n"
    "    {\"id\": \"p4\", \"name\": \"Precinct 4\", \"area\": \"south\", \"contests\": [\"mayor\", \"gov\"], \"registered\": 1000},\n"
    "    {\"id\": \"p5\", \"name\": \"Precinct 5\", \"area\": \"south\", \"contests\": [\"mayor\"], \"registered\": 1000},\n"
    "    {\"id\": \"p6\", \"name\": \"Precinct 6\", \"area\": \"south\", \"contests\": [\"mayor\"], \"registered\": 1000},\n"
    "    {\"id\": \"p7\", \"name\": \"Precinct 7\", \"area\": \"harbour\", \"contests\": [\"mayor\"], \"registered\": 1000},\n"
    "    {\"id\": \"p8\", \"name\": \"Precinct 8\", \"area\": \"harbour\", \"contests\": [\"mayor\"], \"registered\": 1000},\n"
    "    {\"id\": \"p9\", \"name\": \"Precinct 9\", \"area\": \"harbour\", \"contests\": [\"mayor\"], \"registered\": 5000},\n"
    "    {\"id\": \"p10\", \"name\": \"Precinct 10\", \"area\": \"north\", \"contests\": [\"mayor\"], \"registered\": 1000},\n"
    "    {\"id\": \"p11\", \"name\": \"Precinct 11\", \"area\": \"north\", \"contests\": [\"mayor\"], \"registered\": 1000},\n"
    "    {\"id\": \"p12\", \"name\": \"Precinct 12\", \"area\": \"south\", \"contests\": [\"mayor\"], \"registered\": 1000}\n"
    "  ]\n"
    "}\n";

/* Station keys. With fx_setup: 0: p1, 1: p2, 2: p3 enrolled, 3: a second
 * key for p1 (made, not enrolled). With fx_setup_areas: key i is enrolled
 * for precinct p(i+1), i < 12; 12..19 are made, not enrolled. */
#define FX_STATIONS 20

typedef struct fx {
    char dir[256];
    char cwd[1024];
    uint8_t csk[PR_SK_BYTES], cpk[PR_PK_BYTES];
    uint8_t sk[FX_STATIONS][PR_SK_BYTES], pk[FX_STATIONS][PR_PK_BYTES];
    uint8_t stranger_sk[PR_SK_BYTES];
    uint8_t def_hash[PR_HASH_BYTES];
    char kid[FX_STATIONS][PR_KEYID_HEX + 1];
    int64_t close;
} fx;

/* A return to build: counts for `mayor` are registered, cast, invalid,
 * against-all; for `gov` the first three. */
typedef struct fx_ret {
    int key;                    /* station index, or -1 for the stranger */
    const char *precinct, *contest;
    uint64_t rev;
    const uint8_t *sup;         /* predecessor hash when rev > 1 */
    uint64_t reg, cast, inv, aa;
    uint64_t v[3];
    int64_t at;                 /* 0: close + 1 hour */
    const char *reason;
} fx_ret;

static inline void fx_write(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static inline char *fx_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return buf;
}

/* Runs argv[0..argc) (argv[argc] NULL) in process: the exit code; *out
 * and *err (each may be NULL) get the captured text (caller frees). */
static inline int fx_run(int argc, char **argv, char **out, char **err)
{
    char *ob = NULL, *eb = NULL;
    size_t ol = 0, el = 0;
    FILE *fo = open_memstream(&ob, &ol), *fe = open_memstream(&eb, &el);
    int code;

    assert_non_null(fo);
    assert_non_null(fe);
    code = ct_main(argc, argv, fo, fe);
    fclose(fo);
    fclose(fe);
    if (out != NULL)
        *out = ob;
    else
        free(ob);
    if (err != NULL)
        *err = eb;
    else
        free(eb);
    return code;
}

/* fx_run of argv (argc < 61 entries) with x1 and, unless NULL, x2
 * appended; *out is the output (free it). */
static inline int fx_run_plus(int argc, char **argv, const char *x1, const char *x2, char **out)
{
    char *av[64];
    int i;

    assert_true(argc < 61);
    for (i = 0; i < argc; i++)
        av[i] = argv[i];
    av[argc++] = (char *)(uintptr_t)x1;
    if (x2 != NULL)
        av[argc++] = (char *)(uintptr_t)x2;
    av[argc] = NULL;
    return fx_run(argc, av, out, NULL);
}

/* DESIGN 8 / issue 8 "Tally cache": every `tally` a test runs is run
 * again with --recount (every sum from the returns' bytes), and must print
 * the same, byte for byte; every `status` is followed by `status
 * --summary`, which must print what `status --summary --recount` prints.
 * So each scenario of these tests (corrections, conflicts, resolutions,
 * excuses, revocations, amendments, certifications) also checks the cache
 * that the commits before it kept. */
static inline void fx_cache_agrees(int argc, char **argv, int code, const char *got)
{
    char *again = NULL, *sum = NULL;
    int i, code2;

    if (argc < 2)
        return;
    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], "--recount") == 0 || strcmp(argv[i], "--summary") == 0 ||
            strcmp(argv[i], "--help") == 0)
            return;
    if (strcmp(argv[1], "tally") == 0) {
        code2 = fx_run_plus(argc, argv, "--recount", NULL, &again);
        assert_int_equal(code2, code);
        if (strcmp(again != NULL ? again : "", got != NULL ? got : "") != 0)
            fail_msg("tally and tally --recount differ:\n%s\n---\n%s", got ? got : "",
                     again ? again : "");
    } else if (strcmp(argv[1], "status") == 0 && code == 0) {
        code = fx_run_plus(argc, argv, "--summary", NULL, &sum);
        code2 = fx_run_plus(argc, argv, "--summary", "--recount", &again);
        assert_int_equal(code2, code);
        if (strcmp(again != NULL ? again : "", sum != NULL ? sum : "") != 0)
            fail_msg("status --summary and --summary --recount differ:\n%s\n---\n%s",
                     sum ? sum : "", again ? again : "");
    }
    free(again);
    free(sum);
}

/* Runs `central ARGS...` (NULL-terminated) in-process; returns the exit
 * code, *out and *err (may be NULL) get the captured text (caller frees). */
static inline int fx_cli(char **out, char **err, ...)
{
    char *argv[64], *ob = NULL;
    va_list ap;
    int argc = 1, code;

    argv[0] = (char *)(uintptr_t) "central";
    va_start(ap, err);
    for (;;) {
        char *a = va_arg(ap, char *);
        if (a == NULL)
            break;
        assert_true(argc < 63);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    code = fx_run(argc, argv, &ob, err);
    fx_cache_agrees(argc, argv, code, ob);
    if (out != NULL)
        *out = ob;
    else
        free(ob);
    return code;
}

static inline void fx_kid(char out[PR_KEYID_HEX + 1], const uint8_t *pk)
{
    uint8_t id[PR_KEYID_BYTES];
    pr_key_id(id, pk);
    pr_hex_encode(out, id, PR_KEYID_BYTES);
}

/* Writes an enrolment request for station i (precincts given) to path. */
static inline void fx_request(fx *f, int i, const char *const *precincts, size_t n, const char *path)
{
    pr_enrolment *e = calloc(1, sizeof *e);
    pr_buf b;
    pr_diag d;
    size_t k;

    assert_non_null(e);
    snprintf(e->election, sizeof e->election, "t-2026");
    memcpy(e->definition, f->def_hash, PR_HASH_BYTES);
    e->n_precincts = n;
    for (k = 0; k < n; k++)
        snprintf(e->precincts[k], sizeof e->precincts[k], "%s", precincts[k]);
    e->created = f->close - 86400;
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_enrolment_sign(e, f->sk[i], &b, &d), 0);
    fx_write(path, b.data, b.len);
    pr_buf_free(&b);
    free(e);
}

/* Builds and signs a return; the file bytes go to out (caller frees with
 * pr_buf_free). */
static inline void fx_make(fx *f, const fx_ret *s, pr_buf *out)
{
    pr_return *r = calloc(1, sizeof *r);
    static const char *mayor[3] = {"alice", "bob", "carol"}, *gov[3] = {"dan", "eve", "fay"};
    int is_mayor = strcmp(s->contest, "gov") != 0;
    pr_diag d;
    size_t k;

    assert_non_null(r);
    snprintf(r->election, sizeof r->election, "t-2026");
    memcpy(r->definition, f->def_hash, PR_HASH_BYTES);
    r->mode = PR_MODE_LIVE;
    snprintf(r->contest, sizeof r->contest, "%s", s->contest);
    snprintf(r->precinct, sizeof r->precinct, "%s", s->precinct);
    r->revision = s->rev ? s->rev : 1;
    if (r->revision > 1) {
        assert_non_null(s->sup);
        memcpy(r->supersedes, s->sup, PR_HASH_BYTES);
        snprintf(r->reason, sizeof r->reason, "%s", s->reason ? s->reason : "Recount");
    }
    r->n_counts = is_mayor ? 4 : 3;
    snprintf(r->counts[0].id, sizeof r->counts[0].id, "registered");
    r->counts[0].value = s->reg;
    snprintf(r->counts[1].id, sizeof r->counts[1].id, "ballots-cast");
    r->counts[1].value = s->cast;
    snprintf(r->counts[2].id, sizeof r->counts[2].id, "invalid");
    r->counts[2].value = s->inv;
    if (is_mayor) {
        snprintf(r->counts[3].id, sizeof r->counts[3].id, "against-all");
        r->counts[3].value = s->aa;
    }
    r->n_votes = 3;
    for (k = 0; k < 3; k++) {
        snprintf(r->votes[k].id, sizeof r->votes[k].id, "%s", is_mayor ? mayor[k] : gov[k]);
        r->votes[k].value = s->v[k];
    }
    r->signed_at = s->at ? s->at : f->close + 3600;
    pr_buf_init(out, PR_FILE_MAX);
    assert_int_equal(pr_return_sign(r, s->key < 0 ? f->stranger_sk : f->sk[s->key], out, &d), 0);
    free(r);
}

/* Builds a return and writes it to name in the fixture folder; its hash
 * goes to hash (may be NULL). */
static inline void fx_make_file(fx *f, const fx_ret *s, const char *name, uint8_t *hash)
{
    pr_buf b;
    fx_make(f, s, &b);
    fx_write(name, b.data, b.len);
    if (hash != NULL)
        pr_hash(hash, b.data, b.len);
    pr_buf_free(&b);
}

/* A good mayor return of p1 by station 0: 600 cast, 10 invalid, 40
 * against all, alice 300, bob 200, carol 50. */
static inline fx_ret fx_good(const char *precinct, int key)
{
    fx_ret s;
    memset(&s, 0, sizeof s);
    s.key = key;
    s.precinct = precinct;
    s.contest = "mayor";
    s.rev = 1;
    s.reg = strcmp(precinct, "p2") == 0 ? 800 : 1000;
    s.cast = 600;
    s.inv = 10;
    s.aa = 40;
    s.v[0] = 300;
    s.v[1] = 200;
    s.v[2] = 50;
    return s;
}

/* Imports one path; returns the exit code; *line gets stdout. */
static inline int fx_import(const char *path, char **line)
{
    return fx_cli(line, NULL, "import", "--db", "c.db", path, NULL);
}

/* Runs one SQL query returning one integer. */
static inline long long fx_sql_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v;
    assert_int_equal(sqlite3_open_v2("c.db", &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Removes a tree (no nftw: it is XSI, not POSIX 2008). */
static inline void fx_rm(const char *path)
{
    struct stat sb;
    DIR *d;
    struct dirent *de;
    char sub[2048];
    int k;

    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        d = opendir(path);
        if (d != NULL) {
            while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                    continue;
                k = snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
                if (k > 0 && (size_t)k < sizeof sub)
                    fx_rm(sub);
            }
            closedir(d);
        }
        (void)rmdir(path);
    } else {
        (void)unlink(path);
    }
}

/* The setup shared by fx_setup and fx_setup_areas: folder (under base),
 * keys, the signed definition def, a database, and stations 0..n_enrol-1
 * enrolled for p1..p(n_enrol) (requests st<i>.req in the folder). */
static inline int fx_setup_def(void **state, const char *base, const char *def, int n_enrol)
{
    fx *f = calloc(1, sizeof *f);
    pr_buf b;
    char *out = NULL, *argv[FX_STATIONS + 8];
    char paths[FX_STATIONS][32];
    int i, argc = 0;
    size_t deflen = strlen(def);

    assert_non_null(f);
    assert_int_equal(pr_init(), 0);
    assert_non_null(getcwd(f->cwd, sizeof f->cwd));
    snprintf(f->dir, sizeof f->dir, "%s/central-test.XXXXXX", base);
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(chdir(f->dir), 0);
    assert_int_equal(pr_parse_time("2026-03-15T17:00:00Z", 20, &f->close), 0);
    crypto_sign_keypair(f->cpk, f->csk);
    for (i = 0; i < FX_STATIONS; i++) {
        crypto_sign_keypair(f->pk[i], f->sk[i]);
        fx_kid(f->kid[i], f->pk[i]);
    }
    {
        uint8_t spk[PR_PK_BYTES];
        crypto_sign_keypair(spk, f->stranger_sk);
    }
    fx_write("def.json", def, deflen);
    pr_hash(f->def_hash, (const uint8_t *)def, deflen);
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_defsig_sign(f->def_hash, f->csk, &b), 0);
    fx_write("def.json.sig", b.data, b.len);
    pr_buf_free(&b);
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_pubkey_encode(PR_KEY_COMMISSION, f->cpk, &b), 0);
    fx_write("commission.pub", b.data, b.len);
    pr_buf_free(&b);
    assert_int_equal(fx_cli(&out, NULL, "init", "--db", "c.db", "--definition", "def.json",
                            "--commission-pub", "commission.pub", NULL),
                     0);
    free(out);
    argv[argc++] = (char *)(uintptr_t) "central";
    argv[argc++] = (char *)(uintptr_t) "enroll";
    argv[argc++] = (char *)(uintptr_t) "--db";
    argv[argc++] = (char *)(uintptr_t) "c.db";
    for (i = 0; i < n_enrol && i < FX_STATIONS; i++) {
        char pc[16];
        const char *one = pc;
        snprintf(pc, sizeof pc, "p%d", i + 1);
        snprintf(paths[i], sizeof paths[i], "st%d.req", i);
        fx_request(f, i, &one, 1, paths[i]);
        argv[argc++] = paths[i];
    }
    argv[argc] = NULL;
    {
        FILE *fo;
        size_t ol = 0;
        fo = open_memstream(&out, &ol);
        assert_non_null(fo);
        assert_int_equal(ct_main(argc, argv, fo, stderr), 0);
        fclose(fo);
        free(out);
    }
    *state = f;
    return 0;
}

/* cmocka setup: folder, keys, signed definition, database, three station
 * keys enrolled for p1, p2, p3 (the fourth key is made, not enrolled). */
static inline int fx_setup(void **state)
{
    return fx_setup_def(state, "/tmp", fx_definition, 3);
}

/* The same with fx_definition_areas and twelve stations enrolled. */
static inline int fx_setup_areas(void **state)
{
    return fx_setup_def(state, "/tmp", fx_definition_areas, 12);
}

static inline int fx_teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(chdir(f->cwd), 0);
    fx_rm(f->dir);
    free(f);
    return 0;
}

/* The status of (precinct, contest) from `central status --json`, and
 * its head's revision (0 when none). Returns a static string. */
static inline const char *fx_status(const char *precinct, const char *contest, long long *revision)
{
    static char st[32];
    char *out = NULL;
    json_t *j, *rows, *row;
    json_error_t je;
    size_t i;

    st[0] = '\0';
    if (revision != NULL)
        *revision = 0;
    assert_int_equal(fx_cli(&out, NULL, "status", "--db", "c.db", "--json", NULL), 0);
    j = json_loads(out, 0, &je);
    assert_non_null(j);
    rows = json_object_get(j, "precincts");
    json_array_foreach(rows, i, row) {
        if (strcmp(json_string_value(json_object_get(row, "precinct")), precinct) == 0 &&
            strcmp(json_string_value(json_object_get(row, "contest")), contest) == 0) {
            snprintf(st, sizeof st, "%s", json_string_value(json_object_get(row, "status")));
            if (revision != NULL && json_object_get(row, "revision") != NULL)
                *revision = json_integer_value(json_object_get(row, "revision"));
        }
    }
    json_decref(j);
    free(out);
    return st;
}

/* Asserts that text has a line equal to want. */
static inline void fx_has_line(const char *text, const char *want)
{
    const char *p = text;
    size_t n = strlen(want);

    for (;;) {
        if (strncmp(p, want, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
            return;
        p = strchr(p, '\n');
        if (p == NULL)
            break;
        p++;
    }
    print_error("no line '%s' in:\n%s\n", want, text);
    fail();
}

#endif
