/*
 * bundle.c: a database's content as plain files (docs/BUNDLE.md).
 *
 * `central export --bundle` writes every definition version, the commission
 * key, the enrolment requests, every stored file, the event chain as text,
 * the checkpoints, receipts and the signed tally. `central audit --bundle`
 * loads those files into a temporary database shaped like the tables the
 * audit replay reads, and runs the same replay (audit.h): every event is
 * run again with the real commands on the bundle's bytes and the replay's
 * events must equal the bundle's. `central import --bundle` is a higher
 * commission taking a lower one's bundle: the same events replayed into its
 * own database through the normal import (so every station signature is
 * verified here), the lower level's decisions marked as decided by it, and
 * its signed tally checked against the sum of its precincts here.
 */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "audit.h"
#include "checkpoint.h"
#include "commands.h"
#include "common/fileio.h"
#include "ct.h"
#include "db.h"
#include "events.h"
#include "evidence.h"
#include "proto/checkpoint.h"
#include "proto/codec.h"
#include "proto/keylist.h"
#include "proto/keys.h"
#include "proto/return.h"
#include "proto/tally.h"
#include "report.h"

#define NONE ((size_t)-1)
/* The largest events.txt read (a million events of a few hundred bytes). */
#define EVENTS_MAX (1024u * 1024u * 1024u)

static const char export_usage[] =
    "usage: central export --db DB --bundle DIR [--checkpoints CPDIR] [--receipts RDIR]\n"
    "                      [--checkpoint-key KEY [--passphrase-fd N]]\n";
static const char export_help[] =
    "Writes DIR (which must not exist) with the database's content as plain files\n"
    "(docs/BUNDLE.md): every definition version with its signature, the commission\n"
    "public key, every enrolment request, every stored file exactly as kept, the\n"
    "event chain as text (events.txt), and the checkpoint-*.txt of CPDIR and the\n"
    "receipt-*.txt of RDIR. --checkpoint-key KEY (the database's commission key):\n"
    "also signs a checkpoint of the head, a receipt for every stored file that has\n"
    "none from RDIR, and tally.txt (`election-tally 1`: the sums per contest over\n"
    "this commission's precincts, which a higher commission checks). The folder is\n"
    "written beside DIR and renamed into place only when complete.\n";

/* ---- small file helpers --------------------------------------------------- */

static int join(char *out, size_t n, const char *a, const char *b)
{
    int k = snprintf(out, n, "%s/%s", a, b);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* Writes a new file dir/name (never overwrites). 0, or -1 with e. */
static int write_in(const char *dir, const char *name, const void *p, size_t n, ct_err *e)
{
    char path[4096];

    if (join(path, sizeof path, dir, name) != 0) {
        ct_err_set(e, CT_EXIT_IO, dir, "path too long");
        return -1;
    }
    if (cm_write_new(path, n > 0 ? p : "", n, 0644) != 0) {
        ct_err_set(e, CT_EXIT_IO, path, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads dir/name (at most max bytes, no symlink). 0 read, 1 absent, -1
 * unreadable or too large (e). */
static int read_in(const char *dir, const char *name, size_t max, uint8_t **buf, size_t *len, ct_err *e)
{
    char path[4096];
    pr_diag d;
    int k;

    *buf = NULL;
    *len = 0;
    memset(&d, 0, sizeof d);
    if (join(path, sizeof path, dir, name) != 0) {
        ct_err_set(e, CT_EXIT_IO, dir, "path too long");
        return -1;
    }
    k = cm_read_file(path, max, 0, buf, len, NULL, &d);
    if (k == -1 && errno == ENOENT)
        return 1;
    if (k != 0) {
        free(*buf);
        *buf = NULL;
        ct_err_set(e, CT_EXIT_IO, path, "%s", k == -2 ? "too large" : d.msg[0] ? d.msg : strerror(errno));
        return -1;
    }
    return 0;
}

/* Removes a folder tree this program wrote (files and folders only). */
static void rm_tree(const char *dir)
{
    char path[4096];
    struct dirent *de;
    struct stat sb;
    DIR *d = opendir(dir);

    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            join(path, sizeof path, dir, de->d_name) != 0)
            continue;
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            rm_tree(path);
        else
            (void)unlink(path);
    }
    if (d != NULL)
        closedir(d);
    (void)rmdir(dir);
}

/* A temporary folder under TMPDIR into out. 0, or -1 with e. */
static int temp_dir(char *out, size_t n, const char *what, ct_err *e)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(out, n, "%s/central-%s-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp", what);
    if (mkdtemp(out) == NULL) {
        ct_err_set(e, CT_EXIT_IO, out, "%s", strerror(errno));
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static int load_pub(const char *path, uint8_t pk[PR_PK_BYTES], ct_err *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d;
    int rc = -1;

    memset(&d, 0, sizeof d);
    if (cm_read_file(path, PR_FILE_MAX, 1, &buf, &len, NULL, &d) != 0) {
        ct_err_set(e, CT_EXIT_IO, path, "%s", d.msg[0] ? d.msg : "cannot be read");
        goto out;
    }
    if (pr_pubkey_parse(PR_KEY_COMMISSION, buf, len, pk, &d) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, path, "not a commission public key: line %u: %s", d.line, d.msg);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

/* ---- the signed tally of a database ----------------------------------------- */

/* 1 when area a lies in the subtree of top. */
static int under(const cm_definition *def, size_t a, size_t top)
{
    size_t steps = 0;

    while (a != NONE && a != top && steps++ <= def->n_areas)
        a = def->areas[a].parent;
    return a == top;
}

static size_t root_area(const cm_definition *def)
{
    size_t i;

    for (i = 0; i < def->n_areas; i++)
        if (def->areas[i].parent == NONE)
            return i;
    return NONE;
}

/* Sums of every contest over the rows of r whose precinct lies under area
 * top (every row when top is NONE) into t: the contests with at least one
 * such row, in definition order. 0, or -1 out of memory / overflow. */
static int sums_under(const cm_definition *def, const ct_report *r, size_t top, pr_tally *t)
{
    size_t i, j, k;

    for (j = 0; j < def->n_contests; j++) {
        const cm_contest *c = &def->contests[j];
        const cm_protocol *p = &def->protocols[c->protocol];
        pr_tally_contest *tc = NULL;

        for (i = 0; i < r->n; i++) {
            const ct_pc_row *row = &r->rows[i];
            if (row->contest != j || (top != NONE && !under(def, def->precincts[row->precinct].area, top)))
                continue;
            if (tc == NULL) {
                tc = pr_tally_add_contest(t, c->id);
                if (tc == NULL)
                    return -1;
                tc->n_lines = p->n_lines;
                tc->n_votes = c->n_candidates;
                for (k = 0; k < p->n_lines; k++)
                    snprintf(tc->line_ids[k], sizeof tc->line_ids[k], "%s", p->lines[k].id);
                for (k = 0; k < c->n_candidates; k++)
                    snprintf(tc->candidate_ids[k], sizeof tc->candidate_ids[k], "%s",
                             c->candidates[k].id);
            }
            tc->expected++;
            if (row->status != CT_ST_IN_TALLY || row->counts == NULL || row->votes == NULL)
                continue;
            tc->in_tally++;
            for (k = 0; k < p->n_lines; k++)
                if (__builtin_add_overflow(tc->lines[k], row->counts[k], &tc->lines[k]))
                    return -1;
            for (k = 0; k < c->n_candidates; k++)
                if (__builtin_add_overflow(tc->votes[k], row->votes[k], &tc->votes[k]))
                    return -1;
        }
    }
    return 0;
}

/* The tally of the database at its head: its scope's area (or the root). */
static int db_tally(ct_db *db, pr_tally *t, ct_err *e)
{
    ct_report r;
    size_t area = db->scope_area != NONE ? db->scope_area : root_area(db->def);
    int rc = -1;

    memset(t, 0, sizeof *t);
    if (ct_report_build(db, 0, 1, &r, e) != 0)
        return -1;
    snprintf(t->election, sizeof t->election, "%s", db->election);
    snprintf(t->area, sizeof t->area, "%s", area != NONE ? db->def->areas[area].id : "-");
    t->seq = (uint64_t)r.seq;
    memcpy(t->head, r.head, PR_HASH_BYTES);
    if (sums_under(db->def, &r, NONE, t) != 0) {
        ct_err_set(e, CT_EXIT_IO, db->path, "tally: out of memory or a sum overflows");
        goto out;
    }
    rc = 0;
out:
    ct_report_free(&r);
    return rc;
}

/* ---- export ----------------------------------------------------------------- */

typedef struct exporter {
    ct_db *db;
    char dir[4096];             /* the temporary folder being written */
    size_t n_events, n_files, n_keys, n_defs, n_checkpoints, n_receipts, n_scans, n_keylists;
} exporter;

/* Writes every row of sql (?: no parameters) as folder/<hex of column 1>EXT
 * from the blob in column 0 (and, with sigext, column 2 as the same name
 * + sigext). *n counts them. 0, or -1 with e. */
static int export_blobs(exporter *x, const char *sql, const char *folder, const char *ext,
                        const char *sigext, size_t *n, ct_err *e)
{
    sqlite3_stmt *s = NULL;
    char name[PR_HASH_HEX + 64], hex[PR_HASH_HEX + 1], sub[4200];
    uint8_t h[PR_HASH_BYTES];
    int step, rc = -1;

    if (join(sub, sizeof sub, x->dir, folder) != 0 || ct_db_prepare(x->db, sql, &s, e) != 0)
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (ct_col_blob(s, 1, h, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, x->db->path, "a stored hash is damaged (%s)", folder);
            goto out;
        }
        pr_hex_encode(hex, h, PR_HASH_BYTES);
        snprintf(name, sizeof name, "%s%s", hex, ext);
        if (write_in(sub, name, sqlite3_column_blob(s, 0), ct_col_size(s, 0), e) != 0)
            goto out;
        if (sigext != NULL) {
            snprintf(name, sizeof name, "%s%s%s", hex, ext, sigext);
            if (write_in(sub, name, sqlite3_column_blob(s, 2), ct_col_size(s, 2), e) != 0)
                goto out;
        }
        (*n)++;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(x->db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* events.txt: each event's text (docs/EVENTS.md) then `hash <64 hex>`. */
static int export_events(exporter *x, ct_err *e)
{
    static const char sql[] =
        "SELECT seq, kind, time, subject, verdict, codes, data, hash FROM events ORDER BY seq";
    sqlite3_stmt *s = NULL;
    char kind[64], t[PR_TIME_LEN + 1], verdict[64], codes[4096], hex[PR_HASH_HEX + 1];
    char *data = malloc(65536);
    uint8_t h[PR_HASH_BYTES];
    pr_buf b;
    ct_event ev;
    int step, rc = -1;

    pr_buf_init(&b, EVENTS_MAX);
    if (data == NULL) {
        ct_err_set(e, CT_EXIT_IO, "export", "out of memory");
        goto out;
    }
    if (ct_db_prepare(x->db, sql, &s, e) != 0)
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&ev, 0, sizeof ev);
        ev.seq = (int64_t)sqlite3_column_int64(s, 0);
        ct_col_text(s, 1, kind, sizeof kind);
        ct_col_text(s, 2, t, sizeof t);
        ct_col_text(s, 4, verdict, sizeof verdict);
        ct_col_text(s, 5, codes, sizeof codes);
        ct_col_text(s, 6, data, 65536);
        ev.kind = kind;
        ev.verdict = verdict;
        ev.codes = codes;
        ev.data = data;
        ev.has_subject = sqlite3_column_type(s, 3) != SQLITE_NULL;
        if ((ev.has_subject && ct_col_blob(s, 3, ev.subject, PR_HASH_BYTES) != 0) ||
            pr_parse_time(t, strlen(t), &ev.time) != 0 || ct_col_blob(s, 7, h, PR_HASH_BYTES) != 0 ||
            ct_event_text(&ev, &b) != 0) {
            ct_err_set(e, CT_EXIT_IO, x->db->path, "event %lld is damaged and cannot be written",
                       (long long)ev.seq);
            goto out;
        }
        pr_hex_encode(hex, h, PR_HASH_BYTES);
        pr_buf_printf(&b, "hash %s\n", hex);
        x->n_events++;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(x->db, e, NULL);
        goto out;
    }
    if (b.failed) {
        ct_err_set(e, CT_EXIT_IO, "events.txt", "out of memory");
        goto out;
    }
    rc = write_in(x->dir, "events.txt", b.data, b.len, e);
out:
    pr_buf_free(&b);
    free(data);
    sqlite3_finalize(s);
    return rc;
}

/* Copies every regular file of src whose name starts with prefix and ends
 * with .txt into the bundle's folder sub. *n counts them. 0, or -1 with e. */
static int copy_signed(exporter *x, const char *src, const char *prefix, const char *sub, size_t *n,
                       ct_err *e)
{
    char to[4200];
    struct dirent *de;
    uint8_t *buf = NULL;
    size_t len = 0, pl = strlen(prefix), nl;
    DIR *d = opendir(src);
    int k, rc = -1;

    if (d == NULL) {
        ct_err_set(e, CT_EXIT_IO, src, "%s", strerror(errno));
        goto out;
    }
    if (join(to, sizeof to, x->dir, sub) != 0)
        goto out;
    while ((de = readdir(d)) != NULL) {
        nl = strlen(de->d_name);
        if (nl <= pl + 4 || strncmp(de->d_name, prefix, pl) != 0 ||
            strcmp(de->d_name + nl - 4, ".txt") != 0)
            continue;
        k = read_in(src, de->d_name, PR_FILE_MAX, &buf, &len, e);
        if (k != 0)
            goto out;
        if (write_in(to, de->d_name, buf, len, e) != 0)
            goto out;
        free(buf);
        buf = NULL;
        (*n)++;
    }
    rc = 0;
out:
    free(buf);
    if (d != NULL)
        closedir(d);
    return rc;
}

/* With the commission key: a checkpoint of the head (unless one was
 * copied), a receipt for every stored file without one, and tally.txt. */
static int export_signed(exporter *x, const uint8_t *sk, ct_err *e)
{
    static const char sql[] =
        "SELECT seq, subject, verdict, codes, hash FROM events WHERE kind = 'import' ORDER BY seq";
    sqlite3_stmt *s = NULL;
    char name[PR_HASH_HEX + 32], hex[PR_HASH_HEX + 1], sub[4200], path[4300];
    pr_checkpoint cp;
    pr_receipt rc_;
    pr_tally t;
    pr_buf b;
    pr_diag d;
    int64_t seq = 0;
    int step, rc = -1;

    memset(&cp, 0, sizeof cp);
    memset(&t, 0, sizeof t);
    memset(&d, 0, sizeof d);
    pr_buf_init(&b, PR_FILE_MAX);
    /* The receipts. */
    if (join(sub, sizeof sub, x->dir, "receipts") != 0 || ct_db_prepare(x->db, sql, &s, e) != 0)
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&rc_, 0, sizeof rc_);
        snprintf(rc_.election, sizeof rc_.election, "%s", x->db->election);
        rc_.seq = (uint64_t)sqlite3_column_int64(s, 0);
        ct_col_text(s, 2, rc_.verdict, sizeof rc_.verdict);
        ct_col_text(s, 3, rc_.codes, sizeof rc_.codes);
        rc_.time = ct_now();
        if (ct_col_blob(s, 1, rc_.file, PR_HASH_BYTES) != 0 ||
            ct_col_blob(s, 4, rc_.head, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, x->db->path, "event %llu is damaged",
                       (unsigned long long)rc_.seq);
            goto out;
        }
        pr_hex_encode(hex, rc_.file, PR_HASH_BYTES);
        snprintf(name, sizeof name, "receipt-%s.txt", hex);
        if (join(path, sizeof path, sub, name) != 0 || access(path, F_OK) == 0)
            continue; /* the receipt handed out at import time is kept */
        if (pr_receipt_sign(&rc_, sk, &b, &d) != 0) {
            ct_err_set(e, CT_EXIT_IO, "receipt", "event %llu cannot be signed: %s",
                       (unsigned long long)rc_.seq, d.msg);
            goto out;
        }
        if (write_in(sub, name, b.data, b.len, e) != 0)
            goto out;
        pr_buf_free(&b);
        x->n_receipts++;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(x->db, e, NULL);
        goto out;
    }
    /* The checkpoint of the head. */
    if (ct_event_head(x->db, 0, &seq, cp.head, e) != 0)
        goto out;
    cp.seq = (uint64_t)seq;
    snprintf(cp.election, sizeof cp.election, "%s", x->db->election);
    cp.time = ct_now();
    if (ct_checkpoint_counts(x->db->sql, seq, cp.counts) != 0) {
        ct_db_error(x->db, e, NULL);
        goto out;
    }
    snprintf(name, sizeof name, "checkpoint-%lld.txt", (long long)seq);
    if (join(sub, sizeof sub, x->dir, "checkpoints") != 0 || join(path, sizeof path, sub, name) != 0)
        goto out;
    if (access(path, F_OK) != 0) {
        pr_buf_free(&b);
        if (pr_checkpoint_sign(&cp, sk, &b, &d) != 0) {
            ct_err_set(e, CT_EXIT_IO, "checkpoint", "%s", d.msg);
            goto out;
        }
        if (write_in(sub, name, b.data, b.len, e) != 0)
            goto out;
        x->n_checkpoints++;
    }
    /* The tally. */
    pr_buf_free(&b);
    if (db_tally(x->db, &t, e) != 0)
        goto out;
    t.time = ct_now();
    if (pr_tally_sign(&t, sk, &b, &d) != 0) {
        ct_err_set(e, CT_EXIT_IO, "tally", "%s", d.msg);
        goto out;
    }
    if (write_in(x->dir, "tally.txt", b.data, b.len, e) != 0)
        goto out;
    rc = 0;
out:
    pr_tally_free(&t);
    pr_buf_free(&b);
    sqlite3_finalize(s);
    return rc;
}

int ct_cmd_export(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},          {"bundle", 1},        {"checkpoints", 1},
                                       {"receipts", 1},    {"checkpoint-key", 1}, {"passphrase-fd", 1},
                                       {"help", 0},        {NULL, 0}};
    static const char *const subs[] = {"definition", "keys",        "returns",
                                       "receipts",   "checkpoints", "evidence"};
    const char *dbpath = NULL, *bundle = NULL, *cpdir = NULL, *rdir = NULL, *key = NULL,
               *fdtext = NULL, *v;
    char sub[4200], tmpl[4000];
    long long fd = -1;
    uint8_t *sk = NULL;
    uint8_t *pkbuf = NULL;
    exporter x;
    ct_args a;
    ct_err e;
    pr_buf b;
    size_t i;
    int k, opt, code = CT_EXIT_IO, made = 0;

    memset(&x, 0, sizeof x);
    memset(&e, 0, sizeof e);
    pr_buf_init(&b, PR_FILE_MAX);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, export_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, export_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0)
            dbpath = v;
        else if (opt == 1)
            bundle = v;
        else if (opt == 2)
            cpdir = v;
        else if (opt == 3)
            rdir = v;
        else if (opt == 4)
            key = v;
        else if (opt == 5)
            fdtext = v;
        else {
            fputs(export_usage, out);
            fputs(export_help, out);
            code = CT_EXIT_OK;
            goto out;
        }
    }
    if (dbpath == NULL || bundle == NULL) {
        code = ct_usage_error(err, export_usage, "export", "--db and --bundle are required");
        goto out;
    }
    if (fdtext != NULL && (key == NULL || ct_parse_uint(fdtext, 1 << 20, &fd) != 0)) {
        code = ct_usage_error(err, export_usage, "--passphrase-fd",
                              "needs --checkpoint-key and a descriptor number");
        goto out;
    }
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "export", "libsodium failed to initialise");
        goto fail;
    }
    if (access(bundle, F_OK) == 0 || errno != ENOENT) {
        ct_err_set(&e, CT_EXIT_IO, bundle, "already exists (a bundle is written whole, never into "
                                           "an existing folder)");
        goto fail;
    }
    if (ct_db_open(dbpath, 1, &x.db, &e) != 0)
        goto fail;
    if (key != NULL) {
        sk = sodium_malloc(PR_SK_BYTES);
        if (sk == NULL || ct_load_commission_key(key, (int)fd, sk, &e) != 0) {
            if (sk == NULL)
                ct_err_set(&e, CT_EXIT_IO, key, "out of memory");
            goto fail;
        }
        if (sodium_memcmp(sk + 32, x.db->commission_pk, PR_PK_BYTES) != 0) {
            ct_err_set(&e, CT_EXIT_FAIL, key, "not the commission key of this database: nothing "
                                              "written");
            goto fail;
        }
    }
    /* Written beside its final place, renamed when complete. */
    if (snprintf(tmpl, sizeof tmpl, "%s.partial-XXXXXX", bundle) >= (int)sizeof tmpl ||
        mkdtemp(tmpl) == NULL) {
        ct_err_set(&e, CT_EXIT_IO, bundle, "cannot create a folder beside it: %s", strerror(errno));
        goto fail;
    }
    made = 1;
    snprintf(x.dir, sizeof x.dir, "%s", tmpl);
    (void)chmod(x.dir, 0755);
    for (i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (join(sub, sizeof sub, x.dir, subs[i]) != 0 || mkdir(sub, 0755) != 0) {
            ct_err_set(&e, CT_EXIT_IO, sub, "%s", strerror(errno));
            goto fail;
        }
    if (pr_pubkey_encode(PR_KEY_COMMISSION, x.db->commission_pk, &b) != 0 || b.failed ||
        write_in(x.dir, "commission.pub", b.data, b.len, &e) != 0) {
        if (e.why[0] == '\0')
            ct_err_set(&e, CT_EXIT_IO, "commission.pub", "cannot be encoded");
        goto fail;
    }
    if (export_blobs(&x, "SELECT definition, definition_hash, definition_sig FROM meta", "definition",
                     ".json", ".sig", &x.n_defs, &e) != 0 ||
        export_blobs(&x, "SELECT definition, definition_hash, definition_sig FROM definitions",
                     "definition", ".json", ".sig", &x.n_defs, &e) != 0 ||
        export_blobs(&x, "SELECT request, request_hash FROM keys", "keys", ".req", NULL, &x.n_keys,
                     &e) != 0 ||
        export_blobs(&x, "SELECT bytes, hash FROM files", "returns", ".return", NULL, &x.n_files,
                     &e) != 0 ||
        export_blobs(&x, "SELECT bytes, hash FROM evidence", "evidence", "", NULL, &x.n_scans,
                     &e) != 0 ||
        export_blobs(&x, "SELECT keylist, keylist_hash FROM freezes", "keys", ".keylist", NULL,
                     &x.n_keylists, &e) != 0 ||
        export_events(&x, &e) != 0)
        goto fail;
    if ((cpdir != NULL && copy_signed(&x, cpdir, "checkpoint-", "checkpoints", &x.n_checkpoints, &e) != 0) ||
        (rdir != NULL && copy_signed(&x, rdir, "receipt-", "receipts", &x.n_receipts, &e) != 0))
        goto fail;
    if (sk != NULL && export_signed(&x, sk, &e) != 0)
        goto fail;
    if (rename(x.dir, bundle) != 0) {
        ct_err_set(&e, CT_EXIT_IO, bundle, "%s", strerror(errno));
        goto fail;
    }
    made = 0;
    fprintf(out,
            "bundle %s: %zu events, %zu files, %zu enrolment requests, %zu definition versions, "
            "%zu checkpoints, %zu receipts, %zu evidence scans, %zu key lists, tally %s\n",
            bundle, x.n_events, x.n_files, x.n_keys, x.n_defs, x.n_checkpoints, x.n_receipts,
            x.n_scans, x.n_keylists,
            sk != NULL ? "signed" : "not signed (no --checkpoint-key)");
    if (sk == NULL)
        fprintf(err, "central: export: no --checkpoint-key: no checkpoint, receipt or tally signed "
                     "at export\n");
    code = CT_EXIT_OK;
    goto out;
fail:
    ct_err_print(&e, err);
    code = e.code ? e.code : CT_EXIT_IO;
out:
    if (made)
        rm_tree(x.dir);
    if (sk != NULL)
        sodium_free(sk);
    free(pkbuf);
    pr_buf_free(&b);
    ct_db_close(x.db);
    return code;
}

/* ---- loading a bundle --------------------------------------------------------- */

typedef struct bev {
    int64_t seq;
    char kind[32];
    char time[PR_TIME_LEN + 1];
    int has_subject;
    uint8_t subject[PR_HASH_BYTES];
    char verdict[64];
    char codes[1024];
    char *data;
    uint8_t hash[PR_HASH_BYTES];
} bev;

typedef struct bundle {
    const char *dir;
    FILE *out;
    long diffs;                 /* differences found while loading */
    bev *ev;
    size_t n_ev;
    char scope[PR_ID_MAX + 1];  /* from event 1's data, "" none */
    char election[PR_ID_MAX + 1];
    uint8_t commission_pk[PR_PK_BYTES];
    int has_commission_pk;
} bundle;

static void bdiff(bundle *bd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bdiff(bundle *bd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("difference: ", bd->out);
    vfprintf(bd->out, fmt, ap);
    fputc('\n', bd->out);
    va_end(ap);
    bd->diffs++;
}

static void bundle_free(bundle *bd)
{
    size_t i;

    for (i = 0; i < bd->n_ev; i++)
        free(bd->ev[i].data);
    free(bd->ev);
    bd->ev = NULL;
    bd->n_ev = 0;
}

/* One line of events.txt: "field value" into out (value "-" stays "-"). */
static int ev_line(const char **p, const char *end, const char *field, char *out, size_t outlen)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t fl = strlen(field), vl;

    if (nl == NULL || (size_t)(nl - *p) <= fl + 1 || memcmp(*p, field, fl) != 0 || (*p)[fl] != ' ')
        return -1;
    vl = (size_t)(nl - *p) - fl - 1;
    if (vl == 0 || vl >= outlen || memchr(*p + fl + 1, '\0', vl) != NULL)
        return -1;
    memcpy(out, *p + fl + 1, vl);
    out[vl] = '\0';
    *p = nl + 1;
    return 0;
}

/* Parses events.txt (docs/BUNDLE.md): blocks of the 8 event lines and a
 * hash line. A block that does not parse is a difference, and ends it. */
static int parse_events(bundle *bd, const uint8_t *buf, size_t len, ct_err *e)
{
    const char *p = (const char *)buf, *end = p + len;
    char seq[32], subj[PR_HASH_HEX + 2], hash[PR_HASH_HEX + 2], magic[8];
    char *data = malloc(65536);
    size_t cap = 0, line = 1;
    bev *x, *grown;
    int rc = -1;

    if (data == NULL) {
        ct_err_set(e, CT_EXIT_IO, "events.txt", "out of memory");
        goto out;
    }
    while (p < end) {
        long long n = 0;
        if (bd->n_ev == cap) {
            cap = cap ? 2 * cap : 256;
            grown = realloc(bd->ev, cap * sizeof *grown);
            if (grown == NULL) {
                ct_err_set(e, CT_EXIT_IO, "events.txt", "out of memory");
                goto out;
            }
            bd->ev = grown;
        }
        x = &bd->ev[bd->n_ev];
        memset(x, 0, sizeof *x);
        if (ev_line(&p, end, "event", magic, sizeof magic) != 0 || strcmp(magic, "1") != 0 ||
            ev_line(&p, end, "seq", seq, sizeof seq) != 0 ||
            ct_parse_uint(seq, (long long)1 << 53, &n) != 0 ||
            ev_line(&p, end, "kind", x->kind, sizeof x->kind) != 0 ||
            ev_line(&p, end, "time", x->time, sizeof x->time) != 0 ||
            ev_line(&p, end, "subject", subj, sizeof subj) != 0 ||
            (strcmp(subj, "-") != 0 &&
             pr_hex_decode(x->subject, PR_HASH_BYTES, subj, strlen(subj)) != 0) ||
            ev_line(&p, end, "verdict", x->verdict, sizeof x->verdict) != 0 ||
            ev_line(&p, end, "codes", x->codes, sizeof x->codes) != 0 ||
            ev_line(&p, end, "data", data, 65536) != 0 ||
            ev_line(&p, end, "hash", hash, sizeof hash) != 0 ||
            pr_hex_decode(x->hash, PR_HASH_BYTES, hash, strlen(hash)) != 0) {
            bdiff(bd, "events.txt: the event starting at line %zu does not parse (docs/BUNDLE.md); "
                      "nothing after it was read",
                  line);
            break;
        }
        x->seq = (int64_t)n;
        x->has_subject = strcmp(subj, "-") != 0;
        if (strcmp(x->verdict, "-") == 0)
            x->verdict[0] = '\0';
        if (strcmp(x->codes, "-") == 0)
            x->codes[0] = '\0';
        x->data = strdup(strcmp(data, "-") == 0 ? "" : data);
        if (x->data == NULL) {
            ct_err_set(e, CT_EXIT_IO, "events.txt", "out of memory");
            goto out;
        }
        bd->n_ev++;
        line += 9;
    }
    rc = 0;
out:
    free(data);
    return rc;
}

/* The value after `name ` among an event's data words, into out. */
static void data_word(const char *data, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name), i = 0;
    const char *p = data;

    out[0] = '\0';
    while (p != NULL && *p != '\0') {
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            p += n + 1;
            while (p[i] != '\0' && p[i] != ' ' && i + 1 < outlen) {
                out[i] = p[i];
                i++;
            }
            out[i] = '\0';
            return;
        }
        p = strchr(p, ' ');
        if (p != NULL)
            p++;
    }
}

static const char bundle_schema[] =
    "CREATE TABLE meta (one INTEGER PRIMARY KEY, election TEXT, mode TEXT, definition BLOB,"
    " definition_hash BLOB, definition_sig BLOB, commission_pk BLOB);"
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, time TEXT NOT NULL,"
    " subject BLOB, verdict TEXT NOT NULL, codes TEXT NOT NULL, data TEXT NOT NULL,"
    " prev_hash BLOB NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE files (id INTEGER PRIMARY KEY, hash BLOB UNIQUE, size INTEGER, bytes BLOB,"
    " name BLOB, precinct TEXT, contest TEXT);"
    "CREATE TABLE keys (id INTEGER PRIMARY KEY, request BLOB, request_hash BLOB UNIQUE);"
    "CREATE TABLE definitions (seq INTEGER PRIMARY KEY, definition BLOB, definition_hash BLOB,"
    " definition_sig BLOB);"
    "CREATE TABLE evidence (seq INTEGER PRIMARY KEY, hash BLOB UNIQUE, bytes BLOB, name BLOB);"
    "CREATE TABLE freezes (seq INTEGER PRIMARY KEY, keylist BLOB, keylist_hash BLOB UNIQUE);";

/* Reads folder/<hex><ext> of an event's subject. 0 read, 1 missing (a
 * difference), -1 error. */
static int subject_file(bundle *bd, const bev *x, const char *folder, const char *ext, size_t max,
                        uint8_t **buf, size_t *len, ct_err *e)
{
    char hex[PR_HASH_HEX + 1], name[PR_HASH_HEX + 300], sub[4200];
    int k;

    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    snprintf(name, sizeof name, "%s%s", hex, ext);
    if (join(sub, sizeof sub, bd->dir, folder) != 0) {
        ct_err_set(e, CT_EXIT_IO, bd->dir, "path too long");
        return -1;
    }
    k = read_in(sub, name, max, buf, len, e);
    if (k == 1)
        bdiff(bd, "event %lld (%s): %s/%s is missing from the bundle", (long long)x->seq, x->kind,
              folder, name);
    return k;
}

static int exec_sql(sqlite3 *q, const char *sql, ct_err *e)
{
    char *msg = NULL;
    int rc = 0;

    if (sqlite3_exec(q, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ct_err_set(e, CT_EXIT_IO, "bundle", "database: %s", msg != NULL ? msg : "error");
        rc = -1;
    }
    sqlite3_free(msg);
    return rc;
}

/* Inserts (a, b, c, d) blobs/texts by a prepared statement. */
static int put_row(sqlite3 *q, const char *sql, int64_t seq, const void *b1, size_t n1, const void *b2,
                   size_t n2, const void *b3, size_t n3, ct_err *e)
{
    sqlite3_stmt *s = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(q, sql, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(s, 1, (sqlite3_int64)seq) != SQLITE_OK ||
        ct_bind_blob(s, 2, b1, n1) != SQLITE_OK ||
        (b2 != NULL && ct_bind_blob(s, 3, b2, n2) != SQLITE_OK) ||
        (b3 != NULL && ct_bind_blob(s, 4, b3, n3) != SQLITE_OK) || sqlite3_step(s) != SQLITE_DONE) {
        ct_err_set(e, CT_EXIT_IO, "bundle", "database: %s", sqlite3_errmsg(q));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Marks a file of the bundle as named by an event (the rest are listed). */
typedef struct seen {
    size_t n, cap;
    char **names;
} seen;

static void seen_add(seen *s, const char *folder, const char *name)
{
    char buf[512], **g;

    snprintf(buf, sizeof buf, "%s/%s", folder, name);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        g = realloc(s->names, s->cap * sizeof *g);
        if (g == NULL)
            return;
        s->names = g;
    }
    s->names[s->n] = strdup(buf);
    if (s->names[s->n] != NULL)
        s->n++;
}

static int seen_has(const seen *s, const char *folder, const char *name)
{
    char buf[512];
    size_t i;

    snprintf(buf, sizeof buf, "%s/%s", folder, name);
    for (i = 0; i < s->n; i++)
        if (strcmp(s->names[i], buf) == 0)
            return 1;
    return 0;
}

static void seen_free(seen *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->names[i]);
    free(s->names);
}

static void subject_name(const bev *x, const char *ext, char *out, size_t n)
{
    char hex[PR_HASH_HEX + 1];

    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    snprintf(out, n, "%s%s", hex, ext);
}

/* Files of folder that no event names: each a difference. */
static void unnamed(bundle *bd, const seen *s, const char *folder)
{
    char sub[4200];
    struct dirent *de;
    DIR *d;

    if (join(sub, sizeof sub, bd->dir, folder) != 0 || (d = opendir(sub)) == NULL)
        return;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && !seen_has(s, folder, de->d_name))
            bdiff(bd, "%s/%s: no event of events.txt names this file", folder, de->d_name);
    closedir(d);
}

/* Loads the bundle at bd->dir into a new database at dbpath with the
 * tables the audit replay reads. Differences found on the way are printed
 * and counted in bd->diffs. 0, or -1 with e (unreadable). */
static int bundle_load(bundle *bd, const char *dbpath, ct_err *e)
{
    static const char ins_event[] =
        "INSERT INTO events (seq, kind, time, subject, verdict, codes, data, prev_hash, hash)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    sqlite3 *q = NULL;
    sqlite3_stmt *s = NULL;
    uint8_t *buf = NULL, *sig = NULL, prev[PR_HASH_BYTES];
    size_t len = 0, siglen = 0, i;
    cm_definition *def = NULL;
    pr_return *r = NULL;
    pr_diag d;
    seen sn;
    char name[PR_HASH_HEX + 64], mode[16] = "live";
    int k, rc = -1, have_meta = 0;

    memset(&sn, 0, sizeof sn);
    memset(&d, 0, sizeof d);
    memset(prev, 0, sizeof prev);
    r = malloc(sizeof *r);
    if (r == NULL) {
        ct_err_set(e, CT_EXIT_IO, "bundle", "out of memory");
        goto out;
    }
    k = read_in(bd->dir, "events.txt", EVENTS_MAX, &buf, &len, e);
    if (k != 0) {
        if (k == 1)
            ct_err_set(e, CT_EXIT_IO, bd->dir, "no events.txt: not a bundle");
        goto out;
    }
    if (parse_events(bd, buf, len, e) != 0)
        goto out;
    free(buf);
    buf = NULL;
    k = read_in(bd->dir, "commission.pub", PR_FILE_MAX, &buf, &len, e);
    if (k < 0)
        goto out;
    if (k == 1 || pr_pubkey_parse(PR_KEY_COMMISSION, buf, len, bd->commission_pk, &d) != 0)
        bdiff(bd, "commission.pub: missing or not a commission public key");
    else
        bd->has_commission_pk = 1;
    free(buf);
    buf = NULL;
    if (sqlite3_open_v2(dbpath, &q, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
        exec_sql(q, bundle_schema, e) != 0 || exec_sql(q, "BEGIN", e) != 0) {
        if (e->why[0] == '\0')
            ct_err_set(e, CT_EXIT_IO, dbpath, "cannot create the bundle's database");
        goto out;
    }
    if (sqlite3_prepare_v2(q, ins_event, -1, &s, NULL) != SQLITE_OK) {
        ct_err_set(e, CT_EXIT_IO, dbpath, "database: %s", sqlite3_errmsg(q));
        goto out;
    }
    for (i = 0; i < bd->n_ev; i++) {
        bev *x = &bd->ev[i];
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (sqlite3_bind_int64(s, 1, (sqlite3_int64)x->seq) != SQLITE_OK ||
            ct_bind_text(s, 2, x->kind) != SQLITE_OK || ct_bind_text(s, 3, x->time) != SQLITE_OK ||
            (x->has_subject ? ct_bind_blob(s, 4, x->subject, PR_HASH_BYTES)
                            : sqlite3_bind_null(s, 4)) != SQLITE_OK ||
            ct_bind_text(s, 5, x->verdict) != SQLITE_OK || ct_bind_text(s, 6, x->codes) != SQLITE_OK ||
            ct_bind_text(s, 7, x->data) != SQLITE_OK ||
            ct_bind_blob(s, 8, prev, PR_HASH_BYTES) != SQLITE_OK ||
            ct_bind_blob(s, 9, x->hash, PR_HASH_BYTES) != SQLITE_OK) {
            ct_err_set(e, CT_EXIT_IO, dbpath, "database: %s", sqlite3_errmsg(q));
            goto out;
        }
        if (sqlite3_step(s) != SQLITE_DONE) {
            /* Two events of one seq: the chain check names it. */
            bdiff(bd, "events.txt: event %lld appears twice", (long long)x->seq);
            continue;
        }
        memcpy(prev, x->hash, PR_HASH_BYTES);
        if (!x->has_subject)
            continue;
        if (strcmp(x->kind, CT_EV_INIT) == 0 || strcmp(x->kind, CT_EV_AMEND) == 0) {
            subject_name(x, ".json", name, sizeof name);
            k = subject_file(bd, x, "definition", ".json", CM_DEFINITION_MAX, &buf, &len, e);
            if (k < 0)
                goto out;
            if (k == 1)
                continue;
            seen_add(&sn, "definition", name);
            subject_name(x, ".json.sig", name, sizeof name);
            k = subject_file(bd, x, "definition", ".json.sig", PR_FILE_MAX, &sig, &siglen, e);
            if (k < 0)
                goto out;
            if (k == 0)
                seen_add(&sn, "definition", name);
            if (strcmp(x->kind, CT_EV_INIT) == 0 && x->seq == 1) {
                data_word(x->data, "mode", mode, sizeof mode);
                data_word(x->data, "scope", bd->scope, sizeof bd->scope);
                if (cm_definition_load(buf, len, &def, &d) == 0)
                    snprintf(bd->election, sizeof bd->election, "%s", def->id);
                if (put_row(q,
                            "INSERT INTO meta (one, definition, definition_sig, commission_pk)"
                            " VALUES (?1, ?2, ?3, ?4)",
                            1, buf, len, sig != NULL ? sig : (const uint8_t *)"", siglen,
                            bd->commission_pk, PR_PK_BYTES, e) != 0)
                    goto out;
                {
                    sqlite3_stmt *m = NULL;
                    int ok = sqlite3_prepare_v2(q, "UPDATE meta SET mode = ?1, election = ?2", -1, &m,
                                                NULL) == SQLITE_OK &&
                             ct_bind_text(m, 1, mode) == SQLITE_OK &&
                             ct_bind_text(m, 2, bd->election) == SQLITE_OK &&
                             sqlite3_step(m) == SQLITE_DONE;
                    sqlite3_finalize(m);
                    if (!ok) {
                        ct_err_set(e, CT_EXIT_IO, dbpath, "database: %s", sqlite3_errmsg(q));
                        goto out;
                    }
                }
                have_meta = 1;
            } else if (strcmp(x->kind, CT_EV_AMEND) == 0 &&
                       put_row(q,
                               "INSERT INTO definitions (seq, definition, definition_sig,"
                               " definition_hash) VALUES (?1, ?2, ?3, ?4)",
                               x->seq, buf, len, sig != NULL ? sig : (const uint8_t *)"", siglen,
                               x->subject, PR_HASH_BYTES, e) != 0) {
                goto out;
            }
        } else if (strcmp(x->kind, CT_EV_ENROL) == 0 || strcmp(x->kind, CT_EV_REVOKE) == 0) {
            subject_name(x, ".req", name, sizeof name);
            k = subject_file(bd, x, "keys", ".req", PR_FILE_MAX, &buf, &len, e);
            if (k < 0)
                goto out;
            if (k == 0) {
                seen_add(&sn, "keys", name);
                if (strcmp(x->kind, CT_EV_ENROL) == 0 &&
                    put_row(q, "INSERT OR IGNORE INTO keys (id, request, request_hash) VALUES (?1, ?2, ?3)",
                            x->seq, buf, len, x->subject, PR_HASH_BYTES, NULL, 0, e) != 0)
                    goto out;
            }
        } else if (strcmp(x->kind, CT_EV_EVIDENCE) == 0 || strcmp(x->kind, CT_EV_FREEZE) == 0) {
            int ev = strcmp(x->kind, CT_EV_EVIDENCE) == 0;
            char nm[PR_HASH_HEX + 200];
            subject_name(x, ev ? "" : ".keylist", name, sizeof name);
            k = subject_file(bd, x, ev ? "evidence" : "keys", ev ? "" : ".keylist",
                             ev ? PR_EVIDENCE_SCAN_MAX : PR_KEYLIST_MAX, &buf, &len, e);
            if (k < 0)
                goto out;
            if (k == 1)
                continue;
            seen_add(&sn, ev ? "evidence" : "keys", name);
            snprintf(nm, sizeof nm, "evidence/%s", name);
            if (put_row(q,
                        ev ? "INSERT OR IGNORE INTO evidence (seq, bytes, hash, name) VALUES (?1, ?2, ?3, ?4)"
                           : "INSERT OR IGNORE INTO freezes (seq, keylist, keylist_hash) VALUES (?1, ?2, ?3)",
                        x->seq, buf, len, x->subject, PR_HASH_BYTES, ev ? nm : NULL,
                        ev ? strlen(nm) : 0, e) != 0)
                goto out;
        } else if (strcmp(x->kind, CT_EV_IMPORT) == 0) {
            char pc[2][PR_ID_MAX + 1] = {"-", "-"};
            subject_name(x, ".return", name, sizeof name);
            k = subject_file(bd, x, "returns", ".return", CT_KEEP_MAX, &buf, &len, e);
            if (k < 0)
                goto out;
            if (k == 1)
                continue;
            seen_add(&sn, "returns", name);
            if (len <= PR_FILE_MAX && pr_return_parse(buf, len, r, &d) == 0) {
                snprintf(pc[0], sizeof pc[0], "%s", r->precinct);
                snprintf(pc[1], sizeof pc[1], "%s", r->contest);
            }
            {
                sqlite3_stmt *f = NULL;
                char fname[PR_HASH_HEX + 200];
                snprintf(fname, sizeof fname, "returns/%s", name);
                if (sqlite3_prepare_v2(q,
                                       "INSERT OR IGNORE INTO files (hash, size, bytes, name, precinct,"
                                       " contest) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                       -1, &f, NULL) != SQLITE_OK ||
                    ct_bind_blob(f, 1, x->subject, PR_HASH_BYTES) != SQLITE_OK ||
                    sqlite3_bind_int64(f, 2, (sqlite3_int64)len) != SQLITE_OK ||
                    ct_bind_blob(f, 3, buf, len) != SQLITE_OK ||
                    ct_bind_blob(f, 4, fname, strlen(fname)) != SQLITE_OK ||
                    ct_bind_text(f, 5, pc[0]) != SQLITE_OK || ct_bind_text(f, 6, pc[1]) != SQLITE_OK ||
                    sqlite3_step(f) != SQLITE_DONE) {
                    ct_err_set(e, CT_EXIT_IO, dbpath, "database: %s", sqlite3_errmsg(q));
                    sqlite3_finalize(f);
                    goto out;
                }
                sqlite3_finalize(f);
            }
        }
        free(buf);
        buf = NULL;
        free(sig);
        sig = NULL;
        siglen = 0;
    }
    if (!have_meta)
        bdiff(bd, "event 1: no init event with its definition: nothing can be replayed");
    if (exec_sql(q, "COMMIT", e) != 0)
        goto out;
    unnamed(bd, &sn, "definition");
    unnamed(bd, &sn, "keys");
    unnamed(bd, &sn, "returns");
    unnamed(bd, &sn, "evidence");
    rc = 0;
out:
    cm_definition_free(def);
    free(r);
    free(buf);
    free(sig);
    seen_free(&sn);
    sqlite3_finalize(s);
    sqlite3_close(q);
    return rc;
}

/* The hash chain of the loaded bundle: 0 intact, 1 broken at *bad. */
static int bundle_chain(const char *dbpath, int64_t *bad, ct_err *e)
{
    ct_db raw;
    int k;

    memset(&raw, 0, sizeof raw);
    snprintf(raw.path, sizeof raw.path, "%s", dbpath);
    if (sqlite3_open_v2(dbpath, &raw.sql, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        ct_err_set(e, CT_EXIT_IO, dbpath, "cannot be read");
        sqlite3_close(raw.sql);
        return -1;
    }
    k = ct_events_verify(&raw, bad, e);
    sqlite3_close(raw.sql);
    return k;
}

/* ---- audit --bundle --------------------------------------------------------- */

typedef struct after_ctx {
    bundle *bd;
    uint8_t pk[PR_PK_BYTES];
} after_ctx;

/* An event of the replay: its kind, subject, verdict, codes, hash. 1
 * found, 0 not. */
static int replay_event(sqlite3 *q, uint64_t seq, char *kind, size_t kl, uint8_t *subject,
                        char *verdict, size_t vl, char *codes, size_t cl, uint8_t *hash)
{
    sqlite3_stmt *s = NULL;
    int found = 0;

    if (sqlite3_prepare_v2(q, "SELECT kind, subject, verdict, codes, hash FROM events WHERE seq = ?1",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_bind_int64(s, 1, (sqlite3_int64)seq) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
        ct_col_text(s, 0, kind, kl);
        if (ct_col_blob(s, 1, subject, PR_HASH_BYTES) != 0)
            memset(subject, 0, PR_HASH_BYTES);
        ct_col_text(s, 2, verdict, vl);
        ct_col_text(s, 3, codes, cl);
        found = ct_col_blob(s, 4, hash, PR_HASH_BYTES) == 0;
    }
    sqlite3_finalize(s);
    return found;
}

/* Every receipt against the replay: signed with PUB, for the file it is
 * named after, and naming its import event with that verdict and hash. */
static void check_receipts(after_ctx *c, sqlite3 *q, FILE *out, long *diffs)
{
    char sub[4200], kind[32], verdict[64], codes[1024], hex[PR_HASH_HEX + 1];
    uint8_t subject[PR_HASH_BYTES], hash[PR_HASH_BYTES], *buf = NULL;
    struct dirent *de;
    size_t len = 0;
    pr_receipt r;
    pr_diag d;
    ct_err e;
    DIR *dh;

    if (join(sub, sizeof sub, c->bd->dir, "receipts") != 0 || (dh = opendir(sub)) == NULL)
        return;
    while ((de = readdir(dh)) != NULL) {
        const char *n = de->d_name;
        if (n[0] == '.')
            continue;
        memset(&d, 0, sizeof d);
        free(buf);
        buf = NULL;
        if (read_in(sub, n, PR_FILE_MAX, &buf, &len, &e) != 0 || pr_receipt_parse(buf, len, &r, &d) != 0) {
            fprintf(out, "difference: receipts/%s: not a receipt (line %u: %s)\n", n, d.line, d.msg);
            (*diffs)++;
            continue;
        }
        if (pr_receipt_verify(buf, &r, c->pk, &d) != 0) {
            fprintf(out, "difference: receipts/%s: %s\n", n, d.msg);
            (*diffs)++;
            continue;
        }
        pr_hex_encode(hex, r.file, PR_HASH_BYTES);
        if (strlen(n) != 8 + PR_HASH_HEX + 4 || strncmp(n + 8, hex, PR_HASH_HEX) != 0) {
            fprintf(out, "difference: receipts/%s: is the receipt of file %s\n", n, hex);
            (*diffs)++;
        }
        if (!replay_event(q, r.seq, kind, sizeof kind, subject, verdict, sizeof verdict, codes,
                          sizeof codes, hash) ||
            strcmp(kind, CT_EV_IMPORT) != 0 || memcmp(subject, r.file, PR_HASH_BYTES) != 0) {
            fprintf(out, "difference: receipts/%s: event %llu of the replay did not store this file\n",
                    n, (unsigned long long)r.seq);
            (*diffs)++;
            continue;
        }
        if (memcmp(hash, r.head, PR_HASH_BYTES) != 0) {
            fprintf(out, "difference: receipts/%s: event %llu has another hash than the one signed\n",
                    n, (unsigned long long)r.seq);
            (*diffs)++;
        }
        if (strcmp(verdict, r.verdict) != 0 || strcmp(codes, r.codes) != 0) {
            fprintf(out, "difference: receipts/%s: verdict %s %s signed, %s %s on replay\n", n,
                    r.verdict, r.codes[0] ? r.codes : "-", verdict, codes[0] ? codes : "-");
            (*diffs)++;
        }
    }
    free(buf);
    closedir(dh);
}

/* Compares a signed tally with the sums of report r under area top. Each
 * difference is one line starting with `lead`, naming who signed it.
 * Returns the number of lines. */
static long compare_tally(const cm_definition *def, const ct_report *r, const pr_tally *t,
                          const char *lead, const char *who, const char *here, FILE *out)
{
    pr_tally mine;
    size_t top = cm_find_area(def, t->area), i, j, k;
    long n = 0;

    memset(&mine, 0, sizeof mine);
    if (top == NONE) {
        fprintf(out, "%s: %s's signed tally is for area %s, which the definition does not have\n",
                lead, who, t->area);
        return 1;
    }
    if (sums_under(def, r, top, &mine) != 0) {
        fprintf(out, "%s: %s: the sums %s overflow\n", lead, who, here);
        return 1;
    }
    for (i = 0; i < t->n_contests; i++) {
        const pr_tally_contest *a = &t->contests[i], *b = NULL;
        for (j = 0; j < mine.n_contests; j++)
            if (strcmp(mine.contests[j].id, a->id) == 0)
                b = &mine.contests[j];
        if (b == NULL) {
            fprintf(out, "%s: %s contest %s: in %s's signed tally, no precinct of %s takes part %s\n",
                    lead, who, a->id, who, t->area, here);
            n++;
            continue;
        }
        if (a->in_tally != b->in_tally)
            fprintf(out, "%s: %s contest %s: %llu precincts in %s's signed tally, %llu %s\n", lead,
                    who, a->id, (unsigned long long)a->in_tally, who,
                    (unsigned long long)b->in_tally, here),
                n++;
        for (k = 0; k < a->n_lines; k++) {
            size_t m;
            for (m = 0; m < b->n_lines && strcmp(b->line_ids[m], a->line_ids[k]) != 0; m++)
                ;
            if (m == b->n_lines)
                fprintf(out, "%s: %s contest %s: line %s is not in the contest's protocol\n", lead,
                        who, a->id, a->line_ids[k]),
                    n++;
            else if (a->lines[k] != b->lines[m])
                fprintf(out, "%s: %s contest %s: %s is %llu in %s's signed tally, %llu %s\n", lead,
                        who, a->id, a->line_ids[k], (unsigned long long)a->lines[k], who,
                        (unsigned long long)b->lines[m], here),
                    n++;
        }
        for (k = 0; k < a->n_votes; k++) {
            size_t m;
            for (m = 0; m < b->n_votes && strcmp(b->candidate_ids[m], a->candidate_ids[k]) != 0; m++)
                ;
            if (m == b->n_votes)
                fprintf(out, "%s: %s contest %s: candidate %s is not in the contest\n", lead, who,
                        a->id, a->candidate_ids[k]),
                    n++;
            else if (a->votes[k] != b->votes[m])
                fprintf(out, "%s: %s contest %s: votes for %s are %llu in %s's signed tally, %llu %s\n",
                        lead, who, a->id, a->candidate_ids[k], (unsigned long long)a->votes[k], who,
                        (unsigned long long)b->votes[m], here),
                    n++;
        }
    }
    for (j = 0; j < mine.n_contests; j++) {
        for (i = 0; i < t->n_contests && strcmp(t->contests[i].id, mine.contests[j].id) != 0; i++)
            ;
        if (i == t->n_contests)
            fprintf(out, "%s: %s contest %s: missing from %s's signed tally\n", lead, who,
                    mine.contests[j].id, who),
                n++;
    }
    pr_tally_free(&mine);
    return n;
}

/* Reads and checks tally.txt of a bundle with pk: *t filled. 0 ok, 1
 * absent, -1 bad (the reason in why). */
static int read_tally(const char *dir, const uint8_t *pk, pr_tally *t, char *why, size_t wl)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d;
    ct_err e;
    int k, rc = -1;

    memset(&d, 0, sizeof d);
    memset(t, 0, sizeof *t);
    k = read_in(dir, "tally.txt", PR_TALLY_FILE_MAX, &buf, &len, &e);
    if (k == 1) {
        rc = 1;
        goto out;
    }
    if (k != 0) {
        snprintf(why, wl, "tally.txt: %.240s", e.why);
        goto out;
    }
    if (pr_tally_parse(buf, len, t, &d) != 0) {
        snprintf(why, wl, "tally.txt: line %u: %s", d.line, d.msg);
        goto out;
    }
    if (pr_tally_verify(buf, t, pk, &d) != 0) {
        snprintf(why, wl, "tally.txt: %s", d.msg);
        goto out;
    }
    rc = 0;
out:
    /* Only a good tally goes back to the caller (ASan: a refused one was
     * leaked). */
    if (rc != 0)
        pr_tally_free(t);
    free(buf);
    return rc;
}

static void bundle_after(void *vctx, const char *replay, FILE *out, long *diffs)
{
    after_ctx *c = vctx;
    char why[300], kind[32], verdict[64], codes[1024];
    uint8_t subject[PR_HASH_BYTES], hash[PR_HASH_BYTES];
    sqlite3 *q = NULL;
    ct_db *db = NULL;
    ct_report r;
    pr_tally t;
    ct_err e;
    long n;
    int k;

    memset(&r, 0, sizeof r);
    *diffs += c->bd->diffs; /* found while loading */
    if (sqlite3_open_v2(replay, &q, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(out, "difference: the replay cannot be read\n");
        (*diffs)++;
        goto out;
    }
    check_receipts(c, q, out, diffs);
    k = read_tally(c->bd->dir, c->pk, &t, why, sizeof why);
    if (k == 1) {
        fprintf(out, "audit: no tally.txt in the bundle (exported without --checkpoint-key)\n");
        goto out;
    }
    if (k < 0) {
        fprintf(out, "difference: %s\n", why);
        (*diffs)++;
        goto out;
    }
    if (!replay_event(q, t.seq, kind, sizeof kind, subject, verdict, sizeof verdict, codes,
                      sizeof codes, hash) ||
        memcmp(hash, t.head, PR_HASH_BYTES) != 0) {
        fprintf(out, "difference: tally.txt: signed at event %llu, which the replay does not have "
                     "with that hash\n",
                (unsigned long long)t.seq);
        (*diffs)++;
    } else if (ct_db_open(replay, 1, &db, &e) != 0 ||
               ct_report_build(db, (int64_t)t.seq, 1, &r, &e) != 0) {
        fprintf(out, "difference: tally.txt: the replay's tally cannot be computed: %s\n", e.why);
        (*diffs)++;
    } else {
        n = compare_tally(db->def, &r, &t, "difference", "tally.txt", "on replay", out);
        *diffs += n;
        ct_report_free(&r);
    }
    pr_tally_free(&t);
out:
    ct_db_close(db);
    sqlite3_close(q);
}

int ct_bundle_audit(const char *dir, const char *pub, const char *cpdir, FILE *out, FILE *err)
{
    char tmp[512] = "", dbpath[700], cps[4200];
    ct_audit_opts o;
    after_ctx c;
    bundle bd;
    ct_err e;
    struct stat sb;
    int code = CT_EXIT_IO;

    memset(&bd, 0, sizeof bd);
    memset(&c, 0, sizeof c);
    memset(&e, 0, sizeof e);
    bd.dir = dir;
    bd.out = out;
    c.bd = &bd;
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "audit", "libsodium failed to initialise");
        goto fail;
    }
    if (load_pub(pub, c.pk, &e) != 0)
        goto fail;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ct_err_set(&e, CT_EXIT_IO, dir, "not a bundle folder");
        goto fail;
    }
    if (temp_dir(tmp, sizeof tmp, "bundle", &e) != 0)
        goto fail;
    snprintf(dbpath, sizeof dbpath, "%s/bundle.db", tmp);
    if (bundle_load(&bd, dbpath, &e) != 0)
        goto fail;
    if (bd.has_commission_pk && memcmp(bd.commission_pk, c.pk, PR_PK_BYTES) != 0)
        bdiff(&bd, "commission.pub: not the commission key given on the command line (%s)", pub);
    memset(&o, 0, sizeof o);
    o.stored = dbpath;
    o.pub = pub;
    o.events_only = 1;
    o.after = bundle_after;
    o.ctx = &c;
    /* The bundle's own checkpoints unless others are given. */
    if (cpdir == NULL && join(cps, sizeof cps, dir, "checkpoints") == 0 && stat(cps, &sb) == 0 &&
        S_ISDIR(sb.st_mode))
        cpdir = cps;
    o.checkpoints = cpdir;
    code = ct_audit_run(&o, out, err);
    if (code < CT_EXIT_USAGE && bd.diffs > 0)
        code = ct_exit_max(code, CT_EXIT_FAIL);
    goto out;
fail:
    ct_err_print(&e, err);
    code = e.code ? e.code : CT_EXIT_IO;
out:
    bundle_free(&bd);
    if (tmp[0] != '\0')
        rm_tree(tmp);
    return code;
}

/* ---- import --bundle ---------------------------------------------------------- */

/* Runs a command on the database with its output on out and errors on err. */
static int run_cmd(int (*cmd)(int, char **, FILE *, FILE *), int argc, char **argv, FILE *out,
                   FILE *err)
{
    return cmd(argc, argv, out, err);
}

/* Imports one stored file of the bundle through the normal import, and
 * compares this database's verdict with the lower level's. */
static int import_one(const char *dbpath, bundle *bd, const bev *x, const char *level,
                      const ct_import_opts *o, FILE *out, int *code, ct_err *e)
{
    char hex[PR_HASH_HEX + 1], sub[4200], name[PR_HASH_HEX + 16], path[4400], codes[1024];
    uint8_t *buf = NULL, h[PR_HASH_BYTES];
    size_t len = 0;
    ct_item_result res;
    ct_input in;
    ct_db *db = NULL;
    int k, rc = -1;

    memset(&in, 0, sizeof in);
    memset(&res, 0, sizeof res);
    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    snprintf(name, sizeof name, "%s.return", hex);
    if (join(sub, sizeof sub, bd->dir, "returns") != 0 || join(path, sizeof path, sub, name) != 0) {
        ct_err_set(e, CT_EXIT_IO, bd->dir, "path too long");
        goto out;
    }
    k = read_in(sub, name, CT_KEEP_MAX, &buf, &len, e);
    if (k < 0)
        goto out;
    if (k == 1) {
        fprintf(out, "mismatch: %s: event %lld stored %s, which is missing from the bundle\n", level,
                (long long)x->seq, name);
        *code = ct_exit_max(*code, CT_EXIT_FAIL);
        rc = 0;
        goto out;
    }
    pr_hash(h, buf, len);
    if (len <= PR_FILE_MAX && memcmp(h, x->subject, PR_HASH_BYTES) != 0) {
        /* Imported as it is (every file given is stored), and said. */
        fprintf(out, "mismatch: %s: returns/%s does not hash to its name: altered in the bundle\n",
                level, name);
        *code = ct_exit_max(*code, CT_EXIT_FAIL);
    }
    in.name = strdup(path);
    in.bytes = buf;
    in.len = len;
    in.size = len;
    buf = NULL;
    memcpy(in.hash, len <= PR_FILE_MAX ? h : x->subject, PR_HASH_BYTES);
    if (in.name == NULL) {
        ct_err_set(e, CT_EXIT_IO, "import", "out of memory");
        goto out;
    }
    if (ct_db_open(dbpath, 0, &db, e) != 0 || ct_import_item(db, &in, &res, e) != 0)
        goto out;
    ct_print_item(out, o, in.name, &res);
    *code = ct_exit_max(*code, ct_verdict_exit(res.verdict));
    if (res.kind == CT_ITEM_STORED) {
        ct_codes_join(&res.codes, codes, sizeof codes);
        if (strcmp(ct_verdict_name(res.verdict), x->verdict) != 0 || strcmp(codes, x->codes) != 0) {
            fprintf(out, "differs: %s: %s decided %s %s, here %s %s\n", in.name, level, x->verdict,
                    x->codes[0] ? x->codes : "-", ct_verdict_name(res.verdict),
                    codes[0] ? codes : "-");
            *code = ct_exit_max(*code, CT_EXIT_FAIL);
        }
        if (ct_redecide(db, in.hash, NULL, o, out, e) != 0)
            goto out;
    }
    rc = 0;
out:
    ct_db_close(db);
    ct_input_free(&in);
    free(buf);
    return rc;
}

/* Stores a scan of a paper protocol the lower level stored, through this
 * database's own evidence import (a return stored here must name it). */
static int evidence_one(const char *dbpath, bundle *bd, const bev *x, FILE *out, int *code, ct_err *e)
{
    static const char *const kinds[] = {"stored", "duplicate", "refused not-named",
                                        "refused empty", "refused too-large"};
    char hex[PR_HASH_HEX + 1], sub[4200], path[4400];
    uint8_t *buf = NULL;
    size_t len = 0;
    ct_scan_result res;
    ct_db *db = NULL;
    int k, rc = -1;

    memset(&res, 0, sizeof res);
    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    if (join(sub, sizeof sub, bd->dir, "evidence") != 0 || join(path, sizeof path, sub, hex) != 0) {
        ct_err_set(e, CT_EXIT_IO, bd->dir, "path too long");
        goto out;
    }
    k = read_in(sub, hex, PR_EVIDENCE_SCAN_MAX, &buf, &len, e);
    if (k < 0)
        goto out;
    if (k == 1) {
        fprintf(out, "mismatch: %s: event %lld stored scan evidence/%s, missing from the bundle\n",
                bd->scope, (long long)x->seq, hex);
        *code = ct_exit_max(*code, CT_EXIT_FAIL);
        rc = 0;
        goto out;
    }
    if (ct_db_open(dbpath, 0, &db, e) != 0 ||
        ct_evidence_import_item(db, path, buf, len, &res, e) != 0)
        goto out;
    fprintf(out, "%s %s\n", kinds[res.kind], path);
    if (res.kind != CT_SCAN_STORED && res.kind != CT_SCAN_DUPLICATE)
        *code = ct_exit_max(*code, CT_EXIT_FAIL);
    rc = 0;
out:
    ct_db_close(db);
    free(buf);
    return rc;
}

/* 1 when the database already holds the enrolment request of this hash. */
static int has_request(const char *dbpath, const uint8_t *hash)
{
    sqlite3 *q = NULL;
    sqlite3_stmt *s = NULL;
    int found = 0;

    if (sqlite3_open_v2(dbpath, &q, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(q, "SELECT 1 FROM keys WHERE request_hash = ?1", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_bind_blob(s, 1, hash, PR_HASH_BYTES, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        found = 1;
    sqlite3_finalize(s);
    sqlite3_close(q);
    return found;
}

/* Replays one decision of the lower level (revoke, resolve, excuse) here,
 * recorded as decided by it. */
static int decide_one(const char *dbpath, bundle *bd, const bev *x, const char *level, FILE *out,
                      FILE *err)
{
    char ref[CT_DECISION_REF_MAX + 1], p[PR_ID_MAX + 1], c[PR_ID_MAX + 1], kid[PR_KEYID_HEX + 1];
    char by[PR_ID_MAX + 1], hex[PR_HASH_HEX + 1], opt[80], dbp[4200], codes[1024];
    const char *r = strstr(x->data, "decision ");

    snprintf(ref, sizeof ref, "%s", r != NULL ? r + 9 : "");
    data_word(x->data, "precinct", p, sizeof p);
    data_word(x->data, "contest", c, sizeof c);
    data_word(x->data, "key", kid, sizeof kid);
    /* A decision the lower level took over from a level below it keeps
     * naming who decided. */
    data_word(x->data, "by", by, sizeof by);
    if (by[0] == '\0')
        snprintf(by, sizeof by, "%s", level);
    pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
    snprintf(dbp, sizeof dbp, "%s", dbpath);
    snprintf(codes, sizeof codes, "%s", x->codes);
    (void)bd;
    if (strcmp(x->kind, CT_EV_REVOKE) == 0) {
        char *argv[] = {"revoke", "--db", dbp, "--key", kid, "--reason", codes,
                        "--decision", ref, "--by", by, NULL};
        return run_cmd(ct_cmd_revoke, 11, argv, out, err);
    }
    if (strcmp(x->kind, CT_EV_RESOLVE) == 0) {
        char *argv[] = {"resolve", "--db", dbp, "--precinct", p, "--contest", c, opt, hex,
                        "--decision", ref, "--by", by, NULL};
        snprintf(opt, sizeof opt, "--%s", x->verdict);
        return run_cmd(ct_cmd_resolve, 13, argv, out, err);
    }
    {
        char *argv[] = {"excuse", "--db", dbp, "--precinct", p, "--contest", c, "--reason",
                        codes, "--decision", ref, "--by", by, NULL};
        return run_cmd(ct_cmd_excuse, 13, argv, out, err);
    }
}

int ct_bundle_import(const char *dbpath, const char *dir, const char *lower_pub,
                     const ct_import_opts *o, FILE *out, FILE *err)
{
    char tmp[512] = "", bpath[700], why[300], hex[PR_HASH_HEX + 1], sub[4200], path[4400];
    uint8_t pk[PR_PK_BYTES];
    ct_db *db = NULL;
    ct_report r;
    pr_tally t;
    bundle bd;
    ct_err e;
    int64_t bad = 0;
    size_t i;
    long mism = 0;
    int k, code = CT_EXIT_OK, have_report = 0;

    memset(&bd, 0, sizeof bd);
    memset(&e, 0, sizeof e);
    memset(&t, 0, sizeof t);
    memset(&r, 0, sizeof r);
    bd.dir = dir;
    bd.out = out;
    if (load_pub(lower_pub, pk, &e) != 0 || temp_dir(tmp, sizeof tmp, "bundle", &e) != 0)
        goto fail;
    snprintf(bpath, sizeof bpath, "%s/bundle.db", tmp);
    /* The lower level's own files first: chain, key, signed tally. A bundle
     * that fails here is refused whole; nothing of it is imported. */
    if (bundle_load(&bd, bpath, &e) != 0)
        goto fail;
    if (bd.diffs > 0) {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "the bundle is incomplete (%ld difference%s above): nothing "
                                          "imported",
                   bd.diffs, bd.diffs == 1 ? "" : "s");
        goto fail;
    }
    k = bundle_chain(bpath, &bad, &e);
    if (k < 0)
        goto fail;
    if (k == 1) {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "events.txt: the hash chain is broken at event %lld: "
                                          "nothing imported",
                   (long long)bad);
        goto fail;
    }
    if (!bd.has_commission_pk || memcmp(bd.commission_pk, pk, PR_PK_BYTES) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "commission.pub is not the key given by --lower-pub: "
                                          "nothing imported");
        goto fail;
    }
    if (bd.scope[0] == '\0') {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "its commission has no scope (central init --scope): not "
                                          "a lower level; nothing imported");
        goto fail;
    }
    k = read_tally(dir, pk, &t, why, sizeof why);
    if (k != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "%s: nothing imported",
                   k == 1 ? "no signed tally.txt (export with --checkpoint-key)" : why);
        goto fail;
    }
    if (bd.n_ev == 0 || t.seq != (uint64_t)bd.ev[bd.n_ev - 1].seq ||
        memcmp(t.head, bd.ev[bd.n_ev - 1].hash, PR_HASH_BYTES) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "the signed tally is not of the last event of events.txt "
                                          "(events added or removed): nothing imported");
        goto fail;
    }
    if (strcmp(t.area, bd.scope) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "the signed tally is for area %s, the level's scope is %s: "
                                          "nothing imported",
                   t.area, bd.scope);
        goto fail;
    }
    /* One definition at every level. */
    if (ct_db_open(dbpath, 1, &db, &e) != 0)
        goto fail;
    if (bd.ev[0].seq != 1 || !bd.ev[0].has_subject || ct_db_version(db, bd.ev[0].subject) == NULL) {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "the bundle is of another definition than this database: "
                                          "nothing imported");
        goto fail;
    }
    if (strcmp(bd.election, db->election) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, dir, "the bundle is of election %s: nothing imported",
                   bd.election);
        goto fail;
    }
    ct_db_close(db);
    db = NULL;
    fprintf(out, "bundle %s: level %s, %zu events up to event %llu, tally signed by %s\n", dir,
            bd.scope, bd.n_ev, (unsigned long long)t.seq, lower_pub);
    /* The lower level's events, in its order. */
    for (i = 1; i < bd.n_ev; i++) {
        bev *x = &bd.ev[i];
        if (strcmp(x->kind, CT_EV_IMPORT) == 0) {
            if (import_one(dbpath, &bd, x, bd.scope, o, out, &code, &e) != 0)
                goto fail;
        } else if (strcmp(x->kind, CT_EV_ENROL) == 0) {
            pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
            if (join(sub, sizeof sub, dir, "keys") != 0 ||
                snprintf(path, sizeof path, "%s/%s.req", sub, hex) >= (int)sizeof path)
                continue;
            if (has_request(dbpath, x->subject)) {
                fprintf(out, "enrolled %s (already here)\n", path);
            } else {
                char dbp[4200];
                char *argv[] = {"enroll", "--db", dbp, path, NULL};
                snprintf(dbp, sizeof dbp, "%s", dbpath);
                code = ct_exit_max(code, run_cmd(ct_cmd_enroll, 4, argv, out, err));
            }
        } else if (strcmp(x->kind, CT_EV_REVOKE) == 0 || strcmp(x->kind, CT_EV_RESOLVE) == 0 ||
                   strcmp(x->kind, CT_EV_EXCUSE) == 0) {
            k = decide_one(dbpath, &bd, x, bd.scope, out, err);
            if (k != CT_EXIT_OK) {
                fprintf(out, "mismatch: %s: its decision of event %lld (%s) cannot be made here\n",
                        bd.scope, (long long)x->seq, x->kind);
                code = ct_exit_max(code, k == CT_EXIT_IO ? CT_EXIT_IO : CT_EXIT_FAIL);
            }
        } else if (strcmp(x->kind, CT_EV_AMEND) == 0) {
            /* The top commission amends its definition itself; a lower
             * level only follows. */
            if (ct_db_open(dbpath, 1, &db, &e) != 0)
                goto fail;
            if (ct_db_version(db, x->subject) == NULL) {
                pr_hex_encode(hex, x->subject, PR_HASH_BYTES);
                fprintf(out, "mismatch: %s: amended to definition %s, which is not amended here\n",
                        bd.scope, hex);
                code = ct_exit_max(code, CT_EXIT_FAIL);
            }
            ct_db_close(db);
            db = NULL;
        } else if (strcmp(x->kind, CT_EV_EVIDENCE) == 0) {
            if (evidence_one(dbpath, &bd, x, out, &code, &e) != 0)
                goto fail;
        } else if (strcmp(x->kind, CT_EV_FREEZE) == 0 || strcmp(x->kind, CT_EV_CERTIFY) == 0) {
            /* This commission freezes its own key list and certifies its
             * own contests; the lower level's are shown, not taken over. */
            fprintf(out, "note: %s: event %lld (%s %s) is the lower level's own, not taken over\n",
                    bd.scope, (long long)x->seq, x->kind, x->data);
        }
        /* redecide: follows here from the imports. */
    }
    /* The lower level's signed tally against the sum of its precincts here. */
    if (ct_db_open(dbpath, 1, &db, &e) != 0 || ct_report_build(db, 0, 1, &r, &e) != 0)
        goto fail;
    have_report = 1;
    {
        char who[PR_ID_MAX + 1];
        snprintf(who, sizeof who, "%s", bd.scope);
        mism = compare_tally(db->def, &r, &t, "mismatch", who, "from its precincts here", out);
    }
    fprintf(out, "bundle %s: level %s: %s\n", dir, bd.scope,
            mism == 0 ? "its signed tally equals the sum of its precincts here"
                      : "its signed tally differs from the sum of its precincts here");
    if (mism > 0)
        code = ct_exit_max(code, CT_EXIT_FAIL);
    goto out;
fail:
    ct_err_print(&e, err);
    code = ct_exit_max(code, e.code ? e.code : CT_EXIT_IO);
out:
    if (have_report)
        ct_report_free(&r);
    pr_tally_free(&t);
    ct_db_close(db);
    bundle_free(&bd);
    if (tmp[0] != '\0')
        rm_tree(tmp);
    return code;
}
