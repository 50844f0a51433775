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

"$CENTRAL" enroll --db a.db - <requests.stream >enroll-a.out 2>enroll-a.err
"$CENTRAL" enroll --db b.db --progress - <requests.stream >enroll-b.out 2>enroll-b.err
check "enroll: the same standard output with --progress" "cmp -s enroll-a.out enroll-b.out"
check "enroll: no progress line when not asked and not a terminal" "! grep -q '^enroll:' enroll-a.err"
check "enroll --progress: a summary with the counts printed" \
    "grep -Eq '^enroll: 3 requests in [0-9.]+ s, [0-9]+/s \\(enrolled 3\\)\$' enroll-b.err"

"$CENTRAL" import --db a.db - <returns.stream >import-a.out 2>import-a.err
"$CENTRAL" import --db b.db --progress - <returns.stream >import-b.out 2>import-b.err
check "import: the same standard output with --progress" "cmp -s import-a.out import-b.out"
check "import: no progress line when not asked and not a terminal" "! grep -q '^import:' import-a.err"
check "import --progress: the summary counts what was printed" \
    "grep -Eq '^import: 5 inputs in [0-9.]+ s, [0-9]+/s \\(accepted 3, rejected 1, duplicate 1\\)\$' import-b.err"
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
