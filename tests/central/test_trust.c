/*
 * test_trust.c: issue 5's trust anchors. The key freeze (`central keys
 * --freeze`): a signed list that verifies (and a tampered one that does
 * not), keys enrolled before it are fine, returns of keys enrolled or
 * revoked after it are held late-key whatever the import order, and a
 * person can accept them. Certification (`central certify`): later returns
 * held after-certification, corrections correction-review, `tally --as-of`
 * reproduces the certified tally. `central audit` replays both and finds
 * either edited. `central receipt --print`: the courier's slip.
 */
#include "fixture.h"

#include "proto/checkpoint.h"
#include "proto/keylist.h"

static char hexbuf[PR_HASH_HEX + 1];

static const char *hexof(const uint8_t *h)
{
    pr_hex_encode(hexbuf, h, PR_HASH_BYTES);
    return hexbuf;
}

/* Runs central and requires the exit code; frees the output unless
 * wanted (*out, may be NULL). On a mismatch prints both streams. */
static void must(int want, char **keep, ...)
{
    char *argv[32], *out = NULL, *err = NULL, *ob = NULL, *eb = NULL;
    size_t ol = 0, el = 0;
    FILE *fo, *fe;
    va_list ap;
    int argc = 1, code;

    argv[0] = (char *)(uintptr_t) "central";
    va_start(ap, keep);
    for (;;) {
        char *a = va_arg(ap, char *);
        if (a == NULL)
            break;
        assert_true(argc < 31);
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
    out = ob;
    err = eb;
    if (code != want)
        print_error("central %s: exit %d, want %d\n%s%s", argv[1], code, want, out, err);
    assert_int_equal(code, want);
    if (keep != NULL)
        *keep = out;
    else
        free(out);
    free(err);
}

static void sql(const char *db, const char *stmt)
{
    sqlite3 *h = NULL;
    char *msg = NULL;

    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    if (sqlite3_exec(h, stmt, NULL, NULL, &msg) != SQLITE_OK)
        print_error("%s: %s\n", stmt, msg);
    assert_null(msg);
    sqlite3_close(h);
}

/* The current verdict and codes of the stored file with this hash, as
 * "verdict codes" (static). */
static const char *decision_of(const uint8_t *hash)
{
    static char v[256];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_open_v2("c.db", &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT d.verdict || ' ' || d.codes FROM decisions d JOIN files f"
                                        " ON f.id = d.file WHERE f.hash = ?1 ORDER BY d.seq DESC LIMIT 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_bind_blob(st, 1, hash, PR_HASH_BYTES, SQLITE_STATIC), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(v, sizeof v, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The fixture's commission secret key as a plain key file. */
static void commission_key(fx *f)
{
    pr_buf b;

    if (access("commission.key", F_OK) == 0)
        return;
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_seckey_encode(PR_KEY_COMMISSION, f->csk, NULL, 0, 0, 0, &b), 0);
    fx_write("commission.key", b.data, b.len);
    pr_buf_free(&b);
}

static void freeze(fx *f, const char *outpath)
{
    commission_key(f);
    must(0, NULL, "keys", "--db", "c.db", "--freeze", "--key", "commission.key", "--out", outpath,
         NULL);
}

/* Station i's enrolment for precinct p. */
static void enrol(fx *f, int i, const char *p)
{
    char path[32];

    snprintf(path, sizeof path, "late%d.req", i);
    if (access(path, F_OK) != 0)
        fx_request(f, i, &p, 1, path);
    must(0, NULL, "enroll", "--db", "c.db", path, NULL);
}

static void import(const char *path, int want)
{
    must(want, NULL, "import", "--db", "c.db", path, NULL);
}

static int audit_ok(const char *db)
{
    char *out = NULL, *err = NULL;
    int code = fx_cli(&out, &err, "audit", "--db", db, "--commission-pub", "commission.pub", NULL);

    if (code != 0)
        print_error("audit %s: exit %d\n%s%s", db, code, out, err);
    free(out);
    free(err);
    return code;
}

/* ---- key freeze ------------------------------------------------------ */

static void test_freeze_list_is_signed_and_tamper_fails(void **state)
{
    fx *f = *state;
    char *text, *out = NULL;
    size_t n, i, j;
    pr_keylist kl;
    pr_diag d;
    uint8_t h[PR_HASH_BYTES];

    freeze(f, "frozen.txt");
    text = fx_slurp("frozen.txt", &n);
    assert_int_equal(pr_keylist_parse((const uint8_t *)text, n, &kl, &d), 0);
    assert_int_equal(pr_keylist_verify((const uint8_t *)text, &kl, f->cpk, &d), 0);
    assert_string_equal(kl.election, "t-2026");
    assert_memory_equal(kl.definition, f->def_hash, PR_HASH_BYTES);
    assert_int_equal(kl.n, 3);
    for (i = 0; i < 3; i++) {
        char p[16];
        snprintf(p, sizeof p, "p%zu", i + 1);
        assert_string_equal(kl.entries[i].precinct, p);
        assert_memory_equal(kl.entries[i].pk, f->pk[i], PR_PK_BYTES);
    }
    /* The list names the head before the freeze, and the freeze event
     * names the list by its hash. */
    assert_int_equal((long long)kl.seq + 1, fx_sql_int("SELECT seq FROM events WHERE kind = 'freeze'"));
    pr_hash(h, (const uint8_t *)text, n);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM events WHERE kind = 'freeze'"), 1);
    {
        char q[256];
        snprintf(q, sizeof q, "SELECT count(*) FROM events WHERE kind = 'freeze' AND lower(hex(subject)) = '%s'",
                 hexof(h));
        assert_int_equal(fx_sql_int(q), 1);
    }
    pr_keylist_free(&kl);
    /* Any station line tampered with: refused by the parser or the
     * signature. */
    for (j = 0; j < 3; j++) {
        char *p = strstr(text, j == 0 ? "station p1 " : j == 1 ? "station p2 " : "station p3 ");
        char keep;
        size_t at;
        assert_non_null(p);
        at = (size_t)(p - text) + 11 + (j * 7) % 16;
        keep = text[at];
        text[at] = keep == 'a' ? 'b' : 'a';
        assert_false(pr_keylist_parse((const uint8_t *)text, n, &kl, &d) == 0 &&
                     pr_keylist_verify((const uint8_t *)text, &kl, f->cpk, &d) == 0);
        pr_keylist_free(&kl);
        text[at] = keep;
    }
    /* A list signed by another key does not verify with the commission's. */
    {
        uint8_t opk[PR_PK_BYTES], osk[PR_SK_BYTES];
        pr_buf b;
        crypto_sign_keypair(opk, osk);
        assert_int_equal(pr_keylist_parse((const uint8_t *)text, n, &kl, &d), 0);
        assert_int_equal(pr_keylist_sign(&kl, osk, &b, &d), 0);
        assert_int_equal(pr_keylist_verify(b.data, &kl, f->cpk, &d), -1);
        pr_buf_free(&b);
        pr_keylist_free(&kl);
    }
    free(text);
    /* Once only; never over an existing file; only with this database's
     * commission key. */
    must(1, NULL, "keys", "--db", "c.db", "--freeze", "--key", "commission.key", "--out", "again.txt",
         NULL);
    assert_int_not_equal(access("again.txt", F_OK), 0);
    must(0, &out, "keys", "--db", "c.db", NULL);
    assert_non_null(strstr(out, "frozen at event "));
    free(out);
    assert_int_equal(audit_ok("c.db"), 0);
}

static void test_freeze_refuses_other_key_and_existing_file(void **state)
{
    fx *f = *state;
    uint8_t opk[PR_PK_BYTES], osk[PR_SK_BYTES];
    pr_buf b;

    commission_key(f);
    fx_write("exists.txt", "x\n", 2);
    must(3, NULL, "keys", "--db", "c.db", "--freeze", "--key", "commission.key", "--out", "exists.txt",
         NULL);
    crypto_sign_keypair(opk, osk);
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_seckey_encode(PR_KEY_COMMISSION, osk, NULL, 0, 0, 0, &b), 0);
    fx_write("other.key", b.data, b.len);
    pr_buf_free(&b);
    must(1, NULL, "keys", "--db", "c.db", "--freeze", "--key", "other.key", "--out", "f.txt", NULL);
    assert_int_not_equal(access("f.txt", F_OK), 0);
    /* Nothing was stored by either refusal. */
    assert_int_equal(fx_sql_int("SELECT count(*) FROM freezes"), 0);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM events WHERE kind = 'freeze'"), 0);
    must(2, NULL, "keys", "--db", "c.db", "--freeze", "--out", "f.txt", NULL);
}

static void test_key_enrolled_before_freeze_is_fine(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0), b = fx_good("p2", 3);
    uint8_t ha[PR_HASH_BYTES], hb[PR_HASH_BYTES];

    /* Station 3 enrolled for p2 before the freeze: on the list. */
    enrol(f, 3, "p2");
    freeze(f, "frozen.txt");
    fx_make_file(f, &a, "a.return", ha);
    fx_make_file(f, &b, "b.return", hb);
    import("a.return", 0);
    import("b.return", 0);
    assert_string_equal(decision_of(ha), "accepted ");
    assert_string_equal(decision_of(hb), "accepted ");
    assert_string_equal(fx_status("p2", "mayor", NULL), "in-tally");
}

/* Copies base.db over c.db (the state right after setup). */
static void reset_db(void)
{
    (void)unlink("c.db-wal");
    (void)unlink("c.db-shm");
    (void)unlink("c.db");
    sql("base.db", "VACUUM INTO 'c.db'");
}

/* Station 3 enrolled for p2 after the freeze: its return is held
 * late-key in every order of the imports around the (fixed) key events,
 * and p1's return by a key on the list is accepted. */
static void test_late_key_held_after_freeze_in_any_order(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0), b = fx_good("p2", 3);
    uint8_t ha[PR_HASH_BYTES], hb[PR_HASH_BYTES];
    int order;

    fx_make_file(f, &a, "a.return", ha);
    fx_make_file(f, &b, "b.return", hb);
    {
        const char *p2 = "p2";
        fx_request(f, 3, &p2, 1, "late3.req");
    }
    sql("c.db", "VACUUM INTO 'base.db'");
    commission_key(f);
    for (order = 0; order < 4; order++) {
        reset_db();
        (void)unlink("frozen.txt");
        freeze(f, "frozen.txt");
        switch (order) {
        case 0: /* enrol, then both returns */
            enrol(f, 3, "p2");
            import("a.return", 0);
            import("b.return", 1);
            break;
        case 1: /* b before its key is enrolled: unknown-key, decided again */
            import("b.return", 1);
            import("a.return", 0);
            enrol(f, 3, "p2");
            break;
        case 2: /* b, enrol, a */
            import("b.return", 1);
            enrol(f, 3, "p2");
            import("a.return", 0);
            break;
        default: /* a, b in one run, then enrol */
            must(1, NULL, "import", "--db", "c.db", "b.return", "a.return", NULL);
            enrol(f, 3, "p2");
            break;
        }
        assert_string_equal(decision_of(ha), "accepted ");
        assert_string_equal(decision_of(hb), "held late-key");
        assert_string_equal(fx_status("p1", "mayor", NULL), "in-tally");
        assert_string_equal(fx_status("p2", "mayor", NULL), "held");
        assert_int_equal(audit_ok("c.db"), 0);
    }
    /* A person accepts the late key's return: it is counted. */
    must(0, NULL, "resolve", "--db", "c.db", "--precinct", "p2", "--contest", "mayor", "--accept",
         hexof(hb), "--decision", "CEC-2026/late-1", NULL);
    assert_string_equal(fx_status("p2", "mayor", NULL), "in-tally");
    assert_string_equal(decision_of(hb), "held late-key"); /* verdicts never change */
    assert_int_equal(audit_ok("c.db"), 0);
}

/* A key revoked (lost) after the freeze: its later returns are held
 * revoked-key and late-key; revoked before the freeze, revoked-key only. */
static void test_revoked_after_freeze_is_late_key(void **state)
{
    fx *f = *state;
    fx_ret c = fx_good("p3", 2), b = fx_good("p2", 1);
    uint8_t hc[PR_HASH_BYTES], hb[PR_HASH_BYTES];

    fx_make_file(f, &c, "c.return", hc);
    fx_make_file(f, &b, "b.return", hb);
    must(0, NULL, "revoke", "--db", "c.db", "--key", f->kid[1], "--reason", "retired", "--decision",
         "CEC-2026/r1", NULL);
    freeze(f, "frozen.txt");
    must(0, NULL, "revoke", "--db", "c.db", "--key", f->kid[2], "--reason", "lost", "--decision",
         "CEC-2026/r2", NULL);
    import("c.return", 1);
    import("b.return", 1);
    assert_string_equal(decision_of(hc), "held revoked-key,late-key");
    assert_string_equal(decision_of(hb), "held revoked-key");
    assert_int_equal(audit_ok("c.db"), 0);
}

/* ---- certification ------------------------------------------------- */

/* p1, p2, p3 mayor returns in; returns their hashes. */
static void mayor_in(fx *f, uint8_t h[3][PR_HASH_BYTES])
{
    int i;

    for (i = 0; i < 3; i++) {
        char p[16], name[32];
        fx_ret r;
        snprintf(p, sizeof p, "p%d", i + 1);
        r = fx_good(p, i);
        snprintf(name, sizeof name, "m%d.return", i + 1);
        fx_make_file(f, &r, name, h[i]);
        import(name, 0);
    }
}

static void test_certify_refused_while_incomplete(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0);
    char *out = NULL, *err = NULL;

    fx_make_file(f, &a, "a.return", NULL);
    import("a.return", 0);
    assert_int_equal(fx_cli(&out, &err, "certify", "--db", "c.db", "--contest", "mayor", "--decision",
                            "CEC-2026/c1", NULL),
                     1);
    assert_non_null(strstr(err, "central: mayor: cannot certify: 2 missing"));
    free(out);
    free(err);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM certifications"), 0);
    must(2, NULL, "certify", "--db", "c.db", "--contest", "nope", "--decision", "x", NULL);
    must(2, NULL, "certify", "--db", "c.db", "--contest", "mayor", "--decision", "bad ref", NULL);
}

/* Red team: a contest whose every precinct is excused has no result; its
 * zeros must not be certified as a tie. */
static void test_certify_refused_when_every_precinct_excused(void **state)
{
    (void)state;
    must(0, NULL, "excuse", "--db", "c.db", "--precinct", "p1", "--contest", "mayor", "--reason",
         "void", "--decision", "E1", NULL);
    must(0, NULL, "excuse", "--db", "c.db", "--precinct", "p2", "--contest", "mayor", "--reason",
         "void", "--decision", "E2", NULL);
    must(0, NULL, "excuse", "--db", "c.db", "--precinct", "p3", "--contest", "mayor", "--reason",
         "void", "--decision", "E3", NULL);
    must(1, NULL, "certify", "--db", "c.db", "--contest", "mayor", "--decision", "C9", NULL);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM certifications"), 0);
}

static void test_certify_then_import_held_after_certification(void **state)
{
    fx *f = *state;
    uint8_t h[3][PR_HASH_BYTES], hg[PR_HASH_BYTES], hx[PR_HASH_BYTES], hc[PR_HASH_BYTES];
    fx_ret g = fx_good("p1", 0), fix = fx_good("p1", 0), x = fx_good("p3", 2);
    char *out = NULL;
    long long seq;

    /* p1, p2 in; p3 excused (it will never report), then certified. */
    fx_make_file(f, &x, "late-p3.return", hx);
    {
        int i;
        for (i = 0; i < 2; i++) {
            char p[16], name[32];
            fx_ret r;
            snprintf(p, sizeof p, "p%d", i + 1);
            r = fx_good(p, i);
            snprintf(name, sizeof name, "m%d.return", i + 1);
            fx_make_file(f, &r, name, h[i]);
            import(name, 0);
        }
    }
    must(0, NULL, "excuse", "--db", "c.db", "--precinct", "p3", "--contest", "mayor", "--reason",
         "not-opened", "--decision", "CEC-2026/e1", NULL);
    must(0, &out, "certify", "--db", "c.db", "--contest", "mayor", "--decision", "CEC-2026/cert", NULL);
    seq = fx_sql_int("SELECT seq FROM events WHERE kind = 'certify'");
    {
        char want[128];
        snprintf(want, sizeof want, "certified mayor at event %lld, decision CEC-2026/cert", seq);
        assert_non_null(strstr(out, want));
    }
    free(out);
    must(1, NULL, "certify", "--db", "c.db", "--contest", "mayor", "--decision", "CEC-2026/again",
         NULL);
    /* A return of the certified contest that comes later: held. */
    import("late-p3.return", 1);
    assert_string_equal(decision_of(hx), "held after-certification");
    /* Another contest is not certified: accepted. */
    g.contest = "gov";
    g.aa = 0;
    g.v[0] = 350;
    g.v[1] = 200;
    g.v[2] = 40;
    fx_make_file(f, &g, "g.return", hg);
    import("g.return", 0);
    assert_string_equal(decision_of(hg), "accepted ");
    /* A correction of the certified contest: correction-review too. */
    fix.rev = 2;
    fix.sup = h[0];
    fix.v[0] = 301;
    fix.v[1] = 199;
    fx_make_file(f, &fix, "fix.return", hc);
    import("fix.return", 1);
    assert_string_equal(decision_of(hc), "held correction-review,after-certification");
    /* The certified result changes only by a person's decision: p1 stays in
     * the tally with the return certified, the correction waits in review
     * (red team: it used to take p1 out of the tally). */
    assert_string_equal(fx_status("p1", "mayor", NULL), "in-tally");
    must(0, &out, "tally", "--db", "c.db", "--contest", "mayor", "--by", "precinct", NULL);
    {
        char want[PR_HASH_HEX + 1];
        pr_hex_encode(want, h[0], PR_HASH_BYTES);
        assert_non_null(strstr(out, want));
        pr_hex_encode(want, hc, PR_HASH_BYTES);
        assert_null(strstr(out, want));
    }
    free(out);
    must(0, &out, "review", "--db", "c.db", NULL);
    {
        char want[PR_HASH_HEX + 1];
        pr_hex_encode(want, hc, PR_HASH_BYTES);
        want[16] = '\0';
        assert_non_null(strstr(out, want));
    }
    free(out);
    /* status and tally say it is certified. */
    must(0, &out, "status", "--db", "c.db", NULL);
    assert_non_null(strstr(out, "certified mayor at event "));
    free(out);
    must(0, &out, "tally", "--db", "c.db", "--contest", "gov", NULL);
    assert_null(strstr(out, "certified"));
    free(out);
    assert_int_equal(audit_ok("c.db"), 0);
}

/* The tally at certification, printed then, is reproduced by --as-of the
 * certify event after later imports and decisions changed it. */
static void test_tally_as_of_certification_reproduces_it(void **state)
{
    fx *f = *state;
    uint8_t h[3][PR_HASH_BYTES], hc[PR_HASH_BYTES];
    fx_ret fix = fx_good("p2", 1);
    char *at = NULL, *later = NULL, *now = NULL, *json_at = NULL, *json_later = NULL, seqtext[32];
    long long seq;

    mayor_in(f, h);
    must(0, NULL, "certify", "--db", "c.db", "--contest", "mayor", "--decision", "CEC-2026/cert", NULL);
    seq = fx_sql_int("SELECT seq FROM events WHERE kind = 'certify'");
    snprintf(seqtext, sizeof seqtext, "%lld", seq);
    must(0, &at, "tally", "--db", "c.db", "--contest", "mayor", NULL);
    must(0, &json_at, "tally", "--db", "c.db", "--contest", "mayor", "--format", "json", NULL);
    {
        char want[96];
        snprintf(want, sizeof want, "certified mayor at event %lld, decision CEC-2026/cert\n", seq);
        assert_non_null(strstr(at, want));
    }
    /* Later: a correction held, then accepted by a person: the tally
     * changes. */
    fix.rev = 2;
    fix.sup = h[1];
    fix.v[0] = 250;
    fix.v[1] = 250;
    fx_make_file(f, &fix, "fix.return", hc);
    import("fix.return", 1);
    must(0, NULL, "resolve", "--db", "c.db", "--precinct", "p2", "--contest", "mayor", "--accept",
         hexof(hc), "--decision", "CEC-2026/after", NULL);
    must(0, &now, "tally", "--db", "c.db", "--contest", "mayor", NULL);
    assert_string_not_equal(now, at);
    must(0, &later, "tally", "--db", "c.db", "--contest", "mayor", "--as-of", seqtext, NULL);
    assert_string_equal(later, at);
    must(0, &json_later, "tally", "--db", "c.db", "--contest", "mayor", "--format", "json", "--as-of",
         seqtext, NULL);
    assert_string_equal(json_later, json_at);
    /* Before the certification, the tally does not say certified. */
    {
        char before[32];
        snprintf(before, sizeof before, "%lld", seq - 1);
        free(later);
        must(0, &later, "tally", "--db", "c.db", "--contest", "mayor", "--as-of", before, NULL);
        assert_null(strstr(later, "certified"));
    }
    free(at);
    free(later);
    free(now);
    free(json_at);
    free(json_later);
    assert_int_equal(audit_ok("c.db"), 0);
}

/* ---- audit ------------------------------------------------------------ */

static void tampered(const char *edit, const char *want)
{
    char *out = NULL, *err = NULL;
    int code;

    (void)unlink("t.db");
    sql("c.db", "VACUUM INTO 't.db'");
    sql("t.db", edit);
    code = fx_cli(&out, &err, "audit", "--db", "t.db", "--commission-pub", "commission.pub", NULL);
    if (code != 1 || strstr(out, want) == NULL)
        print_error("edit: %s\nwant: %s\naudit (exit %d):\n%s%s", edit, want, code, out, err);
    assert_int_equal(code, 1);
    assert_non_null(strstr(out, want));
    free(out);
    free(err);
}

static void test_audit_finds_edited_freeze_and_certification(void **state)
{
    fx *f = *state;
    uint8_t h[3][PR_HASH_BYTES];

    freeze(f, "frozen.txt");
    mayor_in(f, h);
    must(0, NULL, "certify", "--db", "c.db", "--contest", "mayor", "--decision", "CEC-2026/cert", NULL);
    assert_int_equal(audit_ok("c.db"), 0);
    /* The certification's decision reference. */
    tampered("DROP TRIGGER certifications_no_update;"
             " UPDATE certifications SET decision = 'CEC-2026/forged'",
             "certifications ");
    /* The certify event's contest (chain not recomputed). */
    tampered("DROP TRIGGER events_no_update;"
             " UPDATE events SET data = 'contest gov decision CEC-2026/cert' WHERE kind = 'certify'",
             "the hash chain is broken");
    /* The certification removed altogether. */
    tampered("DROP TRIGGER certifications_no_delete; DELETE FROM certifications",
             "certifications ");
    /* A key slipped into the frozen list: its bytes no longer verify. */
    tampered("DROP TRIGGER freezes_no_update;"
             " UPDATE freezes SET keylist = CAST(replace(CAST(keylist AS TEXT), 'station p1 ',"
             " 'station p0 ') AS BLOB)",
             "(freeze): stored key list does not hash to");
    /* The freeze event removed from the list of freezes. */
    tampered("DROP TRIGGER freezes_no_delete; DELETE FROM freezes",
             "(freeze): key list ");
    /* The freeze event's data (chain not recomputed). */
    tampered("DROP TRIGGER events_no_update; UPDATE events SET data = 'keys 9' WHERE kind = 'freeze'",
             "the hash chain is broken");
}

/* ---- receipt --print ------------------------------------------------- */

static void test_receipt_print_slip(void **state)
{
    char rpath[1024], pub[1024], *out = NULL, *line;
    size_t w;

    (void)state;
    snprintf(rpath, sizeof rpath, "%s/tests/vectors/receipt-5.txt", PR_SOURCE_DIR);
    snprintf(pub, sizeof pub, "%s/tests/vectors/commission.pub", PR_SOURCE_DIR);
    must(0, &out, "receipt", "--print", rpath, "--commission-pub", pub, NULL);
    fx_has_line(out, "election  vec-2026");
    fx_has_line(out, "file (BLAKE2b-256)");
    fx_has_line(out, "  d059ee1d7068b12c0c6a1358f264d1ed");
    fx_has_line(out, "  d4d033e2cfcd724e4686db6dab06f210");
    fx_has_line(out, "verdict   REJECTED");
    fx_has_line(out, "reasons   unknown-precinct,");
    fx_has_line(out, "          unknown-contest");
    fx_has_line(out, "event     5");
    fx_has_line(out, "head      ff85532e7ac2bdd4");
    fx_has_line(out, "signed    2026-03-15 20:30:00 UTC");
    fx_has_line(out, "key       f448b51d507f063c");
    fx_has_line(out, "signature VALID");
    /* Every line fits a 40-column receipt printer, in plain ASCII. */
    for (line = out; *line != '\0'; line += w + 1) {
        w = strcspn(line, "\n");
        assert_true(w <= 40);
        for (size_t i = 0; i < w; i++)
            assert_true(line[i] >= 0x20 && line[i] < 0x7f);
        if (line[w] == '\0')
            break;
    }
    free(out);
    /* Without a key: said, not hidden. */
    must(0, &out, "receipt", "--print", rpath, NULL);
    fx_has_line(out, "signature NOT CHECKED (no key given)");
    free(out);
}

static void test_receipt_print_bad_signature(void **state)
{
    fx *f = *state;
    char rpath[1024], *text, *out = NULL, *err = NULL, *p;
    size_t n;

    snprintf(rpath, sizeof rpath, "%s/tests/vectors/receipt-5.txt", PR_SOURCE_DIR);
    text = fx_slurp(rpath, &n);
    /* Another commission's key (the fixture's): not valid, exit 1. */
    must(1, &out, "receipt", "--print", rpath, "--commission-pub", "commission.pub", NULL);
    fx_has_line(out, "signature NOT VALID: signed by another");
    free(out);
    /* The verdict changed on the way: the right key no longer verifies. */
    p = strstr(text, "verdict rejected");
    assert_non_null(p);
    memcpy(p, "verdict accepted", 16);
    fx_write("forged.txt", text, n);
    {
        char pub[1024];
        snprintf(pub, sizeof pub, "%s/tests/vectors/commission.pub", PR_SOURCE_DIR);
        must(1, &out, "receipt", "--print", "forged.txt", "--commission-pub", pub, NULL);
    }
    fx_has_line(out, "verdict   ACCEPTED");
    fx_has_line(out, "signature NOT VALID: bad signature");
    free(out);
    free(text);
    /* Not a receipt at all; a missing file; no --print. */
    assert_int_equal(fx_cli(&out, &err, "receipt", "--print", "commission.pub", NULL), 1);
    assert_non_null(strstr(err, "central: commission.pub: not a receipt: line 1: "));
    free(out);
    free(err);
    must(3, NULL, "receipt", "--print", "nope.txt", NULL);
    must(2, NULL, "receipt", "forged.txt", NULL);
    (void)f;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_freeze_list_is_signed_and_tamper_fails, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_freeze_refuses_other_key_and_existing_file, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_key_enrolled_before_freeze_is_fine, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_late_key_held_after_freeze_in_any_order, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_after_freeze_is_late_key, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_certify_refused_while_incomplete, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_certify_refused_when_every_precinct_excused, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_certify_then_import_held_after_certification, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_tally_as_of_certification_reproduces_it, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_finds_edited_freeze_and_certification, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_receipt_print_slip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_receipt_print_bad_signature, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
