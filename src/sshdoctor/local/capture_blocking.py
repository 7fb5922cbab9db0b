"""The capture of the local ssh's KEXINIT without asyncio (POSIX FIFOs), for ``sshdoctor probe``.

Same mechanism and messages as :class:`sshdoctor.local.capture.ClientCapture`
(whose docstring explains it), in blocking form: one command that has to
answer in a couple of hundred milliseconds cannot afford asyncio's import.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import tempfile
import time

from sshdoctor.local.capture_args import capture_argv, fifo_proxy
from sshdoctor.local.errors import LocalError, SshConfigError
from sshdoctor.model import Proposal
from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.kexinit import decode
from sshdoctor.wire.scan import PacketScan


class BlockingCapture:
    """An ssh process talking to sshdoctor through FIFOs; ``start`` then ``proposal``, then ``close``."""

    def __init__(self, host: str, *, port: int | None = None, config_file: str | None = None,
                 options: list[str] | None = None, timeout: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.config_file = config_file
        self.options = options or []
        self.timeout = timeout
        self.ident: str | None = None
        self.resolved_host: str | None = None
        self.resolved_port: int | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._c2s: int | None = None
        self._s2c: int | None = None
        self._buf = b""

    def spawn(self) -> None:
        """Start ssh (it runs while the caller does other work)."""
        self._dir = tempfile.TemporaryDirectory(prefix="sshdoctor-")
        s2c = os.path.join(self._dir.name, "s2c")
        c2s = os.path.join(self._dir.name, "c2s")
        os.mkfifo(s2c, 0o600)
        os.mkfifo(c2s, 0o600)
        # O_RDWR on a FIFO never blocks on Linux and keeps EOF away until we close.
        self._c2s = os.open(c2s, os.O_RDWR | os.O_NONBLOCK)
        self._s2c = os.open(s2c, os.O_RDWR | os.O_NONBLOCK)
        args = capture_argv(self.host, self.port, self.config_file, self.options, fifo_proxy(s2c, c2s))
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, start_new_session=True)

    def start(self) -> str:
        """Wait for where ssh resolved the host and for its identification string."""
        if self._proc is None:
            self.spawn()
        where = self._line("the host it resolves to")
        host_text, _, port_text = where.rpartition(" ")
        self.resolved_host = host_text
        self.resolved_port = int(port_text) if port_text.isdigit() else None
        self.ident = self._line("its identification string")
        return self.ident

    def proposal(self, server_ident: str) -> Proposal:
        """Answer with ``server_ident`` and return the KEXINIT ssh sends back."""
        assert self._s2c is not None
        os.write(self._s2c, server_ident.encode("utf-8", "surrogateescape") + b"\r\n")
        scan = PacketScan(self._buf)
        deadline = time.monotonic() + self.timeout
        try:
            payloads = scan.feed(b"")
            while not payloads:
                payloads = scan.feed(self._read(deadline, "its KEXINIT"))
            return decode(payloads[0])
        except ProbeError as exc:
            raise LocalError(f"could not read the local ssh's KEXINIT: {exc}") from None

    def _line(self, what: str) -> str:
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self._buf:
            self._buf += self._read(deadline, what)
        line, _, self._buf = self._buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def _read(self, deadline: float, what: str) -> bytes:
        assert self._proc is not None and self._c2s is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LocalError(f"the local ssh did not send {what} within {self.timeout:g} s")
            ready, _, _ = select.select([self._c2s], [], [], min(left, 0.05))
            if ready:
                try:
                    data = os.read(self._c2s, 65536)
                except BlockingIOError:
                    data = b""
                if data:
                    return data
            if self._proc.poll() is not None:
                message = self._failure(f"ssh exited before sending {what}")
                if self.resolved_host is None:
                    # ssh stopped before it even ran the ProxyCommand: it rejected its configuration.
                    raise SshConfigError("the ssh configuration does not parse: " + message.split(": ", 1)[-1])
                raise LocalError(message)

    def _failure(self, what: str) -> str:
        err = b""
        if self._proc is not None and self._proc.stderr is not None:
            with contextlib.suppress(Exception):
                err = self._proc.stderr.read(4096)
        detail = " ".join(err.decode("utf-8", "replace").split())
        return f"{what}: {detail[:300]}" if detail else what

    def close(self) -> None:
        """Kill ssh and its proxy, remove the FIFOs."""
        if self._proc is not None:
            if self._proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                self._proc.wait(2.0)
            if self._proc.stderr is not None:
                self._proc.stderr.close()
            self._proc = None
        for fd in (self._c2s, self._s2c):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._c2s = self._s2c = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
