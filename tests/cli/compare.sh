#!/usr/bin/env bash
# Issue 5, "central compare on the seed's transcribed tables reports the
# seed's inconsistencies, each with the right value beside the printed one,
# and nothing for what is right": the demo's database, the seed's tables in
# examples/kz-2021-akim-by/published*.csv; every expected line (printed and
# right value), exit 1; a corrected copy reports nothing, exit 0; the share
# tolerance on a whole table; --json; row errors naming their row; exit codes.
set -euo pipefail
: "${STATION:?}" "${CENTRAL:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DEMO_DIR=$tmp/demo
bash "$SRC/examples/demo.sh" >"$tmp/demo.txt" 2>&1 || { cat "$tmp/demo.txt"; exit 1; }
db=$DEMO_DIR/central.db
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# compare ARGS...: runs central compare in $tmp/t (files by their base
# names), output in $tmp/out, errors in $tmp/err, status in $rc.
compare() {
  set +e
  (cd "$tmp/t" && "$CENTRAL" compare "$@") >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
}
has() { # has FILE LINE: FILE has exactly this line
  grep -Fxq -- "$2" "$1" && ok || { bad "no line: $2"; cat "$1" >&2; }
}

mkdir "$tmp/t"
cp "$SRC"/examples/kz-2021-akim-by/published*.csv "$tmp/t/"
tables=(--published published.csv --published published-general.csv --published published-nominations.csv)

# The seed's tables: six numbers are wrong, each named with its right value.
compare --db "$db" "${tables[@]}"
[ "$rc" = 1 ] && ok || bad "seed's tables: exit $rc, want 1"
[ ! -s "$tmp/err" ] && ok || { bad "seed's tables: errors"; cat "$tmp/err" >&2; }
has "$tmp/out" "published.csv:32: ulken-akim invalid: share of ballots-cast: printed 3.77%, right 0.00% (0 / 860, printed counts and tally)"
has "$tmp/out" "published-general.csv:16: general-2021 adal: share of seats:730: printed 4.52%, right 2.05% (15 / 730, printed counts)"
has "$tmp/out" "published-general.csv:17: general-2021 ak-zhol: share of seats:730: printed 2.05%, right 1.51% (11 / 730, printed counts)"
has "$tmp/out" "published-general.csv:18: general-2021 qhp: share of seats:730: printed 1.51%, right 1.37% (10 / 730, printed counts)"
has "$tmp/out" "published-general.csv:19: general-2021 jsdp: share of seats:730: printed 1.37%, right 0.14% (1 / 730, printed counts)"
has "$tmp/out" "published-nominations.csv:31: races total: count: printed 743, right 737 (sum of the 14 printed rows)"
# ... and nothing else: six lines of differences, then the summary naming the event.
[ "$(grep -c ': printed ' "$tmp/out")" = 6 ] && ok || bad "not exactly 6 differences"
grep -Eq '^88 checks of printed numbers, 6 differ \(tally as of event [0-9]+, head [0-9a-f]{64}\)$' "$tmp/out" &&
  ok || bad "summary line"

# The same as JSON lines.
compare --db "$db" --json "${tables[@]}"
[ "$rc" = 1 ] && ok || bad "--json: exit $rc"
[ "$(wc -l <"$tmp/out")" = 7 ] && ok || bad "--json: want 7 lines"
has "$tmp/out" '{"file":"published.csv","row_number":32,"table":"","contest":"ulken-akim","row":"invalid","column":"","what":"share of ballots-cast","printed":"3.77%","right":"0.00%","basis":"printed counts and tally","from":"0 / 860"}'
grep -Eq '^\{"checked":88,"differ":6,"seq":[0-9]+,"head":"[0-9a-f]{64}"\}$' "$tmp/out" && ok || bad "--json summary"

# A corrected copy (the right values put in) reports nothing: exit 0.
mkdir "$tmp/fixed"
sed 's/^ulken-akim,invalid,0,3\.77%,/ulken-akim,invalid,0,0.00%,/' "$tmp/t/published.csv" >"$tmp/fixed/published.csv"
sed -e 's/^general-2021,adal,15,4\.52%/general-2021,adal,15,2.05%/' \
    -e 's/^general-2021,ak-zhol,11,2\.05%/general-2021,ak-zhol,11,1.51%/' \
    -e 's/^general-2021,qhp,10,1\.51%/general-2021,qhp,10,1.37%/' \
    -e 's/^general-2021,jsdp,1,1\.37%/general-2021,jsdp,1,0.14%/' \
    "$tmp/t/published-general.csv" >"$tmp/fixed/published-general.csv"
sed 's/^races,total,,743$/races,total,,737/' "$tmp/t/published-nominations.csv" >"$tmp/fixed/published-nominations.csv"
for f in published.csv published-general.csv published-nominations.csv; do
  cmp -s "$tmp/t/$f" "$tmp/fixed/$f" && bad "fixed/$f: the correction did not apply"
done
cp "$tmp"/fixed/*.csv "$tmp/t/"
compare --db "$db" "${tables[@]}"
[ "$rc" = 0 ] && ok || { bad "corrected copy: exit $rc"; cat "$tmp/out" "$tmp/err" >&2; }
[ "$(grep -c ': printed ' "$tmp/out")" = 0 ] && ok || bad "corrected copy: differences listed"
grep -Eq '^88 checks of printed numbers, 0 differ ' "$tmp/out" && ok || bad "corrected copy: summary"

# Half the last printed digit: 731 / 928 = 78.7715 %: 78.8 and 79 are right,
# 78.7 is not (right 78.8). Shares need not sum to 100 (these no longer do).
sed 's/^aral-akim,jandauletov,731,78\.77%,/aral-akim,jandauletov,731,78.8%,/; s/^aral-akim,rsalieva,153,16\.49%,/aral-akim,rsalieva,153,16%,/' \
  "$tmp/fixed/published.csv" >"$tmp/t/published.csv"
compare --db "$db" --published published.csv
[ "$rc" = 0 ] && ok || { bad "78.8 and 16 for 78.77 and 16.49: exit $rc"; cat "$tmp/out" >&2; }
sed 's/^aral-akim,jandauletov,731,78\.77%,/aral-akim,jandauletov,731,78.7%,/' \
  "$tmp/fixed/published.csv" >"$tmp/t/published.csv"
compare --db "$db" --published published.csv
[ "$rc" = 1 ] && ok || bad "78.7 for 78.77: exit $rc"
has "$tmp/out" "published.csv:12: aral-akim jandauletov: share of ballots-cast: printed 78.7%, right 78.8% (731 / 928, printed counts and tally)"

# A printed count that differs from the tally, with a share that follows
# from it: the count against the tally, the share against the tally only.
sed 's/^aral-akim,invalid,35,3\.77%,/aral-akim,invalid,36,3.88%,/' \
  "$tmp/fixed/published.csv" >"$tmp/t/published.csv"
compare --db "$db" --published published.csv
has "$tmp/out" "published.csv:17: aral-akim invalid: count: printed 36, right 35 (tally)"
has "$tmp/out" "published.csv:17: aral-akim invalid: share of ballots-cast: printed 3.88%, right 3.77% (35 / 928, tally)"
[ "$(grep -c ': printed ' "$tmp/out")" = 2 ] && ok || bad "wrong count: want 2 lines"

# Unknown contest, candidate or line: one error per row naming it; nothing compared.
cat >"$tmp/t/bad.csv" <<'EOF'
# a comment
contest,row,count,share,of
ulken-akim,qasenov,732,85.12%,ballots-cast
ulken-akim,nobody,1,,
mayor,x,1,,
ulken-akim,invalid,0,0.00,spoilt
ulken-akim,ballots-cast,"1,283",,
EOF
compare --db "$db" --published bad.csv
[ "$rc" = 1 ] && ok || bad "bad rows: exit $rc"
has "$tmp/err" 'central: bad.csv: row 4: "nobody" is no candidate, party or protocol line of contest ulken-akim (nor valid or turnout)'
has "$tmp/err" 'central: bad.csv: row 5: unknown contest "mayor" (not in the definition)'
has "$tmp/err" 'central: bad.csv: row 6: of "spoilt" is no candidate, party or protocol line of contest ulken-akim (nor valid)'
has "$tmp/err" 'central: bad.csv: row 7: count "1,283" is not a count (digits only, no separators)'
[ "$(wc -l <"$tmp/err")" = 4 ] && ok || bad "bad rows: want 4 error lines"
[ ! -s "$tmp/out" ] && ok || bad "bad rows: something was compared"

# Exit codes: usage 2, unreadable file 3; without --db only untallied tables.
compare --db "$db"
[ "$rc" = 2 ] && ok || bad "no --published: exit $rc"
compare --db "$db" --published missing.csv
[ "$rc" = 3 ] && ok || bad "missing file: exit $rc"
compare --db "$tmp/none.db" --published published.csv
[ "$rc" = 3 ] && ok || bad "missing database: exit $rc"
cp "$SRC"/examples/kz-2021-akim-by/published-general.csv "$tmp/t/"
compare --published published-general.csv
[ "$rc" = 1 ] && [ "$(grep -c ': printed ' "$tmp/out")" = 4 ] && grep -q '(no tally: own counts only)$' "$tmp/out" &&
  ok || bad "no --db, untallied table: exit $rc"
compare --published published.csv
[ "$rc" = 1 ] && grep -q 'needs --db' "$tmp/err" && ok || bad "no --db, tallied table: exit $rc"

# A cell with a line break inside quotes: the error stays on one line
# (red team), the break escaped.
printf 'table,contest,row,column,count,share,of,seats\nt,,a,,"5\n6",,,\n' >"$tmp/t/nl.csv"
compare --published nl.csv
[ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
  grep -qF 'central: nl.csv: row 2: count "5\x0a6" is not a count' "$tmp/err" && ok ||
  bad "a newline in a cell: exit $rc, $(cat "$tmp/err")"

echo "compare: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
