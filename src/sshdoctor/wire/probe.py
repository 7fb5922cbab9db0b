"""Read a server's identification and KEXINIT without authenticating."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable
from typing import TypeVar

from sshdoctor.model import Banner, Proposal, Target
from sshdoctor.wire import packet
from sshdoctor.wire.errors import (
    ClosedAfterBanner,
    ConnectionReset,
    ConnectTimeout,
    KexinitTimeout,
    ProbeError,
    ResolveError,
)
from sshdoctor.wire.ident import read_banner
from sshdoctor.wire.offer import probe_kexinit_payload
from sshdoctor.wire.result import DEFAULT_IDENT, DEFAULT_TIMEOUT, ProbeResult, banner_timeout, connect_error
from sshdoctor.wire.scan import KexinitScan

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


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    ident: str | Awaitable[str],
    timeout: float,
    timings: dict[str, float],
    started: float,
    seen: list[Banner | None],
) -> tuple[Banner, Proposal]:
    if not isinstance(ident, str):
        ident = await ident
    writer.write(ident.encode("ascii", "replace") + b"\r\n")
    await writer.drain()
    pre: list[str] = []
    try:
        async with asyncio.timeout(timeout):
            banner = await read_banner(reader, pre)
    except TimeoutError:
        raise banner_timeout(pre, timeout) from None
    timings["banner"] = time.perf_counter() - started
    seen[0] = banner
    try:
        writer.write(packet.build_packet(probe_kexinit_payload()))
        await writer.drain()
        proposal = await _bounded(
            read_kexinit(reader),
            timeout,
            KexinitTimeout(f"no KEXINIT from the server within {timeout:g} s of its identification"),
        )
    except ProbeError as exc:
        raise exc.with_banner(banner) from None
    timings["kexinit"] = time.perf_counter() - started
    return banner, proposal


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
    started = time.perf_counter()
    timings: dict[str, float] = {}
    reader, writer, addr = await open_connection(target, timeout)
    timings["connect"] = time.perf_counter() - started
    seen: list[Banner | None] = [None]
    try:
        banner, proposal = await _exchange(reader, writer, ident, timeout, timings, started, seen)
        try:
            writer.write(packet.build_packet(packet.disconnect_payload(11, "sshdoctor probe complete")))
            await _bounded(writer.drain(), 1.0, ProbeError("drain"))
        except (OSError, ProbeError):
            pass  # the answer is in hand; a server that left first is fine
    except ConnectionResetError:
        if seen[0] is None:
            raise ConnectionReset(
                f"connection reset by {addr} port {target.port} before it sent an identification string"
            ) from None
        raise ConnectionReset(f"connection reset by {addr} port {target.port} during key exchange").with_banner(
            seen[0]) from None
    except BrokenPipeError:
        error = ClosedAfterBanner(f"connection closed by {addr} port {target.port}")
        raise (error.with_banner(seen[0]) if seen[0] is not None else error) from None
    finally:
        writer.close()
        try:
            async with asyncio.timeout(1.0):
                await writer.wait_closed()
        except (OSError, TimeoutError):
            pass
    return ProbeResult(target=target, address=addr, banner=banner, proposal=proposal, timings=timings)
