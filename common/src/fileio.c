/*
 * fileio.c: bounded whole-file reads that look at what a path is before
 * reading it, exclusive creation with fsync, and one-line escaping of names
 * and free text for output (DESIGN 9 and 10).
 */
#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/alloc.h"

/* Reads fd until EOF or until limit bytes are in; the buffer grows by
 * doubling from hint so a short file costs one small allocation and a huge
 * one never more than limit + 1 bytes. */
static int read_bounded(int fd, size_t limit, size_t hint, uint8_t **out, size_t *len)
{
    uint8_t *buf = NULL, *grown;
    size_t cap = hint < 4096 ? 4096 : hint, used = 0;
    int rc = -1;

    if (cap > limit)
        cap = limit;
    buf = pr_malloc(cap + 1);
    if (buf == NULL) {
        errno = ENOMEM;
        goto out;
    }
    while (used < limit) {
        ssize_t got;

        if (used == cap) {
            cap = cap > limit / 2 ? limit : cap * 2;
            grown = pr_realloc(buf, cap + 1);
            if (grown == NULL) {
                errno = ENOMEM;
                goto out;
            }
            buf = grown;
        }
        got = read(fd, buf + used, cap - used);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL;
    rc = 0;
out:
    pr_free(buf);
    return rc;
}

/* max + 1 bytes are read to tell "exactly max" from "more than max". */
static size_t limit_for(size_t max)
{
    return max >= SIZE_MAX - 1 ? SIZE_MAX - 1 : max + 1;
}

int cm_read_file(const char *path, size_t max, int follow, uint8_t **out, size_t *len,
                 uint64_t *full_size, pr_diag *d)
{
    struct stat st;
    int fd = -1, flags, rc = -1, saved;

    *out = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat
     * below refuses it anyway. */
    flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW);
    fd = open(path, flags);
    if (fd < 0) {
        saved = errno;
        if (!follow && errno == ELOOP) {
            pr_diag_set(d, 0, "not a regular file (a symbolic link)");
            rc = -3;
        } else
            pr_diag_set(d, 0, "%s", strerror(saved));
        errno = saved;
        goto out;
    }
    if (fstat(fd, &st) < 0) {
        saved = errno;
        pr_diag_set(d, 0, "%s", strerror(saved));
        errno = saved;
        goto out;
    }
    /* Decide before reading: /dev/zero or a folder must never be read. */
    if (!S_ISREG(st.st_mode)) {
        pr_diag_set(d, 0, "not a regular file");
        rc = -3;
        goto out;
    }
    {
        size_t hint = st.st_size > 0 && (uint64_t)st.st_size < (uint64_t)max ? (size_t)st.st_size + 1
                                                                            : limit_for(max);

        if (read_bounded(fd, limit_for(max), hint, out, len) < 0) {
            saved = errno;
            pr_diag_set(d, 0, "%s", strerror(saved));
            errno = saved;
            goto out;
        }
    }
    if (*len > max) {
        uint64_t size = st.st_size > 0 ? (uint64_t)st.st_size : 0;

        /* the file may have grown since fstat: never report less than read */
        if (full_size != NULL)
            *full_size = size > *len ? size : *len;
        pr_diag_set(d, 0, "larger than %zu bytes", max);
        rc = -2;
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        (void)close(fd);
    return rc;
}

int cm_read_fd(int fd, size_t max, uint8_t **out, size_t *len, pr_diag *d)
{
    *out = NULL;
    *len = 0;
    if (read_bounded(fd, limit_for(max), 0, out, len) < 0) {
        int saved = errno;

        pr_diag_set(d, 0, "%s", strerror(saved));
        errno = saved;
        return -1;
    }
    if (*len > max) {
        pr_diag_set(d, 0, "more than %zu bytes", max);
        return -2;
    }
    return 0;
}

/* Makes the new name itself durable; best effort, since some file systems
 * refuse fsync on a folder and the data is already safe. */
static void sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    int fd;

    if (slash == NULL)
        dir = pr_strdup(".");
    else if (slash == path)
        dir = pr_strdup("/");
    else {
        dir = pr_malloc((size_t)(slash - path) + 1);
        if (dir != NULL) {
            memcpy(dir, path, (size_t)(slash - path));
            dir[slash - path] = '\0';
        }
    }
    if (dir == NULL)
        return;
    fd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
    pr_free(dir);
}

int cm_write_new(const char *path, const void *data, size_t len, mode_t mode)
{
    const uint8_t *p = data;
    size_t done = 0;
    int fd, rc = -1, saved;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
    if (fd < 0)
        return -1; /* nothing created, nothing to undo (EEXIST included) */
    while (done < len) {
        ssize_t put = write(fd, p + done, len - done);

        if (put < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        done += (size_t)put;
    }
    if (fsync(fd) < 0)
        goto out;
    rc = close(fd);
    fd = -1;
    if (rc == 0)
        sync_parent(path);
out:
    if (rc < 0) {
        /* we created the file, so removing the partial one loses nothing */
        saved = errno;
        if (fd >= 0)
            (void)close(fd);
        (void)unlink(path);
        errno = saved;
    }
    return rc;
}

static char *escape(const char *s, char *out, size_t outlen, int keep_space)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, len = s != NULL ? strlen(s) : 0;

    if (out == NULL || outlen == 0)
        return out;
    for (size_t i = 0; i < len;) {
        size_t start = i, n = 0;
        char esc[16];
        long cp = pr_utf8_next(s, len, &i);

        if (cp == '\\') {
            memcpy(esc, "\\\\", 2);
            n = 2;
        } else if ((cp > 0x20 || (keep_space && cp == ' ')) && pr_cp_printable(cp)) {
            n = i - start; /* printable UTF-8 as is */
            memcpy(esc, s + start, n);
        } else {
            /* Space, controls, bidi controls, invalid bytes: every byte of
             * the sequence (or the one invalid byte) as \xNN. */
            if (cp < 0)
                i = start + 1;
            for (size_t k = start; k < i; k++) {
                unsigned char c = (unsigned char)s[k];
                esc[n++] = '\\';
                esc[n++] = 'x';
                esc[n++] = hex[c >> 4];
                esc[n++] = hex[c & 0xf];
            }
        }
        if (o + n > outlen - 1)
            break; /* never split an escape */
        memcpy(out + o, esc, n);
        o += n;
    }
    out[o] = '\0';
    return out;
}

char *cm_escape(const char *s, char *out, size_t outlen)
{
    return escape(s, out, outlen, 0);
}

char *cm_escape_text(const char *s, char *out, size_t outlen)
{
    return escape(s, out, outlen, 1);
}
