"""Fixtures for ``fix --server``: real sshd configuration sets in a temporary directory.

Each test gets a "production" configuration of its own: host keys, a main
file and drop-ins under the test's directory, listening on a spare
127.0.0.1 port with a pid file there. Nothing reads or writes /etc, and
the real sshd and ssh only ever talk over loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sshdoctor.lab.ports import free_port, wait_for_banner
from sshdoctor.local.sshd import dump
from sshdoctor.local.verify import SshRun, run_ssh_check
from tests.conftest import need

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
KEYS = {"rsa": ["-t", "rsa", "-b", "2048"], "ed25519": ["-t", "ed25519"], "ecdsa": ["-t", "ecdsa", "-b", "256"],
        "dsa": ["-t", "dsa"]}
# What a client stuck with the old algorithms is limited to (ssh -o …), per scenario.
OLD_CLIENT = ["KexAlgorithms=diffie-hellman-group14-sha1", "HostKeyAlgorithms=ssh-rsa", "Ciphers=aes128-cbc",
              "MACs=hmac-sha1"]
RESTRICTIVE = ["KexAlgorithms diffie-hellman-group14-sha1", "HostKeyAlgorithms ssh-rsa", "Ciphers aes128-cbc",
               "MACs hmac-sha1"]


@pytest.fixture(scope="session")
def key_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Host keys made once per session; each test copies the ones it loads."""
    need(SSHD if os.access(SSHD, os.X_OK) else None, "OpenSSH sshd")
    need(shutil.which("ssh"), "OpenSSH client")
    folder = tmp_path_factory.mktemp("serverfix-keys")
    for kind, args in KEYS.items():
        subprocess.run(["ssh-keygen", "-q", *args, "-N", "", "-C", f"test-{kind}", "-f", str(folder / kind)],
                       check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return folder


@dataclass
class Server:
    """One test's sshd configuration set and the port it is meant to listen on."""

    root: Path
    port: int
    store: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def main(self) -> Path:
        return self.root / "sshd_config"

    @property
    def dropins(self) -> Path:
        return self.root / "sshd_config.d"

    def key(self, kind: str) -> Path:
        """A private copy of a session key (sshd wants it 0600 and its own)."""
        target = self.root / f"ssh_host_{kind}_key"
        if not target.exists():
            shutil.copyfile(self.store / kind, target)
            shutil.copyfile(self.store / f"{kind}.pub", target.with_name(target.name + ".pub"))
            os.chmod(target, 0o600)
        return target

    def base_lines(self, keys: tuple[str, ...] = ("rsa",)) -> list[str]:
        """What every test configuration has: its keys, its own address, port and pid file."""
        return [*(f"HostKey {self.key(k)}" for k in keys), "ListenAddress 127.0.0.1", f"Port {self.port}",
                f"PidFile {self.root / 'sshd.pid'}", "UsePAM no", "PasswordAuthentication no",
                "KbdInteractiveAuthentication no", "LogLevel DEBUG1"]

    def write(self, text: str, path: Path | None = None, *, newline: str = "\n") -> Path:
        target = path or self.main
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.replace("\n", newline).encode())
        return target

    def snapshot(self) -> dict[str, bytes]:
        """Every file under the test's directory (to prove nothing changed)."""
        return {str(p.relative_to(self.root)): p.read_bytes() for p in sorted(self.root.rglob("*"))
                if p.is_file() and p.name not in ("sshd.pid",) and not p.name.endswith(".log")}

    def start(self, main: Path | None = None) -> subprocess.Popen[bytes]:
        """A fresh sshd started from the files as they are (the real ones, not a copy)."""
        log = self.root / f"sshd-{len(self.procs)}.log"
        proc = subprocess.Popen([SSHD, "-D", "-f", str(main or self.main), "-E", str(log)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        try:
            wait_for_banner("127.0.0.1", self.port, timeout=10)
        except TimeoutError:
            raise AssertionError(f"sshd did not start: {log.read_text(errors='replace')[-2000:]}") from None
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()

    def ssh(self, *options: str) -> SshRun:
        """The real local ssh against this server: BatchMode, no keys; extra ``-o`` options first."""
        return run_ssh_check("127.0.0.1", port=self.port,
                             extra_options=[*options, f"HostKeyAlias=serverfix-test-{self.port}"], timeout=10)

    def effective(self, main: Path | None = None) -> dict[str, tuple[str, ...]]:
        return dict(dump(main or self.main).values)


@pytest.fixture
def server(tmp_path: Path, key_store: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "etc-ssh", free_port(), key_store)
    srv.root.mkdir()
    yield srv
    srv.stop()


def run_fix(*args: object, **kwargs: object) -> object:
    from sshdoctor.host.serverfix import fix_server

    return asyncio.run(fix_server(*args, **kwargs))  # type: ignore[arg-type]


@pytest.fixture
def fix_json(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, dict[str, object]]]:
    """Run ``fix_server_main`` with --json; returns the exit status and the one JSON document."""
    from sshdoctor.cli.fix_server import fix_server_main

    def run(config: Path, *, apply: bool = False, for_: str | None = None, keep: str | None = None,
            client_offer: str | None = None) -> tuple[int, dict[str, object]]:
        capsys.readouterr()
        code = fix_server_main(str(config), None, for_, keep, client_offer, apply, False, True, 5.0)
        out = capsys.readouterr().out
        return code, json.loads(out)

    return run
