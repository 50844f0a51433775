/*
 * test_definition.c: the election definition reader (DESIGN 6,
 * docs/DEFINITION.md): what it accepts, each refusal with the JSON path it
 * names, close-of-polls inheritance, rule compilation and O(log n) lookups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/definition.h"
#include "proto/codec.h"

#define NONE ((size_t)-1)

/* A small but complete definition: areas listed child-first, both
 * protocol kinds (with and without against-all), derived lines, rules of
 * every severity, a party-list contest. Tests mutate one piece of it. */
static const char BASE[] =
    "{\n"
    " \"format\": \"election-definition/1\",\n"
    " \"id\": \"kz-2024\",\n"
    " \"name\": \"Test election\",\n"
    " \"date\": \"2024-03-17\",\n"
    " \"parties\": [\n"
    "  {\"id\": \"amanat\", \"name\": \"Amanat\", \"abbreviation\": \"AM\", \"colour\": \"1a2B3c\"},\n"
    "  {\"id\": \"ak-zhol\", \"name\": \"Ak Zhol\", \"abbreviation\": \"AZ\", \"colour\": null}\n"
    " ],\n"
    " \"areas\": [\n"
    "  {\"id\": \"almaty\", \"name\": \"Almaty\", \"parent\": \"kz\", \"close\": null},\n"
    "  {\"id\": \"aktau\", \"name\": \"Aktau\", \"parent\": \"west\", \"close\": null},\n"
    "  {\"id\": \"kz\", \"name\": \"Kazakhstan\", \"parent\": null, \"close\": \"2024-03-17T15:00:00Z\"},\n"
    "  {\"id\": \"west\", \"name\": \"West\", \"parent\": \"kz\", \"close\": \"2024-03-17T17:00:00Z\"}\n"
    " ],\n"
    " \"protocols\": [\n"
    "  {\"id\": \"minimal\", \"lines\": [\n"
    "    {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
    "    {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\"},\n"
    "    {\"id\": \"invalid\", \"name\": \"Invalid ballots\"},\n"
    "    {\"id\": \"against-all\", \"name\": \"Against all\"}\n"
    "   ], \"rules\": []},\n"
    "  {\"id\": \"paper\", \"lines\": [\n"
    "    {\"id\": \"registered\", \"name\": \"Voters\"},\n"
    "    {\"id\": \"ballots-cast\", \"name\": \"Cast\", \"derived\": [\"cast-station\", \"cast-mobile\"]},\n"
    "    {\"id\": \"cast-station\", \"name\": \"Cast at the station\"},\n"
    "    {\"id\": \"cast-mobile\", \"name\": \"Cast by mobile box\"},\n"
    "    {\"id\": \"invalid\", \"name\": \"Invalid\"},\n"
    "    {\"id\": \"received\", \"name\": \"Ballot papers received\"},\n"
    "    {\"id\": \"cancelled\", \"name\": \"Ballot papers cancelled\"}\n"
    "   ], \"rules\": [\n"
    "    {\"id\": \"paper-balance\", \"check\": \"received = ballots-cast + cancelled\", \"severity\": \"reject\"},\n"
    "    {\"id\": \"many-mobile\", \"check\": \"10 * cast-mobile <= ballots-cast\", \"severity\": \"hold\"},\n"
    "    {\"id\": \"against-all-zero\", \"check\": \"- 2 * against-all + votes >= 0\", \"severity\": \"flag\"}\n"
    "   ]}\n"
    " ],\n"
    " \"contests\": [\n"
    "  {\"id\": \"mayor\", \"name\": \"Mayor\", \"area\": \"kz\", \"protocol\": \"minimal\",\n"
    "   \"against_all\": true, \"outcome\": \"plurality\", \"candidates\": [\n"
    "    {\"id\": \"c1\", \"name\": \"A\", \"party\": \"amanat\"},\n"
    "    {\"id\": \"c2\", \"name\": \"B\", \"party\": null},\n"
    "    {\"id\": \"c3\", \"name\": \"C\", \"party\": \"ak-zhol\", \"withdrawn\": true}]},\n"
    "  {\"id\": \"council\", \"name\": \"Council\", \"area\": \"kz\", \"protocol\": \"paper\",\n"
    "   \"against_all\": false, \"votes_allowed\": 2, \"seats\": 3, \"outcome\": \"party-list\",\n"
    "   \"method\": \"dhondt\", \"threshold_bp\": 500, \"candidates\": [\n"
    "    {\"id\": \"amanat\", \"name\": \"Amanat list\", \"party\": \"amanat\"},\n"
    "    {\"id\": \"ak-zhol\", \"name\": \"Ak Zhol list\", \"party\": \"ak-zhol\"}]}\n"
    " ],\n"
    " \"precincts\": [\n"
    "  {\"id\": \"p1\", \"name\": \"School 1\", \"area\": \"almaty\", \"contests\": [\"mayor\", \"council\"], \"registered\": 1283},\n"
    "  {\"id\": \"p2\", \"name\": \"School 2\", \"area\": \"aktau\", \"contests\": [\"mayor\"], \"registered\": null, \"close\": \"2024-03-17T18:00:00Z\"},\n"
    "  {\"id\": \"p3\", \"name\": \"Aktau 3\", \"area\": \"aktau\", \"contests\": [\"council\"], \"registered\": 500}\n"
    " ],\n"
    " \"tolerances\": {\"registered_up_abs\": 5, \"turnout_high_bp\": 9500}\n"
    "}\n";

/* BASE with the first occurrence of `from` replaced by `to` (BASE itself
 * when from is NULL); the caller frees. */
static char *variant(const char *from, const char *to)
{
    const char *at;
    char *out;

    if (from == NULL) {
        out = malloc(sizeof BASE);
        assert_non_null(out);
        memcpy(out, BASE, sizeof BASE);
        return out;
    }
    at = strstr(BASE, from);
    if (at == NULL)
        fail_msg("test bug: \"%s\" not in BASE", from);
    out = malloc(sizeof BASE - strlen(from) + strlen(to));
    assert_non_null(out);
    memcpy(out, BASE, (size_t)(at - BASE));
    strcpy(out + (at - BASE), to);
    strcat(out, at + strlen(from));
    return out;
}

/* '*' in pattern matches any run of characters. */
static int glob(const char *pat, const char *s)
{
    if (*pat == '\0')
        return *s == '\0';
    if (*pat == '*')
        return glob(pat + 1, s) || (*s != '\0' && glob(pat, s + 1));
    return *s == *pat && glob(pat + 1, s + 1);
}

static int load_text(const char *text, cm_definition **def, pr_diag *d)
{
    memset(d, 0, sizeof *d);
    return cm_definition_load((const uint8_t *)text, strlen(text), def, d);
}

/* Loads BASE with one replacement and expects a refusal whose message
 * matches msg ('*' matching any text). */
static void expect_error(const char *from, const char *to, const char *msg)
{
    char *text = variant(from, to);
    cm_definition *def = (cm_definition *)1;
    pr_diag d;

    if (load_text(text, &def, &d) == 0)
        fail_msg("accepted a definition with %s -> %s", from, to);
    assert_null(def);
    if (!glob(msg, d.msg))
        fail_msg("got \"%s\", want \"%s\"", d.msg, msg);
    free(text);
}

static cm_definition *load_ok(const char *from, const char *to)
{
    char *text = variant(from, to);
    cm_definition *def = NULL;
    pr_diag d;

    if (load_text(text, &def, &d) != 0)
        fail_msg("refused: %s", d.msg);
    free(text);
    return def;
}

static void test_definition_loads_base(void **state)
{
    cm_definition *def = load_ok(NULL, NULL);
    const cm_protocol *paper;
    const cm_contest *council;
    (void)state;

    assert_string_equal(def->id, "kz-2024");
    assert_string_equal(def->name, "Test election");
    assert_string_equal(def->date, "2024-03-17");
    assert_int_equal(def->n_parties, 2);
    assert_string_equal(def->parties[0].colour, "1a2B3c");
    assert_string_equal(def->parties[1].colour, "");
    assert_int_equal(def->n_areas, 4);
    assert_int_equal(def->n_protocols, 2);
    assert_int_equal(def->n_contests, 2);
    assert_int_equal(def->n_precincts, 3);

    assert_int_equal(def->protocols[0].against_all, 3);
    paper = &def->protocols[1];
    assert_int_equal(paper->against_all, NONE);
    assert_int_equal(paper->registered, 0);
    assert_int_equal(paper->ballots_cast, 1);
    assert_int_equal(paper->invalid, 4);
    assert_int_equal(paper->lines[1].n_parts, 2);
    assert_int_equal(paper->lines[1].parts[0], 2);
    assert_int_equal(paper->lines[1].parts[1], 3);
    assert_int_equal(paper->lines[0].n_parts, 0);

    council = &def->contests[cm_find_contest(def, "council")];
    assert_int_equal(council->votes_allowed, 2);
    assert_int_equal(council->seats, 3);
    assert_int_equal(council->outcome, CM_OUTCOME_PARTY_LIST);
    assert_int_equal(council->method, CM_METHOD_DHONDT);
    assert_int_equal(council->threshold_bp, 500);
    assert_false(council->against_all);
    assert_int_equal(def->contests[0].votes_allowed, 1);
    assert_int_equal(def->contests[0].seats, 1);
    assert_true(def->contests[0].against_all);
    assert_int_equal(def->contests[0].candidates[0].party, cm_find_party(def, "amanat"));
    assert_int_equal(def->contests[0].candidates[1].party, NONE);
    assert_false(def->contests[0].candidates[1].withdrawn);
    assert_true(def->contests[0].candidates[2].withdrawn);

    assert_true(def->precincts[0].has_roll);
    assert_int_equal(def->precincts[0].roll, 1283);
    assert_false(def->precincts[1].has_roll);
    assert_true(cm_precinct_in_contest(def, 0, 1));
    assert_false(cm_precinct_in_contest(def, 1, 1));
    assert_false(cm_precinct_in_contest(def, 99, 0));

    assert_int_equal(def->tol.registered_up_abs, 5);
    assert_int_equal(def->tol.registered_up_bp, 200);
    assert_int_equal(def->tol.registered_down_abs, 0);
    assert_int_equal(def->tol.registered_down_bp, 500);
    assert_int_equal(def->tol.turnout_high_bp, 9500);
    assert_int_equal(def->tol.invalid_high_bp, 1000);
    assert_false(def->tol.hold_corrections);
    cm_definition_free(def);
}

static void test_definition_hash_is_blake2b_of_bytes(void **state)
{
    char *text = variant(NULL, NULL);
    cm_definition *a = NULL, *b = NULL;
    uint8_t h[PR_HASH_BYTES];
    char hex[PR_HASH_HEX + 1];
    pr_diag d;
    (void)state;

    assert_int_equal(load_text(text, &a, &d), 0);
    pr_hash(h, (const uint8_t *)text, strlen(text));
    pr_hex_encode(hex, h, PR_HASH_BYTES);
    assert_memory_equal(a->hash, h, PR_HASH_BYTES);
    assert_string_equal(a->hash_hex, hex);
    /* same meaning, other bytes: another definition */
    text[strlen(text) - 1] = ' ';
    assert_int_equal(load_text(text, &b, &d), 0);
    assert_memory_not_equal(a->hash, b->hash, PR_HASH_BYTES);
    cm_definition_free(a);
    cm_definition_free(b);
    free(text);
}

static void test_definition_close_inherited_down_the_tree(void **state)
{
    cm_definition *def = load_ok(NULL, NULL);
    int64_t kz = 0, west = 0, own = 0;
    (void)state;

    assert_int_equal(pr_parse_time("2024-03-17T15:00:00Z", 20, &kz), 0);
    assert_int_equal(pr_parse_time("2024-03-17T17:00:00Z", 20, &west), 0);
    assert_int_equal(pr_parse_time("2024-03-17T18:00:00Z", 20, &own), 0);
    /* almaty (null) inherits the root's; aktau (null) inherits west's,
     * though both are listed before their parents */
    assert_int_equal(def->areas[cm_find_area(def, "almaty")].close, kz);
    assert_int_equal(def->areas[cm_find_area(def, "aktau")].close, west);
    assert_int_equal(def->areas[cm_find_area(def, "aktau")].parent, cm_find_area(def, "west"));
    assert_int_equal(def->areas[cm_find_area(def, "kz")].parent, NONE);
    assert_int_equal(def->precincts[cm_find_precinct(def, "p1")].close, kz);
    assert_int_equal(def->precincts[cm_find_precinct(def, "p2")].close, own);
    assert_int_equal(def->precincts[cm_find_precinct(def, "p3")].close, west);
    cm_definition_free(def);
}

static void test_definition_rejects_bom(void **state)
{
    char *text = variant(NULL, NULL);
    char *bom = malloc(strlen(text) + 4);
    cm_definition *def = NULL;
    pr_diag d;
    (void)state;

    memcpy(bom, "\xef\xbb\xbf", 3);
    strcpy(bom + 3, text);
    assert_int_equal(load_text(bom, &def, &d), -1);
    assert_null(def);
    assert_string_equal(d.msg, "$: byte order mark not allowed");
    free(bom);
    free(text);
}

static void test_definition_rejects_nul(void **state)
{
    char *text = variant(NULL, NULL);
    size_t n = strlen(text);
    cm_definition *def = NULL;
    pr_diag d;
    (void)state;

    /* a NUL inside a string, where jansson's own reader would stop */
    text[strstr(text, "Test election") - text + 4] = '\0';
    assert_int_equal(cm_definition_load((const uint8_t *)text, n, &def, &d), -1);
    assert_string_equal(d.msg, "$: NUL byte at line 4");
    assert_int_equal(d.line, 4);
    free(text);
    /* and the escaped form, which would smuggle one into a C string */
    expect_error("\"Test election\"", "\"Test\\u0000election\"", "$: JSON error at line 4*");
}

static void test_definition_rejects_bad_utf8(void **state)
{
    (void)state;
    expect_error("Test election", "Test \xc0\xaf election", "$: invalid UTF-8 at line 4");
    expect_error("Test election", "Test \xed\xa0\x80 election", "$: invalid UTF-8 at line 4");
    expect_error("Test election", "Test \xf4\x90\x80\x80", "$: invalid UTF-8 at line 4");
    expect_error("Test election", "Test \xe2\x82", "$: invalid UTF-8 at line 4");
    expect_error("Test election", "Test \xff", "$: invalid UTF-8 at line 4");
    /* real UTF-8 is fine */
    cm_definition_free(load_ok("Test election", "Выборы \xe2\x80\x94 2024"));
}

static void test_definition_rejects_unprintable_names(void **state)
{
    (void)state;
    /* U+009B (an 8-bit CSI), a bidi override and a leading space would
     * reach terminals and printed protocols through tally and show. */
    expect_error("\"name\": \"Aktau\"", "\"name\": \"Ak\\u009btau\"", "$.areas[1].name: not a printable name*");
    expect_error("\"name\": \"Amanat\"", "\"name\": \"Ama\\u202enat\"", "$.parties[0].name: not a printable name*");
    expect_error("\"name\": \"Test election\"", "\"name\": \" Test election\"", "$.name: not a printable name*");
}

static void test_definition_rejects_trailing_garbage(void **state)
{
    (void)state;
    expect_error(" \"tolerances\": {\"registered_up_abs\": 5, \"turnout_high_bp\": 9500}\n}\n",
                 " \"tolerances\": {}\n}\n{}\n", "$: JSON error at line *end of file expected*");
    expect_error(" \"tolerances\": {\"registered_up_abs\": 5, \"turnout_high_bp\": 9500}\n}\n",
                 " \"tolerances\": {}\n} x", "$: JSON error*");
}

static void test_definition_rejects_syntax_error_with_line(void **state)
{
    char *text = variant("\"name\": \"Test election\",", "\"name\": \"Test election\"");
    cm_definition *def = NULL;
    pr_diag d;
    (void)state;

    assert_int_equal(load_text(text, &def, &d), -1);
    assert_int_equal(d.line, 5);
    free(text);
}

/* cm_definition_load reads the precincts array one element at a time (issue
 * 8: the jansson tree of a 1,000,000-precinct file is 1.4 GB). It must give
 * what the whole-tree load gives: the same definition for every accepted
 * file, the same message for every refused one, whatever the order of the
 * top-level keys or the JSON whitespace (DESIGN 6: the format is strict);
 * and the streamed load alone must accept exactly those files (else the
 * saving would be gone, hidden by the fallback). */
static void same_as_tree(char *text, int accepted)
{
    cm_definition *a = NULL, *b = NULL;
    pr_diag da, db;
    int ra = load_text(text, &a, &da);
    int rb = cm_definition_load_tree((const uint8_t *)text, strlen(text), &b, &db);
    cm_definition *c = NULL;
    int rc = cm_definition_load_streamed((const uint8_t *)text, strlen(text), &c);

    assert_int_equal(ra, rb);
    assert_int_equal(ra, accepted ? 0 : -1);
    /* the streamed load itself, not its fallback, accepts what is accepted */
    assert_int_equal(rc, ra);
    cm_definition_free(c);
    if (ra != 0) {
        assert_string_equal(da.msg, db.msg);
        assert_int_equal(da.line, db.line);
    } else {
        assert_memory_equal(a->hash, b->hash, PR_HASH_BYTES);
        assert_int_equal(a->n_areas, b->n_areas);
        assert_int_equal(a->n_contests, b->n_contests);
        assert_int_equal(a->n_precincts, b->n_precincts);
        assert_int_equal(a->n_precincts, 3);
        for (size_t i = 0; i < a->n_precincts; i++) {
            const cm_precinct *x = &a->precincts[i], *y = &b->precincts[i];

            assert_string_equal(x->id, y->id);
            assert_string_equal(x->name, y->name);
            assert_int_equal(x->area, y->area);
            assert_int_equal(x->has_roll, y->has_roll);
            assert_int_equal(x->roll, y->roll);
            assert_int_equal(x->close, y->close);
            assert_int_equal(x->n_contests, y->n_contests);
            assert_memory_equal(x->contests, y->contests, x->n_contests * sizeof *x->contests);
            assert_int_equal(cm_find_precinct(a, x->id), i);
        }
    }
    cm_definition_free(a);
    cm_definition_free(b);
    free(text);
}

static void expect_same_as_tree(const char *from, const char *to, int accepted)
{
    same_as_tree(variant(from, to), accepted);
}

static void test_definition_streamed_load_equals_tree(void **state)
{
    const char *parties = strstr(BASE, " \"parties\""), *precincts = strstr(BASE, " \"precincts\""),
               *tolerances = strstr(BASE, " \"tolerances\"");
    char *moved = malloc(sizeof BASE);
    size_t n = 0;

    (void)state;
    assert_non_null(moved);
    expect_same_as_tree(NULL, NULL, 1);
    /* the precincts listed before the areas and contests they name */
    memcpy(moved, BASE, (size_t)(parties - BASE));
    n = (size_t)(parties - BASE);
    memcpy(moved + n, precincts, (size_t)(tolerances - precincts));
    n += (size_t)(tolerances - precincts);
    memcpy(moved + n, parties, (size_t)(precincts - parties));
    n += (size_t)(precincts - parties);
    strcpy(moved + n, tolerances);
    assert_int_equal(strlen(moved), strlen(BASE));
    same_as_tree(moved, 1);
    expect_same_as_tree(" \"parties\": [", " \"precincts\": [],\n \"parties\": [", 0);
    expect_same_as_tree("\"precincts\": [\n", "\"pre\\u0063incts\" \t\r\n:\r\n[\t\n", 1);
    expect_same_as_tree(" ],\n \"tolerances\"", "],\"tolerances\"", 1);
    expect_same_as_tree(" \"tolerances\": {", " \"precincts\": [], \"tolerances\": {", 0);
    expect_same_as_tree(" \"tolerances\": {", " \"pre\\u0063incts\": [], \"tolerances\": {", 0);
    expect_same_as_tree("\"registered\": 1283},", "\"registered\": 1283}", 0);
    expect_same_as_tree("\"registered\": 1283},", "\"registered\": 1283},,", 0);
    expect_same_as_tree("\"registered\": 500}\n", "\"registered\": 500},\n", 0);
    expect_same_as_tree("\"registered\": 500}\n", "\"registered\": 500, \"registered\": 5}\n", 0);
    expect_same_as_tree("\"registered\": 500}\n", "\"registered\": 500}]\n", 0);
    expect_same_as_tree("\"registered\": 500}\n", "\"registered\": 500, \"x\": {\"]\": [\"}\"]}}\n", 0);
    expect_same_as_tree("\"registered\": 500}\n", "\"registered\": 5e2}\n", 0);
    expect_same_as_tree("\"name\": \"School 2\"", "\"name\": \"School \\\"2\\\" ]}\"", 1);
    expect_same_as_tree("\"name\": \"Test election\",", "\"name\": \"Test election\"", 0);
    expect_same_as_tree("\"date\": \"2024-03-17\",", "\"date\": \"2024-03-17\", \"date\": \"2024-03-17\",", 0);
    expect_same_as_tree(" \"tolerances\": {\"registered_up_abs\": 5, \"turnout_high_bp\": 9500}\n}\n",
                        " \"tolerances\": {}\n}\n{}\n", 0);
    /* the contests array is read one element at a time too */
    expect_same_as_tree(" \"contests\": [\n", " \"con\\u0074ests\"\n:[", 1);
    expect_same_as_tree(" \"precincts\": [\n", " \"contests\": [], \"precincts\": [\n", 0);
    expect_same_as_tree(" \"parties\": [", " \"contests\": [],\n \"parties\": [", 0);
    expect_same_as_tree("\"withdrawn\": true}]},", "\"withdrawn\": true}]},,", 0);
    expect_same_as_tree("\"withdrawn\": true}]},", "\"withdrawn\": true}]}", 0);
    expect_same_as_tree("\"party\": \"ak-zhol\"}]}\n", "\"party\": \"ak-zhol\"}]},\n", 0);
    expect_same_as_tree("\"party\": \"ak-zhol\"}]}\n", "\"party\": \"ak-zhol\"}]}]\n", 0);
    expect_same_as_tree("\"name\": \"Mayor\",", "\"name\": \"Mayor\", \"name\": \"Mayor\",", 0);
    expect_same_as_tree("\"name\": \"Mayor\",", "\"name\": \"May]}or\\\"\",", 1);
    expect_same_as_tree(" \"contests\": [\n", " \"contests\": [\n  7,\n", 0);
}

/* The streamed load finds where each string ends itself: a long string of
 * escapes must cost time linear in its length, as jansson's parse does (the
 * red team found each escape searching again to the closing quote: 512 KB
 * took 0.9 s, 8 MB would take minutes). 8 MB of "\n" escapes in a rule's
 * text (the rule grammar skips them as whitespace): loaded, the same
 * definition as the tree's. ctest gives this program 60 s (tests/
 * CMakeLists.txt), about a thousand times what it needs. */
static void test_definition_long_escaped_string_linear(void **state)
{
    static const char rule[] = "received = ballots-cast + cancelled";
    const size_t escapes = 4u * 1024 * 1024;
    char *to = malloc(sizeof rule + 2 * escapes);

    (void)state;
    assert_non_null(to);
    memcpy(to, rule, sizeof rule - 1);
    for (size_t i = 0; i < escapes; i++)
        memcpy(to + sizeof rule - 1 + 2 * i, "\\n", 2);
    to[sizeof rule - 1 + 2 * escapes] = '\0';
    expect_same_as_tree(rule, to, 1);
    free(to);
}

static void test_definition_rejects_non_object(void **state)
{
    cm_definition *def = NULL;
    pr_diag d;
    (void)state;

    assert_int_equal(load_text("[]", &def, &d), -1);
    assert_string_equal(d.msg, "$: expected an object");
    assert_int_equal(load_text("", &def, &d), -1);
    assert_int_equal(load_text("42", &def, &d), -1);
}

static void test_definition_rejects_duplicate_key(void **state)
{
    (void)state;
    expect_error("\"id\": \"kz-2024\",", "\"id\": \"kz-2024\", \"id\": \"kz-2024\",",
                 "$: JSON error at line 3*duplicate object key*");
    expect_error("\"id\": \"p1\",", "\"id\": \"p1\", \"id\": \"p9\",",
                 "$: JSON error at line *duplicate object key*");
}

static void test_definition_rejects_unknown_key_at_every_level(void **state)
{
    (void)state;
    expect_error("\"date\":", "\"dates\": 1, \"date\":", "$.dates: unknown key");
    expect_error("\"abbreviation\": \"AM\",", "\"abbreviation\": \"AM\", \"logo\": null,",
                 "$.parties[0].logo: unknown key");
    expect_error("\"name\": \"Aktau\",", "\"name\": \"Aktau\", \"x\": 1,",
                 "$.areas[1].x: unknown key");
    expect_error("\"lines\": [", "\"x\": 1, \"lines\": [", "$.protocols[0].x: unknown key");
    expect_error("\"name\": \"Cast by mobile box\"", "\"name\": \"Cast by mobile box\", \"typed\": true",
                 "$.protocols[1].lines[3].typed: unknown key");
    expect_error("\"severity\": \"hold\"", "\"severity\": \"hold\", \"note\": \"\"",
                 "$.protocols[1].rules[1].note: unknown key");
    expect_error("\"outcome\": \"plurality\",", "\"outcome\": \"plurality\", \"round\": 1,",
                 "$.contests[0].round: unknown key");
    expect_error("\"name\": \"B\",", "\"name\": \"B\", \"age\": 40,",
                 "$.contests[0].candidates[1].age: unknown key");
    expect_error("\"registered\": 500", "\"registered\": 500, \"Registered\": 500",
                 "$.precincts[2].Registered: unknown key");
    expect_error("\"turnout_high_bp\": 9500", "\"turnout_high_bp\": 9500, \"turnout_low_bp\": 1",
                 "$.tolerances.turnout_low_bp: unknown key");
    /* a key that would break the message line is escaped */
    expect_error("\"date\":", "\"a\\nb\": 1, \"date\":", "$.a\\x0ab: unknown key");
}

static void test_definition_rejects_non_integer_counts(void **state)
{
    (void)state;
    expect_error("\"registered\": 1283", "\"registered\": 1e3",
                 "$.precincts[0].registered: expected an integer (no fraction or exponent)");
    expect_error("\"registered\": 1283", "\"registered\": 3.0",
                 "$.precincts[0].registered: expected an integer (no fraction or exponent)");
    expect_error("\"registered\": 1283", "\"registered\": \"1283\"",
                 "$.precincts[0].registered: expected an integer");
    expect_error("\"registered\": 1283", "\"registered\": -1",
                 "$.precincts[0].registered: -1 out of range 0..1000000000");
    expect_error("\"registered\": 1283", "\"registered\": 1000000001",
                 "$.precincts[0].registered: 1000000001 out of range 0..1000000000");
    expect_error("\"registered\": 1283", "\"registered\": 99999999999999999999",
                 "$: JSON error*");
    expect_error("\"votes_allowed\": 2", "\"votes_allowed\": 0",
                 "$.contests[1].votes_allowed: 0 out of range 1..1000000000");
    expect_error("\"seats\": 3", "\"seats\": 1.5",
                 "$.contests[1].seats: expected an integer (no fraction or exponent)");
    expect_error("\"turnout_high_bp\": 9500", "\"turnout_high_bp\": 9.5e3",
                 "$.tolerances.turnout_high_bp: expected an integer (no fraction or exponent)");
    /* the edges themselves are fine */
    cm_definition_free(load_ok("\"registered\": 1283", "\"registered\": 1000000000"));
    cm_definition_free(load_ok("\"registered\": 1283", "\"registered\": 0"));
}

static void test_definition_error_names_path(void **state)
{
    (void)state;
    expect_error("\"party\": \"ak-zhol\"}]}", "\"party\": \"xyz\"}]}",
                 "$.contests[1].candidates[1].party: unknown party \"xyz\"");
    expect_error("\"protocol\": \"paper\"", "\"protocol\": \"x\"",
                 "$.contests[1].protocol: unknown protocol \"x\"");
    expect_error("\"area\": \"almaty\"", "\"area\": \"nowhere\"",
                 "$.precincts[0].area: unknown area \"nowhere\"");
    expect_error("[\"mayor\", \"council\"]", "[\"mayor\", \"senate\"]",
                 "$.precincts[0].contests[1]: unknown contest \"senate\"");
    expect_error("\"name\": \"Ak Zhol list\",", "", "$.contests[1].candidates[1]: missing key \"name\"");
    expect_error("\"name\": \"Mayor\"", "\"name\": 7", "$.contests[0].name: expected a string");
    expect_error("\"withdrawn\": true", "\"withdrawn\": 1",
                 "$.contests[0].candidates[2].withdrawn: expected true or false");
    expect_error("\"parties\": [", "\"parties\": {}, \"x-parties\": [", "$.x-parties: unknown key");
    expect_error("\"candidates\": [\n    {\"id\": \"c1\"", "\"candidates\": 5, \"x\": [\n    {\"id\": \"c1\"",
                 "$.contests[0].x: unknown key");
}

static void test_definition_rejects_missing_required(void **state)
{
    (void)state;
    expect_error("\"format\": \"election-definition/1\",", "", "$: missing key \"format\"");
    expect_error(", \"colour\": null", "", "$.parties[1]: missing key \"colour\"");
    expect_error(", \"close\": null},\n  {\"id\": \"aktau\"", "},\n  {\"id\": \"aktau\"",
                 "$.areas[0]: missing key \"close\"");
    expect_error(", \"registered\": 500", "", "$.precincts[2]: missing key \"registered\"");
    expect_error("\"against_all\": true, ", "", "$.contests[0]: missing key \"against_all\"");
    expect_error(", \"rules\": []", "", "$.protocols[0]: missing key \"rules\"");
    /* tolerances may be left out entirely */
    {
        cm_definition *def = load_ok(
            ",\n \"tolerances\": {\"registered_up_abs\": 5, \"turnout_high_bp\": 9500}\n", "\n");
        assert_int_equal(def->tol.registered_up_abs, 0);
        assert_int_equal(def->tol.turnout_high_bp, 9900);
        cm_definition_free(def);
    }
}

static void test_definition_rejects_format_and_date(void **state)
{
    (void)state;
    expect_error("election-definition/1", "election-definition/2",
                 "$.format: expected \"election-definition/1\", not \"election-definition/2\"");
    expect_error("\"2024-03-17\"", "\"2024-02-30\"",
                 "$.date: bad date \"2024-02-30\" (want YYYY-MM-DD, 2000-2099)");
    expect_error("\"2024-03-17\"", "\"2024-3-17\"", "$.date: expected YYYY-MM-DD");
    expect_error("\"2024-03-17\"", "\"1999-12-31\"", "$.date*");
    cm_definition_free(load_ok("\"2024-03-17\"", "\"2024-02-29\""));
}

static void test_definition_rejects_bad_ids(void **state)
{
    (void)state;
    expect_error("\"id\": \"kz-2024\"", "\"id\": \"KZ-2024\"",
                 "$.id: bad id \"KZ-2024\" (want [a-z0-9][a-z0-9._-]{0,63})");
    expect_error("\"id\": \"p3\"", "\"id\": \"-p3\"",
                 "$.precincts[2].id: bad id \"-p3\" (want [a-z0-9][a-z0-9._-]{0,63})");
    expect_error("\"id\": \"p3\"", "\"id\": 3", "$.precincts[2].id: expected a string");
    expect_error("\"id\": \"cancelled\"", "\"id\": \"votes\"",
                 "$.protocols[1].lines[6].id: \"votes\" is reserved and never a line id");
    expect_error("\"parent\": \"west\"", "\"parent\": \"We st\"",
                 "$.areas[1].parent: bad id \"We\\x20st\" (want [a-z0-9][a-z0-9._-]{0,63})");
    expect_error("\"colour\": \"1a2B3c\"", "\"colour\": \"#1a2B3c\"",
                 "$.parties[0].colour: expected 6 hex digits (no #) or null");
}

static void test_definition_rejects_duplicate_ids(void **state)
{
    (void)state;
    expect_error("\"id\": \"p3\"", "\"id\": \"p1\"",
                 "$.precincts[2].id: duplicate id \"p1\" (first at $.precincts[0])");
    expect_error("\"id\": \"ak-zhol\", \"name\": \"Ak Zhol\"", "\"id\": \"amanat\", \"name\": \"Ak Zhol\"",
                 "$.parties[1].id: duplicate id \"amanat\" (first at $.parties[0])");
    expect_error("\"id\": \"west\"", "\"id\": \"almaty\"",
                 "$.areas[3].id: duplicate id \"almaty\" (first at $.areas[0])");
    expect_error("\"id\": \"paper\"", "\"id\": \"minimal\"",
                 "$.protocols[1].id: duplicate id \"minimal\" (first at $.protocols[0])");
    expect_error("\"id\": \"council\"", "\"id\": \"mayor\"",
                 "$.contests[1].id: duplicate id \"mayor\" (first at $.contests[0])");
    expect_error("\"id\": \"c3\"", "\"id\": \"c1\"",
                 "$.contests[0].candidates[2].id: duplicate candidate id \"c1\" (first at "
                 "$.contests[0].candidates[0])");
    expect_error("\"id\": \"cancelled\"", "\"id\": \"received\"",
                 "$.protocols[1].lines[6].id: duplicate line id \"received\" (first at "
                 "$.protocols[1].lines[5])");
    expect_error("\"id\": \"many-mobile\"", "\"id\": \"paper-balance\"",
                 "$.protocols[1].rules[1].id: duplicate rule id \"paper-balance\" (first at "
                 "$.protocols[1].rules[0])");
    expect_error("[\"mayor\", \"council\"]", "[\"mayor\", \"mayor\"]",
                 "$.precincts[0].contests[1]: contest \"mayor\" listed twice");
}

static void test_definition_rejects_bad_area_tree(void **state)
{
    (void)state;
    expect_error("\"parent\": null", "\"parent\": \"aktau\"",
                 "$.areas: no root area (one area must have parent null)");
    expect_error("\"parent\": \"kz\", \"close\": \"2024", "\"parent\": null, \"close\": \"2024",
                 "$.areas[3].parent: a second root area (the first is \"kz\")");
    expect_error("\"parent\": \"west\"", "\"parent\": \"south\"",
                 "$.areas[1].parent: unknown area \"south\"");
    expect_error("\"parent\": null, \"close\": \"2024-03-17T15:00:00Z\"",
                 "\"parent\": null, \"close\": null",
                 "$.areas[2].close: the root area must have a close time");
    /* west -> aktau -> west: a cycle beside a valid root */
    expect_error("\"parent\": \"kz\", \"close\": \"2024", "\"parent\": \"aktau\", \"close\": \"2024",
                 "$.areas[1].parent: cycle through area \"aktau\" (parent \"west\")");
    /* an area that is its own parent */
    expect_error("\"parent\": \"kz\", \"close\": null", "\"parent\": \"almaty\", \"close\": null",
                 "$.areas[0].parent: cycle through area \"almaty\" (parent \"almaty\")");
    expect_error("\"close\": \"2024-03-17T17:00:00Z\"", "\"close\": \"2024-03-17T24:00:00Z\"",
                 "$.areas[3].close: bad time \"2024-03-17T24:00:00Z\"*");
}

static void test_definition_rejects_bad_protocols(void **state)
{
    (void)state;
    expect_error("{\"id\": \"invalid\", \"name\": \"Invalid ballots\"},", "",
                 "$.protocols[0].lines: no \"invalid\" line (every protocol needs registered, "
                 "ballots-cast and invalid)");
    expect_error("{\"id\": \"registered\", \"name\": \"Voters\"},", "",
                 "$.protocols[1].lines: no \"registered\" line*");
    expect_error("\"lines\": [\n    {\"id\": \"registered\", \"name\": \"Voters on the list\"},\n"
                 "    {\"id\": \"ballots-cast\", \"name\": \"Ballots cast\"},\n"
                 "    {\"id\": \"invalid\", \"name\": \"Invalid ballots\"},\n"
                 "    {\"id\": \"against-all\", \"name\": \"Against all\"}\n   ]",
                 "\"lines\": []", "$.protocols[0].lines: needs at least 1 entry");
    /* against-all must agree between contest and protocol, both ways */
    expect_error("\"against_all\": true", "\"against_all\": false",
                 "$.contests[0].against_all: false, but protocol \"minimal\" has an against-all line");
    expect_error("\"against_all\": false", "\"against_all\": true",
                 "$.contests[1].against_all: true, but protocol \"paper\" has no against-all line");
}

static void test_definition_rejects_bad_derived_lines(void **state)
{
    (void)state;
    expect_error("[\"cast-station\", \"cast-mobile\"]", "[\"cast-station\", \"ballots-cast\"]",
                 "$.protocols[1].lines[1].derived[1]: line \"ballots-cast\" cannot be part of itself");
    expect_error("[\"cast-station\", \"cast-mobile\"]", "[\"cast-station\", \"cast-boat\"]",
                 "$.protocols[1].lines[1].derived[1]: unknown line \"cast-boat\"");
    expect_error("[\"cast-station\", \"cast-mobile\"]", "[\"cast-station\", \"cast-station\"]",
                 "$.protocols[1].lines[1].derived[1]: line \"cast-station\" listed twice");
    expect_error("[\"cast-station\", \"cast-mobile\"]", "[]",
                 "$.protocols[1].lines[1].derived: expected an array of at least one line id");
    expect_error("{\"id\": \"cancelled\", \"name\": \"Ballot papers cancelled\"}",
                 "{\"id\": \"cancelled\", \"name\": \"Ballot papers cancelled\", \"derived\": [\"ballots-cast\"]}",
                 "$.protocols[1].lines[6].derived[0]: line \"ballots-cast\" is derived itself");
}

static void test_definition_rejects_bad_contests(void **state)
{
    (void)state;
    expect_error("\"outcome\": \"plurality\"", "\"outcome\": \"plurality\", \"method\": \"hare\"",
                 "$.contests[0].method: only allowed with outcome party-list");
    expect_error("\"outcome\": \"plurality\"", "\"outcome\": \"majority\", \"threshold_bp\": 0",
                 "$.contests[0].threshold_bp: only allowed with outcome party-list");
    expect_error("\"method\": \"dhondt\", ", "", "$.contests[1]: missing key \"method\"");
    expect_error("\"method\": \"dhondt\"", "\"method\": \"sainte-lague\"",
                 "$.contests[1].method: expected hare or dhondt, not \"sainte-lague\"");
    expect_error("\"threshold_bp\": 500", "\"threshold_bp\": 10001",
                 "$.contests[1].threshold_bp: 10001 out of range 0..10000");
    expect_error("\"outcome\": \"plurality\"", "\"outcome\": \"lottery\"",
                 "$.contests[0].outcome: expected plurality, majority or party-list, not \"lottery\"");
    expect_error("\"candidates\": [\n    {\"id\": \"amanat\", \"name\": \"Amanat list\", \"party\": \"amanat\"},\n"
                 "    {\"id\": \"ak-zhol\", \"name\": \"Ak Zhol list\", \"party\": \"ak-zhol\"}]",
                 "\"candidates\": []", "$.contests[1].candidates: needs at least 1 entry");
    expect_error("\"contests\": [\"mayor\"]", "\"contests\": []",
                 "$.precincts[1].contests: needs at least 1 entry");
    /* threshold_bp defaults to 0 */
    {
        cm_definition *def = load_ok(", \"threshold_bp\": 500", "");
        assert_int_equal(def->contests[1].threshold_bp, 0);
        assert_int_equal(def->contests[1].method, CM_METHOD_DHONDT);
        cm_definition_free(def);
    }
}

/* The rule terms as (coef, line) pairs, for comparing compiled rules. */
static void assert_terms(const cm_term *t, size_t n, const int64_t *coefs, const size_t *lines,
                         size_t want)
{
    assert_int_equal(n, want);
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].coef == coefs[i]);
        assert_int_equal(t[i].line, lines[i]);
    }
}

static void test_definition_compiles_rules(void **state)
{
    cm_definition *def = load_ok(NULL, NULL);
    const cm_protocol *paper = &def->protocols[1], *minimal = &def->protocols[0];
    const cm_rule *r;
    (void)state;

    /* the default rule comes first, then the protocol's in order */
    assert_int_equal(paper->n_rules, 4);
    r = &paper->rules[0];
    assert_string_equal(r->id, "cast-exceeds-registered");
    assert_string_equal(r->check, "ballots-cast <= registered");
    assert_int_equal(r->severity, CM_SEV_REJECT);
    assert_int_equal(r->rel, CM_REL_LE);
    assert_terms(r->lhs, r->n_lhs, (const int64_t[]){1}, (const size_t[]){1}, 1);
    assert_terms(r->rhs, r->n_rhs, (const int64_t[]){1}, (const size_t[]){0}, 1);

    r = &paper->rules[1];
    assert_string_equal(r->id, "paper-balance");
    assert_int_equal(r->rel, CM_REL_EQ);
    assert_terms(r->lhs, r->n_lhs, (const int64_t[]){1}, (const size_t[]){5}, 1);
    assert_terms(r->rhs, r->n_rhs, (const int64_t[]){1, 1}, (const size_t[]){1, 6}, 2);

    r = &paper->rules[2];
    assert_int_equal(r->severity, CM_SEV_HOLD);
    assert_terms(r->lhs, r->n_lhs, (const int64_t[]){10}, (const size_t[]){3}, 1);

    /* against-all in a protocol without it is the constant 0 */
    r = &paper->rules[3];
    assert_int_equal(r->severity, CM_SEV_FLAG);
    assert_int_equal(r->rel, CM_REL_GE);
    assert_terms(r->lhs, r->n_lhs, (const int64_t[]){0, 1},
                 (const size_t[]){CM_TERM_CONST, CM_TERM_VOTES}, 2);
    assert_terms(r->rhs, r->n_rhs, (const int64_t[]){0}, (const size_t[]){CM_TERM_CONST}, 1);

    assert_int_equal(minimal->n_rules, 1);
    assert_string_equal(minimal->rules[0].id, "cast-exceeds-registered");
    cm_definition_free(def);
}

static void test_definition_rule_grammar(void **state)
{
    cm_definition *def;
    const cm_rule *r;
    (void)state;

    /* free whitespace, every relation, leading minus, constants */
    def = load_ok("received = ballots-cast + cancelled",
                  "-received+2*cancelled - 7!=\\tvotes - 1000000 * invalid");
    r = &def->protocols[1].rules[1];
    assert_int_equal(r->rel, CM_REL_NE);
    assert_terms(r->lhs, r->n_lhs, (const int64_t[]){-1, 2, -7},
                 (const size_t[]){5, 6, CM_TERM_CONST}, 3);
    assert_terms(r->rhs, r->n_rhs, (const int64_t[]){1, -1000000},
                 (const size_t[]){CM_TERM_VOTES, 4}, 2);
    cm_definition_free(def);
    {
        static const char *const rels[] = {"=", "<=", ">=", "<", ">", "!="};
        static const cm_relation want[] = {CM_REL_EQ, CM_REL_LE, CM_REL_GE,
                                           CM_REL_LT, CM_REL_GT, CM_REL_NE};
        char check[64];

        for (size_t i = 0; i < 6; i++) {
            (void)snprintf(check, sizeof check, "received %s 0", rels[i]);
            def = load_ok("received = ballots-cast + cancelled", check);
            assert_int_equal(def->protocols[1].rules[1].rel, want[i]);
            cm_definition_free(def);
        }
    }
    /* a protocol rule with the default's id replaces the default */
    def = load_ok("\"id\": \"paper-balance\"", "\"id\": \"cast-exceeds-registered\"");
    assert_int_equal(def->protocols[1].n_rules, 3);
    assert_string_equal(def->protocols[1].rules[0].id, "cast-exceeds-registered");
    assert_string_equal(def->protocols[1].rules[0].check, "received = ballots-cast + cancelled");
    assert_int_equal(def->protocols[0].n_rules, 1);
    cm_definition_free(def);
}

static void test_definition_rejects_bad_rules(void **state)
{
    const char *from = "received = ballots-cast + cancelled";
    const char *path = "$.protocols[1].rules[0].check: ";
    char want[192];
    static const char *const cases[][2] = {
        {"received = ballots-cast + spoiled",
         "unknown name \"spoiled\" (not a line of protocol \"paper\")"},
        {"received == ballots-cast", "unexpected '=' at offset 10"},
        {"received ballots-cast", "expected one of = <= >= < > != at offset 9"},
        {"received = ", "expected a name or count at offset 11"},
        {"= received", "expected a name or count at offset 0"},
        {"received = + cancelled", "expected a name or count at offset 11"},
        {"received = 007", "bad count at offset 11 (no leading zeros, at most 1000000000)"},
        {"received = 1000000001", "bad count at offset 11 (no leading zeros, at most 1000000000)"},
        {"received = 1000001 * invalid", "coefficient above 1000000 at offset 11"},
        {"received = 2 * 3", "expected a name after '*' at offset 15"},
        {"received = invalid * 2", "unexpected text at offset 19"},
        {"received = invalid)", "unexpected text at offset 18"},
        {"received < = invalid", "expected a name or count at offset 11"},
        {"received = ballots-cast-cancelled",
         "unknown name \"ballots-cast-cancelled\" (not a line of protocol \"paper\")"},
        {"+ received = invalid", "expected a name or count at offset 0"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        (void)snprintf(want, sizeof want, "%s%s", path, cases[i][1]);
        expect_error(from, cases[i][0], want);
    }
    expect_error("\"severity\": \"reject\"", "\"severity\": \"warn\"",
                 "$.protocols[1].rules[0].severity: expected reject, hold or flag, not \"warn\"");
}

static void test_definition_rule_term_limit(void **state)
{
    char check[1024], want[192];
    size_t o = 0;
    cm_definition *def;
    (void)state;

    /* 64 terms per side are allowed, 65 are not */
    o += (size_t)snprintf(check + o, sizeof check - o, "received");
    for (int i = 1; i < 64; i++)
        o += (size_t)snprintf(check + o, sizeof check - o, " + 1");
    (void)snprintf(check + o, sizeof check - o, " = invalid");
    def = load_ok("received = ballots-cast + cancelled", check);
    assert_int_equal(def->protocols[1].rules[1].n_lhs, 64);
    cm_definition_free(def);
    (void)snprintf(check + o, sizeof check - o, " + 1 = invalid");
    (void)snprintf(want, sizeof want, "$.protocols[1].rules[0].check: more than 64 terms on one side");
    expect_error("received = ballots-cast + cancelled", check, want);
}

/* Builds a definition of n precincts listed in a scrambled order. */
static char *big_definition(size_t n)
{
    size_t cap = 2000 + n * 120, o = 0;
    char *s = malloc(cap);

    assert_non_null(s);
    o += (size_t)snprintf(s + o, cap - o,
                          "{\"format\": \"election-definition/1\", \"id\": \"big\", \"name\": \"Big\","
                          " \"date\": \"2024-03-17\", \"parties\": [], \"areas\": [{\"id\": \"kz\","
                          " \"name\": \"KZ\", \"parent\": null, \"close\": \"2024-03-17T15:00:00Z\"}],"
                          " \"protocols\": [{\"id\": \"m\", \"lines\": [{\"id\": \"registered\","
                          " \"name\": \"r\"}, {\"id\": \"ballots-cast\", \"name\": \"b\"},"
                          " {\"id\": \"invalid\", \"name\": \"i\"}], \"rules\": []}],"
                          " \"contests\": [{\"id\": \"c\", \"name\": \"C\", \"area\": \"kz\","
                          " \"protocol\": \"m\", \"against_all\": false, \"outcome\": \"plurality\","
                          " \"candidates\": [{\"id\": \"a\", \"name\": \"A\", \"party\": null}]}],"
                          " \"precincts\": [");
    for (size_t i = 0; i < n; i++) {
        /* 7919 is prime and coprime with n: a permutation of 0..n-1 */
        size_t k = (i * 7919) % n;

        o += (size_t)snprintf(s + o, cap - o,
                              "%s{\"id\": \"p%zu\", \"name\": \"P\", \"area\": \"kz\","
                              " \"contests\": [\"c\"], \"registered\": %zu}",
                              i ? ", " : "", k, k);
    }
    (void)snprintf(s + o, cap - o, "]}");
    return s;
}

static void test_definition_lookups_scale(void **state)
{
    const size_t n = 100000;
    char *text = big_definition(n);
    cm_definition *def = NULL;
    pr_diag d;
    char id[32];
    (void)state;

    if (load_text(text, &def, &d) != 0)
        fail_msg("refused: %s", d.msg);
    assert_int_equal(def->n_precincts, n);
    for (size_t k = 0; k < n; k++) {
        size_t i;

        (void)snprintf(id, sizeof id, "p%zu", k);
        i = cm_find_precinct(def, id);
        assert_int_not_equal(i, NONE);
        assert_string_equal(def->precincts[i].id, id);
        assert_int_equal(def->precincts[i].roll, k);
    }
    assert_int_equal(cm_find_precinct(def, "p100000"), NONE);
    assert_int_equal(cm_find_precinct(def, ""), NONE);
    assert_int_equal(cm_find_contest(def, "c"), 0);
    assert_int_equal(cm_find_contest(def, "d"), NONE);
    assert_int_equal(cm_find_area(def, "kz"), 0);
    assert_int_equal(cm_find_party(def, "kz"), NONE);
    cm_definition_free(def);
    free(text);
}

static void test_definition_rejects_oversize(void **state)
{
    size_t n = (size_t)CM_DEFINITION_MAX + 1;
    uint8_t *big = calloc(n, 1);
    cm_definition *def = NULL;
    pr_diag d;
    char want[96];
    (void)state;

    assert_non_null(big);
    assert_int_equal(cm_definition_load(big, n, &def, &d), -1);
    (void)snprintf(want, sizeof want, "$: definition larger than %u bytes", CM_DEFINITION_MAX);
    assert_string_equal(d.msg, want);
    free(big);
}

static void test_definition_free_accepts_null(void **state)
{
    (void)state;
    cm_definition_free(NULL);
    assert_int_equal(cm_find_precinct(NULL, "p1"), NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_definition_loads_base),
        cmocka_unit_test(test_definition_hash_is_blake2b_of_bytes),
        cmocka_unit_test(test_definition_close_inherited_down_the_tree),
        cmocka_unit_test(test_definition_rejects_bom),
        cmocka_unit_test(test_definition_rejects_nul),
        cmocka_unit_test(test_definition_rejects_bad_utf8),
        cmocka_unit_test(test_definition_rejects_unprintable_names),
        cmocka_unit_test(test_definition_rejects_trailing_garbage),
        cmocka_unit_test(test_definition_rejects_syntax_error_with_line),
        cmocka_unit_test(test_definition_streamed_load_equals_tree),
        cmocka_unit_test(test_definition_long_escaped_string_linear),
        cmocka_unit_test(test_definition_rejects_non_object),
        cmocka_unit_test(test_definition_rejects_duplicate_key),
        cmocka_unit_test(test_definition_rejects_unknown_key_at_every_level),
        cmocka_unit_test(test_definition_rejects_non_integer_counts),
        cmocka_unit_test(test_definition_error_names_path),
        cmocka_unit_test(test_definition_rejects_missing_required),
        cmocka_unit_test(test_definition_rejects_format_and_date),
        cmocka_unit_test(test_definition_rejects_bad_ids),
        cmocka_unit_test(test_definition_rejects_duplicate_ids),
        cmocka_unit_test(test_definition_rejects_bad_area_tree),
        cmocka_unit_test(test_definition_rejects_bad_protocols),
        cmocka_unit_test(test_definition_rejects_bad_derived_lines),
        cmocka_unit_test(test_definition_rejects_bad_contests),
        cmocka_unit_test(test_definition_compiles_rules),
        cmocka_unit_test(test_definition_rule_grammar),
        cmocka_unit_test(test_definition_rejects_bad_rules),
        cmocka_unit_test(test_definition_rule_term_limit),
        cmocka_unit_test(test_definition_lookups_scale),
        cmocka_unit_test(test_definition_rejects_oversize),
        cmocka_unit_test(test_definition_free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
