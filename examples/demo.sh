#!/usr/bin/env bash
# demo.sh: the whole flow of DESIGN section 3 on the example in
# examples/kz-2021-akim-by (four 2021 Kazakh rural äkım by-elections, one
# precinct each): commission key, signed definition, central database, one
# station key per precinct, enrolment, one signed return per precinct,
# import, status and tally.
#
# Everything is written to demo/ at the repository root (git-ignored), which
# is removed first so the demo can be run again. Keys are unencrypted: this is
# a demonstration, not a key ceremony.
#
# Usage: examples/demo.sh
# Environment: STATION, CENTRAL: the programs (default build/station/station
# and build/central/central under the repository root; a relative path is
# taken from the current directory, a bare name is looked up in PATH).
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
[[ -f $example/definition.json ]] || die "$root/$example/definition.json: missing"

step "Fresh folder demo/ at $root"
rm -rf -- demo
mkdir -p demo/stations demo/returns
printf 'station: %s\ncentral: %s\n' "$STATION" "$CENTRAL"

step "Commission key pair (demo/commission.key, demo/commission.pub)"
run "$CENTRAL" keygen --unencrypted --out demo/commission

step "Election definition, signed by the commission (demo/definition.json.sig)"
run cp -- "$example/definition.json" demo/definition.json
run "$CENTRAL" sign-definition --key demo/commission.key demo/definition.json

step "Central database (live mode)"
run "$CENTRAL" init --db demo/central.db --definition demo/definition.json \
    --commission-pub demo/commission.pub

step "Key ceremony: one station key and enrolment request per precinct"
for race in "${races[@]}"; do
    read -r precinct _ _ <<<"$race"
    run "$STATION" keygen --definition demo/definition.json --precinct "$precinct" \
        --commission-pub demo/commission.pub --unencrypted --out "demo/stations/$precinct"
done

step "Enrolment of the station keys at central"
run "$CENTRAL" enroll --db demo/central.db demo/stations/*.req

step "Election night: each station signs its return from its counts file"
for race in "${races[@]}"; do
    read -r precinct contest signed_at <<<"$race"
    run "$STATION" record --definition demo/definition.json \
        --key "demo/stations/$precinct.key" --contest "$contest" \
        --counts "$example/counts/$precinct.counts" \
        --signed-at "$signed_at" --out "demo/returns/$precinct.return"
done

step "Import of all returns at central"
# Exit 1 means something was rejected or held: keep going so that status and
# tally show it, and end with that code. 2 and 3 (usage, I/O) stop here.
import_rc=0
run "$CENTRAL" import --db demo/central.db demo/returns || import_rc=$?
if ((import_rc >= 2)); then
    exit "$import_rc"
fi

step "Status of every precinct and contest"
run "$CENTRAL" status --db demo/central.db

step "Tally"
run "$CENTRAL" tally --db demo/central.db

step "Done. Left in $root/demo:"
cat <<'EOF'
  demo/commission.key, demo/commission.pub   commission key pair (unencrypted)
  demo/definition.json, demo/definition.json.sig
                                             the signed election definition
  demo/central.db                            the central database
  demo/stations/<precinct>.key .pub .req .pin
                                             station keys and enrolment requests
  demo/returns/<precinct>.return             the signed returns
Run again with: examples/demo.sh (it starts from an empty demo/).
EOF
if ((import_rc != 0)); then
    printf '\ncentral import exited %d: see its lines above.\n' "$import_rc"
fi
exit "$import_rc"
