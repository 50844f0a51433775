/*
 * qr.h: the signed return as one QR code (libqrencode: byte mode, no ECI,
 * error correction level M) and its three renderings for `station print`:
 * inline SVG for the HTML page, PNG (libpng), and a terminal drawing.
 */
#ifndef STATION_QR_H
#define STATION_QR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/buf.h"
#include "proto/codec.h"

/* Most bytes one QR code holds in byte mode at level M (version 40). A
 * return longer than this is refused: it is filed as a file instead. */
#define ST_QR_MAX_BYTES 2331u
/* Light modules around the code: the standard quiet zone, and a narrower
 * one for terminals so a version-14 code still fits 80 columns. */
#define ST_QR_QUIET 4u
#define ST_QR_QUIET_TERMINAL 2u
/* Pixels per module in the PNG unless the caller asks otherwise, and the
 * largest scale accepted. */
#define ST_QR_PNG_SCALE 8u
#define ST_QR_PNG_SCALE_MAX 32u

/* A QR symbol: width x width modules, row by row, 1 = dark, 0 = light. */
typedef struct st_qr {
    int version;        /* 1..40 */
    size_t width;       /* modules per side, without the quiet zone */
    uint8_t *dark;      /* width * width bytes, malloc'd */
} st_qr;

/* Encodes data[0..len) as one QR code, byte mode without ECI, level M,
 * the smallest version that holds it. Returns 0 with *qr filled (free
 * with st_qr_free); -2 when len exceeds ST_QR_MAX_BYTES (nothing
 * allocated); -1 on another failure (out of memory). */
PR_WARN_UNUSED int st_qr_encode(const uint8_t *data, size_t len, st_qr *qr);

/* Frees a symbol's modules; safe on a zeroed or freed one. */
void st_qr_free(st_qr *qr);

/* Appends an <svg> element drawing qr with its quiet zone (black on a
 * white square; one path, crisp edges) to out, size_css being its CSS
 * width and height (e.g. "70mm"). 0, or -1 when out failed (out->failed
 * stays set, so a caller building a page may check once at the end). */
int st_qr_svg(const st_qr *qr, const char *size_css, pr_buf *out);

/* Renders qr as an 8-bit greyscale PNG, scale pixels per module with the
 * standard quiet zone. On success returns 0 and *png (malloc'd, caller
 * frees) of *len bytes; -1 on failure (*png NULL). */
PR_WARN_UNUSED int st_qr_png(const st_qr *qr, unsigned scale, uint8_t **png, size_t *len);

/* Draws qr on a terminal: with colour, upper/lower half blocks in black
 * on white, two module rows per text line; without (NO_COLOR, not a
 * terminal), two plain characters per module ("##" dark, "  " light),
 * one module row per line, which any text file or printer keeps. */
void st_qr_terminal(FILE *f, const st_qr *qr, int colour);

#endif
