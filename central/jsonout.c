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
