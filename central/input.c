/*
 * input.c: bounded reading of import inputs. Every byte is hashed, so an
 * oversize file is still identified by the hash of all of it, while only
 * its first 64 KiB + 1 bytes are kept in memory and in the database.
 */
#include "input.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536u

void ct_input_free(ct_input *in)
{
    if (in == NULL)
        return;
    free(in->name);
    free(in->bytes);
    memset(in, 0, sizeof *in);
}

int ct_input_oversize(const ct_input *in)
{
    return in->size > PR_FILE_MAX;
}

/* Appends n bytes to an input being read: all are hashed and counted, the
 * first CT_KEEP_MAX kept. */
static void keep(ct_input *in, crypto_generichash_state *h, const uint8_t *p, size_t n)
{
    size_t room = CT_KEEP_MAX - in->len;

    (void)crypto_generichash_update(h, p, n);
    in->size += n;
    if (n < room)
        room = n;
    if (room > 0) {
        memcpy(in->bytes + in->len, p, room);
        in->len += room;
        in->bytes[in->len] = 0;
    }
}

int ct_read_path(const char *path, int follow, ct_input *in, ct_read_kind *kind, ct_err *e)
{
    crypto_generichash_state h;
    struct stat sb;
    uint8_t *chunk = NULL;
    ssize_t got;
    int fd = -1, rc = -1;
    int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);

    *kind = CT_READ_OK;
    in->bytes = NULL;
    in->len = 0;
    in->size = 0;
    /* O_NONBLOCK: opening a FIFO must not hang the import; it is refused
     * below as not a regular file. */
    fd = open(path, flags);
    if (fd < 0) {
        if (!follow && errno == ELOOP) {
            *kind = CT_READ_SYMLINK;
            rc = 0;
        } else {
            ct_err_set(e, CT_EXIT_IO, path, "%s", strerror(errno));
        }
        goto out;
    }
    if (fstat(fd, &sb) != 0) {
        ct_err_set(e, CT_EXIT_IO, path, "%s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        *kind = CT_READ_NOT_REGULAR;
        rc = 0;
        goto out;
    }
    chunk = malloc(CHUNK);
    in->bytes = malloc(CT_KEEP_MAX + 1);
    if (chunk == NULL || in->bytes == NULL) {
        ct_err_set(e, CT_EXIT_IO, path, "out of memory");
        goto out;
    }
    in->bytes[0] = 0;
    (void)crypto_generichash_init(&h, NULL, 0, PR_HASH_BYTES);
    for (;;) {
        got = read(fd, chunk, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            ct_err_set(e, CT_EXIT_IO, path, "%s", strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        keep(in, &h, chunk, (size_t)got);
    }
    (void)crypto_generichash_final(&h, in->hash, PR_HASH_BYTES);
    rc = 0;
out:
    if (rc != 0 || *kind != CT_READ_OK) {
        free(in->bytes);
        in->bytes = NULL;
        in->len = 0;
    }
    free(chunk);
    if (fd >= 0)
        (void)close(fd);
    return rc;
}

struct ct_stream {
    crypto_generichash_state h;     /* first: libsodium wants it aligned */
    FILE *f;
    uint8_t chunk[CHUNK];
    size_t clen, cpos;
    int eof;
    ct_input cur;                   /* the item being built */
    int active;                     /* cur has been started */
    int is_return;                  /* cur began with a return's type line */
    const char *item_prefix;        /* what the first line of an item begins with */
    size_t item_len;                /* its length, <= sizeof pfx */
    uint8_t pfx[32];                /* first bytes of the current line */
    size_t pfx_len;
    int in_prefix;                  /* still deciding what the line is */
    int line_sig;                   /* the current line is a signature line */
    int pending;                    /* pfx starts a new return, not yet kept */
    unsigned long n;                /* items handed out */
    int failed;                     /* read(2) failed */
};

static const char return_prefix[] = "precinct-return ";
static const char sig_prefix[] = "signature ";

ct_stream *ct_stream_new(FILE *f)
{
    return ct_stream_new_for(f, return_prefix);
}

ct_stream *ct_stream_new_for(FILE *f, const char *prefix)
{
    size_t sz = (sizeof(ct_stream) + 63u) & ~(size_t)63u;
    ct_stream *s = aligned_alloc(64, sz);

    if (s != NULL) {
        memset(s, 0, sizeof *s);
        s->f = f;
        s->in_prefix = 1;
        s->item_prefix = prefix;
        s->item_len = strlen(prefix);
        if (s->item_len < sizeof sig_prefix - 1 || s->item_len > sizeof s->pfx) {
            free(s);
            s = NULL;
        }
    }
    return s;
}

void ct_stream_free(ct_stream *s)
{
    if (s == NULL)
        return;
    ct_input_free(&s->cur);
    free(s);
}

static int start_item(ct_stream *s, int is_return, ct_err *e)
{
    int rc = -1;

    memset(&s->cur, 0, sizeof s->cur);
    s->cur.bytes = malloc(CT_KEEP_MAX + 1);
    if (s->cur.bytes == NULL) {
        ct_err_set(e, CT_EXIT_IO, "-", "out of memory");
        goto out;
    }
    s->cur.bytes[0] = 0;
    (void)crypto_generichash_init(&s->h, NULL, 0, PR_HASH_BYTES);
    s->active = 1;
    s->is_return = is_return;
    rc = 0;
out:
    return rc;
}

/* Hands the current item out as in. */
static int emit(ct_stream *s, ct_input *in, ct_err *e)
{
    char name[32];
    int rc = -1;

    (void)crypto_generichash_final(&s->h, s->cur.hash, PR_HASH_BYTES);
    s->n++;
    snprintf(name, sizeof name, "-:%lu", s->n);
    s->cur.name = strdup(name);
    if (s->cur.name == NULL) {
        ct_err_set(e, CT_EXIT_IO, "-", "out of memory");
        goto out;
    }
    *in = s->cur;
    memset(&s->cur, 0, sizeof s->cur);
    s->active = 0;
    rc = 1;
out:
    return rc;
}

/* The line prefix is known (the item prefix's length, or a shorter line): decide whether
 * it starts a new item. Returns 1 when the current item must be handed out
 * first (the prefix then waits in s->pending), 0 when the prefix was kept,
 * -1 on error. */
static int decide_line(ct_stream *s, ct_err *e)
{
    int starts = s->pfx_len == s->item_len && memcmp(s->pfx, s->item_prefix, s->item_len) == 0;
    int rc = 0;

    s->line_sig = s->pfx_len >= 10 && memcmp(s->pfx, sig_prefix, 10) == 0;
    s->in_prefix = 0;
    if (starts && s->active) {
        s->pending = 1;
        rc = 1;
    } else if (!s->active && start_item(s, starts, e) != 0) {
        rc = -1;
    } else {
        keep(&s->cur, &s->h, s->pfx, s->pfx_len);
    }
    return rc;
}

/* Reads what the input has now, up to a chunk: read(2) on a descriptor
 * (fread would wait for a whole chunk from a slow pipe, holding back
 * returns already sent), fread on a stream without one. 0 at the end or on
 * an error (s->failed). */
static size_t refill(ct_stream *s)
{
    int fd = fileno(s->f);
    ssize_t got;

    if (fd < 0)
        return fread(s->chunk, 1, sizeof s->chunk, s->f);
    do
        got = read(fd, s->chunk, sizeof s->chunk);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        s->failed = 1;
    return got > 0 ? (size_t)got : 0;
}

int ct_stream_waits(ct_stream *s)
{
    struct pollfd p;
    int fd = fileno(s->f);

    if (s->cpos < s->clen || s->eof || s->pending || fd < 0)
        return 0;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, 0) == 0;
}

int ct_stream_next(ct_stream *s, ct_input *in, ct_err *e)
{
    uint8_t c;
    int rc = -1, k;

    memset(in, 0, sizeof *in);
    if (s->pending) {
        s->pending = 0;
        if (start_item(s, 1, e) != 0)
            goto out;
        keep(&s->cur, &s->h, s->pfx, s->pfx_len);
    }
    for (;;) {
        if (s->cpos == s->clen) {
            if (s->eof)
                break;
            s->clen = refill(s);
            s->cpos = 0;
            if (s->clen == 0) {
                if (s->failed || ferror(s->f)) {
                    ct_err_set(e, CT_EXIT_IO, "-", "read error");
                    goto out;
                }
                s->eof = 1;
            }
            continue;
        }
        c = s->chunk[s->cpos++];
        if (s->in_prefix) {
            s->pfx[s->pfx_len++] = c;
            if (c != '\n' && s->pfx_len < s->item_len)
                continue;
            k = decide_line(s, e);
            if (k < 0)
                goto out;
            if (k == 1) {
                rc = emit(s, in, e);
                goto out;
            }
        } else {
            /* the rest of the line, or of the chunk, in one step (hashing
             * byte by byte was a tenth of import's writer thread) */
            size_t at = s->cpos - 1, end;
            const uint8_t *nl = memchr(s->chunk + at, '\n', s->clen - at);

            end = nl != NULL ? (size_t)(nl - s->chunk) + 1 : s->clen;
            keep(&s->cur, &s->h, s->chunk + at, end - at);
            s->cpos = end;
            c = s->chunk[end - 1];
        }
        if (c == '\n') {
            s->in_prefix = 1;
            s->pfx_len = 0;
            if (s->is_return && s->line_sig) {
                rc = emit(s, in, e);
                goto out;
            }
        }
    }
    /* End of stream: a last line without LF, then whatever is open. */
    if (s->in_prefix && s->pfx_len > 0) {
        /* Shorter than the item prefix, so never the start of an item. */
        if (decide_line(s, e) < 0)
            goto out;
        s->pfx_len = 0;
        s->in_prefix = 1;
    }
    rc = s->active ? emit(s, in, e) : 0;
out:
    return rc;
}
