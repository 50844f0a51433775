#!/usr/bin/env bash
# hostile.sh: feeds every case of tests/hostile/MANIFEST to the program that
# reads it, each against a fresh copy of one database, and checks the exit
# code, the verdict, the one-line error naming the problem, and that nothing
# partial was stored. Env from ctest: CENTRAL, STATION, SRC. Skips (77)
# without the programs; needs /usr/bin/python3 (JSON) and sqlite3 (counts).
set -u

if [ -z "${CENTRAL:-}" ] || [ ! -x "$CENTRAL" ] || [ -z "${STATION:-}" ] || [ ! -x "$STATION" ] ||
    [ -z "${SRC:-}" ]; then
    echo "hostile: skipped: CENTRAL, STATION and SRC must be set"
    exit 77
fi
CENTRAL=$(cd "$(dirname "$CENTRAL")" && pwd)/$(basename "$CENTRAL")
STATION=$(cd "$(dirname "$STATION")" && pwd)/$(basename "$STATION")
PY=/usr/bin/python3
for tool in "$PY" sqlite3; do
    command -v "$tool" >/dev/null || { echo "hostile: FAIL: $tool is missing (scripts/setup.sh)"; exit 1; }
done
H=$SRC/tests/hostile
F=$H/files
VEC=$SRC/tests/vectors
T=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

pass=0 fail=0
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# 1. The committed corpus is exactly what the generator writes.
if "$PY" -c 'import nacl.signing, nacl.bindings' 2>/dev/null; then
    "$PY" "$H/mkhostile.py" "$T/gen" || { echo "hostile: FAIL: mkhostile.py"; exit 1; }
    if diff -r "$T/gen/files" "$F" >/dev/null && cmp -s "$T/gen/MANIFEST" "$H/MANIFEST"; then
        pass=$((pass + 1))
    else
        bad "tests/hostile differs from what mkhostile.py writes (rerun it)"
        diff -rq "$T/gen/files" "$F" | head -5
    fi
else
    echo "hostile: note: no PyNaCl for $PY: the corpus is not regenerated"
fi

# 2. One database (the test-vector definition, p1-p3 enrolled) copied fresh
# for every case, and a station key pinned to p1 for counts files.
mkdir -p "$T/tpl"
cp "$VEC/definition.json" "$VEC/definition.json.sig" "$VEC/commission.pub" "$T/tpl/"
"$CENTRAL" init --db "$T/tpl/c.db" --definition "$T/tpl/definition.json" \
    --commission-pub "$T/tpl/commission.pub" >/dev/null &&
    "$CENTRAL" enroll --db "$T/tpl/c.db" "$VEC/station-p1.req" "$VEC/station-p2.req" \
        "$VEC/station-p3.req" >/dev/null &&
    "$STATION" keygen --definition "$T/tpl/definition.json" --precinct p1 \
        --commission-pub "$T/tpl/commission.pub" --unencrypted --out "$T/tpl/st" >/dev/null 2>&1 ||
    { echo "hostile: FAIL: cannot set up the template database and station key"; exit 1; }

W=$T/w
fresh() { # a clean work folder with the template database
    chmod -R u+w "$W" 2>/dev/null
    rm -rf "$W"
    mkdir -p "$W"
    cp "$T/tpl/c.db"* "$T/tpl/definition.json" "$T/tpl/definition.json.sig" "$W/"
    cp "$T/tpl/commission.pub" "$T/tpl/st.key" "$T/tpl/st.pin" "$T/tpl/st.pub" "$W/"
    printf '%s\n' 'count registered 1000' 'count issued 820' 'count cast-portable 20' \
        'count cast-stationary 795' 'count invalid 15' 'count against-all 10' 'votes alice 430' \
        'votes bob 300' 'votes carol 60' >"$W/good.counts"
}
q() { sqlite3 "$W/c.db" "$1"; }

# Verdicts and codes of `central import --json` lines, `;` between items;
# details on a second line. Prints "-" for no line.
json_result() {
    "$PY" -c '
import json, sys
res, det = [], []
for ln in open(sys.argv[1], encoding="utf-8", errors="replace"):
    o = json.loads(ln)
    res.append((o["verdict"] + " " + ",".join(o.get("reasons") or [])).strip())
    det.append(o.get("detail") or "")
print(";".join(res) or "-")
print(" | ".join(det))
' "$1"
}

# Runs one command for a case; sets rc and leaves out.txt and err.txt in $W.
run() {
    (cd "$W" && timeout 60 "$@" </dev/null >"$W/out.txt" 2>"$W/err.txt")
    rc=$?
}
run_stdin() { # FILE CMD...
    local in=$1
    shift
    (cd "$W" && timeout 60 "$@" <"$in" >"$W/out.txt" 2>"$W/err.txt")
    rc=$?
}

# Number of stored files a result line list implies.
stored_items() {
    local n=0 item
    IFS=';' read -ra items <<<"$1"
    for item in "${items[@]}"; do
        case ${item%% *} in
            accepted | flagged | corrected | held | rejected | conflict | stale) n=$((n + 1)) ;;
        esac
    done
    echo "$n"
}

# The checks every case shares: exit code, result, message, clean output.
check() { # NAME WANT_RC WANT_RESULT WANT_MSG GOT_RESULT TEXT_SEARCHED
    local name=$1 want_rc=$2 want_res=$3 msg=$4 got_res=$5 text=$6 ok=1
    # HOSTILE_SHOW=1: print what each case produced (to write the manifest).
    [ -n "${HOSTILE_SHOW:-}" ] && printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$got_res" "$(tr '\n' ' ' <<<"$text")"
    if [ "$rc" != "$want_rc" ]; then
        bad "$name: exit $rc, wanted $want_rc"
        ok=0
    fi
    if [ "$want_res" != "*" ] && [ "$got_res" != "$want_res" ]; then
        bad "$name: result '$got_res', wanted '$want_res'"
        ok=0
    fi
    if [ -n "$msg" ] && ! grep -qF -- "$msg" <<<"$text"; then
        bad "$name: no '$msg' in: $(head -c 300 <<<"$text")"
        ok=0
    fi
    # Errors are one line each, `<program>: <what>: <why>`, and no output
    # carries a raw control byte (names and texts are escaped).
    # (station record also prints its clock, `station clock: TIME`.)
    if grep -vqE '^(central: |station: |station clock: )' "$W/err.txt" && [ -s "$W/err.txt" ]; then
        bad "$name: a stderr line not of the form 'program: what: why': $(grep -vE '^(central: |station: |station clock: )' "$W/err.txt" | head -2)"
        ok=0
    fi
    if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$W/out.txt" "$W/err.txt"; then
        bad "$name: a raw control byte in the output"
        ok=0
    fi
    [ $ok = 1 ] && pass=$((pass + 1))
    [ $ok = 1 ]
}

# The database holds exactly `want` more files, and `central status`
# still reads it.
state() { # NAME FILES_BEFORE WANT_NEW
    local name=$1 before=$2 want=$3 after
    after=$(q "SELECT count(*) FROM files")
    if [ "$after" != $((before + want)) ]; then
        bad "$name: $((after - before)) files stored, wanted $want"
    elif ! "$CENTRAL" status --db "$W/c.db" >/dev/null 2>&1; then
        bad "$name: central status fails on the database afterwards"
    else
        pass=$((pass + 1))
    fi
}

feed_import() { # NAME PATH(relative to $W or absolute) WANT_RC WANT_RESULT MSG
    local name=$1 path=$2 before res
    before=$(q "SELECT count(*) FROM files")
    run "$CENTRAL" import --db "$W/c.db" --json "$path"
    res=$(json_result "$W/out.txt")
    check "$name" "$3" "$4" "$5" "$(head -1 <<<"$res")" "$(tail -n +2 <<<"$res")
$(cat "$W/err.txt")" &&
        state "$name" "$before" "$(stored_items "$(head -1 <<<"$res")")"
}

feed_stdin() {
    local name=$1 before res
    before=$(q "SELECT count(*) FROM files")
    run_stdin "$F/$name" "$CENTRAL" import --db "$W/c.db" --json -
    res=$(json_result "$W/out.txt")
    check "$name" "$2" "$3" "$4" "$(head -1 <<<"$res")" "$(tail -n +2 <<<"$res")
$(cat "$W/err.txt")" &&
        state "$name" "$before" "$(stored_items "$(head -1 <<<"$res")")"
}

feed_enroll() { # the key table grows by one per `enrolled` line, else not at all
    local name=$1 path=$2 before after new
    before=$(q "SELECT count(*) FROM keys")
    run "$CENTRAL" enroll --db "$W/c.db" "$path"
    after=$(q "SELECT count(*) FROM keys")
    check "$name" "$3" "*" "$5" "" "$(cat "$W/out.txt" "$W/err.txt")" || return
    new=$(grep -c '^enrolled ' "$W/out.txt")
    if [ "$after" != $((before + new)) ]; then
        bad "$name: $((after - before)) keys enrolled"
    else
        pass=$((pass + 1))
    fi
}

no_db_left() { # a refused init leaves no database, journal or WAL behind
    if ls "$W"/new.db* >/dev/null 2>&1; then
        bad "$1: a refused init left $(ls "$W"/new.db* | head -1)"
    else
        pass=$((pass + 1))
    fi
}

feed_init() { # DEF(with DEF.sig beside, if any) PUB
    local name=$1 def=$2 pub=$3
    run "$CENTRAL" init --db "$W/new.db" --definition "$def" --commission-pub "$pub"
    check "$name" "$4" "*" "$6" "" "$(cat "$W/out.txt" "$W/err.txt")" && no_db_left "$name"
}

feed_counts() { # station record: nothing signed, nothing journaled
    local name=$1 counts=$2
    run "$STATION" record --definition "$W/definition.json" --key "$W/st.key" --contest mayor \
        --counts "$counts" --signed-at 2026-03-15T18:00:00Z --out "$W/out.return"
    check "$name" "$3" "*" "$5" "" "$(cat "$W/out.txt" "$W/err.txt")" || return
    if [ -e "$W/out.return" ] || [ -s "$W/st.journal" ]; then
        bad "$name: a refused record left a return or a journal line"
    else
        pass=$((pass + 1))
    fi
}

feed_sign() { # central sign-definition: no DEF.sig written
    local name=$1
    cp "$VEC/definition.json" "$W/unsigned.json"
    printf 'not the passphrase\n' >"$W/pass.txt"
    run_stdin "$W/pass.txt" "$CENTRAL" sign-definition --key "$F/$name" --passphrase-fd 0 \
        "$W/unsigned.json"
    check "$name" "$2" "*" "$4" "" "$(cat "$W/out.txt" "$W/err.txt")" || return
    if [ -e "$W/unsigned.json.sig" ]; then
        bad "$name: a refused key still signed"
    else
        pass=$((pass + 1))
    fi
}

feed_record_key() { # station record with a hostile key: nothing signed
    local name=$1
    cp "$F/$name" "$W/hostile.key"
    chmod 600 "$W/hostile.key"
    cp "$W/st.pin" "$W/hostile.pin"
    run "$STATION" record --definition "$W/definition.json" --key "$W/hostile.key" --contest mayor \
        --counts "$W/good.counts" --signed-at 2026-03-15T18:00:00Z --out "$W/out.return"
    check "$name" "$2" "*" "$4" "" "$(cat "$W/out.txt" "$W/err.txt")" || return
    if [ -e "$W/out.return" ]; then
        bad "$name: a refused key still signed"
    else
        pass=$((pass + 1))
    fi
}

# Cases made here: devices, FIFOs, symlinks, folders, hostile names.
feed_special() {
    local name=$1 want_rc=$2 want_res=$3 msg=$4 res
    case $name in
        @dev-zero) feed_import "$name" /dev/zero "$want_rc" "$want_res" "$msg" ;;
        @fifo)
            mkfifo "$W/fifo"
            feed_import "$name" "$W/fifo" "$want_rc" "$want_res" "$msg" ;;
        @folder-as-file)
            mkdir "$W/empty"
            feed_import "$name" "$W/empty" "$want_rc" "$want_res" "$msg" ;;
        @symlink-loop)
            ln -s loop "$W/loop"
            feed_import "$name" "$W/loop" "$want_rc" "$want_res" "$msg" ;;
        @dangling-symlink)
            ln -s nowhere "$W/dangling"
            feed_import "$name" "$W/dangling" "$want_rc" "$want_res" "$msg" ;;
        @folder-with-links)
            mkdir "$W/dir"
            cp "$VEC/good-p2-mayor.return" "$W/dir/a-return"
            ln -s "$VEC/good-p3-council-south.return" "$W/dir/b-link"
            mkfifo "$W/dir/c-fifo"
            ln -s /dev/zero "$W/dir/d-zero"
            feed_import "$name" dir "$want_rc" "$want_res" "$msg" ;;
        @name-with-newline | @name-with-escape)
            local fname before
            if [ "$name" = @name-with-newline ]; then fname=$'bad\nname.return'; else
                fname=$'bad\e[31mred\e[0m.return'; fi
            printf 'not a return\n' >"$W/$fname"
            before=$(q "SELECT count(*) FROM files")
            run "$CENTRAL" import --db "$W/c.db" "$fname"
            res=$(cut -d' ' -f1 "$W/out.txt")" $(awk '{print $NF}' "$W/out.txt")"
            if [ "$(wc -l <"$W/out.txt")" != 1 ]; then
                bad "$name: the verdict takes $(wc -l <"$W/out.txt") lines"
            else
                check "$name" "$want_rc" "$want_res" "$msg" "$res" "$(cat "$W/out.txt")" &&
                    state "$name" "$before" 1
            fi ;;
        @gigabyte)
            truncate -s 1G "$W/huge"
            feed_import "$name" "$W/huge" "$want_rc" "$want_res" "$msg" || return
            if [ "$(q "SELECT size || ' ' || length(bytes) FROM files ORDER BY id DESC LIMIT 1")" != "1073741824 65537" ]; then
                bad "$name: not stored as its size and first 64 KiB + 1 bytes"
            else
                pass=$((pass + 1))
            fi ;;
        @definition-folder)
            mkdir "$W/deffolder"
            feed_init "$name" "$W/deffolder" "$W/commission.pub" "$want_rc" "" "$msg" ;;
        @definition-dev-zero) feed_init "$name" /dev/zero "$W/commission.pub" "$want_rc" "" "$msg" ;;
        @pub-dev-zero) feed_init "$name" "$W/definition.json" /dev/zero "$want_rc" "" "$msg" ;;
        @counts-folder)
            mkdir "$W/countsfolder"
            feed_counts "$name" "$W/countsfolder" "$want_rc" "" "$msg" ;;
        @counts-dev-zero) feed_counts "$name" /dev/zero "$want_rc" "" "$msg" ;;
        @enroll-folder)
            mkdir "$W/reqfolder"
            cp "$VEC/stranger.req" "$W/reqfolder/"
            feed_enroll "$name" "$W/reqfolder" "$want_rc" "" "$msg" ;;
        *) bad "$name: no such special case" ;;
    esac
}

cases=0
while IFS=$'\t' read -r name feed want_rc want_res msg _why; do
    case $name in '' | '#'*) continue ;; esac
    [ "$msg" = - ] && msg=""
    cases=$((cases + 1))
    fresh
    case $feed in
        import) feed_import "$name" "$F/$name" "$want_rc" "$want_res" "$msg" ;;
        stdin) feed_stdin "$name" "$want_rc" "$want_res" "$msg" ;;
        enroll) feed_enroll "$name" "$F/$name" "$want_rc" "" "$msg" ;;
        init)
            cp "$F/$name" "$W/def.json"
            [ -e "$F/$name.sig" ] && cp "$F/$name.sig" "$W/def.json.sig"
            feed_init "$name" "$W/def.json" "$W/commission.pub" "$want_rc" "" "$msg" ;;
        init-pub) feed_init "$name" "$W/definition.json" "$F/$name" "$want_rc" "" "$msg" ;;
        counts) feed_counts "$name" "$F/$name" "$want_rc" "" "$msg" ;;
        sign) feed_sign "$name" "$want_rc" "" "$msg" ;;
        record-key) feed_record_key "$name" "$want_rc" "" "$msg" ;;
        special) feed_special "$name" "$want_rc" "$want_res" "$msg" ;;
        *) bad "$name: unknown feed '$feed'" ;;
    esac
done <"$H/MANIFEST"

echo "hostile: $cases cases, $pass checks passed, $fail failed"
[ "$cases" -ge 100 ] || { echo "hostile: FAIL: fewer than 100 cases"; exit 1; }
[ "$fail" -eq 0 ]
