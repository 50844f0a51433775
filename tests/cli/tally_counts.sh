#!/usr/bin/env bash
# DESIGN 8 "every number comes from the signed bytes": tally and status
# parse the counted returns on every core, a chunk of 4096 at a time (issue
# 8). On an election of 5,000 precincts without faults (two chunks), every
# contest's sums in `central tally --format csv` must equal the sums of the
# returns' own lines, added up here from the return stream with awk; then a
# stored return in the second chunk is damaged behind central's back
# (triggers dropped) and `tally --recount` and status must refuse with one
# line naming it, not crash or print a tally without it. Plain `tally`
# prints the summary the tally cache kept when the return was committed
# (docs/DECISIONS.md "Tally cache"), and `central audit` must report the
# damage.
set -euo pipefail
: "${CENTRAL:?}" "${BUILD:?}"
GEN=$BUILD/bench/bench-gen
[ -x "$GEN" ] || { echo "tally_counts: $GEN not built" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "tally_counts: skipped: the sqlite3 command is not installed"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "tally_counts: skipped: /usr/bin/python3 is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "tally_counts: FAIL: $*" >&2; exit 1; }

"$GEN" --precincts 5000 --faults 0 --seed 3 --out g >/dev/null
"$CENTRAL" init --db c.db --definition g/definition.json --commission-pub g/commission.pub >/dev/null
"$CENTRAL" enroll --db c.db - <g/requests.stream >/dev/null 2>&1
"$CENTRAL" import --db c.db - <g/returns.stream >import.out 2>/dev/null
n=$(grep -c '^accepted ' import.out)
[ "$n" -eq 5000 ] || fail "expected 5000 accepted returns, got $n"

# contest,kind,id -> sum, from the returns themselves
awk '$1 == "contest" {c = $2} $1 == "count" || $1 == "votes" {s[c "," $1 "," $2] += $3}
     END {for (k in s) print k "," s[k]}' g/returns.stream | sort >want.csv
"$CENTRAL" tally --db c.db --format csv >tally.csv
head -1 tally.csv | grep -q . || fail "empty tally"
# The CSV layout: docs/DEFINITION.md "Tally output"; a contest's own rows
# have no precinct; kind line is a protocol line's sum, kind candidate a
# candidate's votes.
/usr/bin/python3 - tally.csv <<'PY' | sort >got.csv
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["precinct"] == "" and r["kind"] in ("line", "candidate"):
        kind = "count" if r["kind"] == "line" else "votes"
        print("%s,%s,%s,%s" % (r["contest"], kind, r["id"], r["count"]))
PY
[ -s got.csv ] || { head -5 tally.csv; fail "no sums found in the CSV"; }
diff want.csv got.csv >/dev/null || { diff want.csv got.csv | head; fail "tally sums differ from the returns' own"; }
echo "tally_counts: $(wc -l <got.csv) sums of 5000 returns equal the returns' lines"

# A stored return damaged behind central's back, in the second chunk (file
# 4500: bench-gen lists precincts in order, one contest each, and import
# numbers files in stream order; checked below), then also one in the first
# (file 10), whose failure is found while the second chunk is being read:
# the earlier row is the one named. Chunks are 4096 rows (report.c,
# COUNTS_CHUNK); 5,000 returns make two.
[ "$(sqlite3 c.db "SELECT precinct FROM files WHERE id = 4500")" = p4500 ] ||
  fail "file 4500 is not p4500's return: the chunk this test damages is not the second"
damage() { sqlite3 c.db "DROP TRIGGER IF EXISTS files_no_update; UPDATE files SET bytes = CAST('precinct-return 1' || char(10) AS BLOB) WHERE id = $1;"; }
refused() { # refused ID: tally --recount and status stop with one line naming file ID
  for cmd in "tally --recount" status; do
    rc=0
    "$CENTRAL" $cmd --db c.db >out.txt 2>err.txt || rc=$?
    [ "$rc" -ne 0 ] || fail "$cmd printed a result over a damaged return"
    [ "$(wc -l <err.txt)" -eq 1 ] || { cat err.txt; fail "$cmd: not one line of error"; }
    grep -q "stored return $1 no longer parses" err.txt || { cat err.txt; fail "$cmd: message does not name return $1"; }
    [ ! -s out.txt ] || fail "$cmd wrote output over a damaged return"
  done
}
"$CENTRAL" tally --db c.db --format csv >before.csv
damage 4500
refused 4500
damage 10
refused 10
"$CENTRAL" tally --db c.db --format csv >cached.csv || fail "tally from the cache failed"
cmp -s before.csv cached.csv || fail "the cached summary changed when stored bytes were damaged"
rc=0
"$CENTRAL" audit --db c.db >audit.txt 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { tail -5 audit.txt; fail "audit exit $rc over damaged returns, want 1"; }
grep -q "file .* stored bytes do not hash to it" audit.txt || { tail -5 audit.txt; fail "audit does not name the damaged bytes"; }
echo "tally_counts: a damaged stored return is refused by tally --recount and status, the earliest named; audit finds it"
