#!/usr/bin/env bash
# DESIGN 9 / issue 5: every file an import stores gets its signed receipt
# and the run its checkpoint, even when the run ends with exit 3 because
# another input could not be read (red team: one bad path used to cost the
# whole run its receipts and checkpoint).
set -euo pipefail
: "${CENTRAL:?}" "${SRC:?}"
V=$SRC/tests/vectors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
cp "$V/commission.key" . && chmod 600 commission.key
"$CENTRAL" init --db c.db --definition "$V/definition.json" --commission-pub "$V/commission.pub" >/dev/null
"$CENTRAL" enroll --db c.db "$V/station-p1.req" "$V/station-p2.req" >/dev/null 2>&1
mkdir rr cq
rc=0
"$CENTRAL" import --db c.db --checkpoint-key commission.key --checkpoints cq --receipts rr \
  "$V/good-p1-mayor.return" ./no-such-file "$V/good-p2-mayor.return" >out 2>err || rc=$?
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got $2, want $3"; fail=1; fi; }
check "exit code (an input could not be read)" "$rc" 3
check "both returns accepted" "$(grep -c '^accepted ' out)" 2
check "a receipt for each stored return" "$(ls rr | wc -l)" 2
check "a checkpoint for the run" "$(ls cq | wc -l)" 1
for r in rr/*; do
  "$CENTRAL" receipt --print "$r" --commission-pub "$V/commission.pub" >slip 2>&1 &&
    grep -q VALID slip || { echo "FAIL receipt $r does not verify"; cat slip; fail=1; }
done
exit $fail
