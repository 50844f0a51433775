#!/usr/bin/env bash
# station_basic.sh: the station program end to end (DESIGN 3, 10, 11) with
# only `station` and the fixed commission key in tests/data/station-*.
# Env from ctest: STATION (the binary), SRC (source tree). Exit 77 = skip.
#
# tests/data/station-definition.json.sig is signed by
# tests/data/station-commission.key; after editing the definition, re-sign:
#   central sign-definition --key tests/data/station-commission.key \
#       tests/data/station-definition.json
set -u

if [ -z "${STATION:-}" ] || [ ! -x "$STATION" ] || [ -z "${SRC:-}" ]; then
    echo "skip: STATION and SRC must be set"
    exit 77
fi
DATA="$SRC/tests/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/station_basic.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect CODE NAME -- CMD...: runs CMD with stdin from /dev/null (never a
# terminal), keeps stdout in out.txt and stderr in err.txt.
expect() {
    local want=$1 name=$2
    shift 3
    "$@" </dev/null >out.txt 2>err.txt
    local got=$?
    if [ "$got" = "$want" ]; then ok; else
        bad "$name: exit $got, wanted $want"
        sed 's/^/    stderr: /' err.txt
    fi
}
# has FILE PATTERN NAME: FILE contains the fixed string PATTERN.
has() {
    if grep -qF -- "$2" "$1"; then ok; else
        bad "$3: '$2' not in $1"
        sed 's/^/    | /' "$1"
    fi
}

cp "$DATA/station-definition.json" def.json
cp "$DATA/station-definition.json.sig" def.json.sig
cp "$DATA/station-commission.pub" commission.pub
AFTER_CLOSE=2026-03-15T18:00:00Z

# --- version and help -------------------------------------------------------
expect 0 version -- "$STATION" --version
has out.txt "station " version
for c in keygen record amend show verify; do
    expect 0 "help $c" -- "$STATION" "$c" --help
    has out.txt "usage: station $c" "help $c"
done
expect 2 "no command" -- "$STATION"
expect 2 "unknown command" -- "$STATION" frobnicate
expect 2 "unknown option" -- "$STATION" record --frob

# --- keygen -----------------------------------------------------------------
expect 0 keygen -- "$STATION" keygen --definition def.json --precinct s1 \
    --commission-pub commission.pub --unencrypted --out st1
for f in st1.key st1.pub st1.req st1.pin; do
    [ -f "$f" ] && ok || bad "keygen did not write $f"
done
[ "$(stat -c %a st1.key)" = 600 ] && ok || bad "secret key mode is $(stat -c %a st1.key)"
KID=$(sed -n 's/^key //p' st1.pub)
has out.txt "key id      $KID" "keygen prints the key id"
has st1.pin "station-pin 1" "pin type line"
has st1.pin "commission ff14e02d7f6b5016" "pin commission id"
has st1.pin "key $KID" "pin key id"
has st1.req "station-enrolment 1" "enrolment request"
expect 3 "keygen never overwrites" -- "$STATION" keygen --definition def.json \
    --precinct s1 --commission-pub commission.pub --unencrypted --out st1
expect 1 "keygen unknown precinct" -- "$STATION" keygen --definition def.json \
    --precinct s9 --commission-pub commission.pub --unencrypted --out st9
has err.txt "no precinct s9" "keygen unknown precinct"
[ ! -e st9.key ] && ok || bad "refused keygen left st9.key"
cp def.json forged.json && cp def.json.sig forged.json.sig
sed -i 's/Ben Berg/Ben Borg/' forged.json
expect 1 "keygen refuses an unsigned definition" -- "$STATION" keygen \
    --definition forged.json --precinct s1 --commission-pub commission.pub \
    --unencrypted --out st8
expect 2 "keygen needs --out" -- "$STATION" keygen --definition def.json \
    --precinct s1 --commission-pub commission.pub --unencrypted

# --- record -----------------------------------------------------------------
cat >good.txt <<'EOF'
# precinct s1, contest mayor, typed from the paper protocol
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
rec() { # rec EXIT NAME COUNTS OUT [more options]
    local want=$1 name=$2 counts=$3 out=$4
    shift 4
    expect "$want" "$name" -- "$STATION" record --definition def.json --key st1.key \
        --contest mayor --counts "$counts" --signed-at "$AFTER_CLOSE" --out "$out" "$@"
}
rec 0 record good.txt r1.return
has err.txt "station clock: " "record shows its clock"
has out.txt "$(b2sum -l 256 r1.return | cut -c1-64)" "record prints the return hash"
has out.txt "definition  $(b2sum -l 256 def.json | cut -c1-8)" "record prints the definition hash"
has out.txt "turnout  65.00%" "record prints turnout"
has out.txt "61.54%" "record prints shares of ballots cast"
has r1.return "count ballots-cast 650" "derived line computed"
has r1.return "mode live" "live by default"
expect 0 "verify good" -- "$STATION" verify r1.return --pub st1.pub
has out.txt "valid" "verify good"
expect 0 show -- "$STATION" show r1.return --definition def.json
has out.txt "NOT CHECKED" "show says it does not check the signature"
has out.txt "Ann Aalto" "show uses names"
has out.txt "revision    1" "show revision"
has out.txt "key         $KID" "show key id"

rec 3 "record never overwrites" good.txt r1.return
rec 0 "same content again is a re-signature" good.txt r1b.return
sed 's/votes ben 200/votes ben 199/; s/count invalid 10/count invalid 11/' good.txt >fixed.txt
rec 1 "second different revision 1" fixed.txt r1c.return
has err.txt "use station amend" "second different revision 1"
[ ! -e r1c.return ] && ok || bad "refused record wrote r1c.return"

# Counts-file errors name the line.
sed 's/count invalid 10/count invalid 2.172/' good.txt >dec.txt
rec 1 "decimal count" dec.txt x.return
has err.txt "dec.txt: line 6:" "decimal count names the line"
sed 's/count registered 1000/count registered 1,346/' good.txt >sep.txt
rec 1 "thousands separator" sep.txt x.return
grep -v 'cast-portable' good.txt >miss.txt
rec 1 "missing line" miss.txt x.return
has err.txt "missing count cast-portable" "missing line"
(cat good.txt; echo "count ballots-cast 650") >derived.txt
rec 1 "derived line given" derived.txt x.return
has err.txt "line 11:" "derived line names the line"
printf 'count registered 1000\r\ncount issued 700\r\ncount cast-stationary 600\r\ncount cast-portable 50\r\ncount invalid 10\r\ncount against-all 40\r\nvotes ann 400\r\nvotes ben 200\r\nvotes cat 0\r\n' >crlf.txt
rec 0 "CRLF counts file (same content: re-signature)" crlf.txt r1d.return

# The rules central applies (DESIGN 7 groups 4-7) refuse before signing.
sed 's/votes ann 400/votes ann 401/; s/count issued 700/count issued 600/' good.txt >sum.txt
rec 1 "sum mismatch and a protocol rule" sum.txt x.return
has err.txt "refused: sum-mismatch" "sum-mismatch listed"
has err.txt "refused: cast-exceeds-issued" "every failing code listed"
[ ! -e x.return ] && ok || bad "refused record wrote x.return"
expect 1 "signed before close" -- "$STATION" record --definition def.json \
    --key st1.key --contest mayor --counts good.txt --signed-at 2026-03-15T16:59:59Z \
    --out x.return
has err.txt "signed-before-close" "signed before close"
expect 0 "test mode may sign before close" -- "$STATION" record --definition def.json \
    --key st1.key --contest mayor --counts fixed.txt --mode test \
    --signed-at 2026-03-15T16:00:00Z --out t1.return
has t1.return "mode test" "test mode"
[ -f st1.test-journal ] && ok || bad "test mode has its own journal"

# The clock: off a terminal, outside [close, close + 72 h], refuse.
now=$(date -u +%s)
close=$(date -u -d 2026-03-15T17:00:00Z +%s)
if [ "$now" -lt "$close" ] || [ "$now" -gt $((close + 72 * 3600)) ]; then
    expect 1 "clock outside the window, no terminal" -- "$STATION" record \
        --definition def.json --key st1.key --contest mayor --counts good.txt --out x.return
    has err.txt "--signed-at" "clock refusal says to use --signed-at"
fi
expect 2 "bad --signed-at" -- "$STATION" record --definition def.json --key st1.key \
    --contest mayor --counts good.txt --signed-at 2026-03-15 --out x.return
expect 2 "no counts and no terminal" -- "$STATION" record --definition def.json \
    --key st1.key --contest mayor --signed-at "$AFTER_CLOSE" --out x.return

# Pinning: another precinct, another contest, an unsigned definition.
expect 1 "precinct not pinned" -- "$STATION" record --definition def.json \
    --key st1.key --contest mayor --precinct s2 --counts good.txt \
    --signed-at "$AFTER_CLOSE" --out x.return
has err.txt "not pinned" "precinct not pinned"
expect 1 "unknown contest" -- "$STATION" record --definition def.json --key st1.key \
    --contest nope --counts good.txt --signed-at "$AFTER_CLOSE" --out x.return
expect 1 "definition not signed by the pinned key" -- "$STATION" record \
    --definition forged.json --key st1.key --contest mayor --counts good.txt \
    --signed-at "$AFTER_CLOSE" --out x.return
has err.txt "pinned commission key" "unsigned definition"
expect 3 "unreadable counts file" -- "$STATION" record --definition def.json \
    --key st1.key --contest mayor --counts nothere.txt --signed-at "$AFTER_CLOSE" \
    --out x.return
expect 3 "unreadable key" -- "$STATION" record --definition def.json \
    --key nothere.key --contest mayor --counts good.txt --signed-at "$AFTER_CLOSE" \
    --out x.return

# --- amend ------------------------------------------------------------------
expect 0 amend -- "$STATION" amend r1.return --reason "Recount of invalid ballots" \
    --definition def.json --key st1.key --counts fixed.txt --signed-at 2026-03-15T19:00:00Z \
    --out r2.return
has r2.return "revision 2" "amend raises the revision"
has r2.return "supersedes $(b2sum -l 256 r1.return | cut -c1-64)" "amend names its predecessor"
has r2.return "reason Recount of invalid ballots" "amend reason"
has r2.return "votes ben 199" "amend counts"
expect 0 "verify amended" -- "$STATION" verify r2.return --pub st1.pub
expect 0 "amend without counts keeps them" -- "$STATION" amend r2.return \
    --reason "Re-signed by the chair" --definition def.json --key st1.key \
    --signed-at 2026-03-15T19:30:00Z --out r3.return
has r3.return "revision 3" "amend of amend"
has r3.return "votes ben 199" "amend keeps the predecessor's counts"
expect 1 "amend forking an old revision" -- "$STATION" amend r1.return \
    --reason "Another correction" --definition def.json --key st1.key \
    --signed-at 2026-03-15T19:00:00Z --out r2x.return
expect 2 "amend reason with a leading space" -- "$STATION" amend r3.return \
    --reason " x" --definition def.json --key st1.key --signed-at "$AFTER_CLOSE" \
    --out r4.return
expect 2 "amend needs a reason" -- "$STATION" amend r3.return \
    --definition def.json --key st1.key --out r4.return
[ "$(wc -l <st1.journal)" -eq 5 ] && ok || bad "journal has $(wc -l <st1.journal) lines, wanted 5"

# --- verify -------------------------------------------------------------------
sed 's/votes ann 400/votes ann 410/' r1.return >tampered.return
expect 1 "verify tampered" -- "$STATION" verify tampered.return --pub st1.pub
has out.txt "invalid: bad signature" "verify tampered"
head -c 100 r1.return >short.return
expect 1 "verify malformed" -- "$STATION" verify short.return --pub st1.pub
has out.txt "invalid: malformed" "verify malformed"
expect 3 "verify unreadable" -- "$STATION" verify nothere.return --pub st1.pub

# --- an encrypted operator key for two precincts --------------------------------
echo "correct horse battery" >pass.txt
expect 0 "keygen encrypted, two precincts" -- "$STATION" keygen --definition def.json \
    --precinct s3 --precinct s1 --commission-pub commission.pub --passphrase-fd 3 \
    --out op 3<pass.txt
has op.key "kdf argon2id13" "encrypted by default"
[ "$(grep -c '^precinct ' op.pin)" = 2 ] && ok || bad "operator pin has two precincts"
[ "$(sed -n 3p op.pin)" = "precinct s1" ] && ok || bad "pinned precincts ascending"
cat >council.txt <<'EOF'
count registered 500
count ballots-cast 300
count invalid 0
votes dan 200
votes eve 200
votes fay 150
EOF
expect 2 "several pinned precincts need --precinct" -- "$STATION" record \
    --definition def.json --key op.key --contest council --counts council.txt \
    --signed-at "$AFTER_CLOSE" --passphrase-fd 3 --out c.return 3<pass.txt
echo "wrong" >wrong.txt
expect 1 "wrong passphrase" -- "$STATION" record --definition def.json --key op.key \
    --contest council --precinct s3 --counts council.txt --signed-at "$AFTER_CLOSE" \
    --passphrase-fd 3 --out c.return 3<wrong.txt
has err.txt "wrong passphrase" "wrong passphrase"
expect 0 "record with an encrypted key" -- "$STATION" record --definition def.json \
    --key op.key --contest council --precinct s3 --counts council.txt \
    --signed-at "$AFTER_CLOSE" --passphrase-fd 3 --out c.return 3<pass.txt
expect 0 "verify operator return" -- "$STATION" verify c.return --pub op.pub
expect 1 "verify with another station's key" -- "$STATION" verify c.return --pub st1.pub
has out.txt "invalid: signed by key" "verify names the other key"
# A key whose pin names another key must not sign.
cp op.key other.key && cp st1.pin other.pin
expect 1 "key does not match its pin" -- "$STATION" record --definition def.json \
    --key other.key --contest mayor --counts good.txt --signed-at "$AFTER_CLOSE" \
    --passphrase-fd 3 --out y.return 3<pass.txt
has err.txt "not the key pinned" "key does not match its pin"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
