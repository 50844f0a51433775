/*
 * passphrase.h: reading a passphrase for an encrypted secret key, from a
 * descriptor (--passphrase-fd N, for automation) or from the terminal with
 * echo off. The passphrase lives in sodium_malloc'd memory.
 */
#ifndef COMMON_PASSPHRASE_H
#define COMMON_PASSPHRASE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/keys.h"

#define CM_PASSPHRASE_MAX 1024u

/* Reads one passphrase line (without LF or CRLF) from fd when fd >= 0,
 * else from /dev/tty with echo off after printing prompt to stderr; with
 * confirm != 0 on a terminal it asks twice and requires both to match.
 * Never prompts when fd >= 0. On success returns 0, *out is a
 * sodium_malloc'd NUL-terminated string (free with cm_passphrase_free),
 * *len its length. Returns -1 with a one-line reason in why (>= 128 bytes)
 * when: no terminal and no fd, read error, empty passphrase, longer than
 * CM_PASSPHRASE_MAX, or the two entries differ. */
int cm_passphrase_read(int fd, const char *prompt, int confirm, char **out, size_t *len,
                       char *why, size_t whylen);

/* Wipes and frees a passphrase from cm_passphrase_read; NULL ok. */
void cm_passphrase_free(char *p);

/* Loads a secret key file of the given kind into sk (64 bytes; pass a
 * sodium_malloc'd buffer). For an encrypted file the passphrase comes from
 * passphrase_fd (>= 0) or the terminal. Returns 0; on failure -1 with a
 * one-line reason in why: unreadable file, not a secret key of that kind,
 * malformed (line and rule), wrong passphrase, KDF limits refused, group- or
 * world-readable file mode is NOT an error (only a warning is the caller's
 * business). */
int cm_load_secret_key(const char *path, pr_key_kind kind, int passphrase_fd,
                       uint8_t sk[PR_SK_BYTES], char *why, size_t whylen);

#endif
