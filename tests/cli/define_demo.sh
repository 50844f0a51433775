#!/usr/bin/env bash
# Issue 9, "the CSV route rebuilds the demo's definition from CSV files, and
# the result is accepted by central init": `central define` on
# examples/kz-2021-akim-by/csv/ must give the hand-written definition.json
# byte for byte (so the same hash), which then signs and inits.
set -euo pipefail
: "${CENTRAL:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
demo=$SRC/examples/kz-2021-akim-by
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

hash=$("$CENTRAL" define --from-csv "$demo/csv" --out "$tmp/def.json")
if cmp -s "$tmp/def.json" "$demo/definition.json"; then ok; else
  bad "definition from CSV differs from definition.json"
  diff "$demo/definition.json" "$tmp/def.json" >&2 || true
  # say whether it is at least the same JSON
  /usr/bin/python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
    "$tmp/def.json" "$demo/definition.json" && echo "note: semantically identical" >&2
fi
want=$(b2sum -l 256 "$demo/definition.json" | cut -d' ' -f1)
[ "$hash" = "$want" ] && ok || bad "printed hash $hash, want $want"

# Same CSV, same bytes: again, from CRLF files with a BOM and a trailing
# empty row, as a spreadsheet writes them.
mkdir "$tmp/crlf"
cp "$demo/csv/protocols.json" "$tmp/crlf/"
for f in "$demo"/csv/*.csv; do
  { printf '\357\273\277'; sed 's/$/\r/' "$f"; printf ',,,\r\n'; } >"$tmp/crlf/${f##*/}"
done
hash2=$("$CENTRAL" define --from-csv "$tmp/crlf" --out "$tmp/def2.json")
cmp -s "$tmp/def2.json" "$demo/definition.json" && [ "$hash2" = "$hash" ] && ok || bad "CRLF/BOM export gave other bytes"

# Signed and accepted by init.
"$CENTRAL" keygen --unencrypted --out "$tmp/commission" >/dev/null
signed=$("$CENTRAL" sign-definition --key "$tmp/commission.key" "$tmp/def.json")
[ "$signed" = "$hash" ] && ok || bad "sign-definition printed $signed"
if init=$("$CENTRAL" init --db "$tmp/central.db" --definition "$tmp/def.json" \
  --commission-pub "$tmp/commission.pub" --mode test); then
  [[ $init == *"$hash"* ]] && ok || bad "init printed '$init'"
else
  bad "central init refused the definition built from CSV"
fi

# A refused spreadsheet writes nothing and exits 1.
mkdir "$tmp/bad"
cp "$demo"/csv/* "$tmp/bad/"
sed -i 's/,1283,/,"1,346",/' "$tmp/bad/precincts.csv"
set +e
msg=$("$CENTRAL" define --from-csv "$tmp/bad" --out "$tmp/bad.json" 2>&1 >/dev/null)
rc=$?
set -e
[ "$rc" = 1 ] && ok || bad "bad CSV: exit $rc, want 1"
[[ $msg == "central: $tmp/bad/precincts.csv: row 2, column E (registered): not a plain integer: \"1,346\""* ]] && ok || bad "message: $msg"
[ ! -e "$tmp/bad.json" ] && [ -z "$(ls "$tmp" | grep -F 'bad.json.')" ] && ok || bad "something was written"

echo "define_demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
