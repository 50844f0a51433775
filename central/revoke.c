/*
 * revoke.c: `central revoke`: a station key is revoked as lost, retired or
 * compromised, with the commission's decision reference, as one event
 * (DESIGN 7 "Revocation"). Its effect follows event order: files stored
 * before it keep their status, later ones are rejected (compromised) or
 * held (lost, retired) with `revoked-key`.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "common/fileio.h"
#include "ct.h"
#include "db.h"
#include "events.h"
#include "import.h"
#include "proto/codec.h"
#include "proto/keys.h"

static const char revoke_usage[] =
    "usage: central revoke --db DB (--key ID | --pub FILE) --reason lost|retired|compromised\n"
    "                      --decision REF [--by LEVEL]\n";
static const char revoke_help[] =
    "Revokes an enrolled station key. ID is its 16-hex key id; when several\n"
    "enrolled keys share that id, give the station's public key file with --pub.\n"
    "REF is the commission's decision reference (letters, digits and . _ : / # + -,\n"
    "at most 64). Returns stored before the revocation keep their status (after a\n"
    "compromise they are flagged key-compromised in status and review); returns\n"
    "that come later are rejected (compromised) or held (lost, retired) with\n"
    "revoked-key. A key revoked as compromised cannot be revoked again; a lost or\n"
    "retired key can still be revoked as compromised.\n"
    "--by LEVEL: the decision was made by the lower commission LEVEL (an area id)\n"
    "and is recorded as decided by it (`central import --bundle` does this).\n";

/* The key to revoke. */
typedef struct target {
    int64_t id;
    char key_id[PR_KEYID_HEX + 1];
    char precincts[PR_ENROL_PRECINCTS_MAX * (PR_ID_MAX + 1)];
    uint8_t request_hash[PR_HASH_BYTES];
} target;

/* Finds the key by id (hex given) or by full public key (pk non-NULL).
 * *n is the number of matches; t is filled when exactly one. */
static int find_target(ct_db *db, const char *hex, const uint8_t *pk, target *t, int *n, ct_err *e)
{
    static const char by_id[] =
        "SELECT id, key_id, precincts, request_hash FROM keys WHERE key_id = ?1 ORDER BY id";
    static const char by_pk[] =
        "SELECT id, key_id, precincts, request_hash FROM keys WHERE pk = ?1";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    *n = 0;
    if (ct_db_prepare(db, pk != NULL ? by_pk : by_id, &s, e) != 0)
        goto out;
    if ((pk != NULL ? ct_bind_blob(s, 1, pk, PR_PK_BYTES) : ct_bind_text(s, 1, hex)) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        (*n)++;
        t->id = (int64_t)sqlite3_column_int64(s, 0);
        ct_col_text(s, 1, t->key_id, sizeof t->key_id);
        ct_col_text(s, 2, t->precincts, sizeof t->precincts);
        if (ct_col_blob(s, 3, t->request_hash, PR_HASH_BYTES) != 0) {
            ct_err_set(e, CT_EXIT_IO, db->path, "key %s: damaged row", t->key_id);
            goto out;
        }
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

/* The key's newest revocation reason ("" when none). */
static int current_reason(ct_db *db, int64_t key, char *reason, size_t len, ct_err *e)
{
    static const char sql[] = "SELECT reason FROM revocations WHERE key = ?1 ORDER BY seq DESC LIMIT 1";
    sqlite3_stmt *s = NULL;
    int rc = -1, step;

    reason[0] = '\0';
    if (ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, key) != SQLITE_OK) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        ct_col_text(s, 0, reason, len);
    else if (step != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* The event and the revocations row, inside the caller's transaction. */
static int record(ct_db *db, const target *t, const char *reason, const char *ref, const char *by,
                  ct_err *e)
{
    static const char sql[] = "INSERT INTO revocations (key, reason, decision, seq) VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *s = NULL;
    char data[PR_KEYID_HEX + PR_ID_MAX + CT_DECISION_REF_MAX + 40];
    ct_event ev;
    int rc = -1;

    /* "by LEVEL": decided by a lower commission (docs/BUNDLE.md). */
    snprintf(data, sizeof data, "key %s %s%s%sdecision %s", t->key_id, by != NULL ? "by " : "",
             by != NULL ? by : "", by != NULL ? " " : "", ref);
    memset(&ev, 0, sizeof ev);
    ev.kind = CT_EV_REVOKE;
    ev.has_subject = 1;
    memcpy(ev.subject, t->request_hash, PR_HASH_BYTES);
    ev.verdict = "revoked";
    ev.codes = reason;
    ev.data = data;
    if (ct_event_append(db, &ev, e) != 0 || ct_db_prepare(db, sql, &s, e) != 0)
        goto out;
    if (ct_bind_i64(s, 1, t->id) != SQLITE_OK || ct_bind_text(s, 2, reason) != SQLITE_OK ||
        ct_bind_text(s, 3, ref) != SQLITE_OK || ct_bind_i64(s, 4, ev.seq) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE) {
        ct_db_error(db, e, NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}


static int read_pub(const char *path, uint8_t pk[PR_PK_BYTES], ct_err *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d;
    int k, rc = -1;

    memset(&d, 0, sizeof d);
    k = cm_read_file(path, PR_FILE_MAX, 1, &buf, &len, NULL, &d);
    if (k != 0) {
        ct_err_set(e, k == -2 ? CT_EXIT_FAIL : CT_EXIT_IO, path, "%s",
                   k == -2 ? "larger than 64 KiB" : k == -3 ? "not a regular file" : d.msg);
        goto out;
    }
    if (pr_pubkey_parse(PR_KEY_STATION, buf, len, pk, &d) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, path, "not a station public key: line %u: %s", d.line, d.msg);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

int ct_cmd_revoke(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},       {"key", 1},  {"pub", 1}, {"reason", 1},
                                       {"decision", 1}, {"help", 0}, {"by", 1},  {NULL, 0}};
    const char *dbpath = NULL, *keyarg = NULL, *pubpath = NULL, *reason = NULL, *ref = NULL, *v;
    const char *by = NULL;
    char hex[PR_KEYID_HEX + 1] = "", had[32];
    uint8_t pk[PR_PK_BYTES];
    ct_import_opts io;
    ct_db *db = NULL;
    target t;
    ct_args a;
    ct_err e;
    int opt, k, n = 0, code = CT_EXIT_OK, began = 0;

    memset(&e, 0, sizeof e);
    memset(&t, 0, sizeof t);
    memset(&io, 0, sizeof io);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, revoke_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, revoke_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0)
            dbpath = v;
        else if (opt == 1)
            keyarg = v;
        else if (opt == 2)
            pubpath = v;
        else if (opt == 3)
            reason = v;
        else if (opt == 4)
            ref = v;
        else if (opt == 6)
            by = v;
        else {
            fputs(revoke_usage, out);
            fputs(revoke_help, out);
            goto out;
        }
    }
    if (dbpath == NULL || reason == NULL || ref == NULL || (keyarg == NULL) == (pubpath == NULL)) {
        code = ct_usage_error(err, revoke_usage, "revoke",
                              "--db, one of --key and --pub, --reason and --decision are required");
        goto out;
    }
    if (by != NULL && !pr_is_id(by, strlen(by))) {
        code = ct_usage_error(err, revoke_usage, "--by", "not a level (an area id)");
        goto out;
    }
    if (strcmp(reason, "lost") != 0 && strcmp(reason, "retired") != 0 &&
        strcmp(reason, "compromised") != 0) {
        code = ct_usage_error(err, revoke_usage, "--reason", "must be lost, retired or compromised");
        goto out;
    }
    if (!ct_decision_ref_ok(ref)) {
        code = ct_usage_error(err, revoke_usage, "--decision",
                              "1-64 letters, digits and . _ : / # + -, starting with a letter or digit");
        goto out;
    }
    if (keyarg != NULL && ct_key_id_norm(keyarg, hex) != 0) {
        code = ct_usage_error(err, revoke_usage, keyarg, "a key id is 16 hex digits");
        goto out;
    }
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "revoke", "libsodium failed to initialise");
        goto fail;
    }
    if (pubpath != NULL && read_pub(pubpath, pk, &e) != 0)
        goto fail;
    /* First finish any re-decisions a killed run left undone, so the
     * revocation follows them in event order as it would have. */
    if (ct_db_open(dbpath, 0, &db, &e) != 0 || ct_redecide_pending(db, &io, out, &e) != 0 ||
        ct_db_begin(db, &e) != 0)
        goto fail;
    began = 1;
    if (find_target(db, hex, pubpath != NULL ? pk : NULL, &t, &n, &e) != 0)
        goto fail;
    if (n == 0) {
        ct_err_set(&e, CT_EXIT_FAIL, pubpath != NULL ? pubpath : hex, "no enrolled key %s",
                   pubpath != NULL ? "with this public key" : "has this id");
        goto fail;
    }
    if (n > 1) {
        /* The key id is only a hint: never guess which key a person meant. */
        ct_err_set(&e, CT_EXIT_FAIL, hex,
                   "%d enrolled keys share this id; give the station's public key file with --pub FILE",
                   n);
        goto fail;
    }
    if (current_reason(db, t.id, had, sizeof had, &e) != 0)
        goto fail;
    if (strcmp(had, "compromised") == 0 || strcmp(had, reason) == 0) {
        ct_err_set(&e, CT_EXIT_FAIL, t.key_id, "already revoked as %s", had);
        goto fail;
    }
    if (record(db, &t, reason, ref, by, &e) != 0 || ct_db_commit(db, &e) != 0)
        goto fail;
    began = 0;
    {
        char *p;
        for (p = t.precincts; *p != '\0'; p++)
            if (*p == ' ')
                *p = ',';
    }
    fprintf(out, "revoked %s %s %s\n", t.key_id, t.precincts, reason);
    fflush(out);
    /* DESIGN 7: key-state decisions are made again after every revocation
     * (one made before it is never undone by it: see verdict.c). */
    if (ct_redecide(db, NULL, t.key_id, &io, out, &e) != 0)
        goto fail;
    goto out;
fail:
    if (began)
        ct_db_rollback(db);
    ct_err_print(&e, err);
    code = ct_exit_max(code, e.code ? e.code : CT_EXIT_IO);
out:
    ct_db_close(db);
    return code;
}
