"""The probe without asyncio: one connection, blocking sockets, for ``sshdoctor probe``.

Same rules (``wire.scan``), same errors and messages (``wire.result``) as the
asyncio probe of ``wire.probe``, which scans use to run hundreds at once; a
single probe answers sooner without asyncio's start-up cost.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

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
from sshdoctor.wire.offer import probe_kexinit_payload
from sshdoctor.wire.result import DEFAULT_IDENT, DEFAULT_TIMEOUT, ProbeResult, banner_timeout, connect_error
from sshdoctor.wire.scan import BannerScan, KexinitScan, PacketScan


def resolve(host: str, port: int, timeout: float) -> list[tuple[int, str]]:
    """The addresses of ``host`` in the resolver's order, bounded by ``timeout`` (DNS can hang)."""
    box: dict[str, object] = {}

    # An ASCII name goes as bytes: a str makes the socket module load the IDNA codec (start-up time).
    name: str | bytes = host.encode("ascii") if host.isascii() else host

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise ResolveError(f"resolving {host!r} timed out")
    error = box.get("error")
    if isinstance(error, socket.gaierror):
        raise ResolveError(f"could not resolve hostname {host}: {error.strerror}")
    if error is not None:
        raise ResolveError(f"invalid hostname {host!r}")
    seen: list[tuple[int, str]] = []
    for family, _type, _proto, _canon, sockaddr in box["infos"]:  # type: ignore[attr-defined]
        item = (int(family), str(sockaddr[0]))
        if item not in seen:
            seen.append(item)
    return seen


def connect(target: Target, timeout: float) -> tuple[socket.socket, str]:
    """TCP-connect to the first address that accepts, as ssh tries them in turn."""
    last: ProbeError = ResolveError(f"no address for {target.host}")
    for family, addr in resolve(target.host, target.port, timeout):
        where = f"{addr} port {target.port}"
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((addr, target.port))
        except TimeoutError:
            sock.close()
            last = ConnectTimeout(f"connection to {where} timed out (packets dropped by a firewall, or a wrong address)")
            continue
        except OSError as exc:
            sock.close()
            last = connect_error(exc, where)
            continue
        return sock, addr
    raise last


def _recv(sock: socket.socket, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)
    return sock.recv(65536)


def probe_blocking(target: Target, *, timeout: float = DEFAULT_TIMEOUT, ident: str = DEFAULT_IDENT,
                   sock: tuple[socket.socket, str] | None = None) -> ProbeResult:
    """Connect (unless ``sock`` is an open connection), exchange identifications and KEXINITs, disconnect."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    conn, addr = sock if sock is not None else connect(target, timeout)
    timings["connect"] = time.perf_counter() - started
    banner: Banner | None = None
    try:
        conn.sendall(ident.encode("ascii", "replace") + b"\r\n")
        scan = BannerScan()
        deadline = time.monotonic() + timeout
        while banner is None:
            try:
                data = _recv(conn, deadline)
            except TimeoutError:
                raise banner_timeout(scan.pre, timeout) from None
            if not data:
                raise scan.eof()
            banner = scan.feed(data)
        timings["banner"] = time.perf_counter() - started
        proposal = _kexinit(conn, scan.rest, timeout, banner)
        timings["kexinit"] = time.perf_counter() - started
        with contextlib.suppress(OSError):  # the answer is in hand; a server that left first is fine
            conn.sendall(packet.build_packet(packet.disconnect_payload(11, "sshdoctor probe complete")))
    except ConnectionResetError:
        if banner is None:
            raise ConnectionReset(f"connection reset by {addr} port {target.port} before it sent an identification "
                                  "string") from None
        raise ConnectionReset(f"connection reset by {addr} port {target.port} during key exchange").with_banner(
            banner) from None
    except BrokenPipeError:
        error = ClosedAfterBanner(f"connection closed by {addr} port {target.port}")
        raise (error.with_banner(banner) if banner is not None else error) from None
    finally:
        conn.close()
    return ProbeResult(target=target, address=addr, banner=banner, proposal=proposal, timings=timings)


def _kexinit(conn: socket.socket, rest: bytes, timeout: float, banner: Banner) -> Proposal:
    try:
        conn.sendall(packet.build_packet(probe_kexinit_payload()))
        packets = PacketScan(rest)
        seen = KexinitScan()
        deadline = time.monotonic() + timeout
        payloads = packets.feed(b"")
        while True:
            for payload in payloads:
                found = seen.payload(payload)
                if found is not None:
                    return found
            try:
                data = _recv(conn, deadline)
            except TimeoutError:
                raise KexinitTimeout(f"no KEXINIT from the server within {timeout:g} s of its identification") \
                    from None
            if not data:
                raise packets.eof()
            payloads = packets.feed(data)
    except ProbeError as exc:
        raise exc.with_banner(banner) from None
