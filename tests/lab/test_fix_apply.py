"""`fix --apply` and `fix --hosts FILE --pattern` write blocks that work on their own."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sshdoctor.local.verify import run_ssh_check

LEGACY = {"kex": ["diffie-hellman-group14-sha1"], "ciphers": ["aes128-cbc"], "host_key_algorithms": ["ssh-rsa"]}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sshdoctor", *args], capture_output=True, text=True, timeout=180,
                          env=os.environ.copy())


def test_apply_before_host_star_then_idempotent(sshd: Callable[..., Any], tmp_path: Path) -> None:
    server = sshd(**LEGACY)
    cfg = tmp_path / "config"
    cfg.write_text(
        "# mine\r\nHost *\r\n    ServerAliveInterval 30\r\n"
        f"    UserKnownHostsFile {tmp_path}/kh\r\n    GlobalKnownHostsFile /dev/null\r\n"
        "    StrictHostKeyChecking accept-new\r\n"
    )
    cfg.chmod(0o600)
    assert not run_ssh_check("127.0.0.1", port=server.port, config_file=str(cfg)).kex_done
    proc = run("fix", "--apply", "--json", "-F", str(cfg), server.target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["applied"]["written"] is True
    assert doc["applied"]["in_effect"] is True and doc["applied"]["verified_after"] is True
    text = cfg.read_bytes().decode()
    assert text.index("Host 127.0.0.1") < text.index("Host *")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # CRLF kept
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert list(tmp_path.glob("config.sshdoctor-*.bak"))
    # The file alone (no -o options) now gets the real ssh through key exchange.
    assert run_ssh_check("127.0.0.1", port=server.port, config_file=str(cfg)).kex_done
    before = cfg.read_bytes()
    again = run("fix", "--apply", "--json", "-F", str(cfg), server.target)
    assert again.returncode == 0
    assert cfg.read_bytes() == before
    assert json.loads(again.stdout)["changes"] == []


def test_dry_run_writes_nothing(sshd: Callable[..., Any], tmp_path: Path) -> None:
    server = sshd(**LEGACY)
    cfg = tmp_path / "config"
    cfg.write_text(f"Host *\n    UserKnownHostsFile {tmp_path}/kh\n    StrictHostKeyChecking accept-new\n")
    before = cfg.read_bytes()
    proc = run("fix", "--apply", "--dry-run", "-F", str(cfg), server.target)
    assert cfg.read_bytes() == before
    assert "+Host 127.0.0.1" in proc.stdout
    assert "+    KexAlgorithms +diffie-hellman-group14-sha1" in proc.stdout


def test_group_block_for_legacy_pattern(sshd: Callable[..., Any], tmp_path: Path) -> None:
    one = sshd(**LEGACY)
    two = sshd(kex=["diffie-hellman-group14-sha1"], ciphers=["aes256-cbc", "3des-cbc"])
    cfg = tmp_path / "config"
    cfg.write_text(
        f"Host legacy-one\n    HostName 127.0.0.1\n    Port {one.port}\n"
        f"Host legacy-two\n    HostName 127.0.0.1\n    Port {two.port}\n"
        f"Host *\n    UserKnownHostsFile {tmp_path}/kh\n    GlobalKnownHostsFile /dev/null\n"
        "    StrictHostKeyChecking accept-new\n"
    )
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("# the old switches\nlegacy-one\nlegacy-two\n")
    proc = run("fix", "--hosts", str(hosts), "--pattern", "legacy-*", "--apply", "--json", "-F", str(cfg))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verified"] == {"legacy-one": True, "legacy-two": True}
    text = cfg.read_text()
    assert text.count("Host legacy-*") == 1
    block = text[text.index("Host legacy-*"):].split("\n\n")[0]
    assert "KexAlgorithms +diffie-hellman-group14-sha1" in block
    assert "aes128-cbc" in block and "aes256-cbc" in block  # one cipher per host, strongest each
    assert "3des-cbc" not in block
    for alias in ("legacy-one", "legacy-two"):
        assert run_ssh_check(alias, config_file=str(cfg)).kex_done


def test_group_block_lists_the_union_strongest_first(sshd: Callable[..., Any], tmp_path: Path) -> None:
    """One host offers only group1, the other group14 and group1: the block must not downgrade the second."""
    only_group1 = sshd(kex=["diffie-hellman-group1-sha1"])
    both = sshd(kex=["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"])
    cfg = tmp_path / "config"
    cfg.write_text(
        f"Host legacy-a\n    HostName 127.0.0.1\n    Port {only_group1.port}\n"
        f"Host legacy-b\n    HostName 127.0.0.1\n    Port {both.port}\n"
        f"Host *\n    UserKnownHostsFile {tmp_path}/kh\n    GlobalKnownHostsFile /dev/null\n"
        "    StrictHostKeyChecking accept-new\n"
    )
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("legacy-a\nlegacy-b\n")
    proc = run("fix", "--hosts", str(hosts), "--pattern", "legacy-*", "--apply", "--json", "-F", str(cfg))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["downgrades"] == {} and doc["verified"] == {"legacy-a": True, "legacy-b": True}
    assert "KexAlgorithms +diffie-hellman-group14-sha1,diffie-hellman-group1-sha1" in cfg.read_text()
    # Each host negotiates its own best with the block alone, as the real ssh reports it.
    assert run_ssh_check("legacy-a", config_file=str(cfg)).chosen["kex"] == "diffie-hellman-group1-sha1"
    assert run_ssh_check("legacy-b", config_file=str(cfg)).chosen["kex"] == "diffie-hellman-group14-sha1"
