/*
 * history.c: group 8 and the status replay. Decisions and resolutions are
 * applied in event order; what stands is then computed by graph() from the
 * set of standing contents, and group 8 asks the same function what a new
 * return would do, so a verdict and the status it leads to always agree.
 */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static const char *const status_names[] = {
    [CT_ST_IN_TALLY] = "in-tally",           [CT_ST_HELD] = "held",
    [CT_ST_CONFLICT] = "conflict",           [CT_ST_REJECTED_ONLY] = "rejected-only",
    [CT_ST_MISSING] = "missing",             [CT_ST_EXCUSED] = "excused",
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
    free(st->marks);
    memset(st, 0, sizeof *st);
}

/* Index of the entry for file, or NONE (file 0 is never an entry). */
static size_t find_file(const ct_pc_entry *e, size_t n, int64_t file)
{
    size_t i, at = NONE;

    for (i = 0; file != 0 && at == NONE && i < n; i++)
        if (e[i].file == file)
            at = i;
    return at;
}

const ct_pc_entry *ct_pc_find(const ct_pc_state *st, int64_t file)
{
    size_t i = find_file(st->e, st->n, file);

    return i != NONE ? &st->e[i] : NULL;
}

/* ---- the graph of what stands ------------------------------------- */

/* One distinct content among the files that stand (or that a correction
 * may chain through: rejected but validly signed). Resigned copies share
 * their original's node. */
typedef struct node {
    const uint8_t *content;
    uint64_t revision;
    size_t pred;        /* node of its predecessor, NONE */
    int standing;       /* some member stands (or a person accepted it) */
    int accepted;
    int all_held;       /* every standing member has group 9 holds */
    int all_certified;  /* ... and each one after-certification */
    size_t rep;         /* entry that represents it: no holds first, then the
                         * smallest file hash (so the choice is order-free) */
    int superseded, leaf, dropped;
} node;

static int stands(const ct_pc_entry *x)
{
    return !x->dismissed && (ct_role_standing(x->role) || x->accepted);
}

static int better_rep(const ct_pc_entry *a, const ct_pc_entry *b)
{
    return a->has_holds != b->has_holds ? !a->has_holds : memcmp(a->hash, b->hash, PR_HASH_BYTES) < 0;
}

/* Do the lineages of nodes x and y hold different contents at a revision
 * both have? (Each lineage has at most one node per revision: revisions
 * strictly fall along `pred`.) */
static int diverge(const node *nd, size_t nn, size_t x, size_t y)
{
    size_t a, b, sa, sb;
    int yes = 0;

    for (a = x, sa = 0; !yes && a != NONE && sa <= nn; a = nd[a].pred, sa++)
        for (b = y, sb = 0; !yes && b != NONE && sb <= nn; b = nd[b].pred, sb++)
            yes = nd[a].revision == nd[b].revision && a != b;
    return yes;
}

/*
 * What stands, from the set alone (docs/REVIEW.md "What stands"):
 * the standing contents that no standing content supersedes are the
 * leaves; a leaf is dropped when another leaf of a higher revision has,
 * at some revision both lines passed through, a different content (the
 * older line was replaced: a stale return, an equivocation, the losing
 * side of a conflict that a correction ended). The leaves left are the
 * heads. Sets head, head_held and dropped on e; *n_heads. 0, or -1 when
 * out of memory.
 */
static int graph(ct_pc_entry *e, size_t n, size_t *n_heads)
{
    node *nd = NULL;
    size_t *of = NULL, nn = 0, i, j, k;
    int rc = -1;

    *n_heads = 0;
    nd = calloc(n ? n : 1, sizeof *nd);
    of = calloc(n ? n : 1, sizeof *of);
    if (nd == NULL || of == NULL)
        goto out;
    for (i = 0; i < n; i++) {
        int member = stands(&e[i]), lineage = !e[i].dismissed && e[i].role == CT_ROLE_REJECTED &&
                                               e[i].chain_ok;
        e[i].head = e[i].head_held = e[i].dropped = 0;
        of[i] = NONE;
        if (!member && !lineage)
            continue;
        for (k = 0; k < nn; k++)
            if (memcmp(nd[k].content, e[i].content, PR_HASH_BYTES) == 0)
                break;
        if (k == nn) {
            memset(&nd[k], 0, sizeof nd[k]);
            nd[k].content = e[i].content;
            nd[k].revision = e[i].revision;
            nd[k].pred = NONE;
            nd[k].all_held = 1;
            nd[k].all_certified = 1;
            nd[k].rep = NONE;
            nn++;
        }
        of[i] = k;
        if (member) {
            nd[k].standing = 1;
            nd[k].accepted |= e[i].accepted;
            if (!e[i].has_holds)
                nd[k].all_held = 0;
            if (!e[i].held_certified || e[i].accepted)
                nd[k].all_certified = 0;
            if (nd[k].rep == NONE || better_rep(&e[i], &e[nd[k].rep]))
                nd[k].rep = i;
        }
    }
    /* Links: only a standing content chains to its predecessor; a rejected
     * one ends a lineage (its predecessor was never judged). */
    /* A content held after-certification that no person has accepted
     * (all_certified, cleared above by any member that is not so held or
     * was accepted) replaces nothing: a certified result changes only by a
     * person's decision (docs/EVENTS.md "Certification"; red team: a
     * correction signed after certification used to take the precinct out
     * of the tally). It stands aside, in review, until resolved. */
    for (i = 0; i < n; i++) {
        k = of[i];
        if (k == NONE || !stands(&e[i]) || nd[k].pred != NONE || nd[k].all_certified)
            continue;
        j = find_file(e, n, e[i].pred);
        if (j != NONE && of[j] != NONE && nd[of[j]].revision < nd[k].revision)
            nd[k].pred = of[j];
    }
    for (k = 0; k < nn; k++)
        if (nd[k].standing && nd[k].pred != NONE)
            nd[nd[k].pred].superseded = 1;
    for (k = 0; k < nn; k++)
        nd[k].leaf = nd[k].standing && !nd[k].superseded && !nd[k].all_certified;
    for (k = 0; k < nn; k++)
        for (j = 0; nd[k].leaf && !nd[k].dropped && j < nn; j++)
            if (j != k && nd[j].leaf && nd[j].revision > nd[k].revision && diverge(nd, nn, k, j))
                nd[k].dropped = 1;
    for (i = 0; i < n; i++)
        if (of[i] != NONE && nd[of[i]].dropped && stands(&e[i]))
            e[i].dropped = 1;
    for (k = 0; k < nn; k++) {
        if (!nd[k].leaf || nd[k].dropped)
            continue;
        e[nd[k].rep].head = 1;
        e[nd[k].rep].head_held = nd[k].all_held && !nd[k].accepted;
        (*n_heads)++;
    }
    rc = 0;
out:
    free(nd);
    free(of);
    return rc;
}

/* Index of the mark for content, or NONE. */
static size_t find_mark(const ct_pc_mark *m, size_t nm, const uint8_t *content)
{
    size_t i, at = NONE;

    for (i = 0; at == NONE && i < nm; i++)
        if (memcmp(m[i].content, content, PR_HASH_BYTES) == 0)
            at = i;
    return at;
}

static void apply_marks(ct_pc_entry *e, size_t n, const ct_pc_mark *m, size_t nm)
{
    size_t i, k;

    for (i = 0; i < n; i++) {
        k = find_mark(m, nm, e[i].content);
        e[i].accepted = k != NONE && m[k].accepted;
        e[i].dismissed = k != NONE && !m[k].accepted;
    }
}

/* Marks, the graph, and the counts the status is read from. */
static int finish(ct_pc_state *st, ct_err *e)
{
    size_t i;
    int rc = -1;

    apply_marks(st->e, st->n, st->marks, st->n_marks);
    if (graph(st->e, st->n, &st->n_heads) != 0) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    st->n_awaiting = st->n_rejected = 0;
    for (i = 0; i < st->n; i++) {
        const ct_pc_entry *x = &st->e[i];
        if (x->role == CT_ROLE_AWAITING && !x->dismissed && !x->accepted)
            st->n_awaiting++;
        if (x->role == CT_ROLE_REJECTED || x->dismissed)
            st->n_rejected++;
    }
    rc = 0;
out:
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
        else if (st->n > 0)
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
        if ((*head != NULL && (*head)->head_held) || st->n_awaiting > 0)
            s = CT_ST_HELD;
        else
            s = CT_ST_IN_TALLY;
    }
    return s;
}

/* ---- the replay ----------------------------------------------------- */

static int set_mark(ct_pc_state *st, const uint8_t *content, int accepted, int64_t seq)
{
    size_t k = find_mark(st->marks, st->n_marks, content);
    ct_pc_mark *m = k != NONE ? &st->marks[k] : NULL;
    int rc = -1;

    if (m == NULL) {
        if (st->n_marks == st->cap_marks) {
            size_t ncap = st->cap_marks ? st->cap_marks * 2 : 8;
            ct_pc_mark *nm = realloc(st->marks, ncap * sizeof *nm);
            if (nm == NULL)
                goto out;
            st->marks = nm;
            st->cap_marks = ncap;
        }
        m = &st->marks[st->n_marks++];
        memcpy(m->content, content, PR_HASH_BYTES);
    }
    m->accepted = accepted;
    m->seq = seq;
    rc = 0;
out:
    return rc;
}

/* Is content on the chain of predecessors of x (x itself included)? */
static int in_lineage(const ct_pc_state *st, size_t x, const uint8_t *content)
{
    size_t steps;
    int yes = 0;

    for (steps = 0; !yes && x != NONE && steps <= st->n; steps++) {
        yes = memcmp(st->e[x].content, content, PR_HASH_BYTES) == 0;
        x = find_file(st->e, st->n, st->e[x].pred);
    }
    return yes;
}

/* A person's resolution of file en. Rejecting sets its content aside.
 * Accepting makes it what stands: every other return present now, standing
 * or waiting, is set aside, except its own predecessors. Returns that come
 * later are judged against that (a new conflict needs a new decision). */
static int resolve_row(ct_pc_state *st, size_t en, int accept, int64_t seq)
{
    size_t i;
    int rc = -1;

    if (accept) {
        for (i = 0; i < st->n; i++) {
            const ct_pc_entry *x = &st->e[i];
            if ((ct_role_standing(x->role) || x->role == CT_ROLE_AWAITING) &&
                !in_lineage(st, en, x->content) && set_mark(st, x->content, 0, seq) != 0)
                goto out;
        }
    }
    if (set_mark(st, st->e[en].content, accept, seq) != 0)
        goto out;
    rc = 0;
out:
    return rc;
}

/* The columns every replay query selects, in this order: decisions and
 * resolutions (action non-empty) of parsed files, merged by seq. */
#define REPLAY_SELECT                                                                            \
    "SELECT seq, file, role, verdict, grp, codes, key, hash, content, revision, precinct,"       \
    " contest, pred, holds, action, fseq FROM ("                                                 \
    "SELECT d.seq AS seq, d.file AS file, d.role AS role, d.verdict AS verdict, d.grp AS grp,"  \
    " d.codes AS codes, d.key AS key, f.hash AS hash, f.content_hash AS content,"               \
    " f.revision AS revision, f.precinct AS precinct, f.contest AS contest, d.pred AS pred,"    \
    " d.holds AS holds, '' AS action, f.seq AS fseq"                                           \
    " FROM decisions d JOIN files f ON f.id = d.file WHERE f.parsed = 1"                        \
    " UNION ALL "                                                                               \
    "SELECT r.seq, r.file, '', '', 0, '', NULL, f.hash, f.content_hash, f.revision,"           \
    " f.precinct, f.contest, NULL, '', r.action, f.seq"                                         \
    " FROM resolutions r JOIN files f ON f.id = r.file WHERE f.parsed = 1)"

static ct_pc_entry *new_entry(ct_pc_state *st, int64_t file)
{
    ct_pc_entry *en = NULL;

    if (st->n == st->cap) {
        size_t ncap = st->cap ? st->cap * 2 : 8;
        ct_pc_entry *ne = realloc(st->e, ncap * sizeof *ne);
        if (ne == NULL)
            goto out;
        st->e = ne;
        st->cap = ncap;
    }
    en = &st->e[st->n++];
    memset(en, 0, sizeof *en);
    en->file = file;
out:
    return en;
}

/* Sets on en what one decision about its file says (the decision
 * columns of a replay row; role and verdict as stored, codes and holds
 * comma-joined). 0, or -1 for an unknown role or verdict. */
static int set_decision(ct_pc_entry *en, int64_t seq, const char *role, const char *verdict,
                        unsigned grp, const char *codes_s, int64_t key, int64_t pred,
                        const char *holds)
{
    ct_codes codes;

    if (ct_role_parse(role, &en->role) != 0 || ct_verdict_parse(verdict, &en->verdict) != 0)
        return -1;
    en->seq = seq;
    en->grp = grp;
    en->key = key;
    en->pred = pred;
    en->has_holds = holds[0] != '\0';
    en->held_certified = strstr(holds, "after-certification") != NULL;
    ct_codes_split(codes_s, &codes);
    /* DESIGN 7: a correction may name a stored return "validly signed by a
     * key enrolled for it, rejected ones included": one that got past
     * groups 2-3 and was not refused for key-precinct-mismatch. */
    en->chain_ok = en->role != CT_ROLE_REJECTED ||
                   (en->grp >= 4 && !ct_codes_has(&codes, "key-precinct-mismatch"));
    en->key_pending = en->role == CT_ROLE_REJECTED &&
                      (ct_codes_has(&codes, "unknown-key") || ct_codes_has(&codes, "bad-signature") ||
                       ct_codes_has(&codes, "key-precinct-mismatch"));
    return 0;
}

/* Applies one replay row to st. 0, or -1 with e. */
static int feed(ct_db *db, sqlite3_stmt *s, ct_pc_state *st, ct_err *e)
{
    char role[32], verdict[32], codes_s[2048], holds[2048], action[16];
    ct_pc_entry *en = NULL;
    int64_t seq = (int64_t)sqlite3_column_int64(s, 0), file = (int64_t)sqlite3_column_int64(s, 1);
    size_t at;
    int rc = -1;

    ct_col_text(s, 14, action, sizeof action);
    at = find_file(st->e, st->n, file);
    if (action[0] != '\0') {
        /* A resolution always follows the file's import decision. */
        if (at == NONE) {
            ct_err_set(e, CT_EXIT_IO, db->path, "resolution %lld names an unknown file", (long long)seq);
            goto out;
        }
        if (resolve_row(st, at, strcmp(action, "accept") == 0, seq) != 0) {
            ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
            goto out;
        }
        rc = 0;
        goto out;
    }
    if (at != NONE) {
        en = &st->e[at];
    } else {
        en = new_entry(st, file);
        if (en == NULL) {
            ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
            goto out;
        }
        if (ct_col_blob(s, 7, en->hash, PR_HASH_BYTES) != 0 ||
            ct_col_blob(s, 8, en->content, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "file %lld: damaged hashes", (long long)file);
            goto out;
        }
        en->revision = (uint64_t)sqlite3_column_int64(s, 9);
        en->import_seq = (int64_t)sqlite3_column_int64(s, 15);
    }
    ct_col_text(s, 2, role, sizeof role);
    ct_col_text(s, 3, verdict, sizeof verdict);
    ct_col_text(s, 5, codes_s, sizeof codes_s);
    ct_col_text(s, 13, holds, sizeof holds);
    if (set_decision(en, seq, role, verdict, (unsigned)sqlite3_column_int(s, 4), codes_s,
                     (int64_t)sqlite3_column_int64(s, 6), (int64_t)sqlite3_column_int64(s, 12),
                     holds) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "decision %lld: unknown role or verdict", (long long)seq);
        goto out;
    }
    rc = 0;
out:
    return rc;
}

int ct_pc_load(ct_db *db, const char *precinct, const char *contest, int64_t exclude,
               int64_t as_of, ct_pc_state *st, ct_err *e)
{
    static const char sql[] = REPLAY_SELECT
        " WHERE precinct = ?1 AND contest = ?2 AND file <> ?3 AND (?4 = 0 OR seq <= ?4)"
        " ORDER BY seq";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    memset(st, 0, sizeof *st);
    if (ct_db_cached(db, sql, &s, e) != 0)
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
    if (finish(st, e) != 0)
        goto out;
    rc = 0;
out:
    ct_db_done(db, s);
    if (rc != 0)
        ct_pc_free(st);
    return rc;
}

int ct_pc_each(ct_db *db, int64_t as_of, ct_pc_visit visit, void *ctx, ct_err *e)
{
    static const char sql[] = REPLAY_SELECT " WHERE (?1 = 0 OR seq <= ?1)"
                                            " ORDER BY precinct, contest, seq";
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
            if (finish(&st, e) != 0 || visit(ctx, precinct, contest, &st, e) != 0)
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
    if (have && (finish(&st, e) != 0 || visit(ctx, precinct, contest, &st, e) != 0))
        goto out;
    rc = 0;
out:
    sqlite3_finalize(s);
    ct_pc_free(&st);
    return rc;
}

/* ---- group 8 -------------------------------------------------------- */

static const ct_pc_entry *find_hash(const ct_pc_state *st, const uint8_t *hash)
{
    const ct_pc_entry *at = NULL;
    size_t i;

    for (i = 0; at == NULL && i < st->n; i++)
        if (memcmp(st->e[i].hash, hash, PR_HASH_BYTES) == 0)
            at = &st->e[i];
    return at;
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
    if (ct_db_cached(db, sql, &s, e) != 0)
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
    ct_db_done(db, s);
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

/* What r would do: added to the state as one more standing content, is it
 * a head, and how many heads would there be? */
static int would_stand(const ct_pc_state *st, const pr_return *r, const uint8_t *content,
                       int64_t pred, int *head, size_t *n_heads, uint64_t *top, ct_err *e)
{
    ct_pc_entry *t = NULL;
    size_t i;
    int rc = -1;

    *head = 0;
    *top = 0;
    t = calloc(st->n + 1, sizeof *t);
    if (t == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    if (st->n > 0)
        memcpy(t, st->e, st->n * sizeof *t);
    memcpy(t[st->n].content, content, PR_HASH_BYTES);
    memset(t[st->n].hash, 0xff, PR_HASH_BYTES);
    t[st->n].revision = r->revision;
    t[st->n].role = CT_ROLE_NEW;
    t[st->n].chain_ok = 1;
    t[st->n].pred = pred;
    if (graph(t, st->n + 1, n_heads) != 0) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    /* r's content is new (resigned was ruled out), so its node's only
     * member is t[st->n]. */
    *head = t[st->n].head;
    for (i = 0; i < st->n + 1; i++)
        if (t[i].head && t[i].revision > *top)
            *top = t[i].revision;
    rc = 0;
out:
    free(t);
    return rc;
}

int ct_history_decide(ct_db *db, const ct_pc_state *st, const pr_return *r,
                      const uint8_t content[PR_HASH_BYTES], ct_hist *h, ct_err *e)
{
    const ct_pc_entry *p = NULL;
    char hx[17];
    size_t i, n_after = 0;
    uint64_t top = 0;
    int found, head = 0, rc = -1;

    memset(h, 0, sizeof *h);
    h->role = CT_ROLE_NEW;
    /* Same content as a standing return, other bytes: re-signed later or
     * by another enrolled key of the precinct. A content a person decided
     * on counts as standing here, so re-signing it changes nothing. */
    for (i = 0; i < st->n; i++) {
        const ct_pc_entry *x = &st->e[i];
        if ((ct_role_standing(x->role) || x->accepted || x->dismissed) &&
            memcmp(x->content, content, PR_HASH_BYTES) == 0) {
            decide(h, CT_ROLE_RESIGNED, CT_DUPLICATE, "resigned");
            short_hex(hx, x->hash);
            snprintf(h->detail, sizeof h->detail, "same content as %s", hx);
            rc = 0;
            goto out;
        }
    }
    if (r->revision > 1) {
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
        if (!p->accepted && !p->dismissed && (p->key_pending || p->role == CT_ROLE_AWAITING)) {
            /* The predecessor is itself undecided (its key may yet be
             * enrolled, or its own predecessor may yet arrive): decided
             * again with it, so the outcome does not depend on order. */
            decide(h, CT_ROLE_AWAITING, CT_HELD, "awaiting-predecessor");
            snprintf(h->detail, sizeof h->detail, "supersedes %s, which is itself undecided", hx);
            rc = 0;
            goto out;
        }
        if (p->revision >= r->revision || !p->chain_ok) {
            decide(h, CT_ROLE_REJECTED, CT_REJECTED, "broken-chain");
            snprintf(h->detail, sizeof h->detail,
                     p->chain_ok ? "supersedes %s of revision %llu, not lower"
                                 : "supersedes %s (revision %llu), not validly signed by a key "
                                   "enrolled for this precinct",
                     hx, (unsigned long long)p->revision);
            rc = 0;
            goto out;
        }
    }
    if (would_stand(st, r, content, h->pred, &head, &n_after, &top, e) != 0)
        goto out;
    if (!head) {
        decide(h, CT_ROLE_STALE, CT_STALE, NULL);
        snprintf(h->detail, sizeof h->detail, "revision %llu; a newer line stands at revision %llu",
                 (unsigned long long)r->revision, (unsigned long long)top);
        /* Content differs from every standing return (checked above), so
         * any validly signed stored return of this revision means two
         * versions of it. */
        for (i = 0; i < st->n; i++)
            if (st->e[i].chain_ok && st->e[i].revision == r->revision)
                ct_codes_add(&h->codes, "equivocation");
    } else if (n_after > 1) {
        decide(h, CT_ROLE_CONFLICT, CT_CONFLICT, NULL);
        if (p != NULL && !p->head)
            snprintf(h->detail, sizeof h->detail,
                     "supersedes %s, which is not the newest standing return (%zu in conflict)", hx,
                     n_after);
        else
            snprintf(h->detail, sizeof h->detail,
                     "revision %llu stands beside another return (%zu in conflict)",
                     (unsigned long long)r->revision, n_after);
    } else if (p != NULL) {
        h->role = CT_ROLE_CORRECTION;
        h->resolves_conflict = st->n_heads > 1;
        snprintf(h->detail, sizeof h->detail, "corrects %s (revision %llu)", hx,
                 (unsigned long long)p->revision);
    }
    rc = 0;
out:
    return rc;
}

int ct_file_key_compromised(ct_db *db, int64_t file, int64_t as_of, int *yes, ct_err *e)
{
    static const char sql[] =
        "SELECT 1 FROM files f JOIN revocations v"
        " ON v.key = (SELECT d.key FROM decisions d WHERE d.file = f.id"
        "             AND (?2 = 0 OR d.seq <= ?2) ORDER BY d.seq DESC LIMIT 1)"
        " WHERE f.id = ?1 AND v.reason = 'compromised' AND v.seq > f.seq"
        " AND (?2 = 0 OR v.seq <= ?2) LIMIT 1";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *yes = 0;
    if (ct_db_cached(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, file) != SQLITE_OK || ct_bind_i64(s, 2, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *yes = step == SQLITE_ROW;
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

int ct_excuses_each(ct_db *db, int64_t as_of, ct_excuse_visit visit, void *ctx, ct_err *e)
{
    static const char sql[] = "SELECT precinct, contest FROM excuses WHERE (?1 = 0 OR seq <= ?1)"
                              " ORDER BY precinct, contest";
    sqlite3_stmt *s = NULL;
    char p[PR_ID_MAX + 1], c[PR_ID_MAX + 1];
    int rc = -1, step;

    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        ct_col_text(s, 0, p, sizeof p);
        ct_col_text(s, 1, c, sizeof c);
        if (visit(ctx, p, c, e) != 0)
            goto out;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

int ct_any_compromised(ct_db *db, int64_t as_of, int *yes, ct_err *e)
{
    static const char sql[] =
        "SELECT 1 FROM revocations WHERE reason = 'compromised' AND (?1 = 0 OR seq <= ?1) LIMIT 1";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *yes = 0;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, as_of) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    *yes = step == SQLITE_ROW;
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* ---- the replay memo (issue 8) ---------------------------------------- */

/* Open addressing on (precinct, contest); at most MEMO_USED pairs, so the
 * table is never more than half full. Slots are never emptied within a
 * batch (a dropped pair keeps its slot, without a state), so a probe
 * sequence is never broken. */
#define MEMO_SLOTS 4096u
#define MEMO_USED (MEMO_SLOTS / 2)

struct memo_slot {
    int used;                       /* the pair below owns this slot */
    int has;                        /* st is the pair's state */
    char precinct[PR_ID_MAX + 1], contest[PR_ID_MAX + 1];
    ct_pc_state st;
};

struct ct_pc_memo {
    size_t used;
    int has_kept;                   /* kept: the state ct_decide replayed */
    char kept_precinct[PR_ID_MAX + 1], kept_contest[PR_ID_MAX + 1];
    ct_pc_state kept;
    struct memo_slot slot[MEMO_SLOTS];
};

void ct_pc_memo_start(ct_db *db)
{
    ct_pc_memo_stop(db);
    db->pc_memo = calloc(1, sizeof *db->pc_memo);
}

void ct_pc_memo_forget(ct_db *db)
{
    if (db->pc_memo != NULL) {
        ct_pc_free(&db->pc_memo->kept);
        db->pc_memo->has_kept = 0;
    }
}

void ct_pc_memo_stop(ct_db *db)
{
    struct ct_pc_memo *m = db->pc_memo;

    if (m == NULL)
        return;
    ct_pc_memo_forget(db);
    for (size_t i = 0; i < MEMO_SLOTS; i++)
        ct_pc_free(&m->slot[i].st);
    free(m);
    db->pc_memo = NULL;
}

/* The slot of (precinct, contest): its own, or the empty one where it
 * would go (NULL when the table is full or an id is too long). */
static struct memo_slot *memo_slot(struct ct_pc_memo *m, const char *precinct, const char *contest)
{
    uint32_t h = 2166136261u; /* FNV-1a over precinct, NUL, contest */
    const char *p;

    if (strlen(precinct) > PR_ID_MAX || strlen(contest) > PR_ID_MAX)
        return NULL;
    for (p = precinct; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h *= 16777619u;
    for (p = contest; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (size_t k = 0; k < MEMO_SLOTS; k++) {
        struct memo_slot *x = &m->slot[(h + k) % MEMO_SLOTS];

        if (!x->used)
            return m->used < MEMO_USED ? x : NULL;
        if (strcmp(x->precinct, precinct) == 0 && strcmp(x->contest, contest) == 0)
            return x;
    }
    return NULL;
}

void ct_pc_memo_keep(ct_db *db, const char *precinct, const char *contest, ct_pc_state *st)
{
    struct ct_pc_memo *m = db->pc_memo;

    if (m == NULL)
        return;
    ct_pc_memo_forget(db);
    if (strlen(precinct) > PR_ID_MAX || strlen(contest) > PR_ID_MAX)
        return;
    m->kept = *st;
    memset(st, 0, sizeof *st);
    snprintf(m->kept_precinct, sizeof m->kept_precinct, "%s", precinct);
    snprintf(m->kept_contest, sizeof m->kept_contest, "%s", contest);
    m->has_kept = 1;
}

void ct_pc_memo_drop(ct_db *db, const char *precinct, const char *contest)
{
    struct memo_slot *x = db->pc_memo != NULL ? memo_slot(db->pc_memo, precinct, contest) : NULL;

    if (x != NULL && x->used) {
        ct_pc_free(&x->st);
        x->has = 0;
    }
}

int ct_pc_memo_stored(ct_db *db, const char *precinct, const char *contest, int64_t seq,
                      int64_t file, const uint8_t hash[PR_HASH_BYTES],
                      const uint8_t content[PR_HASH_BYTES], uint64_t revision, const char *role,
                      const char *verdict, unsigned grp, const char *codes, int64_t key,
                      int64_t pred, const char *holds, ct_err *e)
{
    struct ct_pc_memo *m = db->pc_memo;
    struct memo_slot *x;
    ct_pc_state st;
    ct_pc_entry *en;
    ct_err oom;

    if (m == NULL)
        return 0;
    if (!m->has_kept || strcmp(m->kept_precinct, precinct) != 0 ||
        strcmp(m->kept_contest, contest) != 0 || find_file(m->kept.e, m->kept.n, file) != NONE) {
        ct_pc_memo_forget(db);
        ct_pc_memo_drop(db, precinct, contest);
        return 0;
    }
    st = m->kept;
    memset(&m->kept, 0, sizeof m->kept);
    m->has_kept = 0;
    /* What feed does with this row: the file is new to the pair. */
    en = new_entry(&st, file);
    if (en == NULL) {
        ct_pc_free(&st);
        ct_pc_memo_drop(db, precinct, contest);
        return 0;
    }
    memcpy(en->hash, hash, PR_HASH_BYTES);
    memcpy(en->content, content, PR_HASH_BYTES);
    en->revision = revision;
    en->import_seq = seq;
    if (set_decision(en, seq, role, verdict, grp, codes, key, pred, holds) != 0) {
        ct_pc_free(&st);
        ct_err_set(e, CT_EXIT_IO, db->path, "decision %lld: unknown role or verdict", (long long)seq);
        return -1;
    }
    x = memo_slot(m, precinct, contest);
    if (x == NULL || finish(&st, &oom) != 0) {
        ct_pc_free(&st);
        ct_pc_memo_drop(db, precinct, contest);
        return 0;
    }
    if (!x->used) {
        x->used = 1;
        m->used++;
        snprintf(x->precinct, sizeof x->precinct, "%s", precinct);
        snprintf(x->contest, sizeof x->contest, "%s", contest);
    }
    ct_pc_free(&x->st);
    x->st = st;
    x->has = 1;
    return 0;
}

const ct_pc_state *ct_pc_memo_get(ct_db *db, const char *precinct, const char *contest)
{
    struct memo_slot *x = db->pc_memo != NULL ? memo_slot(db->pc_memo, precinct, contest) : NULL;

    return x != NULL && x->used && x->has ? &x->st : NULL;
}
