#!/usr/bin/env bash
# DESIGN 10 (a stream of returns on standard input) with issue 8's batched
# import: a return's verdict must not wait for returns not yet sent. The
# first return goes down a FIFO that stays open; its verdict line must
# appear before the second return is written.
set -euo pipefail
: "${CENTRAL:?}" "${SRC:?}"
V=$SRC/tests/vectors
tmp=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$tmp"' EXIT
cd "$tmp"
"$CENTRAL" init --db c.db --definition "$V/definition.json" --commission-pub "$V/commission.pub" >/dev/null
"$CENTRAL" enroll --db c.db "$V/station-p1.req" "$V/station-p2.req" >/dev/null
mkfifo in
"$CENTRAL" import --db c.db - <in >out 2>/dev/null &
pid=$!
exec 3>in
cat "$V/good-p1-mayor.return" >&3
for _ in $(seq 1 100); do
  [ -s out ] && break
  sleep 0.05
done
first=$(cat out)
cat "$V/good-p2-mayor.return" >&3
exec 3>&-
wait "$pid" || true
fail=0
if [ "$first" = "accepted -:1" ]; then echo "ok   the first verdict came before the second return"; else
  echo "FAIL the first verdict did not come within 5 s of its return (got '$first')"; fail=1; fi
if [ "$(cat out)" = "$(printf 'accepted -:1\naccepted -:2')" ]; then echo "ok   both verdicts, in order"; else
  echo "FAIL output: $(cat out)"; fail=1; fi
exit $fail
