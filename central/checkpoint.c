/*
 * checkpoint.c: commission-signed checkpoints of the event chain, written
 * after every write command to a folder outside the database (atomically:
 * temp file, fsync, rename), and their check by `central audit`.
 */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "db.h"
#include "events.h"
#include "proto/codec.h"
#include "proto/keys.h"

int ct_checkpoint_counts(sqlite3 *db, int64_t seq, uint64_t counts[PR_CHECKPOINT_VERDICTS])
{
    /* A file's current verdict at seq is its newest decision up to seq. */
    static const char sql[] =
        "SELECT d.verdict, count(*) FROM decisions d"
        " WHERE d.seq = (SELECT max(x.seq) FROM decisions x WHERE x.file = d.file AND x.seq <= ?1)"
        " GROUP BY d.verdict";
    sqlite3_stmt *s = NULL;
    const char *v;
    size_t i;
    int rc = -1, step;

    memset(counts, 0, PR_CHECKPOINT_VERDICTS * sizeof counts[0]);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(s, 1, (sqlite3_int64)seq) != SQLITE_OK)
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        v = (const char *)sqlite3_column_text(s, 0);
        for (i = 0; v != NULL && i < PR_CHECKPOINT_VERDICTS; i++)
            if (strcmp(v, pr_checkpoint_verdicts[i]) == 0)
                counts[i] = (uint64_t)sqlite3_column_int64(s, 1);
    }
    if (step != SQLITE_DONE)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Writes buf to dir/name through a temporary file, fsync and rename; an
 * existing checkpoint of the same seq is kept (it names the same head).
 * 1 written, 0 already there, -1 with e. */
static int write_atomic(const char *dir, const char *name, const pr_buf *b, ct_err *e)
{
    char path[2048], tmp[2100];
    int fd = -1, rc = -1;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    if (access(path, F_OK) == 0) {
        rc = 0;
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd < 0 || write(fd, b->data, b->len) != (ssize_t)b->len || fsync(fd) != 0 ||
        close(fd) != 0 || rename(tmp, path) != 0) {
        ct_err_set(e, CT_EXIT_IO, path, "%s", strerror(errno));
        if (fd >= 0)
            (void)unlink(tmp);
        fd = -1;
        goto out;
    }
    fd = -1;
    rc = 1;
out:
    if (fd >= 0)
        (void)close(fd);
    return rc;
}

/* Signs and writes the checkpoint of the database's current head. */
static int write_checkpoint(ct_db *db, const uint8_t *sk, const char *dir, FILE *out, ct_err *e)
{
    pr_checkpoint cp;
    pr_buf b;
    pr_diag d;
    char name[64];
    int64_t seq = 0;
    int k, rc = -1;

    memset(&cp, 0, sizeof cp);
    pr_buf_init(&b, 16);
    if (ct_event_head(db, 0, &seq, cp.head, e) != 0)
        goto out;
    cp.seq = (uint64_t)seq;
    snprintf(cp.election, sizeof cp.election, "%s", db->election);
    cp.time = ct_now();
    if (ct_checkpoint_counts(db->sql, seq, cp.counts) != 0) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    if (pr_checkpoint_sign(&cp, sk, &b, &d) != 0) {
        ct_err_set(e, CT_EXIT_IO, "checkpoint", "%s", d.msg);
        goto out;
    }
    snprintf(name, sizeof name, "checkpoint-%lld.txt", (long long)seq);
    k = write_atomic(dir, name, &b, e);
    if (k < 0)
        goto out;
    fprintf(out, "checkpoint %s/%s%s\n", dir, name, k == 0 ? " (already written)" : "");
    rc = 0;
out:
    pr_buf_free(&b);
    return rc;
}

int ct_checkpoint_write(ct_db *db, const uint8_t *sk, const char *dir, FILE *out, ct_err *e)
{
    return write_checkpoint(db, sk, dir, out, e);
}

/* A receipt for every file stored by an event after `after` (the files
 * this run stored), with its import verdict and the event that stored it:
 * DIR/receipt-<file hash>.txt. */
static int write_receipts(ct_db *db, const uint8_t *sk, const char *dir, int64_t after, FILE *out,
                          ct_err *e)
{
    static const char sql[] =
        "SELECT seq, subject, verdict, codes, hash FROM events"
        " WHERE kind = 'import' AND seq > ?1 ORDER BY seq";
    sqlite3_stmt *s = NULL;
    pr_receipt r;
    pr_buf b;
    pr_diag d;
    char name[PR_HASH_HEX + 16], hex[PR_HASH_HEX + 1];
    int step, k, rc = -1;

    pr_buf_init(&b, 16);
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, after) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&r, 0, sizeof r);
        snprintf(r.election, sizeof r.election, "%s", db->election);
        r.seq = (uint64_t)sqlite3_column_int64(s, 0);
        ct_col_text(s, 2, r.verdict, sizeof r.verdict);
        ct_col_text(s, 3, r.codes, sizeof r.codes);
        r.time = ct_now();
        if (ct_col_blob(s, 1, r.file, PR_HASH_BYTES) != 0 ||
            ct_col_blob(s, 4, r.head, PR_HASH_BYTES) != 0 || pr_receipt_sign(&r, sk, &b, &d) != 0) {
            ct_err_set(e, CT_EXIT_IO, "receipt", "event %llu cannot be signed",
                       (unsigned long long)r.seq);
            goto out;
        }
        pr_hex_encode(hex, r.file, PR_HASH_BYTES);
        snprintf(name, sizeof name, "receipt-%s.txt", hex);
        k = write_atomic(dir, name, &b, e);
        pr_buf_free(&b);
        if (k < 0)
            goto out;
        fprintf(out, "receipt %s/%s\n", dir, name);
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    pr_buf_free(&b);
    sqlite3_finalize(s);
    return rc;
}

/* The head seq of the database at path, 0 when it cannot be read (the
 * command will then say why). */
static int64_t head_of(const char *path)
{
    ct_db *db = NULL;
    uint8_t h[PR_HASH_BYTES];
    int64_t seq = 0;
    ct_err e;

    if (ct_db_open(path, 1, &db, &e) != 0 || ct_event_head(db, 0, &seq, h, &e) != 0)
        seq = 0;
    ct_db_close(db);
    return seq;
}

/* After the command: the receipts (when asked) and the checkpoint, signed
 * with the commission key of this database only. */
static int sign_after(const char *dbpath, const char *key, int fd, const char *dir,
                      const char *receipts, int64_t before, FILE *out, ct_err *e)
{
    /* sodium_malloc needs libsodium initialised; commands that never touch
     * a signature themselves (excuse, resolve) have not done it. */
    uint8_t *sk = pr_init() == 0 ? sodium_malloc(PR_SK_BYTES) : NULL;
    ct_db *db = NULL;
    int rc = -1;

    if (sk == NULL) {
        ct_err_set(e, CT_EXIT_IO, key, "out of memory");
        goto out;
    }
    if (ct_load_commission_key(key, fd, sk, e) != 0 || ct_db_open(dbpath, 1, &db, e) != 0)
        goto out;
    if (sodium_memcmp(sk + 32, db->commission_pk, PR_PK_BYTES) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, key, "not the commission key of this database: nothing signed");
        goto out;
    }
    if ((receipts != NULL && write_receipts(db, sk, receipts, before, out, e) != 0) ||
        write_checkpoint(db, sk, dir, out, e) != 0)
        goto out;
    rc = 0;
out:
    ct_db_close(db);
    sodium_free(sk);
    return rc;
}

/* "--name value" or "--name=value" at argv[*i]: 1 with *value (and *i
 * moved past it), 0 when argv[*i] is not that option. */
static int take(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    int k = 0;

    if (strncmp(argv[*i], name, n) == 0) {
        if (argv[*i][n] == '=') {
            *value = argv[*i] + n + 1;
            k = 1;
        } else if (argv[*i][n] == '\0' && *i + 1 < argc) {
            *value = argv[++*i];
            k = 1;
        }
    }
    return k;
}

int ct_checkpoint_wrap(int (*run)(int, char **, FILE *, FILE *), int allow_receipts, int argc,
                       char **argv, FILE *out, FILE *err)
{
    const char *key = NULL, *dir = NULL, *fdtext = NULL, *db = NULL, *receipts = NULL, *v;
    int64_t before = 0;
    char **kept = calloc((size_t)argc + 1, sizeof *kept);
    long long fd = -1;
    ct_err e;
    int i, n = 0, code = CT_EXIT_IO, help = 0, ended = 0;

    memset(&e, 0, sizeof e);
    if (kept == NULL)
        goto out;
    for (i = 0; i < argc; i++) {
        if (!ended && strcmp(argv[i], "--") == 0)
            ended = 1;
        if (!ended && take(argc, argv, &i, "--checkpoint-key", &v))
            key = v;
        else if (!ended && take(argc, argv, &i, "--checkpoints", &v))
            dir = v;
        else if (!ended && take(argc, argv, &i, "--passphrase-fd", &v))
            fdtext = v;
        else if (!ended && allow_receipts && take(argc, argv, &i, "--receipts", &v))
            receipts = v;
        else {
            if (!ended && strcmp(argv[i], "--help") == 0)
                help = 1;
            if (!ended && i + 1 < argc && strcmp(argv[i], "--db") == 0)
                db = argv[i + 1];
            else if (!ended && strncmp(argv[i], "--db=", 5) == 0)
                db = argv[i] + 5;
            kept[n++] = argv[i];
        }
    }
    if ((key != NULL) != (dir != NULL) || (receipts != NULL && key == NULL) ||
        (fdtext != NULL && (key == NULL || ct_parse_uint(fdtext, 1 << 20, &fd) != 0))) {
        code = ct_usage_error(err, "usage: central <command> ... [--checkpoint-key KEY "
                                   "[--passphrase-fd N] --checkpoints DIR]\n",
                              "checkpoint",
                              "--checkpoint-key and --checkpoints go together; --passphrase-fd "
                              "and --receipts need them");
        goto out;
    }
    if (key != NULL && db != NULL)
        before = head_of(db);
    code = run(n, kept, out, err);
    if (help || code == CT_EXIT_USAGE || db == NULL)
        goto out;
    /* A run that ended on an unreadable input or a database error may
     * still have committed files: they get their receipts and the chain its
     * checkpoint (red team: one bad path lost every receipt of the run). */
    if (code == CT_EXIT_IO && (key == NULL || head_of(db) <= before))
        goto out;
    if (key == NULL) {
        fprintf(err, "central: checkpoint: no --checkpoint-key given: no checkpoint written\n");
        goto out;
    }
    if (sign_after(db, key, (int)fd, dir, receipts, before, out, &e) != 0) {
        ct_err_print(&e, err);
        code = ct_exit_max(code, e.code);
    }
out:
    free(kept);
    return code;
}

/* ---- audit ------------------------------------------------------------- */

/* The replay's event seq: its hash into h. 1 found, 0 not, -1 error. */
static int replay_event(sqlite3 *q, int64_t seq, uint8_t h[PR_HASH_BYTES])
{
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    if (sqlite3_prepare_v2(q, "SELECT hash FROM events WHERE seq = ?1", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(s, 1, (sqlite3_int64)seq) != SQLITE_OK)
        goto out;
    step = sqlite3_step(s);
    rc = 0;
    if (step == SQLITE_ROW && ct_col_blob(s, 0, h, PR_HASH_BYTES) == 0)
        rc = 1;
out:
    sqlite3_finalize(s);
    return rc;
}

static void one(sqlite3 *q, const char *election, const char *dir, const char *name,
                const uint8_t *pk, FILE *out, long *diffs, int64_t *newest)
{
    char path[2048];
    uint8_t *buf = NULL, h[PR_HASH_BYTES];
    uint64_t counts[PR_CHECKPOINT_VERDICTS];
    size_t len = 0, i;
    pr_checkpoint cp;
    pr_diag d;
    FILE *f;
    int k;

    memset(&d, 0, sizeof d);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    buf = malloc(PR_FILE_MAX + 1);
    f = fopen(path, "rb");
    if (buf != NULL && f != NULL)
        len = fread(buf, 1, PR_FILE_MAX + 1, f);
    if (f != NULL)
        fclose(f);
    if (buf == NULL || f == NULL || pr_checkpoint_parse(buf, len, &cp, &d) != 0) {
        fprintf(out, "difference: checkpoint %s: not a checkpoint (line %u: %s)\n", name, d.line, d.msg);
        (*diffs)++;
        goto out;
    }
    if (pr_checkpoint_verify(buf, &cp, pk, &d) != 0) {
        fprintf(out, "difference: checkpoint %s: %s\n", name, d.msg);
        (*diffs)++;
        goto out;
    }
    if ((int64_t)cp.seq > *newest)
        *newest = (int64_t)cp.seq;
    if (strcmp(cp.election, election) != 0) {
        fprintf(out, "difference: checkpoint %s: for election %s, not %s\n", name, cp.election,
                election);
        (*diffs)++;
    }
    k = replay_event(q, (int64_t)cp.seq, h);
    if (k == 0) {
        fprintf(out,
                "difference: checkpoint %s: signed event %llu is not in the log (events removed "
                "from its end)\n",
                name, (unsigned long long)cp.seq);
        (*diffs)++;
    } else if (k == 1 && memcmp(h, cp.head, PR_HASH_BYTES) != 0) {
        fprintf(out, "difference: checkpoint %s: event %llu has another hash than the one signed\n",
                name, (unsigned long long)cp.seq);
        (*diffs)++;
    }
    if (k == 1 && ct_checkpoint_counts(q, (int64_t)cp.seq, counts) == 0)
        for (i = 0; i < PR_CHECKPOINT_VERDICTS; i++)
            if (counts[i] != cp.counts[i]) {
                fprintf(out, "difference: checkpoint %s: %s count is %llu signed, %llu on replay\n",
                        name, pr_checkpoint_verdicts[i], (unsigned long long)cp.counts[i],
                        (unsigned long long)counts[i]);
                (*diffs)++;
            }
out:
    free(buf);
}

int ct_checkpoint_check(const char *replay, const char *election, const char *dir,
                        const char *pubpath, FILE *out, long *diffs, int64_t *newest, ct_err *e)
{
    uint8_t pk[PR_PK_BYTES], *buf = NULL;
    size_t len = 0;
    sqlite3 *q = NULL;
    struct dirent *de;
    pr_diag d;
    DIR *dh = NULL;
    FILE *f;
    int rc = -1;

    *newest = 0;
    buf = malloc(PR_FILE_MAX + 1);
    f = fopen(pubpath, "rb");
    if (buf != NULL && f != NULL)
        len = fread(buf, 1, PR_FILE_MAX + 1, f);
    if (f != NULL)
        fclose(f);
    if (buf == NULL || f == NULL || pr_pubkey_parse(PR_KEY_COMMISSION, buf, len, pk, &d) != 0) {
        ct_err_set(e, CT_EXIT_IO, pubpath, "not a readable commission public key");
        goto out;
    }
    dh = opendir(dir);
    if (dh == NULL) {
        ct_err_set(e, CT_EXIT_IO, dir, "%s", strerror(errno));
        goto out;
    }
    if (sqlite3_open_v2(replay, &q, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        ct_err_set(e, CT_EXIT_IO, replay, "the replay cannot be read");
        goto out;
    }
    while ((de = readdir(dh)) != NULL)
        if (strncmp(de->d_name, "checkpoint-", 11) == 0 &&
            strlen(de->d_name) > 15 && strcmp(de->d_name + strlen(de->d_name) - 4, ".txt") == 0)
            one(q, election, dir, de->d_name, pk, out, diffs, newest);
    rc = 0;
out:
    sqlite3_close(q);
    if (dh != NULL)
        closedir(dh);
    free(buf);
    return rc;
}
