/*
 * entry.c: typing the counts at the station's terminal. Each number is typed
 * twice without being shown (so the second entry cannot be copied from the
 * first), compared, and only then echoed back; an empty answer is not zero.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "station.h"

/* Longest answer kept; longer ones are refused as a whole. */
#define ANSWER_MAX 128

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

int st_stdin_is_tty(void)
{
    return isatty(STDIN_FILENO);
}

/* Reads one line from standard input into buf (NUL-terminated, without the
 * LF or a CR before it), with echo off when echo == 0. Returns 1 for a line,
 * 0 at end of input, -1 on a read error. *too_long is set when the line did
 * not fit. A signal during a blind read restores the terminal first, then
 * is delivered as usual, so the terminal never stays without echo. */
static int read_line(int echo, char buf[ANSWER_MAX + 1], int *too_long)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa, old_sa[sizeof sigs / sizeof sigs[0]];
    struct termios old_tio, tio;
    int rc = -1, blind = 0;
    size_t n = 0, got_any = 0;

    *too_long = 0;
    buf[0] = '\0';
    if (!echo && tcgetattr(STDIN_FILENO, &old_tio) == 0) {
        got_signal = 0;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: read() returns on a signal */
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            sigaction(sigs[i], &sa, &old_sa[i]);
        tio = old_tio;
        tio.c_lflag &= ~(tcflag_t)ECHO;
        tio.c_lflag |= (tcflag_t)ECHONL;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0)
            blind = 1;
        else
            for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
                sigaction(sigs[i], &old_sa[i], NULL);
    }
    for (;;) {
        char ch;
        ssize_t r = read(STDIN_FILENO, &ch, 1);
        if (r < 0) {
            if (errno == EINTR && !(blind && got_signal))
                continue;
            goto out;
        }
        if (r == 0) {
            rc = got_any ? 1 : 0;
            goto out;
        }
        got_any = 1;
        if (ch == '\n')
            break;
        if (n < ANSWER_MAX)
            buf[n++] = ch;
        else
            *too_long = 1;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    rc = 1;
out:
    buf[n] = '\0';
    if (blind) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old_tio);
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            sigaction(sigs[i], &old_sa[i], NULL);
        if (got_signal) {
            fputc('\n', stderr);
            raise(got_signal);
        }
    }
    return rc;
}

/* Asks for one number until it is typed the same way twice. 0, or -1 when
 * input ends. */
static int ask_number(const char *name, const char *id, const char *note, uint64_t *out)
{
    char a[ANSWER_MAX + 1], b[ANSWER_MAX + 1];
    int too_long = 0, rc = -1;

    for (;;) {
        uint64_t va = 0, vb = 0;
        st_print_name(stderr, name, 0);
        fprintf(stderr, " [%s]%s: ", id, note);
        fflush(stderr);
        if (read_line(0, a, &too_long) != 1)
            goto out;
        if (a[0] == '\0' && !too_long) {
            fprintf(stderr, "  An empty answer is not zero: type 0 if there were none.\n");
            continue;
        }
        if (too_long || pr_parse_count(a, strlen(a), &va) != 0) {
            fprintf(stderr, "  Not a count: digits only, no sign, spaces, separators, decimals "
                            "or leading zeros, at most 1000000000.\n");
            continue;
        }
        fprintf(stderr, "  again: ");
        fflush(stderr);
        if (read_line(0, b, &too_long) != 1)
            goto out;
        if (too_long || pr_parse_count(b, strlen(b), &vb) != 0 || va != vb) {
            fprintf(stderr, "  The two entries differ; type the number again.\n");
            continue;
        }
        fprintf(stderr, "  = %llu\n", (unsigned long long)va);
        *out = va;
        break;
    }
    rc = 0;
out:
    return rc;
}

int st_entry_counts(const cm_protocol *p, const cm_contest *c, uint64_t *counts, uint64_t *votes)
{
    int rc = ST_REFUSED;

    fprintf(stderr, "Type each number from the paper protocol, then type it again to check. "
                    "Nothing is shown while you type.\n");
    for (size_t i = 0; i < p->n_lines; i++) {
        counts[i] = 0;
        if (p->lines[i].n_parts > 0)
            continue; /* derived lines are computed, never typed */
        if (ask_number(p->lines[i].name, p->lines[i].id, "", &counts[i]) != 0)
            goto ended;
    }
    for (size_t i = 0; i < c->n_candidates; i++) {
        votes[i] = 0;
        if (ask_number(c->candidates[i].name, c->candidates[i].id,
                       c->candidates[i].withdrawn ? " (withdrawn)" : "", &votes[i]) != 0)
            goto ended;
    }
    rc = ST_OK;
    goto out;
ended:
    fputc('\n', stderr);
    st_err("counts", "input ended before every number was typed; nothing signed");
out:
    return rc;
}

int st_entry_time(int64_t now, const char *why, int64_t *out)
{
    char now_txt[PR_TIME_LEN + 1], a[ANSWER_MAX + 1];
    int too_long = 0, rc = ST_REFUSED;

    if (pr_format_time(now, now_txt) != 0)
        memcpy(now_txt, "(out of range)", 15);
    fprintf(stderr, "The station clock says %s, %s.\n", now_txt, why);
    for (;;) {
        int64_t t = 0;
        fprintf(stderr, "Type yes to sign with this time, or the correct UTC time as "
                        "YYYY-MM-DDTHH:MM:SSZ: ");
        fflush(stderr);
        if (read_line(1, a, &too_long) != 1) {
            fputc('\n', stderr);
            st_err("clock", "no answer; nothing signed");
            goto out;
        }
        if (!too_long && strcmp(a, "yes") == 0 && pr_format_time(now, now_txt) == 0) {
            *out = now;
            break;
        }
        if (!too_long && pr_parse_time(a, strlen(a), &t) == 0) {
            *out = t;
            break;
        }
        fprintf(stderr, "  Not understood.\n");
    }
    rc = ST_OK;
out:
    return rc;
}
