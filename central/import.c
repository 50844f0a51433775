/*
 * import.c: the import loop. Each input is decided and stored in its own
 * BEGIN IMMEDIATE transaction (so several importers at once serialise and
 * each decision sees a fixed state) and printed only after COMMIT returned:
 * a printed verdict is a stored verdict (DESIGN 9).
 */
#include "import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "history.h"
#include "jsonout.h"
#include "proto/keys.h"
#include "progress.h"
#include "store.h"
#include "vcache.h"
#include "verdict.h"

/* Decides and stores one input inside the caller's write transaction
 * (group 1 first: a byte duplicate writes nothing). r is scratch space.
 * 0, or -1 with e: the caller must roll the transaction back. */
static int import_in_tx(ct_db *db, const ct_input *in, pr_return *r, ct_item_result *res,
                        ct_err *e)
{
    ct_stored st;
    ct_decision d;
    int64_t now;
    int found = 0, rc = -1;

    memset(res, 0, sizeof *res);
    res->has_hash = 1;
    memcpy(res->hash, in->hash, PR_HASH_BYTES);
    /* Group 1, inside the transaction: another importer may have stored
     * the same bytes a moment ago. */
    if (ct_store_find(db, in->hash, &st, &found, e) != 0)
        goto out;
    if (found) {
        res->kind = CT_ITEM_DUPLICATE;
        res->verdict = st.verdict;
        res->codes = st.codes;
        res->seq = st.import_seq;
        res->file = st.file;
        snprintf(res->detail, sizeof res->detail, "%s", st.detail);
        rc = 0;
        goto out;
    }
    now = ct_now();
    if (ct_decide(db, in->bytes, in->len, ct_input_oversize(in), 0, now, r, &d, e) != 0 ||
        ct_store_import(db, in, &d, r, now, &res->file, &res->seq, e) != 0)
        goto out;
    res->kind = CT_ITEM_STORED;
    res->verdict = d.verdict;
    res->codes = d.codes;
    snprintf(res->detail, sizeof res->detail, "%s", d.detail);
    rc = 0;
out:
    return rc;
}

int ct_import_item_in_tx(ct_db *db, const ct_input *in, ct_item_result *res, ct_err *e)
{
    pr_return *r = malloc(sizeof *r);
    int rc = -1;

    memset(res, 0, sizeof *res);
    if (r == NULL)
        ct_err_set(e, CT_EXIT_IO, in->name, "out of memory");
    else
        rc = import_in_tx(db, in, r, res, e);
    free(r);
    return rc;
}

int ct_import_item(ct_db *db, const ct_input *in, ct_item_result *res, ct_err *e)
{
    memset(res, 0, sizeof *res);
    if (ct_db_begin(db, e) != 0)
        return -1;
    if (ct_import_item_in_tx(db, in, res, e) != 0 || ct_db_commit(db, e) != 0) {
        ct_db_rollback(db);
        return -1;
    }
    return 0;
}

void ct_print_item(FILE *out, const ct_import_opts *o, const char *name, const ct_item_result *r)
{
    char esc[4096], codes[2048], hex[PR_HASH_HEX + 1];
    const char *word;
    json_t *j = NULL, *reasons;
    char *s = NULL;
    size_t i;

    cm_escape(name, esc, sizeof esc);
    ct_codes_join(&r->codes, codes, sizeof codes);
    switch (r->kind) {
    case CT_ITEM_STORED:
        word = ct_verdict_name(r->verdict);
        break;
    case CT_ITEM_DUPLICATE:
        word = "duplicate";
        break;
    case CT_ITEM_SKIPPED:
        word = "skipped";
        break;
    case CT_ITEM_SECRET:
        word = "refused";
        break;
    case CT_ITEM_UNREADABLE:
    default:
        word = "unreadable";
        break;
    }
    ct_progress_item(o->progress, word);
    if (!o->json) {
        fprintf(out, "%s %s", word, esc);
        if (r->kind == CT_ITEM_DUPLICATE)
            fprintf(out, " %s", ct_verdict_name(r->verdict));
        if (r->kind == CT_ITEM_STORED || r->kind == CT_ITEM_DUPLICATE) {
            if (codes[0] != '\0')
                fprintf(out, " %s", codes);
        } else if (r->why[0] != '\0') {
            fprintf(out, " %s", r->why);
        }
        fputc('\n', out);
        goto out;
    }
    j = json_object();
    reasons = json_array();
    if (j == NULL || reasons == NULL) {
        json_decref(reasons);
        goto out;
    }
    json_object_set_new(j, "verdict", json_string(word));
    json_object_set_new(j, "file", ct_json_text(esc));
    if (r->kind == CT_ITEM_DUPLICATE)
        json_object_set_new(j, "stored_verdict", json_string(ct_verdict_name(r->verdict)));
    for (i = 0; i < r->codes.n; i++)
        json_array_append_new(reasons, json_string(r->codes.c[i]));
    if (r->kind != CT_ITEM_STORED && r->kind != CT_ITEM_DUPLICATE && r->why[0] != '\0')
        json_array_append_new(reasons, json_string(r->why));
    json_object_set_new(j, "reasons", reasons);
    if (r->has_hash) {
        ct_hex(hex, r->hash, PR_HASH_BYTES);
        json_object_set_new(j, "hash", json_string(hex));
    } else {
        json_object_set_new(j, "hash", json_null());
    }
    json_object_set_new(j, "seq", r->seq > 0 ? json_integer((json_int_t)r->seq) : json_null());
    if (r->detail[0] != '\0')
        json_object_set_new(j, "detail", ct_json_text(r->detail));
    s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s != NULL)
        fprintf(out, "%s\n", s);
out:
    fflush(out);
    free(s);
    json_decref(j);
}

/* Prints a re-decision: `redecided <name> <verdict> [codes]`. */
static void print_redecided(FILE *out, const ct_import_opts *o, const char *name,
                            const ct_item_result *r)
{
    char esc[4096], codes[2048], hex[PR_HASH_HEX + 1];
    json_t *j, *reasons;
    char *s = NULL;
    size_t i;

    cm_escape(name, esc, sizeof esc);
    ct_codes_join(&r->codes, codes, sizeof codes);
    j = o->json ? json_object() : NULL;
    reasons = o->json ? json_array() : NULL;
    if (!o->json) {
        fprintf(out, "redecided %s %s%s%s\n", esc, ct_verdict_name(r->verdict),
                codes[0] ? " " : "", codes);
    } else if (j != NULL && reasons != NULL) {
        json_object_set_new(j, "verdict", json_string(ct_verdict_name(r->verdict)));
        json_object_set_new(j, "redecided", json_true());
        json_object_set_new(j, "file", ct_json_text(esc));
        for (i = 0; i < r->codes.n; i++)
            json_array_append_new(reasons, json_string(r->codes.c[i]));
        json_object_set_new(j, "reasons", reasons);
        reasons = NULL;
        ct_hex(hex, r->hash, PR_HASH_BYTES);
        json_object_set_new(j, "hash", json_string(hex));
        json_object_set_new(j, "seq", json_integer((json_int_t)r->seq));
        if (r->detail[0] != '\0')
            json_object_set_new(j, "detail", ct_json_text(r->detail));
        s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s != NULL)
            fprintf(out, "%s\n", s);
    }
    fflush(out);
    free(s);
    json_decref(reasons);
    json_decref(j);
}

/* ---- deciding again ------------------------------------------------- */

/* Is the current decision one DESIGN 7 decides again on key events? */
static int key_dependent(const ct_stored *s)
{
    /* wrong-definition too: a return signed against a version of the
     * definition central did not have yet (decided again after
     * `amend-definition`). */
    return s->role == CT_ROLE_REJECTED &&
           (s->grp == 3 || (s->grp == 5 && ct_codes_has(&s->codes, "key-precinct-mismatch")) ||
            (s->grp == 4 && ct_codes_has(&s->codes, "wrong-definition")));
}

/* Decides file again in its own transaction; records a new decision only
 * when it differs from the current one. *changed says whether it did. */
static int redecide_one(ct_db *db, int64_t file, int want_awaiting, ct_item_result *res,
                        char **name, int *changed, ct_err *e)
{
    pr_return *r = NULL;
    ct_input in;
    ct_stored cur;
    ct_decision d;
    char a[2048], b[2048];
    int64_t now;
    int rc = -1, began = 0;

    *changed = 0;
    *name = NULL;
    memset(&in, 0, sizeof in);
    memset(res, 0, sizeof *res);
    r = malloc(sizeof *r);
    if (r == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
        goto out;
    }
    if (ct_db_begin(db, e) != 0)
        goto out;
    began = 1;
    if (ct_store_get(db, file, &cur, e) != 0)
        goto out;
    /* Re-read inside the transaction: another process may have decided it
     * again already. */
    if (want_awaiting ? cur.role != CT_ROLE_AWAITING : !key_dependent(&cur)) {
        rc = 0;
        goto out;
    }
    if (ct_store_bytes(db, file, &in, e) != 0)
        goto out;
    now = ct_now();
    if (ct_decide(db, in.bytes, in.len, ct_input_oversize(&in), file, now, r, &d, e) != 0)
        goto out;
    ct_codes_join(&d.codes, a, sizeof a);
    ct_codes_join(&cur.codes, b, sizeof b);
    if (d.verdict == cur.verdict && d.role == cur.role && strcmp(a, b) == 0) {
        rc = 0;
        goto out;
    }
    if (ct_store_redecide(db, file, in.hash, &d, now, &res->seq, e) != 0 || ct_db_commit(db, e) != 0)
        goto out;
    began = 0;
    res->kind = CT_ITEM_STORED;
    res->verdict = d.verdict;
    res->codes = d.codes;
    res->has_hash = 1;
    res->file = file;
    memcpy(res->hash, in.hash, PR_HASH_BYTES);
    snprintf(res->detail, sizeof res->detail, "%s", d.detail);
    *name = in.name;
    in.name = NULL;
    *changed = 1;
    rc = 0;
out:
    if (began)
        ct_db_rollback(db);
    ct_input_free(&in);
    free(r);
    return rc;
}

/* A growable list of file ids. */
typedef struct idlist {
    size_t n, cap;
    int64_t *v;
} idlist;

static int idlist_push(idlist *l, int64_t id)
{
    int rc = -1;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        int64_t *nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL)
            goto out;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = id;
    rc = 0;
out:
    return rc;
}

/* Appends to l the files whose column `which` (0: supersedes = blob,
 * 1: key_id = text) matches, or (2, match unused) whose newest decision is
 * a wrong-definition rejection, or (3, match unused) whose newest decision
 * is a rejection DESIGN 7 decides again (for a reason that depends on key
 * or definition state), in storage order; or (4, match unused) the stored
 * files that a correction awaiting its predecessor names, in storage order. */
static int select_files(ct_db *db, int which, const void *match, idlist *l, ct_err *e)
{
    static const char by_pred[] = "SELECT id FROM files WHERE supersedes = ?1 ORDER BY id";
    /* Only a rejection can be decided again on a key event (key_dependent):
     * the few the partial index holds, not every file of the key. */
    static const char by_key[] =
        "SELECT d.file FROM decisions d JOIN files f ON f.id = d.file WHERE " CT_DECISIONS_OPEN
        " AND d.role = 'rejected' AND f.key_id = ?1 AND d.seq = (SELECT max(x.seq)"
        " FROM decisions x WHERE x.file = d.file) ORDER BY d.file";
    static const char by_def[] =
        "SELECT d.file FROM decisions d WHERE " CT_DECISIONS_OPEN " AND d.grp = 4"
        " AND d.codes LIKE '%wrong-definition%'"
        " AND d.seq = (SELECT max(x.seq) FROM decisions x WHERE x.file = d.file) ORDER BY d.file";
    static const char pending[] =
        "SELECT d.file FROM decisions d WHERE " CT_DECISIONS_OPEN " AND d.seq = (SELECT max(x.seq)"
        " FROM decisions x WHERE x.file = d.file) AND d.role = 'rejected' AND"
        " (d.grp = 3 OR (d.grp = 5 AND d.codes LIKE '%key-precinct-mismatch%')"
        " OR (d.grp = 4 AND d.codes LIKE '%wrong-definition%')) ORDER BY d.file";
    static const char preds[] =
        "SELECT DISTINCT p.id FROM decisions d JOIN files w ON w.id = d.file JOIN files p"
        " ON p.hash = w.supersedes WHERE " CT_DECISIONS_OPEN " AND d.role = 'awaiting'"
        " AND d.seq = (SELECT max(x.seq) FROM decisions x WHERE x.file = d.file) ORDER BY p.id";
    static const char *const sql[] = {by_pred, by_key, by_def, pending, preds};
    sqlite3_stmt *s = NULL;
    int rc = -1, step, b;

    if (ct_db_cached(db, sql[which], &s, e) != 0)
        goto out;
    b = which == 0 ? ct_bind_blob(s, 1, match, PR_HASH_BYTES)
                   : which == 1 ? ct_bind_text(s, 1, match) : SQLITE_OK;
    if (b != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (idlist_push(l, (int64_t)sqlite3_column_int64(s, 0)) != 0) {
            ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
            goto out;
        }
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

/* ct_redecide with the candidates chosen by select_files(which, match). */
static int redecide(ct_db *db, const uint8_t *stored, int which, const void *match,
                    const ct_import_opts *o, FILE *out, ct_err *e)
{
    idlist todo = {0, 0, NULL}, waiting = {0, 0, NULL};
    ct_item_result res;
    char *name = NULL;
    size_t i, j;
    int changed, rc = -1;

    /* A file just stored that no stored correction names (nearly every
     * one): nothing can wait for it; one indexed lookup says so (issue 8). */
    if (stored != NULL && match == NULL && which < 2) {
        if (select_files(db, 0, stored, &waiting, e) != 0)
            goto out;
        if (waiting.n == 0) {
            rc = 0;
            goto out;
        }
        waiting.n = 0;
    }
    /* todo holds files whose change may release others; start with the
     * state-dependent rejections (decided again themselves) or the stored
     * file. */
    if (match != NULL || which >= 2) {
        idlist cands = {0, 0, NULL};
        if (select_files(db, which, match, &cands, e) != 0) {
            free(cands.v);
            goto out;
        }
        for (i = 0; i < cands.n; i++) {
            int awaiting = 0;
            if (which == 3) {
                ct_stored st;
                if (ct_store_get(db, cands.v[i], &st, e) != 0) {
                    free(cands.v);
                    goto out;
                }
                awaiting = st.role == CT_ROLE_AWAITING;
            }
            if (redecide_one(db, cands.v[i], awaiting, &res, &name, &changed, e) != 0) {
                free(cands.v);
                goto out;
            }
            if (changed) {
                print_redecided(out, o, name, &res);
                if (idlist_push(&todo, cands.v[i]) != 0) {
                    free(cands.v);
                    ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
                    goto out;
                }
            }
            free(name);
            name = NULL;
        }
        free(cands.v);
    }
    if (stored != NULL) {
        ct_stored st;
        int found;
        if (ct_store_find(db, stored, &st, &found, e) != 0)
            goto out;
        if (found && idlist_push(&todo, st.file) != 0) {
            ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
            goto out;
        }
    }
    /* Breadth-first over "waits for": each round decides again the
     * corrections naming a file that just changed. A file changes at most
     * once from awaiting, so this ends. */
    for (i = 0; i < todo.n; i++) {
        ct_stored st;
        if (ct_store_get(db, todo.v[i], &st, e) != 0)
            goto out;
        waiting.n = 0;
        if (select_files(db, 0, st.hash, &waiting, e) != 0)
            goto out;
        for (j = 0; j < waiting.n; j++) {
            if (redecide_one(db, waiting.v[j], 1, &res, &name, &changed, e) != 0)
                goto out;
            if (changed) {
                print_redecided(out, o, name, &res);
                if (idlist_push(&todo, waiting.v[j]) != 0) {
                    ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
                    goto out;
                }
            }
            free(name);
            name = NULL;
        }
    }
    rc = 0;
out:
    free(name);
    free(todo.v);
    free(waiting.v);
    return rc;
}

/* 0 only while `central audit` replays: it re-decides exactly the files
 * the log's redecide events name (ct_redecide_file), whatever made them. */
static int auto_redecide = 1;

void ct_redecide_set_auto(int on)
{
    auto_redecide = on;
}

int ct_redecide_file(ct_db *db, const uint8_t hash[PR_HASH_BYTES], int *changed, ct_err *e)
{
    ct_item_result res;
    ct_stored st;
    char *name = NULL;
    int found = 0, rc = -1;

    *changed = 0;
    if (ct_store_find(db, hash, &st, &found, e) != 0)
        goto out;
    if (!found) {
        rc = 0;
        goto out;
    }
    rc = redecide_one(db, st.file, st.role == CT_ROLE_AWAITING, &res, &name, changed, e);
out:
    free(name);
    return rc;
}

int ct_redecide(ct_db *db, const uint8_t *stored, const char *key_id, const ct_import_opts *o,
                FILE *out, ct_err *e)
{
    if (!auto_redecide)
        return 0;
    return redecide(db, stored, 1, key_id, o, out, e);
}

int ct_redecide_definition(ct_db *db, const ct_import_opts *o, FILE *out, ct_err *e)
{
    if (!auto_redecide)
        return 0;
    return redecide(db, NULL, 2, NULL, o, out, e);
}

int ct_redecide_pending(ct_db *db, const ct_import_opts *o, FILE *out, ct_err *e)
{
    idlist preds = {0, 0, NULL};
    ct_stored st;
    size_t i;
    int rc = -1;

    if (!auto_redecide)
        return 0;
    /* The state-dependent rejections; then, in storage order, each stored
     * file a held correction names, decided upon as right after the import
     * that stored it. A run killed between a commit and its re-decisions
     * is so finished in the order it would have followed, the order audit
     * replays (issue 6, crash test): going through the held corrections in
     * their own storage order gave the same statuses but other events. */
    if (redecide(db, NULL, 3, NULL, o, out, e) != 0 || select_files(db, 4, NULL, &preds, e) != 0)
        goto out;
    for (i = 0; i < preds.n; i++)
        if (ct_store_get(db, preds.v[i], &st, e) != 0 || redecide(db, st.hash, 1, NULL, o, out, e) != 0)
            goto out;
    rc = 0;
out:
    free(preds.v);
    return rc;
}

/* ---- walking the inputs --------------------------------------------- */

typedef struct entry {
    char *path;
    ct_read_kind kind;      /* from lstat; CT_READ_OK: a regular file */
    int unreadable;         /* a folder that could not be listed */
    char why[128];
} entry;

typedef struct entries {
    size_t n, cap;
    entry *v;
} entries;

static void entries_free(entries *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int entries_add(entries *l, const char *path, ct_read_kind kind)
{
    entry *en;
    int rc = -1;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        entry *nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL)
            goto out;
        l->v = nv;
        l->cap = ncap;
    }
    en = &l->v[l->n];
    memset(en, 0, sizeof *en);
    en->path = strdup(path);
    if (en->path == NULL)
        goto out;
    en->kind = kind;
    l->n++;
    rc = 0;
out:
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    /* strcmp compares as unsigned char: bytewise order (DESIGN 9). */
    return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] == '/';
    char *p = malloc(a + b + 2);

    if (p != NULL) {
        memcpy(p, dir, a);
        if (!slash)
            p[a++] = '/';
        memcpy(p + a, name, b + 1);
    }
    return p;
}

/* Lists dir recursively into l: regular files, and symlinks and other
 * non-regular members to be listed as skipped. Folders are opened with
 * O_NOFOLLOW, so a symlinked folder is never entered. */
static int walk(const char *dir, entries *l, ct_err *e)
{
    DIR *d = NULL;
    struct dirent *de;
    struct stat sb;
    char **names = NULL, *p = NULL;
    size_t n = 0, cap = 0, i;
    int fd, rc = -1;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            (void)close(fd);
        if (entries_add(l, dir, CT_READ_OK) != 0)
            goto oom;
        l->v[l->n - 1].unreadable = 1;
        snprintf(l->v[l->n - 1].why, sizeof l->v[l->n - 1].why, "%s", strerror(errno));
        rc = 0;
        goto out;
    }
    /* Read all names first and close the folder, so deep trees do not
     * hold one descriptor per level. */
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (nn == NULL)
                goto oom;
            names = nn;
            cap = ncap;
        }
        names[n] = join(dir, de->d_name);
        if (names[n] == NULL)
            goto oom;
        n++;
    }
    closedir(d);
    d = NULL;
    for (i = 0; i < n; i++) {
        p = names[i];
        if (lstat(p, &sb) != 0) {
            if (entries_add(l, p, CT_READ_OK) != 0)
                goto oom;
            l->v[l->n - 1].unreadable = 1;
            snprintf(l->v[l->n - 1].why, sizeof l->v[l->n - 1].why, "%s", strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            if (walk(p, l, e) != 0)
                goto out;
        } else if (entries_add(l, p, S_ISREG(sb.st_mode)   ? CT_READ_OK
                                     : S_ISLNK(sb.st_mode) ? CT_READ_SYMLINK
                                                           : CT_READ_NOT_REGULAR) != 0) {
            goto oom;
        }
    }
    rc = 0;
    goto out;
oom:
    ct_err_set(e, CT_EXIT_IO, dir, "out of memory");
out:
    if (d != NULL)
        closedir(d);
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/*
 * Batches (issue 8): the inputs that need the database are decided and
 * stored CT_BATCH_MAX at a time in one write transaction, so one commit
 * (one fsync) serves many returns. Each return is still all or nothing:
 * a failure rolls the whole batch back and nothing of it is printed; the
 * lines are printed only after the commit (DESIGN 9), in input order,
 * since anything printed without the database (a skipped or unreadable
 * input) first flushes the batch. Then the batch's files are re-decided
 * upon (corrections waiting for them), as after a single import.
 */
#define CT_BATCH_MAX 1024

/*
 * Two batches at a time (issue 8): when one is full its signatures are
 * started on worker threads (vcache.h) and the batch before it, whose
 * signatures were started one batch earlier, is decided and written
 * meanwhile. So verification on every core overlaps the single writer.
 * Batches are written in the order they were filled; anything that must
 * be printed in between, and the end of the input, writes both first.
 */
static struct pending {
    size_t n;
    ct_input in[CT_BATCH_MAX];
    ct_item_result res[CT_BATCH_MAX];
    ct_vjob *job;                   /* its signatures, being verified */
} B[2];
static int cur;                     /* the batch being filled */
static pr_return R;                 /* scratch for ct_decide */
static unsigned char awaited[CT_BATCH_MAX]; /* batch_write: a stored correction names it */

static void batch_clear(struct pending *b)
{
    ct_vcache_abandon(b->job);
    b->job = NULL;
    for (size_t i = 0; i < b->n; i++)
        ct_input_free(&b->in[i]);
    b->n = 0;
}

/* Starts b's signatures if they are not yet. A failure only means the
 * decisions verify them one by one. */
static void batch_start(ct_db *db, struct pending *b)
{
    ct_err e;

    memset(&e, 0, sizeof e);
    if (b->job == NULL && b->n > 0 && ct_vcache_start(db, b->in, b->n, &b->job, &e) != 0)
        b->job = NULL;
}

/* Decides, stores and commits batch b, then prints it. 0, or -1 with e (a
 * database error: nothing of the batch is stored or printed). b is empty
 * afterwards either way. */
static int batch_write(ct_db *db, struct pending *b, const ct_import_opts *o, FILE *out,
                       int *code, ct_err *e)
{
    size_t i;
    int rc = -1;

    if (b->n == 0)
        return 0;
    batch_start(db, b);
    ct_vcache_finish(db, b->job);
    b->job = NULL;
    if (ct_db_begin(db, e) != 0)
        goto out;
    ct_pc_memo_start(db);
    for (i = 0; i < b->n; i++) {
        if (import_in_tx(db, &b->in[i], &R, &b->res[i], e) != 0) {
            ct_db_rollback(db);
            goto out;
        }
    }
    /* Which of the files just stored a stored correction names (nearly
     * none): asked here, inside the transaction, where it is one index
     * probe each, rather than after COMMIT, where each would open and
     * close a read transaction of its own (issue 8: 6.8 % of the writer at
     * 100,000). Holding the write lock, no other importer can store a
     * correction in between: one stored before BEGIN is seen here, one
     * stored after COMMIT sees these files. */
    for (i = 0; i < b->n; i++) {
        idlist l = {0, 0, NULL};
        int k = b->res[i].kind == CT_ITEM_STORED ? select_files(db, 0, b->in[i].hash, &l, e) : 0;

        awaited[i] = l.n > 0;
        free(l.v);
        if (k != 0) {
            ct_db_rollback(db);
            goto out;
        }
    }
    if (ct_db_commit(db, e) != 0) {
        ct_db_rollback(db);
        goto out;
    }
    ct_pc_memo_stop(db);
    for (i = 0; i < b->n; i++) {
        ct_print_item(out, o, b->in[i].name, &b->res[i]);
        *code = ct_exit_max(*code, ct_verdict_exit(b->res[i].verdict));
    }
    for (i = 0; i < b->n; i++)
        if (awaited[i] && ct_redecide(db, b->in[i].hash, NULL, o, out, e) != 0)
            goto out;
    rc = 0;
out:
    ct_pc_memo_stop(db);
    ct_vcache_clear(db);
    batch_clear(b);
    return rc;
}

/* Drops both batches (after a failure, or once written). */
static void batches_clear(void)
{
    batch_clear(&B[0]);
    batch_clear(&B[1]);
}

/* Writes what is pending, the older batch first. 0, or -1 with e (then
 * nothing more is pending either: what was not written is dropped, as
 * after a failed batch). */
static int flush(ct_db *db, const ct_import_opts *o, FILE *out, int *code, ct_err *e)
{
    int rc = batch_write(db, &B[1 - cur], o, out, code, e);

    if (rc == 0)
        rc = batch_write(db, &B[cur], o, out, code, e);
    batches_clear();
    return rc;
}

/* Adds in to the batch being filled (its bytes move to the batch, its name
 * is copied). A full batch has its signatures started and the batch before
 * it is written. 0, or -1 with e. */
static int enqueue(ct_db *db, ct_input *in, const ct_import_opts *o, FILE *out, int *code,
                   ct_err *e)
{
    struct pending *b = &B[cur];
    ct_input *q = &b->in[b->n];
    uint8_t *shrunk;

    *q = *in;
    q->name = strdup(in->name);
    if (q->name == NULL) {
        ct_err_set(e, CT_EXIT_IO, in->name, "out of memory");
        memset(q, 0, sizeof *q);
        return -1;
    }
    in->bytes = NULL;
    in->len = 0;
    /* Inputs are read into a 64 KiB + 1 buffer; keep only what they hold. */
    shrunk = realloc(q->bytes, q->len + 1);
    if (shrunk != NULL)
        q->bytes = shrunk;
    if (++b->n < CT_BATCH_MAX)
        return 0;
    batch_start(db, b);
    cur = 1 - cur;
    if (batch_write(db, &B[cur], o, out, code, e) != 0) {
        batches_clear();
        return -1;
    }
    return 0;
}

/* The shared tail of every input: secret keys are never stored; in a
 * folder, what is not a return is skipped; the rest is decided. */
static int handle(ct_db *db, ct_input *in, int in_folder, const ct_import_opts *o, FILE *out,
                  FILE *err, int *code, ct_err *e)
{
    ct_item_result res;
    char esc[4096];
    int rc = -1;

    memset(&res, 0, sizeof res);
    if (pr_is_secret_key_file(in->bytes, in->len) && flush(db, o, out, code, e) != 0)
        goto out;
    if (pr_is_secret_key_file(in->bytes, in->len)) {
        res.kind = CT_ITEM_SECRET;
        snprintf(res.why, sizeof res.why, "secret-key");
        fprintf(err,
                "central: %s: is a SECRET KEY file: not stored; treat this key as exposed and "
                "revoke it\n",
                cm_escape(in->name, esc, sizeof esc));
        *code = ct_exit_max(*code, CT_EXIT_FAIL);
        ct_print_item(out, o, in->name, &res);
        rc = 0;
        goto out;
    }
    if (in_folder && (in->len < sizeof PR_RETURN_PREFIX - 1 ||
                      memcmp(in->bytes, PR_RETURN_PREFIX, sizeof PR_RETURN_PREFIX - 1) != 0)) {
        if (flush(db, o, out, code, e) != 0)
            goto out;
        res.kind = CT_ITEM_SKIPPED;
        snprintf(res.why, sizeof res.why, "not-a-return");
        ct_print_item(out, o, in->name, &res);
        rc = 0;
        goto out;
    }
    rc = enqueue(db, in, o, out, code, e);
out:
    return rc;
}

static void print_unreadable(FILE *out, FILE *err, const ct_import_opts *o, const char *name,
                             const char *why, int *code)
{
    ct_item_result res;
    ct_err e;

    memset(&res, 0, sizeof res);
    res.kind = CT_ITEM_UNREADABLE;
    /* The verdict word says it all; the system's reason goes to stderr
     * and to the JSON detail. */
    snprintf(res.detail, sizeof res.detail, "%.*s", (int)sizeof res.detail - 1, why);
    ct_err_set(&e, CT_EXIT_IO, name, "%s", why);
    ct_err_print(&e, err);
    ct_print_item(out, o, name, &res);
    *code = ct_exit_max(*code, CT_EXIT_IO);
}

static void print_skipped(FILE *out, const ct_import_opts *o, const char *name, const char *why)
{
    ct_item_result res;

    memset(&res, 0, sizeof res);
    res.kind = CT_ITEM_SKIPPED;
    snprintf(res.why, sizeof res.why, "%s", why);
    ct_print_item(out, o, name, &res);
}

static int import_stdin(ct_db *db, const ct_import_opts *o, FILE *out, FILE *err, int *code,
                        ct_err *e)
{
    ct_stream *s = ct_stream_new(stdin);
    ct_input in;
    uint64_t items = 0;
    int k, rc = -1;

    memset(&in, 0, sizeof in);
    if (s == NULL) {
        ct_err_set(e, CT_EXIT_IO, "-", "out of memory");
        goto out;
    }
    for (;;) {
        /* Nothing more has come yet: decide what has, rather than wait. */
        if (ct_stream_waits(s) && flush(db, o, out, code, e) != 0)
            goto out;
        if ((k = ct_stream_next(s, &in, e)) != 1)
            break;
        /* Where the stream is, for the time left. */
        if (++items % 256 == 0)
            ct_progress_input(o->progress, stdin);
        if (handle(db, &in, 0, o, out, err, code, e) != 0)
            goto out;
        ct_input_free(&in);
    }
    if (k < 0)
        goto out;
    rc = 0;
out:
    ct_input_free(&in);
    ct_stream_free(s);
    return rc;
}

static int import_folder(ct_db *db, const char *path, const ct_import_opts *o, FILE *out,
                         FILE *err, int *code, ct_err *e)
{
    entries l = {0, 0, NULL};
    ct_input in;
    ct_read_kind kind;
    ct_err re;
    size_t i;
    int rc = -1;

    memset(&in, 0, sizeof in);
    if (walk(path, &l, e) != 0)
        goto out;
    if (l.n > 1) /* an empty folder has no array at all */
        qsort(l.v, l.n, sizeof *l.v, cmp_entry);
    for (i = 0; i < l.n; i++) {
        entry *en = &l.v[i];
        /* Lines stay in input order: what is batched goes first. */
        if ((en->unreadable || en->kind != CT_READ_OK) && flush(db, o, out, code, e) != 0)
            goto out;
        if (en->unreadable) {
            print_unreadable(out, err, o, en->path, en->why, code);
            continue;
        }
        if (en->kind == CT_READ_SYMLINK) {
            print_skipped(out, o, en->path, "symlink");
            continue;
        }
        if (en->kind == CT_READ_NOT_REGULAR) {
            print_skipped(out, o, en->path, "not-a-regular-file");
            continue;
        }
        /* Opened with O_NOFOLLOW: it may have become a symlink since. */
        if (ct_read_path(en->path, 0, &in, &kind, &re) != 0) {
            if (flush(db, o, out, code, e) != 0)
                goto out;
            print_unreadable(out, err, o, en->path, re.why, code);
            continue;
        }
        if (kind != CT_READ_OK) {
            if (flush(db, o, out, code, e) != 0)
                goto out;
            print_skipped(out, o, en->path, kind == CT_READ_SYMLINK ? "symlink" : "not-a-regular-file");
            continue;
        }
        in.name = en->path;
        rc = handle(db, &in, 1, o, out, err, code, e);
        in.name = NULL;
        ct_input_free(&in);
        if (rc != 0)
            goto out;
        rc = -1;
    }
    rc = 0;
out:
    ct_input_free(&in);
    entries_free(&l);
    return rc;
}

int ct_import_paths(ct_db *db, const char *const *paths, size_t n, const ct_import_opts *o, FILE *out,
                    FILE *err)
{
    ct_input in;
    ct_read_kind kind;
    struct stat sb;
    ct_err e, re;
    size_t i;
    int code = CT_EXIT_OK, rc;

    memset(&in, 0, sizeof in);
    memset(&e, 0, sizeof e);
    for (i = 0; i < n; i++) {
        const char *p = paths[i];
        rc = 0;
        if (strcmp(p, "-") == 0) {
            rc = import_stdin(db, o, out, err, &code, &e);
        } else if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rc = import_folder(db, p, o, out, err, &code, &e);
        } else if (ct_read_path(p, 1, &in, &kind, &re) != 0) {
            rc = flush(db, o, out, &code, &e);
            if (rc == 0)
                print_unreadable(out, err, o, p, re.why, &code);
        } else if (kind != CT_READ_OK) {
            rc = flush(db, o, out, &code, &e);
            if (rc == 0)
                print_unreadable(out, err, o, p, "not a regular file", &code);
        } else {
            in.name = strdup(p);
            if (in.name == NULL) {
                ct_err_set(&e, CT_EXIT_IO, p, "out of memory");
                rc = -1;
            } else {
                rc = handle(db, &in, 0, o, out, err, &code, &e);
            }
            ct_input_free(&in);
        }
        if (rc != 0) {
            /* A database error: stop, the rest would most likely fail the
             * same way and the operator must look first. */
            ct_err_print(&e, err);
            code = ct_exit_max(code, e.code != 0 ? e.code : CT_EXIT_IO);
            break;
        }
    }
    /* What is still batched: after a read error of standard input, what
     * came before it is imported, as it was one at a time. */
    if (flush(db, o, out, &code, &e) != 0) {
        ct_err_print(&e, err);
        code = ct_exit_max(code, e.code != 0 ? e.code : CT_EXIT_IO);
    }
    return code;
}

/* `central import --qr` (qr.c): bytes read from a QR code go down the same
 * path as a file named on the command line, under the image's name. */
int ct_import_bytes(ct_db *db, const char *name, const uint8_t *bytes, size_t len,
                    const ct_import_opts *o, FILE *out, FILE *err, int *code, ct_err *e)
{
    ct_input in;
    int rc = -1;

    memset(&in, 0, sizeof in);
    in.len = len < CT_KEEP_MAX ? len : CT_KEEP_MAX;
    in.name = strdup(name);
    in.bytes = malloc(in.len + 1);
    if (in.name == NULL || in.bytes == NULL) {
        ct_err_set(e, CT_EXIT_IO, name, "out of memory");
        goto out;
    }
    memcpy(in.bytes, bytes, in.len);
    in.bytes[in.len] = 0;
    in.size = len;
    pr_hash(in.hash, bytes, len);
    rc = handle(db, &in, 0, o, out, err, code, e);
    if (rc == 0)
        rc = flush(db, o, out, code, e);
out:
    ct_input_free(&in);
    return rc;
}
