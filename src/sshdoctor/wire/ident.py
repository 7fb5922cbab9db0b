"""The identification-string exchange of RFC 4253 section 4.2."""

from __future__ import annotations

import asyncio

from sshdoctor.model import Banner
from sshdoctor.wire.errors import (
    ClosedBeforeBanner,
    NotSSH,
    SSH1Only,
    TooManyPreBannerLines,
)

# The bounds OpenSSH applies (ssh.h: SSH_MAX_BANNER_LEN, SSH_MAX_PRE_BANNER_LINES).
MAX_LINE = 8192
MAX_PRE_BANNER_LINES = 1024


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


def _looks_http(line: str) -> bool:
    low = line.lower()
    return low.startswith("http/") or "<html" in low or "<!doctype html" in low


def looks_http(line: str) -> bool:
    """A line only an HTTP server sends (a status line or markup)."""
    return _looks_http(line)


async def read_banner(reader: asyncio.StreamReader, pre: list[str] | None = None) -> Banner:
    """Read lines until the ``SSH-`` identification, within OpenSSH's bounds.

    ``pre`` collects the lines that came before it, so a caller whose wait
    runs out can still say what the server did send.
    """
    pre = [] if pre is None else pre
    while True:
        raw = await _read_line(reader)
        if raw is None:
            if pre:
                first = next((line for line in pre if line.strip()), pre[0])
                looks = " (it looks like HTTP)" if any(_looks_http(line) for line in pre) else ""
                raise NotSSH(f"not an SSH server{looks}: it sent {first[:80]!r} and closed")
            raise ClosedBeforeBanner("connection closed by the server before it sent an identification string")
        if len(raw) > 4 and raw.startswith(b"SSH-"):
            break
        pre.append(_decode(raw))
        if len(pre) == 1 and _looks_http(pre[0]):
            raise NotSSH(f"not an SSH server (it looks like HTTP): it sent {pre[0][:80]!r}")
        if len(pre) >= MAX_PRE_BANNER_LINES:
            raise TooManyPreBannerLines(
                f"no SSH identification in the first {MAX_PRE_BANNER_LINES} lines (a tarpit such as endlessh?)"
            )
    try:
        banner = Banner.parse(_decode(raw), tuple(pre))
    except ValueError as exc:
        raise NotSSH(f"malformed identification string: {exc}") from None
    if not banner.speaks_ssh2:
        raise SSH1Only(f"server speaks only SSH protocol {banner.proto_version}; SSH-1 is unsupported by modern clients")
    return banner
