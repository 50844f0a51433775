/*
 * jsonout.h: JSON output helpers over jansson. Text that may not be valid
 * UTF-8 (file names, parser details quoting input) is made so by writing
 * each stray byte as \xNN, so JSON output never fails on a hostile name.
 */
#ifndef CENTRAL_JSONOUT_H
#define CENTRAL_JSONOUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* A new JSON string for s (never NULL unless out of memory). */
json_t *ct_json_text(const char *s);
/* A JSON integer for an unsigned count (counts are <= 2^53 in practice;
 * larger sums would already have failed the checked arithmetic). */
json_t *ct_json_count(uint64_t v);
/* Writes j indented to f followed by a newline; consumes nothing. */
void ct_json_print(FILE *f, const json_t *j);

#endif
