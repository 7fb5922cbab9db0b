"""Fixtures of the interop lab: host keys and an empty home for client programs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.harness import lab_keys


@pytest.fixture(scope="session")
def interop_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lab's host keys (OpenSSH format and PEM), shared by every server of the session."""
    return lab_keys(tmp_path_factory.mktemp("interop-keys"))


@pytest.fixture
def empty_home(tmp_path: Path) -> Path:
    """A HOME with nothing in it: no saved host keys, sessions or config may shape a client."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".config").mkdir()
    return home
