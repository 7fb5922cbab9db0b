"""Read a server's identification and KEXINIT without authenticating."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import weakref
from collections.abc import Awaitable
from typing import TypeVar

from sshdoctor.model import Banner, Proposal, Target
from sshdoctor.wire import packet
from sshdoctor.wire.address import ip_family
from sshdoctor.wire.errors import (
    ClosedAfterBanner,
    ConnectionReset,
    ConnectTimeout,
    KexinitTimeout,
    ProbeError,
    ResolveError,
)
from sshdoctor.wire.offer import probe_kexinit_payload
from sshdoctor.wire.result import DEFAULT_IDENT, DEFAULT_TIMEOUT, ProbeResult, banner_timeout, connect_error
from sshdoctor.wire.scan import BannerScan, KexinitScan, PacketScan

T = TypeVar("T")


async def _bounded(aw: Awaitable[T], seconds: float, on_timeout: ProbeError) -> T:
    try:
        async with asyncio.timeout(seconds):
            return await aw
    except TimeoutError:
        raise on_timeout from None


async def _resolve(target: Target, timeout: float) -> list[tuple[int, str]]:
    loop = asyncio.get_running_loop()
    try:
        infos = await _bounded(
            loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM),
            timeout,
            ResolveError(f"resolving {target.host!r} timed out"),
        )
    except socket.gaierror as exc:
        raise ResolveError(f"could not resolve hostname {target.host}: {exc.strerror}") from None
    except UnicodeError:
        raise ResolveError(f"invalid hostname {target.host!r}") from None
    seen: list[tuple[int, str]] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        item = (int(family), str(sockaddr[0]))
        if item not in seen:
            seen.append(item)
    return seen


async def open_connection(
    target: Target, timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
    """TCP-connect to the first address that accepts, as ssh tries them in turn."""
    addresses = await _resolve(target, timeout)
    last: ProbeError = ResolveError(f"no address for {target.host}")
    for _family, addr in addresses:
        where = f"{addr} port {target.port}"
        timed_out = ConnectTimeout(f"connection to {where} timed out (packets dropped by a firewall, or a wrong address)")
        try:
            reader, writer = await _bounded(
                asyncio.open_connection(addr, target.port, limit=packet.MAX_PACKET + 64),
                timeout,
                timed_out,
            )
        except ProbeError as exc:
            last = exc
            continue
        except OSError as exc:
            last = connect_error(exc, where)
            continue
        return reader, writer, addr
    raise last


async def read_payload(reader: asyncio.StreamReader) -> bytes:
    """One unencrypted packet's payload."""
    try:
        head = await reader.readexactly(4)
        length = int.from_bytes(head, "big")
        packet.check_length(length)
        body = await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise ClosedAfterBanner("server closed the connection after its identification string, before key exchange") from None
    return packet.split_packet(body)


async def read_kexinit(reader: asyncio.StreamReader) -> Proposal:
    """Skip IGNORE/DEBUG, stop on DISCONNECT, return the KEXINIT (``wire.scan``'s rules)."""
    scan = KexinitScan()
    while True:
        found = scan.payload(await read_payload(reader))
        if found is not None:
            return found


class _ConnectFailed(Exception):
    """A connection to one address failed: the probe tries the next address (as ssh does)."""

    def __init__(self, error: ProbeError) -> None:
        super().__init__(error.message)
        self.error = error


class _Deadlines:
    """One periodic check of every live probe's phase deadline on a loop.

    A scan runs thousands of probes with three phases each (connect,
    identification, KEXINIT); a timer per phase would put each one through the
    loop's heap to be cancelled almost at once. Checking every live probe a few
    times a second costs less and keeps every wait bounded (within ``TICK``).
    """

    TICK = 0.05

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.live: set[_SocketProbe] = set()
        self._handle: asyncio.TimerHandle | None = None

    def add(self, probe: _SocketProbe) -> None:
        self.live.add(probe)
        if self._handle is None:
            self._handle = self.loop.call_later(self.TICK, self._tick)

    def discard(self, probe: _SocketProbe) -> None:
        self.live.discard(probe)

    def _tick(self) -> None:
        self._handle = None
        now = self.loop.time()
        for probe in [p for p in self.live if p.deadline <= now]:
            probe.timed_out()
        if self.live:
            self._handle = self.loop.call_later(self.TICK, self._tick)


_deadlines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Deadlines] = weakref.WeakKeyDictionary()


def _deadlines_for(loop: asyncio.AbstractEventLoop) -> _Deadlines:
    found = _deadlines.get(loop)
    if found is None:
        found = _deadlines[loop] = _Deadlines(loop)
    return found


_DISCONNECT = packet.build_packet(packet.disconnect_payload(11, "sshdoctor probe complete"))
_CONNECT, _BANNER, _KEXINIT, _DONE = range(4)


class _SocketProbe:
    """One probe connection: a non-blocking socket driven by the loop's readiness
    callbacks and ``wire.scan``'s rules.

    Neither a transport nor streams: a scan runs thousands of these, and each
    layer asyncio puts between the socket and these rules (transports,
    futures for every step, a timer per wait) costs more than the rules do.
    """

    __slots__ = (
        "_deadlines",
        "_early",
        "_writer",
        "banner",
        "banner_scan",
        "connected",
        "deadline",
        "done",
        "fd",
        "kexinit_scan",
        "loop",
        "packets",
        "phase",
        "sent_ident",
        "sock",
        "started",
        "timeout",
        "timings",
        "where",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, family: int, addr: str, port: int, timeout: float,
                 started: float, timings: dict[str, float], ident: str | None) -> None:
        self.loop = loop
        self.where = f"{addr} port {port}"
        self.timeout = timeout
        self.started = started
        self.timings = timings
        self.done: asyncio.Future[tuple[Banner, Proposal]] = loop.create_future()
        # With an identification still to come, the caller waits for the connection first.
        self.connected: asyncio.Future[None] | None = None if ident is not None else loop.create_future()
        self.phase = _CONNECT
        self.banner_scan = BannerScan()
        self.banner: Banner | None = None
        self.packets: PacketScan | None = None
        self.kexinit_scan = KexinitScan()
        self.sent_ident = False
        self._early = b""
        self._writer = False
        self.deadline = loop.time() + timeout
        self._deadlines = _deadlines_for(loop)
        sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock = sock
        self.fd = sock.fileno()
        try:
            sock.setblocking(False)
            # As asyncio's transports do: no Nagle delay on the small writes after the first.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect((addr, port))
        except (BlockingIOError, InterruptedError):
            self._writer = True
            loop.add_writer(self.fd, self._connect_ready, ident)
            self._deadlines.add(self)
        except OSError as exc:
            sock.close()
            self.phase = _DONE
            self._set_error(_ConnectFailed(connect_error(exc, self.where)))
        else:
            self._deadlines.add(self)
            self._connect_ready(ident)

    # ---- the phases ---------------------------------------------------------

    def _connect_ready(self, ident: str | None) -> None:
        if self._writer:
            self._writer = False
            self.loop.remove_writer(self.fd)
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._end(_ConnectFailed(connect_error(OSError(err, os.strerror(err)), self.where)))
            return
        self.timings["connect"] = time.perf_counter() - self.started
        self.phase = _BANNER
        self.deadline = self.loop.time() + self.timeout
        self.loop.add_reader(self.fd, self._readable)
        if ident is not None:
            self.start(ident)
        elif self.connected is not None and not self.connected.done():
            self.connected.set_result(None)

    def start(self, ident: str) -> None:
        """Send our identification; a server that spoke first gets our KEXINIT (or goodbye) with it."""
        if self.phase != _BANNER or self.sent_ident:
            return
        ours = ident.encode("ascii", "replace") + b"\r\n"
        self.sent_ident = True
        self.deadline = self.loop.time() + self.timeout
        try:
            if self.banner is None:
                self._send(ours)
            else:
                self._after_banner(self._early, ours)
        except ProbeError as exc:
            self._fail(exc)

    def _readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(exc)
            return
        if self.phase == _DONE:
            return
        try:
            if not data:
                raise self.banner_scan.eof() if self.banner is None else PacketScan.eof()
            if self.banner is None:
                banner = self.banner_scan.feed(data)
                if banner is None:
                    return
                self.banner = banner
                self.timings["banner"] = time.perf_counter() - self.started
                self.packets = PacketScan()
                if not self.sent_ident:
                    self._early = self.banner_scan.rest  # answered once our identification is out
                    return
                self._after_banner(self.banner_scan.rest)
            else:
                self._check_packets(data)
        except ProbeError as exc:
            self._fail(exc)

    def _after_banner(self, data: bytes, before: bytes = b"") -> None:
        """The server's identification is in (``data`` followed it); ``before`` is still to send."""
        if self._check_packets(data, before):
            return
        # Their KEXINIT is not here yet: ours may be what they wait for.
        self._send(before + packet.build_packet(probe_kexinit_payload()))
        self.phase = _KEXINIT
        self.deadline = self.loop.time() + self.timeout

    def _check_packets(self, data: bytes, before: bytes = b"") -> bool:
        assert self.packets is not None and self.banner is not None
        for payload in self.packets.feed(data):
            found = self.kexinit_scan.payload(payload)
            if found is not None:
                self.timings["kexinit"] = time.perf_counter() - self.started
                # The answer is in hand: a polite goodbye (a server that left first is fine).
                with contextlib.suppress(OSError):
                    self.sock.send(before + _DISCONNECT)
                banner = self.banner
                self._end(None)
                if not self.done.done():
                    self.done.set_result((banner, found))
                return True
        return False

    def _send(self, data: bytes) -> None:
        try:
            sent = self.sock.send(data)
        except OSError as exc:
            self._lost(exc)
            return
        if sent < len(data):  # a few hundred bytes into a fresh socket's buffer: never short in practice
            self._fail(ProbeError(f"{self.where}: the connection did not take our identification"))

    def timed_out(self) -> None:
        """The current phase's deadline passed (called by :class:`_Deadlines`)."""
        if self.phase == _CONNECT:
            self._end(_ConnectFailed(ConnectTimeout(
                f"connection to {self.where} timed out (packets dropped by a firewall, or a wrong address)")))
        elif self.phase == _BANNER:
            if not self.sent_ident:
                return  # the caller is still obtaining our identification; its own wait bounds that
            self._fail(banner_timeout(self.banner_scan.pre, self.timeout))
        elif self.phase == _KEXINIT:
            self._fail(KexinitTimeout(f"no KEXINIT from the server within {self.timeout:g} s of its identification"))

    # ---- endings ---------------------------------------------------------------

    def _lost(self, exc: OSError) -> None:
        if self.phase == _DONE:
            return
        if isinstance(exc, ConnectionResetError):
            stage = "before it sent an identification string" if self.banner is None else "during key exchange"
            self._fail(ConnectionReset(f"connection reset by {self.where} {stage}"))
        elif self.banner is not None:
            self._fail(ClosedAfterBanner(f"connection closed by {self.where}"))
        else:
            self._fail(ProbeError(f"{self.where}: {exc.strerror or exc}"))

    def _fail(self, error: ProbeError) -> None:
        if self.banner is not None:
            error = error.with_banner(self.banner)
        self._end(error)

    def _end(self, error: Exception | None) -> None:
        if self.phase == _DONE:
            return
        self.phase = _DONE
        self._deadlines.discard(self)
        if self._writer:
            self._writer = False
            self.loop.remove_writer(self.fd)
        self.loop.remove_reader(self.fd)
        self.sock.close()
        if error is not None:
            self._set_error(error)

    def _set_error(self, error: Exception) -> None:
        target = self.connected if self.connected is not None and not self.connected.done() else self.done
        if not target.done():
            target.set_exception(error)

    def abort(self) -> None:
        """Drop the connection (the caller gave up: a cancel or an outer deadline)."""
        self._end(None)
        for fut in (self.connected, self.done):
            if fut is not None and fut.done() and not fut.cancelled():
                fut.exception()  # retrieved: nobody will await it now


async def probe(
    target: Target, *, timeout: float = DEFAULT_TIMEOUT, ident: str | Awaitable[str] = DEFAULT_IDENT
) -> ProbeResult:
    """Connect, exchange identifications and KEXINITs, disconnect politely.

    ``ident`` is the identification string to present (or an awaitable
    that yields it, awaited once the TCP connection stands, so it can be
    obtained concurrently); presenting the local ssh's own makes servers
    that tailor their offer per client version answer as they would answer
    it. Every wait is bounded by ``timeout``.
    """
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    timings: dict[str, float] = {}
    family = ip_family(target.host)
    addresses = [(family, target.host)] if family is not None else await _resolve(target, timeout)
    last: ProbeError = ResolveError(f"no address for {target.host}")
    for fam, addr in addresses:
        conn = _SocketProbe(loop, fam, addr, target.port, timeout, started, timings,
                            ident if isinstance(ident, str) else None)
        try:
            if conn.connected is not None:
                await conn.connected
                assert not isinstance(ident, str)
                conn.start(await ident)
            banner, proposal = await conn.done
        except _ConnectFailed as exc:
            last = exc.error
            continue
        finally:
            conn.abort()
        return ProbeResult(target=target, address=addr, banner=banner, proposal=proposal, timings=timings)
    raise last
