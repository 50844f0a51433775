/*
 * store.c: the rows of a stored file and of each decision, written with
 * the event that records them, so the log and the tables cannot disagree
 * after a commit (both are in the caller's one transaction).
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "evidence.h"
#include "history.h"

/* A stored file with its newest decision, selected by WHERE (a literal:
 * the statements are cached by address, ct_db_cached). */
#define CURRENT_SQL(WHERE)                                                                      \
    "SELECT f.id, f.seq, d.seq, d.verdict, d.role, d.grp, d.codes, d.detail, f.hash,"          \
    " coalesce(f.key_id, '')"                                                                  \
    " FROM files f JOIN decisions d ON d.file = f.id"                                          \
    " WHERE " WHERE " ORDER BY d.seq DESC LIMIT 1"
static const char current_by_hash[] = CURRENT_SQL("f.hash = ?1");
static const char current_by_id[] = CURRENT_SQL("f.id = ?1");

static int read_current(ct_db *db, sqlite3_stmt *s, ct_stored *out, int *found, ct_err *e)
{
    char verdict[32], role[32], codes[2048];
    int rc = -1, step;

    *found = 0;
    memset(out, 0, sizeof *out);
    step = sqlite3_step(s);
    if (step == SQLITE_DONE) {
        rc = 0;
        goto out;
    }
    if (step != SQLITE_ROW) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    out->file = (int64_t)sqlite3_column_int64(s, 0);
    out->import_seq = (int64_t)sqlite3_column_int64(s, 1);
    out->seq = (int64_t)sqlite3_column_int64(s, 2);
    ct_col_text(s, 3, verdict, sizeof verdict);
    ct_col_text(s, 4, role, sizeof role);
    out->grp = (unsigned)sqlite3_column_int(s, 5);
    ct_col_text(s, 6, codes, sizeof codes);
    ct_col_text(s, 7, out->detail, sizeof out->detail);
    ct_col_text(s, 9, out->key_id, sizeof out->key_id);
    if (ct_verdict_parse(verdict, &out->verdict) != 0 || ct_role_parse(role, &out->role) != 0 ||
        ct_col_blob(s, 8, out->hash, PR_HASH_BYTES) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "file %lld: damaged decision", (long long)out->file);
        goto out;
    }
    ct_codes_split(codes, &out->codes);
    *found = 1;
    rc = 0;
out:
    return rc;
}

int ct_store_find(ct_db *db, const uint8_t hash[PR_HASH_BYTES], ct_stored *out, int *found,
                  ct_err *e)
{
    sqlite3_stmt *s = NULL;
    int rc = -1;

    if (ct_db_cached(db, current_by_hash, &s, e) != 0)
        goto out;
    if (ct_bind_blob(s, 1, hash, PR_HASH_BYTES) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = read_current(db, s, out, found, e);
out:
    ct_db_done(db, s);
    return rc;
}

int ct_store_get(ct_db *db, int64_t file, ct_stored *out, ct_err *e)
{
    sqlite3_stmt *s = NULL;
    int rc = -1, found = 0;

    if (ct_db_cached(db, current_by_id, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, file) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    if (read_current(db, s, out, &found, e) != 0)
        goto out;
    if (!found) {
        ct_err_set(e, CT_EXIT_IO, db->path, "file %lld has no decision", (long long)file);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

int ct_store_bytes(ct_db *db, int64_t file, ct_input *in, ct_err *e)
{
    static const char sql[] = "SELECT bytes, size, name, hash FROM files WHERE id = ?1";
    sqlite3_stmt *s = NULL;
    const void *p;
    size_t n, nn;
    int rc = -1;

    memset(in, 0, sizeof *in);
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, file) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    p = sqlite3_column_blob(s, 0);
    n = ct_col_size(s, 0);
    nn = ct_col_size(s, 2);
    in->bytes = malloc(n + 1);
    in->name = malloc(nn + 1);
    if (in->bytes == NULL || in->name == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    if (n > 0)
        memcpy(in->bytes, p, n);
    in->bytes[n] = 0;
    if (nn > 0)
        memcpy(in->name, sqlite3_column_blob(s, 2), nn);
    in->name[nn] = '\0';
    in->len = n;
    in->size = (uint64_t)sqlite3_column_int64(s, 1);
    if (ct_col_blob(s, 3, in->hash, PR_HASH_BYTES) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "file %lld: damaged hash", (long long)file);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        ct_input_free(in);
    ct_db_done(db, s);
    return rc;
}

static int insert_decision(ct_db *db, int64_t seq, int64_t file, const ct_decision *d,
                           const char *codes, ct_err *e)
{
    static const char sql[] =
        "INSERT INTO decisions (seq, file, verdict, codes, detail, role, grp, key, pred, holds,"
        " flags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    sqlite3_stmt *s = NULL;
    char holds[2048], flags[2048];
    int rc = -1;

    ct_codes_join(&d->holds, holds, sizeof holds);
    ct_codes_join(&d->flags, flags, sizeof flags);
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, seq) != SQLITE_OK || ct_bind_i64(s, 2, file) != SQLITE_OK ||
        ct_bind_text(s, 3, ct_verdict_name(d->verdict)) != SQLITE_OK ||
        ct_bind_text(s, 4, codes) != SQLITE_OK || ct_bind_text(s, 5, d->detail) != SQLITE_OK ||
        ct_bind_text(s, 6, ct_role_name(d->role)) != SQLITE_OK ||
        sqlite3_bind_int(s, 7, (int)d->grp) != SQLITE_OK ||
        ct_bind_id_or_null(s, 8, d->key) != SQLITE_OK ||
        ct_bind_id_or_null(s, 9, d->pred) != SQLITE_OK || ct_bind_text(s, 10, holds) != SQLITE_OK ||
        ct_bind_text(s, 11, flags) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

static int bind_parsed(sqlite3_stmt *s, const ct_decision *d, const pr_return *r)
{
    char kid[PR_KEYID_HEX + 1], t[PR_TIME_LEN + 1];
    int ok;

    /* A malformed file has only `parsed` = 0; the rest stays NULL. */
    if (!d->parsed) {
        ok = sqlite3_bind_int(s, 6, 0) == SQLITE_OK;
        goto out;
    }
    ct_hex(kid, r->key_id, PR_KEYID_BYTES);
    if (pr_format_time(r->signed_at, t) != 0)
        t[0] = '\0';
    ok = sqlite3_bind_int(s, 6, 1) == SQLITE_OK && ct_bind_text(s, 7, r->election) == SQLITE_OK &&
         ct_bind_text(s, 8, pr_mode_name(r->mode)) == SQLITE_OK &&
         ct_bind_text(s, 9, r->contest) == SQLITE_OK &&
         ct_bind_text(s, 10, r->precinct) == SQLITE_OK &&
         ct_bind_i64(s, 11, (int64_t)r->revision) == SQLITE_OK &&
         (r->revision > 1 ? ct_bind_blob(s, 12, r->supersedes, PR_HASH_BYTES)
                          : sqlite3_bind_null(s, 12)) == SQLITE_OK &&
         ct_bind_blob(s, 13, d->content, PR_HASH_BYTES) == SQLITE_OK &&
         ct_bind_text(s, 14, kid) == SQLITE_OK && ct_bind_text(s, 15, t) == SQLITE_OK;
out:
    return ok ? SQLITE_OK : SQLITE_ERROR;
}

/* The replay row this import adds to its (precinct, contest), for the
 * memo (history.h): the columns as insert_decision stored them. */
static int memo_stored(ct_db *db, int64_t seq, int64_t file, const uint8_t *hash,
                       const ct_decision *d, const pr_return *r, const char *codes, ct_err *e)
{
    char holds[2048];

    if (db->pc_memo == NULL)
        return 0;
    ct_codes_join(&d->holds, holds, sizeof holds);
    return ct_pc_memo_stored(db, r->precinct, r->contest, seq, file, hash, d->content, r->revision,
                             ct_role_name(d->role), ct_verdict_name(d->verdict), d->grp, codes,
                             d->key, d->pred, holds, e);
}

int ct_store_import(ct_db *db, const ct_input *in, const ct_decision *d, const pr_return *r,
                    int64_t now, int64_t *file, int64_t *seq, ct_err *e)
{
    static const char sql[] =
        "INSERT INTO files (hash, size, bytes, name, seq, parsed, election, mode, contest,"
        " precinct, revision, supersedes, content_hash, key_id, signed_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
    sqlite3_stmt *s = NULL;
    char codes[2048];
    ct_event ev;
    int rc = -1;

    ct_codes_join(&d->codes, codes, sizeof codes);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_IMPORT;
    ev.time = now;
    ev.has_subject = 1;
    memcpy(ev.subject, in->hash, PR_HASH_BYTES);
    ev.verdict = ct_verdict_name(d->verdict);
    ev.codes = codes;
    ev.data = "";
    if (ct_event_append(db, &ev, e) != 0)
        goto out;
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_blob(s, 1, in->hash, PR_HASH_BYTES) != SQLITE_OK ||
        ct_bind_i64(s, 2, (int64_t)in->size) != SQLITE_OK ||
        ct_bind_blob(s, 3, in->bytes, in->len) != SQLITE_OK ||
        ct_bind_blob(s, 4, in->name, strlen(in->name)) != SQLITE_OK ||
        ct_bind_i64(s, 5, ev.seq) != SQLITE_OK || bind_parsed(s, d, r) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *file = (int64_t)sqlite3_last_insert_rowid(db->sql);
    if (insert_decision(db, ev.seq, *file, d, codes, e) != 0 ||
        (d->parsed && ct_evidence_note_return(db, *file, r, e) != 0))
        goto out;
    if (d->parsed && memo_stored(db, ev.seq, *file, in->hash, d, r, codes, e) != 0)
        goto out;
    *seq = ev.seq;
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

int ct_store_redecide(ct_db *db, int64_t file, const uint8_t hash[PR_HASH_BYTES],
                      const ct_decision *d, int64_t now, int64_t *seq, ct_err *e)
{
    char codes[2048];
    ct_event ev;
    int rc = -1;

    ct_codes_join(&d->codes, codes, sizeof codes);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_REDECIDE;
    ev.time = now;
    ev.has_subject = 1;
    memcpy(ev.subject, hash, PR_HASH_BYTES);
    ev.verdict = ct_verdict_name(d->verdict);
    ev.codes = codes;
    ev.data = "";
    /* the memo follows imports only (history.h) */
    ct_pc_memo_stop(db);
    if (ct_event_append(db, &ev, e) != 0 || insert_decision(db, ev.seq, file, d, codes, e) != 0)
        goto out;
    *seq = ev.seq;
    rc = 0;
out:
    return rc;
}
