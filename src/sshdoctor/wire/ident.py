"""The identification-string exchange of RFC 4253 section 4.2."""

from __future__ import annotations

import asyncio

from sshdoctor.model import Banner
from sshdoctor.wire.errors import ClosedBeforeBanner, NotSSH
from sshdoctor.wire.scan import MAX_LINE, BannerScan, looks_http

__all__ = ["MAX_LINE", "looks_http", "read_banner"]


def _decode(line: bytes) -> str:
    return line.decode("utf-8", "surrogateescape")


async def _read_line(reader: asyncio.StreamReader) -> bytes | None:
    """One line without its terminator, None at a clean EOF before any byte."""
    buf = bytearray()
    expect_nl = False
    while True:
        chunk = await reader.read(1)
        if not chunk:
            if not buf:
                return None
            raise ClosedBeforeBanner("connection closed in the middle of the identification line")
        c = chunk[0]
        if c == 0x0D:
            expect_nl = True
            continue
        if c == 0x0A:
            return bytes(buf)
        if c == 0 or expect_nl:
            raise NotSSH("banner line contains invalid characters (NUL or a bare CR): not an SSH server")
        buf.append(c)
        if len(buf) > MAX_LINE:
            raise NotSSH(f"identification line longer than {MAX_LINE} bytes: not an SSH server")


async def read_banner(reader: asyncio.StreamReader, pre: list[str] | None = None) -> Banner:
    """Read lines until the ``SSH-`` identification, within OpenSSH's bounds (``wire.scan``'s rules).

    ``pre`` collects the lines that came before it, so a caller whose wait
    runs out can still say what the server did send. A line at a time (what
    follows the identification stays in the reader for the binary protocol);
    a "line" longer than OpenSSH's bound is refused without waiting for its end.
    """
    scan = BannerScan()
    if pre is not None:
        scan.pre = pre
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            scan.feed(exc.partial)
            raise scan.eof() from None
        except asyncio.LimitOverrunError:
            raise NotSSH(f"identification line longer than {MAX_LINE} bytes: not an SSH server") from None
        if len(line) > MAX_LINE + 2:
            raise NotSSH(f"identification line longer than {MAX_LINE} bytes: not an SSH server")
        banner = scan.feed(line)
        if banner is not None:
            return banner
