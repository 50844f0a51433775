/*
 * freeze.c: `central keys` (the enrolled station keys, and with --freeze
 * the signed, published key list) and the `late-key` hold that follows a
 * freeze (freeze.h; docs/EVENTS.md "The frozen key list").
 */
#include "freeze.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "checkpoint.h"
#include "commands.h"
#include "common/fileio.h"
#include "events.h"
#include "import.h"
#include "proto/codec.h"

static const char keys_usage[] =
    "usage: central keys --db DB\n"
    "       central keys --db DB --freeze --key KEY [--passphrase-fd N] --out FILE\n"
    "                    [--checkpoints DIR]\n";
static const char keys_help[] =
    "Lists the enrolled station keys: precinct, key id, the event that enrolled\n"
    "it, and its revocation if any; then whether the keys are frozen.\n"
    "--freeze: before polls open, signs with the commission secret key KEY the list\n"
    "of every enrolled, unrevoked key and its precincts (election-keylist 1,\n"
    "docs/EVENTS.md), records it as the `freeze` event and writes it to FILE (which\n"
    "must not exist) to publish. Returns signed by a key enrolled after the freeze,\n"
    "or by a key revoked (lost, retired) after it, are then held late-key until a\n"
    "person resolves them. The keys can be frozen once. --passphrase-fd N reads\n"
    "KEY's passphrase from descriptor N; --checkpoints DIR also writes the signed\n"
    "checkpoint of the new head there.\n";

int ct_freeze_seq(ct_db *db, int64_t *seq, ct_err *e)
{
    /* the first freeze; 0 when the keys were never frozen */
    return ct_db_int(db, "SELECT coalesce(min(seq), 0) FROM freezes", seq, e);
}

int ct_freeze_build(ct_db *db, pr_keylist *kl, ct_err *e)
{
    static const char sql[] =
        "SELECT kp.precinct, k.pk FROM key_precincts kp JOIN keys k ON k.id = kp.key"
        " WHERE NOT EXISTS (SELECT 1 FROM revocations r WHERE r.key = k.id)";
    sqlite3_stmt *s = NULL;
    pr_keylist_entry *grown;
    size_t cap = 0;
    int64_t seq = 0;
    int rc = -1, step;

    memset(kl, 0, sizeof *kl);
    snprintf(kl->election, sizeof kl->election, "%s", db->election);
    memcpy(kl->definition, db->def_hash, PR_HASH_BYTES);
    if (ct_event_head(db, 0, &seq, kl->head, e) != 0)
        goto out;
    kl->seq = (uint64_t)seq;
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        pr_keylist_entry *x;
        if (kl->n == cap) {
            cap = cap ? 2 * cap : 64;
            grown = realloc(kl->entries, cap * sizeof *grown);
            if (grown == NULL) {
                ct_err_set(e, CT_EXIT_IO, db->path, "out of memory");
                goto out;
            }
            kl->entries = grown;
        }
        x = &kl->entries[kl->n];
        memset(x, 0, sizeof *x);
        ct_col_text(s, 0, x->precinct, sizeof x->precinct);
        if (ct_col_blob(s, 1, x->pk, PR_PK_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "keys: damaged public key");
            goto out;
        }
        pr_key_id(x->key_id, x->pk);
        kl->n++;
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    pr_keylist_sort(kl);
    rc = 0;
out:
    sqlite3_finalize(s);
    if (rc != 0)
        pr_keylist_free(kl);
    return rc;
}

/* The checks of ct_freeze_apply, inside the transaction. */
static int check_list(ct_db *db, const uint8_t *bytes, size_t len, ct_err *e)
{
    pr_keylist got, want;
    pr_diag d;
    size_t i;
    int rc = -1, have_got = 0, have_want = 0;

    memset(&d, 0, sizeof d);
    if (pr_keylist_parse(bytes, len, &got, &d) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, "freeze", "not a key list: line %u: %s", d.line, d.msg);
        goto out;
    }
    have_got = 1;
    if (pr_keylist_verify(bytes, &got, db->commission_pk, &d) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, "freeze", "key list: %s", d.msg);
        goto out;
    }
    if (ct_freeze_build(db, &want, e) != 0)
        goto out;
    have_want = 1;
    if (strcmp(got.election, want.election) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, "freeze", "key list of election %s, not %s", got.election,
                   want.election);
        goto out;
    }
    if (memcmp(got.definition, want.definition, PR_HASH_BYTES) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, "freeze", "key list of another definition");
        goto out;
    }
    if (got.seq != want.seq || memcmp(got.head, want.head, PR_HASH_BYTES) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, "freeze", "key list of event %llu, the head is event %llu",
                   (unsigned long long)got.seq, (unsigned long long)want.seq);
        goto out;
    }
    for (i = 0; i < got.n && i < want.n; i++)
        if (pr_keylist_cmp(&got.entries[i], &want.entries[i]) != 0)
            break;
    if (i < got.n || i < want.n) {
        char kid[PR_KEYID_HEX + 1];
        const pr_keylist_entry *x = i < got.n ? &got.entries[i] : &want.entries[i];
        ct_hex(kid, x->key_id, PR_KEYID_BYTES);
        ct_err_set(e, CT_EXIT_FAIL, "freeze", "key list differs from the enrolled keys at precinct %s key %s",
                   x->precinct, kid);
        goto out;
    }
    rc = 0;
out:
    if (have_got)
        pr_keylist_free(&got);
    if (have_want)
        pr_keylist_free(&want);
    return rc;
}

int ct_freeze_apply(ct_db *db, const uint8_t *bytes, size_t len, int keep_open, int64_t *seq,
                    ct_err *e)
{
    static const char sql[] = "INSERT INTO freezes (seq, keylist, keylist_hash) VALUES (?1, ?2, ?3)";
    sqlite3_stmt *s = NULL;
    char data[64];
    int64_t already = 0;
    ct_event ev;
    size_t i;
    unsigned long long n = 0;
    const char *p;
    int rc = -1, began = 0;

    if (ct_db_begin(db, e) != 0)
        goto out;
    began = 1;
    if (ct_freeze_seq(db, &already, e) != 0)
        goto out;
    if (already != 0) {
        ct_err_set(e, CT_EXIT_FAIL, "freeze", "the keys were frozen at event %lld already",
                   (long long)already);
        goto out;
    }
    if (check_list(db, bytes, len, e) != 0)
        goto out;
    /* Station lines, for the event's data. */
    for (p = (const char *)bytes, i = 0; i + 8 < len; i++)
        if ((i == 0 || p[i - 1] == '\n') && memcmp(p + i, "station ", 8) == 0)
            n++;
    snprintf(data, sizeof data, "keys %llu", n);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_FREEZE;
    ev.has_subject = 1;
    pr_hash(ev.subject, bytes, len);
    ev.verdict = "frozen";
    ev.codes = "";
    ev.data = data;
    if (ct_event_append(db, &ev, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, ev.seq) != SQLITE_OK || ct_bind_blob(s, 2, bytes, len) != SQLITE_OK ||
        ct_bind_blob(s, 3, ev.subject, PR_HASH_BYTES) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    if (!keep_open && ct_db_commit(db, e) != 0)
        goto out;
    if (seq != NULL)
        *seq = ev.seq;
    rc = 0;
out:
    sqlite3_finalize(s);
    if (rc != 0 && began)
        ct_db_rollback(db);
    return rc;
}

int ct_late_key(ct_db *db, int64_t key, int64_t self, int *late, char *why, size_t whylen,
                ct_err *e)
{
    static const char sql_key[] = "SELECT seq FROM keys WHERE id = ?1";
    /* The revocation verdict.c applies: the newest recorded before the file
     * was stored (a new file: the newest). */
    static const char sql_rev[] =
        "SELECT reason, seq FROM revocations WHERE key = ?1"
        " AND (?2 = 0 OR seq < (SELECT seq FROM files WHERE id = ?2))"
        " ORDER BY seq DESC LIMIT 1";
    sqlite3_stmt *s = NULL;
    char reason[32];
    int64_t frozen = 0, enrolled = 0, revoked = 0;
    int rc = -1, step;

    *late = 0;
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (key == 0) {
        rc = 0;
        goto out;
    }
    if (ct_freeze_seq(db, &frozen, e) != 0) /* frozen is 0 then too */
        goto out;
    if (frozen == 0) {
        rc = 0;
        goto out;
    }
    if (ct_db_cached(db, sql_key, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, key) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    enrolled = (int64_t)sqlite3_column_int64(s, 0);
    ct_db_done(db, s);
    s = NULL;
    if (enrolled > frozen) {
        *late = 1;
        if (why != NULL)
            snprintf(why, whylen, "key enrolled at event %lld, after the key freeze at event %lld",
                     (long long)enrolled, (long long)frozen);
        rc = 0;
        goto out;
    }
    if (ct_db_cached(db, sql_rev, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, key) != SQLITE_OK || ct_bind_i64(s, 2, self) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        ct_col_text(s, 0, reason, sizeof reason);
        revoked = (int64_t)sqlite3_column_int64(s, 1);
        if (revoked > frozen && strcmp(reason, "compromised") != 0) {
            *late = 1;
            if (why != NULL)
                snprintf(why, whylen, "key revoked (%s) at event %lld, after the key freeze at event %lld",
                         reason, (long long)revoked, (long long)frozen);
        }
    } else if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    ct_db_done(db, s);
    return rc;
}

/* ---- the command ---------------------------------------------------- */

static int parse_fd(const char *v, int *fd)
{
    long long x = 0;
    int rc = ct_parse_uint(v, INT_MAX, &x);

    if (rc == 0)
        *fd = (int)x;
    return rc;
}

/* `central keys --db DB`: one line per (precinct, key). */
static int list_keys(ct_db *db, FILE *out, ct_err *e)
{
    static const char sql[] =
        "SELECT kp.precinct, k.key_id, k.seq,"
        " (SELECT r.reason || ' ' || r.seq FROM revocations r WHERE r.key = k.id"
        "  ORDER BY r.seq DESC LIMIT 1)"
        " FROM key_precincts kp JOIN keys k ON k.id = kp.key ORDER BY kp.precinct, k.key_id, k.id";
    sqlite3_stmt *s = NULL;
    char p[PR_ID_MAX + 1], kid[PR_KEYID_HEX + 1], rev[64];
    int64_t frozen = 0, enrolled;
    int rc = -1, step;

    if (ct_freeze_seq(db, &frozen, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        ct_col_text(s, 0, p, sizeof p);
        ct_col_text(s, 1, kid, sizeof kid);
        enrolled = (int64_t)sqlite3_column_int64(s, 2);
        ct_col_text(s, 3, rev, sizeof rev);
        fprintf(out, "%s %s enrolled %lld", p, kid, (long long)enrolled);
        if (rev[0] != '\0')
            fprintf(out, " revoked %s", rev);
        if (frozen != 0 && enrolled > frozen)
            fputs(" late-key", out);
        fputc('\n', out);
    }
    if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    if (frozen != 0)
        fprintf(out, "frozen at event %lld\n", (long long)frozen);
    else
        fputs("not frozen\n", out);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Precincts of the definition with no key on the list: said on err, so a
 * freeze that leaves a precinct unable to report unheld is noticed. */
static void warn_keyless(const ct_db *db, const pr_keylist *kl, FILE *err)
{
    size_t i, lo, hi, mid, missing = 0;
    const char *first = NULL;
    int k;

    for (i = 0; i < db->def->n_precincts; i++) {
        int found = 0;
        /* The entries are sorted by precinct first: binary search. */
        for (lo = 0, hi = kl->n; !found && lo < hi;) {
            mid = lo + (hi - lo) / 2;
            k = strcmp(kl->entries[mid].precinct, db->def->precincts[i].id);
            if (k == 0)
                found = 1;
            else if (k < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (!found && missing++ == 0)
            first = db->def->precincts[i].id;
    }
    if (missing > 0)
        fprintf(err, "central: freeze: %zu precinct%s without a key (%s%s): their returns will be "
                     "held late-key\n",
                missing, missing == 1 ? "" : "s", first, missing > 1 ? ", ..." : "");
}

static int freeze(ct_db *db, const char *keypath, int fd, const char *outpath, const char *cpdir,
                  FILE *out, FILE *err, ct_err *e)
{
    uint8_t *sk = NULL;
    pr_keylist kl;
    pr_buf b;
    pr_diag d;
    struct stat sb;
    char hex[PR_HASH_HEX + 1];
    uint8_t h[PR_HASH_BYTES];
    int64_t already = 0, seq = 0;
    int rc = -1, open_tx = 0, written = 0, have_kl = 0;

    memset(&d, 0, sizeof d);
    pr_buf_init(&b, 16);
    /* Refuse early, before asking for a passphrase. */
    if (ct_freeze_seq(db, &already, e) != 0)
        goto out;
    if (already != 0) {
        ct_err_set(e, CT_EXIT_FAIL, "freeze", "the keys were frozen at event %lld already",
                   (long long)already);
        goto out;
    }
    if (lstat(outpath, &sb) == 0) {
        ct_err_set(e, CT_EXIT_IO, outpath, "already exists (refusing to overwrite)");
        goto out;
    }
    sk = sodium_malloc(PR_SK_BYTES);
    if (sk == NULL) {
        ct_err_set(e, CT_EXIT_IO, "freeze", "out of memory");
        goto out;
    }
    if (ct_load_commission_key(keypath, fd, sk, e) != 0)
        goto out;
    if (sodium_memcmp(sk + 32, db->commission_pk, PR_PK_BYTES) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, keypath, "not the commission key of this database: nothing signed");
        goto out;
    }
    /* Built and signed outside the write transaction (a passphrase was
     * asked already); ct_freeze_apply checks it again inside BEGIN
     * IMMEDIATE against the head, so a key enrolled in between by another
     * process makes it refuse rather than record a stale list. */
    if (ct_freeze_build(db, &kl, e) != 0)
        goto out;
    have_kl = 1;
    kl.time = ct_now();
    if (pr_keylist_sign(&kl, sk, &b, &d) != 0) {
        ct_err_set(e, CT_EXIT_IO, "freeze", "cannot sign the key list: %s", d.msg);
        goto out;
    }
    if (ct_freeze_apply(db, b.data, b.len, 1, &seq, e) != 0)
        goto out;
    open_tx = 1;
    /* The file first, then the commit: a freeze is never recorded without
     * its list published, nor a list written that is not recorded. */
    if (cm_write_new(outpath, b.data, b.len, 0644) != 0) {
        ct_err_set(e, CT_EXIT_IO, outpath, "%s", strerror(errno));
        goto out;
    }
    written = 1;
    if (ct_db_commit(db, e) != 0)
        goto out;
    open_tx = 0;
    written = 0;
    pr_hash(h, b.data, b.len);
    ct_hex(hex, h, sizeof h);
    fprintf(out, "frozen %zu keys at event %lld: %s %s\n", kl.n, (long long)seq, outpath, hex);
    warn_keyless(db, &kl, err);
    if (cpdir != NULL && ct_checkpoint_write(db, sk, cpdir, out, e) != 0)
        goto out;
    rc = 0;
out:
    if (open_tx)
        ct_db_rollback(db);
    if (written)
        (void)unlink(outpath);
    if (have_kl)
        pr_keylist_free(&kl);
    pr_buf_free(&b);
    sodium_free(sk);
    return rc;
}

int ct_cmd_keys(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},  {"freeze", 0},      {"key", 1},
                                       {"out", 1}, {"passphrase-fd", 1}, {"checkpoints", 1},
                                       {"help", 0}, {NULL, 0}};
    const char *dbpath = NULL, *keypath = NULL, *outpath = NULL, *cpdir = NULL, *v;
    ct_import_opts io;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    int opt, k, fd = -1, do_freeze = 0, code = CT_EXIT_OK;

    memset(&e, 0, sizeof e);
    memset(&io, 0, sizeof io);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0)
            return ct_usage_error(err, keys_usage, e.what, e.why);
        if (k == 2)
            return ct_usage_error(err, keys_usage, v, "unexpected operand");
        if (opt == 0)
            dbpath = v;
        else if (opt == 1)
            do_freeze = 1;
        else if (opt == 2)
            keypath = v;
        else if (opt == 3)
            outpath = v;
        else if (opt == 4) {
            if (parse_fd(v, &fd) != 0)
                return ct_usage_error(err, keys_usage, "--passphrase-fd", "not a descriptor number");
        } else if (opt == 5)
            cpdir = v;
        else {
            fputs(keys_usage, out);
            fputs(keys_help, out);
            return CT_EXIT_OK;
        }
    }
    if (dbpath == NULL)
        return ct_usage_error(err, keys_usage, "keys", "--db DB is required");
    if (do_freeze && (keypath == NULL || outpath == NULL))
        return ct_usage_error(err, keys_usage, "--freeze", "needs --key KEY and --out FILE");
    if (!do_freeze && (keypath != NULL || outpath != NULL || fd >= 0 || cpdir != NULL))
        return ct_usage_error(err, keys_usage, "keys",
                              "--key, --out, --passphrase-fd and --checkpoints go with --freeze");
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "keys", "libsodium failed to initialise");
        goto fail;
    }
    if (!do_freeze) {
        if (ct_db_open(dbpath, 1, &db, &e) != 0 || list_keys(db, out, &e) != 0)
            goto fail;
        goto out;
    }
    /* As every write command: first what a killed run left undecided, so
     * the freeze follows it in event order as it would have. */
    if (ct_db_open(dbpath, 0, &db, &e) != 0 || ct_redecide_pending(db, &io, out, &e) != 0 ||
        freeze(db, keypath, fd, outpath, cpdir, out, err, &e) != 0)
        goto fail;
    goto out;
fail:
    ct_err_print(&e, err);
    code = ct_exit_max(code, e.code ? e.code : CT_EXIT_IO);
out:
    ct_db_close(db);
    return code;
}
