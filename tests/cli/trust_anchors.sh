#!/usr/bin/env bash
# trust_anchors.sh: issue 5's key freeze, certification and courier slip
# with the real programs end to end: an encrypted commission key read from
# a descriptor signs the frozen key list and a checkpoint; a station
# enrolled after the freeze is held late-key; a person accepts it; the
# contest is certified and a later correction is held; the signed receipt
# prints as a 40-column slip that verifies with the commission key and not
# with another; `central audit` agrees with everything against the
# checkpoints. Env from ctest: STATION, CENTRAL, SRC.
set -u

if [ -z "${STATION:-}" ] || [ ! -x "$STATION" ] || [ -z "${SRC:-}" ] ||
    [ -z "${CENTRAL:-}" ] || [ ! -x "$CENTRAL" ] || ! "$CENTRAL" --version >/dev/null 2>&1; then
    echo "skip: STATION, CENTRAL and SRC must be set and runnable"
    exit 77
fi
DATA="$SRC/tests/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/trust_anchors.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
run() { # run EXIT NAME -- CMD...   (descriptor 3: the commission passphrase)
    local want=$1 name=$2
    shift 3
    "$@" </dev/null >out.txt 2>err.txt 3< <(printf 'correct horse battery staple\n')
    local got=$?
    if [ "$got" = "$want" ]; then ok; else
        bad "$name: exit $got, wanted $want"
        sed 's/^/    out: /' out.txt
        sed 's/^/    err: /' err.txt
    fi
}
has() { # has NAME PATTERN FILE
    if grep -Eq -- "$2" "$3"; then ok; else bad "$1: no /$2/ in $3"; sed 's/^/    /' "$3"; fi
}

cp "$DATA/station-definition.json" def.json
cat >s1.txt <<'EOF'
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
sed 's/count registered 1000/count registered 900/' s1.txt >s2.txt
sed 's/votes ben 200/votes ben 199/; s/count invalid 10/count invalid 11/' s2.txt >s2b.txt
AT=2026-03-15T20:00:00Z

run 0 keygen -- "$CENTRAL" keygen --passphrase-fd 3 --out cc
run 0 sign-definition -- "$CENTRAL" sign-definition --key cc.key --passphrase-fd 3 def.json
run 0 init -- "$CENTRAL" init --db c.db --definition def.json --commission-pub cc.pub
run 0 "station keygen s1" -- "$STATION" keygen --definition def.json --precinct s1 \
    --commission-pub cc.pub --unencrypted --out st1
run 0 "station keygen s2" -- "$STATION" keygen --definition def.json --precinct s2 \
    --commission-pub cc.pub --unencrypted --out st2
run 0 "enroll s1" -- "$CENTRAL" enroll --db c.db st1.req
mkdir cps rcp

# The freeze: signed with the encrypted key through descriptor 3.
run 0 freeze -- "$CENTRAL" keys --db c.db --freeze --key cc.key --passphrase-fd 3 \
    --out frozen.txt --checkpoints cps
has "freeze output" '^frozen 1 keys at event [0-9]+: frozen.txt [0-9a-f]{64}$' out.txt
has "keyless precinct named" 'precincts? without a key' err.txt
[ "$(head -1 frozen.txt)" = "election-keylist 1" ] && ok || bad "frozen.txt: no type line"
has "list names s1" "^station s1 $(sed -n 's/^key //p' st1.pub) " frozen.txt
ls cps/checkpoint-*.txt >/dev/null 2>&1 && ok || bad "no checkpoint written by the freeze"
run 1 "freeze again" -- "$CENTRAL" keys --db c.db --freeze --key cc.key --passphrase-fd 3 \
    --out again.txt
[ ! -e again.txt ] && ok || bad "a refused freeze wrote its file"

# s2's key comes after the freeze: its return is held late-key.
run 0 "enroll s2 late" -- "$CENTRAL" enroll --db c.db st2.req
run 0 "keys list" -- "$CENTRAL" keys --db c.db
has "late key listed" '^s2 [0-9a-f]{16} enrolled [0-9]+ late-key$' out.txt
for s in s1 s2; do
    run 0 "record $s" -- "$STATION" record --definition def.json --key "st${s#s}.key" --contest mayor \
        --counts $s.txt --signed-at $AT --out $s.return
done
run 1 "import" -- "$CENTRAL" import --db c.db --checkpoint-key cc.key --passphrase-fd 3 \
    --checkpoints cps --receipts rcp s1.return s2.return
has "s1 accepted" '^accepted s1.return$' out.txt
has "s2 late" '^held s2.return late-key$' out.txt
run 1 "certify while held" -- "$CENTRAL" certify --db c.db --contest mayor --decision CEC-1
has "certify refused" 'cannot certify: 1 held' err.txt
H2=$(b2sum -l 256 s2.return | cut -c1-64)
run 0 "resolve late" -- "$CENTRAL" resolve --db c.db --precinct s2 --contest mayor \
    --accept "$H2" --decision CEC-late-1
run 0 certify -- "$CENTRAL" certify --db c.db --contest mayor --decision CEC-cert \
    --checkpoint-key cc.key --passphrase-fd 3 --checkpoints cps
has "certified" '^certified mayor at event [0-9]+, decision CEC-cert, head [0-9a-f]{64}$' out.txt
SEQ=$(sed -n 's/^certified mayor at event \([0-9]*\),.*/\1/p' out.txt)
run 0 "tally at certification" -- "$CENTRAL" tally --db c.db --contest mayor
cp out.txt tally-cert.txt
has "tally says certified" "^certified mayor at event $SEQ, decision CEC-cert$" tally-cert.txt

# A correction after certification (by the late key: late-key too): held,
# and the certified tally stays reproducible.
run 0 amend -- "$STATION" amend s2.return --reason "Recount of invalid ballots" \
    --definition def.json --key st2.key --counts s2b.txt --signed-at 2026-03-15T21:00:00Z \
    --out s2b.return
run 1 "import correction" -- "$CENTRAL" import --db c.db s2b.return
has "correction held" '^held s2b.return late-key,correction-review,after-certification$' out.txt
run 0 "tally as of" -- "$CENTRAL" tally --db c.db --contest mayor --as-of "$SEQ"
cmp -s out.txt tally-cert.txt && ok || { bad "tally --as-of $SEQ differs from the certified tally"; diff tally-cert.txt out.txt; }

# The courier's slip.
R1=rcp/receipt-$(b2sum -l 256 s1.return | cut -c1-64).txt
run 0 "slip" -- "$CENTRAL" receipt --print "$R1" --commission-pub cc.pub
has "slip verdict" '^verdict   ACCEPTED$' out.txt
has "slip valid" '^signature VALID$' out.txt
awk 'length($0) > 40 { exit 1 }' out.txt && ok || bad "a slip line is wider than 40 columns"
run 1 "slip, other key" -- "$CENTRAL" receipt --print "$R1" --commission-pub "$DATA/station-commission.pub"
has "slip not valid" '^signature NOT VALID: signed by another$' out.txt

# The audit agrees with all of it, against the published checkpoints.
run 0 audit -- "$CENTRAL" audit --db c.db --commission-pub cc.pub --checkpoints cps
has "audit clean" ': 0 differences$' out.txt

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
