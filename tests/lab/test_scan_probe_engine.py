"""The scan's probe (a non-blocking socket on the event loop) with well-behaved servers that
speak in different orders: the bytes it sends are what each order needs."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from sshdoctor.model import Proposal, Target
from sshdoctor.wire import kexinit, packet
from sshdoctor.wire.errors import ConnectionRefused, KexinitTimeout
from sshdoctor.wire.probe import probe
from sshdoctor.wire.scan import PacketScan
from tests.lab.hostile import HostileServer

OFFER = Proposal.symmetric(kex=["curve25519-sha256"], hostkey=["ssh-ed25519"], cipher=["aes128-ctr"],
                           mac=["hmac-sha2-256"], compression=["none"])
BANNER = b"SSH-2.0-OrderTest_1.0\r\n"


def _read_line(conn: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise OSError("closed")
        data += chunk
    line, _, rest = data.partition(b"\n")
    return line, rest


def _packets_until_close(conn: socket.socket, rest: bytes) -> list[int]:
    """The message numbers the client sent after its identification, until it closed."""
    scan = PacketScan()
    kinds = [p[0] for p in scan.feed(rest)]
    conn.settimeout(5)
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return kinds
        kinds += [p[0] for p in scan.feed(chunk)]


def _run(port: int, ident: object = "SSH-2.0-OpenSSH_9.2p1", timeout: float = 3.0) -> Proposal:
    result = asyncio.run(probe(Target("127.0.0.1", port), timeout=timeout, ident=ident))  # type: ignore[arg-type]
    return result.proposal


def test_server_that_speaks_first_gets_only_a_goodbye() -> None:
    seen: list[object] = []

    def handler(conn: socket.socket) -> None:
        conn.sendall(BANNER + packet.build_packet(kexinit.encode(OFFER)))
        line, rest = _read_line(conn)
        seen.append(line)
        seen.append(_packets_until_close(conn, rest))

    with HostileServer(handler) as server:
        assert _run(server.port) == OFFER
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert seen[0] == b"SSH-2.0-OpenSSH_9.2p1\r"
    # Their KEXINIT was in hand with their identification: ours would have been wasted.
    assert seen[1] == [packet.MSG_DISCONNECT]


def test_server_that_waits_for_our_identification_and_kexinit() -> None:
    seen: list[object] = []

    def handler(conn: socket.socket) -> None:
        line, rest = _read_line(conn)  # nothing from the server before the client's identification
        seen.append(line)
        conn.sendall(BANNER)
        scan = PacketScan()
        kinds = [p[0] for p in scan.feed(rest)]
        while not kinds:
            kinds += [p[0] for p in scan.feed(conn.recv(65536))]
        seen.append(kinds[0])
        conn.sendall(packet.build_packet(kexinit.encode(OFFER)))  # only after the client's KEXINIT
        time.sleep(0.5)

    with HostileServer(handler) as server:
        assert _run(server.port) == OFFER
    assert seen == [b"SSH-2.0-OpenSSH_9.2p1\r", packet.MSG_KEXINIT]


def test_identification_obtained_while_connecting() -> None:
    async def slow_ident() -> str:
        await asyncio.sleep(0.3)
        return "SSH-2.0-Later_1.0"

    seen: list[bytes] = []

    def handler(conn: socket.socket) -> None:
        conn.sendall(BANNER)  # the identification waits for the client's
        line, _rest = _read_line(conn)
        seen.append(line)
        conn.sendall(packet.build_packet(kexinit.encode(OFFER)))
        time.sleep(0.5)

    with HostileServer(handler) as server:
        assert _run(server.port, ident=slow_ident()) == OFFER
    assert seen == [b"SSH-2.0-Later_1.0\r"]


def test_kexinit_wait_is_bounded_and_names_the_server() -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(BANNER)
        time.sleep(3)

    with HostileServer(handler) as server:
        started = time.monotonic()
        with pytest.raises(KexinitTimeout) as info:
            _run(server.port, timeout=0.5)
    assert 0.4 < time.monotonic() - started < 1.5
    assert "OrderTest_1.0" in info.value.message


def test_every_address_is_tried_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name with several addresses: one that refuses, then the server's; the probe goes on, as ssh does."""
    from sshdoctor.wire import probe as probe_module

    async def two_addresses(target: Target, timeout: float) -> list[tuple[int, str]]:
        return [(socket.AF_INET, "127.0.0.2"), (socket.AF_INET, "127.0.0.1")]  # nothing listens on .2

    monkeypatch.setattr(probe_module, "_resolve", two_addresses)

    def handler(conn: socket.socket) -> None:
        conn.sendall(BANNER + packet.build_packet(kexinit.encode(OFFER)))
        time.sleep(0.3)

    with HostileServer(handler) as server:
        result = asyncio.run(probe(Target("several.example.invalid", server.port), timeout=2.0))
    assert result.address == "127.0.0.1" and result.proposal == OFFER


def test_refused_is_refused() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ConnectionRefused):
        _run(port)
