/*
 * gx.h: a fixture for central tests that need their own definition (an
 * area tree, the presets, several contests): a temporary folder, a signed
 * definition, a live database with one enrolled key per precinct, and
 * signed returns built from (line, count) and (candidate, votes) lists.
 * Builds on fixture.h's helpers (fx_cli, fx_write, fx_rm).
 */
#ifndef TESTS_CENTRAL_GX_H
#define TESTS_CENTRAL_GX_H

#include "fixture.h"

#define GX_KEYS_MAX 64

typedef struct gx {
    char dir[256];
    char cwd[1024];
    char election[PR_ID_MAX + 1];
    uint8_t def_hash[PR_HASH_BYTES];
    size_t n_keys;
    char precinct[GX_KEYS_MAX][PR_ID_MAX + 1];      /* key i is enrolled for it */
    uint8_t sk[GX_KEYS_MAX][PR_SK_BYTES];
    int64_t close;
} gx;

/* Sets up the folder, the signed definition (text), the database and one
 * key per precinct named in the NULL-terminated list. close is the close
 * of polls the returns are signed one hour after. */
static inline gx *gx_setup(const char *election, const char *text, const char *close,
                           const char *const *precincts)
{
    gx *g = calloc(1, sizeof *g);
    uint8_t cpk[PR_PK_BYTES], csk[PR_SK_BYTES], pk[PR_PK_BYTES];
    pr_buf b;
    char *out = NULL, path[64];
    char *argv[GX_KEYS_MAX + 8];
    FILE *fo;
    size_t i, len = 0;
    int argc = 0;

    assert_non_null(g);
    assert_int_equal(pr_init(), 0);
    snprintf(g->election, sizeof g->election, "%s", election);
    assert_non_null(getcwd(g->cwd, sizeof g->cwd));
    snprintf(g->dir, sizeof g->dir, "/tmp/central-gx.XXXXXX");
    assert_non_null(mkdtemp(g->dir));
    assert_int_equal(chdir(g->dir), 0);
    assert_int_equal(pr_parse_time(close, strlen(close), &g->close), 0);
    crypto_sign_keypair(cpk, csk);
    fx_write("def.json", text, strlen(text));
    pr_hash(g->def_hash, (const uint8_t *)text, strlen(text));
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_defsig_sign(g->def_hash, csk, &b), 0);
    fx_write("def.json.sig", b.data, b.len);
    pr_buf_free(&b);
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_pubkey_encode(PR_KEY_COMMISSION, cpk, &b), 0);
    fx_write("commission.pub", b.data, b.len);
    pr_buf_free(&b);
    if (fx_cli(&out, NULL, "init", "--db", "c.db", "--definition", "def.json", "--commission-pub",
               "commission.pub", NULL) != 0)
        fail_msg("init: %s", out);
    free(out);
    argv[argc++] = (char *)(uintptr_t) "central";
    argv[argc++] = (char *)(uintptr_t) "enroll";
    argv[argc++] = (char *)(uintptr_t) "--db";
    argv[argc++] = (char *)(uintptr_t) "c.db";
    for (i = 0; precincts[i] != NULL; i++) {
        pr_enrolment *e = calloc(1, sizeof *e);
        pr_diag d;

        assert_true(i < GX_KEYS_MAX);
        assert_non_null(e);
        snprintf(g->precinct[i], sizeof g->precinct[i], "%s", precincts[i]);
        crypto_sign_keypair(pk, g->sk[i]);
        snprintf(e->election, sizeof e->election, "%s", election);
        memcpy(e->definition, g->def_hash, PR_HASH_BYTES);
        e->n_precincts = 1;
        snprintf(e->precincts[0], sizeof e->precincts[0], "%s", precincts[i]);
        e->created = g->close - 86400;
        pr_buf_init(&b, PR_FILE_MAX);
        assert_int_equal(pr_enrolment_sign(e, g->sk[i], &b, &d), 0);
        snprintf(path, sizeof path, "k%zu.req", i);
        fx_write(path, b.data, b.len);
        pr_buf_free(&b);
        free(e);
        argv[argc++] = strdup(path);
    }
    g->n_keys = i;
    argv[argc] = NULL;
    fo = open_memstream(&out, &len);
    assert_non_null(fo);
    if (ct_main(argc, argv, fo, fo) != 0) {
        fclose(fo);
        fail_msg("enroll: %s", out);
    }
    fclose(fo);
    free(out);
    for (i = 4; i < (size_t)argc; i++)
        free(argv[i]);
    return g;
}

static inline void gx_teardown(gx *g)
{
    assert_int_equal(chdir(g->cwd), 0);
    fx_rm(g->dir);
    free(g);
}

/* The key enrolled for a precinct (its index), or fails. */
static inline size_t gx_key(const gx *g, const char *precinct)
{
    size_t i;

    for (i = 0; i < g->n_keys; i++)
        if (strcmp(g->precinct[i], precinct) == 0)
            return i;
    fail_msg("no key for %s", precinct);
    return 0;
}

/* Writes a signed return to `name`: counts "id=value" in protocol order and
 * votes "id=value" in candidate order (NULL-terminated lists), signed by
 * key (an index) one hour after the close. */
static inline void gx_return(const gx *g, size_t key, const char *name, const char *precinct,
                             const char *contest, const char *const *counts,
                             const char *const *votes)
{
    pr_return *r = calloc(1, sizeof *r);
    pr_buf b;
    pr_diag d;
    size_t i;

    assert_non_null(r);
    snprintf(r->election, sizeof r->election, "%s", g->election);
    memcpy(r->definition, g->def_hash, PR_HASH_BYTES);
    r->mode = PR_MODE_LIVE;
    snprintf(r->contest, sizeof r->contest, "%s", contest);
    snprintf(r->precinct, sizeof r->precinct, "%s", precinct);
    r->revision = 1;
    for (i = 0; counts[i] != NULL; i++) {
        const char *eq = strchr(counts[i], '=');
        assert_non_null(eq);
        snprintf(r->counts[i].id, sizeof r->counts[i].id, "%.*s", (int)(eq - counts[i]), counts[i]);
        r->counts[i].value = strtoull(eq + 1, NULL, 10);
    }
    r->n_counts = i;
    for (i = 0; votes[i] != NULL; i++) {
        const char *eq = strchr(votes[i], '=');
        assert_non_null(eq);
        snprintf(r->votes[i].id, sizeof r->votes[i].id, "%.*s", (int)(eq - votes[i]), votes[i]);
        r->votes[i].value = strtoull(eq + 1, NULL, 10);
    }
    r->n_votes = i;
    r->signed_at = g->close + 3600;
    pr_buf_init(&b, PR_FILE_MAX);
    if (pr_return_sign(r, g->sk[key], &b, &d) != 0)
        fail_msg("sign: %s", d.msg);
    fx_write(name, b.data, b.len);
    pr_buf_free(&b);
    free(r);
}

/* Imports one file; returns the exit code and the output line (static,
 * without its LF). */
static inline const char *gx_import(const char *name, int *code)
{
    static char line[1024];
    char *out = NULL;
    size_t n;

    *code = fx_cli(&out, NULL, "import", "--db", "c.db", name, NULL);
    snprintf(line, sizeof line, "%s", out ? out : "");
    n = strcspn(line, "\n");
    line[n] = '\0';
    free(out);
    return line;
}

/* Asserts the import line of `name` is exactly "<verdict> <name>[ <codes>]". */
static inline void gx_expect(const char *name, const char *verdict, const char *codes)
{
    char want[1024];
    int code;
    const char *got = gx_import(name, &code);

    snprintf(want, sizeof want, "%s %s%s%s", verdict, name, codes ? " " : "", codes ? codes : "");
    if (strcmp(got, want) != 0)
        fail_msg("import %s: got '%s', want '%s'", name, got, want);
}

/* `central tally --format json [--contest C] [--by area]`, parsed. */
static inline json_t *gx_tally(const char *contest, int by_area)
{
    char *out = NULL;
    json_t *j;
    json_error_t je;
    int code;

    if (contest != NULL && by_area)
        code = fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", "--contest", contest,
                      "--by", "area", NULL);
    else if (contest != NULL)
        code = fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", "--contest", contest,
                      NULL);
    else
        code = fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", NULL);
    assert_int_equal(code, 0);
    j = json_loads(out, 0, &je);
    if (j == NULL)
        fail_msg("tally JSON: %s", je.text);
    free(out);
    return j;
}

/* The contest object `id` of a tally. */
static inline json_t *gx_contest(json_t *tally, const char *id)
{
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(tally, "contests"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
            return c;
    }
    fail_msg("no contest %s", id);
    return NULL;
}

/* The candidate object `id` of a tally contest. */
static inline json_t *gx_candidate(json_t *contest, const char *id)
{
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(contest, "candidates"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
            return c;
    }
    fail_msg("no candidate %s", id);
    return NULL;
}

#define GX_LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

#endif
