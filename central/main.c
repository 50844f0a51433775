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
    /* Fully buffered, in 64 KiB, even on a terminal: a national tally is
     * 60,000 lines (issue 8: line buffering spent half of `tally`'s time
     * at 1,000,000 precincts in write calls). The commands that print a
     * line after each commit (import, enroll, revoke, amend-definition;
     * DESIGN 10) flush it themselves, so what a killed import printed is
     * still exactly what it had committed. */
    setvbuf(stdout, NULL, _IOFBF, 1u << 16);
    /* No count of SQLite's memory in use: nothing reads it, and keeping it
     * takes a process-wide mutex on every allocation (issue 8: 3.6 % of
     * the import's writer thread, contended by the verifying workers). */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    exit(ct_main(argc, argv, stdout, stderr));
}
