/*
 * passphrase.c: passphrases for encrypted secret keys (passphrase.h), read
 * from a descriptor or from /dev/tty with echo off, kept only in
 * sodium_malloc'd memory; and loading a secret key file with one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/passphrase.h"
#include "proto/alloc.h"

/* Room for the longest passphrase, one byte more to detect a longer one,
 * and the NUL. */
#define PASS_BUF (CM_PASSPHRASE_MAX + 2u)

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void set_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    if (why == NULL || whylen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* Reads one line from fd into buf (PASS_BUF bytes), one byte at a time so
 * that nothing after the LF is consumed (the descriptor may carry more).
 * Strips LF and a CR before it. Returns the length; -1 read error, -2 end
 * of input before any byte, -3 too long, -4 interrupted by a signal. */
static long read_pass_line(int fd, char *buf, int stop_on_signal)
{
    size_t n = 0;
    int too_long = 0, any = 0;
    long rc = -1;

    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0) {
            if (errno == EINTR) {
                if (stop_on_signal && got_signal) {
                    rc = -4;
                    goto out;
                }
                continue;
            }
            goto out;
        }
        if (r == 0) {
            if (!any) {
                rc = -2;
                goto out;
            }
            break;
        }
        any = 1;
        if (c == '\n')
            break;
        if (n < CM_PASSPHRASE_MAX + 1)
            buf[n++] = c;
        else
            too_long = 1;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (too_long || n > CM_PASSPHRASE_MAX) {
        rc = -3;
        goto out;
    }
    buf[n] = '\0';
    rc = (long)n;
out:
    return rc;
}

/* Reads one line from the terminal tty with echo off. The terminal and
 * signal dispositions are restored before returning, and a signal that
 * arrived meanwhile is then delivered, so an interrupted prompt never
 * leaves the terminal without echo. */
static long read_tty_line(int tty, const char *prompt, char *buf)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
    enum { NSIGS = sizeof sigs / sizeof sigs[0] };
    struct sigaction sa, old_sa[NSIGS];
    struct termios old_tio, tio;
    int have_tio = 0;
    long rc;

    got_signal = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: read() must return on a signal */
    for (size_t i = 0; i < NSIGS; i++)
        sigaction(sigs[i], &sa, &old_sa[i]);
    if (tcgetattr(tty, &old_tio) == 0) {
        tio = old_tio;
        tio.c_lflag &= ~(tcflag_t)ECHO;
        tio.c_lflag |= (tcflag_t)ECHONL;
        if (tcsetattr(tty, TCSAFLUSH, &tio) == 0)
            have_tio = 1;
    }
    if (prompt != NULL) {
        fputs(prompt, stderr);
        fflush(stderr);
    }
    rc = have_tio ? read_pass_line(tty, buf, 1) : -1;
    if (have_tio)
        tcsetattr(tty, TCSAFLUSH, &old_tio);
    for (size_t i = 0; i < NSIGS; i++)
        sigaction(sigs[i], &old_sa[i], NULL);
    if (got_signal) {
        fputc('\n', stderr);
        raise(got_signal);
    }
    return rc;
}

static void explain(long r, int fd, char *why, size_t whylen)
{
    if (r == -2 && fd >= 0)
        set_why(why, whylen, "no passphrase on descriptor %d", fd);
    else if (r == -2)
        set_why(why, whylen, "no passphrase given");
    else if (r == -3)
        set_why(why, whylen, "passphrase longer than %u bytes", (unsigned)CM_PASSPHRASE_MAX);
    else if (r == -4)
        set_why(why, whylen, "interrupted");
    else if (r == 0)
        set_why(why, whylen, "empty passphrase");
    else
        set_why(why, whylen, "cannot read the passphrase: %s", strerror(errno));
}

int cm_passphrase_read(int fd, const char *prompt, int confirm, char **out, size_t *len,
                       char *why, size_t whylen)
{
    int rc = -1, tty = -1;
    char *a = NULL, *b = NULL;
    long n = -1, m = -1;

    *out = NULL;
    *len = 0;
    a = pr_secret_malloc(PASS_BUF);
    if (a == NULL) {
        set_why(why, whylen, "out of memory");
        goto out;
    }
    if (fd >= 0) {
        /* Automation: one line, never a prompt, never a confirmation. */
        n = read_pass_line(fd, a, 0);
        if (n <= 0) {
            explain(n, fd, why, whylen);
            goto out;
        }
    } else {
        tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (tty < 0) {
            set_why(why, whylen, "no terminal to ask for the passphrase (use --passphrase-fd)");
            goto out;
        }
        n = read_tty_line(tty, prompt, a);
        if (n <= 0) {
            explain(n, -1, why, whylen);
            goto out;
        }
        if (confirm) {
            b = pr_secret_malloc(PASS_BUF);
            if (b == NULL) {
                set_why(why, whylen, "out of memory");
                goto out;
            }
            m = read_tty_line(tty, "Again, to confirm: ", b);
            if (m < 0) {
                explain(m, -1, why, whylen);
                goto out;
            }
            if (m != n || sodium_memcmp(a, b, (size_t)n) != 0) {
                set_why(why, whylen, "the two passphrases differ");
                goto out;
            }
        }
    }
    *out = a;
    *len = (size_t)n;
    a = NULL;
    rc = 0;
out:
    if (tty >= 0)
        close(tty);
    pr_secret_free(a); /* pr_secret_free (sodium_free) wipes before freeing; NULL is fine */
    pr_secret_free(b);
    return rc;
}

void cm_passphrase_free(char *p)
{
    pr_secret_free(p);
}

int cm_load_secret_key(const char *path, pr_key_kind kind, int passphrase_fd,
                       uint8_t sk[PR_SK_BYTES], char *why, size_t whylen)
{
    int rc = -1, r;
    uint8_t *buf = NULL;
    size_t len = 0;
    char *pass = NULL;
    size_t passlen = 0;
    char prompt[256], esc[200], pwhy[192];
    pr_diag d = {0, ""};
    const char *kind_name = kind == PR_KEY_STATION ? "station" : "commission";

    r = cm_read_file(path, PR_FILE_MAX, 1, &buf, &len, NULL, &d);
    if (r == -2) {
        set_why(why, whylen, "larger than a secret key file can be");
        goto out;
    }
    if (r == -3) {
        set_why(why, whylen, "not a regular file");
        goto out;
    }
    if (r != 0) {
        set_why(why, whylen, "cannot read: %s", d.msg[0] ? d.msg : strerror(errno));
        goto out;
    }
    int enc = pr_seckey_is_encrypted(kind, buf, len);
    if (enc < 0) {
        set_why(why, whylen, "not a %s secret key file", kind_name);
        goto out;
    }
    /* Without a passphrase the parser still reads the whole file and
     * bounds the KDF limits, and stops before any key derivation (-2): a
     * malformed file or absurd limits are refused before anyone is asked
     * to type a passphrase (tests/hostile found the prompt came first). */
    r = pr_seckey_parse(kind, buf, len, NULL, 0, sk, &d);
    if (r == -2 && enc == 1) {
        snprintf(prompt, sizeof prompt, "Passphrase for %s: ", cm_escape(path, esc, sizeof esc));
        if (cm_passphrase_read(passphrase_fd, prompt, 0, &pass, &passlen, pwhy, sizeof pwhy) !=
            0) {
            set_why(why, whylen, "%s", pwhy);
            goto out;
        }
        r = pr_seckey_parse(kind, buf, len, pass, passlen, sk, &d);
    }
    switch (r) {
    case 0:
        rc = 0;
        break;
    case -2:
        set_why(why, whylen, "wrong passphrase (or the file was altered)");
        break;
    case -3:
        set_why(why, whylen, "key derivation limits above what is allowed; refused");
        break;
    case -4:
        set_why(why, whylen, "out of memory");
        break;
    default:
        set_why(why, whylen, "malformed: line %u: %s", d.line, d.msg);
        break;
    }
out:
    /* A plain key file holds the secret in base64: wipe the copy. */
    if (buf != NULL)
        sodium_memzero(buf, len);
    pr_free(buf);
    cm_passphrase_free(pass);
    if (rc != 0)
        sodium_memzero(sk, PR_SK_BYTES);
    return rc;
}
