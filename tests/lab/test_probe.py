"""`sshdoctor probe` against real sshd and Dropbear on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from sshdoctor.host.examine import ClientSpec, examine
from sshdoctor.local.verify import run_ssh_check
from sshdoctor.model import Category, Slot


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sshdoctor", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_offer_is_exactly_what_sshd_was_told(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(
        kex=["diffie-hellman-group14-sha1", "curve25519-sha256"],
        ciphers=["aes256-ctr", "aes128-cbc"],
        macs=["hmac-sha1", "hmac-sha2-256-etm@openssh.com"],
        host_key_algorithms=["ssh-ed25519", "rsa-sha2-512"],
    )
    proc = cli("probe", "--json", "-F", client_config(""), server.target)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["banner"] == server.banner
    offer = doc["offer"]
    # Debian's 9.2 appends the strict-kex marker (Terrapin fix).
    assert [n for n in offer["kex"] if "@openssh.com" not in n] == ["diffie-hellman-group14-sha1", "curve25519-sha256"]
    assert offer["cipher_c2s"] == offer["cipher_s2c"] == ["aes256-ctr", "aes128-cbc"]
    assert offer["mac_s2c"] == ["hmac-sha1", "hmac-sha2-256-etm@openssh.com"]
    assert offer["hostkey"] == ["rsa-sha2-512", "ssh-ed25519"] or set(offer["hostkey"]) == {"rsa-sha2-512", "ssh-ed25519"}
    neg = doc["negotiation"]
    assert neg["ok"] is True
    assert neg["chosen"]["kex"] == "curve25519-sha256"
    assert neg["chosen"]["cipher_c2s"] == "aes256-ctr"
    assert neg["chosen"]["mac_c2s"] == "hmac-sha2-256-etm@openssh.com"
    assert set(doc) >= {"target", "banner", "offer", "negotiation"}
    assert doc["target"] == {"host": "127.0.0.1", "port": server.port}


def test_legacy_server_fails_with_first_failure_as_ssh_reports(
    sshd: Callable[..., Any], client_config: Callable[[str], str]
) -> None:
    server = sshd(kex=["diffie-hellman-group1-sha1"], ciphers=["3des-cbc"], macs=["hmac-md5"],
                  host_key_algorithms=["ssh-rsa"])
    cfg = client_config("")
    proc = cli("probe", "--json", "-F", cfg, server.target)
    assert proc.returncode == 1
    neg = json.loads(proc.stdout)["negotiation"]
    assert neg["ok"] is False
    assert neg["first_failure"] == "kex"
    assert neg["failures"] == ["kex", "hostkey", "cipher", "mac"]
    assert all(v is None for v in neg["chosen"].values())
    real = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg)
    assert real.negotiation_error == "key exchange method"


def test_terminal_output_rates_every_algorithm(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(kex=["diffie-hellman-group1-sha1", "curve25519-sha256"], ciphers=["aes128-ctr", "3des-cbc"])
    proc = cli("probe", "-F", client_config(""), server.target)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "diffie-hellman-group1-sha1" in out and "broken" in out
    assert "curve25519-sha256" in out and "strong" in out
    assert "3des-cbc" in out and "off by default" in out
    assert "key exchange would succeed" in out
    assert "OpenSSH 9.2" in out


def test_alias_resolved_as_ssh_does(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd()
    cfg = client_config(f"Host lab-alias\n    HostName 127.0.0.1\n    Port {server.port}\n")
    proc = cli("probe", "--json", "-F", cfg, "lab-alias")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["target"]["host"] == "127.0.0.1"
    assert doc["target"]["port"] == server.port
    assert doc["target"]["alias"] == "lab-alias"


def test_client_config_restriction_is_honoured(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(ciphers=["aes128-ctr", "aes256-gcm@openssh.com"])
    cfg = client_config("Host 127.0.0.1\n    Ciphers -aes128-ctr,aes256-gcm@openssh.com\n")
    report = asyncio.run(examine(server.target, client=ClientSpec(config_file=cfg)))
    assert report.outcome is not None
    assert report.outcome.first_failure is Category.CIPHER
    real = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg)
    assert real.negotiation_error == "cipher"


def test_known_hosts_reorders_host_key_algorithms(
    sshd: Callable[..., Any], client_config: Callable[[str], str], key_dir: Any, tmp_path: Any
) -> None:
    server = sshd(host_key_algorithms=["ssh-ed25519", "ecdsa-sha2-nistp256"])
    cfg = client_config("")
    pub = (key_dir / "ssh_host_ecdsa_key.pub").read_text().split()
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{server.port} {pub[0]} {pub[1]}\n")
    report = asyncio.run(examine(server.target, client=ClientSpec(config_file=cfg)))
    assert report.outcome is not None and report.outcome.ok
    # Without known_hosts ssh prefers ed25519; with an ECDSA key on file it asks for ECDSA first.
    assert report.outcome.chosen[Slot.HOSTKEY] == "ecdsa-sha2-nistp256"
    real = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg)
    assert real.chosen["hostkey"] == "ecdsa-sha2-nistp256"


@pytest.mark.parametrize("keys", [("ed25519",), ("rsa",), ("ecdsa", "rsa")])
def test_dropbear_prediction_matches_real_ssh(
    dropbear: Callable[..., Any], client_config: Callable[[str], str], keys: tuple[str, ...]
) -> None:
    server = dropbear(host_keys=keys)
    cfg = client_config("")
    report = asyncio.run(examine(server.target, client=ClientSpec(config_file=cfg)))
    assert report.software is not None and report.software["product"] == "dropbear"
    assert report.outcome is not None and report.outcome.ok
    real = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg)
    for slot in Slot:
        assert real.chosen[slot.value] == (report.outcome.chosen[slot] or "<implicit>"), slot


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(host="::1")
    proc = cli("probe", "--json", "-F", client_config(""), f"[::1]:{server.port}")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["target"] == {"host": "::1", "port": server.port}
    assert doc["address"] == "::1"
    proc = cli("probe", "--json", "-F", client_config(""), "-p", str(server.port), "::1")
    assert proc.returncode == 0, proc.stderr


def test_no_local_ssh_is_a_clear_message(sshd: Callable[..., Any]) -> None:
    server = sshd()
    proc = cli("probe", server.target, env={"SSHDOCTOR_SSH": "/nonexistent/ssh"})
    assert proc.returncode == 4
    assert "no OpenSSH client found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "software" in proc.stdout  # the probe itself still reports the server


def test_bad_ssh_config_is_one_line(tmp_path: Any) -> None:
    cfg = tmp_path / "bad_config"
    cfg.write_text("Host x\n    NoSuchOption yes\n")
    proc = cli("probe", "-F", str(cfg), "127.0.0.1:22")
    assert proc.returncode == 5
    assert proc.stderr.count("\n") == 1 and "does not parse" in proc.stderr
