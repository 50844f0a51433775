/*
 * progress.c: the progress line (progress.h).
 */
#include "progress.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void ct_progress_begin(ct_progress *p, FILE *f, int force, const char *what, const char *unit,
                       uint64_t total)
{
    memset(p, 0, sizeof *p);
    p->f = f;
    p->tty = f != NULL && isatty(fileno(f));
    p->on = f != NULL && (force || p->tty);
    snprintf(p->what, sizeof p->what, "%s", what);
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->total = total;
    p->t0 = p->last = now();
}

void ct_progress_input(ct_progress *p, FILE *f)
{
    struct stat sb;
    off_t at;

    if (p == NULL || !p->on || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) ||
        (at = ftello(f)) <= 0)
        return;
    p->at = (uint64_t)at;
    p->at_total = (uint64_t)sb.st_size;
}

/* The counts, " (accepted 9973, held 15, ...)", into out; "" when none. */
static void counts(const ct_progress *p, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < p->n_kinds && used < len; i++) {
        int k = snprintf(out + used, len - used, "%s%s %llu", i ? ", " : " (", p->kinds[i],
                         (unsigned long long)p->count[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    if (out[0] != '\0' && used < len)
        snprintf(out + used, len - used, ")");
}

static void draw(ct_progress *p, double t)
{
    char c[512], of[48] = "", left[64] = "";
    double secs = t - p->t0, rate = secs > 0 ? (double)p->done / secs : 0, rest = -1;

    if (p->total > 0 && rate > 0 && p->done <= p->total)
        rest = (double)(p->total - p->done) / rate;
    else if (p->at_total > 0 && p->at > 0 && p->at <= p->at_total)
        rest = secs * (double)(p->at_total - p->at) / (double)p->at;
    if (rest >= 0) {
        unsigned long r = (unsigned long)(rest + 0.5);
        snprintf(left, sizeof left, ", %lu:%02lu:%02lu left", r / 3600, r / 60 % 60, r % 60);
    }
    if (p->total > 0)
        snprintf(of, sizeof of, " of %llu", (unsigned long long)p->total);
    counts(p, c, sizeof c);
    fprintf(p->f, "%s%s: %llu%s %s, %.0f/s%s%s%s", p->tty ? "\r" : "", p->what,
            (unsigned long long)p->done, of, p->unit, rate, left, c, p->tty ? "\033[K" : "\n");
    fflush(p->f);
    p->drawn = p->tty;
    p->last = t;
}

void ct_progress_add(ct_progress *p, uint64_t n, const char *kind)
{
    double t;
    size_t i;

    if (p == NULL || !p->on || n == 0)
        return;
    p->done += n;
    if (kind != NULL) {
        for (i = 0; i < p->n_kinds && strcmp(p->kinds[i], kind) != 0; i++)
            ;
        if (i == p->n_kinds && i < CT_PROGRESS_KINDS)
            snprintf(p->kinds[p->n_kinds++], sizeof p->kinds[0], "%s", kind);
        if (i < p->n_kinds)
            p->count[i] += n;
    }
    /* The clock is read every 64 items only. */
    p->unchecked += n;
    if (p->unchecked < 64)
        return;
    p->unchecked = 0;
    t = now();
    if (t - p->last >= (p->tty ? 0.25 : 2.0))
        draw(p, t);
}

void ct_progress_item(ct_progress *p, const char *kind)
{
    ct_progress_add(p, 1, kind);
}

void ct_progress_end(ct_progress *p)
{
    char c[512];
    double secs;

    if (p == NULL || !p->on)
        return;
    secs = now() - p->t0;
    counts(p, c, sizeof c);
    fprintf(p->f, "%s%s: %llu %s in %.1f s, %.0f/s%s\n", p->drawn ? "\r\033[K" : "", p->what,
            (unsigned long long)p->done, p->unit, secs, secs > 0 ? (double)p->done / secs : 0.0, c);
    fflush(p->f);
    p->on = 0;
}
