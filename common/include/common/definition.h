/*
 * definition.h: the election definition reader (DESIGN 6, docs/DEFINITION.md).
 * Strict JSON through jansson (JSON_REJECT_DUPLICATES, unknown keys refused,
 * counts as plain integers); every error names its JSON path. The loaded
 * definition is immutable and shared by station and central.
 */
#ifndef COMMON_DEFINITION_H
#define COMMON_DEFINITION_H

#include <stddef.h>
#include <stdint.h>

#include "proto/codec.h"
#include "proto/limits.h"

/* Largest definition file accepted, in bytes. */
#define CM_DEFINITION_MAX (256u * 1024u * 1024u)

typedef enum { CM_SEV_REJECT = 0, CM_SEV_HOLD = 1, CM_SEV_FLAG = 2 } cm_severity;
typedef enum { CM_OUTCOME_PLURALITY = 0, CM_OUTCOME_MAJORITY = 1, CM_OUTCOME_PARTY_LIST = 2 } cm_outcome;
typedef enum { CM_METHOD_NONE = 0, CM_METHOD_HARE = 1, CM_METHOD_DHONDT = 2 } cm_method;

/* One term of a compiled control rule: coef x value. `line` is a line index
 * of the protocol, or CM_TERM_VOTES (sum of candidates' votes), or
 * CM_TERM_CONST (coef alone). */
#define CM_TERM_VOTES ((size_t)-1)
#define CM_TERM_CONST ((size_t)-2)
typedef struct cm_term {
    int64_t coef;
    size_t line;
} cm_term;

typedef enum { CM_REL_EQ, CM_REL_LE, CM_REL_GE, CM_REL_LT, CM_REL_GT, CM_REL_NE } cm_relation;

/* A control rule (docs/DEFINITION.md "Rule grammar"): lhs relation rhs. */
typedef struct cm_rule {
    char id[PR_ID_MAX + 1];     /* reason code when it fails */
    char *check;                /* the source text, as written */
    cm_severity severity;
    cm_relation rel;
    size_t n_lhs, n_rhs;
    cm_term *lhs, *rhs;
} cm_rule;

typedef struct cm_line {
    char id[PR_ID_MAX + 1];
    char *name;
    size_t n_parts;             /* 0: typed; > 0: derived as the sum of parts */
    size_t *parts;              /* line indexes within the protocol */
} cm_line;

typedef struct cm_protocol {
    char id[PR_ID_MAX + 1];
    size_t n_lines;
    cm_line *lines;
    size_t n_rules;             /* includes default rules not overridden */
    cm_rule *rules;
    size_t registered, ballots_cast, invalid; /* line indexes (always present) */
    size_t against_all;         /* line index, or (size_t)-1 when absent */
} cm_protocol;

typedef struct cm_party {
    char id[PR_ID_MAX + 1];
    char *name, *abbreviation;
    char colour[7];             /* 6 hex digits as written, or "" when null */
} cm_party;

typedef struct cm_area {
    char id[PR_ID_MAX + 1];
    char *name;
    size_t parent;              /* area index, (size_t)-1 for the root */
    int64_t close;              /* resolved close of polls (inherited), epoch s */
} cm_area;

typedef struct cm_candidate {
    char id[PR_ID_MAX + 1];
    char *name;
    size_t party;               /* party index, (size_t)-1 for none */
    int withdrawn;
} cm_candidate;

typedef struct cm_contest {
    char id[PR_ID_MAX + 1];
    char *name;
    size_t area, protocol;      /* indexes */
    int against_all;
    uint64_t votes_allowed, seats;
    cm_outcome outcome;
    cm_method method;
    uint64_t threshold_bp;
    size_t n_candidates;
    cm_candidate *candidates;
} cm_contest;

typedef struct cm_precinct {
    char id[PR_ID_MAX + 1];
    char *name;
    size_t area;
    size_t n_contests;
    size_t *contests;           /* contest indexes */
    int has_roll;               /* 0 when `registered` is null */
    uint64_t roll;              /* registered voters from the roll */
    int64_t close;              /* resolved close of polls, epoch s */
} cm_precinct;

typedef struct cm_tolerances {
    uint64_t registered_up_abs, registered_up_bp;
    uint64_t registered_down_abs, registered_down_bp;
    uint64_t turnout_high_bp, invalid_high_bp;
    int hold_corrections;
} cm_tolerances;

typedef struct cm_definition {
    uint8_t hash[PR_HASH_BYTES];        /* BLAKE2b-256 of the file bytes */
    char hash_hex[PR_HASH_HEX + 1];
    char id[PR_ID_MAX + 1];
    char *name;
    char date[11];
    size_t n_parties, n_areas, n_protocols, n_contests, n_precincts;
    cm_party *parties;
    cm_area *areas;
    cm_protocol *protocols;
    cm_contest *contests;
    cm_precinct *precincts;
    cm_tolerances tol;
    void *index_;               /* private lookup tables */
} cm_definition;

/* Loads a definition from the file's bytes.
 * bytes/len: the whole file (not NUL-terminated; need not outlive the call).
 * Memory: the loaded definition plus one contest's or precinct's JSON at a
 * time (those arrays are read element by element; issue 8), not jansson's tree
 * of the whole file; a refusal is explained by cm_definition_load_tree.
 * On success returns 0 and *out owns a new definition (cm_definition_free).
 * On failure returns -1, *out is NULL and err->msg holds one line such as
 * `$.contests[2].protocol: unknown protocol "x"` (err->line is 0, or the JSON
 * text line for syntax errors). Failures: not UTF-8, BOM, NUL, > 
 * CM_DEFINITION_MAX, JSON syntax, duplicate key, unknown key, wrong type,
 * bad id/count/time, missing required key, dangling reference, duplicate id,
 * area cycle or not exactly one root, protocol without registered /
 * ballots-cast / invalid, against-all mismatch between contest and protocol,
 * derived line referring to itself, a derived line or an unknown line, rule
 * syntax or unknown name, party-list fields on another outcome. */
PR_WARN_UNUSED int cm_definition_load(const uint8_t *bytes, size_t len, cm_definition **out, pr_diag *err);

/* The same as cm_definition_load, built from one jansson tree of the whole
 * file. cm_definition_load reads the precincts array one element at a time
 * (about 13 bytes of memory per byte of JSON for the tree against the
 * loaded precincts alone; issue 8) and, on any refusal, reports this
 * function's message, so both accept the same files, give the same
 * definition and the same errors. For tests and the differential fuzz
 * target (fuzz/fuzz_definition.c). */
PR_WARN_UNUSED int cm_definition_load_tree(const uint8_t *bytes, size_t len, cm_definition **out,
                                           pr_diag *err);

/* The streamed load alone, without the whole-tree fallback: 0 and *out as
 * cm_definition_load gives it, or -1 and *out NULL when the file is refused
 * (no message: cm_definition_load_tree says why). For tests and the fuzz
 * target, which require it to accept exactly what the tree load accepts, so
 * that a streamed load that stopped working cannot hide behind the
 * fallback. */
PR_WARN_UNUSED int cm_definition_load_streamed(const uint8_t *bytes, size_t len,
                                               cm_definition **out);

/* The definition's core: a copy of bytes (a definition cm_definition_load
 * accepts) with the value of its top-level "precincts" member replaced by
 * [], everything else byte for byte. Central keeps it beside the tally
 * cache so that a national summary need not read a million precincts
 * (issue 8; docs/DECISIONS.md "Tally cache"). *core (pr_malloc'd, free with
 * pr_free) and *core_len. 0, or -1 (*core NULL) when bytes are not one
 * JSON object with exactly one "precincts" member, or out of memory. */
PR_WARN_UNUSED int cm_definition_core_bytes(const uint8_t *bytes, size_t len, uint8_t **core,
                                            size_t *core_len);

/* Loads a core made by cm_definition_core_bytes: every member but the
 * precincts, checked as cm_definition_load checks them; n_precincts is 0
 * (cm_find_precinct finds nothing) and def->hash is `hash`, the hash of
 * the whole definition the core came from (the caller vouches for it).
 * 0, or -1 (*out NULL) when the core does not load. */
PR_WARN_UNUSED int cm_definition_load_core(const uint8_t *core, size_t len,
                                           const uint8_t hash[PR_HASH_BYTES], cm_definition **out);

/* Frees a definition; NULL is allowed. */
void cm_definition_free(cm_definition *def);

/* Lookups by id (O(log n)); return the index or (size_t)-1 when absent. */
size_t cm_find_precinct(const cm_definition *def, const char *id);
size_t cm_find_contest(const cm_definition *def, const char *id);
size_t cm_find_area(const cm_definition *def, const char *id);
size_t cm_find_party(const cm_definition *def, const char *id);

/* 1 if precinct index p takes part in contest index c, else 0. */
int cm_precinct_in_contest(const cm_definition *def, size_t p, size_t c);

#endif
