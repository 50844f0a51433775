#!/usr/bin/env bash
# ru_real_data.sh: the programs on a nation's real protocols. For each
# Russian federal election in ../shared/data/ru-kobak-elections (2004, 2011,
# 2012, 2018, 2024) it converts the CSV (tools/ru_kobak: definition with the
# 12-line preset, one station key per precinct, enrolment requests, signed
# returns), runs `central init`, `enroll`, `import`, `tally`, `status`, and
# checks the data README's facts: every protocol imported, the identities
# hold (no rejection by the preset's rules), the stations with more ballots
# in the boxes than issued are flagged, the registered totals, empty 2024
# rows refused (never read as 0), the 2011 State Duma seats and the 2004
# winner without a runoff.
#
# Short form by default (every RU_EVERY-th row of each file, 64: about 1,500
# rows from every region, the empty 2024 rows among them), checked against the
# same rows read independently with Python's csv module; RU_FULL=1
# runs every row (about 95,000 returns per election) and checks the README's
# published figures. RU_ELECTIONS="2011" picks elections. Skips (77) when the
# data or the programs are absent. Env from ctest: CENTRAL, SRC, BUILD.
#
# The full run takes about 3 minutes per election on an idle 2-core machine
# with the database on /dev/shm (much longer on a disk: one fsync per
# return), so under ctest give it time:
#   RU_FULL=1 ctest --test-dir build -R ru_real_data --timeout 7200 --output-on-failure
set -u

DATA=${RU_DATA:-${SRC:-.}/../shared/data/ru-kobak-elections}
RU_KOBAK=${RU_KOBAK:-${BUILD:-}/tools/ru_kobak}
ELECTIONS=${RU_ELECTIONS:-2004 2011 2012 2018 2024}
FULL=${RU_FULL:-0}
EVERY=${RU_EVERY:-64}
PY=/usr/bin/python3

if [ ! -d "$DATA" ] || [ ! -r "$DATA/2011.csv.xz" ]; then
    echo "skip: no Russian election data at $DATA (../shared/data is not part of the repository)"
    exit 77
fi
if [ -z "${CENTRAL:-}" ] || [ ! -x "$CENTRAL" ] || [ ! -x "$RU_KOBAK" ] || [ -z "${SRC:-}" ]; then
    echo "skip: CENTRAL, SRC and BUILD (for tools/ru_kobak) must be set and built"
    exit 77
fi
if ! command -v xz >/dev/null 2>&1; then
    echo "skip: xz is not installed (Debian package xz-utils)"
    exit 77
fi
# The database goes on a RAM file system when there is one: import commits
# (and fsyncs) once per return, which costs far more on a disk.
if [ -z "${RU_WORK:-}" ]; then
    base=${TMPDIR:-/tmp}
    [ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
    RU_WORK=$(mktemp -d "$base/ru_real_data.XXXXXX")
    trap 'rm -rf "$RU_WORK"' EXIT
fi
W=$RU_WORK

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check NAME GOT WANT
    if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The README's facts (section 1), for the full files.
declare -A README_REGISTERED=([2004]=108064342 [2011]=109229337 [2012]=109860331
    [2018]=109008428 [2024]=99764974)
declare -A README_OVER_ISSUED=([2004]=2 [2011]=18 [2012]=13 [2018]=6 [2024]=1)
declare -A README_ROWS=([2004]=95779 [2011]=95225 [2012]=95415 [2018]=97699 [2024]=94214)
declare -A README_EMPTY=([2004]=0 [2011]=0 [2012]=0 [2018]=0 [2024]=2268)

# The same rows read independently (Python's csv module, not our parser):
# rows, registered sum, rows with more ballots in the boxes than issued,
# rows with an empty field.
oracle() { # oracle YEAR EVERY
    "$PY" - "$DATA/$1.csv.xz" "$2" <<'EOF'
import csv, lzma, sys
path, every = sys.argv[1], int(sys.argv[2])
with lzma.open(path, "rt", encoding="utf-8", newline="") as f:
    r = csv.reader(f)
    h = next(r)
    def col(*words, no=()):
        c = [i for i, n in enumerate(h) if all(w in n for w in words) and not any(x in n for x in no)]
        assert len(c) == 1, (words, c)
        return c[0]
    reg = col("Число избирателей", no=("проголосовавших",))
    early = col("бюллетен", "досрочно", no=("открепительн",))
    station = col("бюллетен", "выданных", no=("досрочно", "вне помещения", "открепительн"))
    outside = col("бюллетен", "вне помещения", no=("открепительн",))
    port, stat = col("переносных"), col("стационарных")
    rows = regsum = over = empty = 0
    for i, row in enumerate(r):
        if i % every:
            continue
        rows += 1
        nums = row[3:len(h) - (1 if h[-1] == "url" else 0)]
        if any(x == "" for x in nums):
            empty += 1
            continue
        regsum += int(row[reg])
        if int(row[port]) + int(row[stat]) > int(row[early]) + int(row[station]) + int(row[outside]):
            over += 1
print(rows, regsum, over, empty)
EOF
}

# A value from `central tally --format csv`: the count column of the row
# with that contest, area, kind and id.
csvget() { # csvget FILE CONTEST KIND ID [COLUMN]
    "$PY" - "$@" <<'EOF'
import csv, sys
f, contest, kind, ident = sys.argv[1:5]
col = sys.argv[5] if len(sys.argv) > 5 else "count"
for row in csv.DictReader(open(f, encoding="utf-8", newline="")):
    if row["contest"] == contest and row["precinct"] == "" and row["kind"] == kind and row["id"] == ident \
            and row["area"] == "ru":
        print(row[col])
        break
EOF
}

echo "ru_real_data: $( [ "$FULL" = 1 ] && echo "full files" || echo "every ${EVERY}th row of each file" ), work in $W"
for y in $ELECTIONS; do
    preset=$SRC/examples/presets/ru-precinct-12.json
    [ "$y" = 2004 ] && preset=$SRC/examples/presets/ru-precinct-12-against-all.json
    contest=president
    [ "$y" = 2011 ] && contest=duma
    out=$W/$y
    limit_arg=()
    [ "$FULL" = 1 ] || limit_arg=(--every "$EVERY")

    t0=$(now)
    if ! xz -dc "$DATA/$y.csv.xz" | "$RU_KOBAK" --election "$y" --preset "$preset" --out "$out" \
        "${limit_arg[@]}" 2>"$W/$y.convert.err"; then
        bad "$y: conversion failed: $(cat "$W/$y.convert.err")"
        continue
    fi
    t1=$(now)
    rows=$(sed -n 's/^rows //p' "$out/summary.txt")
    returns=$(sed -n 's/^returns //p' "$out/summary.txt")
    refused=$(sed -n 's/^refused //p' "$out/summary.txt")

    if ! "$CENTRAL" init --db "$out/c.db" --definition "$out/definition.json" \
        --commission-pub "$out/commission.pub" >"$W/$y.init.out" 2>&1; then
        bad "$y: central init: $(cat "$W/$y.init.out")"
        continue
    fi
    (cd "$out" && find requests -name '*.req' | LC_ALL=C sort |
        xargs -n 4000 "$CENTRAL" enroll --db c.db) >"$W/$y.enroll.out" 2>&1
    t2=$(now)
    check "$y: keys enrolled" "$(grep -c '^enrolled ' "$W/$y.enroll.out")" "$rows"

    "$CENTRAL" import --db "$out/c.db" - <"$out/returns.stream" >"$W/$y.import.out" 2>"$W/$y.import.err"
    rc=$?
    t3=$(now)
    check "$y: import exit code" "$rc" 0
    accepted=$(grep -c '^accepted ' "$W/$y.import.out")
    flagged=$(grep -c '^flagged ' "$W/$y.import.out")
    # every protocol imported: each return accepted or flagged, none
    # rejected, held or anything else; so every identity held in every row
    check "$y: every return imported (accepted + flagged)" "$((accepted + flagged))" "$returns"
    check "$y: import lines" "$(wc -l <"$W/$y.import.out")" "$returns"
    over=$(grep -c '^flagged .*cast-exceeds-issued' "$W/$y.import.out")

    "$CENTRAL" tally --db "$out/c.db" --format csv >"$W/$y.tally.csv" 2>"$W/$y.tally.err"
    check "$y: tally exit code" "$?" 0
    # Issue 9: the NIST SP 1500-100 export of a real election several levels
    # deep (country, region, territorial commission, precinct) validates
    # against the official schema.
    if "$PY" -c 'import jsonschema' 2>/dev/null; then
        "$CENTRAL" tally --db "$out/c.db" --format nist-json >"$W/$y.nist.json" 2>"$W/$y.nist.err"
        check "$y: nist-json exit code" "$?" 0
        nist_errors=$("$PY" - "$SRC/tests/data/nist-err/NIST_V2_election_results_reporting.json" \
            "$W/$y.nist.json" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
doc = json.load(open(sys.argv[2], encoding="utf-8"))
print(sum(1 for _ in jsonschema.Draft4Validator(schema).iter_errors(doc)))
PY
)
        check "$y: nist-json schema errors" "$nist_errors" 0
    fi
    t4=$(now)
    "$CENTRAL" status --db "$out/c.db" >"$W/$y.status.out" 2>&1
    check "$y: status exit code" "$?" 0
    t5=$(now)
    registered=$(csvget "$W/$y.tally.csv" "$contest" registered registered)
    missing=$(csvget "$W/$y.tally.csv" "$contest" precincts missing)
    in_tally=$(csvget "$W/$y.tally.csv" "$contest" precincts in-tally)
    check "$y: precincts in the tally" "$in_tally" "$returns"
    check "$y: precincts missing (no return)" "$missing" "$refused"
    if [ "$refused" != 0 ]; then
        # empty fields are refused, never read as 0
        check "$y: refused rows all for an empty field" \
            "$(grep -c ' empty field ' "$out/refused.txt")" "$refused"
    fi

    if [ "$FULL" = 1 ]; then
        check "$y: rows (README)" "$rows" "${README_ROWS[$y]}"
        check "$y: registered total (README)" "$registered" "${README_REGISTERED[$y]}"
        check "$y: flagged in-boxes > issued (README)" "$over" "${README_OVER_ISSUED[$y]}"
        check "$y: rows with empty fields refused (README)" "$refused" "${README_EMPTY[$y]}"
    elif [ ! -x "$PY" ]; then
        echo "note: $PY is missing: the sample is not read independently"
    else
        read -r o_rows o_reg o_over o_empty < <(oracle "$y" "$EVERY")
        check "$y: rows (independent reading)" "$rows" "$o_rows"
        check "$y: registered total (independent reading)" "$registered" "$o_reg"
        check "$y: flagged in-boxes > issued (independent reading)" "$over" "$o_over"
        check "$y: rows with empty fields refused (independent reading)" "$refused" "$o_empty"
    fi

    if [ "$y" = 2011 ] && [ "$FULL" = 1 ]; then
        # 6 United Russia, 4 Communist Party, 1 A Just Russia, 2 LDPR
        check "2011: United Russia seats" "$(csvget "$W/$y.tally.csv" duma candidate list-6 seats)" 238
        check "2011: Communist Party seats" "$(csvget "$W/$y.tally.csv" duma candidate list-4 seats)" 92
        check "2011: A Just Russia seats" "$(csvget "$W/$y.tally.csv" duma candidate list-1 seats)" 64
        check "2011: LDPR seats" "$(csvget "$W/$y.tally.csv" duma candidate list-2 seats)" 56
        for l in 3 5 7; do
            check "2011: list $l below the threshold" \
                "$(csvget "$W/$y.tally.csv" duma candidate "list-$l" result)" below-threshold
        done
    fi
    if [ "$y" = 2004 ]; then
        check "2004: Putin elected without a runoff" \
            "$(csvget "$W/$y.tally.csv" president candidate putin result)" elected
        check "2004: no runoff" "$(grep -c ',outcome,runoff,' "$W/$y.tally.csv")" 0
    fi

    printf '%s: %s rows, %s returns, %s refused; accepted %s, flagged %s (%s in-boxes > issued); registered %s\n' \
        "$y" "$rows" "$returns" "$refused" "$accepted" "$flagged" "$over" "$registered"
    printf '%s: seconds: convert %s, enroll %s, import %s (%s returns), tally %s, status %s\n' \
        "$y" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$(secs "$t2" "$t3")" "$returns" \
        "$(secs "$t3" "$t4")" "$(secs "$t4" "$t5")"
done

echo "ru_real_data: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
