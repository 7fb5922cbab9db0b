"""A server whose Diffie-Hellman group exchange uses a 1024-bit prime, and the real OpenSSH client,
which refuses primes below 2048 bits after the algorithms were agreed ("DH GEX group out of range").

The server is the lab's paramiko with a moduli file holding one 1024-bit prime
(``interop/python/paramiko_small_gex_server.py``), as old moduli files and appliances set to
1024-bit Diffie-Hellman have it. ``explain`` must name the cause
and the side that can fix it, and its client fix must work as printed where it can: with a server
that also offers a fixed 2048-bit group, ssh gets through key exchange with it; with a
group-exchange-only server, it cannot, as the fix's note says.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sshdoctor.lab.ports import free_port, wait_for_banner
from tests.interop.harness import REQUIRE_LAB, ROOT, lab_keys, prefix
from tests.printed.pty_run import run_in_pty

PARAMIKO = prefix("python") / "paramiko-4.0.0" / "bin" / "python"
HARNESS = ROOT / "interop" / "python" / "paramiko_small_gex_server.py"
GEX = "diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not PARAMIKO.exists():
        if REQUIRE_LAB:
            pytest.fail("paramiko 4.0.0 is not installed but SSHDOCTOR_REQUIRE_LAB is set (interop/install python)")
        pytest.skip("paramiko 4.0.0 is not installed (interop/install python)")
    folder = tmp_path_factory.mktemp("gex")
    lab_keys(folder)
    return folder


@contextlib.contextmanager
def server(folder: Path, kex: str) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([str(PARAMIKO), str(HARNESS), kex, str(port), str(folder)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"listening"
        wait_for_banner("127.0.0.1", port)
        yield port
    finally:
        proc.kill()
        proc.wait()


def ssh(port: int, *options: str) -> subprocess.CompletedProcess[str]:
    argv = ["ssh", "-v", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", *options, "-p", str(port),
            "sshdoctor@127.0.0.1", "true"]
    return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)


def explain(text: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "sshdoctor", "explain", "--json"], input=text, capture_output=True,
                         text=True, timeout=60)
    doc: dict[str, object] = json.loads(out.stdout)
    return doc


def chosen_kex(stderr: str) -> str | None:
    for line in stderr.splitlines():
        if "kex: algorithm: " in line:
            return line.split("kex: algorithm: ", 1)[1].strip()
    return None


def test_the_refusal_is_explained_and_the_printed_host_block_gets_through(lab: Path, tmp_path: Path) -> None:
    with server(lab, f"{GEX},diffie-hellman-group14-sha256") as port:
        failed = ssh(port)
        # ssh prefers group exchange over group14-sha256: it picks it, and refuses the 1024-bit prime.
        assert failed.returncode == 255
        assert chosen_kex(failed.stderr) == "diffie-hellman-group-exchange-sha256"
        assert f"ssh_dispatch_run_fatal: Connection to 127.0.0.1 port {port}: DH GEX group out of range" in failed.stderr

        doc = explain(failed.stderr)
        findings = doc["findings"]
        assert isinstance(findings, list) and len(findings) == 1
        finding = findings[0]
        assert finding["kind"] == "dh-gex-group-too-small" and finding["category"] == "kex"
        assert finding["reported_by"] == "openssh-client" and finding["port"] == port
        assert finding["algorithm"] == "diffie-hellman-group-exchange-sha256"
        fixes = doc["fixes"]
        assert isinstance(fixes, list)
        # ssh printed it: its own way round first, then the server's primes.
        assert fixes[1]["scope"] == "server" and fixes[1]["actions"][0]["side"] == "server"
        block = fixes[0]["ssh_config"]
        assert isinstance(block, str) and block.startswith("Host 127.0.0.1\n")

        # The Host block as an 80-column terminal prints it, pasted into a config of its own: key exchange
        # now completes.
        message = failed.stderr.strip().splitlines()[-1]
        screen = run_in_pty(["explain", message], 80)
        assert screen.code == 0  # explain recognised it (docs/exit-codes.md)
        config = tmp_path / "config"
        config.write_text(screen.block(block))
        fixed = subprocess.run(["ssh", "-v", "-F", str(config), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                                "-o", "UserKnownHostsFile=/dev/null", "sshdoctor@127.0.0.1", "true"],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
        assert chosen_kex(fixed.stderr) == "diffie-hellman-group14-sha256", fixed.stderr
        assert "DH GEX group out of range" not in fixed.stderr
        assert "Authenticated" in fixed.stderr or "Permission denied" in fixed.stderr or "authentications" in fixed.stderr

        # The one-off options of the same fix do the same.
        options = fixes[0]["ssh_options"]
        assert isinstance(options, list)
        once = ssh(port, *options)
        assert chosen_kex(once.stderr) == "diffie-hellman-group14-sha256"


def test_group_exchange_only_server_is_beyond_the_client_fix(lab: Path) -> None:
    with server(lab, GEX) as port:
        failed = ssh(port)
        assert "DH GEX group out of range" in failed.stderr
        # As the fix's note says: without group exchange there is nothing left in common.
        after = ssh(port, "-o", f"KexAlgorithms=-{GEX}")
        assert after.returncode == 255 and "no matching key exchange method found" in after.stderr


def _check(port: int, home: Path) -> tuple[int, dict[str, object]]:
    # A HOME of its own: the user's known_hosts and config stay out of it, as in the other lab tests.
    env = {**os.environ, "HOME": str(home)}
    out = subprocess.run([sys.executable, "-m", "sshdoctor", "check", "127.0.0.1", "-p", str(port), "--json"],
                         capture_output=True, text=True, timeout=120, env=env)
    return out.returncode, json.loads(out.stdout)


def _negotiation(doc: dict[str, object]) -> dict[str, object]:
    stages = doc["stages"]
    assert isinstance(stages, list)
    found: dict[str, object] = next(s for s in stages if s["name"] == "negotiation")
    return found


def test_check_names_the_small_group_and_its_confirm_command_runs_as_printed(lab: Path, tmp_path: Path) -> None:
    with server(lab, f"{GEX},diffie-hellman-group14-sha256") as port:
        code, doc = _check(port, tmp_path)
        assert code != 0 and doc["ok"] is False
        stage = _negotiation(doc)
        assert stage["status"] == "failed" and "DH GEX group out of range" in str(stage["summary"])
        causes = stage["causes"]
        assert isinstance(causes, list)
        assert causes[0]["cause"].startswith("on the server: its group exchange uses primes below 2048 bits")
        assert "would use diffie-hellman-group14-sha256 (predicted, not run)" in causes[1]["cause"]
        argv = causes[1]["confirm_action"]["argv"]
        # The command as printed (the user's ssh with -v, BatchMode and true): key exchange completes with group14.
        ran = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30,
                             env={**os.environ, "HOME": str(tmp_path)})
        assert chosen_kex(ran.stderr) == "diffie-hellman-group14-sha256", ran.stderr
        assert "DH GEX group out of range" not in ran.stderr


def test_check_says_only_the_server_can_fix_a_group_exchange_only_server(lab: Path, tmp_path: Path) -> None:
    with server(lab, GEX) as port:
        code, doc = _check(port, tmp_path)
    assert code != 0
    causes = _negotiation(doc)["causes"]
    assert isinstance(causes, list)
    assert [c["cause"] for c in causes][1] == ("the server offers no other key exchange your ssh has: only the server "
                                               "can fix this")
