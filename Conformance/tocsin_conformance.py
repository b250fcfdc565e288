#!/usr/bin/env python3
"""Tocsin protocol conformance kit (protocol version 1).

Written from Docs/PROTOCOL.md and Docs/protocol/tocsin.proto alone. It plays one member of a
Tocsin network (its key and certificate), speaks the peer protocol (TLS 1.3, 4-byte length
prefixed protobuf frames) to a node under test, and runs named cases against it.

Python 3.11 standard library plus the `cryptography` package only. The protobuf wire format
is encoded and decoded by hand.

Usage:
  python3 tocsin_conformance.py --network DIR --node ID --address HOST:PORT --as MEMBER
      [--other MEMBER] [--listen HOST:PORT] [--cases NAME,...] [--list]
      [--ca FILE] [--charter FILE] [--charter-signature FILE]

See Docs/CONFORMANCE.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import os
import re
import secrets
import socket
import ssl
import struct
import sys
import threading
import time
import tomllib
import traceback

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAX_FRAME = 16 * 1024 * 1024          # §9 Frames: 16 MiB (the 4-byte prefix not counted: a guess)
MAX_ENTRY = 262_144                   # §2 rule 1
MAX_BATCH_ENTRIES = 10_000            # §6
MAX_BATCH_BYTES = 8 * 1024 * 1024     # §6
MAX_NOTE = 65_536                     # §4
MAX_NOTE_LINES = 512                  # §4
MAX_TREE = 1 << 40                    # §4
ANSWER_ENTRIES = 1_000                # §9 Want/Entries: per message when stored sizes allow
ANSWERS_PER_WANT = 16                 # §9
CLOCK_SKEW = 300                      # §9 rule 6 default max-clock-skew-seconds
EM_DASH = "\u2014"

ERROR_NAMES = {0: "UNSPECIFIED", 1: "MALFORMED", 2: "TOO_LARGE", 3: "OUT_OF_ORDER",
               4: "WRONG_NETWORK", 5: "NOT_PERMITTED", 6: "UNVERIFIABLE",
               7: "PROTOCOL_VERSION", 8: "OVERLOADED"}
MALFORMED, TOO_LARGE, OUT_OF_ORDER, WRONG_NETWORK = 1, 2, 3, 4
NOT_PERMITTED, UNVERIFIABLE, PROTOCOL_VERSION, OVERLOADED = 5, 6, 7, 8

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


# ======================================================================= outcomes

class Fail(Exception):
    pass


class Skip(Exception):
    pass


def ename(code):
    if isinstance(code, tuple):
        return " or ".join(ename(c) for c in code)
    return ERROR_NAMES.get(code, str(code))


# ======================================================================= protobuf wire format

class DecodeError(Exception):
    pass


def uvarint(n: int) -> bytes:
    if n < 0:
        n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(buf: bytes, i: int):
    shift = 0
    result = 0
    while True:
        if i >= len(buf):
            raise DecodeError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
        if shift >= 70:
            raise DecodeError("varint longer than 10 bytes")
    if result >= 1 << 64:
        raise DecodeError("varint over 64 bits")
    return result, i


def parse_fields(buf: bytes):
    """[(field number, wire type, value)]; value: int (varint), bytes (others)."""
    fields = []
    i = 0
    n = len(buf)
    while i < n:
        key, i = read_varint(buf, i)
        fn, wt = key >> 3, key & 7
        if fn == 0:
            raise DecodeError("field number 0")
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 1:
            if i + 8 > n:
                raise DecodeError("truncated fixed64")
            v = buf[i:i + 8]
            i += 8
        elif wt == 2:
            ln, i = read_varint(buf, i)
            if i + ln > n:
                raise DecodeError("truncated length-delimited field")
            v = bytes(buf[i:i + ln])
            i += ln
        elif wt == 5:
            if i + 4 > n:
                raise DecodeError("truncated fixed32")
            v = buf[i:i + 4]
            i += 4
        else:
            raise DecodeError(f"unsupported wire type {wt}")
        fields.append((fn, wt, v))
    return fields


def fv(fn: int, v: int, keep_zero=False) -> bytes:
    if v == 0 and not keep_zero:
        return b""
    return uvarint(fn << 3) + uvarint(v)


def fb(fn: int, v, keep_empty=True) -> bytes:
    if isinstance(v, str):
        v = v.encode()
    if not v and not keep_empty:
        return b""
    return uvarint((fn << 3) | 2) + uvarint(len(v)) + v


def as_int64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


# ----------------------------------------------------------------------- Message (tocsin.v1)

BODY_NAMES = {1: "hello", 2: "heads", 3: "want", 4: "entries", 5: "checkpoint",
              6: "cosignature", 7: "fork_proof", 8: "error", 9: "ping", 10: "pong"}


class Msg:
    def __init__(self, kind, **kw):
        self.kind = kind
        self.__dict__.update(kw)

    def __repr__(self):
        if self.kind == "error":
            return f"Error({ename(self.code)}: {self.message!r})"
        if self.kind in ("checkpoint", "cosignature"):
            return f"Head-as-{self.kind}({self.origin})"
        if self.kind == "want":
            return f"Want({self.origin} [{self.frm},{self.to}))"
        if self.kind == "entries":
            return f"Entries({self.origin} @{self.first_index} n={len(self.entries)})"
        return self.kind


def _str(v, what):
    if not isinstance(v, bytes):
        raise DecodeError(f"{what}: wrong wire type")
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError:
        raise DecodeError(f"{what}: not UTF-8")


def _int(v, what):
    if not isinstance(v, int):
        raise DecodeError(f"{what}: wrong wire type")
    return v


def decode_head(b):
    origin, note = "", b""
    for fn, wt, v in parse_fields(b):
        if fn == 1:
            origin = _str(v, "Head.origin")
        elif fn == 2:
            if wt != 2:
                raise DecodeError("Head.checkpoint: wrong wire type")
            note = v
    return origin, note


def decode_message(frame: bytes) -> Msg:
    body = None
    for fn, wt, v in parse_fields(frame):
        if 1 <= fn <= 10:
            if wt != 2:
                raise DecodeError(f"body field {fn} with wire type {wt}")
            body = (fn, v)
    if body is None:
        return Msg("none")
    fn, b = body
    kind = BODY_NAMES[fn]
    f = parse_fields(b)
    if kind == "hello":
        m = Msg(kind, protocol_version=0, network_id=b"", node_id="", charter_version=0)
        for n, wt, v in f:
            if n == 1:
                m.protocol_version = _int(v, "Hello.protocol_version")
            elif n == 2:
                m.network_id = v
            elif n == 3:
                m.node_id = _str(v, "Hello.node_id")
            elif n == 4:
                m.charter_version = _int(v, "Hello.charter_version")
        return m
    if kind == "heads":
        heads = []
        for n, wt, v in f:
            if n == 1:
                if wt != 2:
                    raise DecodeError("Heads.heads: wrong wire type")
                heads.append(decode_head(v))
        return Msg(kind, heads=heads)
    if kind == "want":
        m = Msg(kind, origin="", frm=0, to=0)
        for n, wt, v in f:
            if n == 1:
                m.origin = _str(v, "Want.origin")
            elif n == 2:
                m.frm = _int(v, "Want.from")
            elif n == 3:
                m.to = _int(v, "Want.to")
        return m
    if kind == "entries":
        m = Msg(kind, origin="", first_index=0, entries=[], checkpoint=b"", base=[])
        for n, wt, v in f:
            if n == 1:
                m.origin = _str(v, "Entries.origin")
            elif n == 2:
                m.first_index = _int(v, "Entries.first_index")
            elif n == 3:
                m.entries.append(v)
            elif n == 4:
                m.checkpoint = v
            elif n == 5:
                m.base.append(v)
        return m
    if kind in ("checkpoint", "cosignature"):
        origin, note = decode_head(b)
        return Msg(kind, origin=origin, note=note)
    if kind == "fork_proof":
        m = Msg(kind, first=b"", second=b"", prefix_root=b"", proof=[])
        for n, wt, v in f:
            if n == 1:
                m.first = v
            elif n == 2:
                m.second = v
            elif n == 3:
                m.prefix_root = v
            elif n == 4:
                m.proof.append(v)
        return m
    if kind == "error":
        m = Msg(kind, code=0, message="")
        for n, wt, v in f:
            if n == 1:
                m.code = _int(v, "Error.code")
            elif n == 2:
                m.message = _str(v, "Error.message")
        return m
    m = Msg(kind, nonce=0)
    for n, wt, v in f:
        if n == 1:
            m.nonce = _int(v, "Ping.nonce")
    return m


def m_hello(network_id, node_id, charter_version, version=1, extra=b""):
    body = fv(1, version) + fb(2, network_id) + fb(3, node_id) + fv(4, charter_version) + extra
    return fb(1, body)


def head_body(origin, note):
    return fb(1, origin) + fb(2, note)


def m_heads(heads):
    return fb(2, b"".join(fb(1, head_body(o, n)) for o, n in heads))


def m_want(origin, frm, to):
    return fb(3, fb(1, origin) + fv(2, frm) + fv(3, to))


def m_entries(origin, first, entries, checkpoint, base=()):
    body = fb(1, origin) + fv(2, first) + b"".join(fb(3, e) for e in entries) + fb(4, checkpoint)
    body += b"".join(fb(5, h) for h in base)
    return fb(4, body)


def m_head(origin, note, as_cosignature=False):
    return fb(6 if as_cosignature else 5, head_body(origin, note))


def m_fork_proof(first, second, prefix_root=b"", proof=()):
    body = fb(1, first) + fb(2, second) + fb(3, prefix_root, keep_empty=False)
    body += b"".join(fb(4, p) for p in proof)
    return fb(7, body)


def m_error(code, message):
    return fb(8, fv(1, code) + fb(2, message))


def m_ping(nonce):
    return fb(9, fv(1, nonce))


def m_pong(nonce):
    return fb(10, fv(1, nonce))


def frame(msg: bytes) -> bytes:
    return struct.pack(">I", len(msg)) + msg


# ----------------------------------------------------------------------- entries (§2)

def make_bulletin(country: str, headline: str, description: str = "", t_ms=None,
                  kind=1) -> bytes:
    if t_ms is None:
        t_ms = int(time.time() * 1000)
    situation = fb(1, country)
    bulletin = (fv(1, 1)                 # message_type ALERT
                + fv(2, 3)               # status TEST
                + fb(4, situation)
                + fb(5, headline)
                + fb(6, description, keep_empty=False)
                + fv(7, 3)               # urgency FUTURE
                + fv(8, 4)               # severity MINOR
                + fv(9, 3)               # certainty POSSIBLE
                + fb(13, "en"))
    return fv(1, kind) + fv(2, t_ms) + fb(10, bulletin)


def bulletin_of_size(country, headline, size) -> bytes:
    """A valid bulletin entry of exactly `size` bytes (description padded)."""
    t = int(time.time() * 1000)
    pad = size
    for _ in range(8):
        e = make_bulletin(country, headline, "x" * max(pad, 1), t_ms=t)
        diff = len(e) - size
        if diff == 0:
            return e
        pad -= diff
    raise RuntimeError("could not size entry")


def check_entry(b: bytes):
    """§2 structural rules; returns None or the reason the entry breaks them."""
    if len(b) > MAX_ENTRY:
        return f"entry of {len(b)} bytes (over 256 KiB)"
    try:
        fields = parse_fields(b)
    except DecodeError as e:
        return f"entry does not decode: {e}"
    kind, t, payloads = 0, 0, set()
    for fn, wt, v in fields:
        if fn == 1:
            if wt != 0:
                return "kind with wrong wire type"
            kind = v
        elif fn == 2:
            if wt != 0:
                return "author_time_ms with wrong wire type"
            t = as_int64(v)
        elif 10 <= fn <= 15:
            if wt != 2:
                return "payload with wrong wire type"
            try:
                parse_fields(v)
            except DecodeError as e:
                return f"payload does not decode: {e}"
            payloads.add(fn)
    if kind == 0:
        return "kind ENTRY_KIND_UNSPECIFIED"
    if t < 0:
        return "author_time_ms < 0"
    if 1 <= kind <= 6 and (9 + kind) not in payloads:
        return f"kind {kind} without its payload"
    return None


# ======================================================================= Merkle (§3)

def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def mth(leaves) -> bytes:
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def _selftest_merkle():
    leaves = [bytes.fromhex(x) for x in ("", "00", "10", "2021", "3031", "40414243",
                                           "5051525354555657",
                                           "606162636465666768696a6b6c6d6e6f")]
    root = mth([leaf_hash(x) for x in leaves]).hex()
    assert root == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", root


_selftest_merkle()


# ======================================================================= signed notes (§4, §5)

def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def key_id(name: str, typ: int, pub: bytes) -> bytes:
    return sha256(name.encode() + b"\n" + bytes([typ]) + pub)[:4]


def raw_pub(key) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class NoteError(Exception):
    pass


class SigLine:
    def __init__(self, name, kid, sig, raw):
        self.name, self.kid, self.sig, self.raw = name, kid, sig, raw


class Note:
    """A parsed signed note whose text is a tlog checkpoint."""

    def __init__(self, data: bytes):
        self.data = data
        if len(data) > MAX_NOTE:
            raise NoteError(f"note of {len(data)} bytes (over 64 KiB)")
        try:
            s = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("note is not UTF-8")
        for ch in s:
            if (ord(ch) < 0x20 and ch != "\n") or ord(ch) == 0x7F:
                raise NoteError("control character in note")
        idx = s.rfind("\n\n")
        if idx < 0:
            raise NoteError("no empty line before signatures")
        text = s[:idx + 1]
        sigpart = s[idx + 2:]
        if not sigpart.endswith("\n"):
            raise NoteError("signature block does not end with newline")
        self.text = text.encode()
        self.lines = []
        for line in sigpart[:-1].split("\n"):
            if not line.startswith(EM_DASH + " "):
                raise NoteError(f"bad signature line {line[:40]!r}")
            rest = line[2:]
            parts = rest.split(" ")
            if len(parts) != 2 or not parts[0]:
                raise NoteError(f"bad signature line {line[:40]!r}")
            try:
                blob = base64.b64decode(parts[1], validate=True)
            except Exception:
                raise NoteError("signature is not base64")
            if len(blob) < 5:
                raise NoteError("signature too short")
            self.lines.append(SigLine(parts[0], blob[:4], blob[4:], line + "\n"))
        if not self.lines:
            raise NoteError("no signature line")
        if len(self.lines) > MAX_NOTE_LINES:
            raise NoteError(f"{len(self.lines)} signature lines (over 512)")
        tl = text.split("\n")[:-1]
        if len(tl) < 3:
            raise NoteError("checkpoint text has fewer than 3 lines")
        self.origin = tl[0]
        if not re.fullmatch(r"0|[1-9][0-9]*", tl[1]):
            raise NoteError(f"size {tl[1]!r} is not decimal")
        self.size = int(tl[1])
        if self.size > MAX_TREE:
            raise NoteError("size over 2^40")
        try:
            self.root = base64.b64decode(tl[2], validate=True)
        except Exception:
            raise NoteError("root is not base64")
        if len(self.root) != 32 or b64(self.root) != tl[2]:
            raise NoteError("root is not canonical base64 of 32 bytes")
        for ext in tl[3:]:
            if not ext:
                raise NoteError("empty extension line")


def checkpoint_text(origin, size, root, extensions=()) -> bytes:
    t = f"{origin}\n{size}\n{b64(root)}\n"
    for e in extensions:
        t += e + "\n"
    return t.encode()


def author_line(text: bytes, name: str, priv: Ed25519PrivateKey) -> str:
    sig = priv.sign(text)
    return f"{EM_DASH} {name} {b64(key_id(name, 1, raw_pub(priv)) + sig)}\n"


def cosig_line(text: bytes, witness_name: str, priv: Ed25519PrivateKey, ts: int) -> str:
    msg = b"cosignature/v1\ntime %d\n" % ts + text
    sig = priv.sign(msg)
    return (f"{EM_DASH} {witness_name} "
            f"{b64(key_id(witness_name, 4, raw_pub(priv)) + ts.to_bytes(8, 'big') + sig)}\n")


def make_note(text: bytes, lines) -> bytes:
    return text + b"\n" + "".join(lines).encode()


def sign_checkpoint(origin, size, root, priv) -> bytes:
    text = checkpoint_text(origin, size, root)
    return make_note(text, [author_line(text, origin, priv)])


def add_lines(note: bytes, lines) -> bytes:
    return note + "".join(lines).encode()


def verify_author(note: Note, pub: bytes):
    """§4 author signature rules. Raises Fail."""
    kid = key_id(note.origin, 1, pub)
    matching = [ln for ln in note.lines if ln.name == note.origin and ln.kid == kid]
    if not matching:
        raise Fail(f"note of {note.origin} size {note.size} has no author signature line")
    if len(matching) > 1:
        raise Fail(f"note of {note.origin} has two lines of the author's key")
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(matching[0].sig, note.text)
    except (InvalidSignature, ValueError):
        raise Fail(f"author signature of {note.origin} size {note.size} does not verify")


# ======================================================================= charter (§8)

class Charter:
    def __init__(self, raw: bytes):
        self.raw = raw
        self.data = tomllib.loads(raw.decode("utf-8"))
        self.network_id = sha256(raw)
        self.short = self.network_id[:8].hex()
        self.version = int(self.data["version"])
        self.nodes = {}
        for n in self.data.get("nodes", []):
            der = base64.b64decode(n["public-key"])
            pub = raw_pub(serialization.load_der_public_key(der))
            self.nodes[n["id"]] = {"role": n["role"], "pub": pub}
        self.groups = {}
        for g in self.data.get("groups", []):
            self.groups[g["id"]] = {"members": list(g["members"]), "convener": g["convener"],
                                    "witnesses": g.get("witnesses"),
                                    "quorum": g.get("witness-quorum", 1)}

    def origin(self, group, author):
        return f"tocsin/{self.short}/{group}/{author}"

    def witness_name(self, node):
        return f"tocsin/{self.short}/{node}"

    def authority_origin(self):
        return self.origin("charter", "authority")

    def sees(self, node, group):
        g = self.groups.get(group)
        return bool(g) and (node in g["members"] or node == g["convener"])

    def both_see(self, a, b, group):
        return self.sees(a, group) and self.sees(b, group)

    def feed_permitted(self, a, b, group, author):
        """§9 rule 1: F in a group both sides may see, by a member author."""
        if group == "charter":
            return author == "authority" and a in self.nodes and b in self.nodes
        g = self.groups.get(group)
        return bool(g) and self.both_see(a, b, group) and author in g["members"] \
            and author in self.nodes

    def witnesses(self, group, author):
        """§8.2: the witnesses of author's feed in group."""
        g = self.groups[group]
        if g["witnesses"]:
            w = [x for x in g["witnesses"] if x != author]
        else:
            w = [m for m in g["members"]
                 if (m == g["convener"] or self.nodes.get(m, {}).get("role") == "relay")
                 and m != author]
        if not w:
            w = [m for m in g["members"] if m != author]
        return w

    def cosigns(self, node, group, author):
        """Whether `node` is expected to cosign author's checkpoints in group (§8.2, §9)."""
        g = self.groups[group]
        return node != author and (node in self.witnesses(group, author)
                                   or node == g["convener"]
                                   or self.nodes[node]["role"] == "relay")


def parse_origin(charter: Charter, origin: str):
    """(short network id, group, author) or None when the origin does not parse."""
    parts = origin.split("/")
    if len(parts) != 4 or parts[0] != "tocsin" or not re.fullmatch(r"[0-9a-f]{16}", parts[1]):
        return None
    if not ID_RE.match(parts[2]) or not ID_RE.match(parts[3]):
        return None
    return parts[1], parts[2], parts[3]


# ======================================================================= TLS and sessions

class Closed(Exception):
    def __init__(self, clean: bool, detail: str):
        super().__init__(detail)
        self.clean = clean
        self.detail = detail


class Identity:
    def __init__(self, node_id, key_path, cert_path):
        self.id = node_id
        self.key_path = key_path
        self.cert_path = cert_path
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), None)
        if not isinstance(self.key, Ed25519PrivateKey):
            raise SystemExit(f"{key_path}: not an Ed25519 key")
        self.pub = raw_pub(self.key)


class Session:
    def __init__(self, sock: ssl.SSLSocket, peer_cert: x509.Certificate, ident: Identity):
        self.sock = sock
        self.cert = peer_cert
        self.ident = ident
        self.buf = bytearray()
        self.backlog = []
        self.hello = None
        self.heads = None          # list of (origin, note bytes) from the node's first Heads
        self.closed = None
        self.lock = threading.Lock()

    # -- sending
    def send(self, msg: bytes):
        self.send_raw(frame(msg))

    def send_raw(self, data: bytes):
        with self.lock:
            self.sock.settimeout(10)
            self.sock.sendall(data)

    # -- receiving
    def _fill(self, deadline):
        rem = deadline - time.monotonic()
        if rem <= 0:
            return False
        self.sock.settimeout(rem)
        try:
            data = self.sock.recv(1 << 20)
        except (socket.timeout, TimeoutError):
            return False
        except ssl.SSLEOFError:
            self.closed = Closed(False, "closed without close_notify")
            raise self.closed
        except ssl.SSLZeroReturnError:
            self.closed = Closed(True, "closed with close_notify")
            raise self.closed
        except ssl.SSLError as e:
            self.closed = Closed(False, f"TLS error {e.reason or e}")
            raise self.closed
        except (ConnectionResetError, BrokenPipeError, OSError) as e:
            self.closed = Closed(False, f"connection error {e.__class__.__name__}")
            raise self.closed
        if not data:
            self.closed = Closed(True, "closed with close_notify")
            raise self.closed
        self.buf += data
        return True

    def recv(self, timeout: float):
        """One decoded message, or None on timeout. Raises Closed, Fail (bad frame)."""
        if self.closed:
            raise self.closed
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if n > MAX_FRAME:
                    raise Fail(f"node sent a frame announced as {n} bytes (over 16 MiB)")
                if len(self.buf) >= 4 + n:
                    body = bytes(self.buf[4:4 + n])
                    del self.buf[:4 + n]
                    try:
                        return decode_message(body)
                    except DecodeError as e:
                        raise Fail(f"node sent a frame that does not decode: {e}")
            if not self._fill(deadline):
                return None

    def wait(self, pred, timeout, what, allow_error=False, backlog=True):
        if backlog:
            for i, m in enumerate(self.backlog):
                if pred(m):
                    del self.backlog[i]
                    return m
        deadline = time.monotonic() + timeout
        while True:
            rem = deadline - time.monotonic()
            if rem <= 0:
                raise Fail(f"no {what} within {timeout:g} s")
            try:
                m = self.recv(rem)
            except Closed as c:
                raise Fail(f"node closed the session ({c.detail}) while the kit waited for {what}")
            if m is None:
                continue
            if m.kind == "ping":
                self.send(m_pong(m.nonce))
                continue
            if pred(m):
                return m
            if m.kind == "error" and not allow_error:
                raise Fail(f"node sent Error {ename(m.code)} ({m.message!r}) while the kit "
                           f"waited for {what}")
            self.backlog.append(m)

    def quiet(self, pred, secs, what):
        """Fail if a message matching pred (or any Error) arrives within secs."""
        deadline = time.monotonic() + secs
        while True:
            rem = deadline - time.monotonic()
            if rem <= 0:
                return
            try:
                m = self.recv(rem)
            except Closed as c:
                raise Fail(f"node closed the session ({c.detail}); expected it to stay")
            if m is None:
                return
            if m.kind == "ping":
                self.send(m_pong(m.nonce))
                continue
            if m.kind == "error":
                raise Fail(f"node sent Error {ename(m.code)} ({m.message!r}); expected none")
            if pred(m):
                raise Fail(f"node sent {m!r}; expected {what}")
            self.backlog.append(m)

    def alive(self, timeout=3.0, what=""):
        """Ping and wait for the matching pong: the session stays."""
        nonce = secrets.randbits(63) | 1
        try:
            self.send(m_ping(nonce))
        except OSError:
            raise Fail(f"session closed {what}".strip())
        try:
            self.wait(lambda m: m.kind == "pong" and m.nonce == nonce, timeout,
                      "pong (session expected to stay open)")
        except Fail as e:
            raise Fail(f"{what}: {e}" if what else str(e))

    def expect_error(self, code, timeout=4.0, what=""):
        """The node answers Error(code) and closes with close_notify."""
        prefix = f"{what}: " if what else ""
        deadline = time.monotonic() + timeout
        err = None
        while True:
            rem = deadline - time.monotonic()
            if rem <= 0:
                raise Fail(f"{prefix}no Error {ename(code) if code else ''} within "
                           f"{timeout:g} s (session still open)")
            try:
                m = self.recv(rem)
            except Closed as c:
                raise Fail(f"{prefix}node closed the session ({c.detail}) without sending "
                           f"Error {ename(code)}")
            if m is None:
                continue
            if m.kind == "error":
                err = m
                break
            if m.kind == "ping":
                try:
                    self.send(m_pong(m.nonce))
                except OSError:
                    pass
            self.backlog.append(m)
        if isinstance(code, tuple):
            code = err.code if err.code in code else code[0]
        if code is None:
            if err.code == 0:
                raise Fail(f"{prefix}node sent Error with code 0 (never sent)")
            code = err.code
        elif err.code != code:
            raise Fail(f"{prefix}node sent Error {ename(err.code)} ({err.message!r}); "
                       f"expected {ename(code)}")
        # After the Error: nothing more, then close_notify.
        end = time.monotonic() + 3.0
        while True:
            rem = end - time.monotonic()
            if rem <= 0:
                raise Fail(f"{prefix}node sent Error {ename(code)} but kept the session open "
                           f"for 3 s")
            try:
                m = self.recv(rem)
            except Closed as c:
                if not c.clean:
                    raise Fail(f"{prefix}node sent Error {ename(code)} then {c.detail}")
                return err
            if m is not None and m.kind not in ("heads", "checkpoint", "cosignature"):
                raise Fail(f"{prefix}node sent {m!r} after its Error")

    def expect_closed(self, timeout=3.0, what="", allow_hello=False):
        """The node closes without Error (e.g. on a certificate it refuses)."""
        deadline = time.monotonic() + timeout
        while True:
            rem = deadline - time.monotonic()
            if rem <= 0:
                raise Fail(f"{what}: session still open after {timeout:g} s")
            try:
                m = self.recv(rem)
            except Closed as c:
                return c
            except Fail:
                return None
            if m is None:
                continue
            if m.kind == "hello" and not allow_hello:
                raise Fail(f"{what}: node sent Hello (expected the session closed before any "
                           f"frame)")

    def close(self):
        if self.sock is None:
            return
        try:
            self.sock.settimeout(1.0)
            if not self.closed:
                self.sock.unwrap()
        except Exception:
            pass
        try:
            self.sock.close()
        except Exception:
            pass
        self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


# ======================================================================= context

class Context:
    def __init__(self, args):
        self.args = args
        net = args.network
        self.ca_path = args.ca or os.path.join(net, "ca.crt")
        charter_path = args.charter or os.path.join(net, "charter.toml")
        sig_path = args.charter_signature or os.path.join(net, "charter.sig")
        with open(charter_path, "rb") as f:
            self.charter = Charter(f.read())
        with open(self.ca_path, "rb") as f:
            self.ca_cert = x509.load_pem_x509_certificate(f.read())
        self.authority_pub = raw_pub(self.ca_cert.public_key())
        with open(sig_path, "rb") as f:
            sig = f.read()
        if len(sig) != 64:
            sig = base64.b64decode(sig.strip())
        try:
            Ed25519PublicKey.from_public_bytes(self.authority_pub).verify(sig, self.charter.raw)
        except InvalidSignature:
            raise SystemExit("the charter's signature does not verify with the authority's "
                             "certificate")
        self.node = args.node
        if self.node not in self.charter.nodes:
            raise SystemExit(f"--node {self.node}: not a node of the charter")
        host, _, port = args.address.rpartition(":")
        self.address = (host.strip("[]"), int(port))
        self.me = self.identity(args.as_)
        self.other = self.identity(args.other) if args.other else None
        ca_key_path = os.path.join(net, "ca.key")
        self.ca_key = None
        if os.path.exists(ca_key_path):
            try:
                with open(ca_key_path, "rb") as f:
                    k = serialization.load_pem_private_key(f.read(), None)
                if isinstance(k, Ed25519PrivateKey) and raw_pub(k) == self.authority_pub:
                    self.ca_key = k
            except Exception:
                self.ca_key = None
        self.listen = None
        self.listener = None
        if args.listen:
            lh, _, lp = args.listen.rpartition(":")
            self.listen = (lh.strip("[]"), int(lp))
        # Entries the kit has signed per (origin, index) in this run: never sign two different
        # entries at one index of its own feed (that would fork it).
        self.signed = {}
        self.known = {}          # origin -> list of entry bytes known to be held by the node
        self.accept_lock = threading.Lock()
        self.last_close = None

    def identity(self, node_id):
        if node_id not in self.charter.nodes:
            raise SystemExit(f"{node_id}: not a node of the charter")
        d = os.path.join(self.args.network, node_id)
        ident = Identity(node_id, os.path.join(d, "node.key"), os.path.join(d, "node.crt"))
        if ident.pub != self.charter.nodes[node_id]["pub"]:
            raise SystemExit(f"{node_id}: node.key is not the key the charter pins")
        return ident

    # -- TLS
    def tls_context(self, server: bool, cert_path, key_path, ca_path=None, tls12=False,
                    verify=True):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
        if not server:
            c.check_hostname = False
        c.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
        if tls12:
            c.minimum_version = ssl.TLSVersion.TLSv1_2
            c.maximum_version = ssl.TLSVersion.TLSv1_2
        else:
            c.minimum_version = ssl.TLSVersion.TLSv1_3
            c.maximum_version = ssl.TLSVersion.TLSv1_3
        c.options |= ssl.OP_NO_TICKET | ssl.OP_NO_COMPRESSION
        if hasattr(ssl, "OP_NO_RENEGOTIATION"):
            c.options |= ssl.OP_NO_RENEGOTIATION
        if verify:
            c.load_verify_locations(ca_path or self.ca_path)
        c.load_cert_chain(cert_path, key_path)
        return c

    def dial(self, ident=None, cert_path=None, key_path=None, tls12=False, verify=True,
             timeout=10.0):
        """TLS connection to the node under test; returns (sslsock, peer cert)."""
        ident = ident or self.me
        ctx = self.tls_context(False, cert_path or ident.cert_path, key_path or ident.key_path,
                               tls12=tls12, verify=verify)
        raw = socket.create_connection(self.address, timeout=timeout)
        s = ctx.wrap_socket(raw, do_handshake_on_connect=False, suppress_ragged_eofs=False)
        s.settimeout(timeout)
        try:
            s.do_handshake()
        except Exception:
            s.close()
            raise
        der = s.getpeercert(binary_form=True)
        cert = x509.load_der_x509_certificate(der) if der else None
        return s, cert

    def open_listener(self):
        if self.listener is None:
            ls = socket.socket(socket.AF_INET6 if ":" in self.listen[0] else socket.AF_INET)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(self.listen)
            ls.listen(64)
            self.listener = ls
        return self.listener

    def accept(self, ident=None, timeout=35.0):
        """Wait for the node under test to dial the kit; TLS as `ident` (default --as)."""
        ident = ident or self.me
        ctx = self.tls_context(True, ident.cert_path, ident.key_path)
        ls = self.open_listener()
        deadline = time.monotonic() + timeout
        with self.accept_lock:
            while True:
                rem = deadline - time.monotonic()
                if rem <= 0:
                    raise Fail(f"node {self.node} did not dial {self.args.listen} within "
                               f"{timeout:g} s")
                ls.settimeout(rem)
                try:
                    raw, addr = ls.accept()
                except (socket.timeout, TimeoutError):
                    continue
                t_accept = time.monotonic()
                raw.settimeout(10)
                s = ctx.wrap_socket(raw, server_side=True, do_handshake_on_connect=False,
                                    suppress_ragged_eofs=False)
                try:
                    s.do_handshake()
                except Exception:
                    s.close()
                    continue
                der = s.getpeercert(binary_form=True)
                cert = x509.load_der_x509_certificate(der)
                cn = cert_cn(cert)
                if cn != self.node:
                    # another node dialing this address: not the node under test.
                    try:
                        s.close()
                    except Exception:
                        pass
                    continue
                self.last_accept = t_accept
                return s, cert

    def connect(self, ident=None, **kw):
        ident = ident or self.me
        if self.listen:
            s, cert = self.accept(ident, **kw)
        else:
            s, cert = self.dial(ident, **kw)
        return Session(s, cert, ident)

    def start(self, ident=None, hello=None, heads=(), heads_raw=None, timeout=5.0):
        """Open a session, exchange Hello and Heads; returns the session."""
        ident = ident or self.me
        sess = self.connect(ident)
        try:
            sess.send(hello if hello is not None else self.hello(ident))
            sess.hello = sess.wait(lambda m: m.kind == "hello", timeout, "Hello from the node")
            if heads_raw is not None:
                sess.send(heads_raw)
            else:
                sess.send(m_heads(list(heads)))
            h = sess.wait(lambda m: m.kind == "heads", timeout, "Heads from the node")
            sess.heads = h.heads
        except BaseException:
            sess.close()
            raise
        return sess

    def hello(self, ident=None, **kw):
        ident = ident or self.me
        return m_hello(self.charter.network_id, kw.pop("node_id", ident.id),
                       kw.pop("charter_version", self.charter.version), **kw)

    def note_after(self, sess):
        if self.listen:
            self.last_close = time.monotonic()

    # -- helpers on feeds
    def author_pub(self, origin):
        p = parse_origin(self.charter, origin)
        if p is None:
            raise Fail(f"origin {origin!r} does not parse")
        if p[1] == "charter" and p[2] == "authority":
            return self.authority_pub
        if p[2] not in self.charter.nodes:
            raise Fail(f"origin {origin} names an author the charter does not know")
        return self.charter.nodes[p[2]]["pub"]

    def check_cosignatures(self, note: Note, origin=None):
        """Every cosignature line of a charter node with a matching key ID must verify.
        Returns {witness id: timestamp}."""
        prefix = f"tocsin/{self.charter.short}/"
        seen = {}
        names = [ln.name for ln in note.lines if ln.name != note.origin]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise Fail(f"note of {note.origin} carries two lines of one witness {sorted(dup)}")
        for ln in note.lines:
            if ln.name == note.origin or not ln.name.startswith(prefix):
                continue
            wid = ln.name[len(prefix):]
            if wid not in self.charter.nodes:
                continue
            pub = self.charter.nodes[wid]["pub"]
            if ln.kid != key_id(ln.name, 4, pub):
                continue
            if len(ln.sig) != 72:
                raise Fail(f"cosignature of {wid} on {note.origin} is not 72 bytes")
            ts = int.from_bytes(ln.sig[:8], "big")
            if ts > (1 << 63) - 1:
                raise Fail(f"cosignature timestamp of {wid} over 2^63-1")
            msg = b"cosignature/v1\ntime %d\n" % ts + note.text
            try:
                Ed25519PublicKey.from_public_bytes(pub).verify(ln.sig[8:], msg)
            except InvalidSignature:
                raise Fail(f"cosignature of {wid} on {note.origin} size {note.size} "
                           f"does not verify")
            if ts > time.time() + CLOCK_SKEW:
                raise Fail(f"cosignature of {wid} dated {ts - time.time():.0f} s in the future")
            seen[wid] = ts
        return seen

    def verify_head(self, origin, note_bytes, for_ident):
        """Checks one Head of the node's Heads as seen by `for_ident`. Returns Note."""
        p = parse_origin(self.charter, origin)
        if p is None:
            raise Fail(f"Heads names origin {origin!r} that does not parse")
        short, group, author = p
        if short != self.charter.short:
            raise Fail(f"Heads names {origin}, of another network")
        if not self.charter.feed_permitted(for_ident.id, self.node, group, author):
            raise Fail(f"Heads to {for_ident.id} names {origin}: a feed {for_ident.id} and "
                       f"{self.node} may not both see (or whose author is not a member)")
        try:
            note = Note(note_bytes)
        except NoteError as e:
            raise Fail(f"checkpoint of {origin} in Heads does not parse: {e}")
        if note.origin != origin:
            raise Fail(f"Head for {origin} carries a checkpoint of {note.origin}")
        verify_author(note, self.author_pub(origin))
        self.check_cosignatures(note)
        return note

    def fetch(self, sess, origin, frm, to, prior=None, send_want=True, timeout=5.0,
              final_note=None):
        """Want [frm, to) and verify the answer (§6, §9 Want and Entries). `prior`: the
        feed's first `frm` entries (needed to check roots). Returns (entries, msgs)."""
        if prior is None:
            prior = self.known.get(origin, [])[:frm]
        if len(prior) < frm:
            raise RuntimeError("fetch without the prior entries")
        pub = self.author_pub(origin)
        leaves = [leaf_hash(e) for e in prior[:frm]]
        if send_want:
            sess.send(m_want(origin, frm, to))
        got = []
        msgs = []
        pos = frm
        while pos < to and len(msgs) < ANSWERS_PER_WANT:
            m = sess.wait(lambda m: m.kind == "entries" and m.origin == origin, timeout,
                          f"Entries of {origin} from {pos} (asked [{frm},{to}))")
            msgs.append(m)
            if m.first_index != pos:
                raise Fail(f"Entries of {origin} starts at {m.first_index}; expected {pos}")
            if m.base:
                raise Fail(f"Entries of {origin} carries a base, to a founding member")
            n = len(m.entries)
            if n == 0:
                raise Fail(f"Entries of {origin} at {pos} carries no entry")
            if n > MAX_BATCH_ENTRIES:
                raise Fail(f"Entries message of {n} entries (over 10,000)")
            total = sum(len(e) for e in m.entries)
            if total > MAX_BATCH_BYTES:
                raise Fail(f"Entries message of {total} bytes of entries (over 8 MiB)")
            for i, e in enumerate(m.entries):
                bad = check_entry(e)
                if bad:
                    raise Fail(f"entry {pos + i} of {origin} served: {bad}")
            try:
                note = Note(m.checkpoint)
            except NoteError as e:
                raise Fail(f"checkpoint in Entries of {origin} does not parse: {e}")
            if note.origin != origin:
                raise Fail(f"Entries of {origin} carries a checkpoint of {note.origin}")
            if note.size != pos + n:
                raise Fail(f"Entries [{pos},{pos + n}) of {origin} carries a checkpoint of "
                           f"size {note.size}")
            verify_author(note, pub)
            self.check_cosignatures(note)
            leaves += [leaf_hash(e) for e in m.entries]
            if mth(leaves) != note.root:
                raise Fail(f"root of entries [0,{pos + n}) of {origin} differs from the "
                           f"checkpoint's (RFC 6962)")
            got += m.entries
            pos += n
        if pos < to:
            raise Fail(f"answer to Want [{frm},{to}) of {origin} stopped at {pos} after "
                       f"{len(msgs)} messages")
        known = self.known.setdefault(origin, [])
        full = list(prior[:frm]) + got
        if len(full) > len(known):
            self.known[origin] = full
        return got, msgs

    # -- the kit's own feed
    def own_state(self, sess, group, ident=None):
        """(origin, held size, entries held, note held) of ident's feed in group, as the node
        holds it (fetched and verified)."""
        ident = ident or sess.ident
        origin = self.charter.origin(group, ident.id)
        heads = dict(sess.heads or [])
        if origin not in heads:
            return origin, 0, [], None
        note = Note(heads[origin])
        h = note.size
        known = self.known.get(origin, [])
        if len(known) < h:
            self.fetch(sess, origin, len(known), h, prior=known)
            known = self.known[origin]
        if mth([leaf_hash(e) for e in known[:h]]) != note.root:
            raise Fail(f"the node's checkpoint of {origin} does not match the entries it "
                       f"served")
        return origin, h, known[:h], note

    def next_entries(self, origin, index, count, author_id, tag):
        """Entries the kit will sign at [index, index+count): reuses any it signed before."""
        out = []
        country = author_id if re.fullmatch(r"X[A-Z]", author_id) else "XA"
        for i in range(index, index + count):
            e = self.signed.get((origin, i))
            if e is None:
                e = make_bulletin(country, f"Tocsin conformance kit: {tag} #{i}",
                                  "Test bulletin written by the conformance kit.")
                self.signed[(origin, i)] = e
            out.append(e)
        return out

    def own_group(self, ident=None, prefer_cosign=True, need_visible_to=None):
        """A group where ident is a member and the node may see it."""
        ident = ident or self.me
        cands = []
        for gid, g in self.charter.groups.items():
            if ident.id not in g["members"] or not self.charter.sees(self.node, gid):
                continue
            if need_visible_to and not self.charter.sees(need_visible_to, gid):
                continue
            score = 1 if (prefer_cosign and self.charter.cosigns(self.node, gid, ident.id)) else 0
            cands.append((-score, gid))
        if not cands:
            raise Skip(f"no group where {ident.id} is a member and {self.node} may see it")
        return sorted(cands)[0][1]

    def push(self, sess, group, count=1, checkpoints=1, tag="append", via_heads=False,
             expect_want=True):
        """Append `count` entries to the kit's own feed of group, pushing them to the node
        (Head as checkpoint, then answer the node's Want). `checkpoints` batches.
        Returns (origin, old size, new size, the last note the kit signed)."""
        ident = sess.ident
        origin, h, held, _ = self.own_state(sess, group)
        entries = self.next_entries(origin, h, count, ident.id, tag)
        all_entries = list(held)
        per = [count // checkpoints + (1 if i < count % checkpoints else 0)
               for i in range(checkpoints)]
        pos = h
        note = None
        for k in per:
            batch = entries[pos - h:pos - h + k]
            all_entries += batch
            root = mth([leaf_hash(e) for e in all_entries])
            note = sign_checkpoint(origin, pos + k, root, ident.key)
            sess.send(m_head(origin, note))
            w = sess.wait(lambda m: m.kind == "want" and m.origin == origin, 5.0,
                          f"Want of {origin} after pushing its checkpoint of size {pos + k}")
            if w.frm != pos or w.to != pos + k:
                raise Fail(f"node asked Want [{w.frm},{w.to}) of {origin}; expected "
                           f"[{pos},{pos + k}) (held size, announced size)")
            sess.send(m_entries(origin, pos, batch, note))
            pos += k
            # the node serves what it stored (a Want after the batch is served once written)
            self.fetch(sess, origin, pos - k, pos, prior=all_entries[:pos - k])
        self.known[origin] = all_entries
        return origin, h, pos, note

    def fresh_heads(self, ident=None, cond=None, timeout=4.0):
        """Heads of a new session (retried until cond(heads dict) or timeout)."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            with self.start(ident) as s:
                d = dict(s.heads)
            last = d
            if cond is None or cond(d) or time.monotonic() > deadline:
                return last
            time.sleep(0.3)


def cert_cn(cert: x509.Certificate):
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return cns[0].value if cns else None


def check_cert_profile(cert: x509.Certificate, ca: x509.Certificate):
    """§9 Certificates. Returns a list of problems."""
    problems = []
    if cert.version != x509.Version.v3:
        problems.append("not X.509 v3")
    if cert.issuer != ca.subject:
        problems.append("not issued by the authority's certificate")
    try:
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes)
    except Exception:
        problems.append("signature does not verify with the authority's key")
    ext = {e.oid: e for e in cert.extensions}
    bc = ext.get(x509.oid.ExtensionOID.BASIC_CONSTRAINTS)
    if not bc or not bc.critical or bc.value.ca:
        problems.append("basicConstraints is not critical CA:FALSE")
    ku = ext.get(x509.oid.ExtensionOID.KEY_USAGE)
    if not ku or not ku.critical or not ku.value.digital_signature:
        problems.append("keyUsage is not critical digitalSignature")
    eku = ext.get(x509.oid.ExtensionOID.EXTENDED_KEY_USAGE)
    if not eku or ExtendedKeyUsageOID.SERVER_AUTH not in eku.value \
            or ExtendedKeyUsageOID.CLIENT_AUTH not in eku.value:
        problems.append("extendedKeyUsage lacks serverAuth, clientAuth")
    if x509.oid.ExtensionOID.SUBJECT_ALTERNATIVE_NAME in ext:
        problems.append("carries a subject alternative name")
    if not isinstance(cert.public_key(), Ed25519PublicKey):
        problems.append("key is not Ed25519")
    return problems


def mint_cert(ca_key, ca_cert, cn, key=None, days=(-1, 30), issuer_name=None):
    key = key or Ed25519PrivateKey.generate()
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
         .issuer_name(issuer_name or ca_cert.subject)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(days=days[0]))
         .not_valid_after(now + datetime.timedelta(days=days[1]))
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                      False), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                               ExtendedKeyUsageOID.CLIENT_AUTH]),
                        critical=False))
    cert = b.sign(ca_key, None)
    return key, cert


def self_signed_ca(name="Not the Tocsin authority"):
    key = Ed25519PrivateKey.generate()
    now = datetime.datetime.now(datetime.timezone.utc)
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, None))
    return key, cert


class TempCert:
    """A key and certificate written to a temporary folder (for refused-certificate cases)."""

    def __init__(self, key, cert):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="tocsin-conf-")
        self.key_path = os.path.join(self.dir, "k.pem")
        self.cert_path = os.path.join(self.dir, "c.pem")
        with open(self.key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        with open(self.cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))

    def __enter__(self):
        return self

    def __exit__(self, *a):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)


# ======================================================================= cases

class Case:
    def __init__(self, name, fn, section, mode, needs, timeout, doc):
        self.name, self.fn, self.section, self.mode = name, fn, section, mode
        self.needs, self.timeout, self.doc = needs, timeout, doc


CASES: list[Case] = []


def case(name, section, mode="connect", needs=(), timeout=20.0):
    def deco(fn):
        CASES.append(Case(name, fn, section, mode, tuple(needs), timeout,
                          (fn.__doc__ or "").strip()))
        return fn
    return deco


# ----------------------------------------------------------------------- case helpers

def first_message(sess, timeout=5.0):
    while True:
        try:
            m = sess.recv(timeout)
        except Closed as c:
            raise Fail(f"node closed the session ({c.detail}) before sending anything")
        if m is None:
            raise Fail(f"node sent nothing within {timeout:g} s of the TLS handshake")
        return m


def check_hello(ctx, m):
    if m.kind != "hello":
        raise Fail(f"node's first message is {m!r}, not Hello")
    if m.protocol_version != 1:
        raise Fail(f"Hello.protocol_version = {m.protocol_version}, expected 1")
    if m.network_id != ctx.charter.network_id:
        raise Fail(f"Hello.network_id = {m.network_id.hex()}, expected "
                   f"{ctx.charter.network_id.hex()} (SHA-256 of the genesis charter)")
    if m.node_id != ctx.node:
        raise Fail(f"Hello.node_id = {m.node_id!r}, expected {ctx.node!r}")
    if m.charter_version < 1:
        raise Fail(f"Hello.charter_version = {m.charter_version}")


def check_heads(ctx, sess, ident):
    origins = [o for o, _ in sess.heads]
    dups = sorted({o for o in origins if origins.count(o) > 1})
    if dups:
        raise Fail(f"Heads names {dups[0]} twice")
    auth = ctx.charter.authority_origin()
    if auth in origins and origins[0] != auth:
        raise Fail("Heads lists the authority feed, but not first")
    for o, n in sess.heads:
        ctx.verify_head(o, n, ident)


def held_feeds(sess, min_size=1):
    out = []
    for o, n in sess.heads or []:
        try:
            note = Note(n)
        except NoteError:
            continue
        if note.size >= min_size:
            out.append((o, note))
    return out


def pick_feed(ctx, sess, min_size=1, not_author=None):
    feeds = held_feeds(sess, min_size)
    feeds.sort(key=lambda x: (x[1].size, x[0]))
    for o, note in feeds:
        p = parse_origin(ctx.charter, o)
        if p and p[1] != "charter" and p[2] != not_author:
            return o, note
    for o, note in feeds:
        return o, note
    return None


def own_session_state(ctx, ident=None, group=None):
    """Open a session, make sure the kit's own feed in group holds at least one entry."""
    ident = ident or ctx.me
    group = group or ctx.own_group(ident)
    sess = ctx.start(ident)
    try:
        origin, h, held, note = ctx.own_state(sess, group)
        if h == 0:
            ctx.push(sess, group, 1, tag="seed")
            sess.close()
            sess = ctx.start(ident)
            origin, h, held, note = ctx.own_state(sess, group)
    except BaseException:
        sess.close()
        raise
    return sess, group, origin, h, held, note


def witness_line_of(note: Note, ctx, wid):
    name = ctx.charter.witness_name(wid)
    for ln in note.lines:
        if ln.name == name:
            return ln
    return None


def cosign_target(ctx, heads, idents, genuine=True, visible_to=None):
    """(origin, Note, ident) where ident has not cosigned the node's checkpoint, and is (or,
    with genuine=False, is not) one of the feed's witnesses (§8.2)."""
    for o, n in heads:
        p = parse_origin(ctx.charter, o)
        if not p or p[1] == "charter":
            continue
        _, group, author = p
        if visible_to and not ctx.charter.feed_permitted(visible_to, ctx.node, group, author):
            continue
        try:
            note = Note(n)
        except NoteError:
            continue
        if note.size == 0:
            continue
        for ident in idents:
            if ident is None or ident.id == author or ident.id == ctx.node:
                continue
            is_w = ident.id in ctx.charter.witnesses(group, author)
            if is_w != genuine:
                continue
            if witness_line_of(note, ctx, ident.id) is None:
                return o, note, ident
    return None


def note_has_line(data: bytes, line: str):
    return line.encode() in data


def fake_cosig_line(ctx, wid):
    """A line of charter node wid with its right key ID and a signature that cannot verify."""
    name = ctx.charter.witness_name(wid)
    kid = key_id(name, 4, ctx.charter.nodes[wid]["pub"])
    blob = kid + int(time.time()).to_bytes(8, "big") + secrets.token_bytes(64)
    return f"{EM_DASH} {name} {b64(blob)}\n"


def third_party(ctx, note=None, exclude=()):
    """A charter node that is neither the kit nor the node under test (nor in exclude), and
    without a line on note."""
    for n in ctx.charter.nodes:
        if n in (ctx.me.id, ctx.node) or n in exclude:
            continue
        if ctx.other and n == ctx.other.id:
            continue
        if note is not None and witness_line_of(note, ctx, n):
            continue
        return n
    for n in ctx.charter.nodes:
        if n not in (ctx.me.id, ctx.node) and n not in exclude:
            return n
    return None


def push_bad_batch(ctx, entries_sent, entries_signed=None, note=None, via_head=True,
                   group=None, expect=UNVERIFIABLE, what=""):
    """Announce a checkpoint of the kit's own feed, wait for the node's Want, answer it with a
    bad batch, and expect Error(expect). Then checks nothing was stored."""
    sess, group, origin, h, held, _ = own_session_state(ctx, group=group)
    with sess:
        if entries_signed is None:
            entries_signed = entries_sent
        if callable(entries_signed):
            entries_signed = entries_signed(origin, h)
        if callable(entries_sent):
            entries_sent = entries_sent(origin, h)
        leaves = [leaf_hash(e) for e in held] + [leaf_hash(e) for e in entries_signed]
        head_cp = sign_checkpoint(origin, h + len(entries_signed), mth(leaves), ctx.me.key)
        cp = note(origin, h, leaves) if note else head_cp
        if via_head:
            sess.send(m_head(origin, head_cp))
            w = sess.wait(lambda m: m.kind == "want" and m.origin == origin, 5.0,
                          f"Want of {origin} after the kit announced size {Note(head_cp).size}")
            if w.frm != h:
                raise Fail(f"node asked from {w.frm}; it holds {h}")
        sess.send(m_entries(origin, h, entries_sent, cp))
        sess.expect_error(expect, what=what)
    d = ctx.fresh_heads()
    if origin in d and Note(d[origin]).size != h:
        raise Fail(f"after the refused batch the node holds {origin} at size "
                   f"{Note(d[origin]).size}; expected {h} (nothing stored)")


def send_and_expect_error(ctx, msg_or_fn, code, what="", raw=False, after_start=True):
    if after_start:
        sess = ctx.start()
    else:
        sess = ctx.connect()
    with sess:
        data = msg_or_fn(sess) if callable(msg_or_fn) else msg_or_fn
        if raw:
            sess.send_raw(data)
        else:
            sess.send(data)
        sess.expect_error(code, what=what)


def permitted_unheld(ctx, heads):
    held = {o for o, _ in heads}
    for gid, g in ctx.charter.groups.items():
        if not ctx.charter.both_see(ctx.me.id, ctx.node, gid):
            continue
        for a in g["members"]:
            o = ctx.charter.origin(gid, a)
            if o not in held:
                return o
    return None


def not_permitted_origin(ctx, ident=None):
    """An origin of a group that ident and the node may not both see (member author)."""
    ident = ident or ctx.me
    prefs = []
    for gid, g in ctx.charter.groups.items():
        if ctx.charter.both_see(ident.id, ctx.node, gid):
            continue
        rank = 0 if ctx.charter.sees(ctx.node, gid) else 1
        prefs.append((rank, gid, g["members"][0]))
    if not prefs:
        return None
    prefs.sort()
    _, gid, author = prefs[0]
    return ctx.charter.origin(gid, author)


# ----------------------------------------------------------------------- cases: TLS

def _tls_checks(ctx, s, cert, role):
    if s.version() != "TLSv1.3":
        raise Fail(f"negotiated {s.version()}, not TLS 1.3")
    if cert is None:
        raise Fail(f"node presented no certificate as {role}")
    cn = cert_cn(cert)
    if cn != ctx.node:
        raise Fail(f"node's certificate CN is {cn!r}, expected {ctx.node!r}")
    if raw_pub(cert.public_key()) != ctx.charter.nodes[ctx.node]["pub"]:
        raise Fail("node's certificate key is not the key the charter pins for it")
    problems = check_cert_profile(cert, ctx.ca_cert)
    if problems:
        raise Fail("node certificate: " + "; ".join(problems))
    if s.compression():
        raise Fail("TLS compression negotiated")


@case("tls-handshake", "§9 Transport, Certificates")
def c_tls_handshake(ctx):
    """TLS 1.3 with mutual authentication; the node's certificate is the authority's, CN = node
    id, the key the charter pins, the profile of §9 Certificates; no session ticket."""
    ctxt = ctx.tls_context(False, ctx.me.cert_path, ctx.me.key_path)
    ctxt.options &= ~ssl.OP_NO_TICKET
    raw = socket.create_connection(ctx.address, timeout=10)
    s = ctxt.wrap_socket(raw, do_handshake_on_connect=False, suppress_ragged_eofs=False)
    s.settimeout(10)
    s.do_handshake()
    cert = x509.load_der_x509_certificate(s.getpeercert(binary_form=True))
    sess = Session(s, cert, ctx.me)
    with sess:
        _tls_checks(ctx, s, cert, "server")
        sess.send(ctx.hello())
        sess.wait(lambda m: m.kind == "hello", 5, "Hello")
        sess.wait(lambda m: m.kind == "heads", 5, "Heads")
        sess.alive()
        if s.session is not None and s.session.has_ticket:
            raise Fail("node issued a TLS session ticket (§9: no session tickets)")


@case("tls-1.2-refused", "§9 Transport (TLS 1.3 only)")
def c_tls12(ctx):
    """A client offering only TLS 1.2 gets no session."""
    try:
        s, cert = ctx.dial(tls12=True, verify=False)
    except (ssl.SSLError, OSError):
        return
    with Session(s, cert, ctx.me) as sess:
        if s.version() != "TLSv1.3":
            raise Fail(f"node completed a {s.version()} handshake")


def refused_cert(ctx, tc, what):
    try:
        s, cert = ctx.dial(cert_path=tc.cert_path, key_path=tc.key_path, verify=False)
    except (ssl.SSLError, OSError):
        return
    with Session(s, cert, ctx.me) as sess:
        try:
            sess.send(ctx.hello())
        except OSError:
            return
        sess.expect_closed(3.0, what)


@case("tls-untrusted-ca", "§9 Transport (trusts exactly one authority)")
def c_tls_untrusted(ctx):
    """A client certificate for the kit's node id issued by another authority is refused."""
    ca_key, ca_cert = self_signed_ca()
    k, c = mint_cert(ca_key, ca_cert, ctx.me.id, key=ctx.me.key)
    with TempCert(k, c) as tc:
        refused_cert(ctx, tc, "certificate of a foreign authority")


@case("tls-key-not-pinned", "§9 Transport, Certificates (key the charter pins)",
      needs=("cakey",))
def c_tls_key_not_pinned(ctx):
    """A certificate of the network's authority for the kit's node id, but with a key the charter
    does not pin: the session is closed before any frame."""
    k, c = mint_cert(ctx.ca_key, ctx.ca_cert, ctx.me.id)
    with TempCert(k, c) as tc:
        refused_cert(ctx, tc, "certificate with an unpinned key")


@case("tls-unknown-node", "§9 Transport, Certificates", needs=("cakey",))
def c_tls_unknown_node(ctx):
    """A certificate of the authority whose CN is not a node of the charter is refused."""
    k, c = mint_cert(ctx.ca_key, ctx.ca_cert, "ZZ-not-in-charter")
    with TempCert(k, c) as tc:
        refused_cert(ctx, tc, "certificate of a node the charter does not know")


@case("tls-expired-certificate", "§9 Certificates (validity period)", needs=("cakey",))
def c_tls_expired(ctx):
    """The kit's own key and node id in a certificate whose validity ended yesterday."""
    k, c = mint_cert(ctx.ca_key, ctx.ca_cert, ctx.me.id, key=ctx.me.key, days=(-30, -1))
    with TempCert(k, c) as tc:
        refused_cert(ctx, tc, "expired certificate")


@case("handshake-per-source-limit", "§9 Transport; cost table (16 handshakes per source)",
      timeout=20)
def c_handshake_limit(ctx):
    """16 idle TCP connections in their handshake from one address; a 17th is closed before any
    TLS work; once they are gone, a session opens again."""
    idle = []
    try:
        for _ in range(16):
            idle.append(socket.create_connection(ctx.address, timeout=5))
        time.sleep(0.3)
        try:
            s, cert = ctx.dial(timeout=3)
        except (ssl.SSLError, OSError):
            pass
        else:
            with Session(s, cert, ctx.me) as sess:
                try:
                    sess.send(ctx.hello())
                    sess.wait(lambda m: m.kind == "hello", 2, "Hello")
                except (Fail, OSError):
                    pass
                else:
                    raise Fail("a 17th connection from one address completed its handshake "
                               "and got a Hello while 16 were in their handshake")
    finally:
        for c in idle:
            c.close()
    time.sleep(0.5)
    with ctx.start() as sess:
        sess.alive()


@case("handshake-timeout", "§9 Transport (a handshake must complete within 10 s)",
      timeout=20)
def c_handshake_timeout(ctx):
    """A TCP connection that never starts TLS is closed after about 10 seconds."""
    c = socket.create_connection(ctx.address, timeout=5)
    t0 = time.monotonic()
    try:
        c.settimeout(14)
        try:
            data = c.recv(1)
        except (socket.timeout, TimeoutError):
            raise Fail("idle connection without TLS still open after 14 s")
        except OSError:
            data = b""
        el = time.monotonic() - t0
        if data:
            raise Fail("node sent bytes on a connection whose client never spoke TLS")
        if el > 12.5:
            raise Fail(f"idle connection closed only after {el:.1f} s (limit 10 s)")
    finally:
        c.close()


# ----------------------------------------------------------------------- cases: Hello, Heads

def _hello_case(ctx):
    sess = ctx.connect()
    with sess:
        m = first_message(sess)
        check_hello(ctx, m)
        # The node must not send its Heads before it has accepted the kit's Hello.
        sess.quiet(lambda m: True, 1.0, "nothing before the kit's Hello")
        sess.send(ctx.hello())
        m = first_message(sess)
        if m.kind != "heads":
            raise Fail(f"after the kit's Hello the node's first message is {m!r}, not Heads")
        sess.heads = m.heads
        sess.alive()


@case("hello", "§9 Session start 1-3")
def c_hello(ctx):
    """The node sends Hello first (version 1, network id, its node id, charter version), sends
    nothing more until the kit's Hello, then accepts it and sends one Heads."""
    _hello_case(ctx)


@case("hello-unknown-fields-ignored", "§9 Version, decoding and unknown fields")
def c_hello_unknown(ctx):
    """A Hello with unknown fields (a future list of versions, field 5, and field 99) is taken."""
    extra = fb(5, uvarint(1) + uvarint(2)) + fv(99, 7)
    with ctx.start(hello=ctx.hello(extra=extra)) as sess:
        sess.alive()


@case("hello-charter-version-informational", "§9 Session start 1")
def c_hello_cv(ctx):
    """A Hello naming another charter version is not refused."""
    with ctx.start(hello=ctx.hello(charter_version=ctx.charter.version + 7)) as sess:
        sess.alive()


@case("heads-scope", "§9 Session start 3, Messages (Heads); §8; §4; §5")
def c_heads_scope(ctx):
    """Every Head is of this network, of a feed the kit and the node may both see, by a member
    of its group, listed once, the authority feed first; every checkpoint carries a valid
    author signature and only valid cosignatures."""
    with ctx.start() as sess:
        check_heads(ctx, sess, ctx.me)


@case("heads-scope-other", "§9 Session start 3 (scope per peer)", needs=("other",))
def c_heads_scope_other(ctx):
    """As heads-scope, for the --other identity: the node never lists a feed of a group the peer
    is not in or convenes."""
    with ctx.start(ctx.other) as sess:
        check_heads(ctx, sess, ctx.other)


@case("ping-pong", "§9 Messages (Ping)")
def c_ping(ctx):
    """A ping is answered by a pong with the same nonce."""
    with ctx.start() as sess:
        sess.alive()


@case("pong-unsolicited-ignored", "§9 Messages (a pong needs no answer)")
def c_pong(ctx):
    """An unsolicited pong is taken without answer or error."""
    with ctx.start() as sess:
        sess.send(m_pong(42))
        sess.quiet(lambda m: m.kind == "pong", 0.5, "no answer to a pong")
        sess.alive()


@case("authority-feed", "§8.1; §9 Session start 3 (authority feed first)")
def c_authority(ctx):
    """When the node holds amendments, the authority feed verifies: signed by the authority key,
    each entry a CharterUpdate whose charter is signed, a higher version, replacing the
    previous one."""
    auth = ctx.charter.authority_origin()
    with ctx.start() as sess:
        heads = dict(sess.heads)
        if auth not in heads:
            raise Skip("the node holds no amendment (no authority feed in its Heads)")
        note = Note(heads[auth])
        entries, _ = ctx.fetch(sess, auth, 0, note.size, prior=[])
    prev_raw, prev_ver = ctx.charter.raw, ctx.charter.version
    apub = Ed25519PublicKey.from_public_bytes(ctx.authority_pub)
    for i, e in enumerate(entries):
        f = parse_fields(e)
        kind = next((v for fn, wt, v in f if fn == 1), 0)
        payload = next((v for fn, wt, v in f if fn == 15), None)
        if kind != 6 or payload is None:
            raise Fail(f"authority entry {i} is not a CharterUpdate")
        pf = parse_fields(payload)
        ver = next((v for fn, wt, v in pf if fn == 1), 0)
        toml = next((v for fn, wt, v in pf if fn == 2), b"")
        sig = next((v for fn, wt, v in pf if fn == 3), b"")
        try:
            apub.verify(sig, toml)
        except InvalidSignature:
            raise Fail(f"amendment {i}: signature does not verify with the authority key")
        data = tomllib.loads(toml.decode())
        if data.get("version") != ver or ver <= prev_ver:
            raise Fail(f"amendment {i}: version {ver} (TOML {data.get('version')}, "
                       f"previous {prev_ver})")
        if data.get("replaces") != hashlib.sha256(prev_raw).hexdigest():
            raise Fail(f"amendment {i}: replaces is not the SHA-256 of the previous charter")
        prev_raw, prev_ver = toml, ver


# ----------------------------------------------------------------------- cases: Want / Entries

@case("want-entries", "§3, §4, §5, §6; §9 Want and Entries")
def c_want_entries(ctx):
    """For every feed the node announces (up to 12), Want [0, size) is answered with Entries that
    start where asked, chain without gaps, end at the author's checkpoints (RFC 6962 root, C2SP
    signed note with the author's key from the charter, valid cosignatures), hold valid entries,
    at most 16 messages, and reach the announced checkpoint."""
    with ctx.start() as sess:
        feeds = held_feeds(sess)
        if not feeds:
            raise Skip("the node announces no feed with entries (issue a bulletin first)")
        for o, note in sorted(feeds, key=lambda x: x[1].size)[:12]:
            got, msgs = ctx.fetch(sess, o, 0, note.size, prior=[])
            last = Note(msgs[-1].checkpoint)
            if last.size == note.size and last.root != note.root:
                raise Fail(f"Entries of {o} end at the announced size with another root")


@case("want-beyond-held", "§9 Want and Entries (MUST NOT send entries it does not hold)")
def c_want_beyond(ctx):
    """Want [0, size+5) of a held feed gets [0, size) and nothing beyond."""
    with ctx.start() as sess:
        f = pick_feed(ctx, sess)
        if not f:
            raise Skip("the node announces no feed with entries")
        o, note = f
        sess.send(m_want(o, 0, note.size + 5))
        ctx.fetch(sess, o, 0, note.size, prior=[], send_want=False)
        sess.quiet(lambda m: m.kind == "entries" and m.origin == o, 1.0,
                   "nothing past the held size")
        sess.alive()


@case("want-nothing-held", "§9 Want and Entries (sends nothing for a range it holds none of)")
def c_want_nothing(ctx):
    """Want [size, size+3) of a held feed, and Want of a permitted feed the node does not hold,
    get no answer; the session stays."""
    with ctx.start() as sess:
        f = pick_feed(ctx, sess)
        asked = []
        if f:
            o, note = f
            sess.send(m_want(o, note.size, note.size + 3))
            asked.append(o)
        u = permitted_unheld(ctx, sess.heads)
        if u:
            sess.send(m_want(u, 0, 3))
            asked.append(u)
        if not asked:
            raise Skip("no feed to ask")
        sess.quiet(lambda m: m.kind == "entries" and m.origin in asked, 1.5, "no Entries")
        sess.alive()


@case("want-joins-intervals", "§9 Want and Entries (joining consecutive intervals)")
def c_want_join(ctx):
    """The kit appends two entries under two checkpoints; Want over both is answered in one
    Entries message ending at the second checkpoint."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, new, _ = ctx.push(sess, group, 2, checkpoints=2, tag="join")
    with ctx.start() as sess:
        got, msgs = ctx.fetch(sess, origin, h, new)
        if len(msgs) != 1:
            raise Fail(f"Want [{h},{new}) answered in {len(msgs)} messages; two consecutive "
                       f"intervals of 1 entry each fit one")


@case("want-unaligned-range", "§9 Want and Entries (starts at from; last may end past to)")
def c_want_unaligned(ctx):
    """The kit appends three entries under one checkpoint; Want [h+1, h+2) is answered by one
    message starting at h+1 and ending at h+3, the stored checkpoint."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, new, _ = ctx.push(sess, group, 3, checkpoints=1, tag="unaligned")
    with ctx.start() as sess:
        got, msgs = ctx.fetch(sess, origin, h + 1, h + 2)
        end = msgs[-1].first_index + len(msgs[-1].entries)
        if end != new:
            raise Fail(f"answer ended at {end}; the only stored checkpoint past {h + 1} is "
                       f"{new}")


# ----------------------------------------------------------------------- cases: pushed appends

@case("push-append", "§6; §9 Messages (Head as checkpoint, Want, Entries)")
def c_push_append(ctx):
    """The kit, as its member, appends a bulletin to its own feed, signs a checkpoint, pushes it
    (Head as checkpoint); the node asks Want [held, new), takes the batch, serves it back byte
    for byte, and announces the kit's checkpoint in the Heads of a new session."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, new, note = ctx.push(sess, group, 1, tag="push-append")
    d = ctx.fresh_heads(cond=lambda d: origin in d and Note(d[origin]).size >= new)
    if origin not in d or Note(d[origin]).size < new:
        raise Fail(f"a new session's Heads does not announce {origin} at size {new}")
    n = Note(d[origin])
    if n.size == new and n.text != Note(note).text:
        raise Fail("the node announces another checkpoint text at the size the kit signed")
    with ctx.start() as sess:
        got, _ = ctx.fetch(sess, origin, h, new)
        if got[:new - h] != [ctx.signed[(origin, i)] for i in range(h, new)]:
            raise Fail("entries served back differ from the bytes the kit appended")


@case("push-cosigned-back", "§5; §8.2; §9 Receiving Entries (a witness sends its cosignature to "
      "the peer the batch came from)")
def c_push_cosigned(ctx):
    """When the node witnesses the kit's feed (relay, convener or named witness), after storing a
    pushed batch it sends the checkpoint back with its valid cosignature, dated by its clock."""
    group = None
    for gid, g in ctx.charter.groups.items():
        if ctx.me.id in g["members"] and ctx.charter.sees(ctx.node, gid) \
                and ctx.charter.cosigns(ctx.node, gid, ctx.me.id):
            group = gid
            break
    if group is None:
        raise Skip(f"{ctx.node} witnesses no feed of {ctx.me.id}")
    with ctx.start() as sess:
        origin, h, new, _ = ctx.push(sess, group, 1, tag="cosigned-back")
        name = ctx.charter.witness_name(ctx.node)

        def has_cosig(m):
            return m.kind in ("checkpoint", "cosignature") and m.origin == origin and \
                name.encode() in m.note
        m = sess.wait(has_cosig, 4.0, f"{origin} size {new} back with {ctx.node}'s cosignature")
        n = Note(m.note)
        if n.size != new:
            raise Fail(f"cosigned checkpoint has size {n.size}, expected {new}")
        seen = ctx.check_cosignatures(n)
        if ctx.node not in seen:
            raise Fail(f"{ctx.node}'s cosignature line does not carry its cosignature key ID")
        if seen[ctx.node] < time.time() - 120:
            raise Fail(f"cosignature dated {time.time() - seen[ctx.node]:.0f} s ago")


@case("push-via-heads", "§9 Session start 3; rule 5 (s > h: Want)")
def c_push_via_heads(ctx):
    """The kit announces a larger checkpoint of its own feed in its session-start Heads; the node
    asks Want [held, announced) and stores the answer."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, held, _ = ctx.own_state(sess, group)
    e = ctx.next_entries(origin, h, 1, ctx.me.id, "via-heads")
    note = sign_checkpoint(origin, h + 1, mth([leaf_hash(x) for x in held + e]), ctx.me.key)
    with ctx.start(heads=[(origin, note)]) as sess:
        w = sess.wait(lambda m: m.kind == "want" and m.origin == origin, 5.0,
                      "Want after the kit's Heads announced more")
        if (w.frm, w.to) != (h, h + 1):
            raise Fail(f"Want [{w.frm},{w.to}); expected [{h},{h + 1})")
        sess.send(m_entries(origin, h, e, note))
        ctx.fetch(sess, origin, h, h + 1, prior=held)


@case("push-propagated", "§9 Messages (Head as checkpoint: live propagation)",
      needs=("other",))
def c_push_propagated(ctx):
    """With --other connected too, a batch the kit pushes is announced to the other member's
    session (which may see the feed) once stored."""
    group = ctx.own_group(need_visible_to=ctx.other.id)
    with ctx.start(ctx.other) as osess:
        with ctx.start() as sess:
            origin, h, new, _ = ctx.push(sess, group, 1, tag="propagated")
        osess.wait(lambda m: m.kind in ("checkpoint", "cosignature", "heads") and
                   (m.origin == origin and Note(m.note).size >= new if m.kind != "heads" else
                    any(o == origin and Note(n).size >= new for o, n in m.heads)),
                   4.0, f"{origin} size {new} pushed to {ctx.other.id}")


@case("entries-unsolicited-at-held-size", "§9 Receiving Entries (a batch starting at the held "
      "size is verified and stored)")
def c_entries_unsolicited(ctx):
    """A valid batch starting at the held size, sent without a Head or Want first, is stored."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, held, _ = ctx.own_state(sess, group)
        e = ctx.next_entries(origin, h, 1, ctx.me.id, "unsolicited")
        note = sign_checkpoint(origin, h + 1, mth([leaf_hash(x) for x in held + e]),
                               ctx.me.key)
        sess.send(m_entries(origin, h, e, note))
        sess.alive(what="after an unsolicited batch")
        try:
            ctx.fetch(sess, origin, h, h + 1, prior=held, timeout=3.0)
        except Fail as f:
            raise Fail(f"batch not stored: {f}")


@case("entries-not-at-held-size-ignored", "§9 Receiving Entries (late, duplicated, reordered)")
def c_entries_gap(ctx):
    """A batch starting past the held size, and one starting before it, are ignored without an
    answer; the session stays and nothing is stored."""
    sess, group, origin, h, held, note = own_session_state(ctx)
    with sess:
        e = ctx.next_entries(origin, h, 2, ctx.me.id, "gap")
        cp = sign_checkpoint(origin, h + 2, mth([leaf_hash(x) for x in held + e]), ctx.me.key)
        sess.send(m_entries(origin, h + 1, e[1:], cp))                 # gap
        sess.send(m_entries(origin, h - 1, held[h - 1:], note.data))   # duplicate
        sess.quiet(lambda m: m.kind == "entries" and m.origin == origin, 1.0, "no answer")
        sess.alive(what="after batches not at the held size")
    d = ctx.fresh_heads()
    if origin in d and Note(d[origin]).size != h:
        raise Fail(f"node now holds {origin} at size {Note(d[origin]).size}; expected {h}")


@case("cosignature-larger-checkpoint-wants", "§9 rule 5 (a cosignature message of a larger "
      "checkpoint leads to a Want)")
def c_cosig_larger(ctx):
    """A larger checkpoint of the kit's feed sent as Head-as-cosignature makes the node ask."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, held, _ = ctx.own_state(sess, group)
        e = ctx.next_entries(origin, h, 1, ctx.me.id, "cosig-larger")
        note = sign_checkpoint(origin, h + 1, mth([leaf_hash(x) for x in held + e]),
                               ctx.me.key)
        sess.send(m_head(origin, note, as_cosignature=True))
        w = sess.wait(lambda m: m.kind == "want" and m.origin == origin, 5.0, "Want")
        if (w.frm, w.to) != (h, h + 1):
            raise Fail(f"Want [{w.frm},{w.to}); expected [{h},{h + 1})")
        sess.send(m_entries(origin, h, e, note))
        ctx.fetch(sess, origin, h, h + 1, prior=held)


@case("entry-at-max-size", "§2 rule 1 (at most 262,144 bytes)")
def c_entry_max(ctx):
    """An entry of exactly 262,144 bytes is accepted."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, held, _ = ctx.own_state(sess, group)
        if (origin, h) not in ctx.signed:
            ctx.signed[(origin, h)] = bulletin_of_size(
                ctx.me.id if re.fullmatch(r"X[A-Z]", ctx.me.id) else "XA",
                "Tocsin conformance kit: largest entry", MAX_ENTRY)
        ctx.push(sess, group, 1)


@case("head-older-checkpoint-accepted", "§9 rule 5 (s < h: an older checkpoint that matches is "
      "not a fault)")
def c_head_older(ctx):
    """An older checkpoint of the kit's feed, consistent with what the node holds, is taken
    without error; the session stays."""
    sess, group, origin, h, held, note = own_session_state(ctx)
    with sess:
        if h < 2:
            ctx.push(sess, group, 1, tag="older")
            h += 1
            held = ctx.known[origin][:h]
        old = sign_checkpoint(origin, h - 1, mth([leaf_hash(e) for e in held[:h - 1]]),
                              ctx.me.key)
        sess.send(m_head(origin, old))
        sess.quiet(lambda m: m.kind == "want" and m.origin == origin, 0.5, "no Want")
        sess.alive(what="after an older, consistent checkpoint")


@case("entry-unknown-kind-accepted", "§2 rules 4 and 'exactly as received'; §9 Decoding")
def c_entry_unknown(ctx):
    """A batch of an entry of a kind this version does not know (99, with an unknown payload
    field) and a bulletin carrying an unknown field is stored, and served back byte for byte."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, held, _ = ctx.own_state(sess, group)
        if (origin, h) not in ctx.signed:
            ctx.signed[(origin, h)] = fv(1, 99) + fv(2, int(time.time() * 1000)) + \
                fb(50, b"a payload of a later version")
        if (origin, h + 1) not in ctx.signed:
            ctx.signed[(origin, h + 1)] = make_bulletin("XA", "Tocsin conformance kit: with an "
                                                        "unknown field") + fb(77, b"later")
        origin, h, new, _ = ctx.push(sess, group, 2, tag="unknown")
    with ctx.start() as sess:
        got, _ = ctx.fetch(sess, origin, h, new)
        if got[:2] != [ctx.signed[(origin, h)], ctx.signed[(origin, h + 1)]]:
            raise Fail("entries served back differ from the bytes pushed")


@case("session-replaced", "§9 (a new session from the same node replaces the old one at once)")
def c_session_replaced(ctx):
    """A second session of the kit's identity replaces the first: the node closes the first
    promptly and the second stays."""
    first = ctx.start()
    with first:
        with ctx.start() as second:
            end = time.monotonic() + 3.0
            closed = False
            while time.monotonic() < end:
                try:
                    m = first.recv(end - time.monotonic())
                except Closed:
                    closed = True
                    break
                except Fail:
                    closed = True
                    break
                if m is not None and m.kind == "error":
                    raise Fail(f"node closed the replaced session with {m!r}")
            if not closed:
                try:
                    first.alive(timeout=1.0)
                except Fail:
                    closed = True
            if not closed:
                raise Fail("the older session of the same node is still open 3 s after a new "
                           "one")
            second.alive(what="the new session")


@case("entries-unsolicited-base-dropped", "§9 A feed held from an admission (Receiving: any "
      "other base is dropped without an answer)")
def c_base_dropped(ctx):
    """An Entries carrying a (well-formed) base that the node did not ask for is dropped without
    an answer; the session stays and nothing is stored."""
    sess, group, origin, h, held, note = own_session_state(ctx)
    with sess:
        e = ctx.next_entries(origin, h, 1, ctx.me.id, "base")
        # first_index = h with a base of one hash per set bit of h: the frontier of what is held.
        base = []
        pos = 0
        leaves = [leaf_hash(x) for x in held]
        for bit in reversed(range(h.bit_length())):
            if h & (1 << bit):
                base.append(mth(leaves[pos:pos + (1 << bit)]))
                pos += 1 << bit
        cp = sign_checkpoint(origin, h + 1, mth(leaves + [leaf_hash(e[0])]), ctx.me.key)
        sess.send(m_entries(origin, h, e, cp, base=base))
        sess.quiet(lambda m: m.kind == "entries" and m.origin == origin, 0.7, "no answer")
        sess.alive(what="after an unasked base")
    d = ctx.fresh_heads()
    if origin in d and Note(d[origin]).size != h:
        raise Fail(f"a batch with an unasked base was stored (size {Note(d[origin]).size})")


# ----------------------------------------------------------------------- cases: cosignatures

def _merge_case(ctx, genuine):
    idents = [ctx.me] + ([ctx.other] if ctx.other else [])
    with ctx.start() as sess:
        t = cosign_target(ctx, sess.heads, idents, genuine)
    if t is None:
        # A new bulletin of the kit makes the node write its own entries (acknowledgements,
        # §2) or a fresh checkpoint to cosign.
        with ctx.start() as sess:
            ctx.push(sess, ctx.own_group(), 1, tag="cosign-target")
        time.sleep(1.0)
        with ctx.start() as sess:
            t = cosign_target(ctx, sess.heads, idents, genuine)
    if t is None:
        raise Skip("no checkpoint held by the node that the kit's identities "
                   f"{'witness' if genuine else 'do not witness'} and have not cosigned")
    origin, note, ident = t
    line = cosig_line(note.text, ctx.charter.witness_name(ident.id), ident.key, int(time.time()))
    with ctx.start() as sess:
        sess.send(m_head(origin, note.data + line.encode(), as_cosignature=True))
        sess.alive(what="after a valid cosignature")
    d = ctx.fresh_heads(cond=lambda d: origin in d and note_has_line(d[origin], line))
    if origin not in d:
        raise Fail(f"{origin} is no longer announced")
    n = Note(d[origin])
    if n.size != note.size:
        raise Skip(f"the node's checkpoint of {origin} moved on ({note.size} -> {n.size})")
    if not note_has_line(d[origin], line):
        raise Fail(f"{ident.id}'s valid cosignature of {origin} size {note.size} "
                   f"({'a witness' if genuine else 'not a witness'} of the feed) was not merged")
    ctx.check_cosignatures(n)


@case("cosignature-merge", "§5; §8.2; §9 rule 5 (a line that verifies is merged)")
def c_cosig_merge(ctx):
    """A valid cosignature by a witness of the feed (§8.2), sent as Head-as-cosignature of a
    checkpoint the node holds, is merged: a new session's Heads carries it."""
    _merge_case(ctx, True)


@case("cosignature-merge-non-witness", "§9 rule 5 vs §8.2")
def c_cosig_merge_nw(ctx):
    """A valid cosignature by a charter node that is not a witness of the feed is merged (§9
    rule 5 passes over only unknown names and key IDs; §8.2 only does not count it)."""
    _merge_case(ctx, False)


@case("cosignature-forwarded", "§9 Messages (Head as cosignature: forwarded to peers that may "
      "see the feed)", needs=("other",))
def c_cosig_forward(ctx):
    """A new valid cosignature the kit sends is forwarded, with the checkpoint, to the --other
    member's session."""
    with ctx.start() as sess:
        t = cosign_target(ctx, sess.heads, [ctx.me], True, visible_to=ctx.other.id) or \
            cosign_target(ctx, sess.heads, [ctx.me], False, visible_to=ctx.other.id)
    if t is None:
        with ctx.start() as sess:
            ctx.push(sess, ctx.own_group(need_visible_to=ctx.other.id), 1, tag="forward")
        time.sleep(1.0)
        with ctx.start() as sess:
            t = cosign_target(ctx, sess.heads, [ctx.me], True, visible_to=ctx.other.id) or \
                cosign_target(ctx, sess.heads, [ctx.me], False, visible_to=ctx.other.id)
    if t is None:
        raise Skip(f"no checkpoint {ctx.other.id} may see that {ctx.me.id} has not cosigned")
    origin, note, ident = t
    genuine = ident.id in ctx.charter.witnesses(*parse_origin(ctx.charter, origin)[1:])
    line = cosig_line(note.text, ctx.charter.witness_name(ident.id), ident.key, int(time.time()))
    with ctx.start(ctx.other) as osess:
        with ctx.start() as sess:
            sess.send(m_head(origin, note.data + line.encode(), as_cosignature=True))
            sess.alive(what="after a valid cosignature")
        try:
            osess.wait(lambda m: m.kind in ("checkpoint", "cosignature") and m.origin == origin
                       and note_has_line(m.note, line), 3.0,
                       f"the cosignature forwarded to {ctx.other.id}")
        except Fail as f:
            if not genuine:
                d = ctx.fresh_heads()
                if origin in d and not note_has_line(d[origin], line):
                    raise Skip(f"the node did not merge {ident.id}'s cosignature of {origin}, "
                               f"not a witness of it (see cosignature-merge-non-witness)")
            raise f


@case("cosignature-invalid", "§9 rule 5 (the first line that does not verify: UNVERIFIABLE, "
      "nothing of the message merged)")
def c_cosig_invalid(ctx):
    """A checkpoint the node holds with a valid new cosignature (--other, when given) followed
    by a line of a charter node with its right key ID that does not verify: UNVERIFIABLE, the
    session closes, and the valid line is not merged."""
    with ctx.start() as sess:
        f = pick_feed(ctx, sess, not_author=ctx.me.id)
        if not f:
            raise Skip("the node announces no feed with entries")
        origin, note = f
        valid = ""
        author = parse_origin(ctx.charter, origin)[2]
        if ctx.other and ctx.other.id != author and not witness_line_of(note, ctx,
                                                                         ctx.other.id):
            valid = cosig_line(note.text, ctx.charter.witness_name(ctx.other.id),
                               ctx.other.key, int(time.time()))
        w = third_party(ctx, note, exclude=(author,))
        bad = fake_cosig_line(ctx, w)
        sess.send(m_head(origin, note.data + (valid + bad).encode(), as_cosignature=True))
        sess.expect_error(UNVERIFIABLE)
    if valid:
        d = ctx.fresh_heads()
        if origin in d and note_has_line(d[origin], valid):
            raise Fail("the valid line of a message refused as UNVERIFIABLE was merged")


@case("cosignature-duplicate-witness", "§9 rule 5; Error codes (MALFORMED: two cosignatures by "
      "one witness)")
def c_cosig_dup(ctx):
    """A note with two lines of one witness is MALFORMED."""
    with ctx.start() as sess:
        f = pick_feed(ctx, sess, not_author=ctx.me.id)
        if not f:
            raise Skip("the node announces no feed with entries")
        origin, note = f
        now = int(time.time())
        name = ctx.charter.witness_name(ctx.me.id)
        lines = cosig_line(note.text, name, ctx.me.key, now - 1) + \
            cosig_line(note.text, name, ctx.me.key, now)
        sess.send(m_head(origin, note.data + lines.encode(), as_cosignature=True))
        sess.expect_error(MALFORMED)


@case("cosignature-duplicate-witness-any-key", "§5 (what a cosignature line is); §9 rule 5 (a "
      "cosignature line naming the same witness as an earlier one: MALFORMED)")
def c_cosig_dup_any(ctx):
    """On a checkpoint the kit's member has not cosigned yet, a valid cosignature of its witness
    name followed by a line of the same name with a key ID none of its keys has. With a
    timestamp below 2^63 that line is a cosignature line naming the witness again: MALFORMED.
    With a timestamp of 2^63 or more it is not a cosignature line at all (§5): passed over, the
    session stays."""
    for first in (0x00, 0xFF):
        with ctx.start() as sess:
            t = cosign_target(ctx, sess.heads, [ctx.me], True) or \
                cosign_target(ctx, sess.heads, [ctx.me], False)
        if t is None:
            with ctx.start() as sess:
                ctx.push(sess, ctx.own_group(), 1, tag="dup-target")
            time.sleep(1.0)
        with ctx.start() as sess:
            t = cosign_target(ctx, sess.heads, [ctx.me], True) or \
                cosign_target(ctx, sess.heads, [ctx.me], False)
            if t is None:
                raise Skip(f"no checkpoint held by the node that {ctx.me.id} has not cosigned")
            origin, note, _ = t
            name = ctx.charter.witness_name(ctx.me.id)
            good = cosig_line(note.text, name, ctx.me.key, int(time.time()))
            blob = b"zzzz" + bytes([first]) + b"\0" * 7 + secrets.token_bytes(64)
            other = f"{EM_DASH} {name} {b64(blob)}\n"
            sess.send(m_head(origin, note.data + (good + other).encode(), as_cosignature=True))
            if first < 0x80:
                sess.expect_error(MALFORMED, what=f"second line's timestamp starting 0x{first:02x}")
            else:
                sess.alive(what="after a line whose timestamp is 2^63 or more (not a cosignature)")


@case("cosignature-unknown-lines-ignored", "§4; §9 rule 5 (unknown names and key IDs are passed "
      "over)")
def c_cosig_unknown(ctx):
    """Lines named after no node of the charter, or with a key ID none of the witness's keys
    has, are passed over: no error, the session stays."""
    with ctx.start() as sess:
        f = pick_feed(ctx, sess)
        if not f:
            raise Skip("the node announces no feed with entries")
        origin, note = f
        junk = secrets.token_bytes(76)
        w = third_party(ctx, note) or ctx.me.id
        lines = (f"{EM_DASH} tocsin/{ctx.charter.short}/Not-A-Node {b64(junk)}\n"
                 f"{EM_DASH} {ctx.charter.witness_name(w)} {b64(b'zzzz' + junk[4:])}\n"
                 f"{EM_DASH} example.org/some-other-witness {b64(junk)}\n")
        sess.send(m_head(origin, note.data + lines.encode(), as_cosignature=True))
        sess.alive(what="after lines of unknown keys")


@case("cosignature-future-dated", "§9 rule 6 (beyond the clock skew: not accepted yet, session "
      "stays)")
def c_cosig_future(ctx):
    """A valid cosignature dated one hour ahead is not stored, draws no Error, and the session
    stays."""
    idents = [ctx.me] + ([ctx.other] if ctx.other else [])
    with ctx.start() as sess:
        t = cosign_target(ctx, sess.heads, idents, True) or \
            cosign_target(ctx, sess.heads, idents, False)
        if t is None:
            raise Skip("no checkpoint the kit's identities have not cosigned")
        origin, note, ident = t
        line = cosig_line(note.text, ctx.charter.witness_name(ident.id), ident.key,
                          int(time.time()) + 3600)
        sess.send(m_head(origin, note.data + line.encode(), as_cosignature=True))
        sess.alive(what="after a future-dated cosignature")
    d = ctx.fresh_heads()
    if origin in d and note_has_line(d[origin], line):
        raise Fail("a cosignature dated an hour ahead was stored")


@case("entries-bad-cosignature-keeps-batch", "§9 Receiving Entries (a cosignature that does not "
      "verify closes the session; the batch, verified, is kept)")
def c_entries_badcosig(ctx):
    """A valid batch whose checkpoint carries a cosignature line that does not verify: the node
    answers UNVERIFIABLE and closes, but keeps the batch."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, held, _ = ctx.own_state(sess, group)
        e = ctx.next_entries(origin, h, 1, ctx.me.id, "bad-cosig")
        note = sign_checkpoint(origin, h + 1, mth([leaf_hash(x) for x in held + e]),
                               ctx.me.key)
        sess.send(m_head(origin, note))
        w = sess.wait(lambda m: m.kind == "want" and m.origin == origin, 5.0, "Want")
        bad = fake_cosig_line(ctx, third_party(ctx, exclude=(ctx.me.id,)))
        sess.send(m_entries(origin, w.frm, e, note + bad.encode()))
        sess.expect_error(UNVERIFIABLE)
    d = ctx.fresh_heads(cond=lambda d: origin in d and Note(d[origin]).size == h + 1)
    if origin not in d or Note(d[origin]).size != h + 1:
        raise Fail(f"the batch was not kept (node holds {origin} at size "
                   f"{Note(d[origin]).size if origin in d else 0}, expected {h + 1})")


# ----------------------------------------------------------------------- cases: errors

@case("error-out-of-order-before-hello", "§9 Session start 2; Error codes (OUT_OF_ORDER)")
def c_err_ooo(ctx):
    """A message other than Hello first: OUT_OF_ORDER, session closed."""
    sess = ctx.connect()
    with sess:
        sess.send(m_ping(7))
        sess.expect_error(OUT_OF_ORDER)


@case("error-second-hello", "§9 Session start 2 (a second Hello: OUT_OF_ORDER)")
def c_err_2hello(ctx):
    """A second Hello: OUT_OF_ORDER, session closed."""
    send_and_expect_error(ctx, lambda s: ctx.hello(), OUT_OF_ORDER)


@case("error-protocol-version", "§9 Version (PROTOCOL_VERSION)")
def c_err_version(ctx):
    """Hello with protocol_version 2: PROTOCOL_VERSION, session closed."""
    send_and_expect_error(ctx, ctx.hello(version=2), PROTOCOL_VERSION, after_start=False)


@case("error-protocol-version-absent", "§9 Version (any other version than 1)")
def c_err_version0(ctx):
    """Hello without protocol_version (0): PROTOCOL_VERSION."""
    send_and_expect_error(ctx, ctx.hello(version=0), PROTOCOL_VERSION, after_start=False)


@case("error-wrong-network", "§9 Session start 2; Error codes (WRONG_NETWORK)")
def c_err_network(ctx):
    """Hello with another network id: WRONG_NETWORK."""
    h = m_hello(sha256(b"another network"), ctx.me.id, ctx.charter.version)
    send_and_expect_error(ctx, h, WRONG_NETWORK, after_start=False)


@case("error-hello-node-id", "§9 Session start 2; Error codes (NOT_PERMITTED: node_id is not the "
      "certificate's CN)")
def c_err_nodeid(ctx):
    """Hello whose node_id is another node of the charter: NOT_PERMITTED."""
    other = third_party(ctx) or "ZZ"
    send_and_expect_error(ctx, ctx.hello(node_id=other), NOT_PERMITTED, after_start=False)


@case("error-hello-check-order", "§9 Session start 2 (version, then network, then node id)")
def c_err_order(ctx):
    """Hello wrong in version, network and node id: PROTOCOL_VERSION; wrong in network and node
    id: WRONG_NETWORK."""
    other = third_party(ctx) or "ZZ"
    send_and_expect_error(ctx, m_hello(sha256(b"x"), other, 1, version=9), PROTOCOL_VERSION,
                          after_start=False, what="version+network+node id")
    send_and_expect_error(ctx, m_hello(sha256(b"x"), other, 1), WRONG_NETWORK,
                          after_start=False, what="network+node id")


@case("error-empty-frame", "§9 Decoding (no body: MALFORMED)")
def c_err_empty(ctx):
    """A frame of length 0 (a Message without body): MALFORMED."""
    send_and_expect_error(ctx, b"\0\0\0\0", MALFORMED, raw=True)


@case("error-no-body", "§9 Decoding (no body; unknown fields ignored)")
def c_err_nobody(ctx):
    """A Message holding only an unknown field (99): MALFORMED (no body)."""
    send_and_expect_error(ctx, fv(99, 1) + fb(100, b"x"), MALFORMED)


@case("error-unknown-body", "§9 Decoding (body field 11 and up: MALFORMED)")
def c_err_unknown_body(ctx):
    """A Message whose body is field 11: MALFORMED."""
    send_and_expect_error(ctx, fb(11, fv(1, 1)), MALFORMED)


@case("error-undecodable-frame", "§9 Decoding; Frames (does not decode: MALFORMED)")
def c_err_undecodable(ctx):
    """A frame that is not protobuf (truncated field): MALFORMED."""
    send_and_expect_error(ctx, b"\x0a\x7fshort", MALFORMED)


@case("error-origin-unparsable", "§1; Error codes (MALFORMED: an origin that does not parse)")
def c_err_origin(ctx):
    """Want of an origin that does not parse: MALFORMED."""
    send_and_expect_error(ctx, m_want("tocsin/not-hex/only-three", 0, 1), MALFORMED)


@case("error-want-from-ge-to", "§9 Want and Entries (from >= to: MALFORMED)")
def c_err_fromto(ctx):
    """Want with from = to: MALFORMED."""
    o = ctx.charter.origin(ctx.own_group(), ctx.me.id)
    send_and_expect_error(ctx, m_want(o, 3, 3), MALFORMED)


@case("error-heads-duplicate-origin", "§9 Messages (Heads naming one origin twice: MALFORMED); "
      "cost table")
def c_err_dupheads(ctx):
    """A Heads naming one origin twice: MALFORMED."""
    def build(sess):
        f = pick_feed(ctx, sess)
        if f:
            o, note = f
            data = note.data
        else:
            o = ctx.charter.origin(ctx.own_group(), ctx.me.id)
            data = sign_checkpoint(o, 0, sha256(b""), ctx.me.key)
        return m_heads([(o, data), (o, data)])
    send_and_expect_error(ctx, build, MALFORMED)


@case("error-wrong-network-origin", "§9 rule 1; Error codes (WRONG_NETWORK: an origin of another "
      "network)")
def c_err_wn_origin(ctx):
    """Want of an origin of another network: WRONG_NETWORK."""
    g = ctx.own_group()
    short = "0123456789abcdef" if ctx.charter.short != "0123456789abcdef" else "fedcba9876543210"
    send_and_expect_error(ctx, m_want(f"tocsin/{short}/{g}/{ctx.me.id}", 0, 1), WRONG_NETWORK)


@case("error-want-not-permitted", "§9 Want (refused as in rule 1); rule 1 (NOT_PERMITTED)")
def c_err_want_np(ctx):
    """Want of a feed of a group the kit and the node may not both see: NOT_PERMITTED."""
    o = not_permitted_origin(ctx)
    if o is None:
        raise Skip(f"{ctx.me.id} and {ctx.node} may both see every group")
    send_and_expect_error(ctx, m_want(o, 0, 1), NOT_PERMITTED)


@case("error-want-author-not-member", "§9 rule 1 (author not a member of the group)")
def c_err_want_nm(ctx):
    """Want of a feed whose author is a charter node but not a member of the group:
    NOT_PERMITTED."""
    for gid, g in ctx.charter.groups.items():
        if not ctx.charter.both_see(ctx.me.id, ctx.node, gid):
            continue
        for n in ctx.charter.nodes:
            if n not in g["members"]:
                send_and_expect_error(ctx, m_want(ctx.charter.origin(gid, n), 0, 1),
                                      NOT_PERMITTED)
                return
    raise Skip("every node of the charter is a member of every group the kit shares")


@case("error-want-unknown-author", "§9 rule 1; Error codes (an author the charter does not "
      "know)")
def c_err_want_ua(ctx):
    """Want of a feed by an author the charter does not know: NOT_PERMITTED."""
    o = ctx.charter.origin(ctx.own_group(), "ZZ-unknown")
    send_and_expect_error(ctx, m_want(o, 0, 1), NOT_PERMITTED)


@case("error-want-unknown-group", "§9 rule 1 (a group the charter does not define)")
def c_err_want_ug(ctx):
    """Want of a feed of a group the charter does not define: NOT_PERMITTED (guessed: the spec
    names no code for it)."""
    o = ctx.charter.origin("no-such-group", ctx.me.id)
    send_and_expect_error(ctx, m_want(o, 0, 1), NOT_PERMITTED)


@case("error-head-not-permitted", "§9 rule 1 (checked before the signature)")
def c_err_head_np(ctx):
    """Head-as-checkpoint of a feed the two sides may not both see (with a signature that would
    not verify): NOT_PERMITTED, as rule 1 comes before rule 4."""
    o = not_permitted_origin(ctx)
    if o is None:
        raise Skip(f"{ctx.me.id} and {ctx.node} may both see every group")
    note = sign_checkpoint(o, 1, sha256(b"x"), ctx.me.key)
    send_and_expect_error(ctx, m_head(o, note), NOT_PERMITTED)


@case("error-head-origin-mismatch", "§9 Error codes (UNVERIFIABLE: a note whose origin is not "
      "the Head's)")
def c_err_head_mismatch(ctx):
    """A Head whose origin field differs from its checkpoint's origin: UNVERIFIABLE, session
    closed."""
    with ctx.start() as sess:
        f = pick_feed(ctx, sess, not_author=ctx.me.id)
        if not f:
            raise Skip("the node announces no feed with entries")
        o, note = f
        mine = ctx.charter.origin(ctx.own_group(), ctx.me.id)
        target = mine if mine != o else ctx.charter.origin(ctx.own_group(), ctx.node)
        sess.send(m_head(target, note.data))
        sess.expect_error(UNVERIFIABLE)


@case("error-checkpoint-bad-signature", "§4; §9 rule 4 (UNVERIFIABLE)")
def c_err_badsig(ctx):
    """A larger checkpoint of the kit's feed whose author signature does not verify:
    UNVERIFIABLE."""
    def build(sess):
        origin, h, held, _ = ctx.own_state(sess, ctx.own_group())
        e = ctx.next_entries(origin, h, 1, ctx.me.id, "bad-sig")
        text = checkpoint_text(origin, h + 1, mth([leaf_hash(x) for x in held + e]))
        sig = bytearray(ctx.me.key.sign(text))
        sig[5] ^= 0x40
        line = f"{EM_DASH} {origin} {b64(key_id(origin, 1, ctx.me.pub) + bytes(sig))}\n"
        return m_head(origin, make_note(text, [line]))
    send_and_expect_error(ctx, build, UNVERIFIABLE)


@case("error-checkpoint-no-author-line", "§4 (a note with no matching line is rejected)")
def c_err_noauthor(ctx):
    """A checkpoint carrying only a cosignature line and a line of an unknown key:
    UNVERIFIABLE."""
    def build(sess):
        origin, h, held, _ = ctx.own_state(sess, ctx.own_group())
        e = ctx.next_entries(origin, h, 1, ctx.me.id, "no-author")
        text = checkpoint_text(origin, h + 1, mth([leaf_hash(x) for x in held + e]))
        other = Ed25519PrivateKey.generate()
        lines = [author_line(text, origin, other)]  # right name, unknown key ID
        return m_head(origin, make_note(text, lines))
    send_and_expect_error(ctx, build, UNVERIFIABLE)


@case("error-checkpoint-two-author-lines", "§4 (two lines of one of the author's keys: "
      "rejected)")
def c_err_twoauthor(ctx):
    """A checkpoint with its (valid) author line twice: UNVERIFIABLE."""
    def build(sess):
        origin, h, held, _ = ctx.own_state(sess, ctx.own_group())
        e = ctx.next_entries(origin, h, 1, ctx.me.id, "two-author")
        text = checkpoint_text(origin, h + 1, mth([leaf_hash(x) for x in held + e]))
        line = author_line(text, origin, ctx.me.key)
        return m_head(origin, make_note(text, [line, line]))
    send_and_expect_error(ctx, build, UNVERIFIABLE)


@case("error-checkpoint-size-over-2-40", "§4 (a checkpoint of a larger tree is refused: "
      "UNVERIFIABLE in a session)")
def c_err_size(ctx):
    """A signed checkpoint of size 2^40+1 is refused and the session closed: UNVERIFIABLE."""
    def build(sess):
        origin = ctx.charter.origin(ctx.own_group(), ctx.me.id)
        return m_head(origin, sign_checkpoint(origin, MAX_TREE + 1, sha256(b"big"),
                                              ctx.me.key))
    send_and_expect_error(ctx, build, (UNVERIFIABLE,))


@case("error-note-too-many-lines", "§4; cost table (512 signature lines: UNVERIFIABLE)")
def c_err_lines(ctx):
    """A checkpoint the node holds with 513 signature lines in all: UNVERIFIABLE."""
    def build(sess):
        f = pick_feed(ctx, sess)
        if not f:
            raise Skip("the node announces no feed with entries")
        o, note = f
        extra = MAX_NOTE_LINES + 1 - len(note.lines)
        lines = "".join(f"{EM_DASH} x{i} {b64(secrets.token_bytes(8))}\n" for i in range(extra))
        return m_head(o, note.data + lines.encode(), as_cosignature=True)
    send_and_expect_error(ctx, build, UNVERIFIABLE)


@case("error-note-too-large", "§4; cost table (64 KiB note: UNVERIFIABLE)")
def c_err_notesize(ctx):
    """A checkpoint the node holds padded with unknown-key lines past 65,536 bytes:
    UNVERIFIABLE."""
    def build(sess):
        f = pick_feed(ctx, sess)
        if not f:
            raise Skip("the node announces no feed with entries")
        o, note = f
        lines = "".join(f"{EM_DASH} pad{i} {b64(secrets.token_bytes(12000))}\n"
                        for i in range(6))
        return m_head(o, note.data + lines.encode(), as_cosignature=True)
    send_and_expect_error(ctx, build, UNVERIFIABLE)


@case("error-entries-root-mismatch", "§6 rule 6; §9 Receiving Entries (UNVERIFIABLE, nothing "
      "stored)")
def c_err_root(ctx):
    """The node's Want answered with an entry other than the one the checkpoint commits to:
    UNVERIFIABLE, nothing stored."""
    def signed(origin, h):
        return ctx.next_entries(origin, h, 1, ctx.me.id, "root")

    def sent(origin, h):
        return [make_bulletin("XA", "Tocsin conformance kit: not the signed entry")]
    push_bad_batch(ctx, sent, signed)


@case("error-entries-bad-entry", "§2 rules 3-4; §6 rule 5 (UNVERIFIABLE)")
def c_err_entry_kind(ctx):
    """A signed batch whose entry has kind ENTRY_KIND_UNSPECIFIED: UNVERIFIABLE, nothing stored.
    (The kit signs a checkpoint over this invalid entry.)"""
    bad = make_bulletin("XA", "Tocsin conformance kit: kind 0", kind=0)
    push_bad_batch(ctx, [bad])


@case("error-entries-entry-too-large", "§2 rule 1; cost table (entry over 256 KiB: "
      "UNVERIFIABLE)")
def c_err_entry_big(ctx):
    """A signed batch whose one entry is 262,145 bytes: UNVERIFIABLE, nothing stored.
    (The kit signs a checkpoint over this invalid entry.)"""
    bad = bulletin_of_size("XA", "Tocsin conformance kit: too large", MAX_ENTRY + 1)
    push_bad_batch(ctx, [bad])


@case("error-entries-checkpoint-size", "§6 rule 4 (checkpoint size exactly the batch's end)")
def c_err_cpsize(ctx):
    """A batch of one entry carrying a valid checkpoint of two: UNVERIFIABLE."""
    def signed(origin, h):
        return ctx.next_entries(origin, h, 2, ctx.me.id, "cp-size")

    def sent(origin, h):
        return signed(origin, h)[:1]
    push_bad_batch(ctx, sent, signed)


@case("error-entries-checkpoint-other-origin", "§6 rule 3 (the checkpoint names this feed's "
      "origin)")
def c_err_cporigin(ctx):
    """A batch whose checkpoint is a valid one of another origin: UNVERIFIABLE."""
    def note(origin, h, leaves):
        other = origin + "-elsewhere"
        return sign_checkpoint(other, h + 1, mth(leaves), ctx.me.key)

    def signed(origin, h):
        return ctx.next_entries(origin, h, 1, ctx.me.id, "cp-origin")
    push_bad_batch(ctx, signed, signed, note=note)


@case("error-entries-too-many", "§6 rule 2; cost table (batch over 10,000 entries: "
      "UNVERIFIABLE)")
def c_err_too_many(ctx):
    """A signed batch of 10,001 entries: UNVERIFIABLE, nothing stored. (The kit signs a
    checkpoint over more than an author may.)"""
    e = make_bulletin("XA", "k")
    push_bad_batch(ctx, [e] * (MAX_BATCH_ENTRIES + 1))


@case("error-entries-batch-too-large", "§6 rule 2; cost table (batch over 8 MiB of entries: "
      "UNVERIFIABLE)")
def c_err_batch_big(ctx):
    """A signed batch of 33 entries of 256 KiB (over 8 MiB in all): UNVERIFIABLE, nothing
    stored."""
    e = bulletin_of_size("XA", "Tocsin conformance kit: part of a batch over 8 MiB", MAX_ENTRY)
    push_bad_batch(ctx, [e] * 33)


@case("error-entries-not-permitted", "§9 rule 1 (any origin the two sides may not both see)")
def c_err_entries_np(ctx):
    """Entries of a feed the kit and the node may not both see: NOT_PERMITTED."""
    o = not_permitted_origin(ctx)
    if o is None:
        raise Skip(f"{ctx.me.id} and {ctx.node} may both see every group")
    e = make_bulletin("XA", "Tocsin conformance kit: out of scope")
    note = sign_checkpoint(o, 1, leaf_hash(e), ctx.me.key)
    send_and_expect_error(ctx, m_entries(o, 0, [e], note), NOT_PERMITTED)


@case("error-fork-proof-not-permitted", "§9 Messages (ForkProof: the origin is checked as in "
      "rule 1)")
def c_err_fp_np(ctx):
    """A readable ForkProof of a feed the two sides may not both see: NOT_PERMITTED."""
    o = not_permitted_origin(ctx)
    if o is None:
        raise Skip(f"{ctx.me.id} and {ctx.node} may both see every group")
    a = sign_checkpoint(o, 1, sha256(b"one"), ctx.me.key)
    b = sign_checkpoint(o, 1, sha256(b"two"), ctx.me.key)
    send_and_expect_error(ctx, m_fork_proof(a, b), NOT_PERMITTED)


@case("error-entries-empty", "§6 rule 2 (1-10,000 entries)")
def c_err_empty_batch(ctx):
    """A batch at the held size with no entry and the held checkpoint: UNVERIFIABLE (guessed:
    §6 rule 2 makes it a failed batch)."""
    sess, group, origin, h, held, note = own_session_state(ctx)
    with sess:
        sess.send(m_entries(origin, h, [], note.data))
        sess.expect_error(UNVERIFIABLE)


@case("error-fork-proof-unreadable", "§9 Messages (ForkProof: unreadable: MALFORMED)")
def c_err_fp_unreadable(ctx):
    """A ForkProof whose checkpoints are not signed notes: MALFORMED."""
    send_and_expect_error(ctx, m_fork_proof(b"not a note", b"neither"), MALFORMED)


@case("error-fork-proof-not-a-fork", "§7; §9 Messages (ForkProof that proves nothing: "
      "UNVERIFIABLE)")
def c_err_fp_nofork(ctx):
    """A ForkProof of two copies of one checkpoint the node holds: UNVERIFIABLE."""
    def build(sess):
        f = pick_feed(ctx, sess)
        if not f:
            raise Skip("the node announces no feed with entries")
        o, note = f
        return m_fork_proof(note.data, note.data)
    send_and_expect_error(ctx, build, UNVERIFIABLE)


@case("error-frame-too-large", "§9 Frames; Error codes (TOO_LARGE, before any of it is read)")
def c_err_toolarge(ctx):
    """A frame header announcing 16 MiB + 1 (no body sent): TOO_LARGE, closed."""
    send_and_expect_error(ctx, struct.pack(">I", MAX_FRAME + 1), TOO_LARGE, raw=True)


@case("frame-at-max-size", "§9 Frames (the maximum frame is 16 MiB)")
def c_frame_max(ctx):
    """A frame of exactly 16 MiB (a ping padded with an unknown field) is read and answered."""
    nonce = 4242
    with ctx.start() as sess:
        pad = MAX_FRAME - 16
        for _ in range(6):
            msg = fb(9, fv(1, nonce) + fb(99, b"\0" * pad))
            d = len(msg) - MAX_FRAME
            if d == 0:
                break
            pad -= d
        assert len(msg) == MAX_FRAME
        sess.send(msg)
        sess.wait(lambda m: m.kind == "pong" and m.nonce == nonce, 8.0,
                  "pong to a 16 MiB ping")


@case("error-overloaded-frames", "§9 cost table (frames: burst 4,000 then 1,000/s: OVERLOADED)")
def c_err_overloaded(ctx):
    """12,000 small frames at once: OVERLOADED, closed."""
    with ctx.start() as sess:
        sess.send_raw(frame(m_pong(1)) * 12000)
        sess.expect_error(OVERLOADED, timeout=6.0)


@case("frames-burst-within-limit", "§9 cost table (a burst of 4,000 frames is allowed)")
def c_burst_ok(ctx):
    """3,000 small frames at once are taken; the session stays."""
    with ctx.start() as sess:
        sess.send_raw(frame(m_pong(1)) * 3000)
        sess.alive(timeout=5.0, what="after 3,000 frames")


@case("error-received-closes", "§9 Error codes (a node that receives an Error closes without "
      "answering)")
def c_err_received(ctx):
    """After the kit sends Error, the node closes the session (close_notify) and sends no Error."""
    with ctx.start() as sess:
        sess.send(m_error(MALFORMED, "conformance kit: testing that an Error closes"))
        end = time.monotonic() + 3.0
        while True:
            rem = end - time.monotonic()
            if rem <= 0:
                raise Fail("session still open 3 s after the kit's Error")
            try:
                m = sess.recv(rem)
            except Closed as c:
                if not c.clean:
                    raise Fail(f"node {c.detail}")
                return
            if m is not None and m.kind == "error":
                raise Fail(f"node answered the kit's Error with {m!r}")


# ----------------------------------------------------------------------- cases: accept mode

@case("accept-tls-handshake", "§9 Transport, Certificates (the node dialing)", mode="listen",
      timeout=40)
def c_acc_tls(ctx):
    """The node dials the kit: TLS 1.3, its client certificate is the authority's, CN = its id,
    the key the charter pins, the profile of §9 Certificates."""
    s, cert = ctx.accept()
    with Session(s, cert, ctx.me) as sess:
        _tls_checks(ctx, s, cert, "client")
        sess.send(ctx.hello())
        sess.wait(lambda m: m.kind == "heads", 5, "Heads")


@case("accept-hello", "§9 Session start 1-3 (the node dialing)", mode="listen", timeout=40)
def c_acc_hello(ctx):
    """As hello, on a session the node opened."""
    _hello_case(ctx)


@case("accept-heads-scope", "§9 Session start 3 (the node dialing)", mode="listen", timeout=40)
def c_acc_heads(ctx):
    """As heads-scope, on a session the node opened."""
    c_heads_scope(ctx)


@case("accept-want-entries", "§9 Want and Entries (the node dialing)", mode="listen",
      timeout=40)
def c_acc_want(ctx):
    """As want-entries, on a session the node opened."""
    c_want_entries(ctx)


@case("accept-push-append", "§6; §9 Head as checkpoint, Want, Entries (the node dialing)",
      mode="listen", timeout=60)
def c_acc_push(ctx):
    """As push-append: the kit appends to its own feed and pushes it to the node that dialed."""
    c_push_append(ctx)


@case("accept-push-cosigned-back", "§8.2; §9 Receiving Entries (the node dialing)",
      mode="listen", timeout=40)
def c_acc_cosigned(ctx):
    """As push-cosigned-back, where the node witnesses the kit's feed."""
    c_push_cosigned(ctx)


@case("accept-push-via-heads", "§9 Session start 3; rule 5 (the node dialing)", mode="listen",
      timeout=60)
def c_acc_via_heads(ctx):
    """As push-via-heads."""
    c_push_via_heads(ctx)


@case("accept-want-retry", "§9 Want and Entries (a Want with no progress for 5 s is asked "
      "again)", mode="listen", timeout=60)
def c_acc_retry(ctx):
    """The kit announces more of its feed and leaves the node's Want unanswered: the node asks
    again (of the kit, the only peer that announced it) about 5 s later; then it is answered."""
    with ctx.start() as sess:
        group = ctx.own_group()
        origin, h, held, _ = ctx.own_state(sess, group)
    e = ctx.next_entries(origin, h, 1, ctx.me.id, "retry")
    note = sign_checkpoint(origin, h + 1, mth([leaf_hash(x) for x in held + e]), ctx.me.key)
    with ctx.start(heads=[(origin, note)]) as sess:
        w1 = sess.wait(lambda m: m.kind == "want" and m.origin == origin, 5.0, "first Want")
        t1 = time.monotonic()
        w2 = sess.wait(lambda m: m.kind == "want" and m.origin == origin, 9.0,
                       "the Want asked again after 5 s without progress")
        el = time.monotonic() - t1
        if el < 4.0:
            raise Fail(f"Want asked again after {el:.1f} s (expected about 5 s)")
        if (w2.frm, w2.to) != (h, h + 1):
            raise Fail(f"second Want [{w2.frm},{w2.to}); expected [{h},{h + 1})")
        sess.send(m_entries(origin, h, e, note))
        ctx.fetch(sess, origin, h, h + 1, prior=held)


@case("accept-cosignature-merge", "§5; §9 rule 5 (the node dialing)", mode="listen",
      timeout=60)
def c_acc_merge(ctx):
    """As cosignature-merge."""
    _merge_case(ctx, True)


@case("accept-wrong-cn", "§9 Certificates (a node that dials n checks the CN is n)",
      mode="listen", needs=("other",), timeout=40)
def c_acc_wrong_cn(ctx):
    """The kit answers the node's dial with --other's (valid, pinned) certificate: the node
    closes the session before any frame (no Hello)."""
    s, cert = ctx.accept(ctx.other)
    with Session(s, cert, ctx.other) as sess:
        try:
            sess.send(ctx.hello(ctx.other))
        except OSError:
            return
        sess.expect_closed(3.0, f"answering as {ctx.other.id} on {ctx.me.id}'s address")


@case("accept-error-out-of-order", "§9 Session start 2 (the node dialing)", mode="listen",
      timeout=40)
def c_acc_ooo(ctx):
    """As error-out-of-order-before-hello."""
    c_err_ooo(ctx)


@case("accept-error-wrong-network", "§9 Session start 2 (the node dialing)", mode="listen",
      timeout=40)
def c_acc_wn(ctx):
    """As error-wrong-network."""
    c_err_network(ctx)


@case("accept-error-protocol-version", "§9 Version (the node dialing)", mode="listen",
      timeout=40)
def c_acc_pv(ctx):
    """As error-protocol-version."""
    c_err_version(ctx)


@case("accept-error-no-body", "§9 Decoding (the node dialing)", mode="listen", timeout=40)
def c_acc_nobody(ctx):
    """As error-no-body."""
    c_err_nobody(ctx)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Tocsin protocol conformance kit (version 1)")
    ap.add_argument("--network", help="network folder (ca.crt, charter.toml, charter.sig, "
                                      "<id>/node.key, <id>/node.crt)")
    ap.add_argument("--node", help="id of the node under test")
    ap.add_argument("--address", help="HOST:PORT of the node under test")
    ap.add_argument("--as", dest="as_", metavar="MEMBER", help="the member the kit plays")
    ap.add_argument("--other", metavar="MEMBER", help="a second member identity")
    ap.add_argument("--listen", metavar="HOST:PORT",
                    help="accept mode: listen here (as --as) for the node to dial")
    ap.add_argument("--cases", help="comma-separated case names (default: all of the mode)")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("--ca")
    ap.add_argument("--charter")
    ap.add_argument("--charter-signature", dest="charter_signature")
    args = ap.parse_args(argv)

    if args.list:
        for c in CASES:
            print(c.name)
        return 0
    for req in ("network", "node", "as_"):
        if not getattr(args, req):
            ap.error(f"--{req.rstrip('_')} is required")
    if not args.address and not args.listen:
        ap.error("--address is required")
    if not args.address:
        args.address = args.listen
    try:
        ctx = Context(args)
    except SystemExit as e:
        print(f"tocsin_conformance: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as e:
        print(f"tocsin_conformance: cannot read the network folder: {e}", file=sys.stderr)
        return 2

    mode = "listen" if args.listen else "connect"
    if args.cases:
        wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
        names = {c.name: c for c in CASES}
        unknown = [w for w in wanted if w not in names]
        if unknown:
            ap.error(f"unknown case(s): {', '.join(unknown)}")
        selected = [names[w] for w in wanted]
    else:
        selected = [c for c in CASES if c.mode == mode]

    passed = failed = skipped = 0
    for c in selected:
        result = run_case(ctx, c, mode)
        kind = result[0]
        if kind == "PASS":
            passed += 1
            print(f"PASS {c.name}", flush=True)
        elif kind == "SKIP":
            skipped += 1
            print(f"SKIP {c.name}: {result[1]}", flush=True)
        else:
            failed += 1
            print(f"FAIL {c.name}: {result[1]}", flush=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped", flush=True)
    if ctx.listener:
        ctx.listener.close()
    return 1 if failed else 0


def one_line(s):
    return " ".join(str(s).split())[:600]


def run_case(ctx, c: Case, mode):
    if c.mode != mode:
        return ("SKIP", f"a {c.mode}-mode case ({'--listen' if c.mode == 'listen' else 'without --listen'})")
    if "other" in c.needs and ctx.other is None:
        return ("SKIP", "needs --other")
    if "cakey" in c.needs and ctx.ca_key is None:
        return ("SKIP", "needs the authority's key (DIR/ca.key) to mint certificates")
    box = {}

    def target():
        try:
            c.fn(ctx)
            box["r"] = ("PASS", None)
        except Fail as e:
            box["r"] = ("FAIL", one_line(e))
        except Skip as e:
            box["r"] = ("SKIP", one_line(e))
        except (ConnectionRefusedError, socket.timeout, TimeoutError) as e:
            box["r"] = ("FAIL", one_line(f"cannot reach the node: {e!r}"))
        except ssl.SSLError as e:
            box["r"] = ("FAIL", one_line(f"TLS error: {e}"))
        except Exception as e:  # a bug of the kit or an unexpected closure
            tb = traceback.extract_tb(e.__traceback__)[-1]
            box["r"] = ("FAIL", one_line(f"unexpected {e.__class__.__name__}: {e} "
                                         f"(at line {tb.lineno})"))

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(c.timeout)
    if t.is_alive():
        return ("FAIL", f"case did not finish within {c.timeout:g} s")
    return box["r"]


if __name__ == "__main__":
    sys.exit(main())
