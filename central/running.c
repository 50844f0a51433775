/*
 * running.c: the tally cache kept with every commit (running.h). The rows
 * of a (precinct, contest) come from the same code as a full report
 * (ct_report_row, ct_report_counts, ct_contest_sum_apply), so the cache
 * can only differ from a recount by what that code does twice in a row.
 */
#include "running.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "proto/alloc.h"

#define NONE ((size_t)-1)

/* A contest's sums as stored: little-endian 64-bit words: expected, the
 * CT_ST_COUNT statuses, roll, roll_unknown, n_lines, the lines,
 * n_candidates, the votes. */
static size_t sums_words(const ct_contest_sum *s)
{
    return 1 + CT_ST_COUNT + 2 + 1 + s->n_lines + 1 + s->n_candidates;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* *out (malloc'd) and *len. 0, or -1 out of memory. */
static int sums_encode(const ct_contest_sum *s, uint8_t **out, size_t *len)
{
    size_t n = sums_words(s), w = 0, k;
    uint8_t *b = malloc(n * 8);

    *out = b;
    *len = n * 8;
    if (b == NULL)
        return -1;
    put64(b + 8 * w++, s->expected);
    for (k = 0; k < CT_ST_COUNT; k++)
        put64(b + 8 * w++, s->by_status[k]);
    put64(b + 8 * w++, s->roll);
    put64(b + 8 * w++, s->roll_unknown);
    put64(b + 8 * w++, s->n_lines);
    for (k = 0; k < s->n_lines; k++)
        put64(b + 8 * w++, s->lines[k]);
    put64(b + 8 * w++, s->n_candidates);
    for (k = 0; k < s->n_candidates; k++)
        put64(b + 8 * w++, s->votes[k]);
    return 0;
}

/* Fills s (initialised for its contest by ct_contest_sum_init) from a
 * stored blob. 0, or -1 when the blob is not of this contest's shape. */
static int sums_decode(ct_contest_sum *s, const uint8_t *b, size_t len)
{
    size_t w = 0, k;

    if (b == NULL || len != sums_words(s) * 8)
        return -1;
    s->expected = (size_t)get64(b + 8 * w++);
    for (k = 0; k < CT_ST_COUNT; k++)
        s->by_status[k] = (size_t)get64(b + 8 * w++);
    s->roll = get64(b + 8 * w++);
    s->roll_unknown = (size_t)get64(b + 8 * w++);
    if (get64(b + 8 * w++) != s->n_lines)
        return -1;
    for (k = 0; k < s->n_lines; k++)
        s->lines[k] = get64(b + 8 * w++);
    if (get64(b + 8 * w++) != s->n_candidates)
        return -1;
    for (k = 0; k < s->n_candidates; k++)
        s->votes[k] = get64(b + 8 * w++);
    return 0;
}

void ct_running_sums_free(ct_contest_sum *sums, size_t n)
{
    if (sums == NULL)
        return;
    for (size_t c = 0; c < n; c++)
        ct_contest_sum_free(&sums[c]);
    free(sums);
}

/* One sum per contest of def, all zero. NULL when out of memory. */
static ct_contest_sum *sums_new(const cm_definition *def)
{
    ct_contest_sum *sums = calloc(def->n_contests ? def->n_contests : 1, sizeof *sums);
    size_t c;

    for (c = 0; sums != NULL && c < def->n_contests; c++) {
        if (ct_contest_sum_init(def, c, &sums[c]) != 0) {
            ct_running_sums_free(sums, def->n_contests);
            sums = NULL;
        }
    }
    return sums;
}

/* Whether the cache is of db's newest definition: 1 yes, 0 no (or none),
 * -1 with e. */
static int cache_current_def(ct_db *db, ct_err *e)
{
    static const char sql[] = "SELECT definition_hash FROM tally_cache WHERE one = 1";
    sqlite3_stmt *s = NULL;
    uint8_t h[PR_HASH_BYTES];
    int rc = -1, step;

    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    step = sqlite3_step(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = step == SQLITE_ROW && ct_col_blob(s, 0, h, PR_HASH_BYTES) == 0 &&
         memcmp(h, db->def_hash, PR_HASH_BYTES) == 0;
out:
    ct_db_done(db, s);
    return rc;
}

/* Whether any (precinct, contest) is marked dirty: *dirty 0 or 1. 0, or
 * -1 with e. */
static int any_dirty(ct_db *db, int64_t *dirty, ct_err *e)
{
    return ct_db_int(db, "SELECT EXISTS (SELECT 1 FROM tally_dirty)", dirty, e);
}

/* Whether the cache is current: of db's newest definition, nothing dirty.
 * 1 yes, 0 no (or no cache), -1 with e. */
static int cache_current(ct_db *db, ct_err *e)
{
    int64_t dirty;
    int k;

    if (!db->has_cache || (k = cache_current_def(db, e)) == 0)
        return 0;
    if (k < 0 || any_dirty(db, &dirty, e) != 0)
        return -1;
    return !dirty;
}

/* Writes every contest's sums. 0, or -1 with e. */
static int sums_store(ct_db *db, const ct_contest_sum *sums, const unsigned char *touched, ct_err *e)
{
    static const char sql[] = "INSERT OR REPLACE INTO tally_cache_contest (contest, sums) VALUES (?1, ?2)";
    sqlite3_stmt *s = NULL;
    uint8_t *b = NULL;
    size_t c, len;
    int rc = -1;

    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    for (c = 0; c < db->def->n_contests; c++) {
        if (touched != NULL && !touched[c])
            continue;
        if (sums_encode(&sums[c], &b, &len) != 0) {
            ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
            goto out;
        }
        if (ct_bind_text(s, 1, db->def->contests[c].id) != SQLITE_OK ||
            ct_bind_blob(s, 2, b, len) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
            ct_db_error(db, e, NULL);
            goto out;
        }
        sqlite3_reset(s);
        free(b);
        b = NULL;
    }
    rc = 0;
out:
    free(b);
    ct_db_done(db, s);
    return rc;
}

/* Stores row's status and file, or removes it when missing (absence means
 * missing). 0, or -1 with e. */
static int pc_store(ct_db *db, const ct_pc_row *row, ct_err *e)
{
    static const char put[] =
        "INSERT OR REPLACE INTO tally_cache_pc (precinct, contest, status, file) VALUES (?1, ?2, ?3, ?4)";
    static const char del[] = "DELETE FROM tally_cache_pc WHERE precinct = ?1 AND contest = ?2";
    const cm_definition *def = db->def;
    const char *sql = row->status == CT_ST_MISSING ? del : put;
    sqlite3_stmt *s = NULL;
    int rc = -1;

    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, def->precincts[row->precinct].id) != SQLITE_OK ||
        ct_bind_text(s, 2, def->contests[row->contest].id) != SQLITE_OK ||
        (sql == put && (ct_bind_i64(s, 3, (int64_t)row->status) != SQLITE_OK ||
                        ct_bind_i64(s, 4, row->has_head ? row->file : 0) != SQLITE_OK)) ||
        sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

/* The definition bytes whose hash is db->def_hash (the newest amendment,
 * else meta's), made into a core in *core (pr_malloc'd). 0, or -1 with e. */
static int def_core(ct_db *db, uint8_t **core, size_t *core_len, ct_err *e)
{
    static const char sql[] =
        "SELECT definition FROM definitions WHERE definition_hash = ?1"
        " UNION ALL SELECT definition FROM meta WHERE definition_hash = ?1 LIMIT 1";
    sqlite3_stmt *s = NULL;
    int rc = -1;

    *core = NULL;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_blob(s, 1, db->def_hash, PR_HASH_BYTES) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    if (cm_definition_core_bytes(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), core,
                                 core_len) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "the definition's core cannot be made");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Empties every cache table. 0, or -1 with e. */
static int cache_clear(ct_db *db, ct_err *e)
{
    return ct_db_exec(db,
                      "DELETE FROM tally_cache; DELETE FROM tally_cache_pc;"
                      " DELETE FROM tally_cache_contest; DELETE FROM tally_dirty",
                      e);
}

int ct_running_rebuild(ct_db *db, ct_err *e)
{
    static const char put[] = "INSERT INTO tally_cache (one, definition_hash, core) VALUES (1, ?1, ?2)";
    const cm_definition *def = db->def;
    ct_report r;
    ct_contest_sum *sums = NULL;
    sqlite3_stmt *s = NULL;
    uint8_t *core = NULL;
    size_t core_len = 0, i, c;
    int rc = -1, overflow = 0;

    memset(&r, 0, sizeof r);
    if (cache_clear(db, e) != 0 || ct_report_build(db, 0, 1, &r, e) != 0)
        goto out;
    sums = calloc(def->n_contests ? def->n_contests : 1, sizeof *sums);
    if (sums == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    for (c = 0; c < def->n_contests; c++) {
        if (ct_contest_sum_build(def, &r, c, &sums[c]) != 0) {
            ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
            goto out;
        }
        overflow |= sums[c].overflow;
    }
    if (overflow) { /* no cache: readers recompute and show the overflow */
        rc = 0;
        goto out;
    }
    for (i = 0; i < r.n; i++)
        if (r.rows[i].status != CT_ST_MISSING && pc_store(db, &r.rows[i], e) != 0)
            goto out;
    if (sums_store(db, sums, NULL, e) != 0 || def_core(db, &core, &core_len, e) != 0 ||
        ct_db_prepare(db, put, &s, e) != 0)
        goto out;
    if (ct_bind_blob(s, 1, db->def_hash, PR_HASH_BYTES) != SQLITE_OK ||
        ct_bind_blob(s, 2, core, core_len) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    pr_free(core);
    ct_running_sums_free(sums, def->n_contests);
    ct_report_free(&r);
    return rc;
}

/* The dirty (precinct, contest)s this database expects: in (*rows)[i] as
 * they are now (ct_report_row: status and head), in (*olds)[i] as the
 * cache holds them (status and file; missing when it has no row). Both
 * malloc'd, *n entries. 0, or -1 with e. */
static int dirty_rows(ct_db *db, ct_pc_row **rows, ct_pc_row **olds, size_t *n, ct_err *e)
{
    static const char sql[] =
        "SELECT d.precinct, d.contest, p.status, p.file FROM tally_dirty d"
        " LEFT JOIN tally_cache_pc p ON p.precinct = d.precinct AND p.contest = d.contest";
    const cm_definition *def = db->def;
    sqlite3_stmt *s = NULL;
    ct_pc_row *v = NULL, *o = NULL;
    size_t cap = 0, p, c;
    int rc = -1, step;
    int64_t any_excused = 0, st;

    *rows = NULL;
    *olds = NULL;
    *n = 0;
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *pid = (const char *)sqlite3_column_text(s, 0);
        const char *cid = (const char *)sqlite3_column_text(s, 1);

        p = pid != NULL ? cm_find_precinct(def, pid) : NONE;
        c = cid != NULL ? cm_find_contest(def, cid) : NONE;
        /* a precinct or contest the definition does not have, or a pair
         * it does not expect, belongs to no row (as in ct_report_build) */
        if (p == NONE || c == NONE || !cm_precinct_in_contest(def, p, c) || !ct_db_in_scope(db, p))
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            ct_pc_row *nv = realloc(v, ncap * sizeof *nv), *no;

            if (nv != NULL)
                v = nv;
            no = nv != NULL ? realloc(o, ncap * sizeof *no) : NULL;
            if (no == NULL) {
                ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
                goto out;
            }
            o = no;
            cap = ncap;
        }
        memset(&v[*n], 0, sizeof v[*n]);
        memset(&o[*n], 0, sizeof o[*n]);
        v[*n].precinct = o[*n].precinct = p;
        v[*n].contest = o[*n].contest = c;
        o[*n].status = CT_ST_MISSING;
        if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
            st = (int64_t)sqlite3_column_int64(s, 2);
            if (st < 0 || st >= CT_ST_COUNT) {
                ct_err_set(e, CT_EXIT_IO, db->path, "tally cache damaged (status %lld)", (long long)st);
                goto out;
            }
            o[*n].status = (ct_status)st;
            o[*n].file = (int64_t)sqlite3_column_int64(s, 3);
            o[*n].has_head = o[*n].file != 0;
        }
        (*n)++;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    ct_db_done(db, s);
    s = NULL;
    if (ct_db_int(db, "SELECT EXISTS (SELECT 1 FROM excuses)", &any_excused, e) != 0)
        goto out;
    for (size_t i = 0; i < *n; i++)
        if (ct_report_row(db, v[i].precinct, v[i].contest, any_excused != 0, &v[i], e) != 0)
            goto out;
    rc = 0;
out:
    ct_db_done(db, s);
    *rows = v;
    *olds = o;
    return rc;
}

/* Frees the counts of rows[0..n) and the array. */
static void rows_free(ct_pc_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++) {
        free(rows[i].counts);
        free(rows[i].votes);
    }
    free(rows);
}

/* Takes old, the cached share of row's (precinct, contest), out of sums
 * and puts row's in. 0; 1 when a sum would overflow or underflow (the
 * cache must be rebuilt); -1 with e. */
static int move_row(ct_db *db, ct_contest_sum *sums, ct_pc_row *old, const ct_pc_row *row, ct_err *e)
{
    ct_report one;

    if (old->status == row->status && old->file == (row->has_head ? row->file : 0))
        return 0; /* nothing moved */
    if (old->status == CT_ST_IN_TALLY) {
        memset(&one, 0, sizeof one);
        one.n = 1;
        one.rows = old;
        if (ct_report_counts(db, &one, e) != 0)
            return -1;
    }
    return ct_contest_sum_apply(db->def, &sums[row->contest], old, -1) != 0 ||
                   ct_contest_sum_apply(db->def, &sums[row->contest], row, 1) != 0
               ? 1
               : pc_store(db, row, e);
}

/* ct_running_refresh's work, once db->running and has_cache are known. */
static int refresh(ct_db *db, ct_err *e)
{
    static const char sums_sql[] = "SELECT contest, sums FROM tally_cache_contest WHERE contest = ?1";
    const cm_definition *def;
    ct_pc_row *rows = NULL, *olds = NULL;
    ct_contest_sum *sums = NULL;
    unsigned char *touched = NULL;
    sqlite3_stmt *s = NULL;
    ct_report part;
    size_t n = 0, i, c;
    int rc = -1, k;
    int64_t dirty;

    def = db->def;
    memset(&part, 0, sizeof part);
    if ((k = cache_current_def(db, e)) < 0)
        return -1;
    if (k == 0)
        return ct_running_rebuild(db, e);
    if (any_dirty(db, &dirty, e) != 0)
        return -1;
    if (!dirty)
        return 0;
    if (dirty_rows(db, &rows, &olds, &n, e) != 0)
        goto out;
    part.n = n;
    part.rows = rows;
    sums = sums_new(def);
    touched = calloc(def->n_contests ? def->n_contests : 1, 1);
    if (sums == NULL || touched == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    if (ct_report_counts(db, &part, e) != 0 || ct_db_cached(db, sums_sql, &s, e) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        c = rows[i].contest;
        if (!touched[c]) {
            const uint8_t *b;

            if (ct_bind_text(s, 1, def->contests[c].id) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
                rc = 1; /* no row for it: rebuild */
                goto out;
            }
            b = sqlite3_column_blob(s, 1);
            if (sums_decode(&sums[c], b, (size_t)sqlite3_column_bytes(s, 1)) != 0) {
                rc = 1;
                goto out;
            }
            sqlite3_reset(s);
            touched[c] = 1;
        }
        if ((k = move_row(db, sums, &olds[i], &rows[i], e)) != 0) {
            rc = k;
            goto out;
        }
    }
    if (sums_store(db, sums, touched, e) != 0 || ct_db_exec(db, "DELETE FROM tally_dirty", e) != 0)
        goto out;
    rc = 0;
out:
    ct_db_done(db, s);
    ct_running_sums_free(sums, def->n_contests);
    free(touched);
    rows_free(rows, n);
    rows_free(olds, n);
    /* 1: the stored sums cannot take the change (an overflow, or a cache
     * that does not add up): start again from a full report */
    return rc == 1 ? ct_running_rebuild(db, e) : rc;
}

int ct_running_refresh(ct_db *db, ct_err *e)
{
    ct_err why;

    if (db == NULL || !db->running || !db->has_cache)
        return 0;
    memset(&why, 0, sizeof why);
    if (refresh(db, &why) == 0)
        return 0;
    if (sqlite3_get_autocommit(db->sql)) {
        /* SQLite ended the transaction itself (out of memory, I/O): the
         * write fails as any other would */
        *e = why;
        return -1;
    }
    /* The cache is never evidence and must not stop a write (red team: a
     * damaged stored return, or a cache row altered by hand, made the
     * commission unable to excuse that precinct). Without it, readers
     * compute from every return, and say what is wrong; the next commit
     * tries to rebuild it. */
    return cache_clear(db, e);
}

int ct_running_core_differs(ct_db *db, ct_err *e)
{
    static const char sql[] = "SELECT core FROM tally_cache WHERE one = 1";
    sqlite3_stmt *s = NULL;
    uint8_t *core = NULL;
    size_t len = 0;
    int rc;

    if (!db->has_cache || (rc = cache_current_def(db, e)) == 0)
        return 0;
    if (rc < 0 || def_core(db, &core, &len, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0) {
        rc = -1;
        goto out;
    }
    rc = sqlite3_step(s) != SQLITE_ROW || (size_t)sqlite3_column_bytes(s, 0) != len ||
         memcmp(sqlite3_column_blob(s, 0), core, len) != 0;
out:
    sqlite3_finalize(s);
    pr_free(core);
    return rc;
}

/* The stored sums of a current cache into *out (one per contest of
 * db->def). 1; 0 when they are not one per contest of the definition
 * (*out NULL); -1 with e. */
static int read_sums(ct_db *db, ct_contest_sum **out, ct_err *e)
{
    static const char sql[] = "SELECT contest, sums FROM tally_cache_contest";
    const cm_definition *def = db->def;
    ct_contest_sum *sums = sums_new(def);
    unsigned char *seen = calloc(def->n_contests ? def->n_contests : 1, 1);
    sqlite3_stmt *s = NULL;
    size_t c, found = 0;
    int rc = -1, step;

    *out = NULL;
    if (sums == NULL || seen == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *cid = (const char *)sqlite3_column_text(s, 0);

        c = cid != NULL ? cm_find_contest(def, cid) : NONE;
        if (c == NONE || seen[c] ||
            sums_decode(&sums[c], sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1)) != 0) {
            rc = 0;
            goto out;
        }
        seen[c] = 1;
        found++;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = found == def->n_contests;
    if (rc == 1) {
        *out = sums;
        sums = NULL;
    }
out:
    sqlite3_finalize(s);
    ct_running_sums_free(sums, def->n_contests);
    free(seen);
    return rc;
}

int ct_running_read(ct_db *db, int64_t *seq, uint8_t head[PR_HASH_BYTES], ct_contest_sum **out,
                    ct_err *e)
{
    int rc = -1, reading = 0;

    *out = NULL;
    if (!db->has_cache)
        return 0;
    if (sqlite3_get_autocommit(db->sql) && sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
        reading = 1;
    /* not of this definition (0 from read_sums): recompute */
    if (ct_event_head(db, 0, seq, head, e) == 0 && (rc = cache_current(db, e)) == 1)
        rc = read_sums(db, out, e);
    if (reading)
        (void)sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
    return rc;
}

int ct_running_open(const char *path, ct_db **db, int64_t *seq, uint8_t head[PR_HASH_BYTES],
                    ct_contest_sum **sums, ct_err *e)
{
    int k = ct_db_open_core(path, db, e);

    *sums = NULL;
    if (k == 1 && (k = ct_running_read(*db, seq, head, sums, e)) != 1) {
        ct_db_close(*db);
        *db = NULL;
    }
    return k;
}

int ct_running_differs(ct_db *db, const ct_contest_sum *sums, char *what, size_t what_len,
                       ct_err *e)
{
    const cm_definition *def = db->def;
    ct_contest_sum *cached = NULL;
    size_t c, k;
    int rc = cache_current(db, e);

    if (rc == 1 && (rc = read_sums(db, &cached, e)) == 0) {
        /* current, but not one sum per contest of the definition */
        (void)snprintf(what, what_len, "its sums (not one per contest of the definition)");
        return 1;
    }
    if (rc <= 0)
        return rc;
    rc = 0;
    for (c = 0; c < def->n_contests && rc == 0; c++) {
        const ct_contest_sum *x = &cached[c], *y = &sums[c];
        const char *field = NULL;

        if (x->expected != y->expected)
            field = "expected precincts";
        for (k = 0; field == NULL && k < CT_ST_COUNT; k++)
            if (x->by_status[k] != y->by_status[k])
                field = ct_status_name((ct_status)k);
        if (field == NULL && (x->roll != y->roll || x->roll_unknown != y->roll_unknown))
            field = "roll";
        for (k = 0; field == NULL && k < x->n_lines; k++)
            if (x->lines[k] != y->lines[k])
                field = def->protocols[def->contests[c].protocol].lines[k].id;
        for (k = 0; field == NULL && k < x->n_candidates; k++)
            if (x->votes[k] != y->votes[k])
                field = def->contests[c].candidates[k].id;
        if (field != NULL) {
            (void)snprintf(what, what_len, "contest %s: %s", def->contests[c].id, field);
            rc = 1;
        }
    }
    ct_running_sums_free(cached, def->n_contests);
    return rc;
}

int ct_running_rows_differ(ct_db *db, const ct_report *r, char *what, size_t what_len, ct_err *e)
{
    static const char sql[] = "SELECT precinct, contest, status, file FROM tally_cache_pc";
    const cm_definition *def = db->def;
    sqlite3_stmt *s = NULL;
    size_t *first = NULL, i, k, p, c, stored = 0, standing = 0;
    int rc = -1, step, current;

    what[0] = '\0';
    if ((current = cache_current(db, e)) <= 0)
        return current;
    /* the report's rows: each precinct's contests, in definition order */
    first = malloc((def->n_precincts ? def->n_precincts : 1) * sizeof *first);
    if (first == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    for (p = 0; p < def->n_precincts; p++)
        first[p] = NONE;
    for (i = r->n; i-- > 0;)
        first[r->rows[i].precinct] = i;
    for (i = 0; i < r->n; i++)
        standing += r->rows[i].status != CT_ST_MISSING;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    rc = 0;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *pid = (const char *)sqlite3_column_text(s, 0);
        const char *cid = (const char *)sqlite3_column_text(s, 1);
        const ct_pc_row *row = NULL;

        p = pid != NULL ? cm_find_precinct(def, pid) : NONE;
        c = cid != NULL ? cm_find_contest(def, cid) : NONE;
        for (k = 0; p != NONE && c != NONE && first[p] != NONE && k < def->precincts[p].n_contests; k++)
            if (r->rows[first[p] + k].contest == c)
                row = &r->rows[first[p] + k];
        stored++;
        if (row == NULL || row->status == CT_ST_MISSING ||
            sqlite3_column_int64(s, 2) != (int64_t)row->status ||
            sqlite3_column_int64(s, 3) != (row->has_head ? row->file : 0)) {
            (void)snprintf(what, what_len, "precinct %s contest %s", pid != NULL ? pid : "?",
                           cid != NULL ? cid : "?");
            rc = 1;
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        rc = -1;
    } else if (rc == 0 && stored != standing) {
        (void)snprintf(what, what_len, "%zu (precinct, contest)s that are not missing, %zu in the cache",
                       standing, stored);
        rc = 1;
    }
out:
    sqlite3_finalize(s);
    free(first);
    return rc;
}
