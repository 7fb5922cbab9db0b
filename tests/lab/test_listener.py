"""The client listener records the real ssh's identification and KEXINIT."""

from __future__ import annotations

import asyncio
import subprocess

from sshdoctor.wire.listener import ClientHello, listen


def test_records_real_ssh(ssh_binary: str) -> None:
    async def main() -> list[ClientHello]:
        got: list[ClientHello] = []
        server = await listen(got.append)
        port = server.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            ssh_binary, "-F", "/dev/null", "-o", "BatchMode=yes", "-p", str(port), "127.0.0.1", "true",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        await asyncio.wait_for(proc.wait(), 20)
        for _ in range(50):
            if got:
                break
            await asyncio.sleep(0.05)
        server.close()
        return got

    got = asyncio.run(main())
    assert len(got) == 1
    hello = got[0]
    assert hello.error is None
    assert hello.banner is not None and hello.banner.software.startswith("OpenSSH_")
    assert hello.proposal is not None
    defaults = subprocess.run([ "ssh", "-G", "-F", "/dev/null", "x.invalid"], capture_output=True, text=True).stdout
    ciphers = next(line.split()[1] for line in defaults.splitlines() if line.startswith("ciphers "))
    assert ",".join(hello.proposal.cipher_c2s) == ciphers
    assert "ext-info-c" in hello.proposal.kex
