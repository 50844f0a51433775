#!/usr/bin/env bash
# entry_pty.sh: typing a protocol at `station record` on a real terminal
# (a pty of 80x24 driven by /usr/bin/python3's pty module), issue 7's
# "Must show": the protocol typed twice with one typo in the second pass,
# the mismatch shown, corrected, and a return byte-identical to the one
# made from a counts file with the same numbers and --signed-at. Also: an
# empty answer is not zero; per-line entry shows a failing control rule with
# its numbers as soon as its lines are known and lets the official retype
# it; no line wider than 80 columns; colour only without NO_COLOR; Russian
# prompts with LANGUAGE=ru when the catalogue is built.
# Env from ctest: STATION, SRC, BUILD. Skips (77) without python3.
set -u

if [ -z "${STATION:-}" ] || [ ! -x "$STATION" ] || [ -z "${SRC:-}" ]; then
    echo "skip: STATION and SRC must be set"
    exit 77
fi
PY=/usr/bin/python3
if [ ! -x "$PY" ] || ! "$PY" -c 'import pty' 2>/dev/null; then
    echo "skip: $PY with the pty module is needed"
    exit 77
fi
DATA="$SRC/tests/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/entry_pty.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
has() { # has FILE TEXT NAME
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1"; sed 's/^/    | /' "$1"; fi
}

cp "$DATA/station-definition.json" def.json
cp "$DATA/station-definition.json.sig" def.json.sig
cp "$DATA/station-commission.pub" commission.pub
AT=2026-03-15T18:00:00Z
"$STATION" keygen --definition def.json --precinct s1 --commission-pub commission.pub \
    --unencrypted --out st1 >/dev/null 2>&1 || { echo "FAIL: keygen"; exit 1; }
cat >good.txt <<'EOF'
count registered 1000
count issued 700
count cast-stationary 600
count cast-portable 50
count invalid 10
count against-all 40
votes ann 400
votes ben 200
votes cat 0
EOF
"$STATION" record --definition def.json --key st1.key --contest mayor --counts good.txt \
    --signed-at "$AT" --out from-file.return >/dev/null 2>&1 || { echo "FAIL: record --counts"; exit 1; }

# The driver: runs a command on a new 80x24 pty; for each answer waits until
# the screen ends in a prompt (": ", or "--" of a pager), then types it; writes
# everything the program showed to a transcript and exits with its status.
cat >drive.py <<'EOF'
import os, pty, re, select, struct, sys, time, fcntl, termios
transcript, answers_file, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
answers = open(answers_file, encoding='utf-8').read().split('\n')[:-1]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    os.execv(argv[0], argv)
out = b''
mark = 0
def wait_prompt(deadline):
    global out
    while time.time() < deadline:
        text = re.sub(rb'\x1b\[[0-9;]*m', b'', out[mark:])
        if (text.endswith(b': ') or text.endswith(b'--')) and not text.endswith(b'\n'):
            return True
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            out += data
    return False
status = 0
for a in answers:
    if not wait_prompt(time.time() + 20):
        sys.stderr.write('no prompt for answer %r\n' % a)
        break
    mark = len(out)
    os.write(fd, a.encode('utf-8') + b'\r')
while True:
    try:
        r, _, _ = select.select([fd], [], [], 20)
        data = os.read(fd, 4096) if r else b''
    except OSError:
        data = b''
    if not data:
        break
    out += data
# A program still waiting for input after the last answer is stopped.
for _ in range(50):
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
open(transcript, 'wb').write(out)
sys.exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 99)
EOF

# session NAME ENV... -- STATION-ARGS...: answers come from NAME.in.
session() {
    local name=$1
    shift
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    env -i PATH="$PATH" HOME="$T" "${envs[@]}" "$PY" drive.py "$name.txt" "$name.in" \
        "$STATION" record --definition def.json --key st1.key --contest mayor \
        --signed-at "$AT" "$@"
}
# width FILE: widest line on screen, escape sequences removed.
width() {
    "$PY" -c '
import re, sys, unicodedata
w = 0
for line in open(sys.argv[1], encoding="utf-8").read().replace("\r", "").split("\n"):
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    w = max(w, sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line))
print(w)' "$1"
}

# --- 1. The whole protocol twice, one typo in the second pass ----------------
# Items: registered, issued, cast-stationary, cast-portable, invalid,
# against-all, ann, ben, cat. An empty answer first (not zero), then the
# passes; ben is 2000 in the second; then ben twice; then yes.
printf '%s\n' '' 1000 700 600 50 10 40 400 200 0 \
    1000 700 600 50 10 40 400 2000 0 \
    200 200 yes >typo.in
session typo NO_COLOR=1 TERM=xterm -- --out typed.return
rc=$?
[ "$rc" = 0 ] && ok || { bad "typed entry exit $rc"; sed 's/^/    | /' typo.txt; }
has typo.txt "An empty answer is not zero" "empty answer refused"
has typo.txt "One number differs between the two passes" "mismatch announced"
grep -aqE '^ +8  Ben Berg +200 +2000' <(tr -d '\r' <typo.txt) && ok ||
    { bad "mismatch not shown side by side"; tr -d '\r' <typo.txt | sed 's/^/    | /'; }
has typo.txt "The protocol as typed" "final screen"
has typo.txt "65.00" "turnout on the final screen"
has typo.txt "61.54" "share of ballots cast on the final screen"
has typo.txt "Every check of the protocol holds" "checks reported"
if cmp -s typed.return from-file.return; then ok; else
    bad "typed return differs from the counts-file return"
    diff typed.return from-file.return | sed 's/^/    /'
fi
w=$(width typo.txt)
[ "$w" -le 80 ] && ok || bad "a line is $w columns wide"
grep -q $'\033\\[' typo.txt && bad "colour with NO_COLOR set" || ok
# Blind: no typed number is echoed while it is typed (only ECHONL's newline).
grep -aqE '^ *[0-9]+  .*: +[0-9]' <(tr -d '\r' <typo.txt) && bad "a typed number was echoed" || ok

# --- 2. Per line, a failing rule shown at once, retyped at the end -----------
# issued typed as 600: cast-exceeds-issued (ballots-cast 650 <= issued) fails
# as soon as cast-portable makes ballots-cast known. At the end: retype #2.
printf '%s\n' 1000 1000 600 600 600 600 50 50 10 10 40 40 400 400 200 200 0 0 \
    2 700 700 yes >rule.in
session rule TERM=xterm -- --per-line --out typed2.return
rc=$?
[ "$rc" = 0 ] && ok || { bad "per-line entry exit $rc"; sed 's/^/    | /' rule.txt; }
has rule.txt "cast-exceeds-issued" "failing rule named"
has rule.txt "ballots-cast <= issued" "the rule as written"
has rule.txt "650 <= 600 does not hold" "the rule with its numbers"
has rule.txt "Type the # of a number to type it again" "refusal asks for a correction"
has rule.txt "(600 + 50)" "derived line shown with its parts"
grep -q $'\033\\[' rule.txt && ok || bad "no colour on a terminal without NO_COLOR"
cmp -s typed2.return from-file.return && ok || bad "per-line return differs from the counts-file return"
w=$(width rule.txt)
[ "$w" -le 80 ] && ok || bad "a line is $w columns wide (per line)"

# --- 3. Ctrl-D stops without signing ------------------------------------------
printf '%s\n' 1000 >eof.in
printf '\004\n' >>eof.in
session eof NO_COLOR=1 -- --out never.return
rc=$?
[ "$rc" = 1 ] && ok || bad "end of input: exit $rc, wanted 1"
[ -e never.return ] && bad "a return was written after Ctrl-D" || ok

# --- 4. Russian prompts (when the catalogue was built) -------------------------
if [ -n "${BUILD:-}" ] && [ -f "$BUILD/locale/ru/LC_MESSAGES/station.mo" ]; then
    printf '%s\n' 1000 700 600 50 10 40 400 200 0 1000 700 600 50 10 40 400 200 0 q >ru.in
    session ru NO_COLOR=1 LANGUAGE=ru LC_ALL=C.UTF-8 -- --out ru.return
    has ru.txt "Второй проход" "Russian second-pass heading"
    has ru.txt "Протокол в том виде" "Russian final screen"
    [ -e ru.return ] && bad "q still signed" || ok
else
    echo "note: no Russian catalogue in \$BUILD/locale; Russian prompts not checked"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
