/*
 * counts.h: the station's counts file (DESIGN 10, docs/STATION.md): `count`
 * and `votes` lines typed by people, read strictly so that no malformed or
 * missing number is ever guessed. Pure: no I/O, no exit; fuzzable.
 */
#ifndef STATION_COUNTS_H
#define STATION_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/definition.h"
#include "proto/codec.h"

/* Largest counts file, in bytes (the return's own limit). */
#define ST_COUNTS_MAX PR_FILE_MAX

/* Parses a counts file for protocol p and contest c.
 *
 * Grammar, line by line (LF or CRLF; the last line may lack its LF):
 *   blank line, or `#` comment (first non-blank byte is `#`)
 *   count <line id> <count>       every typed (non-derived) line of p, once
 *   votes <candidate id> <count>  every candidate of c, once
 * Fields are separated by spaces or tabs; a `#` after a blank starts a
 * comment. Values are strict counts (pr_parse_count): digits only, no sign,
 * separator, decimal point, percent sign or leading zero; empty is refused.
 * Derived lines must not be given. Nothing missing is filled in.
 *
 * counts: p->n_lines values in protocol order; votes: c->n_candidates values
 * in candidate order; derived lines are set to 0 (compute them with
 * cm_compute_derived). Returns 0 on success; -1 with d set otherwise:
 * d->line is the 1-based line at fault, or 0 when the fault is something
 * missing from the whole file (then d->msg lists what is missing).
 * counts and votes may hold partial values after a failure. */
PR_WARN_UNUSED int st_counts_parse(const uint8_t *buf, size_t len, const cm_protocol *p,
                                   const cm_contest *c, uint64_t *counts, uint64_t *votes,
                                   pr_diag *d);

#endif
