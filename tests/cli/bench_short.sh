#!/usr/bin/env bash
# bench_short.sh: the short form of the national-scale benchmark (issue 8;
# bench/run.sh, docs/PERFORMANCE.md) that CI runs: 300 precincts. It checks
# that every step ran and that the figures lines are there (not the figures,
# which are for a person on a quiet machine). Skips (77) without
# /usr/bin/python3 and python3-nacl (the peer).
set -uo pipefail
: "${SRC:?}" "${BUILD:?}"
if ! /usr/bin/python3 -c 'import nacl' 2>/dev/null; then
    echo "skip: /usr/bin/python3 with python3-nacl is needed for the peer"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/bench_short.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
if bash "$SRC/bench/run.sh" --build "$BUILD" --work "$T/w" 300 >"$T/out" 2>"$T/err"; then
    ok "bench/run.sh 300 ran"
else
    bad "bench/run.sh 300 failed"; sed 's/^/    /' "$T/err" | tail -5
fi
sed 's/^/    /' "$T/out"
has() { if grep -Eq "$2" "$T/out"; then ok "$1"; else bad "$1"; fi; }
has "the verify limit on all cores" '^threads [0-9]+ verifications [0-9]+ seconds [0-9.]+ per_second [0-9]+'
has "init" '^init +0 items .* exit 0'
has "enroll of 300 requests" '^enroll +300 items .* exit 0'
# The generated faults are rejected: import exits 1 by design.
has "import, its ratio and its time outside verification" \
    '^import +[0-9]+ items .* exit 1 +[0-9.]+ % of verify limit +cpu [0-9.]+ s, -?[0-9]+ us/item outside verification'
has "tally" '^tally +0 items .* exit 0'
has "tally as JSON" '^tallyjs +0 items .* exit 0'
has "status" '^status +0 items .* exit 0'
has "recount" '^recount +0 items .* exit 0'
has "statlist" '^statlist +0 items .* exit 0'
has "audit, clean" '^audit +[0-9]+ items .* exit 0 +[0-9.]+ % of verify limit'
has "the peer on the same returns" '^peer +[0-9]+ items .* % of verify limit'
has "the verify limit measured again at the end" '^verify limit at the end: [0-9]+ verifications/s'
echo "bench_short: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
