#!/usr/bin/env bash
# Bulk enrolment (`central enroll -`, issue 8): requests on standard input
# are enrolled in batches of 1024, each batch written while the next one's
# signatures are checked on the other threads. Across batch boundaries the
# lines must come out in input order, one per request, exactly as when the
# same requests are given as files; a refused request (junk, a tampered
# signature, the same key again for another precinct) lands where it was,
# whichever batch it falls in.
set -euo pipefail
: "${CENTRAL:?}" "${BUILD:?}"
GEN=$BUILD/bench/bench-gen
[ -x "$GEN" ] || { echo "enroll_stream: $GEN not built" >&2; exit 1; }
N=2500
tmp=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$tmp"' EXIT
cd "$tmp"
"$GEN" --precincts "$N" --faults 0 --seed 3 --out g >/dev/null
mkdir req
# Split the stream into files; plant faults at the ends of the first batch
# and the start of the second (items 1023..1026 of 1-based input order).
/usr/bin/python3 - g/requests.stream req <<'PY'
import sys
head = b"station-enrolment 1\n"
parts = [head + p for p in open(sys.argv[1], "rb").read().split(head)[1:]]
# 1023: junk; 1024: a tampered signature (one byte of the body changed);
# 1025: request 5 again as is (already-enrolled); 1026: a good one.
junk = b"station-enrolment 1\nnot a request\n"
t = bytearray(parts[1023])
i = t.index(b"created ") + len(b"created 2026-03-08T")
t[i] = ord("0") if t[i] != ord("0") else ord("1")   # another hour: still parses
parts = parts[:1022] + [junk, bytes(t), parts[4]] + parts[1022:]
for i, p in enumerate(parts):
    open("%s/%06d.req" % (sys.argv[2], i), "wb").write(p)
open(sys.argv[2] + "/../stream", "wb").write(b"".join(parts))
PY
"$CENTRAL" init --db a.db --definition g/definition.json --commission-pub g/commission.pub >/dev/null
"$CENTRAL" init --db b.db --definition g/definition.json --commission-pub g/commission.pub >/dev/null
find req -name '*.req' | sort | xargs -n 400 "$CENTRAL" enroll --db a.db >a.out 2>/dev/null || true
"$CENTRAL" enroll --db b.db - <stream >b.out 2>/dev/null && rc=0 || rc=$?
fail=0
check() { # check NAME GOT WANT
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got $2, want $3"; fail=1; fi
}
n=$(ls req | wc -l)
check "one line per request" "$(wc -l <b.out)" "$n"
check "exit 1 for the refusals" "$rc" 1
# Names differ (file names, -:<n>): compare what follows them.
norm() { sed -E 's/^refused [^:]*(:[0-9]+)?: /refused: /' "$1"; }
check "the same lines as from files, in order" "$(norm a.out | cmp -s - <(norm b.out) && echo same)" same
check "the junk refused where it was" "$(sed -n 1023p b.out | cut -c1-16)" "refused -:1023: "
check "the tampered one refused where it was" "$(sed -n 1024p b.out | grep -c 'does not verify')" 1
check "the repeat already enrolled where it was" "$(sed -n 1025p b.out | cut -d' ' -f1)" already-enrolled
check "keys stored" "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM keys").fetchone()[0])' b.db)" "$N"

# A slow producer: the first request's line comes before the second is sent
# (the next batch is read only while the stream has something to read).
"$CENTRAL" init --db c.db --definition g/definition.json --commission-pub g/commission.pub >/dev/null
mkfifo in
"$CENTRAL" enroll --db c.db - <in >c.out 2>/dev/null &
pid=$!
exec 3>in
cat req/000000.req >&3
for _ in $(seq 1 100); do
  [ -s c.out ] && break
  sleep 0.05
done
first=$(cut -d' ' -f1 c.out)
cat req/000001.req >&3
exec 3>&-
wait "$pid" || true
check "the first line came before the second request" "$first" enrolled
check "then the second" "$(wc -l <c.out)" 2
exit $fail
