#!/usr/bin/env bash
# The independent Python verifier (tests/python/verify_returns.py, written
# from docs/FORMATS.md alone) must agree with the golden vectors: the good and
# re-signed returns verify, the bad-signature and malformed ones do not, and
# every single-byte change of a good return is refused. If DEMO_DIR is set and
# $DEMO_DIR/returns exists (examples/demo.sh writes demo/), those returns are
# verified too with the keys in $DEMO_DIR/stations.
# Environment (from ctest): SRC = repository root; STATION, CENTRAL, BUILD are
# not needed. Exit 77 = skipped (no PyNaCl for /usr/bin/python3).
set -euo pipefail

SRC=${SRC:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}
PY=/usr/bin/python3
VERIFY=$SRC/tests/python/verify_returns.py
VEC=$SRC/tests/vectors

if ! "$PY" -c 'import nacl.signing, nacl.bindings' 2>/dev/null; then
    echo "python_verifier: skipped: $PY cannot import nacl (install python3-nacl)"
    exit 77
fi

fail() {
    echo "python_verifier: FAIL: $*" >&2
    exit 1
}

# run_verifier ARGS...: sets $out and $rc.
run_verifier() {
    rc=0
    out=$("$PY" "$VERIFY" "$@" 2>&1) || rc=$?
    printf '%s\n' "$out"
}

# expect_all_ok N ARGS...: exit 0 and exactly N lines, all OK.
expect_all_ok() {
    local n=$1
    shift
    run_verifier "$@"
    ((rc == 0)) || fail "expected exit 0, got $rc: $*"
    (($(grep -c '^OK ' <<<"$out") == n)) || fail "expected $n OK lines: $*"
    ! grep -qv '^OK ' <<<"$out" || fail "a line other than OK: $*"
}

# Good and re-signed returns.
shopt -s nullglob
good=("$VEC"/good-*.return "$VEC"/resigned-*.return)
((${#good[@]} >= 2)) || fail "no good vectors in $VEC"
expect_all_ok "${#good[@]}" --keys "$VEC" "${good[@]}"

# Bad signatures (tampered content, non-canonical S, small-order R) and a
# malformed return: each on its own, exit 1 and one BAD line.
bad=("$VEC"/neg-bad-signature*.return "$VEC/neg-malformed.return")
((${#bad[@]} >= 4)) || fail "missing negative vectors in $VEC"
for f in "${bad[@]}"; do
    run_verifier --keys "$VEC" "$f"
    ((rc == 1)) || fail "expected exit 1, got $rc: $f"
    [[ $out == "BAD $f: "* && $out != *$'\n'* ]] || fail "expected one BAD line: $f"
done

# Every byte of each good return flipped in turn (xor 0x01), in one process.
for f in "$VEC"/good-*.return; do
    run_verifier --keys "$VEC" --self-test-tamper "$f"
    ((rc == 0)) || fail "a tampered variant of $f was accepted (exit $rc)"
done

# Usage errors exit 2.
run_verifier --keys "$VEC" >/dev/null
((rc == 2)) || fail "no returns: expected exit 2, got $rc"
run_verifier --keys "$VEC" "$VEC/no-such-file.return" >/dev/null
((rc == 2)) || fail "missing file: expected exit 2, got $rc"

# The demo's returns, when there are some.
if [[ -n ${DEMO_DIR:-} && -d $DEMO_DIR/returns ]]; then
    demo=("$DEMO_DIR"/returns/*)
    ((${#demo[@]} > 0)) || fail "$DEMO_DIR/returns is empty"
    run_verifier --keys "$DEMO_DIR/stations" "$DEMO_DIR/returns"
    ((rc == 0)) || fail "demo returns: expected exit 0, got $rc"
    ! grep -qv '^OK ' <<<"$out" || fail "demo returns: a line other than OK"
fi

echo "python_verifier: all checks passed"
