"""Record the exact KEXINIT the real local ssh sends to a given host.

ssh is started for the host with its full configuration, except that a
ProxyCommand (a command-line option, so it wins over the config files)
connects it to sshdoctor instead of the network. sshdoctor answers with the
server's real identification string, ssh builds its proposal (applying
known_hosts ordering, the compat quirks it derives from that banner, and
whatever its build or distribution adds) and sends it; then ssh is killed.
No packet leaves the machine.

Two ways to connect the ProxyCommand, behind one interface: on POSIX two
FIFOs and ``sh`` (no process start-up to pay); on Windows, which has no
FIFOs, a loopback socket that a small Python relay (``proxyrelay.py``)
connects to. ``SSHDOCTOR_CAPTURE=socket`` forces the portable one, so the
Linux test suite runs it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from types import TracebackType

from sshdoctor.local.capture_args import capture_argv, fifo_proxy, relay_command, use_socket
from sshdoctor.local.errors import LocalError, SshConfigError
from sshdoctor.model import Proposal
from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.ident import _read_line
from sshdoctor.wire.kexinit import decode
from sshdoctor.wire.probe import read_payload


class ClientCapture:
    """An ssh process talking to sshdoctor through FIFOs; use as an async context."""

    def __init__(
        self,
        host: str,
        *,
        port: int | None = None,
        config_file: str | None = None,
        options: list[str] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.host = host
        self.port = port
        self.config_file = config_file
        self.options = options or []
        self.timeout = timeout
        self.ident: str | None = None
        self.resolved_host: str | None = None
        self.resolved_port: int | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._transport: asyncio.ReadTransport | None = None
        self._s2c_fd: int | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> ClientCapture:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> str:
        """Start ssh; returns its identification string (``SSH-2.0-OpenSSH_…``)."""
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = loop.create_future()
        c2s_fd: int | None = None
        if use_socket():
            async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                if accepted.done():
                    writer.close()  # only ssh's own relay may talk to us
                else:
                    accepted.set_result((reader, writer))

            self._server = await asyncio.start_server(on_connect, "127.0.0.1", 0, limit=512 * 1024)
            proxy = relay_command(self._server.sockets[0].getsockname()[1])
        else:
            self._dir = tempfile.TemporaryDirectory(prefix="sshdoctor-")
            s2c = os.path.join(self._dir.name, "s2c")
            c2s = os.path.join(self._dir.name, "c2s")
            os.mkfifo(s2c, 0o600)
            os.mkfifo(c2s, 0o600)
            # O_RDWR on a FIFO never blocks on Linux and keeps EOF away until we close.
            c2s_fd = os.open(c2s, os.O_RDWR | os.O_NONBLOCK)
            self._s2c_fd = os.open(s2c, os.O_RDWR | os.O_NONBLOCK)
            # The proxy first reports where ssh would connect (%h %p: HostName and
            # Port after ssh applied its configuration), then relays.
            proxy = fifo_proxy(s2c, c2s)
        args = capture_argv(self.host, self.port, self.config_file, self.options, proxy)
        self._proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        if c2s_fd is not None:
            self._reader = asyncio.StreamReader(limit=512 * 1024)
            protocol = asyncio.StreamReaderProtocol(self._reader)
            self._transport, _ = await loop.connect_read_pipe(lambda: protocol, os.fdopen(c2s_fd, "rb", buffering=0))
        else:
            self._reader, self._writer = await self._bounded(accepted, "its ProxyCommand's connection")
        assert self._reader is not None
        where = await self._bounded(_read_line(self._reader), "the host it resolves to")
        if where is None:
            raise LocalError(await self._failure("ssh did not start its ProxyCommand"))
        host_text, _, port_text = where.decode("utf-8", "replace").rpartition(" ")
        self.resolved_host = host_text
        self.resolved_port = int(port_text) if port_text.isdigit() else None
        line = await self._bounded(_read_line(self._reader), "its identification string")
        if line is None:
            raise LocalError(await self._failure("ssh closed before sending its identification"))
        self.ident = line.decode("utf-8", "replace")
        return self.ident

    async def proposal(self, server_ident: str) -> Proposal:
        """Answer with ``server_ident`` and return the KEXINIT ssh sends back."""
        if self._reader is None or (self._s2c_fd is None and self._writer is None):
            raise LocalError("capture not started")
        line = server_ident.encode("utf-8", "surrogateescape") + b"\r\n"
        if self._writer is not None:
            self._writer.write(line)
        else:
            assert self._s2c_fd is not None
            os.write(self._s2c_fd, line)
        payload = await self._bounded(read_payload(self._reader), "its KEXINIT")
        try:
            return decode(payload)
        except ProbeError as exc:
            raise LocalError(f"could not read the local ssh's KEXINIT: {exc}") from None

    async def _bounded(self, aw, what: str):  # type: ignore[no-untyped-def]
        assert self._proc is not None
        task = asyncio.ensure_future(aw)
        waiter = asyncio.ensure_future(self._proc.wait())
        try:
            done, _ = await asyncio.wait({task, waiter}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task in done:
            try:
                return task.result()
            except ProbeError as exc:
                raise LocalError(await self._failure(f"unexpected data from ssh ({exc})")) from None
        task.cancel()
        if done:
            message = await self._failure(f"ssh exited before sending {what}")
            if self.resolved_host is None:
                # ssh stopped before it even ran the ProxyCommand: it rejected
                # its configuration or options.
                raise SshConfigError("the ssh configuration does not parse: " + message.split(": ", 1)[-1])
            raise LocalError(message)
        raise LocalError(f"the local ssh did not send {what} within {self.timeout:g} s")

    async def _failure(self, what: str) -> str:
        err = b""
        if self._proc is not None and self._proc.stderr is not None:
            with contextlib.suppress(Exception):
                err = await asyncio.wait_for(self._proc.stderr.read(4096), 0.5)
        detail = " ".join(err.decode("utf-8", "replace").split())
        return f"{what}: {detail[:300]}" if detail else what

    async def close(self) -> None:
        """Kill ssh and its proxy, remove the FIFOs."""
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._proc.wait(), 2.0)
        if self._transport is not None:
            self._transport.close()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._s2c_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._s2c_fd)
            self._s2c_fd = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


async def capture_proposal(host: str, server_ident: str, **kwargs: object) -> tuple[str, Proposal]:
    """The local ssh's identification and KEXINIT for ``host`` facing ``server_ident``."""
    async with ClientCapture(host, **kwargs) as cap:  # type: ignore[arg-type]
        assert cap.ident is not None
        return cap.ident, await cap.proposal(server_ident)
