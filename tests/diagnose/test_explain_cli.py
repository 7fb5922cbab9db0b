"""The ``sshdoctor explain`` command: JSON contract, exit codes, bad input, real ssh on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sshdoctor.lab.sshd import Sshd

NEG = ("Unable to negotiate with 127.0.0.1 port 2222: no matching MAC found. "
       "Their offer: hmac-sha1,hmac-md5")
NEG_MD5 = ("Unable to negotiate with 127.0.0.1 port 2222: no matching MAC found. "
           "Their offer: hmac-md5,hmac-md5-96")


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sshdoctor", "explain", *args], input=stdin, capture_output=True,
                          timeout=120, env={**os.environ, "SSHDOCTOR_DEBUG": ""})


def test_json_contract() -> None:
    out = run(NEG_MD5, "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    f = doc["findings"][0]
    assert f["kind"] == "no-common-algorithm" and f["category"] == "mac"
    assert f["host"] == "127.0.0.1" and f["port"] == 2222
    assert f["their_offer"] == ["hmac-md5", "hmac-md5-96"] and f["reported_by"] == "openssh-client"
    first = doc["fixes"][0]
    assert first["ssh_options"] == ["-o", "MACs=+hmac-md5"]  # the stronger of the two, added not replaced
    assert "Host 127.0.0.1" in first["ssh_config"] and "Host *" not in first["ssh_config"]
    assert first["risk"]
    # The message names one category: the command that looks at the server for all of them comes too.
    assert [x["scope"] for x in doc["fixes"]] == ["ssh_config-host", "one-off", "look", "server"]
    kinds = [a["kind"] for x in doc["fixes"] for a in x["actions"]]
    assert kinds == ["ssh_config", "command", "command", "command", "sshd_config"]
    assert doc["fixes"][2]["actions"][0]["argv"] == ["sshdoctor", "fix", "127.0.0.1", "-p", "2222"]
    server = doc["fixes"][3]["actions"][0]
    # The full line, never a '+' that an earlier line would make a no-op; today's names kept.
    assert server["text"].startswith("MACs hmac-sha2-") and server["text"].rstrip().endswith(",hmac-md5,hmac-md5-96")


def test_an_algorithm_on_by_default_is_not_added_again() -> None:
    """hmac-sha1 is in OpenSSH 9.2's default MACs: a '+hmac-sha1' would change nothing, so none is offered."""
    doc = json.loads(run(NEG, "--json").stdout)
    first = doc["fixes"][0]
    assert first["ssh_options"] == [] and "on by default" in first["title"]
    assert not any("+hmac-sha1" in a["text"] for x in doc["fixes"] for a in x["actions"])


def test_every_failing_category_in_one_fix() -> None:
    text = "\n".join([
        "debug1: Connecting to 127.0.0.1 [127.0.0.1] port 2222.",
        "Unable to negotiate with 127.0.0.1 port 2222: no matching key exchange method found. "
        "Their offer: diffie-hellman-group1-sha1,kex-strict-s-v00@openssh.com",
    ])
    doc = json.loads(run("-", "--json", stdin=text.encode()).stdout)
    first = doc["fixes"][0]
    assert first["ssh_options"] == ["-o", "KexAlgorithms=+diffie-hellman-group1-sha1"]
    # A signal is never offered as a method.
    assert "kex-strict" not in json.dumps(doc["fixes"])


def test_not_recognised_exit_code_and_hint() -> None:
    out = run("ssh: something nobody has ever seen", "--json")
    assert out.returncode == 8
    doc = json.loads(out.stdout)
    assert doc["findings"] == [] and doc["recognised"] is False
    out = run("kex_exchange_identification: connection closed by the remote side")
    assert out.returncode == 8
    assert b"not recognised" in out.stdout and b"banner-exchange-closed" in out.stdout


def test_bad_input_never_tracebacks(tmp_path: Path) -> None:
    cases = [b"", b"\x00\x01\x02\xff" * 1000, b"A" * 3_000_000 + b"\n" + NEG.encode(),
             b"\x1b[31m" + NEG.encode() + b"\x1b[0m\n", b"\xff\xfe" + NEG.encode("utf-16-le")]
    for data in cases:
        out = run("-", "--json", stdin=data)
        assert b"Traceback" not in out.stderr, out.stderr
        assert out.returncode in (0, 8), (data[:20], out.stderr)
        json.loads(out.stdout)
    # ANSI colours do not hide the message; a huge line does not hide the next one
    assert json.loads(run("-", "--json", stdin=cases[3]).stdout)["findings"][0]["category"] == "mac"
    assert json.loads(run("-", "--json", stdin=cases[2]).stdout)["findings"][0]["category"] == "mac"
    assert run("--file", str(tmp_path / "absent")).returncode == 2


def test_usage_error() -> None:
    out = run("TEXT", "--file", "/dev/null")
    assert out.returncode == 2 and b"Traceback" not in out.stderr


def test_server_log_summary(tmp_path: Path) -> None:
    lines = []
    for i in range(12):
        lines.append(f"Mar  3 10:15:{i:02d} gw sshd[{100 + i}]: Unable to negotiate with 10.1.{i}.{i + 5} port "
                     f"{40000 + i}: no matching host key type found. Their offer: ssh-rsa [preauth]")
    lines += [f"Mar  3 10:16:00 gw sshd[9{i}]: Accepted publickey for bob from 10.9.0.{i} port 1 ssh2" for i in range(5)]
    log = tmp_path / "auth.log"
    log.write_text("\n".join(lines) + "\n")
    out = run("--file", str(log), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    group = doc["summary"]["groups"][0]
    assert group["clients"] == 12 and group["events"] == 12
    assert group["summary"].startswith("12 clients from 10.1.0.0/16 failed: no matching host key type, they offered ssh-rsa")
    assert doc["findings"][0]["reported_by"] == "openssh-server"
    # Every client offers only ssh-rsa (weak): updating them comes first, the server's line second; that line is
    # the whole list (this machine's sshd -T), so the modern algorithms stay and no earlier line can make it a no-op.
    assert doc["fixes"][0]["title"].startswith("update the client")
    server = doc["fixes"][1]["actions"][0]
    if server["kind"] == "sshd_config":
        assert server["text"].startswith("HostKeyAlgorithms ssh-rsa,") and "rsa-sha2-512" in server["text"]
    else:  # no readable sshd here: the tool that reads the real file does it
        assert server["argv"][:4] == ["sudo", "sshdoctor", "fix", "--server"]


def test_real_ssh_fix_gets_past_key_exchange(sshd: Callable[..., Sshd], ssh_binary: str, tmp_path: Path) -> None:
    """The real ssh fails, explain reads its message, and the suggested -o options make the same ssh succeed."""
    server = sshd(kex=["diffie-hellman-group1-sha1"])
    base = [ssh_binary, "-F", "/dev/null", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={tmp_path}/kh",
            "-o", "StrictHostKeyChecking=no", "-o", "PubkeyAuthentication=no", "-p", str(server.port)]
    failed = subprocess.run([*base, "127.0.0.1", "true"], capture_output=True, text=True, timeout=30)
    assert "Unable to negotiate" in failed.stderr
    out = run("-", "--json", stdin=failed.stderr.encode())
    doc = json.loads(out.stdout)
    assert doc["findings"][0]["category"] == "kex"
    assert doc["findings"][0]["port"] == server.port
    options = doc["fixes"][0]["ssh_options"]
    assert options == ["-o", "KexAlgorithms=+diffie-hellman-group1-sha1"]
    fixed = subprocess.run([*base, *options, "-v", "127.0.0.1", "true"], capture_output=True, text=True, timeout=30)
    assert "SSH2_MSG_NEWKEYS received" in fixed.stderr, fixed.stderr[-2000:]
    assert "Permission denied" in fixed.stderr  # got as far as user authentication


def test_vvv_log_replays_every_category(sshd: Callable[..., Sshd], ssh_binary: str, tmp_path: Path) -> None:
    server = sshd(kex=["diffie-hellman-group14-sha1"], ciphers=["aes128-cbc"], macs=["hmac-md5"])
    proc = subprocess.run([ssh_binary, "-vv", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                           f"UserKnownHostsFile={tmp_path}/kh", "-p", str(server.port), "127.0.0.1", "true"],
                          capture_output=True, text=True, timeout=30)
    doc = json.loads(run("-", "--json", stdin=proc.stderr.encode()).stdout)
    cats = [f["category"] for f in doc["findings"] if f["kind"] == "no-common-algorithm"]
    assert cats == ["kex", "cipher", "mac"]
    options: list[str] = []
    for fix in doc["fixes"]:
        if fix["scope"] == "ssh_config-host":
            options += fix["ssh_options"]
    fixed = subprocess.run([ssh_binary, "-v", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                            f"UserKnownHostsFile={tmp_path}/kh", "-o", "StrictHostKeyChecking=no", *options,
                            "-p", str(server.port), "127.0.0.1", "true"], capture_output=True, text=True, timeout=30)
    assert "SSH2_MSG_NEWKEYS received" in fixed.stderr, (options, fixed.stderr[-1500:])


def test_probe_fills_missing_offer(sshd: Callable[..., Sshd]) -> None:
    server = sshd(macs=["hmac-md5"], ciphers=["aes128-ctr"])
    text = "paramiko.ssh_exception.IncompatiblePeer: Incompatible ssh server (no acceptable macs)"
    doc = json.loads(run(text, "--json").stdout)
    assert doc["findings"][0]["their_offer"] is None
    assert doc["fixes"][0]["scope"] == "needs-offer"
    out = run(text, "--json", "--probe", "--host", "127.0.0.1", "-p", str(server.port))
    doc = json.loads(out.stdout)
    assert doc["findings"][0]["their_offer"] == ["hmac-md5"], out.stderr
