/*
 * report.c: statuses, sums and outcomes. Every number comes from the
 * signed bytes of the returns in the tally; every sum is checked for
 * overflow; no floating point decides anything (DESIGN 8).
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "proto/return.h"
#include "history.h"
#include "store.h"
#include "vcache.h"

#define NONE ((size_t)-1)

void ct_report_free(ct_report *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n; i++) {
        free(r->rows[i].counts);
        free(r->rows[i].votes);
    }
    free(r->rows);
    free(r->by_contest);
    free(r->contest_start);
    memset(r, 0, sizeof *r);
}

int ct_group_by(size_t n, size_t n_keys, size_t (*key)(const void *ctx, size_t i), const void *ctx,
                size_t **idx, size_t **start)
{
    size_t i, g, *st = calloc(n_keys + 1, sizeof *st), *ix = malloc((n ? n : 1) * sizeof *ix);

    *idx = *start = NULL;
    if (st == NULL || ix == NULL) {
        free(st);
        free(ix);
        return -1;
    }
    for (i = 0; i < n; i++)
        st[key(ctx, i) + 1]++;
    for (g = 0; g < n_keys; g++)
        st[g + 1] += st[g];
    for (i = 0; i < n; i++)
        ix[st[key(ctx, i)]++] = i;
    /* Each st[g] moved to the end of group g: shift back. */
    for (g = n_keys; g > 0; g--)
        st[g] = st[g - 1];
    st[0] = 0;
    *idx = ix;
    *start = st;
    return 0;
}

static size_t row_contest(const void *ctx, size_t i)
{
    return ((const ct_report *)ctx)->rows[i].contest;
}

const size_t *ct_report_contest_rows(const ct_report *r, size_t c, size_t *n)
{
    *n = r->contest_start[c + 1] - r->contest_start[c];
    return r->by_contest + r->contest_start[c];
}

typedef struct build_ctx {
    ct_db *db;
    ct_report *r;
    size_t *first;              /* per precinct: index of its first row */
} build_ctx;

/* A row's status and head from the replayed state of its (precinct,
 * contest). */
static void row_from_state(ct_pc_row *row, const ct_pc_state *st)
{
    const ct_pc_entry *head;

    row->status = ct_pc_status(st, &head);
    if (head != NULL) {
        row->has_head = 1;
        row->file = head->file;
        memcpy(row->hash, head->hash, PR_HASH_BYTES);
        row->revision = head->revision;
        row->verdict = head->verdict;
        /* The head stands for its content, and which of a content's
         * re-signed copies came first (and got its verdict while the other
         * became `duplicate resigned`) depends on arrival order: show the
         * content's verdict, the one its first copy got (DESIGN 7 "Order
         * independence"; found by tests/cli/bulk_equivalence.sh). */
        if (head->role == CT_ROLE_RESIGNED)
            for (size_t i = 0; i < st->n; i++)
                if (st->e[i].role != CT_ROLE_RESIGNED && ct_role_standing(st->e[i].role) &&
                    memcmp(st->e[i].content, head->content, PR_HASH_BYTES) == 0)
                    row->verdict = st->e[i].verdict;
    }
}

static int visit(void *vctx, const char *precinct, const char *contest, const ct_pc_state *st,
                 ct_err *e)
{
    build_ctx *cx = vctx;
    const cm_definition *def = cx->db->def;
    size_t p = cm_find_precinct(def, precinct), c = cm_find_contest(def, contest), k;
    ct_pc_row *row = NULL;

    (void)e;
    /* Returns for a precinct or contest the definition does not have, or
     * a pair it does not expect, were rejected and belong to no row. */
    for (k = 0; p != NONE && c != NONE && cx->first[p] != NONE && k < def->precincts[p].n_contests;
         k++)
        if (def->precincts[p].contests[k] == c)
            row = &cx->r->rows[cx->first[p] + k];
    if (row != NULL)
        row_from_state(row, st);
    return 0;
}

int ct_report_row(ct_db *db, size_t p, size_t c, int any_excused, ct_pc_row *row, ct_err *e)
{
    static const char excused_sql[] = "SELECT count(*) FROM excuses WHERE precinct = ?1 AND contest = ?2";
    const cm_definition *def = db->def;
    sqlite3_stmt *s = NULL;
    const ct_pc_state *memo;
    ct_pc_state st;
    int rc = -1;

    memset(row, 0, sizeof *row);
    memset(&st, 0, sizeof st);
    row->precinct = p;
    row->contest = c;
    row->status = CT_ST_MISSING;
    if (any_excused) {
        if (ct_db_cached(db, excused_sql, &s, e) != 0)
            goto out;
        if (ct_bind_text(s, 1, def->precincts[p].id) != SQLITE_OK ||
            ct_bind_text(s, 2, def->contests[c].id) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
            ct_db_error(db, e, NULL);
            goto out;
        }
        if (sqlite3_column_int64(s, 0) > 0) {
            row->status = CT_ST_EXCUSED; /* DESIGN 7, as visit_excused */
            rc = 0;
            goto out;
        }
    }
    /* in import's batch, the state its decision replayed with the file
     * added (history.h "The replay memo") */
    memo = ct_pc_memo_get(db, def->precincts[p].id, def->contests[c].id);
    if (memo == NULL && ct_pc_load(db, def->precincts[p].id, def->contests[c].id, 0, 0, &st, e) != 0)
        goto out;
    if (memo == NULL)
        memo = &st;
    if (memo->n > 0)
        row_from_state(row, memo);
    rc = 0;
out:
    ct_db_done(db, s);
    ct_pc_free(&st);
    return rc;
}

/* DESIGN 7: an excused (precinct, contest) has that status whatever was
 * stored for it, and nothing of it is counted. */
static int visit_excused(void *vctx, const char *precinct, const char *contest, ct_err *e)
{
    build_ctx *cx = vctx;
    const cm_definition *def = cx->db->def;
    size_t p = cm_find_precinct(def, precinct), c = cm_find_contest(def, contest), k;

    (void)e;
    for (k = 0; p != NONE && c != NONE && cx->first[p] != NONE && k < def->precincts[p].n_contests;
         k++) {
        if (def->precincts[p].contests[k] == c) {
            cx->r->rows[cx->first[p] + k].status = CT_ST_EXCUSED;
            cx->r->rows[cx->first[p] + k].has_head = 0;
        }
    }
    return 0;
}

/* A row's counts and votes from its return's signed bytes, matched to the
 * definition by id. 0; -1 when the bytes no longer parse (d says why); -2
 * out of memory. Touches only row: safe on a worker thread. */
static int fill_counts(const cm_definition *def, ct_pc_row *row, const ct_input *in,
                       pr_return *ret, pr_diag *d)
{
    const cm_contest *ct = &def->contests[row->contest];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    size_t i, k;

    row->counts = calloc(pr->n_lines ? pr->n_lines : 1, sizeof *row->counts);
    row->votes = calloc(ct->n_candidates ? ct->n_candidates : 1, sizeof *row->votes);
    if (row->counts == NULL || row->votes == NULL)
        return -2;
    if (pr_return_parse(in->bytes, in->len, ret, d) != 0)
        return -1;
    ct_hex(row->key_id, ret->key_id, PR_KEYID_BYTES);
    /* Matched by id, not position: the order was checked at import
     * (group 5), but the tally should not depend on that. */
    for (i = 0; i < pr->n_lines; i++)
        for (k = 0; k < ret->n_counts; k++)
            if (strcmp(ret->counts[k].id, pr->lines[i].id) == 0)
                row->counts[i] = ret->counts[k].value;
    for (i = 0; i < ct->n_candidates; i++)
        for (k = 0; k < ret->n_votes; k++)
            if (strcmp(ret->votes[k].id, ct->candidates[i].id) == 0)
                row->votes[i] = ret->votes[k].value;
    return 0;
}

/* Rows in the tally are parsed this many at a time on every core, while
 * the calling thread reads the next chunk's bytes (issue 8: parsing every
 * counted return was most of tally's and status's time). */
#define COUNTS_CHUNK 4096

typedef struct counts_chunk {
    const cm_definition *def;
    ct_report *r;
    size_t rows[COUNTS_CHUNK];  /* row indexes */
    ct_input in[COUNTS_CHUNK];  /* their stored bytes */
    int rc[COUNTS_CHUNK];       /* fill_counts's answer */
    size_t n;
} counts_chunk;

static void counts_one(void *ctx, size_t i)
{
    counts_chunk *ch = ctx;
    pr_return *ret = malloc(sizeof *ret);
    pr_diag d;

    ch->rc[i] = ret == NULL ? -2 : fill_counts(ch->def, &ch->r->rows[ch->rows[i]], &ch->in[i], ret, &d);
    free(ret);
}

/* Frees ch's bytes. */
static void counts_drop(counts_chunk *ch)
{
    for (size_t i = 0; i < ch->n; i++)
        ct_input_free(&ch->in[i]);
    ch->n = 0;
}

/* Waits for ch's parsing (j NULL: it is done here), reports its first
 * failure and frees its bytes. 0, or -1 with e. */
static int counts_finish(ct_db *db, counts_chunk *ch, ct_par_job *j, ct_err *e)
{
    size_t i;
    int rc = 0;

    if (j != NULL)
        ct_parallel_join(j);
    else
        for (i = 0; i < ch->n; i++)
            counts_one(ch, i);
    for (i = 0; i < ch->n && rc == 0; i++) {
        if (ch->rc[i] == -2) {
            ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
            rc = -1;
        } else if (ch->rc[i] != 0) {
            /* parsed again here for the message */
            pr_return *ret = malloc(sizeof *ret);
            pr_diag d;

            memset(&d, 0, sizeof d);
            if (ret == NULL || pr_return_parse(ch->in[i].bytes, ch->in[i].len, ret, &d) == 0)
                (void)snprintf(d.msg, sizeof d.msg, "%s", ret == NULL ? "out of memory" : "?");
            free(ret);
            ct_err_set(e, CT_EXIT_IO, db->path, "stored return %lld no longer parses: %s",
                       (long long)ch->r->rows[ch->rows[i]].file, d.msg);
            rc = -1;
        }
    }
    counts_drop(ch);
    return rc;
}

/* Finishes *busy, the chunk whose parsing runs as *job, when there is one
 * (counts_finish), and clears both. 0, or -1 with e. */
static int finish_busy(ct_db *db, counts_chunk **busy, ct_par_job **job, ct_err *e)
{
    int rc = *busy != NULL ? counts_finish(db, *busy, *job, e) : 0;

    *busy = NULL;
    *job = NULL;
    return rc;
}

/* The bytes are read on this thread (the report's one read transaction);
 * each chunk is parsed in the background while the next one is read. */
int ct_report_counts(ct_db *db, ct_report *r, ct_err *e)
{
    counts_chunk *ch = calloc(2, sizeof *ch), *fill, *busy = NULL;
    ct_par_job *job = NULL;
    ct_err ignored, read_err;
    int rc = -1, read_failed = 0;
    size_t k;

    if (ch == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        return -1;
    }
    memset(&ignored, 0, sizeof ignored);
    memset(&read_err, 0, sizeof read_err);
    ch[0].def = ch[1].def = db->def;
    ch[0].r = ch[1].r = r;
    fill = &ch[0];
    for (k = 0; k <= r->n; k++) {
        if (k < r->n && r->rows[k].status == CT_ST_IN_TALLY) {
            if (ct_store_bytes(db, r->rows[k].file, &fill->in[fill->n], &read_err) != 0) {
                read_failed = 1;
                break;
            }
            fill->rows[fill->n++] = k;
        }
        if (fill->n < COUNTS_CHUNK && (k < r->n || fill->n == 0))
            continue;
        if (finish_busy(db, &busy, &job, e) != 0)
            goto out;
        job = ct_parallel_start(fill->n, counts_one, fill);
        if (job == NULL && counts_finish(db, fill, NULL, e) != 0)
            goto out;
        if (job != NULL)
            busy = fill;
        fill = fill == &ch[0] ? &ch[1] : &ch[0];
    }
    /* The chunk being parsed first: an earlier row's failure is the one to
     * report, before a read error in the next. */
    if (finish_busy(db, &busy, &job, e) != 0)
        goto out;
    if (read_failed) {
        if (e != NULL)
            *e = read_err;
        goto out;
    }
    rc = 0;
out:
    (void)finish_busy(db, &busy, &job, &ignored);
    counts_drop(fill);
    free(ch);
    return rc;
}

int ct_report_build(ct_db *db, int64_t as_of, int want_counts, ct_report *r, ct_err *e)
{
    const cm_definition *def = db->def;
    build_ctx cx;
    size_t p, k, n = 0;
    int rc = -1, reading = 0;

    memset(r, 0, sizeof *r);
    memset(&cx, 0, sizeof cx);
    /* One read transaction: the head and every row are of one moment, even
     * while another process imports (and one transaction costs one set of
     * WAL locks, not one per statement). */
    if (sqlite3_get_autocommit(db->sql) && sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
        reading = 1;
    if (ct_event_head(db, as_of, &r->seq, r->head, e) != 0)
        goto out;
    for (p = 0; p < def->n_precincts; p++)
        n += def->precincts[p].n_contests;
    r->rows = calloc(n ? n : 1, sizeof *r->rows);
    cx.first = calloc(def->n_precincts ? def->n_precincts : 1, sizeof *cx.first);
    if (r->rows == NULL || cx.first == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    for (p = 0; p < def->n_precincts; p++) {
        /* A lower commission (init --scope) expects only its own area. */
        cx.first[p] = ct_db_in_scope(db, p) ? r->n : NONE;
        if (cx.first[p] == NONE)
            continue;
        for (k = 0; k < def->precincts[p].n_contests; k++) {
            ct_pc_row *row = &r->rows[r->n++];
            row->precinct = p;
            row->contest = def->precincts[p].contests[k];
            row->status = CT_ST_MISSING;
        }
    }
    cx.db = db;
    cx.r = r;
    if (ct_pc_each(db, r->seq, visit, &cx, e) != 0 ||
        ct_excuses_each(db, r->seq, visit_excused, &cx, e) != 0)
        goto out;
    if (want_counts && ct_report_counts(db, r, e) != 0)
        goto out;
    if (ct_group_by(r->n, def->n_contests, row_contest, r, &r->by_contest, &r->contest_start) != 0) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (reading)
        (void)sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
    free(cx.first);
    if (rc != 0)
        ct_report_free(r);
    return rc;
}

static int add_checked(uint64_t *acc, uint64_t v)
{
    int rc = -1;

    if (*acc <= UINT64_MAX - v) {
        *acc += v;
        rc = 0;
    }
    return rc;
}

int ct_contest_sum_init(const cm_definition *def, size_t contest, ct_contest_sum *s)
{
    const cm_contest *ct = &def->contests[contest];
    const cm_protocol *pr = &def->protocols[ct->protocol];
    int rc = -1;

    memset(s, 0, sizeof *s);
    s->contest = contest;
    s->n_lines = pr->n_lines;
    s->n_candidates = ct->n_candidates;
    s->lines = calloc(pr->n_lines ? pr->n_lines : 1, sizeof *s->lines);
    s->votes = calloc(ct->n_candidates ? ct->n_candidates : 1, sizeof *s->votes);
    if (s->lines != NULL && s->votes != NULL)
        rc = 0;
    return rc;
}

static int sub_checked(uint64_t *acc, uint64_t v)
{
    int rc = -1;

    if (*acc >= v) {
        *acc -= v;
        rc = 0;
    }
    return rc;
}

/* One more (sign > 0) or one fewer of a count of precincts. 0, or -1
 * when there is none to take away. */
static int step_count(size_t *n, int sign)
{
    if (sign > 0)
        (*n)++;
    else if (*n > 0)
        (*n)--;
    else
        return -1;
    return 0;
}

int ct_contest_sum_apply(const cm_definition *def, ct_contest_sum *s, const ct_pc_row *row,
                         int sign)
{
    const cm_precinct *pc = &def->precincts[row->precinct];
    int (*op)(uint64_t *, uint64_t) = sign > 0 ? add_checked : sub_checked;
    int rc = step_count(&s->by_status[row->status], sign);
    size_t k;

    if (row->status == CT_ST_IN_TALLY && row->counts != NULL) {
        for (k = 0; k < s->n_lines; k++)
            rc |= op(&s->lines[k], row->counts[k]);
        for (k = 0; k < s->n_candidates; k++)
            rc |= op(&s->votes[k], row->votes[k]);
        rc |= pc->has_roll ? op(&s->roll, pc->roll) : step_count(&s->roll_unknown, sign);
    }
    return rc != 0 ? -1 : 0;
}

/* Adds one row of the sums' contest: its status, and its counts when it
 * is in the tally. */
static void sum_row(const cm_definition *def, ct_contest_sum *s, const ct_pc_row *row)
{
    s->expected++;
    if (ct_contest_sum_apply(def, s, row, 1) != 0)
        s->overflow = 1;
}

size_t ct_contest_status_counts(const ct_report *r, size_t contest, size_t by[CT_ST_COUNT])
{
    size_t k, n;
    const size_t *ix = ct_report_contest_rows(r, contest, &n);

    memset(by, 0, CT_ST_COUNT * sizeof *by);
    for (k = 0; k < n; k++)
        by[r->rows[ix[k]].status]++;
    return n;
}

int ct_contest_sum_build(const cm_definition *def, const ct_report *r, size_t contest,
                         ct_contest_sum *s)
{
    size_t k, n;
    const size_t *ix = ct_report_contest_rows(r, contest, &n);

    if (ct_contest_sum_init(def, contest, s) != 0) {
        ct_contest_sum_free(s);
        return -1;
    }
    for (k = 0; k < n; k++)
        sum_row(def, s, &r->rows[ix[k]]);
    return 0;
}

int ct_area_sums_build(const cm_definition *def, const ct_report *r, size_t contest,
                       ct_contest_sum **out)
{
    ct_contest_sum *sums = NULL;
    size_t a, k, m, n = def->n_areas, steps;
    const size_t *ix = ct_report_contest_rows(r, contest, &m);
    int rc = -1;

    *out = NULL;
    sums = calloc(n ? n : 1, sizeof *sums);
    if (sums == NULL)
        goto out;
    for (a = 0; a < n; a++)
        if (ct_contest_sum_init(def, contest, &sums[a]) != 0)
            goto out;
    for (k = 0; k < m; k++) {
        const ct_pc_row *row = &r->rows[ix[k]];
        /* the precinct's area and every ancestor; the loader refused
         * cycles, and the step bound keeps that promise local */
        a = def->precincts[row->precinct].area;
        for (steps = 0; a != NONE && steps < n; steps++) {
            sum_row(def, &sums[a], row);
            a = def->areas[a].parent;
        }
    }
    *out = sums;
    sums = NULL;
    rc = 0;
out:
    ct_area_sums_free(sums, n);
    return rc;
}

void ct_area_sums_free(ct_contest_sum *sums, size_t n)
{
    size_t a;

    for (a = 0; sums != NULL && a < n; a++)
        ct_contest_sum_free(&sums[a]);
    free(sums);
}

/* An area's parent as a group of ct_group_by: the root's (none) is
 * n_areas. */
static size_t area_parent(const void *ctx, size_t i)
{
    const cm_definition *def = ctx;

    return def->areas[i].parent < def->n_areas ? def->areas[i].parent : def->n_areas;
}

int ct_area_order(const cm_definition *def, size_t root, size_t **order_out, size_t **depth_out,
                  size_t *n)
{
    size_t na = def->n_areas, top = 0, a, i, *kids = NULL, *start = NULL;
    size_t *order = calloc(na ? na : 1, sizeof *order), *depth = calloc(na ? na : 1, sizeof *depth);

    /* kids[start[a] .. start[a + 1]): a's children in definition order
     * (issue 8: a scan of every area per area is quadratic, and tally --by
     * area orders the tree once per contest). */
    *n = 0;
    *order_out = *depth_out = NULL;
    if (order == NULL || depth == NULL ||
        ct_group_by(na, na + 1, area_parent, def, &kids, &start) != 0) {
        free(order);
        free(depth);
        return -1;
    }
    /* An explicit stack (in `order` itself, filled from the end) keeps the
     * walk iterative: first push root, then repeatedly pop, emit, push the
     * children in reverse definition order. */
    if (root < na) {
        order[na - 1] = root;
        depth[na - 1] = 0;
        top = 1;
    }
    while (top > 0) {
        size_t d;

        top--;
        a = order[na - 1 - top];
        d = depth[na - 1 - top];
        order[*n] = a;
        depth[*n] = d;
        (*n)++;
        for (i = start[a + 1]; i-- > start[a] && *n + top < na;) {
            order[na - 1 - top] = kids[i];
            depth[na - 1 - top] = d + 1;
            top++;
        }
    }
    free(kids);
    free(start);
    *order_out = order;
    *depth_out = depth;
    return 0;
}

void ct_contest_sum_free(ct_contest_sum *s)
{
    if (s == NULL)
        return;
    free(s->lines);
    free(s->votes);
    s->lines = NULL;
    s->votes = NULL;
}

uint64_t ct_sum_line(const cm_definition *def, const ct_contest_sum *s, const char *which)
{
    const cm_protocol *pr = &def->protocols[def->contests[s->contest].protocol];
    size_t i;

    for (i = 0; i < pr->n_lines; i++)
        if (strcmp(pr->lines[i].id, which) == 0)
            return s->lines[i];
    return 0;
}

static const char *const outcome_names[] = {
    [CT_OUT_ELECTED] = "elected",
    [CT_OUT_TIE] = "tie",
    [CT_OUT_RUNOFF] = "runoff",
    [CT_OUT_AGAINST_ALL] = "against-all",
    [CT_OUT_NO_CANDIDATES] = "no-candidates",
    [CT_OUT_BELOW_THRESHOLD] = "below-threshold",
    [CT_OUT_OVERFLOW] = "overflow",
};

const char *ct_outcome_name(ct_outcome_kind k)
{
    return (size_t)k < sizeof outcome_names / sizeof outcome_names[0] ? outcome_names[k] : "?";
}

void ct_outcome_free(ct_outcome *o)
{
    if (o == NULL)
        return;
    free(o->winners);
    free(o->tied);
    free(o->runoff);
    free(o->ranked);
    free(o->seats);
    free(o->passed);
    memset(o, 0, sizeof *o);
}

/* Candidates ranked from s: eligible (not withdrawn), most votes first,
 * definition order among equals (a stable insertion sort; n <= 256). */
static void rank(const cm_contest *ct, const ct_contest_sum *s, ct_outcome *o)
{
    size_t i, j;

    o->n_ranked = 0;
    for (i = 0; i < ct->n_candidates; i++) {
        if (ct->candidates[i].withdrawn)
            continue;
        j = o->n_ranked++;
        while (j > 0 && s->votes[o->ranked[j - 1]] < s->votes[i]) {
            o->ranked[j] = o->ranked[j - 1];
            j--;
        }
        o->ranked[j] = i;
    }
}

/* Lists the candidates tied with ranked[at] into o->tied. */
static void collect_tied(const ct_contest_sum *s, ct_outcome *o, size_t at)
{
    size_t i;
    uint64_t v = s->votes[o->ranked[at]];

    o->n_tied = 0;
    for (i = 0; i < o->n_ranked; i++)
        if (s->votes[o->ranked[i]] == v)
            o->tied[o->n_tied++] = o->ranked[i];
}

static void plurality(const ct_contest_sum *s, size_t seats, ct_outcome *o)
{
    size_t i;

    if (o->n_ranked <= seats) {
        o->kind = CT_OUT_ELECTED;
        for (i = 0; i < o->n_ranked; i++)
            o->winners[o->n_winners++] = o->ranked[i];
    } else if (s->votes[o->ranked[seats - 1]] == s->votes[o->ranked[seats]]) {
        o->kind = CT_OUT_TIE;
        for (i = 0; i < seats && s->votes[o->ranked[i]] > s->votes[o->ranked[seats]]; i++)
            o->winners[o->n_winners++] = o->ranked[i];
        collect_tied(s, o, seats);
        o->tied_seats = seats - o->n_winners;
    } else {
        o->kind = CT_OUT_ELECTED;
        for (i = 0; i < seats; i++)
            o->winners[o->n_winners++] = o->ranked[i];
    }
}

/* Majority: more than half of the valid ballots, i.e. ballots cast minus
 * invalid (against-all counts as a valid choice, so a strong against-all
 * vote can deny a majority). DESIGN 8 does not name the base; shares are
 * printed of ballots cast, but the legal tests we model (KZ, RU) use the
 * ballots that expressed a choice. A seat is won by a candidate with
 * votes x 2 > valid; the seats left go to a runoff between twice as many
 * of the next candidates (two for a single seat). */
static void majority(const cm_definition *def, const ct_contest_sum *s, size_t seats, ct_outcome *o)
{
    uint64_t cast = ct_sum_line(def, s, "ballots-cast"), invalid = ct_sum_line(def, s, "invalid");
    uint64_t valid = cast >= invalid ? cast - invalid : 0;
    size_t i;

    for (i = 0; i < seats && i < o->n_ranked; i++) {
        uint64_t v = s->votes[o->ranked[i]];
        if (v > UINT64_MAX / 2 || v * 2 <= valid)
            break;
        o->winners[o->n_winners++] = o->ranked[i];
    }
    if (o->n_winners == seats) {
        o->kind = CT_OUT_ELECTED;
    } else {
        size_t want = 2 * (seats - o->n_winners), from = o->n_winners;
        o->kind = CT_OUT_RUNOFF;
        for (i = from; i < o->n_ranked && o->n_runoff < want; i++)
            o->runoff[o->n_runoff++] = o->ranked[i];
        /* A tie for the last runoff place leaves the runoff undecided. */
        if (from + want < o->n_ranked &&
            s->votes[o->ranked[from + want - 1]] == s->votes[o->ranked[from + want]]) {
            o->kind = CT_OUT_TIE;
            collect_tied(s, o, from + want - 1);
        }
    }
}

/* 1 when a x b > c x d, in checked arithmetic; *overflow set when a
 * product does not fit (then the answer is meaningless). */
static int prod_gt(uint64_t a, uint64_t b, uint64_t c, uint64_t d, int *overflow)
{
    uint64_t x, y;
    int gt = 0;

    if (__builtin_mul_overflow(a, b, &x) || __builtin_mul_overflow(c, d, &y))
        *overflow = 1;
    else
        gt = x > y;
    return gt;
}

/* Seats of a party-list contest by its method among the lists that
 * passed (o->passed), into o->seats; see report.h. Sets kind. */
static void party_list(const cm_definition *def, const ct_contest_sum *s, uint64_t seats,
                       ct_outcome *o)
{
    const cm_contest *ct = &def->contests[s->contest];
    uint64_t cast = ct_sum_line(def, s, "ballots-cast"), total = 0, given = 0, bar, v, p;
    size_t i, j, n = ct->n_candidates;
    int overflow = 0;

    if (__builtin_mul_overflow(ct->threshold_bp, cast, &bar))
        overflow = 1;
    for (i = 0; i < o->n_ranked && !overflow; i++) {
        size_t c = o->ranked[i];

        v = s->votes[c];
        if (v == 0)
            continue;
        if (__builtin_mul_overflow(v, (uint64_t)10000, &p) ||
            (p >= bar && __builtin_add_overflow(total, v, &total)))
            overflow = 1;
        else if (p >= bar)
            o->passed[c] = 1;
    }
    if (overflow)
        goto out;
    if (total == 0) {
        o->kind = CT_OUT_BELOW_THRESHOLD;
        goto out;
    }
    /* Both methods start from each list's whole quota floor(v x S / V):
     * Hare by definition, D'Hondt because it never gives a list less
     * (lower quota), so the highest quotients for the remaining seats
     * are exactly the ones after those. */
    for (i = 0; i < n; i++) {
        if (!o->passed[i])
            continue;
        if (__builtin_mul_overflow(s->votes[i], seats, &p)) {
            overflow = 1;
            goto out;
        }
        o->seats[i] = p / total;
        given += o->seats[i];
    }
    /* Fewer seats left than lists; each round gives one seat to the best
     * list: largest remainder (Hare) or quotient (D'Hondt), then more
     * votes, then definition order. A list gets at most one remainder
     * seat under Hare. */
    while (given < seats) {
        size_t best = NONE;
        uint64_t best_key = 0, key;

        for (i = 0; i < n; i++) {
            if (!o->passed[i])
                continue;
            if (ct->method == CM_METHOD_HARE) {
                uint64_t whole;

                (void)__builtin_mul_overflow(s->votes[i], seats, &p);
                whole = p / total;
                if (o->seats[i] > whole)
                    continue;       /* already has its remainder seat */
                key = p % total;
                if (best == NONE || key > best_key ||
                    (key == best_key && s->votes[i] > s->votes[best])) {
                    best = i;
                    best_key = key;
                }
            } else {
                /* v_i / (s_i + 1) > v_b / (s_b + 1) */
                if (best == NONE || prod_gt(s->votes[i], o->seats[best] + 1, s->votes[best],
                                            o->seats[i] + 1, &overflow) ||
                    (!prod_gt(s->votes[best], o->seats[i] + 1, s->votes[i], o->seats[best] + 1,
                              &overflow) &&
                     s->votes[i] > s->votes[best]))
                    best = i;
            }
        }
        if (overflow || best == NONE) {
            overflow = 1;
            goto out;
        }
        o->seats[best]++;
        given++;
    }
    /* Lists with equal votes have equal claims at every step; if the last
     * seat split them, those seats are a tie, not won. */
    o->kind = CT_OUT_ELECTED;
    for (i = 0; i < n; i++) {
        uint64_t lo = o->seats[i], hi = o->seats[i];
        int first = 1;

        if (!o->passed[i])
            continue;
        /* each group of equal votes once, at its first member */
        for (j = 0; j < n; j++) {
            if (!o->passed[j] || s->votes[j] != s->votes[i])
                continue;
            if (j < i)
                first = 0;
            lo = o->seats[j] < lo ? o->seats[j] : lo;
            hi = o->seats[j] > hi ? o->seats[j] : hi;
        }
        if (!first || lo == hi)
            continue;
        o->kind = CT_OUT_TIE;
        for (j = i; j < n; j++) {
            if (!o->passed[j] || s->votes[j] != s->votes[i])
                continue;
            o->tied[o->n_tied++] = j;
            if (o->seats[j] == hi) {
                o->seats[j]--;
                o->tied_seats++;
            }
        }
    }
    for (i = 0; i < o->n_ranked; i++)
        if (o->seats[o->ranked[i]] > 0)
            o->winners[o->n_winners++] = o->ranked[i];
out:
    if (overflow) {
        o->kind = CT_OUT_OVERFLOW;
        memset(o->seats, 0, n * sizeof *o->seats);
        o->n_winners = o->n_tied = 0;
        o->tied_seats = 0;
    }
}

int ct_outcome_build(const cm_definition *def, const ct_contest_sum *s, ct_outcome *o)
{
    const cm_contest *ct = &def->contests[s->contest];
    size_t n = ct->n_candidates ? ct->n_candidates : 1, seats, i;
    uint64_t aa, leader;
    int rc = -1;

    memset(o, 0, sizeof *o);
    o->winners = calloc(n, sizeof *o->winners);
    o->tied = calloc(n, sizeof *o->tied);
    o->runoff = calloc(n, sizeof *o->runoff);
    o->ranked = calloc(n, sizeof *o->ranked);
    o->seats = calloc(n, sizeof *o->seats);
    o->passed = calloc(n, sizeof *o->passed);
    if (o->winners == NULL || o->tied == NULL || o->runoff == NULL || o->ranked == NULL ||
        o->seats == NULL || o->passed == NULL)
        goto out;
    /* An excused precinct will never report: it does not keep a contest
     * incomplete (DESIGN 7 "excuse"). */
    o->incomplete = s->by_status[CT_ST_IN_TALLY] + s->by_status[CT_ST_EXCUSED] < s->expected;
    rank(ct, s, o);
    seats = ct->seats > 0 && ct->seats < n ? (size_t)ct->seats : n;
    aa = ct->against_all ? ct_sum_line(def, s, "against-all") : 0;
    leader = o->n_ranked > 0 ? s->votes[o->ranked[0]] : 0;
    if (s->overflow) {
        o->kind = CT_OUT_OVERFLOW;
    } else if (o->n_ranked == 0) {
        o->kind = CT_OUT_NO_CANDIDATES;
    } else if (aa > 0 && aa >= leader) {
        o->kind = CT_OUT_AGAINST_ALL;
    } else if (ct->outcome == CM_OUTCOME_PARTY_LIST) {
        /* every seat goes to a list: `seats` is not capped by the number
         * of lists as it is for persons */
        party_list(def, s, ct->seats, o);
    } else if (ct->outcome == CM_OUTCOME_PLURALITY) {
        plurality(s, seats, o);
    } else {
        majority(def, s, seats, o);
    }
    if (ct->outcome != CM_OUTCOME_PARTY_LIST)
        for (i = 0; i < o->n_winners; i++)
            o->seats[o->winners[i]] = 1;
    rc = 0;
out:
    if (rc != 0)
        ct_outcome_free(o);
    return rc;
}

/* ---- reports that are never verdicts (DESIGN 7) ---------------------- */

static const char *const note_names[] = {
    [CT_NOTE_TURNOUT_OUTLIER] = "turnout-outlier",
    [CT_NOTE_REGISTERED_DIFFERS] = "registered-differs-across-contests",
};

const char *ct_note_name(ct_note_kind k)
{
    return (size_t)k < sizeof note_names / sizeof note_names[0] ? note_names[k] : "?";
}

typedef struct notes {
    size_t n, cap;
    ct_note *v;
} notes;

static ct_note *note_add(notes *l, ct_note_kind kind, size_t precinct, size_t contest)
{
    ct_note *nt = NULL;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        ct_note *nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL)
            goto out;
        l->v = nv;
        l->cap = ncap;
    }
    nt = &l->v[l->n++];
    memset(nt, 0, sizeof *nt);
    nt->kind = kind;
    nt->precinct = precinct;
    nt->contest = contest;
out:
    return nt;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Parts per million as a percentage with four decimals: 651234 -> 65.1234. */
static void ppm_text(uint64_t ppm, char out[32])
{
    (void)snprintf(out, 32, "%llu.%04llu", (unsigned long long)(ppm / 10000),
                   (unsigned long long)(ppm % 10000));
}

/* A row's turnout in ppm: floor(ballots cast x 10^6 / registered); 0 and
 * *ok = 0 when it has none (not in the tally, or registered 0). */
static uint64_t row_turnout(const cm_definition *def, const ct_pc_row *row, int *ok)
{
    const cm_protocol *pr = &def->protocols[def->contests[row->contest].protocol];
    uint64_t reg, cast, t = 0;

    *ok = 0;
    if (row->status == CT_ST_IN_TALLY && row->counts != NULL) {
        reg = row->counts[pr->registered];
        cast = row->counts[pr->ballots_cast];
        if (reg > 0 && !__builtin_mul_overflow(cast, (uint64_t)1000000, &t)) {
            *ok = 1;
            t /= reg;
        }
    }
    return *ok ? t : 0;
}

/* Turnout outliers of contest c. t and dev are scratch space of at least
 * as many entries as c has rows. */
static int turnout_outliers(const cm_definition *def, const ct_report *r, size_t c, uint64_t *t,
                            uint64_t *dev, notes *l)
{
    uint64_t med, mad, span, v;
    size_t i, n = 0, m;
    const size_t *ix = ct_report_contest_rows(r, c, &m);
    int ok;
    char a[32], b[32], mt[32];

    for (i = 0; i < m; i++) {
        v = row_turnout(def, &r->rows[ix[i]], &ok);
        if (ok)
            t[n++] = v;
    }
    if (n < CT_OUTLIER_MIN_PRECINCTS)
        return 0;
    qsort(t, n, sizeof *t, cmp_u64);
    med = t[(n - 1) / 2];
    for (i = 0; i < n; i++)
        dev[i] = t[i] > med ? t[i] - med : med - t[i];
    qsort(dev, n, sizeof *dev, cmp_u64);
    mad = dev[(n - 1) / 2];
    /* ppm values are <= 10^15, so K x MAD cannot overflow */
    span = mad * CT_OUTLIER_K;
    ppm_text(med, a);
    ppm_text(mad, mt);
    for (i = 0; i < m; i++) {
        const ct_pc_row *row = &r->rows[ix[i]];
        ct_note *nt;

        v = row_turnout(def, row, &ok);
        if (!ok || (v >= med ? v - med : med - v) <= span)
            continue;
        nt = note_add(l, CT_NOTE_TURNOUT_OUTLIER, row->precinct, c);
        if (nt == NULL)
            return -1;
        ppm_text(v, b);
        (void)snprintf(nt->detail, sizeof nt->detail,
                       "turnout %s %% outside median %s %% +- %u x MAD %s %% (%zu precincts)", b, a,
                       CT_OUTLIER_K, mt, n);
    }
    return 0;
}

/* Every contest's turnout outliers, contest by contest. */
static int all_turnout_outliers(const cm_definition *def, const ct_report *r, notes *l)
{
    uint64_t *t = malloc((r->n ? r->n : 1) * sizeof *t);
    uint64_t *dev = malloc((r->n ? r->n : 1) * sizeof *dev);
    size_t c;
    int rc = -1;

    if (t == NULL || dev == NULL)
        goto out;
    for (c = 0; c < def->n_contests; c++)
        if (turnout_outliers(def, r, c, t, dev, l) != 0)
            goto out;
    rc = 0;
out:
    free(t);
    free(dev);
    return rc;
}

/* Precincts whose returns in the tally give different `registered` lines
 * in different contests (r->rows holds each precinct's rows together). */
static int registered_differs(const cm_definition *def, const ct_report *r, notes *l)
{
    size_t i = 0, j, k;
    int rc = -1;

    while (i < r->n) {
        size_t p = r->rows[i].precinct, first = NONE;
        uint64_t reg0 = 0;

        for (j = i; j < r->n && r->rows[j].precinct == p; j++) {
            const ct_pc_row *row = &r->rows[j];
            const cm_protocol *pr = &def->protocols[def->contests[row->contest].protocol];
            uint64_t reg;
            ct_note *nt;
            int len;

            if (row->status != CT_ST_IN_TALLY || row->counts == NULL)
                continue;
            reg = row->counts[pr->registered];
            if (first == NONE) {
                first = j;
                reg0 = reg;
                continue;
            }
            if (reg == reg0)
                continue;
            /* one note per precinct listing every contest's figure */
            nt = note_add(l, CT_NOTE_REGISTERED_DIFFERS, p, row->contest);
            if (nt == NULL)
                goto out;
            len = 0;
            for (k = i; k < r->n && r->rows[k].precinct == p; k++) {
                const ct_pc_row *x = &r->rows[k];
                const cm_protocol *xp = &def->protocols[def->contests[x->contest].protocol];
                int w;

                if (x->status != CT_ST_IN_TALLY || x->counts == NULL)
                    continue;
                w = snprintf(nt->detail + len, sizeof nt->detail - (size_t)len,
                             "%sregistered %llu in %s", len ? ", " : "",
                             (unsigned long long)x->counts[xp->registered],
                             def->contests[x->contest].id);
                if (w < 0 || (size_t)w >= sizeof nt->detail - (size_t)len)
                    break;
                len += w;
            }
            break;
        }
        while (j < r->n && r->rows[j].precinct == p)
            j++;
        i = j;
    }
    rc = 0;
out:
    return rc;
}

int ct_notes_build(const cm_definition *def, const ct_report *r, ct_note **out, size_t *n)
{
    notes l = {0, 0, NULL};
    int rc = -1;

    *out = NULL;
    *n = 0;
    if (all_turnout_outliers(def, r, &l) != 0)
        goto out;
    if (registered_differs(def, r, &l) != 0)
        goto out;
    *out = l.v;
    *n = l.n;
    l.v = NULL;
    rc = 0;
out:
    free(l.v);
    return rc;
}
