"""A fast stand-in SSH server for scan tests and benchmarks, loopback only.

Each connection gets an identification string and a KEXINIT at once (or
after a delay, or is dropped: to exercise retries and politeness), then is
closed when the client goes. It counts connections and the most that were
open at once per port. Runs in a thread (``start``/``stop``) or as a
process (``python -m bench.scan_responder ADDRESSES PORTS``), listening on
every (address, port) pair given, all inside 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import signal
import socket
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sshdoctor.model import Proposal
from sshdoctor.wire import kexinit, packet

MODERN = Proposal.symmetric(
    kex=["curve25519-sha256", "diffie-hellman-group14-sha256", "kex-strict-s-v00@openssh.com"],
    hostkey=["ssh-ed25519", "rsa-sha2-512"],
    cipher=["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr"],
    mac=["hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"],
)
LEGACY = Proposal.symmetric(
    kex=["diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"],
    hostkey=["ssh-rsa"],
    cipher=["aes128-cbc", "3des-cbc"],
    mac=["hmac-sha1"],
)


def _loopback(address: str) -> str:
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"{address} is not a loopback address")
    return address


class _Connection(asyncio.Protocol):
    """One client: the greeting at once (or after the delay), closed when the client goes (or after 5 s)."""

    def __init__(self, owner: Responder) -> None:
        self.owner = owner
        self.port = 0
        self.transport: asyncio.Transport | None = None
        self.timers: list[asyncio.TimerHandle] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        owner = self.owner
        self.transport = transport  # type: ignore[assignment]
        self.port = transport.get_extra_info("sockname")[1]
        owner.connections += 1
        peers = owner.open.setdefault(self.port, set())
        for other in list(peers):
            other.check_gone()
        owner.open_now[self.port] += 1
        owner.max_open[self.port] = max(owner.max_open[self.port], owner.open_now[self.port])
        peers.add(self)
        if owner.connections <= owner.drop_first:
            transport.close()
            return
        loop = asyncio.get_running_loop()
        if owner.delay:
            self.timers.append(loop.call_later(owner.delay, self._greet))
        else:
            self._greet()
        self.timers.append(loop.call_later(5.0, transport.close))

    def _greet(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.owner.greeting)

    def data_received(self, data: bytes) -> None:
        pass  # the client's identification and KEXINIT: read and dropped

    def eof_received(self) -> bool:
        self._gone()
        return False  # the client went: close

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in self.timers:
            timer.cancel()
        self._gone()

    def _gone(self) -> None:
        peers = self.owner.open.get(self.port, set())
        if self in peers:  # counted once, when the client's close is first seen
            self.owner.open_now[self.port] -= 1
            peers.discard(self)

    def check_gone(self) -> None:
        """Count this connection as closed if the client's FIN is already in: the event loop may
        run a new accept before the old socket's end-of-file, which would look like two at once."""
        if self.transport is None or self.transport.is_closing():
            return
        sock = self.transport.get_extra_info("socket")
        if sock is None:
            return
        with socket.socket(fileno=os.dup(sock.fileno())) as view:
            try:
                at_eof = view.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
            except (BlockingIOError, InterruptedError):
                at_eof = False
            except OSError:
                at_eof = True
        if at_eof:
            self._gone()


class Responder:
    """Listen on every (address, port); answer with ``banner`` and ``offer``."""

    def __init__(self, addresses: Sequence[str] = ("127.0.0.1",), ports: Sequence[int] = (0,), *,
                 banner: str = "SSH-2.0-OpenSSH_9.9 responder", offer: Proposal = MODERN, delay: float = 0.0,
                 drop_first: int = 0) -> None:
        self.addresses = [_loopback(a) for a in addresses]
        self.ports = list(ports)
        self.greeting = banner.encode("utf-8", "surrogateescape") + b"\r\n" + packet.build_packet(kexinit.encode(offer))
        self.delay = delay
        self.drop_first = drop_first
        self.connections = 0
        self.open_now: Counter[int] = Counter()
        self.max_open: Counter[int] = Counter()
        self.bound: list[tuple[str, int]] = []
        self.open: dict[int, set[_Connection]] = {}
        self._servers: list[asyncio.base_events.Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        for address in self.addresses:
            for port in self.ports:
                server = await loop.create_server(lambda: _Connection(self), address, port, backlog=1024)
                self._servers.append(server)
                self.bound.append((address, server.sockets[0].getsockname()[1]))

    def start(self) -> Responder:
        """Serve from a daemon thread; returns once every socket listens."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="responder", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.serve(), self._loop).result(60)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        async def close() -> None:
            for server in self._servers:
                server.close()
            for conn in [c for peers in self.open.values() for c in peers]:
                if conn.transport is not None:
                    conn.transport.close()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        if not loop.is_running():
            loop.close()
        self._loop = None

    def __enter__(self) -> Responder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def targets(self) -> list[str]:
        return [f"{a}:{p}" for a, p in self.bound]


def main() -> int:
    parser = argparse.ArgumentParser(description="Fast loopback SSH responder (banner + KEXINIT).")
    parser.add_argument("--addresses", type=int, default=1, help="how many addresses from 127.0.0.1 up")
    parser.add_argument("--ports", required=True, help="first-last port range")
    parser.add_argument("--legacy", action="store_true", help="offer legacy algorithms only")
    args = parser.parse_args()
    first, _, last = args.ports.partition("-")
    ports = list(range(int(first), int(last or first) + 1))
    base = int(ipaddress.ip_address("127.0.0.1"))
    addresses = [str(ipaddress.ip_address(base + i)) for i in range(args.addresses)]
    responder = Responder(addresses, ports, offer=LEGACY if args.legacy else MODERN)

    async def serve_forever() -> None:
        await responder.serve()
        print(f"listening on {len(responder.bound)} sockets", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()

    asyncio.run(serve_forever())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
