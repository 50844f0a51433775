/*
 * keycmd.c: the commission key and the definition: `keygen` (a new
 * commission key pair, encrypted by default), `sign-definition` (DEF.sig)
 * and `init` (a new database bound to a verified definition and the
 * commission public key). Secret keys live in sodium_malloc'd memory and
 * are wiped on every path.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "common/definition.h"
#include "common/fileio.h"
#include "checkpoint.h"
#include "common/passphrase.h"
#include "ct.h"
#include "db.h"
#include "proto/codec.h"
#include "proto/keys.h"

static const char keygen_usage[] =
    "usage: central keygen [--unencrypted] [--passphrase-fd N] --out PREFIX\n";
static const char keygen_help[] =
    "Creates the commission key pair: PREFIX.key (secret, mode 0600, encrypted\n"
    "with a passphrase unless --unencrypted) and PREFIX.pub; prints the key id.\n"
    "Neither file may exist. --passphrase-fd N reads the passphrase from\n"
    "descriptor N instead of the terminal.\n";

static const char sign_usage[] =
    "usage: central sign-definition --key KEY [--passphrase-fd N] DEF\n";
static const char sign_help[] =
    "Checks the election definition DEF and signs it with the commission secret\n"
    "key KEY, writing DEF.sig (which must not exist). Prints the definition hash.\n";

static const char init_usage[] =
    "usage: central init --db DB --definition DEF --commission-pub PUB [--mode live|test]\n"
    "                    [--scope AREA] [--top-pub TOP]\n";
static const char init_help[] =
    "Creates the database DB (which must not exist) for the definition DEF after\n"
    "verifying DEF.sig with the commission public key PUB. --mode test makes a\n"
    "rehearsal database that accepts only test returns. Prints the definition hash.\n"
    "--scope AREA: a lower commission that takes only the precincts under AREA;\n"
    "returns of others are rejected `out-of-scope` (docs/BUNDLE.md).\n"
    "--top-pub TOP: DEF.sig (and amendments) are verified with the top commission\n"
    "key TOP instead of PUB, which then only signs this level's checkpoints,\n"
    "receipts and tally.\n";

int ct_usage_error(FILE *err, const char *usage, const char *what, const char *why)
{
    ct_err e;

    ct_err_set(&e, CT_EXIT_USAGE, what, "%s", why);
    ct_err_print(&e, err);
    fputs(usage, err);
    return CT_EXIT_USAGE;
}

static int parse_fd(const char *v, int *fd)
{
    long long x = 0;
    int rc = ct_parse_uint(v, INT_MAX, &x);

    if (rc == 0)
        *fd = (int)x;
    return rc;
}

static int exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0;
}

/* Reads a whole small file; code 3 when unreadable, 1 when too large. */
static int read_small(const char *path, size_t max, uint8_t **buf, size_t *len, ct_err *e)
{
    pr_diag d;
    int k;

    memset(&d, 0, sizeof d);
    *buf = NULL;
    k = cm_read_file(path, max, 1, buf, len, NULL, &d);
    if (k == -2)
        ct_err_set(e, CT_EXIT_FAIL, path, "larger than %zu bytes", max);
    else if (k == -3)
        ct_err_set(e, CT_EXIT_IO, path, "not a regular file");
    else if (k != 0)
        ct_err_set(e, CT_EXIT_IO, path, "%s", d.msg[0] ? d.msg : strerror(errno));
    if (k != 0) {
        /* -2 leaves the first max + 1 bytes behind: not ours to keep. */
        free(*buf);
        *buf = NULL;
    }
    return k == 0 ? 0 : -1;
}

/* Frees a buffer that held secret material, wiping it first. */
static void free_wiped(uint8_t *p, size_t n)
{
    if (p != NULL) {
        sodium_memzero(p, n);
        free(p);
    }
}

int ct_cmd_keygen(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {
        {"unencrypted", 0}, {"passphrase-fd", 1}, {"out", 1}, {"help", 0}, {NULL, 0}};
    const char *prefix = NULL, *v;
    char keypath[4096], pubpath[4096], why[256], kid_hex[PR_KEYID_HEX + 1];
    uint8_t *sk = NULL, pk[PR_PK_BYTES], kid[PR_KEYID_BYTES];
    char *pass = NULL;
    size_t passlen = 0;
    pr_buf kb, pb;
    ct_args a;
    ct_err e;
    int opt, k, plain = 0, fd = -1, key_written = 0, code = CT_EXIT_IO;

    pr_buf_init(&kb, PR_FILE_MAX);
    pr_buf_init(&pb, PR_FILE_MAX);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, keygen_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, keygen_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0) {
            plain = 1;
        } else if (opt == 1) {
            if (parse_fd(v, &fd) != 0) {
                code = ct_usage_error(err, keygen_usage, "--passphrase-fd", "not a descriptor number");
                goto out;
            }
        } else if (opt == 2) {
            prefix = v;
        } else {
            fputs(keygen_usage, out);
            fputs(keygen_help, out);
            code = CT_EXIT_OK;
            goto out;
        }
    }
    if (prefix == NULL || prefix[0] == '\0') {
        code = ct_usage_error(err, keygen_usage, "keygen", "--out PREFIX is required");
        goto out;
    }
    if (plain && fd >= 0) {
        code = ct_usage_error(err, keygen_usage, "--passphrase-fd", "makes no sense with --unencrypted");
        goto out;
    }
    if (strlen(prefix) > sizeof keypath - 8) {
        code = ct_usage_error(err, keygen_usage, prefix, "too long");
        goto out;
    }
    snprintf(keypath, sizeof keypath, "%s.key", prefix);
    snprintf(pubpath, sizeof pubpath, "%s.pub", prefix);
    /* Check both first so a refusal leaves nothing half-made. */
    if (exists(keypath) || exists(pubpath)) {
        ct_err_set(&e, CT_EXIT_IO, exists(keypath) ? keypath : pubpath,
                   "already exists (refusing to overwrite a key)");
        ct_err_print(&e, err);
        goto out;
    }
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "keygen", "libsodium failed to initialise");
        ct_err_print(&e, err);
        goto out;
    }
    sk = sodium_malloc(PR_SK_BYTES);
    if (sk == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "keygen", "out of memory");
        ct_err_print(&e, err);
        goto out;
    }
    if (!plain &&
        cm_passphrase_read(fd, "Passphrase for the new commission key: ", 1, &pass, &passlen, why,
                           sizeof why) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, "passphrase", "%s", why);
        ct_err_print(&e, err);
        code = CT_EXIT_FAIL;
        goto out;
    }
    crypto_sign_keypair(pk, sk);
    if (pr_seckey_encode(PR_KEY_COMMISSION, sk, plain ? NULL : pass, plain ? 0 : passlen,
                         crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                         &kb) != 0 ||
        pr_pubkey_encode(PR_KEY_COMMISSION, pk, &pb) != 0) {
        ct_err_set(&e, CT_EXIT_IO, "keygen", "cannot encode the key files");
        ct_err_print(&e, err);
        goto out;
    }
    if (cm_write_new(keypath, kb.data, kb.len, 0600) != 0) {
        ct_err_set(&e, CT_EXIT_IO, keypath, "%s", strerror(errno));
        ct_err_print(&e, err);
        goto out;
    }
    key_written = 1;
    if (cm_write_new(pubpath, pb.data, pb.len, 0644) != 0) {
        ct_err_set(&e, CT_EXIT_IO, pubpath, "%s", strerror(errno));
        ct_err_print(&e, err);
        goto out;
    }
    pr_key_id(kid, pk);
    ct_hex(kid_hex, kid, sizeof kid);
    fprintf(out, "%s\n", kid_hex);
    key_written = 0;
    code = CT_EXIT_OK;
out:
    /* A key without its public half is useless and a secret lying around:
     * remove what this run created. */
    if (key_written)
        (void)unlink(keypath);
    if (kb.data != NULL)
        sodium_memzero(kb.data, kb.cap);
    pr_buf_free(&kb);
    pr_buf_free(&pb);
    cm_passphrase_free(pass);
    sodium_free(sk);
    return code;
}

int ct_load_commission_key(const char *path, int fd, uint8_t *sk, ct_err *e)
{
    uint8_t *buf = NULL;
    size_t len = 0, passlen = 0;
    char *pass = NULL, why[256];
    pr_diag d;
    int enc, k, rc = -1;

    memset(&d, 0, sizeof d);
    if (read_small(path, PR_FILE_MAX, &buf, &len, e) != 0)
        goto out;
    enc = pr_seckey_is_encrypted(PR_KEY_COMMISSION, buf, len);
    if (enc < 0) {
        ct_err_set(e, CT_EXIT_FAIL, path, "not a commission secret key");
        goto out;
    }
    if (enc == 1 &&
        cm_passphrase_read(fd, "Passphrase for the commission key: ", 0, &pass, &passlen, why,
                           sizeof why) != 0) {
        ct_err_set(e, CT_EXIT_FAIL, "passphrase", "%s", why);
        goto out;
    }
    k = pr_seckey_parse(PR_KEY_COMMISSION, buf, len, pass, passlen, sk, &d);
    if (k == -2)
        ct_err_set(e, CT_EXIT_FAIL, path, "wrong passphrase or damaged key file");
    else if (k == -3)
        ct_err_set(e, CT_EXIT_FAIL, path, "key derivation limits too high (refused)");
    else if (k == -4)
        ct_err_set(e, CT_EXIT_IO, path, "out of memory deriving the key");
    else if (k != 0)
        ct_err_set(e, CT_EXIT_FAIL, path, "line %u: %s", d.line, d.msg);
    if (k != 0)
        goto out;
    rc = 0;
out:
    free_wiped(buf, len);
    cm_passphrase_free(pass);
    return rc;
}

int ct_cmd_sign_definition(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"key", 1}, {"passphrase-fd", 1}, {"help", 0}, {NULL, 0}};
    const char *keypath = NULL, *defpath = NULL, *v;
    char sigpath[4096], hex[PR_HASH_HEX + 1];
    uint8_t *def = NULL, *sk = NULL, h[PR_HASH_BYTES], pk[PR_PK_BYTES];
    size_t deflen = 0;
    cm_definition *loaded = NULL;
    pr_defsig ds;
    pr_buf sb;
    pr_diag d;
    ct_args a;
    ct_err e;
    int opt, k, fd = -1, code = CT_EXIT_IO;

    pr_buf_init(&sb, PR_FILE_MAX);
    memset(&d, 0, sizeof d);
    memset(&e, 0, sizeof e);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, sign_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            if (defpath != NULL) {
                code = ct_usage_error(err, sign_usage, v, "only one definition at a time");
                goto out;
            }
            defpath = v;
        } else if (opt == 0) {
            keypath = v;
        } else if (opt == 1) {
            if (parse_fd(v, &fd) != 0) {
                code = ct_usage_error(err, sign_usage, "--passphrase-fd", "not a descriptor number");
                goto out;
            }
        } else {
            fputs(sign_usage, out);
            fputs(sign_help, out);
            code = CT_EXIT_OK;
            goto out;
        }
    }
    if (keypath == NULL || defpath == NULL) {
        code = ct_usage_error(err, sign_usage, "sign-definition", "--key KEY and DEF are required");
        goto out;
    }
    if (strlen(defpath) > sizeof sigpath - 8) {
        code = ct_usage_error(err, sign_usage, defpath, "too long");
        goto out;
    }
    snprintf(sigpath, sizeof sigpath, "%s.sig", defpath);
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "sign-definition", "libsodium failed to initialise");
        goto fail;
    }
    if (read_small(defpath, CM_DEFINITION_MAX, &def, &deflen, &e) != 0)
        goto fail;
    /* Refuse to sign what every station and central would then refuse. */
    if (cm_definition_load(def, deflen, &loaded, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, defpath, "%s", d.msg);
        goto fail;
    }
    if (exists(sigpath)) {
        ct_err_set(&e, CT_EXIT_IO, sigpath, "already exists (refusing to overwrite)");
        goto fail;
    }
    sk = sodium_malloc(PR_SK_BYTES);
    if (sk == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "sign-definition", "out of memory");
        goto fail;
    }
    if (ct_load_commission_key(keypath, fd, sk, &e) != 0)
        goto fail;
    pr_hash(h, def, deflen);
    if (pr_defsig_sign(h, sk, &sb) != 0) {
        ct_err_set(&e, CT_EXIT_IO, "sign-definition", "cannot encode the signature");
        goto fail;
    }
    /* Check what was written verifies with the key's public half before
     * anyone relies on it. */
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    if (pr_defsig_parse(sb.data, sb.len, &ds, &d) != 0 ||
        pr_defsig_verify(sb.data, &ds, h, pk, &d) != 0) {
        ct_err_set(&e, CT_EXIT_IO, "sign-definition", "signature does not verify: %s", d.msg);
        goto fail;
    }
    if (cm_write_new(sigpath, sb.data, sb.len, 0644) != 0) {
        ct_err_set(&e, CT_EXIT_IO, sigpath, "%s", strerror(errno));
        goto fail;
    }
    ct_hex(hex, h, sizeof h);
    fprintf(out, "%s\n", hex);
    code = CT_EXIT_OK;
    goto out;
fail:
    ct_err_print(&e, err);
    code = e.code;
out:
    pr_buf_free(&sb);
    cm_definition_free(loaded);
    sodium_free(sk);
    free(def);
    return code;
}

int ct_cmd_init(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},   {"definition", 1}, {"commission-pub", 1},
                                       {"mode", 1}, {"help", 0},       {"scope", 1},
                                       {"top-pub", 1}, {NULL, 0}};
    const char *dbpath = NULL, *defpath = NULL, *pubpath = NULL, *mode = "live", *v;
    const char *scope = NULL, *toppath = NULL;
    uint8_t *top = NULL, top_pk[PR_PK_BYTES];
    size_t toplen = 0;
    char sigpath[4096], hex[PR_HASH_HEX + 1];
    uint8_t *def = NULL, *sig = NULL, *pub = NULL, h[PR_HASH_BYTES], pk[PR_PK_BYTES];
    size_t deflen = 0, siglen = 0, publen = 0;
    cm_definition *loaded = NULL;
    ct_db_init in;
    pr_defsig ds;
    pr_diag d;
    ct_args a;
    ct_err e;
    int opt, k, code = CT_EXIT_IO;

    memset(&d, 0, sizeof d);
    memset(&e, 0, sizeof e);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, init_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            code = ct_usage_error(err, init_usage, v, "unexpected operand");
            goto out;
        }
        if (opt == 0) {
            dbpath = v;
        } else if (opt == 1) {
            defpath = v;
        } else if (opt == 2) {
            pubpath = v;
        } else if (opt == 3) {
            if (strcmp(v, "live") != 0 && strcmp(v, "test") != 0) {
                code = ct_usage_error(err, init_usage, "--mode", "must be live or test");
                goto out;
            }
            mode = v;
        } else if (opt == 5) {
            if (!pr_is_id(v, strlen(v))) {
                code = ct_usage_error(err, init_usage, "--scope", "not an area id");
                goto out;
            }
            scope = v;
        } else if (opt == 6) {
            toppath = v;
        } else {
            fputs(init_usage, out);
            fputs(init_help, out);
            code = CT_EXIT_OK;
            goto out;
        }
    }
    if (dbpath == NULL || defpath == NULL || pubpath == NULL) {
        code = ct_usage_error(err, init_usage, "init",
                              "--db, --definition and --commission-pub are required");
        goto out;
    }
    if (strlen(defpath) > sizeof sigpath - 8) {
        code = ct_usage_error(err, init_usage, defpath, "too long");
        goto out;
    }
    snprintf(sigpath, sizeof sigpath, "%s.sig", defpath);
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "init", "libsodium failed to initialise");
        goto fail;
    }
    if (read_small(defpath, CM_DEFINITION_MAX, &def, &deflen, &e) != 0 ||
        read_small(sigpath, PR_FILE_MAX, &sig, &siglen, &e) != 0 ||
        read_small(pubpath, PR_FILE_MAX, &pub, &publen, &e) != 0 ||
        (toppath != NULL && read_small(toppath, PR_FILE_MAX, &top, &toplen, &e) != 0))
        goto fail;
    if (pr_pubkey_parse(PR_KEY_COMMISSION, pub, publen, pk, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, pubpath, "not a commission public key: line %u: %s", d.line,
                   d.msg);
        goto fail;
    }
    if (toppath != NULL && pr_pubkey_parse(PR_KEY_COMMISSION, top, toplen, top_pk, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, toppath, "not a commission public key: line %u: %s", d.line,
                   d.msg);
        goto fail;
    }
    /* The same key as PUB is no top key of its own. */
    if (toppath != NULL && memcmp(top_pk, pk, PR_PK_BYTES) == 0)
        toppath = NULL;
    pr_hash(h, def, deflen);
    if (pr_defsig_parse(sig, siglen, &ds, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, sigpath, "line %u: %s", d.line, d.msg);
        goto fail;
    }
    if (pr_defsig_verify(sig, &ds, h, toppath != NULL ? top_pk : pk, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, sigpath, "does not verify with %s: %s",
                   toppath != NULL ? toppath : pubpath, d.msg);
        goto fail;
    }
    if (cm_definition_load(def, deflen, &loaded, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, defpath, "%s", d.msg);
        goto fail;
    }
    if (scope != NULL && cm_find_area(loaded, scope) == (size_t)-1) {
        ct_err_set(&e, CT_EXIT_FAIL, scope, "--scope: no such area in %s", defpath);
        goto fail;
    }
    memset(&in, 0, sizeof in);
    in.definition = def;
    in.definition_len = deflen;
    in.definition_sig = sig;
    in.definition_sig_len = siglen;
    in.commission_pk = pk;
    in.mode = mode;
    in.def = loaded;
    in.scope = scope;
    in.top_pk = toppath != NULL ? top_pk : NULL;
    if (ct_db_create(dbpath, &in, &e) != 0)
        goto fail;
    ct_hex(hex, h, sizeof h);
    fprintf(out, "%s\n", hex);
    code = CT_EXIT_OK;
    goto out;
fail:
    ct_err_print(&e, err);
    code = e.code;
out:
    cm_definition_free(loaded);
    free(def);
    free(sig);
    free(pub);
    free(top);
    return code;
}
