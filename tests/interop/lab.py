"""What the interop tests share: availability, profiles, recording a client's KEXINIT."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import Profile, Side, get_profile
from sshdoctor.wire.listener import ClientHello, listen
from tests.interop.harness import REQUIRE_LAB, LabClient, LabServer, run_client


def require(program: LabClient | LabServer) -> None:
    """Skip a program that is not installed, unless CI demands the full lab."""
    if program.installed():
        return
    what = f"{program.id} ({'client' if isinstance(program, LabClient) else 'server'})"
    if REQUIRE_LAB:
        pytest.fail(f"{what} is not installed but SSHDOCTOR_REQUIRE_LAB is set (interop/install makes it)")
    pytest.skip(f"{what} is not installed (interop/install makes it)")


def profile_side(pid: str | None, side: str) -> tuple[Profile, Side]:
    """The catalog profile a program must equal; a missing one is a failure, not a skip."""
    assert pid is not None, "this lab program names no catalog profile"
    prof = get_profile(pid)
    assert prof is not None, f"the catalog has no profile {pid}"
    got = getattr(prof, side)
    assert isinstance(got, Side), f"{pid} has no {side} side"
    return prof, got


def record_kexinit(client: LabClient, home: Path, ident: str | None = None) -> ClientHello:
    """Run the real client against the recording listener; its one identification and KEXINIT."""

    async def main() -> ClientHello:
        got: list[ClientHello] = []
        kwargs = {"server_ident": ident} if ident else {}
        server = await listen(got.append, timeout=30, **kwargs)
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, lambda: _quietly(client, port, home))
            for _ in range(100):
                if got:
                    break
                await asyncio.sleep(0.05)
        finally:
            server.close()
            await server.wait_closed()
        assert got, f"{client.id} never connected to the recording listener"
        return got[0]

    return asyncio.run(main())


def _quietly(client: LabClient, port: int, home: Path) -> None:
    # The listener hangs up after the KEXINIT: the run's own result does not matter here.
    with contextlib.suppress(AssertionError):
        run_client(client, "127.0.0.1", [port], home=home)
