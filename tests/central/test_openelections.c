/*
 * test_openelections.c: the field quoting of `central tally --format
 * openelections` (docs/OPENELECTIONS.md): RFC 4180, a field is quoted only
 * when it holds a comma, a double quote, CR or LF, inner quotes doubled.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "openelections.h"

/* The bytes ct_oe_field writes for v, into buf. */
static void field(const char *v, char *buf, size_t len)
{
    FILE *f = tmpfile();
    size_t n;

    assert_non_null(f);
    ct_oe_field(f, v);
    rewind(f);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_quoting(void **state)
{
    char buf[256];

    (void)state;
    field("Nūrbek Jandäuletov", buf, sizeof buf);
    assert_string_equal(buf, "Nūrbek Jandäuletov");
    field("Smith, John", buf, sizeof buf);
    assert_string_equal(buf, "\"Smith, John\"");
    field("John \"Jack\" Smith", buf, sizeof buf);
    assert_string_equal(buf, "\"John \"\"Jack\"\" Smith\"");
    field("two\nlines", buf, sizeof buf);
    assert_string_equal(buf, "\"two\nlines\"");
    field("cr\rhere", buf, sizeof buf);
    assert_string_equal(buf, "\"cr\rhere\"");
    field("", buf, sizeof buf);
    assert_string_equal(buf, "");
    field(NULL, buf, sizeof buf);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_quoting)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
