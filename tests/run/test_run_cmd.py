"""`sshdoctor run -- scp` and `-- git ls-remote` against a legacy lab sshd:
explained, and with --apply the re-run succeeds."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

LEGACY = {"kex": ["diffie-hellman-group14-sha1"], "ciphers": ["aes128-cbc"], "host_key_algorithms": ["ssh-rsa"]}


@pytest.fixture
def keyed_legacy(sshd: Callable[..., Any], tmp_path: Path) -> tuple[Any, Path]:
    """A legacy sshd that accepts a fresh client key, and an ssh_config that uses it."""
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    server = sshd(**LEGACY)
    (server.dir / "authorized_keys").write_text((tmp_path / "id_ed25519.pub").read_text())
    cfg = tmp_path / "config"
    cfg.write_text(
        f"Host *\n    IdentityFile {key}\n    IdentitiesOnly yes\n    UserKnownHostsFile {tmp_path}/kh\n"
        "    GlobalKnownHostsFile /dev/null\n    StrictHostKeyChecking accept-new\n    BatchMode yes\n"
    )
    cfg.chmod(0o600)
    return server, cfg


def sshdoctor_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sshdoctor", "run", *args], capture_output=True, text=True,
                          timeout=180, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def test_scp_explained_then_fixed(keyed_legacy: tuple[Any, Path], tmp_path: Path) -> None:
    server, cfg = keyed_legacy
    src = tmp_path / "payload.txt"
    src.write_text("hello legacy\n")
    dest = tmp_path / "copied.txt"
    scp = ["scp", "-F", str(cfg), "-P", str(server.port), str(src), f"127.0.0.1:{dest}"]
    plain = sshdoctor_run("-F", str(cfg), "--", *scp)
    assert plain.returncode != 0
    assert "Unable to negotiate" in plain.stderr  # the command's own output passes through
    assert "no common key exchange" in plain.stderr  # then sshdoctor's explanation
    assert shlex.join(["sshdoctor", "run", "-F", str(cfg), "--apply", "--", *scp]) in plain.stderr
    assert not dest.exists()
    # The user's own command comes back with the fix in it, and runs as printed.
    doc = json.loads(sshdoctor_run("-F", str(cfg), "--json", "--", *scp).stdout)
    mine = doc["actions"][0]
    assert mine["title"] == "your command, with the fix" and mine["argv"][0] == "scp"
    assert mine["argv"][-4:] == scp[-4:] and "-P" in mine["argv"] and str(cfg) in mine["argv"]
    assert mine["text"] in plain.stderr
    assert subprocess.run(mine["argv"], capture_output=True, timeout=60).returncode == 0
    assert dest.read_text() == "hello legacy\n"
    dest.unlink()
    fixed = sshdoctor_run("-F", str(cfg), "--apply", "--", *scp)
    assert fixed.returncode == 0, fixed.stderr
    assert dest.read_text() == "hello legacy\n"
    assert "KexAlgorithms +diffie-hellman-group14-sha1" in cfg.read_text()


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_ls_remote_explained_then_fixed(keyed_legacy: tuple[Any, Path], tmp_path: Path) -> None:
    server, cfg = keyed_legacy
    repo = tmp_path / "repo.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    url = f"ssh://127.0.0.1:{server.port}{repo}"
    env = {"GIT_SSH_COMMAND": f"ssh -F {cfg}"}
    plain = sshdoctor_run("-F", str(cfg), "--", "git", "ls-remote", url, env=env)
    assert plain.returncode != 0
    assert "Could not read from remote repository" in plain.stderr
    assert "no common" in plain.stderr
    fixed = sshdoctor_run("-F", str(cfg), "--apply", "--", "git", "ls-remote", url, env=env)
    assert fixed.returncode == 0, fixed.stderr


def test_exit_code_is_the_commands_own(tmp_path: Path) -> None:
    proc = sshdoctor_run("--", "sh", "-c", "echo not ssh >&2; exit 42")
    assert proc.returncode == 42
    assert "not ssh" in proc.stderr
    assert sshdoctor_run("--", "true").returncode == 0
    assert sshdoctor_run("--", "no-such-program-xyz").returncode == 127
