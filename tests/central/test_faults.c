/*
 * test_faults.c: injected faults during a whole `central import` (issue 6).
 *
 * Memory: every allocation of proto/ and common/ goes through
 * proto/alloc.h; this test hands the same route to Jansson
 * (json_set_alloc_funcs) and SQLite (SQLITE_CONFIG_MALLOC), so one
 * countdown covers them all (central's own malloc calls are not on it).
 * Writes: a VFS shim registered as SQLite's default wraps the real one and
 * fails xWrite, xTruncate and xSync from the n-th on.
 *
 * Each walk imports the same five files (a correction that arrives before
 * its predecessor and is held, a good return, one signed with an unknown
 * key, a second correction, the missing predecessor, which makes the held
 * one be decided again) into a copy of one database, failing operation
 * 1, 2, 3, ... until an import completes without reaching the countdown.
 * After each failed attempt:
 *   - the exit code is 3 and stderr holds only `central: what: why` lines,
 *     at least one that the clean run does not print;
 *   - stdout is a prefix of the clean run's stdout (no verdict that the
 *     clean run would not print, none printed that was not stored);
 *   - the database as the next program finds it (its files copied, opened
 *     by SQLite, dumped table by table) is exactly the clean run's database
 *     when that had printed as many lines: nothing of the failing
 *     transaction remains. For a failed sync the state just after that
 *     commit is accepted too (its fate is unknown, its line unprinted);
 *   - importing the same files again without faults (central opening what
 *     the failure left) ends in exactly the clean run's final database and
 *     exit code, and `central audit` of it reports nothing.
 * An injected failure the code absorbs is allowed only when the outcome is
 * then identical to the clean run (output, exit code, database). Leaks and
 * memory errors on the error paths are the ASan pass's to find.
 */
#define _GNU_SOURCE /* fopencookie */
#include "fixture.h"

#include "ct.h"
#include "proto/alloc.h"

/* ---- SQLite's allocations through proto's route ------------------------ */

#define FM_HEAD 16 /* keeps SQLite's 8-byte alignment; holds the size */

static void *fm_malloc(int n)
{
    unsigned char *p = pr_malloc((size_t)n + FM_HEAD);

    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + FM_HEAD;
}

static void fm_free(void *p)
{
    if (p != NULL)
        pr_free((unsigned char *)p - FM_HEAD);
}

static void *fm_realloc(void *p, int n)
{
    unsigned char *q = pr_realloc((unsigned char *)p - FM_HEAD, (size_t)n + FM_HEAD);

    if (q == NULL)
        return NULL;
    memcpy(q, &n, sizeof n);
    return q + FM_HEAD;
}

static int fm_size(void *p)
{
    int n = 0;

    if (p != NULL)
        memcpy(&n, (unsigned char *)p - FM_HEAD, sizeof n);
    return n;
}

static int fm_roundup(int n)
{
    return (n + 7) & ~7;
}

static int fm_init(void *ctx)
{
    (void)ctx;
    return SQLITE_OK;
}

static void fm_shutdown(void *ctx)
{
    (void)ctx;
}

static const sqlite3_mem_methods fm_methods = {fm_malloc, fm_free,  fm_realloc,  fm_size,
                                               fm_roundup, fm_init, fm_shutdown, NULL};

/* ---- a VFS shim that fails writes -------------------------------------- */

typedef struct ff_file {
    sqlite3_file base;
    sqlite3_file *real; /* the wrapped VFS's file, right after this struct */
} ff_file;

static sqlite3_vfs *ff_real;
static unsigned long ff_fail_at; /* 0: disarmed */
static int ff_persist, ff_full;
static unsigned long ff_calls, ff_injected;

/* Counts one write-like operation; the error to return, or SQLITE_OK. */
static int ff_inject(int ioerr)
{
    ff_calls++;
    if (ff_fail_at == 0 || ff_calls < ff_fail_at || (ff_calls > ff_fail_at && !ff_persist))
        return SQLITE_OK;
    ff_injected++;
    return ff_full ? SQLITE_FULL : ioerr;
}

#define RF(f) (((ff_file *)(f))->real)

static int ff_close(sqlite3_file *f)
{
    return RF(f)->pMethods->xClose(RF(f));
}

static int ff_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    return RF(f)->pMethods->xRead(RF(f), b, n, o);
}

static int ff_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    int rc = ff_inject(SQLITE_IOERR_WRITE);

    return rc != SQLITE_OK ? rc : RF(f)->pMethods->xWrite(RF(f), b, n, o);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = ff_inject(SQLITE_IOERR_TRUNCATE);

    return rc != SQLITE_OK ? rc : RF(f)->pMethods->xTruncate(RF(f), size);
}

static int ff_sync(sqlite3_file *f, int flags)
{
    int rc = ff_inject(SQLITE_IOERR_FSYNC);

    return rc != SQLITE_OK ? rc : RF(f)->pMethods->xSync(RF(f), flags);
}

static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return RF(f)->pMethods->xFileSize(RF(f), size);
}

static int ff_lock(sqlite3_file *f, int l)
{
    return RF(f)->pMethods->xLock(RF(f), l);
}

static int ff_unlock(sqlite3_file *f, int l)
{
    return RF(f)->pMethods->xUnlock(RF(f), l);
}

static int ff_check_reserved(sqlite3_file *f, int *out)
{
    return RF(f)->pMethods->xCheckReservedLock(RF(f), out);
}

static int ff_file_control(sqlite3_file *f, int op, void *arg)
{
    return RF(f)->pMethods->xFileControl(RF(f), op, arg);
}

static int ff_sector_size(sqlite3_file *f)
{
    return RF(f)->pMethods->xSectorSize(RF(f));
}

static int ff_device_chars(sqlite3_file *f)
{
    return RF(f)->pMethods->xDeviceCharacteristics(RF(f));
}

static int ff_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return RF(f)->pMethods->xShmMap(RF(f), pg, pgsz, extend, pp);
}

static int ff_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return RF(f)->pMethods->xShmLock(RF(f), offset, n, flags);
}

static void ff_shm_barrier(sqlite3_file *f)
{
    RF(f)->pMethods->xShmBarrier(RF(f));
}

static int ff_shm_unmap(sqlite3_file *f, int del)
{
    return RF(f)->pMethods->xShmUnmap(RF(f), del);
}

static int ff_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp)
{
    return RF(f)->pMethods->xFetch(RF(f), o, n, pp);
}

static int ff_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
    return RF(f)->pMethods->xUnfetch(RF(f), o, p);
}

static const sqlite3_io_methods ff_io = {
    3,           ff_close,      ff_read,         ff_write,          ff_truncate,
    ff_sync,     ff_file_size,  ff_lock,         ff_unlock,         ff_check_reserved,
    ff_file_control, ff_sector_size, ff_device_chars, ff_shm_map,   ff_shm_lock,
    ff_shm_barrier,  ff_shm_unmap,   ff_fetch,        ff_unfetch,
};

static int ff_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    ff_file *p = (ff_file *)f;
    int rc;

    (void)v;
    p->real = (sqlite3_file *)(p + 1);
    p->real->pMethods = NULL;
    rc = ff_real->xOpen(ff_real, name, p->real, flags, out);
    if (rc != SQLITE_OK && p->real->pMethods != NULL)
        p->real->pMethods->xClose(p->real);
    p->base.pMethods = rc == SQLITE_OK && p->real->pMethods != NULL ? &ff_io : NULL;
    return rc;
}

static int ff_delete(sqlite3_vfs *v, const char *name, int sync)
{
    (void)v;
    return ff_real->xDelete(ff_real, name, sync);
}

static int ff_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return ff_real->xAccess(ff_real, name, flags, out);
}

static int ff_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return ff_real->xFullPathname(ff_real, name, n, out);
}

static void *ff_dlopen(sqlite3_vfs *v, const char *name)
{
    (void)v;
    return ff_real->xDlOpen(ff_real, name);
}

static void ff_dlerror(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    ff_real->xDlError(ff_real, n, msg);
}

static void (*ff_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return ff_real->xDlSym(ff_real, h, sym);
}

static void ff_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    ff_real->xDlClose(ff_real, h);
}

static int ff_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return ff_real->xRandomness(ff_real, n, out);
}

static int ff_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return ff_real->xSleep(ff_real, us);
}

static int ff_current_time(sqlite3_vfs *v, double *t)
{
    (void)v;
    return ff_real->xCurrentTime(ff_real, t);
}

static int ff_last_error(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    return ff_real->xGetLastError(ff_real, n, msg);
}

static int ff_current_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
    (void)v;
    return ff_real->xCurrentTimeInt64(ff_real, t);
}

static sqlite3_vfs ff_vfs = {
    2,          0,        0,           NULL,           "faultvfs",   NULL,
    ff_open,    ff_delete, ff_access,  ff_full_pathname, ff_dlopen,  ff_dlerror,
    ff_dlsym,   ff_dlclose, ff_randomness, ff_sleep,   ff_current_time, ff_last_error,
    ff_current_time64, NULL, NULL, NULL,
};

/* ---- the faults a walk injects ----------------------------------------- */

typedef struct fault {
    const char *name;
    void (*arm)(unsigned long n);  /* n == 0: disarm */
    unsigned long (*injected)(void);
    int write_fault;
} fault;

static void arm_alloc_once(unsigned long n)
{
    pr_alloc_fail_at(n, 0);
}

static void arm_alloc_persist(unsigned long n)
{
    pr_alloc_fail_at(n, 1);
}

static void arm_write(unsigned long n, int persist, int full)
{
    ff_fail_at = n;
    ff_persist = persist;
    ff_full = full;
    ff_calls = 0;
    ff_injected = 0;
}

static void arm_disk_full(unsigned long n)
{
    arm_write(n, 1, 1);
}

static void arm_io_error(unsigned long n)
{
    arm_write(n, 0, 0);
}

static unsigned long write_injected(void)
{
    return ff_injected;
}

static const fault fault_alloc_once = {"allocation (one fails)", arm_alloc_once,
                                       pr_alloc_fail_injected, 0};
static const fault fault_alloc_persist = {"allocation (all fail from the n-th)", arm_alloc_persist,
                                          pr_alloc_fail_injected, 0};
static const fault fault_disk_full = {"disk full (SQLITE_FULL from the n-th write)", arm_disk_full,
                                      write_injected, 1};
static const fault fault_io_error = {"write error (the n-th write, truncate or sync)",
                                     arm_io_error, write_injected, 1};

/* ---- database dumps ---------------------------------------------------- */

static const char *real_vfs_name;

/* Every table of path, rows in key order, values typed; the schema too.
 * Opened through the real VFS, never the shim. Caller frees. */
static char *dump_db(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *t = NULL, *s = NULL;
    char *text = NULL, sql[512];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, real_vfs_name), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT type, name, tbl_name, sql FROM sqlite_schema "
                                        "ORDER BY type, name",
                                        -1, &t, NULL),
                     SQLITE_OK);
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(t, 0);
        const char *name = (const char *)sqlite3_column_text(t, 1);
        const char *def = (const char *)sqlite3_column_text(t, 3);
        int cols, i;

        fprintf(f, "%s %s: %s\n", type, name, def != NULL ? def : "");
        /* The tally cache's rows are derived, and a fault in bringing it up
         * to date empties it rather than stopping the write (running.h):
         * its tables must be there (the schema line above), and what they
         * hold is checked by the audit of every state reached. */
        if (strcmp(type, "table") != 0 || strncmp(name, "tally_", 6) == 0)
            continue;
        /* Scan order: rowid, or the key of a WITHOUT ROWID table. */
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", name);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
        cols = sqlite3_column_count(s);
        while (sqlite3_step(s) == SQLITE_ROW) {
            fputs(" row", f);
            for (i = 0; i < cols; i++) {
                const unsigned char *b;
                int n, k;

                switch (sqlite3_column_type(s, i)) {
                case SQLITE_INTEGER:
                    fprintf(f, " i%lld", (long long)sqlite3_column_int64(s, i));
                    break;
                case SQLITE_FLOAT:
                    fprintf(f, " f%.17g", sqlite3_column_double(s, i));
                    break;
                case SQLITE_NULL:
                    fputs(" null", f);
                    break;
                default: /* text and blobs as hex of their bytes */
                    b = sqlite3_column_type(s, i) == SQLITE_TEXT ? sqlite3_column_text(s, i)
                                                                  : sqlite3_column_blob(s, i);
                    n = sqlite3_column_bytes(s, i);
                    fputs(sqlite3_column_type(s, i) == SQLITE_TEXT ? " t" : " b", f);
                    for (k = 0; k < n; k++)
                        fprintf(f, "%02x", b[k]);
                    break;
                }
            }
            fputc('\n', f);
        }
        sqlite3_finalize(s);
        s = NULL;
    }
    sqlite3_finalize(t);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* ---- the walk ------------------------------------------------------------ */

#define N_FILES 5
#define MAX_SNAPS 64
#define WALK_MAX 200000UL /* far above any import's count: a stuck walk fails */

static const char *const files[N_FILES] = {"a-p2-rev2.return", "b-p1.return", "c-stranger.return",
                                           "d-p1-rev2.return", "e-p2.return"};

typedef struct clean_run {
    char *out;                 /* its stdout */
    char *err;                 /* its stderr: warnings only */
    int code;
    char *snap[MAX_SNAPS + 1]; /* snap[k]: the database after k lines */
    size_t n_snaps;
    /* the cookie stream's state */
    char *text;
    size_t len;
} clean_run;

static void assert_clean_errors(const char *err);

static int64_t fixed_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

/* The five files, written into the fixture folder. */
static void make_files(fx *f)
{
    uint8_t p1[PR_HASH_BYTES], p2[PR_HASH_BYTES];
    fx_ret s;

    s = fx_good("p2", 1);
    fx_make_file(f, &s, files[4], p2);
    s = fx_good("p1", 0);
    fx_make_file(f, &s, files[1], p1);
    s = fx_good("p1", -1);
    fx_make_file(f, &s, files[2], NULL);
    s = fx_good("p1", 0);
    s.rev = 2;
    s.sup = p1;
    s.v[0] = 290;
    s.v[2] = 60;
    s.reason = "Recount of the Mayor ballots";
    fx_make_file(f, &s, files[3], NULL);
    s = fx_good("p2", 1);
    s.rev = 2;
    s.sup = p2;
    s.inv = 12;
    s.v[1] = 198;
    fx_make_file(f, &s, files[0], NULL);
}

/* base.db: the database before the import, one file (SQLite's backup, so
 * whatever is still in the write-ahead log is in it). */
static void save_base(void)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b;

    assert_int_equal(sqlite3_open_v2("c.db", &src, SQLITE_OPEN_READWRITE, real_vfs_name), SQLITE_OK);
    assert_int_equal(sqlite3_open_v2("base.db", &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     real_vfs_name),
                     SQLITE_OK);
    b = sqlite3_backup_init(dst, "main", src, "main");
    assert_non_null(b);
    assert_int_equal(sqlite3_backup_step(b, -1), SQLITE_DONE);
    assert_int_equal(sqlite3_backup_finish(b), SQLITE_OK);
    assert_int_equal(sqlite3_close(dst), SQLITE_OK);
    assert_int_equal(sqlite3_close(src), SQLITE_OK);
    assert_int_equal(access("base.db-wal", F_OK), -1);
}

static void restore(void)
{
    size_t n;
    char *bytes = fx_slurp("base.db", &n);

    (void)unlink("c.db");
    (void)unlink("c.db-wal");
    (void)unlink("c.db-shm");
    (void)unlink("c.db-journal");
    fx_write("c.db", bytes, n);
    free(bytes);
}

static int run_import(FILE *out, FILE *err)
{
    char *argv[N_FILES + 5];
    int argc = 0;
    size_t i;

    argv[argc++] = (char *)(uintptr_t) "central";
    argv[argc++] = (char *)(uintptr_t) "import";
    argv[argc++] = (char *)(uintptr_t) "--db";
    argv[argc++] = (char *)(uintptr_t) "c.db";
    for (i = 0; i < N_FILES; i++)
        argv[argc++] = (char *)(uintptr_t)files[i];
    argv[argc] = NULL;
    return ct_main(argc, argv, out, err);
}

/* Runs the import with captured output; *out and *err are malloc'd. */
static int import_captured(char **out, char **err)
{
    size_t ol = 0, el = 0;
    FILE *fo = open_memstream(out, &ol), *fe = open_memstream(err, &el);
    int code;

    assert_non_null(fo);
    assert_non_null(fe);
    code = run_import(fo, fe);
    assert_int_equal(fclose(fo), 0);
    assert_int_equal(fclose(fe), 0);
    return code;
}

/* The clean run's stdout: every completed line takes a dump of the
 * database, which import has committed before printing it. */
static ssize_t snap_write(void *ctx, const char *buf, size_t n)
{
    clean_run *c = ctx;
    char *grown = realloc(c->text, c->len + n + 1);
    size_t i;

    assert_non_null(grown);
    c->text = grown;
    for (i = 0; i < n; i++) {
        c->text[c->len++] = buf[i];
        if (buf[i] == '\n') {
            assert_true(c->n_snaps < MAX_SNAPS);
            c->snap[++c->n_snaps] = dump_db("c.db");
        }
    }
    c->text[c->len] = '\0';
    return (ssize_t)n;
}

static void clean_run_make(clean_run *c)
{
    cookie_io_functions_t io = {NULL, snap_write, NULL, NULL};
    FILE *fo;
    char *err = NULL;
    size_t el = 0;
    FILE *fe = open_memstream(&err, &el);
    char *out2 = NULL, *err2 = NULL, *final;

    memset(c, 0, sizeof *c);
    restore();
    c->snap[0] = dump_db("c.db");
    fo = fopencookie(c, "w", io);
    assert_non_null(fo);
    assert_non_null(fe);
    assert_int_equal(setvbuf(fo, NULL, _IONBF, 0), 0);
    c->code = run_import(fo, fe);
    assert_int_equal(fclose(fo), 0);
    assert_int_equal(fclose(fe), 0);
    c->out = c->text != NULL ? c->text : strdup("");
    c->text = NULL;
    /* The clean run decides all five, holds one and decides it again. */
    c->err = err;
    if (*err != '\0')
        assert_clean_errors(err);
    if (c->code != CT_EXIT_FAIL)
        print_error("clean import: exit %d\n%s%s\n", c->code, c->out, err);
    assert_int_equal(c->code, CT_EXIT_FAIL);
    fx_has_line(c->out, "accepted b-p1.return");
    fx_has_line(c->out, "rejected c-stranger.return unknown-key");
    assert_non_null(strstr(c->out, "redecided"));
    assert_true(c->n_snaps >= N_FILES + 1);
    final = dump_db("c.db");
    assert_string_equal(final, c->snap[c->n_snaps]);
    free(final);
    /* The same import from the same state gives the same database (the
     * clock is fixed), which is what the walk compares against. */
    restore();
    assert_int_equal(import_captured(&out2, &err2), c->code);
    assert_string_equal(out2, c->out);
    final = dump_db("c.db");
    assert_string_equal(final, c->snap[c->n_snaps]);
    free(final);
    free(out2);
    free(err2);
}

static void clean_run_free(clean_run *c)
{
    size_t i;

    free(c->out);
    free(c->err);
    for (i = 0; i <= c->n_snaps; i++)
        free(c->snap[i]);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* Every line of err is `central: ...`, and there is one. */
static void assert_clean_errors(const char *err)
{
    const char *p = err;

    if (*p == '\0') {
        print_error("no error message\n");
        fail();
    }
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');

        if (strncmp(p, "central: ", 9) != 0 || nl == NULL) {
            print_error("not a `central: what: why` line in:\n%s\n", err);
            fail();
        }
        p = nl + 1;
    }
}

/* Copies c.db as it is on disk (the database, its write-ahead log, a
 * rollback journal) to x.db: what the next program to open it finds. */
static void copy_as_found(void)
{
    static const char *const sfx[] = {"", "-wal", "-journal"};
    char from[32], to[32];
    size_t i;

    for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(from, sizeof from, "c.db%s", sfx[i]);
        snprintf(to, sizeof to, "x.db%s", sfx[i]);
        (void)unlink(to);
        if (access(from, F_OK) == 0) {
            size_t n;
            char *bytes = fx_slurp(from, &n);
            fx_write(to, bytes, n);
            free(bytes);
        }
    }
    (void)unlink("x.db-shm");
}

/* `central audit` of x.db finds nothing. audit replays under its own
 * clock and then sets the system clock back; the walk's fixed clock is set
 * again after it. */
static void audit_clean(int64_t *now)
{
    char *out = NULL, *err = NULL;
    int code = fx_cli(&out, &err, "audit", "--db", "x.db", "--commission-pub", "commission.pub",
                      NULL);

    if (code != 0)
        print_error("audit exit %d:\n%s%s\n", code, out, err);
    assert_int_equal(code, 0);
    free(out);
    free(err);
    ct_clock_set(fixed_clock, now);
}

/* Imports again without faults into the database a failed attempt left
 * (central, not the test, opens it first): the clean run's exit code and
 * final database. */
static void reimport_converges(const fault *ft, unsigned long n, const clean_run *c)
{
    char *out = NULL, *err = NULL, *dump;
    int code = import_captured(&out, &err);

    if (code != c->code)
        print_error("%s %lu: re-import exit %d\n%s%s\n", ft->name, n, code, out, err);
    assert_int_equal(code, c->code);
    dump = dump_db("c.db");
    if (strcmp(dump, c->snap[c->n_snaps]) != 0) {
        print_error("%s %lu: re-import does not end in the clean state\n%s\n", ft->name, n, out);
        fail();
    }
    free(dump);
    free(out);
    free(err);
}

static void walk(void **state, const fault *ft)
{
    fx *f = *state;
    int64_t now = f->close + 7200;
    clean_run c;
    unsigned long n, failed = 0, absorbed = 0;
    size_t in_between = 0, audits = 0, reimports = 0;
    int seen[MAX_SNAPS + 1];

    memset(seen, 0, sizeof seen);
    ct_clock_set(fixed_clock, &now);
    make_files(f);
    save_base();
    clean_run_make(&c);
    /* FI_FROM=N starts the walk at N (to debug one failure point). */
    for (n = getenv("FI_FROM") != NULL ? strtoul(getenv("FI_FROM"), NULL, 10) : 1;; n++) {
        char *out = NULL, *err = NULL, *dump;
        unsigned long injected;
        size_t lines = 0, state_at;
        int code;

        assert_true(n < WALK_MAX);
        restore();
        ft->arm(n);
        code = import_captured(&out, &err);
        injected = ft->injected();
        ft->arm(0);
        copy_as_found();
        dump = dump_db("x.db");
        if (injected == 0) {
            /* The countdown was never reached: the import is complete. */
            assert_int_equal(code, c.code);
            assert_string_equal(out, c.out);
            assert_string_equal(dump, c.snap[c.n_snaps]);
            free(out);
            free(err);
            free(dump);
            break;
        }
        if (code == c.code && strcmp(out, c.out) == 0 && strcmp(dump, c.snap[c.n_snaps]) == 0) {
            absorbed++; /* e.g. SQLite going on without a cache page */
            state_at = c.n_snaps;
        } else {
            size_t ol = strlen(out);

            lines = count_lines(out);
            if (code != CT_EXIT_IO || strncmp(out, c.out, ol) != 0)
                print_error("%s %lu: exit %d, stdout:\n%s\nstderr:\n%s\nclean stdout:\n%s\n",
                            ft->name, n, code, out, err, c.out);
            assert_int_equal(code, CT_EXIT_IO);
            assert_true(strncmp(out, c.out, ol) == 0);
            assert_clean_errors(err);
            assert_string_not_equal(err, c.err); /* not only the clean run's warnings */
            assert_true(lines <= c.n_snaps);
            state_at = lines;
            if (strcmp(dump, c.snap[lines]) != 0) {
                /* A sync that failed after its write went through leaves
                 * the commit's fate unknown to SQLite (and to us): the
                 * state after the transaction is as good as the one
                 * before, its line just was not printed. Write faults
                 * only. */
                if (!ft->write_fault || lines + 1 > c.n_snaps ||
                    strcmp(dump, c.snap[lines + 1]) != 0) {
                    print_error("%s %lu: the database is not the clean run's after %zu lines\n"
                                "stdout:\n%s\nstderr:\n%s\n",
                                ft->name, n, lines, out, err);
                    fail();
                }
                state_at = lines + 1;
                in_between++;
            }
            failed++;
        }
        /* What the database holds is one of the clean run's states:
         * resume from each the first time it is found, and audit what the
         * re-import ends in. (Not the state itself: a run stopped inside a
         * cascade of re-decisions leaves them to the next run, and audit,
         * whose replay finishes them, reports them missing.) A write fault
         * leaves files that only the next opener sorts out, so its
         * re-import is run every time. */
        if (!seen[state_at] || ft->write_fault) {
            reimport_converges(ft, n, &c);
            reimports++;
            if (!seen[state_at]) {
                copy_as_found();
                audit_clean(&now);
                audits++;
            }
        }
        seen[state_at] = 1;
        free(out);
        free(err);
        free(dump);
    }
    print_message("%s: %lu failure points: %lu failed cleanly, %lu absorbed with the clean "
                  "outcome, %zu commits of unknown fate found committed; %zu audits, %zu "
                  "re-imports; the import completed at %lu\n",
                  ft->name, n - 1, failed, absorbed, in_between, audits, reimports, n);
    assert_true(failed > 0);
    ct_clock_set(NULL, NULL);
    clean_run_free(&c);
}

static void test_every_allocation_failing_once(void **state)
{
    walk(state, &fault_alloc_once);
}

static void test_memory_exhausted_from_every_allocation(void **state)
{
    walk(state, &fault_alloc_persist);
}

static void test_disk_full_from_every_write(void **state)
{
    walk(state, &fault_disk_full);
}

static void test_every_write_failing_once(void **state)
{
    walk(state, &fault_io_error);
}

static int setup(void **state)
{
    struct stat sb;

    /* tmpfs when there is one: the walks fsync a few thousand times. */
    return fx_setup_def(state, stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp",
                        fx_definition, 3);
}

/* With an argument (or FI_WALK in the environment), runs only the walks
 * whose name contains it (ctest runs them as separate entries,
 * tests/CMakeLists.txt). */
int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : getenv("FI_WALK");

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_allocation_failing_once, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_memory_exhausted_from_every_allocation, setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_from_every_write, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_every_write_failing_once, setup, fx_teardown),
    };

    /* One route for all: SQLite and Jansson allocate through proto's. */
    if (sqlite3_shutdown() != SQLITE_OK || sqlite3_config(SQLITE_CONFIG_MALLOC, &fm_methods) != SQLITE_OK ||
        sqlite3_initialize() != SQLITE_OK)
        return 1;
    json_set_alloc_funcs(pr_malloc, pr_free);
    ff_real = sqlite3_vfs_find(NULL);
    if (ff_real == NULL)
        return 1;
    real_vfs_name = ff_real->zName;
    ff_vfs.szOsFile = (int)sizeof(ff_file) + ff_real->szOsFile;
    ff_vfs.mxPathname = ff_real->mxPathname;
    if (sqlite3_vfs_register(&ff_vfs, 1) != SQLITE_OK)
        return 1;
    if (only != NULL && *only != '\0') {
        static char filter[128];
        snprintf(filter, sizeof filter, "*%s*", only);
        cmocka_set_test_filter(filter);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
