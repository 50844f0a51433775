/*
 * print.c: `station print`, the protocol to post and file: a self-contained
 * HTML page, the QR code alone as PNG, or both on the terminal; the code
 * holds the whole signed return for `central import --qr` (docs/QR.md).
 */
#include <stdlib.h>
#include <string.h>

#include "common/rules.h"
#include "qr.h"
#include "station.h"

static const char print_help[] =
    "usage: station print RETURN --definition DEF [--format html|png|terminal]\n"
    "                     [--scale N] [--out FILE]\n"
    "\n"
    "Prints a signed return as the protocol to post and file, with the whole\n"
    "signed return as one QR code (byte mode, error correction level M) that\n"
    "`central import --qr` reads back exactly.\n"
    "\n"
    "  --format html      a self-contained HTML page for A4 (the default, or\n"
    "                     png when FILE ends in .png): names, counts,\n"
    "                     percentages of ballots cast, turnout, definition hash,\n"
    "                     key id, the return's BLAKE2b-256 hash, a TEST banner for\n"
    "                     test-mode returns, and the QR code\n"
    "  --format png       the QR code alone as a PNG image\n"
    "  --format terminal  the return and the QR code on standard output (half\n"
    "                     blocks in colour on a terminal; plain ## characters\n"
    "                     when NO_COLOR is set or output is not a terminal)\n"
    "  --scale N          PNG pixels per module, 1-32 (default 8)\n"
    "  --out FILE         the file to create (never overwritten); needed for html\n"
    "                     and png\n"
    "\n"
    "DEF must be the definition the return names. A return longer than one QR\n"
    "code holds (2331 bytes) is refused: hand over the file itself. The\n"
    "signature is not checked here (station verify does that).\n";

/* Largest HTML page: the return is at most 64 KiB, names at most 1 KiB
 * each, the QR path a few hundred KiB. */
#define HTML_MAX (8u * 1024u * 1024u)

typedef enum { FMT_HTML, FMT_PNG, FMT_TERMINAL } out_format;

/* Appends s with the five HTML special characters escaped. Names and
 * reasons are already free of control characters (pr_is_name, pr_is_text). */
static void html(pr_buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            pr_buf_add(b, "&amp;", 5);
            break;
        case '<':
            pr_buf_add(b, "&lt;", 4);
            break;
        case '>':
            pr_buf_add(b, "&gt;", 4);
            break;
        case '"':
            pr_buf_add(b, "&quot;", 6);
            break;
        case '\'':
            pr_buf_add(b, "&#39;", 5);
            break;
        default:
            pr_buf_add(b, p, 1);
        }
    }
}

/* "78.77 %" or "n/a" into out (32 bytes). */
static const char *pct(uint64_t n, uint64_t d, char out[32])
{
    if (cm_percent(n, d, out, 32) == 0 && strcmp(out, "n/a") != 0)
        strcat(out, " %");
    return out;
}

static const char page_css[] =
    "@page{size:A4;margin:12mm}"
    "*{box-sizing:border-box}"
    "body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;font-size:10pt;"
    "color:#000;background:#fff;margin:0 auto;max-width:186mm;padding:4mm 0}"
    ".test{border:3px solid #b00;color:#b00;font-weight:bold;text-align:center;"
    "font-size:15pt;padding:2mm;margin:0 0 4mm;letter-spacing:.08em}"
    "h1{font-size:14pt;margin:0 0 1mm}"
    ".sub{margin:0 0 4mm;color:#222}"
    "table{border-collapse:collapse;width:100%;margin:0 0 4mm}"
    "th,td{padding:1mm 2mm;border-bottom:1px solid #aaa;text-align:left;vertical-align:top}"
    "th{border-bottom:1.5px solid #000;font-size:9pt}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.no{width:8mm;color:#444}"
    "tr.derived td{font-style:italic}"
    "code,.mono{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:8.5pt}"
    ".id{color:#555;white-space:nowrap}"
    ".bottom{display:flex;gap:6mm;align-items:flex-start;break-inside:avoid}"
    ".meta{flex:1}"
    ".meta table td{border:0;padding:.6mm 1.5mm}"
    ".qr{text-align:center;font-size:8pt}"
    ".qr svg{display:block;margin:0 auto 1mm}"
    ".fix{border:1.5px solid #000;padding:2mm;margin:0 0 4mm}"
    ".sign{display:flex;gap:8mm;margin-top:6mm;break-inside:avoid}"
    ".sign div{flex:1;border-top:1px solid #000;padding-top:1mm;font-size:8.5pt}"
    "footer{margin-top:4mm;font-size:7.5pt;color:#444}";

/* The QR code's printed size: modules of about 0.45 mm at least, so a
 * phone or a flatbed scan at 300 dpi resolves version 40 (185 modules). */
static const char *qr_size(const st_qr *qr)
{
    const char *s = "84mm";
    if (qr->version <= 10)
        s = "45mm";
    else if (qr->version <= 20)
        s = "55mm";
    else if (qr->version <= 30)
        s = "70mm";
    return s;
}

/* The whole page into b. */
static void html_page(pr_buf *b, const cm_definition *def, const cm_contest *c,
                      const cm_protocol *p, const cm_precinct *pc, const pr_return *r,
                      const uint8_t *bytes, size_t len, const st_qr *qr)
{
    char hex[PR_HASH_HEX + 1], t[PR_TIME_LEN + 1], kid[PR_KEYID_HEX + 1], pa[32];
    uint64_t cast = 0, registered = 0;
    int have_cast = pr_return_count(r, "ballots-cast", &cast);
    int have_reg = pr_return_count(r, "registered", &registered);
    int test = r->mode == PR_MODE_TEST;
    uint8_t h[PR_HASH_BYTES];

    pr_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>%sProtocol: ",
                  test ? "TEST " : "");
    html(b, c->name);
    pr_buf_printf(b, ", %s</title>\n<style>", r->precinct);
    /* pr_buf_printf formats at most 512 bytes at a time. */
    pr_buf_add(b, page_css, strlen(page_css));
    pr_buf_printf(b, "</style>\n</head>\n<body>\n");
    if (test)
        pr_buf_printf(b, "<div class=\"test\">TEST &mdash; NOT AN ELECTION RESULT "
                         "&mdash; TEST</div>\n");
    pr_buf_printf(b, "<h1>");
    html(b, c->name);
    pr_buf_printf(b, "</h1>\n<p class=\"sub\">");
    html(b, def->name);
    pr_buf_printf(b, "<br>Precinct <b>");
    html(b, pc->name);
    pr_buf_printf(b, "</b> <span class=\"id mono\">(%s)</span>", r->precinct);
    if (r->revision > 1)
        pr_buf_printf(b, "<br><b>Corrected protocol, revision %llu</b>",
                      (unsigned long long)r->revision);
    pr_buf_printf(b, "</p>\n");

    if (r->revision > 1) {
        pr_hex_encode(hex, r->supersedes, PR_HASH_BYTES);
        pr_buf_printf(b, "<div class=\"fix\">This return corrects the return with hash "
                         "<code>%s</code>.<br>Reason: <b>",
                      hex);
        html(b, r->reason);
        pr_buf_printf(b, "</b></div>\n");
    }

    pr_buf_printf(b, "<table>\n<tr><th>No.</th><th>Protocol line</th><th class=\"n\">Count</th>"
                     "<th class=\"n\">Share</th></tr>\n");
    for (size_t i = 0; i < p->n_lines && i < r->n_counts; i++) {
        const cm_line *l = &p->lines[i];
        uint64_t v = r->counts[i].value;
        const char *share = "";
        if (i == p->ballots_cast && have_reg)
            share = pct(v, registered, pa);
        else if ((i == p->invalid || i == p->against_all) && have_cast)
            share = pct(v, cast, pa);
        pr_buf_printf(b, "<tr%s><td class=\"no\">%zu</td><td>", l->n_parts ? " class=\"derived\"" : "",
                      i + 1);
        html(b, l->name);
        pr_buf_printf(b, " <span class=\"id mono\">%s</span>", l->id);
        if (l->n_parts > 0) {
            pr_buf_printf(b, "<br><small>= ");
            for (size_t k = 0; k < l->n_parts; k++)
                pr_buf_printf(b, "%s%zu", k ? " + " : "", l->parts[k] + 1);
            pr_buf_printf(b, " (computed)</small>");
        }
        pr_buf_printf(b, "</td><td class=\"n\">%llu</td><td class=\"n\">%s%s</td></tr>\n",
                      (unsigned long long)v, share,
                      i == p->ballots_cast && have_reg ? " turnout" : "");
    }
    pr_buf_printf(b, "</table>\n");

    pr_buf_printf(b, "<table>\n<tr><th>No.</th><th>Candidate</th><th>Party</th>"
                     "<th class=\"n\">Votes</th><th class=\"n\">Of ballots cast</th></tr>\n");
    for (size_t i = 0; i < c->n_candidates && i < r->n_votes; i++) {
        const cm_candidate *k = &c->candidates[i];
        pr_buf_printf(b, "<tr><td class=\"no\">%zu</td><td>", i + 1);
        html(b, k->name);
        pr_buf_printf(b, " <span class=\"id mono\">%s</span>%s</td><td>", k->id,
                      k->withdrawn ? " <i>(withdrawn)</i>" : "");
        html(b, k->party != (size_t)-1 ? def->parties[k->party].name : "Independent");
        pr_buf_printf(b, "</td><td class=\"n\">%llu</td><td class=\"n\">%s</td></tr>\n",
                      (unsigned long long)r->votes[i].value,
                      have_cast ? pct(r->votes[i].value, cast, pa) : "");
    }
    pr_buf_printf(b, "</table>\n");
    if (have_cast && have_reg)
        pr_buf_printf(b, "<p>Turnout: %llu ballots cast of %llu registered voters = <b>%s</b>. "
                         "Shares are of ballots cast.</p>\n",
                      (unsigned long long)cast, (unsigned long long)registered,
                      pct(cast, registered, pa));

    pr_buf_printf(b, "<div class=\"bottom\">\n<div class=\"meta\"><table>\n");
    pr_buf_printf(b, "<tr><td>Election</td><td class=\"mono\">%s</td></tr>\n", r->election);
    pr_hex_encode(hex, r->definition, PR_HASH_BYTES);
    pr_buf_printf(b, "<tr><td>Definition</td><td class=\"mono\">%.8s</td></tr>\n", hex);
    pr_buf_printf(b, "<tr><td>Contest</td><td class=\"mono\">%s</td></tr>\n", r->contest);
    pr_buf_printf(b, "<tr><td>Mode</td><td class=\"mono\">%s</td></tr>\n",
                  pr_mode_name(r->mode));
    pr_buf_printf(b, "<tr><td>Revision</td><td class=\"mono\">%llu</td></tr>\n",
                  (unsigned long long)r->revision);
    if (pr_format_time(r->signed_at, t) != 0)
        memcpy(t, "(out of range)", 15);
    pr_buf_printf(b, "<tr><td>Signed</td><td class=\"mono\">%s</td></tr>\n", t);
    st_key_id_hex(r->key_id, kid);
    pr_buf_printf(b, "<tr><td>Station key</td><td class=\"mono\">%s</td></tr>\n", kid);
    pr_hash(h, bytes, len);
    pr_hex_encode(hex, h, PR_HASH_BYTES);
    /* Four groups of 16 so a person can compare it by eye. */
    pr_buf_printf(b, "<tr><td>Return hash<br><small>BLAKE2b-256</small></td>"
                     "<td class=\"mono\">%.16s %.16s<br>%.16s %.16s</td></tr>\n",
                  hex, hex + 16, hex + 32, hex + 48);
    pr_buf_printf(b, "</table></div>\n<div class=\"qr\">");
    st_qr_svg(qr, qr_size(qr), b); /* failure stays in b->failed */
    pr_buf_printf(b, "The signed return, %zu bytes<br>QR version %d, level M</div>\n</div>\n",
                  len, qr->version);
    pr_buf_printf(b, "<div class=\"sign\"><div>Chair</div><div>Secretary</div>"
                     "<div>Members</div><div>Posted (date, time)</div></div>\n");
    pr_buf_printf(b, "<footer>Printed by station %s from the signed return. The numbers "
                     "on this page are the return's; the QR code holds its exact bytes, "
                     "which central verifies.</footer>\n</body>\n</html>\n",
                  PR_VERSION);
}

enum { P_DEF, P_FORMAT, P_SCALE, P_OUT, P_N };
static const st_optspec print_specs[P_N] = {
    {"definition", 1, 0}, {"format", 1, 0}, {"scale", 1, 0}, {"out", 1, 0}};

int st_cmd_print(int argc, char **argv)
{
    int rc = ST_USAGE;
    st_opts o;
    uint8_t *bytes = NULL, *defbytes = NULL, *png = NULL;
    size_t len = 0, deflen = 0, pnglen = 0;
    pr_return *r = NULL;
    cm_definition *def = NULL;
    st_qr qr = {0, 0, NULL};
    pr_buf page;
    pr_diag d = {0, ""};
    out_format fmt = FMT_HTML;
    unsigned scale = ST_QR_PNG_SCALE;
    char e[ST_NAME_BUF], a[PR_HASH_HEX + 1], b2[PR_HASH_HEX + 1];

    pr_buf_init(&page, HTML_MAX);
    if (st_parse_opts(argc, argv, print_specs, P_N, 1, &o) != ST_OK)
        goto out;
    if (o.help) {
        fputs(print_help, stdout);
        rc = ST_OK;
        goto out;
    }
    if (o.n_pos != 1 || !o.val[P_DEF]) {
        st_err("print", "RETURN and --definition are required (see --help)");
        goto out;
    }
    if (o.val[P_FORMAT] != NULL) {
        if (strcmp(o.val[P_FORMAT], "html") == 0)
            fmt = FMT_HTML;
        else if (strcmp(o.val[P_FORMAT], "png") == 0)
            fmt = FMT_PNG;
        else if (strcmp(o.val[P_FORMAT], "terminal") == 0)
            fmt = FMT_TERMINAL;
        else {
            st_err("--format", "must be html, png or terminal");
            goto out;
        }
    } else if (o.val[P_OUT] != NULL && strlen(o.val[P_OUT]) > 4 &&
               strcmp(o.val[P_OUT] + strlen(o.val[P_OUT]) - 4, ".png") == 0) {
        fmt = FMT_PNG;
    }
    if (fmt != FMT_TERMINAL && (o.val[P_OUT] == NULL || strcmp(o.val[P_OUT], "-") == 0)) {
        st_err("print", "--out FILE is required for html and png");
        goto out;
    }
    if (fmt == FMT_TERMINAL && o.val[P_OUT] != NULL && strcmp(o.val[P_OUT], "-") != 0) {
        st_err("print", "--format terminal writes to standard output; no --out");
        goto out;
    }
    if (o.val[P_SCALE] != NULL) {
        uint64_t v = 0;
        if (pr_parse_count(o.val[P_SCALE], strlen(o.val[P_SCALE]), &v) != 0 || v < 1 ||
            v > ST_QR_PNG_SCALE_MAX) {
            st_err("--scale", "must be a whole number from 1 to %u", ST_QR_PNG_SCALE_MAX);
            goto out;
        }
        scale = (unsigned)v;
    }

    if ((rc = st_read(o.pos[0], PR_FILE_MAX, &bytes, &len)) != ST_OK)
        goto out;
    if ((rc = st_read(o.val[P_DEF], CM_DEFINITION_MAX, &defbytes, &deflen)) != ST_OK)
        goto out;
    rc = ST_REFUSED;
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        st_err("print", "out of memory");
        goto out;
    }
    if (pr_return_parse(bytes, len, r, &d) != 0) {
        st_err(st_esc(o.pos[0], e), "malformed: line %u: %s", d.line, d.msg);
        goto out;
    }
    if (cm_definition_load(defbytes, deflen, &def, &d) != 0) {
        st_err(st_esc(o.val[P_DEF], e), "%s", d.msg);
        goto out;
    }
    /* A posted protocol must carry the names the return was signed under. */
    if (memcmp(def->hash, r->definition, PR_HASH_BYTES) != 0) {
        pr_hex_encode(a, r->definition, PR_HASH_BYTES);
        pr_hex_encode(b2, def->hash, PR_HASH_BYTES);
        st_err(st_esc(o.val[P_DEF], e),
               "is definition %.8s, but the return was signed against definition %.8s", b2, a);
        goto out;
    }
    size_t ci = cm_find_contest(def, r->contest), pi = cm_find_precinct(def, r->precinct);
    if (ci == (size_t)-1 || pi == (size_t)-1) {
        st_err(st_esc(o.pos[0], e), "contest %s or precinct %s is not in the definition",
               r->contest, r->precinct);
        goto out;
    }
    const cm_contest *c = &def->contests[ci];
    const cm_protocol *p = &def->protocols[c->protocol];
    if (r->n_counts != p->n_lines || r->n_votes != c->n_candidates) {
        st_err(st_esc(o.pos[0], e), "its lines or candidates do not match contest %s",
               r->contest);
        goto out;
    }
    int q = st_qr_encode(bytes, len, &qr);
    if (q == -2) {
        st_err(st_esc(o.pos[0], e),
               "%zu bytes do not fit one QR code (at most %u bytes in byte mode at level M); "
               "hand over the return file itself",
               len, ST_QR_MAX_BYTES);
        goto out;
    }
    if (q != 0) {
        st_err("print", "cannot make the QR code (out of memory)");
        rc = ST_IO;
        goto out;
    }

    if (fmt == FMT_TERMINAL) {
        uint8_t h[PR_HASH_BYTES];
        pr_hash(h, bytes, len);
        if (r->mode == PR_MODE_TEST)
            printf("*** TEST: NOT AN ELECTION RESULT ***\n");
        st_print_return(stdout, def, r, h, o.pos[0]);
        printf("QR code: the signed return, %zu bytes, version %d, level M\n", len,
               qr.version);
        st_qr_terminal(stdout, &qr, st_colour(stdout));
        rc = ST_OK;
        goto out;
    }
    if (fmt == FMT_PNG) {
        if (st_qr_png(&qr, scale, &png, &pnglen) != 0) {
            st_err("print", "cannot make the PNG image");
            rc = ST_IO;
            goto out;
        }
        rc = st_write_new(o.val[P_OUT], png, pnglen, 0644);
        goto out;
    }
    html_page(&page, def, c, p, &def->precincts[pi], r, bytes, len, &qr);
    if (page.failed) {
        st_err("print", "the page would exceed %u bytes", HTML_MAX);
        rc = ST_IO;
        goto out;
    }
    rc = st_write_new(o.val[P_OUT], page.data, page.len, 0644);
out:
    pr_buf_free(&page);
    st_qr_free(&qr);
    free(bytes);
    free(defbytes);
    free(png);
    free(r);
    cm_definition_free(def);
    return rc;
}
