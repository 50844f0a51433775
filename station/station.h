/*
 * station.h: the station program's internal interfaces: exit codes, error
 * printing, option parsing, the pin file, the journal, terminal entry and the
 * commands themselves. Private to station/; nothing here is a file format
 * another program reads except the pin file and journal (docs/STATION.md).
 */
#ifndef STATION_STATION_H
#define STATION_STATION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libintl.h>

#include "common/definition.h"
#include "proto/buf.h"
#include "proto/codec.h"
#include "proto/limits.h"
#include "proto/return.h"

/* Messages an official reads go through gettext (catalogues in po/,
 * text domain "station"); ids, codes and file formats never do. */
#define _(s) gettext(s)
#define N_(s) (s)
#define ST_TEXT_DOMAIN "station"

/* Exit codes (DESIGN 11). */
enum { ST_OK = 0, ST_REFUSED = 1, ST_USAGE = 2, ST_IO = 3 };

/* Hours after the close of polls within which the clock is trusted without
 * asking the official (DESIGN 10). */
#define ST_CLOCK_WINDOW_S (72 * 3600)

/* Largest journal accepted (one line per signed return: plenty). */
#define ST_JOURNAL_MAX (16u * 1024u * 1024u)

/* --- messages (util.c) ------------------------------------------------ */

/* Prints `station: <what>: <why>` and a newline on stderr. */
void st_err(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints `station: warning: <what>: <why>` on stderr. */
void st_warn(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Escapes a path or id for a message (cm_escape into out, ST_NAME_BUF). */
#define ST_NAME_BUF 512
const char *st_esc(const char *s, char out[ST_NAME_BUF]);

/* --- options (util.c) ------------------------------------------------- */

/* One long option of a command. */
typedef struct st_optspec {
    const char *name;       /* without the leading "--" */
    int takes_value;        /* 1: `--name VALUE` or `--name=VALUE`; 0: a flag */
    int repeatable;         /* 1: values collected in st_opts.multi */
} st_optspec;

#define ST_OPTS_MAX 16
#define ST_POS_MAX 4

/* Parsed command line of one command. Values point into argv. */
typedef struct st_opts {
    const char *val[ST_OPTS_MAX];   /* per spec: value, "" for a set flag, NULL */
    size_t n_multi;                 /* values of the one repeatable option */
    const char *multi[PR_ENROL_PRECINCTS_MAX];
    size_t n_pos;
    const char *pos[ST_POS_MAX];
    int help;                       /* --help was given */
} st_opts;

/* Parses argv[0..argc) (argv[0] is the command name) against specs. At
 * most max_pos positional arguments. Returns ST_OK, or ST_USAGE after
 * printing why. */
int st_parse_opts(int argc, char **argv, const st_optspec *specs, size_t n_specs, size_t max_pos,
                  st_opts *o);

/* Parses --passphrase-fd's value (NULL: -1). ST_OK or ST_USAGE. */
int st_parse_fd(const char *s, int *fd);

/* --- files (util.c) --------------------------------------------------- */

/* Reads a whole regular file of at most max bytes (cm_read_file, symlinks
 * followed). ST_OK with *buf (malloc'd, caller frees) and *len, or ST_IO
 * after printing `station: <path>: <why>`. */
int st_read(const char *path, size_t max, uint8_t **buf, size_t *len);

/* Reads DEF and DEF.sig, verifies the signature against the commission key
 * and loads the definition. ST_OK with *def (cm_definition_free), ST_IO
 * when a file cannot be read, ST_REFUSED when the signature or the
 * definition is bad. Errors are printed. */
int st_load_signed_definition(const char *path, const uint8_t commission_pk[PR_PK_BYTES],
                              cm_definition **def);

/* Writes a new file with O_EXCL (cm_write_new). ST_OK, or ST_IO printed. */
int st_write_new(const char *path, const void *data, size_t len, unsigned mode);

/* path with a trailing ".key" replaced by suffix, or path + suffix.
 * malloc'd (caller frees) or NULL when out of memory. */
char *st_key_sibling(const char *key_path, const char *suffix);

/* Current UTC time as epoch seconds. */
int64_t st_now(void);

/* Hex of a key id into out (PR_KEYID_HEX + 1). */
void st_key_id_hex(const uint8_t id[PR_KEYID_BYTES], char out[PR_KEYID_HEX + 1]);

/* Prints a display name (from the definition) with control bytes escaped,
 * padded with spaces to width terminal columns (st_display_width). */
void st_print_name(FILE *f, const char *name, size_t width);

/* Terminal columns name takes as st_print_name prints it: each code point's
 * utf8proc_charwidth (wide CJK 2, combining marks 0), 4 per escaped control
 * byte, 4 per byte that is not valid UTF-8. */
size_t st_display_width(const char *name);

/* 1 when colour may be written to f: f is a terminal, NO_COLOR is unset or
 * empty (no-color.org) and TERM is not "dumb"; else 0. */
int st_colour(FILE *f);

/* --- pin file (pin.c) ------------------------------------------------- */

#define ST_MAGIC_PIN "station-pin 1"

/* What `station keygen` pinned: the election, the precincts, the
 * commission key and this station's key id (docs/STATION.md). */
typedef struct st_pin {
    char election[PR_ID_MAX + 1];
    size_t n_precincts;                                 /* >= 1, ascending */
    char precincts[PR_ENROL_PRECINCTS_MAX][PR_ID_MAX + 1];
    uint8_t commission_id[PR_KEYID_BYTES];
    uint8_t commission_pk[PR_PK_BYTES];
    uint8_t key_id[PR_KEYID_BYTES];
} st_pin;

/* Writes the pin file's bytes into out. 0, or -1. */
PR_WARN_UNUSED int st_pin_encode(const st_pin *p, pr_buf *out);
/* Parses a pin file strictly. 0, or -1 with d naming the line and rule. */
PR_WARN_UNUSED int st_pin_parse(const uint8_t *buf, size_t len, st_pin *p, pr_diag *d);
/* 1 if id is one of the pinned precincts, else 0. */
int st_pin_has_precinct(const st_pin *p, const char *id);

/* --- journal (journal.c) ---------------------------------------------- */

/* An open, locked journal: what this key signed, one line per return. */
typedef struct st_journal {
    int fd;                 /* -1 when closed */
    uint8_t *data;          /* its bytes when opened (malloc'd) */
    size_t len;
} st_journal;

/* Opens (creating, 0644) and locks (fcntl F_SETLKW) the journal, reads it.
 * 0, or -1 with d->msg naming why. */
PR_WARN_UNUSED int st_journal_open(const char *path, st_journal *j, pr_diag *d);

/* Looks for a line with the same precinct, contest and revision.
 * Returns 0 when there is none, 1 when there is one with the same content
 * hash, 2 when one has other content (*line set to its line), -1 when the
 * journal is malformed (d names the line). */
int st_journal_find(const st_journal *j, const char *precinct, const char *contest,
                    uint64_t revision, const uint8_t content[PR_HASH_BYTES], unsigned *line,
                    pr_diag *d);

/* Appends one line and fsyncs. 0, or -1 with errno set. */
PR_WARN_UNUSED int st_journal_append(st_journal *j, const char *precinct, const char *contest,
                                     uint64_t revision, const uint8_t return_hash[PR_HASH_BYTES],
                                     const uint8_t content[PR_HASH_BYTES]);

/* Unlocks, closes and frees; safe on a closed or zeroed journal. */
void st_journal_close(st_journal *j);

/* --- terminal (entry.c) ----------------------------------------------- */

/* 1 if standard input is a terminal. */
int st_stdin_is_tty(void);

/* Asks the official for every typed line and candidate of contest index
 * contest at precinct index precinct of def, each number typed twice
 * without echo: the whole protocol a second time (by_line == 0) or each
 * number at once (by_line == 1). Mismatches are shown side by side and
 * typed again; an empty answer is refused (not zero); derived lines are
 * computed and each control rule (and sum-mismatch) is checked as soon as
 * its lines are known, a failure shown with its numbers; a last screen
 * shows counts, shares and turnout and asks `yes` before anything is
 * signed, or lets the official retype any number. counts (protocol order,
 * derived lines filled) and votes (candidate order) are the caller's.
 * ST_OK, or ST_REFUSED when input ends or the official stops (printed). */
int st_entry_counts(const cm_definition *def, size_t contest, size_t precinct, int by_line,
                    uint64_t *counts, uint64_t *votes);

/* Asks the official to confirm the station clock `now` or type the time.
 * why names what is odd about the clock. ST_OK with *out, or ST_REFUSED. */
int st_entry_time(int64_t now, const char *why, int64_t *out);

/* --- printing (show.c) ------------------------------------------------ */

/* Prints a return readably with names from def (which may be for another
 * definition hash; NULL names are skipped), percentages and turnout.
 * file_hash is BLAKE2b-256 of the file bytes. */
void st_print_return(FILE *f, const cm_definition *def, const pr_return *r,
                     const uint8_t file_hash[PR_HASH_BYTES], const char *file_name);

/* --- commands ------------------------------------------------------- */

int st_cmd_keygen(int argc, char **argv);
int st_cmd_record(int argc, char **argv);
int st_cmd_amend(int argc, char **argv);
int st_cmd_show(int argc, char **argv);
int st_cmd_verify(int argc, char **argv);
int st_cmd_print(int argc, char **argv);

#endif
