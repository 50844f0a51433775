/*
 * fileio.h: the few file operations both programs need, done the careful
 * way: bounded whole-file reads that refuse devices and folders, exclusive
 * creation (O_EXCL, mode chosen by the caller), atomic replace (temp file,
 * fsync, rename), and escaping of names and free text for printing.
 */
#ifndef COMMON_FILEIO_H
#define COMMON_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/codec.h"

/* Reads a regular file (symlinks followed only if follow != 0) of at most
 * max bytes. On success returns 0, *out is a malloc'd buffer with a NUL
 * after the data (caller frees), *len its size.
 * Returns -1 on a read error (errno set, d->msg says why), -2 when the file
 * is larger than max: then *out holds its first max + 1 bytes, *len is
 * max + 1 and *full_size (if not NULL) its size from fstat; -3 when it is
 * not a regular file (folder, device, FIFO, socket, or a symlink with
 * follow == 0). path "-" is not special here. */
int cm_read_file(const char *path, size_t max, int follow, uint8_t **out, size_t *len,
                 uint64_t *full_size, pr_diag *d);

/* Reads all of an open descriptor (a pipe or stdin) up to max bytes;
 * same results as cm_read_file (-2: more than max bytes available). */
int cm_read_fd(int fd, size_t max, uint8_t **out, size_t *len, pr_diag *d);

/* Creates path with O_CREAT|O_EXCL|O_NOFOLLOW and the given mode, writes
 * all bytes, fsyncs and closes. 0, or -1 with errno set (EEXIST when the
 * file exists: nothing is overwritten). On a write error the partial file
 * is removed. */
int cm_write_new(const char *path, const void *data, size_t len, mode_t mode);

/* Escapes s for one-line output (DESIGN 10): backslash as \\; space,
 * control bytes, DEL, C1 controls, bidirectional controls, U+2028/U+2029,
 * U+FEFF, noncharacters and bytes that are not valid UTF-8 as \xNN per byte;
 * printable UTF-8 as is (so no byte that a terminal interprets passes). Writes a
 * NUL-terminated string into out (truncated to outlen - 1 bytes at a whole
 * escape). Returns out. */
char *cm_escape(const char *s, char *out, size_t outlen);

/* cm_escape for a message that is already one sentence: the same, except
 * that spaces stay spaces. */
char *cm_escape_text(const char *s, char *out, size_t outlen);

#endif
