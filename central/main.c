/*
 * main.c: the `central` program: everything is in central_core; this is
 * the one place that exits.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"

int main(int argc, char **argv)
{
    /* One verdict line is printed after each commit (DESIGN 10): line
     * buffering makes it reach a pipe or a log file then too, so what a
     * killed import printed is exactly what it had committed. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    exit(ct_main(argc, argv, stdout, stderr));
}
