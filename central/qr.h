/*
 * qr.h: `central import --qr`: reading the QR code of a printed protocol
 * from a PNG or JPEG scan (libpng, libjpeg, zbar with binary data passed
 * unchanged) and importing the bytes it carries exactly as a file.
 */
#ifndef CENTRAL_QR_H
#define CENTRAL_QR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ct.h"
#include "db.h"
#include "import.h"

/* Largest image file read, and largest picture decoded (pixels): a
 * 600 dpi A4 page is about 35 megapixels. */
#define CT_QR_FILE_MAX (64u * 1024u * 1024u)
#define CT_QR_PIXELS_MAX (80u * 1000u * 1000u)
/* Distinct codes kept per image (more are counted, not kept). */
#define CT_QR_CODES_MAX 8u

/* An 8-bit greyscale picture, row by row, 0 black .. 255 white. */
typedef struct ct_grey {
    uint32_t width, height;
    uint8_t *px;        /* width * height bytes, malloc'd */
} ct_grey;

/* The distinct QR payloads found in one picture, in scan order. */
typedef struct ct_qr_codes {
    size_t n;                           /* distinct payloads found */
    uint8_t *bytes[CT_QR_CODES_MAX];    /* each malloc'd */
    size_t len[CT_QR_CODES_MAX];
} ct_qr_codes;

/* Decodes a PNG or JPEG file held in buf[0..len) (recognised by its
 * signature, not its name) into *g (ct_grey_free). Colour is turned into
 * grey with integer BT.601 weights; transparency is laid over white.
 * 0, or -1 with e (code 3: not an image this reads, or damaged). */
int ct_grey_decode(const uint8_t *buf, size_t len, ct_grey *g, ct_err *e);
void ct_grey_free(ct_grey *g);

/* Finds every QR code in g with zbar, binary mode (ZBAR_CFG_BINARY: the
 * payload's bytes exactly, no character set guessed), and keeps the
 * distinct payloads in *c (ct_qr_codes_free). 0, or -1 with e (out of
 * memory, zbar could not start). */
int ct_qr_scan(const ct_grey *g, ct_qr_codes *c, ct_err *e);
void ct_qr_codes_free(ct_qr_codes *c);

/* Imports each image path in order (`central import --qr`): an image with
 * exactly one distinct QR payload is imported as a file named by the image
 * path (ct_import_bytes); one with none is `unreadable NAME no-qr-code`
 * (exit 3), one with different payloads `refused NAME several-qr-codes`
 * (exit 1), nothing stored for either. Returns the exit code (DESIGN 11). */
int ct_qr_import_paths(ct_db *db, const char *const *paths, size_t n, const ct_import_opts *o,
                       FILE *out, FILE *err);

#endif
