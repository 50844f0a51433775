/*
 * replay.c: a main() for builds without libFuzzer (gcc, or clang without
 * PR_FUZZ): runs LLVMFuzzerTestOneInput once over every file named or found
 * in the folders named, so ctest replays each committed corpus every build.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Inputs larger than this are not corpus material; refuse them loudly. */
#define REPLAY_MAX (4u * 1024u * 1024u)

static const char *current = "";

static void on_alarm(int sig)
{
    static const char msg[] = "replay: time cap exceeded on ";
    (void)sig;
    /* async-signal-safe output only */
    (void)!write(2, msg, sizeof msg - 1);
    (void)!write(2, current, strlen(current));
    (void)!write(2, "\n", 1);
    _exit(2);
}

/* Runs the target on one file; 0, or -1 when it could not be read. */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = -1;

    if (f == NULL) {
        fprintf(stderr, "replay: %s: cannot open\n", path);
        return -1;
    }
    buf = malloc(REPLAY_MAX + 1);
    if (buf == NULL)
        goto out;
    len = fread(buf, 1, REPLAY_MAX + 1, f);
    if (ferror(f) || len > REPLAY_MAX) {
        fprintf(stderr, "replay: %s: unreadable or larger than %u bytes\n", path, REPLAY_MAX);
        goto out;
    }
    current = path;
    alarm(FUZZ_TIME_CAP_S);
    /* A copy of exactly len bytes, so ASan sees reads past the end. */
    {
        uint8_t *exact = malloc(len ? len : 1);
        if (exact == NULL)
            goto out;
        memcpy(exact, buf, len);
        (void)LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    alarm(0);
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs every regular file of a folder, in bytewise name order. Returns the
 * number run, or -1 on an error. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    long done = 0;

    if (d == NULL) {
        fprintf(stderr, "replay: %s: cannot open folder\n", dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **p = realloc(names, (cap ? cap * 2 : 64) * sizeof *names);
            if (p == NULL) {
                done = -1;
                goto out;
            }
            names = p;
            cap = cap ? cap * 2 : 64;
        }
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (names[n] == NULL) {
            done = -1;
            goto out;
        }
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(names[i], &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (run_file(names[i]) != 0) {
            done = -1;
            goto out;
        }
        done++;
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return done;
}

int main(int argc, char **argv)
{
    long total = 0;

    signal(SIGALRM, on_alarm);
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        long k;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: %s: not found\n", argv[i]);
            return 1;
        }
        k = S_ISDIR(sb.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) == 0 ? 1 : -1);
        if (k < 0)
            return 1;
        total += k;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no inputs: an empty corpus proves nothing\n");
        return 1;
    }
    printf("replay: %ld inputs, no failure\n", total);
    return 0;
}
