/*
 * checkpoint.c: encoder, strict parser and signature of `election-checkpoint
 * 1` and `election-receipt 1`. Like the definition signature, the signed bytes are every byte
 * through the LF of the `key` line, and the type line keeps it from being
 * replayed as any other commission-signed object.
 */
#include "proto/checkpoint.h"

#include <sodium.h>
#include <string.h>

#include "lines.h"

#define B64_LEN(n) sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL)

const char *const pr_checkpoint_verdicts[PR_CHECKPOINT_VERDICTS] = {
    "accepted", "flagged", "corrected", "duplicate", "stale", "conflict", "held", "rejected"};

int pr_checkpoint_sign(pr_checkpoint *cp, const uint8_t sk[PR_SK_BYTES], pr_buf *out, pr_diag *d)
{
    char hex[PR_HASH_HEX + 1], t[PR_TIME_LEN + 1], b64[B64_LEN(PR_SIG_BYTES)];
    size_t i;
    int rc = -1;

    pr_buf_init(out, PR_FILE_MAX);
    if (!pr_is_id(cp->election, strlen(cp->election)) || pr_format_time(cp->time, t) != 0) {
        pr_diag_set(d, 0, "election id or time out of range");
        goto out;
    }
    pr_hex_encode(hex, cp->head, PR_HASH_BYTES);
    pr_buf_printf(out, "%s\nelection %s\nseq %llu\nhead %s\n", PR_MAGIC_CHECKPOINT, cp->election,
                  (unsigned long long)cp->seq, hex);
    for (i = 0; i < PR_CHECKPOINT_VERDICTS; i++)
        pr_buf_printf(out, "count %s %llu\n", pr_checkpoint_verdicts[i],
                      (unsigned long long)cp->counts[i]);
    pr_key_id(cp->key_id, sk + 32);
    pr_hex_encode(hex, cp->key_id, PR_KEYID_BYTES);
    pr_buf_printf(out, "time %s\nkey %s\n", t, hex);
    if (out->failed) {
        pr_diag_set(d, 0, "out of memory");
        goto out;
    }
    cp->signed_len = out->len;
    crypto_sign_detached(cp->signature, NULL, out->data, out->len, sk);
    pr_b64_encode(b64, sizeof b64, cp->signature, PR_SIG_BYTES);
    pr_buf_printf(out, "signature %s\n", b64);
    if (out->failed) {
        pr_diag_set(d, 0, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        pr_buf_free(out);
    return rc;
}

int pr_checkpoint_parse(const uint8_t *buf, size_t len, pr_checkpoint *cp, pr_diag *d)
{
    const char *a, *b;
    size_t alen, blen, i;
    pr_lines c;
    int rc = -1;

    memset(cp, 0, sizeof *cp);
    if (pr_lines_check_file(buf, len, d) != 0)
        goto out;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, PR_MAGIC_CHECKPOINT, d) || pr_lines_expect(&c, "election", d) ||
        pr_lines_id(&c, cp->election, d) || pr_lines_expect(&c, "seq", d) ||
        pr_lines_count(&c, &cp->seq, d) || pr_lines_expect(&c, "head", d) ||
        pr_lines_hex(&c, cp->head, PR_HASH_BYTES, d))
        goto out;
    for (i = 0; i < PR_CHECKPOINT_VERDICTS; i++) {
        if (pr_lines_expect(&c, "count", d) || pr_lines_two(&c, &a, &alen, &b, &blen, d))
            goto out;
        if (alen != strlen(pr_checkpoint_verdicts[i]) ||
            memcmp(a, pr_checkpoint_verdicts[i], alen) != 0) {
            pr_diag_set(d, c.lineno, "expected the count of %s here", pr_checkpoint_verdicts[i]);
            goto out;
        }
        if (pr_parse_count(b, blen, &cp->counts[i]) != 0) {
            pr_diag_set(d, c.lineno, "not a count");
            goto out;
        }
    }
    if (pr_lines_signed_tail(&c, &cp->time, cp->key_id, &cp->signed_len, cp->signature, d) != 0)
        goto out;
    rc = 0;
out:
    return rc;
}

int pr_checkpoint_verify(const uint8_t *buf, const pr_checkpoint *cp, const uint8_t pk[PR_PK_BYTES],
                         pr_diag *d)
{
    return pr_commission_verify(buf, cp->signed_len, cp->key_id, cp->signature, pk, d);
}

/* Reason codes: lowercase ids joined by single commas. */
static int codes_ok(const char *s, size_t n)
{
    size_t i, start = 0;
    int ok = n > 0 && n <= PR_RECEIPT_CODES_MAX;

    for (i = 0; ok && i <= n; i++)
        if (i == n || s[i] == ',') {
            ok = pr_is_id(s + start, i - start);
            start = i + 1;
        }
    return ok;
}

int pr_receipt_sign(pr_receipt *r, const uint8_t sk[PR_SK_BYTES], pr_buf *out, pr_diag *d)
{
    char file[PR_HASH_HEX + 1], head[PR_HASH_HEX + 1], kid[PR_KEYID_HEX + 1];
    char t[PR_TIME_LEN + 1], b64[B64_LEN(PR_SIG_BYTES)];
    int rc = -1;

    pr_buf_init(out, PR_FILE_MAX);
    if (!pr_is_id(r->election, strlen(r->election)) || !pr_is_id(r->verdict, strlen(r->verdict)) ||
        (r->codes[0] != '\0' && !codes_ok(r->codes, strlen(r->codes))) ||
        pr_format_time(r->time, t) != 0) {
        pr_diag_set(d, 0, "a field is out of range");
        goto out;
    }
    pr_hex_encode(file, r->file, PR_HASH_BYTES);
    pr_hex_encode(head, r->head, PR_HASH_BYTES);
    pr_key_id(r->key_id, sk + 32);
    pr_hex_encode(kid, r->key_id, PR_KEYID_BYTES);
    /* The codes go in on their own: up to PR_RECEIPT_CODES_MAX bytes, more
     * than one pr_buf_printf may write (fuzz/fuzz_receipt.c found this). */
    pr_buf_printf(out, "%s\nelection %s\nfile %s\nverdict %s\ncodes ", PR_MAGIC_RECEIPT,
                  r->election, file, r->verdict);
    if (r->codes[0] != '\0')
        pr_buf_add(out, r->codes, strlen(r->codes));
    else
        pr_buf_add(out, "-", 1);
    pr_buf_printf(out, "\nseq %llu\nhead %s\n", (unsigned long long)r->seq, head);
    pr_buf_printf(out, "time %s\nkey %s\n", t, kid);
    if (out->failed) {
        pr_diag_set(d, 0, "out of memory");
        goto out;
    }
    r->signed_len = out->len;
    crypto_sign_detached(r->signature, NULL, out->data, out->len, sk);
    pr_b64_encode(b64, sizeof b64, r->signature, PR_SIG_BYTES);
    pr_buf_printf(out, "signature %s\n", b64);
    if (out->failed) {
        pr_diag_set(d, 0, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        pr_buf_free(out);
    return rc;
}

int pr_receipt_parse(const uint8_t *buf, size_t len, pr_receipt *r, pr_diag *d)
{
    pr_lines c;
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (pr_lines_check_file(buf, len, d) != 0)
        goto out;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, PR_MAGIC_RECEIPT, d) || pr_lines_expect(&c, "election", d) ||
        pr_lines_id(&c, r->election, d) || pr_lines_expect(&c, "file", d) ||
        pr_lines_hex(&c, r->file, PR_HASH_BYTES, d) || pr_lines_expect(&c, "verdict", d) ||
        pr_lines_id(&c, r->verdict, d) || pr_lines_expect(&c, "codes", d))
        goto out;
    if (!(c.value_len == 1 && c.value[0] == '-')) {
        if (!codes_ok(c.value, c.value_len)) {
            pr_diag_set(d, c.lineno, "not a list of reason codes");
            goto out;
        }
        memcpy(r->codes, c.value, c.value_len);
        r->codes[c.value_len] = '\0';
    }
    if (pr_lines_expect(&c, "seq", d) || pr_lines_count(&c, &r->seq, d) ||
        pr_lines_expect(&c, "head", d) || pr_lines_hex(&c, r->head, PR_HASH_BYTES, d) ||
        pr_lines_signed_tail(&c, &r->time, r->key_id, &r->signed_len, r->signature, d) != 0)
        goto out;
    rc = 0;
out:
    return rc;
}

int pr_receipt_verify(const uint8_t *buf, const pr_receipt *r, const uint8_t pk[PR_PK_BYTES],
                      pr_diag *d)
{
    return pr_commission_verify(buf, r->signed_len, r->key_id, r->signature, pk, d);
}
