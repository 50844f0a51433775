#!/usr/bin/python3
"""Independent verifier for signed precinct returns (`precinct-return 1`).

Written from docs/FORMATS.md alone, with the Python standard library and
PyNaCl (Debian python3-nacl). It checks the byte rules, the field grammar,
the key id and the Ed25519 signature; it does not check a return against the
election definition (protocol order, candidates, sums, close of polls).

Usage: verify_returns.py --keys DIR RETURN_OR_FOLDER...
       verify_returns.py --keys DIR --self-test-tamper RETURN
DIR holds station public keys (*.pub, `station-public-key 1`; other *.pub
files such as the commission key are skipped). A folder stands for every
file under it that starts with `precinct-return 1`.
Prints `OK <file> <precinct> <contest> <return hash>` or `BAD <file>: <why>`
per return; exit 0 if all OK, 1 if any BAD, 2 on usage error.
"""
import argparse, base64, binascii, datetime, hashlib, os, re, sys
import nacl.bindings, nacl.exceptions, nacl.signing


class Bad(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Bad(why)


def blake2b256(data):  # = libsodium crypto_generichash with 32-byte output
    return hashlib.blake2b(data, digest_size=32).digest()


# Value kinds of the grammar (FORMATS.md, "Shared rules").
KIND = {'1': '1', 'id': r'[a-z0-9][a-z0-9._-]{0,63}', 'count': r'0|[1-9][0-9]{0,9}',
        'hex64': r'[0-9a-f]{64}', 'keyid': r'[0-9a-f]{16}', 'mode': r'live|test',
        'time': r'20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z',
        'base64': r'[A-Za-z0-9+/=]+', 'text': r'.+'}
FORBIDDEN_IN_TEXT = {chr(c) for c in [*range(0x20), *range(0x7f, 0xa0), 0x061c, 0x200e, 0x200f,
                                      0x2028, 0x2029, *range(0x202a, 0x202f), *range(0x2066, 0x206a)]}


def value_ok(kind, v):
    if kind == 'count':
        return int(v) <= 10**9
    if kind == 'time':  # the regex fixed the shape; datetime checks it is a real date
        try:
            datetime.datetime.strptime(v, '%Y-%m-%dT%H:%M:%SZ')
            return True
        except ValueError:
            return False
    if kind == 'text':  # strict UTF-8 decoding already refused overlong forms and surrogates
        return 1 <= len(v.encode()) <= 200 and v.strip(' ') == v and not set(v) & FORBIDDEN_IN_TEXT
    return True


def b64(s, n):
    """Decode canonical padded standard base64 of exactly n bytes."""
    try:
        raw = base64.b64decode(s, validate=True)
    except binascii.Error:
        raise Bad('invalid base64')
    need(len(raw) == n, 'base64 is not %d bytes' % n)
    need(base64.b64encode(raw).decode() == s, 'non-canonical base64')
    return raw


def lines_of(data):
    """The shared byte rules; returns the lines without their LFs."""
    need(len(data) <= 65536, 'longer than 65536 bytes')
    try:
        text = data.decode('utf-8')  # strict: no overlong forms, no surrogates
    except UnicodeDecodeError:
        raise Bad('not UTF-8')
    need(text.endswith('\n'), 'no LF at the end')
    for ch, name in (('\r', 'CR'), ('\t', 'tab'), ('\0', 'NUL'), ('\ufeff', 'byte-order mark'),
                     (' \n', 'trailing space')):
        need(ch not in text, name)
    return text.split('\n')[:-1]


class Lines:
    """A cursor over the lines; take() parses `field value...` of the given kinds."""

    def __init__(self, lines):
        self.lines, self.i = lines, 0

    def take(self, field, *kinds):
        line = self.lines[self.i] if self.i < len(self.lines) else '(end of file)'
        where = 'line %d: ' % (self.i + 1)
        m = re.fullmatch(re.escape(field) + ''.join(' (%s)' % KIND[k] for k in kinds), line)
        need(m, where + 'expected "%s"' % ' '.join([field] + ['<%s>' % k for k in kinds]))
        for k, v in zip(kinds, m.groups()):
            need(value_ok(k, v), where + 'bad %s: %s' % (k, ascii(v[:80])))
        self.i += 1
        return m.groups()

    def many(self, field, *kinds, at_least_one=False):  # consecutive lines with this field
        out = [self.take(field, *kinds)] if at_least_one else []
        while self.i < len(self.lines) and self.lines[self.i].startswith(field + ' '):
            out.append(self.take(field, *kinds))
        return out


# ---- the core: about 30 lines ------------------------------------------------
def verify(data, keys):
    """Verify one return; returns (precinct, contest, return hash hex) or raises Bad."""
    r = Lines(lines_of(data))
    r.take('precinct-return', '1')
    r.take('election', 'id')
    r.take('definition', 'hex64')
    r.take('mode', 'mode')
    contest, = r.take('contest', 'id')
    precinct, = r.take('precinct', 'id')
    revision = int(r.take('revision', 'count')[0])
    need(revision >= 1, 'revision 0')
    if revision > 1:
        r.take('supersedes', 'hex64')
        r.take('reason', 'text')
    line_ids = [lid for lid, _ in r.many('count', 'id', 'count', at_least_one=True)]
    need('votes' not in line_ids, '"votes" used as a line id')
    need(len(set(line_ids)) == len(line_ids), 'repeated line id')
    need({'registered', 'ballots-cast', 'invalid'} <= set(line_ids), 'a required count line is missing')
    candidates = [cid for cid, _ in r.many('votes', 'id', 'count', at_least_one=True)]
    need(len(set(candidates)) == len(candidates), 'repeated candidate id')
    evidence = [e for e, in r.many('evidence', 'hex64')]
    need(len(evidence) <= 8 and evidence == sorted(set(evidence)), 'evidence: more than 8 or not strictly ascending')
    r.take('signed', 'time')
    key_id, = r.take('key', 'keyid')
    signature = b64(r.take('signature', 'base64')[0], 64)
    need(r.i == len(r.lines), 'line %d: a line after the signature' % (r.i + 1))
    signed_bytes = data[:data.rindex(b'\nsignature ') + 1]  # through the LF ending `key`
    need(key_id in keys, 'unknown key id ' + key_id)
    for public in keys[key_id]:  # the key id is only a hint: try every key that has it
        try:
            nacl.signing.VerifyKey(public).verify(signed_bytes, signature)
            return precinct, contest, blake2b256(data).hex()
        except nacl.exceptions.BadSignatureError:
            pass
    raise Bad('bad signature (key %s)' % key_id)
# ------------------------------------------------------------------------------


def load_keys(folder):
    """{key id: [raw public key, ...]} from the station-public-key files in folder."""
    keys = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not name.endswith('.pub') or not os.path.isfile(path):
            continue
        try:
            with open(path, 'rb') as f:
                data = f.read(65537)
            if not data.startswith(b'station-public-key 1'):
                continue  # e.g. commission.pub
            r = Lines(lines_of(data))
            r.take('station-public-key', '1')
            key_id, = r.take('key', 'keyid')
            public = b64(r.take('public', 'base64')[0], 32)
            need(r.i == len(r.lines), 'line %d: unexpected line' % (r.i + 1))
            need(blake2b256(public)[:8].hex() == key_id, 'key id is not that of the public key')
            need(nacl.bindings.crypto_core_ed25519_is_valid_point(public), 'not a valid main-subgroup point')
        except (Bad, OSError) as e:
            usage('%s: %s' % (path, e))
        keys.setdefault(key_id, []).append(public)
    return keys


def find_returns(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for top, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    path = os.path.join(top, name)
                    try:
                        with open(path, 'rb') as f:
                            head = f.read(20)
                    except OSError:
                        head = b'precinct-return 1'  # unreadable: let check_file report it
                    if head.startswith(b'precinct-return 1'):  # a CR or space after it is then BAD
                        out.append(path)
        elif os.path.exists(p):
            out.append(p)
        else:
            usage('%s: no such file or folder' % p)
    return out


def usage(msg):
    print('verify_returns.py: ' + msg, file=sys.stderr)
    sys.exit(2)


def check_file(path, keys):
    try:
        with open(path, 'rb') as f:
            data = f.read(65537)
        precinct, contest, digest = verify(data, keys)
        print('OK %s %s %s %s' % (path, precinct, contest, digest))
        return True
    except (Bad, OSError) as e:
        print('BAD %s: %s' % (path, e))
        return False


def self_test_tamper(path, keys):
    """Every single-byte change (xor 0x01) of a good return must be refused."""
    with open(path, 'rb') as f:
        data = f.read()
    verify(data, keys)  # raises Bad if the original is not good
    accepted = []
    for pos in range(len(data)):
        variant = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
        try:
            verify(variant, keys)
            accepted.append(pos)
        except Bad:
            pass
    for pos in accepted:
        print('ACCEPTED tampered byte %d of %s' % (pos, path))
    print('%s: %d of %d single-byte changes refused' % (path, len(data) - len(accepted), len(data)))
    return not accepted


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--keys', required=True, metavar='DIR', help='folder of station *.pub files')
    ap.add_argument('--self-test-tamper', metavar='RETURN', help='flip every byte of a good return in turn')
    ap.add_argument('paths', nargs='*', metavar='RETURN', help='return files or folders')
    args = ap.parse_args()  # exits 2 on a usage error
    if not os.path.isdir(args.keys):
        usage('--keys %s: not a folder' % args.keys)
    keys = load_keys(args.keys)
    if args.self_test_tamper:
        try:
            return 0 if self_test_tamper(args.self_test_tamper, keys) else 1
        except (Bad, OSError) as e:
            usage('%s: not a good return to tamper with: %s' % (args.self_test_tamper, e))
    files = find_returns(args.paths)
    if not files:
        usage('no returns given or found')
    results = [check_file(p, keys) for p in files]
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
