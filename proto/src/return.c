/*
 * return.c: `precinct-return 1` (DESIGN 5.1): the strict parser, the
 * canonical encoder, signing, verification and the content hash. The parser
 * accepts exactly the grammar, so every return has one byte string.
 */
#include "proto/return.h"

#include <sodium.h>
#include <string.h>

#include "lines.h"

const char *pr_mode_name(pr_mode m)
{
    return m == PR_MODE_TEST ? "test" : "live";
}

int pr_return_count(const pr_return *r, const char *id, uint64_t *value)
{
    for (size_t i = 0; i < r->n_counts; i++)
        if (strcmp(r->counts[i].id, id) == 0) {
            *value = r->counts[i].value;
            return 1;
        }
    return 0;
}

/* Parses the `count`/`votes` line value "<id> <count>" into item. */
static int parse_item(const pr_lines *c, pr_item *item, const char *what, pr_diag *d)
{
    const char *a, *b;
    size_t alen, blen;
    if (pr_lines_two(c, &a, &alen, &b, &blen, d) != 0)
        return -1;
    if (!pr_is_id(a, alen)) {
        pr_diag_set(d, c->lineno, "%s: not an id ([a-z0-9][a-z0-9._-]{0,63})", what);
        return -1;
    }
    if (pr_parse_count(b, blen, &item->value) != 0) {
        pr_diag_set(d, c->lineno,
                    "%s: not a count (decimal, no sign, no leading zeros, at most 1000000000)",
                    what);
        return -1;
    }
    memcpy(item->id, a, alen);
    item->id[alen] = '\0';
    return 0;
}

static int seen_before(const pr_item *items, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].id, id) == 0)
            return 1;
    return 0;
}

int pr_return_parse(const uint8_t *buf, size_t len, pr_return *r, pr_diag *d)
{
    pr_lines c;
    static const char *const required[] = {"registered", "ballots-cast", "invalid"};

    memset(r, 0, sizeof *r);
    if (pr_lines_check_file(buf, len, d) != 0)
        return -1;
    pr_lines_init(&c, buf, len);
    if (pr_lines_expect_exact(&c, PR_MAGIC_RETURN, d) != 0)
        return -1;
    if (pr_lines_expect(&c, "election", d) || pr_lines_id(&c, r->election, d))
        return -1;
    if (pr_lines_expect(&c, "definition", d) || pr_lines_hex(&c, r->definition, PR_HASH_BYTES, d))
        return -1;
    if (pr_lines_expect(&c, "mode", d))
        return -1;
    if (c.value_len == 4 && memcmp(c.value, "live", 4) == 0)
        r->mode = PR_MODE_LIVE;
    else if (c.value_len == 4 && memcmp(c.value, "test", 4) == 0)
        r->mode = PR_MODE_TEST;
    else {
        pr_diag_set(d, c.lineno, "mode must be 'live' or 'test'");
        return -1;
    }
    if (pr_lines_expect(&c, "contest", d) || pr_lines_id(&c, r->contest, d))
        return -1;
    if (pr_lines_expect(&c, "precinct", d) || pr_lines_id(&c, r->precinct, d))
        return -1;
    if (pr_lines_expect(&c, "revision", d) || pr_lines_count(&c, &r->revision, d))
        return -1;
    if (r->revision < 1) {
        pr_diag_set(d, c.lineno, "revision must be at least 1");
        return -1;
    }
    if (r->revision > 1) {
        if (pr_lines_expect(&c, "supersedes", d) ||
            pr_lines_hex(&c, r->supersedes, PR_HASH_BYTES, d))
            return -1;
        if (pr_lines_expect(&c, "reason", d))
            return -1;
        if (!pr_is_text(c.value, c.value_len)) {
            pr_diag_set(d, c.lineno,
                        "reason: not a valid text (1-200 bytes of UTF-8, no control or bidi "
                        "characters, no leading or trailing space)");
            return -1;
        }
        memcpy(r->reason, c.value, c.value_len);
        r->reason[c.value_len] = '\0';
    }
    while (pr_lines_peek(&c, "count")) {
        pr_item it;
        if (r->n_counts == PR_LINES_MAX) {
            pr_diag_set(d, c.lineno + 1, "more than %u count lines", PR_LINES_MAX);
            return -1;
        }
        if (pr_lines_expect(&c, "count", d) || parse_item(&c, &it, "count", d))
            return -1;
        if (strcmp(it.id, "votes") == 0) {
            pr_diag_set(d, c.lineno, "count: 'votes' is reserved and never a line id");
            return -1;
        }
        if (seen_before(r->counts, r->n_counts, it.id)) {
            pr_diag_set(d, c.lineno, "count: line id '%s' repeated", it.id);
            return -1;
        }
        r->counts[r->n_counts++] = it;
    }
    if (r->n_counts == 0) {
        pr_diag_set(d, c.lineno + 1, "expected field 'count'");
        return -1;
    }
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++) {
        uint64_t v;
        if (!pr_return_count(r, required[k], &v)) {
            pr_diag_set(d, c.lineno, "count: required line '%s' is missing", required[k]);
            return -1;
        }
    }
    while (pr_lines_peek(&c, "votes")) {
        pr_item it;
        if (r->n_votes == PR_CANDIDATES_MAX) {
            pr_diag_set(d, c.lineno + 1, "more than %u votes lines", PR_CANDIDATES_MAX);
            return -1;
        }
        if (pr_lines_expect(&c, "votes", d) || parse_item(&c, &it, "votes", d))
            return -1;
        if (seen_before(r->votes, r->n_votes, it.id)) {
            pr_diag_set(d, c.lineno, "votes: candidate id '%s' repeated", it.id);
            return -1;
        }
        r->votes[r->n_votes++] = it;
    }
    if (r->n_votes == 0) {
        pr_diag_set(d, c.lineno + 1, "expected field 'votes'");
        return -1;
    }
    while (pr_lines_peek(&c, "evidence")) {
        if (r->n_evidence == PR_EVIDENCE_MAX) {
            pr_diag_set(d, c.lineno + 1, "more than %u evidence lines", PR_EVIDENCE_MAX);
            return -1;
        }
        if (pr_lines_expect(&c, "evidence", d) ||
            pr_lines_hex(&c, r->evidence[r->n_evidence], PR_HASH_BYTES, d))
            return -1;
        if (r->n_evidence > 0 &&
            memcmp(r->evidence[r->n_evidence - 1], r->evidence[r->n_evidence], PR_HASH_BYTES) >= 0) {
            pr_diag_set(d, c.lineno, "evidence: hashes must be ascending and distinct");
            return -1;
        }
        r->n_evidence++;
    }
    if (pr_lines_expect(&c, "signed", d) || pr_lines_time(&c, &r->signed_at, d))
        return -1;
    if (pr_lines_expect(&c, "key", d) || pr_lines_hex(&c, r->key_id, PR_KEYID_BYTES, d))
        return -1;
    r->signed_len = c.pos;
    if (pr_lines_expect(&c, "signature", d) || pr_lines_b64(&c, r->signature, PR_SIG_BYTES, d))
        return -1;
    return pr_lines_expect_end(&c, d);
}

/* Encodes the return. with_sig_fields: include `signed` and `key` (the
 * signed part); without them the output is the content (DESIGN 5.1). */
static int encode(const pr_return *r, int with_sig_fields, pr_buf *o, pr_diag *d)
{
    char hex[PR_HASH_HEX + 1], t[PR_TIME_LEN + 1];
    int have[3] = {0, 0, 0};

    if (!pr_is_id(r->election, strlen(r->election)) || !pr_is_id(r->contest, strlen(r->contest)) ||
        !pr_is_id(r->precinct, strlen(r->precinct))) {
        pr_diag_set(d, 0, "election, contest and precinct must be ids");
        return -1;
    }
    if (r->revision < 1 || r->revision > PR_COUNT_MAX) {
        pr_diag_set(d, 0, "revision must be a count >= 1");
        return -1;
    }
    if (r->n_counts == 0 || r->n_counts > PR_LINES_MAX || r->n_votes == 0 ||
        r->n_votes > PR_CANDIDATES_MAX || r->n_evidence > PR_EVIDENCE_MAX) {
        pr_diag_set(d, 0, "wrong number of count, votes or evidence lines");
        return -1;
    }
    pr_buf_printf(o, "%s\nelection %s\n", PR_MAGIC_RETURN, r->election);
    pr_hex_encode(hex, r->definition, PR_HASH_BYTES);
    pr_buf_printf(o, "definition %s\nmode %s\ncontest %s\nprecinct %s\nrevision %llu\n", hex,
                  pr_mode_name(r->mode), r->contest, r->precinct,
                  (unsigned long long)r->revision);
    if (r->revision > 1) {
        if (!pr_is_text(r->reason, strlen(r->reason))) {
            pr_diag_set(d, 0, "reason: not a valid text");
            return -1;
        }
        pr_hex_encode(hex, r->supersedes, PR_HASH_BYTES);
        pr_buf_printf(o, "supersedes %s\n", hex);
        pr_buf_add(o, "reason ", 7);
        pr_buf_add(o, r->reason, strlen(r->reason));
        pr_buf_add(o, "\n", 1);
    }
    for (size_t i = 0; i < r->n_counts; i++) {
        const pr_item *it = &r->counts[i];
        if (!pr_is_id(it->id, strlen(it->id)) || strcmp(it->id, "votes") == 0 ||
            it->value > PR_COUNT_MAX || seen_before(r->counts, i, it->id)) {
            pr_diag_set(d, 0, "count line %zu: bad id or value", i + 1);
            return -1;
        }
        have[0] |= strcmp(it->id, "registered") == 0;
        have[1] |= strcmp(it->id, "ballots-cast") == 0;
        have[2] |= strcmp(it->id, "invalid") == 0;
        pr_buf_printf(o, "count %s %llu\n", it->id, (unsigned long long)it->value);
    }
    if (!have[0] || !have[1] || !have[2]) {
        pr_diag_set(d, 0, "count lines registered, ballots-cast and invalid are required");
        return -1;
    }
    for (size_t i = 0; i < r->n_votes; i++) {
        const pr_item *it = &r->votes[i];
        if (!pr_is_id(it->id, strlen(it->id)) || it->value > PR_COUNT_MAX ||
            seen_before(r->votes, i, it->id)) {
            pr_diag_set(d, 0, "votes line %zu: bad id or value", i + 1);
            return -1;
        }
        pr_buf_printf(o, "votes %s %llu\n", it->id, (unsigned long long)it->value);
    }
    for (size_t i = 0; i < r->n_evidence; i++) {
        if (i > 0 && memcmp(r->evidence[i - 1], r->evidence[i], PR_HASH_BYTES) >= 0) {
            pr_diag_set(d, 0, "evidence hashes must be ascending and distinct");
            return -1;
        }
        pr_hex_encode(hex, r->evidence[i], PR_HASH_BYTES);
        pr_buf_printf(o, "evidence %s\n", hex);
    }
    if (with_sig_fields) {
        if (pr_format_time(r->signed_at, t) != 0) {
            pr_diag_set(d, 0, "signed time outside 2000-2099");
            return -1;
        }
        pr_hex_encode(hex, r->key_id, PR_KEYID_BYTES);
        pr_buf_printf(o, "signed %s\nkey %s\n", t, hex);
    }
    if (o->failed) {
        pr_diag_set(d, 0, "return larger than %u bytes or out of memory", PR_FILE_MAX);
        return -1;
    }
    return 0;
}

int pr_return_encode_signed_part(const pr_return *r, pr_buf *out, pr_diag *d)
{
    return encode(r, 1, out, d);
}

int pr_return_sign(pr_return *r, const uint8_t sk[PR_SK_BYTES], pr_buf *out, pr_diag *d)
{
    char b64[sodium_base64_ENCODED_LEN(PR_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    pr_buf_init(out, PR_FILE_MAX);
    /* libsodium's secret key holds the public key in its upper half. */
    pr_key_id(r->key_id, sk + 32);
    if (encode(r, 1, out, d) != 0)
        goto fail;
    r->signed_len = out->len;
    crypto_sign_detached(r->signature, NULL, out->data, out->len, sk);
    pr_b64_encode(b64, sizeof b64, r->signature, PR_SIG_BYTES);
    pr_buf_printf(out, "signature %s\n", b64);
    if (out->failed) {
        pr_diag_set(d, 0, "return larger than %u bytes or out of memory", PR_FILE_MAX);
        goto fail;
    }
    return 0;
fail:
    pr_buf_free(out);
    return -1;
}

int pr_return_verify(const uint8_t *buf, const pr_return *r, const uint8_t pk[PR_PK_BYTES])
{
    if (!pr_pk_valid(pk))
        return -1;
    return pr_return_verify_enrolled(buf, r, pk);
}

int pr_return_verify_enrolled(const uint8_t *buf, const pr_return *r, const uint8_t pk[PR_PK_BYTES])
{
    uint8_t id[PR_KEYID_BYTES];

    pr_key_id(id, pk);
    if (memcmp(id, r->key_id, PR_KEYID_BYTES) != 0)
        return -1;
    return crypto_sign_verify_detached(r->signature, buf, r->signed_len, pk) == 0 ? 0 : -1;
}

int pr_return_content_hash(const pr_return *r, uint8_t out[PR_HASH_BYTES])
{
    pr_buf b;
    int rc = -1;
    pr_buf_init(&b, PR_FILE_MAX);
    if (encode(r, 0, &b, NULL) == 0) {
        pr_hash(out, b.data, b.len);
        rc = 0;
    } else if (b.nomem) {
        rc = -2; /* says nothing about the return */
    }
    pr_buf_free(&b);
    return rc;
}
