/*
 * main.c: the `central` program: everything is in central_core; this is
 * the one place that exits.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"

int main(int argc, char **argv)
{
    /* A command that decides prints one line after each commit (DESIGN
     * 10): line buffering makes each line reach a pipe or a log file
     * whole and at once, so what a killed import printed is exactly what
     * it had committed. The other commands print no line per commit, and
     * are fully buffered in 64 KiB: a national tally is 60,000 lines, and
     * a write call per line was half of `tally`'s time at 1,000,000
     * precincts (issue 8). */
    setvbuf(stdout, NULL, ct_command_decides(argc > 1 ? argv[1] : NULL) ? _IOLBF : _IOFBF,
            1u << 16);
    /* No count of SQLite's memory in use: nothing reads it, and keeping it
     * takes a process-wide mutex on every allocation (issue 8: 3.6 % of
     * the import's writer thread, contended by the verifying workers). */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    exit(ct_main(argc, argv, stdout, stderr));
}
