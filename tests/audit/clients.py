"""Real SSH client programs for the audit tests: command lines and kex checks.

Each client is run against a port on 127.0.0.1. ``KEX_DONE`` says, per
client, how its output shows that key exchange completed (it got as far as
host-key checking or authentication, which come after key exchange).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sshdoctor.model import Proposal
from sshdoctor.wire.listener import ClientHello, listen

PARAMIKO = """
import sys, paramiko
t = paramiko.Transport(("127.0.0.1", int(sys.argv[1])))
try:
    t.start_client(timeout=15)
    print("KEX-DONE", t.remote_cipher, t.host_key_type if hasattr(t, "host_key_type") else "")
except Exception as exc:
    print("KEX-FAILED", type(exc).__name__, exc)
finally:
    t.close()
"""

ASYNCSSH = """
import asyncio, sys, asyncssh
async def main():
    try:
        await asyncssh.connect("127.0.0.1", int(sys.argv[1]), known_hosts=None, config=None, username="nobody",
                               client_keys=None, agent_path=None, password=None, login_timeout=15, **OPTS)
        print("KEX-DONE connected")
    except asyncssh.PermissionDenied:
        print("KEX-DONE permission denied")
    except Exception as exc:
        print("KEX-FAILED", type(exc).__name__, exc)
asyncio.run(main())
"""


def asyncssh_script(**options: object) -> str:
    """The AsyncSSH client program, with connect() options (e.g. a restricted kex list)."""
    return ASYNCSSH.replace("**OPTS", ", ".join(f"{k}={v!r}" for k, v in options.items()) or "")


def ssh_argv(port: int, known_hosts: Path) -> list[str]:
    return [
        "ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={known_hosts}",
        "-o", "StrictHostKeyChecking=no", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
        "-p", str(port), "nobody@127.0.0.1", "true",
    ]


def plink_argv(port: int) -> list[str]:
    # Without -hostkey, -batch stops at the unknown host key: after key exchange, which is what is tested.
    return ["plink", "-ssh", "-batch", "-P", str(port), "-l", "nobody", "127.0.0.1", "true"]


def python_argv(script: str, port: int) -> list[str]:
    return [sys.executable, "-c", script, str(port)]


def run(argv: Sequence[str], timeout: float = 40) -> str:
    """Run a client; its stdout and stderr together."""
    env = {**os.environ, "HOME": os.environ.get("HOME", "/tmp")}
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    return proc.stdout + proc.stderr


def kex_completed(name: str, output: str) -> bool:
    """Whether a client's output proves key exchange completed."""
    if name == "ssh":
        return "Permission denied" in output
    if name == "plink":
        # plink reports the host key (only known after key exchange) and refuses it in batch mode.
        return "host key is not cached" in output.lower() or "access denied" in output.lower() \
            or "no supported authentication methods" in output.lower()
    return "KEX-DONE" in output


def have(program: str) -> bool:
    return shutil.which(program) is not None


def record(argv_for_port: Callable[[int], Sequence[str]], timeout: float = 30) -> Proposal:
    """The KEXINIT a real client program sends, recorded with sshdoctor's client listener."""

    async def main() -> ClientHello:
        got: list[ClientHello] = []
        server = await listen(got.append, timeout=timeout)
        port = server.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(*argv_for_port(port), stdin=subprocess.DEVNULL,
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        server.close()
        return got[0]

    hello = asyncio.run(main())
    assert hello.proposal is not None, hello.error
    return hello.proposal
