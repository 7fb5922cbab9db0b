"""`sshdoctor HOST` names the failing stage and the right cause first,
against lab hosts that fail at each stage in turn."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.lab.ports import free_port
from tests.conftest import LoginUser
from tests.lab.hostile import HostileServer


def check(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    cmd = [sys.executable, "-m", "sshdoctor", *args, "--json", "--timeout", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def failed_stage(doc: dict[str, Any]) -> dict[str, Any]:
    blamed = [s for s in doc["stages"] if s["status"] == "failed"]
    assert blamed, doc
    root = [s for s in blamed if s["details"].get("root_cause")]
    return (root or blamed)[0]


def test_closed_port(client_config: Callable[[str], str]) -> None:
    code, doc = check(f"127.0.0.1:{free_port()}", "-F", client_config(""))
    assert code == 1
    stage = failed_stage(doc)
    assert stage["name"] == "network"
    assert "refused" in stage["summary"]
    assert "no sshd listening" in stage["causes"][0]["cause"]
    assert doc["verdict"].startswith("network failed")


@pytest.fixture
def dropping_port() -> Iterator[int]:
    """A listener whose accept queue is full: the kernel drops further SYNs,
    which is what a DROP firewall rule looks like from the client."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    yield port
    filler.close()
    listener.close()


def test_dropped_packets(dropping_port: int, client_config: Callable[[str], str]) -> None:
    code, doc = check(f"127.0.0.1:{dropping_port}", "-F", client_config(""))
    assert code == 1
    stage = failed_stage(doc)
    assert stage["name"] == "network"
    assert "timed out" in stage["summary"]
    assert "firewall" in stage["causes"][0]["cause"]
    assert f"tcpdump -nn -c 5 tcp port {dropping_port}" == stage["causes"][0]["confirm"].removeprefix("sudo ")
    assert stage["causes"][0]["confirm_action"]["side"] == "server"


def test_server_closing_before_banner(client_config: Callable[[str], str]) -> None:
    with HostileServer(lambda conn: None) as server:
        code, doc = check(f"127.0.0.1:{server.port}", "-F", client_config(""))
    assert code == 1
    stage = failed_stage(doc)
    assert stage["name"] == "identification"
    assert "hosts.deny" in stage["causes"][0]["cause"]
    assert [s["status"] for s in doc["stages"][:2]] == ["ok", "ok"]


def test_legacy_only_sshd(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(kex=["diffie-hellman-group14-sha1"], ciphers=["aes128-cbc"], host_key_algorithms=["ssh-rsa"])
    code, doc = check(server.target, "-F", client_config(""))
    assert code == 1
    stage = failed_stage(doc)
    assert stage["name"] == "negotiation"
    assert "disables by default" in stage["causes"][0]["cause"]
    assert "verified with your ssh" in stage["causes"][0]["cause"]
    assert doc["next"].startswith("sshdoctor fix")


def test_user_config_host_star_breaks_negotiation(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(ciphers=["aes128-ctr"], macs=["hmac-sha2-256"])
    cfg = client_config("Host *\n    Ciphers aes256-gcm@openssh.com\n")
    code, doc = check(server.target, "-F", cfg)
    assert code == 1
    stage = failed_stage(doc)
    assert stage["name"] == "client configuration"
    assert "Ciphers" in stage["causes"][0]["cause"]
    assert doc["verdict"].startswith("client configuration failed")


def test_server_offering_only_password(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(extra={"PasswordAuthentication": "yes", "PubkeyAuthentication": "no"})
    code, doc = check(server.target, "-F", client_config(""))
    assert code == 1
    stage = failed_stage(doc)
    assert stage["name"] == "authentication"
    assert stage["details"]["methods"] == ["password"]
    assert "PubkeyAuthentication" in stage["causes"][0]["cause"]


def test_all_good(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd()
    code, doc = check(server.target, "-F", client_config(""))
    assert code == 0, doc
    assert doc["ok"] is True
    assert all(s["status"] in ("ok", "warning") for s in doc["stages"])


@pytest.fixture
def other_user(login_user: LoginUser) -> str:
    """A login user whose ~/.ssh/config belongs to someone else."""
    cfg = login_user.home / ".ssh" / "config"
    cfg.write_text("Host *\n    ServerAliveInterval 30\n")
    os.chmod(cfg, 0o644)
    os.chmod(cfg.parent, 0o755)
    # ssh accepts a config owned by root; "another user" must be someone else.
    nobody = pwd.getpwnam("nobody")
    os.chown(cfg, nobody.pw_uid, nobody.pw_gid)
    return login_user.name


def test_config_owned_by_another_user(other_user: str, sshd: Callable[..., Any], tmp_path: Path) -> None:
    # The real ssh runs as that user (so it reads that user's ~/.ssh/config);
    # sshdoctor itself runs as the test's user.
    wrapper = tmp_path / "ssh-as-user"
    wrapper.write_text(f"#!/bin/sh\nexec runuser -u {other_user} -- {shutil.which('ssh')} \"$@\"\n")
    wrapper.chmod(0o755)
    server = sshd()
    code, doc = check(server.target, env={"SSHDOCTOR_SSH": str(wrapper), "SSHDOCTOR_NO_CACHE": "1"})
    assert code == 1
    stage = failed_stage(doc)
    assert stage["name"] == "client configuration"
    assert "Bad owner or permissions" in stage["causes"][0]["cause"]
    assert "chown" in (stage["fix"] or "")


def test_terminal_output_is_readable(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(kex=["diffie-hellman-group14-sha1"])
    proc = subprocess.run([sys.executable, "-m", "sshdoctor", server.target, "-F", client_config("")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith("✘ failed   negotiation") for line in lines)
    assert any(line.startswith("verdict: negotiation failed") for line in lines)
    assert any(line.startswith("next:") for line in lines)


