/*
 * definition.c: reads an election definition (docs/DEFINITION.md) from its
 * exact bytes into an immutable cm_definition, refusing anything outside the
 * format; every error names the JSON path it is about.
 */
#include "common/definition.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "proto/alloc.h"

#define NONE ((size_t)-1)
#define PATH_MAX_LEN 160
#define FORMAT_NAME "election-definition/1"
#define RULE_TERMS_MAX 64
#define RULE_COEF_MAX 1000000

/* One entry of a sorted lookup table: the id lives in the definition's own
 * arrays, which are never reallocated once filled. */
typedef struct id_ref {
    const char *id;
    size_t idx;
} id_ref;

/* The private part behind def->index_: one sorted table per id list, so
 * lookups stay O(log n) for the ~100,000 precincts of a national election. */
typedef struct cm_index {
    id_ref *parties, *areas, *protocols, *contests, *precincts;
} cm_index;

/* The bytes [at, end) of one member's value in loader.stream; end 0 when
 * the member is absent. */
typedef struct span {
    size_t at, end;
} span;

/* Loader state: what is being built and where errors go. */
typedef struct loader {
    cm_definition *def;
    cm_index *ix;
    pr_diag *err;
    const uint8_t *stream;      /* streamed load: the file's bytes, else NULL */
    span contests, precincts;   /* streamed load: those arrays' bytes */
    int core;                   /* cm_definition_load_core: no precincts */
} loader;

/* A default rule applies to every protocol that does not define its id. */
typedef struct default_rule {
    const char *id, *check;
    cm_severity severity;
} default_rule;

static const default_rule DEFAULT_RULES[] = {
    {"cast-exceeds-registered", "ballots-cast <= registered", CM_SEV_REJECT},
};
#define N_DEFAULT_RULES (sizeof DEFAULT_RULES / sizeof DEFAULT_RULES[0])

/* ---- errors and paths ------------------------------------------------ */

static int fail(loader *ld, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(loader *ld, const char *path, const char *fmt, ...)
{
    char msg[sizeof ld->err->msg];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pr_diag_set(ld->err, 0, "%s: %s", path, msg);
    return -1;
}

static int oom(loader *ld, const char *path)
{
    return fail(ld, path, "out of memory");
}

/* Untrusted text quoted in a message: escaped so the message stays one
 * line, and short so the path in front of it survives truncation. */
static const char *q(const char *s, char buf[72])
{
    return cm_escape(s, buf, 72);
}

/* Appends text to the path out[0..*n), cutting it at PATH_MAX_LEN - 1 (a
 * path too long for the message is cut, never split mid-line). */
static void path_put(char *out, size_t *n, const char *text, size_t len)
{
    if (len > PATH_MAX_LEN - 1 - *n)
        len = PATH_MAX_LEN - 1 - *n;
    memmove(out + *n, text, len);
    *n += len;
    out[*n] = '\0';
}

/* base.key into out, which may be base itself (a path extended in place).
 * Written without printf: the loader forms a path for every member of
 * every precinct, a million of them in a national definition. */
static void path_key(char *out, const char *base, const char *key)
{
    size_t n = 0;

    path_put(out, &n, base, strlen(base));
    path_put(out, &n, ".", 1);
    path_put(out, &n, key, strlen(key));
}

static void path_idx(char *out, const char *base, const char *key, size_t i)
{
    char digits[24];
    size_t n, k = sizeof digits;

    path_key(out, base, key);
    n = strlen(out);
    digits[--k] = ']';
    do
        digits[--k] = (char)('0' + i % 10);
    while ((i /= 10) != 0);
    digits[--k] = '[';
    path_put(out, &n, digits + k, sizeof digits - k);
}

/* ---- byte-level checks before jansson sees the text ------------------- */

/* Length of the well-formed, shortest-form UTF-8 sequence at s[0..n), or 0
 * (surrogates and code points above U+10FFFF are not well formed). */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < need + 1 || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k <= need; k++)
        if (s[k] < 0x80 || s[k] > 0xbf)
            return 0;
    return need + 1;
}

static int check_bytes(const uint8_t *b, size_t len, pr_diag *err)
{
    unsigned line = 1;

    if (len > CM_DEFINITION_MAX) {
        pr_diag_set(err, 0, "$: definition larger than %u bytes", CM_DEFINITION_MAX);
        return -1;
    }
    if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
        pr_diag_set(err, 1, "$: byte order mark not allowed");
        return -1;
    }
    for (size_t i = 0; i < len;) {
        size_t k;

        if (b[i] == 0) {
            pr_diag_set(err, line, "$: NUL byte at line %u", line);
            return -1;
        }
        if (b[i] == '\n')
            line++;
        k = utf8_seq(b + i, len - i);
        if (k == 0) {
            pr_diag_set(err, line, "$: invalid UTF-8 at line %u", line);
            return -1;
        }
        i += k;
    }
    return 0;
}

/* ---- JSON structure for the streamed load ------------------------------ */

/* The first byte at or after i that is not JSON whitespace (RFC 8259: space,
 * tab, line feed, carriage return), or n. */
static size_t ws_end(const uint8_t *b, size_t n, size_t i)
{
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    return i;
}

/* *end is just past the JSON value starting at b[i]: a string to its closing
 * quote, an object or array to its matching bracket (skipping strings), any
 * other value to the next whitespace, comma or closing bracket. It only finds
 * the extent; jansson then parses exactly those bytes, refusing anything
 * that is not one valid value. 0, or -1 when no value starts or ends there. */
static int value_end(const uint8_t *b, size_t n, size_t i, size_t *end)
{
    size_t depth = 0, start = i;

    while (i < n) {
        uint8_t c = b[i];

        if (c == '"') {
            const uint8_t *quote = NULL, *bs;

            for (i++;;) {
                /* a string's bytes are most of a definition: jump to the
                 * next quote unless a backslash comes first, then past the
                 * escaped byte. The quote is searched for again only once
                 * passed (it was escaped), so each byte is looked at once:
                 * a long string of escapes stays linear (red team). */
                if (quote == NULL || quote < b + i) {
                    quote = i < n ? memchr(b + i, '"', n - i) : NULL;
                    if (quote == NULL)
                        return -1;
                }
                bs = memchr(b + i, '\\', (size_t)(quote - (b + i)));
                if (bs == NULL) {
                    i = (size_t)(quote - b);
                    break;
                }
                i = (size_t)(bs - b) + 2;
            }
            i++;
        } else if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                break;
            depth--;
            i++;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':')) {
            break;
        } else {
            i++;
        }
        if (depth == 0 && (c == '"' || c == '}' || c == ']'))
            break;
    }
    if (depth != 0 || i == start)
        return -1;
    *end = i;
    return 0;
}

/* ---- lookup tables ----------------------------------------------------- */

static int cmp_ref(const void *a, const void *b)
{
    const id_ref *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    if (c != 0)
        return c;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const id_ref *)elem)->id);
}

/* Builds a sorted table over n records of the given size whose first member
 * is the id. Returns 0; 1 when an id repeats (*second is the earliest record
 * that repeats an id, *first the record it repeats); -1 out of memory. */
static int build_refs(const void *base, size_t n, size_t stride, id_ref **out, size_t *first,
                      size_t *second)
{
    id_ref *r = pr_calloc(n ? n : 1, sizeof *r);
    int rc = 0;

    *out = r;
    if (r == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        r[i].id = (const char *)base + i * stride;
        r[i].idx = i;
    }
    qsort(r, n, sizeof *r, cmp_ref);
    *second = NONE;
    for (size_t i = 1; i < n; i++) {
        /* In a run of equal ids, sorted by position, the run's second entry
         * is its earliest repeat; report the earliest over all runs. */
        if (strcmp(r[i].id, r[i - 1].id) == 0 && (i < 2 || strcmp(r[i - 1].id, r[i - 2].id) != 0) &&
            r[i].idx < *second) {
            *second = r[i].idx;
            *first = r[i - 1].idx;
            rc = 1;
        }
    }
    return rc;
}

static size_t ref_find(const id_ref *refs, size_t n, const char *id)
{
    const id_ref *hit;

    if (refs == NULL || id == NULL)
        return NONE;
    hit = bsearch(id, refs, n, sizeof *refs, cmp_key);
    return hit ? hit->idx : NONE;
}

/* Builds the table of one top-level list, refusing a repeated id. */
static int index_list(loader *ld, const char *list, const void *base, size_t n, size_t stride,
                      id_ref **out)
{
    size_t first = 0, second = 0;
    char path[PATH_MAX_LEN], qb[72];
    int rc = build_refs(base, n, stride, out, &first, &second);

    if (rc < 0)
        return oom(ld, "$");
    if (rc > 0) {
        (void)snprintf(path, sizeof path, "$.%s[%zu].id", list, second);
        return fail(ld, path, "duplicate id \"%s\" (first at $.%s[%zu])",
                    q((const char *)base + second * stride, qb), list, first);
    }
    return 0;
}

/* ---- typed member access ----------------------------------------------- */

static int check_keys(loader *ld, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *val;
    char qb[72], p[PATH_MAX_LEN];

    json_object_foreach(obj, key, val) {
        size_t k;

        (void)val;
        for (k = 0; allowed[k] != NULL; k++)
            if (strcmp(key, allowed[k]) == 0)
                break;
        if (allowed[k] == NULL) {
            path_key(p, path, q(key, qb));
            return fail(ld, p, "unknown key");
        }
    }
    return 0;
}

static int want_object(loader *ld, json_t *v, const char *path, const char *const *allowed)
{
    if (!json_is_object(v))
        return fail(ld, path, "expected an object");
    return check_keys(ld, v, path, allowed);
}

/* *out is the member, or NULL when absent and not required. */
static int member(loader *ld, json_t *obj, const char *path, const char *key, int required,
                  json_t **out)
{
    *out = json_object_get(obj, key);
    if (*out == NULL && required)
        return fail(ld, path, "missing key \"%s\"", key);
    return 0;
}

static int get_string(loader *ld, json_t *obj, const char *path, const char *key,
                      const char **s, size_t *len)
{
    json_t *v = NULL;
    char p[PATH_MAX_LEN];

    if (member(ld, obj, path, key, 1, &v) < 0)
        return -1;
    if (!json_is_string(v)) {
        path_key(p, path, key);
        return fail(ld, p, "expected a string");
    }
    *s = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

static int get_text(loader *ld, json_t *obj, const char *path, const char *key, char **out)
{
    const char *s = NULL;
    size_t len = 0;

    if (get_string(ld, obj, path, key, &s, &len) < 0)
        return -1;
    if (!pr_is_name(s, len)) {
        char p[PATH_MAX_LEN];
        path_key(p, path, key);
        return fail(ld, p, "not a printable name (1-%u bytes of UTF-8, no control or "
                           "bidirectional characters, no leading or trailing space)",
                    PR_NAME_MAX);
    }
    *out = pr_malloc(len + 1);
    if (*out == NULL)
        return oom(ld, path);
    memcpy(*out, s, len);
    (*out)[len] = '\0';
    return 0;
}

static int check_id(loader *ld, const char *path, const char *s, size_t len)
{
    char qb[72];

    if (!pr_is_id(s, len))
        return fail(ld, path, "bad id \"%s\" (want [a-z0-9][a-z0-9._-]{0,63})", q(s, qb));
    return 0;
}

static int get_id(loader *ld, json_t *obj, const char *path, const char *key,
                  char out[PR_ID_MAX + 1])
{
    const char *s = NULL;
    size_t len = 0;
    char p[PATH_MAX_LEN];

    if (get_string(ld, obj, path, key, &s, &len) < 0)
        return -1;
    path_key(p, path, key);
    if (check_id(ld, p, s, len) < 0)
        return -1;
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

/* A reference: an id string naming a record of another list (or NULL when
 * the member is JSON null and null_ok). */
static int get_ref(loader *ld, json_t *obj, const char *path, const char *key, int null_ok,
                   const char **out)
{
    json_t *v = NULL;
    char p[PATH_MAX_LEN];

    if (member(ld, obj, path, key, 1, &v) < 0)
        return -1;
    path_key(p, path, key);
    if (json_is_null(v) && null_ok) {
        *out = NULL;
        return 0;
    }
    if (!json_is_string(v))
        return fail(ld, p, null_ok ? "expected an id or null" : "expected an id");
    if (check_id(ld, p, json_string_value(v), json_string_length(v)) < 0)
        return -1;
    *out = json_string_value(v);
    return 0;
}

/* A count: a plain JSON integer in lo..hi. Jansson reads 1e3 and 3.0 as
 * reals, which is how they are told apart from integers. */
static int want_count(loader *ld, json_t *v, const char *p, uint64_t lo, uint64_t hi,
                      uint64_t *out)
{
    json_int_t x;

    if (json_is_real(v))
        return fail(ld, p, "expected an integer (no fraction or exponent)");
    if (!json_is_integer(v))
        return fail(ld, p, "expected an integer");
    x = json_integer_value(v);
    if (x < 0 || (uint64_t)x < lo || (uint64_t)x > hi)
        return fail(ld, p, "%lld out of range %llu..%llu", (long long)x, (unsigned long long)lo,
                    (unsigned long long)hi);
    *out = (uint64_t)x;
    return 0;
}

/* An optional count: dflt when absent. */
static int get_count(loader *ld, json_t *obj, const char *path, const char *key, uint64_t dflt,
                     uint64_t lo, uint64_t hi, uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    char p[PATH_MAX_LEN];

    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    path_key(p, path, key);
    return want_count(ld, v, p, lo, hi, out);
}

static int get_bool(loader *ld, json_t *obj, const char *path, const char *key, int required,
                    int dflt, int *out)
{
    json_t *v = NULL;
    char p[PATH_MAX_LEN];

    if (member(ld, obj, path, key, required, &v) < 0)
        return -1;
    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    if (!json_is_boolean(v)) {
        path_key(p, path, key);
        return fail(ld, p, "expected true or false");
    }
    *out = json_is_true(v);
    return 0;
}

/* A time or null; *has says which. When not required, absent means null. */
static int get_time(loader *ld, json_t *obj, const char *path, const char *key, int required,
                    int *has, int64_t *t)
{
    json_t *v = NULL;
    char p[PATH_MAX_LEN], qb[72];

    if (member(ld, obj, path, key, required, &v) < 0)
        return -1;
    *has = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    path_key(p, path, key);
    if (!json_is_string(v))
        return fail(ld, p, "expected a time YYYY-MM-DDTHH:MM:SSZ or null");
    if (pr_parse_time(json_string_value(v), json_string_length(v), t) < 0)
        return fail(ld, p, "bad time \"%s\" (want YYYY-MM-DDTHH:MM:SSZ, UTC, 2000-2099)",
                    q(json_string_value(v), qb));
    *has = 1;
    return 0;
}

static int get_array(loader *ld, json_t *obj, const char *path, const char *key, size_t min,
                     size_t max, json_t **out)
{
    char p[PATH_MAX_LEN];
    size_t n;

    if (member(ld, obj, path, key, 1, out) < 0)
        return -1;
    path_key(p, path, key);
    if (!json_is_array(*out))
        return fail(ld, p, "expected an array");
    n = json_array_size(*out);
    if (n < min)
        return fail(ld, p, "needs at least %zu entr%s", min, min == 1 ? "y" : "ies");
    if (n > max)
        return fail(ld, p, "more than %zu entries", max);
    return 0;
}

/* ---- parties ------------------------------------------------------------ */

static int is_hex6(const char *s, size_t len)
{
    if (len != 6)
        return 0;
    for (size_t i = 0; i < 6; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static int load_parties(loader *ld, json_t *root)
{
    static const char *const keys[] = {"id", "name", "abbreviation", "colour", NULL};
    cm_definition *def = ld->def;
    json_t *arr = NULL, *colour = NULL;
    char path[PATH_MAX_LEN], p[PATH_MAX_LEN];

    if (get_array(ld, root, "$", "parties", 0, SIZE_MAX, &arr) < 0)
        return -1;
    def->n_parties = json_array_size(arr);
    def->parties = pr_calloc(def->n_parties ? def->n_parties : 1, sizeof *def->parties);
    if (def->parties == NULL)
        return oom(ld, "$.parties");
    for (size_t i = 0; i < def->n_parties; i++) {
        cm_party *pt = &def->parties[i];
        json_t *o = json_array_get(arr, i);

        path_idx(path, "$", "parties", i);
        if (want_object(ld, o, path, keys) < 0 || get_id(ld, o, path, "id", pt->id) < 0 ||
            get_text(ld, o, path, "name", &pt->name) < 0 ||
            get_text(ld, o, path, "abbreviation", &pt->abbreviation) < 0 ||
            member(ld, o, path, "colour", 1, &colour) < 0)
            return -1;
        if (!json_is_null(colour)) {
            path_key(p, path, "colour");
            if (!json_is_string(colour) ||
                !is_hex6(json_string_value(colour), json_string_length(colour)))
                return fail(ld, p, "expected 6 hex digits (no #) or null");
            memcpy(pt->colour, json_string_value(colour), 7);
        }
    }
    return index_list(ld, "parties", def->parties, def->n_parties, sizeof *def->parties,
                      &ld->ix->parties);
}

/* ---- areas -------------------------------------------------------------- */

/* Resolves parents, finds the one root, refuses cycles and fills each
 * area's close from the nearest area up the tree that has one. parents[i]
 * is the parent id as written (NULL for null); own[i] says whether the
 * area's close was given (then areas[i].close holds it). */
static int resolve_areas(loader *ld, const char **parents, const int *own)
{
    cm_definition *def = ld->def;
    size_t n = def->n_areas, root = NONE;
    unsigned char *state = NULL; /* 0 new, 1 on the current walk, 2 resolved */
    size_t *stack = NULL;
    char path[PATH_MAX_LEN], qb[72], qb2[72];
    int rc = -1;

    for (size_t i = 0; i < n; i++) {
        path_idx(path, "$", "areas", i);
        if (parents[i] == NULL) {
            if (root != NONE) {
                path_key(path, path, "parent");
                (void)fail(ld, path, "a second root area (the first is \"%s\")",
                           q(def->areas[root].id, qb));
                goto out;
            }
            root = i;
            def->areas[i].parent = NONE;
            continue;
        }
        def->areas[i].parent = ref_find(ld->ix->areas, n, parents[i]);
        if (def->areas[i].parent == NONE) {
            path_key(path, path, "parent");
            (void)fail(ld, path, "unknown area \"%s\"", q(parents[i], qb));
            goto out;
        }
    }
    if (root == NONE) {
        (void)fail(ld, "$.areas", "no root area (one area must have parent null)");
        goto out;
    }
    if (!own[root]) {
        path_idx(path, "$", "areas", root);
        path_key(path, path, "close");
        (void)fail(ld, path, "the root area must have a close time");
        goto out;
    }
    state = pr_calloc(n, 1);
    stack = pr_calloc(n, sizeof *stack);
    if (state == NULL || stack == NULL) {
        (void)oom(ld, "$.areas");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t top = 0, j = i;

        /* Walk up until a resolved area or the root; meeting an area of
         * this same walk again means a cycle. Each area is walked once. */
        for (;;) {
            if (state[j] == 2)
                break;
            if (state[j] == 1) {
                path_idx(path, "$", "areas", j);
                path_key(path, path, "parent");
                (void)fail(ld, path, "cycle through area \"%s\" (parent \"%s\")",
                           q(def->areas[j].id, qb), q(parents[j], qb2));
                goto out;
            }
            state[j] = 1;
            stack[top++] = j;
            if (def->areas[j].parent == NONE)
                break;
            j = def->areas[j].parent;
        }
        /* Resolve from the area nearest the root downwards, so each parent
         * is resolved before its child inherits from it. */
        while (top > 0) {
            size_t k = stack[--top];

            if (!own[k])
                def->areas[k].close = def->areas[def->areas[k].parent].close;
            state[k] = 2;
        }
    }
    rc = 0;
out:
    pr_free(state);
    pr_free(stack);
    return rc;
}

static int load_areas(loader *ld, json_t *root)
{
    static const char *const keys[] = {"id", "name", "parent", "close", NULL};
    cm_definition *def = ld->def;
    const char **parents = NULL;
    int *own = NULL;
    json_t *arr = NULL;
    char path[PATH_MAX_LEN];
    int rc = -1;

    if (get_array(ld, root, "$", "areas", 1, SIZE_MAX, &arr) < 0)
        return -1;
    def->n_areas = json_array_size(arr);
    def->areas = pr_calloc(def->n_areas, sizeof *def->areas);
    parents = pr_calloc(def->n_areas, sizeof *parents);
    own = pr_calloc(def->n_areas, sizeof *own);
    if (def->areas == NULL || parents == NULL || own == NULL) {
        (void)oom(ld, "$.areas");
        goto out;
    }
    for (size_t i = 0; i < def->n_areas; i++) {
        cm_area *a = &def->areas[i];
        json_t *o = json_array_get(arr, i);

        path_idx(path, "$", "areas", i);
        if (want_object(ld, o, path, keys) < 0 || get_id(ld, o, path, "id", a->id) < 0 ||
            get_text(ld, o, path, "name", &a->name) < 0 ||
            get_ref(ld, o, path, "parent", 1, &parents[i]) < 0 ||
            get_time(ld, o, path, "close", 1, &own[i], &a->close) < 0)
            goto out;
    }
    if (index_list(ld, "areas", def->areas, def->n_areas, sizeof *def->areas, &ld->ix->areas) < 0 ||
        resolve_areas(ld, parents, own) < 0)
        goto out;
    rc = 0;
out:
    pr_free(parents);
    pr_free(own);
    return rc;
}

/* ---- rules -------------------------------------------------------------- */

/* Rule parser state over the check text. */
typedef struct rule_src {
    const char *s;
    size_t len, pos;
    const cm_protocol *proto;
} rule_src;

static int id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static void skip_ws(rule_src *rs)
{
    while (rs->pos < rs->len && (rs->s[rs->pos] == ' ' || rs->s[rs->pos] == '\t' ||
                                 rs->s[rs->pos] == '\n' || rs->s[rs->pos] == '\r'))
        rs->pos++;
}

/* Takes a name-or-count token: [a-z0-9][a-z0-9._-]*, longest match. A '-'
 * inside a token belongs to it (line ids contain '-'), so subtraction
 * between names needs a space before the '-'. */
static size_t take_token(rule_src *rs, const char **tok)
{
    size_t start = rs->pos;

    *tok = rs->s + start;
    if (rs->pos >= rs->len || rs->s[rs->pos] == '-' || rs->s[rs->pos] == '.' ||
        rs->s[rs->pos] == '_' || !id_char(rs->s[rs->pos]))
        return 0;
    while (rs->pos < rs->len && id_char(rs->s[rs->pos]))
        rs->pos++;
    return rs->pos - start;
}

static int all_digits(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] < '0' || t[i] > '9')
            return 0;
    return 1;
}

static size_t find_line(const cm_protocol *p, const char *t, size_t n)
{
    for (size_t i = 0; i < p->n_lines; i++)
        if (strlen(p->lines[i].id) == n && memcmp(p->lines[i].id, t, n) == 0)
            return i;
    return NONE;
}

/* Resolves a name: a line of the protocol, `votes`, or `against-all`
 * (a constant 0 where the protocol has no such line). */
static int resolve_name(loader *ld, const char *path, const rule_src *rs, const char *t, size_t n,
                        cm_term *term)
{
    char name[PR_ID_MAX + 1], qb[72];
    size_t line = find_line(rs->proto, t, n);

    if (line != NONE) {
        term->line = line;
        return 0;
    }
    if (n == 5 && memcmp(t, "votes", 5) == 0) {
        term->line = CM_TERM_VOTES;
        return 0;
    }
    if (n == 11 && memcmp(t, "against-all", 11) == 0) {
        term->line = CM_TERM_CONST;
        term->coef = 0;
        return 0;
    }
    if (n > PR_ID_MAX)
        n = PR_ID_MAX;
    memcpy(name, t, n);
    name[n] = '\0';
    return fail(ld, path, "unknown name \"%s\" (not a line of protocol \"%s\")", q(name, qb),
                rs->proto->id);
}

static int parse_term(loader *ld, const char *path, rule_src *rs, int64_t sign, cm_term *term)
{
    const char *t;
    size_t n;
    uint64_t c;

    skip_ws(rs);
    n = take_token(rs, &t);
    if (n == 0)
        return fail(ld, path, "expected a name or count at offset %zu", rs->pos);
    term->coef = sign;
    if (!all_digits(t, n))
        return resolve_name(ld, path, rs, t, n, term);
    if (pr_parse_count(t, n, &c) < 0)
        return fail(ld, path, "bad count at offset %zu (no leading zeros, at most %llu)",
                    (size_t)(t - rs->s), (unsigned long long)PR_COUNT_MAX);
    skip_ws(rs);
    if (rs->pos < rs->len && rs->s[rs->pos] == '*') {
        if (c > RULE_COEF_MAX)
            return fail(ld, path, "coefficient above %d at offset %zu", RULE_COEF_MAX,
                        (size_t)(t - rs->s));
        rs->pos++;
        skip_ws(rs);
        n = take_token(rs, &t);
        if (n == 0 || (all_digits(t, n) && find_line(rs->proto, t, n) == NONE))
            return fail(ld, path, "expected a name after '*' at offset %zu", (size_t)(t - rs->s));
        term->coef = sign * (int64_t)c;
        if (resolve_name(ld, path, rs, t, n, term) < 0)
            return -1;
        /* against-all without a line stays the constant 0 */
        if (term->line == CM_TERM_CONST)
            term->coef = 0;
        return 0;
    }
    /* A digits-only token is a line when the protocol has a line of that
     * id (protocols may number their lines); otherwise a constant. */
    if (find_line(rs->proto, t, n) != NONE)
        return resolve_name(ld, path, rs, t, n, term);
    term->line = CM_TERM_CONST;
    term->coef = sign * (int64_t)c;
    return 0;
}

static int parse_sum(loader *ld, const char *path, rule_src *rs, cm_term **out, size_t *nout)
{
    cm_term terms[RULE_TERMS_MAX];
    size_t n = 0;
    int64_t sign = 1;

    skip_ws(rs);
    if (rs->pos < rs->len && rs->s[rs->pos] == '-') {
        sign = -1;
        rs->pos++;
    }
    for (;;) {
        if (n == RULE_TERMS_MAX)
            return fail(ld, path, "more than %d terms on one side", RULE_TERMS_MAX);
        if (parse_term(ld, path, rs, sign, &terms[n]) < 0)
            return -1;
        n++;
        skip_ws(rs);
        if (rs->pos < rs->len && rs->s[rs->pos] == '+')
            sign = 1;
        else if (rs->pos < rs->len && rs->s[rs->pos] == '-')
            sign = -1;
        else
            break;
        rs->pos++;
    }
    *out = pr_malloc(n * sizeof **out);
    if (*out == NULL)
        return oom(ld, path);
    memcpy(*out, terms, n * sizeof **out);
    *nout = n;
    return 0;
}

static int parse_relation(loader *ld, const char *path, rule_src *rs, cm_relation *rel)
{
    const char *s = NULL;
    size_t left;

    skip_ws(rs);
    s = rs->s + rs->pos;
    left = rs->len - rs->pos;
    if (left >= 2 && s[0] == '<' && s[1] == '=')
        *rel = CM_REL_LE;
    else if (left >= 2 && s[0] == '>' && s[1] == '=')
        *rel = CM_REL_GE;
    else if (left >= 2 && s[0] == '!' && s[1] == '=')
        *rel = CM_REL_NE;
    else if (left >= 1 && s[0] == '<')
        *rel = CM_REL_LT;
    else if (left >= 1 && s[0] == '>')
        *rel = CM_REL_GT;
    else if (left >= 1 && s[0] == '=')
        *rel = CM_REL_EQ;
    else
        return fail(ld, path, "expected one of = <= >= < > != at offset %zu", rs->pos);
    rs->pos += (*rel == CM_REL_LE || *rel == CM_REL_GE || *rel == CM_REL_NE) ? 2 : 1;
    if (rs->pos < rs->len && rs->s[rs->pos] == '=')
        return fail(ld, path, "unexpected '=' at offset %zu", rs->pos);
    return 0;
}

/* Compiles rule text (docs/DEFINITION.md "Rule grammar") against the lines
 * of protocol p into r (whose id and severity the caller sets). */
static int compile_rule(loader *ld, const char *path, const cm_protocol *p, const char *text,
                        size_t len, cm_rule *r)
{
    rule_src rs = {text, len, 0, p};

    r->check = pr_malloc(len + 1);
    if (r->check == NULL)
        return oom(ld, path);
    memcpy(r->check, text, len);
    r->check[len] = '\0';
    if (parse_sum(ld, path, &rs, &r->lhs, &r->n_lhs) < 0 ||
        parse_relation(ld, path, &rs, &r->rel) < 0 ||
        parse_sum(ld, path, &rs, &r->rhs, &r->n_rhs) < 0)
        return -1;
    skip_ws(&rs);
    if (rs.pos != rs.len)
        return fail(ld, path, "unexpected text at offset %zu", rs.pos);
    return 0;
}

static int load_rules(loader *ld, json_t *o, const char *ppath, cm_protocol *p)
{
    static const char *const keys[] = {"id", "check", "severity", NULL};
    json_t *arr = NULL;
    size_t n_user, n_def = 0, at, first = 0, second = 0;
    int overridden[N_DEFAULT_RULES];
    cm_rule *user = NULL;
    id_ref *refs = NULL;
    char path[PATH_MAX_LEN], p2[PATH_MAX_LEN], qb[72];
    int rc = -1;

    if (get_array(ld, o, ppath, "rules", 0, SIZE_MAX, &arr) < 0)
        return -1;
    n_user = json_array_size(arr);
    user = pr_calloc(n_user ? n_user : 1, sizeof *user);
    if (user == NULL)
        return oom(ld, ppath);
    /* The protocol's rules are read into `user` first: whether a default
     * applies is known only once every id is. Each rule moves into p->rules
     * whole, so on failure every piece has exactly one owner to free it. */
    for (size_t d = 0; d < N_DEFAULT_RULES; d++)
        overridden[d] = 0;
    for (size_t i = 0; i < n_user; i++) {
        json_t *r = json_array_get(arr, i);
        const char *sev = NULL, *check = NULL;
        size_t sevlen = 0, checklen = 0;

        path_idx(path, ppath, "rules", i);
        if (want_object(ld, r, path, keys) < 0 || get_id(ld, r, path, "id", user[i].id) < 0 ||
            get_string(ld, r, path, "check", &check, &checklen) < 0 ||
            get_string(ld, r, path, "severity", &sev, &sevlen) < 0)
            goto out;
        path_key(p2, path, "severity");
        if (strcmp(sev, "reject") == 0)
            user[i].severity = CM_SEV_REJECT;
        else if (strcmp(sev, "hold") == 0)
            user[i].severity = CM_SEV_HOLD;
        else if (strcmp(sev, "flag") == 0)
            user[i].severity = CM_SEV_FLAG;
        else {
            (void)fail(ld, p2, "expected reject, hold or flag, not \"%s\"", q(sev, qb));
            goto out;
        }
        path_key(p2, path, "check");
        if (compile_rule(ld, p2, p, check, checklen, &user[i]) < 0)
            goto out;
    }
    {
        int d = build_refs(user, n_user, sizeof *user, &refs, &first, &second);

        if (d < 0) {
            (void)oom(ld, ppath);
            goto out;
        }
        if (d > 0) {
            path_idx(path, ppath, "rules", second);
            path_key(path, path, "id");
            (void)fail(ld, path, "duplicate rule id \"%s\" (first at %s.rules[%zu])",
                       q(user[second].id, qb), ppath, first);
            goto out;
        }
    }
    for (size_t d = 0; d < N_DEFAULT_RULES; d++) {
        overridden[d] = ref_find(refs, n_user, DEFAULT_RULES[d].id) != NONE;
        n_def += !overridden[d];
    }
    /* Defaults first: DESIGN 7 lists cast-exceeds-registered before the
     * protocol's own rules. */
    p->rules = pr_calloc((n_def + n_user) ? n_def + n_user : 1, sizeof *p->rules);
    if (p->rules == NULL) {
        (void)oom(ld, ppath);
        goto out;
    }
    at = 0;
    for (size_t d = 0; d < N_DEFAULT_RULES; d++) {
        const default_rule *dr = &DEFAULT_RULES[d];
        cm_rule *r = &p->rules[at];

        if (overridden[d])
            continue;
        (void)snprintf(r->id, sizeof r->id, "%s", dr->id);
        r->severity = dr->severity;
        p->n_rules = ++at;
        if (compile_rule(ld, ppath, p, dr->check, strlen(dr->check), r) < 0)
            goto out;
    }
    for (size_t i = 0; i < n_user; i++) {
        p->rules[at++] = user[i];
        memset(&user[i], 0, sizeof user[i]);
        p->n_rules = at;
    }
    rc = 0;
out:
    for (size_t i = 0; i < n_user; i++) {
        pr_free(user[i].check);
        pr_free(user[i].lhs);
        pr_free(user[i].rhs);
    }
    pr_free(user);
    pr_free(refs);
    return rc;
}

/* ---- protocols ---------------------------------------------------------- */

static int load_lines(loader *ld, json_t *o, const char *ppath, cm_protocol *p)
{
    static const char *const keys[] = {"id", "name", "derived", NULL};
    json_t *arr = NULL, *derived = NULL;
    char path[PATH_MAX_LEN], p2[PATH_MAX_LEN], qb[72];

    if (get_array(ld, o, ppath, "lines", 1, PR_LINES_MAX, &arr) < 0)
        return -1;
    p->n_lines = json_array_size(arr);
    p->lines = pr_calloc(p->n_lines, sizeof *p->lines);
    if (p->lines == NULL)
        return oom(ld, ppath);
    for (size_t i = 0; i < p->n_lines; i++) {
        cm_line *l = &p->lines[i];
        json_t *lo = json_array_get(arr, i);

        path_idx(path, ppath, "lines", i);
        if (want_object(ld, lo, path, keys) < 0 || get_id(ld, lo, path, "id", l->id) < 0 ||
            get_text(ld, lo, path, "name", &l->name) < 0)
            return -1;
        path_key(p2, path, "id");
        if (strcmp(l->id, "votes") == 0)
            return fail(ld, p2, "\"votes\" is reserved and never a line id");
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->lines[k].id, l->id) == 0)
                return fail(ld, p2, "duplicate line id \"%s\" (first at %s.lines[%zu])", l->id,
                            ppath, k);
    }
    /* Parts are resolved once every line is known: a derived line may name
     * lines listed after it. */
    for (size_t i = 0; i < p->n_lines; i++) {
        cm_line *l = &p->lines[i];

        path_idx(path, ppath, "lines", i);
        derived = json_object_get(json_array_get(arr, i), "derived");
        if (derived == NULL)
            continue;
        path_key(p2, path, "derived");
        if (!json_is_array(derived) || json_array_size(derived) == 0)
            return fail(ld, p2, "expected an array of at least one line id");
        l->n_parts = json_array_size(derived);
        l->parts = pr_calloc(l->n_parts, sizeof *l->parts);
        if (l->parts == NULL)
            return oom(ld, p2);
        for (size_t k = 0; k < l->n_parts; k++) {
            json_t *v = json_array_get(derived, k);
            const char *s = NULL;
            size_t part;

            path_idx(p2, path, "derived", k);
            if (!json_is_string(v))
                return fail(ld, p2, "expected a line id");
            s = json_string_value(v);
            part = find_line(p, s, json_string_length(v));
            if (part == NONE)
                return fail(ld, p2, "unknown line \"%s\"", q(s, qb));
            if (part == i)
                return fail(ld, p2, "line \"%s\" cannot be part of itself", l->id);
            if (json_object_get(json_array_get(arr, part), "derived") != NULL)
                return fail(ld, p2, "line \"%s\" is derived itself", p->lines[part].id);
            for (size_t m = 0; m < k; m++)
                if (l->parts[m] == part)
                    return fail(ld, p2, "line \"%s\" listed twice", p->lines[part].id);
            l->parts[k] = part;
        }
    }
    return 0;
}

static int load_protocols(loader *ld, json_t *root)
{
    static const char *const keys[] = {"id", "lines", "rules", NULL};
    static const char *const required[] = {"registered", "ballots-cast", "invalid"};
    cm_definition *def = ld->def;
    json_t *arr = NULL;
    char path[PATH_MAX_LEN], p2[PATH_MAX_LEN];

    if (get_array(ld, root, "$", "protocols", 1, SIZE_MAX, &arr) < 0)
        return -1;
    def->n_protocols = json_array_size(arr);
    def->protocols = pr_calloc(def->n_protocols, sizeof *def->protocols);
    if (def->protocols == NULL)
        return oom(ld, "$.protocols");
    for (size_t i = 0; i < def->n_protocols; i++) {
        cm_protocol *p = &def->protocols[i];
        json_t *o = json_array_get(arr, i);
        size_t *slots[] = {&p->registered, &p->ballots_cast, &p->invalid};

        path_idx(path, "$", "protocols", i);
        if (want_object(ld, o, path, keys) < 0 || get_id(ld, o, path, "id", p->id) < 0 ||
            load_lines(ld, o, path, p) < 0)
            return -1;
        path_key(p2, path, "lines");
        for (size_t k = 0; k < 3; k++) {
            *slots[k] = find_line(p, required[k], strlen(required[k]));
            if (*slots[k] == NONE)
                return fail(ld, p2, "no \"%s\" line (every protocol needs registered, "
                                    "ballots-cast and invalid)",
                            required[k]);
        }
        p->against_all = find_line(p, "against-all", 11);
        if (load_rules(ld, o, path, p) < 0)
            return -1;
    }
    return index_list(ld, "protocols", def->protocols, def->n_protocols, sizeof *def->protocols,
                      &ld->ix->protocols);
}

/* ---- lists of elements with ids (contests, precincts) ------------------ */

/* An array member read one element at a time (streamed load): each element
 * is parsed by jansson alone and freed once loaded, so memory holds the
 * loaded elements, never the tree of them all (issue 8). `load` must
 * therefore copy what it keeps, never point into the element. *arr gets
 * *n elements of `stride` bytes, each zeroed before it is loaded (so a
 * failed load can be freed as usual). 0, or -1 (the whole-tree load, run
 * by the caller, explains). */
typedef int (*elem_loader)(loader *ld, json_t *o, const char *path, void *elem);

static int stream_array(loader *ld, const char *key, span sp, size_t stride, void **arr, size_t *n,
                        elem_loader load)
{
    const uint8_t *b = ld->stream;
    size_t i = ws_end(b, sp.end, sp.at), cap = 0, end;
    char path[PATH_MAX_LEN];
    char *base = NULL;

    *n = 0;
    if (i >= sp.end || b[i] != '[')
        return -1;
    i = ws_end(b, sp.end, i + 1);
    if (i < sp.end && b[i] == ']')
        return -1; /* every streamed array needs at least 1 entry */
    for (;;) {
        json_error_t jerr;
        json_t *o;
        int rc;

        if (value_end(b, sp.end, i, &end) < 0)
            return -1;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            char *nb = ncap > SIZE_MAX / stride ? NULL : pr_realloc(base, ncap * stride);

            if (nb == NULL)
                return -1;
            memset(nb + cap * stride, 0, (ncap - cap) * stride);
            base = nb;
            *arr = nb;
            cap = ncap;
        }
        o = json_loadb((const char *)b + i, end - i, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (o == NULL)
            return -1;
        path_idx(path, "$", key, *n);
        rc = load(ld, o, path, base + *n * stride);
        (*n)++;
        json_decref(o);
        if (rc < 0)
            return -1;
        i = ws_end(b, sp.end, end);
        if (i < sp.end && b[i] == ',') {
            i = ws_end(b, sp.end, i + 1);
            continue;
        }
        if (i < sp.end && b[i] == ']' && ws_end(b, sp.end, i + 1) == sp.end)
            break;
        return -1;
    }
    if (*n < cap) { /* give back the doubling's slack */
        char *nb = pr_realloc(base, *n * stride);

        if (nb != NULL)
            *arr = nb;
    }
    return 0;
}

/* A list member of the definition (`key`, at least 1 entry), each element
 * loaded by `load` into *arr (*n elements of `stride` bytes, zeroed first)
 * and indexed by id into *ix: from the streamed bytes `sp` one element at
 * a time in a streamed load, else from root's tree. 0, or -1 with ld->err
 * set (a streamed load's -1 is explained by the whole-tree load its caller
 * runs). */
static int load_list(loader *ld, json_t *root, const char *key, span sp, size_t stride,
                     void **arr, size_t *n, elem_loader load, id_ref **ix)
{
    json_t *list = NULL;
    char path[PATH_MAX_LEN];

    if (ld->stream != NULL) {
        if (stream_array(ld, key, sp, stride, arr, n, load) < 0)
            return -1;
    } else {
        if (get_array(ld, root, "$", key, 1, SIZE_MAX, &list) < 0)
            return -1;
        if ((*arr = pr_calloc(json_array_size(list), stride)) == NULL) {
            path_key(path, "$", key);
            return oom(ld, path);
        }
        *n = json_array_size(list);
        for (size_t i = 0; i < *n; i++) {
            path_idx(path, "$", key, i);
            if (load(ld, json_array_get(list, i), path, (char *)*arr + i * stride) < 0)
                return -1;
        }
    }
    return index_list(ld, key, *arr, *n, stride, ix);
}

/* ---- contests ----------------------------------------------------------- */

static int load_candidates(loader *ld, json_t *o, const char *cpath, cm_contest *c)
{
    static const char *const keys[] = {"id", "name", "party", "withdrawn", NULL};
    json_t *arr = NULL;
    id_ref *refs = NULL;
    size_t first = 0, second = 0;
    char path[PATH_MAX_LEN], qb[72];
    int d;

    if (get_array(ld, o, cpath, "candidates", 1, PR_CANDIDATES_MAX, &arr) < 0)
        return -1;
    c->n_candidates = json_array_size(arr);
    c->candidates = pr_calloc(c->n_candidates, sizeof *c->candidates);
    if (c->candidates == NULL)
        return oom(ld, cpath);
    for (size_t i = 0; i < c->n_candidates; i++) {
        cm_candidate *cd = &c->candidates[i];
        json_t *co = json_array_get(arr, i);
        const char *party = NULL;

        path_idx(path, cpath, "candidates", i);
        if (want_object(ld, co, path, keys) < 0 || get_id(ld, co, path, "id", cd->id) < 0 ||
            get_text(ld, co, path, "name", &cd->name) < 0 ||
            get_ref(ld, co, path, "party", 1, &party) < 0 ||
            get_bool(ld, co, path, "withdrawn", 0, 0, &cd->withdrawn) < 0)
            return -1;
        cd->party = NONE;
        if (party != NULL) {
            cd->party = ref_find(ld->ix->parties, ld->def->n_parties, party);
            if (cd->party == NONE) {
                path_key(path, path, "party");
                return fail(ld, path, "unknown party \"%s\"", q(party, qb));
            }
        }
    }
    d = build_refs(c->candidates, c->n_candidates, sizeof *c->candidates, &refs, &first, &second);
    pr_free(refs);
    if (d < 0)
        return oom(ld, cpath);
    if (d > 0) {
        path_idx(path, cpath, "candidates", second);
        path_key(path, path, "id");
        return fail(ld, path, "duplicate candidate id \"%s\" (first at %s.candidates[%zu])",
                    c->candidates[second].id, cpath, first);
    }
    return 0;
}

static int load_contest(loader *ld, json_t *o, const char *path, cm_contest *c)
{
    static const char *const keys[] = {"id", "name", "area", "protocol", "against_all",
                                       "votes_allowed", "seats", "outcome", "method",
                                       "threshold_bp", "candidates", NULL};
    cm_definition *def = ld->def;
    const char *area = NULL, *proto = NULL, *s = NULL;
    size_t slen = 0;
    char p2[PATH_MAX_LEN], qb[72];
    const cm_protocol *p;

    if (want_object(ld, o, path, keys) < 0 || get_id(ld, o, path, "id", c->id) < 0 ||
        get_text(ld, o, path, "name", &c->name) < 0 || get_ref(ld, o, path, "area", 0, &area) < 0 ||
        get_ref(ld, o, path, "protocol", 0, &proto) < 0 ||
        get_bool(ld, o, path, "against_all", 1, 0, &c->against_all) < 0 ||
        get_count(ld, o, path, "votes_allowed", 1, 1, PR_COUNT_MAX, &c->votes_allowed) < 0 ||
        get_count(ld, o, path, "seats", 1, 1, PR_COUNT_MAX, &c->seats) < 0 ||
        get_string(ld, o, path, "outcome", &s, &slen) < 0)
        return -1;
    c->area = ref_find(ld->ix->areas, def->n_areas, area);
    if (c->area == NONE) {
        path_key(p2, path, "area");
        return fail(ld, p2, "unknown area \"%s\"", q(area, qb));
    }
    c->protocol = ref_find(ld->ix->protocols, def->n_protocols, proto);
    if (c->protocol == NONE) {
        path_key(p2, path, "protocol");
        return fail(ld, p2, "unknown protocol \"%s\"", q(proto, qb));
    }
    p = &def->protocols[c->protocol];
    if (c->against_all != (p->against_all != NONE)) {
        path_key(p2, path, "against_all");
        return fail(ld, p2, "%s, but protocol \"%s\" %s against-all line",
                    c->against_all ? "true" : "false", p->id, c->against_all ? "has no" : "has an");
    }
    path_key(p2, path, "outcome");
    if (strcmp(s, "plurality") == 0)
        c->outcome = CM_OUTCOME_PLURALITY;
    else if (strcmp(s, "majority") == 0)
        c->outcome = CM_OUTCOME_MAJORITY;
    else if (strcmp(s, "party-list") == 0)
        c->outcome = CM_OUTCOME_PARTY_LIST;
    else
        return fail(ld, p2, "expected plurality, majority or party-list, not \"%s\"", q(s, qb));
    c->method = CM_METHOD_NONE;
    c->threshold_bp = 0;
    if (c->outcome != CM_OUTCOME_PARTY_LIST) {
        const char *only[] = {"method", "threshold_bp"};

        for (size_t k = 0; k < 2; k++)
            if (json_object_get(o, only[k]) != NULL) {
                path_key(p2, path, only[k]);
                return fail(ld, p2, "only allowed with outcome party-list");
            }
    } else {
        if (get_string(ld, o, path, "method", &s, &slen) < 0)
            return -1;
        path_key(p2, path, "method");
        if (strcmp(s, "hare") == 0)
            c->method = CM_METHOD_HARE;
        else if (strcmp(s, "dhondt") == 0)
            c->method = CM_METHOD_DHONDT;
        else
            return fail(ld, p2, "expected hare or dhondt, not \"%s\"", q(s, qb));
        if (get_count(ld, o, path, "threshold_bp", 0, 0, 10000, &c->threshold_bp) < 0)
            return -1;
    }
    return load_candidates(ld, o, path, c);
}

static int contest_elem(loader *ld, json_t *o, const char *path, void *elem)
{
    return load_contest(ld, o, path, elem);
}

static int load_contests(loader *ld, json_t *root)
{
    cm_definition *def = ld->def;

    return load_list(ld, root, "contests", ld->contests, sizeof *def->contests,
                     (void **)&def->contests, &def->n_contests, contest_elem, &ld->ix->contests);
}

/* ---- precincts ---------------------------------------------------------- */

static int load_precinct(loader *ld, json_t *o, const char *path, cm_precinct *pc)
{
    static const char *const keys[] = {"id", "name", "area", "contests", "registered", "close",
                                       NULL};
    cm_definition *def = ld->def;
    const char *area = NULL;
    json_t *arr = NULL, *reg = NULL;
    int has_close = 0;
    char p2[PATH_MAX_LEN], qb[72];

    if (want_object(ld, o, path, keys) < 0 || get_id(ld, o, path, "id", pc->id) < 0 ||
        get_text(ld, o, path, "name", &pc->name) < 0 || get_ref(ld, o, path, "area", 0, &area) < 0 ||
        get_array(ld, o, path, "contests", 1, SIZE_MAX, &arr) < 0 ||
        member(ld, o, path, "registered", 1, &reg) < 0 ||
        get_time(ld, o, path, "close", 0, &has_close, &pc->close) < 0)
        return -1;
    pc->area = ref_find(ld->ix->areas, def->n_areas, area);
    if (pc->area == NONE) {
        path_key(p2, path, "area");
        return fail(ld, p2, "unknown area \"%s\"", q(area, qb));
    }
    if (!has_close)
        pc->close = def->areas[pc->area].close;
    pc->has_roll = !json_is_null(reg);
    if (pc->has_roll) {
        path_key(p2, path, "registered");
        if (want_count(ld, reg, p2, 0, PR_COUNT_MAX, &pc->roll) < 0)
            return -1;
    }
    pc->n_contests = json_array_size(arr);
    pc->contests = pr_calloc(pc->n_contests, sizeof *pc->contests);
    if (pc->contests == NULL)
        return oom(ld, path);
    for (size_t k = 0; k < pc->n_contests; k++) {
        json_t *v = json_array_get(arr, k);
        size_t c;

        path_idx(p2, path, "contests", k);
        if (!json_is_string(v))
            return fail(ld, p2, "expected a contest id");
        c = ref_find(ld->ix->contests, def->n_contests, json_string_value(v));
        if (c == NONE)
            return fail(ld, p2, "unknown contest \"%s\"", q(json_string_value(v), qb));
        /* a precinct takes part in few contests: a linear check is enough */
        for (size_t m = 0; m < k; m++)
            if (pc->contests[m] == c)
                return fail(ld, p2, "contest \"%s\" listed twice", def->contests[c].id);
        pc->contests[k] = c;
    }
    return 0;
}

static int precinct_elem(loader *ld, json_t *o, const char *path, void *elem)
{
    return load_precinct(ld, o, path, elem);
}

static int load_precincts(loader *ld, json_t *root)
{
    cm_definition *def = ld->def;

    if (ld->core)
        return index_list(ld, "precincts", NULL, 0, sizeof *def->precincts, &ld->ix->precincts);
    return load_list(ld, root, "precincts", ld->precincts, sizeof *def->precincts,
                     (void **)&def->precincts, &def->n_precincts, precinct_elem,
                     &ld->ix->precincts);
}

/* ---- tolerances and top level ------------------------------------------- */

static int load_tolerances(loader *ld, json_t *root)
{
    static const char *const keys[] = {"registered_up_abs",   "registered_up_bp",
                                       "registered_down_abs", "registered_down_bp",
                                       "turnout_high_bp",     "invalid_high_bp",
                                       "hold_corrections",    NULL};
    cm_tolerances *t = &ld->def->tol;
    const char *path = "$.tolerances";
    json_t *given = json_object_get(root, "tolerances");
    /* left out, it reads as an empty object: every default */
    json_t *o = given ? json_incref(given) : json_object();
    int rc = -1;

    if (o == NULL)
        return oom(ld, path);
    if (want_object(ld, o, path, keys) < 0 ||
        get_count(ld, o, path, "registered_up_abs", 0, 0, PR_COUNT_MAX, &t->registered_up_abs) < 0 ||
        get_count(ld, o, path, "registered_up_bp", 200, 0, PR_COUNT_MAX, &t->registered_up_bp) < 0 ||
        get_count(ld, o, path, "registered_down_abs", 0, 0, PR_COUNT_MAX,
                  &t->registered_down_abs) < 0 ||
        get_count(ld, o, path, "registered_down_bp", 500, 0, PR_COUNT_MAX,
                  &t->registered_down_bp) < 0 ||
        get_count(ld, o, path, "turnout_high_bp", 9900, 0, PR_COUNT_MAX, &t->turnout_high_bp) < 0 ||
        get_count(ld, o, path, "invalid_high_bp", 1000, 0, PR_COUNT_MAX, &t->invalid_high_bp) < 0 ||
        get_bool(ld, o, path, "hold_corrections", 0, 0, &t->hold_corrections) < 0)
        goto out;
    rc = 0;
out:
    json_decref(o);
    return rc;
}

static int load_top(loader *ld, json_t *root)
{
    static const char *const keys[] = {"format", "id", "name", "date", "parties", "areas",
                                       "protocols", "contests", "precincts", "tolerances", NULL};
    cm_definition *def = ld->def;
    const char *s = NULL;
    size_t len = 0;
    char stamp[PR_TIME_LEN + 1], qb[72];
    int64_t t = 0;

    if (want_object(ld, root, "$", keys) < 0 || get_string(ld, root, "$", "format", &s, &len) < 0)
        return -1;
    if (strcmp(s, FORMAT_NAME) != 0)
        return fail(ld, "$.format", "expected \"%s\", not \"%s\"", FORMAT_NAME, q(s, qb));
    if (get_id(ld, root, "$", "id", def->id) < 0 || get_text(ld, root, "$", "name", &def->name) < 0 ||
        get_string(ld, root, "$", "date", &s, &len) < 0)
        return -1;
    /* A date is valid when it starts a valid time: same calendar rules. */
    if (len != 10)
        return fail(ld, "$.date", "expected YYYY-MM-DD");
    (void)snprintf(stamp, sizeof stamp, "%.10sT00:00:00Z", s);
    if (pr_parse_time(stamp, PR_TIME_LEN, &t) < 0)
        return fail(ld, "$.date", "bad date \"%s\" (want YYYY-MM-DD, 2000-2099)", q(s, qb));
    memcpy(def->date, s, 10);
    def->date[10] = '\0';
    if (load_parties(ld, root) < 0 || load_areas(ld, root) < 0 || load_protocols(ld, root) < 0 ||
        load_contests(ld, root) < 0 || load_precincts(ld, root) < 0 || load_tolerances(ld, root) < 0)
        return -1;
    return 0;
}

/* Builds the definition from root (the whole tree, or the streamed load's
 * top level without its precincts). 0, or -1 with err set. */
static int load_root(const uint8_t *bytes, size_t len, json_t *root, const loader *how,
                     cm_definition **out, pr_diag *err)
{
    cm_definition *def = pr_calloc(1, sizeof *def);
    loader ld = *how;

    if (def == NULL || (def->index_ = pr_calloc(1, sizeof(cm_index))) == NULL) {
        cm_definition_free(def);
        pr_diag_set(err, 0, "$: out of memory");
        return -1;
    }
    ld.def = def;
    ld.ix = def->index_;
    ld.err = err;
    if (load_top(&ld, root) < 0) {
        cm_definition_free(def);
        return -1;
    }
    pr_hash(def->hash, bytes, len);
    pr_hex_encode(def->hash_hex, def->hash, PR_HASH_BYTES);
    *out = def;
    return 0;
}

/* The streamed load: the top-level object's members are parsed one by one
 * (each by jansson, with JSON_REJECT_DUPLICATES), the contests and precincts
 * arrays one element at a time by stream_array. It only ever succeeds where the
 * whole-tree load succeeds, with the same definition: every byte outside a
 * member's value is JSON's structure (whitespace, braces, colon, commas,
 * checked here), every value is parsed by jansson, and top-level keys are
 * compared after jansson decodes them. On any failure the caller runs the
 * whole-tree load, whose message is the one reported. 0 or -1.
 * Two things hold only because of the schema, and must be kept in mind if
 * it grows a free-form member: jansson's nesting limit (2048) counts from
 * each value parsed alone, one level (two in a contest or precinct) more than in the
 * whole tree, which no accepted definition comes near (4 levels); and
 * keys are compared as C strings, which is exact because jansson refuses
 * \u0000 (no JSON_ALLOW_NUL). */
/* The next member of the top-level object, whose key starts at *i: its
 * key decoded by jansson into k (every key of the format is shorter than
 * 16 bytes), its value's bytes at [*vat, *vend). *i is left on the byte
 * after the value and the whitespace behind it. 0, or -1 when the bytes
 * are not a key, a colon and one JSON value (or the key is too long). */
static int next_member(const uint8_t *bytes, size_t len, size_t *i, char k[16], size_t *vat,
                       size_t *vend)
{
    json_error_t jerr;
    json_t *v;
    size_t end;
    int key_ok;

    if (*i >= len || bytes[*i] != '"' || value_end(bytes, len, *i, &end) < 0 ||
        (v = json_loadb((const char *)bytes + *i, end - *i, JSON_DECODE_ANY, &jerr)) == NULL)
        return -1;
    key_ok = json_is_string(v) && json_string_length(v) < 16;
    if (key_ok)
        memcpy(k, json_string_value(v), json_string_length(v) + 1);
    json_decref(v);
    *i = ws_end(bytes, len, end);
    if (!key_ok || *i >= len || bytes[*i] != ':')
        return -1;
    *vat = ws_end(bytes, len, *i + 1);
    if (value_end(bytes, len, *vat, vend) < 0)
        return -1;
    *i = ws_end(bytes, len, *vend);
    return 0;
}

/* After a member: 1 when a comma and the next key follow (*i moves to the
 * key), 0 at the closing brace that ends the input, -1 otherwise. */
static int member_after(const uint8_t *bytes, size_t len, size_t *i)
{
    if (*i < len && bytes[*i] == ',') {
        *i = ws_end(bytes, len, *i + 1);
        return *i < len && bytes[*i] == '"' ? 1 : -1;
    }
    return *i < len && bytes[*i] == '}' && ws_end(bytes, len, *i + 1) == len ? 0 : -1;
}

static int load_streamed(const uint8_t *bytes, size_t len, int core, cm_definition **out)
{
    loader how = {0};
    json_t *root = json_object();
    size_t i = ws_end(bytes, len, 0), at, end;
    pr_diag ignored;
    int rc = -1, more = 1;

    how.core = core;
    how.stream = bytes;
    if (root == NULL || i >= len || bytes[i] != '{')
        goto out;
    i = ws_end(bytes, len, i + 1);
    while (more == 1) {
        json_error_t jerr;
        json_t *v;
        char k[16];

        if (next_member(bytes, len, &i, k, &at, &end) < 0 || json_object_get(root, k) != NULL)
            goto out;
        if (strcmp(k, "precincts") == 0 || strcmp(k, "contests") == 0) {
            span *sp = k[0] == 'p' ? &how.precincts : &how.contests;

            if (sp->end != 0)
                goto out; /* a repeated key */
            *sp = (span){at, end};
        } else if ((v = json_loadb((const char *)bytes + at, end - at,
                                   JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr)) == NULL ||
                   json_object_set_new(root, k, v) != 0) {
            goto out;
        }
        if ((more = member_after(bytes, len, &i)) < 0)
            goto out;
    }
    if (how.precincts.end == 0)
        goto out;
    rc = load_root(bytes, len, root, &how, out, &ignored);
out:
    json_decref(root);
    return rc;
}

/* The whole file as one jansson tree: the reference for load_streamed, and
 * the source of every refusal's message. */
static int load_tree(const uint8_t *bytes, size_t len, cm_definition **out, pr_diag *err)
{
    static const loader whole = {0};
    json_t *root;
    json_error_t jerr;
    int rc;

    root = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        unsigned line = jerr.line > 0 ? (unsigned)jerr.line : 0;
        char text[sizeof err->msg];

        /* jansson quotes the input near the error as it is, so a definition
         * could put a line break or a terminal escape into the message
         * (found by fuzz/fuzz_definition.c): escape it. */
        pr_diag_set(err, line, "$: JSON error at line %d column %d: %s", jerr.line, jerr.column,
                    cm_escape_text(jerr.text, text, sizeof text));
        return -1;
    }
    rc = load_root(bytes, len, root, &whole, out, err);
    json_decref(root);
    return rc;
}

int cm_definition_load(const uint8_t *bytes, size_t len, cm_definition **out, pr_diag *err)
{
    *out = NULL;
    if (check_bytes(bytes, len, err) < 0)
        return -1;
    if (load_streamed(bytes, len, 0, out) == 0)
        return 0;
    return load_tree(bytes, len, out, err);
}

int cm_definition_load_streamed(const uint8_t *bytes, size_t len, cm_definition **out)
{
    pr_diag ignored;

    *out = NULL;
    if (check_bytes(bytes, len, &ignored) < 0)
        return -1;
    return load_streamed(bytes, len, 0, out);
}

int cm_definition_core_bytes(const uint8_t *bytes, size_t len, uint8_t **core, size_t *core_len)
{
    size_t i = ws_end(bytes, len, 0), at, end, pat = 0, pend = 0;
    int more = 1, found = 0;
    char k[16];
    uint8_t *c;

    *core = NULL;
    *core_len = 0;
    if (i >= len || bytes[i] != '{')
        return -1;
    i = ws_end(bytes, len, i + 1);
    while (more == 1) {
        if (next_member(bytes, len, &i, k, &at, &end) < 0)
            return -1;
        if (strcmp(k, "precincts") == 0) {
            if (found)
                return -1;
            found = 1;
            pat = at;
            pend = end;
        }
        if ((more = member_after(bytes, len, &i)) < 0)
            return -1;
    }
    if (!found || (c = pr_malloc(len - (pend - pat) + 2)) == NULL)
        return -1;
    memcpy(c, bytes, pat);
    memcpy(c + pat, "[]", 2);
    memcpy(c + pat + 2, bytes + pend, len - pend);
    *core = c;
    *core_len = len - (pend - pat) + 2;
    return 0;
}

int cm_definition_load_core(const uint8_t *core, size_t len, const uint8_t hash[PR_HASH_BYTES],
                            cm_definition **out)
{
    pr_diag ignored;

    *out = NULL;
    if (check_bytes(core, len, &ignored) < 0 || load_streamed(core, len, 1, out) != 0)
        return -1;
    memcpy((*out)->hash, hash, PR_HASH_BYTES);
    pr_hex_encode((*out)->hash_hex, (*out)->hash, PR_HASH_BYTES);
    return 0;
}

int cm_definition_load_tree(const uint8_t *bytes, size_t len, cm_definition **out, pr_diag *err)
{
    *out = NULL;
    if (check_bytes(bytes, len, err) < 0)
        return -1;
    return load_tree(bytes, len, out, err);
}

static void free_rules(cm_protocol *p)
{
    for (size_t k = 0; k < p->n_rules; k++) {
        pr_free(p->rules[k].check);
        pr_free(p->rules[k].lhs);
        pr_free(p->rules[k].rhs);
    }
    pr_free(p->rules);
}

void cm_definition_free(cm_definition *def)
{
    cm_index *ix;

    if (def == NULL)
        return;
    for (size_t i = 0; def->parties && i < def->n_parties; i++) {
        pr_free(def->parties[i].name);
        pr_free(def->parties[i].abbreviation);
    }
    for (size_t i = 0; def->areas && i < def->n_areas; i++)
        pr_free(def->areas[i].name);
    for (size_t i = 0; def->protocols && i < def->n_protocols; i++) {
        cm_protocol *p = &def->protocols[i];

        for (size_t k = 0; p->lines && k < p->n_lines; k++) {
            pr_free(p->lines[k].name);
            pr_free(p->lines[k].parts);
        }
        pr_free(p->lines);
        free_rules(p);
    }
    for (size_t i = 0; def->contests && i < def->n_contests; i++) {
        cm_contest *c = &def->contests[i];

        for (size_t k = 0; c->candidates && k < c->n_candidates; k++)
            pr_free(c->candidates[k].name);
        pr_free(c->candidates);
        pr_free(c->name);
    }
    for (size_t i = 0; def->precincts && i < def->n_precincts; i++) {
        pr_free(def->precincts[i].name);
        pr_free(def->precincts[i].contests);
    }
    ix = def->index_;
    if (ix != NULL) {
        pr_free(ix->parties);
        pr_free(ix->areas);
        pr_free(ix->protocols);
        pr_free(ix->contests);
        pr_free(ix->precincts);
        pr_free(ix);
    }
    pr_free(def->parties);
    pr_free(def->areas);
    pr_free(def->protocols);
    pr_free(def->contests);
    pr_free(def->precincts);
    pr_free(def->name);
    pr_free(def);
}

/* ---- lookups ------------------------------------------------------------ */

size_t cm_find_precinct(const cm_definition *def, const char *id)
{
    return def ? ref_find(((const cm_index *)def->index_)->precincts, def->n_precincts, id) : NONE;
}

size_t cm_find_contest(const cm_definition *def, const char *id)
{
    return def ? ref_find(((const cm_index *)def->index_)->contests, def->n_contests, id) : NONE;
}

size_t cm_find_area(const cm_definition *def, const char *id)
{
    return def ? ref_find(((const cm_index *)def->index_)->areas, def->n_areas, id) : NONE;
}

size_t cm_find_party(const cm_definition *def, const char *id)
{
    return def ? ref_find(((const cm_index *)def->index_)->parties, def->n_parties, id) : NONE;
}

int cm_precinct_in_contest(const cm_definition *def, size_t p, size_t c)
{
    const cm_precinct *pc;

    if (def == NULL || p >= def->n_precincts)
        return 0;
    pc = &def->precincts[p];
    for (size_t k = 0; k < pc->n_contests; k++)
        if (pc->contests[k] == c)
            return 1;
    return 0;
}
