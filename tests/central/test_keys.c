/*
 * test_keys.c: `central keygen`, `sign-definition` and `init` (DESIGN 2,
 * 3, 5.2, 6): secret keys 0600 and never overwritten, encrypted by
 * default, an invalid definition never signed, a database only for a
 * definition whose signature verifies, and never over an existing one.
 */
#include "fixture.h"

#include "db.h"

/* A pipe holding one passphrase line; returns the read end as text. */
static void pass_fd(char out[16], const char *pass)
{
    int p[2];

    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], pass, strlen(pass)), (ssize_t)strlen(pass));
    close(p[1]);
    snprintf(out, 16, "%d", p[0]);
}

static void test_keygen_unencrypted_writes_0600_key_and_pub(void **state)
{
    struct stat sb;
    uint8_t *sk = sodium_malloc(PR_SK_BYTES), pk[PR_PK_BYTES];
    char *out = NULL, *key, *pub, kid[PR_KEYID_HEX + 1];
    size_t kl, pl;
    pr_diag d;

    (void)state;
    assert_non_null(sk);
    assert_int_equal(fx_cli(&out, NULL, "keygen", "--unencrypted", "--out", "ck", NULL), 0);
    assert_int_equal(stat("ck.key", &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    key = fx_slurp("ck.key", &kl);
    pub = fx_slurp("ck.pub", &pl);
    assert_int_equal(pr_seckey_is_encrypted(PR_KEY_COMMISSION, (uint8_t *)key, kl), 0);
    assert_int_equal(pr_seckey_parse(PR_KEY_COMMISSION, (uint8_t *)key, kl, NULL, 0, sk, &d), 0);
    assert_int_equal(pr_pubkey_parse(PR_KEY_COMMISSION, (uint8_t *)pub, pl, pk, &d), 0);
    assert_memory_equal(pk, sk + 32, PR_PK_BYTES);
    fx_kid(kid, pk);
    assert_memory_equal(out, kid, PR_KEYID_HEX);
    free(out);
    free(key);
    free(pub);
    sodium_free(sk);
}

static void test_keygen_refuses_existing_files(void **state)
{
    char *out = NULL, *err = NULL, *before, *after;

    (void)state;
    assert_int_equal(fx_cli(&out, NULL, "keygen", "--unencrypted", "--out", "ck", NULL), 0);
    free(out);
    before = fx_slurp("ck.key", NULL);
    unlink("ck.pub"); /* even with only the key there */
    assert_int_equal(fx_cli(&out, &err, "keygen", "--unencrypted", "--out", "ck", NULL), 3);
    assert_non_null(strstr(err, "ck.key"));
    after = fx_slurp("ck.key", NULL);
    assert_string_equal(before, after);
    assert_int_equal(access("ck.pub", F_OK), -1);
    free(out);
    free(err);
    free(before);
    free(after);
}

static void test_encrypted_key_signs_definition_for_init(void **state)
{
    char fd[16], *out = NULL, *err = NULL, *key;
    size_t kl;

    (void)state;
    pass_fd(fd, "correct horse battery staple\n");
    assert_int_equal(fx_cli(&out, NULL, "keygen", "--passphrase-fd", fd, "--out", "ek", NULL), 0);
    close(atoi(fd));
    free(out);
    key = fx_slurp("ek.key", &kl);
    assert_int_equal(pr_seckey_is_encrypted(PR_KEY_COMMISSION, (uint8_t *)key, kl), 1);
    free(key);
    fx_write("d2.json", fx_definition, sizeof fx_definition - 1);
    pass_fd(fd, "wrong\n");
    assert_int_equal(fx_cli(&out, &err, "sign-definition", "--key", "ek.key", "--passphrase-fd", fd,
                            "d2.json", NULL),
                     1);
    close(atoi(fd));
    assert_int_equal(access("d2.json.sig", F_OK), -1);
    free(out);
    free(err);
    pass_fd(fd, "correct horse battery staple\n");
    assert_int_equal(fx_cli(&out, &err, "sign-definition", "--key", "ek.key", "--passphrase-fd", fd,
                            "d2.json", NULL),
                     0);
    close(atoi(fd));
    free(out);
    free(err);
    assert_int_equal(fx_cli(&out, &err, "init", "--db", "d2.db", "--definition", "d2.json",
                            "--commission-pub", "ek.pub", "--mode", "test", NULL),
                     0);
    assert_int_equal(strlen(out), PR_HASH_HEX + 1);
    free(out);
    free(err);
}

static void test_sign_definition_refuses_invalid_definition(void **state)
{
    static const char bad[] = "{\"format\": \"election-definition/1\", \"extra\": 1}\n";
    char *out = NULL, *err = NULL;

    (void)state;
    assert_int_equal(fx_cli(&out, NULL, "keygen", "--unencrypted", "--out", "ck", NULL), 0);
    free(out);
    fx_write("bad.json", bad, sizeof bad - 1);
    assert_int_equal(fx_cli(&out, &err, "sign-definition", "--key", "ck.key", "bad.json", NULL), 1);
    assert_non_null(strstr(err, "central: bad.json: $"));
    assert_int_equal(access("bad.json.sig", F_OK), -1);
    free(out);
    free(err);
}

static void test_init_refuses_definition_signature_mismatch(void **state)
{
    char *out = NULL, *err = NULL;

    (void)state;
    /* def.json.sig is over the fixture's definition; change one byte. */
    fx_write("x.json", fx_definition, sizeof fx_definition - 1);
    {
        char *s = fx_slurp("def.json.sig", NULL);
        fx_write("x.json.sig", s, strlen(s));
        free(s);
    }
    fx_write("x.json", fx_definition, sizeof fx_definition - 2); /* no final LF */
    assert_int_equal(fx_cli(&out, &err, "init", "--db", "x.db", "--definition", "x.json",
                            "--commission-pub", "commission.pub", NULL),
                     1);
    assert_int_equal(access("x.db", F_OK), -1);
    free(out);
    free(err);
}

static void test_init_refuses_existing_database(void **state)
{
    char *out = NULL, *err = NULL;

    (void)state;
    assert_int_equal(fx_cli(&out, &err, "init", "--db", "c.db", "--definition", "def.json",
                            "--commission-pub", "commission.pub", NULL),
                     3);
    assert_non_null(strstr(err, "already exists"));
    free(out);
    free(err);
    /* The existing database is untouched and still opens. */
    assert_int_equal(fx_sql_int("SELECT count(*) FROM keys"), 3);
}

static void test_test_mode_database_rejects_live_returns(void **state)
{
    fx *f = *state;
    fx_ret s = fx_good("p1", 0);
    char *out = NULL;

    assert_int_equal(fx_cli(&out, NULL, "init", "--db", "t.db", "--definition", "def.json",
                            "--commission-pub", "commission.pub", "--mode", "test", NULL),
                     0);
    free(out);
    assert_int_equal(fx_cli(&out, NULL, "enroll", "--db", "t.db", "st0.req", NULL), 0);
    free(out);
    fx_make_file(f, &s, "r.return", NULL);
    assert_int_equal(fx_cli(&out, NULL, "import", "--db", "t.db", "r.return", NULL), 1);
    assert_string_equal(out, "rejected r.return wrong-mode\n");
    free(out);
}

static void test_init_prints_definition_hash(void **state)
{
    fx *f = *state;
    char hex[PR_HASH_HEX + 2], *out = NULL;

    pr_hex_encode(hex, f->def_hash, PR_HASH_BYTES);
    strcat(hex, "\n");
    assert_int_equal(fx_cli(&out, NULL, "init", "--db", "y.db", "--definition", "def.json",
                            "--commission-pub", "commission.pub", NULL),
                     0);
    assert_string_equal(out, hex);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keygen_unencrypted_writes_0600_key_and_pub, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_keygen_refuses_existing_files, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_key_signs_definition_for_init, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_definition_refuses_invalid_definition, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_init_refuses_definition_signature_mismatch, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_init_refuses_existing_database, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_test_mode_database_rejects_live_returns, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_init_prints_definition_hash, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
