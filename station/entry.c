/*
 * entry.c: typing the counts at the station's terminal, every number twice
 * and blind, checked as soon as its lines are known, confirmed on a last
 * screen before anything is signed (docs/STATION.md "Typing the counts").
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/rules.h"
#include "station.h"

/* Longest answer kept; longer ones are refused as a whole. */
#define ANSWER_MAX 128
/* Widest name column: with the number, value and share columns a row
 * stays within 80 terminal columns. */
#define NAME_COL_MAX 44u
/* Text is wrapped to this many columns. */
#define WRAP_COLS 78u

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

int st_stdin_is_tty(void)
{
    return isatty(STDIN_FILENO);
}

/* Prints a prompt; called by read_line once echo is off. */
typedef void (*prompt_fn)(const void *arg);

/* Reads one line from standard input into buf (NUL-terminated, without the
 * LF or a CR before it), with echo off when echo == 0; show(arg), if not
 * NULL, prints the prompt after echo is off, so keys typed the moment it
 * appears are not echoed either. Returns 1 for a line, 0 at end of input,
 * -1 on a read error. *too_long is set when the line did not fit. A signal
 * during a blind read restores the terminal first, then is delivered as
 * usual, so the terminal never stays without echo. */
static int read_line(int echo, prompt_fn show, const void *arg, char buf[ANSWER_MAX + 1],
                     int *too_long)
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
    if (show != NULL)
        show(arg);
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

/* ---- the screen ------------------------------------------------------ */

/* What one entry session works on. Items are the typed lines in protocol
 * order, then the candidates: item k is numbered k + 1 on the screen. */
typedef struct entry {
    const cm_definition *def;
    const cm_contest *c;
    const cm_protocol *p;
    const cm_precinct *pc;
    uint64_t *counts, *votes;       /* the caller's arrays */
    uint8_t known_line[PR_LINES_MAX];
    uint8_t known_cand[PR_CANDIDATES_MAX];
    size_t typed[PR_LINES_MAX];     /* line index of each typed line */
    size_t n_typed, n_items;
    size_t namew;                   /* name column width */
    int colour;
} entry;

static const char *paint(const entry *en, const char *code)
{
    return en->colour ? code : "";
}
#define RED "\033[1;31m"
#define GREEN "\033[32m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define OFF "\033[0m"

/* Prints name in at most width columns, cut with an ellipsis when wider;
 * padded to exactly width when pad (display widths, utf8proc). */
static void cell_pad(const char *name, size_t width, int pad)
{
    size_t n = strlen(name), i = 0, w = 0;

    if (st_display_width(name) <= width) {
        st_print_name(stderr, name, pad ? width : 0);
    } else {
        while (i < n) {
            size_t at = i;
            char one[8] = "";
            long cp = pr_utf8_next(name, n, &i);
            if (cp < 0x20 || cp == 0x7f) /* never in a valid name; stop */
                break;
            memcpy(one, name + at, i - at);
            size_t cw = st_display_width(one);
            if (w + cw + 1 > width) /* room for the ellipsis */
                break;
            fwrite(name + at, 1, i - at, stderr);
            w += cw;
        }
        fputs("\xe2\x80\xa6", stderr); /* U+2026 */
        for (w++; pad && w < width; w++)
            fputc(' ', stderr);
    }
}

static void cell(const char *name, size_t width)
{
    cell_pad(name, width, 1);
}

/* Prints two spaces, then text right-aligned in width columns (a column
 * heading in any language). */
static void rcell(const char *text, size_t width)
{
    fputs("  ", stderr);
    for (size_t w = st_display_width(text); w < width; w++)
        fputc(' ', stderr);
    st_print_name(stderr, text, 0);
}

/* Prints text wrapped at WRAP_COLS, continuation lines indented. */
static void wrapped(const char *text, size_t indent)
{
    size_t col = indent, i = 0, n = strlen(text);

    for (size_t k = 0; k < indent; k++)
        fputc(' ', stderr);
    while (i < n) {
        size_t j = i;
        while (j < n && text[j] != ' ')
            j++;
        char word[512];
        size_t len = j - i < sizeof word - 1 ? j - i : sizeof word - 1;
        memcpy(word, text + i, len);
        word[len] = '\0';
        size_t ww = st_display_width(word);
        if (col > indent && col + 1 + ww > WRAP_COLS) {
            fputc('\n', stderr);
            for (col = 0; col < indent + 2; col++)
                fputc(' ', stderr);
        } else if (col > indent) {
            fputc(' ', stderr);
            col++;
        }
        st_print_name(stderr, word, 0);
        col += ww;
        i = j < n ? j + 1 : j;
    }
    fputc('\n', stderr);
}

/* Item k's name as shown, a withdrawn candidate marked, into buf. */
static const char *item_name(const entry *en, size_t k, char *buf, size_t len)
{
    const cm_candidate *c = k < en->n_typed ? NULL : &en->c->candidates[k - en->n_typed];
    snprintf(buf, len, "%s%s%s", c ? c->name : en->p->lines[en->typed[k]].name,
             c && c->withdrawn ? " " : "", c && c->withdrawn ? _("(withdrawn)") : "");
    return buf;
}

static uint64_t *item_slot(entry *en, size_t k)
{
    return k < en->n_typed ? &en->counts[en->typed[k]] : &en->votes[k - en->n_typed];
}

static void set_known(entry *en, size_t k)
{
    if (k < en->n_typed)
        en->known_line[en->typed[k]] = 1;
    else
        en->known_cand[k - en->n_typed] = 1;
}

/* The prompt of item k: "  3  Invalid ballots ........  : " (label: a
 * word after the name, such as "again"). */
typedef struct prompt_arg {
    const struct entry *en;
    size_t k;
    const char *label;
} prompt_arg;

static void prompt(const entry *en, size_t k, const char *label)
{
    char name[PR_NAME_MAX + 64];
    fprintf(stderr, "%3zu  ", k + 1);
    cell(item_name(en, k, name, sizeof name), en->namew);
    fprintf(stderr, "  %s: ", label);
    fflush(stderr);
}

static void show_prompt(const void *arg)
{
    const prompt_arg *pa = arg;
    prompt(pa->en, pa->k, pa->label);
}

/* Asks item k once, blind, until the answer is a count. 0, or -1 when
 * input ends. */
static int ask_once(const entry *en, size_t k, const char *label, uint64_t *v)
{
    char a[ANSWER_MAX + 1];
    int too_long = 0, rc = -1;

    prompt_arg pa = {en, k, label};

    for (;;) {
        if (read_line(0, show_prompt, &pa, a, &too_long) != 1)
            goto out;
        if (a[0] == '\0' && !too_long) {
            fprintf(stderr, "     %s\n", _("An empty answer is not zero: type 0 if there were none."));
            continue;
        }
        if (too_long || pr_parse_count(a, strlen(a), v) != 0) {
            fprintf(stderr, "     %s\n",
                    _("Not a count: digits only, no sign, spaces, separators, decimals or "
                      "leading zeros, at most 1000000000."));
            continue;
        }
        break;
    }
    rc = 0;
out:
    return rc;
}

/* Asks item k twice at once until both entries agree, then shows it.
 * 0, or -1 when input ends. */
static int ask_twice(entry *en, size_t k)
{
    uint64_t a = 0, b = 0;
    int rc = -1;

    for (;;) {
        if (ask_once(en, k, "", &a) != 0 || ask_once(en, k, _("again"), &b) != 0)
            goto out;
        if (a == b)
            break;
        fprintf(stderr, "     %s%s: %" PRIu64 " / %" PRIu64 "%s\n", paint(en, RED),
                _("The two entries differ"), a, b, paint(en, OFF));
    }
    *item_slot(en, k) = a;
    set_known(en, k);
    fprintf(stderr, "     = %s%" PRIu64 "%s\n", paint(en, BOLD), a, paint(en, OFF));
    rc = 0;
out:
    return rc;
}

/* 1 when line li's value is known (a derived line: all its parts). */
static int line_known(const entry *en, size_t li)
{
    const cm_line *l = &en->p->lines[li];
    int known = l->n_parts == 0 ? en->known_line[li] : 1;
    for (size_t k = 0; k < l->n_parts; k++)
        known = known && en->known_line[l->parts[k]];
    return known;
}

static int votes_known(const entry *en)
{
    int known = 1;
    for (size_t i = 0; i < en->c->n_candidates; i++)
        known = known && en->known_cand[i];
    return known;
}

/* Sum of votes: at most 256 candidates of at most 10^9 each, so no
 * overflow. */
static uint64_t votes_sum(const entry *en)
{
    uint64_t s = 0;
    for (size_t i = 0; i < en->c->n_candidates; i++)
        s += en->votes[i];
    return s;
}

/* Fills derived lines whose parts are known; returns how many changed. */
static size_t derive(entry *en, int show)
{
    size_t changed = 0;

    for (size_t i = 0; i < en->p->n_lines; i++) {
        const cm_line *l = &en->p->lines[i];
        uint64_t s = 0;
        char parts[256] = "";
        size_t used = 0;
        if (l->n_parts == 0 || !line_known(en, i))
            continue;
        for (size_t k = 0; k < l->n_parts; k++) {
            s += en->counts[l->parts[k]];
            int m = snprintf(parts + used, sizeof parts - used, "%s%" PRIu64, k ? " + " : "",
                             en->counts[l->parts[k]]);
            if (m > 0 && (size_t)m < sizeof parts - used)
                used += (size_t)m;
        }
        if (en->known_line[i] && en->counts[i] == s)
            continue;
        en->counts[i] = s;
        en->known_line[i] = 1;
        changed++;
        if (show) {
            fprintf(stderr, "  =  ");
            cell(l->name, en->namew);
            fprintf(stderr, "  %s%" PRIu64 "%s  (%s)\n", paint(en, BOLD), s, paint(en, OFF),
                    parts);
        }
    }
    return changed;
}

/* 1 when every line a rule names is known; *uses_item set when it names
 * item k (k == SIZE_MAX: any). */
static int rule_ready(const entry *en, const cm_rule *r, size_t k, int *uses_item)
{
    int ready = 1;
    *uses_item = k == SIZE_MAX;
    for (int side = 0; side < 2; side++) {
        const cm_term *t = side ? r->rhs : r->lhs;
        size_t n = side ? r->n_rhs : r->n_lhs;
        for (size_t i = 0; i < n; i++) {
            if (t[i].line == CM_TERM_CONST)
                continue;
            if (t[i].line == CM_TERM_VOTES) {
                ready = ready && votes_known(en);
                *uses_item = *uses_item || (k != SIZE_MAX && k >= en->n_typed);
                continue;
            }
            ready = ready && line_known(en, t[i].line);
            if (k != SIZE_MAX && k < en->n_typed) {
                const cm_line *l = &en->p->lines[t[i].line];
                *uses_item = *uses_item || t[i].line == en->typed[k];
                for (size_t j = 0; j < l->n_parts; j++)
                    *uses_item = *uses_item || l->parts[j] == en->typed[k];
            }
        }
    }
    return ready;
}

static const char *rel_text(cm_relation r)
{
    static const char *const t[] = {"=", "<=", ">=", "<", ">", "!="};
    return (size_t)r < sizeof t / sizeof t[0] ? t[r] : "?";
}

/* One side of a rule with the numbers put in: "100 + 2 x 30 - 5". */
static void side_numbers(const entry *en, const cm_term *t, size_t n, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < outlen; i++) {
        int64_t coef = t[i].coef;
        uint64_t v = t[i].line == CM_TERM_CONST   ? 1
                     : t[i].line == CM_TERM_VOTES ? votes_sum(en)
                                                  : en->counts[t[i].line];
        uint64_t mag = coef < 0 ? (uint64_t)(-(coef + 1)) + 1 : (uint64_t)coef;
        const char *sign = i == 0 ? (coef < 0 ? "-" : "") : (coef < 0 ? " - " : " + ");
        int m;
        if (t[i].line == CM_TERM_CONST)
            m = snprintf(out + used, outlen - used, "%s%" PRIu64, sign, mag);
        else if (mag == 1)
            m = snprintf(out + used, outlen - used, "%s%" PRIu64, sign, v);
        else
            m = snprintf(out + used, outlen - used, "%s%" PRIu64 " x %" PRIu64, sign, mag, v);
        if (m < 0 || (size_t)m >= outlen - used)
            break;
        used += (size_t)m;
    }
}

/* Prints a failing rule: its id, what it means for signing, the check as
 * written and with the numbers. */
static void show_rule_failure(const entry *en, const cm_rule *r)
{
    char l[256], rr[256], detail[256], line[1024];
    const char *what = r->severity == CM_SEV_REJECT ? _("the station will not sign this")
                       : r->severity == CM_SEV_HOLD ? _("central will hold the return")
                                                    : _("central will flag the return");

    (void)cm_rule_holds(r, en->counts, votes_sum(en), detail, sizeof detail);
    side_numbers(en, r->lhs, r->n_lhs, l, sizeof l);
    side_numbers(en, r->rhs, r->n_rhs, rr, sizeof rr);
    fprintf(stderr, "  %s!  %s%s (%s)\n", paint(en, r->severity == CM_SEV_REJECT ? RED : BOLD),
            r->id, paint(en, OFF), what);
    wrapped(r->check ? r->check : r->id, 5);
    snprintf(line, sizeof line, "%s %s %s %s (%s)", l, rel_text(r->rel), rr, _("does not hold"),
             detail);
    wrapped(line, 5);
}

/* DESIGN 7 sum-mismatch, which no definition states as a rule: votes +
 * against-all + invalid = ballots-cast (with votes_allowed 1). -1 while
 * its lines are not known, 1 when it holds, 0 when it fails (shown). */
static int sum_check(const entry *en, int show)
{
    const cm_protocol *p = en->p;
    int has_aa = p->against_all != (size_t)-1, ok = -1;
    uint64_t aa = has_aa ? en->counts[p->against_all] : 0;
    uint64_t v = votes_sum(en), inv = en->counts[p->invalid], cast = en->counts[p->ballots_cast];
    uint64_t allowed = en->c->votes_allowed > 1 ? en->c->votes_allowed : 1;
    char line[512], aa_text[64] = "";

    if (!votes_known(en) || !line_known(en, p->invalid) || !line_known(en, p->ballots_cast) ||
        (has_aa && !line_known(en, p->against_all)))
        goto out;
    if (has_aa)
        snprintf(aa_text, sizeof aa_text, " + against-all %" PRIu64, aa);
    /* Counts are at most 10^9 and votes_allowed too: no overflow. */
    if (allowed == 1) {
        ok = v + aa + inv == cast;
        snprintf(line, sizeof line,
                 "votes %" PRIu64 "%s + invalid %" PRIu64 " = %" PRIu64 ", ballots-cast %" PRIu64,
                 v, aa_text, inv, v + aa + inv, cast);
    } else {
        ok = inv <= cast && v + aa <= (cast - inv) * allowed;
        snprintf(line, sizeof line,
                 "votes %" PRIu64 "%s = %" PRIu64 ", (ballots-cast %" PRIu64 " - invalid %" PRIu64
                 ") x %" PRIu64,
                 v, aa_text, v + aa, cast, inv, allowed);
    }
    if (!ok && show) {
        fprintf(stderr, "  %s!  sum-mismatch%s (%s)\n", paint(en, RED), paint(en, OFF),
                _("the station will not sign this"));
        wrapped(allowed == 1 ? "votes + against-all + invalid = ballots-cast"
                             : "votes + against-all <= (ballots-cast - invalid) x votes_allowed",
                5);
        wrapped(line, 5);
    }
out:
    return ok;
}

/* Checks what became known with item k (SIZE_MAX: everything) and shows
 * each failure. Returns how many checks that stop signing fail. */
static size_t check_rules(const entry *en, size_t k)
{
    size_t refusals = 0;
    int uses = 0;

    for (size_t i = 0; i < en->p->n_rules; i++) {
        const cm_rule *r = &en->p->rules[i];
        if (!rule_ready(en, r, k, &uses) || !uses)
            continue;
        if (!cm_rule_holds(r, en->counts, votes_sum(en), NULL, 0)) {
            show_rule_failure(en, r);
            refusals += r->severity == CM_SEV_REJECT;
        }
    }
    /* The sum check names the votes, invalid, against-all, ballots-cast. */
    int sum_uses = k == SIZE_MAX || k >= en->n_typed;
    for (size_t j = 0; k != SIZE_MAX && k < en->n_typed && j < 3; j++) {
        size_t li = j == 0 ? en->p->invalid : j == 1 ? en->p->ballots_cast : en->p->against_all;
        if (li == (size_t)-1)
            continue;
        const cm_line *l = &en->p->lines[li];
        sum_uses = sum_uses || en->typed[k] == li;
        for (size_t q = 0; q < l->n_parts; q++)
            sum_uses = sum_uses || l->parts[q] == en->typed[k];
    }
    if (sum_uses && sum_check(en, 1) == 0)
        refusals++;
    return refusals;
}

/* Terminal rows, 24 when unknown. */
static size_t screen_rows(void)
{
    struct winsize ws;
    size_t rows = 24;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 10)
        rows = ws.ws_row;
    return rows;
}

/* Counts a printed row against the screen and pauses when it is full.
 * 0, or -1 when input ends at the pause. */
static int paged(size_t *shown, size_t rows)
{
    char a[ANSWER_MAX + 1];
    int too_long = 0, rc = 0;

    if (++*shown >= rows - 2) {
        fprintf(stderr, "     %s", _("-- more: press Enter --"));
        fflush(stderr);
        if (read_line(1, NULL, NULL, a, &too_long) != 1)
            rc = -1;
        *shown = 0;
    }
    return rc;
}

/* The last screen: every line, derived ones marked, the votes with their
 * shares of ballots cast, turnout, and every failing check. Returns the
 * number of checks that stop signing, or SIZE_MAX when input ended. */
static size_t final_screen(entry *en)
{
    const cm_protocol *p = en->p;
    uint64_t cast = en->counts[p->ballots_cast], reg = en->counts[p->registered];
    size_t rows = screen_rows(), shown = 2, refusals = 0;
    char pct[32];

    fprintf(stderr, "\n%s%s%s\n", paint(en, BOLD), _("The protocol as typed:"), paint(en, OFF));
    fprintf(stderr, "%3s  ", "#");
    cell(_("line / candidate"), en->namew);
    rcell(_("count"), 10);
    rcell("%", 8);
    fputc('\n', stderr);
    for (size_t i = 0, k = 0; i < p->n_lines; i++) {
        int derived = p->lines[i].n_parts > 0;
        pct[0] = '\0';
        if (i == p->invalid || i == p->against_all)
            (void)cm_percent(en->counts[i], cast, pct, sizeof pct);
        else if (i == p->ballots_cast)
            (void)cm_percent(cast, reg, pct, sizeof pct);
        if (derived)
            fprintf(stderr, "%3s  ", "=");
        else
            fprintf(stderr, "%3zu  ", ++k);
        cell(p->lines[i].name, en->namew);
        fprintf(stderr, "  %10" PRIu64 "  %8s\n", en->counts[i], pct);
        if (paged(&shown, rows) != 0)
            goto ended;
    }
    for (size_t i = 0; i < en->c->n_candidates; i++) {
        (void)cm_percent(en->votes[i], cast, pct, sizeof pct);
        char name[PR_NAME_MAX + 64];
        fprintf(stderr, "%3zu  ", en->n_typed + i + 1);
        cell(item_name(en, en->n_typed + i, name, sizeof name), en->namew);
        fprintf(stderr, "  %10" PRIu64 "  %8s\n", en->votes[i], pct);
        if (paged(&shown, rows) != 0)
            goto ended;
    }
    (void)cm_percent(cast, reg, pct, sizeof pct);
    fprintf(stderr, "     %s: %s %%  (%s)\n", _("Turnout"), pct,
            _("shares are of ballots cast"));
    refusals = check_rules(en, SIZE_MAX);
    if (refusals == 0)
        fprintf(stderr, "     %s%s%s\n", paint(en, GREEN), _("Every check of the protocol holds."),
                paint(en, OFF));
    goto out;
ended:
    refusals = SIZE_MAX;
out:
    return refusals;
}

/* Parses an item number typed by the official: 1..n, else SIZE_MAX. */
static size_t item_number(const char *s, size_t n)
{
    uint64_t v = 0;
    size_t k = SIZE_MAX;
    if (pr_parse_count(s, strlen(s), &v) == 0 && v >= 1 && v <= n)
        k = (size_t)v - 1;
    return k;
}

/* Whole protocol twice: returns 0, or -1 when input ends. */
static int two_passes(entry *en)
{
    uint64_t *first = NULL;
    size_t bad = 0;
    int rc = -1;

    first = calloc(en->n_items, sizeof *first);
    if (first == NULL) {
        st_err("counts", "out of memory");
        goto out;
    }
    fprintf(stderr, "\n%s%s%s\n", paint(en, BOLD), _("First pass: type each number from the paper protocol."), paint(en, OFF));
    for (size_t k = 0; k < en->n_items; k++)
        if (ask_once(en, k, "", &first[k]) != 0)
            goto out;
    fprintf(stderr, "\n%s%s%s\n", paint(en, BOLD),
            _("Second pass: type every number again, from the paper."), paint(en, OFF));
    for (size_t k = 0; k < en->n_items; k++) {
        if (ask_once(en, k, "", item_slot(en, k)) != 0)
            goto out;
        bad += *item_slot(en, k) != first[k];
    }
    if (bad > 0) {
        fprintf(stderr, "\n%s%s%s\n", paint(en, RED),
                bad == 1 ? _("One number differs between the two passes:")
                         : _("Some numbers differ between the two passes:"),
                paint(en, OFF));
        fprintf(stderr, "%3s  ", "#");
        cell(_("line / candidate"), en->namew);
        rcell(_("first"), 10);
        rcell(_("second"), 10);
        fputc('\n', stderr);
        for (size_t k = 0; k < en->n_items; k++) {
            if (*item_slot(en, k) == first[k])
                continue;
            char name[PR_NAME_MAX + 64];
            fprintf(stderr, "%3zu  ", k + 1);
            cell(item_name(en, k, name, sizeof name), en->namew);
            fprintf(stderr, "  %10" PRIu64 "  %10" PRIu64 "\n", first[k], *item_slot(en, k));
        }
        fprintf(stderr, "%s\n", _("Type each of them twice more, from the paper."));
    }
    for (size_t k = 0; k < en->n_items; k++) {
        if (*item_slot(en, k) == first[k]) {
            set_known(en, k);
            continue;
        }
        if (ask_twice(en, k) != 0)
            goto out;
    }
    (void)derive(en, 0);
    rc = 0;
out:
    free(first);
    return rc;
}

/* Each number twice at once; derived lines and checks as soon as their
 * lines are known. 0, or -1 when input ends. */
static int per_line(entry *en)
{
    int rc = -1;

    fprintf(stderr, "\n%s%s%s\n", paint(en, BOLD),
            _("Type each number from the paper protocol, then type it again."), paint(en, OFF));
    for (size_t k = 0; k < en->n_items; k++) {
        if (ask_twice(en, k) != 0)
            goto out;
        (void)derive(en, 1);
        (void)check_rules(en, k);
    }
    rc = 0;
out:
    return rc;
}

int st_entry_counts(const cm_definition *def, size_t contest, size_t precinct, int by_line,
                    uint64_t *counts, uint64_t *votes)
{
    entry *en = NULL;
    char a[ANSWER_MAX + 1];
    int rc = ST_REFUSED, too_long = 0;

    en = calloc(1, sizeof *en);
    if (en == NULL) {
        st_err("counts", "out of memory");
        goto out;
    }
    en->def = def;
    en->c = &def->contests[contest];
    en->p = &def->protocols[en->c->protocol];
    en->pc = &def->precincts[precinct];
    en->counts = counts;
    en->votes = votes;
    en->colour = st_colour(stderr) && isatty(STDOUT_FILENO);
    for (size_t i = 0; i < en->p->n_lines; i++) {
        counts[i] = 0;
        if (en->p->lines[i].n_parts == 0)
            en->typed[en->n_typed++] = i;
    }
    for (size_t i = 0; i < en->c->n_candidates; i++)
        votes[i] = 0;
    en->n_items = en->n_typed + en->c->n_candidates;
    for (size_t i = 0; i < en->p->n_lines; i++) {
        size_t w = st_display_width(en->p->lines[i].name);
        en->namew = w > en->namew ? w : en->namew;
    }
    for (size_t i = 0; i < en->c->n_candidates; i++) {
        size_t w = st_display_width(en->c->candidates[i].name) +
                   (en->c->candidates[i].withdrawn ? 12 : 0);
        en->namew = w > en->namew ? w : en->namew;
    }
    en->namew = en->namew > NAME_COL_MAX ? NAME_COL_MAX : en->namew < 16 ? 16 : en->namew;

    fprintf(stderr, "%s", paint(en, BOLD));
    cell_pad(en->c->name, 78, 0);
    fprintf(stderr, "%s\n", paint(en, OFF));
    size_t idlen = strlen(en->pc->id);
    cell_pad(en->pc->name, idlen + 40 < 78 ? 78 - idlen - 24 : 16, 0);
    fprintf(stderr, " (%s), %s %.8s\n", en->pc->id, _("definition"), def->hash_hex);
    fprintf(stderr, "%s\n", _("Nothing is shown while you type. Ctrl-D stops without signing."));

    if ((by_line ? per_line(en) : two_passes(en)) != 0)
        goto ended;
    for (;;) {
        size_t refusals = final_screen(en), k;
        if (refusals == SIZE_MAX)
            goto ended;
        if (refusals > 0)
            fprintf(stderr, "%s ", _("Type the # of a number to type it again, or q to stop "
                                      "without signing:"));
        else
            fprintf(stderr, "%s ", _("Type yes to sign, the # of a number to type it again, or "
                                     "q to stop:"));
        fflush(stderr);
        if (read_line(1, NULL, NULL, a, &too_long) != 1)
            goto ended;
        /* TRANSLATORS: the word the official types to sign; "yes" and "q"
         * are always understood too. */
        if (!too_long && refusals == 0 && (strcmp(a, "yes") == 0 || strcmp(a, _("yes")) == 0))
            break;
        /* TRANSLATORS: the key that stops without signing (on the same key
         * as q in the usual keyboard layout). */
        if (!too_long && (strcmp(a, "q") == 0 || strcmp(a, _("q")) == 0)) {
            st_err("counts", "%s", _("stopped by the official; nothing signed"));
            goto out;
        }
        if (too_long || (k = item_number(a, en->n_items)) == SIZE_MAX) {
            fprintf(stderr, "     %s\n", _("Not understood."));
            continue;
        }
        if (ask_twice(en, k) != 0)
            goto ended;
        (void)derive(en, 1);
    }
    rc = ST_OK;
    goto out;
ended:
    fputc('\n', stderr);
    st_err("counts", "%s", _("input ended before the protocol was confirmed; nothing signed"));
out:
    free(en);
    return rc;
}

int st_entry_time(int64_t now, const char *why, int64_t *out)
{
    char now_txt[PR_TIME_LEN + 1], a[ANSWER_MAX + 1];
    int too_long = 0, rc = ST_REFUSED;

    if (pr_format_time(now, now_txt) != 0)
        memcpy(now_txt, "(out of range)", 15);
    fprintf(stderr, _("The station clock says %s, %s.\n"), now_txt, why);
    for (;;) {
        int64_t t = 0;
        fprintf(stderr, "%s", _("Type yes to sign with this time, or the correct UTC time as "
                                "YYYY-MM-DDTHH:MM:SSZ: "));
        fflush(stderr);
        if (read_line(1, NULL, NULL, a, &too_long) != 1) {
            fputc('\n', stderr);
            st_err("clock", "%s", _("no answer; nothing signed"));
            goto out;
        }
        if (!too_long && (strcmp(a, "yes") == 0 || strcmp(a, _("yes")) == 0) &&
            pr_format_time(now, now_txt) == 0) {
            *out = now;
            break;
        }
        if (!too_long && pr_parse_time(a, strlen(a), &t) == 0) {
            *out = t;
            break;
        }
        fprintf(stderr, "  %s\n", _("Not understood."));
    }
    rc = ST_OK;
out:
    return rc;
}
