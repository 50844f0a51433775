/*
 * jsonout.c: see jsonout.h.
 */
#include "jsonout.h"

#include <stdlib.h>
#include <string.h>

json_t *ct_json_text(const char *s)
{
    json_t *j = json_string(s);
    char *buf = NULL;
    size_t n, i, k = 0;

    if (j != NULL)
        goto out;
    /* Not UTF-8: escape every byte >= 0x80 (coarse, but lossless). */
    n = strlen(s);
    buf = malloc(n * 4 + 1);
    if (buf == NULL)
        goto out;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80u) {
            snprintf(buf + k, 5, "\\x%02x", c);
            k += 4;
        } else {
            buf[k++] = (char)c;
        }
    }
    buf[k] = '\0';
    j = json_string(buf);
out:
    free(buf);
    return j;
}

json_t *ct_json_count(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v);
}

void ct_json_print(FILE *f, const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    if (s != NULL) {
        fprintf(f, "%s\n", s);
        free(s);
    }
}

/* Writes j as json_dumps with JSON_INDENT(2) lays it out at the given
 * depth: every line after the first indented by 2 x depth more spaces
 * (strings hold no raw line break: JSON escapes it). Consumes j. */
static void print_at(FILE *f, json_t *j, int depth)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY), *o, *q;
    size_t lines = 0, pad = 2 * (size_t)depth;
    const char *p;

    json_decref(j);
    if (s == NULL)
        return;
    for (p = s; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    o = malloc(strlen(s) + lines * pad + 1);
    if (o == NULL) { /* out of memory: slower, the same bytes */
        for (p = s; *p != '\0'; p++) {
            fputc(*p, f);
            if (*p == '\n')
                fprintf(f, "%*s", (int)pad, "");
        }
        free(s);
        return;
    }
    for (p = s, q = o; *p != '\0'; p++) {
        *q++ = *p;
        if (*p == '\n') {
            memset(q, ' ', pad);
            q += pad;
        }
    }
    fwrite(o, 1, (size_t)(q - o), f);
    free(o);
    free(s);
}

void ct_json_stream_begin(ct_json_stream *js, FILE *f)
{
    memset(js, 0, sizeof *js);
    js->f = f;
    fputc('{', f);
}

/* The separator before the next member, and its key. */
static void member_key(ct_json_stream *js, const char *key)
{
    fputs(js->members++ ? ",\n  " : "\n  ", js->f);
    print_at(js->f, json_string(key), 1);
    fputs(": ", js->f);
}

void ct_json_stream_member(ct_json_stream *js, const char *key, json_t *v)
{
    member_key(js, key);
    print_at(js->f, v, 1);
}

void ct_json_stream_array(ct_json_stream *js, const char *key)
{
    member_key(js, key);
    fputc('[', js->f);
    js->elements = 0;
}

void ct_json_stream_element(ct_json_stream *js, json_t *v)
{
    fputs(js->elements++ ? ",\n    " : "\n    ", js->f);
    print_at(js->f, v, 2);
}

void ct_json_stream_array_end(ct_json_stream *js)
{
    fputs(js->elements ? "\n  ]" : "]", js->f);
}

void ct_json_stream_end(ct_json_stream *js)
{
    fputs(js->members ? "\n}\n" : "}\n", js->f);
}
