/*
 * mkvectors.c: writes the golden test vectors of tests/vectors/ from fixed
 * seeds. Ed25519 is deterministic, so the same program always writes the
 * same bytes; test_vectors (tests/unit) checks that the committed files are
 * exactly what this program writes (signify's regress idea).
 * Usage: mkvectors DEFINITION OUTDIR   (OUTDIR must exist)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/checkpoint.h"
#include "proto/keylist.h"
#include "proto/keys.h"
#include "proto/return.h"

#define SIGNED_AT "2026-03-15T18:00:00Z"

static const char *outdir;
static uint8_t def_hash[PR_HASH_BYTES];
static int failed;

/* A fixed key from a name: seed = BLAKE2b-256("precinct-returns vector: " name). */
static void fixed_key(const char *name, uint8_t sk[PR_SK_BYTES])
{
    uint8_t seed[32], pk[32];
    char label[128];
    snprintf(label, sizeof label, "precinct-returns vector: %s", name);
    pr_hash(seed, (const uint8_t *)label, strlen(label));
    crypto_sign_seed_keypair(pk, sk, seed);
}

static void put(const char *name, const void *data, size_t len)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "mkvectors: %s: cannot write\n", path);
        failed = 1;
    }
}

static void put_buf(const char *name, pr_buf *b)
{
    if (b->failed || b->data == NULL) {
        fprintf(stderr, "mkvectors: %s: encoding failed\n", name);
        failed = 1;
        return;
    }
    put(name, b->data, b->len);
}

static void station(const char *name, const char *precinct)
{
    uint8_t sk[PR_SK_BYTES];
    pr_buf b;
    pr_enrolment e;
    pr_diag d;
    char fn[256];
    fixed_key(name, sk);
    pr_buf_init(&b, PR_FILE_MAX);
    if (pr_pubkey_encode(PR_KEY_STATION, sk + 32, &b) == 0) {
        snprintf(fn, sizeof fn, "%s.pub", name);
        put_buf(fn, &b);
    }
    pr_buf_free(&b);
    pr_buf_init(&b, PR_FILE_MAX);
    if (pr_seckey_encode(PR_KEY_STATION, sk, NULL, 0, 0, 0, &b) == 0) {
        snprintf(fn, sizeof fn, "%s.key", name);
        put_buf(fn, &b);
    }
    pr_buf_free(&b);
    memset(&e, 0, sizeof e);
    strcpy(e.election, "vec-2026");
    memcpy(e.definition, def_hash, PR_HASH_BYTES);
    e.n_precincts = 1;
    strcpy(e.precincts[0], precinct);
    if (pr_parse_time("2026-03-01T09:00:00Z", PR_TIME_LEN, &e.created) != 0 ||
        pr_enrolment_sign(&e, sk, &b, &d) != 0) {
        fprintf(stderr, "mkvectors: enrolment %s: %s\n", name, d.msg);
        failed = 1;
        return;
    }
    snprintf(fn, sizeof fn, "%s.req", name);
    put_buf(fn, &b);
    pr_buf_free(&b);
}

/* The good mayor return of precinct p1 (counts add up). */
static void mayor_p1(pr_return *r)
{
    static const pr_item counts[] = {
        {"registered", 1000}, {"issued", 820}, {"cast-portable", 20}, {"cast-stationary", 795},
        {"ballots-cast", 815}, {"invalid", 15}, {"against-all", 10}};
    static const pr_item votes[] = {{"alice", 430}, {"bob", 300}, {"carol", 60}};
    memset(r, 0, sizeof *r);
    strcpy(r->election, "vec-2026");
    memcpy(r->definition, def_hash, PR_HASH_BYTES);
    r->mode = PR_MODE_LIVE;
    strcpy(r->contest, "mayor");
    strcpy(r->precinct, "p1");
    r->revision = 1;
    r->n_counts = sizeof counts / sizeof counts[0];
    memcpy(r->counts, counts, sizeof counts);
    r->n_votes = sizeof votes / sizeof votes[0];
    memcpy(r->votes, votes, sizeof votes);
    if (pr_parse_time(SIGNED_AT, PR_TIME_LEN, &r->signed_at) != 0)
        failed = 1;
}

static void set_count(pr_return *r, const char *id, uint64_t v)
{
    for (size_t i = 0; i < r->n_counts; i++)
        if (strcmp(r->counts[i].id, id) == 0)
            r->counts[i].value = v;
}

static void sign_put(pr_return *r, const char *keyname, const char *file, pr_buf *out)
{
    uint8_t sk[PR_SK_BYTES];
    pr_diag d;
    fixed_key(keyname, sk);
    if (pr_return_sign(r, sk, out, &d) != 0) {
        fprintf(stderr, "mkvectors: %s: %s\n", file ? file : "(unnamed)", d.msg);
        failed = 1;
        return;
    }
    if (file != NULL)
        put_buf(file, out);
}

static void sign_write(pr_return *r, const char *keyname, const char *file)
{
    pr_buf b;
    sign_put(r, keyname, file, &b);
    pr_buf_free(&b);
}

int main(int argc, char **argv)
{
    static pr_return r;
    uint8_t sk[PR_SK_BYTES];
    pr_buf b;
    FILE *f;
    static uint8_t defbytes[1 << 20];
    size_t deflen;

    if (argc != 3 || pr_init() != 0) {
        fprintf(stderr, "usage: mkvectors DEFINITION OUTDIR\n");
        return 2;
    }
    outdir = argv[2];
    f = fopen(argv[1], "rb");
    if (f == NULL) {
        fprintf(stderr, "mkvectors: %s: cannot open\n", argv[1]);
        return 3;
    }
    deflen = fread(defbytes, 1, sizeof defbytes, f);
    fclose(f);
    pr_hash(def_hash, defbytes, deflen);

    /* The commission. */
    fixed_key("commission", sk);
    pr_buf_init(&b, PR_FILE_MAX);
    if (pr_pubkey_encode(PR_KEY_COMMISSION, sk + 32, &b) == 0)
        put_buf("commission.pub", &b);
    pr_buf_free(&b);
    pr_buf_init(&b, PR_FILE_MAX);
    if (pr_seckey_encode(PR_KEY_COMMISSION, sk, NULL, 0, 0, 0, &b) == 0)
        put_buf("commission.key", &b);
    pr_buf_free(&b);
    if (pr_defsig_sign(def_hash, sk, &b) == 0)
        put_buf("definition.json.sig", &b);
    pr_buf_free(&b);
    /* A checkpoint (docs/EVENTS.md): a fixed head, counts and time. */
    {
        pr_checkpoint cp;
        pr_diag d;
        memset(&cp, 0, sizeof cp);
        snprintf(cp.election, sizeof cp.election, "vec-2026");
        cp.seq = 7;
        pr_hash(cp.head, (const uint8_t *)"precinct-returns vector: head", 29);
        cp.counts[0] = 3;
        cp.counts[3] = 1;
        cp.counts[7] = 2;
        if (pr_parse_time("2026-03-15T21:00:00Z", 20, &cp.time) != 0 ||
            pr_checkpoint_sign(&cp, sk, &b, &d) != 0) {
            fprintf(stderr, "mkvectors: checkpoint: cannot sign\n");
            failed = 1;
        } else {
            put_buf("checkpoint-7.txt", &b);
            pr_buf_free(&b);
        }
    }
    /* A receipt of a rejected file. */
    {
        pr_receipt rc;
        pr_diag d;
        memset(&rc, 0, sizeof rc);
        snprintf(rc.election, sizeof rc.election, "vec-2026");
        pr_hash(rc.file, (const uint8_t *)"precinct-returns vector: file", 29);
        snprintf(rc.verdict, sizeof rc.verdict, "rejected");
        snprintf(rc.codes, sizeof rc.codes, "unknown-precinct,unknown-contest");
        rc.seq = 5;
        pr_hash(rc.head, (const uint8_t *)"precinct-returns vector: head", 29);
        if (pr_parse_time("2026-03-15T20:30:00Z", 20, &rc.time) != 0 ||
            pr_receipt_sign(&rc, sk, &b, &d) != 0) {
            fprintf(stderr, "mkvectors: receipt: cannot sign\n");
            failed = 1;
        } else {
            put_buf("receipt-5.txt", &b);
            pr_buf_free(&b);
        }
    }
    /* A frozen key list (docs/EVENTS.md): the three station keys of
     * p1, p2, p3 as enrolled at event 4 (issue 5). */
    {
        static const char *const who[3][2] = {
            {"station-p1", "p1"}, {"station-p2", "p2"}, {"station-p3", "p3"}};
        pr_keylist_entry ent[3];
        pr_keylist kl;
        pr_diag d;
        uint8_t ssk[PR_SK_BYTES];
        size_t i;
        memset(&kl, 0, sizeof kl);
        memset(ent, 0, sizeof ent);
        for (i = 0; i < 3; i++) {
            fixed_key(who[i][0], ssk);
            memcpy(ent[i].pk, ssk + 32, PR_PK_BYTES);
            pr_key_id(ent[i].key_id, ent[i].pk);
            snprintf(ent[i].precinct, sizeof ent[i].precinct, "%s", who[i][1]);
        }
        sodium_memzero(ssk, sizeof ssk);
        snprintf(kl.election, sizeof kl.election, "vec-2026");
        memcpy(kl.definition, def_hash, PR_HASH_BYTES);
        kl.seq = 4;
        pr_hash(kl.head, (const uint8_t *)"precinct-returns vector: head", 29);
        kl.n = 3;
        kl.entries = ent;
        if (pr_parse_time("2026-03-14T09:00:00Z", 20, &kl.time) != 0 ||
            pr_keylist_sign(&kl, sk, &b, &d) != 0) {
            fprintf(stderr, "mkvectors: keylist: cannot sign: %s\n", d.msg);
            failed = 1;
        } else {
            put_buf("keylist-4.txt", &b);
            pr_buf_free(&b);
        }
    }

    /* Stations: one key per precinct, and a stranger never enrolled. */
    station("station-p1", "p1");
    station("station-p2", "p2");
    station("station-p3", "p3");
    station("stranger", "p1");
    /* A second key of p2, revoked as compromised before its return comes
     * (tests/cli/vectors.sh): `revoked-key`. */
    station("station-p2b", "p2");

    /* Good returns. */
    mayor_p1(&r);
    sign_write(&r, "station-p1", "good-p1-mayor.return");
    {
        static const pr_item c2[] = {
            {"registered", 800}, {"issued", 500}, {"cast-portable", 0}, {"cast-stationary", 498},
            {"ballots-cast", 498}, {"invalid", 8}, {"against-all", 0}};
        static const pr_item v2[] = {{"alice", 200}, {"bob", 250}, {"carol", 40}};
        mayor_p1(&r);
        strcpy(r.precinct, "p2");
        memcpy(r.counts, c2, sizeof c2);
        memcpy(r.votes, v2, sizeof v2);
        sign_write(&r, "station-p2", "good-p2-mayor.return");
    }
    {
        static const pr_item c3[] = {
            {"registered", 600}, {"ballots-cast", 400}, {"invalid", 4}};
        static const pr_item v3[] = {{"dan", 196}, {"eve", 200}};
        mayor_p1(&r);
        strcpy(r.precinct, "p3");
        strcpy(r.contest, "council-south");
        r.n_counts = 3;
        memcpy(r.counts, c3, sizeof c3);
        r.n_votes = 2;
        memcpy(r.votes, v3, sizeof v3);
        sign_write(&r, "station-p3", "good-p3-council-south.return");
    }
    /* Group 3, revoked-key: p2's counts signed by its second key, which the
     * commission revokes as compromised before this file arrives. */
    {
        static const pr_item c2[] = {
            {"registered", 800}, {"issued", 500}, {"cast-portable", 0}, {"cast-stationary", 498},
            {"ballots-cast", 498}, {"invalid", 8}, {"against-all", 0}};
        static const pr_item v2[] = {{"alice", 200}, {"bob", 250}, {"carol", 40}};
        mayor_p1(&r);
        strcpy(r.precinct, "p2");
        memcpy(r.counts, c2, sizeof c2);
        memcpy(r.votes, v2, sizeof v2);
        sign_write(&r, "station-p2b", "neg-revoked-key.return");
    }
    /* The same counts re-signed a minute later: `duplicate`, `resigned`. */
    mayor_p1(&r);
    r.signed_at += 60;
    sign_write(&r, "station-p1", "resigned-p1-mayor.return");

    /* Group 2: malformed (a count with a leading zero, re-signed so only the
     * grammar is wrong). */
    mayor_p1(&r);
    sign_put(&r, "station-p1", NULL, &b);
    if (!b.failed) {
        char *p = strstr((char *)b.data, "count invalid 15\n");
        if (p != NULL) {
            pr_buf m;
            pr_buf_init(&m, PR_FILE_MAX);
            pr_buf_add(&m, b.data, (size_t)((uint8_t *)p - b.data));
            pr_buf_add(&m, "count invalid 015\n", 18);
            pr_buf_add(&m, p + 17, b.len - (size_t)((uint8_t *)p + 17 - b.data));
            put_buf("neg-malformed.return", &m);
            pr_buf_free(&m);
        }
        /* Group 3: one byte changed after signing (alice 430 -> 431). */
        p = strstr((char *)b.data, "votes alice 430\n");
        if (p != NULL) {
            p[14] = '1';
            put_buf("neg-bad-signature.return", &b);
            p[14] = '0';
        }
        /* Ed25519 edge: S + L (non-canonical S), same R: must be refused. */
        {
            static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                          0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                          0,    0,    0,    0,    0,    0,    0,    0,
                                          0,    0,    0,    0,    0,    0,    0,    0x10};
            uint8_t sig[64];
            unsigned carry = 0;
            char b64[89];
            pr_buf m;
            memcpy(sig, r.signature, 64);
            for (int i = 0; i < 32; i++) {
                unsigned s = (unsigned)sig[32 + i] + L[i] + carry;
                sig[32 + i] = (uint8_t)s;
                carry = s >> 8;
            }
            pr_buf_init(&m, PR_FILE_MAX);
            pr_buf_add(&m, b.data, r.signed_len);
            pr_b64_encode(b64, sizeof b64, sig, 64);
            pr_buf_printf(&m, "signature %s\n", b64);
            put_buf("neg-bad-signature-noncanonical-s.return", &m);
            pr_buf_free(&m);
            /* Small-order R (the identity point, encoding 01 00..00). */
            memcpy(sig, r.signature, 64);
            memset(sig, 0, 32);
            sig[0] = 1;
            pr_buf_init(&m, PR_FILE_MAX);
            pr_buf_add(&m, b.data, r.signed_len);
            pr_b64_encode(b64, sizeof b64, sig, 64);
            pr_buf_printf(&m, "signature %s\n", b64);
            put_buf("neg-bad-signature-small-order-r.return", &m);
            pr_buf_free(&m);
        }
    }
    pr_buf_free(&b);
    mayor_p1(&r);
    sign_write(&r, "stranger", "neg-unknown-key.return");

    /* Group 4. */
    mayor_p1(&r);
    strcpy(r.election, "vec-other");
    sign_write(&r, "station-p1", "neg-wrong-election.return");
    mayor_p1(&r);
    r.definition[0] ^= 1;
    sign_write(&r, "station-p1", "neg-wrong-definition.return");
    mayor_p1(&r);
    r.mode = PR_MODE_TEST;
    sign_write(&r, "station-p1", "neg-wrong-mode.return");

    /* Group 5. */
    mayor_p1(&r);
    strcpy(r.precinct, "p9");
    sign_write(&r, "station-p1", "neg-unknown-precinct.return");
    mayor_p1(&r);
    sign_write(&r, "station-p2", "neg-key-precinct-mismatch.return");
    mayor_p1(&r);
    strcpy(r.contest, "sheriff");
    sign_write(&r, "station-p1", "neg-unknown-contest.return");
    {
        static const pr_item c[] = {{"registered", 1000}, {"ballots-cast", 400}, {"invalid", 4}};
        static const pr_item v[] = {{"dan", 196}, {"eve", 200}};
        mayor_p1(&r);
        strcpy(r.contest, "council-south");
        r.n_counts = 3;
        memcpy(r.counts, c, sizeof c);
        r.n_votes = 2;
        memcpy(r.votes, v, sizeof v);
        sign_write(&r, "station-p1", "neg-precinct-not-in-contest.return");
    }
    mayor_p1(&r);
    {
        pr_item t = r.counts[0];
        r.counts[0] = r.counts[1];
        r.counts[1] = t;
    }
    sign_write(&r, "station-p1", "neg-line-mismatch.return");
    mayor_p1(&r);
    {
        pr_item t = r.votes[0];
        r.votes[0] = r.votes[1];
        r.votes[1] = t;
    }
    sign_write(&r, "station-p1", "neg-candidate-mismatch.return");
    mayor_p1(&r);
    set_count(&r, "cast-portable", 21);
    sign_write(&r, "station-p1", "neg-derived-mismatch.return");

    /* Group 6: one second before the close of polls (p1: 17:00:00Z). */
    mayor_p1(&r);
    if (pr_parse_time("2026-03-15T16:59:59Z", PR_TIME_LEN, &r.signed_at) != 0)
        failed = 1;
    sign_write(&r, "station-p1", "neg-signed-before-close.return");
    /* Equal to the close is allowed. */
    if (pr_parse_time("2026-03-15T17:00:00Z", PR_TIME_LEN, &r.signed_at) != 0)
        failed = 1;
    sign_write(&r, "station-p1", "edge-signed-at-close-p1-mayor.return");

    /* Group 7. */
    mayor_p1(&r);
    set_count(&r, "invalid", 16);
    sign_write(&r, "station-p1", "neg-sum-mismatch.return");
    mayor_p1(&r);
    set_count(&r, "registered", 800);
    set_count(&r, "issued", 800);
    sign_write(&r, "station-p1", "neg-cast-exceeds-registered.return");
    mayor_p1(&r);
    set_count(&r, "issued", 1001);
    sign_write(&r, "station-p1", "neg-issued-exceeds-registered.return");

    return failed ? 1 : 0;
}
