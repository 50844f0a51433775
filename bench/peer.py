#!/usr/bin/python3
"""A straightforward peer for the import benchmark (issue 8).

Reads enrolment requests and a stream of returns as bench-gen writes them,
and for every return: parses it, looks up the station key by key id,
verifies the Ed25519 signature (python3-nacl, i.e. libsodium), checks that
votes + invalid == ballots-cast, and inserts the file, its verdict and its
counts into SQLite, committing every BATCH returns with the same journal
mode and `synchronous` setting as central. No history, no holds, no events:
what a careful script would do, for a side-by-side figure, not a rival.

    peer.py REQUESTS.stream RETURNS.stream DB [--batch N]
prints `peer returns N seconds S per_second R accepted A rejected J`.
"""
import base64
import hashlib
import sqlite3
import sys
import time

import nacl.exceptions
import nacl.signing


def items(data, prefix):
    """Splits a stream at lines beginning with prefix."""
    starts = [0] if data.startswith(prefix) else []
    pos = 0
    needle = b"\n" + prefix
    while True:
        pos = data.find(needle, pos)
        if pos < 0:
            break
        starts.append(pos + 1)
        pos += 1
    for k, s in enumerate(starts):
        yield data[s:starts[k + 1] if k + 1 < len(starts) else len(data)]


def key_id(pk):
    return hashlib.blake2b(pk, digest_size=32).digest()[:8].hex()


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    batch = int(argv[argv.index("--batch") + 1]) if "--batch" in argv else 1
    keys = {}
    with open(argv[1], "rb") as f:
        for req in items(f.read(), b"station-enrolment "):
            for line in req.split(b"\n"):
                if line.startswith(b"public "):
                    pk = base64.b64decode(line[7:])
                    keys.setdefault(key_id(pk), []).append(nacl.signing.VerifyKey(pk))
    db = sqlite3.connect(argv[3], isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE files (hash BLOB PRIMARY KEY, bytes BLOB, verdict TEXT,"
               " precinct TEXT, contest TEXT)")
    db.execute("CREATE TABLE counts (hash BLOB, id TEXT, value INTEGER)")
    with open(argv[2], "rb") as f:
        data = f.read()
    t0 = time.monotonic()
    n = accepted = rejected = pending = 0
    db.execute("BEGIN")
    for ret in items(data, b"precinct-return "):
        n += 1
        h = hashlib.blake2b(ret, digest_size=32).digest()
        if db.execute("SELECT 1 FROM files WHERE hash = ?", (h,)).fetchone():
            continue
        verdict = "rejected"
        cut = ret.rfind(b"\nsignature ")
        fields = {}
        counts, votes = {}, {}
        for line in ret[:cut + 1].decode("utf-8", "replace").split("\n"):
            parts = line.split(" ")
            if parts[0] == "count" and len(parts) == 3:
                counts[parts[1]] = int(parts[2])
            elif parts[0] == "votes" and len(parts) == 3:
                votes[parts[1]] = int(parts[2])
            elif len(parts) == 2:
                fields[parts[0]] = parts[1]
        if cut > 0:
            sig = base64.b64decode(ret[cut + 11:].strip())
            for vk in keys.get(fields.get("key"), []):
                try:
                    vk.verify(ret[:cut + 1], sig)
                except nacl.exceptions.BadSignatureError:
                    continue
                verdict = "accepted"
                break
        if verdict == "accepted" and \
                sum(votes.values()) + counts.get("invalid", 0) != counts.get("ballots-cast"):
            verdict = "rejected"
        db.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?)",
                   (h, ret, verdict, fields.get("precinct"), fields.get("contest")))
        db.executemany("INSERT INTO counts VALUES (?, ?, ?)",
                       [(h, k, v) for k, v in list(counts.items()) + list(votes.items())])
        accepted += verdict == "accepted"
        rejected += verdict == "rejected"
        pending += 1
        if pending == batch:
            db.execute("COMMIT")
            db.execute("BEGIN")
            pending = 0
    db.execute("COMMIT")
    secs = time.monotonic() - t0
    print("peer returns %d seconds %.3f per_second %.0f accepted %d rejected %d"
          % (n, secs, n / secs, accepted, rejected))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
