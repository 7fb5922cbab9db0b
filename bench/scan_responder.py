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
import signal
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


class Responder:
    """Listen on every (address, port); answer with ``banner`` and ``offer``."""

    def __init__(self, addresses: Sequence[str] = ("127.0.0.1",), ports: Sequence[int] = (0,), *,
                 banner: str = "SSH-2.0-OpenSSH_9.9 responder", offer: Proposal = MODERN, delay: float = 0.0,
                 drop_first: int = 0) -> None:
        self.addresses = [_loopback(a) for a in addresses]
        self.ports = list(ports)
        self.greeting = banner.encode() + b"\r\n" + packet.build_packet(kexinit.encode(offer))
        self.delay = delay
        self.drop_first = drop_first
        self.connections = 0
        self.open_now: Counter[int] = Counter()
        self.max_open: Counter[int] = Counter()
        self.bound: list[tuple[str, int]] = []
        self._servers: list[asyncio.base_events.Server] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        self.connections += 1
        self.open_now[port] += 1
        self.max_open[port] = max(self.max_open[port], self.open_now[port])
        try:
            if self.connections <= self.drop_first:
                return
            if self.delay:
                await asyncio.sleep(self.delay)
            writer.write(self.greeting)
            await writer.drain()
            # Wait for the client to go (it disconnects after reading the KEXINIT).
            async with asyncio.timeout(5):
                while await reader.read(65536):
                    pass
        except (OSError, TimeoutError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self.open_now[port] -= 1
            writer.close()
            if task is not None:
                self._handlers.discard(task)

    async def serve(self) -> None:
        for address in self.addresses:
            for port in self.ports:
                server = await asyncio.start_server(self._handle, address, port, backlog=1024)
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
            for task in list(self._handlers):
                task.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
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

    async def run() -> None:
        await responder.serve()
        print(f"listening on {len(responder.bound)} sockets", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
