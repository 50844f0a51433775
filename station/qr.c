/*
 * qr.c: one QR code per signed return (qr.h). libqrencode makes the symbol;
 * the renderings are ours: SVG text, a PNG through libpng's simplified
 * writer, and terminal half blocks.
 */
#include "qr.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

int st_qr_encode(const uint8_t *data, size_t len, st_qr *qr)
{
    QRcode *code = NULL;
    int rc = -1;

    memset(qr, 0, sizeof *qr);
    if (len > ST_QR_MAX_BYTES || len == 0) {
        rc = -2;
        goto out;
    }
    /* QRcode_encodeData is 8-bit (byte) mode throughout and writes no ECI
     * header: the scanner hands back exactly these bytes. */
    errno = 0;
    code = QRcode_encodeData((int)len, data, 0, QR_ECLEVEL_M);
    if (code == NULL) {
        rc = errno == ERANGE ? -2 : -1;
        goto out;
    }
    if (code->width <= 0 || code->width > 177) /* 177: version 40 */
        goto out;
    qr->width = (size_t)code->width;
    qr->version = code->version;
    qr->dark = malloc(qr->width * qr->width);
    if (qr->dark == NULL)
        goto out;
    /* Bit 0 of each libqrencode byte is the module's colour. */
    for (size_t i = 0; i < qr->width * qr->width; i++)
        qr->dark[i] = (uint8_t)(code->data[i] & 1u);
    rc = 0;
out:
    if (rc != 0)
        st_qr_free(qr);
    QRcode_free(code);
    return rc;
}

void st_qr_free(st_qr *qr)
{
    if (qr != NULL) {
        free(qr->dark);
        memset(qr, 0, sizeof *qr);
    }
}

/* 1 when module (x, y) is dark; coordinates include the quiet zone q, so
 * anything outside the symbol is light. */
static int dark_at(const st_qr *qr, size_t q, size_t x, size_t y)
{
    int inside = x >= q && y >= q && x - q < qr->width && y - q < qr->width;
    return inside && qr->dark[(y - q) * qr->width + (x - q)] != 0;
}

int st_qr_svg(const st_qr *qr, const char *size_css, pr_buf *out)
{
    size_t side = qr->width + 2 * ST_QR_QUIET;

    pr_buf_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %zu %zu\" "
                  "width=\"%s\" height=\"%s\" shape-rendering=\"crispEdges\" role=\"img\" "
                  "aria-label=\"QR code of the signed return\">"
                  "<rect width=\"%zu\" height=\"%zu\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                  side, side, size_css, size_css, side, side);
    /* One horizontal run of dark modules per subpath keeps the page small. */
    for (size_t y = 0; y < qr->width; y++) {
        size_t x = 0;
        while (x < qr->width) {
            if (!qr->dark[y * qr->width + x]) {
                x++;
                continue;
            }
            size_t run = 0;
            while (x + run < qr->width && qr->dark[y * qr->width + x + run])
                run++;
            pr_buf_printf(out, "M%zu %zuh%zuv1h-%zuz", x + ST_QR_QUIET, y + ST_QR_QUIET, run,
                          run);
            x += run;
        }
    }
    pr_buf_printf(out, "\"/></svg>");
    return out->failed ? -1 : 0;
}

int st_qr_png(const st_qr *qr, unsigned scale, uint8_t **png, size_t *len)
{
    png_image img;
    uint8_t *pixels = NULL, *mem = NULL;
    png_alloc_size_t size = 0;
    size_t side = 0, px = 0;
    int rc = -1;

    *png = NULL;
    *len = 0;
    memset(&img, 0, sizeof img);
    if (scale == 0 || scale > ST_QR_PNG_SCALE_MAX)
        goto out;
    side = qr->width + 2 * ST_QR_QUIET;
    px = side * scale; /* at most 185 * 32: no overflow */
    pixels = malloc(px * px);
    if (pixels == NULL)
        goto out;
    for (size_t y = 0; y < px; y++)
        for (size_t x = 0; x < px; x++)
            pixels[y * px + x] = dark_at(qr, ST_QR_QUIET, x / scale, y / scale) ? 0 : 255;

    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)px;
    img.height = (png_uint_32)px;
    img.format = PNG_FORMAT_GRAY;
    /* First call sizes the output, second writes it. */
    if (!png_image_write_to_memory(&img, NULL, &size, 0, pixels, (png_int_32)px, NULL) ||
        size == 0)
        goto out;
    mem = malloc(size);
    if (mem == NULL)
        goto out;
    if (!png_image_write_to_memory(&img, mem, &size, 0, pixels, (png_int_32)px, NULL))
        goto out;
    *png = mem;
    *len = size;
    mem = NULL;
    rc = 0;
out:
    png_image_free(&img);
    free(mem);
    free(pixels);
    return rc;
}

void st_qr_terminal(FILE *f, const st_qr *qr, int colour)
{
    size_t q = ST_QR_QUIET_TERMINAL, side = qr->width + 2 * q;

    if (!colour) {
        for (size_t y = 0; y < side; y++) {
            for (size_t x = 0; x < side; x++)
                fputs(dark_at(qr, q, x, y) ? "##" : "  ", f);
            fputc('\n', f);
        }
    } else {
        /* Black on bright white whatever the terminal's own colours, two
         * module rows per line: U+2580 upper half, U+2584 lower, U+2588. */
        for (size_t y = 0; y < side; y += 2) {
            fputs("\033[30;107m", f);
            for (size_t x = 0; x < side; x++) {
                int top = dark_at(qr, q, x, y), bottom = y + 1 < side && dark_at(qr, q, x, y + 1);
                fputs(top && bottom ? "\xe2\x96\x88"
                      : top         ? "\xe2\x96\x80"
                      : bottom      ? "\xe2\x96\x84"
                                    : " ",
                      f);
            }
            fputs("\033[0m\n", f);
        }
    }
}
