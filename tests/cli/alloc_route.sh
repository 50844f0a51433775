#!/usr/bin/env bash
# Issue 6 (fault injection): every allocation of proto/ and common/ goes
# through proto/alloc.h, so the fault-injection walks (test_faults) can fail
# any of them. A direct malloc, calloc, realloc, strdup, strndup, free,
# sodium_malloc or sodium_free anywhere else in their sources fails here.
set -euo pipefail
: "${SRC:?}"
cd "$SRC"
hits=$(grep -nE '(^|[^A-Za-z0-9_.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|free|sodium_malloc|sodium_allocarray|sodium_free)[[:space:]]*\(' \
         proto/src/*.c proto/src/*.h common/src/*.c proto/include/proto/*.h common/include/common/*.h |
       grep -v '^proto/src/alloc\.c:' |
       grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -n "$hits" ]; then
  echo "alloc_route: allocations outside proto/alloc.h (use pr_malloc and its siblings):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "alloc_route: every allocation of proto/ and common/ goes through proto/alloc.h"
