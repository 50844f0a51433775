/*
 * amend.h: definition amendments (DESIGN 6 "Amendments"): what a contest's
 * *ballot part* is, so a return signed against an earlier signed version
 * stays valid while that part is unchanged.
 */
#ifndef CENTRAL_AMEND_H
#define CENTRAL_AMEND_H

#include "common/definition.h"

/* 1 when contest and precinct (ids) have the same ballot part in a and b:
 * the contest exists in both with the same name and votes_allowed, its
 * protocol has the same lines (ids, order, names, derived parts) and rules
 * (ids, checks, severities), its candidates the same ids, order and names
 * (a withdrawn candidate keeps its place: `withdrawn` and parties are not
 * part of it), and the precinct exists in both, takes part in the contest
 * in both and has the same close of polls. Else 0. */
int ct_ballot_part_same(const cm_definition *a, const cm_definition *b, const char *contest,
                        const char *precinct);

#endif
