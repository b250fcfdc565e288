#!/usr/bin/env python3
"""Independent offline verifier of Tocsin proof documents (PROTOCOL.md §10) and dossiers (§11).

Written from Docs/PROTOCOL.md (and Docs/protocol/tocsin.proto) alone. It reuses the
RFC 6962 hashing, key IDs and varint reader of ../Conformance/tocsin_conformance.py (itself
written from PROTOCOL.md); signed notes, the charter's keys and the proofs are checked here.

Usage:
  python3 tocsin_verify.py --charter FILE --charter-signature FILE --ca FILE \
      DOCUMENT.json [DOCUMENT.json ...]
  python3 tocsin_verify.py dossier FILE.tar

A dossier is verified as §11 "Verifying a dossier" says, steps 1-7 in order: the archive, the
manifest, the charter chain (genesis and charter/amendments.pb, §8.1), each feed's file, each
entry's file, completeness, and the consultation (the §2 rules, the decision audit and the
tally, referrals with their own dossier). It prints one line per check, `OK <what>` or
`FAIL <element>: <why>`, then the story (bulletins, receipts, proposal, votes, tally,
decision) as OK lines, then `DOSSIER VERIFIED` (exit 0) or `FIRST FAILING ELEMENT: <element>`
(exit 1), where <element> is the archive path §11 names, `archive` or `manifest.json`. Exit 2
for usage errors.

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

# tocsin_conformance.py (the protobuf wire format, RFC 6962 hashing, key IDs) lives in
# ../Conformance/ since this script moved to Scripts/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "Conformance"))

from cryptography import x509  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402

from tocsin_conformance import (DecodeError, check_entry, key_id, leaf_hash,  # noqa: E402
                                mth, node_hash, read_varint, sha256)

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
                             "deliberation-minutes", "history", "witnesses", "witness-quorum",
                             # Referral keys (§8): they name no key and no witness, so
                             # nothing here depends on them; the dossier verifier checks them.
                             "referral-observers", "referral-group"):
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


# ======================================================================= dossiers (§11)
#
# `tocsin_verify.py dossier FILE.tar` verifies a dossier as PROTOCOL.md §11 "Verifying a
# dossier" says, steps 1-7 in that order. Everything below reads only the dossier: no data
# directory, no network, no clock. Each check prints `OK <what>` or `FAIL <element>: <why>`,
# where <element> is the archive path §11 names (or `archive`, `manifest.json`); the last line
# is `FIRST FAILING ELEMENT: <element>` or `DOSSIER VERIFIED`.

DOSSIER_FORMAT = "tocsin-dossier/1"
MAX_DOSSIER = 64 * 1024 * 1024          # §11 "The archive"
MAX_DOSSIER_FILES = 10_000              # §11
MAX_ENTRY_BYTES = 262_144               # §2 rule 1
MAX_TS_S = 9_223_372_036_854_775        # §2 "Units": a larger cosignature timestamp is no time
I64_MAX = (1 << 63) - 1
FIVE_MINUTES_MS = 300_000               # §8.1
MAX_SPAN_MS = 31_622_400_000            # §2 "Deadline bounds": 366 days
ZERO_BLOCK = bytes(512)
TAR_NAME_RE = re.compile(r"^[A-Za-z0-9._/-]{1,100}$")
TAKES_EFFECT_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$")

KIND_NAMES = {1: "bulletin", 2: "acknowledgement", 3: "proposal", 4: "vote", 5: "decision",
              6: "charter", 7: "referral"}
POLICY_NAMES = {1: "majority", 2: "two-thirds", 3: "consensus", 4: "silence"}
POLICY_NUMBERS = {v: k for k, v in POLICY_NAMES.items()}
POSITION_NAMES = {1: "endorse", 2: "object", 3: "abstain"}
OUTCOME_NAMES = {1: "adopted", 2: "rejected", 3: "lapsed"}
MESSAGE_TYPES = {1: "alert", 2: "update", 3: "cancel"}
LEVEL_NAMES = {1: "received", 2: "read", 3: "acted-on"}
ACTION_NAMES = {1: "fact-finding-mission", 2: "good-offices", 3: "regional-consultation",
                4: "public-statement", 5: "peer-review", 6: "referral-to-un", 7: "other"}
SEVERITY_NAMES = {1: "extreme", 2: "severe", 3: "moderate", 4: "minor", 5: "unknown"}
ACTION_REFERRAL_TO_UN = 6
ADOPTED, REJECTED, LAPSED = 1, 2, 3


def ms_time(ms) -> str:
    """A time in ms as §10 writes times (RFC 3339 UTC with milliseconds)."""
    try:
        t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + \
            datetime.timedelta(milliseconds=ms)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    except (OverflowError, ValueError):
        return f"{ms} ms"


def printable(s, limit=120) -> str:
    """An element name or a value from hostile input, safe to print on one line."""
    if not isinstance(s, str):
        s = repr(s)
    if len(s) > limit or any(not c.isprintable() for c in s):
        return repr(s[:limit]) + ("…" if len(s) > limit else "")
    return s


class DossierReport:
    """The output of one dossier: OK/FAIL lines and the first failing element. A nested
    report (the dossier of a referral) collects its lines instead of printing them."""

    def __init__(self, collect=False):
        self.first = None
        self.first_why = None
        self.collect = collect
        self.lines = []

    def _out(self, line):
        if self.collect:
            self.lines.append(line)
        else:
            print(line, flush=True)

    def ok(self, what):
        self._out(f"OK {what}")

    def fail(self, element, why):
        if self.first is None:
            self.first, self.first_why = element, why
        self._out(f"FAIL {printable(element, 200)}: {why}")


# ----------------------------------------------------------------------- step 1: ustar

class ArchiveError(Exception):
    pass


def _octal_field(raw: bytes, what: str) -> int:
    """A ustar numeric field: octal digits, then NULs or spaces."""
    digits = raw.rstrip(b"\x00 ")
    if not digits or any(c not in b"01234567" for c in digits):
        raise ArchiveError(f"{what} field {raw!r} is not octal")
    return int(digits, 8)


def read_ustar(data: bytes):
    """§11 "The archive": [(name, bytes)] in archive order, or ArchiveError naming why."""
    if len(data) > MAX_DOSSIER:
        raise ArchiveError(f"over 64 MiB ({len(data)} bytes)")
    if len(data) % 512:
        raise ArchiveError(f"{len(data)} bytes, not a whole number of 512-byte blocks")
    files, seen = [], set()
    pos = 0
    while True:
        if pos + 512 > len(data):
            raise ArchiveError("it does not end with two blocks of zeros")
        block = data[pos:pos + 512]
        if block == ZERO_BLOCK:
            # The end: two zero blocks. Blocks after them may only be zeros (record padding).
            rest = data[pos:]
            if len(rest) < 1024:
                raise ArchiveError("it ends with one block of zeros, not two")
            if rest.count(0) != len(rest):
                raise ArchiveError(f"data after the two blocks of zeros at offset {pos}")
            return files
        where = f"header at offset {pos}"
        stored = _octal_field(block[148:156], f"{where}: checksum")
        computed = sum(block[:148]) + 32 * 8 + sum(block[156:])
        if stored != computed:
            raise ArchiveError(f"{where}: checksum {stored} is not the header's ({computed})")
        if block[257:263] != b"ustar\x00" or block[263:265] != b"00":
            raise ArchiveError(f"{where}: not a POSIX ustar header (magic "
                               f"{block[257:265]!r})")
        name = block[0:100].split(b"\x00", 1)[0]
        prefix = block[345:500].split(b"\x00", 1)[0]
        if prefix:
            # §11: the name is in the `name` field only.
            raise ArchiveError(f"{where}: the ustar `prefix` field is not empty")
        full = name
        flag = block[156:157]
        if flag != b"0":
            kinds = {b"1": "a hard link", b"2": "a symbolic link", b"3": "a character device",
                     b"4": "a block device", b"5": "a directory", b"6": "a FIFO",
                     b"x": "a pax extended header", b"g": "a pax global header",
                     b"\x00": "an old-style regular file (type flag NUL, not `0`)"}
            raise ArchiveError(f"{where} ({full[:100]!r}): {kinds.get(flag, f'type flag {flag!r}')}"
                               ", not a regular file (type flag `0`)")
        try:
            text = full.decode("ascii")
        except UnicodeDecodeError:
            text = None
        if (text is None or not TAR_NAME_RE.match(text) or text.startswith("/")
                or any(c in ("", ".", "..") for c in text.split("/"))):
            raise ArchiveError(f"{where}: name {full[:120]!r} is not 1-100 bytes of A-Z a-z 0-9 "
                               ". _ - / with no empty, `.` or `..` component and no leading /")
        if text in seen:
            raise ArchiveError(f"{where}: name {text} appears twice")
        seen.add(text)
        if len(files) >= MAX_DOSSIER_FILES:
            raise ArchiveError(f"more than {MAX_DOSSIER_FILES} files")
        size = _octal_field(block[124:136], f"{where} ({text}): size")
        start = pos + 512
        end = start + size
        if end > len(data):
            raise ArchiveError(f"{text}: its {size} bytes run past the end of the archive")
        files.append((text, data[start:end]))
        pos = start + (size + 511) // 512 * 512


# ----------------------------------------------------------------------- JSON (§10 rules)

def _reject_float(s):
    raise ValueError(f"{s} is not an integer (numbers are integers, §10)")


def parse_json_bytes(raw: bytes):
    """A §10 document: UTF-8 JSON, each key at most once, integers only. Raises ValueError."""
    try:
        text = raw.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_dup_pairs, parse_constant=_reject_constant,
                          parse_float=_reject_float)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8")
    except RecursionError:
        raise ValueError("nested too deeply")


def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def hex32(v):
    """A §10 hash (64 lower-case hex digits) as bytes, or None."""
    if isinstance(v, str) and HEX_RE.match(v):
        return bytes.fromhex(v)
    return None


def parse_reference_text(s):
    """`<group>/<author>/<index>` (§1) as (group, author, index), or None."""
    if not isinstance(s, str):
        return None
    parts = s.split("/")
    if (len(parts) != 3 or not ID_RE.match(parts[0]) or not ID_RE.match(parts[1])
            or not DEC_RE.match(parts[2]) or len(parts[2]) > 20):
        return None
    return parts[0], parts[1], int(parts[2])


# ----------------------------------------------------------------------- protobuf (tocsin.proto)

# Each message: field number -> (name, type, repeated). Types: the varint types below,
# "string", "bytes", or a message name. Decoded as protobuf parsers do: unknown fields are
# skipped, the last value of a singular scalar wins, repeated occurrences of a singular
# message merge, and the last member of a oneof that appears is the one set.
VARINT_TYPES = ("enum", "int64", "uint64", "uint32")
PB_SCHEMA = {
    "Entry": {1: ("kind", "enum", False), 2: ("author_time_ms", "int64", False),
              10: ("bulletin", "Bulletin", False),
              11: ("acknowledgement", "Acknowledgement", False),
              12: ("proposal", "Proposal", False), 13: ("vote", "Vote", False),
              14: ("decision", "Decision", False), 15: ("charter", "CharterUpdate", False),
              16: ("referral", "Referral", False)},
    "EntryReference": {1: ("group", "string", False), 2: ("author", "string", False),
                       3: ("index", "uint64", False), 4: ("leaf_hash", "bytes", False)},
    "Bulletin": {1: ("message_type", "enum", False), 2: ("status", "enum", False),
                 3: ("references", "EntryReference", True),
                 4: ("situation", "Situation", False), 5: ("headline", "string", False),
                 6: ("description", "string", False), 7: ("urgency", "enum", False),
                 8: ("severity", "enum", False), 9: ("certainty", "enum", False),
                 10: ("risk_factors", "RiskFactor", True), 11: ("sources", "Source", True),
                 12: ("recommended_actions", "string", True),
                 13: ("language", "string", False), 14: ("expires_ms", "int64", False)},
    "Situation": {1: ("country", "string", False), 2: ("areas", "Area", True)},
    "Area": {1: ("description", "string", False), 2: ("geocodes", "Geocode", True),
             3: ("polygons", "string", True), 4: ("circles", "string", True)},
    "Geocode": {1: ("name", "string", False), 2: ("value", "string", False)},
    "RiskFactor": {1: ("factor", "uint32", False), 2: ("indicators", "string", True),
                   3: ("note", "string", False)},
    "Source": {1: ("name", "string", False), 2: ("uri", "string", False),
               3: ("description", "string", False)},
    "Acknowledgement": {1: ("bulletin", "EntryReference", False), 2: ("level", "enum", False)},
    "Proposal": {1: ("title", "string", False), 2: ("action", "enum", False),
                 3: ("other_action", "string", False), 4: ("rationale", "string", False),
                 5: ("bulletins", "EntryReference", True), 6: ("priority", "enum", False),
                 7: ("policy", "enum", False), 8: ("quorum_percent", "uint32", False),
                 9: ("deadline_ms", "int64", False), 10: ("charter_version", "uint64", False)},
    "Vote": {1: ("proposal", "EntryReference", False), 2: ("position", "enum", False),
             3: ("statement", "string", False)},
    "CountedVote": {1: ("vote", "EntryReference", False), 2: ("position", "enum", False),
                    3: ("witnessed_checkpoint", "string", False)},
    "Decision": {1: ("proposal", "EntryReference", False), 2: ("outcome", "enum", False),
                 3: ("votes", "CountedVote", True), 4: ("statement", "string", False),
                 5: ("closed_ms", "int64", False),
                 6: ("proposal_witnessed_checkpoint", "string", False)},
    "Referral": {1: ("decision", "EntryReference", False), 2: ("observers", "string", True),
                 3: ("dossier", "bytes", False)},
    "CharterUpdate": {1: ("version", "uint64", False), 2: ("charter_toml", "bytes", False),
                      3: ("signature", "bytes", False)},
    "Entries": {1: ("origin", "string", False), 2: ("first_index", "uint64", False),
                3: ("entries", "bytes", True), 4: ("checkpoint", "bytes", False),
                5: ("base", "bytes", True)},
}
PB_ONEOFS = {"Entry": frozenset(range(10, 17))}
PB_MAX_DEPTH = 32


def _skip_group(buf, i, fn, depth):
    """Skips an (unknown) group field up to its end tag; returns the index after it."""
    if depth > PB_MAX_DEPTH:
        raise DecodeError("nested more than 32 levels")
    n = len(buf)
    while i < n:
        key, i = read_varint(buf, i)
        f, wt = key >> 3, key & 7
        if wt == 4:
            if f != fn:
                raise DecodeError("mismatched end of group")
            return i
        i = _skip_value(buf, i, f, wt, depth)
    raise DecodeError("truncated group")


def _skip_value(buf, i, fn, wt, depth):
    n = len(buf)
    if wt == 0:
        _, i = read_varint(buf, i)
    elif wt == 1:
        i += 8
    elif wt == 2:
        ln, i = read_varint(buf, i)
        i += ln
    elif wt == 5:
        i += 4
    elif wt == 3:
        i = _skip_group(buf, i, fn, depth + 1)
    else:
        raise DecodeError(f"wire type {wt}")
    if i > n:
        raise DecodeError("truncated field")
    return i


def pb_fields(buf: bytes, depth: int):
    """[(field number, wire type, value)]; groups (wire type 3) are skipped whole."""
    out, i, n = [], 0, len(buf)
    while i < n:
        key, i = read_varint(buf, i)
        fn, wt = key >> 3, key & 7
        if fn == 0 or fn > 0x1FFFFFFF:
            raise DecodeError(f"field number {fn}")
        start = i
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            ln, i = read_varint(buf, i)
            if i + ln > n:
                raise DecodeError("truncated length-delimited field")
            v = bytes(buf[i:i + ln])
            i += ln
        elif wt in (1, 5, 3):
            i = _skip_value(buf, i, fn, wt, depth)
            v = bytes(buf[start:i])
        else:
            raise DecodeError(f"wire type {wt}")
        out.append((fn, wt, v))
    return out


def _pb_scalar(typ, v):
    if typ == "int64":
        return v - (1 << 64) if v >= 1 << 63 else v
    if typ == "uint64":
        return v
    v &= 0xFFFFFFFF                       # uint32 and enums are 32-bit: truncated as parsers do
    if typ == "enum" and v >= 1 << 31:
        v -= 1 << 32
    return v


def pb_decode(msg: str, buf: bytes, depth: int = 1) -> dict:
    """Decodes `buf` as tocsin.v1.<msg>; raises DecodeError as a protobuf parser would."""
    if depth > PB_MAX_DEPTH:
        raise DecodeError("nested more than 32 levels")
    schema = PB_SCHEMA[msg]
    out = {}
    for name, typ, rep in schema.values():
        if rep:
            out[name] = []
        elif typ in PB_SCHEMA:
            out[name] = None
        else:
            out[name] = "" if typ == "string" else b"" if typ == "bytes" else 0
    merged = {}                               # singular message fields: their bytes, merged
    oneof = PB_ONEOFS.get(msg, frozenset())
    current = None
    for fn, wt, v in pb_fields(buf, depth):
        spec = schema.get(fn)
        if spec is None:
            continue                          # unknown field: ignored (§9 "Decoding")
        name, typ, rep = spec
        want = 0 if typ in VARINT_TYPES else 2
        if wt != want:
            raise DecodeError(f"{msg}.{name}: wire type {wt}, not {want}")
        if fn in oneof:
            if current is not None and current != fn:
                merged.pop(schema[current][0], None)
            current = fn
        if typ in PB_SCHEMA:
            sub = pb_decode(typ, v, depth + 1)   # each occurrence must decode on its own
            if rep:
                out[name].append(sub)
            else:
                merged[name] = merged.get(name, b"") + v
        elif typ == "string":
            try:
                s = v.decode("utf-8")
            except UnicodeDecodeError:
                raise DecodeError(f"{msg}.{name}: not UTF-8")
            if rep:
                out[name].append(s)
            else:
                out[name] = s
        elif typ == "bytes":
            if rep:
                out[name].append(v)
            else:
                out[name] = v
        else:
            out[name] = _pb_scalar(typ, v)
    for name, raw in merged.items():
        typ = next(t for n, t, _ in schema.values() if n == name)
        out[name] = pb_decode(typ, raw, depth + 1)
    if oneof:
        out["payload"] = schema[current][0] if current is not None else None
    return out


def decode_entry(b: bytes):
    """§2's structural rules 1-4. Returns (entry, None) or (None, why)."""
    if len(b) > MAX_ENTRY_BYTES:
        return None, f"{len(b)} bytes, over 256 KiB (§2 rule 1)"
    try:
        e = pb_decode("Entry", b)
    except DecodeError as ex:
        return None, f"does not decode as an Entry (§2 rule 2): {ex}"
    kind, payload = e["kind"], e["payload"]
    if kind == 0:
        return None, "kind ENTRY_KIND_UNSPECIFIED (§2 rule 3)"
    if e["author_time_ms"] < 0:
        return None, f"author_time_ms {e['author_time_ms']} < 0 (§2 rule 3)"
    if kind in KIND_NAMES and payload != KIND_NAMES[kind]:
        return None, (f"kind {KIND_NAMES[kind]} with payload {payload or 'none'} (§2 rule 4: the "
                      "payload of that kind is set)")
    if kind not in KIND_NAMES and payload is not None:
        return None, f"kind {kind}, which this version does not know, with a {payload} payload"
    return e, None


def _selftest_wire():
    ref = b"\x0a\x01g\x12\x01a\x18\x05\x22\x02\xab\xcd"
    vote = b"\x0a" + bytes([len(ref)]) + ref + b"\x10\x02"
    e, why = decode_entry(b"\x08\x04\x10\x07\x6a" + bytes([len(vote)]) + vote)
    assert why is None and e["payload"] == "vote" and e["vote"]["position"] == 2
    assert e["vote"]["proposal"] == {"group": "g", "author": "a", "index": 5,
                                     "leaf_hash": b"\xab\xcd"}
    # the last oneof member wins: a bulletin then a vote is a vote, so kind bulletin fails
    assert decode_entry(b"\x08\x01\x52\x00\x6a\x00")[1] is not None
    assert decode_entry(b"\x08\x04\x52\x00\x6a\x00")[0]["payload"] == "vote"
    # a singular message given twice merges (the second sets position, the first keeps text)
    e, _ = decode_entry(b"\x08\x04\x6a\x03\x1a\x01x\x6a\x02\x10\x01")
    assert e["vote"]["statement"] == "x" and e["vote"]["position"] == 1
    assert decode_entry(b"\x08\x09")[1] is None                    # an unknown kind, no payload
    assert decode_entry(b"\x08\x09\x6a\x00")[1] is not None      # an unknown kind with a vote
    assert decode_entry(b"\x08\x04")[1] is not None                # a vote without its payload
    assert decode_entry(b"\x10\x01")[1] is not None                # kind unspecified
    assert decode_entry(b"\x08\x01\x10" + b"\xff" * 9 + b"\x01\x52\x00")[1] is not None  # time < 0
    assert decode_entry(b"\x08\x04\x6a\x02\x1a\xff")[1] is not None  # invalid UTF-8 string
    assert decode_entry(b"\x08\x04\x6a\x00\xfb\x01\x08\x01\xfc\x01")[1] is None  # a group skipped
    assert decode_entry(b"\x08\x04\x6a\x01\x10")[1] is not None     # truncated
    # vote.position with the wrong wire type
    assert decode_entry(b"\x08\x04\x6a\x02\x12\x00")[1] is not None


_selftest_wire()


def ref_text(ref) -> str:
    if not ref:
        return "(none)"
    return f"{printable(ref['group'], 64)}/{printable(ref['author'], 64)}/{ref['index']}"


def ref_key(ref):
    """(group, author, index) of an EntryReference, or None when it names nothing that can be
    held (invalid ids, or an index of 2^40 or more: no feed reaches it, §2)."""
    if not ref or not ID_RE.match(ref["group"]) or not ID_RE.match(ref["author"]):
        return None
    if ref["index"] >= MAX_TREE:
        return None
    return ref["group"], ref["author"], ref["index"]

# ----------------------------------------------------------------------- charter versions (§8.1)

class CVNode:
    def __init__(self, nid, role, pub, previous):
        self.id, self.role, self.pub = nid, role, pub
        self.previous = previous            # [(raw key, None (rotated) | {group: size} (revoked))]

    def all_keys(self):
        return [self.pub] + [p for p, _ in self.previous]


class CVGroup:
    def __init__(self, gid, data, nodes):
        self.id = gid
        self.members = list(data["members"])
        self.convener = data["convener"]
        self.policy = data["policy"]
        self.quorum = data.get("quorum")
        self.deliberation = data.get("deliberation-minutes", 60)
        self.witnesses_explicit = data.get("witnesses")
        self.witness_quorum = data.get("witness-quorum", 1)
        self.referral_observers = list(data.get("referral-observers", []))
        self.referral_group = data.get("referral-group")
        self.nodes = nodes

    def default_witnesses(self):
        """§8.2: its `witnesses`, or its convener and its relays, in member order."""
        if self.witnesses_explicit is not None:
            return list(self.witnesses_explicit)
        return [m for m in self.members
                if m == self.convener or self.nodes[m].role == "relay"]

    def voting_members(self):
        """§2 "Terms": the members whose role is national."""
        return [m for m in self.members if self.nodes[m].role == "national"]


def _int_in(v, lo, hi):
    return is_int(v) and lo <= v <= hi


def parse_takes_effect(s):
    """`YYYY-MM-DDTHH:MM:SSZ` (§8) as ms since 1970, or None."""
    m = TAKES_EFFECT_RE.match(s) if isinstance(s, str) else None
    if not m:
        return None
    try:
        t = datetime.datetime(*map(int, m.groups()), tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return int((t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))
               .total_seconds()) * 1000


class CharterVersion:
    """One version of the chain: a charter file validated as §8 says."""

    def __init__(self, raw: bytes, amendment: bool):
        if len(raw) > MAX_CHARTER:
            raise Reject(f"{len(raw)} bytes (over 1 MiB)")
        self.raw = raw
        self.sha256 = sha256(raw)
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise Reject("not UTF-8")
        except tomllib.TOMLDecodeError as e:
            raise Reject(f"not TOML 1.0: {e}")
        except RecursionError:
            raise Reject("not TOML 1.0: nested too deeply")
        _no_floats_dates(data)
        for k in data:
            if k not in ("network", "version", "nodes", "groups", "replaces", "takes-effect"):
                raise Reject(f"unknown top-level key {k!r}")
        if not amendment and ("replaces" in data or "takes-effect" in data):
            raise Reject("`replaces`/`takes-effect` in the genesis charter (only an amendment "
                         "carries them)")
        if ("replaces" in data) != ("takes-effect" in data):
            raise Reject("`replaces` and `takes-effect` go together (both or neither)")
        self.replaces = data.get("replaces")
        if self.replaces is not None and (not isinstance(self.replaces, str)
                                          or not HEX_RE.match(self.replaces)):
            raise Reject("`replaces` is not 64 lower-case hex digits")
        self.takes_effect_ms = 0                                   # the genesis charter's (§8.1)
        if "takes-effect" in data:
            te = parse_takes_effect(data["takes-effect"])
            if te is None:
                raise Reject("`takes-effect` is not YYYY-MM-DDTHH:MM:SSZ")
            self.takes_effect_ms = te
        if not isinstance(data.get("network"), str) or not data["network"]:
            raise Reject("`network` is not a non-empty string")
        self.network = data["network"]
        if not _int_in(data.get("version"), 1, I64_MAX):
            raise Reject("`version` is not an integer >= 1")
        self.version = data["version"]
        nodes, groups = data.get("nodes"), data.get("groups")
        if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
            raise Reject("`nodes` is not an array of tables")
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise Reject("`groups` is not an array of tables")
        self.nodes = {}
        seen_keys = {}
        for i, n in enumerate(nodes):
            nid = n.get("id")
            where = f"nodes[{i}]" + (f" ({printable(nid, 64)})" if isinstance(nid, str) else "")
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
            previous = []
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
                        if not _int_in(s, 0, MAX_TREE):
                            raise Reject(f"{pw}.valid-through.{g}: not a size 0..2^40")
                        limits[g] = s
                previous.append((ppub, limits))
            for k in [pub] + [p for p, _ in previous]:
                if k in seen_keys:
                    raise Reject(f"{where}: a key that already appears in the charter "
                                 f"({seen_keys[k]})")
                seen_keys[k] = nid
            self.nodes[nid] = CVNode(nid, n["role"], pub, previous)
        self.groups = {}
        raw_groups = {}
        for i, g in enumerate(groups):
            gid = g.get("id")
            where = f"groups[{i}]" + (f" ({printable(gid, 64)})" if isinstance(gid, str) else "")
            for k in g:
                if k not in ("id", "name", "members", "convener", "policy", "quorum",
                             "deliberation-minutes", "history", "witnesses", "witness-quorum",
                             "referral-observers", "referral-group"):
                    raise Reject(f"{where}: unknown key {k!r}")
            if not isinstance(gid, str) or not ID_RE.match(gid) or gid == "charter":
                raise Reject(f"{where}: invalid id")
            if gid in raw_groups:
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
                    raise Reject(f"{where}: member {printable(m, 64)} is not a node of the charter")
            if g.get("convener") not in members:
                raise Reject(f"{where}: the convener is not a member")
            if g.get("policy") not in POLICY_NUMBERS:
                raise Reject(f"{where}: `policy` is not majority, two-thirds, consensus or silence")
            if "quorum" in g and not _int_in(g["quorum"], 1, 100):
                raise Reject(f"{where}: `quorum` is not 1..100")
            if "deliberation-minutes" in g and not _int_in(g["deliberation-minutes"], 0,
                                                           MAX_DELIBERATION):
                raise Reject(f"{where}: `deliberation-minutes` is not 0..527040")
            if "history" in g and g["history"] not in ("full", "from-admission"):
                raise Reject(f"{where}: `history` is not full or from-admission")
            if "witnesses" in g:
                w = g["witnesses"]
                if not isinstance(w, list) or not all(isinstance(x, str) for x in w):
                    raise Reject(f"{where}: `witnesses` is not an array of node ids")
                if len(set(w)) != len(w):
                    raise Reject(f"{where}: a witness listed twice")
                if any(x not in members for x in w):
                    raise Reject(f"{where}: a witness is not a member")
            grp = CVGroup(gid, g, self.nodes)
            if "witness-quorum" in g and not _int_in(g["witness-quorum"], 1,
                                                     len(grp.default_witnesses())):
                raise Reject(f"{where}: `witness-quorum` is not 1..the number of the group's "
                             "witnesses")
            if "referral-observers" in g:
                ro = g["referral-observers"]
                if not isinstance(ro, list) or not all(isinstance(x, str) for x in ro):
                    raise Reject(f"{where}: `referral-observers` is not an array of node ids")
                if len(set(ro)) != len(ro):
                    raise Reject(f"{where}: a referral observer listed twice")
                for x in ro:
                    if x not in self.nodes or self.nodes[x].role != "observer":
                        raise Reject(f"{where}: referral observer {printable(x, 64)} is not a "
                                     "node of role observer")
            if "referral-group" in g:
                if "referral-observers" not in g:
                    raise Reject(f"{where}: `referral-group` without `referral-observers`")
                if not isinstance(g["referral-group"], str):
                    raise Reject(f"{where}: `referral-group` is not a group id")
            raw_groups[gid] = g
            self.groups[gid] = grp
        for gid, grp in self.groups.items():
            target = grp.referral_group or gid
            if grp.referral_group is not None and target not in self.groups:
                raise Reject(f"group {gid}: `referral-group` {printable(target, 64)} is not a "
                             "group of the charter")
            if grp.referral_observers or grp.referral_group is not None:
                tm = self.groups[target].members
                for x in grp.referral_observers + [grp.convener]:
                    if x not in tm:
                        raise Reject(f"group {gid}: {x} is not a member of its referral group "
                                     f"{target}")


class Chain:
    """The genesis charter and the amendments of charter/amendments.pb (§11 step 3)."""

    def __init__(self, genesis: CharterVersion, authority_pub: bytes):
        self.versions = [genesis]
        self.authority_pub = authority_pub
        self.network_id = genesis.sha256
        self.short = self.network_id[:8].hex()

    @property
    def latest(self) -> CharterVersion:
        return self.versions[-1]

    def in_force(self, t_ms) -> CharterVersion:
        """§8.1: the last version whose takes-effect <= t."""
        v = self.versions[0]
        for x in self.versions:
            if x.takes_effect_ms <= t_ms:
                v = x
        return v

    def by_number(self, n):
        return next((v for v in self.versions if v.version == n), None)

    def next_version(self, v):
        i = self.versions.index(v)
        return self.versions[i + 1] if i + 1 < len(self.versions) else None

    def has_group(self, gid) -> bool:
        return any(gid in v.groups for v in self.versions)

    def origin(self, group, author) -> str:
        return f"tocsin/{self.short}/{group}/{author}"

    def witness_name(self, node) -> str:
        return f"tocsin/{self.short}/{node}"

    def author_keys(self, node, group):
        """§8.1 "Keys", through the latest version: [(raw key, limit or None, label)]. Each key
        node had takes the limit of the latest version listing it (a revoked key: its
        valid-through[group], 0 when not named; a current or rotated key: none)."""
        if group == "charter":
            return [(self.authority_pub, None, "the authority key")] if node == "authority" else []
        keys = {}
        for v in self.versions:
            n = v.nodes.get(node)
            if n is None:
                continue
            keys[n.pub] = (None, f"key of version {v.version}")
            for p, limits in n.previous:
                if limits is None:
                    keys[p] = (None, f"rotated key (version {v.version})")
                else:
                    keys[p] = (limits.get(group, 0), f"revoked key (version {v.version})")
        return [(k, lim, label) for k, (lim, label) in keys.items()]

    def witness_keys(self, node):
        """A node's cosignature keys: its current and rotated keys in the latest version (§8.1,
        never a revoked one)."""
        n = self.latest.nodes.get(node)
        if n is None:
            return []
        return [n.pub] + [p for p, limits in n.previous if limits is None]

    def witness_node(self, name):
        """The node of the latest version whose witness name is `name`, or None."""
        prefix = f"tocsin/{self.short}/"
        if name.startswith(prefix) and name[len(prefix):] in self.latest.nodes:
            return name[len(prefix):]
        return None

    def witnesses(self, group, author):
        """§8.2 under the latest version: (the feed's witnesses, quorum), or None when the
        latest version has no such group."""
        g = self.latest.groups.get(group)
        if g is None:
            return None
        w = [x for x in g.default_witnesses() if x != author]
        if not w:
            w = [m for m in g.members if m != author]
        return w, min(g.witness_quorum, len(w))


def check_amendment(chain: Chain, cu: dict, author_time_ms: int) -> CharterVersion:
    """§8.1 rules 1-4 for one amendment against the chain so far; raises Reject."""
    prev = chain.latest
    # 1. the authority's signature, and a valid charter
    sig, toml = cu["signature"], cu["charter_toml"]
    if len(sig) != 64 or not verify_ed25519(chain.authority_pub, sig, toml):
        raise Reject("rule 1: its signature does not verify with the authority key")
    try:
        v = CharterVersion(toml, amendment=True)
    except Reject as e:
        raise Reject(f"rule 1: not a valid charter (§8): {e}")
    # 2. versions
    if cu["version"] != v.version:
        raise Reject(f"rule 2: payload version {cu['version']} is not the TOML's {v.version}")
    if v.version <= prev.version:
        raise Reject(f"rule 2: version {v.version} is not higher than {prev.version}")
    # 3. replaces and takes-effect
    if v.replaces != prev.sha256.hex():
        raise Reject(f"rule 3: `replaces` {v.replaces} is not the SHA-256 of version "
                     f"{prev.version} ({prev.sha256.hex()})")
    if v.takes_effect_ms < prev.takes_effect_ms:
        raise Reject(f"rule 3: takes-effect {ms_time(v.takes_effect_ms)} is earlier than version "
                     f"{prev.version}'s")
    if v.takes_effect_ms < author_time_ms - FIVE_MINUTES_MS:
        raise Reject(f"rule 3: takes-effect {ms_time(v.takes_effect_ms)} is more than 5 minutes "
                     f"before the entry's author_time_ms {ms_time(author_time_ms)}")
    # 4. keys: no key moves to another node, none is dropped, a revocation is never undone
    new_owner = {}
    for nid, n in v.nodes.items():
        for k in n.all_keys():
            new_owner[k] = nid
    new_revoked = {p: lim for n in v.nodes.values() for p, lim in n.previous if lim is not None}
    new_current_or_rotated = {n.pub for n in v.nodes.values()} | \
        {p for n in v.nodes.values() for p, lim in n.previous if lim is None}
    for old in chain.versions:
        for nid, n in old.nodes.items():
            for k in n.all_keys():
                if k in new_owner and new_owner[k] != nid:
                    raise Reject(f"rule 4: a key of {nid} in version {old.version} is a key of "
                                 f"{new_owner[k]}")
                if nid in v.nodes and k not in v.nodes[nid].all_keys():
                    raise Reject(f"rule 4: {nid} loses a key it had in version {old.version}")
            for p, lim in n.previous:
                if lim is None:
                    continue
                if p in new_current_or_rotated:
                    raise Reject(f"rule 4: a key of {nid} revoked in version {old.version} is a "
                                 "current or unrevoked key again")
                if p in new_revoked:
                    for g in set(lim) | set(new_revoked[p]):
                        if new_revoked[p].get(g, 0) > lim.get(g, 0):
                            raise Reject(f"rule 4: the valid-through of a key of {nid} revoked "
                                         f"in version {old.version} grows for group {g}")
    return v

# ----------------------------------------------------------------------- signed notes (§4, §5)

class DSigLine:
    def __init__(self, no, name, kid, sig):
        self.no, self.name, self.kid, self.sig = no, name, kid, sig

    def cosignature_timestamp(self):
        """§5: a cosignature line carries exactly 72 bytes after its key ID, the first 8 a
        timestamp <= 2^63 - 1; returns that timestamp, or None for any other line."""
        if len(self.sig) != 72:
            return None
        ts = int.from_bytes(self.sig[:8], "big")
        return ts if ts <= I64_MAX else None


class CheckpointNote:
    """A signed note whose text is a checkpoint, parsed as §4 says (no signature checked)."""

    def __init__(self, data: bytes):
        if len(data) > MAX_NOTE:
            raise Reject(f"note of {len(data)} bytes (over 64 KiB)")
        bad = next((b for b in data if b < 0x20 and b != 0x0A), None)
        if bad is not None:
            raise Reject(f"byte 0x{bad:02x} (below 0x20 and not 0x0A)")
        try:
            s = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Reject("not valid UTF-8")
        idx = s.rfind("\n\n")
        if idx < 0:
            raise Reject("no empty line separates the text from the signatures")
        text, sigpart = s[:idx + 1], s[idx + 2:]
        if not sigpart.endswith("\n"):
            raise Reject("the last signature line does not end with a newline")
        raw_lines = sigpart[:-1].split("\n")
        if len(raw_lines) > MAX_NOTE_LINES:
            raise Reject(f"{len(raw_lines)} signature lines (over 512)")
        self.text = text.encode("utf-8")
        self.lines = []
        for no, line in enumerate(raw_lines, 1):
            if not line.startswith(EM_DASH + " "):
                raise Reject(f"signature line {no} does not start with '\u2014 '")
            parts = line[2:].split(" ")
            if len(parts) != 2 or not parts[0]:
                raise Reject(f"signature line {no} is not '\u2014 <name> <base64>'")
            name = parts[0]
            if "+" in name or any(c.isspace() or unicodedata.category(c) == "Zs" for c in name):
                raise Reject(f"signature line {no}: key name contains a space or '+'")
            try:
                blob = base64.b64decode(parts[1], validate=True)
            except (binascii.Error, ValueError):
                raise Reject(f"signature line {no}: signature is not base64")
            if len(blob) < 5:
                raise Reject(f"signature line {no}: shorter than a key ID and a signature")
            self.lines.append(DSigLine(no, name, blob[:4], blob[4:]))
        tl = text.split("\n")[:-1]
        if len(tl) < 3:
            raise Reject("checkpoint text has fewer than 3 lines (origin, size, root)")
        self.origin = tl[0]
        if not DEC_RE.match(tl[1]) or len(tl[1]) > 14:
            raise Reject(f"size line {printable(tl[1], 40)} is not decimal")
        self.size = int(tl[1])
        if self.size > MAX_TREE:
            raise Reject(f"size {self.size} over 2^40")
        try:
            self.root = base64.b64decode(tl[2], validate=True)
        except (binascii.Error, ValueError):
            raise Reject("root line is not base64")
        if len(self.root) != 32 or base64.b64encode(self.root).decode() != tl[2]:
            raise Reject("root line is not the canonical base64 of 32 bytes")
        if any(not ext for ext in tl[3:]):
            raise Reject("empty extension line")


_SIG_CACHE = {}


def ed25519_ok(pub: bytes, sig: bytes, msg: bytes) -> bool:
    k = (pub, sig, msg)
    if k not in _SIG_CACHE:
        _SIG_CACHE[k] = verify_ed25519(pub, sig, msg)
    return _SIG_CACHE[k]


def check_author_signature(note: CheckpointNote, origin: str, keys, group: str) -> str:
    """§4 and §8.1 "Keys": a line of one of the author's keys verifies, for a revoked key only
    up to its limit; a matching line that fails, or two lines of one key, reject the note.
    Returns a description of the key that signs; raises Reject."""
    good = None
    beyond = None
    for pub, limit, label in keys:
        kid = key_id(origin, 0x01, pub)
        matching = [ln for ln in note.lines if ln.name == origin and ln.kid == kid]
        if len(matching) > 1:
            raise Reject(f"signature lines {matching[0].no} and {matching[1].no}: two lines of "
                         f"one of the author's keys ({label}, §4)")
        if not matching:
            continue
        ln = matching[0]
        if not ed25519_ok(pub, ln.sig, note.text):
            raise Reject(f"signature line {ln.no} of the author's {label} does not verify (§4)")
        if limit is not None and note.size > limit:
            beyond = f"{label}, valid through size {limit} in group {group}"
            continue
        good = good or f"{label} (key ID {kid.hex()}, line {ln.no})"
    if good is None:
        if beyond:
            raise Reject(f"signed only by a revoked key beyond its limit ({beyond}): not the "
                         "author's (§8.1)")
        raise Reject("no signature line of one of the author's keys (§4, §8.1 \"Keys\")")
    return good


def check_cosignatures(note: CheckpointNote, chain: Chain) -> dict:
    """§11 step 4: each cosignature line naming a node of the latest version with the key ID
    of one of its witness keys verifies (§5), and no node has two cosignature lines; other
    lines are passed over. Returns {node: timestamp (s)} of the lines that verified."""
    seen, times = {}, {}
    for ln in note.lines:
        ts = ln.cosignature_timestamp()
        if ts is None:
            continue                              # not a cosignature line (§5)
        node = chain.witness_node(ln.name)
        if node is None:
            continue                              # another name: passed over
        if node in seen:
            raise Reject(f"signature lines {seen[node]} and {ln.no}: two cosignature lines of "
                         f"{node} (§8.2)")
        seen[node] = ln.no
        match = [k for k in chain.witness_keys(node) if key_id(ln.name, 0x04, k) == ln.kid]
        if not match:
            continue                              # unknown or revoked key ID: passed over
        msg = b"cosignature/v1\ntime %d\n" % ts + note.text
        if not ed25519_ok(match[0], ln.sig[8:], msg):
            raise Reject(f"signature line {ln.no}: the cosignature of {node} does not verify "
                         "(§5, §8.2)")
        times[node] = ts
    return times


def check_checkpoint_note(text, origin, group, author, chain: Chain):
    """A listed or proof note: a checkpoint (§4) of `origin`, signed by one of the author's
    keys through the latest version, its cosignature lines checked as step 4 says.
    Returns (note, signer description, {node: ts}); raises Reject."""
    if not isinstance(text, str):
        raise Reject("not a string (a signed note's text)")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise Reject("not encodable as UTF-8")
    note = CheckpointNote(data)
    if note.origin != origin:
        raise Reject(f"origin line {printable(note.origin, 80)} is not {origin}")
    signer = check_author_signature(note, origin, chain.author_keys(author, group), group)
    times = check_cosignatures(note, chain)
    return note, signer, times

# ----------------------------------------------------------------------- the tally (§2)

def tally(policy: str, n: int, e: int, o: int, a: int, q: int, closed: bool):
    """§2 "The tally": (outcome, rule) where outcome is ADOPTED, REJECTED, LAPSED, or None
    while the proposal is open. Exact integer comparisons only."""
    v = e + o + a
    r = n - v
    if n == 0:
        return LAPSED, "rule 0 (N = 0)"
    if policy in ("majority", "two-thirds"):
        if policy == "majority":
            adopt, block, out_of_reach = 2 * e > n, 2 * o >= n, 2 * (e + r) <= n
        else:
            adopt, block, out_of_reach = 3 * e >= 2 * n, 3 * o > n, 3 * (e + r) < 2 * n
        if adopt:
            return ADOPTED, "rule 1"
        if block:
            return REJECTED, "rule 2"
        if out_of_reach:
            return REJECTED, "rule 3 (adoption out of reach)"
        if closed and v == 0:
            return LAPSED, "rule 4 (closed, no vote)"
        if closed:
            return REJECTED, "rule 5 (closed)"
        return None, "rule 6 (open)"
    if policy == "consensus":
        if o > 0:
            return REJECTED, "rule 1 (an objection)"
        if r == 0 and 100 * v >= q * n:
            return ADOPTED, "rule 2"
        if closed and 100 * v >= q * n:
            return ADOPTED, "rule 3 (closed, quorum met)"
        if closed:
            return LAPSED, "rule 4 (closed, no quorum)"
        return None, "rule 5 (open)"
    if o > 0:                                                  # silence
        return REJECTED, "rule 1 (an objection)"
    if r == 0:
        return ADOPTED, "rule 2"
    if closed:
        return ADOPTED, "rule 3 (closed)"
    return None, "rule 4 (open)"


def _selftest_tally():
    # §2 "Examples": consensus N = 5, q = 50
    assert tally("consensus", 5, 2, 0, 1, 50, False)[0] is None
    assert tally("consensus", 5, 2, 0, 1, 50, True)[0] == ADOPTED
    assert tally("consensus", 5, 2, 0, 0, 50, True)[0] == LAPSED
    assert tally("consensus", 5, 2, 1, 1, 50, False)[0] == REJECTED
    # two-thirds at the boundary
    assert tally("two-thirds", 6, 4, 0, 0, 50, False)[0] == ADOPTED
    assert tally("two-thirds", 7, 4, 0, 0, 50, False)[0] is None
    assert tally("two-thirds", 7, 5, 0, 0, 50, False)[0] == ADOPTED
    assert tally("two-thirds", 7, 4, 2, 0, 50, False)[0] is None
    assert tally("two-thirds", 7, 4, 2, 0, 50, True)[0] == REJECTED
    assert tally("two-thirds", 7, 2, 2, 1, 50, False) == \
        (REJECTED, "rule 3 (adoption out of reach)")
    # majority, early close, N = 4
    assert tally("majority", 4, 0, 2, 0, 50, False)[0] == REJECTED
    assert tally("majority", 4, 2, 0, 1, 50, False)[0] is None
    assert tally("majority", 4, 3, 0, 1, 50, False)[0] == ADOPTED
    assert tally("majority", 4, 2, 1, 1, 50, False)[0] == REJECTED
    assert tally("majority", 4, 2, 0, 2, 50, False)[0] == REJECTED
    assert tally("majority", 4, 2, 0, 1, 50, True)[0] == REJECTED
    assert tally("majority", 4, 0, 0, 0, 50, True)[0] == LAPSED
    # silence
    assert tally("silence", 3, 0, 0, 0, 50, False)[0] is None
    assert tally("silence", 3, 0, 0, 0, 50, True)[0] == ADOPTED
    assert tally("silence", 3, 0, 0, 3, 50, False)[0] == ADOPTED
    assert tally("silence", 3, 0, 1, 0, 50, False)[0] == REJECTED
    # the quoted thresholds, for N up to 30
    for n in range(1, 31):
        for e in range(n + 1):
            assert (tally("majority", n, e, 0, n - e, 50, False)[0] == ADOPTED) == (e >= n // 2 + 1)
            assert (tally("two-thirds", n, e, 0, n - e, 50, False)[0] == ADOPTED) == \
                (e >= -(-2 * n // 3))
            assert (tally("majority", n, 0, e, 0, 50, False)[0] == REJECTED and
                    tally("majority", n, 0, e, 0, 50, False)[1] == "rule 2") == (e >= -(-n // 2))
            assert (tally("two-thirds", n, 0, e, 0, 50, False)[1] == "rule 2") == (e >= n // 3 + 1)
            for q in (1, 33, 50, 67, 100):
                assert (tally("consensus", n, 0, 0, e, q, True)[0] == ADOPTED) == \
                    (e >= -(-q * n // 100))


_selftest_tally()


def effective_deadline(deadline_ms: int, d_minutes: int, w_ms):
    """§2 "Effective deadline T": None while W is needed and unknown."""
    if d_minutes == 0:
        return deadline_ms
    if w_ms is None:
        return None
    return max(deadline_ms, min(w_ms + d_minutes * 60_000, I64_MAX))


def _selftest_deadline():
    # §2 example: D = 1,440, W = 1,767,229,200,000
    assert effective_deadline(1_767_312_000_000, 1440, 1_767_229_200_000) == 1_767_315_600_000
    assert effective_deadline(1_767_312_000_000, 0, None) == 1_767_312_000_000
    assert effective_deadline(1_767_312_000_000, 60, None) is None
    assert effective_deadline(5, 1, I64_MAX - 10) == I64_MAX


_selftest_deadline()


# ----------------------------------------------------------------------- what the verifier holds

class FeedInfo:
    """A feed's file that passed step 4: its listed checkpoints, ascending."""

    def __init__(self, path, group, author):
        self.path, self.group, self.author = path, group, author
        self.cps = []                    # [(size, root, {node: ts})]
        self.by_size = {}

    @property
    def latest_size(self):
        return self.cps[-1][0]


class EntryInfo:
    """An entry's file that passed step 5."""

    def __init__(self, path, group, author, index, raw, entry):
        self.path, self.group, self.author, self.index = path, group, author, index
        self.raw, self.e = raw, entry
        self.leaf = leaf_hash(raw)
        self.key = (group, author, index)
        self.kind = KIND_NAMES.get(entry["kind"], f"kind {entry['kind']}")

    @property
    def ref(self):
        return f"{self.group}/{self.author}/{self.index}"

    @property
    def body(self):
        return self.e[self.e["payload"]] if self.e["payload"] else None


class ProposalView:
    """A proposal judged as §2 and §8.1 say (its version, group, policy; void or not)."""
    void = None
    version = group = convener = None
    policy, q, d_minutes, voting = None, 50, 0, ()
    needs_w_version, window = False, None


class Audit:
    """The decision audit's result (§2 "The decision audit")."""

    def __init__(self):
        self.judged = True
        self.not_judged_why = None
        self.findings = []               # [(number, text)]
        self.proposal = None             # EntryInfo
        self.pv = None                   # ProposalView
        self.w = self.t = self.c = None
        self.accepted = []               # [(voter, EntryInfo of the vote, position, witnessed ms)]
        self.tally = None                # (outcome, rule, E, O, A, closed)

    @property
    def holds(self):
        return self.judged and not self.findings


def verify_dossier_bytes(data: bytes, rep: DossierReport, follow_referrals=True) -> bool:
    return DossierVerifier(data, rep, follow_referrals).run()


class DossierVerifier:
    def __init__(self, data: bytes, rep: DossierReport, follow_referrals=True):
        self.data = data
        self.rep = rep
        self.follow_referrals = follow_referrals
        self.files = {}
        self.order = []
        self.manifest = None
        self.charter_element = None
        self.chain = None
        self.cert_sha = None
        self.feeds = {}                  # (group, author) -> FeedInfo
        self.entries = {}                # (group, author, index) -> EntryInfo
        self.audits = {}                 # decision key -> Audit
        self.referral_verdicts = {}      # referral key -> (counts, why)

    def ok(self, what):
        self.rep.ok(what)

    def fail(self, element, why):
        self.rep.fail(element, why)

    def run(self) -> bool:
        if not self.step1_archive() or not self.step2_manifest() or not self.step3_charter():
            return False
        self.step4_feeds()
        self.step5_entries()
        self.step6_completeness()
        self.step7_consultation()
        self.tell_story()
        return self.rep.first is None

    def guarded(self, element, fn, *args):
        """Runs one element's check; an unforeseen error on hostile input is that element's
        FAIL, never a traceback."""
        try:
            return fn(*args)
        except Reject as e:
            self.fail(element, str(e))
        except Exception as e:                  # noqa: BLE001 - hostile input is a FAIL
            self.fail(element, f"malformed ({type(e).__name__}: {printable(str(e), 160)})")
        return None

    # ---------------------------------------------------------------- step 1
    def step1_archive(self) -> bool:
        try:
            files = read_ustar(self.data)
        except ArchiveError as e:
            self.fail("archive", f"not a dossier archive (§11): {e}")
            return False
        if not files or files[0][0] != "manifest.json":
            first = files[0][0] if files else "none"
            self.fail("archive", f"its first file is {first}, not manifest.json")
            return False
        self.files = dict(files)
        self.order = [n for n, _ in files]
        self.ok(f"archive: a ustar archive of {len(files)} regular files ({len(self.data)} "
                "bytes), manifest.json first")
        return True

    # ---------------------------------------------------------------- step 2
    def manifest_problem(self, m):
        if not isinstance(m, dict):
            return "not a JSON object"
        if m.get("format") != DOSSIER_FORMAT:
            return f"format {printable(m.get('format'))} is not {DOSSIER_FORMAT}"
        if hex32(m.get("network")) is None:
            return "network is not 64 lower-case hex digits"
        for k in ("network_name", "exported_by", "exported_at"):
            if k in m and not isinstance(m[k], str):
                return f"{k} is not a string"
        subjects = m.get("subjects")
        if not isinstance(subjects, list) or not subjects:
            return "subjects is not a non-empty array"
        for s in subjects:
            if parse_reference_text(s) is None:
                return f"subject {printable(s)} is not a reference <group>/<author>/<index>"
        items = m.get("items")
        if not isinstance(items, list):
            return "items is not an array"
        for i, it in enumerate(items):
            if (not isinstance(it, dict) or not isinstance(it.get("path"), str)
                    or hex32(it.get("sha256")) is None or not is_int(it.get("bytes"))
                    or it["bytes"] < 0):
                return f"items[{i}] is not {{\"path\": …, \"sha256\": <hex>, \"bytes\": <size>}}"
        return None

    def step2_manifest(self) -> bool:
        try:
            m = parse_json_bytes(self.files["manifest.json"])
        except ValueError as e:
            self.fail("manifest.json", f"not a JSON document as §10 writes them: {e}")
            return False
        why = self.manifest_problem(m)
        if why:
            self.fail("manifest.json", why)
            return False
        self.manifest = m
        self.ok(f"manifest.json: format {DOSSIER_FORMAT}, network {m['network']}"
                + (f" ({printable(m['network_name'])})" if "network_name" in m else "")
                + f", subjects {', '.join(m['subjects'])}, {len(m['items'])} items")
        for it in m["items"]:
            path = it["path"]
            data = self.files.get(path)
            if data is None:
                self.fail(path, "listed in the manifest, but not a file of the archive")
            elif len(data) != it["bytes"]:
                self.fail(path, f"{len(data)} bytes, the manifest says {it['bytes']}")
            elif sha256(data).hex() != it["sha256"]:
                self.fail(path, f"SHA-256 {sha256(data).hex()}, the manifest says {it['sha256']}")
            else:
                self.ok(f"{path}: {len(data)} bytes, SHA-256 {it['sha256']} as listed")
        listed = [it["path"] for it in m["items"]]
        others = self.order[1:]
        missing = [p for p in others if p not in listed]
        if missing:
            self.fail("manifest.json", f"{missing[0]} is a file of the archive the manifest "
                                       "does not list" + (f" (and {len(missing) - 1} more)"
                                                          if len(missing) > 1 else ""))
        elif len(set(listed)) != len(listed):
            dup = next(p for p in listed if listed.count(p) > 1)
            self.fail("manifest.json", f"items lists {printable(dup)} twice")
        elif listed != others:
            self.fail("manifest.json", "items are not in archive order")
        else:
            self.ok("manifest.json: every other file of the archive is listed, once, in order")
        return True

    # ---------------------------------------------------------------- step 3
    def step3_charter(self) -> bool:
        self.charter_element = "charter/authority.pem"
        try:
            return self.check_charter()
        except Exception as e:                  # noqa: BLE001 - hostile input is a FAIL
            self.fail(self.charter_element, f"malformed ({type(e).__name__}: "
                                            f"{printable(str(e), 160)})")
            return False

    def check_charter(self) -> bool:
        p_pem, p_toml, p_sig, p_am = ("charter/authority.pem", "charter/genesis.toml",
                                      "charter/genesis.sig", "charter/amendments.pb")
        pem = self.files.get(p_pem)
        if pem is None:
            self.fail(p_pem, "missing")
            return False
        try:
            cert = x509.load_pem_x509_certificate(pem)
            pub = cert.public_key()
            der = cert.public_bytes(serialization.Encoding.DER)
        except Exception as e:                  # noqa: BLE001 - any parse failure is a FAIL
            self.fail(p_pem, f"not a PEM X.509 certificate: {printable(str(e), 160)}")
            return False
        if not isinstance(pub, Ed25519PublicKey):
            self.fail(p_pem, "the certificate's key is not Ed25519")
            return False
        authority = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.cert_sha = sha256(der).hex()
        self.ok(f"{p_pem}: an X.509 certificate with an Ed25519 key; SHA-256 of its DER "
                f"{self.cert_sha} (compare it with the one the authority publishes)")
        toml, sig = self.files.get(p_toml), self.files.get(p_sig)
        self.charter_element = p_toml
        if toml is None:
            self.fail(p_toml, "missing")
            return False
        if sig is None:
            self.fail(p_sig, "missing")
            return False
        if len(sig) != 64:
            self.fail(p_sig, f"{len(sig)} bytes, not the 64 raw bytes of an Ed25519 signature")
            return False
        if not verify_ed25519(authority, sig, toml):
            self.fail(p_toml, f"its signature ({p_sig}) does not verify with the authority key")
            return False
        try:
            genesis = CharterVersion(toml, amendment=False)
        except Reject as e:
            self.fail(p_toml, f"not a valid charter (§8): {e}")
            return False
        if genesis.sha256.hex() != self.manifest["network"]:
            self.fail(p_toml, f"SHA-256 {genesis.sha256.hex()} is not the manifest's network "
                              f"{self.manifest['network']}")
            return False
        self.chain = Chain(genesis, authority)
        self.ok(f"{p_toml}: signed by the authority, a valid charter, version {genesis.version} "
                f"of {printable(genesis.network)}; its SHA-256 is the network id "
                f"(short {self.chain.short})")
        if p_am in self.files:
            self.charter_element = p_am
            if self.guarded(p_am, self.check_amendments, self.files[p_am]) is None:
                return False
        self.ok(f"charter: the chain has {len(self.chain.versions)} version(s) "
                f"({', '.join(str(v.version) for v in self.chain.versions)}); latest version "
                f"{self.chain.latest.version}")
        return True

    def check_amendments(self, raw):
        ch = self.chain
        try:
            ents = pb_decode("Entries", raw)
        except DecodeError as e:
            raise Reject(f"not a protobuf Entries message: {e}")
        origin = ch.origin("charter", "authority")
        if ents["origin"] != origin:
            raise Reject(f"origin {printable(ents['origin'])} is not {origin}")
        if ents["first_index"] != 0 or ents["base"]:
            raise Reject("not the authority feed from index 0 (first_index or base set)")
        try:
            note = CheckpointNote(ents["checkpoint"])
        except Reject as e:
            raise Reject(f"its checkpoint is not a checkpoint note: {e}")
        if note.origin != origin:
            raise Reject(f"its checkpoint's origin {printable(note.origin)} is not {origin}")
        check_author_signature(note, origin, ch.author_keys("authority", "charter"), "charter")
        leaves = ents["entries"]
        if note.size != len(leaves):
            raise Reject(f"its checkpoint has size {note.size}, the file {len(leaves)} entries")
        root = mth([leaf_hash(b) for b in leaves])
        if note.root != root:
            raise Reject(f"its checkpoint's root {short(note.root)} is not the root of its "
                         f"entries {short(root)}")
        self.ok(f"charter/amendments.pb: the authority feed's {len(leaves)} entries, under its "
                f"checkpoint of size {note.size}, signed by the authority key")
        for i, b in enumerate(leaves):
            e, why = decode_entry(b)
            if why:
                raise Reject(f"entry {i}: {why}")
            if e["kind"] != 6:
                raise Reject(f"entry {i}: kind {e['kind']}, not ENTRY_KIND_CHARTER")
            try:
                v = check_amendment(ch, e["charter"], e["author_time_ms"])
            except Reject as ex:
                raise Reject(f"entry {i} (version {e['charter']['version']}): {ex}")
            ch.versions.append(v)
            self.ok(f"charter/amendments.pb entry {i}: version {v.version}, takes effect "
                    f"{ms_time(v.takes_effect_ms)}, replaces the previous version; passes §8.1")
        return True

    # ---------------------------------------------------------------- step 4
    def step4_feeds(self):
        for path in sorted(p for p in self.order if p.startswith("feeds/")):
            self.guarded(path, self.check_feed, path)

    def check_feed(self, path):
        ch = self.chain
        m = re.fullmatch(r"feeds/([^/]+)/([^/]+)\.json", path)
        if not m or not ID_RE.match(m.group(1)) or not ID_RE.match(m.group(2)):
            raise Reject("not feeds/<group>/<author>.json")
        group, author = m.groups()
        if group == "charter":
            # §11 step 4: the amendments travel in charter/amendments.pb, never as a feed.
            raise Reject("the authority feed is never a feed of a dossier")
        elif not ch.has_group(group):
            raise Reject(f"{group} is a group of no version of the chain")
        try:
            doc = parse_json_bytes(self.files[path])
        except ValueError as e:
            raise Reject(f"not a JSON document as §10 writes them: {e}")
        if not isinstance(doc, dict):
            raise Reject("not a JSON object")
        origin = ch.origin(group, author)
        if doc.get("origin") != origin:
            raise Reject(f"origin {printable(doc.get('origin'))} is not {origin}")
        cps = doc.get("checkpoints")
        if not isinstance(cps, list) or not cps:
            raise Reject("checkpoints is not a non-empty array")
        if not ch.author_keys(author, group):
            raise Reject(f"{author} has no key in any version of the chain")
        parsed = []
        for j, c in enumerate(cps):
            if not isinstance(c, dict):
                raise Reject(f"checkpoints[{j}] is not an object")
            try:
                note, signer, times = check_checkpoint_note(c.get("checkpoint"), origin, group,
                                                            author, ch)
            except Reject as e:
                raise Reject(f"checkpoints[{j}].checkpoint: {e}")
            if parsed and note.size <= parsed[-1][1].size:
                raise Reject(f"checkpoints[{j}]: size {note.size} after size "
                             f"{parsed[-1][1].size} (not strictly ascending)")
            parsed.append((c, note, signer, times))
        last = parsed[-1][1]
        for j, (c, note, signer, times) in enumerate(parsed):
            cons = c.get("consistency")
            if j == len(parsed) - 1 or note.size == 0:
                if cons not in (None, []):
                    raise Reject(f"checkpoints[{j}]: carries a consistency proof where there is "
                                 "none (the latest, or size 0)")
                continue
            if not isinstance(cons, list) or any(hex32(h) is None for h in cons):
                raise Reject(f"checkpoints[{j}].consistency is not an array of hex hashes")
            hashes = [bytes.fromhex(h) for h in cons]
            need = consistency_proof_len(note.size, last.size)
            res = roots_from_consistency(note.size, last.size, note.root, hashes)
            if len(hashes) != need or res != (note.root, last.root):
                raise Reject(f"checkpoints[{j}].consistency: does not lead from size {note.size} "
                             f"root {short(note.root)} to the latest, size {last.size} root "
                             f"{short(last.root)} (RFC 9162 §2.1.4.2)")
        feed = FeedInfo(path, group, author)
        for c, note, signer, times in parsed:
            feed.cps.append((note.size, note.root, times))
            feed.by_size[note.size] = (note.root, times)
            cos = ", ".join(f"{n} {rfc3339(t)}" for n, t in sorted(times.items())) or "none"
            self.ok(f"{path}: checkpoint size {note.size} root {short(note.root)}, signed by "
                    f"{author}'s {signer}; cosignatures verified: {cos}")
        self.ok(f"{path}: origin {origin}, {len(parsed)} checkpoint(s), each consistent with the "
                f"latest (size {last.size})")
        self.feeds[(group, author)] = feed
        return True

    # ---------------------------------------------------------------- step 5
    def step5_entries(self):
        for path in sorted(p for p in self.order if p.startswith("entries/")):
            self.guarded(path, self.check_entry_file, path)

    def check_entry_file(self, path):
        ch = self.chain
        m = re.fullmatch(r"entries/([^/]+)/([^/]+)/(0|[1-9][0-9]{0,12})\.json", path)
        if not m or not ID_RE.match(m.group(1)) or not ID_RE.match(m.group(2)) or \
                int(m.group(3)) >= MAX_TREE:
            raise Reject("not entries/<group>/<author>/<index>.json")
        group, author, index = m.group(1), m.group(2), int(m.group(3))
        try:
            doc = parse_json_bytes(self.files[path])
        except ValueError as e:
            raise Reject(f"not a JSON document as §10 writes them: {e}")
        if not isinstance(doc, dict):
            raise Reject("not a JSON object")
        origin = ch.origin(group, author)
        if doc.get("origin") != origin:
            raise Reject(f"origin {printable(doc.get('origin'))} is not {origin}")
        if doc.get("index") != index or not is_int(doc.get("index")):
            raise Reject(f"index {printable(doc.get('index'))} is not the path's {index}")
        if doc.get("reference") != f"{group}/{author}/{index}":
            raise Reject(f"reference {printable(doc.get('reference'))} does not match its path")
        b64 = doc.get("bytes_base64")
        try:
            raw = base64.b64decode(b64, validate=True) if isinstance(b64, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None or base64.b64encode(raw).decode() != b64:
            raise Reject("bytes_base64 is not base64 (RFC 4648 §4, with padding)")
        entry, why = decode_entry(raw)
        if why:
            raise Reject(f"bytes_base64: the entry breaks §2's structural rules: {why}")
        lh = leaf_hash(raw)
        if hex32(doc.get("leaf_hash")) != lh:
            raise Reject(f"leaf_hash {printable(doc.get('leaf_hash'))} is not SHA-256(0x00 || "
                         f"the entry bytes) = {lh.hex()}")
        proof = doc.get("proof")
        if not isinstance(proof, dict):
            raise Reject("proof is not an object")
        size = proof.get("tree_size")
        if not is_int(size) or not index < size <= MAX_TREE:
            raise Reject(f"proof.tree_size {printable(size)} is not a size above the index")
        root = hex32(proof.get("root"))
        if root is None:
            raise Reject("proof.root is not 64 lower-case hex digits")
        hashes = proof.get("hashes")
        if not isinstance(hashes, list) or any(hex32(h) is None for h in hashes):
            raise Reject("proof.hashes is not an array of hex hashes")
        hashes = [bytes.fromhex(h) for h in hashes]
        need = inclusion_path_len(index, size)
        if len(hashes) != need or root_from_inclusion(index, size, lh, hashes) != root:
            raise Reject(f"proof.hashes: the inclusion proof of index {index} in a tree of {size} "
                         f"does not lead to proof.root {short(root)} (RFC 9162 §2.1.3.2)")
        try:
            note, signer, _ = check_checkpoint_note(proof.get("checkpoint"), origin, group,
                                                    author, ch)
        except Reject as e:
            raise Reject(f"proof.checkpoint: {e}")
        if note.size != size or note.root != root:
            raise Reject(f"proof.checkpoint is of size {note.size} root {short(note.root)}, not "
                         f"proof.tree_size {size} and proof.root {short(root)}")
        feed = self.feeds.get((group, author))
        fpath = f"feeds/{group}/{author}.json"
        if feed is None:
            raise Reject(f"its feed's file {fpath} is missing or did not verify")
        listed = feed.by_size.get(size)
        if listed is None or listed[0] != root:
            raise Reject(f"{fpath} lists no checkpoint of size {size} with root {short(root)}")
        ws = ch.witnesses(group, author)
        if ws is None:
            raise Reject(f"not witnessed: the latest version has no group {group}, so no "
                         "witness policy (§8.2)")
        witnesses, quorum = ws
        by = [w for w in witnesses if w in listed[1]]
        if quorum == 0 or len(by) < quorum:
            raise Reject(f"not witnessed: the checkpoint of size {size} is cosigned by "
                         f"{by or 'none'} of the witnesses {witnesses}, quorum {quorum} (§8.2)")
        info = EntryInfo(path, group, author, index, raw, entry)
        self.entries[info.key] = info
        self.ok(f"{path}: {info.kind} {info.ref}, leaf {lh.hex()}, included in the checkpoint of "
                f"size {size} signed by {author}'s {signer}, witnessed by {', '.join(by)} "
                f"(quorum {quorum} of {witnesses})")
        return True

    # ---------------------------------------------------------------- step 6
    def held(self, ref):
        """The entry an EntryReference names (with its leaf hash), or None."""
        k = ref_key(ref)
        info = self.entries.get(k) if k else None
        if info is None or info.leaf != ref["leaf_hash"]:
            return None
        return info

    def named_references(self, info):
        """What step 6 requires an entry's references to find in the dossier."""
        body, kind = info.body, info.kind
        if kind == "decision":
            yield "its proposal", body["proposal"]
            for cv in body["votes"]:
                yield "a listed vote", cv["vote"]
        elif kind == "proposal":
            for r in body["bulletins"]:
                yield "a bulletin it names", r
        elif kind == "acknowledgement":
            yield "what it acknowledges", body["bulletin"]
        elif kind == "bulletin" and body["message_type"] in (2, 3):
            for r in body["references"]:
                yield f"a bulletin its {MESSAGE_TYPES[body['message_type']]} names", r
        elif kind == "referral":
            yield "its decision", body["decision"]

    def step6_completeness(self):
        for s in self.manifest["subjects"]:
            if parse_reference_text(s) not in self.entries:
                self.fail("manifest.json", f"subject {s} is not in the dossier (or its file did "
                                           "not verify)")
            else:
                self.ok(f"completeness: subject {s} is in the dossier")
        for info in sorted(self.entries.values(), key=lambda x: x.path):
            self.guarded(info.path, self.check_completeness, info)

    def check_completeness(self, info):
        """Step 6: what the entry names is in the dossier, with the reference's leaf hash."""
        count = 0
        for what, ref in self.named_references(info):
            count += 1
            if ref is None:
                raise Reject(f"completeness: {what} is absent")
            if self.held(ref) is None:
                k = ref_key(ref)
                there = self.entries.get(k) if k else None
                if there is None:
                    raise Reject(f"completeness: {what}, {ref_text(ref)}, is not in the dossier")
                raise Reject(f"completeness: {what}, {ref_text(ref)}, has leaf hash "
                             f"{ref['leaf_hash'].hex()}, not the held entry's {there.leaf.hex()}")
        if count:
            self.ok(f"completeness: {info.path}: the {count} entr{'y' if count == 1 else 'ies'} "
                    f"its {info.kind} names are in the dossier, with their leaf hashes")
        return True

    # ---------------------------------------------------------------- step 7: time and proofs
    def feed_order(self):
        """The dossier's entries, feed by feed in the path order of the feeds' files (step 4),
        each feed by index."""
        return sorted(self.entries.values(),
                      key=lambda x: (f"feeds/{x.group}/{x.author}.json", x.index))

    def own_witness_ms(self, group, author, index, node):
        """Step 7: the node's earliest verified cosignature on a listed checkpoint of the feed
        that includes the entry, in ms; None when there is none (or only one that stands for
        no time, §2 "Units")."""
        feed = self.feeds.get((group, author))
        best = None
        for size, _, times in (feed.cps if feed else ()):
            ts = times.get(node)
            if size > index and ts is not None and ts <= MAX_TS_S:
                best = ts * 1000 if best is None else min(best, ts * 1000)
        return best

    def witnessed_ms(self, info):
        """When the entry became witnessed under the latest version (§8.2): the time by which
        a quorum of the feed's witnesses had cosigned a listed checkpoint including it."""
        ws = self.chain.witnesses(info.group, info.author)
        if ws is None or ws[1] == 0:
            return None
        times = sorted(t for t in (self.own_witness_ms(info.group, info.author, info.index, w)
                                   for w in ws[0]) if t is not None)
        return times[ws[1] - 1] if len(times) >= ws[1] else None

    def cited_note_proves(self, text, target: EntryInfo, convener):
        """§2 "What a cited note proves": ("proves", ms) | ("nothing", why) | ("pending", why).
        In a dossier the root of a feed at a size is its listed checkpoint's, and the node
        holds the feed up to its latest listed checkpoint (§11 step 7)."""
        ch = self.chain
        if not text:
            return "nothing", "no note"
        origin = ch.origin(target.group, target.author)
        try:
            note = CheckpointNote(text.encode("utf-8"))
        except Reject as e:
            return "nothing", f"not a checkpoint note: {e}"
        if note.origin != origin:
            return "nothing", f"a checkpoint of {printable(note.origin)}, not of {origin}"
        if note.size <= target.index:
            return "nothing", f"size {note.size} does not include index {target.index}"
        try:
            check_author_signature(note, origin, ch.author_keys(target.author, target.group),
                                   target.group)
        except Reject as e:
            return "nothing", f"not signed by its author: {e}"
        wname = ch.witness_name(convener)
        lines = [ln for ln in note.lines
                 if ln.name == wname and ln.cosignature_timestamp() is not None]
        if len(lines) > 1:
            return "nothing", f"two cosignature lines of the convener {convener}"
        if not lines:
            return "nothing", f"no cosignature line of the convener {convener}"
        ln, ts = lines[0], lines[0].cosignature_timestamp()
        key = next((k for k in ch.witness_keys(convener) if key_id(wname, 0x04, k) == ln.kid),
                   None)
        msg = b"cosignature/v1\ntime %d\n" % ts + note.text
        if key is None or not ed25519_ok(key, ln.sig[8:], msg):
            return "nothing", f"the convener {convener}'s cosignature does not verify with its keys"
        if ts > MAX_TS_S:
            return "nothing", f"cosignature timestamp {ts} stands for no time"
        feed = self.feeds.get((target.group, target.author))
        if feed is None or note.size > feed.latest_size:
            return "pending", (f"size {note.size} is beyond what the dossier holds of "
                               f"{target.group}/{target.author}")
        listed = feed.by_size.get(note.size)
        if listed is None:
            return "nothing", f"the dossier lists no checkpoint of size {note.size} (no root)"
        if listed[0] != note.root:
            return "nothing", f"root {short(note.root)} is not the listed root at size {note.size}"
        return "proves", ts * 1000

    # ---------------------------------------------------------------- step 7: proposals
    def judge_proposal(self, info: EntryInfo) -> ProposalView:
        """§2 "proposal", §2 "Deadline bounds" and §8.1 "Proposals"."""
        ch, p, at = self.chain, info.body, info.e["author_time_ms"]
        pv = ProposalView()
        cv = p["charter_version"]
        if cv == 0:
            v = ch.in_force(at)
        else:
            v = ch.by_number(cv)
            if v is None:
                pv.void = f"it names charter version {cv}, which is not in the chain"
                return pv
        pv.version = v
        nxt = ch.next_version(v)
        g = v.groups.get(info.group)
        if g is None:
            pv.void = f"version {v.version} has no group {info.group}"
            return pv
        pv.group, pv.convener = g, g.convener
        pv.voting = g.voting_members()
        pv.d_minutes = g.deliberation
        pv.q = p["quorum_percent"] or g.quorum or 50
        given = POLICY_NAMES.get(p["policy"])
        pv.policy = given or g.policy
        if cv != 0 and nxt is not None:
            pv.needs_w_version = True
            pv.window = (v.takes_effect_ms - FIVE_MINUTES_MS, nxt.takes_effect_ms + FIVE_MINUTES_MS)
        if cv != 0 and not v.takes_effect_ms <= at + FIVE_MINUTES_MS:
            pv.void = (f"version {cv} took effect {ms_time(v.takes_effect_ms)}, more than 5 "
                       f"minutes after the proposal's time {ms_time(at)}")
        elif cv != 0 and nxt is not None and not nxt.takes_effect_ms > at - FIVE_MINUTES_MS:
            pv.void = (f"version {nxt.version} replaced version {cv} at "
                       f"{ms_time(nxt.takes_effect_ms)}, 5 minutes or more before the "
                       f"proposal's time {ms_time(at)}")
        elif info.author not in pv.voting:
            pv.void = f"its author {info.author} is not a national member of {info.group}"
        elif given and not (given == g.policy or (g.policy, given) in
                            (("silence", "consensus"), ("majority", "two-thirds"))):
            pv.void = f"policy {given} is neither the group's ({g.policy}) nor its stricter one"
        elif p["quorum_percent"] and not (g.quorum or 50) <= p["quorum_percent"] <= 100:
            pv.void = (f"quorum_percent {p['quorum_percent']} is not from the group's quorum "
                       f"({g.quorum or 50}) to 100")
        elif not at < p["deadline_ms"]:
            pv.void = f"deadline_ms {p['deadline_ms']} is not after its author_time_ms {at}"
        elif p["deadline_ms"] - at > MAX_SPAN_MS:
            pv.void = "deadline_ms is more than 366 days after its author_time_ms"
        elif p["deadline_ms"] - at < pv.d_minutes * 60_000:
            pv.void = (f"deadline_ms is less than the group's deliberation ({pv.d_minutes} "
                       "minutes) after its author_time_ms")
        return pv

    def votes_on(self, proposal: EntryInfo, pv: ProposalView):
        """Counting rules 1 and 2: the held votes naming the proposal with its leaf hash,
        written in its group, of position endorse/object/abstain, by a voting member."""
        out = []
        for info in self.feed_order():
            if info.kind != "vote" or info.group != proposal.group:
                continue
            body = info.body
            if (self.held(body["proposal"]) is not proposal
                    or body["position"] not in POSITION_NAMES):
                continue
            if info.author in pv.voting:
                out.append(info)
        return out

    def own_counted(self, proposal, pv, c_ms):
        """Counting rules 1-4 at C with the node's own witnessed times: {voter: vote}."""
        counted = {}
        for info in self.votes_on(proposal, pv):
            t = self.own_witness_ms(info.group, info.author, info.index, pv.convener)
            if t is not None and t <= c_ms:
                if info.author not in counted or counted[info.author].index < info.index:
                    counted[info.author] = info
        return counted

    def tally_of(self, pv, votes, closed):
        """votes: [(voter, position)] -> (outcome, rule, E, O, A, closed)."""
        e = sum(1 for _, p in votes if p == 1)
        o = sum(1 for _, p in votes if p == 2)
        a = sum(1 for _, p in votes if p == 3)
        outcome, rule = tally(pv.policy, len(pv.voting), e, o, a, pv.q, closed)
        return outcome, rule, e, o, a, closed

    # ---------------------------------------------------------------- step 7: the decision audit
    def audit_decision(self, dinfo: EntryInfo) -> Audit:
        """§2 "The decision audit", with the dossier as all the node holds."""
        au = Audit()
        d = dinfo.body
        proposal = self.held(d["proposal"])
        if proposal is None or proposal.kind != "proposal":
            au.judged = False
            au.not_judged_why = f"it names no held proposal ({ref_text(d['proposal'])})"
            return au
        au.proposal = proposal
        pv = au.pv = self.judge_proposal(proposal)
        if pv.void:
            au.judged, au.not_judged_why = False, f"the proposal is void by its terms: {pv.void}"
            return au
        p, c = proposal.body, pv.convener
        # W, from the cited note only (never the node's own cosignatures)
        need_w = pv.d_minutes > 0 or pv.needs_w_version
        cited = []
        if need_w:
            cited.append(("proposal_witnessed_checkpoint",
                          self.cited_note_proves(d["proposal_witnessed_checkpoint"], proposal, c)))
        listed = []
        for i, cv in enumerate(d["votes"]):
            vote = self.held(cv["vote"])
            proof = (self.cited_note_proves(cv["witnessed_checkpoint"], vote, c)
                     if vote is not None else ("nothing", "no held vote"))
            listed.append((cv, vote, proof))
            cited.append((f"votes[{i}].witnessed_checkpoint", proof))
        pending = [(what, why) for what, (state, why) in cited if state == "pending"]
        if pending:
            au.judged = False
            au.not_judged_why = f"its {pending[0][0]} is pending: {pending[0][1]}"
            return au
        if need_w:
            state, val = cited[0][1]
            au.w = val if state == "proves" else None
            if au.w is not None and pv.needs_w_version and not pv.window[0] <= au.w <= pv.window[1]:
                au.findings.append((0, f"no one decides a void proposal: W {ms_time(au.w)} is not "
                                       f"within 5 minutes of version {pv.version.version}'s time "
                                       "in force (§8.1)"))
                return au
        t = effective_deadline(p["deadline_ms"], pv.d_minutes, au.w)
        if t is None:
            t = p["deadline_ms"]                  # "T = deadline_ms and finding 1 applies"
        au.t = t
        closed_ms = d["closed_ms"]
        cc = au.c = min(max(closed_ms, 0), t)
        f = au.findings
        if need_w and au.w is None:
            f.append((1, "proposal_witnessed_checkpoint does not prove W: " + cited[0][1][1]))
        if dinfo.author != c:
            f.append((2, f"its author {dinfo.author} is not the group's convener {c}"))
        if dinfo.group != proposal.group:
            f.append((3, f"written in {dinfo.group}, not the proposal's group {proposal.group}"))
        if closed_ms <= 0 or closed_ms > t:
            f.append((4, f"closed_ms {ms_time(closed_ms)} is not in 1..T ({ms_time(t)})"))
        if closed_ms > dinfo.e["author_time_ms"]:
            f.append((5, f"closed_ms {ms_time(closed_ms)} is after its author_time_ms"))
        listed_voters = {}
        for cv, vote, (state, val) in listed:
            ref = cv["vote"]
            voter = ref["author"] if ref else None
            where = f"listed vote {ref_text(ref)}"
            if (vote is None or vote.kind != "vote" or vote.group != proposal.group
                    or self.held(vote.body["proposal"]) is not proposal
                    or vote.body["position"] not in POSITION_NAMES):
                f.append((6, f"{where} is not a held vote on the proposal (counting rule 1)"))
            elif vote.author not in pv.voting:
                f.append((7, f"{where}: {vote.author} is not a voting member"))
            elif cv["position"] != vote.body["position"]:
                f.append((8, f"{where}: position {cv['position']} is not the vote's own "
                             f"({POSITION_NAMES[vote.body['position']]})"))
            else:
                wt = val if state == "proves" else \
                    self.own_witness_ms(vote.group, vote.author, vote.index, c)
                if wt is None:
                    f.append((9, f"{where} has no witnessed time ({val}; and no cosignature of "
                                 f"{c} on a listed checkpoint including it)"))
                elif wt > cc:
                    f.append((10, f"{where} witnessed {ms_time(wt)}, after C {ms_time(cc)}"))
                elif voter in listed_voters:
                    f.append((11, f"{where}: {voter} has more than one listed vote"))
                else:
                    au.accepted.append((voter, vote, cv["position"], wt))
            if voter is not None:
                listed_voters.setdefault(voter, []).append(ref["index"])
        own = self.own_counted(proposal, pv, cc)
        for m in pv.voting:
            if m in own and m not in listed_voters:
                f.append((12, f"leaves out {m}'s vote {own[m].ref} "
                              f"({POSITION_NAMES[own[m].body['position']]}), witnessed by C"))
            elif m in own and any(i < own[m].index for i in listed_voters[m]):
                f.append((13, f"lists a vote of {m} at a lower index than {own[m].ref}, which "
                              "counts"))
        votes = [(v, pos) for v, _, pos, _ in au.accepted]
        if cc < t and self.tally_of(pv, votes, False)[0] is None:
            f.append((14, f"closed early (C {ms_time(cc)} < T {ms_time(t)}) on votes that do not "
                          "settle the outcome"))
        else:
            au.tally = self.tally_of(pv, votes, cc >= t)
            if au.tally[0] != d["outcome"]:
                f.append((15, f"the tally gives {OUTCOME_NAMES[au.tally[0]]}, the decision "
                              f"records {OUTCOME_NAMES.get(d['outcome'], d['outcome'])}"))
        return au

    def audit_of(self, dinfo: EntryInfo) -> Audit:
        """A node judges each decision once and keeps the verdict (§2)."""
        if dinfo.key not in self.audits:
            self.audits[dinfo.key] = self.audit_decision(dinfo)
        return self.audits[dinfo.key]

    # ---------------------------------------------------------------- step 7: referrals
    def check_referral(self, rinfo: EntryInfo, counted_decisions: set):
        """§2 "referral": raises Reject naming the first rule it breaks."""
        r = rinfo.body
        dinfo = self.held(r["decision"])
        if dinfo is None or dinfo.kind != "decision":
            raise Reject(f"its decision {ref_text(r['decision'])} names no held decision")
        au = self.audit_of(dinfo)
        proposal = au.proposal
        if proposal is None or proposal.body["action"] != ACTION_REFERRAL_TO_UN:
            raise Reject(f"the decision {dinfo.ref} is not on a proposal of action referral-to-un")
        if not au.holds:
            raise Reject(f"the decision {dinfo.ref} does not hold")
        if dinfo.body["outcome"] != ADOPTED:
            raise Reject(f"the decision {dinfo.ref} does not adopt the proposal")
        g = au.pv.group
        if rinfo.author != g.convener:
            raise Reject(f"its author {rinfo.author} is not {g.id}'s convener {g.convener}")
        rgroup = g.referral_group or g.id
        if rinfo.group != rgroup:
            raise Reject(f"written in {rinfo.group}, not {g.id}'s referral group {rgroup}")
        if list(r["observers"]) != g.referral_observers:
            raise Reject(f"observers {r['observers']} are not {g.id}'s referral-observers "
                         f"{g.referral_observers}")
        if dinfo.key in counted_decisions:
            raise Reject(f"not the first referral of {dinfo.ref} (of the referrals of one "
                         "decision, the first counts)")
        if not self.follow_referrals:
            self.ok(f"{rinfo.path}: its dossier is not followed (a referral inside a referral's "
                    "dossier)")
            return True
        sub = DossierReport(collect=True)
        inner = DossierVerifier(r["dossier"], sub, follow_referrals=False)
        holds = inner.run()
        for line in sub.lines:
            if line.startswith("OK "):
                self.ok(f"{rinfo.path} dossier: {line[3:]}")
        if not holds:
            raise Reject(f"its dossier does not verify: first failing element "
                         f"{printable(sub.first, 200)}: {sub.first_why}")
        if dinfo.ref not in inner.manifest["subjects"]:
            raise Reject(f"its dossier's manifest does not name {dinfo.ref} among its subjects")
        # Not in §11's words (see the report of gaps): the dossier must be of this network and
        # hold the very decision the referral names, not another entry at that position.
        if inner.chain.network_id != self.chain.network_id:
            raise Reject(f"its dossier is of network {inner.chain.network_id.hex()}, not this one")
        # §2 "referral": a dossier's charter is checked against the certificate it carries;
        # only the outer chain's authority and versions make it this network's.
        if inner.chain.authority_pub != self.chain.authority_pub:
            raise Reject("its dossier's charter is signed by another authority than this network's")
        held = {v.sha256 for v in self.chain.versions}
        for v in inner.chain.versions:
            if v.sha256 not in held:
                raise Reject(f"its dossier names charter version {v.version}, which is not one of "
                             "this dossier's")
        if inner.entries[dinfo.key].leaf != dinfo.leaf:
            raise Reject(f"its dossier's {dinfo.ref} has another leaf hash than the decision "
                         "the referral names")
        counted_decisions.add(dinfo.key)
        return True

    def check_referral_of_anyone(self, rinfo: EntryInfo, counted_decisions: set):
        """§11 step 7: only the convener's referral of a decision not yet referred MUST
        count; any other one that does not is shown, as a decision by someone else is, and
        does not fail the dossier. Returns True when it counts, False when it is shown."""
        try:
            return self.check_referral(rinfo, counted_decisions)
        except Reject as e:
            dinfo = self.held(rinfo.body["decision"])
            convener = None
            if dinfo is not None and dinfo.kind == "decision":
                try:
                    convener = self.audit_of(dinfo).pv.group.convener
                except Exception:               # noqa: BLE001 - no group: nobody's referral
                    convener = None
            if rinfo.author == convener and (dinfo is None or dinfo.key not in counted_decisions):
                raise
            self.ok(f"{rinfo.path}: a referral that does not count ({e}); it refers nothing")
            return False

    # ---------------------------------------------------------------- step 7
    def step7_consultation(self):
        counted_decisions = set()
        for info in self.feed_order():
            if info.kind == "decision":
                self.guarded(info.path, self.check_decision, info)
            elif info.kind == "referral":
                counts = self.guarded(info.path, self.check_referral_of_anyone, info,
                                      counted_decisions)
                self.referral_verdicts[info.key] = counts is True
                if counts is True:
                    self.ok(f"{info.path}: the referral counts (§2): by the convener, in the "
                            "referral group, to the charter's observers; its dossier verifies "
                            "and names the decision")

    def check_decision(self, info):
        """Each decision written by its group's convener MUST hold; one by anyone else is
        shown flagged (§11 step 7)."""
        proposal = self.held(info.body["proposal"])
        if proposal is None or proposal.kind != "proposal":
            raise Reject(f"it names no held proposal ({ref_text(info.body['proposal'])}), so it "
                         "cannot hold")
        au = self.audit_of(info)
        convener = self.judge_proposal(proposal).convener
        if au.holds:
            self.ok(f"{info.path}: the decision holds (the audit finds nothing); "
                    + self.tally_text(au))
        elif info.author == convener:
            raise Reject(f"the convener's decision does not hold: {self.decision_verdict(au)}")
        else:
            self.ok(f"{info.path}: a decision by {info.author}, not the convener "
                    f"{convener or '(unknown: the proposal names no version of the chain)'}: "
                    f"{self.decision_verdict(au)}; it decides nothing")
        return True

    def decision_verdict(self, au: Audit) -> str:
        if not au.judged:
            return f"not judged: {au.not_judged_why}"
        if not au.findings:
            return "holds"
        return "flagged: " + "; ".join(f"finding {n}: {t}" if n else t for n, t in au.findings)

    def tally_text(self, au: Audit) -> str:
        outcome, rule, e, o, a, closed = au.tally
        pv = au.pv
        return (f"tally under version {pv.version.version}: policy {pv.policy}"
                + (f" (quorum {pv.q}%)" if pv.policy == "consensus" else "")
                + f", N = {len(pv.voting)} ({', '.join(pv.voting)}), E = {e}, O = {o}, A = {a}, "
                f"{'closed' if closed else 'not closed'} at C {ms_time(au.c)} (T {ms_time(au.t)}): "
                f"{OUTCOME_NAMES[outcome]} by {rule}")

    # ---------------------------------------------------------------- the story (§11 "The report")
    def bulletin_verdict(self, info, cancelled):
        """§2 "bulletin", under the version in force at its author_time_ms (§8.1)."""
        b, at = info.body, info.e["author_time_ms"]
        v = self.chain.in_force(at)
        g = v.groups.get(info.group)
        if g is None or (info.author not in g.members and info.author != g.convener):
            return f"not counted: {info.author} may not see {info.group} under version {v.version}"
        mt = b["message_type"]
        if mt not in MESSAGE_TYPES:
            return f"not counted: message_type {mt} is not alert, update or cancel"
        if mt in (2, 3):
            targets = []
            for r in b["references"]:
                if r["group"] != info.group or r["author"] != info.author:
                    return f"refused: it names {ref_text(r)}, a bulletin of another author or group"
                t = self.held(r)
                if t is None or t.kind != "bulletin":
                    return f"not counted: {ref_text(r)} is no held bulletin"
                targets.append(t.key)
            if not targets:
                return f"not counted: an {MESSAGE_TYPES[mt]} naming no bulletin"
            if mt == 2 and any(k in cancelled for k in targets):
                return "ignored: an update after a cancel"
            if mt == 3:
                cancelled.update(targets)
        for name, lo, hi in (("status", 1, 3), ("urgency", 1, 5), ("severity", 1, 5),
                             ("certainty", 1, 5)):
            if not lo <= b[name] <= hi:
                return f"not counted: {name} {b[name]} is not a CAP 1.2 value"
        for rf in b["risk_factors"]:
            if not 1 <= rf["factor"] <= 14:
                return f"not counted: risk factor {rf['factor']} is not 1-14"
            for ind in rf["indicators"]:
                if not re.fullmatch(rf"{rf['factor']}\.[1-9][0-9]*", ind):
                    return f"not counted: indicator {printable(ind, 20)} is not {rf['factor']}.<n>"
        return "counts"

    def acknowledgement_verdict(self, info, seen):
        a = info.body
        t = self.held(a["bulletin"])
        if t is None:
            return None, f"not counted: {ref_text(a['bulletin'])} names nothing held"
        if t.group != info.group:
            return t, "not counted: not of the same group"
        if t.kind == "referral":
            if info.author not in t.body["observers"]:
                return t, "not counted: a referral not addressed to its author"
        elif t.kind != "bulletin":
            return t, f"not counted: names a {t.kind}"
        if a["level"] not in LEVEL_NAMES:
            return t, f"not counted: level {a['level']}"
        k = (info.author, t.key, a["level"])
        if k in seen:
            return t, f"not counted: not {info.author}'s first {LEVEL_NAMES[a['level']]}"
        seen.add(k)
        return t, "counts"

    def when(self, ms):
        return ms_time(ms) if ms is not None else "not witnessed"

    def tell_story(self):
        try:
            self._tell_story()
        except Exception as e:                  # noqa: BLE001 - the story never fails a dossier
            self.ok(f"story: could not be told further ({type(e).__name__}: {printable(str(e))})")

    def _tell_story(self):
        ch, say = self.chain, (lambda s: self.ok("story: " + s))
        say(f"network {printable(ch.latest.network)}, id {ch.network_id.hex()}; authority "
            f"certificate SHA-256 {self.cert_sha}")
        for v in ch.versions:
            say(f"charter version {v.version}, in force from {ms_time(v.takes_effect_ms)}, "
                f"SHA-256 {v.sha256.hex()}")
        order = self.feed_order()
        cancelled = set()
        for info in (x for x in order if x.kind == "bulletin"):
            b = info.body
            verdict = self.bulletin_verdict(info, cancelled)
            say(f"bulletin {info.ref} ({MESSAGE_TYPES.get(b['message_type'], '?')}) by "
                f"{info.author}: {printable(b['headline'])}; state "
                f"{printable((b['situation'] or {}).get('country', ''), 8) or '-'}, severity "
                f"{SEVERITY_NAMES.get(b['severity'], b['severity'])}; written "
                f"{ms_time(info.e['author_time_ms'])}, witnessed "
                f"{self.when(self.witnessed_ms(info))}"
                f" — {verdict}")
        seen = set()
        for info in (x for x in order if x.kind == "acknowledgement"):
            t, verdict = self.acknowledgement_verdict(info, seen)
            say(f"receipt {info.ref}: {info.author} "
                f"{LEVEL_NAMES.get(info.body['level'], info.body['level'])} "
                f"{t.kind + ' ' + t.ref if t else ref_text(info.body['bulletin'])} at "
                f"{ms_time(info.e['author_time_ms'])}, witnessed "
                f"{self.when(self.witnessed_ms(info))} — {verdict}")
        for info in (x for x in order if x.kind == "proposal"):
            self.tell_proposal(info, order, say)
        for info in (x for x in order if x.kind == "referral"):
            r = info.body
            say(f"referral {info.ref} by {info.author} of decision {ref_text(r['decision'])} to "
                f"{', '.join(r['observers']) or 'no observer'} ({len(r['dossier'])}-byte dossier),"
                f" witnessed {self.when(self.witnessed_ms(info))} — "
                + ("counts" if self.referral_verdicts.get(info.key) else "does not count"))

    def tell_proposal(self, info, order, say):
        p, pv = info.body, self.judge_proposal(info)
        decisions = [x for x in order
                     if x.kind == "decision" and self.held(x.body["proposal"]) is info]
        closing = next((x for x in decisions if self.audits.get(x.key) and
                        self.audits[x.key].holds), None)
        au = self.audits[closing.key] if closing else None
        w = au.w if au and au.w is not None else (
            self.own_witness_ms(info.group, info.author, info.index, pv.convener)
            if pv.convener else None)
        t = au.t if au else (effective_deadline(p["deadline_ms"], pv.d_minutes, w)
                             if pv.group else None)
        say(f"proposal {info.ref} by {info.author}: {printable(p['title'])}; action "
            f"{ACTION_NAMES.get(p['action'], p['action'])}, policy {pv.policy or '-'}, deadline "
            f"{ms_time(p['deadline_ms'])}, charter version {p['charter_version']} (judged under "
            f"{pv.version.version if pv.version else '-'}); the convener {pv.convener or '-'} "
            f"witnessed it {self.when(w)}; effective deadline T "
            f"{ms_time(t) if t is not None else 'undefined'} — "
            + (f"void: {pv.void}" if pv.void else "valid"))
        if pv.void:
            return
        accepted = {v.key for _, v, _, _ in au.accepted} if au else None
        member_view = None
        if au is None and t is not None:
            member_view = self.own_counted(info, pv, t)
        for v in (x for x in order if x.kind == "vote" and self.held(x.body["proposal"]) is info):
            wt = self.own_witness_ms(v.group, v.author, v.index, pv.convener)
            if au is not None:
                verdict = "counted" if v.key in accepted else "not counted by the decision"
            elif member_view is not None:
                verdict = ("counted (member's view at T)" if member_view.get(v.author) is v
                           else "not counted (member's view at T)")
            else:
                verdict = "the proposal has no deadline yet"
            say(f"vote {v.ref} by {v.author}: "
                f"{POSITION_NAMES.get(v.body['position'], v.body['position'])}, "
                f"{printable(v.body['statement'])}; the convener witnessed it {self.when(wt)} — "
                f"{verdict}")
        if au is not None:
            say(f"tally of {info.ref}: " + self.tally_text(au))
        elif member_view is not None:
            votes = [(m, x.body["position"]) for m, x in member_view.items()]
            outcome, rule, e, o, a, _ = self.tally_of(pv, votes, False)
            say(f"tally of {info.ref} (no decision that holds; member's view at T, not closed): "
                f"policy {pv.policy}, N = {len(pv.voting)}, E = {e}, O = {o}, A = {a}: "
                + (f"settled {OUTCOME_NAMES[outcome]}" if outcome else "open"))
        for d in decisions:
            a = self.audits.get(d.key)
            say(f"decision {d.ref} by {d.author}: "
                f"{OUTCOME_NAMES.get(d.body['outcome'], d.body['outcome'])}, closed "
                f"{ms_time(d.body['closed_ms'])}, written {ms_time(d.e['author_time_ms'])}, "
                f"witnessed {self.when(self.witnessed_ms(d))} — "
                + (self.decision_verdict(a) if a else "not audited"))


def dossier_main(argv) -> int:
    usage = "usage: tocsin_verify.py dossier FILE.tar"
    if argv and argv[0] in ("-h", "--help"):
        print(usage + "\n\nVerifies a Tocsin dossier (PROTOCOL.md §11) offline.")
        return 0
    if len(argv) != 1:
        print(usage, file=sys.stderr)
        return 2
    try:
        with open(argv[0], "rb") as f:
            data = f.read(MAX_DOSSIER + 1)
    except OSError as e:
        print(f"tocsin_verify: cannot read {argv[0]}: {e}", file=sys.stderr)
        return 2
    rep = DossierReport()
    verify_dossier_bytes(data, rep)
    if rep.first is not None:
        print(f"FIRST FAILING ELEMENT: {printable(rep.first, 200)}")
        return 1
    print("DOSSIER VERIFIED")
    return 0


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
        if len(sys.argv) > 1 and sys.argv[1] == "dossier":
            sys.exit(dossier_main(sys.argv[2:]))
        sys.exit(main())
    except BrokenPipeError:
        os._exit(1)
