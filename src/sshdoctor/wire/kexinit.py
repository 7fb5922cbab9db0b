"""SSH_MSG_KEXINIT (RFC 4253 section 7.1): ten name-lists, encoded and decoded."""

from __future__ import annotations

import os
import struct

from sshdoctor.model import Proposal
from sshdoctor.wire.errors import ProtocolError
from sshdoctor.wire.packet import MSG_KEXINIT, Reader, put_string

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


def decode(payload: bytes) -> Proposal:
    """Parse a KEXINIT payload (message number included)."""
    reader = Reader(payload, "KEXINIT")
    if reader.byte("message number") != MSG_KEXINIT:
        raise ProtocolError("expected KEXINIT")
    cookie = reader.take(16, "cookie")
    lists = {name: _names(reader.string(f"name-list {name}")) for name in FIELDS}
    follows = reader.byte("first_kex_packet_follows") != 0
    reader.uint32("reserved field")
    return Proposal(cookie=cookie, first_kex_follows=follows, **lists)


def encode(proposal: Proposal) -> bytes:
    """Build a KEXINIT payload; a fresh random cookie unless the proposal has one."""
    cookie = proposal.cookie if len(proposal.cookie) == 16 else os.urandom(16)
    body = bytes([MSG_KEXINIT]) + cookie
    for name in FIELDS:
        body += put_string(",".join(getattr(proposal, name)).encode("utf-8", "surrogateescape"))
    body += bytes([1 if proposal.first_kex_follows else 0]) + struct.pack(">I", 0)
    return body
