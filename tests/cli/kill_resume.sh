#!/usr/bin/env bash
# DESIGN 9 "safe against a crash at any moment", for re-decisions: a chain
# of corrections arrives newest first (all held awaiting-predecessor), then
# the original arrives and releases them one by one. `kill -9` in the
# middle of that cascade, then any later write command, must finish the
# work: the newest correction ends in the tally, as in an uninterrupted run.
set -euo pipefail
: "${STATION:?}" "${CENTRAL:?}" "${SRC:?}"
V=$SRC/tests/vectors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
cp "$V/definition.json" "$V/definition.json.sig" "$V/station-p1.key" "$V/station-p1.pub" .
chmod 600 station-p1.key
cid=$(sed -n 2p "$V/commission.pub" | cut -d' ' -f2)
cpk=$(sed -n 3p "$V/commission.pub" | cut -d' ' -f2)
printf 'station-pin 1\nelection vec-2026\nprecinct p1\ncommission %s\ncommission-public %s\nkey %s\n' \
  "$cid" "$cpk" "$(sed -n 2p station-p1.pub | cut -d' ' -f2)" >station-p1.pin
"$CENTRAL" init --db clean.db --definition definition.json --commission-pub "$V/commission.pub" >/dev/null
"$CENTRAL" enroll --db clean.db "$V/station-p1.req" >/dev/null
n=80
cp "$V/good-p1-mayor.return" c000.return
prev=c000.return
for i in $(seq -w 1 $n); do
  i=$(printf '%03d' "$((10#$i))")
  "$STATION" amend "$prev" --definition definition.json --reason "recount $i" --key station-p1.key \
    --signed-at 2026-03-16T00:00:00Z --out "c$i.return" >/dev/null
  prev=c$i.return
done
newest=$(b2sum -l 256 "$prev" | cut -c1-16)
pass=0 fail=0 interrupted=0
for delay in 0.02 0.05 0.1 0.2 0.3 0.5; do
  cp clean.db k.db
  # shellcheck disable=SC2046
  "$CENTRAL" import --db k.db $(ls -r c*.return | grep -v c000) >/dev/null || true
  "$CENTRAL" import --db k.db c000.return >/dev/null & pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # Any later write command finishes the cascade; here, importing again.
  resumed=$("$CENTRAL" import --db k.db c000.return | grep -c '^redecided' || true)
  interrupted=$((interrupted + (resumed > 0)))
  row=$("$CENTRAL" status --db k.db | awk '$1 == "p1" && $2 == "mayor"')
  if [[ $row == *in-tally*" $((n + 1)) "*"$newest"* ]]; then pass=$((pass + 1)); else
    echo "FAIL (kill after ${delay}s): $row" >&2; fail=$((fail + 1)); fi
  stored=$(sqlite3 k.db 'SELECT count(*) FROM files' 2>/dev/null || echo $((n + 1)))
  [ "$stored" = $((n + 1)) ] && pass=$((pass + 1)) || { echo "FAIL: $stored files stored" >&2; fail=$((fail + 1)); }
done
# The test means something only if some kill landed inside the cascade.
if [ "$interrupted" -gt 0 ]; then pass=$((pass + 1)); else
  echo "FAIL: no kill interrupted the cascade; lengthen the chain" >&2; fail=$((fail + 1)); fi
echo "kill_resume: $interrupted of 6 kills interrupted the cascade"
echo "kill_resume: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
