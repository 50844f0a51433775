/*
 * pin.c: the station's pin file (`station-pin 1`, docs/STATION.md): what
 * `station keygen` fixed for good, namely the election, the precincts, the
 * commission key and the station's own key id. Read strictly, like the
 * signed formats, because `station record` trusts it to check signatures.
 */
#include <string.h>

#include <sodium.h>

#include "station.h"

/* Next LF-terminated line from buf at *pos: sets *s, *n (without the LF).
 * Returns 1 on a line, 0 at the end, -1 when the last line lacks its LF. */
static int next_line(const uint8_t *buf, size_t len, size_t *pos, const char **s, size_t *n)
{
    if (*pos >= len)
        return 0;
    const uint8_t *nl = memchr(buf + *pos, '\n', len - *pos);
    if (nl == NULL)
        return -1;
    *s = (const char *)buf + *pos;
    *n = (size_t)(nl - (buf + *pos));
    *pos += *n + 1;
    return 1;
}

/* If line s[0..n) is `<field> <value>`, points *v and *vn at the value. */
static int field(const char *s, size_t n, const char *name, const char **v, size_t *vn)
{
    size_t k = strlen(name);
    if (n < k + 2 || memcmp(s, name, k) != 0 || s[k] != ' ')
        return 0;
    *v = s + k + 1;
    *vn = n - k - 1;
    return 1;
}

int st_pin_encode(const st_pin *p, pr_buf *out)
{
    char idhex[PR_KEYID_HEX + 1], kidhex[PR_KEYID_HEX + 1];
    char b64[sodium_base64_ENCODED_LEN(PR_PK_BYTES, sodium_base64_VARIANT_ORIGINAL)];

    pr_hex_encode(idhex, p->commission_id, PR_KEYID_BYTES);
    pr_hex_encode(kidhex, p->key_id, PR_KEYID_BYTES);
    pr_b64_encode(b64, sizeof b64, p->commission_pk, PR_PK_BYTES);
    pr_buf_printf(out, "%s\nelection %s\n", ST_MAGIC_PIN, p->election);
    for (size_t i = 0; i < p->n_precincts; i++)
        pr_buf_printf(out, "precinct %s\n", p->precincts[i]);
    pr_buf_printf(out, "commission %s\ncommission-public %s\nkey %s\n", idhex, b64, kidhex);
    return out->failed ? -1 : 0;
}

int st_pin_parse(const uint8_t *buf, size_t len, st_pin *p, pr_diag *d)
{
    int rc = -1, r;
    size_t pos = 0, n = 0, vn = 0;
    const char *s = NULL, *v = NULL;
    unsigned line = 0;
    uint8_t want[PR_KEYID_BYTES];

    memset(p, 0, sizeof *p);
    if (len > PR_FILE_MAX) {
        pr_diag_set(d, 0, "larger than %u bytes", (unsigned)PR_FILE_MAX);
        goto out;
    }

#define NEXT()                                                                 \
    do {                                                                       \
        r = next_line(buf, len, &pos, &s, &n);                                 \
        line++;                                                                \
        if (r <= 0) {                                                          \
            pr_diag_set(d, line, r < 0 ? "no LF at the end" : "file ends early"); \
            goto out;                                                          \
        }                                                                      \
    } while (0)

    NEXT();
    if (n != strlen(ST_MAGIC_PIN) || memcmp(s, ST_MAGIC_PIN, n) != 0) {
        pr_diag_set(d, line, "not a station pin file (expected \"%s\")", ST_MAGIC_PIN);
        goto out;
    }
    NEXT();
    if (!field(s, n, "election", &v, &vn) || !pr_is_id(v, vn)) {
        pr_diag_set(d, line, "expected \"election <id>\"");
        goto out;
    }
    memcpy(p->election, v, vn);

    /* One or more precincts, strictly ascending; then the commission. */
    NEXT();
    while (field(s, n, "precinct", &v, &vn)) {
        if (!pr_is_id(v, vn)) {
            pr_diag_set(d, line, "precinct: not an id");
            goto out;
        }
        if (p->n_precincts == PR_ENROL_PRECINCTS_MAX) {
            pr_diag_set(d, line, "more than %u precincts", (unsigned)PR_ENROL_PRECINCTS_MAX);
            goto out;
        }
        memcpy(p->precincts[p->n_precincts], v, vn);
        p->precincts[p->n_precincts][vn] = '\0';
        if (p->n_precincts > 0 &&
            strcmp(p->precincts[p->n_precincts - 1], p->precincts[p->n_precincts]) >= 0) {
            pr_diag_set(d, line, "precincts must be ascending and distinct");
            goto out;
        }
        p->n_precincts++;
        NEXT();
    }
    if (p->n_precincts == 0) {
        pr_diag_set(d, line, "expected \"precinct <id>\"");
        goto out;
    }
    if (!field(s, n, "commission", &v, &vn) ||
        pr_hex_decode(p->commission_id, PR_KEYID_BYTES, v, vn) != 0) {
        pr_diag_set(d, line, "expected \"commission <16 hex>\"");
        goto out;
    }
    NEXT();
    if (!field(s, n, "commission-public", &v, &vn) ||
        pr_b64_decode(p->commission_pk, PR_PK_BYTES, v, vn) != 0) {
        pr_diag_set(d, line, "expected \"commission-public <base64 of 32 bytes>\"");
        goto out;
    }
    pr_key_id(want, p->commission_pk);
    if (sodium_memcmp(want, p->commission_id, PR_KEYID_BYTES) != 0) {
        pr_diag_set(d, line, "commission-public does not match the commission key id");
        goto out;
    }
    if (!pr_pk_valid(p->commission_pk)) {
        pr_diag_set(d, line, "commission-public is not a valid Ed25519 key");
        goto out;
    }
    NEXT();
    if (!field(s, n, "key", &v, &vn) || pr_hex_decode(p->key_id, PR_KEYID_BYTES, v, vn) != 0) {
        pr_diag_set(d, line, "expected \"key <16 hex>\"");
        goto out;
    }
#undef NEXT
    if (pos != len) {
        pr_diag_set(d, line + 1, "unexpected line after \"key\"");
        goto out;
    }
    rc = 0;
out:
    return rc;
}

int st_pin_has_precinct(const st_pin *p, const char *id)
{
    for (size_t i = 0; i < p->n_precincts; i++)
        if (strcmp(p->precincts[i], id) == 0)
            return 1;
    return 0;
}
