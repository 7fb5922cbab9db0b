"""A listener that records what SSH clients propose.

It answers each connection with an identification string, reads the
client's identification and KEXINIT, then disconnects politely: enough to
know which client it is and what it asks for, without key exchange.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sshdoctor.model import Banner, Proposal
from sshdoctor.wire import kexinit, packet
from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.ident import read_banner
from sshdoctor.wire.offer import probe_proposal
from sshdoctor.wire.probe import read_kexinit

DEFAULT_SERVER_IDENT = "SSH-2.0-OpenSSH_9.9 sshdoctor-listener"


@dataclass(frozen=True, slots=True)
class ClientHello:
    """One client's identification and proposal (or why it could not be read)."""

    peer: str
    port: int
    banner: Banner | None
    proposal: Proposal | None
    error: str | None = None
    at: float = 0.0


async def _handle(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    server_ident: str,
    timeout: float,
) -> ClientHello:
    peer = writer.get_extra_info("peername") or ("?", 0)
    banner = proposal = None
    error = None
    try:
        writer.write(server_ident.encode() + b"\r\n")
        async with asyncio.timeout(timeout):
            banner = await read_banner(reader)
            # Send ours too: some clients wait for the server's KEXINIT.
            writer.write(packet.build_packet(kexinit.encode(probe_proposal())))
            await writer.drain()
            proposal = await read_kexinit(reader)
        writer.write(packet.build_packet(packet.disconnect_payload(11, "sshdoctor recorded your proposal")))
        with contextlib.suppress(OSError):
            await writer.drain()
    except ProbeError as exc:
        error = exc.message
    except TimeoutError:
        error = f"no identification and KEXINIT within {timeout:g} s"
    except OSError as exc:
        error = exc.strerror or str(exc)
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(1.0):
                await writer.wait_closed()
    return ClientHello(peer=str(peer[0]), port=int(peer[1]), banner=banner, proposal=proposal, error=error,
                       at=time.time())


async def listen(
    on_client: Callable[[ClientHello], Awaitable[None] | None],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    server_ident: str = DEFAULT_SERVER_IDENT,
    timeout: float = 10.0,
) -> asyncio.Server:
    """Start listening; ``on_client`` gets a :class:`ClientHello` per connection.

    Returns the started server (``server.sockets[0].getsockname()[1]`` is
    the port); close it with ``server.close()``.
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hello = await _handle(reader, writer, server_ident, timeout)
        result = on_client(hello)
        if result is not None:
            await result

    return await asyncio.start_server(handler, host, port, limit=packet.MAX_PACKET + 64)
