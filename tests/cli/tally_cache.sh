#!/usr/bin/env bash
# The tally cache (central/running.h, docs/DECISIONS.md "Tally cache"), from
# outside: after a bulk import with faults (conflicts, corrections, held and
# rejected returns) the cache is current, and `tally` and `status --summary`
# read it: without reading any return (a stored return damaged behind
# central's back changes nothing they print, while --recount refuses it),
# printing byte for byte what --recount computes from every return. A
# cache altered behind central's back is found by `central audit`. A
# database made before the cache (its tables dropped) is read in full, and
# its next write rebuilds the cache, with a schema audit accepts.
set -euo pipefail
: "${CENTRAL:?}" "${BUILD:?}"
GEN=$BUILD/bench/bench-gen
[ -x "$GEN" ] || { echo "tally_cache: $GEN not built" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "tally_cache: skipped: the sqlite3 command is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "tally_cache: FAIL: $*" >&2; exit 1; }
q() { sqlite3 c.db "$1"; }
save() { cp c.db keep.db; }                           # a copy to put back
restore() { rm -f c.db-wal c.db-shm && mv keep.db c.db; }

"$GEN" --precincts 400 --faults 40 --seed 5 --out g >/dev/null
"$CENTRAL" init --db c.db --definition g/definition.json --commission-pub g/commission.pub >/dev/null
"$CENTRAL" enroll --db c.db - <g/requests.stream >/dev/null 2>&1
"$CENTRAL" import --db c.db - <g/returns.stream >import.out 2>/dev/null || true
grep -q '^conflict ' import.out || fail "the generated faults made no conflict"
grep -q ' corrected' import.out || fail "the generated faults made no correction"

current() { # the cache is current: built for the newest definition, nothing dirty
  [ "$(q "SELECT count(*) FROM tally_cache")" = 1 ] || fail "$1: no tally cache"
  [ "$(q "SELECT count(*) FROM tally_dirty")" = 0 ] || fail "$1: dirty rows left after the commit"
}
same() { # same LABEL: the cached summaries equal the recounted ones
  for f in text json csv; do
    "$CENTRAL" tally --db c.db --format $f >a.$f
    "$CENTRAL" tally --db c.db --format $f --recount >b.$f
    cmp -s a.$f b.$f || { diff a.$f b.$f | head; fail "$1: tally --format $f differs from --recount"; }
  done
  for j in "" --json; do
    "$CENTRAL" status --db c.db --summary $j >a.st
    "$CENTRAL" status --db c.db --summary --recount $j >b.st
    cmp -s a.st b.st || { diff a.st b.st | head; fail "$1: status --summary $j differs from --recount"; }
  done
}
current "after the import"
same "after the import"
echo "tally_cache: after a bulk import with faults the cache is current and equals the recount"

# The summary does not read the returns: damage one behind central's back.
"$CENTRAL" tally --db c.db >before.txt
id=$(q "SELECT file FROM tally_cache_pc WHERE status = 0 LIMIT 1")
save
q "DROP TRIGGER files_no_update; UPDATE files SET bytes = CAST('precinct-return 1' || char(10) AS BLOB) WHERE id = $id;"
"$CENTRAL" tally --db c.db >after.txt || fail "tally from the cache failed"
cmp -s before.txt after.txt || fail "the cached tally changed"
if "$CENTRAL" tally --db c.db --recount >/dev/null 2>err.txt; then fail "tally --recount read over a damaged return"; fi
grep -q "stored return $id no longer parses" err.txt || { cat err.txt; fail "--recount does not name return $id"; }
restore
echo "tally_cache: tally's summary reads no return (a damaged one changes nothing; --recount refuses it)"

# A cache altered behind central's back: audit finds it. Each change is
# made on a copy that is put back afterwards.
audit_finds() { # audit_finds SQL PATTERN: after SQL, audit exits 1 with a line matching PATTERN
  save
  q "$1"
  rc=0
  "$CENTRAL" audit --db c.db >audit.txt 2>&1 || rc=$?
  [ "$rc" -eq 1 ] || { tail -3 audit.txt; fail "audit exit $rc after: $1, want 1"; }
  grep -q "$2" audit.txt || { tail -3 audit.txt; fail "audit does not report '$2' after: $1"; }
  restore
}
# A vote count changed, then a sums record that no longer has the contest's shape.
c=$(q "SELECT contest FROM tally_cache_contest LIMIT 1")
for change in "substr(sums, 1, length(sums) - 8) || X'0100000000000000'" "zeroblob(length(sums))"; do
  audit_finds "UPDATE tally_cache_contest SET sums = $change WHERE contest = '$c'" \
    "tally cache: .*: not what the returns in the tally add up to"
done
# A row changed, wrong, or gone (the share a later commit would take out).
p=$(q "SELECT precinct FROM tally_cache_pc WHERE status = 0 LIMIT 1")
for change in "UPDATE tally_cache_pc SET status = 1 WHERE precinct = '$p'" \
              "UPDATE tally_cache_pc SET file = file + 1 WHERE precinct = '$p'" \
              "DELETE FROM tally_cache_pc WHERE precinct = '$p'"; do
  audit_finds "$change" "tally cache: .*: not the status and return the decisions give"
done
# The core (names, ids, seats a cached tally prints by).
audit_finds "UPDATE tally_cache SET core = CAST(replace(CAST(core AS TEXT), 'Candidate 1', 'Candidate X') AS BLOB)" \
  "tally cache: its definition's core is not the stored definition's"
"$CENTRAL" audit --db c.db >audit.txt 2>&1 || { tail -3 audit.txt; fail "audit of the intact database failed"; }
echo "tally_cache: audit finds a cache whose sums, rows or core are not what the returns, decisions and definition give"

# A write is never stopped by the cache: excusing the precinct whose
# counted return was damaged behind central's back empties the cache (its
# old share cannot be read), and the tally no longer needs that return.
save
set -- $(q "SELECT precinct, contest, file FROM tally_cache_pc WHERE status = 0 LIMIT 1" | tr '|' ' ')
q "DROP TRIGGER files_no_update; UPDATE files SET bytes = CAST('precinct-return 1' || char(10) AS BLOB) WHERE id = $3;"
"$CENTRAL" excuse --db c.db --precinct "$1" --contest "$2" --reason void --decision test-2 >/dev/null 2>err.txt ||
  { cat err.txt; fail "excusing the precinct of a damaged return failed"; }
same "after excusing the precinct of a damaged return"
key=$(q "SELECT key_id FROM keys LIMIT 1 OFFSET 1")
"$CENTRAL" revoke --db c.db --key "$key" --reason retired --decision test-3 >/dev/null 2>&1 || fail "the next write failed"
current "after the write that follows"
same "after the write that follows"
restore
echo "tally_cache: a damaged return does not stop a write about its precinct; the next write rebuilds the cache"

# Only the triggers dropped (as a crash between CREATEs once left them):
# the next writer adds them back, all or nothing, and rebuilds.
save
q "DROP TRIGGER tally_dirty_decisions; DROP TRIGGER tally_dirty_resolutions; DROP TRIGGER tally_dirty_excuses;"
"$CENTRAL" revoke --db c.db --key "$key" --reason retired --decision test-4 >/dev/null 2>&1 || fail "revoke failed"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tally_dirty_%'")" = 3 ] ||
  fail "the triggers were not added back"
current "after the triggers were added back"
same "after the triggers were added back"
restore
echo "tally_cache: a cache missing its triggers is completed and rebuilt by the next write"

# A database made before the cache: read in full; the next write rebuilds it.
q "DROP TRIGGER tally_dirty_decisions; DROP TRIGGER tally_dirty_resolutions; DROP TRIGGER tally_dirty_excuses;
   DROP TABLE tally_cache; DROP TABLE tally_cache_contest; DROP TABLE tally_cache_pc; DROP TABLE tally_dirty;"
"$CENTRAL" tally --db c.db --format json >old.json || fail "tally of a database without the cache failed"
"$CENTRAL" tally --db c.db --format json --recount >ref.json
cmp -s old.json ref.json || fail "tally of a database without the cache differs"
key=$(q "SELECT key_id FROM keys LIMIT 1")
"$CENTRAL" revoke --db c.db --key "$key" --reason retired --decision "test-1" >/dev/null 2>&1 ||
  fail "revoke (the next write) failed"
current "after the first write to a database made before the cache"
same "after the rebuild"
"$CENTRAL" audit --db c.db >audit.txt 2>&1 || { tail -3 audit.txt; fail "audit after the rebuild failed"; }
echo "tally_cache: a database made before the cache is read in full, and its next write rebuilds it"
