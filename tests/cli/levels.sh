#!/usr/bin/env bash
# levels.sh: three levels (docs/BUNDLE.md "Levels"). Two district centrals
# (`central init --scope north|south --top-pub TOP`: their own commission
# keys, the one definition signed by the top commission) and a national one
# that imports their bundles (`central import --bundle --lower-pub`). The
# national tally equals a single central that imported every return itself;
# a district's excuse appears nationally as decided by it; a return of
# another area is `out-of-scope` at a district; a district bundle with one
# altered return, a district whose signed tally differs from its precincts,
# and a bundle signed by another key are each caught nationally (exit 1).
# Env from ctest: CENTRAL, SRC. Exit 77 = skipped.
set -u

if [ -z "${CENTRAL:-}" ] || [ ! -x "$CENTRAL" ] || [ -z "${SRC:-}" ]; then
    echo "skip: CENTRAL and SRC must be set"
    exit 77
fi
V="$SRC/tests/vectors"
T=$(mktemp -d "${TMPDIR:-/tmp}/levels.XXXXXX")
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
        sed 's/^/    out: /' out.txt | head -20
        sed 's/^/    err: /' err.txt | head -5
    fi
}
has() { # has NAME PATTERN: out.txt has a line matching
    if grep -q -- "$2" out.txt; then ok; else bad "$1: no line matching '$2'"; sed 's/^/    out: /' out.txt | head -20; fi
}
hasnt() {
    if grep -q -- "$2" out.txt; then bad "$1: a line matches '$2'"; sed 's/^/    out: /' out.txt | head -20; else ok; fi
}
DEF="$V/definition.json"
TOP="$V/commission.pub"
P1="$V/good-p1-mayor.return"
P2="$V/good-p2-mayor.return"
P3="$V/good-p3-council-south.return"

for d in north south; do "$CENTRAL" keygen --unencrypted --out "$d" >/dev/null 2>&1 || bad "keygen $d"; done

# The districts.
run 0 "init north" -- "$CENTRAL" init --db north.db --definition "$DEF" --commission-pub north.pub \
    --top-pub "$TOP" --scope north
run 0 "init south" -- "$CENTRAL" init --db south.db --definition "$DEF" --commission-pub south.pub \
    --top-pub "$TOP" --scope south
run 1 "init, definition not signed by the district key" -- "$CENTRAL" init --db x.db \
    --definition "$DEF" --commission-pub north.pub --scope north
run 1 "init, unknown scope" -- "$CENTRAL" init --db y.db --definition "$DEF" --commission-pub "$TOP" \
    --scope atlantis
run 0 "enroll north" -- "$CENTRAL" enroll --db north.db "$V/station-p1.req" "$V/station-p2.req"
run 0 "enroll south" -- "$CENTRAL" enroll --db south.db "$V/station-p3.req"
run 0 "import north" -- "$CENTRAL" import --db north.db "$P1" "$P2"
run 0 "import south" -- "$CENTRAL" import --db south.db "$P3"
run 0 "south excuses p3 mayor" -- "$CENTRAL" excuse --db south.db --precinct p3 --contest mayor \
    --reason void --decision south-ruling-1
run 0 "tally north" -- "$CENTRAL" tally --db north.db --format json
run 0 "export north" -- "$CENTRAL" export --db north.db --bundle nb --checkpoint-key north.key
run 0 "export south" -- "$CENTRAL" export --db south.db --bundle sb --checkpoint-key south.key
run 0 "audit north bundle" -- "$CENTRAL" audit --bundle nb --commission-pub north.pub
run 0 "audit south bundle" -- "$CENTRAL" audit --bundle sb --commission-pub south.pub
run 0 "audit north db" -- "$CENTRAL" audit --db north.db --commission-pub north.pub
grep -q '^area north$' nb/tally.txt && ok || bad "north's tally is not for area north"

# out-of-scope: a district given a return of another area, whose key it enrolled.
run 0 "init scope check" -- "$CENTRAL" init --db scope.db --definition "$DEF" --commission-pub "$TOP" --scope north
run 0 "enroll p3 at north" -- "$CENTRAL" enroll --db scope.db "$V/station-p3.req"
run 1 "out-of-scope" -- "$CENTRAL" import --db scope.db "$P3"
has "out-of-scope" '^rejected .*good-p3-council-south.return out-of-scope$'
run 0 "audit scope db" -- "$CENTRAL" audit --db scope.db --commission-pub "$TOP"

# The national level.
run 0 "init national" -- "$CENTRAL" init --db nat.db --definition "$DEF" --commission-pub "$TOP"
run 0 "import north bundle" -- "$CENTRAL" import --db nat.db --bundle nb --lower-pub north.pub
has "import north bundle" '^accepted nb/returns/'
has "import north bundle" "level north: its signed tally equals the sum of its precincts here"
run 0 "import south bundle" -- "$CENTRAL" import --db nat.db --bundle sb --lower-pub south.pub
has "import south bundle" '^excused p3 mayor void decision south-ruling-1$'
has "import south bundle" "level south: its signed tally equals the sum of its precincts here"
run 0 "audit national" -- "$CENTRAL" audit --db nat.db --commission-pub "$TOP"
run 0 "export national" -- "$CENTRAL" export --db nat.db --bundle natb --checkpoint-key "$V/commission.key"
grep -q '^data precinct p3 contest mayor by south decision south-ruling-1$' natb/events.txt && ok ||
    bad "the south's excuse is not an event decided by south"
run 0 "audit national bundle" -- "$CENTRAL" audit --bundle natb --commission-pub "$TOP"

# A single central that imported every return itself.
run 0 "init single" -- "$CENTRAL" init --db one.db --definition "$DEF" --commission-pub "$TOP"
run 0 "enroll single" -- "$CENTRAL" enroll --db one.db "$V/station-p1.req" "$V/station-p2.req" "$V/station-p3.req"
run 0 "import single" -- "$CENTRAL" import --db one.db "$P1" "$P2" "$P3"
run 0 "excuse single" -- "$CENTRAL" excuse --db one.db --precinct p3 --contest mayor --reason void --decision r
"$CENTRAL" tally --db nat.db --format json >nat.json 2>/dev/null
"$CENTRAL" tally --db one.db --format json >one.json 2>/dev/null
/usr/bin/env python3 - nat.json one.json >out.txt <<'PY'
import json, sys
def sums(p):
    j = json.load(open(p))
    return [(c['id'], c['lines'], [(x['id'], x['votes']) for x in c['candidates']], c['precincts'])
            for c in j['contests']]
a, b = sums(sys.argv[1]), sums(sys.argv[2])
print('same' if a == b else 'differ\n%s\n%s' % (a, b))
PY
has "national tally is the sum" '^same$'
grep -q '"votes": *630' nat.json || grep -q '"votes":630' nat.json && ok || bad "national alice votes not 630"

# A district bundle with one altered return.
P2H="$(b2sum -l 256 "$P2" | cut -c1-64)"
cp -r nb nb-alt
sed -i 's/^votes alice 200$/votes alice 201/' "nb-alt/returns/$P2H.return"
run 0 "init national 2" -- "$CENTRAL" init --db nat2.db --definition "$DEF" --commission-pub "$TOP"
run 1 "altered return caught nationally" -- "$CENTRAL" import --db nat2.db --bundle nb-alt --lower-pub north.pub
has "altered return caught nationally" "^mismatch: north: returns/$P2H.return does not hash to its name"
has "altered return caught nationally" "north decided accepted -, here rejected bad-signature"
has "altered return caught nationally" "^mismatch: north contest mayor: votes for alice are 630 in north's signed tally, 430 from its precincts here"

# A district whose signed tally differs from its precincts (signed with its real key).
cp -r nb nb-lie
/usr/bin/python3 - nb-lie/tally.txt north.key <<'PY' || bad "cannot re-sign the tally (python3-nacl)"
import base64, sys
import nacl.signing
path, key = sys.argv[1], sys.argv[2]
secret = [l for l in open(key).read().splitlines() if l.startswith('secret ')][0].split(' ')[1]
sk = nacl.signing.SigningKey(base64.b64decode(secret)[:32])
data = open(path, 'rb').read()
body = data[:data.rindex(b'\nsignature ') + 1].replace(b'\nvotes alice 630\n', b'\nvotes alice 650\n')
sig = sk.sign(body).signature
open(path, 'wb').write(body + b'signature ' + base64.b64encode(sig) + b'\n')
PY
run 0 "init national 3" -- "$CENTRAL" init --db nat3.db --definition "$DEF" --commission-pub "$TOP"
# (the audit of the bundle already sees it: its replay's sums differ)
run 1 "audit sees the lying tally" -- "$CENTRAL" audit --bundle nb-lie --commission-pub north.pub
has "audit sees the lying tally" "tally.txt contest mayor: votes for alice are 650 in tally.txt's signed tally, 630 on replay"
run 1 "lying tally caught nationally" -- "$CENTRAL" import --db nat3.db --bundle nb-lie --lower-pub north.pub
has "lying tally caught nationally" "^mismatch: north contest mayor: votes for alice are 650 in north's signed tally, 630 from its precincts here"
has "lying tally caught nationally" "its signed tally differs from the sum of its precincts here"

# A bundle whose key is not the one given: refused whole.
run 0 "init national 4" -- "$CENTRAL" init --db nat4.db --definition "$DEF" --commission-pub "$TOP"
run 1 "another district's key" -- "$CENTRAL" import --db nat4.db --bundle nb --lower-pub south.pub
grep -q "nothing imported" err.txt && ok || bad "another key: no 'nothing imported'"
run 0 "nothing imported" -- "$CENTRAL" status --db nat4.db
hasnt "nothing imported" 'in-tally  *1'
run 2 "import --bundle without --lower-pub" -- "$CENTRAL" import --db nat4.db --bundle nb

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
