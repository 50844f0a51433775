#!/usr/bin/env bash
# evidence.sh: issue 7 "Evidence", end to end. station record/amend
# --evidence names scans by BLAKE2b-256 (ascending, distinct, at most 8,
# nothing written on a bad scan); central import --evidence stores a scan a
# stored signed return names and refuses one no such return names; status
# shows named, held and missing scans; audit replays the `evidence` events
# and finds a stored scan whose bytes were edited.
# Env from ctest: STATION, CENTRAL, SRC. Needs b2sum, sqlite3 and python3.
set -u

if [ -z "${STATION:-}" ] || [ ! -x "$STATION" ] || [ -z "${SRC:-}" ] ||
    [ -z "${CENTRAL:-}" ] || [ ! -x "$CENTRAL" ]; then
    echo "skip: STATION, CENTRAL and SRC must be set and runnable"
    exit 77
fi
for tool in b2sum sqlite3 python3; do
    command -v "$tool" >/dev/null || { echo "evidence: FAIL: $tool is missing (scripts/setup.sh)"; exit 1; }
done
DATA="$SRC/tests/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/evidence.XXXXXX")
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
has() { grep -qF -- "$2" "$1" && ok || { bad "$3: no '$2' in $1"; sed 's/^/    /' "$1"; }; }
hasnt() { grep -qF -- "$2" "$1" && { bad "$3: '$2' in $1"; sed 's/^/    /' "$1"; } || ok; }
one_error_line() { # the error is one `station: what: why` line (central's
    # note that no checkpoint was written aside)
    sed -i '/^central: checkpoint: /d' err.txt
    [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "^$1: [^:]*: " err.txt && ok ||
        { bad "$2: not one '$1: what: why' line"; sed 's/^/    err: /' err.txt; }
}
h() { b2sum -l 256 "$1" | cut -c1-64; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

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
# Scans: any bytes will do; a.jpg is larger than a return (a page is MiBs).
head -c 300000 /dev/urandom >a.jpg
printf 'page two\n' >b.png
printf 'page one, rescanned\n' >c.pdf
printf 'a page no return names\n' >unnamed.jpg
printf 'the scan a stranger names\n' >d.jpg
cp b.png b-again.png
: >empty.jpg
A=$(h a.jpg) B=$(h b.png) C=$(h c.pdf) D=$(h d.jpg) U=$(h unnamed.jpg)
AB=$(printf '%s\n%s\n' "$A" "$B" | sort)

run 0 keygen -- "$STATION" keygen --definition def.json --precinct s1 \
    --commission-pub commission.pub --unencrypted --out st1
KID=$(sed -n 's/^key //p' st1.pub)
rec() { # rec OUT [ARGS...]: station record of good.txt for s1, mayor
    local o=$1
    shift
    "$STATION" record --definition def.json --key st1.key --contest mayor \
        --counts good.txt --signed-at 2026-03-15T18:00:00Z --out "$o" "$@"
}

# --- station: refusals write nothing -------------------------------------
run 3 "record with a scan that cannot be read" -- rec x.return --evidence a.jpg --evidence nosuch.jpg
one_error_line station "unreadable scan"
has err.txt "nosuch.jpg" "unreadable scan named"
[ ! -e x.return ] && ok || bad "a return was written despite an unreadable scan"
run 1 "record with the same scan twice" -- rec x.return --evidence b.png --evidence b-again.png
one_error_line station "same scan twice"
has err.txt "b-again.png" "the repeated scan is named"
[ ! -e x.return ] && ok || bad "a return was written despite a repeated scan"
run 1 "record with an empty scan" -- rec x.return --evidence empty.jpg
one_error_line station "empty scan"
[ ! -e x.return ] && ok || bad "a return was written despite an empty scan"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero >big.pdf
run 1 "record with a scan over 16 MiB" -- rec x.return --evidence big.pdf
one_error_line station "scan over 16 MiB"
has err.txt "larger than 16 MiB" "the scan limit is named"
[ ! -e x.return ] && ok || bad "a return was written despite a scan over 16 MiB"
nine=()
for i in 1 2 3 4 5 6 7 8 9; do printf 'scan %s\n' "$i" >"s$i.jpg"; nine+=(--evidence "s$i.jpg"); done
run 2 "record with nine scans" -- rec x.return "${nine[@]}"
one_error_line station "nine scans"
has err.txt "at most 8" "nine scans: the limit is named"
[ ! -e x.return ] && ok || bad "a return was written with nine scans"
[ ! -s st1.journal ] && ok || bad "a refused record was journaled"

# --- station: record with two scans: both hashes, ascending ----------------
run 0 "record with two scans" -- rec r1.return --evidence b.png --evidence a.jpg
[ "$(sed -n 's/^evidence //p' r1.return)" = "$AB" ] && ok ||
    { bad "r1's evidence lines are not the two hashes ascending"; grep evidence r1.return; }
grep -n '^evidence ' r1.return | cut -d: -f1 | tr '\n' ' ' | grep -q '^[0-9]* [0-9]* $' && ok ||
    bad "r1 does not have exactly two evidence lines"
# They sit after the votes and before signed (DESIGN 5.1).
[ "$(grep -n '' r1.return | sed -n '/^[0-9]*:votes cat /,/^[0-9]*:signed /p' | grep -c evidence)" = 2 ] &&
    ok || bad "evidence lines not between votes and signed"

# --- station: amend keeps, changes or drops the evidence --------------------
run 0 "amend keeps the evidence" -- "$STATION" amend r1.return --reason "Recount of invalid ballots" \
    --definition def.json --key st1.key --counts fixed.txt --signed-at 2026-03-15T19:00:00Z --out r2.return
[ "$(sed -n 's/^evidence //p' r2.return)" = "$AB" ] && ok || bad "amend without --evidence did not keep r1's scans"
run 0 "amend changes the evidence" -- "$STATION" amend r2.return --reason "Protocol rescanned" \
    --definition def.json --key st1.key --evidence c.pdf --signed-at 2026-03-15T19:30:00Z --out r3.return
[ "$(sed -n 's/^evidence //p' r3.return)" = "$C" ] && ok || bad "amend --evidence did not replace the scans"
run 0 "amend drops the evidence" -- "$STATION" amend r3.return --reason "No scans" \
    --definition def.json --key st1.key --no-evidence --signed-at 2026-03-15T19:40:00Z --out r4.return
hasnt r4.return "evidence " "amend --no-evidence"
run 2 "amend --evidence with --no-evidence" -- "$STATION" amend r1.return --reason "x" \
    --definition def.json --key st1.key --no-evidence --evidence c.pdf --out x.return
[ ! -e x.return ] && ok || bad "amend wrote a return on a usage error"

# A stranger's return (key never enrolled) naming d.jpg.
run 0 "stranger keygen" -- "$STATION" keygen --definition def.json --precinct s2 \
    --commission-pub commission.pub --unencrypted --out st2
run 0 "stranger record" -- "$STATION" record --definition def.json --key st2.key --contest mayor \
    --counts good.txt --signed-at 2026-03-15T18:00:00Z --evidence d.jpg --out s2.return

# --- central ---------------------------------------------------------------
run 0 "central init" -- "$CENTRAL" init --db c.db --definition def.json --commission-pub commission.pub
run 0 "central enroll" -- "$CENTRAL" enroll --db c.db --expect-key-id "$KID" st1.req
run 2 "--evidence with --qr" -- "$CENTRAL" import --db c.db --evidence --qr a.jpg
run 2 "--evidence with -" -- "$CENTRAL" import --db c.db --evidence -

# Before any return names it, a scan is refused, with one error line.
run 1 "scan before its return" -- "$CENTRAL" import --db c.db --evidence a.jpg
has out.txt "refused a.jpg not-named" "scan before its return"
one_error_line central "scan before its return"
run 0 "import r1" -- "$CENTRAL" import --db c.db r1.return
has out.txt "accepted r1.return" "r1 accepted"
run 1 "import the stranger's return" -- "$CENTRAL" import --db c.db s2.return
has out.txt "rejected s2.return unknown-key" "stranger rejected"
# The same return re-signed with s1's key: enrolled, but for s1, not s2
# (key-precinct-mismatch). It must not be able to claim d.jpg for s2 either
# (red team): the refusal of d.jpg below says so.
/usr/bin/python3 - s2.return st1.key s2x.return <<'EOF'
import base64, hashlib, sys
import nacl.signing
data = open(sys.argv[1], "rb").read()
secret = [l for l in open(sys.argv[2]).read().splitlines() if l.startswith("secret ")][0].split(" ")[1]
sk = nacl.signing.SigningKey(base64.b64decode(secret)[:32])
kid = hashlib.blake2b(bytes(sk.verify_key), digest_size=32).digest()[:8].hex()
lines = data[:data.rindex(b"\nsignature ") + 1].split(b"\n")
lines[-2] = b"key " + kid.encode()
body = b"\n".join(lines)
open(sys.argv[3], "wb").write(body + b"signature " + base64.b64encode(sk.sign(body).signature) + b"\n")
EOF
run 1 "import s2's return signed by s1's key" -- "$CENTRAL" import --db c.db s2x.return
has out.txt "rejected s2x.return key-precinct-mismatch" "another precinct's enrolled key"

# A named scan is stored; the same bytes again are a duplicate.
run 0 "import --evidence a named scan" -- "$CENTRAL" import --db c.db --evidence a.jpg
has out.txt "stored a.jpg" "named scan stored"
run 0 "import --evidence it again" -- "$CENTRAL" import --db c.db --evidence a.jpg
has out.txt "duplicate a.jpg stored" "second import is a duplicate"
[ "$(sqlite3 c.db "SELECT count(*) FROM evidence")" = 1 ] && ok || bad "the duplicate stored a row"
[ "$(sqlite3 c.db "SELECT count(*) FROM events WHERE kind = 'evidence'")" = 1 ] && ok ||
    bad "not exactly one evidence event"
[ "$(sqlite3 c.db "SELECT lower(hex(subject)) || ' ' || data FROM events WHERE kind = 'evidence'")" = \
    "$A precinct s1 contest mayor return $(h r1.return)" ] && ok || bad "evidence event subject/data"
[ "$(sqlite3 c.db "SELECT hex(bytes) = hex(readfile('a.jpg')) FROM evidence" 2>/dev/null || echo 1)" = 1 ] &&
    ok || bad "the stored scan is not the file's bytes"
run 1 "import --evidence unnamed, empty and a stranger's" -- "$CENTRAL" import --db c.db --json \
    --evidence unnamed.jpg empty.jpg d.jpg
python3 - out.txt "$U" "$D" <<'EOF' && ok || bad "JSON lines of refused scans"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["verdict"] for l in lines] == ["refused"] * 3, lines
assert [l["reasons"] for l in lines] == [["not-named"], ["empty"], ["not-named"]], lines
assert lines[0]["hash"] == sys.argv[2] and lines[2]["hash"] == sys.argv[3], lines
assert all(l["evidence"] is True and l["seq"] is None for l in lines), lines
EOF
[ "$(grep -vc '^central: checkpoint: ' err.txt)" -eq 3 ] && ok || bad "three refusals, not three error lines"
has err.txt "central: unnamed.jpg: no stored return with a verified signature names this scan" "unnamed error"
run 1 "import --evidence a scan over 16 MiB" -- "$CENTRAL" import --db c.db --evidence big.pdf
has out.txt "refused big.pdf too-large" "central refuses a scan over 16 MiB"
[ "$(sqlite3 c.db "SELECT count(*) FROM evidence")" = 1 ] && ok || bad "a refused scan was stored"

# --- status: named, held, missing -------------------------------------------
run 0 "status" -- "$CENTRAL" status --db c.db
has out.txt "evidence: 2 named by the returns that stand, 1 held, 1 missing; central holds 1 scan" \
    "status evidence summary"
grep -Eq '^  s1 +mayor +2 +1 +1$' out.txt && ok || { bad "status evidence row of s1 mayor"; cat out.txt; }
has out.txt "  missing s1 mayor $B" "status names the missing scan"
hasnt out.txt "missing s1 mayor $A" "status: a held scan is not missing"
run 0 "status --json" -- "$CENTRAL" status --db c.db --json
[ "$(json out.txt 'd["evidence"]')" = "{'named': 2, 'held': 1, 'missing': 1, 'scans': 1}" ] && ok ||
    bad "status --json evidence totals: $(json out.txt 'd["evidence"]')"
[ "$(json out.txt '[(e["hash"], e["held"]) for r in d["precincts"] if r["precinct"] == "s1" and r["contest"] == "mayor" for e in r["evidence"]]')" = \
    "$(python3 -c "import sys; print(sorted([(sys.argv[1], True), (sys.argv[2], False)]))" "$A" "$B")" ] &&
    ok || bad "status --json row evidence"
SEQ_A=$(sqlite3 c.db "SELECT seq FROM evidence")

# The corrections: r2 names the same scans, r3 names c.pdf only.
run 0 "import r2 and r3" -- "$CENTRAL" import --db c.db r2.return r3.return
has out.txt "corrected r3.return" "r3 corrected"
run 0 "status after r3" -- "$CENTRAL" status --db c.db
has out.txt "evidence: 1 named by the returns that stand, 0 held, 1 missing; central holds 1 scan" \
    "status follows the standing return"
# A scan named only by a superseded return is still named by a stored one.
run 0 "import --evidence b and c" -- "$CENTRAL" import --db c.db --evidence b.png c.pdf
has out.txt "stored b.png" "scan of a superseded return stored"
has out.txt "stored c.pdf" "scan of the standing return stored"
run 0 "status after the scans" -- "$CENTRAL" status --db c.db
has out.txt "evidence: 1 named by the returns that stand, 1 held, 0 missing; central holds 3 scans" \
    "status after all scans"
grep -q '^  missing ' out.txt && bad "status lists a missing scan when none is" || ok
run 0 "status --as-of before b and c" -- "$CENTRAL" status --db c.db --as-of "$SEQ_A"
has out.txt "evidence: 2 named by the returns that stand, 1 held, 1 missing; central holds 1 scan" \
    "status --as-of shows the evidence as it was"

# The tables are append-only like the others.
if sqlite3 c.db "DELETE FROM evidence" 2>/dev/null; then bad "evidence rows can be deleted"; else ok; fi
if sqlite3 c.db "UPDATE return_evidence SET hash = hash" 2>/dev/null; then
    bad "return_evidence rows can be updated"; else ok; fi

# --- audit ------------------------------------------------------------------
run 0 "audit" -- "$CENTRAL" audit --db c.db --commission-pub commission.pub
has out.txt ": 0 differences" "audit clean"
cp c.db t.db
sqlite3 t.db "DROP TRIGGER evidence_no_update;
UPDATE evidence SET bytes = CAST('a forged page' AS BLOB) WHERE hash = x'$B';
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;" ||
    bad "could not tamper with the copy"
run 1 "audit of an edited scan" -- "$CENTRAL" audit --db t.db --commission-pub commission.pub
has out.txt "(evidence): scan $B: stored bytes do not hash to it" "audit names the edited scan"
grep -q "^difference: evidence .*(precinct s1 contest mayor)" out.txt && ok ||
    { bad "audit: the evidence row difference names its precinct and contest"; cat out.txt; }
cp c.db t2.db
sqlite3 t2.db "DROP TRIGGER return_evidence_no_delete; DELETE FROM return_evidence WHERE hash = x'$C';
CREATE TRIGGER return_evidence_no_delete BEFORE DELETE ON return_evidence BEGIN SELECT RAISE(ABORT, 'return_evidence is append-only'); END;" ||
    bad "could not tamper with the second copy"
run 1 "audit of a deleted evidence line" -- "$CENTRAL" audit --db t2.db --commission-pub commission.pub
has out.txt "return_evidence" "audit finds a removed evidence line"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
