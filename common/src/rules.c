/*
 * rules.c: the checks of a return against the definition (DESIGN 7 groups
 * 4-7, group 9's definition-only holds, group 10's flags), the protocol's
 * control rules, and percentages (DESIGN 8). Integer arithmetic only.
 */
#include "common/rules.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/fileio.h"

#define NONE ((size_t)-1)

/* ---- small helpers ----------------------------------------------------- */

static void add(cm_findings *f, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a reason code; the detail describes the first code only. Codes
 * past CM_CODES_MAX are dropped: the first ones already decide. */
static void add(cm_findings *f, const char *code, const char *fmt, ...)
{
    va_list ap;

    if (f->n == 0) {
        va_start(ap, fmt);
        (void)vsnprintf(f->detail, sizeof f->detail, fmt, ap);
        va_end(ap);
    }
    if (f->n < CM_CODES_MAX) {
        (void)snprintf(f->codes[f->n], sizeof f->codes[f->n], "%s", code);
        f->n++;
    }
}

/* Saturating: the inputs are counts and basis points (<= 10^9 each), so a
 * product never saturates for any value the parsers accept; saturation
 * only keeps hand-made out-of-range values from wrapping. */
static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;

    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;

    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Escaped copy of a string from the return, for a detail sentence. */
static const char *esc(const char *s, char buf[72])
{
    return cm_escape(s, buf, 72);
}

/* The return's counts in protocol order; 0, or -1 when the return's lines
 * are not the protocol's (then nothing about counts can be checked). */
static int counts_of(const cm_protocol *p, const pr_return *r, uint64_t *counts)
{
    if (r->n_counts != p->n_lines)
        return -1;
    for (size_t i = 0; i < p->n_lines; i++) {
        if (strcmp(r->counts[i].id, p->lines[i].id) != 0)
            return -1;
        counts[i] = r->counts[i].value;
    }
    return 0;
}

/* Sum of the candidates' votes; 0, or -1 on overflow. */
static int votes_of(const pr_return *r, uint64_t *sum)
{
    uint64_t s = 0;

    for (size_t i = 0; i < r->n_votes && i < PR_CANDIDATES_MAX; i++)
        if (__builtin_add_overflow(s, r->votes[i].value, &s))
            return -1;
    *sum = s;
    return 0;
}

/* ---- control rules ------------------------------------------------------ */

static int eval_side(const cm_term *t, size_t n, const uint64_t *counts, uint64_t votes,
                     int64_t *out)
{
    int64_t sum = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        int64_t term;

        if (t[i].line == CM_TERM_CONST)
            v = 1;
        else if (t[i].line == CM_TERM_VOTES)
            v = votes;
        else
            v = counts[t[i].line];
        if (v > (uint64_t)INT64_MAX || __builtin_mul_overflow(t[i].coef, (int64_t)v, &term) ||
            __builtin_add_overflow(sum, term, &sum))
            return -1;
    }
    *out = sum;
    return 0;
}

/* Copies src[0..n) into out as one line: the rule grammar allows tabs,
 * CR and LF between tokens, and a detail is printed as one line, so every
 * run of white space becomes one space (fuzz/fuzz_rule.c found this). */
static void one_line(const char *src, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    int ws = 0;

    if (outlen == 0)
        return;
    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        char c = src[i];

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ws = 1;
            continue;
        }
        if (ws && o > 0 && o + 2 < outlen)
            out[o++] = ' ';
        ws = 0;
        out[o++] = c;
    }
    out[o] = '\0';
}

/* Copies the text of one side of the rule source, trimmed, on one line. */
static void side_text(const char *check, int right, char *out, size_t outlen)
{
    const char *rel, *a, *b;

    if (check == NULL) {
        (void)snprintf(out, outlen, "%s", right ? "rhs" : "lhs");
        return;
    }
    /* none of < > = ! can occur in a name or count, so the first one
     * starts the relation */
    rel = check + strcspn(check, "<>=!");
    if (right) {
        a = rel;
        while (*a == '<' || *a == '>' || *a == '=' || *a == '!')
            a++;
        b = a + strlen(a);
    } else {
        a = check;
        b = rel;
    }
    one_line(a, (size_t)(b - a), out, outlen);
}

int cm_rule_holds(const cm_rule *rule, const uint64_t *counts, uint64_t votes, char *detail,
                  size_t detail_len)
{
    int64_t l, r;
    int ok;
    char lt[112], rt[112];

    if (eval_side(rule->lhs, rule->n_lhs, counts, votes, &l) < 0 ||
        eval_side(rule->rhs, rule->n_rhs, counts, votes, &r) < 0) {
        if (detail != NULL && detail_len > 0) {
            const char *src = rule->check ? rule->check : rule->id;

            one_line(src, strlen(src), lt, sizeof lt);
            (void)snprintf(detail, detail_len, "arithmetic overflow in %s", lt);
        }
        return 0;
    }
    switch (rule->rel) {
    case CM_REL_EQ:
        ok = l == r;
        break;
    case CM_REL_LE:
        ok = l <= r;
        break;
    case CM_REL_GE:
        ok = l >= r;
        break;
    case CM_REL_LT:
        ok = l < r;
        break;
    case CM_REL_GT:
        ok = l > r;
        break;
    case CM_REL_NE:
        ok = l != r;
        break;
    default:
        ok = 0;
        break;
    }
    if (detail != NULL && detail_len > 0) {
        side_text(rule->check, 0, lt, sizeof lt);
        side_text(rule->check, 1, rt, sizeof rt);
        (void)snprintf(detail, detail_len, "%s = %" PRId64 ", %s = %" PRId64, lt, l, rt, r);
    }
    return ok;
}

/* Adds the code of every rule of that severity that fails, in protocol
 * order. */
static void run_rules(const cm_protocol *p, cm_severity sev, const uint64_t *counts,
                      uint64_t votes, cm_findings *f)
{
    char detail[sizeof f->detail];

    for (size_t i = 0; i < p->n_rules; i++) {
        const cm_rule *rule = &p->rules[i];

        if (rule->severity != sev)
            continue;
        if (!cm_rule_holds(rule, counts, votes, detail, sizeof detail))
            add(f, rule->id, "%s", detail);
    }
}

int cm_compute_derived(const cm_protocol *p, uint64_t *counts)
{
    for (size_t i = 0; i < p->n_lines; i++) {
        const cm_line *l = &p->lines[i];
        uint64_t sum = 0;

        if (l->n_parts == 0)
            continue;
        /* parts are never derived themselves, so the order does not matter */
        for (size_t k = 0; k < l->n_parts; k++)
            if (__builtin_add_overflow(sum, counts[l->parts[k]], &sum) || sum > PR_COUNT_MAX)
                return -1;
        counts[i] = sum;
    }
    return 0;
}

/* ---- groups 4-7 --------------------------------------------------------- */

static void check_group4(const cm_definition *def, const pr_return *r, const cm_check_ctx *ctx,
                         cm_findings *f)
{
    char a[72], b[72], hex[PR_HASH_HEX + 1];

    if (strcmp(r->election, def->id) != 0)
        add(f, "wrong-election", "election \"%s\", but the definition is for \"%s\"",
            esc(r->election, a), esc(def->id, b));
    if (memcmp(r->definition, def->hash, PR_HASH_BYTES) != 0) {
        pr_hex_encode(hex, r->definition, PR_HASH_BYTES);
        add(f, "wrong-definition", "signed against definition %.16s, this one is %.16s", hex,
            def->hash_hex);
    }
    if (ctx != NULL && ctx->mode != NULL && strcmp(pr_mode_name(r->mode), ctx->mode) != 0)
        add(f, "wrong-mode", "a %s return, but the mode here is %s", pr_mode_name(r->mode),
            esc(ctx->mode, a));
}

static void check_lines(const cm_protocol *p, const pr_return *r, cm_findings *f)
{
    char a[72];
    size_t i;

    if (r->n_counts > PR_LINES_MAX) {
        add(f, "line-mismatch", "%zu count lines, protocol \"%s\" has %zu", r->n_counts, p->id,
            p->n_lines);
        return;
    }
    for (i = 0; i < r->n_counts && i < p->n_lines; i++)
        if (strcmp(r->counts[i].id, p->lines[i].id) != 0)
            break;
    if (i < r->n_counts && i < p->n_lines)
        add(f, "line-mismatch", "count line %zu is \"%s\", protocol \"%s\" has \"%s\" there",
            i + 1, esc(r->counts[i].id, a), p->id, p->lines[i].id);
    else if (r->n_counts < p->n_lines)
        add(f, "line-mismatch", "no count line \"%s\" (protocol \"%s\" has %zu lines)",
            p->lines[i].id, p->id, p->n_lines);
    else if (r->n_counts > p->n_lines)
        add(f, "line-mismatch", "extra count line \"%s\" (protocol \"%s\" has %zu lines)",
            esc(r->counts[i].id, a), p->id, p->n_lines);
}

static void check_candidates(const cm_contest *c, const pr_return *r, cm_findings *f)
{
    char a[72];
    size_t i;

    if (r->n_votes > PR_CANDIDATES_MAX) {
        add(f, "candidate-mismatch", "%zu votes lines, contest \"%s\" has %zu candidates",
            r->n_votes, c->id, c->n_candidates);
        return;
    }
    for (i = 0; i < r->n_votes && i < c->n_candidates; i++)
        if (strcmp(r->votes[i].id, c->candidates[i].id) != 0)
            break;
    if (i < r->n_votes && i < c->n_candidates)
        add(f, "candidate-mismatch", "votes line %zu is \"%s\", contest \"%s\" has \"%s\" there",
            i + 1, esc(r->votes[i].id, a), c->id, c->candidates[i].id);
    else if (r->n_votes < c->n_candidates)
        add(f, "candidate-mismatch", "no votes line for \"%s\" (contest \"%s\" has %zu candidates)",
            c->candidates[i].id, c->id, c->n_candidates);
    else if (r->n_votes > c->n_candidates)
        add(f, "candidate-mismatch", "extra votes line \"%s\" (contest \"%s\" has %zu candidates)",
            esc(r->votes[i].id, a), c->id, c->n_candidates);
}

static void check_derived(const cm_protocol *p, const uint64_t *counts, cm_findings *f)
{
    for (size_t i = 0; i < p->n_lines; i++) {
        const cm_line *l = &p->lines[i];
        uint64_t sum = 0;

        if (l->n_parts == 0)
            continue;
        for (size_t k = 0; k < l->n_parts; k++)
            sum = sat_add(sum, counts[l->parts[k]]);
        if (sum != counts[i]) {
            add(f, "derived-mismatch", "line \"%s\" is %" PRIu64 ", the sum of its parts is %" PRIu64,
                l->id, counts[i], sum);
            return; /* one code for the group; the detail names the first */
        }
    }
}

static void check_group5(const cm_definition *def, const pr_return *r, const cm_check_ctx *ctx,
                         cm_findings *f)
{
    size_t pi = cm_find_precinct(def, r->precinct), ci = cm_find_contest(def, r->contest);
    uint64_t counts[PR_LINES_MAX];
    char a[72], b[72];

    if (pi == NONE)
        add(f, "unknown-precinct", "precinct \"%s\" is not in the definition", esc(r->precinct, a));
    if (pi != NONE && ctx != NULL && ctx->scope != NULL && ctx->scope[0] != '\0') {
        size_t top = cm_find_area(def, ctx->scope), ar = def->precincts[pi].area, steps = 0;

        while (ar != NONE && ar != top && steps++ <= def->n_areas)
            ar = def->areas[ar].parent;
        if (top == NONE || ar != top)
            add(f, "out-of-scope", "precinct \"%s\" is outside this commission's area \"%s\"",
                esc(r->precinct, a), esc(ctx->scope, b));
    }
    if (ctx != NULL && ctx->key_precincts != NULL && ctx->n_key_precincts > 0) {
        size_t k;

        for (k = 0; k < ctx->n_key_precincts; k++)
            if (ctx->key_precincts[k] != NULL && strcmp(ctx->key_precincts[k], r->precinct) == 0)
                break;
        if (k == ctx->n_key_precincts)
            add(f, "key-precinct-mismatch", "the signing key is not enrolled for precinct \"%s\"",
                esc(r->precinct, a));
    }
    if (ci == NONE) {
        add(f, "unknown-contest", "contest \"%s\" is not in the definition", esc(r->contest, a));
        return; /* the remaining checks need the contest */
    }
    if (pi != NONE && !cm_precinct_in_contest(def, pi, ci))
        add(f, "precinct-not-in-contest", "precinct \"%s\" does not take part in contest \"%s\"",
            esc(r->precinct, a), esc(r->contest, b));
    {
        const cm_contest *c = &def->contests[ci];
        const cm_protocol *p = &def->protocols[c->protocol];

        check_lines(p, r, f);
        check_candidates(c, r, f);
        /* derived lines can only be checked on the protocol's own lines */
        if (counts_of(p, r, counts) == 0)
            check_derived(p, counts, f);
    }
}

static void check_group7(const cm_contest *c, const cm_protocol *p, const pr_return *r,
                         cm_findings *f)
{
    uint64_t counts[PR_LINES_MAX], votes = 0, aa, inv, cast, lhs, rhs;
    int votes_ok;
    char aa_text[48] = "";

    if (counts_of(p, r, counts) < 0)
        return; /* group 5 saw to this */
    votes_ok = votes_of(r, &votes) == 0;
    aa = p->against_all != NONE ? counts[p->against_all] : 0;
    inv = counts[p->invalid];
    cast = counts[p->ballots_cast];
    if (p->against_all != NONE)
        (void)snprintf(aa_text, sizeof aa_text, " + against-all %" PRIu64, aa);
    if (c->votes_allowed <= 1) {
        int ok = votes_ok && !__builtin_add_overflow(votes, aa, &lhs) &&
                 !__builtin_add_overflow(lhs, inv, &lhs) && lhs == cast;

        if (!ok)
            add(f, "sum-mismatch", "votes %" PRIu64 "%s + invalid %" PRIu64 " = %" PRIu64
                                   ", ballots-cast %" PRIu64,
                votes, aa_text, inv, sat_add(sat_add(votes, aa), inv), cast);
    } else {
        /* votes + against-all <= (ballots-cast - invalid) x votes_allowed;
         * with more invalid than cast ballots no vote can be valid */
        int ok = votes_ok && inv <= cast && !__builtin_add_overflow(votes, aa, &lhs) &&
                 !__builtin_mul_overflow(cast - inv, c->votes_allowed, &rhs) && lhs <= rhs;

        char sum_text[48] = "";

        if (p->against_all != NONE)
            (void)snprintf(sum_text, sizeof sum_text, " = %" PRIu64, sat_add(votes, aa));
        if (!ok)
            add(f, "sum-mismatch",
                "votes %" PRIu64 "%s%s, more than (ballots-cast %" PRIu64 " - invalid %" PRIu64
                ") x votes_allowed %" PRIu64,
                votes, aa_text, sum_text, cast, inv, c->votes_allowed);
    }
    run_rules(p, CM_SEV_REJECT, counts, votes_ok ? votes : UINT64_MAX, f);
}

unsigned cm_check_return(const cm_definition *def, const pr_return *r, const cm_check_ctx *ctx,
                         cm_findings *f)
{
    size_t pi, ci;
    const cm_contest *c;
    char t1[PR_TIME_LEN + 1], t2[PR_TIME_LEN + 1];

    memset(f, 0, sizeof *f);
    check_group4(def, r, ctx, f);
    if (f->n > 0)
        return f->group = 4;
    check_group5(def, r, ctx, f);
    if (f->n > 0)
        return f->group = 5;
    pi = cm_find_precinct(def, r->precinct);
    ci = cm_find_contest(def, r->contest);
    c = &def->contests[ci];
    if (r->mode == PR_MODE_LIVE && r->signed_at < def->precincts[pi].close) {
        if (pr_format_time(r->signed_at, t1) < 0)
            (void)snprintf(t1, sizeof t1, "%" PRId64, r->signed_at);
        if (pr_format_time(def->precincts[pi].close, t2) < 0)
            (void)snprintf(t2, sizeof t2, "%" PRId64, def->precincts[pi].close);
        add(f, "signed-before-close", "signed %s, before the close of polls at %s", t1, t2);
        return f->group = 6;
    }
    check_group7(c, &def->protocols[c->protocol], r, f);
    if (f->n > 0)
        return f->group = 7;
    return 0;
}

/* ---- groups 9 and 10 ---------------------------------------------------- */

/* Prints basis points as a percentage with two decimals. */
static void bp_text(uint64_t bp, char out[32])
{
    (void)snprintf(out, 32, "%" PRIu64 ".%02" PRIu64, bp / 100, bp % 100);
}

static void review_holds(const cm_definition *def, const cm_precinct *pc, const cm_protocol *p,
                         const uint64_t *counts, uint64_t votes, cm_findings *holds)
{
    const cm_tolerances *t = &def->tol;
    uint64_t reg = counts[p->registered];

    if (pc->has_roll) {
        uint64_t roll = pc->roll;
        uint64_t up = sat_mul(t->registered_up_bp, roll) / 10000;
        uint64_t down = sat_mul(t->registered_down_bp, roll) / 10000;

        if (up < t->registered_up_abs)
            up = t->registered_up_abs;
        if (down < t->registered_down_abs)
            down = t->registered_down_abs;
        if (reg > roll && reg - roll > up)
            add(holds, "registered-drift",
                "registered %" PRIu64 " is %" PRIu64 " above the roll's %" PRIu64
                " (allowed %" PRIu64 ")",
                reg, reg - roll, roll, up);
        else if (roll > reg && roll - reg > down)
            add(holds, "registered-drift",
                "registered %" PRIu64 " is %" PRIu64 " below the roll's %" PRIu64
                " (allowed %" PRIu64 ")",
                reg, roll - reg, roll, down);
    }
    run_rules(p, CM_SEV_HOLD, counts, votes, holds);
}

static void review_flags(const cm_definition *def, const cm_precinct *pc, const cm_contest *c,
                         const cm_protocol *p, const pr_return *r, const uint64_t *counts,
                         uint64_t votes, cm_findings *flags)
{
    const cm_tolerances *t = &def->tol;
    uint64_t reg = counts[p->registered], cast = counts[p->ballots_cast];
    uint64_t inv = counts[p->invalid];
    uint64_t aa = p->against_all != NONE ? counts[p->against_all] : 0;
    uint64_t valid = sat_add(votes, aa);
    size_t choices = c->n_candidates + (c->against_all ? 1u : 0u);
    char pc1[32], pc2[32];

    if (sat_mul(cast, 10000) >= sat_mul(t->turnout_high_bp, reg)) {
        if (cm_percent(cast, reg, pc1, sizeof pc1) < 0)
            (void)snprintf(pc1, sizeof pc1, "n/a");
        bp_text(t->turnout_high_bp, pc2);
        add(flags, "turnout-high",
            "ballots-cast %" PRIu64 " of registered %" PRIu64 " is %s %%, at least %s %%", cast,
            reg, pc1, pc2);
    }
    if (cast == 0)
        add(flags, "zero-turnout", "no ballots cast");
    if (choices >= 2 && valid >= 1) {
        const char *who = NULL;
        char a[72];

        for (size_t i = 0; i < r->n_votes && i < PR_CANDIDATES_MAX; i++)
            if (r->votes[i].value == valid) {
                who = r->votes[i].id;
                break;
            }
        if (who != NULL)
            add(flags, "unanimous", "candidate \"%s\" has all %" PRIu64 " valid votes",
                esc(who, a), valid);
        else if (c->against_all && aa == valid)
            add(flags, "unanimous", "against-all has all %" PRIu64 " valid votes", valid);
    }
    if (sat_mul(inv, 10000) > sat_mul(t->invalid_high_bp, cast)) {
        if (cm_percent(inv, cast, pc1, sizeof pc1) < 0)
            (void)snprintf(pc1, sizeof pc1, "n/a");
        bp_text(t->invalid_high_bp, pc2);
        add(flags, "invalid-high",
            "invalid %" PRIu64 " of ballots-cast %" PRIu64 " is %s %%, above %s %%", inv, cast,
            pc1, pc2);
    }
    if (pc->has_roll && cast > pc->roll)
        add(flags, "cast-exceeds-roll",
            "ballots-cast %" PRIu64 " exceeds the roll's %" PRIu64 " registered voters", cast,
            pc->roll);
    run_rules(p, CM_SEV_FLAG, counts, votes, flags);
}

void cm_review_return(const cm_definition *def, const pr_return *r, cm_findings *holds,
                      cm_findings *flags)
{
    size_t pi = cm_find_precinct(def, r->precinct), ci = cm_find_contest(def, r->contest);
    uint64_t counts[PR_LINES_MAX], votes;
    const cm_contest *c;
    const cm_protocol *p;

    memset(holds, 0, sizeof *holds);
    memset(flags, 0, sizeof *flags);
    /* only defined for returns that passed cm_check_return */
    if (pi == NONE || ci == NONE)
        return;
    c = &def->contests[ci];
    p = &def->protocols[c->protocol];
    if (counts_of(p, r, counts) < 0)
        return;
    if (votes_of(r, &votes) < 0)
        votes = UINT64_MAX; /* rules then fail on overflow, as for any overflow */
    review_holds(def, &def->precincts[pi], p, counts, votes, holds);
    review_flags(def, &def->precincts[pi], c, p, r, counts, votes, flags);
    if (holds->n > 0)
        holds->group = 9;
    if (flags->n > 0)
        flags->group = 10;
}

/* ---- percentages -------------------------------------------------------- */

int cm_percent(uint64_t n, uint64_t d, char *out, size_t outlen)
{
    uint64_t num, den, p;

    if (d == 0) {
        (void)snprintf(out, outlen, "n/a");
        return 0;
    }
    /* hundredths = floor((20000 n + d) / (2 d)): rounds half away from zero */
    if (__builtin_mul_overflow(n, (uint64_t)20000, &num) || __builtin_add_overflow(num, d, &num) ||
        __builtin_mul_overflow(d, (uint64_t)2, &den)) {
        (void)snprintf(out, outlen, "n/a");
        return -1;
    }
    p = num / den;
    (void)snprintf(out, outlen, "%" PRIu64 ".%02" PRIu64, p / 100, p % 100);
    return 0;
}
