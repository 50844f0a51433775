/*
 * db.c: creating and opening central's database. The schema below is the
 * whole on-disk format; every table but meta is append-only (triggers
 * refuse UPDATE and DELETE), so the past can only be added to, never
 * rewritten, and a file's stored verdict never changes.
 */
#include "db.h"
#include "running.h"
#include "vcache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "proto/codec.h"

/*
 * meta         one row: the election's fixed facts, written by init.
 * events       the hash chain (events.h). seq is the event number; hash =
 *              BLAKE2b-256(prev_hash || canonical text of the event).
 * keys         enrolled station keys: the full public key is the identity,
 *              key_id (16 hex) only a lookup hint; the request bytes are
 *              kept so an auditor can re-verify the proof of possession.
 * key_precincts the precincts each key is enrolled for.
 * revocations  key revocations (`central revoke`): the key, lost, retired or
 *              compromised, the commission's decision reference and the
 *              event. Its effect follows event order: only files stored
 *              after it (files.seq > seq) are judged with it.
 * files        every stored file exactly as received (or, over 64 KiB, its
 *              first 64 KiB + 1 bytes with the full size and the hash of all
 *              of it); the parsed fields are NULL for a malformed file and
 *              are only a query aid: the bytes are the truth.
 * decisions    every decision about a file: the import decision (same seq
 *              as its import event) and later re-decisions (DESIGN 7:
 *              awaiting-predecessor and key-state rejections are decided
 *              again as events). A file's current state is its newest row.
 *              role is the history transition (ct_role), grp the DESIGN 7
 *              group that decided (0: passed all), key the enrolled key
 *              whose signature verified, pred the predecessor file. holds
 *              and flags are groups 9 and 10 as found for every return that
 *              stands, even when group 8 decided its verdict (conflict,
 *              stale, resigned): if a person or a later return makes it
 *              what stands, its status still knows whether it is held.
 * resolutions  a person's decision between the signed returns of a
 *              (precinct, contest) (`central resolve`): accept or reject
 *              one file, with the commission's decision reference. It
 *              changes statuses, never a verdict.
 * excuses      a (precinct, contest) that will never report (`central
 *              excuse`): void or not-opened, with the decision reference.
 * definitions  later versions of the definition (`central amend-definition`),
 *              each with its signature by the commission key and the
 *              decision reference; meta keeps the first. The newest rules.
 * return_evidence the evidence lines (scan hashes) of every stored return
 *              that parsed, written with its files row: a query aid, the
 *              return's bytes are the truth.
 * evidence     scans of paper protocols (`central import --evidence`), each
 *              exactly as received with the name it was given and its
 *              `evidence` event; stored only when a return with a verified
 *              signature names it (evidence.h).
 * freezes      the frozen key list (`central keys --freeze`, issue 5): the
 *              signed `election-keylist 1` bytes exactly as published, at
 *              most one row. Keys enrolled after it, and keys revoked after
 *              it, sign returns that are held `late-key` (freeze.h).
 * certifications a certified contest (`central certify`): later returns of
 *              it are held `after-certification` (certify.h).
 */
static const char schema_tables[] =
    "CREATE TABLE meta ("
    " one INTEGER PRIMARY KEY CHECK (one = 1),"
    " schema INTEGER NOT NULL,"
    " election TEXT NOT NULL,"
    " mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),"
    " definition BLOB NOT NULL,"
    " definition_hash BLOB NOT NULL CHECK (length(definition_hash) = 32),"
    " definition_sig BLOB NOT NULL,"
    " commission_pk BLOB NOT NULL CHECK (length(commission_pk) = 32),"
    " commission_key_id TEXT NOT NULL,"
    " created TEXT NOT NULL);"
    "CREATE TABLE events ("
    " seq INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " time TEXT NOT NULL,"
    " subject BLOB,"
    " verdict TEXT NOT NULL,"
    " codes TEXT NOT NULL,"
    " data TEXT NOT NULL,"
    " prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32));"
    "CREATE TABLE keys ("
    " id INTEGER PRIMARY KEY,"
    " key_id TEXT NOT NULL,"
    " pk BLOB NOT NULL UNIQUE CHECK (length(pk) = 32),"
    " precincts TEXT NOT NULL,"
    " request BLOB NOT NULL,"
    " request_hash BLOB NOT NULL,"
    " seq INTEGER NOT NULL REFERENCES events(seq));"
    "CREATE INDEX keys_by_key_id ON keys(key_id);"
    "CREATE INDEX keys_by_request_hash ON keys(request_hash);"
    "CREATE TABLE key_precincts ("
    " key INTEGER NOT NULL REFERENCES keys(id),"
    " precinct TEXT NOT NULL,"
    " PRIMARY KEY (key, precinct)) WITHOUT ROWID;"
    "CREATE TABLE revocations ("
    " key INTEGER NOT NULL REFERENCES keys(id),"
    " reason TEXT NOT NULL CHECK (reason IN ('lost', 'retired', 'compromised')),"
    " decision TEXT NOT NULL,"
    " seq INTEGER NOT NULL UNIQUE REFERENCES events(seq));"
    "CREATE INDEX revocations_by_key ON revocations(key, seq);"
    "CREATE TABLE files ("
    " id INTEGER PRIMARY KEY,"
    " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    " size INTEGER NOT NULL,"
    " bytes BLOB NOT NULL,"
    " name BLOB NOT NULL,"
    " seq INTEGER NOT NULL REFERENCES events(seq),"
    " parsed INTEGER NOT NULL,"
    " election TEXT, mode TEXT, contest TEXT, precinct TEXT,"
    " revision INTEGER, supersedes BLOB, content_hash BLOB,"
    " key_id TEXT, signed_at TEXT);"
    "CREATE INDEX files_by_pc ON files(precinct, contest);"
    "CREATE INDEX files_by_supersedes ON files(supersedes) WHERE supersedes IS NOT NULL;"
    "CREATE TABLE decisions ("
    " seq INTEGER PRIMARY KEY REFERENCES events(seq),"
    " file INTEGER NOT NULL REFERENCES files(id),"
    " verdict TEXT NOT NULL,"
    " codes TEXT NOT NULL,"
    " detail TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " grp INTEGER NOT NULL,"
    " key INTEGER REFERENCES keys(id),"
    " pred INTEGER REFERENCES files(id),"
    " holds TEXT NOT NULL,"
    " flags TEXT NOT NULL);"
    "CREATE INDEX decisions_by_file ON decisions(file, seq);" CT_DECISIONS_OPEN_INDEX ";";
/* People's decisions (the schema is split only to keep each string short). */
static const char schema_decisions[] =
    "CREATE TABLE resolutions ("
    " seq INTEGER PRIMARY KEY REFERENCES events(seq),"
    " file INTEGER NOT NULL REFERENCES files(id),"
    " action TEXT NOT NULL CHECK (action IN ('accept', 'reject')),"
    " decision TEXT NOT NULL);"
    "CREATE INDEX resolutions_by_file ON resolutions(file);"
    "CREATE TABLE excuses ("
    " seq INTEGER PRIMARY KEY REFERENCES events(seq),"
    " precinct TEXT NOT NULL,"
    " contest TEXT NOT NULL,"
    " reason TEXT NOT NULL CHECK (reason IN ('void', 'not-opened')),"
    " decision TEXT NOT NULL,"
    " UNIQUE (precinct, contest));"
    "CREATE TABLE definitions ("
    " seq INTEGER PRIMARY KEY REFERENCES events(seq),"
    " definition BLOB NOT NULL,"
    " definition_hash BLOB NOT NULL UNIQUE CHECK (length(definition_hash) = 32),"
    " definition_sig BLOB NOT NULL,"
    " decision TEXT NOT NULL);"
    /* Issue 5: the frozen key list (`central keys --freeze`) as signed and
     * published, at most one; and certified contests (`central certify`). */
    "CREATE TABLE freezes ("
    " seq INTEGER PRIMARY KEY REFERENCES events(seq),"
    " keylist BLOB NOT NULL,"
    " keylist_hash BLOB NOT NULL UNIQUE CHECK (length(keylist_hash) = 32));"
    "CREATE TABLE certifications ("
    " seq INTEGER PRIMARY KEY REFERENCES events(seq),"
    " contest TEXT NOT NULL UNIQUE,"
    " decision TEXT NOT NULL);";
/* Scans of paper protocols (issue 7 "Evidence"), with their own triggers. */
static const char schema_evidence[] =
    "CREATE TABLE return_evidence ("
    " file INTEGER NOT NULL REFERENCES files(id),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32),"
    " PRIMARY KEY (file, hash)) WITHOUT ROWID;"
    "CREATE INDEX return_evidence_by_hash ON return_evidence(hash);"
    "CREATE TABLE evidence ("
    " seq INTEGER PRIMARY KEY REFERENCES events(seq),"
    " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    " bytes BLOB NOT NULL,"
    " name BLOB NOT NULL);"
    "CREATE TRIGGER return_evidence_no_update BEFORE UPDATE ON return_evidence"
    " BEGIN SELECT RAISE(ABORT, 'return_evidence is append-only'); END;"
    "CREATE TRIGGER return_evidence_no_delete BEFORE DELETE ON return_evidence"
    " BEGIN SELECT RAISE(ABORT, 'return_evidence is append-only'); END;"
    "CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence"
    " BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;"
    "CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence"
    " BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;";
/* The tally cache (running.h): derived, rewritable, never evidence. Its
 * tables hold a copy of what a full report computes, kept current by each
 * commit; the triggers mark a (precinct, contest) dirty in the same
 * transaction as the decision, resolution or excuse that may change it.
 * IF NOT EXISTS: a writer adds them to a database made before them
 * (SQLite stores the same text either way, so audit's schema check sees
 * no difference). */
static const char schema_tally[] =
    "CREATE TABLE IF NOT EXISTS tally_cache ("
    " one INTEGER PRIMARY KEY CHECK (one = 1),"
    " definition_hash BLOB NOT NULL CHECK (length(definition_hash) = 32),"
    " core BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tally_cache_contest ("
    " contest TEXT PRIMARY KEY,"
    " sums BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tally_cache_pc ("
    " precinct TEXT NOT NULL,"
    " contest TEXT NOT NULL,"
    " status INTEGER NOT NULL,"
    " file INTEGER NOT NULL,"
    " PRIMARY KEY (precinct, contest)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tally_dirty ("
    " precinct TEXT NOT NULL,"
    " contest TEXT NOT NULL,"
    " PRIMARY KEY (precinct, contest)) WITHOUT ROWID;"
    "CREATE TRIGGER IF NOT EXISTS tally_dirty_decisions AFTER INSERT ON decisions BEGIN"
    " INSERT OR IGNORE INTO tally_dirty SELECT precinct, contest FROM files"
    " WHERE id = NEW.file AND precinct IS NOT NULL AND contest IS NOT NULL; END;"
    "CREATE TRIGGER IF NOT EXISTS tally_dirty_resolutions AFTER INSERT ON resolutions BEGIN"
    " INSERT OR IGNORE INTO tally_dirty SELECT precinct, contest FROM files"
    " WHERE id = NEW.file AND precinct IS NOT NULL AND contest IS NOT NULL; END;"
    "CREATE TRIGGER IF NOT EXISTS tally_dirty_excuses AFTER INSERT ON excuses BEGIN"
    " INSERT OR IGNORE INTO tally_dirty VALUES (NEW.precinct, NEW.contest); END;";
/* Append-only: every table but meta refuses UPDATE and DELETE; meta is
 * written once. */
static const char schema_triggers[] =
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
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
    " BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;"
    "CREATE TRIGGER keys_no_update BEFORE UPDATE ON keys"
    " BEGIN SELECT RAISE(ABORT, 'keys are append-only'); END;"
    "CREATE TRIGGER keys_no_delete BEFORE DELETE ON keys"
    " BEGIN SELECT RAISE(ABORT, 'keys are append-only'); END;"
    "CREATE TRIGGER key_precincts_no_update BEFORE UPDATE ON key_precincts"
    " BEGIN SELECT RAISE(ABORT, 'key_precincts are append-only'); END;"
    "CREATE TRIGGER key_precincts_no_delete BEFORE DELETE ON key_precincts"
    " BEGIN SELECT RAISE(ABORT, 'key_precincts are append-only'); END;"
    "CREATE TRIGGER revocations_no_update BEFORE UPDATE ON revocations"
    " BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;"
    "CREATE TRIGGER revocations_no_delete BEFORE DELETE ON revocations"
    " BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;"
    "CREATE TRIGGER resolutions_no_update BEFORE UPDATE ON resolutions"
    " BEGIN SELECT RAISE(ABORT, 'resolutions are append-only'); END;"
    "CREATE TRIGGER resolutions_no_delete BEFORE DELETE ON resolutions"
    " BEGIN SELECT RAISE(ABORT, 'resolutions are append-only'); END;"
    "CREATE TRIGGER excuses_no_update BEFORE UPDATE ON excuses"
    " BEGIN SELECT RAISE(ABORT, 'excuses are append-only'); END;"
    "CREATE TRIGGER excuses_no_delete BEFORE DELETE ON excuses"
    " BEGIN SELECT RAISE(ABORT, 'excuses are append-only'); END;"
    "CREATE TRIGGER definitions_no_update BEFORE UPDATE ON definitions"
    " BEGIN SELECT RAISE(ABORT, 'definitions are append-only'); END;"
    "CREATE TRIGGER definitions_no_delete BEFORE DELETE ON definitions"
    " BEGIN SELECT RAISE(ABORT, 'definitions are append-only'); END;"
    "CREATE TRIGGER freezes_no_update BEFORE UPDATE ON freezes"
    " BEGIN SELECT RAISE(ABORT, 'freezes are append-only'); END;"
    "CREATE TRIGGER freezes_no_delete BEFORE DELETE ON freezes"
    " BEGIN SELECT RAISE(ABORT, 'freezes are append-only'); END;"
    "CREATE TRIGGER certifications_no_update BEFORE UPDATE ON certifications"
    " BEGIN SELECT RAISE(ABORT, 'certifications are append-only'); END;"
    "CREATE TRIGGER certifications_no_delete BEFORE DELETE ON certifications"
    " BEGIN SELECT RAISE(ABORT, 'certifications are append-only'); END;"
    "CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta"
    " BEGIN SELECT RAISE(ABORT, 'meta is fixed at init'); END;";

void ct_db_error(ct_db *db, ct_err *e, const char *what)
{
    ct_err_set(e, CT_EXIT_IO, what != NULL ? what : db->path, "database: %s",
               db->sql != NULL ? sqlite3_errmsg(db->sql) : "not open");
}

int ct_db_cached(ct_db *db, const char *sql, sqlite3_stmt **st, ct_err *e)
{
    const size_t n = sizeof db->cached / sizeof db->cached[0];
    struct ct_stmt_slot *free_slot = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        struct ct_stmt_slot *c = &db->cached[i];

        if (c->sql == sql && !c->busy) {
            c->busy = 1;
            *st = c->st;
            return 0;
        }
        if (c->sql == NULL && free_slot == NULL)
            free_slot = c;
    }
    if (ct_db_prepare(db, sql, st, e) != 0)
        return -1;
    if (free_slot != NULL) {
        free_slot->sql = sql;
        free_slot->st = *st;
        free_slot->busy = 1;
    }
    return 0;
}

void ct_db_done(ct_db *db, sqlite3_stmt *st)
{
    const size_t n = sizeof db->cached / sizeof db->cached[0];
    size_t i;

    if (st == NULL)
        return;
    for (i = 0; i < n; i++) {
        if (db->cached[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            db->cached[i].busy = 0;
            return;
        }
    }
    sqlite3_finalize(st);
}

int ct_db_int(ct_db *db, const char *sql, int64_t *out, ct_err *e)
{
    sqlite3_stmt *s = NULL;
    int rc = -1;

    *out = 0;
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (sqlite3_step(s) != SQLITE_ROW) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *out = (int64_t)sqlite3_column_int64(s, 0);
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

int ct_db_prepare(ct_db *db, const char *sql, sqlite3_stmt **st, ct_err *e)
{
    int rc = 0;

    if (sqlite3_prepare_v2(db->sql, sql, -1, st, NULL) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        sqlite3_finalize(*st);
        *st = NULL;
        rc = -1;
    }
    return rc;
}

static int exec(ct_db *db, const char *sql, ct_err *e)
{
    char *msg = NULL;
    int k = sqlite3_exec(db->sql, sql, NULL, NULL, &msg), rc = 0;

    if (k != SQLITE_OK) {
        ct_err_set(e, CT_EXIT_IO, db->path, "database: %s", msg != NULL ? msg : sqlite3_errstr(k));
        rc = -1;
    }
    sqlite3_free(msg);
    return rc;
}

int ct_db_exec(ct_db *db, const char *sql, ct_err *e)
{
    return exec(db, sql, e);
}

int ct_db_begin(ct_db *db, ct_err *e)
{
    return exec(db, "BEGIN IMMEDIATE", e);
}

int ct_db_commit(ct_db *db, ct_err *e)
{
    /* the tally cache moves with the events, in the same transaction */
    if (ct_running_refresh(db, e) != 0)
        return -1;
    return exec(db, "COMMIT", e);
}

void ct_db_rollback(ct_db *db)
{
    /* Fails harmlessly when no transaction is open (e.g. after SQLite
     * rolled back by itself on a full disk). */
    if (db != NULL && db->sql != NULL && !sqlite3_get_autocommit(db->sql))
        (void)sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

int ct_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
    /* An empty blob is bound as "" so it is stored as a blob, not NULL. */
    return n > (size_t)INT_MAX ? SQLITE_TOOBIG
                               : sqlite3_bind_blob(st, i, n > 0 ? p : "", (int)n, SQLITE_TRANSIENT);
}

int ct_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    size_t n = strlen(s);

    return n > (size_t)INT_MAX ? SQLITE_TOOBIG : sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
}

int ct_bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

int ct_bind_id_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    return v == 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

void ct_col_text(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = ct_col_size(st, i);

    if (outlen == 0)
        return;
    if (t == NULL)
        n = 0;
    if (n >= outlen)
        n = outlen - 1;
    if (n > 0)
        memcpy(out, t, n);
    out[n] = '\0';
}

int ct_col_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t n)
{
    const void *p = sqlite3_column_blob(st, i);
    int rc = -1;

    if (p != NULL && ct_col_size(st, i) == n) {
        memcpy(out, p, n);
        rc = 0;
    }
    return rc;
}

size_t ct_col_size(sqlite3_stmt *st, int i)
{
    int n = sqlite3_column_bytes(st, i);

    return n > 0 ? (size_t)n : 0;
}

/* The pragmas of every writing connection: WAL so readers never block the
 * importer, synchronous=FULL so a committed verdict survives a power cut
 * (DESIGN 9: a verdict is printed only after it is committed). */
/* 0 only while `central audit` replays into its throw-away database. */
static int durable = 1;

void ct_db_set_durable(int on)
{
    durable = on;
}

/* A writer's WAL size (issue 8). Each return inserts into B-trees in
 * random order (files.hash, files_by_pc): every insert dirties a page of
 * its own, so a commit writes about a page per return per such index, and
 * each checkpoint copies those pages again into the database. Checkpointing
 * every 64 MiB of WAL rather than SQLite's 4 MiB copies a page that many
 * commits changed once (100,000 returns: 3.8 GB written -> 1.2 GB, import
 * 19.5 s -> 15.7 s). The WAL file grows to about 64 MiB during an import
 * and is removed when the last connection closes. */
#define CT_WRITER_PRAGMAS "PRAGMA wal_autocheckpoint = 16384"

static int set_pragmas(ct_db *db, int readonly, ct_err *e)
{
    int rc = 0;

    if (sqlite3_busy_timeout(db->sql, CT_BUSY_TIMEOUT_MS) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        rc = -1;
        goto out;
    }
    if (exec(db, "PRAGMA foreign_keys = ON", e) != 0) {
        rc = -1;
        goto out;
    }
    if (!readonly) {
        if (exec(db, "PRAGMA journal_mode = WAL", e) != 0 ||
            exec(db, durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF", e) != 0 ||
            exec(db, CT_WRITER_PRAGMAS, e) != 0) {
            rc = -1;
            goto out;
        }
    }
out:
    return rc;
}

static int path_exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0 || errno != ENOENT;
}

static void remove_db_files(const char *path)
{
    char side[1100];

    (void)unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    (void)unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    (void)unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    (void)unlink(side);
}

static int insert_meta(ct_db *db, const ct_db_init *in, ct_err *e)
{
    static const char sql[] =
        "INSERT INTO meta (one, schema, election, mode, definition, definition_hash,"
        " definition_sig, commission_pk, commission_key_id, created)"
        " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    sqlite3_stmt *st = NULL;
    uint8_t kid[PR_KEYID_BYTES];
    char kid_hex[PR_KEYID_HEX + 1], created[PR_TIME_LEN + 1];
    int rc = -1;

    pr_key_id(kid, in->commission_pk);
    ct_hex(kid_hex, kid, sizeof kid);
    if (pr_format_time(ct_now(), created) != 0)
        snprintf(created, sizeof created, "%s", "unknown");
    if (ct_db_prepare(db, sql, &st, e) != 0)
        goto out;
    if (sqlite3_bind_int(st, 1, CT_SCHEMA_VERSION) != SQLITE_OK ||
        ct_bind_text(st, 2, in->def->id) != SQLITE_OK || ct_bind_text(st, 3, in->mode) != SQLITE_OK ||
        ct_bind_blob(st, 4, in->definition, in->definition_len) != SQLITE_OK ||
        ct_bind_blob(st, 5, in->def->hash, PR_HASH_BYTES) != SQLITE_OK ||
        ct_bind_blob(st, 6, in->definition_sig, in->definition_sig_len) != SQLITE_OK ||
        ct_bind_blob(st, 7, in->commission_pk, PR_PK_BYTES) != SQLITE_OK ||
        ct_bind_text(st, 8, kid_hex) != SQLITE_OK || ct_bind_text(st, 9, created) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int ct_db_create(const char *path, const ct_db_init *in, ct_err *e)
{
    ct_db db;
    char side[1100], side2[1100];
    char data[256], top[PR_HASH_HEX + 1];
    ct_event ev;
    int fd = -1, created = 0, rc = -1;

    memset(&db, 0, sizeof db);
    snprintf(db.path, sizeof db.path, "%s", path);
    if (strlen(path) >= sizeof db.path - 16) {
        ct_err_set(e, CT_EXIT_USAGE, path, "path too long");
        goto out;
    }
    /* A leftover -wal or -journal beside a new file would be replayed into
     * it by SQLite: refuse rather than inherit someone else's pages. */
    snprintf(side, sizeof side, "%s-wal", path);
    snprintf(side2, sizeof side2, "%s-journal", path);
    if (path_exists(path) || path_exists(side) || path_exists(side2)) {
        ct_err_set(e, CT_EXIT_IO, path, "already exists (refusing to overwrite a database)");
        goto out;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    if (fd < 0) {
        ct_err_set(e, CT_EXIT_IO, path, "%s", strerror(errno));
        goto out;
    }
    created = 1;
    (void)close(fd);
    fd = -1;
    if (sqlite3_open_v2(path, &db.sql, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        ct_db_error(&db, e, NULL);
        goto out;
    }
    if (set_pragmas(&db, 0, e) != 0)
        goto out;
    if (ct_db_begin(&db, e) != 0)
        goto out;
    if (exec(&db, schema_tables, e) != 0 || exec(&db, schema_decisions, e) != 0 ||
        exec(&db, schema_triggers, e) != 0 || exec(&db, schema_evidence, e) != 0 ||
        exec(&db, schema_tally, e) != 0 || insert_meta(&db, in, e) != 0)
        goto out;
    memset(&ev, 0, sizeof ev);
    /* A lower commission's scope and the top key are facts of the chain:
     * event 1 carries them (docs/BUNDLE.md). */
    if (in->top_pk != NULL)
        pr_hex_encode(top, in->top_pk, PR_PK_BYTES);
    snprintf(data, sizeof data, "mode %s%s%s%s%s", in->mode, in->scope != NULL ? " scope " : "",
             in->scope != NULL ? in->scope : "", in->top_pk != NULL ? " top " : "",
             in->top_pk != NULL ? top : "");
    ev.kind = CT_EV_INIT;
    ev.has_subject = 1;
    memcpy(ev.subject, in->def->hash, PR_HASH_BYTES);
    ev.verdict = "";
    ev.codes = "";
    ev.data = data;
    if (ct_event_append(&db, &ev, e) != 0)
        goto out;
    /* The tally cache is left empty: the first writer's commit builds it
     * (ct_running_refresh), and until then readers compute in full. */
    if (ct_db_commit(&db, e) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        ct_db_rollback(&db);
    /* ct_event_append caches its statement: sqlite3_close refuses to close
     * (and leaks the connection, its WAL never checkpointed) until every
     * statement is finalized. */
    for (size_t i = 0; i < sizeof db.cached / sizeof db.cached[0]; i++)
        sqlite3_finalize(db.cached[i].st);
    if (db.sql != NULL)
        sqlite3_close(db.sql);
    if (rc != 0 && created)
        remove_db_files(path);
    return rc;
}

/* The definition last loaded, kept for the next database of the same
 * definition (issue 8: `central audit` opens the stored database, the
 * replay and the commands it replays, each loading the same definition
 * again: about 13 s at 1,000,000 precincts). Matched by the BLAKE2b hash of
 * the bytes, which each caller has just checked against the stored hash,
 * so a match is the same bytes, parsed the same; a loaded definition is
 * never changed. One process, one thread (the workers never open a
 * ct_db). */
static struct {
    uint8_t hash[PR_HASH_BYTES];
    cm_definition *def;
    size_t refs;
} shared;

/* The definition of bytes (whose hash is hash): the shared one when it is
 * that, else loaded (and shared when the slot is free). Give it back with
 * def_put. 0, or -1 with d. */
static int def_get(const uint8_t hash[PR_HASH_BYTES], const uint8_t *bytes, size_t len,
                   cm_definition **out, pr_diag *d)
{
    if (shared.def != NULL && memcmp(shared.hash, hash, PR_HASH_BYTES) == 0) {
        shared.refs++;
        *out = shared.def;
        return 0;
    }
    if (cm_definition_load(bytes, len, out, d) != 0)
        return -1;
    if (shared.refs == 0) {
        cm_definition_free(shared.def);
        shared.def = *out;
        memcpy(shared.hash, hash, PR_HASH_BYTES);
        shared.refs = 1;
    }
    return 0;
}

static void def_put(cm_definition *def)
{
    if (def != NULL && def == shared.def)
        shared.refs--;
    else
        cm_definition_free(def);
}

static int load_meta(ct_db *db, ct_err *e)
{
    static const char sql[] =
        "SELECT schema, election, mode, definition, definition_hash, commission_pk"
        " FROM meta WHERE one = 1";
    sqlite3_stmt *st = NULL;
    const uint8_t *bytes;
    size_t len;
    uint8_t h[PR_HASH_BYTES];
    pr_diag d;
    int rc = -1;

    memset(&d, 0, sizeof d);
    if (ct_db_prepare(db, sql, &st, e) != 0)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        ct_err_set(e, CT_EXIT_IO, db->path, "not a central database (no meta row)");
        goto out;
    }
    if (sqlite3_column_int(st, 0) != CT_SCHEMA_VERSION) {
        ct_err_set(e, CT_EXIT_IO, db->path, "database schema %d, this central knows %d",
                   sqlite3_column_int(st, 0), CT_SCHEMA_VERSION);
        goto out;
    }
    ct_col_text(st, 1, db->election, sizeof db->election);
    ct_col_text(st, 2, db->mode, sizeof db->mode);
    bytes = sqlite3_column_blob(st, 3);
    len = ct_col_size(st, 3);
    if (bytes == NULL || ct_col_blob(st, 4, db->def_hash, PR_HASH_BYTES) != 0 ||
        ct_col_blob(st, 5, db->commission_pk, PR_PK_BYTES) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "meta row damaged");
        goto out;
    }
    pr_hash(h, bytes, len);
    if (memcmp(h, db->def_hash, PR_HASH_BYTES) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "stored definition does not match its hash");
        goto out;
    }
    if (def_get(h, bytes, len, &db->def, &d) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "stored definition: %s", d.msg);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* Amendments, oldest first: each becomes the newest version, the one
 * before it joins db->older. Every stored hash is checked against the
 * bytes. */
static int load_amendments(ct_db *db, ct_err *e)
{
    static const char sql[] = "SELECT seq, definition, definition_hash FROM definitions ORDER BY seq";
    sqlite3_stmt *st = NULL;
    uint8_t h[PR_HASH_BYTES], stored[PR_HASH_BYTES];
    cm_definition *def = NULL;
    ct_def_version *nv;
    pr_diag d;
    int rc = -1, step;

    memset(&d, 0, sizeof d);
    if (ct_db_prepare(db, sql, &st, e) != 0)
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *bytes = sqlite3_column_blob(st, 1);
        size_t len = ct_col_size(st, 1);
        if (bytes == NULL || ct_col_blob(st, 2, stored, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "definitions row damaged");
            goto out;
        }
        pr_hash(h, bytes, len);
        if (memcmp(h, stored, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "stored amended definition does not match its hash");
            goto out;
        }
        if (def_get(h, bytes, len, &def, &d) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "stored amended definition: %s", d.msg);
            goto out;
        }
        nv = realloc(db->older, (db->n_older + 1) * sizeof *nv);
        if (nv == NULL) {
            ct_err_set(e, CT_EXIT_IO, db->path, "out of memory");
            goto out;
        }
        db->older = nv;
        memcpy(nv[db->n_older].hash, db->def_hash, PR_HASH_BYTES);
        nv[db->n_older].def = db->def;
        db->n_older++;
        db->def = def;
        def = NULL;
        memcpy(db->def_hash, h, PR_HASH_BYTES);
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    def_put(def);
    sqlite3_finalize(st);
    return rc;
}

/* The scope and top key from the init event's data (`mode M [scope AREA]
 * [top HEX]`). */
static int load_scope(ct_db *db, ct_err *e)
{
    static const char sql[] = "SELECT data FROM events WHERE seq = 1";
    sqlite3_stmt *st = NULL;
    char data[512], *tok, *save = NULL, *prev = NULL;
    int rc = -1;

    db->scope[0] = '\0';
    db->scope_area = (size_t)-1;
    db->has_top = 0;
    if (ct_db_prepare(db, sql, &st, e) != 0)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = 0; /* no init event: the audit says so */
        goto out;
    }
    ct_col_text(st, 0, data, sizeof data);
    for (tok = strtok_r(data, " ", &save); tok != NULL; prev = tok, tok = strtok_r(NULL, " ", &save)) {
        if (prev != NULL && strcmp(prev, "scope") == 0) {
            snprintf(db->scope, sizeof db->scope, "%s", tok);
            db->scope_area = cm_find_area(db->def, tok);
            if (db->scope_area == (size_t)-1) {
                ct_err_set(e, CT_EXIT_IO, db->path, "scope area %s is not in the definition", tok);
                goto out;
            }
        } else if (prev != NULL && strcmp(prev, "top") == 0) {
            if (pr_hex_decode(db->top_pk, PR_PK_BYTES, tok, strlen(tok)) != 0) {
                ct_err_set(e, CT_EXIT_IO, db->path, "init event: top key damaged");
                goto out;
            }
            db->has_top = 1;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int ct_db_in_scope(const ct_db *db, size_t precinct)
{
    size_t a, steps = 0;

    if (db->scope_area == (size_t)-1)
        return 1;
    if (precinct >= db->def->n_precincts)
        return 0;
    for (a = db->def->precincts[precinct].area; a != (size_t)-1 && steps <= db->def->n_areas;
         a = db->def->areas[a].parent, steps++)
        if (a == db->scope_area)
            return 1;
    return 0;
}

const uint8_t *ct_db_definition_pk(const ct_db *db)
{
    return db->has_top ? db->top_pk : db->commission_pk;
}

const cm_definition *ct_db_version(const ct_db *db, const uint8_t hash[PR_HASH_BYTES])
{
    const cm_definition *found = NULL;
    size_t i;

    if (memcmp(hash, db->def_hash, PR_HASH_BYTES) == 0)
        found = db->def;
    for (i = 0; found == NULL && i < db->n_older; i++)
        if (memcmp(hash, db->older[i].hash, PR_HASH_BYTES) == 0)
            found = db->older[i].def;
    return found;
}

/* Refuses, before SQLite touches it, anything that is not an existing
 * SQLite file: SQLite would happily turn an empty file (or a typo'd path
 * of another file) into a database. */
static int check_database_file(const char *path, ct_err *e)
{
    static const char magic[16] = "SQLite format 3";
    char head[16];
    struct stat st;
    ssize_t got;
    int fd, rc = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        ct_err_set(e, CT_EXIT_IO, path, "cannot open database: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        ct_err_set(e, CT_EXIT_IO, path, "cannot open database: %s", strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        ct_err_set(e, CT_EXIT_IO, path, "is a folder, not a central database");
        goto out;
    }
    got = S_ISREG(st.st_mode) ? read(fd, head, sizeof head) : -1;
    if (got != (ssize_t)sizeof head || memcmp(head, magic, sizeof magic) != 0) {
        ct_err_set(e, CT_EXIT_IO, path, "not a central database (create one with central init)");
        goto out;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

static int keep_cache = 1;

void ct_db_keep_cache(int on)
{
    keep_cache = on;
}

/* Whether the tally cache is all there: its four tables and three
 * triggers (a database made before them, opened read-only, has none; one
 * altered by hand may lack some). 0, or -1 with e. */
static int has_cache(ct_db *db, int *yes, ct_err *e)
{
    int64_t n;

    if (ct_db_int(db,
                  "SELECT count(*) FROM sqlite_master WHERE name IN ('tally_cache', 'tally_cache_contest',"
                  " 'tally_cache_pc', 'tally_dirty', 'tally_dirty_decisions', 'tally_dirty_resolutions',"
                  " 'tally_dirty_excuses')",
                  &n, e) != 0)
        return -1;
    *yes = n == 7;
    return 0;
}

/* A connection to the existing database at path, with its pragmas, in a
 * new ct_db (*out; the caller closes it with ct_db_close, also on
 * failure). 0, or -1 with e. */
static int connect_db(const char *path, int readonly, ct_db **out, ct_err *e)
{
    ct_db *db = calloc(1, sizeof *db);

    *out = db;
    if (db == NULL) {
        ct_err_set(e, CT_EXIT_IO, path, "out of memory");
        return -1;
    }
    snprintf(db->path, sizeof db->path, "%s", path);
    if (check_database_file(path, e) != 0)
        return -1;
    if (sqlite3_open_v2(path, &db->sql, readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE,
                        NULL) != SQLITE_OK) {
        ct_err_set(e, CT_EXIT_IO, path, "cannot open database: %s",
                   db->sql != NULL ? sqlite3_errmsg(db->sql) : "out of memory");
        return -1;
    }
    return set_pragmas(db, readonly, e);
}

int ct_db_open_core(const char *path, ct_db **out, ct_err *e)
{
    /* Only columns stored before meta.definition and definitions.definition:
     * a column behind a blob is reached by reading the blob's pages (the
     * whole definition). The newest definition's hash is the subject of its
     * event (init, or the newest amendment), as audit checks. */
    static const char meta_sql[] = "SELECT schema, election, mode FROM meta WHERE one = 1";
    static const char newest_sql[] =
        "SELECT subject FROM events WHERE seq = coalesce((SELECT max(seq) FROM definitions), 1)";
    static const char core_sql[] = "SELECT definition_hash, core FROM tally_cache WHERE one = 1";
    ct_db *db = NULL;
    sqlite3_stmt *st = NULL;
    uint8_t h[PR_HASH_BYTES];
    int rc = -1;

    *out = NULL;
    if (connect_db(path, 1, &db, e) != 0 || has_cache(db, &db->has_cache, e) != 0)
        goto out;
    if (!db->has_cache || ct_db_prepare(db, meta_sql, &st, e) != 0 || sqlite3_step(st) != SQLITE_ROW ||
        sqlite3_column_int(st, 0) != CT_SCHEMA_VERSION) {
        rc = 0; /* ct_db_open says what is wrong, if anything */
        goto out;
    }
    ct_col_text(st, 1, db->election, sizeof db->election);
    ct_col_text(st, 2, db->mode, sizeof db->mode);
    sqlite3_finalize(st);
    st = NULL;
    if (ct_db_prepare(db, newest_sql, &st, e) != 0)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW || ct_col_blob(st, 0, db->def_hash, PR_HASH_BYTES) != 0) {
        rc = 0;
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (ct_db_prepare(db, core_sql, &st, e) != 0)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW || ct_col_blob(st, 0, h, PR_HASH_BYTES) != 0 ||
        memcmp(h, db->def_hash, PR_HASH_BYTES) != 0 ||
        cm_definition_load_core(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                                db->def_hash, &db->def) != 0) {
        rc = 0;
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (load_scope(db, e) != 0)
        goto out;
    *out = db;
    db = NULL;
    rc = 1;
out:
    sqlite3_finalize(st);
    ct_db_close(db);
    return rc;
}

int ct_db_open(const char *path, int readonly, ct_db **out, ct_err *e)
{
    ct_db *db = NULL;
    int rc = -1;

    *out = NULL;
    if (connect_db(path, readonly, &db, e) != 0 || load_meta(db, e) != 0 || load_amendments(db, e) != 0 ||
        load_scope(db, e) != 0 || has_cache(db, &db->has_cache, e) != 0)
        goto out;
    if (!readonly && !db->has_cache) {
        /* made before the cache (or some of it dropped): add what is
         * missing, all or nothing (red team: a crash between two CREATEs
         * left tables without their triggers) */
        if (ct_db_begin(db, e) != 0)
            goto out;
        if (exec(db, schema_tally, e) != 0 || exec(db, "DELETE FROM tally_cache", e) != 0 ||
            ct_db_commit(db, e) != 0) { /* db->running is not set yet: a plain COMMIT */
            ct_db_rollback(db);
            goto out;
        }
        db->has_cache = 1;
    }
    db->running = !readonly && keep_cache;
    *out = db;
    db = NULL;
    rc = 0;
out:
    ct_db_close(db);
    return rc;
}

void ct_db_close(ct_db *db)
{
    size_t i;

    if (db == NULL)
        return;
    ct_vcache_clear(db);
    for (i = 0; i < sizeof db->cached / sizeof db->cached[0]; i++)
        sqlite3_finalize(db->cached[i].st);
    if (db->sql != NULL)
        sqlite3_close(db->sql);
    def_put(db->def);
    for (i = 0; i < db->n_older; i++)
        def_put(db->older[i].def);
    free(db->older);
    free(db);
}
