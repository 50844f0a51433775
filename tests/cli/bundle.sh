#!/usr/bin/env bash
# bundle.sh: `central export --bundle` and `central audit --bundle`
# (docs/BUNDLE.md). A bundle of an untouched database audits clean with no
# database; an altered return, an altered event, a missing file, a file no
# event names, a forged checkpoint and a wrong commission key are each
# caught (exit 1, a `difference:` line naming it). The independent Python
# verifier (tests/python/verify_bundle.py) recomputes the chain and the
# tally from the bundle alone and agrees with `central tally --format json`.
# Env from ctest: CENTRAL, SRC. Exit 77 = skipped.
set -u

if [ -z "${CENTRAL:-}" ] || [ ! -x "$CENTRAL" ] || [ -z "${SRC:-}" ]; then
    echo "skip: CENTRAL and SRC must be set"
    exit 77
fi
V="$SRC/tests/vectors"
T=$(mktemp -d "${TMPDIR:-/tmp}/bundle.XXXXXX")
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

CK=(--checkpoint-key "$V/commission.key" --checkpoints cps)
mkdir cps rc
run 0 init -- "$CENTRAL" init --db c.db --definition "$V/definition.json" --commission-pub "$V/commission.pub"
run 0 enroll -- "$CENTRAL" enroll --db c.db "${CK[@]}" "$V/station-p1.req" "$V/station-p2.req" \
    "$V/station-p3.req" "$V/station-p2b.req"
run 1 import -- "$CENTRAL" import --db c.db "${CK[@]}" --receipts rc "$V/good-p1-mayor.return" \
    "$V/good-p2-mayor.return" "$V/good-p3-council-south.return" "$V/resigned-p1-mayor.return" \
    "$V/neg-sum-mismatch.return" "$V/neg-malformed.return" "$V/neg-bad-signature.return"
run 0 excuse -- "$CENTRAL" excuse --db c.db "${CK[@]}" --precinct p3 --contest mayor --reason void \
    --decision ruling-7
run 0 export -- "$CENTRAL" export --db c.db --bundle b --checkpoints cps --receipts rc \
    --checkpoint-key "$V/commission.key"
has export '^bundle b: .* events, 7 files'
for f in commission.pub events.txt tally.txt; do [ -f "b/$f" ] && ok || bad "b/$f missing"; done
[ "$(ls b/returns | wc -l)" = 7 ] && ok || bad "7 returns expected in b/returns"
[ "$(ls b/keys/*.req | wc -l)" = 4 ] && ok || bad "4 enrolment requests expected"
[ "$(ls b/receipts | wc -l)" = 7 ] && ok || bad "7 receipts expected"
# Exact bytes: every stored file is the file as received.
cmp -s "b/returns/$(b2sum -l 256 "$V/good-p1-mayor.return" | cut -c1-64).return" \
    "$V/good-p1-mayor.return" && ok || bad "a return in the bundle is not the file as received"
run 3 "export over an existing folder" -- "$CENTRAL" export --db c.db --bundle b
run 0 "audit --bundle" -- "$CENTRAL" audit --bundle b --commission-pub "$V/commission.pub"
has "audit --bundle" '0 differences'
run 0 "audit --db agrees" -- "$CENTRAL" audit --db c.db --commission-pub "$V/commission.pub" --checkpoints cps
run 2 "audit --bundle without a key" -- "$CENTRAL" audit --bundle b

# tamper NAME CMD...: a copy of the bundle changed by CMD (run inside it) is caught.
tamper() {
    local name=$1
    shift
    rm -rf t && cp -r b t
    (cd t && "$@")
    run 1 "$name" -- "$CENTRAL" audit --bundle t --commission-pub "$V/commission.pub"
}
P2="$(b2sum -l 256 "$V/good-p2-mayor.return" | cut -c1-64)"
tamper "altered return" sed -i 's/^votes alice 200$/votes alice 201/' "returns/$P2.return"
has "altered return" "file $P2 (precinct p2 contest mayor): stored bytes do not hash to it"
has "altered return" "verdict is 'accepted' in the database, 'rejected' on replay"
tamper "altered event" sed -i '0,/^verdict accepted$/s//verdict flagged/' events.txt
has "altered event" 'the hash chain is broken here'
# the same event rewritten with its hash and every later one recomputed:
# the chain holds, the replay and the signed checkpoint do not.
tamper "rewritten chain" /usr/bin/env python3 - <<'PY'
import hashlib
lines = open('events.txt', 'rb').read().split(b'\n')[:-1]
out, prev, done = [], bytes(32), False
for i in range(0, len(lines), 9):
    b = lines[i:i + 9]
    if not done and b[5] == b'verdict accepted':
        b[5], done = b'verdict flagged', True
    text = b''.join(x + b'\n' for x in b[:8])
    prev = hashlib.blake2b(prev + text, digest_size=32).digest()
    b[8] = b'hash ' + prev.hex().encode()
    out += b
open('events.txt', 'wb').write(b''.join(x + b'\n' for x in out))
PY
# (the replay, rebuilt from the bytes, still matches the signed checkpoints)
has "rewritten chain" "verdict is 'flagged' in the database, 'accepted' on replay"
tamper "missing file" rm "returns/$P2.return"
has "missing file" "returns/$P2.return is missing from the bundle"
tamper "file no event names" cp "$V/good-p1-mayor.return" returns/0000000000000000000000000000000000000000000000000000000000000000.return
has "file no event names" 'no event of events.txt names this file'
tamper "forged checkpoint" sed -i 's/^count accepted \([0-9]*\)$/count accepted 9\1/' checkpoints/"$(ls b/checkpoints | tail -1)"
has "forged checkpoint" 'bad signature'
tamper "forged tally" sed -i 's/^votes alice \([0-9]*\)$/votes alice 1\1/' tally.txt
has "forged tally" 'tally.txt: bad signature'
tamper "removed events" /usr/bin/env python3 -c "
d = open('events.txt', 'rb').read().split(b'\n')[:-1]
open('events.txt', 'wb').write(b''.join(x + b'\n' for x in d[:-18]))"
has "removed events" 'not in the log (events removed from its end)'
"$CENTRAL" keygen --unencrypted --out other >/dev/null 2>&1
run 1 "another commission key" -- "$CENTRAL" audit --bundle b --commission-pub other.pub
has "another commission key" 'commission.pub: not the commission key given on the command line'

# The independent verifier agrees with central's tally.
PY=/usr/bin/python3
if "$PY" -c 'import nacl.signing' 2>/dev/null; then
    "$CENTRAL" tally --db c.db --format json >tally.json 2>/dev/null
    run 0 "python verifier" -- "$PY" "$SRC/tests/python/verify_bundle.py" b --commission-pub \
        "$V/commission.pub" --tally-json tally.json
    has "python verifier" '^OK chain: '
    has "python verifier" '^OK central tally --format json: every contest equals'
    has "python verifier" '^OK tally.txt: every contest equals'
    rm -rf t && cp -r b t && sed -i 's/^votes alice 200$/votes alice 201/' "t/returns/$P2.return"
    run 1 "python verifier, altered return" -- "$PY" "$SRC/tests/python/verify_bundle.py" t \
        --commission-pub "$V/commission.pub" --tally-json tally.json
    has "python verifier, altered return" "BAD returns/$P2.return: bytes do not hash to the name"
else
    echo "note: /usr/bin/python3 has no nacl: the Python verifier part is skipped"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
