/*
 * history.c: group 8 (resigned, stale, equivocation, conflict, corrected,
 * awaiting-predecessor, broken-chain) and the status replay. Kept apart
 * from the other groups because it is the part of reconciliation that will
 * grow (resolutions, revocations, certification).
 */
#include "history.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
    [CT_ST_IN_TALLY] = "in-tally",           [CT_ST_HELD] = "held",
    [CT_ST_CONFLICT] = "conflict",           [CT_ST_REJECTED_ONLY] = "rejected-only",
    [CT_ST_MISSING] = "missing",
};

const char *ct_status_name(ct_status s)
{
    return (size_t)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "?";
}

void ct_pc_free(ct_pc_state *st)
{
    if (st == NULL)
        return;
    free(st->e);
    memset(st, 0, sizeof *st);
}

static ct_pc_entry *find_file(ct_pc_state *st, int64_t file)
{
    size_t i;

    for (i = 0; i < st->n; i++)
        if (st->e[i].file == file)
            return &st->e[i];
    return NULL;
}

static void clear_heads(ct_pc_state *st)
{
    size_t i;

    for (i = 0; i < st->n; i++)
        st->e[i].head = 0;
    st->n_heads = 0;
}

/* The transition of one decision (see ct_role). A re-decision first takes
 * back what the file's previous decision did. */
static void apply(ct_pc_state *st, ct_pc_entry *en, int had_role, ct_role old)
{
    if (had_role) {
        if (old == CT_ROLE_REJECTED && st->n_rejected > 0)
            st->n_rejected--;
        if (old == CT_ROLE_AWAITING && st->n_awaiting > 0)
            st->n_awaiting--;
        if (en->head) {
            en->head = 0;
            st->n_heads--;
        }
    }
    switch (en->role) {
    case CT_ROLE_REJECTED:
        st->n_rejected++;
        break;
    case CT_ROLE_AWAITING:
        st->n_awaiting++;
        break;
    case CT_ROLE_NEW:
    case CT_ROLE_CORRECTION:
        /* A correction replaces its predecessor and, when it names one side
         * of a conflict, the other side too (DESIGN 7). */
        clear_heads(st);
        en->head = 1;
        st->n_heads = 1;
        break;
    case CT_ROLE_CONFLICT:
        en->head = 1;
        st->n_heads++;
        break;
    case CT_ROLE_RESIGNED:
    case CT_ROLE_STALE:
        break;
    }
}

/* The columns every replay query selects, in this order. */
#define REPLAY_COLUMNS                                                                      \
    "d.seq, d.file, d.role, d.verdict, d.grp, d.codes, d.key, f.hash, f.content_hash,"      \
    " f.revision, f.precinct, f.contest"

/* Applies one decision row (REPLAY_COLUMNS) to st. 0, or -1 with e. */
static int feed(ct_db *db, sqlite3_stmt *s, ct_pc_state *st, ct_err *e)
{
    char role[32], verdict[32], codes_s[2048];
    ct_codes codes;
    ct_pc_entry *en;
    ct_role old = CT_ROLE_REJECTED;
    int64_t file = (int64_t)sqlite3_column_int64(s, 1);
    int had, rc = -1;

    en = find_file(st, file);
    had = en != NULL;
    if (en == NULL) {
        if (st->n == st->cap) {
            size_t ncap = st->cap ? st->cap * 2 : 8;
            ct_pc_entry *ne = realloc(st->e, ncap * sizeof *ne);
            if (ne == NULL) {
                ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
                goto out;
            }
            st->e = ne;
            st->cap = ncap;
        }
        en = &st->e[st->n++];
        memset(en, 0, sizeof *en);
        en->file = file;
        if (ct_col_blob(s, 7, en->hash, PR_HASH_BYTES) != 0 ||
            ct_col_blob(s, 8, en->content, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "file %lld: damaged hashes", (long long)file);
            goto out;
        }
        en->revision = (uint64_t)sqlite3_column_int64(s, 9);
    } else {
        old = en->role;
    }
    ct_col_text(s, 2, role, sizeof role);
    ct_col_text(s, 3, verdict, sizeof verdict);
    ct_col_text(s, 5, codes_s, sizeof codes_s);
    if (ct_role_parse(role, &en->role) != 0 || ct_verdict_parse(verdict, &en->verdict) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "decision %lld: unknown role or verdict",
                   (long long)sqlite3_column_int64(s, 0));
        goto out;
    }
    en->seq = (int64_t)sqlite3_column_int64(s, 0);
    en->grp = (unsigned)sqlite3_column_int(s, 4);
    en->key = (int64_t)sqlite3_column_int64(s, 6);
    ct_codes_split(codes_s, &codes);
    /* DESIGN 7: a correction may name a stored return "validly signed by a
     * key enrolled for it, rejected ones included": one that got past
     * groups 2-3 and was not refused for key-precinct-mismatch. */
    en->chain_ok = en->role != CT_ROLE_REJECTED ||
                   (en->grp >= 4 && !ct_codes_has(&codes, "key-precinct-mismatch"));
    en->key_pending = en->role == CT_ROLE_REJECTED &&
                      (ct_codes_has(&codes, "unknown-key") || ct_codes_has(&codes, "bad-signature") ||
                       ct_codes_has(&codes, "key-precinct-mismatch"));
    apply(st, en, had, old);
    rc = 0;
out:
    return rc;
}

static void finish(ct_pc_state *st)
{
    size_t i;

    st->maxrev = 0;
    for (i = 0; i < st->n; i++)
        if (ct_role_standing(st->e[i].role) && st->e[i].revision > st->maxrev)
            st->maxrev = st->e[i].revision;
}

int ct_pc_load(ct_db *db, const char *precinct, const char *contest, int64_t exclude,
               int64_t as_of, ct_pc_state *st, ct_err *e)
{
    static const char sql[] =
        "SELECT " REPLAY_COLUMNS
        " FROM decisions d JOIN files f ON f.id = d.file"
        " WHERE f.precinct = ?1 AND f.contest = ?2 AND f.parsed = 1 AND d.file <> ?3"
        " AND (?4 = 0 OR d.seq <= ?4)"
        " ORDER BY d.seq";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    memset(st, 0, sizeof *st);
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_text(s, 1, precinct) != SQLITE_OK || ct_bind_text(s, 2, contest) != SQLITE_OK ||
        ct_bind_i64(s, 3, exclude) != SQLITE_OK || ct_bind_i64(s, 4, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW)
        if (feed(db, s, st, e) != 0)
            goto out;
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    finish(st);
    rc = 0;
out:
    sqlite3_finalize(s);
    if (rc != 0)
        ct_pc_free(st);
    return rc;
}

int ct_pc_each(ct_db *db, int64_t as_of, ct_pc_visit visit, void *ctx, ct_err *e)
{
    static const char sql[] =
        "SELECT " REPLAY_COLUMNS
        " FROM decisions d JOIN files f ON f.id = d.file"
        " WHERE f.parsed = 1 AND (?1 = 0 OR d.seq <= ?1)"
        " ORDER BY f.precinct, f.contest, d.seq";
    sqlite3_stmt *s = NULL;
    ct_pc_state st;
    char precinct[PR_ID_MAX + 1] = "", contest[PR_ID_MAX + 1] = "", p[PR_ID_MAX + 1],
         c[PR_ID_MAX + 1];
    int rc = -1, step, have = 0;

    memset(&st, 0, sizeof st);
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        ct_col_text(s, 10, p, sizeof p);
        ct_col_text(s, 11, c, sizeof c);
        if (have && (strcmp(p, precinct) != 0 || strcmp(c, contest) != 0)) {
            finish(&st);
            if (visit(ctx, precinct, contest, &st, e) != 0)
                goto out;
            ct_pc_free(&st);
            have = 0;
        }
        if (!have) {
            memcpy(precinct, p, sizeof precinct);
            memcpy(contest, c, sizeof contest);
            have = 1;
        }
        if (feed(db, s, &st, e) != 0)
            goto out;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    if (have) {
        finish(&st);
        if (visit(ctx, precinct, contest, &st, e) != 0)
            goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    ct_pc_free(&st);
    return rc;
}

ct_status ct_pc_status(const ct_pc_state *st, const ct_pc_entry **head)
{
    ct_status s;
    size_t i;

    *head = NULL;
    if (st->n_heads == 0) {
        if (st->n_awaiting > 0)
            s = CT_ST_HELD;
        else if (st->n_rejected > 0)
            s = CT_ST_REJECTED_ONLY;
        else
            s = CT_ST_MISSING;
    } else if (st->n_heads > 1) {
        s = CT_ST_CONFLICT;
    } else {
        for (i = 0; i < st->n; i++)
            if (st->e[i].head)
                *head = &st->e[i];
        /* A correction waiting for its predecessor means the station has
         * sent something newer than the head: keep the precinct out of the
         * tally until it is decided rather than count a figure the station
         * itself has replaced. */
        if ((*head != NULL && (*head)->verdict == CT_HELD) || st->n_awaiting > 0)
            s = CT_ST_HELD;
        else
            s = CT_ST_IN_TALLY;
    }
    return s;
}

static const ct_pc_entry *find_hash(const ct_pc_state *st, const uint8_t *hash)
{
    size_t i;

    for (i = 0; i < st->n; i++)
        if (memcmp(st->e[i].hash, hash, PR_HASH_BYTES) == 0)
            return &st->e[i];
    return NULL;
}

/* Does naming p name a head? A resigned copy of a head has the head's
 * content, so naming the copy names the same counts. */
static int names_head(const ct_pc_state *st, const ct_pc_entry *p)
{
    size_t i;
    int yes = p->head;

    for (i = 0; !yes && ct_role_standing(p->role) && i < st->n; i++)
        yes = st->e[i].head && memcmp(st->e[i].content, p->content, PR_HASH_BYTES) == 0;
    return yes;
}

static void short_hex(char out[17], const uint8_t *h)
{
    ct_hex(out, h, 8);
}

/* Is the named predecessor stored at all (in another precinct or contest,
 * or malformed)? Only asked when it is not in this (precinct, contest). */
static int stored_elsewhere(ct_db *db, const uint8_t *hash, int *found, ct_err *e)
{
    static const char sql[] = "SELECT 1 FROM files WHERE hash = ?1";
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
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *found = step == SQLITE_ROW;
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

static void decide(ct_hist *h, ct_role role, ct_verdict v, const char *code)
{
    h->role = role;
    h->decided = 1;
    h->verdict = v;
    if (code != NULL)
        ct_codes_add(&h->codes, code);
}

int ct_history_decide(ct_db *db, const ct_pc_state *st, const pr_return *r,
                      const uint8_t content[PR_HASH_BYTES], ct_hist *h, ct_err *e)
{
    const ct_pc_entry *p;
    char hx[17];
    int found, rc = -1;
    size_t i;

    memset(h, 0, sizeof *h);
    h->role = CT_ROLE_NEW;
    /* Same content as a standing return, other bytes: re-signed later or
     * by another enrolled key of the precinct. */
    for (i = 0; i < st->n; i++) {
        if (ct_role_standing(st->e[i].role) &&
            memcmp(st->e[i].content, content, PR_HASH_BYTES) == 0) {
            decide(h, CT_ROLE_RESIGNED, CT_DUPLICATE, "resigned");
            short_hex(hx, st->e[i].hash);
            snprintf(h->detail, sizeof h->detail, "same content as %s", hx);
            rc = 0;
            goto out;
        }
    }
    if (r->revision < st->maxrev) {
        decide(h, CT_ROLE_STALE, CT_STALE, NULL);
        snprintf(h->detail, sizeof h->detail, "revision %llu, newest standing is %llu",
                 (unsigned long long)r->revision, (unsigned long long)st->maxrev);
        /* Content differs from every standing return (checked above), so
         * any standing return of this revision means two versions of it. */
        for (i = 0; i < st->n; i++)
            if (ct_role_standing(st->e[i].role) && st->e[i].revision == r->revision)
                ct_codes_add(&h->codes, "equivocation");
        rc = 0;
        goto out;
    }
    if (r->revision == st->maxrev) {
        decide(h, CT_ROLE_CONFLICT, CT_CONFLICT, NULL);
        snprintf(h->detail, sizeof h->detail, "revision %llu with other content than the standing one",
                 (unsigned long long)r->revision);
        rc = 0;
        goto out;
    }
    if (r->revision == 1) {
        /* Nothing stands: the first return of the (precinct, contest). */
        rc = 0;
        goto out;
    }
    p = find_hash(st, r->supersedes);
    short_hex(hx, r->supersedes);
    if (p == NULL) {
        if (stored_elsewhere(db, r->supersedes, &found, e) != 0)
            goto out;
        if (found) {
            decide(h, CT_ROLE_REJECTED, CT_REJECTED, "broken-chain");
            snprintf(h->detail, sizeof h->detail,
                     "supersedes %s, which is not a return of this precinct and contest", hx);
        } else {
            decide(h, CT_ROLE_AWAITING, CT_HELD, "awaiting-predecessor");
            snprintf(h->detail, sizeof h->detail, "supersedes %s, not stored yet", hx);
        }
        rc = 0;
        goto out;
    }
    h->pred = p->file;
    h->pred_key = p->key;
    if (p->key_pending || p->role == CT_ROLE_AWAITING) {
        /* The predecessor is itself undecided (its key may yet be enrolled,
         * or its own predecessor may yet arrive): decided again with it, so
         * the outcome does not depend on arrival order. */
        decide(h, CT_ROLE_AWAITING, CT_HELD, "awaiting-predecessor");
        snprintf(h->detail, sizeof h->detail, "supersedes %s, which is itself undecided", hx);
    } else if (p->revision >= r->revision || !p->chain_ok) {
        decide(h, CT_ROLE_REJECTED, CT_REJECTED, "broken-chain");
        snprintf(h->detail, sizeof h->detail,
                 p->chain_ok ? "supersedes %s of revision %llu, not lower"
                             : "supersedes %s (revision %llu), not validly signed by a key "
                               "enrolled for this precinct",
                 hx, (unsigned long long)p->revision);
    } else if (names_head(st, p) || (p->role == CT_ROLE_REJECTED && st->n_heads == 0)) {
        h->role = CT_ROLE_CORRECTION;
        h->resolves_conflict = st->n_heads > 1;
        snprintf(h->detail, sizeof h->detail, "corrects %s (revision %llu)", hx,
                 (unsigned long long)p->revision);
    } else {
        /* Naming a standing return that is not the newest forks the
         * history; naming a rejected one while another stands competes with
         * it. Either way a person decides. */
        decide(h, CT_ROLE_CONFLICT, CT_CONFLICT, NULL);
        snprintf(h->detail, sizeof h->detail, "supersedes %s, which is not the newest standing return",
                 hx);
    }
    rc = 0;
out:
    return rc;
}
