/*
 * args.c: the long-option parser of args.h. Strict on purpose: an unknown
 * option is a usage error rather than an operand, so a typo never turns
 * into a file name that central would then try to import.
 */
#include "args.h"

#include <string.h>

void ct_args_init(ct_args *a, int argc, char **argv, int first)
{
    a->argc = argc;
    a->argv = argv;
    a->i = first;
    a->operands_only = 0;
}

int ct_args_next(ct_args *a, const ct_optspec *specs, int *opt, const char **value, ct_err *e)
{
    const char *arg, *eq;
    size_t namelen;
    int k, rc = 0;

    *opt = -1;
    *value = NULL;
    if (a->i >= a->argc)
        goto out;
    arg = a->argv[a->i++];
    if (!a->operands_only && strcmp(arg, "--") == 0) {
        a->operands_only = 1;
        rc = ct_args_next(a, specs, opt, value, e);
        goto out;
    }
    if (a->operands_only || arg[0] != '-' || strcmp(arg, "-") == 0) {
        *value = arg;
        rc = 2;
        goto out;
    }
    if (arg[1] != '-') {
        ct_err_set(e, CT_EXIT_USAGE, arg, "unknown option (options are --long)");
        rc = -1;
        goto out;
    }
    arg += 2;
    eq = strchr(arg, '=');
    namelen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    for (k = 0; specs[k].name != NULL; k++) {
        if (strlen(specs[k].name) == namelen && memcmp(specs[k].name, arg, namelen) == 0)
            break;
    }
    if (specs[k].name == NULL) {
        ct_err_set(e, CT_EXIT_USAGE, arg - 2, "unknown option");
        rc = -1;
        goto out;
    }
    if (specs[k].has_arg) {
        if (eq != NULL) {
            *value = eq + 1;
        } else if (a->i < a->argc) {
            *value = a->argv[a->i++];
        } else {
            ct_err_set(e, CT_EXIT_USAGE, arg - 2, "needs a value");
            rc = -1;
            goto out;
        }
    } else if (eq != NULL) {
        ct_err_set(e, CT_EXIT_USAGE, arg - 2, "takes no value");
        rc = -1;
        goto out;
    }
    *opt = k;
    rc = 1;
out:
    return rc;
}

int ct_parse_uint(const char *s, long long max, long long *out)
{
    long long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v > (max - (*s - '0')) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}
