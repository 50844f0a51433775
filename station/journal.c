/*
 * journal.c: the station's append-only record of what it signed, one line
 * per return (docs/STATION.md). It lets `station record` refuse a second,
 * different revision 1, which central would otherwise see as a conflict.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "station.h"

int st_journal_open(const char *path, st_journal *j, pr_diag *d)
{
    int rc = -1;
    struct flock fl;
    size_t cap = 0;

    j->fd = -1;
    j->data = NULL;
    j->len = 0;
    j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        pr_diag_set(d, 0, "%s", strerror(errno));
        goto out;
    }
    /* Two `station record` runs at once must not both see "not signed yet". */
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    while (fcntl(j->fd, F_SETLKW, &fl) != 0) {
        if (errno != EINTR) {
            pr_diag_set(d, 0, "cannot lock: %s", strerror(errno));
            goto out;
        }
    }
    for (;;) {
        if (j->len == cap) {
            if (cap >= ST_JOURNAL_MAX) {
                pr_diag_set(d, 0, "larger than %u bytes", (unsigned)ST_JOURNAL_MAX);
                goto out;
            }
            size_t ncap = cap ? cap * 2 : 4096;
            if (ncap > ST_JOURNAL_MAX)
                ncap = ST_JOURNAL_MAX;
            uint8_t *nd = realloc(j->data, ncap + 1);
            if (nd == NULL) {
                pr_diag_set(d, 0, "out of memory");
                goto out;
            }
            j->data = nd;
            cap = ncap;
        }
        ssize_t got = pread(j->fd, j->data + j->len, cap - j->len, (off_t)j->len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            pr_diag_set(d, 0, "%s", strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        j->len += (size_t)got;
    }
    rc = 0;
out:
    if (rc != 0)
        st_journal_close(j);
    return rc;
}

/* Splits s[0..n) at single spaces into exactly want fields. */
static int fields(const char *s, size_t n, const char **f, size_t *fl, size_t want)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ' ') {
            if (k == want || i == start)
                return -1;
            f[k] = s + start;
            fl[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k == want ? 0 : -1;
}

int st_journal_find(const st_journal *j, const char *precinct, const char *contest,
                    uint64_t revision, const uint8_t content[PR_HASH_BYTES], unsigned *line,
                    pr_diag *d)
{
    int rc = 0;
    size_t pos = 0;
    unsigned lineno = 0;
    const char *s = (const char *)j->data;

    while (pos < j->len) {
        const char *nl = memchr(s + pos, '\n', j->len - pos);
        const char *f[5];
        size_t fl[5];
        uint64_t rev = 0;
        uint8_t rh[PR_HASH_BYTES], ch[PR_HASH_BYTES];

        lineno++;
        /* A line without its LF means an append was cut short: say so
         * rather than guess what was signed. */
        if (nl == NULL) {
            pr_diag_set(d, lineno, "last line has no LF (an interrupted append?)");
            rc = -1;
            goto out;
        }
        size_t n = (size_t)(nl - (s + pos));
        if (fields(s + pos, n, f, fl, 5) != 0 || !pr_is_id(f[0], fl[0]) ||
            !pr_is_id(f[1], fl[1]) || pr_parse_count(f[2], fl[2], &rev) != 0 || rev == 0 ||
            pr_hex_decode(rh, sizeof rh, f[3], fl[3]) != 0 ||
            pr_hex_decode(ch, sizeof ch, f[4], fl[4]) != 0) {
            pr_diag_set(d, lineno,
                        "expected \"<precinct> <contest> <revision> <return-hash> "
                        "<content-hash>\"");
            rc = -1;
            goto out;
        }
        pos += n + 1;
        if (rev != revision || fl[0] != strlen(precinct) || memcmp(f[0], precinct, fl[0]) != 0 ||
            fl[1] != strlen(contest) || memcmp(f[1], contest, fl[1]) != 0)
            continue;
        if (memcmp(ch, content, PR_HASH_BYTES) != 0) {
            *line = lineno;
            rc = 2;
            goto out;
        }
        rc = 1;
        /* Keep reading: a later line with other content must still refuse. */
    }
out:
    return rc;
}

int st_journal_append(st_journal *j, const char *precinct, const char *contest, uint64_t revision,
                      const uint8_t return_hash[PR_HASH_BYTES],
                      const uint8_t content[PR_HASH_BYTES])
{
    int rc = -1;
    pr_buf b;
    char rh[PR_HASH_HEX + 1], ch[PR_HASH_HEX + 1];
    size_t done = 0;

    pr_buf_init(&b, 1024);
    pr_hex_encode(rh, return_hash, PR_HASH_BYTES);
    pr_hex_encode(ch, content, PR_HASH_BYTES);
    if (pr_buf_printf(&b, "%s %s %llu %s %s\n", precinct, contest, (unsigned long long)revision,
                      rh, ch) != 0) {
        errno = ENOMEM;
        goto out;
    }
    /* One write with O_APPEND: the line lands whole at the end. */
    while (done < b.len) {
        ssize_t w = write(j->fd, b.data + done, b.len - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        done += (size_t)w;
    }
    if (fsync(j->fd) != 0)
        goto out;
    rc = 0;
out:
    pr_buf_free(&b);
    return rc;
}

void st_journal_close(st_journal *j)
{
    if (j->fd >= 0)
        close(j->fd); /* releases the lock */
    j->fd = -1;
    free(j->data);
    j->data = NULL;
    j->len = 0;
}
