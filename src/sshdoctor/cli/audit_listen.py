"""``sshdoctor audit --client``: listen, audit every client that connects, summarise."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from dataclasses import dataclass, field

from sshdoctor.audit.client import ClientAudit, audit_client
from sshdoctor.local.errors import LocalError
from sshdoctor.report.sanitize import printable
from sshdoctor.wire.listener import ClientHello, listen


@dataclass
class Session:
    """What a listening session has seen so far."""

    host: str
    port: int = 0
    audits: list[ClientAudit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "listen": {"host": self.host, "port": self.port},
            "clients": [a.as_dict() for a in self.audits],
            "errors": self.errors,
            "interrupted": self.interrupted,
        }


async def run_listener(host: str, port: int, *, count: int | None, duration: float | None,
                       as_json: bool, handshake_timeout: float = 10.0) -> Session:
    """Listen until ``count`` clients were audited, ``duration`` passed, or Ctrl-C."""
    from sshdoctor.report.audit_view import render_client
    from sshdoctor.report.terminal import console

    session = Session(host=host)
    done = asyncio.Event()
    out = console()

    def on_client(hello: ClientHello) -> None:
        where = f"{hello.peer}:{hello.port}"
        if hello.proposal is None:
            session.errors.append(f"{where}: {hello.error or 'no KEXINIT'}")
        else:
            audit = audit_client(where, hello.banner, hello.proposal)
            session.audits.append(audit)
            if not as_json:
                render_client(audit, len(session.audits), out)
        if count is not None and len(session.audits) >= count:
            done.set()

    try:
        server = await listen(on_client, host=host, port=port, timeout=handshake_timeout)
    except OSError as exc:
        raise LocalError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    session.port = int(server.sockets[0].getsockname()[1])
    loop = asyncio.get_running_loop()
    stop_on_signal = True
    try:
        loop.add_signal_handler(signal.SIGINT, _interrupt, session, done)
    except (NotImplementedError, RuntimeError):
        stop_on_signal = False
    # Always on stderr (stdout carries the JSON document): tells scripts the port when -l 0 was used.
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(f"sshdoctor: listening on {printable(shown)}:{session.port}; connect a client, e.g. "
                     f"ssh -p {session.port} {printable(host)}  (Ctrl-C ends)\n")
    sys.stderr.flush()
    try:
        async with asyncio.timeout(duration):
            await done.wait()
    except TimeoutError:
        pass
    finally:
        if stop_on_signal:
            loop.remove_signal_handler(signal.SIGINT)
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await server.wait_closed()
    return session


def _interrupt(session: Session, done: asyncio.Event) -> None:
    session.interrupted = True
    done.set()
