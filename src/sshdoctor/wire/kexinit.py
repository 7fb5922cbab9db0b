"""SSH_MSG_KEXINIT (RFC 4253 section 7.1): ten name-lists, encoded and decoded."""

from __future__ import annotations

import os
import struct

from sshdoctor.model import Proposal
from sshdoctor.wire.errors import ProtocolError
from sshdoctor.wire.packet import MSG_KEXINIT, put_string

# Wire order of the ten lists.
FIELDS = (
    "kex",
    "hostkey",
    "cipher_c2s",
    "cipher_s2c",
    "mac_c2s",
    "mac_s2c",
    "compression_c2s",
    "compression_s2c",
    "language_c2s",
    "language_s2c",
)


def _names(raw: bytes) -> tuple[str, ...]:
    # Names are US-ASCII by the RFC; anything else is kept losslessly so it
    # can be shown (sanitised) rather than crash the probe.
    if not raw:
        return ()
    return tuple(raw.decode("utf-8", "surrogateescape").split(","))


_U32 = struct.Struct(">I")
_LABELS = tuple(f"name-list {name}" for name in FIELDS)


def decode(payload: bytes) -> Proposal:
    """Parse a KEXINIT payload (message number included).

    Written out rather than through ``packet.Reader``: a scan decodes one per
    host, and the labels of the error messages are only needed on failure.
    """
    size = len(payload)
    if size < 1:
        raise ProtocolError("KEXINIT truncated in message number")
    if payload[0] != MSG_KEXINIT:
        raise ProtocolError("expected KEXINIT")
    if size < 17:
        raise ProtocolError("KEXINIT truncated in cookie")
    cookie = payload[1:17]
    pos = 17
    lists: dict[str, tuple[str, ...]] = {}
    unpack = _U32.unpack_from
    for name, label in zip(FIELDS, _LABELS, strict=True):
        if pos + 4 > size:
            raise ProtocolError(f"KEXINIT truncated in {label}")
        (length,) = unpack(payload, pos)
        pos += 4
        end = pos + length
        if end > size:
            raise ProtocolError(f"KEXINIT truncated in {label}")
        lists[name] = _names(payload[pos:end])
        pos = end
    if pos + 1 > size:
        raise ProtocolError("KEXINIT truncated in first_kex_packet_follows")
    follows = payload[pos] != 0
    if pos + 5 > size:
        raise ProtocolError("KEXINIT truncated in reserved field")
    return Proposal(cookie=bytes(cookie), first_kex_follows=follows, **lists)


_SHARED: dict[bytes, Proposal] = {}
_SHARED_LIMIT = 1024


def decode_shared(payload: bytes) -> Proposal:
    """:func:`decode`, one object for every payload with the same lists (a fleet repeats a few
    offers thousands of times). Its cookie is the first such payload's: the cookie takes no part
    in comparisons, and nothing reads a received one."""
    if len(payload) < 17 or payload[0] != MSG_KEXINIT:
        return decode(payload)  # raises, naming what is wrong
    tail = payload[17:]
    found = _SHARED.get(tail)
    if found is None:
        found = decode(payload)
        if len(_SHARED) >= _SHARED_LIMIT:
            _SHARED.clear()
        _SHARED[tail] = found
    return found


def encode(proposal: Proposal) -> bytes:
    """Build a KEXINIT payload; a fresh random cookie unless the proposal has one."""
    cookie = proposal.cookie if len(proposal.cookie) == 16 else os.urandom(16)
    body = bytes([MSG_KEXINIT]) + cookie
    for name in FIELDS:
        body += put_string(",".join(getattr(proposal, name)).encode("utf-8", "surrogateescape"))
    body += bytes([1 if proposal.first_kex_follows else 0]) + struct.pack(">I", 0)
    return body
