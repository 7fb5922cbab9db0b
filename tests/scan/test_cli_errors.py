"""Bad input: one clear line and a distinct exit status, never a traceback."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

CASES = [
    ((), 2, "no targets"),
    (("--json", "--jsonl", "127.0.0.1:1"), 2, "cannot be combined"),
    (("-i", "/nonexistent/targets"), 2, "no such file"),
    (("--ansible", "/nonexistent/inv"), 2, "no such file"),
    (("10.0.0.0/8",), 2, "raise it with --max-cidr"),
    (("127.0.0.0/33",), 2, "invalid address range"),
    (("host:70000",), 2, "invalid port"),
    (("127.0.0.1:1", "--profiles", "openssh-1.0,nosuch"), 2, "unknown client profile"),
    (("127.0.0.1:1", "--rate", "fast"), 2, "is not a rate"),
    (("127.0.0.1:1", "--diff", "--no-history"), 2, "--diff needs the history"),
    (("-", "-i", "-"), 2, "standard input can be read only once"),
]


@pytest.mark.parametrize(("args", "code", "message"), CASES)
def test_usage_errors(args: tuple[str, ...], code: int, message: str,
                      run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = run_cli("scan", *args, "-F", "/dev/null")
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 3


def test_broken_inventory_and_history_database(tmp_path: Path,
                                               run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    inventory = tmp_path / "inv.yml"
    inventory.write_text("all:\n  hosts:\n    - a\n")
    proc = run_cli("scan", "--ansible", str(inventory), "--no-history", "-F", "/dev/null")
    assert proc.returncode == 2 and "only mappings" in proc.stderr and "Traceback" not in proc.stderr
    not_db = tmp_path / "not.sqlite"
    not_db.write_text("this is not a database" * 100)
    proc = run_cli("scan", "127.0.0.1:1", "--db", str(not_db), "-F", "/dev/null")
    assert proc.returncode == 3 and "history database" in proc.stderr
    proc = run_cli("history", "--db", str(tmp_path / "none.sqlite"))
    assert proc.returncode == 3 and "no scan history" in proc.stderr


def test_targets_from_stdin_and_unreachable_exit_one(run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = run_cli("scan", "-", "--no-history", "-F", "/dev/null", "--jsonl", stdin="# none\n127.0.0.1:1\n\n")
    assert proc.returncode == 1
    assert '"error_kind":"connection-refused"' in proc.stdout
