#!/usr/bin/python3
"""Independent verifier of a bundle (`central export --bundle`).

Written from docs/BUNDLE.md, docs/EVENTS.md and docs/FORMATS.md, with the
Python standard library and PyNaCl; the return check is verify_returns.py's.
From the bundle alone it
  1. recomputes the event chain: hash(n) = BLAKE2b-256(hash(n-1) || text(n)),
     and compares every `hash` line of events.txt;
  2. checks every checkpoint, receipt and tally.txt: signed by the commission
     key given with --commission-pub (never the bundle's own, which must be
     the same), naming an event of the chain with that hash;
  3. verifies every enrolment request (proof of possession) named by an
     `enrol` event and every stored return's signature with the enrolled keys
     (a return the events reject for its key or signature must fail here too);
  4. recomputes the tally per contest from the returns the events leave in
     the tally (current verdict accepted, flagged or corrected; the highest
     revision of a precinct and contest; `resolve` and `excuse` applied) and
     compares it with tally.txt and, with --tally-json, with
     `central tally --format json`.
Prints `OK ...` / `BAD ...` lines; exit 0 when all agree, 1 otherwise, 2 on
usage errors.

Usage: verify_bundle.py BUNDLE --commission-pub PUB [--tally-json FILE]
"""
import argparse, base64, hashlib, json, os, sys
import nacl.exceptions, nacl.signing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_returns as vr  # noqa: E402

bad_count = 0


def ok(msg):
    print('OK ' + msg)


def bad(msg):
    global bad_count
    bad_count += 1
    print('BAD ' + msg)


def h256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def fields(data):
    """`field value` lines of a signed text file -> list of (field, value)."""
    out = []
    for line in vr.lines_of(data):
        f, _, v = line.partition(' ')
        out.append((f, v))
    return out


def signed_part(data):
    """Every byte through the LF that ends the `key` line (before `signature`)."""
    return data[:data.rindex(b'\nsignature ') + 1]


def verify_sig(pk, data, sig_b64):
    try:
        nacl.signing.VerifyKey(pk).verify(signed_part(data), vr.b64(sig_b64, 64))
        return True
    except (nacl.exceptions.BadSignatureError, vr.Bad):
        return False


def read(path, limit=64 * 1024 * 1024):
    with open(path, 'rb') as f:
        return f.read(limit)


def load_commission(path):
    f = dict(fields(read(path)))
    public = vr.b64(f['public'], 32)
    vr.need(h256(public)[:8].hex() == f['key'], 'key id is not that of the public key')
    return public


# ---- 1. the event chain ------------------------------------------------------
EVENT_FIELDS = ['event', 'seq', 'kind', 'time', 'subject', 'verdict', 'codes', 'data']


def load_events(bundle):
    """[(event dict, text bytes, stated hash)] in file order."""
    lines = read(os.path.join(bundle, 'events.txt'), 1 << 30).split(b'\n')
    vr.need(lines[-1] == b'', 'events.txt does not end with LF')
    lines = lines[:-1]
    vr.need(len(lines) % 9 == 0, 'events.txt is not blocks of 9 lines')
    out = []
    for i in range(0, len(lines), 9):
        block = lines[i:i + 9]
        ev = {}
        for name, line in zip(EVENT_FIELDS + ['hash'], block):
            f, _, v = line.decode().partition(' ')
            vr.need(f == name, 'events.txt line %d: expected %s' % (i + 1 + len(ev), name))
            ev[name] = v
        text = b''.join(line + b'\n' for line in block[:8])
        out.append((ev, text, ev['hash']))
    return out


def check_chain(events):
    prev = bytes(32)
    heads = {}
    for n, (ev, text, stated) in enumerate(events, 1):
        if ev['event'] != '1' or ev['seq'] != str(n):
            bad('events.txt: event %d: type or sequence is wrong' % n)
            return heads
        h = hashlib.blake2b(prev + text, digest_size=32).digest()
        if h.hex() != stated:
            bad('events.txt: event %d: hash does not follow from its text and its predecessor' % n)
            return heads
        heads[n] = stated
        prev = h
    ok('chain: %d events, head %s' % (len(events), prev.hex()))
    return heads


# ---- 2. commission-signed files ----------------------------------------------
def check_signed(path, magic, pk, heads):
    """Verifies one commission-signed file; returns its fields or None."""
    name = os.path.relpath(path)
    try:
        data = read(path)
        f = fields(data)
        vr.need(f[0] == tuple(magic.split(' ', 1)), 'not a %s' % magic)
        d = dict(f)
        vr.need(d['key'] == h256(pk)[:8].hex(), 'signed by another key')
        vr.need(verify_sig(pk, data, d['signature']), 'bad signature')
        seq = int(d['seq'])
        vr.need(heads.get(seq) == d['head'], 'event %d of the chain has another hash' % seq)
        return f
    except (vr.Bad, KeyError, ValueError, OSError) as e:
        bad('%s: %s' % (name, e))
        return None


# ---- 3. keys and returns -------------------------------------------------------
def check_request(data):
    """An enrolment request (FORMATS.md): (key id, public key) or Bad."""
    f = fields(data)
    vr.need(f[0] == ('station-enrolment', '1'), 'not an enrolment request')
    d = dict(f)
    public = vr.b64(d['public'], 32)
    vr.need(h256(public)[:8].hex() == d['key'], 'key id is not that of the public key')
    vr.need(verify_sig(public, data, d['signature']), 'bad proof of possession')
    return d['key'], public


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('bundle')
    ap.add_argument('--commission-pub', required=True)
    ap.add_argument('--tally-json')
    a = ap.parse_args()
    try:
        pk = load_commission(a.commission_pub)
        events = load_events(a.bundle)
    except (vr.Bad, KeyError, OSError, UnicodeDecodeError) as e:
        print('verify_bundle.py: %s' % e, file=sys.stderr)
        return 2
    try:
        if load_commission(os.path.join(a.bundle, 'commission.pub')) != pk:
            bad('commission.pub: not the key given on the command line')
    except (vr.Bad, KeyError, OSError) as e:
        bad('commission.pub: %s' % e)
    heads = check_chain(events)

    for sub, prefix, magic in (('checkpoints', 'checkpoint-', 'election-checkpoint 1'),
                               ('receipts', 'receipt-', 'election-receipt 1')):
        folder = os.path.join(a.bundle, sub)
        names = sorted(n for n in os.listdir(folder) if n.startswith(prefix)) if os.path.isdir(folder) else []
        good = [n for n in names if check_signed(os.path.join(folder, n), magic, pk, heads)]
        if names and len(good) == len(names):
            ok('%s: %d signed by the commission key, each naming an event of the chain' % (sub, len(good)))
    tally_path = os.path.join(a.bundle, 'tally.txt')
    tally = check_signed(tally_path, 'election-tally 1', pk, heads) if os.path.exists(tally_path) else None

    # Keys: every enrolled request, proof of possession included.
    keys = {}
    for ev, _, _ in events:
        if ev['kind'] == 'enrol':
            path = os.path.join(a.bundle, 'keys', ev['subject'] + '.req')
            try:
                kid, public = check_request(read(path))
                keys.setdefault(kid, []).append(public)
            except (vr.Bad, KeyError, OSError) as e:
                bad('keys/%s.req: %s' % (ev['subject'], e))

    # Returns: the bytes hash to their name; the signature agrees with the verdict.
    current, parsed, first = {}, {}, {}
    key_verdicts = ('unknown-key', 'bad-signature', 'malformed')
    n_verified = 0
    for ev, _, _ in events:
        if ev['kind'] not in ('import', 'redecide'):
            continue
        current[ev['subject']] = (ev['verdict'], ev['codes'])
        if ev['kind'] != 'import':
            continue
        path = os.path.join(a.bundle, 'returns', ev['subject'] + '.return')
        try:
            data = read(path, 65537)
        except OSError as e:
            bad('returns/%s.return: %s' % (ev['subject'], e))
            continue
        if len(data) <= 65536 and h256(data).hex() != ev['subject']:
            bad('returns/%s.return: bytes do not hash to the name' % ev['subject'])
            continue
        try:
            vr.verify(data, keys)
            parsed[ev['subject']] = data
            n_verified += 1
            if any(c in key_verdicts for c in ev['codes'].split(',')):
                bad('returns/%s.return: verifies here, but event %s rejected it %s'
                    % (ev['subject'], ev['seq'], ev['codes']))
        except vr.Bad as e:
            if ev['verdict'] != 'rejected':
                bad('returns/%s.return: %s, but event %s decided %s' % (ev['subject'], e, ev['seq'], ev['verdict']))
    ok('returns: %d signatures verified with the enrolled keys' % n_verified)

    # ---- 4. the tally ----------------------------------------------------------
    def content(data):
        f = fields(data)
        d = {k: v for k, v in f if k in ('precinct', 'contest', 'revision')}
        counts = [tuple(v.split(' ')) for k, v in f if k == 'count']
        votes = [tuple(v.split(' ')) for k, v in f if k == 'votes']
        return d['precinct'], d['contest'], int(d['revision']), counts, votes

    standing = {}  # (precinct, contest) -> [(revision, hash)]
    for hx, (verdict, _) in current.items():
        if verdict in ('accepted', 'flagged', 'corrected') and hx in parsed:
            p, c, rev, _, _ = content(parsed[hx])
            standing.setdefault((p, c), []).append((rev, hx))
    forced, dropped, excused = {}, set(), set()
    for ev, _, _ in events:
        words = ev['data'].split(' ')
        kv = dict(zip(words[::2], words[1::2]))
        if ev['kind'] == 'resolve':
            if ev['verdict'] == 'accept':
                forced[(kv['precinct'], kv['contest'])] = ev['subject']
            else:
                dropped.add(ev['subject'])
        elif ev['kind'] == 'excuse':
            excused.add((kv['precinct'], kv['contest']))
    sums = {}
    pcs = set(standing) | set(forced)
    for pc in sorted(pcs):
        if pc in excused:
            continue
        if pc in forced and forced[pc] in parsed:
            hx = forced[pc]
        else:
            cands = sorted(x for x in standing.get(pc, []) if x[1] not in dropped)
            if not cands:
                continue
            hx = cands[-1][1]
        _, c, _, counts, votes = content(parsed[hx])
        s = sums.setdefault(c, {'lines': {}, 'votes': {}})
        for lid, v in counts:
            s['lines'][lid] = s['lines'].get(lid, 0) + int(v)
        for cid, v in votes:
            s['votes'][cid] = s['votes'].get(cid, 0) + int(v)

    def compare(what, theirs):
        n = 0
        for c in sorted(set(sums) | set(theirs)):
            mine = sums.get(c, {'lines': {}, 'votes': {}})
            other = theirs.get(c, {'lines': {}, 'votes': {}})
            for part in ('lines', 'votes'):
                for k in sorted(set(mine[part]) | set(other[part])):
                    a_, b_ = mine[part].get(k, 0), other[part].get(k, 0)
                    if a_ != b_:
                        bad('%s: contest %s %s %s: %d recomputed, %d there' % (what, c, part, k, a_, b_))
                        n += 1
        if n == 0:
            ok('%s: every contest equals the tally recomputed from the returns (%d contests)' % (what, len(sums)))

    if tally is not None:
        theirs, cur = {}, None
        for k, v in tally:
            if k == 'contest':
                cur = theirs.setdefault(v, {'lines': {}, 'votes': {}})
            elif k in ('count', 'votes') and cur is not None:
                i, n = v.split(' ')
                if int(n) or True:
                    cur['lines' if k == 'count' else 'votes'][i] = int(n)
        # a contest with no precinct in the tally sums to zero both ways
        theirs = {c: s for c, s in theirs.items() if any(s['lines'].values()) or c in sums}
        compare('tally.txt', theirs)
    if a.tally_json:
        with open(a.tally_json) as f:
            j = json.load(f)
        theirs = {}
        for c in j['contests']:
            s = {'lines': dict(c['lines']), 'votes': {x['id']: x['votes'] for x in c['candidates']}}
            if any(s['lines'].values()) or c['id'] in sums:
                theirs[c['id']] = s
        compare('central tally --format json', theirs)
    return 1 if bad_count else 0


if __name__ == '__main__':
    sys.exit(main())
