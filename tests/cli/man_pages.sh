#!/usr/bin/env bash
# Issue 9, "each man page renders with man": station(1), central(1) and
# precinct-return(5) render at 80 columns with no warning from man or groff;
# every command and option the programs' --help lists is in its page; and
# `cmake --install` puts the programs, the pages and the presets in place.
# Exits 77 (skipped) without man or without the built pages (no scdoc).
set -euo pipefail
: "${STATION:?}" "${CENTRAL:?}" "${SRC:?}" "${BUILD:?}"
command -v man >/dev/null || { echo "man not installed: skipped"; exit 77; }
[ -f "$BUILD/man/central.1" ] || { echo "man pages not built (no scdoc): skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
export MANWIDTH=80 LC_ALL=C.UTF-8 MAN_KEEP_FORMATTING=
for page in station.1 central.1 precinct-return.5; do
  f=$BUILD/man/$page
  if MANWIDTH=80 man --warnings -l "$f" >"$tmp/$page.txt" 2>"$tmp/$page.err" && [ ! -s "$tmp/$page.err" ] &&
     grep -q '^NAME' "$tmp/$page.txt"; then ok; else
    bad "$page: man -l failed or warned"; cat "$tmp/$page.err" >&2; fi
  if command -v groff >/dev/null; then
    if groff -ww -man -Tutf8 -z "$f" 2>"$tmp/$page.groff" && [ ! -s "$tmp/$page.groff" ]; then ok; else
      bad "$page: groff -ww warned"; cat "$tmp/$page.groff" >&2; fi
  fi
done

# Every command, and every option of its --help, is in the program's page.
covers() { # covers PROGRAM PAGE-TEXT COMMAND...
  local prog=$1 text=$2 c o
  shift 2
  for c in "$@"; do
    grep -Eq "^   $c\$" "$text" || bad "$prog $c: no section in its man page"
    for o in $("$prog" "$c" --help 2>&1 | grep -Eo -- '--[a-z][a-z-]*' | sort -u); do
      grep -Fq -- "$o" "$text" || bad "$(basename "$prog") $c $o: not in its man page"
    done
  done
  ok
}
central_cmds=$("$CENTRAL" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
station_cmds=$("$STATION" --help 2>&1 | awk '/^  [a-z]+ / {print $1}')
[ -n "$central_cmds" ] && [ -n "$station_cmds" ] && ok || bad "could not list the commands"
# shellcheck disable=SC2086
covers "$CENTRAL" "$tmp/central.1.txt" $central_cmds
# shellcheck disable=SC2086
covers "$STATION" "$tmp/station.1.txt" $station_cmds

# cmake --install: programs, pages and presets, found by man through MANPATH.
if command -v cmake >/dev/null; then
  if cmake --install "$BUILD" --prefix "$tmp/inst" >"$tmp/install.log" 2>&1; then
    for f in bin/station bin/central share/man/man1/station.1 share/man/man1/central.1 \
             share/man/man5/precinct-return.5; do
      [ -f "$tmp/inst/$f" ] || bad "not installed: $f"
    done
    [ -x "$tmp/inst/bin/central" ] && "$tmp/inst/bin/central" --version >/dev/null || bad "installed central does not run"
    if [ -d "$SRC/examples/presets" ]; then
      for p in "$SRC"/examples/presets/*.json; do
        cmp -s "$p" "$tmp/inst/share/precinct-returns/presets/${p##*/}" || bad "preset not installed: ${p##*/}"
      done
    fi
    [ "$(MANPATH="$tmp/inst/share/man" man -w precinct-return)" = "$tmp/inst/share/man/man5/precinct-return.5" ] ||
      bad "man -w precinct-return does not find the installed page"
    ok
  else
    bad "cmake --install failed"; cat "$tmp/install.log" >&2
  fi
fi

echo "man_pages: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
