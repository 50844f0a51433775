#!/usr/bin/env bash
# qr_roundtrip.sh: issue 7's round trips. A signed return printed as a QR
# code (station print --format png), read back from the PNG and imported
# (central import --qr) must carry the same bytes (the import's hash is the
# file's BLAKE2b-256, and importing the file afterwards is a duplicate) and
# get the file's verdict: for the seed's four returns, revisions 2 with
# Kazakh and Russian reasons, and the largest return of a 12-line protocol
# with against-all, 12 candidates and 16-character ids. Also: the HTML page
# is self-contained, a test-mode page has its banner, a return over one
# code's capacity is refused, an image without a code is an error.
# Env from ctest: STATION, CENTRAL, SRC. Skips (77) without them.
set -u

if [ -z "${STATION:-}" ] || [ ! -x "$STATION" ] || [ -z "${CENTRAL:-}" ] ||
    [ ! -x "$CENTRAL" ] || [ -z "${SRC:-}" ]; then
    echo "skip: STATION, CENTRAL and SRC must be set and runnable"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/qr_roundtrip.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
run() { # run EXIT NAME -- CMD...: stdout in out.txt, stderr in err.txt
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
b2() { b2sum -l 256 "$1" | cut -d' ' -f1; }

# qr_trip DB RETURN DEF VERDICT: print RETURN as PNG, import the PNG, expect
# VERDICT and the file's own hash; then the file itself is a duplicate.
qr_trip() {
    local db=$1 ret=$2 def=$3 want=$4 png=$T/$(basename "$2").png
    run 0 "print $ret" -- "$STATION" print "$ret" --definition "$def" --out "$png"
    run 0 "import --qr $png" -- "$CENTRAL" import --db "$db" --json --qr "$png"
    local hash
    hash=$(b2 "$ret")
    if [ "$(wc -l <out.txt)" = 1 ] && grep -qF "{\"verdict\":\"$want\",\"file\":" out.txt &&
        grep -qF "\"hash\":\"$hash\"" out.txt && grep -qF "$(basename "$png")" out.txt; then ok; else
        bad "$ret via QR: wanted $want with hash $hash"
        sed 's/^/    out: /' out.txt
    fi
    run 0 "file after QR $ret" -- "$CENTRAL" import --db "$db" "$ret"
    grep -q "^duplicate .* $want" out.txt && ok || { bad "$ret: file not a duplicate of the QR import"; cat out.txt; }
}

# --- 1. The seed: examples/demo.sh's four signed returns -----------------
export DEMO_DIR=$T/demo
if ! bash "$SRC/examples/demo.sh" >demo.txt 2>&1; then
    bad "examples/demo.sh failed"
    cat demo.txt
    exit 1
fi
D=$DEMO_DIR
run 0 "init" -- "$CENTRAL" init --db qr.db --definition "$D/definition.json" \
    --commission-pub "$D/commission.pub"
run 0 "enroll" -- "$CENTRAL" enroll --db qr.db "$D"/stations/*.req
for p in aral-1 shieli-1 ulken-1 bershugir-1; do
    qr_trip qr.db "$D/returns/$p.return" "$D/definition.json" accepted
done

# --- 2. Revisions 2 with Kazakh and Russian reasons ------------------------
kz='Комиссия шешімі бойынша бюллетеньдер қайта саналды'
ru='Пересчёт недействительных бюллетеней по решению УИК'
run 0 "amend ulken-1 (kk)" -- "$STATION" amend "$D/returns/ulken-1.return" --reason "$kz" \
    --definition "$D/definition.json" --key "$D/stations/ulken-1.key" \
    --signed-at 2021-08-18T18:00:00Z --out ulken-1-r2.return
qr_trip qr.db ulken-1-r2.return "$D/definition.json" corrected
run 0 "amend aral-1 (ru)" -- "$STATION" amend "$D/returns/aral-1.return" --reason "$ru" \
    --definition "$D/definition.json" --key "$D/stations/aral-1.key" \
    --signed-at 2021-08-01T19:00:00Z --out aral-1-r2.return
qr_trip qr.db aral-1-r2.return "$D/definition.json" corrected
grep -q "^reason $kz\$" ulken-1-r2.return && ok || bad "Kazakh reason not in the return"

# The HTML page: self-contained, with what the issue lists.
run 0 "print html" -- "$STATION" print ulken-1-r2.return --definition "$D/definition.json" \
    --out ulken-1-r2.html
h=ulken-1-r2.html
for want in '<svg ' 'Kenjemūrat Qasenov' '85.12 %' '71.67 %' "$(b2 ulken-1-r2.return | cut -c1-16)" \
    "$(sed -n 's/^key //p' ulken-1-r2.return)" "$(sed -n 's/^definition //p' ulken-1-r2.return | cut -c1-8)" \
    "$kz" 'Corrected protocol, revision 2'; do
    grep -qF -- "$want" "$h" && ok || bad "page lacks: $want"
done
grep -qiE '<(script|link|img|iframe|object)|src=|url\(|@import' "$h" && bad "page loads something" || ok
grep -oiE 'https?://[^"]*' "$h" | grep -qv '^http://www.w3.org/2000/svg$' && bad "page has an external URL" || ok
grep -q 'TEST' "$h" && bad "live page has a TEST banner" || ok

# Terminal rendering without colour: plain characters only.
run 0 "print terminal" -- env NO_COLOR=1 "$STATION" print "$D/returns/ulken-1.return" \
    --definition "$D/definition.json" --format terminal
grep -q '^    ##############' out.txt && ok || bad "terminal rendering has no plain QR rows"
grep -q $'\033' out.txt && bad "colour escape written off a terminal" || ok

# --- 3. The largest return of a 12-line protocol ---------------------------
run 0 "commission keygen" -- "$CENTRAL" keygen --unencrypted --out com
cp "$SRC/tests/data/qr-ru12.json" ru12.json
run 0 "sign ru12" -- "$CENTRAL" sign-definition --key com.key ru12.json
run 0 "init ru12" -- "$CENTRAL" init --db ru12.db --definition ru12.json --commission-pub com.pub
run 0 "keygen uik" -- "$STATION" keygen --definition ru12.json --precinct uik-0198-0042-ab \
    --commission-pub com.pub --unencrypted --out uik
run 0 "enroll uik" -- "$CENTRAL" enroll --db ru12.db uik.req
cat >ru12.counts <<'EOF'
# As many digits as the rules allow: no flag, no hold.
count registered 1000000000
count received 1000000000
count issued-early 100000000
count issued-station 700000000
count issued-outside 100000000
count cancelled 100000000
count cast-portable 100000000
count cast-stationary 790000000
count invalid 89000000
count valid 801000000
count lost 100000000
count unaccounted 100000000
count against-all 16833327
votes abramova-anna-01 100000001
votes borisov-boris-02 100000002
votes vasileva-vera-03 100000003
votes grigorev-gleb-04 100000004
votes dmitrieva-dar-05 100000005
votes egorov-evgeni-06 100000006
votes zhukova-zhann-07 100000007
votes zaitsev-zakha-08 16833329
votes ivanova-irina-09 16833329
votes kozlov-kirill-10 16833329
votes lebedeva-lida-11 16833329
votes morozov-mark-012 16833329
EOF
run 0 "record ru12" -- "$STATION" record --definition ru12.json --key uik.key \
    --contest duma-smd-0198-ab --counts ru12.counts --signed-at 2026-09-20T19:30:00Z \
    --out ru12-r1.return
qr_trip ru12.db ru12-r1.return ru12.json accepted
# The longest reason there is: 200 bytes of Cyrillic.
long='Пересчёт по решению УИК № 0042 от 21.09.26: в строке 10 ошибка при наборе; подписи членов комиссии сверены, жалоб нет.'
[ "$(printf '%s' "$long" | wc -c)" = 200 ] && ok || bad "the long reason is not 200 bytes"
run 0 "amend ru12" -- "$STATION" amend ru12-r1.return --reason "$long" --definition ru12.json \
    --key uik.key --signed-at 2026-09-21T08:00:00Z --out ru12-r2.return
qr_trip ru12.db ru12-r2.return ru12.json corrected
size=$(wc -c <ru12-r2.return)
[ "$size" -gt 1300 ] && ok || bad "ru12-r2.return is only $size bytes"
echo "largest 12-line return: $size bytes"

# A test-mode page has its banner.
run 0 "record test mode" -- "$STATION" record --definition ru12.json --key uik.key \
    --contest duma-smd-0198-ab --counts ru12.counts --signed-at 2026-09-20T19:30:00Z \
    --mode test --out ru12-test.return
run 0 "print test page" -- "$STATION" print ru12-test.return --definition ru12.json --out t.html
grep -q 'NOT AN ELECTION RESULT' t.html && ok || bad "test-mode page without its banner"

# --- 4. Refusals -------------------------------------------------------------
# Over one code's capacity: a contest with 80 candidates.
{
    sed -n '1,/"candidates": \[/p' "$SRC/tests/data/qr-ru12.json" |
        sed 's/"id": "ru-2026-duma-by1"/"id": "ru-2026-duma-big"/'
    for i in $(seq 1 80); do
        printf '        {"id": "candidate-%06d", "name": "Кандидат %d", "party": null}%s\n' "$i" "$i" \
            "$([ "$i" = 80 ] && echo '' || echo ',')"
    done
    sed -n '/"candidates": \[/,$p' "$SRC/tests/data/qr-ru12.json" | sed -n '/^      \]/,$p'
} >big.json
run 0 "sign big" -- "$CENTRAL" sign-definition --key com.key big.json
run 0 "keygen big" -- "$STATION" keygen --definition big.json --precinct uik-0198-0042-ab \
    --commission-pub com.pub --unencrypted --out bigst
{
    grep '^count' ru12.counts | sed 's/^count against-all .*/count against-all 1000000/'
    for i in $(seq 1 80); do
        v=0
        [ "$i" -le 7 ] && v=$((100000000 + i))
        [ "$i" = 8 ] && v=83166644
        [ "$i" = 9 ] && v=16833328
        printf 'votes candidate-%06d %s\n' "$i" "$v"
    done
} >big.counts
run 0 "record big" -- "$STATION" record --definition big.json --key bigst.key \
    --contest duma-smd-0198-ab --counts big.counts --signed-at 2026-09-20T19:30:00Z \
    --out big.return
run 1 "print big" -- "$STATION" print big.return --definition big.json --out big.png
grep -q "do not fit one QR code (at most 2331 bytes" err.txt && ok || { bad "no capacity message"; cat err.txt; }
[ -e big.png ] && bad "big.png written" || ok

# The wrong definition is refused (names would be wrong on the wall).
run 1 "print wrong def" -- "$STATION" print ru12-r1.return --definition "$D/definition.json" --out w.html
grep -q "signed against definition" err.txt && ok || bad "wrong definition not named"

# An image without a code; a file that is not an image.
/usr/bin/python3 - <<'EOF'
import struct, zlib
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
w = h = 64
raw = b''.join(b'\x00' + b'\xff' * w for _ in range(h))
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) \
    + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
open('blank.png', 'wb').write(png)
EOF
run 3 "blank image" -- "$CENTRAL" import --db qr.db --qr blank.png
[ "$(cat out.txt)" = "unreadable blank.png no-qr-code" ] && ok || { bad "blank: $(cat out.txt)"; }
grep -q "^central: blank.png: no readable QR code" err.txt && ok || bad "blank: no error line"
run 3 "not an image" -- "$CENTRAL" import --db qr.db --qr "$D/returns/aral-1.return"
grep -q "not a PNG or JPEG image" err.txt && ok || bad "text file: no error line"
run 2 "--qr with -" -- "$CENTRAL" import --db qr.db --qr -

# The terminal rendering is a real code: two of them (aral-1's and
# shieli-1's, plain characters) drawn side by side into one PNG are read
# back as two different returns, and refused together.
for p in aral-1 shieli-1; do
    NO_COLOR=1 "$STATION" print "$D/returns/$p.return" --definition "$D/definition.json" \
        --format terminal >"$p.term" || bad "terminal print $p"
done
/usr/bin/python3 - aral-1.term shieli-1.term two.png <<'PY'
import struct, sys, zlib
def modules(path):
    rows = open(path, encoding='utf-8').read().split('\n')
    start = next(i for i, r in enumerate(rows) if r.startswith('QR code:')) + 1
    return [[r[2 * x] == '#' for x in range(len(r) // 2)] for r in rows[start:] if r]
a, b = modules(sys.argv[1]), modules(sys.argv[2])
s, gap = 4, 8
h = max(len(a), len(b)) + 2 * gap
w = len(a[0]) + len(b[0]) + 3 * gap
def dark(x, y):
    for m, x0 in ((a, gap), (b, 2 * gap + len(a[0]))):
        if x0 <= x < x0 + len(m[0]) and gap <= y < gap + len(m):
            return m[y - gap][x - x0]
    return False
raw = b''.join(b'\x00' + bytes(0 if dark(x // s, y // s) else 255 for x in range(w * s))
               for y in range(h * s))
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[3], 'wb').write(b'\x89PNG\r\n\x1a\n'
    + chunk(b'IHDR', struct.pack('>IIBBBBB', w * s, h * s, 8, 0, 0, 0, 0))
    + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
PY
run 1 "two returns in one image" -- "$CENTRAL" import --db qr.db --qr two.png
[ "$(cat out.txt)" = "refused two.png several-qr-codes" ] && ok || bad "two codes: $(cat out.txt)"
grep -q "2 QR codes with different contents in one image: nothing imported" err.txt && ok ||
    bad "two codes: no error line"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
