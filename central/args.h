/*
 * args.h: a tiny long-option parser for central's commands (`--name value`,
 * `--name=value`, flags, `--` ends options, `-` is an operand). It keeps no
 * global state, so tests can run commands again and again in one process.
 */
#ifndef CENTRAL_ARGS_H
#define CENTRAL_ARGS_H

#include "ct.h"

typedef struct ct_optspec {
    const char *name;   /* without the leading "--" */
    int has_arg;        /* 1: takes a value */
} ct_optspec;

typedef struct ct_args {
    int argc;
    char **argv;
    int i;              /* next argv index */
    int operands_only;  /* after "--" */
} ct_args;

/* Starts parsing argv[first..argc). */
void ct_args_init(ct_args *a, int argc, char **argv, int first);

/* Next item: returns 1 for an option (*opt = its index in specs, *value
 * its value or NULL), 2 for an operand (*value), 0 at the end, -1 on a
 * usage error (e set: unknown option, missing or unexpected value).
 * specs ends with a {NULL, 0} entry. */
int ct_args_next(ct_args *a, const ct_optspec *specs, int *opt, const char **value, ct_err *e);

/* Parses a non-negative decimal int (a descriptor, a sequence number).
 * 0 on success, -1 otherwise. */
int ct_parse_uint(const char *s, long long max, long long *out);

#endif
