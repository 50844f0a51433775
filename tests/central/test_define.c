/*
 * test_define.c: `central define --from-csv` (issue 9): the demo's definition
 * rebuilt byte for byte from its CSV files, deterministic NFC output, and
 * each kind of bad spreadsheet refused with its exact message, writing nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"

#define PROTOCOLS PR_SOURCE_DIR "/tests/data/define-protocols.json"
#define DEMO PR_SOURCE_DIR "/examples/kz-2021-akim-by"

/* A valid small election: two contests (one party-list), areas listed
 * child first, a decomposed "Á" to be normalised, tolerances. */
static const char *const base_files[][2] = {
    {"election.csv", "id,name,date\nt-2026,Test election,2026-03-15\n"},
    {"parties.csv", "id,name,abbreviation,colour\nred,Red Party,R,cc0000\nblue,Blue Party,B,\n"},
    {"areas.csv", "id,name,parent,close\nnorth,North,land,\nland,Land,,2026-03-15T17:00:00Z\n"
                  "south,South,land,\n"},
    {"contests.csv",
     "id,name,area,protocol,against_all,votes_allowed,seats,outcome,method,threshold_bp\n"
     "mayor,Mayor,land,aa,true,,,plurality,,\n"
     "council,Council,north,plain,false,,3,party-list,dhondt,500\n"},
    {"candidates.csv", "contest,id,name,party,withdrawn\nmayor,alice,A\xcc\x81lice,red,\n"
                       "mayor,bob,Bob,blue,TRUE\ncouncil,red-list,Red list,red,\n"
                       "council,blue-list,Blue list,blue,false\n"},
    {"precincts.csv", "id,name,area,contests,registered,close\n"
                      "p1,One,north,mayor; council,1000,\n"
                      "p2,Two,south,mayor,null,2026-03-15T18:00:00Z\n"},
    {"tolerances.csv", "key,value\nhold_corrections,true\nturnout_high_bp,9500\n"},
};

typedef struct tdir {
    char dir[128];   /* the CSV folder */
    char out[160];   /* where DEF goes: beside it, in its parent */
    char parent[64];
} tdir;

static void put_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    tdir *t = calloc(1, sizeof *t);
    size_t i;

    assert_non_null(t);
    snprintf(t->parent, sizeof t->parent, "/tmp/pr-define-XXXXXX");
    assert_non_null(mkdtemp(t->parent));
    snprintf(t->dir, sizeof t->dir, "%s/csv", t->parent);
    snprintf(t->out, sizeof t->out, "%s/def.json", t->parent);
    assert_int_equal(mkdir(t->dir, 0700), 0);
    for (i = 0; i < sizeof base_files / sizeof base_files[0]; i++)
        put_file(t->dir, base_files[i][0], base_files[i][1], strlen(base_files[i][1]));
    *state = t;
    return 0;
}

static void empty_dir(const char *dir)
{
    char path[512];
    struct dirent *e;
    DIR *d = opendir(dir);

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, "csv") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        (void)unlink(path);
    }
    closedir(d);
}

static int teardown(void **state)
{
    tdir *t = *state;

    empty_dir(t->dir);
    (void)rmdir(t->dir);
    empty_dir(t->parent);
    (void)rmdir(t->parent);
    free(t);
    return 0;
}

/* Runs `central ARGS...` in-process; returns its exit code; *out and *err
 * get the captured text (caller frees). */
static int run(char **out, char **err, ...)
{
    char *argv[16], *ob = NULL, *eb = NULL;
    size_t ol = 0, el = 0;
    FILE *fo, *fe;
    va_list ap;
    int argc = 1, code;

    argv[0] = (char *)(uintptr_t) "central";
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) != NULL;) {
        assert_true(argc < 15);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    fo = open_memstream(&ob, &ol);
    fe = open_memstream(&eb, &el);
    assert_non_null(fo);
    assert_non_null(fe);
    code = ct_main(argc, argv, fo, fe);
    fclose(fo);
    fclose(fe);
    *out = ob;
    *err = eb;
    return code;
}

/* `central define` on t with the test preset. */
static int define(const tdir *t, char **out, char **err)
{
    return run(out, err, "define", "--from-csv", t->dir, "--protocols", PROTOCOLS, "--out", t->out,
               (char *)NULL);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
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

/* Only the CSV folder and nothing else (no DEF, no temporary file) is left
 * beside DEF. */
static void assert_nothing_written(const tdir *t)
{
    struct dirent *e;
    DIR *d = opendir(t->parent);
    int others = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strcmp(e->d_name, "csv") != 0)
            others++;
    closedir(d);
    assert_int_equal(others, 0);
}

/* Replaces one CSV file, runs define, and requires exit 1, the exact
 * first error line (`central: DIR/` then want) and nothing written. */
static void expect_refusal(void **state, const char *file, const char *text, size_t len,
                           const char *want_tail)
{
    tdir *t = *state;
    char *out = NULL, *err = NULL, want[1024], *nl;

    put_file(t->dir, file, text, len);
    assert_int_equal(define(t, &out, &err), 1);
    assert_string_equal(out, "");
    snprintf(want, sizeof want, "central: %s/%s", t->dir, want_tail);
    nl = strchr(err, '\n');
    assert_non_null(nl);
    *nl = '\0';
    assert_string_equal(err, want);
    /* and the last line says nothing was written */
    assert_non_null(strstr(nl + 1, "def.json: not written ("));
    assert_nothing_written(t);
    free(out);
    free(err);
}

static void test_define_demo_byte_identical(void **state)
{
    tdir *t = *state;
    char *out = NULL, *err = NULL, *got, *want, line[80];
    size_t gl = 0, wl = 0;

    assert_int_equal(run(&out, &err, "define", "--from-csv", DEMO "/csv", "--out", t->out,
                         (char *)NULL),
                     0);
    assert_string_equal(err, "");
    got = slurp(t->out, &gl);
    want = slurp(DEMO "/definition.json", &wl);
    assert_non_null(got);
    assert_non_null(want);
    assert_int_equal(gl, wl);
    assert_memory_equal(got, want, wl);
    /* it prints the definition hash, as sign-definition and init do */
    snprintf(line, sizeof line, "%.64s\n", out);
    assert_int_equal(strlen(out), 65);
    assert_string_equal(out, line);
    free(got);
    free(want);
    free(out);
    free(err);
}

static void test_define_deterministic_nfc(void **state)
{
    tdir *t = *state;
    char *out1 = NULL, *err1 = NULL, *out2 = NULL, *err2 = NULL, *a, *b;
    size_t al = 0, bl = 0;

    assert_int_equal(define(t, &out1, &err1), 0);
    assert_string_equal(err1, "");
    a = slurp(t->out, &al);
    assert_int_equal(unlink(t->out), 0);
    assert_int_equal(define(t, &out2, &err2), 0);
    b = slurp(t->out, &bl);
    assert_string_equal(out1, out2);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, al);
    /* decomposed A + U+0301 became the one code point U+00C1 */
    assert_non_null(strstr(a, "\"name\": \"\xc3\x81lice\""));
    assert_null(strstr(a, "\xcc\x81"));
    /* fixed key order, unused protocol left out, a final newline */
    assert_non_null(strstr(a, "\"id\": \"invalid-over-half\",\n          \"check\": "));
    assert_null(strstr(a, "\"unused\""));
    assert_non_null(strstr(a, "\"tolerances\": {\n    \"turnout_high_bp\": 9500,\n"
                              "    \"hold_corrections\": true\n  }\n}\n"));
    assert_int_equal(a[al - 1], '\n');
    free(a);
    free(b);
    free(out1);
    free(err1);
    free(out2);
    free(err2);
}

static void test_define_refuses_overwrite(void **state)
{
    tdir *t = *state;
    char *out = NULL, *err = NULL, want[256], *keep;

    put_file(t->parent, "def.json", "keep\n", 5);
    assert_int_equal(define(t, &out, &err), 3);
    snprintf(want, sizeof want,
             "central: %s: already exists (refusing to overwrite a definition)\n", t->out);
    assert_string_equal(err, want);
    keep = slurp(t->out, NULL);
    assert_string_equal(keep, "keep\n");
    free(keep);
    free(out);
    free(err);
}

static void test_define_usage_and_unreadable(void **state)
{
    tdir *t = *state;
    char *out = NULL, *err = NULL, path[256], want[512];

    assert_int_equal(run(&out, &err, "define", "--from-csv", t->dir, (char *)NULL), 2);
    assert_string_equal(
        err, "central: define: --from-csv DIR and --out DEF are required\n"
             "usage: central define --from-csv DIR [--protocols FILE]... --out DEF\n");
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/contests.csv", t->dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(define(t, &out, &err), 3);
    snprintf(want, sizeof want, "central: %s: ", path);
    assert_memory_equal(err, want, strlen(want));
    assert_nothing_written(t);
    free(out);
    free(err);
}

/* Must show: each bad-input kind of issue 9, with its exact message. */

static void test_define_candidate_unknown_contest(void **state)
{
    static const char csv[] = "contest,id,name,party,withdrawn\nmayor,alice,Alice,red,\n"
                              "mayor,bob,Bob,blue,\ncouncil,red-list,Red list,red,\n"
                              "counsil,blue-list,Blue list,blue,\n";
    expect_refusal(state, "candidates.csv", csv, sizeof csv - 1,
                   "candidates.csv: row 5, column A (contest): unknown contest "
                   "\"counsil\" (not in contests.csv)");
}

static void test_define_precinct_unknown_area(void **state)
{
    static const char csv[] = "id,name,area,contests,registered,close\n"
                              "p1,One,north,mayor;council,1000,\np2,Two,west,mayor,800,\n";
    expect_refusal(state, "precincts.csv", csv, sizeof csv - 1,
                   "precincts.csv: row 3, column C (area): unknown area \"west\" "
                   "(not in areas.csv)");
}

static void test_define_duplicate_id(void **state)
{
    static const char csv[] = "id,name,area,contests,registered,close\n"
                              "p1,One,north,mayor;council,1000,\np2,Two,south,mayor,800,\n"
                              "p1,Again,south,mayor,10,\n";
    expect_refusal(state, "precincts.csv", csv, sizeof csv - 1,
                   "precincts.csv: row 4, column A (id): duplicate precinct id "
                   "\"p1\" (first in row 2)");
}

static void test_define_registered_thousands_separator(void **state)
{
    static const char csv[] = "id,name,area,contests,registered,close\n"
                              "p1,One,north,mayor;council,\"1,346\",\n";
    expect_refusal(state, "precincts.csv", csv, sizeof csv - 1,
                   "precincts.csv: row 2, column E (registered): not a plain integer: "
                   "\"1,346\" (digits only: no sign, separators, decimals or leading zeros)");
}

static void test_define_registered_decimal(void **state)
{
    static const char csv[] = "id,name,area,contests,registered,close\n"
                              "p1,One,north,mayor;council,2.172,\n";
    expect_refusal(state, "precincts.csv", csv, sizeof csv - 1,
                   "precincts.csv: row 2, column E (registered): not a plain integer: "
                   "\"2.172\" (digits only: no sign, separators, decimals or leading zeros)");
}

static void test_define_registered_blank(void **state)
{
    static const char csv[] = "id,name,area,contests,registered,close\n"
                              "p1,One,north,mayor;council,,\n";
    expect_refusal(state, "precincts.csv", csv, sizeof csv - 1,
                   "precincts.csv: row 2, column E (registered): empty (write the "
                   "roll's count, or null when it is unknown)");
}

static void test_define_latin1_export(void **state)
{
    /* "Álmaty" saved as Latin-1: 0xC1 then a plain ASCII letter */
    static const char csv[] = "id,name,parent,close\nland,Land,,2026-03-15T17:00:00Z\n"
                              "north,\xc1lmaty,land,\nsouth,South,land,\n";
    expect_refusal(state, "areas.csv", csv, sizeof csv - 1,
                   "areas.csv: row 3, column B (name): not valid UTF-8 at byte 1 "
                   "(0xc1): a Latin-1 or Windows-1252 export? Save the sheet as CSV UTF-8");
}

static void test_define_area_cycle(void **state)
{
    static const char csv[] = "id,name,parent,close\nland,Land,,2026-03-15T17:00:00Z\n"
                              "north,North,south,\nsouth,South,east,\neast,East,north,\n";
    expect_refusal(state, "areas.csv", csv, sizeof csv - 1,
                   "areas.csv: row 3, column C (parent): the area tree has a cycle: "
                   "north -> south -> east -> north");
}

/* Beyond the Must-show list: the other guards. */

static void test_define_area_own_parent(void **state)
{
    static const char csv[] = "id,name,parent,close\nland,Land,,2026-03-15T17:00:00Z\n"
                              "north,North,north,\nsouth,South,land,\n";
    expect_refusal(state, "areas.csv", csv, sizeof csv - 1,
                   "areas.csv: row 3, column C (parent): the area tree has a cycle: "
                   "north -> north");
}

static void test_define_unknown_column(void **state)
{
    static const char csv[] = "id,name,parent,closes\nland,Land,,2026-03-15T17:00:00Z\n";
    expect_refusal(state, "areas.csv", csv, sizeof csv - 1,
                   "areas.csv: row 1, column D: unknown column \"closes\" (the "
                   "columns are: id, name, parent, close)");
}

static void test_define_against_all_mismatch(void **state)
{
    static const char csv[] =
        "id,name,area,protocol,against_all,votes_allowed,seats,outcome,method,threshold_bp\n"
        "mayor,Mayor,land,aa,false,,,plurality,,\n"
        "council,Council,north,plain,false,,3,party-list,dhondt,500\n";
    expect_refusal(state, "contests.csv", csv, sizeof csv - 1,
                   "contests.csv: row 2, column E (against_all): false, but protocol "
                   "\"aa\" has an against-all line");
}

static void test_define_semicolon_export(void **state)
{
    static const char csv[] = "id;name;date\nt-2026;Test election;2026-03-15\n";
    expect_refusal(state, "election.csv", csv, sizeof csv - 1,
                   "election.csv: row 1: the header has no comma (a "
                   "semicolon-separated export? Save the sheet as comma-separated CSV)");
}

static void test_define_trailing_empty_column(void **state)
{
    tdir *t = *state;
    char *out1 = NULL, *err1 = NULL, *out2 = NULL, *err2 = NULL;
    static const char csv[] = "id,name,parent,close,\nnorth,North,land,,\n"
                              "land,Land,,2026-03-15T17:00:00Z,\nsouth,South,land,,\n";

    /* a spreadsheet's empty trailing column changes nothing */
    assert_int_equal(define(t, &out1, &err1), 0);
    assert_int_equal(unlink(t->out), 0);
    put_file(t->dir, "areas.csv", csv, sizeof csv - 1);
    assert_int_equal(define(t, &out2, &err2), 0);
    assert_string_equal(err2, "");
    assert_string_equal(out1, out2);
    free(out1);
    free(err1);
    free(out2);
    free(err2);
}

static void test_define_value_in_unnamed_column(void **state)
{
    static const char csv[] = "id,name,parent,close,\nnorth,North,land,,\n"
                              "land,Land,,2026-03-15T17:00:00Z,x\nsouth,South,land,,\n";
    expect_refusal(state, "areas.csv", csv, sizeof csv - 1,
                   "areas.csv: row 3, column E: a value in a column with no name in the header");
}

static void test_define_protocol_check_mapped(void **state)
{
    tdir *t = *state;
    char *out = NULL, *err = NULL, path[256], want[512], *nl;
    static const char proto[] =
        "{\"id\": \"aa\", \"lines\": [{\"id\": \"registered\", \"name\": \"R\"},\n"
        " {\"id\": \"ballots-cast\", \"name\": \"B\"},\n"
        " {\"id\": \"against-all\", \"name\": \"A\"}],\n"
        " \"rules\": []}\n";
    static const char contests[] =
        "id,name,area,protocol,against_all,outcome\nmayor,Mayor,land,aa,true,plurality\n";
    static const char cands[] = "contest,id,name\nmayor,alice,Alice\n";
    static const char precincts[] = "id,name,area,contests,registered\np1,One,north,mayor,5\n";

    /* a protocol without `invalid`: found by the definition check, named
     * in the protocol file (a single object, as the presets are written) */
    put_file(t->dir, "protocols.json", proto, sizeof proto - 1);
    put_file(t->dir, "contests.csv", contests, sizeof contests - 1);
    put_file(t->dir, "candidates.csv", cands, sizeof cands - 1);
    put_file(t->dir, "precincts.csv", precincts, sizeof precincts - 1);
    assert_int_equal(run(&out, &err, "define", "--from-csv", t->dir, "--out", t->out,
                         (char *)NULL),
                     1);
    snprintf(path, sizeof path, "%s/protocols.json", t->dir);
    snprintf(want, sizeof want, "central: %s: $", path);
    nl = strchr(err, '\n');
    assert_non_null(nl);
    assert_memory_equal(err, want, strlen(want));
    assert_non_null(strstr(err, "invalid"));
    assert_nothing_written(t);
    free(out);
    free(err);
}

static void test_define_with_shipped_preset(void **state)
{
    tdir *t = *state;
    char *out = NULL, *err = NULL;
    static const char contests[] =
        "id,name,area,protocol,against_all,outcome\nmayor,Mayor,land,seed-minimal,true,plurality\n";
    static const char cands[] = "contest,id,name\nmayor,alice,Alice\n";
    static const char precincts[] = "id,name,area,contests,registered\np1,One,north,mayor,5\n";
    struct stat sb;

    if (stat(PR_SOURCE_DIR "/examples/presets/seed-minimal.json", &sb) != 0)
        skip();
    put_file(t->dir, "contests.csv", contests, sizeof contests - 1);
    put_file(t->dir, "candidates.csv", cands, sizeof cands - 1);
    put_file(t->dir, "precincts.csv", precincts, sizeof precincts - 1);
    assert_int_equal(run(&out, &err, "define", "--from-csv", t->dir, "--protocols",
                         PR_SOURCE_DIR "/examples/presets/seed-minimal.json", "--out", t->out,
                         (char *)NULL),
                     0);
    assert_string_equal(err, "");
    free(out);
    free(err);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_define_demo_byte_identical),
        T(test_define_deterministic_nfc),
        T(test_define_refuses_overwrite),
        T(test_define_usage_and_unreadable),
        T(test_define_candidate_unknown_contest),
        T(test_define_precinct_unknown_area),
        T(test_define_duplicate_id),
        T(test_define_registered_thousands_separator),
        T(test_define_registered_decimal),
        T(test_define_registered_blank),
        T(test_define_latin1_export),
        T(test_define_area_cycle),
        T(test_define_area_own_parent),
        T(test_define_unknown_column),
        T(test_define_against_all_mismatch),
        T(test_define_semicolon_export),
        T(test_define_trailing_empty_column),
        T(test_define_value_in_unnamed_column),
        T(test_define_protocol_check_mapped),
        T(test_define_with_shipped_preset),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
