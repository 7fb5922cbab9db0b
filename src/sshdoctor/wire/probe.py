"""Read a server's identification and KEXINIT without authenticating."""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

from sshdoctor.model import Banner, Proposal, Target
from sshdoctor.wire import kexinit, packet
from sshdoctor.wire.errors import (
    BannerTimeout,
    ClosedAfterBanner,
    ConnectionRefused,
    ConnectionReset,
    ConnectTimeout,
    Disconnected,
    KexinitTimeout,
    ProbeError,
    ProtocolError,
    ResolveError,
    Tarpit,
    Unreachable,
)
from sshdoctor.wire.ident import read_banner
from sshdoctor.wire.offer import probe_proposal

DEFAULT_TIMEOUT = 5.0
DEFAULT_IDENT = "SSH-2.0-OpenSSH_9.9"
# Servers may send a few IGNORE/DEBUG messages before KEXINIT; a stream of
# them is hostile.
MAX_SKIPPED_MESSAGES = 64

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What a server said before authentication."""

    target: Target
    address: str
    banner: Banner
    proposal: Proposal
    timings: dict[str, float] = field(default_factory=dict)


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


def _connect_error(exc: OSError, where: str) -> ProbeError:
    if isinstance(exc, ConnectionRefusedError):
        return ConnectionRefused(f"connection refused by {where} (nothing listening, or a firewall REJECT)")
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return Unreachable(f"{where}: {exc.strerror or 'unreachable'}")
    return ProbeError(f"cannot connect to {where}: {exc.strerror or exc}")


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
            last = _connect_error(exc, where)
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
    """Skip IGNORE/DEBUG, stop on DISCONNECT, return the KEXINIT."""
    for _ in range(MAX_SKIPPED_MESSAGES):
        payload = await read_payload(reader)
        if not payload:
            raise ProtocolError("empty packet payload")
        msg = payload[0]
        if msg in (packet.MSG_IGNORE, packet.MSG_DEBUG, packet.MSG_UNIMPLEMENTED):
            continue
        if msg == packet.MSG_DISCONNECT:
            r = packet.Reader(payload[1:], "DISCONNECT")
            code = r.uint32("reason")
            text = r.string("description").decode("utf-8", "replace")
            raise Disconnected(f"server disconnected (reason {code}): {text}")
        if msg != packet.MSG_KEXINIT:
            raise ProtocolError(f"expected KEXINIT, got message type {msg}")
        return kexinit.decode(payload)
    raise ProtocolError(f"more than {MAX_SKIPPED_MESSAGES} messages before KEXINIT")


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
        raise _banner_timeout(pre, timeout) from None
    timings["banner"] = time.perf_counter() - started
    seen[0] = banner
    try:
        writer.write(packet.build_packet(kexinit.encode(probe_proposal())))
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


# Lines of text before the wait runs out: a tarpit keeps a client busy this way.
TARPIT_LINES = 3


def _banner_timeout(pre: list[str], timeout: float) -> ProbeError:
    """Why no identification string came, from what did come."""
    if len(pre) >= TARPIT_LINES:
        return Tarpit(f"a tarpit, not an SSH server: {len(pre)} lines of text and no SSH identification string "
                      f"within {timeout:g} s (endlessh or similar)")
    if pre:
        first = next((line for line in pre if line.strip()), pre[0])
        return BannerTimeout(f"no SSH identification string within {timeout:g} s; the server sent {first[:80]!r} "
                             "(another service on this port?)")
    return BannerTimeout(f"no SSH identification string within {timeout:g} s")


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
