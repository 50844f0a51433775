/*
 * openelections.h: `central tally --format openelections`: the tally as CSV
 * in the column layout of OpenElections' precinct files
 * (county,precinct,office,district,candidate,party,votes), one row per
 * precinct, contest and candidate, with pseudo-rows for registered voters,
 * ballots cast, against-all and invalid ballots (docs/OPENELECTIONS.md).
 */
#ifndef CENTRAL_OPENELECTIONS_H
#define CENTRAL_OPENELECTIONS_H

#include <stdio.h>

#include "common/definition.h"
#include "report.h"

/* county_level for "the parent of each precinct's area" (the default). */
#define CT_OE_COUNTY_DEFAULT (-1L)

/* Writes one CSV field to out, RFC 4180: quoted (inner quotes doubled) when
 * it holds a comma, a double quote, CR or LF; NULL writes nothing. */
void ct_oe_field(FILE *out, const char *v);

/* Writes the CSV for report r (built with counts) of definition def: only
 * (NULL: every contest) limits the contests; county_level is the depth in
 * the area tree (root 0) of the area named in the county column, or
 * CT_OE_COUNTY_DEFAULT. Precinct-contest pairs not in the tally are left
 * out. 0, or -1 on a write error. */
int ct_oe_print(FILE *out, const cm_definition *def, const ct_report *r, const char *only,
                long county_level);

#endif
