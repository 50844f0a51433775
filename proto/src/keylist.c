/*
 * keylist.c: encoder, strict parser and signature of `election-keylist 1`,
 * the frozen key list (proto/keylist.h, docs/EVENTS.md). One spelling per
 * meaning: fixed field order, station lines in one order, each once.
 */
#include "proto/keylist.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "proto/alloc.h"

#define B64_LEN(n) sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL)
/* "station " + id + " " + 16 hex + " " + 44 base64 */
#define STATION_LINE_MIN (8u + 1u + 1u + PR_KEYID_HEX + 1u + 44u)

int pr_keylist_cmp(const pr_keylist_entry *a, const pr_keylist_entry *b)
{
    int k = strcmp(a->precinct, b->precinct);

    if (k == 0)
        k = memcmp(a->key_id, b->key_id, PR_KEYID_BYTES);
    if (k == 0)
        k = memcmp(a->pk, b->pk, PR_PK_BYTES);
    return k;
}

static int cmp_void(const void *a, const void *b)
{
    return pr_keylist_cmp(a, b);
}

void pr_keylist_sort(pr_keylist *kl)
{
    if (kl->n > 1)
        qsort(kl->entries, kl->n, sizeof *kl->entries, cmp_void);
}

void pr_keylist_free(pr_keylist *kl)
{
    if (kl == NULL)
        return;
    pr_free(kl->entries);
    kl->entries = NULL;
    kl->n = 0;
}

/* An entry as the grammar wants it: precinct an id, key id of its key, a
 * valid point. */
static int entry_ok(const pr_keylist_entry *x)
{
    uint8_t id[PR_KEYID_BYTES];

    pr_key_id(id, x->pk);
    return pr_is_id(x->precinct, strlen(x->precinct)) && memcmp(id, x->key_id, PR_KEYID_BYTES) == 0 &&
           pr_pk_valid(x->pk);
}

int pr_keylist_sign(pr_keylist *kl, const uint8_t sk[PR_SK_BYTES], pr_buf *out, pr_diag *d)
{
    char hex[PR_HASH_HEX + 1], t[PR_TIME_LEN + 1], b64[B64_LEN(PR_SIG_BYTES)];
    char kid[PR_KEYID_HEX + 1], pub[B64_LEN(PR_PK_BYTES)];
    size_t i;
    int rc = -1;

    pr_buf_init(out, PR_KEYLIST_MAX);
    if (!pr_is_id(kl->election, strlen(kl->election)) || pr_format_time(kl->time, t) != 0 ||
        kl->seq > PR_COUNT_MAX || (kl->n > 0 && kl->entries == NULL)) {
        pr_diag_set(d, 0, "election id, seq or time out of range");
        goto out;
    }
    for (i = 0; i < kl->n; i++) {
        if (!entry_ok(&kl->entries[i])) {
            pr_diag_set(d, 0, "entry %zu: not an id, a key id of another key, or not a valid point", i);
            goto out;
        }
        if (i > 0 && pr_keylist_cmp(&kl->entries[i - 1], &kl->entries[i]) >= 0) {
            pr_diag_set(d, 0, "entry %zu: out of order or repeated", i);
            goto out;
        }
    }
    pr_hex_encode(hex, kl->definition, PR_HASH_BYTES);
    pr_buf_printf(out, "%s\nelection %s\ndefinition %s\n", PR_MAGIC_KEYLIST, kl->election, hex);
    pr_hex_encode(hex, kl->head, PR_HASH_BYTES);
    pr_buf_printf(out, "seq %llu\nhead %s\n", (unsigned long long)kl->seq, hex);
    for (i = 0; i < kl->n && !out->failed; i++) {
        pr_hex_encode(kid, kl->entries[i].key_id, PR_KEYID_BYTES);
        pr_b64_encode(pub, sizeof pub, kl->entries[i].pk, PR_PK_BYTES);
        pr_buf_printf(out, "station %s %s %s\n", kl->entries[i].precinct, kid, pub);
    }
    pr_key_id(kl->key_id, sk + 32);
    pr_hex_encode(kid, kl->key_id, PR_KEYID_BYTES);
    pr_buf_printf(out, "time %s\nkey %s\n", t, kid);
    if (out->failed) {
        pr_diag_set(d, 0, "larger than %u bytes, or out of memory", PR_KEYLIST_MAX);
        goto out;
    }
    kl->signed_len = out->len;
    crypto_sign_detached(kl->signature, NULL, out->data, out->len, sk);
    pr_b64_encode(b64, sizeof b64, kl->signature, PR_SIG_BYTES);
    pr_buf_printf(out, "signature %s\n", b64);
    if (out->failed) {
        pr_diag_set(d, 0, "larger than %u bytes, or out of memory", PR_KEYLIST_MAX);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        pr_buf_free(out);
    return rc;
}

/* The value of a station line: `<precinct> <key id> <public>`. */
static int station_value(const pr_lines *c, pr_keylist_entry *x, pr_diag *d)
{
    const char *v = c->value, *s1, *s2;
    size_t n = c->value_len, plen;
    uint8_t id[PR_KEYID_BYTES];

    s1 = memchr(v, ' ', n);
    s2 = s1 != NULL ? memchr(s1 + 1, ' ', n - (size_t)(s1 + 1 - v)) : NULL;
    if (s1 == NULL || s2 == NULL || memchr(s2 + 1, ' ', n - (size_t)(s2 + 1 - v)) != NULL) {
        pr_diag_set(d, c->lineno, "expected: station <precinct> <key id> <public key>");
        return -1;
    }
    plen = (size_t)(s1 - v);
    if (!pr_is_id(v, plen)) {
        pr_diag_set(d, c->lineno, "precinct: not an id ([a-z0-9][a-z0-9._-]{0,63})");
        return -1;
    }
    memcpy(x->precinct, v, plen);
    x->precinct[plen] = '\0';
    if (pr_hex_decode(x->key_id, PR_KEYID_BYTES, s1 + 1, (size_t)(s2 - s1 - 1)) != 0) {
        pr_diag_set(d, c->lineno, "key id: expected %u lowercase hex digits", PR_KEYID_HEX);
        return -1;
    }
    if (pr_b64_decode(x->pk, PR_PK_BYTES, s2 + 1, n - (size_t)(s2 + 1 - v)) != 0) {
        pr_diag_set(d, c->lineno, "public key: expected canonical padded base64 of %u bytes",
                    PR_PK_BYTES);
        return -1;
    }
    pr_key_id(id, x->pk);
    if (memcmp(id, x->key_id, PR_KEYID_BYTES) != 0) {
        pr_diag_set(d, c->lineno, "key id is not the id of this public key");
        return -1;
    }
    if (!pr_pk_valid(x->pk)) {
        pr_diag_set(d, c->lineno, "public key is not a valid Ed25519 point");
        return -1;
    }
    return 0;
}

int pr_keylist_parse(const uint8_t *buf, size_t len, pr_keylist *kl, pr_diag *d)
{
    pr_keylist_entry *grown;
    size_t cap = 0;
    pr_lines c;
    int rc = -1;

    memset(kl, 0, sizeof *kl);
    if (pr_lines_check_file_max(buf, len, PR_KEYLIST_MAX, d) != 0)
        goto out;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, PR_MAGIC_KEYLIST, d) || pr_lines_expect(&c, "election", d) ||
        pr_lines_id(&c, kl->election, d) || pr_lines_expect(&c, "definition", d) ||
        pr_lines_hex(&c, kl->definition, PR_HASH_BYTES, d) || pr_lines_expect(&c, "seq", d) ||
        pr_lines_count(&c, &kl->seq, d) || pr_lines_expect(&c, "head", d) ||
        pr_lines_hex(&c, kl->head, PR_HASH_BYTES, d))
        goto out;
    while (pr_lines_peek(&c, "station")) {
        if (kl->n == cap) {
            /* Never more lines than the bytes left can hold. */
            size_t ncap = cap ? 2 * cap : 64, most = (len - c.pos) / STATION_LINE_MIN + 1;
            if (ncap > kl->n + most)
                ncap = kl->n + most;
            grown = pr_realloc(kl->entries, ncap * sizeof *grown);
            if (grown == NULL) {
                pr_diag_set(d, 0, "out of memory");
                goto out;
            }
            kl->entries = grown;
            cap = ncap;
        }
        if (pr_lines_expect(&c, "station", d) || station_value(&c, &kl->entries[kl->n], d))
            goto out;
        if (kl->n > 0 && pr_keylist_cmp(&kl->entries[kl->n - 1], &kl->entries[kl->n]) >= 0) {
            pr_diag_set(d, c.lineno, "station lines must be in ascending order, each once");
            goto out;
        }
        kl->n++;
    }
    if (pr_lines_signed_tail(&c, &kl->time, kl->key_id, &kl->signed_len, kl->signature, d) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        pr_keylist_free(kl);
    return rc;
}

int pr_keylist_verify(const uint8_t *buf, const pr_keylist *kl, const uint8_t pk[PR_PK_BYTES],
                      pr_diag *d)
{
    return pr_commission_verify(buf, kl->signed_len, kl->key_id, kl->signature, pk, d);
}
