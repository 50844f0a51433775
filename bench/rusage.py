#!/usr/bin/python3
"""Runs one command and prints `seconds S peak_rss_kib K exit E cpu C` on stderr
(C: the child's user + system CPU seconds, all threads).

    rusage.py [--stdin FILE] [--stdout FILE] -- COMMAND...
Peak RSS is the child's ru_maxrss (the only child this process waits for).
"""
import resource
import subprocess
import sys
import time


def main(argv):
    stdin = stdout = None
    i = 1
    while argv[i] != "--":
        if argv[i] == "--stdin":
            stdin = open(argv[i + 1], "rb")
        elif argv[i] == "--stdout":
            stdout = open(argv[i + 1], "wb")
        i += 2
    t0 = time.monotonic()
    rc = subprocess.call(argv[i + 1:], stdin=stdin, stdout=stdout or subprocess.DEVNULL)
    secs = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("seconds %.3f peak_rss_kib %d exit %d cpu %.3f" % (secs, ru.ru_maxrss, rc,
                                                            ru.ru_utime + ru.ru_stime),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
