"""Record what a real client program sends, with the client listener, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Mapping, Sequence

from sshdoctor.wire.listener import ClientHello, listen


def record_client(argv_for_port: Sequence[str], env: Mapping[str, str] | None = None,
                  timeout: float = 30.0) -> ClientHello:
    """Start the listener, run the client (``{port}`` in its arguments is the
    listener's port), return the one identification and KEXINIT it sent."""

    async def main() -> ClientHello:
        got: list[ClientHello] = []
        server = await listen(got.append, timeout=timeout)
        port = server.sockets[0].getsockname()[1]
        argv = [a.replace("{port}", str(port)) for a in argv_for_port]
        proc = await asyncio.create_subprocess_exec(
            *argv, env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
            for _ in range(100):  # the handler finishes just after the client exits
                if got:
                    break
                await asyncio.sleep(0.05)
        finally:
            server.close()
            await server.wait_closed()
        stderr = (await proc.stderr.read()).decode(errors="replace") if proc.stderr else ""
        assert len(got) == 1, f"{argv[0]} did not connect once (stderr: {stderr[:500]})"
        return got[0]

    return asyncio.run(main())
