/*
 * test_order.c: DESIGN 7 "Order independence": for a fixed set of key
 * events, every status and the tally are the same whatever the order in
 * which returns are imported. Imports one set of returns (corrections,
 * a chain of two, a re-signed copy, an equivocating revision 1, a
 * conflict) in many orders into fresh databases and compares.
 */
#include "fixture.h"

#include <sys/types.h>
#include <sys/wait.h>

#define NFILES 8

static const char *const names[NFILES] = {"a.return", "a-resigned.return", "a2.return", "b.return",
                                          "c.return", "d.return",          "d2.return", "e.return"};

static void make_files(fx *f)
{
    fx_ret a = fx_good("p1", 0), s;
    uint8_t ha[PR_HASH_BYTES], hb[PR_HASH_BYTES];

    fx_make_file(f, &a, names[0], ha);
    s = a;
    s.at = f->close + 9000;
    fx_make_file(f, &s, names[1], NULL);
    s = a;
    s.v[2] = 49;
    s.inv = 11;
    fx_make_file(f, &s, names[2], NULL);
    s = a;
    s.rev = 2;
    s.sup = ha;
    s.v[0] = 310;
    s.v[1] = 190;
    fx_make_file(f, &s, names[3], hb);
    s = a;
    s.rev = 3;
    s.sup = hb;
    s.v[0] = 320;
    s.v[1] = 180;
    fx_make_file(f, &s, names[4], NULL);
    s = fx_good("p2", 1);
    fx_make_file(f, &s, names[5], NULL);
    s.v[0] = 299;
    s.v[1] = 201;
    fx_make_file(f, &s, names[6], NULL);
    s = fx_good("p3", 2);
    fx_make_file(f, &s, names[7], NULL);
}

static void fresh_db(void)
{
    char *out = NULL;

    (void)unlink("c.db");
    (void)unlink("c.db-wal");
    (void)unlink("c.db-shm");
    assert_int_equal(fx_cli(&out, NULL, "init", "--db", "c.db", "--definition", "def.json",
                            "--commission-pub", "commission.pub", NULL),
                     0);
    free(out);
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "c.db", "st0.req", "st1.req", "st2.req", NULL), 0);
    free(out);
}

/* Status rows and tally contests as canonical JSON text, without the
 * event head (which differs with the order, as it must). */
static char *outcome_text(void)
{
    char *out = NULL, *s1, *s2, *all;
    json_t *j, *k;
    json_error_t je;
    size_t n;

    assert_int_equal(fx_cli(&out, NULL, "status", "--db", "c.db", "--json", NULL), 0);
    j = json_loads(out, 0, &je);
    assert_non_null(j);
    free(out);
    /* The verdict of the head may differ (a correction that resolved a
     * conflict is flagged); what stands and its revision may not. */
    {
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(j, "precincts"), i, row) json_object_del(row, "verdict");
    }
    s1 = json_dumps(json_object_get(j, "precincts"), JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    assert_int_equal(fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", "--by",
                            "precinct", NULL),
                     0);
    k = json_loads(out, 0, &je);
    assert_non_null(k);
    free(out);
    s2 = json_dumps(json_object_get(k, "contests"), JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(k);
    n = strlen(s1) + strlen(s2) + 2;
    all = malloc(n);
    assert_non_null(all);
    snprintf(all, n, "%s\n%s", s1, s2);
    free(s1);
    free(s2);
    return all;
}

static void import_in_order(const int *order)
{
    char *out = NULL;
    int i;

    fresh_db();
    for (i = 0; i < NFILES; i++) {
        (void)fx_import(names[order[i]], &out);
        free(out);
    }
}

static void test_order_independence_of_status_and_tally(void **state)
{
    fx *f = *state;
    int order[NFILES], i, k, round;
    char *first, *now;
    unsigned seed = 12345;

    make_files(f);
    for (i = 0; i < NFILES; i++)
        order[i] = i;
    import_in_order(order);
    first = outcome_text();
    /* What must stand: p1's revision 3, p2 in conflict, p3's return. */
    assert_string_equal(fx_status("p1", "mayor", NULL), "in-tally");
    assert_string_equal(fx_status("p2", "mayor", NULL), "conflict");
    assert_string_equal(fx_status("p3", "mayor", NULL), "in-tally");
    for (round = 0; round < 40; round++) {
        if (round == 0) {
            for (i = 0; i < NFILES; i++)
                order[i] = NFILES - 1 - i;
        } else {
            for (i = NFILES - 1; i > 0; i--) {
                int t;
                seed = seed * 1103515245u + 12345u;
                k = (int)((seed >> 16) % (unsigned)(i + 1));
                t = order[i];
                order[i] = order[k];
                order[k] = t;
            }
        }
        import_in_order(order);
        now = outcome_text();
        if (strcmp(first, now) != 0) {
            print_error("order:");
            for (i = 0; i < NFILES; i++)
                print_error(" %s", names[order[i]]);
            print_error("\nwant %s\ngot  %s\n", first, now);
        }
        assert_string_equal(first, now);
        free(now);
    }
    free(first);
}

/* ---- generated elections --------------------------------------------
 *
 * DESIGN 7 "Order independence" as a property: for a fixed sequence of key
 * events and decisions, statuses and tally do not depend on the order of
 * the returns. An election is generated from a seed: each (precinct,
 * contest) gets a history (single, byte duplicate and re-signed copy,
 * chain of corrections, conflict, fork, stale and equivocating returns, a
 * correction waiting for a predecessor that never comes, a conflict the
 * station resolves, a correction of a rejected return, a broken chain) and
 * fixed ones exercise the key events: a key enrolled late, a key revoked
 * as lost and one as compromised, an operator key, a person's resolution
 * and an excuse. Imports run in three phases around the key events and
 * decisions; each return may arrive in any phase it is allowed in (those
 * whose judgement a revocation or a decision must see before or after are
 * pinned to their side) and in any order within it. */

#define GEN_MAX 128
#define PHASES 3
#define ELECTIONS 3
#define ROUNDS 20 /* per election: 60 shuffles in all */

typedef struct gfile {
    char name[48];
    int lo, hi;                     /* phases it may arrive in */
} gfile;

typedef struct gen {
    fx *f;
    unsigned seed;
    int eno;
    size_t n;
    gfile v[GEN_MAX];
    uint8_t accept[PR_HASH_BYTES];  /* p11's return a person accepts */
    uint8_t other[PR_HASH_BYTES];   /* a stored return, for a broken chain */
    int have_other;
    int made;                       /* files written (names of unimported ones too) */
} gen;

enum {
    K_SINGLE, K_DUP, K_CHAIN, K_CONFLICT, K_FORK, K_STALE, K_DEEP_STALE, K_AWAIT,
    K_STATION_RESOLVES, K_REJECTED_PRED, K_BROKEN, K_KINDS
};

/* Keys of the generated elections (fx_setup_areas: key i is p(i+1)'s). */
#define K_P3_SECOND 12
#define K_OPERATOR 13   /* p7, p8 */
#define K_LATE 14       /* p5, enrolled between phases 0 and 1 */
#define K_COMPROMISED 15 /* second key of p6, revoked between phases 1 and 2 */
#define K_LOST 16       /* second key of p4, revoked between phases 1 and 2 */

static unsigned rnd(unsigned *s, unsigned n)
{
    *s = *s * 1103515245u + 12345u;
    return n ? ((*s >> 8) & 0xffffffu) % n : 0;
}

/* Random counts that add up (registered = the roll, so nothing drifts). */
static fx_ret counts(gen *g, const char *p, const char *c, int key)
{
    fx_ret s;
    uint64_t left;

    memset(&s, 0, sizeof s);
    s.key = key;
    s.precinct = p;
    s.contest = c;
    s.rev = 1;
    s.reg = strcmp(p, "p2") == 0 ? 800 : strcmp(p, "p9") == 0 ? 5000 : 1000;
    s.cast = s.reg / 4 + rnd(&g->seed, (unsigned)(s.reg / 2));
    s.inv = rnd(&g->seed, 20);
    s.aa = strcmp(c, "mayor") == 0 ? rnd(&g->seed, 30) : 0;
    left = s.cast - s.inv - s.aa;
    s.v[0] = rnd(&g->seed, (unsigned)left + 1);
    s.v[1] = rnd(&g->seed, (unsigned)(left - s.v[0]) + 1);
    s.v[2] = left - s.v[0] - s.v[1];
    return s;
}

static fx_ret next_rev(gen *g, const fx_ret *base, uint64_t rev, const uint8_t *sup)
{
    fx_ret s = counts(g, base->precinct, base->contest, base->key);

    s.rev = rev;
    s.sup = sup;
    s.at = g->f->close + 3600 * (int64_t)rev;
    return s;
}

/* Writes a return; imported in phases lo..hi unless lo < 0. */
static void add(gen *g, const fx_ret *s, int lo, int hi, uint8_t *hash)
{
    char name[48];
    uint8_t h[PR_HASH_BYTES];

    snprintf(name, sizeof name, "e%d-%03d.return", g->eno, g->made++);
    fx_make_file(g->f, s, name, h);
    if (hash != NULL)
        memcpy(hash, h, PR_HASH_BYTES);
    if (lo < 0)
        return;
    assert_true(g->n < GEN_MAX);
    snprintf(g->v[g->n].name, sizeof g->v[g->n].name, "%s", name);
    g->v[g->n].lo = lo;
    g->v[g->n].hi = hi;
    g->n++;
}

static void again(gen *g, int lo, int hi)
{
    assert_true(g->n > 0 && g->n < GEN_MAX);
    g->v[g->n] = g->v[g->n - 1];
    g->v[g->n].lo = lo;
    g->v[g->n].hi = hi;
    g->n++;
}

static void scenario(gen *g, int kind, const char *p, const char *c, int key)
{
    fx_ret r = counts(g, p, c, key), x, y, z;
    uint8_t h1[PR_HASH_BYTES], h2[PR_HASH_BYTES];

    if (kind == K_BROKEN && !g->have_other)
        kind = K_SINGLE;
    switch (kind) {
    case K_SINGLE:
        add(g, &r, 0, 2, h1);
        break;
    case K_DUP: /* the same bytes twice, and the same counts signed again */
        add(g, &r, 0, 2, h1);
        again(g, 0, 2);
        x = r;
        x.at = g->f->close + 5000;
        /* p3 has two keys: its re-signed copy comes from the other one. */
        if (strcmp(p, "p3") == 0)
            x.key = key == 2 ? K_P3_SECOND : 2;
        add(g, &x, 0, 2, NULL);
        break;
    case K_CHAIN:
        add(g, &r, 0, 2, h1);
        x = next_rev(g, &r, 2, h1);
        add(g, &x, 0, 2, h2);
        y = next_rev(g, &r, 3, h2);
        add(g, &y, 0, 2, NULL);
        break;
    case K_CONFLICT:
        add(g, &r, 0, 2, h1);
        x = counts(g, p, c, key);
        add(g, &x, 0, 2, NULL);
        break;
    case K_FORK:
        add(g, &r, 0, 2, h1);
        x = next_rev(g, &r, 2, h1);
        add(g, &x, 0, 2, NULL);
        y = next_rev(g, &r, 3, h1);
        add(g, &y, 0, 2, NULL);
        break;
    case K_STALE: /* a correction, and another revision 1 */
        add(g, &r, 0, 2, h1);
        x = next_rev(g, &r, 2, h1);
        add(g, &x, 0, 2, NULL);
        y = counts(g, p, c, key);
        add(g, &y, 0, 2, NULL);
        break;
    case K_DEEP_STALE: /* a chain to 3, and another revision 2 of the same predecessor */
        add(g, &r, 0, 2, h1);
        x = next_rev(g, &r, 2, h1);
        add(g, &x, 0, 2, h2);
        y = next_rev(g, &r, 3, h2);
        add(g, &y, 0, 2, NULL);
        z = next_rev(g, &r, 2, h1);
        add(g, &z, 0, 2, NULL);
        break;
    case K_AWAIT: /* revision 3 names a revision 2 that never comes */
        add(g, &r, 0, 2, h1);
        x = next_rev(g, &r, 2, h1);
        add(g, &x, -1, -1, h2);
        y = next_rev(g, &r, 3, h2);
        add(g, &y, 0, 2, NULL);
        break;
    case K_STATION_RESOLVES: /* a conflict, and a correction of one side */
        add(g, &r, 0, 2, h1);
        x = counts(g, p, c, key);
        add(g, &x, 0, 2, NULL);
        y = next_rev(g, &r, 2, h1);
        add(g, &y, 0, 2, NULL);
        break;
    case K_REJECTED_PRED: /* sum-mismatch, then its correction */
        r.cast++;
        add(g, &r, 0, 2, h1);
        x = next_rev(g, &r, 2, h1);
        add(g, &x, 0, 2, NULL);
        break;
    case K_BROKEN: /* a correction naming another precinct's return */
    default:
        add(g, &r, 0, 2, h1);
        x = next_rev(g, &r, 2, g->other);
        add(g, &x, 0, 2, NULL);
        break;
    }
    memcpy(g->other, h1, PR_HASH_BYTES);
    g->have_other = 1;
}

static void generate(gen *g, fx *f, int eno)
{
    static const char *const slots[][2] = {
        {"p1", "mayor"}, {"p1", "gov"}, {"p2", "mayor"}, {"p2", "gov"},
        {"p3", "mayor"}, {"p8", "mayor"}, {"p9", "mayor"}, {"p12", "mayor"}};
    fx_ret r, x, b;
    uint8_t h[PR_HASH_BYTES];
    size_t i;

    memset(g, 0, sizeof *g);
    g->f = f;
    g->eno = eno;
    g->seed = 0x9e3779b9u * (unsigned)(eno + 1);
    for (i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        int kind = (int)rnd(&g->seed, K_KINDS), key = atoi(slots[i][0] + 1) - 1;
        /* p3's returns are sometimes signed by its second key. */
        if (strcmp(slots[i][0], "p3") == 0 && rnd(&g->seed, 2))
            key = K_P3_SECOND;
        scenario(g, kind, slots[i][0], slots[i][1], key);
    }
    /* p4: a return by a key revoked as lost later (it comes before), its
     * correction by the precinct's own key; p4 gov by the lost key after
     * the revocation: held. */
    r = counts(g, "p4", "mayor", K_LOST);
    add(g, &r, 0, 1, h);
    x = next_rev(g, &r, 2, h);
    x.key = 3;
    add(g, &x, 0, 2, NULL);
    r = counts(g, "p4", "gov", K_LOST);
    add(g, &r, 2, 2, NULL);
    /* p5: signed with a key enrolled late; before that, unknown-key. */
    r = counts(g, "p5", "mayor", K_LATE);
    add(g, &r, 0, 2, h);
    x = next_rev(g, &r, 2, h);
    add(g, &x, 0, 2, NULL);
    /* p6: a key revoked as compromised: its earlier return stays (flagged),
     * its later correction is rejected. */
    r = counts(g, "p6", "mayor", K_COMPROMISED);
    add(g, &r, 0, 1, h);
    x = next_rev(g, &r, 2, h);
    add(g, &x, 2, 2, NULL);
    /* p7: entered centrally with the operator key. */
    r = counts(g, "p7", "mayor", K_OPERATOR);
    add(g, &r, 0, 2, NULL);
    /* p10: excused, and a return comes anyway. */
    r = counts(g, "p10", "mayor", 9);
    add(g, &r, 0, 2, NULL);
    /* p11: a conflict a person resolves between phases 0 and 1; the losing
     * side re-signed comes after the decision. */
    r = counts(g, "p11", "mayor", 10);
    add(g, &r, 0, 0, g->accept);
    b = counts(g, "p11", "mayor", 10);
    add(g, &b, 0, 0, NULL);
    b.at = f->close + 7777;
    add(g, &b, 1, 2, NULL);
}

static void write_requests(fx *f)
{
    static const char *const p3[1] = {"p3"}, *const p78[2] = {"p7", "p8"}, *const p5[1] = {"p5"},
                             *const p6[1] = {"p6"}, *const p4[1] = {"p4"};

    fx_request(f, K_P3_SECOND, p3, 1, "second-p3.req");
    fx_request(f, K_OPERATOR, p78, 2, "operator.req");
    fx_request(f, K_LATE, p5, 1, "late.req");
    fx_request(f, K_COMPROMISED, p6, 1, "second-p6.req");
    fx_request(f, K_LOST, p4, 1, "second-p4.req");
}

/* Runs `central ARGS...` in-process, output discarded; checks the exit
 * code when want >= 0. */
static void quiet(int want, ...)
{
    char *argv[40], *out = NULL;
    size_t ol = 0;
    FILE *fo;
    va_list ap;
    int argc = 1, code;

    argv[0] = (char *)(uintptr_t) "central";
    va_start(ap, want);
    for (;;) {
        char *a = va_arg(ap, char *);
        if (a == NULL)
            break;
        assert_true(argc < 39);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    fo = open_memstream(&out, &ol);
    assert_non_null(fo);
    code = ct_main(argc, argv, fo, stderr);
    fclose(fo);
    if (want >= 0 && code != want)
        print_error("central %s: exit %d\n%s", argv[1], code, out);
    free(out);
    if (want >= 0)
        assert_int_equal(code, want);
}

/* A new database with the keys every round starts with, and p10 excused
 * before anything arrives. */
static void gen_fresh_db(void)
{
    (void)unlink("c.db");
    (void)unlink("c.db-wal");
    (void)unlink("c.db-shm");
    quiet(0, "init", "--db", "c.db", "--definition", "def.json", "--commission-pub", "commission.pub",
          NULL);
    quiet(0, "enroll", "--db", "c.db", "st0.req", "st1.req", "st2.req", "st3.req", "st4.req", "st5.req",
          "st6.req", "st7.req", "st8.req", "st9.req", "st10.req", "st11.req", "second-p3.req",
          "operator.req", "second-p6.req", "second-p4.req", NULL);
    quiet(0, "excuse", "--db", "c.db", "--precinct", "p10", "--contest", "mayor", "--reason",
          "not-opened", "--decision", "CEC-1", NULL);
}

/* What happens between phase k and k + 1: fixed key events and decisions. */
static void between(fx *f, const gen *g, int k)
{
    char hex[PR_HASH_HEX + 1];

    if (k == 0) {
        quiet(0, "enroll", "--db", "c.db", "late.req", NULL);
        pr_hex_encode(hex, g->accept, PR_HASH_BYTES);
        quiet(0, "resolve", "--db", "c.db", "--precinct", "p11", "--contest", "mayor", "--accept", hex,
              "--decision", "CEC-2", NULL);
    } else {
        quiet(0, "revoke", "--db", "c.db", "--key", f->kid[K_COMPROMISED], "--reason", "compromised",
              "--decision", "CEC-3", NULL);
        quiet(0, "revoke", "--db", "c.db", "--key", f->kid[K_LOST], "--reason", "lost", "--decision",
              "CEC-4", NULL);
    }
}

/* One arrival order: each file's phase, and its place within it. */
typedef struct plan {
    size_t n[PHASES];
    size_t at[PHASES][GEN_MAX];     /* indexes into gen.v */
} plan;

static void make_plan(const gen *g, unsigned *seed, plan *pl)
{
    size_t i, k, j, t;
    int ph;

    memset(pl, 0, sizeof *pl);
    for (i = 0; i < g->n; i++) {
        ph = g->v[i].lo + (int)rnd(seed, (unsigned)(g->v[i].hi - g->v[i].lo + 1));
        pl->at[ph][pl->n[ph]++] = i;
    }
    for (k = 0; k < PHASES; k++) {
        for (i = pl->n[k]; i > 1; i--) {
            j = rnd(seed, (unsigned)i);
            t = pl->at[k][i - 1];
            pl->at[k][i - 1] = pl->at[k][j];
            pl->at[k][j] = t;
        }
    }
}

/* Imports a phase's files with nproc processes at once (1: in this one),
 * each taking every nproc-th file in the planned order. */
static void import_phase(const gen *g, const plan *pl, int k, int nproc)
{
    char *argv[GEN_MAX + 8];
    pid_t pids[8];
    int p, argc, status;
    size_t i;

    for (p = 0; p < nproc; p++) {
        argc = 0;
        argv[argc++] = (char *)(uintptr_t) "central";
        argv[argc++] = (char *)(uintptr_t) "import";
        argv[argc++] = (char *)(uintptr_t) "--db";
        argv[argc++] = (char *)(uintptr_t) "c.db";
        for (i = (size_t)p; i < pl->n[k]; i += (size_t)nproc)
            argv[argc++] = (char *)(uintptr_t)g->v[pl->at[k][i]].name;
        argv[argc] = NULL;
        if (argc == 4) {
            pids[p] = 0;
            continue;
        }
        if (nproc == 1) {
            FILE *fo = fopen("/dev/null", "w");
            assert_non_null(fo);
            /* 0 or 1: verdicts; never 3 (a database error). */
            assert_true(ct_main(argc, argv, fo, fo) <= 1);
            fclose(fo);
            pids[p] = 0;
            continue;
        }
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            FILE *fo = fopen("/dev/null", "w");
            int code = fo != NULL ? ct_main(argc, argv, fo, stderr) : 3;
            _exit(code);
        }
    }
    for (p = 0; p < nproc; p++) {
        if (pids[p] == 0)
            continue;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) <= 1);
    }
}

static void run_plan(fx *f, const gen *g, const plan *pl, int nproc)
{
    int k;

    gen_fresh_db();
    for (k = 0; k < PHASES; k++) {
        import_phase(g, pl, k, nproc);
        if (k + 1 < PHASES)
            between(f, g, k);
    }
}

/* Status rows (without the head's verdict, which may differ: a correction
 * that ended a conflict is flagged so), per-area and per-contest counts,
 * and the whole tally by precinct, as canonical JSON. */
static char *gen_outcome(void)
{
    char *out = NULL, *s1, *s2, *all;
    json_t *j, *k, *x;
    json_error_t je;
    size_t i, n;

    assert_int_equal(fx_cli(&out, NULL, "status", "--db", "c.db", "--json", NULL), 0);
    j = json_loads(out, 0, &je);
    assert_non_null(j);
    free(out);
    json_object_del(j, "as_of");
    json_array_foreach(json_object_get(j, "precincts"), i, x) json_object_del(x, "verdict");
    s1 = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    assert_int_equal(fx_cli(&out, NULL, "tally", "--db", "c.db", "--format", "json", "--by",
                            "precinct", NULL),
                     0);
    k = json_loads(out, 0, &je);
    assert_non_null(k);
    free(out);
    json_object_del(k, "as_of");
    s2 = json_dumps(k, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(k);
    n = strlen(s1) + strlen(s2) + 2;
    all = malloc(n);
    assert_non_null(all);
    snprintf(all, n, "%s\n%s", s1, s2);
    free(s1);
    free(s2);
    return all;
}

static int gen_setup(void **state)
{
    /* tmpfs when there is one: the property is about logic, and thousands
     * of fsyncs on a disk only make it slow. */
    int rc = fx_setup_def(state, access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                          fx_definition_areas, 12);
    write_requests(*state);
    return rc;
}

/* What must hold in every generated election, whatever the order. */
static void check_fixed_cases(void)
{
    char *out = NULL;
    json_t *j, *row;
    json_error_t je;
    size_t i;

    assert_string_equal(fx_status("p4", "gov", NULL), "held");           /* lost key, later */
    assert_string_equal(fx_status("p4", "mayor", NULL), "held");         /* correction-review */
    assert_string_equal(fx_status("p5", "mayor", NULL), "in-tally");     /* late key */
    assert_string_equal(fx_status("p6", "mayor", NULL), "in-tally");     /* compromised, earlier */
    assert_string_equal(fx_status("p10", "mayor", NULL), "excused");
    assert_string_equal(fx_status("p11", "mayor", NULL), "in-tally");    /* resolved */
    assert_int_equal(fx_cli(&out, NULL, "status", "--db", "c.db", "--json", NULL), 0);
    j = json_loads(out, 0, &je);
    assert_non_null(j);
    free(out);
    json_array_foreach(json_object_get(j, "precincts"), i, row) {
        if (strcmp(json_string_value(json_object_get(row, "precinct")), "p6") == 0)
            assert_non_null(json_object_get(row, "flags")); /* key-compromised */
        if (strcmp(json_string_value(json_object_get(row, "precinct")), "p5") == 0)
            assert_int_equal(json_integer_value(json_object_get(row, "revision")), 2);
    }
    json_decref(j);
}

static void test_order_independence_generated_elections(void **state)
{
    fx *f = *state;
    gen *g = calloc(1, sizeof *g);
    plan pl;
    char *first, *now;
    unsigned seed;
    int e, round, total = 0;

    assert_non_null(g);
    for (e = 0; e < ELECTIONS; e++) {
        generate(g, f, e);
        seed = 777u + (unsigned)e;
        first = NULL;
        for (round = 0; round < ROUNDS; round++) {
            make_plan(g, &seed, &pl);
            run_plan(f, g, &pl, 1);
            now = gen_outcome();
            if (first == NULL) {
                first = now;
                check_fixed_cases();
                continue;
            }
            if (strcmp(first, now) != 0)
                print_error("election %d round %d differs:\nwant %s\ngot  %s\n", e, round, first, now);
            assert_string_equal(first, now);
            free(now);
            total++;
        }
        /* Four importers at once on one database: the same result. */
        make_plan(g, &seed, &pl);
        run_plan(f, g, &pl, 4);
        now = gen_outcome();
        if (strcmp(first, now) != 0)
            print_error("election %d, 4 processes, differs:\nwant %s\ngot  %s\n", e, first, now);
        assert_string_equal(first, now);
        free(now);
        free(first);
    }
    assert_true(total + ELECTIONS >= 50);
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_independence_of_status_and_tally, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_independence_generated_elections, gen_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
