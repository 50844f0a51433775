/*
 * qr.c: `central import --qr` (qr.h). A scan is decoded to grey here (PNG
 * through libpng's simplified reader, JPEG through libjpeg), zbar finds the
 * QR codes in binary mode, and the one payload goes down the same path as a
 * file given on the command line (ct_import_bytes), named by the image.
 */
#include "qr.h"

#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <zbar.h>

#include "common/fileio.h"

void ct_grey_free(ct_grey *g)
{
    if (g != NULL) {
        free(g->px);
        memset(g, 0, sizeof *g);
    }
}

void ct_qr_codes_free(ct_qr_codes *c)
{
    if (c != NULL) {
        for (size_t i = 0; i < c->n && i < CT_QR_CODES_MAX; i++)
            free(c->bytes[i]);
        memset(c, 0, sizeof *c);
    }
}

/* BT.601 luma in integers, then laid over white by its alpha. */
static uint8_t grey_of(unsigned r, unsigned g, unsigned b, unsigned a)
{
    unsigned y = (77u * r + 150u * g + 29u * b + 128u) >> 8;
    return (uint8_t)((y * a + 255u * (255u - a) + 127u) / 255u);
}

/* 1 when width x height is a picture we are willing to hold. */
static int size_ok(uint64_t w, uint64_t h)
{
    return w > 0 && h > 0 && w * h <= CT_QR_PIXELS_MAX;
}

static int decode_png(const uint8_t *buf, size_t len, ct_grey *g, ct_err *e)
{
    png_image img;
    uint8_t *rgba = NULL;
    int rc = -1;

    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, buf, len)) {
        ct_err_set(e, CT_EXIT_IO, NULL, "not a readable PNG image: %s", img.message);
        goto out;
    }
    if (!size_ok(img.width, img.height)) {
        ct_err_set(e, CT_EXIT_IO, NULL, "PNG image of %lux%lu pixels is larger than %u pixels",
                   (unsigned long)img.width, (unsigned long)img.height, CT_QR_PIXELS_MAX);
        goto out;
    }
    /* libpng expands palettes, grey, 16-bit and tRNS to 8-bit RGBA. */
    img.format = PNG_FORMAT_RGBA;
    rgba = malloc(PNG_IMAGE_SIZE(img));
    g->px = malloc((size_t)img.width * img.height);
    if (rgba == NULL || g->px == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory for a %lux%lu image",
                   (unsigned long)img.width, (unsigned long)img.height);
        goto out;
    }
    if (!png_image_finish_read(&img, NULL, rgba, 0, NULL)) {
        ct_err_set(e, CT_EXIT_IO, NULL, "damaged PNG image: %s", img.message);
        goto out;
    }
    g->width = img.width;
    g->height = img.height;
    for (size_t i = 0; i < (size_t)img.width * img.height; i++)
        g->px[i] = grey_of(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]);
    rc = 0;
out:
    png_image_free(&img);
    free(rgba);
    if (rc != 0)
        ct_grey_free(g);
    return rc;
}

/* libjpeg reports errors by calling error_exit, which must not return:
 * we jump back into decode_jpeg with the message kept. */
typedef struct jpeg_fail {
    struct jpeg_error_mgr pub;  /* first: libjpeg sees only this */
    jmp_buf back;
    char msg[JMSG_LENGTH_MAX];
} jpeg_fail;

static void jpeg_error_exit(j_common_ptr ci)
{
    jpeg_fail *f = (jpeg_fail *)(void *)ci->err;
    (*ci->err->format_message)(ci, f->msg);
    longjmp(f->back, 1);
}

/* Warnings (a truncated scan, say) are not printed: if the picture still
 * holds a code, it is read; if not, "no readable QR code" says enough. */
static void jpeg_quiet(j_common_ptr ci, int level)
{
    (void)ci;
    (void)level;
}

static int decode_jpeg(const uint8_t *buf, size_t len, ct_grey *g, ct_err *e)
{
    struct jpeg_decompress_struct ci;
    jpeg_fail f;
    /* Changed between setjmp and a longjmp back: volatile (C17 7.13.2.1). */
    uint8_t *volatile row = NULL;
    volatile int created = 0, rc = -1;

    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&f.pub);
    f.pub.error_exit = jpeg_error_exit;
    f.pub.emit_message = jpeg_quiet;
    f.msg[0] = '\0';
    if (setjmp(f.back) != 0) {
        ct_err_set(e, CT_EXIT_IO, NULL, "not a readable JPEG image: %s", f.msg);
        goto out;
    }
    jpeg_create_decompress(&ci);
    created = 1;
    jpeg_mem_src(&ci, buf, (unsigned long)len);
    (void)jpeg_read_header(&ci, TRUE);
    if (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK) {
        ct_err_set(e, CT_EXIT_IO, NULL, "CMYK JPEG images are not read: scan in colour or grey");
        goto out;
    }
    ci.out_color_space = ci.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    if (!size_ok(ci.image_width, ci.image_height)) {
        ct_err_set(e, CT_EXIT_IO, NULL, "JPEG image of %ux%u pixels is larger than %u pixels",
                   ci.image_width, ci.image_height, CT_QR_PIXELS_MAX);
        goto out;
    }
    (void)jpeg_start_decompress(&ci);
    if (ci.output_components != 1 && ci.output_components != 3) {
        ct_err_set(e, CT_EXIT_IO, NULL, "JPEG with %d colour components is not read",
                   ci.output_components);
        goto out;
    }
    row = malloc((size_t)ci.output_width * (size_t)ci.output_components);
    g->px = malloc((size_t)ci.output_width * ci.output_height);
    if (row == NULL || g->px == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "out of memory for a %ux%u image", ci.output_width,
                   ci.output_height);
        goto out;
    }
    g->width = ci.output_width;
    g->height = ci.output_height;
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW rows[1] = {row};
        size_t y = ci.output_scanline;
        if (jpeg_read_scanlines(&ci, rows, 1) != 1)
            break;
        uint8_t *dst = g->px + y * g->width;
        for (size_t x = 0; x < g->width; x++)
            dst[x] = ci.output_components == 1
                         ? row[x]
                         : grey_of(row[3 * x], row[3 * x + 1], row[3 * x + 2], 255u);
    }
    (void)jpeg_finish_decompress(&ci);
    rc = 0;
out:
    if (created)
        jpeg_destroy_decompress(&ci);
    free(row);
    if (rc != 0)
        ct_grey_free(g);
    return rc;
}

int ct_grey_decode(const uint8_t *buf, size_t len, ct_grey *g, ct_err *e)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int rc = -1;

    memset(g, 0, sizeof *g);
    if (len >= 8 && memcmp(buf, png_sig, 8) == 0)
        rc = decode_png(buf, len, g, e);
    else if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
        rc = decode_jpeg(buf, len, g, e);
    else
        ct_err_set(e, CT_EXIT_IO, NULL, "not a PNG or JPEG image");
    return rc;
}

int ct_qr_scan(const ct_grey *g, ct_qr_codes *c, ct_err *e)
{
    zbar_image_scanner_t *sc = NULL;
    zbar_image_t *im = NULL;
    int rc = -1;

    memset(c, 0, sizeof *c);
    sc = zbar_image_scanner_create();
    im = zbar_image_create();
    if (sc == NULL || im == NULL) {
        ct_err_set(e, CT_EXIT_IO, NULL, "zbar: cannot start the scanner");
        goto out;
    }
    /* QR codes only, and their bytes as they are: without BINARY zbar
     * guesses a character set and converts to UTF-8, which would change a
     * signed return's bytes. */
    (void)zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    (void)zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    (void)zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_BINARY, 1);
    (void)zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
    zbar_image_set_format(im, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(im, g->width, g->height);
    zbar_image_set_data(im, g->px, (unsigned long)g->width * g->height, NULL);
    if (zbar_scan_image(sc, im) < 0) {
        ct_err_set(e, CT_EXIT_IO, NULL, "zbar: the image could not be scanned");
        goto out;
    }
    for (const zbar_symbol_t *s = zbar_image_first_symbol(im); s != NULL;
         s = zbar_symbol_next(s)) {
        const char *data = zbar_symbol_get_data(s);
        size_t n = zbar_symbol_get_data_length(s), i;
        if (zbar_symbol_get_type(s) != ZBAR_QRCODE || data == NULL)
            continue;
        for (i = 0; i < c->n && i < CT_QR_CODES_MAX; i++)
            if (c->len[i] == n && memcmp(c->bytes[i], data, n) == 0)
                break;
        if (i < c->n)
            continue; /* the same payload twice: one return */
        if (c->n < CT_QR_CODES_MAX) {
            c->bytes[c->n] = malloc(n + 1);
            if (c->bytes[c->n] == NULL) {
                ct_err_set(e, CT_EXIT_IO, NULL, "out of memory");
                goto out;
            }
            memcpy(c->bytes[c->n], data, n);
            c->bytes[c->n][n] = 0;
            c->len[c->n] = n;
        }
        c->n++;
    }
    rc = 0;
out:
    if (im != NULL) {
        zbar_image_set_data(im, NULL, 0, NULL); /* the pixels are g's */
        zbar_image_destroy(im);
    }
    if (sc != NULL)
        zbar_image_scanner_destroy(sc);
    if (rc != 0)
        ct_qr_codes_free(c);
    return rc;
}

/* Prints `unreadable NAME [why]` and the error on stderr; exit 3. */
static void unreadable(FILE *out, FILE *err, const ct_import_opts *o, const char *name,
                       const char *code_word, const char *why, int *code)
{
    ct_item_result res;
    ct_err e;

    memset(&res, 0, sizeof res);
    res.kind = CT_ITEM_UNREADABLE;
    snprintf(res.why, sizeof res.why, "%s", code_word != NULL ? code_word : "");
    snprintf(res.detail, sizeof res.detail, "%.*s", (int)sizeof res.detail - 1, why);
    ct_err_set(&e, CT_EXIT_IO, name, "%s", why);
    ct_err_print(&e, err);
    ct_print_item(out, o, name, &res);
    *code = ct_exit_max(*code, CT_EXIT_IO);
}

int ct_qr_import_paths(ct_db *db, const char *const *paths, size_t n, const ct_import_opts *o,
                       FILE *out, FILE *err)
{
    int code = CT_EXIT_OK;
    ct_err e;

    memset(&e, 0, sizeof e);
    for (size_t i = 0; i < n; i++) {
        const char *p = paths[i];
        uint8_t *buf = NULL;
        size_t len = 0;
        pr_diag d = {0, ""};
        ct_grey g = {0, 0, NULL};
        ct_qr_codes c;
        int r, stop = 0;

        memset(&c, 0, sizeof c);
        r = cm_read_file(p, CT_QR_FILE_MAX, 1, &buf, &len, NULL, &d);
        if (r == -1) {
            unreadable(out, err, o, p, NULL, d.msg[0] ? d.msg : strerror(errno), &code);
        } else if (r == -2) {
            unreadable(out, err, o, p, NULL, "larger than 64 MiB: not an image this reads", &code);
        } else if (r == -3) {
            unreadable(out, err, o, p, NULL, "not a regular file (--qr takes image files)", &code);
        } else if (ct_grey_decode(buf, len, &g, &e) != 0 || ct_qr_scan(&g, &c, &e) != 0) {
            unreadable(out, err, o, p, NULL, e.why, &code);
        } else if (c.n == 0) {
            unreadable(out, err, o, p, "no-qr-code",
                       "no readable QR code in the image: scan it again, sharper or larger",
                       &code);
        } else if (c.n > 1) {
            ct_item_result res;
            memset(&res, 0, sizeof res);
            res.kind = CT_ITEM_SECRET; /* printed as `refused` */
            snprintf(res.why, sizeof res.why, "several-qr-codes");
            ct_err_set(&e, CT_EXIT_FAIL, p,
                       "%zu QR codes with different contents in one image: nothing imported; "
                       "scan one protocol per image",
                       c.n);
            ct_err_print(&e, err);
            ct_print_item(out, o, p, &res);
            code = ct_exit_max(code, CT_EXIT_FAIL);
        } else if (ct_import_bytes(db, p, c.bytes[0], c.len[0], o, out, err, &code, &e) != 0) {
            /* A database error: stop, as import of files does. */
            ct_err_print(&e, err);
            code = ct_exit_max(code, e.code != 0 ? e.code : CT_EXIT_IO);
            stop = 1;
        }
        free(buf);
        ct_grey_free(&g);
        ct_qr_codes_free(&c);
        if (stop)
            break;
    }
    return code;
}
