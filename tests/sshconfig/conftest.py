"""Fixtures for the ssh_config editor and lint tests.

Every test runs with HOME pointing into its own temporary directory, so
neither sshdoctor nor the real ssh it runs can read or change the
machine's ~/.ssh; the real ssh is always given the file under test with -F.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import need


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    # ssh finds ~ in the password database, and so does sshdoctor: in-process, point that lookup here too.
    monkeypatch.setattr("sshdoctor.local.paths.ssh_home", lambda: home)
    return home


@pytest.fixture
def ssh_g() -> Callable[..., dict[str, str]]:
    """``ssh_g(path, host)``: the real ``ssh -G -F path host`` as a dict (first value per key)."""
    ssh = shutil.which("ssh")
    need(ssh, "OpenSSH client")
    assert ssh is not None

    def run(path: str | Path, host: str) -> dict[str, str]:
        out = subprocess.run(
            [ssh, "-G", "-F", str(path), "--", host],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20, check=False,
        )
        assert out.returncode == 0, out.stderr
        values: dict[str, str] = {}
        for line in out.stdout.splitlines():
            key, _, value = line.partition(" ")
            values.setdefault(key, value)
        return values

    return run


def write(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    """Write a config file byte-exactly with the given mode."""
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(data)
    os.chmod(path, mode)
    return path
