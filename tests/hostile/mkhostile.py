#!/usr/bin/python3
# mkhostile.py: writes the hostile-input corpus (tests/hostile/files/) and its
# MANIFEST from one table of cases. Files that must carry a valid signature
# are signed with the plain, deterministic keys of tests/vectors/, so only
# the rule a case attacks can fail. Deterministic: run it twice, same bytes.
#
#   /usr/bin/python3 tests/hostile/mkhostile.py OUT_DIR
#
# tests/cli/hostile.sh regenerates the corpus into a temporary folder and
# requires it to equal the committed one, then feeds every case.
import base64
import hashlib
import json
import os
import sys

import nacl.bindings
import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(HERE, "..", "vectors")


def blake(data, size=32):
    return hashlib.blake2b(data, digest_size=size).digest()


def b64(data):
    return base64.b64encode(data).decode()


def key_id(pk):
    return blake(pk)[:8].hex()


class Key:
    """A signing key from a plain tests/vectors/*.key file, or from a seed."""

    def __init__(self, name=None, seed=None):
        if name is not None:
            text = open(os.path.join(VEC, name + ".key")).read()
            sk = base64.b64decode(text.split("secret ")[1].strip())
            seed = sk[:32]
        self.sk = nacl.signing.SigningKey(seed)
        self.pk = bytes(self.sk.verify_key)
        self.kid = key_id(self.pk)

    def sign(self, data):
        return self.sk.sign(data).signature


P1, P2, P3 = Key("station-p1"), Key("station-p2"), Key("station-p3")
COMMISSION = Key("commission")
DEF_BYTES = open(os.path.join(VEC, "definition.json"), "rb").read()
DEF_HEX = blake(DEF_BYTES).hex()
GOOD_P2 = open(os.path.join(VEC, "good-p2-mayor.return"), "rb").read()

P2_COUNTS = [("registered", 800), ("issued", 500), ("cast-portable", 0),
             ("cast-stationary", 498), ("ballots-cast", 498), ("invalid", 8),
             ("against-all", 0)]
P2_VOTES = [("alice", 200), ("bob", 250), ("carol", 40)]


def head(precinct="p2", contest="mayor", revision="1", supersedes=None, reason=None,
         mode="live", election="vec-2026", definition=DEF_HEX):
    lines = ["precinct-return 1", "election " + election, "definition " + definition,
             "mode " + mode, "contest " + contest, "precinct " + precinct,
             "revision " + str(revision)]
    if supersedes is not None:
        lines.append("supersedes " + supersedes)
    if reason is not None:
        lines.append(b"reason " + reason if isinstance(reason, bytes) else "reason " + reason)
    return lines


def body(counts=P2_COUNTS, votes=P2_VOTES, evidence=(), signed="2026-03-15T18:00:00Z", **kw):
    """The lines of a return up to `signed` (p2, mayor, revision 1 unless
    told otherwise); values may be strings so any spelling can be written."""
    lines = head(**kw)
    lines += ["count %s %s" % (i, v) for i, v in counts]
    lines += ["votes %s %s" % (i, v) for i, v in votes]
    lines += ["evidence " + e for e in evidence]
    lines.append("signed " + signed)
    return lines


def signed_file(lines, key=P2, eol=b"\n"):
    """Joins lines (str or bytes) with eol, adds `key`, signs every byte
    through the key line and appends the signature line."""
    enc = [ln.encode() if isinstance(ln, str) else ln for ln in lines]
    enc.append(("key " + key.kid).encode())
    data = eol.join(enc) + eol
    return data + b"signature " + b64(key.sign(data)).encode() + eol


def ret(key=P2, eol=b"\n", **kw):
    return signed_file(body(**kw), key, eol)


def rev2(reason, key=P2):
    """A correction of tests/vectors/good-p2-mayor.return (not stored in the
    test database, so a valid one is held awaiting its predecessor)."""
    return signed_file(body(revision=2, supersedes=blake(GOOD_P2).hex(), reason=reason), key)


def replace_line(data, prefix, new):
    """Replaces the first line starting with prefix (bytes) by new."""
    out, done = [], False
    for ln in data.split(b"\n"):
        if not done and ln.startswith(prefix):
            out.append(new)
            done = True
        else:
            out.append(ln)
    assert done, prefix
    return b"\n".join(out)


def resign(data, key=P2):
    """Signs data again after an edit: drops the old signature line."""
    lines = data.split(b"\n")
    assert lines[-1] == b"" and lines[-2].startswith(b"signature ")
    lines = lines[:-2]
    assert lines[-1].startswith(b"key ")
    signed = b"\n".join(lines) + b"\n"
    return signed + b"signature " + b64(key.sign(signed)).encode() + b"\n"


def edit(data, prefix, new, key=P2):
    return resign(replace_line(data, prefix, new), key)


def sig_spelled_differently(data):
    """The same 64 signature bytes, spelled with non-zero unused bits."""
    lines = data.split(b"\n")
    sig = lines[-2][len(b"signature "):]
    assert sig.endswith(b"==")
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(sig[-3:-2])
    twin = alphabet[last | 0x0f:(last | 0x0f) + 1]
    assert twin != sig[-3:-2] and base64.b64decode(sig[:-3] + twin + b"==") == base64.b64decode(sig)
    lines[-2] = b"signature " + sig[:-3] + twin + b"=="
    return b"\n".join(lines)


# ---- enrolment requests ---------------------------------------------------

def request(key, precincts=("p1",), pk=None, kid=None, election="vec-2026",
            definition=DEF_HEX, created="2026-03-01T09:00:00Z", public=None, sign_key=None):
    pk = key.pk if pk is None else pk
    lines = ["station-enrolment 1", "election " + election, "definition " + definition]
    lines += ["precinct " + p for p in precincts]
    lines += ["public " + (public if public is not None else b64(pk)), "created " + created,
              "key " + (kid if kid is not None else key_id(pk))]
    data = ("\n".join(lines) + "\n").encode()
    return data + b"signature " + b64((sign_key or key).sign(data)).encode() + b"\n"


def new_key(label):
    return Key(seed=blake(b"hostile " + label.encode()))


# Public keys that are not usable: small order (the identity), not on the
# curve, mixed order (a valid key plus a point of order 8), y >= p.
TORSION8 = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
IDENTITY = bytes([1] + [0] * 31)
MIXED = nacl.bindings.crypto_core_ed25519_add(P1.pk, TORSION8)
NOT_ON_CURVE = bytes([2] + [0] * 31)
Y_ABOVE_P = bytes([0xee] + [0xff] * 30 + [0x7f])  # p + 1, not canonical
for bad in (IDENTITY, MIXED, NOT_ON_CURVE, Y_ABOVE_P):
    assert not nacl.bindings.crypto_core_ed25519_is_valid_point(bad)


def pubfile(pk, kind="commission", kid=None, public=None):
    return ("%s-public-key 1\nkey %s\npublic %s\n" % (
        kind, kid if kid is not None else key_id(pk),
        public if public is not None else b64(pk))).encode()


# ---- definitions ------------------------------------------------------------

def defsig(def_bytes, key=COMMISSION):
    data = ("election-definition-signature 1\ndefinition %s\nkey %s\n" % (
        blake(def_bytes).hex(), key.kid)).encode()
    return data + b"signature " + b64(key.sign(data)).encode() + b"\n"


DEF = json.loads(DEF_BYTES)


def def_json(mutate=None):
    d = json.loads(DEF_BYTES)
    if mutate:
        mutate(d)
    return (json.dumps(d, indent=1, ensure_ascii=False) + "\n").encode()


def set_path(path, value):
    def m(d):
        cur = d
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value
    return m


# ---- secret keys --------------------------------------------------------------

def seckey_encrypted(kind, key, opslimit, memlimit):
    """An encrypted secret key file whose KDF limits are only written, never
    used (the ciphertext is not a real encryption: the file is refused before
    any work is done)."""
    salt, nonce = bytes(range(16)), bytes(range(24))
    return ("%s-secret-key 1\nkey %s\nkdf argon2id13\nopslimit %s\nmemlimit %s\nsalt %s\n"
            "aead xchacha20poly1305-ietf\nnonce %s\nciphertext %s\n" % (
                kind, key.kid, opslimit, memlimit, b64(salt), b64(nonce),
                b64(bytes(80)))).encode()


def seckey_plain(kind, key):
    return ("%s-secret-key 1\nkey %s\nkdf none\nsecret %s\n" % (
        kind, key.kid, b64(bytes(key.sk) + key.pk))).encode()


# ---- counts files ---------------------------------------------------------------

GOOD_COUNTS = ("count registered 1000\ncount issued 820\ncount cast-portable 20\n"
               "count cast-stationary 795\ncount invalid 15\ncount against-all 10\n"
               "votes alice 430\nvotes bob 300\nvotes carol 60\n")


def counts_with(old, new):
    assert old in GOOD_COUNTS
    return GOOD_COUNTS.replace(old, new, 1).encode()


# ---- the cases ------------------------------------------------------------------
# (file, feed, exit, result, message, what it attacks). result is the
# verdict and reason codes for import feeds ("-" when nothing is stored),
# message a text the one-line error or detail must contain.

CASES = []


def case(name, feed, data, exit_code, result, message, why):
    CASES.append((name, feed, data, exit_code, result, message, why))


def malformed(name, data, message, why, feed="import"):
    case(name, feed, data, 1, "rejected malformed", message, why)


GOOD = ret()

# Sizes and bytes.
malformed("empty.return", b"", "empty file", "an empty file")
malformed("over-64k.return", GOOD + b"x" * (65537 - len(GOOD)), "larger than 65536",
          "65,537 bytes: one past the limit (stored as its first 64 KiB + 1)")
malformed("exactly-64k.return", GOOD + b"x" * (65535 - len(GOOD)) + b"\n",
          "unexpected line after the end", "65,536 bytes are within the limit: the next rule speaks")
malformed("nul-byte.return", GOOD.replace(b"mode live", b"mode\x00live"), "forbidden byte 0x00",
          "a NUL byte inside a line")
malformed("nul-at-end.return", GOOD + b"\x00", "forbidden byte 0x00", "a NUL after the last LF")
malformed("crlf.return", ret(eol=b"\r\n"), "forbidden byte 0x0d",
          "CRLF line endings (signed as written)")
malformed("cr-only.return", ret(eol=b"\r"), "forbidden byte 0x0d", "old Mac CR line endings")
malformed("bom.return", b"\xef\xbb\xbf" + GOOD, "expected 'precinct-return 1'",
          "a UTF-8 byte-order mark before the type line")
malformed("tab.return", GOOD.replace(b"count invalid 8", b"count invalid\t8"),
          "forbidden byte 0x09", "a tab between a field's parts")
malformed("no-final-lf.return", GOOD[:-1], "does not end with LF", "the last line lacks its LF")
malformed("trailing-space.return", GOOD.replace(b"mode live\n", b"mode live \n"),
          "trailing space", "a space before a line's LF")
malformed("trailing-empty-line.return", GOOD + b"\n", "unexpected line after the end",
          "an empty line after the signature")
malformed("trailing-bytes.return", GOOD + b"# signed by the chair\n",
          "unexpected line after the end", "a comment after the signature line")
malformed("two-returns.return", GOOD + ret(key=P3, precinct="p3"),
          "unexpected line after the end", "two returns in one file")
malformed("type-line-version-2.return", GOOD.replace(b"precinct-return 1", b"precinct-return 2", 1),
          "expected 'precinct-return 1'", "an unknown format version")
malformed("not-a-return.txt", b"Hello, commission.\n", "expected 'precinct-return 1'",
          "a text file named on the command line is stored as malformed")

# Reason text (revision 2, valid signatures; a valid one is held awaiting
# its predecessor, which the fresh database does not hold).
reason_cases = [
    ("reason-invalid-utf8", b"Recount \xff of box 2", "invalid UTF-8 (0xff)"),
    ("reason-overlong-slash", b"Recount \xc0\xaf box 2", "overlong UTF-8 of '/' (C0 AF)"),
    ("reason-overlong-3byte", b"Recount \xe0\x80\xaf box 2", "overlong three-byte '/' (E0 80 AF)"),
    ("reason-overlong-nul", b"Recount \xc0\x80 box 2", "overlong NUL (C0 80)"),
    ("reason-surrogate", b"Recount \xed\xa0\x80 box 2", "a UTF-16 surrogate encoded in UTF-8"),
    ("reason-above-10ffff", b"Recount \xf4\x90\x80\x80 box 2", "a code point above U+10FFFF"),
    ("reason-truncated-utf8", b"Recount box 2 \xe2\x82", "a truncated sequence at the end"),
    ("reason-bidi-rlo", "Recount \u202e2 xob fo".encode(), "RIGHT-TO-LEFT OVERRIDE (U+202E)"),
    ("reason-bidi-lri", "Recount \u2066box 2\u2069".encode(), "LEFT-TO-RIGHT ISOLATE (U+2066)"),
    ("reason-bidi-alm", "Recount \u061cbox 2".encode(), "ARABIC LETTER MARK (U+061C)"),
    ("reason-bidi-lrm", "Recount\u200e box 2".encode(), "LEFT-TO-RIGHT MARK (U+200E)"),
    ("reason-line-separator", "Recount\u2028box 2".encode(), "LINE SEPARATOR (U+2028)"),
    ("reason-c1-nel", "Recount\u0085box 2".encode(), "C1 control NEL (U+0085)"),
    ("reason-del", b"Recount\x7fbox 2", "DEL"),
    ("reason-escape-sequence", b"Recount \x1b[31mbox 2\x1b[0m", "a terminal colour escape"),
    ("reason-bom-inside", "Recount \ufeffbox 2".encode(), "a byte-order mark inside the text"),
    ("reason-nbsp-leading", "\u00a0Recount box 2".encode(), "a leading no-break space"),
    ("reason-ideographic-space-trailing", "Recount box 2\u3000".encode(),
     "a trailing ideographic space"),
    ("reason-noncharacter", "Recount box 2 \ufffe".encode(), "the noncharacter U+FFFE"),
    ("reason-201-bytes", b"R" * 201, "201 bytes: one past the limit"),
    ("reason-leading-space", b" Recount box 2", "a leading space (two spaces after 'reason')"),
]
for name, text, why in reason_cases:
    malformed(name + ".return", rev2(text), "reason: not a valid text"
              if name != "reason-leading-space" else "more than one space after the field", why)
case("reason-200-bytes.return", "import", rev2("é" * 100), 1, "held awaiting-predecessor",
     "not stored yet", "200 bytes of two-byte UTF-8: at the limit, valid")
case("reason-cyrillic.return", "import", rev2("Пересчёт: 5 бюллетеней в другой пачке"), 1,
     "held awaiting-predecessor", "not stored yet", "Cyrillic text is valid")

# Numbers.
for name, value, why in [
        ("count-1000000001", "1000000001", "one past the largest count"),
        ("count-2pow32-minus-1", "4294967295", "2^32 - 1"),
        ("count-2pow32", "4294967296", "2^32"),
        ("count-2pow64-minus-1", "18446744073709551615", "2^64 - 1"),
        ("count-2pow64", "18446744073709551616", "2^64"),
        ("count-20-digits-zero-padded", "00000000000000000008", "8 with leading zeros"),
        ("count-leading-zero", "08", "a leading zero"),
        ("count-plus-sign", "+8", "a plus sign"),
        ("count-minus", "-8", "a negative count"),
        ("count-hex", "0x8", "hexadecimal"),
        ("count-exponent", "8e0", "an exponent"),
        ("count-decimal-point", "8.0", "a decimal point"),
        ("count-thousands", "1,000", "a thousands separator"),
        ("count-arabic-indic-digit", "\u0668", "an Arabic-Indic digit eight"),
        ("count-fullwidth-digit", "\uff18", "a fullwidth digit eight"),
        ("count-empty", "", "no value")]:
    counts = [(i, value if i == "invalid" else v) for i, v in P2_COUNTS]
    malformed(name + ".return", ret(counts=counts),
              "trailing space" if value == "" else "not a count", why)
malformed("revision-0.return", ret(revision=0), "revision must be at least 1", "revision 0")
malformed("revision-2pow32.return", ret(revision=4294967297), "not a count",
          "revision 2^32 + 1 (32-bit wrap to 1)")
case("count-at-1000000000.return", "import",
     ret(key=P3, precinct="p3", counts=[
         ("registered", 1000000000), ("issued", 1000000000), ("cast-portable", 500000000),
         ("cast-stationary", 500000000), ("ballots-cast", 1000000000), ("invalid", 0),
         ("against-all", 0)], votes=[("alice", 400000000), ("bob", 300000000),
                                     ("carol", 300000000)]),
     0, "flagged turnout-high", "",
     "every count at 1,000,000,000, sums reaching it: valid (flagged for 100 % turnout)")
case("sum-wraps-32-bits.return", "import",
     ret(key=P3, precinct="p3", counts=[
         ("registered", 1000000000), ("issued", 1000000000), ("cast-portable", 705032704),
         ("cast-stationary", 0), ("ballots-cast", 705032704), ("invalid", 1000000000),
         ("against-all", 1000000000)], votes=[("alice", 1000000000), ("bob", 1000000000),
                                              ("carol", 1000000000)]),
     1, "rejected sum-mismatch", "= 5000000000, ballots-cast 705032704",
     "votes + against-all + invalid = 5e9, which is 705032704 modulo 2^32")
case("derived-sum-past-max.return", "import",
     ret(key=P3, precinct="p3", counts=[
         ("registered", 1000000000), ("issued", 1000000000), ("cast-portable", 1000000000),
         ("cast-stationary", 1000000000), ("ballots-cast", 1000000000), ("invalid", 0),
         ("against-all", 0)], votes=[("alice", 1000000000), ("bob", 0), ("carol", 0)]),
     1, "rejected derived-mismatch", "the sum of its parts is 2000000000",
     "a derived line whose parts sum to 2e9, past the largest count")

# Fields: duplicates, order, unknown.
malformed("duplicate-election.return",
          signed_file(body()[:2] + ["election vec-2026"] + body()[2:]),
          "expected field 'definition'", "the election line twice")
malformed("duplicate-count-line.return",
          ret(counts=P2_COUNTS + [("invalid", 8)]), "repeated", "count invalid twice")
malformed("duplicate-votes-line.return", ret(votes=P2_VOTES + [("bob", 250)]), "repeated",
          "votes bob twice")
malformed("duplicate-signature.return", GOOD + GOOD.split(b"\n")[-2] + b"\n",
          "unexpected line after the end", "the signature line twice")
b = body()
malformed("reordered-header.return", signed_file([b[0], b[2], b[1]] + b[3:]),
          "expected field 'election'", "definition before election")
malformed("signed-after-key.return",
          GOOD.replace(b"signed 2026-03-15T18:00:00Z\nkey " + P2.kid.encode(),
                       b"key " + P2.kid.encode() + b"\nsigned 2026-03-15T18:00:00Z"),
          "expected field 'signed'", "key before signed")
case("reordered-count-lines.return", "import",
     ret(counts=[P2_COUNTS[1], P2_COUNTS[0]] + P2_COUNTS[2:]), 1, "rejected line-mismatch",
     "count line 1 is \"issued\"",
     "registered and issued swapped: well formed, not the protocol's order")
case("reordered-votes.return", "import", ret(votes=[P2_VOTES[1], P2_VOTES[0], P2_VOTES[2]]), 1,
     "rejected candidate-mismatch", "votes line 1 is \"bob\"", "alice and bob swapped")
malformed("unknown-field.return", signed_file(body()[:7] + ["comment recounted"] + body()[7:]),
          "expected field 'count'", "an unknown field")
malformed("missing-invalid-line.return", ret(counts=[c for c in P2_COUNTS if c[0] != "invalid"]),
          "required line 'invalid' is missing", "no count line for invalid")
malformed("no-votes-line.return", ret(votes=[]), "expected field 'votes'", "no votes line")
malformed("votes-as-line-id.return", ret(counts=P2_COUNTS + [("votes", 1)]),
          "'votes' is reserved", "`votes` used as a line id")
malformed("field-uppercase.return", GOOD.replace(b"\nelection ", b"\nElection "),
          "expected field 'election'", "a field name in capitals")
malformed("double-space.return", ret(counts=[("registered", " 800")] + P2_COUNTS[1:]),
          "expected exactly two values", "two spaces between a field's parts")
malformed("mode-uppercase.return", ret(mode="LIVE"), "mode must be", "mode LIVE")
malformed("precinct-uppercase.return", ret(precinct="P2"), "not an id", "an id in capitals")
malformed("id-65-chars.return", ret(contest="m" * 65), "not an id", "an id one past 64 characters")
malformed("id-leading-dash.return", ret(contest="-mayor"), "not an id",
          "an id starting with a dash")
malformed("id-unicode-lookalike.return", ret(contest="m\u0430yor"), "not an id",
          "a Cyrillic a in an id")
malformed("revision-1-with-supersedes.return",
          ret(supersedes=blake(GOOD_P2).hex()), "expected field 'count'",
          "supersedes on a first revision")
malformed("revision-2-without-reason.return", ret(revision=2, supersedes=blake(GOOD_P2).hex()),
          "expected field 'reason'", "a correction without its reason")
E = sorted(blake(bytes([i])).hex() for i in range(9))
malformed("evidence-unsorted.return", ret(evidence=[E[1], E[0]]), "ascending",
          "evidence hashes out of order")
malformed("evidence-repeated.return", ret(evidence=[E[0], E[0]]), "ascending",
          "the same evidence hash twice")
malformed("evidence-9-lines.return", ret(evidence=E), "more than 8 evidence lines",
          "nine evidence lines")
malformed("evidence-uppercase-hex.return", ret(evidence=[E[0].upper()]), "lowercase hex",
          "evidence in capital hex")
malformed("definition-63-hex.return", ret(definition=DEF_HEX[:63]), "lowercase hex",
          "a definition hash one digit short")
malformed("key-id-uppercase.return",
          GOOD.replace(b"key " + P2.kid.encode(), b"key " + P2.kid.upper().encode()),
          "lowercase hex", "the key id in capitals")

# Base64 and signatures.
malformed("signature-noncanonical-b64.return", sig_spelled_differently(GOOD), "canonical",
          "the same signature bytes spelled with non-zero unused bits")
malformed("signature-unpadded.return", GOOD.replace(b"==\n", b"\n"), "canonical",
          "the signature without its padding")
sig_line = GOOD.split(b"\n")[-2]
malformed("signature-urlsafe.return",
          GOOD.replace(sig_line, sig_line.replace(b"+", b"-").replace(b"/", b"_"))
          if b"+" in sig_line or b"/" in sig_line else GOOD.replace(sig_line, sig_line[:-3] + b"_=="),
          "canonical", "the URL-safe base64 alphabet")
malformed("signature-with-space.return",
          GOOD.replace(sig_line, sig_line[:30] + b" " + sig_line[30:]), "canonical",
          "a space inside the base64")
malformed("signature-63-bytes.return",
          GOOD.replace(sig_line, b"signature " + b64(bytes(63)).encode()), "canonical",
          "a signature of 63 bytes")
case("signature-zero.return", "import",
     GOOD.replace(sig_line, b"signature " + b64(bytes(64)).encode()), 1,
     "rejected bad-signature", "does not verify", "64 zero bytes: well formed, not a signature")
case("signed-by-another-key.return", "import", ret(key=P1), 1, "rejected key-precinct-mismatch",
     "not enrolled for precinct", "p2's return signed by p1's key (a valid signature, the wrong station)")

# Times.
for name, t, why in [
        ("signed-2027-02-29", "2027-02-29T18:00:00Z", "29 February of a common year"),
        ("signed-2100-02-29", "2100-02-29T18:00:00Z", "2100 is not a leap year (and out of range)"),
        ("signed-02-30", "2026-02-30T18:00:00Z", "30 February"),
        ("signed-04-31", "2026-04-31T18:00:00Z", "31 April"),
        ("signed-month-13", "2026-13-01T18:00:00Z", "month 13"),
        ("signed-day-00", "2026-03-00T18:00:00Z", "day 0"),
        ("signed-year-1999", "1999-12-31T23:59:59Z", "before 2000"),
        ("signed-year-2100", "2100-01-01T00:00:00Z", "after 2099"),
        ("signed-hour-24", "2026-03-15T24:00:00Z", "24:00:00"),
        ("signed-leap-second", "2026-03-15T23:59:60Z", "a leap second"),
        ("signed-offset", "2026-03-15T18:00:00+00:00", "an offset instead of Z"),
        ("signed-lowercase", "2026-03-15t18:00:00z", "lowercase t and z"),
        ("signed-no-seconds", "2026-03-15T18:00Z", "no seconds"),
        ("signed-fraction", "2026-03-15T18:00:00.5Z", "fractional seconds")]:
    malformed(name + ".return", ret(signed=t), "not a time", why)
case("signed-2000-02-29.return", "import", ret(signed="2000-02-29T18:00:00Z"), 1,
     "rejected signed-before-close", "2000-02-29T18:00:00Z",
     "29 February 2000 exists (a leap year by the 400 rule); it is before the close")

# Secret keys given to import.
case("secret-key-plain.key", "import", seckey_plain("station", P2), 1, "refused secret-key",
     "SECRET KEY",
     "a station's plain secret key: never stored")
case("secret-key-crlf.key", "import", seckey_plain("station", P2).replace(b"\n", b"\r\n"), 1,
     "refused secret-key", "SECRET KEY", "a secret key with CRLF endings")
case("secret-key-bom.key", "import", b"\xef\xbb\xbf" + seckey_plain("commission", COMMISSION), 1,
     "refused secret-key", "SECRET KEY", "the commission's secret key behind a BOM")
case("return-with-secret-appended.return", "import", GOOD + seckey_plain("station", P2), 1,
     "refused secret-key", "SECRET KEY", "a return with the station's secret key pasted after it")
case("secret-key-absurd-memlimit.key", "import",
     seckey_encrypted("station", P2, 4, 1 << 40), 1, "refused secret-key", "SECRET KEY",
     "an encrypted key asking 1 TiB of KDF memory, given to import")
case("secret-key-to-enroll.key", "enroll", seckey_plain("station", P2), 1, "-", "SECRET KEY",
     "a station's secret key given to enroll instead of its request: said plainly, not stored")

# Secret keys given to the programs that use them: central sign-definition
# (a passphrase on a descriptor) and station record (none: the file must be
# refused before anyone is asked to type one).
case("sign-absurd-memlimit.key", "sign", seckey_encrypted("commission", COMMISSION, 4, 1 << 40),
     1, "-", "key derivation limits", "1 TiB of Argon2 memory: refused before any work")
case("sign-absurd-opslimit.key", "sign",
     seckey_encrypted("commission", COMMISSION, 4294967295, 67108864), 1, "-",
     "key derivation limits", "2^32 - 1 Argon2 passes: refused before any work")
case("sign-memlimit-2pow64.key", "sign",
     seckey_encrypted("commission", COMMISSION, 2, "18446744073709551616"), 1, "-",
     "line 5: not a decimal number", "a memory limit past 2^64")
case("record-absurd-memlimit.key", "record-key", seckey_encrypted("station", P1, 4, 1 << 40), 1,
     "-", "key derivation limits", "1 TiB of Argon2 memory, no passphrase asked")
case("record-absurd-opslimit.key", "record-key",
     seckey_encrypted("station", P1, 4294967295, 67108864), 1, "-", "key derivation limits",
     "2^32 - 1 Argon2 passes, no passphrase asked")
case("record-memlimit-below-minimum.key", "record-key", seckey_encrypted("station", P1, 1, 1024),
     1, "-", "key derivation limits", "1 KiB of memory: below Argon2's minimum")
case("record-memlimit-2pow64.key", "record-key",
     seckey_encrypted("station", P1, 2, "18446744073709551616"), 1, "-",
     "line 5: not a decimal number", "a memory limit past 2^64, no passphrase asked")
case("record-truncated-ciphertext.key", "record-key",
     seckey_encrypted("station", P1, 2, 67108864).replace(b"AAA=\n", b"=\n"), 1, "-",
     "line 9", "a ciphertext cut short, no passphrase asked")
case("sign-plain-wrong-kind.key", "sign", seckey_plain("station", P2), 1, "-",
     "not a commission secret key", "a station key where the commission's is expected")
case("sign-secret-mismatch.key", "sign",
     seckey_plain("commission", COMMISSION).replace(COMMISSION.kid.encode(), P2.kid.encode()), 1,
     "-", "does not match", "a secret key whose key id is another key's")

# Enrolment requests.
NK = [new_key("enrol %d" % i) for i in range(16)]
case("req-good-p1-second-key.req", "enroll", request(NK[0]), 0, "-", "enrolled",
     "control: a second, valid key for p1 enrols")
case("req-pub-31-bytes.req", "enroll", request(NK[1], public=b64(NK[1].pk[:31])), 1, "-",
     "base64 of 32 bytes", "a 31-byte public key")
case("req-pub-33-bytes.req", "enroll", request(NK[2], public=b64(NK[2].pk + b"\0")), 1, "-",
     "base64 of 32 bytes", "a 33-byte public key")
case("req-pub-identity.req", "enroll", request(NK[3], pk=IDENTITY), 1, "-",
     "not a valid Ed25519 public key", "the identity point (small order)")
case("req-pub-mixed-order.req", "enroll", request(NK[4], pk=MIXED), 1, "-",
     "not a valid Ed25519 public key", "a key plus a point of order 8 (not in the main subgroup)")
case("req-pub-not-on-curve.req", "enroll", request(NK[5], pk=NOT_ON_CURVE), 1, "-",
     "not a valid Ed25519 public key", "a y with no point on the curve")
case("req-pub-y-above-p.req", "enroll", request(NK[6], pk=Y_ABOVE_P), 1, "-",
     "not a valid Ed25519 public key", "y = p + 1: a non-canonical encoding")
pk_b64 = b64(NK[7].pk)
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
twin = pk_b64[:42] + alphabet[alphabet.index(pk_b64[42]) | 3] + "="
assert twin != pk_b64 and base64.b64decode(twin) == NK[7].pk
case("req-pub-noncanonical-b64.req", "enroll", request(NK[7], public=twin), 1, "-",
     "canonical", "the same public key spelled two ways")
case("req-key-id-mismatch.req", "enroll", request(NK[8], kid=NK[9].kid), 1, "-",
     "does not match", "the key id of another key")
case("req-bad-signature.req", "enroll", request(NK[10], sign_key=NK[11]), 1, "-",
     "proof of possession", "signed by another key than the one it enrols")
case("req-wrong-election.req", "enroll", request(NK[12], election="vec-2027"), 1, "-",
     "election", "another election")
case("req-unknown-precinct.req", "enroll", request(NK[13], precincts=("p9",)), 1, "-", "p9",
     "a precinct the definition does not have")
case("req-precincts-unsorted.req", "enroll", request(NK[14], precincts=("p2", "p1")), 1, "-",
     "ascending", "precincts out of order")
case("req-precincts-repeated.req", "enroll", request(NK[15], precincts=("p1", "p1")), 1, "-",
     "ascending", "the same precinct twice")
case("req-crlf.req", "enroll", request(NK[0]).replace(b"\n", b"\r\n"), 1, "-",
     "forbidden byte 0x0d", "CRLF line endings")
case("req-already-enrolled.req", "enroll", open(os.path.join(VEC, "station-p1.req"), "rb").read(),
     0, "-", "already-enrolled", "p1's request again: nothing new is stored")

# Commission public keys given to init.
for name, data, msg, why in [
        ("pub-31-bytes.pub", pubfile(COMMISSION.pk, public=b64(COMMISSION.pk[:31])),
         "base64 of 32 bytes", "a 31-byte key"),
        ("pub-identity.pub", pubfile(IDENTITY), "not a valid Ed25519 public key",
         "the identity point"),
        ("pub-mixed-order.pub", pubfile(MIXED), "not a valid Ed25519 public key",
         "a key plus a point of order 8"),
        ("pub-y-above-p.pub", pubfile(Y_ABOVE_P), "not a valid Ed25519 public key",
         "y = p + 1"),
        ("pub-key-id-mismatch.pub", pubfile(COMMISSION.pk, kid=P2.kid), "key id does not match",
         "the key id of another key"),
        ("pub-station-kind.pub", pubfile(COMMISSION.pk, kind="station"),
         "expected 'commission-public-key 1'", "a station public key file"),
        ("pub-trailing-line.pub", pubfile(COMMISSION.pk) + b"\n", "unexpected line",
         "an empty line after the key")]:
    case(name, "init-pub", data, 1, "-", msg, why)

# Definitions given to init, each signed with the commission key so only the
# attacked rule can fail.
dup = DEF_BYTES.replace(b'"id": "vec-2026",', b'"id": "vec-2026",\n  "id": "vec-2027",', 1)
assert dup != DEF_BYTES
defs = [
    ("def-duplicate-key.json", dup, "duplicate", "the top-level id given twice (jansson would keep one)"),
    ("def-duplicate-key-nested.json",
     DEF_BYTES.replace(b'"colour": "cc0000"}', b'"colour": "cc0000", "colour": null}', 1),
     "duplicate", "a party's colour given twice"),
    ("def-area-cycle.json", def_json(lambda d: d["areas"][1].update(parent="south") or
                                     d["areas"][2].update(parent="north")),
     "cycle", "north and south each other's parent"),
    ("def-area-self-parent.json", def_json(set_path(["areas", 1, "parent"], "north")), "cycle",
     "an area its own parent"),
    ("def-two-roots.json", def_json(set_path(["areas", 1, "parent"], None)), "second root",
     "two areas without a parent"),
    ("def-no-root.json", def_json(set_path(["areas", 0, "parent"], "south")), "no root area",
     "every area has a parent"),
    ("def-duplicate-precinct.json", def_json(set_path(["precincts", 1, "id"], "p1")),
     "duplicate id", "two precincts with id p1"),
    ("def-duplicate-area.json", def_json(set_path(["areas", 2, "id"], "north")), "duplicate id",
     "two areas with id north"),
    ("def-duplicate-candidate.json", def_json(set_path(["contests", 0, "candidates", 1, "id"],
                                                       "alice")),
     "duplicate candidate id", "two candidates alice"),
    ("def-duplicate-contest.json", def_json(set_path(["contests", 1, "id"], "mayor")),
     "duplicate id", "two contests mayor"),
    ("def-duplicate-line.json", def_json(set_path(["protocols", 1, "lines", 2, "id"], "registered")),
     "duplicate line id", "a protocol with registered twice"),
    ("def-bom.json", b"\xef\xbb\xbf" + DEF_BYTES, "byte order mark", "a byte-order mark"),
    ("def-nul-escape.json", DEF_BYTES.replace(b'"Vectorland"', b'"Vector\\u0000land"'),
     "\\u0000 is not allowed",
     "an escaped NUL inside a name"),
    ("def-nul-byte.json", DEF_BYTES.replace(b'"Vectorland"', b'"Vector\x00land"'), "NUL",
     "a raw NUL byte"),
    ("def-invalid-utf8.json", DEF_BYTES.replace(b'"Vectorland"', b'"Vector\xffland"'),
     "invalid UTF-8", "a byte that is not UTF-8"),
    ("def-overlong-utf8.json", DEF_BYTES.replace(b'"Vectorland"', b'"Vector\xc0\xafland"'),
     "invalid UTF-8", "an overlong '/'"),
    ("def-count-exponent.json", DEF_BYTES.replace(b'"registered": 1000}', b'"registered": 1e3}'),
     "expected an integer", "1e3 for a count"),
    ("def-count-fraction.json", DEF_BYTES.replace(b'"registered": 1000}', b'"registered": 1000.0}'),
     "expected an integer", "1000.0 for a count"),
    ("def-count-2pow32.json", DEF_BYTES.replace(b'"registered": 1000}', b'"registered": 4294967296}'),
     "out of range", "2^32 for a count"),
    ("def-count-2pow64.json",
     DEF_BYTES.replace(b'"registered": 1000}', b'"registered": 18446744073709551616}'),
     "too big integer",
     "2^64 for a count (past jansson's integers)"),
    ("def-count-negative.json", DEF_BYTES.replace(b'"registered": 1000}', b'"registered": -1}'),
     "out of range", "a negative count"),
    ("def-count-string.json", DEF_BYTES.replace(b'"registered": 1000}', b'"registered": "1000"}'),
     "expected an integer", "a count in quotes"),
    ("def-unknown-key.json", def_json(set_path(["precincts", 0, "comment"], "x")), "unknown key",
     "an unknown key"),
    ("def-bidi-name.json", def_json(set_path(["contests", 0, "candidates", 0, "name"],
                                             "Alice \u202eelpmaxE")),
     "not a printable name", "a right-to-left override in a candidate's name"),
    ("def-escape-in-name.json", def_json(set_path(["parties", 0, "name"], "Red \u001b[2J Party")),
     "not a printable name", "a terminal escape sequence in a party name"),
    ("def-rule-syntax.json", def_json(set_path(["protocols", 0, "rules", 0, "check"],
                                               "issued <== registered")),
     "unexpected '='", "a rule with <=="),
    ("def-rule-unknown-name.json", def_json(set_path(["protocols", 0, "rules", 0, "check"],
                                                     "issued <= voters")),
     "unknown name", "a rule naming no line"),
    ("def-rule-coefficient.json", def_json(set_path(["protocols", 0, "rules", 0, "check"],
                                                    "1000001*issued <= registered")),
     "coefficient", "a coefficient above 1,000,000"),
    ("def-derived-self.json", def_json(set_path(["protocols", 0, "lines", 4, "derived"],
                                                ["ballots-cast", "cast-portable"])),
     "cannot be part of itself", "a derived line summing itself"),
    ("def-impossible-date.json", def_json(set_path(["date"], "2026-02-30")), "bad date",
     "30 February"),
    ("def-impossible-close.json", def_json(set_path(["areas", 0, "close"], "2026-03-15T25:00:00Z")),
     "bad time", "hour 25"),
    ("def-trailing-garbage.json", DEF_BYTES + b"{}\n", "JSON error", "a second JSON value"),
    ("def-deep-nesting.json", b"[" * 10000 + b"]" * 10000, "JSON error",
     "10,000 nested arrays"),
    ("def-empty.json", b"", "JSON error", "an empty file"),
    ("def-json-error-escape.json", DEF_BYTES.replace(b'"Vectorland"', b'"Vector\\\x1b[2Jland"'),
     "invalid escape near", "a backslash before a raw ESC: jansson quotes it in its error, "
     "which must reach the terminal escaped"),
    ("def-json-error-newline.json", DEF_BYTES.replace(b'"Vectorland"', b'"Vector\\\nland"'),
     "invalid escape near", "a backslash before a raw line break: the error stays one line"),
    ("def-not-object.json", b"[]\n", "expected an object", "an array at the top"),
]
for name, data, msg, why in defs:
    case(name, "init", data, 1, "-", msg, why)
    CASES.append((name + ".sig", "aux", defsig(data), "", "", "", "signature of " + name))
case("def-unsigned.json", "init", def_json(set_path(["name"], "Unsigned election")), 3, "-",
     ".sig: No such file", "a definition without its .sig (an input that cannot be read)")
sig_of_other = def_json(set_path(["name"], "Another election"))
case("def-sig-of-other.json", "init", def_json(set_path(["name"], "Swapped election")), 1, "-",
     "the signature is for another definition", "a .sig made for another definition")
CASES.append(("def-sig-of-other.json.sig", "aux", defsig(sig_of_other), "", "", "",
              "the signature of another definition"))

# Counts files given to station record (definition tests/vectors, contest mayor).
for name, data, msg, why in [
        ("counts-empty.counts", b"", "missing", "an empty counts file"),
        ("counts-bom.counts", b"\xef\xbb\xbf" + GOOD_COUNTS.encode(), "byte order mark", "a BOM"),
        ("counts-nul.counts", counts_with("count issued 820", "count issued 8\x0020"), "NUL",
         "a NUL byte"),
        ("counts-cr-inside.counts", counts_with("count issued 820", "count issued\r820"),
         "carriage return", "a CR inside a line"),
        ("counts-1000000001.counts", counts_with("votes alice 430", "votes alice 1000000001"),
         "not a count", "one past the largest count"),
        ("counts-2pow32.counts", counts_with("votes alice 430", "votes alice 4294967296"),
         "not a count", "2^32"),
        ("counts-2pow64.counts", counts_with("votes alice 430", "votes alice 18446744073709551616"),
         "not a count", "2^64"),
        ("counts-negative.counts", counts_with("votes bob 300", "votes bob -3"), "no sign",
         "a negative count"),
        ("counts-decimal.counts", counts_with("votes bob 300", "votes bob 30.77"), "whole numbers",
         "a percentage typed as a count"),
        ("counts-thousands.counts", counts_with("count registered 1000", "count registered 1,000"),
         "whole numbers", "a thousands separator"),
        ("counts-leading-zero.counts", counts_with("votes bob 300", "votes bob 0300"),
         "leading zero", "a leading zero"),
        ("counts-empty-value.counts", counts_with("votes bob 300", "votes bob"), "no value",
         "a missing value (never taken as 0)"),
        ("counts-duplicate.counts", (GOOD_COUNTS + "votes bob 300\n").encode(), "given twice",
         "votes bob twice"),
        ("counts-missing.counts", counts_with("votes carol 60\n", ""), "missing votes carol",
         "carol left out"),
        ("counts-derived-given.counts", (GOOD_COUNTS + "count ballots-cast 815\n").encode(),
         "derived", "the derived ballots-cast given"),
        ("counts-unknown-line.counts", (GOOD_COUNTS + "count spoiled 3\n").encode(),
         "no line", "a line the protocol lacks"),
        ("counts-unknown-candidate.counts", (GOOD_COUNTS + "votes dave 3\n").encode(),
         "no candidate", "a candidate of another contest"),
        ("counts-over-64k.counts", GOOD_COUNTS.encode() + b"#" * 65536 + b"\n", "larger than",
         "a counts file past 64 KiB (exit 3: station does not read past the limit)"),
        ("counts-sum-wraps-32-bits.counts",
         b"count registered 1000000000\ncount issued 1000000000\ncount cast-portable 705032704\n"
         b"count cast-stationary 0\ncount invalid 1000000000\ncount against-all 1000000000\n"
         b"votes alice 1000000000\nvotes bob 1000000000\nvotes carol 1000000000\n",
         "sum-mismatch", "sums that are right only modulo 2^32"),
        ("counts-invalid-utf8-id.counts", counts_with("votes bob 300", "votes b\xc3\xb6b 300"),
         "no candidate", "a non-ASCII candidate id")]:
    case(name, "counts", data, 3 if name == "counts-over-64k.counts" else 1, "-", msg, why)

# Standard input streams.
G3 = open(os.path.join(VEC, "good-p3-council-south.return"), "rb").read()
case("stream-junk-between.stream", "stdin", GOOD + b"# note\n\n" + G3, 1,
     "accepted;rejected malformed;accepted", "line 1: expected 'precinct-return 1'",
     "two returns with a comment and a blank line between them")
case("stream-nul-junk.stream", "stdin", b"\x00\x00\x00\n" + GOOD, 1,
     "rejected malformed;accepted", "forbidden byte 0x00", "a line of NUL bytes before a return")
case("stream-nul-glued.stream", "stdin", b"\x00\x00\x00" + GOOD, 1, "rejected malformed",
     "forbidden byte 0x00", "NUL bytes on the return's first line: the type line is not at a "
     "line start, so the whole stream is one malformed item")
case("stream-crlf.stream", "stdin", ret(eol=b"\r\n") + G3, 1,
     "rejected malformed;accepted", "forbidden byte 0x0d", "a CRLF return before a good one")
case("stream-no-signature.stream", "stdin", GOOD.rsplit(b"signature ", 1)[0] + G3, 1,
     "rejected malformed;accepted", "line 20: unexpected end of file", "a return cut before its signature, then a good one")
case("stream-oversize-junk.stream", "stdin", b"x" * 70000 + b"\n" + GOOD, 1,
     "rejected malformed;accepted", "larger than 65536", "70,000 bytes of junk, then a return")
case("stream-secret-key.stream", "stdin", seckey_plain("station", P2) + GOOD, 1,
     "refused secret-key;accepted", "SECRET KEY", "a secret key in the stream, then a return")
case("stream-duplicate.stream", "stdin", GOOD + GOOD, 0, "accepted;duplicate", "",
     "the same return twice in one stream")

# Made at test time by tests/cli/hostile.sh (devices, FIFOs, links, names).
SPECIAL = [
    ("@dev-zero", "special", 3, "unreadable", "not a regular file", "import /dev/zero (a device)"),
    ("@fifo", "special", 3, "unreadable", "not a regular file", "import a FIFO: refused without hanging"),
    ("@folder-as-file", "special", 0, "-", "", "import an empty folder: nothing to do"),
    ("@symlink-loop", "special", 3, "unreadable", "Too many levels of symbolic links", "import a symlink to itself"),
    ("@dangling-symlink", "special", 3, "unreadable", "No such file or directory", "import a symlink to nothing"),
    ("@folder-with-links", "special", 0,
     "accepted;skipped symlink;skipped not-a-regular-file;skipped symlink", "", "a folder holding a return, a symlink to a return, a symlink to /dev/zero and a FIFO: "
     "only the regular file is imported, the others are skipped"),
    ("@name-with-newline", "special", 1, "rejected malformed", "\\x0a",
     "a file whose name holds a newline: printed escaped, on one line"),
    ("@name-with-escape", "special", 1, "rejected malformed", "\\x1b",
     "a file whose name holds a terminal escape sequence: printed escaped"),
    ("@gigabyte", "special", 1, "rejected malformed", "larger than 65536",
     "a sparse 1 GiB file: hashed in full, its first 64 KiB + 1 stored"),
    ("@definition-folder", "special", 3, "-", "not a regular file", "init --definition FOLDER"),
    ("@definition-dev-zero", "special", 3, "-", "not a regular file",
     "init --definition /dev/zero"),
    ("@counts-folder", "special", 3, "-", "not a regular file", "station record --counts FOLDER"),
    ("@counts-dev-zero", "special", 3, "-", "not a regular file", "station record --counts /dev/zero"),
    ("@enroll-folder", "special", 3, "-", "not a regular file", "central enroll FOLDER"),
    ("@pub-dev-zero", "special", 3, "-", "not a regular file", "init --commission-pub /dev/zero"),
]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkhostile.py OUT_DIR")
    out = sys.argv[1]
    files = os.path.join(out, "files")
    os.makedirs(files, exist_ok=True)
    names = set(c[0] for c in CASES)
    for old in os.listdir(files):  # a case renamed or dropped leaves nothing behind
        if old not in names:
            os.remove(os.path.join(files, old))
    names = set()
    rows = []
    for name, feed, data, exit_code, result, message, why in CASES:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(files, name), "wb") as f:
            f.write(data)
        if feed != "aux":
            rows.append((name, feed, exit_code, result, message, why))
    for name, feed, exit_code, result, message, why in SPECIAL:
        rows.append((name, feed, exit_code, result, message, why))
    with open(os.path.join(out, "MANIFEST"), "w") as f:
        f.write("# tests/hostile/MANIFEST: generated by mkhostile.py; one case per line, tab-separated:\n"
                "# file, feed, exit code, result (verdict and codes of `central import --json`, `;`\n"
                "# between items; `-`: no verdict line), text the error or detail must contain\n"
                "# (`-`: none required), what it attacks.\n"
                "# Feeds: import = central import FILE; stdin = central import - <FILE;\n"
                "# enroll = central enroll FILE; init = central init --definition FILE (FILE.sig beside);\n"
                "# init-pub = central init --commission-pub FILE; counts = station record --counts FILE;\n"
                "# sign = central sign-definition --key FILE; record-key = station record --key FILE;\n"
                "# special = made by tests/cli/hostile.sh.\n")
        for row in rows:
            f.write("\t".join(str(x) if str(x) != "" else "-" for x in row) + "\n")


if __name__ == "__main__":
    main()
