/*
 * fuzz.h: what every fuzz target shares: the libFuzzer entry point, the
 * self-imposed caps (SQLite's test/ossfuzz.c idea: refuse inputs too large
 * or too slow to be worth a run) and the fixtures the targets check against.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "common/definition.h"
#include "proto/limits.h"

/* Largest input a text-format target looks at: one byte past every
 * format's 64 KiB limit is enough to reach the size check; more only
 * slows the run. The definition target has its own, similar cap. */
#define FUZZ_TEXT_MAX (PR_FILE_MAX + 64u)
#define FUZZ_JSON_MAX (256u * 1024u)

/* The replay driver gives each input this many seconds (libFuzzer has its
 * own -timeout); a parser that takes longer on a corpus file is a bug. */
#define FUZZ_TIME_CAP_S 10u

/* The entry point libFuzzer calls, and so does fuzz/replay.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A target found a broken property: prints what and aborts, so libFuzzer
 * saves the input and the replay driver fails. */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A refusal's reason must be one printable line: not empty, valid UTF-8,
 * no control, bidirectional or other unprintable character (what a
 * program prints of it reaches a terminal as is). Aborts otherwise. */
void fuzz_check_message(const char *what, const char *msg);

/* Initialises libsodium once (aborts if it cannot). */
void fuzz_init(void);

/* tests/vectors/definition.json, embedded at build time and loaded once:
 * the definition the counts, return and rule targets check against. */
const cm_definition *fuzz_definition(void);
/* Its exact bytes (for targets that edit them). */
const uint8_t *fuzz_definition_bytes(size_t *len);

/* Raw public keys of the test vectors (tests/vectors/station-p1.pub and
 * tests/vectors/commission.pub). */
const uint8_t *fuzz_station_p1_pk(void);
const uint8_t *fuzz_commission_pk(void);

#endif
