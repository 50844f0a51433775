#!/usr/bin/env bash
# openelections_export.sh: `central tally --format openelections` on the demo
# election (examples/demo.sh): the OpenElections header, a known row, per
# precinct the Registered Voters / Ballots Cast pseudo-offices, and per
# contest the candidates', against-all and invalid sums equal to those of
# `--format json` (docs/OPENELECTIONS.md); --county-level picks the area.
# Skips (77) without /usr/bin/python3.
set -euo pipefail
: "${CENTRAL:?}" "${STATION:?}" "${SRC:?}"
py=/usr/bin/python3
[ -x "$py" ] || { echo "skip: $py is needed" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

DEMO_DIR=$tmp/demo STATION=$STATION CENTRAL=$CENTRAL bash "$SRC/examples/demo.sh" >"$tmp/demo.log" 2>&1 || {
  cat "$tmp/demo.log" >&2
  echo "FAIL: examples/demo.sh" >&2
  exit 1
}
db=$tmp/demo/central.db
"$CENTRAL" tally --db "$db" --format openelections >"$tmp/oe.csv"
"$CENTRAL" tally --db "$db" --format openelections --county-level 1 >"$tmp/oe1.csv"
"$CENTRAL" tally --db "$db" --format openelections --contest aral-akim >"$tmp/oe-one.csv"
"$CENTRAL" tally --db "$db" --format json >"$tmp/tally.json"
# --county-level is only for this format; a bad level is a usage error
if "$CENTRAL" tally --db "$db" --county-level 1 >/dev/null 2>&1; then
  echo "FAIL: --county-level accepted without --format openelections" >&2; exit 1
fi
if "$CENTRAL" tally --db "$db" --format openelections --county-level x >/dev/null 2>&1; then
  echo "FAIL: --county-level x accepted" >&2; exit 1
fi

"$py" - "$tmp/oe.csv" "$tmp/oe1.csv" "$tmp/oe-one.csv" "$tmp/tally.json" <<'PY'
import csv, json, sys

oe_path, oe1_path, one_path, tally_path = sys.argv[1:5]
tally = json.load(open(tally_path, encoding="utf-8"))
fails = []


def bad(msg):
    fails.append(msg)


def load(path):
    raw = open(path, "rb").read()
    if b"\r" in raw:
        bad(path + ": CR in output (LF line endings expected)")
    return list(csv.reader(open(path, encoding="utf-8", newline="")))


rows = load(oe_path)
header = ["county", "precinct", "office", "district", "candidate", "party", "votes"]
if rows[0] != header:
    bad("header %r" % rows[0])
body = [dict(zip(header, r)) for r in rows[1:]]
for r in rows[1:]:
    if len(r) != 7 or not r[6].isdigit():
        bad("malformed row %r" % r)

if not any(r["precinct"] == "aral-1" and r["candidate"] == "Nūrbek Jandäuletov"
           and r["votes"] == "731" and r["county"] == "Aral District" for r in body):
    bad("row aral-1 / Nūrbek Jandäuletov / 731 missing")

precincts = []
for r in body:
    if r["precinct"] not in precincts:
        precincts.append(r["precinct"])
for p in precincts:
    offices = [r["office"] for r in body if r["precinct"] == p]
    if offices[:2] != ["Registered Voters", "Ballots Cast"] or offices.count("Registered Voters") != 1:
        bad("%s: Registered Voters / Ballots Cast not first, once" % p)

for tc in tally["contests"]:
    mine = [r for r in body if r["office"] == tc["name"]]
    for cand in tc["candidates"]:
        got = sum(int(r["votes"]) for r in mine if r["candidate"] == cand["name"])
        if got != cand["votes"]:
            bad("%s/%s: %d, tally %d" % (tc["id"], cand["id"], got, cand["votes"]))
    aa = sum(int(r["votes"]) for r in mine if r["candidate"] == "Against all")
    if tc["against_all"] is not None and aa != tc["against_all"]["votes"]:
        bad("%s: against all %d, tally %d" % (tc["id"], aa, tc["against_all"]["votes"]))
    inv = sum(int(r["votes"]) for r in mine if r["candidate"] == "Invalid ballots")
    if inv != tc["invalid"]["votes"]:
        bad("%s: invalid %d, tally %d" % (tc["id"], inv, tc["invalid"]["votes"]))
    ps = {r["precinct"] for r in mine}
    cast = sum(int(r["votes"]) for r in body if r["office"] == "Ballots Cast" and r["precinct"] in ps)
    if cast != tc["ballots_cast"]:
        bad("%s: ballots cast %d, tally %d" % (tc["id"], cast, tc["ballots_cast"]))

rows1 = load(oe1_path)
if [r[1:] for r in rows1] != [r[1:] for r in rows]:
    bad("--county-level 1 changed more than the county column")
if not any(r[1] == "aral-1" and r[0] == "Kyzylorda Region" for r in rows1[1:]):
    bad("--county-level 1: aral-1 not in Kyzylorda Region")

one = load(one_path)
first = tally["contests"][0]
if {r[2] for r in one[1:]} - {"Registered Voters", "Ballots Cast"} != {first["name"]}:
    bad("--contest aral-akim: other contests written")

for f in fails:
    print("FAIL: " + f, file=sys.stderr)
print("openelections_export: %d rows, %d failures" % (len(body), len(fails)))
sys.exit(1 if fails else 0)
PY
