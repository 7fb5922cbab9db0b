"""``sshdoctor audit --client`` with real clients: ssh, plink, paramiko and AsyncSSH connect to it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import all_profiles, get_profile
from tests.audit.clients import ASYNCSSH, PARAMIKO, plink_argv, python_argv, run, ssh_argv
from tests.conftest import need


class Listener:
    """``sshdoctor audit --client`` running in the background on a free port."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "SSHDOCTOR_NO_CACHE": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "sshdoctor", "audit", "--client", "-l", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert found, line
        self.port = int(found.group(1))

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err


def implementation_has_client_profile(impl: str) -> bool:
    return any(p.implementation == impl and p.client is not None for p in all_profiles().values())


def test_real_clients_are_identified_and_rated(tmp_path: Path) -> None:
    need(shutil.which("ssh"), "OpenSSH client")
    need(shutil.which("plink"), "plink (putty-tools)")
    listener = Listener("--count", "4", "--timeout", "120", "--json")
    run(ssh_argv(listener.port, tmp_path / "known_hosts"))
    run(plink_argv(listener.port))
    run(python_argv(PARAMIKO, listener.port))
    run(python_argv(ASYNCSSH.replace("**OPTS", ""), listener.port))
    rc, out, err = listener.finish()
    assert rc == 0, err
    doc = json.loads(out)
    clients = doc["clients"]
    assert [c["banner"].split("-", 2)[2].split("_")[0] for c in clients] == ["OpenSSH", "PuTTY", "paramiko", "AsyncSSH"]
    by_name = {c["banner"].split("-", 2)[2].split("_")[0]: c for c in clients}

    openssh = by_name["OpenSSH"]
    version = re.match(r"OpenSSH_(\d+\.\d+)", openssh["banner"].split("-", 2)[2])
    assert version is not None
    assert openssh["identified"]["profile"] == f"openssh-{version.group(1)}"
    assert openssh["identified"]["version_match"] and openssh["identified"]["confident"]
    assert openssh["terrapin"]["strict_kex"]  # Debian's 9.2p1 carries the strict-kex backport

    for name, impl in (("PuTTY", "putty"), ("paramiko", "paramiko"), ("AsyncSSH", "asyncssh")):
        identified = by_name[name]["identified"]
        if implementation_has_client_profile(impl):
            assert identified["profile"].startswith(f"{impl}-") and identified["banner_pattern"], identified
            version = by_name[name]["software"]["version"]
            if get_profile(f"{impl}-{version}") is not None:
                # The installed release has its own profile: banner and proposal must both point at it.
                assert identified["profile"] == f"{impl}-{version}" and identified["version_match"], identified
                assert identified["proposal_similarity"] > 0.95, identified
        else:
            assert not identified["profile"].startswith("openssh-") or not identified["confident"], identified

    # Every offered algorithm is rated, and PuTTY's habit of listing CBC ahead of CTR is reported.
    for client in clients:
        rated = {f["algorithm"] for f in client["findings"] if f["kind"] in ("algorithm", "signal", "unknown-algorithm")}
        assert all(name in rated for names in client["offer"].values() for name in names)
    putty_order = [f for f in by_name["PuTTY"]["findings"] if f["kind"] == "weak-preferred"]
    assert any(f["category"] == "cipher" and f["algorithm"] == "aes256-cbc" for f in putty_order)
    putty_weak = {f["algorithm"] for f in by_name["PuTTY"]["findings"] if f["severity"] == "fail"}
    assert {"diffie-hellman-group1-sha1", "3des-cbc", "arcfour128", "hmac-md5"} <= putty_weak


def test_terminal_output_and_summary(tmp_path: Path) -> None:
    need(shutil.which("ssh"), "OpenSSH client")
    listener = Listener("--count", "1", "--timeout", "60")
    run(ssh_argv(listener.port, tmp_path / "known_hosts"))
    rc, out, err = listener.finish()
    assert rc == 0, err
    assert "client 1:" in out and "profile" in out and "clients seen" in out
    assert "OpenSSH" in out and "\x1b" not in out


def test_ctrl_c_ends_cleanly_with_a_summary() -> None:
    listener = Listener()
    time.sleep(0.3)
    listener.proc.send_signal(signal.SIGINT)
    rc, out, err = listener.finish(timeout=20)
    assert rc == 0, err
    assert "no client connected" in out and "Traceback" not in err
    listener = Listener("--json")
    listener.proc.send_signal(signal.SIGINT)
    rc, out, err = listener.finish(timeout=20)
    assert rc == 0 and json.loads(out)["interrupted"] is True


def test_timeout_stops_listening() -> None:
    started = time.monotonic()
    listener = Listener("--timeout", "1", "--json")
    rc, out, _ = listener.finish(timeout=20)
    assert rc == 0 and json.loads(out)["clients"] == []
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("garbage", [b"GET / HTTP/1.0\r\n\r\n", b""])
def test_non_ssh_connections_are_recorded_as_errors(garbage: bytes) -> None:
    import socket

    listener = Listener("--timeout", "3", "--json")
    with socket.create_connection(("127.0.0.1", listener.port)) as sock:
        sock.recv(256)
        if garbage:
            sock.sendall(garbage)
        sock.shutdown(socket.SHUT_WR)
        time.sleep(0.3)
    rc, out, _ = listener.finish(timeout=20)
    doc = json.loads(out)
    assert rc == 0 and doc["clients"] == [] and len(doc["errors"]) == 1
