/*
 * test_audit.c: issue 5's insider test. A database with every kind of event
 * is edited as an insider would (triggers dropped, then a count, a verdict,
 * a key, a time changed, rows deleted, added, reordered, any cell of any
 * table): `central audit` finds each and names it, and finds nothing on
 * the untouched database.
 */
#include "fixture.h"

#include "events.h"
#include "proto/checkpoint.h"

static char hexbuf[PR_HASH_HEX + 1];

static const char *hexof(const uint8_t *h)
{
    pr_hex_encode(hexbuf, h, PR_HASH_BYTES);
    return hexbuf;
}

static void ok(int code, char *out, char *err, const char *what)
{
    if (code > 1)
        print_error("%s: %s%s", what, out ? out : "", err ? err : "");
    assert_true(code <= 1);
    free(out);
    free(err);
}

/* A history with every kind of event: init, enrol (3 + 1 later), imports
 * accepted, rejected and in conflict, a correction, a resolution, an
 * excuse, a revocation and the re-decisions they cause. */
static void history(fx *f)
{
    fx_ret a = fx_good("p1", 0), b = fx_good("p2", 1), c1 = fx_good("p3", 2), c2 = fx_good("p3", 2);
    fx_ret bad = fx_good("p2", 1), fix = fx_good("p2", 1), stranger = fx_good("p1", -1);
    fx_ret g = fx_good("p1", 3);
    uint8_t hb[PR_HASH_BYTES], hc1[PR_HASH_BYTES];
    const char *p1 = "p1";
    char *out = NULL, *err = NULL;
    int code;

    bad.v[0] = 1; /* sum-mismatch: rejected */
    c2.v[0] = 299;
    c2.v[2] = 51;
    fix.rev = 2;
    fix.v[0] = 301;
    fix.v[1] = 199;
    g.contest = "gov";
    g.aa = 0;
    g.v[0] = 350;
    g.v[1] = 200;
    g.v[2] = 40;
    fx_make_file(f, &a, "a.return", NULL);
    fx_make_file(f, &b, "b.return", hb);
    fix.sup = hb;
    fx_make_file(f, &fix, "fix.return", NULL);
    fx_make_file(f, &bad, "bad.return", NULL);
    fx_make_file(f, &c1, "c1.return", hc1);
    fx_make_file(f, &c2, "c2.return", NULL);
    fx_make_file(f, &stranger, "stranger.return", NULL);
    fx_make_file(f, &g, "g.return", NULL);
    (void)fx_import("a.return", &out);
    free(out);
    (void)fx_import("b.return", &out);
    free(out);
    (void)fx_import("bad.return", &out);
    free(out);
    (void)fx_import("fix.return", &out);
    free(out);
    (void)fx_import("c1.return", &out);
    free(out);
    (void)fx_import("c2.return", &out);
    free(out);
    (void)fx_import("stranger.return", &out);
    free(out);
    (void)fx_import("g.return", &out); /* unknown-key until station 3 is enrolled */
    free(out);
    fx_request(f, 3, &p1, 1, "st3.req");
    code = fx_cli(&out, &err, "enroll", "--db", "c.db", "st3.req", NULL);
    ok(code, out, err, "enroll");
    code = fx_cli(&out, &err, "resolve", "--db", "c.db", "--precinct", "p3", "--contest", "mayor",
              "--accept", hexof(hc1), "--decision", "CEC-2026/1", NULL);
    ok(code, out, err, "resolve");
    code = fx_cli(&out, &err, "excuse", "--db", "c.db", "--precinct", "p2", "--contest", "gov", "--reason",
              "void", "--decision", "CEC-2026/2", NULL);
    ok(code, out, err, "excuse");
    code = fx_cli(&out, &err, "revoke", "--db", "c.db", "--key", f->kid[2], "--reason", "lost",
              "--decision", "CEC-2026/3", NULL);
    ok(code, out, err, "revoke");
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

/* Drops every append-only trigger, as an insider with the file would. */
static const char drop_triggers[] =
    "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"
    "DROP TRIGGER files_no_update; DROP TRIGGER files_no_delete;"
    "DROP TRIGGER decisions_no_update; DROP TRIGGER decisions_no_delete;"
    "DROP TRIGGER keys_no_update; DROP TRIGGER keys_no_delete;"
    "DROP TRIGGER key_precincts_no_update; DROP TRIGGER key_precincts_no_delete;"
    "DROP TRIGGER revocations_no_update; DROP TRIGGER revocations_no_delete;"
    "DROP TRIGGER resolutions_no_update; DROP TRIGGER resolutions_no_delete;"
    "DROP TRIGGER excuses_no_update; DROP TRIGGER excuses_no_delete;"
    "DROP TRIGGER definitions_no_update; DROP TRIGGER definitions_no_delete;"
    "DROP TRIGGER meta_no_update;";

/* Runs audit on db; returns the exit code, *out its stdout. */
static int audit(const char *db, char **out)
{
    char *err = NULL;
    int code = fx_cli(out, &err, "audit", "--db", db, "--commission-pub", "commission.pub", NULL);

    free(err);
    return code;
}

/* 1 when out has a difference line other than a dropped trigger. */
static int real_difference(const char *out)
{
    const char *p = out;
    int yes = 0;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, "difference: ", 12) == 0 && strncmp(p, "difference: schema: trigger", 28) != 0)
            yes = 1;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return yes;
}

/* Copies c.db to t.db, applies the edit (after dropping the triggers),
 * audits t.db and requires exit 1 and want in its output. */
static void tamper(const char *edit, const char *want)
{
    char *out = NULL;
    int code;

    (void)unlink("t.db");
    sql("c.db", "VACUUM INTO 't.db'");
    sql("t.db", drop_triggers);
    sql("t.db", "PRAGMA ignore_check_constraints = ON");
    {
        char both[2048];
        snprintf(both, sizeof both, "PRAGMA ignore_check_constraints = ON; %s", edit);
        sql("t.db", both);
    }
    code = audit("t.db", &out);
    if (getenv("AUDIT_SHOW") != NULL)
        print_message("== %s\n%s", edit, out);
    /* want NULL: any difference beyond the dropped triggers. */
    if (want == NULL) {
        if (code != 1 || !real_difference(out))
            print_error("edit: %s\naudit (exit %d) found only the dropped triggers:\n%s", edit, code,
                        out != NULL ? out : "(nothing)");
        assert_true(real_difference(out));
        want = "difference: ";
    }
    if (code != 1 || strstr(out, want) == NULL) {
        print_error("edit: %s\nwant: %s\naudit (exit %d):\n%s", edit, want, code, out);
    }
    assert_int_equal(code, 1);
    assert_non_null(strstr(out, want));
    free(out);
}

static void test_audit_untouched_database_agrees(void **state)
{
    char *out = NULL;
    int code;

    history(*state);
    code = audit("c.db", &out);
    if (code != 0)
        print_error("%s", out);
    assert_int_equal(code, 0);
    assert_non_null(strstr(out, "0 differences"));
    assert_non_null(strstr(out, "no checkpoint given"));
    free(out);
}

static void test_audit_finds_insider_edits(void **state)
{
    history(*state);
    /* Dropping the guards alone is named. */
    tamper("SELECT 1", "schema: trigger events_no_update: missing from the database");
    /* A count inside a stored return's bytes (alice 300 -> 900). */
    tamper("UPDATE files SET bytes = CAST(replace(CAST(bytes AS TEXT), 'votes alice 300',"
           " 'votes alice 900') AS BLOB) WHERE precinct = 'p1' AND contest = 'mayor'",
           "stored bytes do not hash to it");
    tamper("UPDATE files SET bytes = CAST(replace(CAST(bytes AS TEXT), 'votes alice 300',"
           " 'votes alice 900') AS BLOB) WHERE precinct = 'p1' AND contest = 'mayor'",
           "contest mayor: tally of alice is ");
    /* A verdict that changes what stands. */
    tamper("UPDATE decisions SET verdict = 'rejected', role = 'rejected', grp = 7"
           " WHERE seq = (SELECT min(seq) FROM decisions)",
           "precinct p1 contest mayor: status");
    /* A verdict. */
    tamper("UPDATE decisions SET verdict = 'accepted' WHERE verdict = 'rejected'",
           "verdict is 'accepted' in the database, 'rejected' on replay");
    /* A key. */
    tamper("UPDATE keys SET pk = zeroblob(32) WHERE id = 1", "keys 1: pk is");
    /* An event time (a receipt time), chain not recomputed. */
    tamper("UPDATE events SET time = '2026-03-15T19:00:00Z' WHERE seq = 6",
           "event 6: the hash chain is broken");
    /* A return deleted. */
    tamper("DELETE FROM decisions WHERE file = 2; DELETE FROM files WHERE id = 2",
           "files 2 (precinct p2 contest mayor): missing from the database");
    /* A return added (a copy of another with other bytes). */
    tamper("INSERT INTO files SELECT 99, randomblob(32), size, bytes, name, seq, parsed, election,"
           " mode, contest, precinct, revision, supersedes, content_hash, key_id, signed_at FROM files"
           " WHERE id = 1",
           "files 99 (precinct p1 contest mayor): in the database but not produced by replay");
    /* Events reordered (two swapped seq numbers). */
    tamper("UPDATE events SET seq = -6 WHERE seq = 6; UPDATE events SET seq = 6 WHERE seq = 7;"
           " UPDATE events SET seq = 7 WHERE seq = -6",
           "the hash chain is broken");
    /* A person's decision reference. */
    tamper("UPDATE resolutions SET decision = 'forged'", "resolutions");
    /* An excuse's reason. */
    tamper("UPDATE excuses SET reason = 'not-opened'", "excuses");
    /* A revocation deleted. */
    tamper("DELETE FROM revocations", "revocations");
    /* An enrolment's precincts. */
    tamper("UPDATE key_precincts SET precinct = 'p9' WHERE key = 1", "key_precincts");
    /* The stored definition. */
    tamper("UPDATE meta SET definition_sig = zeroblob(64)", "event 1 (init): cannot be replayed");
}

/* A cell's value changed, keeping its type where it can (so CHECK and
 * type affinity do not undo it); %s is the column name, six times. */
#define CHANGE                                                                                     \
    "CASE WHEN typeof(\"%s\") = 'integer' THEN \"%s\" + 1000"                                  \
    " WHEN typeof(\"%s\") = 'text' THEN \"%s\" || 'x'"                                           \
    " WHEN typeof(\"%s\") = 'blob' THEN \"%s\" || x'00' ELSE 'x' END"

/* Every cell of every table changed, and every row deleted, one at a time:
 * each is found. */
static void test_audit_finds_any_cell_and_any_row(void **state)
{
    static const char *const tables[] = {"events", "keys", "key_precincts", "revocations", "files",
                                         "decisions", "resolutions", "excuses", "meta"};
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    char q[512], edit[1024];
    size_t t;
    long long rows;
    int c, n;

    history(*state);
    for (t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        assert_int_equal(sqlite3_open_v2("c.db", &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        snprintf(q, sizeof q, "SELECT * FROM %s LIMIT 1", tables[t]);
        assert_int_equal(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
        n = sqlite3_column_count(st);
        sqlite3_finalize(st);
        snprintf(q, sizeof q, "SELECT count(*) FROM %s", tables[t]);
        assert_int_equal(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        rows = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        for (c = 0; c < n; c++) {
            char col[64];
            snprintf(q, sizeof q, "SELECT * FROM %s LIMIT 1", tables[t]);
            assert_int_equal(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
            snprintf(col, sizeof col, "%s", sqlite3_column_name(st, c));
            /* meta.created is a note, not part of the chain (docs/EVENTS.md). */
            if (strcmp(tables[t], "meta") == 0 && strcmp(col, "created") == 0) {
                sqlite3_finalize(st);
                continue;
            }
            /* The last row's cell: a value of another type cannot equal it. */
            snprintf(edit, sizeof edit,
                     "UPDATE %s SET \"%s\" = " CHANGE " WHERE rowid = (SELECT max(rowid) FROM %s)",
                     tables[t], col, col, col, col, col, col, col, tables[t]);
            sqlite3_finalize(st);
            if (strcmp(tables[t], "key_precincts") == 0)
                snprintf(edit, sizeof edit,
                         "UPDATE key_precincts SET \"%s\" = " CHANGE " WHERE key = 1", col, col, col, col,
                         col, col, col);
            tamper(edit, NULL);
        }
        if (rows > 0 && strcmp(tables[t], "meta") != 0) {
            snprintf(edit, sizeof edit, "DELETE FROM %s WHERE rowid = (SELECT min(rowid) FROM %s)",
                     tables[t], tables[t]);
            if (strcmp(tables[t], "key_precincts") == 0)
                snprintf(edit, sizeof edit, "DELETE FROM key_precincts WHERE key = 1");
            tamper(edit, NULL);
        }
        sqlite3_close(h);
    }
}

/* Imports path with a checkpoint signed by the fixture's commission key
 * into cps/; returns the checkpoint's file name (static). */
static const char *import_checkpointed(fx *f, const char *path)
{
    static char name[64];
    pr_buf b;
    char *out = NULL, *err = NULL, *nl;
    const char *p;

    if (access("commission.key", F_OK) != 0) {
        pr_buf_init(&b, PR_FILE_MAX);
        assert_int_equal(pr_seckey_encode(PR_KEY_COMMISSION, f->csk, NULL, 0, 0, 0, &b), 0);
        fx_write("commission.key", b.data, b.len);
        pr_buf_free(&b);
        (void)mkdir("cps", 0755);
    }
    (void)fx_cli(&out, &err, "import", "--db", "c.db", "--checkpoint-key", "commission.key",
                 "--checkpoints", "cps", path, NULL);
    p = strstr(out, "checkpoint cps/");
    if (p == NULL)
        print_error("%s%s", out, err);
    assert_non_null(p);
    snprintf(name, sizeof name, "%s", p + 15);
    nl = strchr(name, '\n');
    if (nl != NULL)
        *nl = '\0';
    free(out);
    free(err);
    return name;
}

static int audit_cps(const char *db, char **out)
{
    char *err = NULL;
    int code = fx_cli(out, &err, "audit", "--db", db, "--commission-pub", "commission.pub",
                      "--checkpoints", "cps", NULL);

    free(err);
    return code;
}

static void test_import_without_key_says_no_checkpoint(void **state)
{
    fx_ret a = fx_good("p1", 0);
    char *out = NULL, *err = NULL;

    fx_make_file(*state, &a, "a.return", NULL);
    assert_int_equal(fx_cli(&out, &err, "import", "--db", "c.db", "a.return", NULL), 0);
    assert_non_null(strstr(err, "no checkpoint written"));
    free(out);
    free(err);
    /* A key with no folder is a usage error. */
    assert_int_equal(fx_cli(&out, &err, "import", "--db", "c.db", "--checkpoint-key", "k", "a.return",
                            NULL),
                     2);
    free(out);
    free(err);
}

/* --receipts: a signed receipt for every stored file, rejected ones too,
 * naming its verdict, codes and the event that stored it. */
static void test_import_receipts_for_every_stored_file(void **state)
{
    fx *f = *state;
    fx_ret a = fx_good("p1", 0), bad = fx_good("p2", 1);
    uint8_t ha[PR_HASH_BYTES], hb[PR_HASH_BYTES];
    char path[256], *out = NULL, *err = NULL;
    char *text;
    size_t n;
    pr_receipt r;
    pr_diag d;
    int code;

    bad.v[0] = 1;
    fx_make_file(f, &a, "a.return", ha);
    fx_make_file(f, &bad, "bad.return", hb);
    (void)import_checkpointed(f, "a.return"); /* writes commission.key, cps/ */
    (void)mkdir("rcp", 0755);
    code = fx_cli(&out, &err, "import", "--db", "c.db", "--checkpoint-key", "commission.key",
                  "--checkpoints", "cps", "--receipts", "rcp", "bad.return", "a.return", NULL);
    assert_int_equal(code, 1);
    free(out);
    free(err);
    /* a.return was a duplicate this time: stored by the earlier run only. */
    snprintf(path, sizeof path, "rcp/receipt-%s.txt", hexof(ha));
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "rcp/receipt-%s.txt", hexof(hb));
    text = fx_slurp(path, &n);
    assert_int_equal(pr_receipt_parse((const uint8_t *)text, n, &r, &d), 0);
    assert_int_equal(pr_receipt_verify((const uint8_t *)text, &r, f->cpk, &d), 0);
    assert_string_equal(r.verdict, "rejected");
    assert_string_equal(r.codes, "sum-mismatch");
    assert_memory_equal(r.file, hb, PR_HASH_BYTES);
    assert_int_equal((long long)r.seq,
                     fx_sql_int("SELECT max(seq) FROM events WHERE kind = 'import'"));
    free(text);
    /* --receipts needs the key. */
    code = fx_cli(&out, &err, "import", "--db", "c.db", "--receipts", "rcp", "a.return", NULL);
    assert_int_equal(code, 2);
    free(out);
    free(err);
}

/* Deleting the newest events and their returns leaves a valid shorter
 * chain: the replay agrees, only the signed checkpoint catches it. */
static void test_audit_truncation_found_against_checkpoint(void **state)
{
    fx *f = *state;
    fx_ret b = fx_good("p2", 1);
    char *out = NULL;
    const char *cp;
    long long cut;
    int code;

    history(f);
    b.v[0] = 299;
    b.v[2] = 51;
    fx_make_file(f, &b, "late.return", NULL);
    b.v[0] = 1;
    fx_make_file(f, &b, "late-bad.return", NULL);
    (void)import_checkpointed(f, "late.return");
    cp = import_checkpointed(f, "late-bad.return");
    assert_non_null(strstr(cp, "checkpoint-"));
    code = audit_cps("c.db", &out);
    if (code != 0)
        print_error("%s", out);
    assert_int_equal(code, 0);
    assert_non_null(strstr(out, "newest checkpoint"));
    free(out);

    /* The insider removes the last two imports and everything they caused. */
    cut = fx_sql_int("SELECT seq FROM files WHERE CAST(name AS TEXT) = 'late.return'") - 1;
    {
        char edit[512];
        (void)unlink("t.db");
        sql("c.db", "VACUUM INTO 't.db'");
        sql("t.db", drop_triggers);
        snprintf(edit, sizeof edit,
                 "DELETE FROM decisions WHERE seq > %lld; DELETE FROM files WHERE seq > %lld;"
                 " DELETE FROM events WHERE seq > %lld;",
                 cut, cut, cut);
        sql("t.db", edit);
        /* ... and puts the guards back, as they were. */
        sql("t.db", "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
                    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
                    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
                    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
                    "CREATE TRIGGER files_no_update BEFORE UPDATE ON files"
                    " BEGIN SELECT RAISE(ABORT, 'files are append-only'); END;"
                    "CREATE TRIGGER files_no_delete BEFORE DELETE ON files"
                    " BEGIN SELECT RAISE(ABORT, 'files are append-only'); END;"
                    "CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions"
                    " BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;"
                    "CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions"
                    " BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;");
    }
    /* Without the checkpoint nothing is wrong, and audit says what it
     * cannot rule out. */
    code = audit("t.db", &out);
    assert_non_null(strstr(out, "cannot be ruled out"));
    free(out);
    /* With it: found. */
    code = audit_cps("t.db", &out);
    if (code != 1 || strstr(out, "is not in the log") == NULL)
        print_error("%s", out);
    assert_int_equal(code, 1);
    assert_non_null(strstr(out, "is not in the log (events removed from its end)"));
    free(out);
}

/* A checkpoint signed by any key but the commission's given on the command
 * line is refused, whatever the database says. */
static void test_audit_refuses_checkpoint_of_another_key(void **state)
{
    fx *f = *state;
    uint8_t pk[PR_PK_BYTES], sk[PR_SK_BYTES];
    pr_checkpoint cp;
    pr_buf b;
    pr_diag d;
    char *out = NULL;

    history(f);
    (void)mkdir("cps", 0755);
    memset(&cp, 0, sizeof cp);
    snprintf(cp.election, sizeof cp.election, "t-2026");
    cp.seq = 3;
    cp.time = f->close;
    crypto_sign_keypair(pk, sk);
    assert_int_equal(pr_checkpoint_sign(&cp, sk, &b, &d), 0);
    fx_write("cps/checkpoint-3.txt", b.data, b.len);
    pr_buf_free(&b);
    assert_int_equal(audit_cps("c.db", &out), 1);
    assert_non_null(strstr(out, "checkpoint checkpoint-3.txt: signed by another commission key"));
    free(out);
}

/* An amended definition is replayed from its stored bytes and signature;
 * a return signed against it too; a forged signature of it is found. */
static void test_audit_replays_amended_definition(void **state)
{
    fx *f = *state;
    static const char from[] = "\"name\": \"Test election\"";
    static const char to[] = "\"name\": \"Test election (amended)\"";
    const char *at = strstr(fx_definition, from);
    char *def2 = malloc(sizeof fx_definition + sizeof to);
    uint8_t h2[PR_HASH_BYTES], h1[PR_HASH_BYTES];
    fx_ret m = fx_good("p2", 1);
    pr_buf b;
    char *out = NULL, *err = NULL;
    size_t pre;
    int code;

    assert_non_null(at);
    assert_non_null(def2);
    pre = (size_t)(at - fx_definition);
    memcpy(def2, fx_definition, pre);
    snprintf(def2 + pre, sizeof fx_definition + sizeof to - pre, "%s%s", to, at + strlen(from));
    fx_write("def2.json", def2, strlen(def2));
    pr_hash(h2, (const uint8_t *)def2, strlen(def2));
    free(def2);
    pr_buf_init(&b, PR_FILE_MAX);
    assert_int_equal(pr_defsig_sign(h2, f->csk, &b), 0);
    fx_write("def2.json.sig", b.data, b.len);
    pr_buf_free(&b);
    history(f);
    code = fx_cli(&out, &err, "amend-definition", "--db", "c.db", "--definition", "def2.json",
                  "--decision", "CEC-2026/9", NULL);
    ok(code, out, err, "amend-definition");
    assert_int_equal(code, 0);
    memcpy(h1, f->def_hash, PR_HASH_BYTES);
    memcpy(f->def_hash, h2, PR_HASH_BYTES);
    m.v[0] = 298;
    m.v[2] = 52;
    fx_make_file(f, &m, "v2.return", NULL);
    memcpy(f->def_hash, h1, PR_HASH_BYTES);
    (void)fx_import("v2.return", &out);
    free(out);
    assert_int_equal(fx_sql_int("SELECT count(*) FROM definitions"), 1);
    code = audit("c.db", &out);
    if (code != 0)
        print_error("%s", out);
    assert_int_equal(code, 0);
    free(out);
    tamper("UPDATE definitions SET definition_sig = CAST(replace(CAST(definition_sig AS TEXT),"
           " 'signature ', 'signature A') AS BLOB)",
           "amend-definition): cannot be replayed");
}

/* docs/EVENTS.md's vector: a fixed event, its canonical text and hash. */
static void test_event_text_vector(void **state)
{
    static const char want_text[] = "event 1\n"
                                    "seq 7\n"
                                    "kind import\n"
                                    "time 2026-03-15T18:00:00Z\n"
                                    "subject 1111111111111111111111111111111111111111111111111111111111111111\n"
                                    "verdict held\n"
                                    "codes registered-drift,late-key\n"
                                    "data -\n";
    static const char want_hash[] =
        "ca95771b1137b73970c1e51b4b0858b7541ae25487cc4ccbb31ecbdd3d9f3db1";
    ct_event ev;
    pr_buf b;
    uint8_t h[PR_HASH_BYTES];

    (void)state;
    memset(&ev, 0, sizeof ev);
    ev.seq = 7;
    ev.kind = CT_EV_IMPORT;
    assert_int_equal(pr_parse_time("2026-03-15T18:00:00Z", 20, &ev.time), 0);
    ev.has_subject = 1;
    memset(ev.subject, 0x11, PR_HASH_BYTES);
    memset(ev.prev, 0x22, PR_HASH_BYTES);
    ev.verdict = "held";
    ev.codes = "registered-drift,late-key";
    ev.data = "";
    pr_buf_init(&b, 1024);
    assert_int_equal(ct_event_text(&ev, &b), 0);
    assert_int_equal(b.len, strlen(want_text));
    assert_memory_equal(b.data, want_text, b.len);
    pr_buf_free(&b);
    assert_int_equal(ct_event_hash(&ev, h), 0);
    if (strcmp(hexof(h), want_hash) != 0)
        print_error("hash %s\n", hexof(h));
    assert_string_equal(hexof(h), want_hash);
    /* "-" is "none": a field may not be "-" itself, nor hold a LF. */
    ev.codes = "-";
    pr_buf_init(&b, 1024);
    assert_int_equal(ct_event_text(&ev, &b), -1);
    pr_buf_free(&b);
    ev.codes = "a\nseq 8";
    pr_buf_init(&b, 1024);
    assert_int_equal(ct_event_text(&ev, &b), -1);
    pr_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_text_vector),
        cmocka_unit_test_setup_teardown(test_audit_replays_amended_definition, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_untouched_database_agrees, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_finds_insider_edits, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_finds_any_cell_and_any_row, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_import_without_key_says_no_checkpoint, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_truncation_found_against_checkpoint, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_refuses_checkpoint_of_another_key, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_import_receipts_for_every_stored_file, fx_setup,
                                        fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
