/*
 * define.h: `central define --from-csv`: the election definition
 * (docs/DEFINITION.md) built from the CSV files a commission already keeps
 * (docs/DEFINITION-CSV.md), as deterministic bytes: same files, same hash.
 */
#ifndef CENTRAL_DEFINE_H
#define CENTRAL_DEFINE_H

#include <stddef.h>

#include "define_csv.h"

/* What the definition is built from. */
typedef struct ct_define_in {
    const char *dir;                /* folder holding election.csv, areas.csv, ... */
    const char *const *protocols;   /* protocol JSON files, in order; when n_protocols
                                     * is 0, DIR/protocols.json */
    size_t n_protocols;
} ct_define_in;

/* Builds the definition's bytes (JSON, 2-space indent, keys in the order of
 * docs/DEFINITION.md, names in Unicode NFC, a final LF) and checks them with
 * cm_definition_load. On success returns 0, *out is a malloc'd buffer the
 * caller frees, *len its length and hash_hex (PR_HASH_HEX + 1 bytes) the
 * definition hash. On failure returns -1, *out is NULL and errs holds what
 * was found, each error naming a file and, for CSV content, its row and
 * column (errs->code: CT_EXIT_FAIL for bad content, CT_EXIT_IO when a file
 * could not be read). Nothing is written either way. */
int ct_define_build(const ct_define_in *in, char **out, size_t *len, char *hash_hex,
                    ct_errlist *errs);

#endif
