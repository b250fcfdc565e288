#!/usr/bin/env python3
"""Independent offline verifier of Tocsin proof documents (PROTOCOL.md §10).

Written from Docs/PROTOCOL.md (and Docs/protocol/tocsin.proto) alone. It reuses the
RFC 6962 hashing and the entry rules of tocsin_conformance.py (itself written from
PROTOCOL.md); signed notes, the charter's keys and the proofs are checked here.

Usage:
  python3 tocsin_verify.py --charter FILE --charter-signature FILE --ca FILE \
      DOCUMENT.json [DOCUMENT.json ...]

Documents: the output of `tocsin show REF --proof --json` (an entry with its inclusion
proof) and of `tocsin show ORIGIN --consistency FROM TO --json` (a consistency proof).

Output: one line per check, `OK <what>` or `FAIL <what>: <why>`. Exit status 0 when every
document holds, 1 otherwise (the first FAIL line names the first element that fails), 2 for
usage errors or unreadable input.

Only the genesis charter is read: keys that an amendment pinned are not known here, and the
output says so when a key is not found. A document's own `verified`, `witnesses`,
`witnessed_by` and `witnessed` are never trusted: they are recomputed and compared, and a
claim that disagrees with the recomputed value is a FAIL (listed after every real check).
With --require-witnessed, a checkpoint that does not make its feed's witness quorum is a FAIL
too (by default witnessing is reported, as §10 treats it as a claim to recompute, not as a
condition of the proof).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import json
import os
import re
import sys
import tomllib
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cryptography import x509  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402

from tocsin_conformance import (check_entry, key_id, leaf_hash, node_hash,  # noqa: E402
                                sha256)

MAX_TREE = 1 << 40          # §4, §10
MAX_NOTE = 65_536           # §4
MAX_NOTE_LINES = 512        # §4
MAX_CHARTER = 1 << 20       # §8
MAX_TS = (1 << 63) - 1      # §5
EM_DASH = "\u2014"
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HEX_RE = re.compile(r"^[0-9a-f]{64}$")
DEC_RE = re.compile(r"^(0|[1-9][0-9]*)$")
MAX_DELIBERATION = 527_040


class Usage(Exception):
    """Unreadable input: exit status 2."""


class Reject(Exception):
    pass


# ======================================================================= output

class Report:
    def __init__(self):
        self.failures = 0

    @property
    def failed(self):
        return self.failures > 0

    def ok(self, what):
        print(f"OK {what}", flush=True)

    def fail(self, what, why):
        self.failures += 1
        print(f"FAIL {what}: {why}", flush=True)


def rfc3339(seconds: int) -> str:
    try:
        t = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    except (OverflowError, OSError, ValueError):
        return f"{seconds} s"


def short(h: bytes) -> str:
    return h.hex()


# ======================================================================= RFC 6962 / 9162 (§3)

def largest_pow2_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def inclusion_path_len(m: int, n: int) -> int:
    """Length of PATH(m, D[n]) (RFC 6962 §2.1.1), for 0 <= m < n."""
    length = 0
    while n > 1:
        k = largest_pow2_below(n)
        if m < k:
            n = k
        else:
            m, n = m - k, n - k
        length += 1
    return length


def consistency_proof_len(m: int, n: int) -> int:
    """Length of PROOF(m, D[n]) (RFC 6962 §2.1.2), for 0 < m <= n."""
    length, b = 0, True
    while m != n:
        k = largest_pow2_below(n)
        if m <= k:
            n = k
        else:
            m, n, b = m - k, n - k, False
        length += 1
    return length + (0 if b else 1)


def root_from_inclusion(index: int, size: int, leaf: bytes, path) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root the path leads to, or None when the path is malformed
    for (index, size) (too long or too short)."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def roots_from_consistency(first: int, second: int, first_hash: bytes, path):
    """RFC 9162 §2.1.4.2 for 0 < first < second: (fr, sr) or None when malformed."""
    if not path:
        return None
    path = list(path)
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return fr, sr


def _selftest():
    leaves = [bytes.fromhex(x) for x in ("", "00", "10", "2021", "3031", "40414243",
                                           "5051525354555657",
                                           "606162636465666768696a6b6c6d6e6f")]
    lh = [leaf_hash(x) for x in leaves]

    def mth(ls):
        if len(ls) == 1:
            return ls[0]
        k = largest_pow2_below(len(ls))
        return node_hash(mth(ls[:k]), mth(ls[k:]))

    def path(m, ls):
        if len(ls) <= 1:
            return []
        k = largest_pow2_below(len(ls))
        if m < k:
            return path(m, ls[:k]) + [mth(ls[k:])]
        return path(m - k, ls[k:]) + [mth(ls[:k])]

    def subproof(m, ls, b):
        n = len(ls)
        if m == n:
            return [] if b else [mth(ls)]
        k = largest_pow2_below(n)
        if m <= k:
            return subproof(m, ls[:k], b) + [mth(ls[k:])]
        return subproof(m - k, ls[k:], False) + [mth(ls[:k])]

    assert mth(lh).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    for n in range(1, 9):
        for m in range(n):
            p = path(m, lh[:n])
            assert len(p) == inclusion_path_len(m, n)
            assert root_from_inclusion(m, n, lh[m], p) == mth(lh[:n])
            if p:
                assert root_from_inclusion(m, n, lh[m], p[:-1]) != mth(lh[:n])
        for m in range(1, n):
            p = subproof(m, lh[:n], True)
            assert len(p) == consistency_proof_len(m, n)
            assert roots_from_consistency(m, n, mth(lh[:m]), p) == (mth(lh[:m]), mth(lh[:n]))


_selftest()


# ======================================================================= charter (§8, §8.1, §8.2)

def _no_floats_dates(v, where="charter"):
    if isinstance(v, float):
        raise Reject(f"{where}: a float (refused, §8)")
    if isinstance(v, (datetime.date, datetime.time, datetime.datetime)):
        raise Reject(f"{where}: a date or time value (refused, §8)")
    if isinstance(v, dict):
        for k, x in v.items():
            _no_floats_dates(x, f"{where}.{k}")
    if isinstance(v, list):
        for i, x in enumerate(v):
            _no_floats_dates(x, f"{where}[{i}]")


def ed25519_spki(text, where):
    if not isinstance(text, str):
        raise Reject(f"{where}: not a string")
    try:
        der = base64.b64decode(text, validate=True)
        key = serialization.load_der_public_key(der)
    except Exception:
        raise Reject(f"{where}: not a base64 DER SubjectPublicKeyInfo")
    if not isinstance(key, Ed25519PublicKey):
        raise Reject(f"{where}: not an Ed25519 key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class Key:
    def __init__(self, pub: bytes, limits=None, label=""):
        self.pub = pub
        self.limits = limits     # None: no limit (current or rotated); dict: revoked
        self.label = label

    def limit_for(self, group):
        if self.limits is None:
            return None
        return self.limits.get(group, 0)


class Charter:
    """The genesis charter: its nodes' keys, its groups and their witness policy."""

    def __init__(self, raw: bytes):
        if len(raw) > MAX_CHARTER:
            raise Reject(f"{len(raw)} bytes (over 1 MiB)")
        self.raw = raw
        self.network_id = sha256(raw)
        self.short = self.network_id[:8].hex()
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise Reject("not UTF-8")
        except tomllib.TOMLDecodeError as e:
            raise Reject(f"not TOML 1.0: {e}")
        _no_floats_dates(data)
        allowed = {"network", "version", "nodes", "groups", "replaces", "takes-effect"}
        for k in data:
            if k not in allowed:
                raise Reject(f"unknown top-level key {k!r}")
        if "replaces" in data or "takes-effect" in data:
            raise Reject("`replaces`/`takes-effect` in a genesis charter (only amendments "
                         "carry them)")
        if not isinstance(data.get("network"), str) or not data["network"]:
            raise Reject("`network` is not a non-empty string")
        v = data.get("version")
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise Reject("`version` is not an integer >= 1")
        self.version = v
        nodes, groups = data.get("nodes"), data.get("groups")
        if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
            raise Reject("`nodes` is not an array of tables")
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise Reject("`groups` is not an array of tables")
        self.nodes = {}
        seen_keys = {}
        for i, n in enumerate(nodes):
            nid = n.get("id")
            where = f"nodes[{i}]" + (f" ({nid})" if isinstance(nid, str) else "")
            for k in n:
                if k not in ("id", "name", "role", "public-key", "previous-keys"):
                    raise Reject(f"{where}: unknown key {k!r}")
            if not isinstance(nid, str) or not ID_RE.match(nid) or nid == "authority":
                raise Reject(f"{where}: invalid id")
            if nid in self.nodes:
                raise Reject(f"{where}: duplicate id")
            if not isinstance(n.get("name"), str):
                raise Reject(f"{where}: `name` missing or not a string")
            if n.get("role") not in ("national", "relay", "observer"):
                raise Reject(f"{where}: `role` is not national, relay or observer")
            pub = ed25519_spki(n.get("public-key"), f"{where}.public-key")
            keys = [Key(pub, None, "public-key")]
            prev = n.get("previous-keys", [])
            if not isinstance(prev, list):
                raise Reject(f"{where}: `previous-keys` is not an array of tables")
            for j, pk in enumerate(prev):
                pw = f"{where}.previous-keys[{j}]"
                if not isinstance(pk, dict):
                    raise Reject(f"{pw}: not a table")
                for k in pk:
                    if k not in ("public-key", "valid-through"):
                        raise Reject(f"{pw}: unknown key {k!r}")
                ppub = ed25519_spki(pk.get("public-key"), f"{pw}.public-key")
                limits = None
                if "valid-through" in pk:
                    vt = pk["valid-through"]
                    if not isinstance(vt, dict):
                        raise Reject(f"{pw}.valid-through: not a table")
                    limits = {}
                    for g, s in vt.items():
                        if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s <= MAX_TREE:
                            raise Reject(f"{pw}.valid-through.{g}: not a size 0..2^40")
                        limits[g] = s
                keys.append(Key(ppub, limits, f"previous-keys[{j}]"
                                + (" (revoked)" if limits is not None else " (rotated)")))
            for k in keys:
                if k.pub in seen_keys:
                    raise Reject(f"{where}: a key that already appears in the charter "
                                 f"({seen_keys[k.pub]})")
                seen_keys[k.pub] = nid
            self.nodes[nid] = {"role": n["role"], "keys": keys}
        self.groups = {}
        for i, g in enumerate(groups):
            gid = g.get("id")
            where = f"groups[{i}]" + (f" ({gid})" if isinstance(gid, str) else "")
            for k in g:
                if k not in ("id", "name", "members", "convener", "policy", "quorum",
                             "deliberation-minutes", "history", "witnesses", "witness-quorum"):
                    raise Reject(f"{where}: unknown key {k!r}")
            if not isinstance(gid, str) or not ID_RE.match(gid) or gid == "charter":
                raise Reject(f"{where}: invalid id")
            if gid in self.groups:
                raise Reject(f"{where}: duplicate id")
            if not isinstance(g.get("name"), str):
                raise Reject(f"{where}: `name` missing or not a string")
            members = g.get("members")
            if (not isinstance(members, list) or not members
                    or not all(isinstance(m, str) for m in members)):
                raise Reject(f"{where}: `members` is not a non-empty array of node ids")
            if len(set(members)) != len(members):
                raise Reject(f"{where}: a member listed twice")
            for m in members:
                if m not in self.nodes:
                    raise Reject(f"{where}: member {m!r} is not a node of the charter")
            if g.get("convener") not in members:
                raise Reject(f"{where}: the convener is not a member")
            if g.get("policy") not in ("majority", "two-thirds", "consensus", "silence"):
                raise Reject(f"{where}: `policy` is not majority, two-thirds, consensus or "
                             "silence")
            q = g.get("quorum")
            if q is not None and (not isinstance(q, int) or isinstance(q, bool)
                                  or not 1 <= q <= 100):
                raise Reject(f"{where}: `quorum` is not 1..100")
            d = g.get("deliberation-minutes")
            if d is not None and (not isinstance(d, int) or isinstance(d, bool)
                                  or not 0 <= d <= MAX_DELIBERATION):
                raise Reject(f"{where}: `deliberation-minutes` is not 0..527040")
            h = g.get("history")
            if h is not None and h not in ("full", "from-admission"):
                raise Reject(f"{where}: `history` is not full or from-admission")
            w = g.get("witnesses")
            if w is not None:
                if not isinstance(w, list) or not all(isinstance(x, str) for x in w):
                    raise Reject(f"{where}: `witnesses` is not an array of node ids")
                if len(set(w)) != len(w):
                    raise Reject(f"{where}: a witness listed twice")
                for x in w:
                    if x not in members:
                        raise Reject(f"{where}: witness {x!r} is not a member")
            wq = g.get("witness-quorum")
            nw = len(w) if w else None
            if wq is not None:
                if not isinstance(wq, int) or isinstance(wq, bool) or wq < 1:
                    raise Reject(f"{where}: `witness-quorum` is not an integer >= 1")
                if nw is not None and wq > nw:
                    raise Reject(f"{where}: `witness-quorum` exceeds the number of witnesses")
            self.groups[gid] = {"members": list(members), "convener": g["convener"],
                                "witnesses": list(w) if w is not None else None,
                                "witness_quorum": wq if wq is not None else 1}

    def witness_name(self, node):
        return f"tocsin/{self.short}/{node}"

    def witnesses(self, group, author):
        """§8.2: the witnesses of author's feed in group, and the quorum."""
        g = self.groups[group]
        if g["witnesses"]:
            w = [x for x in g["witnesses"] if x != author]
        else:
            w = [m for m in g["members"]
                 if (m == g["convener"] or self.nodes[m]["role"] == "relay") and m != author]
        if not w:
            w = [m for m in g["members"] if m != author]
        return w, min(g["witness_quorum"], len(w))


# ======================================================================= signed notes (§4, §5)

class SigLine:
    def __init__(self, no, name, kid, sig):
        self.no, self.name, self.kid, self.sig = no, name, kid, sig


class Note:
    def __init__(self, data: bytes):
        if len(data) > MAX_NOTE:
            raise Reject(f"note of {len(data)} bytes (over 64 KiB)")
        try:
            s = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Reject("not valid UTF-8")
        for ch in s:
            if ch != "\n" and unicodedata.category(ch) == "Cc":
                raise Reject(f"control character U+{ord(ch):04X}")
        idx = s.rfind("\n\n")
        if idx < 0:
            raise Reject("no empty line separates the text from the signatures")
        text, sigpart = s[:idx + 1], s[idx + 2:]
        if not sigpart.endswith("\n"):
            raise Reject("the last signature line does not end with a newline")
        self.text = text.encode("utf-8")
        self.lines = []
        raw_lines = sigpart[:-1].split("\n")
        if len(raw_lines) > MAX_NOTE_LINES:
            raise Reject(f"{len(raw_lines)} signature lines (over 512)")
        for no, line in enumerate(raw_lines, 1):
            if not line.startswith(EM_DASH + " "):
                raise Reject(f"signature line {no} does not start with '\u2014 '")
            parts = line[2:].split(" ")
            if len(parts) != 2 or not parts[0]:
                raise Reject(f"signature line {no} is not '\u2014 <name> <base64>'")
            name = parts[0]
            if "+" in name or any(unicodedata.category(c) == "Zs" or c.isspace() for c in name):
                raise Reject(f"signature line {no}: key name contains a space or '+'")
            try:
                blob = base64.b64decode(parts[1], validate=True)
            except (binascii.Error, ValueError):
                raise Reject(f"signature line {no}: signature is not base64")
            if base64.b64encode(blob).decode() != parts[1]:
                raise Reject(f"signature line {no}: signature is not canonical base64")
            if len(blob) < 5:
                raise Reject(f"signature line {no}: signature shorter than 5 bytes")
            self.lines.append(SigLine(no, name, blob[:4], blob[4:]))
        if not self.lines:
            raise Reject("no signature line")
        tl = text.split("\n")[:-1]
        if len(tl) < 3:
            raise Reject("checkpoint text has fewer than 3 lines (origin, size, root)")
        self.origin = tl[0]
        if not DEC_RE.match(tl[1]):
            raise Reject(f"size line {tl[1]!r} is not decimal")
        self.size = int(tl[1])
        if self.size > MAX_TREE:
            raise Reject(f"size {self.size} over 2^40")
        try:
            self.root = base64.b64decode(tl[2], validate=True)
        except (binascii.Error, ValueError):
            raise Reject("root line is not base64")
        if len(self.root) != 32 or base64.b64encode(self.root).decode() != tl[2]:
            raise Reject("root line is not the canonical base64 of 32 bytes")
        for ext in tl[3:]:
            if not ext:
                raise Reject("empty extension line")


def verify_ed25519(pub: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


# ======================================================================= verification context

class Verifier:
    def __init__(self, charter: Charter, authority_pub: bytes, rep: Report,
                 require_witnessed: bool):
        self.charter = charter
        self.authority_pub = authority_pub
        self.rep = rep
        self.require_witnessed = require_witnessed
        self.quorum_failures = 0   # FAILs of --require-witnessed (not part of `verified`)
        self.trusted = {}    # origin -> {size: (root, element)} of author-signed checkpoints

    # ---- origin (§1) and keys (§8.1)
    def check_origin(self, what, origin):
        """Returns (group, author, author keys) or None (a FAIL printed)."""
        rep, ch = self.rep, self.charter
        if not isinstance(origin, str):
            rep.fail(f"{what} origin", "missing or not a string")
            return None
        parts = origin.split("/")
        if (len(parts) != 4 or parts[0] != "tocsin" or not re.fullmatch(r"[0-9a-f]{16}", parts[1])
                or not ID_RE.match(parts[2]) or not ID_RE.match(parts[3])):
            rep.fail(f"{what} origin {origin!r}",
                     "not tocsin/<short network id>/<group>/<author> (§1)")
            return None
        _, net, group, author = parts
        if net != ch.short:
            rep.fail(f"{what} origin {origin}",
                     f"short network id {net} is not this charter's {ch.short}")
            return None
        if group == "charter":
            if author != "authority":
                rep.fail(f"{what} origin {origin}",
                         "only the authority writes in the group `charter` (§8.1)")
                return None
            rep.ok(f"{what} origin {origin}: the authority feed; author key: the authority "
                   "certificate's key")
            return group, author, [Key(self.authority_pub, None, "(the authority certificate's key)")]
        if group not in ch.groups:
            rep.fail(f"{what} origin {origin}",
                     f"group {group!r} is not defined by the genesis charter (an amendment "
                     "may define it; this verifier reads only the genesis charter)")
            return None
        if author not in ch.nodes:
            rep.fail(f"{what} origin {origin}",
                     f"key not found: {author!r} is not a node of the genesis charter (an "
                     "amendment may pin it; this verifier reads only the genesis charter)")
            return None
        if author not in ch.groups[group]["members"]:
            rep.fail(f"{what} origin {origin}",
                     f"{author} is not a member of group {group} in the genesis charter")
            return None
        rep.ok(f"{what} origin {origin}: author {author} of group {group}, "
               f"{len(ch.nodes[author]['keys'])} key(s) in the genesis charter")
        return group, author, ch.nodes[author]["keys"]

    # ---- checkpoints (§4, §5, §8.1, §8.2)
    def check_checkpoint(self, what, text, origin, group, author, keys, size, root,
                         doc, size_field, root_field):
        """Checks a checkpoint note: parse, origin, author signature, then the document's
        size and root against the signed ones, then cosignatures and quorum. Returns the
        witness computation, or None when the note or the document's size/root fails."""
        rep, ch = self.rep, self.charter
        if not isinstance(text, str):
            rep.fail(what, "not a string (a signed note's text)")
            return None
        try:
            note = Note(text.encode("utf-8"))
        except Reject as e:
            rep.fail(what, f"not a checkpoint signed note (§4): {e}")
            return None
        except UnicodeEncodeError:
            rep.fail(what, "not encodable as UTF-8")
            return None
        if note.origin != origin:
            rep.fail(f"{what} origin line", f"{note.origin!r}, not the document's origin {origin}")
            return None

        # author signature (§4; keys and limits §8.1)
        good_key = None
        author_lines = set()
        for k in keys:
            kid = key_id(origin, 0x01, k.pub)
            matching = [ln for ln in note.lines if ln.name == origin and ln.kid == kid]
            author_lines.update(ln.no for ln in matching)
            if not matching:
                continue
            if len(matching) > 1:
                rep.fail(f"{what} author signature lines "
                         f"{', '.join(str(ln.no) for ln in matching)} (key {kid.hex()}, "
                         f"{author} {k.label})", "two lines of one of the author's keys (§4)")
                return None
            ln = matching[0]
            if not verify_ed25519(k.pub, ln.sig, note.text):
                rep.fail(f"{what} author signature line {ln.no} (key {kid.hex()}, {author} "
                         f"{k.label})", "does not verify over the note's text (a matching line "
                         "that fails rejects the note, §4)")
                return None
            lim = k.limit_for(group)
            if lim is not None and note.size > lim:
                rep.ok(f"{what} line {ln.no}: verifies with the revoked key {k.label} of "
                       f"{author}, but size {note.size} is beyond its limit {lim} (not counted)")
                continue
            if good_key is None:
                good_key = (k, ln)
        if good_key is None:
            rep.fail(f"{what} author signature",
                     f"key not found: no signature line of {author}'s {len(keys)} key(s) in the "
                     f"genesis charter (key name {origin}) verifies within its limit (an "
                     "amendment may pin another key)")
            return None
        k, ln = good_key
        rep.ok(f"{what} author signature line {ln.no}: {author} {k.label} "
               f"(key ID {key_id(origin, 1, k.pub).hex()}) signs {origin} size {note.size} "
               f"root {short(note.root)}")
        self.remember(origin, note.size, note.root, what)
        bad = False
        if note.size != size:
            rep.fail(f"{doc} {size_field}", f"{size}, but the signed checkpoint ({what}) has "
                                            f"size {note.size}")
            bad = True
        if note.root != root:
            rep.fail(f"{doc} {root_field}", f"{short(root)}, but the signed checkpoint ({what}) "
                                            f"has root {short(note.root)}")
            bad = True
        if not bad:
            rep.ok(f"{what}: its size and root are {size_field} and {root_field}")

        # cosignatures (§5, §8.2)
        if group == "charter":
            witnesses, quorum = [], 0
        else:
            witnesses, quorum = ch.witnesses(group, author)
        by_name = {ch.witness_name(n): n for n in ch.nodes}
        seen_names = {}
        witnessed_by, cosigned_by = [], []
        for ln in note.lines:
            if ln.no in author_lines:
                continue
            where = f"{what} signature line {ln.no} ({ln.name})"
            is_cosig = len(ln.sig) == 72 and int.from_bytes(ln.sig[:8], "big") <= MAX_TS
            if not is_cosig:
                rep.ok(f"{where}: not a cosignature line, an unknown signature (passed over)")
                continue
            if ln.name in seen_names:
                rep.fail(where, f"a second cosignature line naming the witness of line "
                                f"{seen_names[ln.name]} (MALFORMED, §9)")
                return None
            seen_names[ln.name] = ln.no
            node = by_name.get(ln.name)
            if node is None:
                rep.ok(f"{where}: not the witness name of a node of the genesis charter "
                       "(passed over)")
                continue
            wkeys = [kk for kk in ch.nodes[node]["keys"] if kk.limits is None]
            revoked = [kk for kk in ch.nodes[node]["keys"] if kk.limits is not None]
            match = [kk for kk in wkeys if key_id(ln.name, 0x04, kk.pub) == ln.kid]
            if not match:
                if any(key_id(ln.name, 0x04, kk.pub) == ln.kid for kk in revoked):
                    rep.ok(f"{where}: a key of {node} that the charter revoked (passed over)")
                else:
                    rep.ok(f"{where}: key ID {ln.kid.hex()} is none of {node}'s keys in the "
                           "genesis charter (passed over; an amendment may pin it)")
                continue
            kk = match[0]
            ts = int.from_bytes(ln.sig[:8], "big")
            msg = b"cosignature/v1\ntime %d\n" % ts + note.text
            if not verify_ed25519(kk.pub, ln.sig[8:], msg):
                role = "a witness" if node in witnesses else "a node"
                rep.fail(where, f"cosignature of {node} ({role} of the charter, {kk.label}) "
                                "does not verify (rejects the note, §8.2)")
                return None
            cosigned_by.append(node)
            if node in witnesses:
                witnessed_by.append(node)
                rep.ok(f"{where}: cosignature of witness {node} ({kk.label}), "
                       f"time {rfc3339(ts)}")
            else:
                rep.ok(f"{where}: cosignature of {node} ({kk.label}), time {rfc3339(ts)}; "
                       "not a witness of this feed (not counted)")
        witnessed_by = [x for x in witnesses if x in witnessed_by]
        if group == "charter":
            rep.ok(f"{what} witness quorum: §8.2 defines no witnesses for the authority feed "
                   f"(cosigned by {cosigned_by or 'no node'})")
            witnessed = None
        else:
            witnessed = len(witnessed_by) >= quorum and quorum > 0
            desc = (f"{len(witnessed_by)} of {quorum} needed; witnesses {witnesses}, "
                    f"cosigned by {witnessed_by}")
            if witnessed:
                rep.ok(f"{what} witness quorum: witnessed ({desc})")
            elif self.require_witnessed:
                rep.fail(f"{what} witness quorum", f"not witnessed ({desc})")
                self.quorum_failures += 1
            else:
                rep.ok(f"{what} witness quorum: not witnessed ({desc}); the author's signature "
                       "alone authenticates it")
        if bad:
            return None
        return {"witnesses": witnesses, "witnessed_by": witnessed_by, "witnessed": witnessed,
                "cosigned_by": cosigned_by}

    def remember(self, origin, size, root, what):
        self.trusted.setdefault(origin, {}).setdefault(size, []).append((root, what))

    # ---- cross-document: two author-signed checkpoints of one size with different roots
    def check_forks(self):
        for origin, sizes in self.trusted.items():
            for size, items in sorted(sizes.items()):
                roots = {r for r, _ in items}
                if len(roots) > 1:
                    a = items[0]
                    b = next(x for x in items if x[0] != a[0])
                    self.rep.fail(f"fork of {origin} at size {size}",
                                  f"{a[1]} has root {short(a[0])} and {b[1]} has "
                                  f"{short(b[0])}: the author signed both (§7)")


# ======================================================================= JSON helpers

def _no_dup_pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"key {k!r} appears twice")
        d[k] = v
    return d


def _reject_constant(c):
    raise ValueError(f"{c} is not JSON")


def load_json(path):
    with open(path, "rb") as f:
        raw = f.read()
    return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_dup_pairs,
                      parse_constant=_reject_constant)


def get_int(rep, what, d, key, lo=0, hi=MAX_TREE, label=None):
    label = label or key
    v = d.get(key) if isinstance(d, dict) else None
    if v is None:
        rep.fail(f"{what} {label}", "missing")
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        rep.fail(f"{what} {label}", f"{v!r} is not an integer JSON number")
        return None
    if not lo <= v <= hi:
        rep.fail(f"{what} {label}", f"{v} is out of range {lo}..{hi}")
        return None
    return v


def get_hash(rep, what, v):
    if not isinstance(v, str):
        rep.fail(what, "missing or not a string")
        return None
    if not HEX_RE.match(v):
        rep.fail(what, f"{v[:80]!r} is not 64 lower-case hexadecimal digits")
        return None
    return bytes.fromhex(v)


def get_hashes(rep, what, v):
    if not isinstance(v, list):
        rep.fail(what, "missing or not an array")
        return None
    out = []
    for i, h in enumerate(v):
        b = get_hash(rep, f"{what}[{i}]", h)
        if b is None:
            return None
        out.append(b)
    return out


def claim(rep, what, key, claimed, found, hint=""):
    if claimed is None:
        return
    if isinstance(claimed, list) and isinstance(found, list):
        agree = sorted(map(str, claimed)) == sorted(found)
    else:
        agree = claimed == found
    if agree:
        rep.ok(f"{what} {key}: the document's claim {json.dumps(claimed)} agrees")
    else:
        rep.fail(f"{what} {key}", f"the document claims {json.dumps(claimed)}, this verifier "
                                  f"finds {json.dumps(found)}{hint}")


# ======================================================================= documents (§10)

def verify_inclusion(v: Verifier, name, doc):
    """An entry with its inclusion proof. Returns whether it holds."""
    rep = v.rep
    start, q0 = rep.failures, v.quorum_failures
    what = name
    o = v.check_origin(what, doc.get("origin"))
    if o is None:
        return False
    group, author, keys = o
    origin = doc["origin"]
    index = get_int(rep, what, doc, "index", 0, MAX_TREE - 1)
    if index is None:
        return False
    ref = doc.get("reference")
    if ref is not None:
        if ref != f"{group}/{author}/{index}":
            rep.fail(f"{what} reference", f"{ref!r}, but origin and index give "
                                          f"{group}/{author}/{index}")
        else:
            rep.ok(f"{what} reference {ref}: matches origin and index")

    # the entry's bytes and leaf hash
    b64 = doc.get("bytes_base64")
    entry = None
    if not isinstance(b64, str):
        rep.fail(f"{what} bytes_base64", "missing or not a string")
    else:
        try:
            entry = base64.b64decode(b64, validate=True)
            if base64.b64encode(entry).decode() != b64:
                rep.fail(f"{what} bytes_base64", "not the canonical padded base64 of its bytes")
                entry = None
        except (binascii.Error, ValueError):
            rep.fail(f"{what} bytes_base64", "not base64 (RFC 4648 §4, with padding)")
    lh_doc = get_hash(rep, f"{what} leaf_hash", doc.get("leaf_hash"))

    proof = doc.get("proof")
    if not isinstance(proof, dict):
        rep.fail(f"{what} proof", "missing or not an object")
        return False
    pw = f"{what} proof"
    tree_size = get_int(rep, what, proof, "tree_size", 1, MAX_TREE, "proof.tree_size")
    root = get_hash(rep, f"{pw}.root", proof.get("root"))
    hashes = get_hashes(rep, f"{pw}.hashes", proof.get("hashes"))
    if entry is None or lh_doc is None or tree_size is None or root is None or hashes is None:
        return False
    cp_text = proof.get("checkpoint")
    cp_note = None
    if isinstance(cp_text, str):
        try:
            cp_note = Note(cp_text.encode("utf-8"))
        except (Reject, UnicodeEncodeError):
            cp_note = None

    lh = leaf_hash(entry)
    leaf_ok = lh == lh_doc
    if not leaf_ok:
        # Which element is wrong: the one that does not lead to the root.
        if index < tree_size and root_from_inclusion(index, tree_size, lh_doc, hashes) == root:
            rep.fail(f"{what} bytes_base64",
                     f"its leaf hash SHA-256(0x00 || bytes) is {short(lh)}, not leaf_hash "
                     f"{short(lh_doc)}, which the proof includes: the entry bytes differ from "
                     "the ones logged")
        else:
            rep.fail(f"{what} leaf_hash", f"{short(lh_doc)}, but SHA-256(0x00 || the bytes of "
                                          f"bytes_base64) is {short(lh)}")
    else:
        rep.ok(f"{what} leaf_hash {short(lh)}: SHA-256(0x00 || the {len(entry)} bytes of "
               "bytes_base64)")
        why = check_entry(entry)
        if why:
            rep.fail(f"{what} bytes_base64", f"the entry breaks the structural rules of §2: {why}")
        else:
            rep.ok(f"{what} bytes_base64: an Entry that passes the structural rules of §2")

    # the checkpoint (its signed size and root are what the proof must lead to)
    w = v.check_checkpoint(f"{pw}.checkpoint", cp_text, origin, group, author, keys,
                           tree_size, root, what, "proof.tree_size", "proof.root")

    # the inclusion proof, of the leaf computed from the bytes
    if index >= tree_size:
        rep.fail(f"{what} index", f"{index} is not below proof.tree_size {tree_size}")
    elif leaf_ok:
        need = inclusion_path_len(index, tree_size)
        r = root_from_inclusion(index, tree_size, lh, hashes)
        if len(hashes) == need and r == root:
            rep.ok(f"{pw}.hashes: the inclusion proof ({need} hashes, RFC 9162 §2.1.3.2) of "
                   f"index {index} leads to proof.root {short(root)} of size {tree_size}")
        elif len(hashes) != need:
            rep.fail(f"{pw}.hashes", f"{len(hashes)} hashes, but the inclusion proof of index "
                     f"{index} in a tree of {tree_size} has {need}"
                     + (f"; proof.hashes[{need}] onward are extra" if len(hashes) > need
                        else f"; proof.hashes[{len(hashes)}] onward are missing"))
        elif cp_note is not None and cp_note.root == r and cp_note.root != root:
            rep.fail(f"{pw}.root", f"{short(root)}, but the inclusion proof and the checkpoint "
                                   f"both give {short(r)}")
        else:
            # Does the path lead to the root from another index? Then the index was changed.
            other = None
            if tree_size <= 4096:
                for j in range(tree_size):
                    if j != index and inclusion_path_len(j, tree_size) == need and \
                            root_from_inclusion(j, tree_size, lh, hashes) == root:
                        other = j
                        break
            if other is not None:
                rep.fail(f"{what} index", f"{index}, but the proof leads the leaf to "
                                          f"proof.root from index {other}")
            else:
                rep.fail(f"{pw}.hashes", f"the inclusion proof of leaf {short(lh)} at index "
                         f"{index} in a tree of {tree_size} (proof.hashes[0..{need - 1}]) "
                         f"leads to {short(r)}, not proof.root {short(root)}: a proof hash (or "
                         "the index) was changed")
    holds = rep.failures - v.quorum_failures == start - q0 and w is not None

    # the document's claims, recomputed
    claim(rep, pw, "verified", proof.get("verified"), holds)
    if w is not None and group != "charter":
        hint = (" (the node computes the witnesses under the charter in force; this verifier "
                "reads only the genesis charter, so an amendment may explain the difference)")
        claim(rep, pw, "witnesses", proof.get("witnesses"), w["witnesses"], hint)
        claim(rep, pw, "witnessed_by", proof.get("witnessed_by"), w["witnessed_by"], hint)
        claim(rep, pw, "witnessed", proof.get("witnessed"), w["witnessed"], hint)
    return rep.failures == start


def verify_consistency(v: Verifier, name, doc):
    """A consistency proof. Returns whether it holds."""
    rep = v.rep
    start, q0 = rep.failures, v.quorum_failures
    what = name
    o = v.check_origin(what, doc.get("origin"))
    if o is None:
        return False
    group, author, keys = o
    origin = doc["origin"]
    old_size = get_int(rep, what, doc, "old_size")
    new_size = get_int(rep, what, doc, "new_size")
    if old_size is None or new_size is None:
        return False
    if old_size > new_size:
        rep.fail(f"{what} old_size", f"{old_size} is larger than new_size {new_size}")
        return False
    old_root = get_hash(rep, f"{what} old_root", doc.get("old_root"))
    new_root = get_hash(rep, f"{what} new_root", doc.get("new_root"))
    hashes = get_hashes(rep, f"{what} hashes", doc.get("hashes"))
    if old_root is None or new_root is None or hashes is None:
        return False

    # the checkpoints given: each of origin, of its size, with that root, signed by the author
    oc, nc = doc.get("old_checkpoint"), doc.get("new_checkpoint")
    any_cp = False
    for key, t, size, root in (("old_checkpoint", oc, old_size, old_root),
                               ("new_checkpoint", nc, new_size, new_root)):
        side = key.split("_")[0]
        if t is None:
            rep.ok(f"{what} {key}: absent ({side}_root {short(root)} of size {size} is only "
                   "the node's word)")
            continue
        any_cp = True
        v.check_checkpoint(f"{what} {key}", t, origin, group, author, keys, size, root,
                           what, f"{side}_size", f"{side}_root")
    if not any_cp and old_size != 0:
        rep.fail(f"{what} old_checkpoint, new_checkpoint", "both absent: nothing in the "
                 "document is signed by the author")

    # the proof (§3; RFC 9162 §2.1.4.2)
    if old_size == 0:
        empty = sha256(b"")
        if old_root != empty:
            rep.fail(f"{what} old_root", f"{short(old_root)}, but the root of 0 entries is "
                                         f"SHA-256(\"\") = {short(empty)}")
        elif hashes:
            rep.fail(f"{what} hashes", f"{len(hashes)} hashes; a proof from size 0 is empty (§3)")
        else:
            rep.fail(f"{what} old_size", "0: a consistency proof from size 0 is empty and "
                                         "proves nothing (§3)")
    elif old_size == new_size:
        if hashes:
            rep.fail(f"{what} hashes", f"{len(hashes)} hashes; a proof between equal sizes is "
                                       "empty (§3)")
        elif old_root != new_root:
            rep.fail(f"{what} new_root", f"{short(new_root)} differs from old_root "
                                         f"{short(old_root)} at the same size {old_size}")
        else:
            rep.ok(f"{what} hashes: equal sizes {old_size}, an empty proof, equal roots")
    else:
        need = consistency_proof_len(old_size, new_size)
        res = roots_from_consistency(old_size, new_size, old_root, hashes)
        fr, sr = res if res else (None, None)
        if len(hashes) == need and fr == old_root and sr == new_root:
            rep.ok(f"{what} hashes: the consistency proof ({need} hashes, RFC 9162 §2.1.4.2) "
                   f"leads from old_root {short(old_root)} (size {old_size}) to new_root "
                   f"{short(new_root)} (size {new_size})")
        elif len(hashes) != need:
            rep.fail(f"{what} hashes", f"{len(hashes)} hashes, but the consistency proof from "
                                       f"{old_size} to {new_size} has {need}"
                     + (f"; hashes[{need}] onward are extra" if len(hashes) > need
                        else f"; hashes[{len(hashes)}] onward are missing"))
        elif fr == old_root:
            rep.fail(f"{what} hashes", f"the proof reproduces old_root but leads to "
                     f"{short(sr)} for size {new_size}, not new_root {short(new_root)}: a "
                     "proof hash (or new_root) was changed")
        elif sr == new_root:
            rep.fail(f"{what} old_root", f"{short(old_root)}, but the proof, which reaches "
                     f"new_root, gives {short(fr)} for size {old_size}")
        else:
            rep.fail(f"{what} hashes", f"the proof from size {old_size} to {new_size} "
                     "reproduces neither old_root nor new_root: a proof hash (or a root) was "
                     "changed")
    holds = rep.failures - v.quorum_failures == start - q0
    claim(rep, what, "verified", doc.get("verified"), holds)
    return rep.failures == start


def classify(doc):
    if not isinstance(doc, dict):
        return None
    if "proof" in doc or "bytes_base64" in doc:
        return "inclusion"
    if "old_size" in doc or "new_size" in doc:
        return "consistency"
    return None


# ======================================================================= main

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Verify Tocsin proof documents (PROTOCOL.md §10) offline.")
    ap.add_argument("--charter", required=True, help="the genesis charter file (charter.toml)")
    ap.add_argument("--charter-signature", required=True, dest="charter_signature",
                    help="its detached Ed25519 signature (64 raw bytes or their base64)")
    ap.add_argument("--ca", required=True, help="the authority's certificate (PEM or DER)")
    ap.add_argument("--require-witnessed", action="store_true",
                    help="also FAIL a checkpoint that does not make its witness quorum")
    ap.add_argument("documents", nargs="+", metavar="DOCUMENT.json")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0

    rep = Report()
    # the authority certificate
    try:
        with open(args.ca, "rb") as f:
            raw = f.read()
        try:
            cert = x509.load_pem_x509_certificate(raw)
        except ValueError:
            cert = x509.load_der_x509_certificate(raw)
        pub = cert.public_key()
    except (OSError, ValueError) as e:
        print(f"tocsin_verify: cannot read the authority certificate {args.ca}: {e}",
              file=sys.stderr)
        return 2
    if not isinstance(pub, Ed25519PublicKey):
        print(f"tocsin_verify: {args.ca}: the authority's key is not Ed25519", file=sys.stderr)
        return 2
    authority_pub = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    # the genesis charter and its signature (§8)
    try:
        with open(args.charter, "rb") as f:
            charter_raw = f.read()
        with open(args.charter_signature, "rb") as f:
            sig = f.read()
    except OSError as e:
        print(f"tocsin_verify: {e}", file=sys.stderr)
        return 2
    if len(sig) != 64:
        try:
            sig = base64.b64decode(sig.strip(), validate=True)
        except (binascii.Error, ValueError):
            sig = b""
    if len(sig) != 64:
        print(f"tocsin_verify: {args.charter_signature}: not 64 raw bytes nor their base64",
              file=sys.stderr)
        return 2
    docs = []
    for path in args.documents:
        try:
            doc = load_json(path)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            print(f"tocsin_verify: cannot read {path}: {e}", file=sys.stderr)
            return 2
        docs.append((path, doc))
    cname = os.path.basename(args.charter)
    if not verify_ed25519(authority_pub, sig, charter_raw):
        rep.fail(f"charter {cname} signature",
                 f"does not verify with the key of the authority certificate {args.ca}")
        return 1
    rep.ok(f"charter {cname} signature: verifies with the authority certificate's key")
    try:
        charter = Charter(charter_raw)
    except Reject as e:
        rep.fail(f"charter {cname}", f"not a valid genesis charter (§8): {e}")
        return 1
    rep.ok(f"charter {cname}: version {charter.version}, network id "
           f"{charter.network_id.hex()} (short {charter.short}), {len(charter.nodes)} nodes, "
           f"{len(charter.groups)} groups")
    if charter.version != 1:
        rep.ok(f"charter {cname}: version {charter.version}, taken as the genesis charter "
               "(its hash is the network id)")

    v = Verifier(charter, authority_pub, rep, args.require_witnessed)
    all_hold = True
    for path, doc in docs:
        kind = classify(doc)
        name = os.path.basename(path) if len({os.path.basename(p) for p, _ in docs}) == \
            len(docs) else path
        if kind == "inclusion":
            held = verify_inclusion(v, name, doc)
        elif kind == "consistency":
            held = verify_consistency(v, name, doc)
        else:
            rep.fail(name, "neither an entry with its proof nor a consistency proof (§10)")
            held = False
        if held:
            rep.ok(f"{name}: holds")
        all_hold = all_hold and held
    v.check_forks()
    return 1 if rep.failed or not all_hold else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        os._exit(1)
