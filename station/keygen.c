/*
 * keygen.c: `station keygen`, the station's side of the key ceremony
 * (DESIGN 3 step 2): a new Ed25519 key, its enrolment request, and the pin
 * file that fixes the election, precincts and commission key for good.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/passphrase.h"
#include "proto/keys.h"
#include "station.h"

static const char keygen_help[] =
    "usage: station keygen --definition DEF --precinct P [--precinct P2 ...]\n"
    "                      --commission-pub PUB [--unencrypted] [--passphrase-fd N]\n"
    "                      --out PREFIX\n"
    "\n"
    "Makes this station's signing key for the election in DEF, after checking\n"
    "DEF against DEF.sig with the commission public key PUB. Writes, never\n"
    "overwriting:\n"
    "  PREFIX.key  secret key (mode 0600; encrypted with a passphrase unless\n"
    "              --unencrypted)\n"
    "  PREFIX.pub  public key\n"
    "  PREFIX.req  enrolment request for the commission (signed by the new key)\n"
    "  PREFIX.pin  the election, precincts and commission key this key is pinned to\n"
    "and prints the key id to write on the paper enrolment form.\n"
    "\n"
    "  --precinct P       a precinct of DEF; give several for an operator key\n"
    "  --unencrypted      store the secret key without a passphrase (tests,\n"
    "                     automation)\n"
    "  --passphrase-fd N  read the passphrase from descriptor N instead of the\n"
    "                     terminal (asked once, not confirmed)\n";

enum { K_DEF, K_PRECINCT, K_PUB, K_UNENC, K_PASSFD, K_OUT, K_N };
static const st_optspec keygen_specs[K_N] = {
    {"definition", 1, 0}, {"precinct", 1, 1},      {"commission-pub", 1, 0},
    {"unencrypted", 0, 0}, {"passphrase-fd", 1, 0}, {"out", 1, 0},
};

/* The four output files, in the order they are written. */
enum { F_KEY, F_PUB, F_REQ, F_PIN, F_N };
static const char *const file_suffix[F_N] = {".key", ".pub", ".req", ".pin"};
static const unsigned file_mode[F_N] = {0600, 0644, 0644, 0644};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int st_cmd_keygen(int argc, char **argv)
{
    int rc = ST_USAGE;
    st_opts o;
    int passfd = -1;
    char *path[F_N] = {NULL, NULL, NULL, NULL};
    int written[F_N] = {0, 0, 0, 0};
    uint8_t *pubbytes = NULL;
    size_t publen = 0;
    uint8_t cpk[PR_PK_BYTES], pk[PR_PK_BYTES], kid[PR_KEYID_BYTES], cid[PR_KEYID_BYTES];
    uint8_t *sk = NULL;
    char *pass = NULL;
    size_t passlen = 0;
    cm_definition *def = NULL;
    const char *sorted[PR_ENROL_PRECINCTS_MAX];
    pr_enrolment *enr = NULL;
    st_pin *pin = NULL;
    pr_buf out[F_N];
    pr_diag d = {0, ""};
    char why[192], e[ST_NAME_BUF], kidhex[PR_KEYID_HEX + 1], cidhex[PR_KEYID_HEX + 1];

    for (size_t i = 0; i < F_N; i++)
        pr_buf_init(&out[i], PR_FILE_MAX);

    if (st_parse_opts(argc, argv, keygen_specs, K_N, 0, &o) != ST_OK)
        goto out;
    if (o.help) {
        fputs(keygen_help, stdout);
        rc = ST_OK;
        goto out;
    }
    if (!o.val[K_DEF] || !o.val[K_PRECINCT] || !o.val[K_PUB] || !o.val[K_OUT]) {
        st_err("keygen", "--definition, --precinct, --commission-pub and --out are required "
                         "(see --help)");
        goto out;
    }
    if (o.val[K_UNENC] && o.val[K_PASSFD]) {
        st_err("keygen", "--unencrypted and --passphrase-fd contradict each other");
        goto out;
    }
    if (st_parse_fd(o.val[K_PASSFD], &passfd) != ST_OK)
        goto out;
    for (size_t i = 0; i < o.n_multi; i++) {
        if (!pr_is_id(o.multi[i], strlen(o.multi[i]))) {
            st_err("--precinct", "%s is not an id", st_esc(o.multi[i], e));
            goto out;
        }
        sorted[i] = o.multi[i];
    }
    /* The request lists precincts ascending (DESIGN 5.2), whatever the
     * order on the command line. */
    qsort(sorted, o.n_multi, sizeof sorted[0], cmp_str);
    for (size_t i = 1; i < o.n_multi; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            st_err("--precinct", "%s given twice", sorted[i]);
            goto out;
        }

    rc = ST_IO;
    for (size_t i = 0; i < F_N; i++) {
        struct stat st;
        size_t n = strlen(o.val[K_OUT]);
        path[i] = malloc(n + 5);
        if (path[i] == NULL) {
            st_err("keygen", "out of memory");
            goto out;
        }
        memcpy(path[i], o.val[K_OUT], n);
        memcpy(path[i] + n, file_suffix[i], 5);
        /* Check all four before making anything, so a clash leaves no
         * half-made key behind. */
        if (lstat(path[i], &st) == 0 || errno != ENOENT) {
            st_err(st_esc(path[i], e), "exists; not overwritten");
            goto out;
        }
    }

    if ((rc = st_read(o.val[K_PUB], PR_FILE_MAX, &pubbytes, &publen)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    if (pr_pubkey_parse(PR_KEY_COMMISSION, pubbytes, publen, cpk, &d) != 0) {
        st_err(st_esc(o.val[K_PUB], e), "line %u: %s", d.line, d.msg);
        goto out;
    }
    if ((rc = st_load_signed_definition(o.val[K_DEF], cpk, &def)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    for (size_t i = 0; i < o.n_multi; i++)
        if (cm_find_precinct(def, sorted[i]) == (size_t)-1) {
            st_err(st_esc(o.val[K_DEF], e), "no precinct %s in election %s", sorted[i],
                   def->id);
            goto out;
        }

    sk = sodium_malloc(PR_SK_BYTES);
    enr = calloc(1, sizeof *enr);
    pin = calloc(1, sizeof *pin);
    if (sk == NULL || enr == NULL || pin == NULL) {
        st_err("keygen", "out of memory");
        goto out;
    }
    if (!o.val[K_UNENC] &&
        cm_passphrase_read(passfd, "Passphrase for the new station key: ", 1, &pass, &passlen,
                           why, sizeof why) != 0) {
        st_err("passphrase", "%s", why);
        goto out;
    }
    crypto_sign_keypair(pk, sk);
    pr_key_id(kid, pk);
    pr_key_id(cid, cpk);

    if (pr_seckey_encode(PR_KEY_STATION, sk, pass, passlen, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE, &out[F_KEY]) != 0 ||
        pr_pubkey_encode(PR_KEY_STATION, pk, &out[F_PUB]) != 0) {
        st_err("keygen", "cannot encode the key files");
        goto out;
    }

    memcpy(enr->election, def->id, sizeof enr->election);
    memcpy(enr->definition, def->hash, PR_HASH_BYTES);
    enr->n_precincts = o.n_multi;
    for (size_t i = 0; i < o.n_multi; i++)
        memcpy(enr->precincts[i], sorted[i], strlen(sorted[i]) + 1);
    enr->created = st_now();
    if (pr_enrolment_sign(enr, sk, &out[F_REQ], &d) != 0) {
        st_err("keygen", "cannot make the enrolment request: %s", d.msg);
        goto out;
    }

    memcpy(pin->election, def->id, sizeof pin->election);
    pin->n_precincts = o.n_multi;
    for (size_t i = 0; i < o.n_multi; i++)
        memcpy(pin->precincts[i], sorted[i], strlen(sorted[i]) + 1);
    memcpy(pin->commission_id, cid, PR_KEYID_BYTES);
    memcpy(pin->commission_pk, cpk, PR_PK_BYTES);
    memcpy(pin->key_id, kid, PR_KEYID_BYTES);
    if (st_pin_encode(pin, &out[F_PIN]) != 0) {
        st_err("keygen", "cannot encode the pin file");
        goto out;
    }

    for (size_t i = 0; i < F_N; i++) {
        if ((rc = st_write_new(path[i], out[i].data, out[i].len, file_mode[i])) != ST_OK)
            goto out;
        written[i] = 1;
    }

    st_key_id_hex(kid, kidhex);
    st_key_id_hex(cid, cidhex);
    printf("key id      %s   (write it on the paper enrolment form)\n", kidhex);
    printf("secret key  %s%s\n", st_esc(path[F_KEY], e),
           pass ? "" : "   (NOT encrypted: keep it offline)");
    printf("public key  %s\n", st_esc(path[F_PUB], e));
    printf("enrolment   %s   (give it to the commission)\n", st_esc(path[F_REQ], e));
    printf("pin         %s   (election %s, commission key %s)\n", st_esc(path[F_PIN], e),
           def->id, cidhex);
    for (size_t i = 0; i < o.n_multi; i++)
        printf("precinct    %s\n", sorted[i]);
    rc = ST_OK;
out:
    /* A half-made key set is worse than none: remove what this run wrote. */
    if (rc != ST_OK)
        for (size_t i = 0; i < F_N; i++)
            if (written[i])
                unlink(path[i]);
    for (size_t i = 0; i < F_N; i++) {
        if (out[i].data != NULL)
            sodium_memzero(out[i].data, out[i].len); /* the key file may be plain */
        pr_buf_free(&out[i]);
        free(path[i]);
    }
    sodium_free(sk);
    cm_passphrase_free(pass);
    cm_definition_free(def);
    free(enr);
    free(pin);
    free(pubbytes);
    return rc;
}
