"""The unencrypted binary packet of RFC 4253 section 6 and SSH wire types."""

from __future__ import annotations

import os
import struct

from sshdoctor.wire.errors import ProtocolError

# OpenSSH's PACKET_MAX_SIZE; RFC 4253 only requires 35000.
MAX_PACKET = 256 * 1024

MSG_DISCONNECT = 1
MSG_IGNORE = 2
MSG_UNIMPLEMENTED = 3
MSG_DEBUG = 4
MSG_KEXINIT = 20


def check_length(packet_length: int) -> None:
    """Reject lengths no sane peer sends before a bogus allocation happens."""
    if packet_length < 5 or packet_length > MAX_PACKET:
        raise ProtocolError(f"bad packet length {packet_length}")


def split_packet(body: bytes) -> bytes:
    """The payload of a packet body (everything after the length field)."""
    padding = body[0]
    if padding + 1 > len(body):
        raise ProtocolError(f"bad padding length {padding} for a {len(body)}-byte packet")
    return body[1 : len(body) - padding]


def build_packet(payload: bytes, block: int = 8) -> bytes:
    """Frame a payload with random padding so the whole is a multiple of ``block``."""
    padding = block - (len(payload) + 5) % block
    if padding < 4:
        padding += block
    length = len(payload) + padding + 1
    return struct.pack(">IB", length, padding) + payload + os.urandom(padding)


def put_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def disconnect_payload(reason: int, description: str) -> bytes:
    """SSH_MSG_DISCONNECT with an empty language tag."""
    return bytes([MSG_DISCONNECT]) + struct.pack(">I", reason) + put_string(description.encode()) + put_string(b"")


class Reader:
    """Sequential reader over a payload that raises ProtocolError on truncation."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int, field: str) -> bytes:
        if self.pos + n > len(self.data):
            raise ProtocolError(f"{self.what} truncated in {field}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint32(self, field: str) -> int:
        value: int = struct.unpack(">I", self.take(4, field))[0]
        return value

    def string(self, field: str) -> bytes:
        return self.take(self.uint32(field), field)

    def byte(self, field: str) -> int:
        return self.take(1, field)[0]
