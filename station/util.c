/*
 * util.c: what every station command needs: `station: what: why` messages,
 * a small long-option parser, careful file reads and writes, the signed
 * definition check and display helpers.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <unistd.h>
#include <utf8proc.h>

#include "common/fileio.h"
#include "proto/keys.h"
#include "station.h"

void st_err(const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "station: %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void st_warn(const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "station: warning: %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *st_esc(const char *s, char out[ST_NAME_BUF])
{
    return cm_escape(s, out, ST_NAME_BUF);
}

/* Finds spec by name[0..n). Returns its index or -1. */
static int find_spec(const st_optspec *specs, size_t n_specs, const char *name, size_t n)
{
    for (size_t i = 0; i < n_specs; i++)
        if (strlen(specs[i].name) == n && memcmp(specs[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

int st_parse_opts(int argc, char **argv, const st_optspec *specs, size_t n_specs, size_t max_pos,
                  st_opts *o)
{
    int rc = ST_USAGE;
    int only_pos = 0;
    char e[ST_NAME_BUF];

    memset(o, 0, sizeof *o);
    if (n_specs > ST_OPTS_MAX) {
        st_err(argv[0], "internal: too many options");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (o->n_pos >= max_pos || o->n_pos >= ST_POS_MAX) {
                st_err(argv[0], "unexpected argument %s (see --help)", st_esc(a, e));
                goto out;
            }
            o->pos[o->n_pos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = 1;
            continue;
        }
        if (a[1] != '-') {
            st_err(argv[0], "unknown option %s (options are long: --name)", st_esc(a, e));
            goto out;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        int k = find_spec(specs, n_specs, name, nlen);
        if (k < 0) {
            st_err(argv[0], "unknown option %s (see --help)", st_esc(a, e));
            goto out;
        }
        const st_optspec *sp = &specs[k];
        const char *value = "";
        if (sp->takes_value) {
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                st_err(argv[0], "option --%s needs a value", sp->name);
                goto out;
            }
        } else if (eq) {
            st_err(argv[0], "option --%s takes no value", sp->name);
            goto out;
        }
        if (sp->repeatable) {
            if (o->n_multi >= PR_ENROL_PRECINCTS_MAX) {
                st_err(argv[0], "too many --%s options (at most %u)", sp->name,
                       (unsigned)PR_ENROL_PRECINCTS_MAX);
                goto out;
            }
            o->multi[o->n_multi++] = value;
            o->val[k] = value;
            continue;
        }
        if (o->val[k] != NULL) {
            st_err(argv[0], "option --%s given twice", sp->name);
            goto out;
        }
        o->val[k] = value;
    }
    rc = ST_OK;
out:
    return rc;
}

int st_parse_fd(const char *s, int *fd)
{
    int rc = ST_USAGE;
    long v = 0;
    *fd = -1;
    if (s == NULL) {
        rc = ST_OK;
        goto out;
    }
    if (*s == '\0')
        goto bad;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > INT_MAX / 10)
            goto bad;
        v = v * 10 + (*p - '0');
    }
    if (v > INT_MAX)
        goto bad;
    *fd = (int)v;
    rc = ST_OK;
    goto out;
bad:
    st_err("--passphrase-fd", "not a file descriptor number");
out:
    return rc;
}

int st_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
    int rc = ST_IO;
    pr_diag d = {0, ""};
    char e[ST_NAME_BUF];

    *buf = NULL;
    *len = 0;
    int r = cm_read_file(path, max, 1, buf, len, NULL, &d);
    if (r == 0) {
        rc = ST_OK;
        goto out;
    }
    if (r == -2)
        st_err(st_esc(path, e), "larger than %zu bytes", max);
    else if (r == -3)
        st_err(st_esc(path, e), "not a regular file");
    else
        st_err(st_esc(path, e), "%s", d.msg[0] ? d.msg : strerror(errno));
    free(*buf);
    *buf = NULL;
    *len = 0;
out:
    return rc;
}

int st_load_signed_definition(const char *path, const uint8_t commission_pk[PR_PK_BYTES],
                              cm_definition **def)
{
    int rc = ST_IO;
    uint8_t *bytes = NULL, *sigbytes = NULL;
    size_t len = 0, siglen = 0;
    char *sigpath = NULL;
    uint8_t hash[PR_HASH_BYTES];
    pr_defsig sig;
    pr_diag d = {0, ""};
    char e[ST_NAME_BUF];

    *def = NULL;
    size_t plen = strlen(path);
    sigpath = malloc(plen + 5);
    if (sigpath == NULL) {
        st_err(st_esc(path, e), "out of memory");
        goto out;
    }
    memcpy(sigpath, path, plen);
    memcpy(sigpath + plen, ".sig", 5);

    if ((rc = st_read(path, CM_DEFINITION_MAX, &bytes, &len)) != ST_OK)
        goto out;
    if ((rc = st_read(sigpath, PR_FILE_MAX, &sigbytes, &siglen)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    pr_hash(hash, bytes, len);
    if (pr_defsig_parse(sigbytes, siglen, &sig, &d) != 0) {
        st_err(st_esc(sigpath, e), "line %u: %s", d.line, d.msg);
        goto out;
    }
    /* The signature is checked before the JSON is even parsed: an unsigned
     * definition is not read at all. */
    if (pr_defsig_verify(sigbytes, &sig, hash, commission_pk, &d) != 0) {
        st_err(st_esc(sigpath, e), "does not verify against the pinned commission key: %s",
               d.msg);
        goto out;
    }
    if (cm_definition_load(bytes, len, def, &d) != 0) {
        if (d.line)
            st_err(st_esc(path, e), "line %u: %s", d.line, d.msg);
        else
            st_err(st_esc(path, e), "%s", d.msg);
        goto out;
    }
    rc = ST_OK;
out:
    free(bytes);
    free(sigbytes);
    free(sigpath);
    return rc;
}

int st_write_new(const char *path, const void *data, size_t len, unsigned mode)
{
    int rc = ST_OK;
    char e[ST_NAME_BUF];
    if (cm_write_new(path, data, len, (mode_t)mode) != 0) {
        if (errno == EEXIST)
            st_err(st_esc(path, e), "exists; not overwritten");
        else
            st_err(st_esc(path, e), "%s", strerror(errno));
        rc = ST_IO;
    }
    return rc;
}

char *st_key_sibling(const char *key_path, const char *suffix)
{
    size_t n = strlen(key_path), m = strlen(suffix);
    char *out = NULL;
    if (n > 4 && strcmp(key_path + n - 4, ".key") == 0)
        n -= 4;
    out = malloc(n + m + 1);
    if (out != NULL) {
        memcpy(out, key_path, n);
        memcpy(out + n, suffix, m + 1);
    }
    return out;
}

int64_t st_now(void)
{
    return (int64_t)time(NULL);
}

void st_key_id_hex(const uint8_t id[PR_KEYID_BYTES], char out[PR_KEYID_HEX + 1])
{
    pr_hex_encode(out, id, PR_KEYID_BYTES);
}

size_t st_display_width(const char *name)
{
    size_t w = 0, i = 0, n = strlen(name);

    while (i < n) {
        size_t at = i;
        long cp = pr_utf8_next(name, n, &i);
        if (cp < 0) {
            i = at + 1;
            w += 4;
        } else if (cp < 0x20 || cp == 0x7f) {
            w += 4;
        } else {
            int cw = utf8proc_charwidth((utf8proc_int32_t)cp);
            w += cw > 0 ? (size_t)cw : 0;
        }
    }
    return w;
}

int st_colour(FILE *f)
{
    const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
    return isatty(fileno(f)) && (no == NULL || no[0] == '\0') &&
           !(term != NULL && strcmp(term, "dumb") == 0);
}

void st_print_name(FILE *f, const char *name, size_t width)
{
    size_t n = strlen(name), i = 0;

    while (i < n) {
        size_t at = i;
        long cp = pr_utf8_next(name, n, &i);
        /* Control bytes and broken UTF-8 from a definition must not drive
         * the terminal. */
        if (cp < 0 || cp < 0x20 || cp == 0x7f) {
            i = at + 1;
            fprintf(f, "\\x%02x", (unsigned)(unsigned char)name[at]);
        } else {
            fwrite(name + at, 1, i - at, f);
        }
    }
    for (size_t w = st_display_width(name); w < width; w++)
        fputc(' ', f);
}
