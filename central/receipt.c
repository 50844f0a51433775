/*
 * receipt.c: `central receipt --print`: the courier's slip. Reads one
 * signed receipt (`election-receipt 1`, written by `central import
 * --receipts`, docs/EVENTS.md) and prints what it says in plain ASCII at
 * most 40 columns wide, for a receipt printer, with whether its signature
 * verifies with the commission public key given (issue 5).
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "common/fileio.h"
#include "ct.h"
#include "proto/checkpoint.h"
#include "proto/keys.h"

/* Width of the slip, of its labels, and so of the values. */
#define SLIP_COLS 40
#define SLIP_LABEL 10
#define SLIP_VALUE (SLIP_COLS - SLIP_LABEL)
#define SLIP_TITLE "RECEIPT OF A RETURN"

static const char receipt_usage[] =
    "usage: central receipt --print RECEIPT [--commission-pub PUB]\n";
static const char receipt_help[] =
    "Prints the signed receipt RECEIPT (written by central import --receipts) as a\n"
    "slip for the courier: plain text, at most 40 columns, for a receipt printer.\n"
    "It names the election, the file's hash, its verdict and reasons, the event\n"
    "that stored it with the first digits of that event's hash, when the receipt\n"
    "was signed and by which commission key. --commission-pub PUB: the slip says\n"
    "whether the signature verifies with that key; exit 1 when it does not (or\n"
    "RECEIPT is not a receipt), 3 when a file cannot be read. Without PUB the\n"
    "slip says the signature was not checked.\n";

/* One `label value` field; a value longer than the column is wrapped after
 * its last comma or at its last space that fits, else cut, continuing under
 * the value column. */
static void field(FILE *out, const char *label, const char *value)
{
    size_t n = strlen(value), take, skip, i;
    int first = 1;

    do {
        take = n;
        skip = 0;
        if (take > SLIP_VALUE) {
            take = SLIP_VALUE;
            for (i = SLIP_VALUE; i > 1; i--)
                if (value[i - 1] == ',' || value[i] == ' ') {
                    take = i;
                    skip = value[i] == ' ';
                    break;
                }
        }
        fprintf(out, "%-*s%.*s\n", SLIP_LABEL, first ? label : "", (int)take, value);
        value += take + skip;
        n -= take + skip;
        first = 0;
    } while (n > 0);
}

/* A 64-hex hash under its label, in two lines of 32 indented by 2. */
static void hash_field(FILE *out, const char *label, const uint8_t h[PR_HASH_BYTES])
{
    char hex[PR_HASH_HEX + 1];

    ct_hex(hex, h, PR_HASH_BYTES);
    fprintf(out, "%s\n  %.32s\n  %.32s\n", label, hex, hex + 32);
}

static void rule(FILE *out)
{
    char line[SLIP_COLS + 1];

    memset(line, '=', SLIP_COLS);
    line[SLIP_COLS] = '\0';
    fprintf(out, "%s\n", line);
}

static int read_all(const char *path, uint8_t **buf, size_t *len, ct_err *e)
{
    pr_diag d;
    int k;

    memset(&d, 0, sizeof d);
    *buf = NULL;
    k = cm_read_file(path, PR_FILE_MAX, 1, buf, len, NULL, &d);
    if (k == -2)
        ct_err_set(e, CT_EXIT_FAIL, path, "larger than %u bytes: not a receipt", PR_FILE_MAX);
    else if (k == -3)
        ct_err_set(e, CT_EXIT_IO, path, "not a regular file");
    else if (k != 0)
        ct_err_set(e, CT_EXIT_IO, path, "%s", d.msg[0] ? d.msg : "cannot be read");
    if (k != 0) {
        free(*buf);
        *buf = NULL;
    }
    return k == 0 ? 0 : -1;
}

int ct_cmd_receipt(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {
        {"print", 0}, {"commission-pub", 1}, {"help", 0}, {NULL, 0}};
    const char *path = NULL, *pubpath = NULL, *v;
    uint8_t *buf = NULL, *pub = NULL, pk[PR_PK_BYTES];
    size_t len = 0, publen = 0;
    char hex[PR_HASH_HEX + 1], t[PR_TIME_LEN + 1], when[40], num[32], verdict[80];
    pr_receipt r;
    pr_diag d;
    ct_args a;
    ct_err e;
    int opt, k, print = 0, checked = 0, valid = 0, code = CT_EXIT_OK;

    memset(&e, 0, sizeof e);
    memset(&d, 0, sizeof d);
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0)
            return ct_usage_error(err, receipt_usage, e.what, e.why);
        if (k == 2) {
            if (path != NULL)
                return ct_usage_error(err, receipt_usage, v, "one receipt at a time");
            path = v;
        } else if (opt == 0) {
            print = 1;
        } else if (opt == 1) {
            pubpath = v;
        } else {
            fputs(receipt_usage, out);
            fputs(receipt_help, out);
            return CT_EXIT_OK;
        }
    }
    if (!print || path == NULL)
        return ct_usage_error(err, receipt_usage, "receipt", "--print and a RECEIPT are required");
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "receipt", "libsodium failed to initialise");
        goto fail;
    }
    if (read_all(path, &buf, &len, &e) != 0)
        goto fail;
    if (pubpath != NULL) {
        if (read_all(pubpath, &pub, &publen, &e) != 0)
            goto fail;
        if (pr_pubkey_parse(PR_KEY_COMMISSION, pub, publen, pk, &d) != 0) {
            ct_err_set(&e, CT_EXIT_FAIL, pubpath, "not a commission public key: line %u: %s", d.line,
                       d.msg);
            goto fail;
        }
    }
    if (pr_receipt_parse(buf, len, &r, &d) != 0) {
        ct_err_set(&e, CT_EXIT_FAIL, path, "not a receipt: line %u: %s", d.line, d.msg);
        goto fail;
    }
    if (pubpath != NULL) {
        checked = 1;
        valid = pr_receipt_verify(buf, &r, pk, &d) == 0;
    }
    rule(out);
    fprintf(out, "%*s\n", (int)(SLIP_COLS + strlen(SLIP_TITLE)) / 2, SLIP_TITLE);
    rule(out);
    field(out, "election", r.election);
    hash_field(out, "file (BLAKE2b-256)", r.file);
    /* A verdict the slip cannot hide: capitals, it is the news. */
    for (k = 0; r.verdict[k] != '\0' && (size_t)k + 1 < sizeof verdict; k++)
        verdict[k] = (char)(r.verdict[k] >= 'a' && r.verdict[k] <= 'z' ? r.verdict[k] - 32 : r.verdict[k]);
    verdict[k] = '\0';
    field(out, "verdict", verdict);
    field(out, "reasons", r.codes[0] ? r.codes : "none");
    snprintf(num, sizeof num, "%llu", (unsigned long long)r.seq);
    field(out, "event", num);
    ct_hex(hex, r.head, PR_HASH_BYTES);
    hex[16] = '\0';
    field(out, "head", hex);
    if (pr_format_time(r.time, t) == 0) {
        /* 2026-03-15T20:30:00Z -> 2026-03-15 20:30:00 UTC */
        snprintf(when, sizeof when, "%.10s %.8s UTC", t, t + 11);
        field(out, "signed", when);
    }
    ct_hex(hex, r.key_id, PR_KEYID_BYTES);
    field(out, "key", hex);
    if (!checked)
        field(out, "signature", "NOT CHECKED (no key given)");
    else if (valid)
        field(out, "signature", "VALID");
    else {
        char why[sizeof d.msg + 16];
        snprintf(why, sizeof why, "NOT VALID: %s", d.msg);
        field(out, "signature", why);
        code = CT_EXIT_FAIL;
    }
    rule(out);
    goto out;
fail:
    ct_err_print(&e, err);
    code = ct_exit_max(code, e.code ? e.code : CT_EXIT_IO);
out:
    free(buf);
    free(pub);
    return code;
}
