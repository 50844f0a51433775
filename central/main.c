/*
 * main.c: the `central` program: everything is in central_core; this is
 * the one place that exits.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"

int main(int argc, char **argv)
{
    exit(ct_main(argc, argv, stdout, stderr));
}
