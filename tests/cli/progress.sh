#!/usr/bin/env bash
# progress.sh: the progress line of long work (issue 8; central/progress.h).
# `central import`, `enroll -` and `audit` write it to standard error only:
# on a terminal, or with --progress; never otherwise. Standard output (the
# machine-readable verdict lines) is byte for byte the same with or without
# it, and the summary's counts are the verdicts printed.
set -uo pipefail
: "${CENTRAL:?}" "${SRC:?}"
V=$SRC/tests/vectors
T=$(mktemp -d "${TMPDIR:-/tmp}/progress.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

RET=("$V/good-p1-mayor.return" "$V/good-p2-mayor.return" "$V/good-p3-council-south.return"
     "$V/neg-sum-mismatch.return" "$V/good-p1-mayor.return")
cat "${RET[@]}" >returns.stream
cat "$V/station-p1.req" "$V/station-p2.req" "$V/station-p3.req" >requests.stream
for d in a b; do
    "$CENTRAL" init --db $d.db --definition "$V/definition.json" --commission-pub "$V/commission.pub" >/dev/null
done

# twice CMD STDIN SUMMARY: CMD into a.db without --progress and into b.db
# with it; the same standard output, no progress line without it, and the
# summary line SUMMARY (an extended regex) with it.
twice() {
    local cmd=$1 in=$2 summary=$3
    "$CENTRAL" "$cmd" --db a.db - <"$in" >"$cmd-a.out" 2>"$cmd-a.err"
    "$CENTRAL" "$cmd" --db b.db --progress - <"$in" >"$cmd-b.out" 2>"$cmd-b.err"
    check "$cmd: the same standard output with --progress" "cmp -s $cmd-a.out $cmd-b.out"
    check "$cmd: no progress line when not asked and not a terminal" "! grep -q '^$cmd:' $cmd-a.err"
    check "$cmd --progress: the summary counts what was printed" "grep -Eq '$summary' $cmd-b.err"
}
twice enroll requests.stream '^enroll: 3 requests in [0-9.]+ s, [0-9]+/s \(enrolled 3\)$'
twice import returns.stream \
    '^import: 5 inputs in [0-9.]+ s, [0-9]+/s \(accepted 3, rejected 1, duplicate 1\)$'
check "import: the verdicts themselves" \
    "[ \"\$(cut -d' ' -f1 import-a.out | sort | uniq -c | tr -s ' ' | tr '\\n' ,)\" = ' 3 accepted, 1 duplicate, 1 rejected,' ]"

# Files named on the command line: the total is known ("N of M").
"$CENTRAL" import --db b.db --progress "${RET[@]}" >files.out 2>files.err
check "import of files: a summary of 5 inputs, all duplicates now" \
    "grep -Eq '^import: 5 inputs in .*\\(duplicate 5\\)\$' files.err"

# On a terminal it is on without being asked (script(1) gives a pty).
if command -v script >/dev/null; then
    cp a.db t.db
    script -qec "'$CENTRAL' import --db t.db - <returns.stream >tty.out" /dev/null >tty.log 2>&1
    check "import on a terminal: the summary without --progress" "tr '\\r' '\\n' <tty.log | grep -q '^.*import: 5 inputs in'"
else
    echo "skip import on a terminal: script(1) is missing"
fi

"$CENTRAL" audit --db b.db --progress >audit.out 2>audit.err
check "audit --progress: a summary of every event replayed" \
    "grep -Eq '^audit: [0-9]+ events replayed in' audit.err && [ \"\$(grep -Eo '^audit: [0-9]+' audit.err)\" = \"audit: \$(sqlite3 b.db 'SELECT count(*) FROM events' 2>/dev/null || grep -Eo '[0-9]+ events replayed:' audit.out | grep -Eo '[0-9]+')\" ]"
check "audit: still clean" "grep -q ' 0 differences' audit.out"
echo "progress: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
