/*
 * tally.c: encoder, strict parser and signature of `election-tally 1`
 * (docs/BUNDLE.md). As for checkpoints, the signed bytes are every byte
 * through the LF of the `key` line, and the type line keeps the signature
 * from being replayed as any other commission-signed object.
 */
#include "proto/tally.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "proto/alloc.h"

#define B64_LEN(n) sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL)

pr_tally_contest *pr_tally_add_contest(pr_tally *t, const char *id)
{
    pr_tally_contest *grown, *c = NULL;

    grown = pr_realloc(t->contests, (t->n_contests + 1) * sizeof *grown);
    if (grown != NULL) {
        t->contests = grown;
        c = &grown[t->n_contests++];
        memset(c, 0, sizeof *c);
        snprintf(c->id, sizeof c->id, "%s", id);
    }
    return c;
}

void pr_tally_free(pr_tally *t)
{
    if (t != NULL) {
        pr_free(t->contests);
        t->contests = NULL;
        t->n_contests = 0;
    }
}

int pr_tally_sign(pr_tally *t, const uint8_t sk[PR_SK_BYTES], pr_buf *out, pr_diag *d)
{
    char hex[PR_HASH_HEX + 1], tm[PR_TIME_LEN + 1], b64[B64_LEN(PR_SIG_BYTES)];
    size_t i, k;
    int rc = -1;

    pr_buf_init(out, PR_TALLY_FILE_MAX);
    if (!pr_is_id(t->election, strlen(t->election)) || !pr_is_id(t->area, strlen(t->area)) ||
        pr_format_time(t->time, tm) != 0) {
        pr_diag_set(d, 0, "election or area id, or time, out of range");
        goto out;
    }
    pr_hex_encode(hex, t->head, PR_HASH_BYTES);
    pr_buf_printf(out, "%s\nelection %s\narea %s\nseq %llu\nhead %s\n", PR_MAGIC_TALLY, t->election,
                  t->area, (unsigned long long)t->seq, hex);
    for (i = 0; i < t->n_contests; i++) {
        const pr_tally_contest *c = &t->contests[i];
        if (!pr_is_id(c->id, strlen(c->id)) || c->n_lines > PR_LINES_MAX ||
            c->n_votes > PR_CANDIDATES_MAX) {
            pr_diag_set(d, 0, "contest %zu out of range", i + 1);
            goto out;
        }
        pr_buf_printf(out, "contest %s\nprecincts %llu %llu\n", c->id,
                      (unsigned long long)c->in_tally, (unsigned long long)c->expected);
        for (k = 0; k < c->n_lines; k++)
            pr_buf_printf(out, "count %s %llu\n", c->line_ids[k], (unsigned long long)c->lines[k]);
        for (k = 0; k < c->n_votes; k++)
            pr_buf_printf(out, "votes %s %llu\n", c->candidate_ids[k],
                          (unsigned long long)c->votes[k]);
    }
    pr_key_id(t->key_id, sk + 32);
    pr_hex_encode(hex, t->key_id, PR_KEYID_BYTES);
    pr_buf_printf(out, "time %s\nkey %s\n", tm, hex);
    if (out->failed) {
        pr_diag_set(d, 0, "out of memory or larger than %u bytes", PR_TALLY_FILE_MAX);
        goto out;
    }
    t->signed_len = out->len;
    crypto_sign_detached(t->signature, NULL, out->data, out->len, sk);
    pr_b64_encode(b64, sizeof b64, t->signature, PR_SIG_BYTES);
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

/* A sum: decimal, no sign, no leading zeros, at most PR_TALLY_SUM_MAX. */
static int parse_sum(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10u + (uint64_t)(s[i] - '0');
    }
    if (v > PR_TALLY_SUM_MAX)
        return -1;
    *out = v;
    return 0;
}

/* `field <id> <sum>` into id and *v. */
static int id_sum(pr_lines *c, const char *field, char *id, uint64_t *v, pr_diag *d)
{
    const char *a, *b;
    size_t alen, blen;

    if (pr_lines_expect(c, field, d) || pr_lines_two(c, &a, &alen, &b, &blen, d))
        return -1;
    if (!pr_is_id(a, alen)) {
        pr_diag_set(d, c->lineno, "not an id ([a-z0-9][a-z0-9._-]{0,63})");
        return -1;
    }
    if (parse_sum(b, blen, v) != 0) {
        pr_diag_set(d, c->lineno, "not a sum (decimal, no sign, no leading zeros, at most 10^18)");
        return -1;
    }
    memcpy(id, a, alen);
    id[alen] = '\0';
    return 0;
}

int pr_tally_parse(const uint8_t *buf, size_t len, pr_tally *t, pr_diag *d)
{
    const char *a, *b;
    size_t alen, blen;
    pr_tally_contest *ct;
    char id[PR_ID_MAX + 1];
    pr_lines c;
    int rc = -1;

    memset(t, 0, sizeof *t);
    if (pr_lines_check_file_max(buf, len, PR_TALLY_FILE_MAX, d) != 0)
        goto out;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, PR_MAGIC_TALLY, d) || pr_lines_expect(&c, "election", d) ||
        pr_lines_id(&c, t->election, d) || pr_lines_expect(&c, "area", d) ||
        pr_lines_id(&c, t->area, d) || pr_lines_expect(&c, "seq", d) ||
        pr_lines_number(&c, UINT64_MAX / 2, &t->seq, d) || pr_lines_expect(&c, "head", d) ||
        pr_lines_hex(&c, t->head, PR_HASH_BYTES, d))
        goto out;
    while (pr_lines_peek(&c, "contest")) {
        if (pr_lines_expect(&c, "contest", d) || pr_lines_id(&c, id, d))
            goto out;
        ct = pr_tally_add_contest(t, id);
        if (ct == NULL) {
            pr_diag_set(d, c.lineno, "out of memory");
            goto out;
        }
        if (pr_lines_expect(&c, "precincts", d) || pr_lines_two(&c, &a, &alen, &b, &blen, d))
            goto out;
        if (parse_sum(a, alen, &ct->in_tally) != 0 || parse_sum(b, blen, &ct->expected) != 0) {
            pr_diag_set(d, c.lineno, "expected: precincts <in tally> <expected>");
            goto out;
        }
        while (pr_lines_peek(&c, "count")) {
            if (ct->n_lines == PR_LINES_MAX) {
                pr_diag_set(d, c.lineno + 1, "more than %u lines", PR_LINES_MAX);
                goto out;
            }
            if (id_sum(&c, "count", ct->line_ids[ct->n_lines], &ct->lines[ct->n_lines], d) != 0)
                goto out;
            ct->n_lines++;
        }
        while (pr_lines_peek(&c, "votes")) {
            if (ct->n_votes == PR_CANDIDATES_MAX) {
                pr_diag_set(d, c.lineno + 1, "more than %u candidates", PR_CANDIDATES_MAX);
                goto out;
            }
            if (id_sum(&c, "votes", ct->candidate_ids[ct->n_votes], &ct->votes[ct->n_votes], d) != 0)
                goto out;
            ct->n_votes++;
        }
    }
    if (pr_lines_signed_tail(&c, &t->time, t->key_id, &t->signed_len, t->signature, d) != 0)
        goto out;
    rc = 0;
out:
    return rc;
}

int pr_tally_verify(const uint8_t *buf, const pr_tally *t, const uint8_t pk[PR_PK_BYTES], pr_diag *d)
{
    return pr_commission_verify(buf, t->signed_len, t->key_id, t->signature, pk, d);
}
