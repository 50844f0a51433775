#!/usr/bin/env bash
# Schema 3 (issue 8, docs/DECISIONS.md "Schema 3"): what it indexes and what
# it does not, the searches of decisions that can change reach only the few
# the partial index holds, and a database of another version (schema 2,
# made by the central before) is refused, not guessed at.
set -euo pipefail
: "${CENTRAL:?}" "${SRC:?}"
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3 shell (scripts/setup.sh)"; exit 77; }
V=$SRC/tests/vectors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail=0
check() { # check WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected '$2', got '$3'"; fail=1; fi
}
count() { sqlite3 c.db "$1"; }
"$CENTRAL" init --db c.db --definition "$V/definition.json" --commission-pub "$V/commission.pub" >/dev/null
"$CENTRAL" enroll --db c.db "$V/station-p1.req" >/dev/null 2>&1
"$CENTRAL" import --db c.db "$V/good-p1-mayor.return" "$V/good-p2-mayor.return" >/dev/null 2>&1 || true
check "schema 3 at init" 3 "$(count 'SELECT schema FROM meta')"
check "no index on events.hash" 0 \
  "$(count "SELECT count(*) FROM pragma_index_list('events') WHERE origin <> 'pk'")"
check "no index on files.key_id" 0 "$(count "SELECT count(*) FROM sqlite_master WHERE name = 'files_by_key_id'")"
check "decisions_open holds the rejection only" 1 "$(count 'SELECT count(*) FROM decisions INDEXED BY decisions_open WHERE role IN ('"'rejected', 'awaiting'"')')"
out=$("$CENTRAL" enroll --db c.db "$V/station-p2.req" 2>/dev/null)
check "the rejection waiting for its key is decided again" 1 \
  "$(grep -c "^redecided .*good-p2-mayor.return accepted$" <<<"$out" || true)"
check "three decisions in all, of which decisions_open holds the one rejection" "3 1" \
  "$(count 'SELECT count(*) FROM decisions') $(count 'SELECT count(*) FROM decisions INDEXED BY decisions_open WHERE role IN ('"'rejected', 'awaiting'"')')"

sqlite3 c.db "DROP TRIGGER meta_no_update; UPDATE meta SET schema = 2;"
err=$("$CENTRAL" status --db c.db 2>&1 >/dev/null) && rc=0 || rc=$?
check "schema 2 is refused" 1 "$([ "$rc" -ne 0 ] && grep -c 'database schema 2, this central knows 3' <<<"$err" || true)"
exit $fail
