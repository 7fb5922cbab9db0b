"""Capture the npm package ssh2's negotiation-failure texts into tests/corpus/node-ssh2 from the lab on 127.0.0.1.

Run from the repository root after interop/node/install.sh:  .venv/bin/python interop/node/capture.py

Client side: client.js (ssh2's defaults) against an OpenSSH sshd (or an AsyncSSH server) that
offers nothing ssh2 supports in one category. Server side: server.js against OpenSSH's ssh (or
AsyncSSH's client) configured the same way. A client fixture holds err.message and what the
harness printed on stderr; a server fixture holds the server's stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import asyncssh  # noqa: E402
from asyncssh import connection as _conn  # noqa: E402
from tests.interop.harness import PREFIX, lab_keys  # noqa: E402

from sshdoctor.lab.asyncssh_server import AsyncsshServer  # noqa: E402
from sshdoctor.lab.ports import free_port, wait_for_banner  # noqa: E402
from sshdoctor.lab.sshd import Sshd  # noqa: E402

HERE = ROOT / "interop" / "node"
OUT = ROOT / "tests" / "corpus" / "node-ssh2"
NODE = shutil.which("node") or "/usr/bin/node"
# 0.8.x (ssh2-streams' texts) and the newest 1.x (kex.js's texts, the same in every 1.x).
VERSIONS = ("0.8.9", "1.17.0")
MODERN = {"kex": ["curve25519-sha256"], "hostkey": ["ssh-ed25519"], "cipher": ["aes128-ctr"],
          "mac": ["hmac-sha2-256"]}
SSHD = {
    "kex": {"kex": "diffie-hellman-group1-sha1"},
    "hostkey": {"host_key_algorithms": "ssh-dss", "host_keys": ("dsa",)},
    "cipher": {"ciphers": "3des-cbc"},
    "mac": {"ciphers": "aes128-ctr", "macs": "hmac-md5"},
}
SSH = {
    "kex": ["-o", "KexAlgorithms=diffie-hellman-group1-sha1"],
    "hostkey": ["-o", "HostKeyAlgorithms=ssh-dss"],
    "cipher": ["-c", "3des-cbc"],
    "mac": ["-c", "aes128-ctr", "-m", "hmac-md5"],
}


@contextlib.contextmanager
def empty_compression(side: type) -> Iterator[None]:
    """AsyncSSH sends an empty compression name-list from ``side`` (no option allows that)."""
    side._cmp_algs = property(lambda _self: [], lambda _self, _value: None)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del side._cmp_algs  # type: ignore[attr-defined]


def write(name: str, *, command: str, program: str, text: str, expect: list[dict[str, Any]], note: str | None = None) -> None:
    command = command.replace(str(PREFIX), "$SSHDOCTOR_LAB_PREFIX").replace(str(ROOT) + "/", "")
    lines = [f"# command: {command}", f"# program: {program}", "# source: captured from the real program on 127.0.0.1"]
    if note:
        lines.append(f"# note: {note}")
    lines += [f"# expect: {json.dumps(e, sort_keys=True)}" for e in expect]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.txt").write_text("\n".join(lines) + "\n--- output ---\n" + text)
    print(f"wrote {OUT.name}/{name}.txt")


def client_argv(version: str, port: int) -> list[str]:
    return [NODE, str(HERE / "client.js"), str(PREFIX / "node" / f"ssh2-{version}"), "127.0.0.1", str(port)]


def client_text(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not doc["ok"], doc
    return str(doc["error"]) + "\n" + proc.stderr


def direction(version: str, category: str) -> dict[str, str]:
    # Cipher, MAC and compression texts name the client-to-server direction, which is checked first.
    return {"direction": "c2s"} if category in ("cipher", "mac", "compression") else {}


def capture_clients(keys: Path) -> None:
    for version in VERSIONS:
        short = version.replace(".", "")
        program = f"ssh2 {version} (npm), client: interop/node/client.js with the library's defaults (Node {node_version()})"
        for category, lists in SSHD.items():
            with Sshd(key_dir=keys, **lists) as server:  # type: ignore[arg-type]
                argv = client_argv(version, server.port)
                text = client_text(argv)
            want = {"kind": "no-common-algorithm", "category": category, "reported_by": "node-ssh2", "side": "client",
                    **direction(version, category)}
            write(f"node-ssh2-{short}-{category}", command=f"{shlex.join(argv)}  # sshd offering only {lists} ({category})",
                  program=program, text=text, expect=[want])
        with empty_compression(_conn.SSHServerConnection), AsyncsshServer(**MODERN) as server:
            argv = client_argv(version, server.port)
            text = client_text(argv)
        write(f"node-ssh2-{short}-compression",
              command=f"{shlex.join(argv)}  # AsyncSSH server sending an empty compression list",
              program=program, text=text,
              expect=[{"kind": "no-common-algorithm", "category": "compression", "reported_by": "node-ssh2",
                       "side": "client", "direction": "c2s"}],
              note="ssh2 supports every compression method there is (none, zlib, zlib@openssh.com): the lab server "
                   "sends an empty list")


@contextlib.contextmanager
def node_server(version: str, keys: Path) -> Iterator[tuple[int, Path, int]]:
    port = free_port()
    log = keys / f"ssh2-{version}-{port}.err"
    with open(log, "wb") as err:
        proc = subprocess.Popen([NODE, str(HERE / "server.js"), str(PREFIX / "node" / f"ssh2-{version}"), str(port),
                                 str(keys)], stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    try:
        wait_for_banner("127.0.0.1", port, timeout=30)
        # The banner check is a connection too: what it made the server say is not part of the capture.
        time.sleep(0.5)
        yield port, log, log.stat().st_size
    finally:
        proc.terminate()
        proc.wait(10)


def server_errors(log: Path, skip: int) -> str:
    for _ in range(50):
        text = log.read_text()[skip:]
        if "Handshake failed" in text:
            time.sleep(0.3)
            return log.read_text()[skip:]
        time.sleep(0.1)
    raise AssertionError(f"no handshake error in {log}: {log.read_text()[skip:]!r}")


def node_version() -> str:
    return subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout.strip()


def capture_servers(keys: Path) -> None:
    for version in VERSIONS:
        short = version.replace(".", "")
        program = f"ssh2 {version} (npm), server: interop/node/server.js with the library's defaults (Node {node_version()})"
        for category, opts in SSH.items():
            with node_server(version, keys) as (port, log, skip):
                argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                        "-o", "UserKnownHostsFile=/dev/null", *opts, "-p", str(port), "sshdoctor@127.0.0.1", "true"]
                subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
                text = server_errors(log, skip)
            want = {"kind": "no-common-algorithm", "category": category, "reported_by": "node-ssh2", "side": "server",
                    **direction(version, category)}
            write(f"node-ssh2-{short}-server-{category}", command=f"{shlex.join(argv)}  # against the ssh2 server",
                  program=program, text=text, expect=[want])
        with node_server(version, keys) as (port, log, skip), empty_compression(_conn.SSHClientConnection):
            async def attempt(port: int = port) -> None:
                with contextlib.suppress(Exception):
                    async with asyncssh.connect("127.0.0.1", port, known_hosts=None, username="sshdoctor",
                                                password="x", connect_timeout=10):
                        pass
            asyncio.run(attempt())
            text = server_errors(log, skip)
        write(f"node-ssh2-{short}-server-compression",
              command=f"asyncssh.connect('127.0.0.1', {port}) sending an empty compression list  # against the ssh2 server",
              program=program, text=text,
              expect=[{"kind": "no-common-algorithm", "category": "compression", "reported_by": "node-ssh2",
                       "side": "server", "direction": "c2s"}])


def main() -> None:
    keys = lab_keys(Path(tempfile.mkdtemp(prefix="ssh2-capture-")))
    capture_clients(keys)
    capture_servers(keys)


if __name__ == "__main__":
    main()
