#!/usr/bin/env bash
# Issue 8 "the same statuses and tally as a one-file-at-a-time import": a
# synthetic election of a few thousand returns with every kind of fault
# (bench-gen: tampered, sum mismatches, duplicates, re-signed copies,
# conflicts, corrections before their predecessor) is enrolled and imported
# twice: (A) requests as files, then each return file by its own `central
# import` in shuffled order; (B) `central enroll -` and `central import -`
# on the streams, in one run each. Status and tally (as JSON, without the
# event sequence and head, which count events differently) must be equal,
# and so must the number of stored files and the verdict counts.
set -euo pipefail
: "${CENTRAL:?}" "${BUILD:?}"
GEN=$BUILD/bench/bench-gen
[ -x "$GEN" ] || { echo "bulk_equivalence: $GEN not built" >&2; exit 1; }
N=${BULK_PRECINCTS:-500}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$GEN" --precincts "$N" --faults 150 --seed 7 --files --out g >/dev/null
for k in tampered sum duplicate resigned conflict correction; do
  c=$(awk -v k="$k" '$1 == "fault" && $2 == k {print $3}' g/expected.txt)
  [ "$c" -gt 0 ] || { echo "FAIL: bench-gen planted no $k fault"; exit 1; }
done

# (A) files, one import per file, shuffled (a fixed seed: reproducible).
"$CENTRAL" init --db a.db --definition g/definition.json --commission-pub g/commission.pub >/dev/null
mkdir req
/usr/bin/python3 - g/requests.stream req <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
parts = data.split(b"station-enrolment 1\n")[1:]
for i, p in enumerate(parts):
    open("%s/%06d.req" % (sys.argv[2], i), "wb").write(b"station-enrolment 1\n" + p)
EOF
find req -name '*.req' | sort | xargs -n 500 "$CENTRAL" enroll --db a.db >enroll-a.out
find g/returns -name '*.return' | sort | /usr/bin/python3 -c '
import random, sys
names = sys.stdin.read().split()
random.Random(11).shuffle(names)
print("\n".join(names))' >order.txt
: >import-a.out
while read -r f; do
  "$CENTRAL" import --db a.db "$f" >>import-a.out 2>/dev/null || true
done <order.txt

# (B) the streams, one run each.
"$CENTRAL" init --db b.db --definition g/definition.json --commission-pub g/commission.pub >/dev/null
"$CENTRAL" enroll --db b.db - <g/requests.stream >enroll-b.out
"$CENTRAL" import --db b.db - <g/returns.stream >import-b.out 2>/dev/null || true

fail=0
check() { # check NAME GOT WANT
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got $2, want $3"; fail=1; fi
}
check "keys enrolled from files" "$(grep -c '^enrolled ' enroll-a.out)" "$N"
check "keys enrolled from the stream" "$(grep -c '^enrolled ' enroll-b.out)" "$N"
strip() { /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
d.pop("as_of", None)
print(json.dumps(d, sort_keys=True, indent=1))'; }
for what in "status --json" "tally --format json" "tally --format json --by precinct"; do
  # shellcheck disable=SC2086
  "$CENTRAL" $what --db a.db | strip >a.json
  # shellcheck disable=SC2086
  "$CENTRAL" $what --db b.db | strip >b.json
  if cmp -s a.json b.json; then echo "ok   $what equal"; else
    echo "FAIL $what differs:"; diff a.json b.json | head -20; fail=1; fi
done
files() { /usr/bin/python3 -c '
import sqlite3, sys
q = sqlite3.connect(sys.argv[1])
rows = q.execute("SELECT hex(hash) FROM files ORDER BY 1").fetchall()
print(len(rows))
for r in rows: print(*r)' "$1"; }
files a.db >files-a.txt
files b.db >files-b.txt
# A file's own verdict may depend on arrival (of two conflicting returns the
# first is accepted, the second is the conflict; of two re-signed copies the
# second is the duplicate); the statuses compared above may not.
check "files stored" "$(head -1 files-b.txt)" "$(head -1 files-a.txt)"
if cmp -s files-a.txt files-b.txt; then echo "ok   the same files stored"; else
  echo "FAIL stored files differ:"; diff files-a.txt files-b.txt | head; fail=1; fi
# An audit while an import is running sees one moment of the database:
# no differences (red team: it used to report the import as tampering).
"$CENTRAL" init --db c.db --definition g/definition.json --commission-pub g/commission.pub >/dev/null
"$CENTRAL" enroll --db c.db - <g/requests.stream >/dev/null 2>&1
"$CENTRAL" import --db c.db - <g/returns.stream >/dev/null 2>&1 &
ipid=$!
sleep 0.1
"$CENTRAL" audit --db c.db >audit-c.out 2>&1 && arc=0 || arc=$?
wait "$ipid" || true
check "audit during an import" "$arc $(grep -c '^difference' audit-c.out)" "0 0"
[ "$arc" = 0 ] || grep -v '^difference' audit-c.out | head -5
check "audit of the stream import" "$("$CENTRAL" audit --db b.db >/dev/null 2>&1; echo $?)" 0
exit $fail
