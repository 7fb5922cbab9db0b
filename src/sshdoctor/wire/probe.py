"""Read a server's identification and KEXINIT without authenticating."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable
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


class _ProbeProtocol(asyncio.Protocol):
    """One probe connection driven by the bytes as they arrive (``wire.scan``'s rules).

    A protocol rather than streams: a scan runs thousands of these, and one
    timer per phase costs far less than a stream's buffers and a timeout
    context around every read.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float, where: str, started: float,
                 timings: dict[str, float]) -> None:
        self.loop = loop
        self.timeout = timeout
        self.where = where
        self.started = started
        self.timings = timings
        self.done: asyncio.Future[tuple[Banner, Proposal]] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.banner_scan = BannerScan()
        self.banner: Banner | None = None
        self.packets: PacketScan | None = None
        self.kexinit_scan = KexinitScan()
        self.sent_ident = False
        self._early = b""
        self._timer: asyncio.TimerHandle | None = None

    # ---- driving -----------------------------------------------------------

    def start(self, ident: str) -> None:
        """Send our identification; the server's (if it came already) is answered with our KEXINIT."""
        if self.done.done() or self.transport is None:
            return
        ours = ident.encode("ascii", "replace") + b"\r\n"
        self.sent_ident = True
        if self.banner is None:
            self.transport.write(ours)
            self._arm(self._banner_timed_out)
            return
        try:
            # The server spoke first (most do): our identification and KEXINIT go in one write.
            self._send_kexinit(ours)
            self._check_packets(self._early)
        except ProbeError as exc:
            self._fail(exc)

    def _arm(self, callback: Callable[[], None]) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_later(self.timeout, callback)

    def _banner_timed_out(self) -> None:
        self._fail(banner_timeout(self.banner_scan.pre, self.timeout))

    def _kexinit_timed_out(self) -> None:
        self._fail(KexinitTimeout(f"no KEXINIT from the server within {self.timeout:g} s of its identification"))

    def _send_kexinit(self, before: bytes = b"") -> None:
        assert self.transport is not None
        self.transport.write(before + packet.build_packet(probe_kexinit_payload()))
        self._arm(self._kexinit_timed_out)

    def _fail(self, error: ProbeError) -> None:
        if self.banner is not None:
            error = error.with_banner(self.banner)
        self._finish()
        if not self.done.done():
            self.done.set_exception(error)

    def _finish(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport is not None:
            self.transport.close()  # flushes what was written (the DISCONNECT) first

    # ---- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        try:
            if self.banner is None:
                banner = self.banner_scan.feed(data)
                if banner is None:
                    return
                self.banner = banner
                self.timings["banner"] = time.perf_counter() - self.started
                data = self.banner_scan.rest
                self.packets = PacketScan()
                if not self.sent_ident:
                    self._early = data  # answered once our identification is out
                    return
                self._send_kexinit()
            self._check_packets(data)
        except ProbeError as exc:
            self._fail(exc)

    def _check_packets(self, data: bytes) -> None:
        assert self.packets is not None and self.banner is not None
        for payload in self.packets.feed(data):
            found = self.kexinit_scan.payload(payload)
            if found is not None:
                self.timings["kexinit"] = time.perf_counter() - self.started
                assert self.transport is not None
                # The answer is in hand; a polite goodbye, and a server that left first is fine.
                self.transport.write(packet.build_packet(packet.disconnect_payload(11, "sshdoctor probe complete")))
                self._finish()
                if not self.done.done():
                    self.done.set_result((self.banner, found))
                return

    def eof_received(self) -> bool:
        if not self.done.done():
            self._fail(self.banner_scan.eof() if self.banner is None else PacketScan.eof())
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
        if self.done.done():
            return
        if isinstance(exc, ConnectionResetError):
            stage = "before it sent an identification string" if self.banner is None else "during key exchange"
            self._fail(ConnectionReset(f"connection reset by {self.where} {stage}"))
        elif isinstance(exc, OSError) and self.banner is not None:
            self._fail(ClosedAfterBanner(f"connection closed by {self.where}"))
        elif exc is None:
            self._fail(self.banner_scan.eof() if self.banner is None else PacketScan.eof())
        else:
            self._fail(ProbeError(f"{self.where}: {getattr(exc, 'strerror', None) or exc}"))

    def abort(self) -> None:
        """Drop the connection (the caller gave up: a cancel or an outer deadline)."""
        if self._timer is not None:
            self._timer.cancel()
        if self.transport is not None:
            self.transport.abort()


def _factory(proto: _ProbeProtocol) -> Callable[[], _ProbeProtocol]:
    return lambda: proto


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
    for _family, addr in addresses:
        where = f"{addr} port {target.port}"
        proto = _ProbeProtocol(loop, timeout, where, started, timings)
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(_factory(proto), addr, target.port)
        except TimeoutError:
            last = ConnectTimeout(f"connection to {where} timed out (packets dropped by a firewall, or a wrong address)")
            continue
        except OSError as exc:
            last = connect_error(exc, where)
            continue
        break
    else:
        raise last
    timings["connect"] = time.perf_counter() - started
    try:
        if not isinstance(ident, str):
            ident = await ident
        proto.start(ident)
        banner, proposal = await proto.done
        # The socket closed before the next connection to this server starts (a server counts
        # connections until they close: MaxStartups), as the stream probe's wait_closed did.
        if not proto.closed.done():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await proto.closed
    finally:
        if not proto.done.done():
            proto.abort()
    return ProbeResult(target=target, address=addr, banner=banner, proposal=proposal, timings=timings)
