"""Helpers for the scan tests: run the CLI with a private history and config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli("scan", …)``: sshdoctor in a child process, history in the test's directory."""

    def run(*args: str, stdin: str | None = None, timeout: float = 120,
            env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT / "src"),
               "COLUMNS": "200", **(env_extra or {})}
        return subprocess.run([sys.executable, "-m", "sshdoctor", *args], input=stdin, capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=ROOT)

    return run


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
