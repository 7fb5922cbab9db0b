"""Capture russh's negotiation-failure texts into tests/corpus/russh from the lab on 127.0.0.1.

Run from the repository root after interop/rust/install.sh:  .venv/bin/python interop/rust/capture.py

Client side: the lab harness (russh's defaults) against an OpenSSH sshd (or an AsyncSSH server)
that offers nothing russh supports in one category. Server side: the harness's server against
OpenSSH's ssh (or AsyncSSH's client) configured the same way. Each fixture holds the error as
the library's Display gives it and what the harness printed on stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
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

OUT = ROOT / "tests" / "corpus" / "russh"
BIN = PREFIX / "rust" / "bin"
VERSIONS = {"0.44.1": "russh-lab-044", "0.65.1": "russh-lab-065"}
MODERN = {"kex": ["curve25519-sha256"], "hostkey": ["ssh-ed25519"], "cipher": ["aes128-ctr"],
          "mac": ["hmac-sha2-256"]}
# What a server offers (or a client asks for) to have nothing russh supports in one category.
SSHD = {
    "kex": {"kex": "diffie-hellman-group1-sha1"},
    "hostkey": {"host_key_algorithms": "ssh-dss", "host_keys": ("dsa",)},
    "cipher": {"ciphers": "3des-cbc"},
    "mac": {"ciphers": "aes128-ctr", "macs": "hmac-md5"},
}
DIRECTIVE = {"kex": "kex", "hostkey": "host_key_algorithms", "cipher": "ciphers", "mac": "macs"}
SSH = {
    "kex": ["-o", "KexAlgorithms=diffie-hellman-group1-sha1"],
    "hostkey": ["-o", "HostKeyAlgorithms=ssh-dss"],
    "cipher": ["-c", "3des-cbc"],
    "mac": ["-c", "aes128-ctr", "-m", "hmac-md5"],
}


@contextlib.contextmanager
def empty_compression(side: type) -> Iterator[None]:
    """AsyncSSH sends an empty compression name-list from ``side`` (no option allows that)."""
    saved = side.__dict__.get("_cmp_algs")
    side._cmp_algs = property(lambda _self: [], lambda _self, _value: None)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if saved is None:
            del side._cmp_algs  # type: ignore[attr-defined]
        else:
            side._cmp_algs = saved  # type: ignore[attr-defined]


def write(name: str, *, command: str, program: str, text: str, expect: list[dict[str, Any]], note: str | None = None) -> None:
    command = command.replace(str(PREFIX), "$SSHDOCTOR_LAB_PREFIX")
    lines = [f"# command: {command}", f"# program: {program}", "# source: captured from the real program on 127.0.0.1"]
    if note:
        lines.append(f"# note: {note}")
    lines += [f"# expect: {json.dumps(e, sort_keys=True)}" for e in expect]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.txt").write_text("\n".join(lines) + "\n--- output ---\n" + text)
    print(f"wrote {OUT.name}/{name}.txt")


def client_text(argv: list[str]) -> tuple[str, dict[str, Any]]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not doc["ok"], doc
    return doc["error"] + "\n" + proc.stderr, doc


def capture_clients(keys: Path) -> None:
    for version, binary in VERSIONS.items():
        short = version.rsplit(".", 1)[0].replace(".", "")
        crate = f"interop/rust/russh-{version.rsplit('.', 1)[0]}"
        program = f"russh {version} (crates.io), client: {crate} with client::Config::default()"
        for category, lists in SSHD.items():
            with Sshd(key_dir=keys, **lists) as server:  # type: ignore[arg-type]
                argv = [str(BIN / binary), "client", "127.0.0.1", str(server.port)]
                text, _ = client_text(argv)
            offered = lists[DIRECTIVE[category]]
            if version.startswith("0.44") and category == "kex":
                want = {"kind": "no-common-algorithm", "category": "kex", "reported_by": "russh", "side": "client"}
                write(f"russh-{short}-kex-unknown-algorithm", command=f"{shlex.join(argv)}  # sshd KexAlgorithms {offered}",
                      program=program, text=text, expect=[want],
                      note="sshd sends kex-strict-s-v00@openssh.com, which russh 0.44 matches as a key exchange method")
                continue
            want = {"kind": "no-common-algorithm", "category": category, "reported_by": "russh", "side": "client"}
            if not version.startswith("0.44"):
                theirs = [offered] + (["kex-strict-s-v00@openssh.com"] if category == "kex" else [])
                want["their_offer"] = theirs
            write(f"russh-{short}-{category}", command=f"{shlex.join(argv)}  # sshd offering only {offered} ({category})",
                  program=program, text=text, expect=[want])
        # A server with nothing in common and no extension names: 0.44's own kex text.
        if version.startswith("0.44"):
            with AsyncsshServer(**{**MODERN, "kex": ["diffie-hellman-group1-sha1"]}, pseudo=False) as server:
                argv = [str(BIN / binary), "client", "127.0.0.1", str(server.port)]
                text, _ = client_text(argv)
            write(f"russh-{short}-kex",
                  command=f"{shlex.join(argv)}  # AsyncSSH server: diffie-hellman-group1-sha1 only, no strict kex",
                  program=program, text=text,
                  expect=[{"kind": "no-common-algorithm", "category": "kex", "reported_by": "russh", "side": "client"}])
        with empty_compression(_conn.SSHServerConnection), AsyncsshServer(**MODERN) as server:
            argv = [str(BIN / binary), "client", "127.0.0.1", str(server.port)]
            text, _ = client_text(argv)
        want = {"kind": "no-common-algorithm", "category": "compression", "reported_by": "russh", "side": "client"}
        write(f"russh-{short}-compression", command=f"{shlex.join(argv)}  # AsyncSSH server sending an empty compression list",
              program=program, text=text, expect=[want],
              note="russh supports every compression method there is (none, zlib, zlib@openssh.com): the lab server "
                   "sends an empty list")


@contextlib.contextmanager
def russh_server(binary: str, keys: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    log = keys / f"{binary}-{port}.err"
    with open(log, "wb") as err:
        proc = subprocess.Popen([str(BIN / binary), "server", str(port), str(keys)], stdout=subprocess.DEVNULL,
                                stderr=err, stdin=subprocess.DEVNULL)
    try:
        wait_for_banner("127.0.0.1", port, timeout=30)
        # The banner check is a connection too: its "Disconnected" is not part of the capture.
        time.sleep(0.5)
        yield port, log
    finally:
        proc.terminate()
        proc.wait(10)


def server_errors(log: Path, skip: int) -> str:
    """What the server printed after the first ``skip`` bytes, once a connection's error is there."""
    for _ in range(50):
        text = log.read_text()[skip:]
        if "session error" in text:
            time.sleep(0.3)
            return log.read_text()[skip:]
        time.sleep(0.1)
    raise AssertionError(f"no session error in {log}")


def capture_servers(keys: Path) -> None:
    for version, binary in VERSIONS.items():
        short = version.rsplit(".", 1)[0].replace(".", "")
        crate = f"interop/rust/russh-{version.rsplit('.', 1)[0]}"
        program = f"russh {version} (crates.io), server: {crate} with server::Config::default()"
        for category, opts in SSH.items():
            if version.startswith("0.44") and category == "kex":
                # ssh sends ext-info-c, which 0.44 matches as a method: the server finds nothing wrong,
                # ssh gives up on its own and the server logs only "early eof". Nothing to capture.
                continue
            with russh_server(binary, keys) as (port, log):
                skip = log.stat().st_size
                argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                        "-o", "UserKnownHostsFile=/dev/null", *opts, "-p", str(port), "sshdoctor@127.0.0.1", "true"]
                subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
                text = server_errors(log, skip)
            want: dict[str, Any] = {"kind": "no-common-algorithm", "category": category, "reported_by": "russh",
                                    "side": "server"}
            if not version.startswith("0.44"):
                offered = opts[-1].split("=")[-1]
                want["their_offer"] = [offered] + (["ext-info-c", "kex-strict-c-v00@openssh.com"] if category == "kex" else [])
            write(f"russh-{short}-server-{category}", command=f"{shlex.join(argv)}  # against the russh server",
                  program=program, text=text, expect=[want])
        with russh_server(binary, keys) as (port, log), empty_compression(_conn.SSHClientConnection):
            skip = log.stat().st_size

            async def attempt(port: int = port) -> None:
                with contextlib.suppress(Exception):
                    async with asyncssh.connect("127.0.0.1", port, known_hosts=None, username="sshdoctor",
                                                password="x", connect_timeout=10):
                        pass
            asyncio.run(attempt())
            text = server_errors(log, skip)
        write(f"russh-{short}-server-compression",
              command=f"asyncssh.connect('127.0.0.1', {port}) sending an empty compression list  # against the russh server",
              program=program, text=text,
              expect=[{"kind": "no-common-algorithm", "category": "compression", "reported_by": "russh", "side": "server"}])


def main() -> None:
    keys = lab_keys(Path(tempfile.mkdtemp(prefix="russh-capture-")))
    capture_clients(keys)
    capture_servers(keys)


if __name__ == "__main__":
    main()
