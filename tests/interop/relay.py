"""A TCP relay between a real client and a real server that reads what both
send in the clear: identification strings, both KEXINITs, and whether each
side switched keys (SSH_MSG_NEWKEYS). That is the truth about a handshake
whatever the two programs are, without trusting either one's report."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

from sshdoctor.model import Proposal
from sshdoctor.wire import kexinit

MSG_DISCONNECT = 1
MSG_KEXINIT = 20
MSG_NEWKEYS = 21


@dataclass
class Direction:
    """What one side sent before its keys changed."""

    ident: str | None = None
    kexinit: Proposal | None = None
    newkeys: bool = False
    disconnect: str | None = None


@dataclass
class Session:
    """One relayed connection."""

    client: Direction = field(default_factory=Direction)
    server: Direction = field(default_factory=Direction)
    done: asyncio.Event | None = None

    @property
    def kex_done(self) -> bool:
        return self.client.newkeys and self.server.newkeys


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: Direction) -> None:
    buf = b""
    parsing = True
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
            if not parsing:
                continue
            buf += chunk
            if seen.ident is None:
                while b"\n" in buf and seen.ident is None:
                    line, _, buf = buf.partition(b"\n")
                    text = line.rstrip(b"\r").decode("utf-8", "replace")
                    if text.startswith("SSH-"):
                        seen.ident = text
                if seen.ident is None:
                    continue
            while len(buf) >= 5:
                length = struct.unpack(">I", buf[:4])[0]
                if length > 300_000:
                    parsing = False
                    break
                if len(buf) < 4 + length:
                    break
                body, buf = buf[4:4 + length], buf[4 + length:]
                pad = body[0]
                payload = body[1:len(body) - pad]
                if not payload:
                    continue
                if payload[0] == MSG_KEXINIT and seen.kexinit is None:
                    with contextlib.suppress(Exception):
                        seen.kexinit = kexinit.decode(payload)
                elif payload[0] == MSG_NEWKEYS:
                    seen.newkeys = True
                    parsing = False
                    break
                elif payload[0] == MSG_DISCONNECT and len(payload) > 9:
                    n = struct.unpack(">I", payload[5:9])[0]
                    seen.disconnect = payload[9:9 + n].decode("utf-8", "replace")
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class Relay:
    """``with Relay(server_port) as relay:`` connect clients to ``relay.port``;
    ``relay.sessions`` holds one :class:`Session` per connection, in order."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.sessions: list[Session] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="relay")
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        session = Session(done=asyncio.Event())
        self.sessions.append(session)
        try:
            sreader, swriter = await asyncio.open_connection(*self.target)
        except OSError:
            cwriter.close()
            assert session.done is not None
            session.done.set()
            return
        await asyncio.gather(_pump(creader, swriter, session.client), _pump(sreader, cwriter, session.server))
        assert session.done is not None
        session.done.set()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def __enter__(self) -> Relay:
        self._thread.start()
        fut: Future[None] = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        fut.result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def settle(self, count: int, timeout: float = 5.0) -> list[Session]:
        """The first ``count`` sessions, once each has ended (or ``timeout`` passed)."""
        async def wait() -> None:
            for s in self.sessions[:count]:
                assert s.done is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(s.done.wait(), timeout)
        asyncio.run_coroutine_threadsafe(wait(), self._loop).result(timeout * max(count, 1) + 5)
        return self.sessions[:count]


@contextlib.contextmanager
def relayed(port: int) -> Iterator[Relay]:
    with Relay(port) as relay:
        yield relay
