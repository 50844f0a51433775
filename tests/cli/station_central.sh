#!/usr/bin/env bash
# station_central.sh: what the station signs, central accepts (DESIGN 7:
# "the station refuses to sign what groups 4-7 would reject", and the
# converse: what it signs passes them). Skips (77) while central is missing.
# Env from ctest: STATION, CENTRAL, SRC.
set -u

if [ -z "${STATION:-}" ] || [ ! -x "$STATION" ] || [ -z "${SRC:-}" ] ||
    [ -z "${CENTRAL:-}" ] || [ ! -x "$CENTRAL" ] || ! "$CENTRAL" --version >/dev/null 2>&1; then
    echo "skip: STATION, CENTRAL and SRC must be set and runnable"
    exit 77
fi
DATA="$SRC/tests/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/station_central.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
run() { # run EXIT NAME -- CMD...
    local want=$1 name=$2
    shift 3
    "$@" </dev/null >out.txt 2>err.txt
    local got=$?
    if [ "$got" = "$want" ]; then ok; else
        bad "$name: exit $got, wanted $want"
        sed 's/^/    out: /' out.txt
        sed 's/^/    err: /' err.txt
    fi
}

cp "$DATA/station-definition.json" def.json
cp "$DATA/station-definition.json.sig" def.json.sig
cp "$DATA/station-commission.pub" commission.pub
cat >good.txt <<'EOF'
count registered 1000
count issued 700
count cast-stationary 600
count cast-portable 50
count invalid 10
count against-all 40
votes ann 400
votes ben 200
votes cat 0
EOF
sed 's/votes ben 200/votes ben 199/; s/count invalid 10/count invalid 11/' good.txt >fixed.txt

run 0 keygen -- "$STATION" keygen --definition def.json --precinct s1 \
    --commission-pub commission.pub --unencrypted --out st1
KID=$(sed -n 's/^key //p' st1.pub)
run 0 record -- "$STATION" record --definition def.json --key st1.key --contest mayor \
    --counts good.txt --signed-at 2026-03-15T18:00:00Z --out r1.return
run 0 amend -- "$STATION" amend r1.return --reason "Recount of invalid ballots" \
    --definition def.json --key st1.key --counts fixed.txt \
    --signed-at 2026-03-15T19:00:00Z --out r2.return

run 0 "central init" -- "$CENTRAL" init --db c.db --definition def.json \
    --commission-pub commission.pub
run 0 "central enroll" -- "$CENTRAL" enroll --db c.db --expect-key-id "$KID" st1.req
run 0 "central import r1" -- "$CENTRAL" import --db c.db r1.return
grep -q '^accepted ' out.txt && ok || { bad "r1 not accepted"; cat out.txt; }
run 0 "central import r2" -- "$CENTRAL" import --db c.db r2.return
grep -q '^corrected ' out.txt && ok || { bad "r2 not corrected"; cat out.txt; }

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
