/*
 * fuzz_pin.c: the station's pin file, st_pin_parse (station/pin.c,
 * docs/STATION.md), which `station record` trusts to check definition
 * signatures. What parses must encode back to the same bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "station.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static st_pin p; /* 16 KiB: not on the stack */
    pr_diag d = {0, ""};
    pr_buf b;

    if (size > FUZZ_TEXT_MAX)
        return 0;
    fuzz_init();
    if (st_pin_parse(data, size, &p, &d) != 0) {
        fuzz_check_message("st_pin_parse", d.msg);
        return 0;
    }
    pr_buf_init(&b, PR_FILE_MAX);
    if (st_pin_encode(&p, &b) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
        fuzz_fail("a parsed pin file does not encode to the same bytes");
    pr_buf_free(&b);
    return 0;
}
