/*
 * commands.h: central's commands. Each parses its own arguments, prints
 * results to out and `central: what: why` errors to err, and returns the
 * exit code (DESIGN 11); none exits, so tests run them in-process.
 */
#ifndef CENTRAL_COMMANDS_H
#define CENTRAL_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ct_db;
struct ct_err;

/* The whole program: `central <command> ...`, --help, --version. */
int ct_main(int argc, char **argv, FILE *out, FILE *err);

/* 1 when command `name` decides (writes events and prints a line after
 * each commit: import, enroll, revoke, resolve, excuse, amend-definition,
 * certify), 0 for any other name, unknown ones and NULL included. main()
 * line-buffers stdout for those (DESIGN 10) and fully buffers it for the
 * rest. */
int ct_command_decides(const char *name);

/* argv[0] is the command name. */
int ct_cmd_keygen(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_sign_definition(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_init(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_enroll(int argc, char **argv, FILE *out, FILE *err);
/* The signature work of `central enroll` on n requests (each request's
 * proof of possession and key point), started in the background by
 * ct_enroll_check_start so that it runs while the caller does other work
 * (issue 8: audit checks the next group of enrolments while it writes
 * one). bufs and lens must stay alive and unchanged until the check is
 * given to ct_enroll_requests or freed. NULL when nothing was started (n
 * 0, out of memory): ct_enroll_requests then does the work itself. */
typedef struct ct_enroll_check ct_enroll_check;
ct_enroll_check *ct_enroll_check_start(size_t n, uint8_t *const *bufs, const size_t *lens);
/* Waits for c's threads and frees it. NULL is a no-op. */
void ct_enroll_check_free(ct_enroll_check *c);
/* What `central enroll` does with n requests already in memory (bufs[i] of
 * lens[i] bytes, named names[i] in messages), in one transaction on db:
 * one `enrolled`/`already-enrolled`/`refused` line each on out, *code
 * raised to 1 for a refusal. pre: the signature work started on exactly
 * these n, bufs and lens (ct_enroll_check_start; waited for here, still
 * the caller's to free), or NULL (done here, on every core). For `central
 * audit`'s replay of a group of enrolments (no temporary files). 0, or -1
 * with e on a database error. */
int ct_enroll_requests(struct ct_db *db, size_t n, const char *const *names, uint8_t *const *bufs,
                       const size_t *lens, ct_enroll_check *pre, FILE *out, int *code,
                       struct ct_err *e);
int ct_cmd_import(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_status(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_tally(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_define(int argc, char **argv, FILE *out, FILE *err); /* define.c */
int ct_cmd_revoke(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_review(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_resolve(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_excuse(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_amend_definition(int argc, char **argv, FILE *out, FILE *err);
/* audit.c: replays the event log and compares; exit 1 on any difference. */
int ct_cmd_audit(int argc, char **argv, FILE *out, FILE *err);
/* bundle.c: writes the database's content as a bundle of plain files. */
int ct_cmd_export(int argc, char **argv, FILE *out, FILE *err);
/* compare.c: a published results table against the tally and its own
 * counts (docs/COMPARE.md); exit 1 when any printed number differs. */
int ct_cmd_compare(int argc, char **argv, FILE *out, FILE *err);
/* Issue 5: freeze.c `keys` (list; --freeze: the signed key list),
 * certify.c `certify`, receipt.c `receipt --print` (the courier's slip). */
int ct_cmd_keys(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_certify(int argc, char **argv, FILE *out, FILE *err);
int ct_cmd_receipt(int argc, char **argv, FILE *out, FILE *err);

/* Prints `central: <what>: <why>` and the command's usage line to err;
 * returns CT_EXIT_USAGE. */
int ct_usage_error(FILE *err, const char *usage, const char *what, const char *why);

#endif
