/*
 * nist.h: `central tally --format nist-json`: the whole tally as a NIST SP
 * 1500-100 v2 Election Results Reporting (ERR) JSON ElectionReport. The
 * mapping of our counts to the schema (against-all, invalid ballots, ids)
 * is documented in docs/NIST.md.
 */
#ifndef CENTRAL_NIST_H
#define CENTRAL_NIST_H

#include <stdio.h>

#include "common/definition.h"
#include "report.h"

/* Writes the ElectionReport for report r (built with counts) of definition
 * def to out. mode is the database's "live" or "test"; only (NULL: every
 * contest) limits the contests written. 0, or -1 when out of memory. */
int ct_nist_print(FILE *out, const cm_definition *def, const char *mode, const ct_report *r,
                  const char *only);

#endif
