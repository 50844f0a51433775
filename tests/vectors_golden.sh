#!/usr/bin/env bash
# Regenerates the golden vectors from their fixed seeds and requires the
# committed files to be byte-identical (signify's regress idea): a change to
# the encoder or the signing path cannot go unnoticed.
set -euo pipefail
mk=$1 vec=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$mk" "$vec/definition.json" "$out"
n=0
for f in "$out"/*; do
  name=$(basename "$f")
  cmp "$f" "$vec/$name" || { echo "vectors_golden: $name differs from the committed vector" >&2; exit 1; }
  n=$((n + 1))
done
for f in "$vec"/*; do
  case $(basename "$f") in definition.json|EXPECTED|README.md) continue ;; esac
  [ -e "$out/$(basename "$f")" ] || { echo "vectors_golden: $(basename "$f") is committed but not generated" >&2; exit 1; }
done
echo "vectors_golden: $n files byte-identical"
