"""Shared fixtures: real servers on loopback and an isolated ssh client config."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class LoginUser:
    """A throwaway login user: its name and its home (from the password database)."""

    name: str
    home: Path

    def python(self) -> tuple[list[str], dict[str, str]]:
        """A Python this user may run with sshdoctor importable: this one, or the system's with
        the test environment's packages (a pyenv under a private /root cannot be run by others)."""
        probe = subprocess.run(["runuser", "-u", self.name, "--", sys.executable, "-c", "import sshdoctor"],
                               capture_output=True)
        if probe.returncode == 0:
            return [sys.executable], {}
        import sysconfig

        paths = [str(Path(__file__).resolve().parents[1] / "src"), sysconfig.get_paths()["purelib"]]
        env = {"PYTHONPATH": os.pathsep.join(paths)}
        probe = subprocess.run(["runuser", "-u", self.name, "--", "env", *(f"{k}={v}" for k, v in env.items()),
                                "/usr/bin/python3", "-c", "import sshdoctor.cli.main"], capture_output=True)
        if probe.returncode == 0:
            return ["/usr/bin/python3"], env
        # The checkout itself is private (a clean clone under a mode-0700 temporary directory, as CI
        # makes): a readable copy of sshdoctor and the packages its CLI imports, in this user's tree.
        return ["/usr/bin/python3"], {"PYTHONPATH": str(self._readable_copy(paths))}

    def _readable_copy(self, paths: list[str]) -> Path:
        target = self.home.parent / "py"
        if not target.exists():
            wanted = ("sshdoctor", "click", "rich", "pygments", "markdown_it", "mdurl")
            for name in wanted:
                for where in paths:
                    source = Path(where) / name
                    if source.is_dir():
                        shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
                        break
            for p in [target, *target.rglob("*")]:
                os.chmod(p, 0o755 if p.is_dir() else 0o644)
        return target

    def run(self, argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` as this user (runuser), with ``env`` on top of a minimal environment."""
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        return subprocess.run(["runuser", "-u", self.name, "--", "env", *(f"{k}={v}" for k, v in {**base, **(env or {})}.items()),
                               *argv], capture_output=True, text=True, timeout=timeout, input=input)


@pytest.fixture
def login_user() -> Iterator[LoginUser]:
    """A real user with an empty ~/.ssh, for what depends on the password database (ssh's ~)."""
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"):
        pytest.skip("needs root, useradd and runuser")
    name = f"sshdoc{os.getpid() % 100000}"
    # pytest's own tmp tree is private to root; the user must reach its home.
    base = Path(tempfile.mkdtemp(prefix="sshdoctor-home-", dir="/tmp"))
    home = base / "home"
    subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/sh", name], check=True, capture_output=True)
    try:
        (home / ".ssh").mkdir(parents=True)
        uid = pwd.getpwnam(name).pw_uid
        for p in (base, home, home / ".ssh"):
            os.chmod(p, 0o755)
        os.chown(home, uid, uid)
        os.chown(home / ".ssh", uid, uid)
        os.chmod(home / ".ssh", 0o700)
        yield LoginUser(name, home)
    finally:
        subprocess.run(["userdel", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
