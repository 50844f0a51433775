/*
 * test_qr.c: the station's QR encoder (station/qr.c) read back by central's
 * scanner (central/qr.c): every byte value, Cyrillic, the largest payload,
 * PNG and JPEG, and the images central must refuse (issue 7, docs/QR.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jpeglib.h>
#include <png.h>

#include "qr.h"         /* central's */
#include "../../station/qr.h"

/* Encodes data with the station's encoder and renders its PNG. */
static void make_png(const uint8_t *data, size_t len, unsigned scale, uint8_t **png, size_t *n)
{
    st_qr qr;
    assert_int_equal(st_qr_encode(data, len, &qr), 0);
    assert_int_equal(st_qr_png(&qr, scale, png, n), 0);
    st_qr_free(&qr);
}

/* PNG bytes -> grey -> codes; returns the codes found. */
static void scan_bytes(const uint8_t *img, size_t n, ct_qr_codes *c)
{
    ct_grey g;
    ct_err e;
    assert_int_equal(ct_grey_decode(img, n, &g, &e), 0);
    assert_int_equal(ct_qr_scan(&g, c, &e), 0);
    ct_grey_free(&g);
}

static void round_trip(const uint8_t *data, size_t len, unsigned scale)
{
    uint8_t *png = NULL;
    size_t n = 0;
    ct_qr_codes c;
    make_png(data, len, scale, &png, &n);
    scan_bytes(png, n, &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.len[0], len);
    assert_memory_equal(c.bytes[0], data, len);
    ct_qr_codes_free(&c);
    free(png);
}

static void test_every_byte_value_passes_unchanged(void **state)
{
    uint8_t data[512];
    (void)state;
    /* Bytes a character-set guess would change: 0x80-0xff, NUL, CR. */
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    round_trip(data, sizeof data, 4);
}

static void test_russian_and_kazakh_reason_unchanged(void **state)
{
    static const char text[] =
        "precinct-return 1\n"
        "reason Пересчёт недействительных бюллетеней по решению комиссии; "
        "Комиссия шешімі бойынша қайта санау\n";
    (void)state;
    round_trip((const uint8_t *)text, strlen(text), 6);
}

static void test_largest_payload_version_40(void **state)
{
    uint8_t *data = malloc(ST_QR_MAX_BYTES);
    st_qr qr;
    (void)state;
    assert_non_null(data);
    for (size_t i = 0; i < ST_QR_MAX_BYTES; i++)
        data[i] = (uint8_t)("count registered 1000000000\n"[i % 28]);
    assert_int_equal(st_qr_encode(data, ST_QR_MAX_BYTES, &qr), 0);
    assert_int_equal(qr.version, 40);
    st_qr_free(&qr);
    round_trip(data, ST_QR_MAX_BYTES, 4);
    free(data);
}

static void test_over_capacity_is_refused(void **state)
{
    uint8_t *data = calloc(1, ST_QR_MAX_BYTES + 1);
    st_qr qr;
    (void)state;
    assert_non_null(data);
    memset(data, 'a', ST_QR_MAX_BYTES + 1);
    assert_int_equal(st_qr_encode(data, ST_QR_MAX_BYTES + 1, &qr), -2);
    assert_null(qr.dark);
    free(data);
}

/* Two symbols side by side in one grey PNG. */
static void two_codes_png(const char *a, const char *b, uint8_t **png, size_t *n)
{
    st_qr qa, qb;
    const unsigned s = 4;
    assert_int_equal(st_qr_encode((const uint8_t *)a, strlen(a), &qa), 0);
    assert_int_equal(st_qr_encode((const uint8_t *)b, strlen(b), &qb), 0);
    size_t side = (qa.width > qb.width ? qa.width : qb.width) + 8;
    size_t w = 2 * side * s, h = side * s;
    uint8_t *px = malloc(w * h);
    assert_non_null(px);
    memset(px, 255, w * h);
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            const st_qr *q = x < side * s ? &qa : &qb;
            size_t mx = (x % (side * s)) / s, my = y / s;
            if (mx >= 4 && my >= 4 && mx - 4 < q->width && my - 4 < q->width &&
                q->dark[(my - 4) * q->width + (mx - 4)])
                px[y * w + x] = 0;
        }
    png_image img;
    png_alloc_size_t size = 0;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_GRAY;
    assert_true(png_image_write_to_memory(&img, NULL, &size, 0, px, (png_int_32)w, NULL));
    *png = malloc(size);
    assert_non_null(*png);
    assert_true(png_image_write_to_memory(&img, *png, &size, 0, px, (png_int_32)w, NULL));
    *n = size;
    free(px);
    st_qr_free(&qa);
    st_qr_free(&qb);
}

static void test_two_different_codes_are_two(void **state)
{
    uint8_t *png = NULL;
    size_t n = 0;
    ct_qr_codes c;
    (void)state;
    two_codes_png("precinct-return 1\nfirst\n", "precinct-return 1\nsecond\n", &png, &n);
    scan_bytes(png, n, &c);
    assert_int_equal(c.n, 2);
    ct_qr_codes_free(&c);
    free(png);
}

static void test_same_code_twice_is_one(void **state)
{
    uint8_t *png = NULL;
    size_t n = 0;
    ct_qr_codes c;
    (void)state;
    two_codes_png("precinct-return 1\nsame\n", "precinct-return 1\nsame\n", &png, &n);
    scan_bytes(png, n, &c);
    assert_int_equal(c.n, 1);
    ct_qr_codes_free(&c);
    free(png);
}

static void test_blank_image_has_no_code(void **state)
{
    uint8_t px[64 * 64], *png = NULL;
    png_image img;
    png_alloc_size_t size = 0;
    ct_qr_codes c;
    (void)state;
    memset(px, 255, sizeof px);
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = img.height = 64;
    img.format = PNG_FORMAT_GRAY;
    assert_true(png_image_write_to_memory(&img, NULL, &size, 0, px, 64, NULL));
    png = malloc(size);
    assert_non_null(png);
    assert_true(png_image_write_to_memory(&img, png, &size, 0, px, 64, NULL));
    scan_bytes(png, size, &c);
    assert_int_equal(c.n, 0);
    free(png);
}

static void test_not_an_image_is_an_error(void **state)
{
    static const uint8_t text[] = "precinct-return 1\n";
    static const uint8_t bad_png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};
    static const uint8_t bad_jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0};
    ct_grey g;
    ct_err e;
    (void)state;
    assert_int_equal(ct_grey_decode(text, sizeof text - 1, &g, &e), -1);
    assert_non_null(strstr(e.why, "not a PNG or JPEG"));
    assert_int_equal(ct_grey_decode(bad_png, sizeof bad_png, &g, &e), -1);
    assert_null(g.px);
    assert_int_equal(ct_grey_decode(bad_jpeg, sizeof bad_jpeg, &g, &e), -1);
    assert_null(g.px);
}

/* A colour JPEG (as a phone or scanner writes) of the station's code,
 * quality 90: JPEG's blur must not matter at 8 pixels per module. */
static void test_colour_jpeg(void **state)
{
    static const char text[] = "precinct-return 1\nreason Ошибка в строке 7\n";
    st_qr qr;
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr jerr;
    unsigned char *jpg = NULL;
    unsigned long jlen = 0;
    const unsigned s = 8;
    ct_qr_codes c;
    (void)state;
    assert_int_equal(st_qr_encode((const uint8_t *)text, strlen(text), &qr), 0);
    size_t side = (qr.width + 8) * s;
    uint8_t *rgb = malloc(side * side * 3);
    assert_non_null(rgb);
    for (size_t y = 0; y < side; y++)
        for (size_t x = 0; x < side; x++) {
            size_t mx = x / s, my = y / s;
            int dark = mx >= 4 && my >= 4 && mx - 4 < qr.width && my - 4 < qr.width &&
                       qr.dark[(my - 4) * qr.width + (mx - 4)];
            /* dark blue on cream paper */
            rgb[3 * (y * side + x)] = dark ? 20 : 250;
            rgb[3 * (y * side + x) + 1] = dark ? 30 : 245;
            rgb[3 * (y * side + x) + 2] = dark ? 90 : 225;
        }
    ci.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, &jpg, &jlen);
    ci.image_width = (JDIMENSION)side;
    ci.image_height = (JDIMENSION)side;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 90, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = rgb + 3 * (size_t)ci.next_scanline * side;
        (void)jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    scan_bytes(jpg, jlen, &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.len[0], strlen(text));
    assert_memory_equal(c.bytes[0], text, strlen(text));
    ct_qr_codes_free(&c);
    free(jpg);
    free(rgb);
    st_qr_free(&qr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_byte_value_passes_unchanged),
        cmocka_unit_test(test_russian_and_kazakh_reason_unchanged),
        cmocka_unit_test(test_largest_payload_version_40),
        cmocka_unit_test(test_over_capacity_is_refused),
        cmocka_unit_test(test_two_different_codes_are_two),
        cmocka_unit_test(test_same_code_twice_is_one),
        cmocka_unit_test(test_blank_image_has_no_code),
        cmocka_unit_test(test_not_an_image_is_an_error),
        cmocka_unit_test(test_colour_jpeg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
