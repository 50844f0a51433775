/*
 * fixture.c: the shared fixtures of the fuzz targets (see fuzz.h): one-time
 * libsodium set-up, the test-vector definition embedded by CMake, the
 * test-vector public keys, and the failure report.
 */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_definition_json.h" /* generated: fuzz_definition_json[] */
#include "proto/codec.h"

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: property broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void fuzz_check_message(const char *what, const char *msg)
{
    size_t len = strlen(msg);
    if (len == 0)
        fuzz_fail("%s: a refusal without a reason", what);
    for (size_t i = 0; i < len;) {
        size_t at = i;
        long cp = pr_utf8_next(msg, len, &i);
        if (cp < 0x20 || !pr_cp_printable(cp))
            fuzz_fail("%s: reason holds byte 0x%02x at %zu: \"%s\"", what,
                      (unsigned char)msg[at], at, msg);
    }
}

void fuzz_init(void)
{
    static int done;
    if (!done) {
        if (pr_init() != 0)
            fuzz_fail("libsodium did not initialise");
        done = 1;
    }
}

const uint8_t *fuzz_definition_bytes(size_t *len)
{
    *len = sizeof fuzz_definition_json;
    return fuzz_definition_json;
}

const cm_definition *fuzz_definition(void)
{
    static cm_definition *def;
    pr_diag d = {0, ""};
    if (def == NULL) {
        fuzz_init();
        if (cm_definition_load(fuzz_definition_json, sizeof fuzz_definition_json, &def, &d) != 0)
            fuzz_fail("the embedded test-vector definition does not load: %s", d.msg);
    }
    return def;
}

/* Decodes a fixed base64 key once into its slot. */
static const uint8_t *key_from(uint8_t slot[PR_PK_BYTES], int *done, const char *b64)
{
    if (!*done) {
        fuzz_init();
        if (pr_b64_decode(slot, PR_PK_BYTES, b64, 44) != 0)
            fuzz_fail("bad embedded key %s", b64);
        *done = 1;
    }
    return slot;
}

const uint8_t *fuzz_station_p1_pk(void)
{
    static uint8_t pk[PR_PK_BYTES];
    static int done;
    /* tests/vectors/station-p1.pub */
    return key_from(pk, &done, "pVUtj0XPDzZoGUzCp9iNJiAlZ0LUQOPJ7FX002bYGR8=");
}

const uint8_t *fuzz_commission_pk(void)
{
    static uint8_t pk[PR_PK_BYTES];
    static int done;
    /* tests/vectors/commission.pub */
    return key_from(pk, &done, "cxI9X0homZuWA+gMYPoqpHJlmFL/ACb65BfBGPsmJfc=");
}
