/*
 * evidence.c: scans of paper protocols (evidence.h). A scan is stored only
 * when a signed return central holds names it, so the database never
 * grows by data nobody vouched for; each stored scan is one event of the
 * chain, replayed by `central audit` like an import.
 */
#include "evidence.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "events.h"
#include "jsonout.h"
#include "proto/codec.h"

int ct_evidence_note_return(ct_db *db, int64_t file, const pr_return *r, ct_err *e)
{
    static const char sql[] = "INSERT INTO return_evidence (file, hash) VALUES (?1, ?2)";
    sqlite3_stmt *s = NULL;
    size_t i;
    int rc = -1;

    if (r->n_evidence == 0) {
        rc = 0;
        goto out;
    }
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    for (i = 0; i < r->n_evidence && i < PR_EVIDENCE_MAX; i++) {
        if (sqlite3_reset(s) != SQLITE_OK || ct_bind_i64(s, 1, file) != SQLITE_OK ||
            ct_bind_blob(s, 2, r->evidence[i], PR_HASH_BYTES) != SQLITE_OK ||
            sqlite3_step(s) != SQLITE_DONE) {
            ct_db_error(db, e, NULL);
            goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* The first stored return (lowest files.id) whose newest decision found a
 * verified signature by a key enrolled for the return's own precinct, and
 * that names hash (a station cannot claim a scan for a precinct it does
 * not serve: red team). *found = 0 when there is none. 0, or -1 with e. */
static int find_namer(ct_db *db, const uint8_t hash[PR_HASH_BYTES], ct_scan_result *res,
                      int *found, ct_err *e)
{
    static const char sql[] =
        "SELECT f.hash, coalesce(f.precinct, '-'), coalesce(f.contest, '-')"
        " FROM return_evidence n JOIN files f ON f.id = n.file"
        " WHERE n.hash = ?1 AND EXISTS (SELECT 1 FROM key_precincts kp WHERE kp.precinct ="
        " f.precinct AND kp.key = (SELECT d.key FROM decisions d WHERE d.file = f.id"
        " ORDER BY d.seq DESC LIMIT 1)) ORDER BY f.id LIMIT 1";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *found = 0;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_blob(s, 1, hash, PR_HASH_BYTES) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        if (ct_col_blob(s, 0, res->named_by, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "files: damaged hash");
            goto out;
        }
        ct_col_text(s, 1, res->precinct, sizeof res->precinct);
        ct_col_text(s, 2, res->contest, sizeof res->contest);
        res->has_return = 1;
        *found = 1;
    } else if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* The event that stored hash, or 0. 0, or -1 with e. */
static int held_seq(ct_db *db, const uint8_t hash[PR_HASH_BYTES], int64_t *seq, ct_err *e)
{
    static const char sql[] = "SELECT seq FROM evidence WHERE hash = ?1";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *seq = 0;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_blob(s, 1, hash, PR_HASH_BYTES) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        *seq = (int64_t)sqlite3_column_int64(s, 0);
    else if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

int ct_evidence_import_item(ct_db *db, const char *name, const uint8_t *bytes, size_t len,
                            ct_scan_result *res, ct_err *e)
{
    static const char sql[] = "INSERT INTO evidence (seq, hash, bytes, name) VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *s = NULL;
    char hex[PR_HASH_HEX + 1], data[3 * PR_ID_MAX + PR_HASH_HEX + 64];
    ct_event ev;
    int found = 0, began = 0, rc = -1;

    memset(res, 0, sizeof *res);
    if (len > PR_EVIDENCE_SCAN_MAX) {
        res->kind = CT_SCAN_TOO_LARGE;
        rc = 0;
        goto out;
    }
    pr_hash(res->hash, bytes, len);
    if (len == 0) {
        res->kind = CT_SCAN_EMPTY;
        rc = 0;
        goto out;
    }
    if (ct_db_begin(db, e) != 0)
        goto out;
    began = 1;
    if (held_seq(db, res->hash, &res->seq, e) != 0 || find_namer(db, res->hash, res, &found, e) != 0)
        goto out;
    if (res->seq != 0 || !found) {
        res->kind = res->seq != 0 ? CT_SCAN_DUPLICATE : CT_SCAN_NOT_NAMED;
        rc = 0;
        goto out;
    }
    ct_hex(hex, res->named_by, PR_HASH_BYTES);
    snprintf(data, sizeof data, "precinct %s contest %s return %s", res->precinct, res->contest, hex);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_EVIDENCE;
    ev.time = ct_now();
    ev.has_subject = 1;
    memcpy(ev.subject, res->hash, PR_HASH_BYTES);
    ev.verdict = "stored";
    ev.codes = "";
    ev.data = data;
    if (ct_event_append(db, &ev, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, ev.seq) != SQLITE_OK ||
        ct_bind_blob(s, 2, res->hash, PR_HASH_BYTES) != SQLITE_OK ||
        ct_bind_blob(s, 3, bytes, len) != SQLITE_OK ||
        ct_bind_blob(s, 4, name, strlen(name)) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (ct_db_commit(db, e) != 0)
        goto out;
    began = 0;
    res->kind = CT_SCAN_STORED;
    res->seq = ev.seq;
    rc = 0;
out:
    sqlite3_finalize(s);
    if (began)
        ct_db_rollback(db);
    return rc;
}

/* One line for a scan: WORD NAME [WHY] or a JSON object. res may be NULL
 * (unreadable). */
static void print_scan(FILE *out, const ct_import_opts *o, const char *word, const char *name,
                       const char *why, const ct_scan_result *res)
{
    char esc[4096], hex[PR_HASH_HEX + 1];
    json_t *j = NULL, *reasons;
    char *s = NULL;

    cm_escape(name, esc, sizeof esc);
    if (!o->json) {
        fprintf(out, "%s %s%s%s\n", word, esc, why[0] ? " " : "", why);
        goto out;
    }
    j = json_object();
    reasons = json_array();
    if (j == NULL || reasons == NULL) {
        json_decref(reasons);
        goto out;
    }
    json_object_set_new(j, "verdict", json_string(word));
    json_object_set_new(j, "evidence", json_true());
    json_object_set_new(j, "file", ct_json_text(esc));
    if (res != NULL && res->kind == CT_SCAN_DUPLICATE)
        json_object_set_new(j, "stored_verdict", json_string("stored"));
    else if (why[0] != '\0')
        json_array_append_new(reasons, json_string(why));
    json_object_set_new(j, "reasons", reasons);
    if (res != NULL && res->kind != CT_SCAN_TOO_LARGE) {
        ct_hex(hex, res->hash, PR_HASH_BYTES);
        json_object_set_new(j, "hash", json_string(hex));
    } else {
        json_object_set_new(j, "hash", json_null());
    }
    json_object_set_new(j, "seq",
                        res != NULL && res->seq > 0 ? json_integer((json_int_t)res->seq) : json_null());
    if (res != NULL && res->has_return) {
        ct_hex(hex, res->named_by, PR_HASH_BYTES);
        json_object_set_new(j, "precinct", json_string(res->precinct));
        json_object_set_new(j, "contest", json_string(res->contest));
        json_object_set_new(j, "return", json_string(hex));
    }
    s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s != NULL)
        fprintf(out, "%s\n", s);
out:
    fflush(out);
    free(s);
    json_decref(j);
}

int ct_evidence_import_paths(ct_db *db, const char *const *paths, size_t n,
                             const ct_import_opts *o, FILE *out, FILE *err)
{
    int code = CT_EXIT_OK;
    char hex[PR_HASH_HEX + 1];
    ct_scan_result res;
    ct_err e;
    size_t i;

    memset(&e, 0, sizeof e);
    for (i = 0; i < n; i++) {
        const char *p = paths[i];
        uint8_t *buf = NULL;
        size_t len = 0;
        pr_diag d = {0, ""};
        int r = cm_read_file(p, PR_EVIDENCE_SCAN_MAX, 1, &buf, &len, NULL, &d);

        memset(&res, 0, sizeof res);
        if (r == -1 || r == -3) {
            ct_err_set(&e, CT_EXIT_IO, p, "%s",
                       r == -3 ? "not a regular file (--evidence takes scan files)"
                               : d.msg[0] ? d.msg : strerror(errno));
            ct_err_print(&e, err);
            print_scan(out, o, "unreadable", p, "", NULL);
            code = ct_exit_max(code, CT_EXIT_IO);
        } else if (r == -2) {
            res.kind = CT_SCAN_TOO_LARGE;
        } else if (ct_evidence_import_item(db, p, buf, len, &res, &e) != 0) {
            /* A database error: stop, as the import of returns does. */
            ct_err_print(&e, err);
            code = ct_exit_max(code, e.code != 0 ? e.code : CT_EXIT_IO);
            free(buf);
            break;
        }
        free(buf);
        if (r == -1 || r == -3)
            continue;
        ct_hex(hex, res.hash, PR_HASH_BYTES);
        switch (res.kind) {
        case CT_SCAN_STORED:
            print_scan(out, o, "stored", p, "", &res);
            break;
        case CT_SCAN_DUPLICATE:
            print_scan(out, o, "duplicate", p, "stored", &res);
            break;
        case CT_SCAN_NOT_NAMED:
            ct_err_set(&e, CT_EXIT_FAIL, p,
                       "no stored return with a verified signature names this scan (BLAKE2b-256 "
                       "%s): not stored; import the return that names it first",
                       hex);
            ct_err_print(&e, err);
            print_scan(out, o, "refused", p, "not-named", &res);
            code = ct_exit_max(code, CT_EXIT_FAIL);
            break;
        case CT_SCAN_EMPTY:
            ct_err_set(&e, CT_EXIT_FAIL, p, "empty: not a scan; not stored");
            ct_err_print(&e, err);
            print_scan(out, o, "refused", p, "empty", &res);
            code = ct_exit_max(code, CT_EXIT_FAIL);
            break;
        case CT_SCAN_TOO_LARGE:
        default:
            ct_err_set(&e, CT_EXIT_FAIL, p, "larger than %u MiB: not stored",
                       PR_EVIDENCE_SCAN_MAX / (1024u * 1024u));
            ct_err_print(&e, err);
            print_scan(out, o, "refused", p, "too-large", &res);
            code = ct_exit_max(code, CT_EXIT_FAIL);
            break;
        }
    }
    return code;
}

int ct_evidence_of_file(ct_db *db, int64_t file, int64_t as_of, ct_evidence_list *out,
                        ct_err *e)
{
    static const char sql[] =
        "SELECT n.hash, EXISTS (SELECT 1 FROM evidence v WHERE v.hash = n.hash"
        " AND (?2 = 0 OR v.seq <= ?2)) FROM return_evidence n WHERE n.file = ?1 ORDER BY n.hash";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    memset(out, 0, sizeof *out);
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, file) != SQLITE_OK || ct_bind_i64(s, 2, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n == PR_EVIDENCE_MAX || ct_col_blob(s, 0, out->hash[out->n], PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "return_evidence of file %lld: damaged",
                       (long long)file);
            goto out;
        }
        out->held[out->n] = sqlite3_column_int(s, 1) != 0;
        out->n++;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

int ct_evidence_named_any(ct_db *db, int *any, ct_err *e)
{
    int64_t v;
    int rc = ct_db_int(db, "SELECT EXISTS (SELECT 1 FROM return_evidence)", &v, e);

    *any = v != 0;
    return rc;
}

int ct_evidence_held_total(ct_db *db, int64_t as_of, size_t *n, ct_err *e)
{
    static const char sql[] = "SELECT count(*) FROM evidence WHERE ?1 = 0 OR seq <= ?1";
    sqlite3_stmt *s = NULL;
    int rc = -1;

    *n = 0;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, as_of) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *n = (size_t)sqlite3_column_int64(s, 0);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}
