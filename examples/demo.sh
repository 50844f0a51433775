#!/usr/bin/env bash
# demo.sh: the whole flow of DESIGN section 3 on the example in
# examples/kz-2021-akim-by (four 2021 Kazakh rural äkım by-elections, one
# precinct each): commission key, signed definition, central database, one
# station key per precinct, enrolment, one signed return per precinct,
# import, status and tally; last, the seed's printed tables
# (examples/kz-2021-akim-by/published*.csv) checked by `central compare`.
#
# Everything is written to demo/ at the repository root (git-ignored), which
# is removed first so the demo can be run again. Keys are unencrypted: this is
# a demonstration, not a key ceremony.
#
# Usage: examples/demo.sh
# Environment: STATION, CENTRAL: the programs (default build/station/station
# and build/central/central under the repository root; a relative path is
# taken from the current directory, a bare name is looked up in PATH).
# DEMO_DIR: where to write instead of demo/ (tests use a temporary folder).
set -euo pipefail

caller_dir=$(pwd)
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
example=examples/kz-2021-akim-by

die() {
    printf 'demo.sh: %s\n' "$*" >&2
    exit 2
}

# resolve VAR VALUE: prints the absolute path of program VALUE (named by VAR
# in messages), or stops when it is not an executable file.
resolve() {
    local var=$1 path=$2
    case $path in
        /*) ;;
        */*) path=$caller_dir/$path ;;
        *) path=$(command -v -- "$path") || die "$var: $2: not found in PATH" ;;
    esac
    [[ -f $path && -x $path ]] ||
        die "$var: $path: not an executable file (build first: cmake -B build && cmake --build build, or set $var)"
    printf '%s\n' "$path"
}

STATION=$(resolve STATION "${STATION:-$root/build/station/station}")
CENTRAL=$(resolve CENTRAL "${CENTRAL:-$root/build/central/central}")

# step TEXT: a header before each step.
step() {
    printf '\n==> %s\n' "$*"
}

# run CMD...: shows the command line, then runs it; its status is run's.
run() {
    printf '$'
    printf ' %q' "$@"
    printf '\n'
    "$@"
}

# One line per precinct: precinct, contest, --signed-at. The precincts and
# contests are those of $example/definition.json; each signing time is two
# hours after that precinct's close of polls (20:00 local time in UTC), so
# live mode accepts it (signed-before-close needs signed >= close).
races=(
    "aral-1      aral-akim       2021-08-01T17:00:00Z"
    "shieli-1    shieli-akim     2021-08-01T17:00:00Z"
    "ulken-1     ulken-akim      2021-08-18T16:00:00Z"
    "bershugir-1 bershugir-akim  2021-09-01T17:00:00Z"
)

cd -- "$root"
if [[ -n ${DEMO_DIR:-} ]]; then
    case $DEMO_DIR in /*) out=$DEMO_DIR ;; *) out=$caller_dir/$DEMO_DIR ;; esac
else
    out=$root/demo
fi
# Only ever remove a folder this script made (or an empty one).
if [[ -e $out ]] && ! [[ -f $out/central.db || -f $out/commission.pub ]] &&
    [[ -n $(ls -A -- "$out" 2>/dev/null) ]]; then
    die "$out: exists and is not a demo folder; not removing it"
fi
[[ -f $example/definition.json ]] || die "$root/$example/definition.json: missing"

step "Fresh folder $out"
rm -rf -- "$out"
mkdir -p "$out/stations" "$out/returns"
printf 'station: %s\ncentral: %s\n' "$STATION" "$CENTRAL"

step "Commission key pair (commission.key, commission.pub)"
run "$CENTRAL" keygen --unencrypted --out "$out"/commission

step "Election definition, signed by the commission (definition.json.sig)"
run cp -- "$example/definition.json" "$out"/definition.json
run "$CENTRAL" sign-definition --key "$out"/commission.key "$out"/definition.json

step "Central database (live mode)"
run "$CENTRAL" init --db "$out"/central.db --definition "$out"/definition.json \
    --commission-pub "$out"/commission.pub

step "Key ceremony: one station key and enrolment request per precinct"
for race in "${races[@]}"; do
    read -r precinct _ _ <<<"$race"
    run "$STATION" keygen --definition "$out"/definition.json --precinct "$precinct" \
        --commission-pub "$out"/commission.pub --unencrypted --out "$out/stations/$precinct"
done

step "Enrolment of the station keys at central"
run "$CENTRAL" enroll --db "$out"/central.db "$out"/stations/*.req

step "Election night: each station signs its return from its counts file"
for race in "${races[@]}"; do
    read -r precinct contest signed_at <<<"$race"
    run "$STATION" record --definition "$out"/definition.json \
        --key "$out/stations/$precinct.key" --contest "$contest" \
        --counts "$example/counts/$precinct.counts" \
        --signed-at "$signed_at" --out "$out/returns/$precinct.return"
done

step "Import of all returns at central"
# Exit 1 means something was rejected or held: keep going so that status and
# tally show it, and end with that code. 2 and 3 (usage, I/O) stop here.
import_rc=0
run "$CENTRAL" import --db "$out"/central.db "$out"/returns || import_rc=$?
if ((import_rc >= 2)); then
    exit "$import_rc"
fi

step "Status of every precinct and contest"
run "$CENTRAL" status --db "$out"/central.db

step "Tally"
tally=$(run "$CENTRAL" tally --db "$out"/central.db)
printf '%s\n' "$tally"

step "Published versus computed"
# The seed's Ülken table printed 0 invalid ballots as 3.77 %; the tally
# computes every share from the signed counts (DESIGN 8).
printf '%s\n' "$tally" | awk '
    /^contest / { contest = $2 }
    contest == "ulken-akim:" && $1 == "invalid" {
        printf "Ülken, invalid ballots: published 0 = 3.77 %%, computed from the signed return %s = %s %%\n", $2, $3
    }'

step "The seed's printed tables against the tally and their own counts"
# Every table of the seed article, transcribed as printed into
# $example/published*.csv (docs/COMPARE.md). One line per printed number
# that is wrong, with the right value beside it; exit 1 because some are.
# That is the expected result here, so it does not change the demo's status.
compare_rc=0
run "$CENTRAL" compare --db "$out"/central.db --published "$example"/published.csv \
    --published "$example"/published-general.csv \
    --published "$example"/published-nominations.csv || compare_rc=$?
if ((compare_rc >= 2)); then
    exit "$compare_rc"
fi

step "Done. Left in $out:"
cat <<EOF
  commission.key, commission.pub   commission key pair (unencrypted)
  definition.json, definition.json.sig
                                   the signed election definition
  central.db                       the central database
  stations/<precinct>.key .pub .req .pin
                                   station keys and enrolment requests
  returns/<precinct>.return        the signed returns
Run again with: examples/demo.sh (it starts from an empty folder).
EOF
if ((import_rc != 0)); then
    printf '\ncentral import exited %d: see its lines above.\n' "$import_rc"
fi
exit "$import_rc"
