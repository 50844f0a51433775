#!/usr/bin/env bash
# The README's main job end to end: examples/demo.sh on the seed's four
# by-elections must print the published counts, percentages and turnout,
# the winners, and 0.00 % where the seed printed 0 invalid ballots as
# 3.77 %. The demo's returns must also verify with the independent Python
# verifier, and a tampered copy must be rejected and stored.
set -euo pipefail
: "${STATION:?}" "${CENTRAL:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DEMO_DIR=$tmp/demo
bash "$SRC/examples/demo.sh" >"$tmp/out.txt" 2>&1 || { cat "$tmp/out.txt"; exit 1; }
pass=0 fail=0
expect() { # expect REGEX: the demo output has a line matching it
  if grep -Eq -- "$1" "$tmp/out.txt"; then pass=$((pass + 1)); else
    echo "FAIL: no line matching: $1" >&2; fail=$((fail + 1)); fi
}
expect '^  Nūrbek Jandäuletov +Nur Otan +731 +78\.77$'
expect '^  Myrzagul Rsalieva +Independent +153 +16\.49$'
expect '^  invalid +35 +3\.77$'
expect '^  turnout +72\.33 %'
expect 'outcome: elected Nūrbek Jandäuletov \(Nur Otan\)'
expect '^  Amankeldı Ömırälı +Nur Otan +1816 +94\.44$'
expect '^  turnout +85\.70 %'
expect '^  Kenjemūrat Qasenov +Nur Otan +732 +85\.12$'
expect '^  invalid +0 +0\.00$'
expect '^  turnout +71\.67 %'
expect '^  Aitqali Jūbanazar +Nur Otan +473 +61\.59$'
expect "^  Mereke Bisenbin +People's Party of Kazakhstan +234 +30\.47$"
expect '^  against all +4 +0\.52$'
expect '^  invalid +48 +6\.25$'
expect '^  turnout +65\.36 %'
expect '^Ülken, invalid ballots: published 0 = 3\.77 %, computed from the signed return 0 = 0\.00 %$'
expect '^accepted .*ulken-1\.return$'

# The independent verifier (Debian's python3-nacl) agrees on every return.
if /usr/bin/python3 -c 'import nacl' 2>/dev/null; then
  if /usr/bin/python3 "$SRC/tests/python/verify_returns.py" --keys "$DEMO_DIR/stations" "$DEMO_DIR/returns" >"$tmp/py.txt"; then
    [ "$(grep -c '^OK ' "$tmp/py.txt")" -eq 4 ] && pass=$((pass + 1)) || { echo "FAIL: verifier did not print 4 OK" >&2; fail=$((fail + 1)); }
  else
    echo "FAIL: independent verifier refused a demo return" >&2; cat "$tmp/py.txt" >&2; fail=$((fail + 1))
  fi
else
  echo "note: /usr/bin/python3 has no nacl; independent verifier step skipped"
fi

# One digit changed after signing: rejected, stored, exit 1; the tally keeps
# the real numbers.
sed 's/^votes qasenov 732$/votes qasenov 733/' "$DEMO_DIR/returns/ulken-1.return" >"$tmp/ulken-1-tampered.return"
set +e
line=$("$CENTRAL" import --db "$DEMO_DIR/central.db" "$tmp/ulken-1-tampered.return")
rc=$?
set -e
if [ "$rc" = 1 ] && [[ $line == "rejected "*"ulken-1-tampered.return bad-signature" ]]; then pass=$((pass + 1)); else
  echo "FAIL: tampered return: exit $rc, '$line'" >&2; fail=$((fail + 1)); fi
set +e
again=$("$CENTRAL" import --db "$DEMO_DIR/central.db" "$tmp/ulken-1-tampered.return")
set -e
if [[ $again == "duplicate "*"rejected bad-signature"* ]]; then pass=$((pass + 1)); else
  echo "FAIL: tampered return not stored: '$again'" >&2; fail=$((fail + 1)); fi
"$CENTRAL" tally --db "$DEMO_DIR/central.db" --contest ulken-akim >"$tmp/t.txt"
grep -Eq '^  Kenjemūrat Qasenov +Nur Otan +732 +85\.12$' "$tmp/t.txt" && pass=$((pass + 1)) || { echo "FAIL: tally changed" >&2; fail=$((fail + 1)); }
echo "demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
