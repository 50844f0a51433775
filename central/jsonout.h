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

/* One JSON object written member by member, byte for byte as
 * ct_json_print writes the whole object, so that an array of thousands of
 * contests need not be built whole first (issue 8: the tally of 2,500
 * contests was a 65 MiB tree). Members in the order given; one of them may
 * be an array given element by element (ct_json_stream_array, then
 * _element for each, then _array_end). Every json_t given is consumed. */
typedef struct ct_json_stream {
    FILE *f;
    size_t members, elements;
} ct_json_stream;
void ct_json_stream_begin(ct_json_stream *js, FILE *f);
void ct_json_stream_member(ct_json_stream *js, const char *key, json_t *v);
void ct_json_stream_array(ct_json_stream *js, const char *key);
void ct_json_stream_element(ct_json_stream *js, json_t *v);
void ct_json_stream_array_end(ct_json_stream *js);
void ct_json_stream_end(ct_json_stream *js);

#endif
