/*
 * record.c: `station record` and `station amend`, election night (DESIGN 3
 * step 3). Both end in the same path: check against the pinned definition,
 * apply the rules central will apply, sign, write with O_EXCL, journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/passphrase.h"
#include "common/rules.h"
#include "counts.h"
#include "proto/keys.h"
#include "station.h"

static const char record_help[] =
    "usage: station record --definition DEF --key KEY --contest C [--precinct P]\n"
    "                      [--counts FILE] [--mode test] [--signed-at TIME]\n"
    "                      [--passphrase-fd N] [--evidence SCAN]... --out RETURN\n"
    "\n"
    "Signs this station's counts for contest C as a new return (revision 1).\n"
    "DEF.sig must verify against the commission key pinned in KEY's .pin file,\n"
    "and the precinct must be one pinned there. The counts come from FILE, or\n"
    "are typed at the terminal, each number twice without being shown: the\n"
    "whole protocol, then the whole protocol again; numbers that differ are\n"
    "shown side by side and typed again. Derived lines and the protocol's\n"
    "checks are worked out as soon as their lines are known, and a last screen\n"
    "with counts, shares and turnout asks before signing. The return is checked\n"
    "with the rules central applies and refused if central would reject it.\n"
    "\n"
    "  --precinct P       needed when the key is pinned to several precincts\n"
    "  --counts FILE      lines `count <line id> <n>` and `votes <candidate id> <n>`,\n"
    "                     every typed line and candidate once; derived lines are\n"
    "                     computed, never given; `#` comments; LF or CRLF\n"
    "  --per-line         typed counts: each number twice at once, instead of\n"
    "                     the whole protocol a second time\n"
    "  --mode test        sign a test-mode return (default: live)\n"
    "  --signed-at TIME   sign with this time (YYYY-MM-DDTHH:MM:SSZ) instead of\n"
    "                     the clock; needed off a terminal when the clock is\n"
    "                     before the close of polls or more than 72 h after it\n"
    "  --passphrase-fd N  read KEY's passphrase from descriptor N\n"
    "  --evidence SCAN    a scanned page of the paper protocol (JPEG, PNG, PDF: any\n"
    "                     file of 1 byte to 16 MiB); the return names it by its\n"
    "                     BLAKE2b-256 hash. Once per scan, at most 8, each scan once\n"
    "  --out RETURN       the return file to create (never overwritten)\n"
    "\n"
    "A journal beside KEY (KEY without .key, plus .journal; .test-journal for\n"
    "test mode) lists what was signed; a second revision 1 with other counts is\n"
    "refused: use `station amend`.\n";

static const char amend_help[] =
    "usage: station amend RETURN --reason TEXT --definition DEF --key KEY\n"
    "                     [--counts FILE] [--signed-at TIME] [--passphrase-fd N]\n"
    "                     [--evidence SCAN]... [--no-evidence] --out RETURN2\n"
    "\n"
    "Signs a correction of RETURN: the next revision, naming RETURN by its\n"
    "BLAKE2b-256 hash, with the reason TEXT (1-200 bytes of plain text). The\n"
    "counts come from FILE, or are RETURN's own when --counts is not given\n"
    "(a re-signature with a reason). Same checks, clock and journal as\n"
    "`station record`; the mode, precinct and contest are RETURN's.\n"
    "The correction names RETURN's evidence (scans) again, unless --evidence\n"
    "SCAN (once per scan, at most 8) names other scans instead or --no-evidence\n"
    "names none.\n";

/* What record and amend hand to the common signing path. */
typedef struct sign_job {
    const char *def_path, *key_path, *out_path, *counts_path, *signed_at;
    int passfd;
    int per_line;                   /* typed entry: each number twice at once */
    pr_mode mode;
    const char *precinct;           /* NULL: the only pinned one (record) */
    const char *contest;
    /* amend only (pred == NULL for record) */
    const pr_return *pred;
    const uint8_t *pred_bytes;
    const uint8_t *pred_hash;
    const char *reason;
    /* --evidence: scans to name (record and amend); for amend without
     * --evidence, keep_evidence names the predecessor's again. */
    const char *const *scans;
    size_t n_scans;
    int keep_evidence;
} sign_job;

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, PR_HASH_BYTES);
}

/* Hashes every scan (BLAKE2b-256 of all its bytes) into out, ascending.
 * ST_OK; ST_USAGE for more than PR_EVIDENCE_MAX scans; ST_IO when a scan
 * cannot be read; ST_REFUSED for an empty scan, one over
 * PR_EVIDENCE_SCAN_MAX, or two scans with the same bytes. Errors printed. */
static int hash_scans(const char *const *paths, size_t n, uint8_t out[][PR_HASH_BYTES])
{
    int rc = ST_USAGE;
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d = {0, ""};
    char e[ST_NAME_BUF], e2[ST_NAME_BUF];

    if (n > PR_EVIDENCE_MAX) {
        st_err("--evidence", "%zu scans; a return names at most %u", n, PR_EVIDENCE_MAX);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int r = cm_read_file(paths[i], PR_EVIDENCE_SCAN_MAX, 1, &buf, &len, NULL, &d);
        rc = ST_IO;
        if (r == -3) {
            st_err(st_esc(paths[i], e), "not a regular file (--evidence takes a scan)");
            goto out;
        }
        if (r == -1) {
            st_err(st_esc(paths[i], e), "%s", d.msg[0] ? d.msg : strerror(errno));
            goto out;
        }
        rc = ST_REFUSED;
        if (r == -2) {
            st_err(st_esc(paths[i], e), "larger than %u MiB: central would not store this scan",
                   PR_EVIDENCE_SCAN_MAX / (1024u * 1024u));
            goto out;
        }
        if (r != 0 || len == 0) {
            st_err(st_esc(paths[i], e), "empty: not a scan");
            goto out;
        }
        pr_hash(out[i], buf, len);
        free(buf);
        buf = NULL;
        for (size_t j = 0; j < i; j++) {
            if (memcmp(out[j], out[i], PR_HASH_BYTES) == 0) {
                st_err(st_esc(paths[i], e), "the same bytes as %s: name each scan once",
                       st_esc(paths[j], e2));
                goto out;
            }
        }
    }
    if (n > 1)
        qsort(out, n, PR_HASH_BYTES, cmp_hash);
    rc = ST_OK;
out:
    free(buf);
    return rc;
}

/* Copies the predecessor's numbers into protocol and candidate order. The
 * definition may have been amended since: a line or candidate that does not
 * map one to one is refused rather than guessed. */
static int counts_from_predecessor(const pr_return *pred, const cm_protocol *p,
                                   const cm_contest *c, uint64_t *counts, uint64_t *votes)
{
    int rc = ST_REFUSED;

    for (size_t i = 0; i < p->n_lines; i++) {
        size_t k = 0;
        counts[i] = 0;
        if (p->lines[i].n_parts > 0)
            continue;
        while (k < pred->n_counts && strcmp(pred->counts[k].id, p->lines[i].id) != 0)
            k++;
        if (k == pred->n_counts) {
            st_err("amend", "the return has no count %s; give the counts with --counts",
                   p->lines[i].id);
            goto out;
        }
        counts[i] = pred->counts[k].value;
    }
    if (pred->n_counts != p->n_lines) {
        st_err("amend", "the return's count lines differ from protocol %s; give the counts "
                        "with --counts", p->id);
        goto out;
    }
    for (size_t i = 0; i < c->n_candidates; i++) {
        if (i >= pred->n_votes || strcmp(pred->votes[i].id, c->candidates[i].id) != 0) {
            st_err("amend", "the return's candidates differ from contest %s; give the counts "
                            "with --counts", c->id);
            goto out;
        }
        votes[i] = pred->votes[i].value;
    }
    if (pred->n_votes != c->n_candidates) {
        st_err("amend", "the return's candidates differ from contest %s; give the counts with "
                        "--counts", c->id);
        goto out;
    }
    rc = ST_OK;
out:
    return rc;
}

/* Settles the signing time: --signed-at, else the clock when it is within
 * [close, close + 72 h], else the official decides at a terminal. */
static int settle_time(const char *signed_at, int64_t close, int64_t *out)
{
    int rc = ST_REFUSED;
    int64_t now = st_now();
    char now_txt[PR_TIME_LEN + 1], close_txt[PR_TIME_LEN + 1], why[128];

    if (pr_format_time(now, now_txt) != 0)
        memcpy(now_txt, "(out of range)", 15);
    if (pr_format_time(close, close_txt) != 0)
        memcpy(close_txt, "(out of range)", 15);
    fprintf(stderr, "station clock: %s\n", now_txt);
    if (signed_at != NULL) {
        if (pr_parse_time(signed_at, strlen(signed_at), out) != 0) {
            st_err("--signed-at", "not a time YYYY-MM-DDTHH:MM:SSZ (UTC, years 2000-2099)");
            rc = ST_USAGE;
            goto out;
        }
        rc = ST_OK;
        goto out;
    }
    if (now >= close && now - close <= ST_CLOCK_WINDOW_S) {
        *out = now;
        rc = ST_OK;
        goto out;
    }
    if (now < close)
        snprintf(why, sizeof why, "before the close of polls at %s", close_txt);
    else
        snprintf(why, sizeof why, "more than 72 hours after the close of polls at %s",
                 close_txt);
    if (!st_stdin_is_tty()) {
        st_err("clock", "%s is %s; if that is right, give the time with --signed-at", now_txt,
               why);
        goto out;
    }
    rc = st_entry_time(now, why, out);
out:
    return rc;
}

/* Prints every failing code of the deciding group: the official must see
 * all of them to fix the counts in one go. */
static void print_findings(const cm_findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        if (i == 0 && f->detail[0])
            fprintf(stderr, "station: %s: %s: %s\n", _("refused"), f->codes[i], f->detail);
        else
            fprintf(stderr, "station: %s: %s\n", _("refused"), f->codes[i]);
    }
}

/* what: "hold" or "flag". */
static void print_notes(const char *what, const cm_findings *f)
{
    const char *text = strcmp(what, "hold") == 0 ? _("central will hold this return")
                                                 : _("central will flag this return");
    for (size_t i = 0; i < f->n; i++)
        fprintf(stderr, "station: %s: %s: %s%s%s\n", _("note"), text, f->codes[i],
                i == 0 && f->detail[0] ? ": " : "", i == 0 ? f->detail : "");
}

static int sign_return(const sign_job *job)
{
    int rc = ST_IO;
    char *pin_path = NULL, *journal_path = NULL;
    uint8_t *pinbytes = NULL, *countbytes = NULL;
    size_t pinlen = 0, countlen = 0;
    st_pin *pin = NULL;
    cm_definition *def = NULL;
    pr_return *r = NULL, *check = NULL;
    uint64_t *counts = NULL, *votes = NULL;
    uint8_t *sk = NULL;
    uint8_t pk[PR_PK_BYTES], kid[PR_KEYID_BYTES];
    uint8_t content[PR_HASH_BYTES], file_hash[PR_HASH_BYTES];
    uint8_t evidence[PR_EVIDENCE_MAX][PR_HASH_BYTES];
    size_t n_evidence = 0;
    const char *key_precincts[PR_ENROL_PRECINCTS_MAX];
    st_journal journal = {-1, NULL, 0};
    pr_buf signed_file;
    pr_diag d = {0, ""};
    cm_findings f, holds, flags;
    char why[192], e[ST_NAME_BUF], hex[PR_KEYID_HEX + 1];
    int64_t signed_at = 0;

    pr_buf_init(&signed_file, PR_FILE_MAX);
    pin_path = st_key_sibling(job->key_path, ".pin");
    journal_path =
        st_key_sibling(job->key_path, job->mode == PR_MODE_TEST ? ".test-journal" : ".journal");
    pin = calloc(1, sizeof *pin);
    r = calloc(1, sizeof *r);
    check = calloc(1, sizeof *check);
    counts = calloc(PR_LINES_MAX, sizeof *counts);
    votes = calloc(PR_CANDIDATES_MAX, sizeof *votes);
    if (!pin_path || !journal_path || !pin || !r || !check || !counts || !votes) {
        st_err("station", "out of memory");
        goto out;
    }

    /* Cheap refusals first, before any file is parsed or a passphrase
     * asked: a bad option, no way to get the counts, an output that
     * exists, a key file that cannot be read (exit 3, not a refusal). */
    if (job->signed_at && pr_parse_time(job->signed_at, strlen(job->signed_at), &signed_at) != 0) {
        st_err("--signed-at", "not a time YYYY-MM-DDTHH:MM:SSZ (UTC, years 2000-2099)");
        rc = ST_USAGE;
        goto out;
    }
    if (!job->counts_path && !job->pred && !st_stdin_is_tty()) {
        st_err("record", "%s", _("no --counts FILE and standard input is not a terminal to type them"));
        rc = ST_USAGE;
        goto out;
    }
    {
        struct stat st;
        if (lstat(job->out_path, &st) == 0 || errno != ENOENT) {
            st_err(st_esc(job->out_path, e), "exists; not overwritten");
            goto out;
        }
        int fd = open(job->key_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            st_err(st_esc(job->key_path, e), "%s", strerror(errno));
            goto out;
        }
        if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
            st_warn(st_esc(job->key_path, e), "readable by others (mode %03o); chmod 600 it",
                    (unsigned)(st.st_mode & 0777));
        close(fd);
    }
    /* The scans: read and hashed now, so a bad one stops before anything
     * is typed or signed. */
    if (job->keep_evidence && job->pred) {
        n_evidence = job->pred->n_evidence;
        memcpy(evidence, job->pred->evidence, n_evidence * PR_HASH_BYTES);
    } else {
        if ((rc = hash_scans(job->scans, job->n_scans, evidence)) != ST_OK)
            goto out;
        n_evidence = job->n_scans;
        rc = ST_IO;
    }

    /* What keygen pinned decides which definition and precincts count. */
    if ((rc = st_read(pin_path, PR_FILE_MAX, &pinbytes, &pinlen)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    if (st_pin_parse(pinbytes, pinlen, pin, &d) != 0) {
        st_err(st_esc(pin_path, e), "line %u: %s", d.line, d.msg);
        goto out;
    }
    if ((rc = st_load_signed_definition(job->def_path, pin->commission_pk, &def)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    if (strcmp(def->id, pin->election) != 0) {
        st_err(st_esc(job->def_path, e), "election %s, but this key is pinned to election %s",
               def->id, pin->election);
        goto out;
    }
    if (job->pred && strcmp(job->pred->election, pin->election) != 0) {
        st_err("amend", "the return is for election %s, this key for %s", job->pred->election,
               pin->election);
        goto out;
    }

    const char *precinct = job->precinct;
    if (precinct == NULL) {
        if (pin->n_precincts != 1) {
            st_err("record", "this key serves %zu precincts: choose one with --precinct",
                   pin->n_precincts);
            rc = ST_USAGE;
            goto out;
        }
        precinct = pin->precincts[0];
    }
    if (!st_pin_has_precinct(pin, precinct)) {
        st_err(st_esc(precinct, e), "this key is not pinned to that precinct (see %s)",
               pin_path);
        goto out;
    }
    size_t pi = cm_find_precinct(def, precinct);
    size_t ci = cm_find_contest(def, job->contest);
    if (pi == (size_t)-1) {
        st_err(st_esc(job->def_path, e), "no precinct %s", precinct);
        goto out;
    }
    if (ci == (size_t)-1) {
        char e2[ST_NAME_BUF];
        st_err(st_esc(job->def_path, e), "no contest %s", st_esc(job->contest, e2));
        goto out;
    }
    if (!cm_precinct_in_contest(def, pi, ci)) {
        st_err(st_esc(job->def_path, e), "precinct %s does not take part in contest %s",
               precinct, job->contest);
        goto out;
    }
    const cm_contest *c = &def->contests[ci];
    const cm_protocol *p = &def->protocols[c->protocol];
    if (p->n_lines > PR_LINES_MAX || c->n_candidates > PR_CANDIDATES_MAX) {
        st_err(st_esc(job->def_path, e), "contest %s has more lines or candidates than a "
                                         "return can hold", c->id);
        goto out;
    }

    /* The numbers. */
    if (job->counts_path) {
        if ((rc = st_read(job->counts_path, ST_COUNTS_MAX, &countbytes, &countlen)) != ST_OK)
            goto out;
        rc = ST_REFUSED;
        if (st_counts_parse(countbytes, countlen, p, c, counts, votes, &d) != 0) {
            if (d.line)
                st_err(st_esc(job->counts_path, e), "line %u: %s", d.line, d.msg);
            else
                st_err(st_esc(job->counts_path, e), "%s", d.msg);
            goto out;
        }
    } else if (job->pred) {
        if ((rc = counts_from_predecessor(job->pred, p, c, counts, votes)) != ST_OK)
            goto out;
    } else {
        if ((rc = st_entry_counts(def, ci, pi, job->per_line, counts, votes)) != ST_OK)
            goto out;
    }
    rc = ST_REFUSED;
    if (cm_compute_derived(p, counts) != 0) {
        st_err("counts", "a derived line would exceed 1000000000");
        goto out;
    }

    if ((rc = settle_time(job->signed_at, def->precincts[pi].close, &signed_at)) != ST_OK)
        goto out;
    rc = ST_REFUSED;

    /* The return as it will be signed. */
    memcpy(r->election, def->id, sizeof r->election);
    memcpy(r->definition, def->hash, PR_HASH_BYTES);
    r->mode = job->mode;
    memcpy(r->contest, c->id, sizeof r->contest);
    memcpy(r->precinct, def->precincts[pi].id, sizeof r->precinct);
    r->revision = 1;
    if (job->pred) {
        if (job->pred->revision >= PR_COUNT_MAX) {
            st_err("amend", "the return's revision cannot be raised any further");
            goto out;
        }
        r->revision = job->pred->revision + 1;
        memcpy(r->supersedes, job->pred_hash, PR_HASH_BYTES);
        memcpy(r->reason, job->reason, strlen(job->reason) + 1);
    }
    r->n_counts = p->n_lines;
    for (size_t i = 0; i < p->n_lines; i++) {
        memcpy(r->counts[i].id, p->lines[i].id, sizeof r->counts[i].id);
        r->counts[i].value = counts[i];
    }
    r->n_votes = c->n_candidates;
    for (size_t i = 0; i < c->n_candidates; i++) {
        memcpy(r->votes[i].id, c->candidates[i].id, sizeof r->votes[i].id);
        r->votes[i].value = votes[i];
    }
    r->n_evidence = n_evidence;
    memcpy(r->evidence, evidence, n_evidence * PR_HASH_BYTES);
    r->signed_at = signed_at;
    memcpy(r->key_id, pin->key_id, PR_KEYID_BYTES);

    /* The station refuses to sign what central would reject (DESIGN 7). */
    for (size_t i = 0; i < pin->n_precincts; i++)
        key_precincts[i] = pin->precincts[i];
    cm_check_ctx ctx = {pr_mode_name(job->mode), key_precincts, pin->n_precincts, NULL};
    memset(&f, 0, sizeof f);
    if (cm_check_return(def, r, &ctx, &f) != 0) {
        print_findings(&f);
        st_err(st_esc(job->out_path, e), "%s", _("nothing signed: central would reject this return"));
        goto out;
    }
    memset(&holds, 0, sizeof holds);
    memset(&flags, 0, sizeof flags);
    cm_review_return(def, r, &holds, &flags);
    print_notes("hold", &holds);
    print_notes("flag", &flags);

    if (pr_return_content_hash(r, content) != 0) {
        st_err("station", "cannot encode the return");
        goto out;
    }
    if (st_journal_open(journal_path, &journal, &d) != 0) {
        st_err(st_esc(journal_path, e), "%s", d.msg);
        rc = ST_IO;
        goto out;
    }
    unsigned jline = 0;
    int found = st_journal_find(&journal, r->precinct, r->contest, r->revision, content, &jline,
                                &d);
    if (found < 0) {
        st_err(st_esc(journal_path, e), "line %u: %s", d.line, d.msg);
        goto out;
    }
    if (found == 2) {
        if (r->revision == 1)
            st_err(st_esc(journal_path, e),
                   _("precinct %s, contest %s: revision 1 was already signed with other content "
                     "(line %u); use station amend"),
                   r->precinct, r->contest, jline);
        else
            st_err(st_esc(journal_path, e),
                   "precinct %s, contest %s: revision %llu was already signed with other "
                   "content (line %u); amend the newest return instead",
                   r->precinct, r->contest, (unsigned long long)r->revision, jline);
        goto out;
    }
    if (found == 1)
        fprintf(stderr, "station: note: the same content was signed before; signing it again\n");

    sk = sodium_malloc(PR_SK_BYTES);
    if (sk == NULL) {
        st_err("station", "out of memory");
        goto out;
    }
    if (cm_load_secret_key(job->key_path, PR_KEY_STATION, job->passfd, sk, why, sizeof why) !=
        0) {
        st_err(st_esc(job->key_path, e), "%s", why);
        goto out;
    }
    memcpy(pk, sk + crypto_sign_SEEDBYTES, PR_PK_BYTES);
    pr_key_id(kid, pk);
    if (sodium_memcmp(kid, pin->key_id, PR_KEYID_BYTES) != 0) {
        st_key_id_hex(kid, hex);
        st_err(st_esc(job->key_path, e), "key %s is not the key pinned in %s", hex, pin_path);
        goto out;
    }
    if (job->pred) {
        if (memcmp(job->pred->key_id, kid, PR_KEYID_BYTES) == 0) {
            if (pr_return_verify(job->pred_bytes, job->pred, pk) != 0) {
                st_err("amend", "the return's signature does not verify with this key");
                goto out;
            }
        } else {
            st_key_id_hex(job->pred->key_id, hex);
            fprintf(stderr,
                    "station: note: the return was signed by key %s, not this station's; "
                    "its signature is not checked here\n",
                    hex);
        }
    }
    if (pr_return_sign(r, sk, &signed_file, &d) != 0) {
        st_err("station", "cannot sign: %s", d.msg);
        goto out;
    }
    sodium_free(sk); /* the key is not needed past this point */
    sk = NULL;

    /* Read back what is about to be written, as central will. */
    if (pr_return_parse(signed_file.data, signed_file.len, check, &d) != 0 ||
        pr_return_verify(signed_file.data, check, pk) != 0) {
        st_err("station", "internal: the signed return does not read back (%s)", d.msg);
        goto out;
    }
    pr_hash(file_hash, signed_file.data, signed_file.len);

    if ((rc = st_write_new(job->out_path, signed_file.data, signed_file.len, 0644)) != ST_OK)
        goto out;
    if (st_journal_append(&journal, r->precinct, r->contest, r->revision, file_hash, content) !=
        0) {
        st_err(st_esc(journal_path, e), "%s; the return was written but not journaled",
               strerror(errno));
        rc = ST_IO;
        goto out;
    }
    st_print_return(stdout, def, r, file_hash, job->out_path);
    rc = ST_OK;
out:
    st_journal_close(&journal);
    sodium_free(sk);
    pr_buf_free(&signed_file);
    cm_definition_free(def);
    free(pin_path);
    free(journal_path);
    free(pinbytes);
    free(countbytes);
    free(pin);
    free(r);
    free(check);
    free(counts);
    free(votes);
    return rc;
}

enum { R_DEF, R_KEY, R_CONTEST, R_PRECINCT, R_COUNTS, R_MODE, R_SIGNED, R_PASSFD, R_OUT,
       R_PERLINE, R_EVIDENCE, R_N };
static const st_optspec record_specs[R_N] = {
    {"definition", 1, 0}, {"key", 1, 0},       {"contest", 1, 0},
    {"precinct", 1, 0},   {"counts", 1, 0},    {"mode", 1, 0},
    {"signed-at", 1, 0},  {"passphrase-fd", 1, 0}, {"out", 1, 0},
    {"per-line", 0, 0},   {"evidence", 1, 1},
};

int st_cmd_record(int argc, char **argv)
{
    int rc = ST_USAGE;
    st_opts o;
    sign_job job;

    memset(&job, 0, sizeof job);
    if (st_parse_opts(argc, argv, record_specs, R_N, 0, &o) != ST_OK)
        goto out;
    if (o.help) {
        fputs(record_help, stdout);
        rc = ST_OK;
        goto out;
    }
    if (!o.val[R_DEF] || !o.val[R_KEY] || !o.val[R_CONTEST] || !o.val[R_OUT]) {
        st_err("record", "--definition, --key, --contest and --out are required (see --help)");
        goto out;
    }
    job.mode = PR_MODE_LIVE;
    if (o.val[R_MODE]) {
        if (strcmp(o.val[R_MODE], "test") == 0)
            job.mode = PR_MODE_TEST;
        else if (strcmp(o.val[R_MODE], "live") != 0) {
            st_err("--mode", "must be live or test");
            goto out;
        }
    }
    if (st_parse_fd(o.val[R_PASSFD], &job.passfd) != ST_OK)
        goto out;
    job.def_path = o.val[R_DEF];
    job.key_path = o.val[R_KEY];
    job.out_path = o.val[R_OUT];
    job.counts_path = o.val[R_COUNTS];
    job.signed_at = o.val[R_SIGNED];
    job.precinct = o.val[R_PRECINCT];
    job.contest = o.val[R_CONTEST];
    job.per_line = o.val[R_PERLINE] != NULL;
    job.scans = o.multi;
    job.n_scans = o.n_multi;
    if (job.per_line && job.counts_path) {
        st_err("record", "--per-line is for typed counts, not --counts");
        rc = ST_USAGE;
        goto out;
    }
    rc = sign_return(&job);
out:
    return rc;
}

enum { A_REASON, A_DEF, A_KEY, A_COUNTS, A_SIGNED, A_PASSFD, A_OUT, A_EVIDENCE, A_NOEVIDENCE,
       A_N };
static const st_optspec amend_specs[A_N] = {
    {"reason", 1, 0},    {"definition", 1, 0},    {"key", 1, 0}, {"counts", 1, 0},
    {"signed-at", 1, 0}, {"passphrase-fd", 1, 0}, {"out", 1, 0}, {"evidence", 1, 1},
    {"no-evidence", 0, 0},
};

int st_cmd_amend(int argc, char **argv)
{
    int rc = ST_USAGE;
    st_opts o;
    sign_job job;
    uint8_t *bytes = NULL;
    size_t len = 0;
    pr_return *pred = NULL;
    uint8_t pred_hash[PR_HASH_BYTES];
    pr_diag d = {0, ""};
    char e[ST_NAME_BUF];

    memset(&job, 0, sizeof job);
    if (st_parse_opts(argc, argv, amend_specs, A_N, 1, &o) != ST_OK)
        goto out;
    if (o.help) {
        fputs(amend_help, stdout);
        rc = ST_OK;
        goto out;
    }
    if (o.n_pos != 1 || !o.val[A_REASON] || !o.val[A_DEF] || !o.val[A_KEY] || !o.val[A_OUT]) {
        st_err("amend", "RETURN, --reason, --definition, --key and --out are required (see "
                        "--help)");
        goto out;
    }
    if (!pr_is_text(o.val[A_REASON], strlen(o.val[A_REASON]))) {
        st_err("--reason", "must be 1-200 bytes of plain UTF-8 text without control "
                           "characters or leading/trailing spaces");
        goto out;
    }
    if (o.val[A_EVIDENCE] && o.val[A_NOEVIDENCE]) {
        st_err("amend", "--evidence and --no-evidence exclude each other");
        goto out;
    }
    if (st_parse_fd(o.val[A_PASSFD], &job.passfd) != ST_OK)
        goto out;

    if ((rc = st_read(o.pos[0], PR_FILE_MAX, &bytes, &len)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    pred = calloc(1, sizeof *pred);
    if (pred == NULL) {
        st_err("amend", "out of memory");
        goto out;
    }
    if (pr_return_parse(bytes, len, pred, &d) != 0) {
        st_err(st_esc(o.pos[0], e), "malformed: line %u: %s", d.line, d.msg);
        goto out;
    }
    /* The correction names its predecessor by the hash of its exact bytes. */
    pr_hash(pred_hash, bytes, len);

    job.def_path = o.val[A_DEF];
    job.key_path = o.val[A_KEY];
    job.out_path = o.val[A_OUT];
    job.counts_path = o.val[A_COUNTS];
    job.signed_at = o.val[A_SIGNED];
    job.mode = pred->mode;
    job.precinct = pred->precinct;
    job.contest = pred->contest;
    job.pred = pred;
    job.pred_bytes = bytes;
    job.pred_hash = pred_hash;
    job.reason = o.val[A_REASON];
    job.scans = o.multi;
    job.n_scans = o.n_multi;
    job.keep_evidence = !o.val[A_EVIDENCE] && !o.val[A_NOEVIDENCE];
    rc = sign_return(&job);
out:
    free(bytes);
    free(pred);
    return rc;
}
