#!/usr/bin/env bash
# Runs libFuzzer targets one after another on one core, each for RUNS
# executions (or SECONDS with -t), and prints one summary line per target
# for docs/TESTING.md. Needs a PR_FUZZ=ON clang build (see docs/TESTING.md).
#   fuzz/run.sh [-t SECONDS] BUILD_DIR RUNS [TARGET...]
set -euo pipefail
secs=0
if [ "${1:-}" = "-t" ]; then secs=$2; shift 2; fi
[ $# -ge 2 ] || { echo "usage: fuzz/run.sh [-t SECONDS] BUILD_DIR RUNS [TARGET...]" >&2; exit 2; }
build=$1 runs=$2; shift 2
src=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(return return_roundtrip return_diff pubkey seckey enrolment defsig definition rule counts
           stream pin checkpoint receipt keylist tally)
fi
work=$build/fuzz-work
mkdir -p "$work"
fail=0
for t in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "run.sh: $bin missing: configure with -DCMAKE_C_COMPILER=clang -DPR_FUZZ=ON" >&2; exit 2; }
  mkdir -p "$work/$t"
  log=$work/$t.log
  start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  t0=$(date +%s)
  limit=()
  [ "$secs" -gt 0 ] && limit=(-max_total_time="$secs")
  # New inputs go to the work folder; the committed corpus is read only.
  set +e
  "$bin" -runs="$runs" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$t-" "$work/$t" "$src/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  t1=$(date +%s)
  done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  result=ok
  if [ $rc -ne 0 ]; then
    result="FAILED rc=$rc: $(grep -m1 -E 'ERROR|property broken|timeout' "$log" || echo see log)"
    fail=1
  fi
  printf '%s\t%s\t%s\t%ss\t%s\n' "$t" "${done_runs:-?}" "$start" "$((t1 - t0))" "$result"
done
exit $fail
