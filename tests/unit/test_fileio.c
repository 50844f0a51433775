/*
 * test_fileio.c: careful file access (DESIGN 9: regular files only, no
 * symlinks followed, over-64-KiB files kept as their first max + 1 bytes;
 * outputs opened with O_EXCL) and one-line escaping (DESIGN 10).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fileio.h"

/* A fresh folder per test, removed with everything in it afterwards. */
typedef struct fixture {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    const char *tmp = getenv("TMPDIR");

    if (fx == NULL)
        return -1;
    (void)snprintf(fx->dir, sizeof fx->dir, "%s/fileio-XXXXXX",
                   tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[128];

    (void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

static void path_in(const fixture *fx, const char *name, char out[128])
{
    (void)snprintf(out, 128, "%s/%s", fx->dir, name);
}

static void put(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_read_regular_file(void **state)
{
    fixture *fx = *state;
    char p[128];
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d;

    path_in(fx, "a", p);
    put(p, "hello\0world", 11);
    assert_int_equal(cm_read_file(p, 64, 0, &buf, &len, NULL, &d), 0);
    assert_int_equal(len, 11);
    assert_memory_equal(buf, "hello\0world", 11);
    assert_int_equal(buf[11], 0); /* NUL after the data */
    free(buf);
    /* an empty file is a file */
    path_in(fx, "empty", p);
    put(p, "", 0);
    assert_int_equal(cm_read_file(p, 64, 0, &buf, &len, NULL, &d), 0);
    assert_int_equal(len, 0);
    assert_int_equal(buf[0], 0);
    free(buf);
}

static void test_read_size_limit_boundary(void **state)
{
    fixture *fx = *state;
    char p[128], *data = malloc(70000);
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t full = 0;
    pr_diag d;

    assert_non_null(data);
    memset(data, 'x', 70000);
    data[65536] = 'y';
    path_in(fx, "max", p);
    put(p, data, 65536);
    assert_int_equal(cm_read_file(p, 65536, 0, &buf, &len, &full, &d), 0);
    assert_int_equal(len, 65536);
    free(buf);
    /* one byte over: the first max + 1 bytes and the real size come back */
    path_in(fx, "over", p);
    put(p, data, 70000);
    assert_int_equal(cm_read_file(p, 65536, 0, &buf, &len, &full, &d), -2);
    assert_int_equal(len, 65537);
    assert_int_equal(full, 70000);
    assert_int_equal(buf[65536], 'y');
    assert_string_equal(d.msg, "larger than 65536 bytes");
    free(buf);
    free(data);
}

static void test_read_refuses_non_regular(void **state)
{
    fixture *fx = *state;
    char p[128];
    uint8_t *buf = (uint8_t *)1;
    size_t len = 0;
    pr_diag d;

    /* decided by fstat before any read: these would never end */
    assert_int_equal(cm_read_file("/dev/zero", 65536, 1, &buf, &len, NULL, &d), -3);
    assert_null(buf);
    assert_string_equal(d.msg, "not a regular file");
    assert_int_equal(cm_read_file(fx->dir, 65536, 1, &buf, &len, NULL, &d), -3);
    path_in(fx, "fifo", p);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(cm_read_file(p, 65536, 1, &buf, &len, NULL, &d), -3);
}

static void test_read_symlink_only_when_asked(void **state)
{
    fixture *fx = *state;
    char target[128], link[128];
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d;

    path_in(fx, "target", target);
    path_in(fx, "link", link);
    put(target, "data", 4);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(cm_read_file(link, 64, 0, &buf, &len, NULL, &d), -3);
    assert_string_equal(d.msg, "not a regular file (a symbolic link)");
    assert_int_equal(cm_read_file(link, 64, 1, &buf, &len, NULL, &d), 0);
    assert_int_equal(len, 4);
    free(buf);
}

static void test_read_missing_file(void **state)
{
    fixture *fx = *state;
    char p[128];
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d;

    path_in(fx, "nothing", p);
    errno = 0;
    assert_int_equal(cm_read_file(p, 64, 0, &buf, &len, NULL, &d), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(d.msg, strerror(ENOENT));
    assert_null(buf);
}

static void test_read_fd_pipe(void **state)
{
    int fds[2];
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d;
    (void)state;

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "abcdef", 6), 6);
    assert_int_equal(close(fds[1]), 0);
    assert_int_equal(cm_read_fd(fds[0], 6, &buf, &len, &d), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, "abcdef", 7);
    free(buf);
    assert_int_equal(close(fds[0]), 0);

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "abcdefg", 7), 7);
    assert_int_equal(close(fds[1]), 0);
    assert_int_equal(cm_read_fd(fds[0], 6, &buf, &len, &d), -2);
    assert_int_equal(len, 7);
    free(buf);
    assert_int_equal(close(fds[0]), 0);
}

static void test_write_new_is_exclusive(void **state)
{
    fixture *fx = *state;
    char p[128], link[128];
    struct stat st;
    uint8_t *buf = NULL;
    size_t len = 0;
    pr_diag d;
    mode_t old = umask(0);

    path_in(fx, "secret", p);
    assert_int_equal(cm_write_new(p, "key", 3, 0600), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* never overwritten */
    errno = 0;
    assert_int_equal(cm_write_new(p, "other", 5, 0600), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(cm_read_file(p, 64, 0, &buf, &len, NULL, &d), 0);
    assert_memory_equal(buf, "key", 3);
    assert_int_equal(len, 3);
    free(buf);
    /* nor written through a symlink, even a dangling one */
    path_in(fx, "dangling", link);
    assert_int_equal(symlink("/nonexistent/victim", link), 0);
    assert_int_equal(cm_write_new(link, "x", 1, 0644), -1);
    assert_int_equal(errno, EEXIST);
    /* the caller's mode is used */
    path_in(fx, "public", p);
    assert_int_equal(cm_write_new(p, "", 0, 0644), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(st.st_size, 0);
    (void)umask(old);
}

static void test_escape_for_one_line(void **state)
{
    char out[64];
    (void)state;

    assert_string_equal(cm_escape("plain-name.txt", out, sizeof out), "plain-name.txt");
    assert_string_equal(cm_escape("a b", out, sizeof out), "a\\x20b");
    assert_string_equal(cm_escape("back\\slash", out, sizeof out), "back\\\\slash");
    assert_string_equal(cm_escape("new\nline\ttab\x7f\x01", out, sizeof out),
                        "new\\x0aline\\x09tab\\x7f\\x01");
    /* UTF-8 passes through as is */
    assert_string_equal(cm_escape("Алматы", out, sizeof out), "Алматы");
    assert_string_equal(cm_escape("", out, sizeof out), "");
    /* Nothing a terminal interprets passes: invalid UTF-8, the 8-bit CSI
     * byte, U+009B, a bidi override. */
    assert_string_equal(cm_escape("bad\xff.return", out, sizeof out), "bad\\xff.return");
    assert_string_equal(cm_escape("raw\x9b" "31m", out, sizeof out), "raw\\x9b31m");
    assert_string_equal(cm_escape("c1\xc2\x9b", out, sizeof out), "c1\\xc2\\x9b");
    assert_string_equal(cm_escape("rtl\xe2\x80\xae", out, sizeof out), "rtl\\xe2\\x80\\xae");
}

static void test_escape_truncates_at_whole_escape(void **state)
{
    char out[8];
    (void)state;

    /* "ab" + "\x20" is 6 bytes, the next escape would not fit in 7 */
    assert_string_equal(cm_escape("ab  cd", out, sizeof out), "ab\\x20");
    assert_string_equal(cm_escape("abcdefghij", out, sizeof out), "abcdefg");
    assert_string_equal(cm_escape("abcdef\\", out, sizeof out), "abcdef");
    assert_string_equal(cm_escape("x", out, 1), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_regular_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_size_limit_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_refuses_non_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_symlink_only_when_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_missing_file, setup, teardown),
        cmocka_unit_test(test_read_fd_pipe),
        cmocka_unit_test_setup_teardown(test_write_new_is_exclusive, setup, teardown),
        cmocka_unit_test(test_escape_for_one_line),
        cmocka_unit_test(test_escape_truncates_at_whole_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
