/*
 * events.c: the hash-chained event log. The canonical text is built in
 * ct_event_text alone, so the format an auditor re-hashes is defined in one
 * place; verifying recomputes it from the stored columns.
 */
#include "events.h"

#include <string.h>

#include "proto/codec.h"

/* A field value may not contain LF (it would forge a line) nor be empty
 * (the text uses "-" for "none", so "" and "-" must stay distinct). */
static int field_ok(const char *s)
{
    return strchr(s, '\n') == NULL && strcmp(s, "-") != 0;
}

int ct_event_text(const ct_event *ev, pr_buf *out)
{
    char subject[PR_HASH_HEX + 1], t[PR_TIME_LEN + 1];
    int rc = -1;

    if (!field_ok(ev->kind) || ev->kind[0] == '\0' || !field_ok(ev->verdict) ||
        !field_ok(ev->codes) || !field_ok(ev->data))
        goto out;
    if (pr_format_time(ev->time, t) != 0)
        goto out;
    if (ev->has_subject)
        ct_hex(subject, ev->subject, PR_HASH_BYTES);
    else
        snprintf(subject, sizeof subject, "-");
    pr_buf_printf(out, "event 1\nseq %lld\nkind %s\ntime %s\nsubject %s\n", (long long)ev->seq,
                  ev->kind, t, subject);
    pr_buf_printf(out, "verdict %s\ncodes %s\ndata %s\n", ev->verdict[0] ? ev->verdict : "-",
                  ev->codes[0] ? ev->codes : "-", ev->data[0] ? ev->data : "-");
    if (out->failed)
        goto out;
    rc = 0;
out:
    return rc;
}

int ct_event_hash(const ct_event *ev, uint8_t out[PR_HASH_BYTES])
{
    pr_buf b;
    int rc = -1;

    pr_buf_init(&b, 4096);
    if (pr_buf_add(&b, ev->prev, PR_HASH_BYTES) != 0 || ct_event_text(ev, &b) != 0)
        goto out;
    pr_hash(out, b.data, b.len);
    rc = 0;
out:
    pr_buf_free(&b);
    return rc;
}

int ct_event_head(ct_db *db, int64_t as_of, int64_t *seq, uint8_t hash[PR_HASH_BYTES], ct_err *e)
{
    static const char sql[] =
        "SELECT seq, hash FROM events WHERE ?1 = 0 OR seq <= ?1 ORDER BY seq DESC LIMIT 1";
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    *seq = 0;
    memset(hash, 0, PR_HASH_BYTES);
    if (ct_db_cached(db, sql, &st, e) != 0)
        goto out;
    if (ct_bind_i64(st, 1, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *seq = (int64_t)sqlite3_column_int64(st, 0);
        if (ct_col_blob(st, 1, hash, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "event %lld: damaged hash", (long long)*seq);
            goto out;
        }
    } else if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    /* --as-of past the end would silently mean "now": refuse it, so a
     * reproduced figure always names an event that exists. */
    if (as_of > *seq) {
        ct_err_set(e, CT_EXIT_USAGE, "--as-of", "no event %lld: the last event is %lld",
                   (long long)as_of, (long long)*seq);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, st);
    return rc;
}

int ct_event_append(ct_db *db, ct_event *ev, ct_err *e)
{
    static const char sql[] =
        "INSERT INTO events (seq, kind, time, subject, verdict, codes, data, prev_hash, hash)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    sqlite3_stmt *st = NULL;
    char t[PR_TIME_LEN + 1];
    int64_t last;
    int rc = -1;

    if (ct_event_head(db, 0, &last, ev->prev, e) != 0)
        goto out;
    ev->seq = last + 1;
    if (ev->time == 0)
        ev->time = ct_now();
    if (pr_format_time(ev->time, t) != 0 || ct_event_hash(ev, ev->hash) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "event %lld cannot be encoded", (long long)ev->seq);
        goto out;
    }
    if (ct_db_cached(db, sql, &st, e) != 0)
        goto out;
    if (ct_bind_i64(st, 1, ev->seq) != SQLITE_OK || ct_bind_text(st, 2, ev->kind) != SQLITE_OK ||
        ct_bind_text(st, 3, t) != SQLITE_OK ||
        (ev->has_subject ? ct_bind_blob(st, 4, ev->subject, PR_HASH_BYTES)
                         : sqlite3_bind_null(st, 4)) != SQLITE_OK ||
        ct_bind_text(st, 5, ev->verdict) != SQLITE_OK || ct_bind_text(st, 6, ev->codes) != SQLITE_OK ||
        ct_bind_text(st, 7, ev->data) != SQLITE_OK ||
        ct_bind_blob(st, 8, ev->prev, PR_HASH_BYTES) != SQLITE_OK ||
        ct_bind_blob(st, 9, ev->hash, PR_HASH_BYTES) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, st);
    return rc;
}

int ct_events_verify(ct_db *db, int64_t *bad_seq, ct_err *e)
{
    static const char sql[] =
        "SELECT seq, kind, time, subject, verdict, codes, data, prev_hash, hash FROM events"
        " ORDER BY seq";
    sqlite3_stmt *st = NULL;
    uint8_t prev[PR_HASH_BYTES], stored[PR_HASH_BYTES], h[PR_HASH_BYTES];
    char kind[64], t[PR_TIME_LEN + 1], verdict[64], codes[4096];
    char data[24576]; /* enrolment data lists up to 256 precinct ids */
    ct_event ev;
    int64_t expect = 1;
    int rc = -1, step;

    *bad_seq = 0;
    memset(prev, 0, sizeof prev);
    if (ct_db_prepare(db, sql, &st, e) != 0)
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&ev, 0, sizeof ev);
        ev.seq = (int64_t)sqlite3_column_int64(st, 0);
        ct_col_text(st, 1, kind, sizeof kind);
        ct_col_text(st, 2, t, sizeof t);
        ct_col_text(st, 4, verdict, sizeof verdict);
        ct_col_text(st, 5, codes, sizeof codes);
        ct_col_text(st, 6, data, sizeof data);
        ev.kind = kind;
        ev.verdict = verdict;
        ev.codes = codes;
        ev.data = data;
        ev.has_subject = sqlite3_column_type(st, 3) != SQLITE_NULL;
        if (ev.seq != expect || (ev.has_subject && ct_col_blob(st, 3, ev.subject, PR_HASH_BYTES) != 0) ||
            pr_parse_time(t, strlen(t), &ev.time) != 0 ||
            ct_col_blob(st, 7, ev.prev, PR_HASH_BYTES) != 0 ||
            ct_col_blob(st, 8, stored, PR_HASH_BYTES) != 0 ||
            memcmp(ev.prev, prev, PR_HASH_BYTES) != 0 || ct_event_hash(&ev, h) != 0 ||
            memcmp(h, stored, PR_HASH_BYTES) != 0) {
            *bad_seq = ev.seq;
            rc = 1;
            goto out;
        }
        memcpy(prev, stored, PR_HASH_BYTES);
        expect++;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}
