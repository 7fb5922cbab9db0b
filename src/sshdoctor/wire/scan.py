"""The probe's reading rules, without I/O: bytes in, a banner or KEXINIT out.

The asyncio probe (``wire.probe``, used by scans) and the blocking one
(``wire.quickprobe``, used by ``sshdoctor probe``, which must start fast)
feed these the bytes they read, so both judge a server by the same rules:
OpenSSH's bounds on the identification exchange (ssh.h: SSH_MAX_BANNER_LEN,
SSH_MAX_PRE_BANNER_LINES), packet lengths, and the messages a server may
send before its KEXINIT.
"""

from __future__ import annotations

from sshdoctor.model import Banner, Proposal
from sshdoctor.wire import kexinit, packet
from sshdoctor.wire.errors import (
    ClosedAfterBanner,
    ClosedBeforeBanner,
    Disconnected,
    NotSSH,
    ProtocolError,
    SSH1Only,
    TooManyPreBannerLines,
)

MAX_LINE = 8192
MAX_PRE_BANNER_LINES = 1024
# Servers may send a few IGNORE/DEBUG messages before KEXINIT; a stream of them is hostile.
MAX_SKIPPED_MESSAGES = 64


def looks_http(line: str) -> bool:
    """A line only an HTTP server sends (a status line or markup)."""
    low = line.lower()
    return low.startswith("http/") or "<html" in low or "<!doctype html" in low


class BannerScan:
    """Feed the bytes a server sends; :meth:`feed` returns its identification once complete,
    and ``rest`` holds what followed it. ``pre`` collects the lines before it."""

    def __init__(self) -> None:
        self.pre: list[str] = []
        self.rest = b""
        self._line = bytearray()
        self._cr = False
        self._done = False

    def feed(self, data: bytes) -> Banner | None:
        while not self._line and not self._cr:
            # The usual case: whole lines at the start of the data, checked by bytes methods.
            end = data.find(b"\n")
            if end <= 0:
                break
            line = data[:end - 1] if data[end - 1] == 0x0D else data[:end]
            if b"\r" in line or b"\0" in line or len(line) > MAX_LINE:
                break  # the byte-by-byte reading below says what is wrong
            banner = self._end_of_line(line)
            data = data[end + 1:]
            if banner is not None:
                self.rest = data
                return banner
        for i, c in enumerate(data):
            if c == 0x0D:
                self._cr = True
                continue
            if c == 0x0A:
                raw = bytes(self._line)
                self._line.clear()
                self._cr = False
                banner = self._end_of_line(raw)
                if banner is not None:
                    self.rest = data[i + 1:]
                    return banner
                continue
            if c == 0 or self._cr:
                raise NotSSH("banner line contains invalid characters (NUL or a bare CR): not an SSH server")
            self._line.append(c)
            if len(self._line) > MAX_LINE:
                raise NotSSH(f"identification line longer than {MAX_LINE} bytes: not an SSH server")
        return None

    def _end_of_line(self, raw: bytes) -> Banner | None:
        text = raw.decode("utf-8", "surrogateescape")
        if len(raw) > 4 and raw.startswith(b"SSH-"):
            try:
                banner = Banner.parse(text, tuple(self.pre))
            except ValueError as exc:
                raise NotSSH(f"malformed identification string: {exc}") from None
            if not banner.speaks_ssh2:
                raise SSH1Only(f"server speaks only SSH protocol {banner.proto_version}; SSH-1 is unsupported by "
                               "modern clients")
            self._done = True
            return banner
        self.pre.append(text)
        if len(self.pre) == 1 and looks_http(text):
            raise NotSSH(f"not an SSH server (it looks like HTTP): it sent {text[:80]!r}")
        if len(self.pre) >= MAX_PRE_BANNER_LINES:
            raise TooManyPreBannerLines(
                f"no SSH identification in the first {MAX_PRE_BANNER_LINES} lines (a tarpit such as endlessh?)")
        return None

    def eof(self) -> ClosedBeforeBanner | NotSSH:
        """The error for a connection that ended before the identification string."""
        if self._line:
            return ClosedBeforeBanner("connection closed in the middle of the identification line")
        if self.pre:
            first = next((line for line in self.pre if line.strip()), self.pre[0])
            looks = " (it looks like HTTP)" if any(looks_http(line) for line in self.pre) else ""
            return NotSSH(f"not an SSH server{looks}: it sent {first[:80]!r} and closed")
        return ClosedBeforeBanner("connection closed by the server before it sent an identification string")


class PacketScan:
    """Feed bytes after the identification; :meth:`feed` returns the payloads of whole packets."""

    def __init__(self, data: bytes = b"") -> None:
        self._buf = bytearray(data)

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while len(self._buf) >= 4:
            length = int.from_bytes(self._buf[:4], "big")
            packet.check_length(length)
            if len(self._buf) < 4 + length:
                break
            body = bytes(self._buf[4:4 + length])
            del self._buf[:4 + length]
            out.append(packet.split_packet(body))
        return out

    @staticmethod
    def eof() -> ClosedAfterBanner:
        return ClosedAfterBanner("server closed the connection after its identification string, before key exchange")


class KexinitScan:
    """What the payloads before KEXINIT may be: IGNORE/DEBUG (skipped, within a bound), DISCONNECT (an error)."""

    def __init__(self) -> None:
        self.skipped = 0

    def payload(self, payload: bytes) -> Proposal | None:
        if not payload:
            raise ProtocolError("empty packet payload")
        msg = payload[0]
        if msg in (packet.MSG_IGNORE, packet.MSG_DEBUG, packet.MSG_UNIMPLEMENTED):
            self.skipped += 1
            if self.skipped >= MAX_SKIPPED_MESSAGES:
                raise ProtocolError(f"more than {MAX_SKIPPED_MESSAGES} messages before KEXINIT")
            return None
        if msg == packet.MSG_DISCONNECT:
            r = packet.Reader(payload[1:], "DISCONNECT")
            code = r.uint32("reason")
            text = r.string("description").decode("utf-8", "replace")
            raise Disconnected(f"server disconnected (reason {code}): {text}")
        if msg != packet.MSG_KEXINIT:
            raise ProtocolError(f"expected KEXINIT, got message type {msg}")
        return kexinit.decode_shared(payload)
