"""Shared fixtures: real servers on loopback and an isolated ssh client config."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.lab.base import ProcessServer
from sshdoctor.lab.dropbear import Dropbear, dropbear_path
from sshdoctor.lab.sshd import Sshd, sshd_path

REQUIRE_LAB = bool(os.environ.get("SSHDOCTOR_REQUIRE_LAB"))

# The tools the test setup installed into the environment that runs the tests
# (ssh-audit, for one) are found there first, whether or not that environment's
# bin directory is on the caller's PATH.
_ENV_BIN = os.path.dirname(sys.executable)
if _ENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _ENV_BIN + os.pathsep + os.environ.get("PATH", "")


def need(binary: str | None, what: str) -> None:
    """Skip when a lab program is missing, unless CI demands the full lab."""
    if binary:
        return
    if REQUIRE_LAB:
        pytest.fail(f"{what} is not installed but SSHDOCTOR_REQUIRE_LAB is set")
    pytest.skip(f"{what} not installed")


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Host keys shared by every lab server of the session."""
    return tmp_path_factory.mktemp("hostkeys")


def _servers(kind: type[ProcessServer], binary: str | None, what: str, key_dir: Path) -> Iterator[Callable[..., Any]]:
    need(binary, what)
    started: list[ProcessServer] = []

    def start(**kwargs: Any) -> Any:
        kwargs.setdefault("key_dir", key_dir)
        server = kind(**kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def sshd(key_dir: Path) -> Iterator[Callable[..., Sshd]]:
    """Factory: ``sshd(kex=[...], ciphers=[...])`` starts a real sshd on 127.0.0.1."""
    yield from _servers(Sshd, sshd_path(), "OpenSSH sshd", key_dir)


@pytest.fixture
def dropbear(key_dir: Path) -> Iterator[Callable[..., Dropbear]]:
    """Factory: ``dropbear(host_keys=("rsa",))`` starts a real Dropbear on 127.0.0.1."""
    yield from _servers(Dropbear, dropbear_path(), "Dropbear", key_dir)


@pytest.fixture
def client_config(tmp_path: Path) -> Callable[[str], str]:
    """Write an ssh_config for the client side; returns its path.

    Known-hosts files point into the test's directory, so the machine's own
    ~/.ssh never influences (or is changed by) a test.
    """

    def write(body: str = "") -> str:
        path = tmp_path / "ssh_config"
        kh = tmp_path / "known_hosts"
        path.write_text(
            body
            + "\nHost *\n"
            + f"    UserKnownHostsFile {kh}\n"
            + "    GlobalKnownHostsFile /dev/null\n"
            + "    StrictHostKeyChecking no\n"
            + "    BatchMode yes\n"
        )
        return str(path)

    return write


@pytest.fixture(scope="session")
def ssh_binary() -> str:
    path = shutil.which("ssh")
    need(path, "OpenSSH client")
    assert path is not None
    return path
