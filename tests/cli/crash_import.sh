#!/usr/bin/env bash
# crash_import.sh: issue 6's crash test of DESIGN 9 ("an import is atomic
# per return and safe against a crash at any moment; a verdict is printed
# only after it is committed").
#
# crashgen (tests/crashgen.c) writes an election of about 3,000 signed
# returns (300 precincts x 8 contests) with corrections (in order, before
# their predecessor, chains of 24 arriving newest first), exact duplicates
# (the same path twice, the same bytes under another name), re-signed
# duplicates, tampered, unknown-key, conflicting, stale and sum-mismatch
# returns, and the order to import them in. One uninterrupted import makes
# the reference. Then, in a fresh database, `central import` is launched
# over and over (from a few files before the last printed line, or now and
# then over the whole set again) and `kill -9`ed after a seeded random
# delay (early; just after the run's first line, i.e. after a commit; or
# after a span of new work adjusted so the kills spread over the whole
# set), until KILLS kills have landed. After each launch: the database
# opens (`central status`); every printed line is a committed row (the
# file, its verdict and codes); the rows added exceed the printed lines
# only by what one commit stored just before the kill (the run's next
# inputs after its last printed line, in order) and at most one
# re-decision; one event per decision. Every AUDIT_EVERY kills `central
# audit` must be clean. A last uninterrupted import, then: audit clean;
# the same files, decision and event counts; the same newest verdict and
# codes per file; the same `status --json` and `tally --format json`
# (minus `as_of`: the head hashes event times) as the reference. (Per-file
# verdicts may be compared because every run keeps the reference's order
# and no return comes to correct a correction stored and still held, the
# one case where the decisions would depend on where batches begin.)
#
# Env: CRASH_KILLS (200), CRASH_PRECINCTS (300; 150 in an Asan build),
# CRASH_CONTESTS (8), CRASH_SEED (6), CRASH_AUDIT_EVERY (50; 0: only the
# last audit), CRASH_KEEP (keep the folder),
# CRASH_TMP (default /dev/shm when writable, else TMPDIR or /tmp; the kill
# test needs no disk, only the page cache a killed process leaves).
# Skips (77) without the programs, crashgen, sqlite3 or python3.
set -u

if [ -z "${CENTRAL:-}" ] || [ ! -x "$CENTRAL" ] || [ -z "${BUILD:-}" ] ||
    [ ! -x "$BUILD/tests/crashgen" ] || ! command -v sqlite3 >/dev/null ||
    ! command -v python3 >/dev/null; then
    echo "skip: CENTRAL, BUILD (with tests/crashgen), sqlite3 and python3 are needed"
    exit 77
fi
KILLS=${CRASH_KILLS:-200}
PRECINCTS=${CRASH_PRECINCTS:-300}
# Under ASan+UBSan (CI's second pass) every process is several times
# slower: the same 200 kills over half the returns.
grep -qs '^CMAKE_BUILD_TYPE:STRING=Asan$' "$BUILD/CMakeCache.txt" && PRECINCTS=${CRASH_PRECINCTS:-150}
CONTESTS=${CRASH_CONTESTS:-8}
SEED=${CRASH_SEED:-6}
AUDIT_EVERY=${CRASH_AUDIT_EVERY:-50}
if [ -z "${CRASH_TMP:-}" ]; then
    CRASH_TMP=${TMPDIR:-/tmp}
    [ -d /dev/shm ] && [ -w /dev/shm ] && CRASH_TMP=/dev/shm
fi
T=$(mktemp -d "$CRASH_TMP/crash_import.XXXXXX")
# CRASH_KEEP=1 keeps the folder (databases, outputs) for a look afterwards.
if [ -n "${CRASH_KEEP:-}" ]; then echo "crash_import: keeping $T"; else trap 'rm -rf "$T"' EXIT; fi
cd "$T" || exit 1
SECONDS=0
RANDOM=$SEED

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
now_ms() { date +%s%3N; }
# Rows of the tables every import and re-decision adds to.
counts() { sqlite3 "$1" 'SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM decisions), (SELECT count(*) FROM events)'; }
# Per stored file (by hash): its name, newest verdict, codes and role.
verdicts() {
    sqlite3 "$1" "SELECT hex(f.hash), CAST(f.name AS TEXT), d.verdict, d.codes, d.role FROM files f
        JOIN decisions d ON d.file = f.id AND d.seq = (SELECT max(seq) FROM decisions WHERE file = f.id)
        ORDER BY f.hash"
}
# status --json / tally --format json without as_of (seq and head).
strip() { python3 -c 'import json,sys; j=json.load(sys.stdin); j.pop("as_of",None); print(json.dumps(j,indent=1,sort_keys=True))'; }

"$BUILD/tests/crashgen" --precincts "$PRECINCTS" --contests "$CONTESTS" --seed "$SEED" --out gen ||
    { echo "FAIL: crashgen"; exit 1; }
cd gen || exit 1
mapfile -t ORDER <order.txt
total=${#ORDER[@]}
nfiles=$(sed -n 's/^files //p' expected.txt)
"$CENTRAL" init --db base.db --definition definition.json --commission-pub commission.pub >/dev/null ||
    { echo "FAIL: init"; exit 1; }
"$CENTRAL" enroll --db base.db - <requests.stream >/dev/null 2>&1 || { echo "FAIL: enroll"; exit 1; }
# All in the main file (the copies below copy only it).
sqlite3 base.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
# Every path's hash, to find the stored file a printed line names.
{
    echo "CREATE TABLE names (hash BLOB, name TEXT PRIMARY KEY); BEGIN;"
    b2sum -l 256 r/* | awk -v q="'" '{ print "INSERT INTO names VALUES (X" q $1 q ", " q $2 q ");" }'
    echo "COMMIT;"
} | sqlite3 names.db || { echo "FAIL: names.db"; exit 1; }

# ---- the reference: one uninterrupted import ----
cp base.db ref.db
t0=$(now_ms)
"$CENTRAL" import --db ref.db "${ORDER[@]}" >ref.out 2>/dev/null
ref_rc=$?
ref_ms=$(($(now_ms) - t0))
[ "$ref_rc" -le 1 ] && ok || bad "reference import exited $ref_rc"
# A run of one duplicate (the cost of starting), one that meets only
# duplicates (the cost of catching up to a frontier).
t0=$(now_ms)
"$CENTRAL" import --db ref.db "${ORDER[0]}" >/dev/null 2>&1
"$CENTRAL" import --db ref.db "${ORDER[0]}" >/dev/null 2>&1
startup=$(((($(now_ms) - t0) * 1000) / 2)) # µs
t0=$(now_ms)
"$CENTRAL" import --db ref.db "${ORDER[@]}" >dup.out 2>/dev/null
dup_ms=$(($(now_ms) - t0))
grep -qv '^duplicate ' dup.out && bad "a second import of everything was not all duplicates" || ok
"$CENTRAL" status --db ref.db --json | strip >ref.status
"$CENTRAL" tally --db ref.db --format json | strip >ref.tally
verdicts ref.db >ref.verdicts
ref_counts=$(counts ref.db)
ref_stored=${ref_counts%%|*}
echo "crash_import: $total items, $nfiles files, $ref_stored stored; reference import ${ref_ms} ms" \
    "(${dup_ms} ms when all are duplicates)"

# ---- the crash runs ----
cp base.db crash.db
: >printed.all
prev=$(counts crash.db)
frontier=0 launches=0 landed=0 finished=0
declare -A phase=()
per_item=$(((ref_ms * 1000) / total)) # microseconds per item
per_dup=$(((dup_ms * 1000) / total))
span=$((400 * per_item))
# What a run printed, one line per kind: "s NAME VERDICT CODES" for a
# stored file, "d ..." for a duplicate (with the stored verdict and codes),
# "r ..." for a re-decision.
lines() {
    awk '
        BEGIN { v["accepted"]; v["flagged"]; v["corrected"]; v["held"]; v["rejected"]; v["stale"]
                v["conflict"]; v["duplicate"] }
        $1 == "redecided" { print "r", $2, $3, $4; next }
        $1 == "duplicate" && ($3 in v) { print "d", $2, $3, $4; next }
        ($1 in v) { print "s", $2, $1, $3 }' "$1"
}
check_printed() { # the lines of one run must be committed rows
    {
        echo "ATTACH 'names.db' AS n; CREATE TEMP TABLE p (name, verdict, codes); BEGIN;"
        lines "$1" | awk -v q="'" '{ print "INSERT INTO p VALUES (" q $2 q "," q $3 q "," q $4 q ");" }'
        echo "COMMIT; SELECT name || ' ' || verdict || ' ' || codes FROM p WHERE NOT EXISTS (
          SELECT 1 FROM files f JOIN decisions d ON d.file = f.id
          WHERE f.hash = (SELECT hash FROM n.names WHERE names.name = p.name)
            AND d.verdict = p.verdict AND d.codes = p.codes);"
    } | sqlite3 crash.db
}
while [ "$landed" -lt "$KILLS" ] && [ "$launches" -lt $((KILLS * 3)) ]; do
    launches=$((launches + 1))
    # Where to start: mostly a few files before the last printed line (the
    # one in flight may be committed: it must come back a duplicate); now
    # and then the whole set again.
    if [ $((RANDOM % 100)) -lt 12 ] || [ "$frontier" -ge "$total" ]; then start=0; else
        start=$((frontier - RANDOM % 4)); [ "$start" -lt 0 ] && start=0; fi
    # When to kill it: the whole set again, while catching up over the
    # duplicates; else one in five early (opening the database, the
    # pending re-decisions, the first files); when the kills are ahead of
    # the set (the frontier behind landed/KILLS of it), two in five just
    # after the run's first line past the catching up (after a commit: in
    # the re-decisions that follow it or deciding the next files); the
    # rest after the catching up and up to `span` µs of new work, adjusted
    # as it goes so that the kills spread over the whole set.
    r=$((RANDOM % 10))
    if [ "$start" -eq 0 ] && [ "$frontier" -gt 0 ]; then
        mode=again us=$((startup + (RANDOM * 32768 + RANDOM) % (frontier * per_dup + 1)))
    elif [ "$r" -lt 2 ]; then
        mode=early us=$(((RANDOM * 32768 + RANDOM) % (startup + 1)))
    elif [ "$r" -lt 6 ] && [ $((frontier * KILLS)) -lt $(((landed + 1) * total)) ]; then
        mode=output us=$(((RANDOM * 32768 + RANDOM) % 20001))
    else
        mode=timed us=$((startup + (frontier - start) * per_dup + (RANDOM * 32768 + RANDOM) % (span + 1)))
    fi
    : >run.out
    "$CENTRAL" import --db crash.db "${ORDER[@]:start}" >run.out 2>run.err &
    pid=$!
    if [ "$mode" = output ]; then
        want=$((frontier - start + 1))
        while kill -0 "$pid" 2>/dev/null && [ "$(grep -vc '^redecided ' run.out)" -lt "$want" ]; do
            sleep 0.002
        done
    fi
    sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    if [ "$rc" -ne 137 ]; then
        finished=$((finished + 1))
        [ "$rc" -le 1 ] || bad "launch $launches (not killed) exited $rc: $(head -c 300 run.err)"
    else
        landed=$((landed + 1))
    fi
    # The database opens and reads.
    "$CENTRAL" status --db crash.db >/dev/null 2>status.err ||
        bad "after kill $landed: status fails: $(head -c 300 status.err)"
    # What was printed is committed, with that verdict and codes.
    missing=$(check_printed run.out)
    [ -z "$missing" ] && ok || bad "after kill $landed: printed but not stored: $(echo "$missing" | head -3)"
    cat run.out >>printed.all
    # Rows added = lines printed, plus what one commit had stored when the
    # kill came before its lines were printed: those are the run's next
    # inputs after its last printed line, in order; and at most one
    # re-decision (each is its own commit).
    now=$(counts crash.db)
    IFS='|' read -r f0 d0 e0 <<<"$prev"
    IFS='|' read -r f1 d1 e1 <<<"$now"
    lines run.out >run.lines
    ns=$(grep -c '^s ' run.lines)
    nr=$(grep -c '^r ' run.lines)
    n=$(grep -cv '^redecided ' run.out)
    uf=$((f1 - f0 - ns)) ud=$((d1 - d0 - ns - nr))
    if [ "$uf" -lt 0 ] || [ "$ud" -lt "$uf" ] || [ "$ud" -gt $((uf + 1)) ] ||
        [ $((e1 - e0)) -ne $((d1 - d0)) ]; then
        bad "after launch $launches: +$((f1 - f0)) files +$((d1 - d0)) decisions +$((e1 - e0)) events for $ns stored and $nr re-decided lines"
    else ok; fi
    sqlite3 crash.db "SELECT CAST(name AS TEXT) FROM files WHERE id > $f0 ORDER BY id" >run.new
    printf '%s\n' "${ORDER[@]:start+n}" >run.next
    order_bad=$(awk -v ns="$ns" '
        FILENAME == ARGV[1] { if ($1 == "s") printed[++np] = $2; next }
        FILENAME == ARGV[2] { if (!($1 in pos)) pos[$1] = FNR; next }
        { k++
          if (k <= ns) { if ($1 != printed[k]) { print "stored " $1 ", printed " printed[k]; exit } }
          else if (!($1 in pos) || pos[$1] <= last) { print "committed unprinted " $1 " is not a next input"; exit }
          else last = pos[$1] }' run.lines run.next run.new)
    [ -z "$order_bad" ] && ok || bad "after launch $launches: $order_bad"
    prev=$now
    # Where it stopped, roughly (a kill before any line: before the run's
    # first commit, or if after it, in the window before the printing).
    if [ "$rc" -eq 137 ]; then
        last=$(tail -n 1 run.out)
        if [ "$uf" -gt 0 ]; then p="import committed, its lines not yet printed"
        elif [ "$ud" -gt 0 ]; then p="re-decision committed, its line not yet printed"
        elif [ ! -s run.out ] && [ "$mode" = early ] && [ "$us" -lt "$startup" ]; then p="opening: database, pending re-decisions"
        elif [ ! -s run.out ]; then p="deciding files, before the run's first commit"
        elif [[ $last == redecided* ]]; then p="in a re-decision cascade"
        elif [ "$(grep -cv '^d ' run.lines)" -eq 0 ]; then p="catching up over duplicates"
        else p="importing, after a commit, before the next"; fi
        phase[$p]=$((${phase[$p]:-0} + 1))
    fi
    # Advance the frontier to the last item this run printed.
    [ $((start + n)) -gt "$frontier" ] && frontier=$((start + n))
    [ "$frontier" -gt "$total" ] && frontier=$total
    # Keep the progress near landed/KILLS of the set: a longer span when
    # behind, a shorter one when ahead or when a run got to the end.
    if [ "$mode" = timed ] && { [ "$rc" -ne 137 ] || [ $((frontier * KILLS)) -gt $(((landed + KILLS / 20) * total)) ]; }; then
        span=$((span * 5 / 6))
    elif [ "$mode" = timed ] && [ $((frontier * KILLS)) -lt $(((landed - KILLS / 20) * total)) ]; then
        span=$((span * 6 / 5))
    fi
    [ "$span" -lt 5000 ] && span=5000
    [ "$span" -gt $((ref_ms * 1000)) ] && span=$((ref_ms * 1000))
    echo "launch $launches $mode start $start us $us span $span rc $rc lines $n frontier $frontier" >>launches.log
    if [ "$AUDIT_EVERY" -gt 0 ] && [ "$rc" -eq 137 ] && [ $((landed % AUDIT_EVERY)) -eq 0 ]; then
        "$CENTRAL" audit --db crash.db >audit.out 2>&1 && ok ||
            bad "audit after kill $landed: $(grep -v '^audit: no ' audit.out | head -5)"
    fi
done
[ "$landed" -ge "$KILLS" ] && ok || bad "only $landed kills landed in $launches launches"
kill_s=$SECONDS

# ---- the last, uninterrupted import, and the comparison ----
"$CENTRAL" import --db crash.db "${ORDER[@]}" >final.out 2>/dev/null
rc=$?
[ "$rc" -eq "$ref_rc" ] && ok || bad "last import exited $rc, the reference $ref_rc"
missing=$(check_printed printed.all)
[ -z "$missing" ] && ok || bad "printed by a killed run, not in the end: $(echo "$missing" | head -3)"
"$CENTRAL" audit --db crash.db >audit.out 2>&1 && ok ||
    bad "final audit: $(grep -v '^audit: no ' audit.out | head -5)"
crash_counts=$(counts crash.db)
[ "$crash_counts" = "$ref_counts" ] && ok ||
    bad "files|decisions|events: $crash_counts after the kills, $ref_counts in the reference"
verdicts crash.db >crash.verdicts
cmp -s ref.verdicts crash.verdicts && ok ||
    bad "files or their verdicts differ: $(diff ref.verdicts crash.verdicts | head -6)"
"$CENTRAL" status --db crash.db --json | strip >crash.status
cmp -s ref.status crash.status && ok || bad "status differs: $(diff ref.status crash.status | head -6)"
"$CENTRAL" tally --db crash.db --format json | strip >crash.tally
cmp -s ref.tally crash.tally && ok || bad "tally differs: $(diff ref.tally crash.tally | head -6)"
[ "${crash_counts%%|*}" -eq "$ref_stored" ] && ok || bad "stored files differ"

echo "crash_import: $landed kills landed in $launches launches ($finished ran to the end)" \
    "over $total items; $(grep -c . printed.all) lines printed by killed runs"
for p in "${!phase[@]}"; do echo "${phase[$p]} $p"; done | sort -nr | sed 's/^/crash_import:   /'
echo "crash_import: kills took ${kill_s}s, all ${SECONDS}s"
echo "crash_import: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
