/*
 * main.c: the `station` program's entry point: initialises libsodium,
 * dispatches to a command, and is the only place that exits. Commands
 * return DESIGN 11 exit codes.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/codec.h"
#include "station.h"

static const char usage[] =
    "usage: station COMMAND [OPTIONS]   (station COMMAND --help for details)\n"
    "\n"
    "  keygen   make this station's key, enrolment request and pin file\n"
    "  record   sign the counts of a contest as a return\n"
    "  amend    sign a correction of a return\n"
    "  show     print a return readably\n"
    "  verify   check a return's signature with a station public key\n"
    "  print    the protocol to post: HTML page, QR code PNG or terminal\n"
    "\n"
    "  --version  print the version\n"
    "\n"
    "Exit codes: 0 done; 1 refused or invalid signature; 2 usage error;\n"
    "3 an input could not be read or an output written.\n";

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"keygen", st_cmd_keygen}, {"record", st_cmd_record}, {"amend", st_cmd_amend},
    {"show", st_cmd_show},     {"verify", st_cmd_verify}, {"print", st_cmd_print},
};

int main(int argc, char **argv)
{
    int rc = ST_USAGE;

    /* Only messages and the character set follow the locale: numbers,
     * sorting and parsing stay the same everywhere. */
    (void)setlocale(LC_CTYPE, "");
    (void)setlocale(LC_MESSAGES, "");
    const char *localedir = getenv("STATION_LOCALEDIR");
    if (localedir == NULL || localedir[0] == '\0')
        localedir = access(ST_LOCALEDIR, R_OK | X_OK) == 0 ? ST_LOCALEDIR : ST_LOCALEDIR_INSTALLED;
    (void)bindtextdomain(ST_TEXT_DOMAIN, localedir);
    (void)textdomain(ST_TEXT_DOMAIN);
    if (argc < 2) {
        fputs(usage, stderr);
        goto out;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        rc = ST_OK;
        goto out;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("station %s\n", PR_VERSION);
        rc = ST_OK;
        goto out;
    }
    if (pr_init() != 0) {
        fprintf(stderr, "station: libsodium: cannot initialise\n");
        rc = ST_IO;
        goto out;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            rc = commands[i].run(argc - 1, argv + 1);
            goto out;
        }
    fprintf(stderr, "station: %s: unknown command (see station --help)\n", argv[1]);
out:
    /* A result nobody received is a failure: a full disk or closed pipe on
     * stdout must not exit 0. */
    if (fflush(stdout) != 0 && rc == ST_OK) {
        fprintf(stderr, "station: stdout: write error\n");
        rc = ST_IO;
    }
    return rc;
}
