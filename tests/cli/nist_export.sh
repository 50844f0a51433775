#!/usr/bin/env bash
# nist_export.sh: `central tally --format nist-json` on the demo election
# (examples/demo.sh) is a valid NIST SP 1500-100 v2 ElectionReport (the
# official JSON schema, tests/data/nist-err/), its references resolve, its
# ids are xs:ID-like, and its numbers are those of `--format json`: per
# contest the candidates' and against-all totals, ballots cast, invalid
# (BallotsRejected) and registered voters (docs/NIST.md).
# Skips (77) without /usr/bin/python3 and its jsonschema module.
set -euo pipefail
: "${CENTRAL:?}" "${STATION:?}" "${SRC:?}"
py=/usr/bin/python3
if ! [ -x "$py" ] || ! "$py" -c 'import jsonschema' 2>/dev/null; then
  echo "skip: $py with jsonschema (Debian python3-jsonschema) is needed" >&2
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

DEMO_DIR=$tmp/demo STATION=$STATION CENTRAL=$CENTRAL bash "$SRC/examples/demo.sh" >"$tmp/demo.log" 2>&1 || {
  cat "$tmp/demo.log" >&2
  echo "FAIL: examples/demo.sh" >&2
  exit 1
}
"$CENTRAL" tally --db "$tmp/demo/central.db" --format nist-json >"$tmp/nist.json"
"$CENTRAL" tally --db "$tmp/demo/central.db" --format json >"$tmp/tally.json"
# --contest limits the contests; still valid
first=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["contests"][0]["id"])' "$tmp/tally.json")
"$CENTRAL" tally --db "$tmp/demo/central.db" --format nist-json --contest "$first" >"$tmp/nist-one.json"

"$py" - "$SRC/tests/data/nist-err/NIST_V2_election_results_reporting.json" \
  "$tmp/nist.json" "$tmp/tally.json" "$tmp/nist-one.json" <<'PY'
import json, re, sys

import jsonschema

schema_path, nist_path, tally_path, one_path = sys.argv[1:5]
schema = json.load(open(schema_path, encoding="utf-8"))
nist = json.load(open(nist_path, encoding="utf-8"))
tally = json.load(open(tally_path, encoding="utf-8"))
fails = []


def bad(msg):
    fails.append(msg)


validator = jsonschema.Draft4Validator(schema)
for path in (nist_path, one_path):
    for err in validator.iter_errors(json.load(open(path, encoding="utf-8"))):
        bad("%s: schema: %s at %s" % (path, err.message, list(err.absolute_path)))

# Every @id is unique and xs:ID-like (NCName, ASCII subset); references resolve.
ids = {}
ncname = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


def walk(o):
    if isinstance(o, dict):
        if "@id" in o:
            if o["@id"] in ids:
                bad("duplicate @id " + o["@id"])
            if not ncname.match(o["@id"]):
                bad("not an xs:ID: " + o["@id"])
            ids[o["@id"]] = o
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)


walk(nist)
refs = ("GpUnitId", "ElectionDistrictId", "ElectionScopeId", "PartyId")
lists = ("ComposingGpUnitIds", "CandidateIds")


def check_refs(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in refs and v not in ids:
                bad("dangling %s %s" % (k, v))
            if k in lists:
                for x in v:
                    if x not in ids:
                        bad("dangling %s %s" % (k, x))
            check_refs(v)
    elif isinstance(o, list):
        for v in o:
            check_refs(v)


check_refs(nist)

(election,) = nist["Election"]
gpu = {g["@id"]: g for g in nist["GpUnit"]}
ballots = {b["GpUnitId"]: b for b in election.get("BallotCounts", [])}
contests = {c["@id"]: c for c in election["Contest"]}
if len(contests) != len(tally["contests"]):
    bad("contests: %d, tally has %d" % (len(contests), len(tally["contests"])))
if nist["Status"] != "unofficial-complete":
    bad("status " + nist["Status"])

for tc in tally["contests"]:
    c = contests.get("contest-" + tc["id"])
    if c is None:
        bad("contest %s missing" % tc["id"])
        continue
    district = c["ElectionDistrictId"]
    sels = {s["@id"]: s for s in c["ContestSelection"]}
    precincts = set()

    def total(sel):
        t = [v["Count"] for v in sel["VoteCounts"] if v["GpUnitId"] == district]
        per = [v for v in sel["VoteCounts"] if v["GpUnitId"] != district]
        for v in per:
            precincts.add(v["GpUnitId"])
        if len(t) != 1 or sum(v["Count"] for v in per) != t[0]:
            bad("%s: precinct counts do not add up to the total" % sel["@id"])
        return t[0] if t else None

    for cand in tc["candidates"]:
        sel = sels.get("sel-%s-C-%s" % (tc["id"], cand["id"]))
        if sel is None:
            bad("selection for %s/%s missing" % (tc["id"], cand["id"]))
        elif total(sel) != cand["votes"]:
            bad("%s/%s: votes differ" % (tc["id"], cand["id"]))
    aa = sels.get("sel-%s-AGAINST-ALL" % tc["id"])
    if (aa is None) != (tc["against_all"] is None):
        bad("%s: against-all selection present iff the contest has it" % tc["id"])
    elif aa is not None:
        if total(aa) != tc["against_all"]["votes"]:
            bad("%s: against-all differs" % tc["id"])
        cand = ids[aa["CandidateIds"][0]]
        flag = [x for x in cand.get("ExternalIdentifier", [])
                if x["Type"] == "other" and x.get("OtherType") == "selection-kind"
                and x["Value"] == "against-all"]
        if not flag or aa.get("IsWriteIn") is not False:
            bad("%s: against-all candidate not flagged" % tc["id"])
    if c["SubUnitsReported"] != tc["precincts"]["in-tally"] or c["TotalSubUnits"] != tc["precincts"]["expected"]:
        bad("%s: reporting status differs" % tc["id"])
    cast = sum(ballots[p]["BallotsCast"] for p in precincts)
    invalid = sum(ballots[p]["BallotsRejected"] for p in precincts)
    reg = sum(gpu[p]["VotersRegistered"] for p in precincts)
    if cast != tc["ballots_cast"]:
        bad("%s: ballots cast %d, tally %d" % (tc["id"], cast, tc["ballots_cast"]))
    if invalid != tc["invalid"]["votes"]:
        bad("%s: invalid %d, tally %d" % (tc["id"], invalid, tc["invalid"]["votes"]))
    if reg != tc["registered"]:
        bad("%s: registered %d, tally %d" % (tc["id"], reg, tc["registered"]))
    # the district's own figures, when it has them, are the contest's too
    # (in the demo every contest's area holds only its precincts)
    if district in ballots and ballots[district]["BallotsCast"] != tc["ballots_cast"]:
        bad("%s: district ballots cast differ" % tc["id"])

one = json.load(open(one_path, encoding="utf-8"))
if [c["@id"] for c in one["Election"][0]["Contest"]] != ["contest-" + tally["contests"][0]["id"]]:
    bad("--contest: other contests written")

for f in fails:
    print("FAIL: " + f, file=sys.stderr)
print("nist_export: %d contests checked, %d failures" % (len(tally["contests"]), len(fails)))
sys.exit(1 if fails else 0)
PY
