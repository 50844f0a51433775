/*
 * cli.c: `central`'s entry: the command table, --help and --version, and
 * the `import` command's arguments (the import itself is import.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "bundle.h"
#include "checkpoint.h"
#include "commands.h"
#include "ct.h"
#include "db.h"
#include "evidence.h"
#include "import.h"
#include "progress.h"
#include "qr.h"
#include "proto/codec.h"

#ifndef PR_VERSION
#define PR_VERSION "unknown"
#endif

static const char import_usage[] =
    "usage: central import --db DB [--json] [--progress] [--qr | --evidence]\n"
    "                      [--checkpoint-key KEY\n"
    "                      [--passphrase-fd N] --checkpoints DIR [--receipts RDIR]] PATH...\n"
    "       central import --db DB --bundle DIR --lower-pub PUB [--json] [checkpoint options]\n";
static const char import_help[] =
    "Verifies, reconciles and stores signed returns. PATH is a file, a folder (read\n"
    "recursively, regular files only, symlinks not followed, in bytewise name order;\n"
    "files not beginning with `precinct-return ` are skipped) or - (standard input:\n"
    "returns back to back). Prints one line per input after it is committed:\n"
    "VERDICT NAME [CODES] (or --json: one JSON object per line). Exit 0 when every\n"
    "file is accepted, flagged, corrected or a duplicate of such; 1 when anything\n"
    "was rejected, held, stale or in conflict, or a secret key was given; 3 when an\n"
    "input could not be read or the database not written.\n"
    "On a terminal, standard error shows a progress line (inputs, per second,\n"
    "verdicts, time left when known) and a summary at the end; --progress shows\n"
    "them even when standard error is not a terminal (a line every 2 s).\n"
    "--qr: every PATH is a PNG or JPEG scan of a printed protocol; the one QR code\n"
    "in it is imported exactly as a file named PATH. No readable code: `unreadable\n"
    "PATH no-qr-code` (exit 3); codes of different returns: `refused PATH\n"
    "several-qr-codes` (exit 1); nothing is stored for either.\n"
    "--evidence: every PATH is a scan of a paper protocol (at most 16 MiB), stored\n"
    "when a stored return with a verified signature names it by its BLAKE2b-256 hash\n"
    "(an `evidence` event): `stored PATH`, `duplicate PATH stored`, or `refused PATH\n"
    "not-named|empty|too-large` (exit 1; nothing stored: import the return first).\n"
    "--checkpoint-key KEY --checkpoints DIR: after the run, write DIR/checkpoint-SEQ.txt,\n"
    "the commission-signed head of the event chain (docs/EVENTS.md); --passphrase-fd N\n"
    "reads KEY's passphrase from descriptor N. --receipts RDIR: also a signed\n"
    "RDIR/receipt-HASH.txt for every file stored, rejected ones too.\n"
    "--bundle DIR --lower-pub PUB: imports the bundle of a lower commission (init\n"
    "--scope; `central export --bundle`) whose commission key is PUB: its events in\n"
    "order, every file through this import (signatures verified here), its\n"
    "revocations, resolutions and excuses as decided by it (--by), then checks its\n"
    "signed tally against the sum of its precincts here: one `mismatch:` line per\n"
    "difference, exit 1 (docs/BUNDLE.md).\n";

static const char main_usage[] =
    "usage: central <command> [options]\n"
    "       central --version | --help\n";
static const char main_help[] =
    "commands:\n"
    "  keygen           create the commission key pair\n"
    "  define           build an election definition from CSV files\n"
    "  sign-definition  check and sign an election definition (DEF.sig)\n"
    "  init             create a database for a signed definition\n"
    "  enroll           enrol station keys from their enrolment requests\n"
    "  import           verify, reconcile and store signed returns\n"
    "  revoke           revoke a station key (lost, retired, compromised)\n"
    "  status           status of every precinct and contest, per area\n"
    "  review           holds, conflicts, flags and corrections to look at\n"
    "  resolve          accept or reject one signed return (a person's decision)\n"
    "  excuse           record that a precinct will never report\n"
    "  amend-definition replace the definition by a signed new version\n"
    "  keys             the enrolled station keys; --freeze signs and publishes them\n"
    "  certify          certify a contest's result (a signed event)\n"
    "  receipt          print a signed receipt as a slip for the courier\n"
    "  tally            results per contest and nationally\n"
    "  audit            replay the event log and compare with the database\n"
    "  export           write the database's content as a bundle of plain files\n"
    "  compare          check a published results table against the tally\n"
    "`central <command> --help` describes each. enroll, import, revoke, resolve,\n"
    "excuse, certify and amend-definition also take --checkpoint-key KEY\n"
    "[--passphrase-fd N] --checkpoints DIR: they end by writing\n"
    "DIR/checkpoint-<seq>.txt, the signed head of the event chain\n"
    "(docs/EVENTS.md); without a key none is written.\n";

int ct_cmd_import(int argc, char **argv, FILE *out, FILE *err)
{
    static const ct_optspec specs[] = {{"db", 1},        {"json", 0},      {"help", 0},
                                         {"qr", 0},        {"evidence", 0},  {"bundle", 1},
                                         {"lower-pub", 1}, {"progress", 0},  {NULL, 0}};
    const char *dbpath = NULL, *bundle = NULL, *lower = NULL, *v;
    const char **paths = NULL;
    size_t n = 0;
    ct_import_opts o;
    ct_db *db = NULL;
    ct_args a;
    ct_err e;
    ct_progress pg;
    uint64_t total = 0;
    int opt, k, code = CT_EXIT_OK, stdin_seen = 0, qr = 0, evidence = 0, progress = 0;

    memset(&o, 0, sizeof o);
    memset(&pg, 0, sizeof pg);
    memset(&e, 0, sizeof e);
    paths = calloc((size_t)argc + 1, sizeof *paths);
    if (paths == NULL) {
        ct_err_set(&e, CT_EXIT_IO, "import", "out of memory");
        ct_err_print(&e, err);
        code = CT_EXIT_IO;
        goto out;
    }
    ct_args_init(&a, argc, argv, 1);
    while ((k = ct_args_next(&a, specs, &opt, &v, &e)) != 0) {
        if (k < 0) {
            code = ct_usage_error(err, import_usage, e.what, e.why);
            goto out;
        }
        if (k == 2) {
            if (strcmp(v, "-") == 0 && stdin_seen++) {
                code = ct_usage_error(err, import_usage, "-", "standard input given twice");
                goto out;
            }
            paths[n++] = v;
        } else if (opt == 0) {
            dbpath = v;
        } else if (opt == 1) {
            o.json = 1;
        } else if (opt == 3) {
            qr = 1;
        } else if (opt == 4) {
            evidence = 1;
        } else if (opt == 5) {
            bundle = v;
        } else if (opt == 6) {
            lower = v;
        } else if (opt == 7) {
            progress = 1;
        } else {
            fputs(import_usage, out);
            fputs(import_help, out);
            goto out;
        }
    }
    if (bundle != NULL || lower != NULL) {
        if (dbpath == NULL || bundle == NULL || lower == NULL || n > 0 || qr || evidence) {
            code = ct_usage_error(err, import_usage, "--bundle",
                                  "takes --db, --lower-pub and no PATH, --qr or --evidence");
            goto out;
        }
        if (pr_init() != 0) {
            ct_err_set(&e, CT_EXIT_IO, "import", "libsodium failed to initialise");
            ct_err_print(&e, err);
            code = CT_EXIT_IO;
            goto out;
        }
        if (ct_db_open(dbpath, 0, &db, &e) != 0 || ct_redecide_pending(db, &o, out, &e) != 0) {
            ct_err_print(&e, err);
            code = e.code;
            goto out;
        }
        ct_db_close(db);
        db = NULL;
        code = ct_bundle_import(dbpath, bundle, lower, &o, out, err);
        goto out;
    }
    if (dbpath == NULL || n == 0) {
        code = ct_usage_error(err, import_usage, "import", "--db DB and at least one PATH are required");
        goto out;
    }
    if (qr && stdin_seen) {
        code = ct_usage_error(err, import_usage, "--qr", "takes image files, not -");
        goto out;
    }
    if (evidence && (qr || stdin_seen)) {
        code = ct_usage_error(err, import_usage, "--evidence",
                              qr ? "and --qr exclude each other" : "takes scan files, not -");
        goto out;
    }
    if (pr_init() != 0) {
        ct_err_set(&e, CT_EXIT_IO, "import", "libsodium failed to initialise");
        ct_err_print(&e, err);
        code = CT_EXIT_IO;
        goto out;
    }
    /* First finish any re-decisions a killed run left undone. */
    if (ct_db_open(dbpath, 0, &db, &e) != 0 || ct_redecide_pending(db, &o, out, &e) != 0) {
        ct_err_print(&e, err);
        code = e.code;
        goto out;
    }
    /* The total is known when every PATH is one file. */
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (strcmp(paths[i], "-") == 0 || (stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode))) {
            total = 0;
            break;
        }
        total++;
    }
    ct_progress_begin(&pg, err, progress, "import", qr || evidence ? "scans" : "inputs", total);
    o.progress = &pg;
    code = qr         ? ct_qr_import_paths(db, paths, n, &o, out, err)
           : evidence ? ct_evidence_import_paths(db, paths, n, &o, out, err)
                      : ct_import_paths(db, paths, n, &o, out, err);
    ct_progress_end(&pg);
out:
    free(paths);
    ct_db_close(db);
    return code;
}

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv, FILE *out, FILE *err);
    int decides;    /* ends with a signed checkpoint (checkpoint.h) */
} command;

static const command commands[] = {
    {"keygen", ct_cmd_keygen, 0},   {"sign-definition", ct_cmd_sign_definition, 0},
    {"init", ct_cmd_init, 0},       {"enroll", ct_cmd_enroll, 1},
    {"import", ct_cmd_import, 1},   {"status", ct_cmd_status, 0},
    {"tally", ct_cmd_tally, 0},     {"revoke", ct_cmd_revoke, 1},
    {"review", ct_cmd_review, 0},   {"resolve", ct_cmd_resolve, 1},
    {"excuse", ct_cmd_excuse, 1},   {"define", ct_cmd_define, 0},
    {"amend-definition", ct_cmd_amend_definition, 1}, {"audit", ct_cmd_audit, 0},
    {"export", ct_cmd_export, 0},
    {"keys", ct_cmd_keys, 0},       {"certify", ct_cmd_certify, 1},
    {"receipt", ct_cmd_receipt, 0},
    {"compare", ct_cmd_compare, 0},
    {NULL, NULL, 0},
};

int ct_command_decides(const char *name)
{
    for (const command *c = commands; name != NULL && c->name != NULL; c++)
        if (strcmp(c->name, name) == 0)
            return c->decides;
    return 0;
}

int ct_main(int argc, char **argv, FILE *out, FILE *err)
{
    const command *c;
    int code;

    if (argc < 2) {
        fputs(main_usage, err);
        code = CT_EXIT_USAGE;
        goto out;
    }
    if (strcmp(argv[1], "--version") == 0) {
        fprintf(out, "central %s\n", PR_VERSION);
        code = CT_EXIT_OK;
        goto out;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(main_usage, out);
        fputs(main_help, out);
        code = CT_EXIT_OK;
        goto out;
    }
    for (c = commands; c->name != NULL; c++)
        if (strcmp(c->name, argv[1]) == 0)
            break;
    if (c->name == NULL) {
        code = ct_usage_error(err, main_usage, argv[1], "unknown command");
        goto out;
    }
    code = c->decides ? ct_checkpoint_wrap(c->run, c->run == ct_cmd_import, argc - 1, argv + 1, out,
                                           err)
                      : c->run(argc - 1, argv + 1, out, err);
out:
    fflush(out);
    return code;
}
