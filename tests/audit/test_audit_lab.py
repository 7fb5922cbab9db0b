"""``sshdoctor audit HOST`` against real servers on 127.0.0.1: contract, host keys, Terrapin, policies, bad input."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.lab.dropbear import Dropbear
from sshdoctor.lab.ports import free_port
from sshdoctor.lab.sshd import Sshd
from sshdoctor.model import Proposal
from sshdoctor.wire import kexinit, packet
from sshdoctor.wire.hostkeys import fetch_host_keys
from sshdoctor.wire.probe import probe
from tests.audit.conftest import run_cli
from tests.conftest import need
from tests.lab.hostile import HostileServer

CONTRACT_FINDING = {"severity", "category", "algorithm", "reason", "cve"}


def keygen_fingerprints(pub_files: list[Path]) -> dict[str, tuple[int, str]]:
    """``ssh-keygen -lf``: fingerprint -> (bits, type) for each public key file."""
    out: dict[str, tuple[int, str]] = {}
    for pub in pub_files:
        bits, fingerprint, *_rest, kind = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True,
                                                         text=True, check=True).stdout.split()
        out[fingerprint] = (int(bits), kind.strip("()").lower())
    return out


def audit_json(*args: str) -> tuple[int, dict[str, Any], str]:
    rc, out, err = run_cli("audit", *args, "-F", "/dev/null", "--json")
    assert "Traceback" not in err, err
    return rc, json.loads(out), err


def test_legacy_sshd_contract_grade_and_host_keys(legacy_sshd: Sshd) -> None:
    rc, doc, err = audit_json(legacy_sshd.target)
    assert rc == 0, err
    assert doc["target"] == {"host": "127.0.0.1", "port": legacy_sshd.port}
    assert str(doc["banner"]).startswith("SSH-2.0-OpenSSH_")
    assert doc["grade"] == "D"
    terrapin = doc["terrapin"]
    assert isinstance(terrapin, dict)
    assert {k: terrapin[k] for k in ("vulnerable", "strict_kex", "chacha20", "cbc_etm")} == {
        "vulnerable": False, "strict_kex": True, "chacha20": True, "cbc_etm": True}
    findings = doc["findings"]
    assert isinstance(findings, list)
    for f in findings:
        assert set(f) >= CONTRACT_FINDING and f["severity"] in ("fail", "warn", "info")
    fails = {(f["category"], f["algorithm"]) for f in findings if f["severity"] == "fail"}
    assert {("kex", "diffie-hellman-group1-sha1"), ("cipher", "3des-cbc"), ("mac", "hmac-md5"),
            ("hostkey", "ssh-dss")} <= fails
    # Every offered name has a verdict.
    offer = doc["offer"]
    assert isinstance(offer, dict)
    judged = {f["algorithm"] for f in findings}
    assert all(name in judged for names in offer.values() for name in names)
    # Host keys: one per offered algorithm, exactly as ssh-keygen sees the key files.
    keys = doc["host_keys"]
    assert isinstance(keys, list)
    assert [k["algorithm"] for k in keys] == offer["hostkey"]
    truth = keygen_fingerprints(sorted(legacy_sshd.key_dir.glob("ssh_host_*_key.pub")))
    for k in keys:
        assert {"algorithm", "type", "bits", "fingerprint_sha256"} <= set(k)
        bits, kind = truth[k["fingerprint_sha256"]]
        assert (k["bits"], k["type"]) == (bits, kind)
    by_alg = {k["algorithm"]: k for k in keys}
    assert by_alg["rsa-sha2-512"]["bits"] == 1024 and by_alg["rsa-sha2-512"]["severity"] == "fail"
    assert by_alg["ssh-dss"]["type"] == "dsa" and by_alg["ssh-dss"]["severity"] == "fail"
    assert by_alg["ssh-ed25519"]["severity"] == "info"


def test_terminal_report(legacy_sshd: Sshd) -> None:
    rc, out, err = run_cli("audit", legacy_sshd.target, "-F", "/dev/null")
    assert rc == 0, err
    assert "grade" in out and " D " in out
    assert "diffie-hellman-group1-sha1" in out and "1024-bit DSA host key" in out
    assert "CVE-2023-48795" in out and "HINT" in out


def test_terrapin_vulnerable_server(no_strict_kex: Callable[..., object]) -> None:
    server = no_strict_kex(kex=["curve25519-sha256"], hostkey=["ssh-ed25519"],
                           cipher=["chacha20-poly1305@openssh.com", "aes128-ctr"], mac=["hmac-sha2-256-etm@openssh.com"],
                           version="OpenSSH_9.3")
    target = f"127.0.0.1:{server.port}"  # type: ignore[attr-defined]
    rc, doc, _ = audit_json(target)
    assert rc == 0
    terrapin = doc["terrapin"]
    assert isinstance(terrapin, dict) and terrapin["vulnerable"] and not terrapin["strict_kex"] and terrapin["chacha20"]
    findings = doc["findings"]
    assert isinstance(findings, list)
    terrapin_findings = [f for f in findings if f["kind"] == "terrapin"]
    assert terrapin_findings and terrapin_findings[0]["cve"] == "CVE-2023-48795"
    assert terrapin_findings[0]["severity"] == "warn"
    assert doc["grade"] == "C"
    rc, doc, _ = audit_json(target, "--policy", "intermediate")
    assert rc == 1
    policy = doc["policy"]
    assert isinstance(policy, dict) and not policy["passed"]
    assert [v["rule"] for v in policy["violations"]] == ["terrapin_safe"]


def test_strong_server_gets_a_and_passes_both_policies(strong_sshd: Sshd) -> None:
    for name in ("modern", "intermediate"):
        rc, doc, err = audit_json(strong_sshd.target, "--policy", name)
        assert rc == 0, err
        assert doc["grade"] == "A", doc["grade_reasons"]
        policy = doc["policy"]
        assert isinstance(policy, dict) and policy["passed"] and policy["id"] == name
    rc, out, _ = run_cli("audit", strong_sshd.target, "-F", "/dev/null", "--policy", "modern")
    assert rc == 0 and "PASS" in out


def test_policy_file(strong_sshd: Sshd, tmp_path: Path) -> None:
    policy = tmp_path / "gcm-only.toml"
    policy.write_text('[policy]\nid = "gcm-only"\n\n[allow]\ncipher = ["aes*-gcm@openssh.com"]\n\n'
                      '[rules]\nmin_grade = "A"\n')
    rc, doc, _ = audit_json(strong_sshd.target, "--policy", str(policy))
    assert rc == 1
    result = doc["policy"]
    assert isinstance(result, dict) and result["id"] == "gcm-only"
    assert {v["algorithm"] for v in result["violations"]} == {"chacha20-poly1305@openssh.com", "aes128-ctr"}


def test_host_keys_from_dropbear_match_ssh_keyscan(dropbear: Callable[..., Dropbear]) -> None:
    need(shutil.which("ssh-keyscan"), "ssh-keyscan")
    server = dropbear()
    result = asyncio.run(probe_target(server.port))
    keys = asyncio.run(fetch_host_keys("127.0.0.1", server.port, result))
    assert [k.algorithm for k in keys] == list(result.hostkey)
    scan = subprocess.run(["ssh-keyscan", "-p", str(server.port), "127.0.0.1"], capture_output=True, text=True, timeout=30)
    truth = subprocess.run(["ssh-keygen", "-lf", "-"], input=scan.stdout, capture_output=True, text=True).stdout
    for k in keys:
        assert k.error is None
        assert k.fingerprint_sha256 is not None and k.fingerprint_sha256 in truth
        assert f"{k.bits} {k.fingerprint_sha256}" in truth


async def probe_target(port: int) -> Proposal:
    from sshdoctor.model import Target

    return (await probe(Target("127.0.0.1", port))).proposal


def test_host_certificates_report_the_certified_key(sshd: Callable[..., Sshd], key_dir: Path, tmp_path: Path) -> None:
    from sshdoctor.lab.keys import host_key

    key = host_key(key_dir, "ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "ca")], check=True)
    shutil.copy(f"{key}.pub", tmp_path / "host.pub")
    subprocess.run(["ssh-keygen", "-q", "-s", str(tmp_path / "ca"), "-I", "lab", "-h", "-n", "127.0.0.1",
                    str(tmp_path / "host.pub")], check=True)
    server = sshd(host_keys=("ed25519",), extra={"HostCertificate": str(tmp_path / "host-cert.pub")})
    rc, doc, err = audit_json(server.target)
    assert rc == 0, err
    keys = {k["algorithm"]: k for k in doc["host_keys"]}
    cert = keys["ssh-ed25519-cert-v01@openssh.com"]
    assert cert["certificate"] is True and cert["error"] is None
    assert cert["fingerprint_sha256"] == keys["ssh-ed25519"]["fingerprint_sha256"]
    assert cert["fingerprint_sha256"] in subprocess.run(["ssh-keygen", "-lf", f"{key}.pub"], capture_output=True,
                                                        text=True).stdout


def test_host_key_fetch_failures_are_values() -> None:
    offer = Proposal.symmetric(["curve25519-sha256"], ["x509v3-sign-rsa", "ssh-ed25519"], ["aes128-ctr"], ["hmac-sha2-256"])

    def silent(conn: socket.socket) -> None:
        time.sleep(3)

    with HostileServer(silent) as server:
        started = time.monotonic()
        keys = asyncio.run(fetch_host_keys("127.0.0.1", server.port, offer, timeout=1.0))
        elapsed = time.monotonic() - started
    assert keys[0].error is not None and "AsyncSSH" in keys[0].error
    assert keys[1].error is not None and keys[1].fingerprint_sha256 is None
    assert elapsed < 3
    closed = asyncio.run(fetch_host_keys("127.0.0.1", free_port(), offer, timeout=1.0))
    assert all(k.error for k in closed)


def serve(payload: bytes) -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        conn.sendall(payload)
        time.sleep(4)

    return handler


def test_hostile_text_is_sanitised() -> None:
    evil = "\x1b[2J\x1b]0;pwned\x07"
    offer = Proposal.symmetric([f"curve25519-sha256{evil}"], ["ssh-ed25519"], [f"aes128-ctr{evil}"], ["hmac-sha2-256"])
    payload = f"SSH-2.0-Evil{evil}\u202eRTL\r\n".encode() + packet.build_packet(kexinit.encode(offer))
    with HostileServer(serve(payload)) as server:
        rc, out, err = run_cli("audit", f"127.0.0.1:{server.port}", "-F", "/dev/null", "--timeout", "1")
        rc_json, out_json, _ = run_cli("audit", f"127.0.0.1:{server.port}", "-F", "/dev/null", "--timeout", "1", "--json")
    assert rc == 0 and rc_json == 0, err
    for text in (out, err, out_json):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2J" in out
    doc = json.loads(out_json)
    assert any(f["algorithm"] == f"aes128-ctr{evil}" and f["kind"] == "unknown-algorithm" for f in doc["findings"])


def busy_port() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock, sock.getsockname()[1]


BAD = {
    "no target": (["audit"], 2),
    "client with target": (["audit", "--client", "127.0.0.1"], 2),
    "bad port": (["audit", "127.0.0.1:99999"], 2),
    "keep without harden": (["audit", "127.0.0.1", "--keep", "openssh-7.4"], 2),
    "unknown profile": (["audit", "127.0.0.1", "--harden", "--keep", "nosuch-1.0"], 2),
    "server-only profile": (["audit", "127.0.0.1", "--harden", "--keep", "cisco-ios-15"], 2),
    "unknown policy": (["audit", "127.0.0.1", "--policy", "strictest"], 2),
    "count without client": (["audit", "127.0.0.1", "--count", "2"], 2),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line(case: str) -> None:
    args, code = BAD[case]
    rc, out, err = run_cli(*args)
    assert rc == code, err
    assert "Traceback" not in err and err.strip() and len(err.strip().splitlines()) == 1, err
    assert out == ""


def test_bad_policy_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[allow\n")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[allow]\nciphers = ["aes128-ctr"]\n')
    for path, text in ((broken, "not valid TOML"), (wrong, "unknown category")):
        rc, _out, err = run_cli("audit", "127.0.0.1", "--policy", str(path))
        assert rc == 2 and text in err and len(err.strip().splitlines()) == 1, err


def test_unreachable_and_busy_port_codes() -> None:
    rc, _out, err = run_cli("audit", f"127.0.0.1:{free_port()}", "-F", "/dev/null")
    assert rc == 11 and "connection refused" in err and len(err.strip().splitlines()) == 1
    # A release without its own profile resolves to the closest one below it (so this gets as far as the network).
    rc, _out, err = run_cli("audit", f"127.0.0.1:{free_port()}", "-F", "/dev/null", "--harden", "--keep", "openssh-7.4.1")
    assert rc == 11, err
    sock, port = busy_port()
    try:
        rc, _out, err = run_cli("audit", "--client", "-l", str(port), "--timeout", "2")
    finally:
        sock.close()
    assert rc == 3 and "cannot listen" in err and "Traceback" not in err
