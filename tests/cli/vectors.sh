#!/usr/bin/env bash
# One negative vector per reason code of DESIGN 7 groups 2-7 (and
# revoked-key), plus the golden good returns, duplicates and a re-signed
# copy: imported in the order of tests/vectors/EXPECTED into a fresh
# database, each file must get exactly the verdict and reason codes listed
# there. `!revoke KEY REASON` lines revoke a vector key at that point.
set -euo pipefail
: "${CENTRAL:?}" "${SRC:?}"
vec=$SRC/tests/vectors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$vec/definition.json" "$vec/definition.json.sig" "$tmp/"
"$CENTRAL" init --db "$tmp/c.db" --definition "$tmp/definition.json" --commission-pub "$vec/commission.pub" >/dev/null
"$CENTRAL" enroll --db "$tmp/c.db" "$vec/station-p1.req" "$vec/station-p2.req" "$vec/station-p3.req" \
  "$vec/station-p2b.req" >/dev/null
pass=0 fail=0
while read -r file verdict codes; do
  case $file in ''|'#'*) continue ;; esac
  if [ "$file" = '!revoke' ]; then
    kid=$(awk '$1 == "key" { print $2 }' "$vec/$verdict.pub")
    if "$CENTRAL" revoke --db "$tmp/c.db" --key "$kid" --reason "$codes" --decision vectors-1 >/dev/null; then
      pass=$((pass + 1))
    else
      echo "FAIL revoke $verdict $codes" >&2
      fail=$((fail + 1))
    fi
    continue
  fi
  [ "$codes" = "-" ] && codes=""
  set +e
  line=$(cd "$vec" && "$CENTRAL" import --db "$tmp/c.db" "$file")
  rc=$?
  set -e
  want="$verdict $file${codes:+ $codes}"
  # A duplicate line repeats the stored file's verdict and codes after it.
  if [ "$verdict" = duplicate ] && [ -z "$codes" ]; then
    got=$(printf '%s\n' "$line" | awk '{print $1, $2}')
  else
    got=$line
  fi
  case $verdict in accepted|flagged|corrected) want_rc=0 ;; duplicate) want_rc=$rc ;; *) want_rc=1 ;; esac
  if [ "$got" = "$want" ] && [ "$rc" = "$want_rc" ]; then
    pass=$((pass + 1))
  else
    echo "FAIL $file: want '$want' (exit $want_rc), got '$line' (exit $rc)" >&2
    fail=$((fail + 1))
  fi
done < "$vec/EXPECTED"
echo "vectors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
