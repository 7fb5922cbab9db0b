"""Everything sshdoctor tells a user to copy works exactly as printed, at 80 and 200 columns.

Each command runs in a real pseudo-terminal of that width; every copyable
text of its ``--json`` actions must appear there whole (at the copy
indent, never folded or cut), and what the screen shows is then used the
way a user uses it: a Host block pasted into a copy of the config where the
advice says (``ssh -G`` parses it, the real ssh gets through), a command run
as printed, sshd_config lines put in a copy of the server's config (``sshd
-t`` passes, ``sshd -T`` shows them, a trial sshd lets the real ssh in).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.lab.sshd import Sshd
from tests.printed.apply import (
    paste_ssh_block,
    put_sshd_lines,
    reached_auth,
    run_printed,
    sshd_accepts,
    sshd_effective,
    trial_sshd,
)
from tests.printed.pty_run import run_in_pty

WIDTHS = (80, 200)
LEGACY = {"kex": ["diffie-hellman-group14-sha1"], "ciphers": ["aes128-cbc", "3des-cbc"],
          "host_key_algorithms": ["ssh-rsa"], "macs": ["hmac-sha1"]}


def cli_json(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "sshdoctor", *args, "--json"], capture_output=True, text=True,
                         timeout=240, stdin=subprocess.DEVNULL)
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def copyable(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in actions if a["kind"] != "note" and a["text"]]


def check_ssh_config_block(action: dict[str, Any], shown: str, config: Path, host: str, tmp: Path,
                           port: int | None = None) -> None:
    """The block as shown, pasted into a copy of the config where it says: ssh -G parses it, ssh gets in."""
    copy = tmp / f"pasted-{len(list(tmp.iterdir()))}"
    shutil.copyfile(config, copy)
    copy.chmod(0o600)
    paste_ssh_block(copy, shown, action.get("placement"))
    g = subprocess.run(["ssh", "-G", "-F", str(copy), host], capture_output=True, text=True, timeout=30)
    assert g.returncode == 0, f"ssh rejects the pasted block: {g.stderr}\n{copy.read_text()}"
    run = subprocess.run(["ssh", "-F", str(copy), *(["-p", str(port)] if port else []), host, "true"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert reached_auth(run.stderr), f"with the pasted block ssh still fails: {run.stderr}\n{copy.read_text()}"


def check_sshd_lines(shown: str, server: Sshd, tmp: Path) -> None:
    """The lines as shown, in a copy of the server's config: sshd -t, sshd -T, and a trial sshd lets ssh in."""
    copy = tmp / f"sshd_config-{len(list(tmp.iterdir()))}"
    shutil.copyfile(server.dir / "sshd_config", copy)
    put_sshd_lines(copy, shown)
    ok, why = sshd_accepts(copy)
    assert ok, f"sshd -t rejects the printed lines: {why}\n{copy.read_text()}"
    effective = sshd_effective(copy)
    for line in shown.strip().splitlines():
        key, _, value = line.partition(" ")
        if key.lower() not in ("kexalgorithms", "ciphers", "macs", "hostkeyalgorithms"):
            continue
        shown_list = effective[key.lower()].split(",")
        if value[:1] == "-":
            assert not set(value[1:].split(",")) & set(shown_list), (key, shown_list, value)
        elif value[:1] in "+^":
            assert set(value[1:].split(",")) <= set(shown_list), (key, shown_list, value)
        else:
            assert shown_list == value.split(","), (key, shown_list, value)
    proc, port = trial_sshd(copy)
    try:
        run = subprocess.run(["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                              "-o", "UserKnownHostsFile=/dev/null", "-p", str(port), "127.0.0.1", "true"],
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert reached_auth(run.stderr), f"the plain ssh does not get into the changed server: {run.stderr}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("columns", WIDTHS)
def test_fix_advice_as_printed(columns: int, sshd: Callable[..., Sshd], client_config: Callable[[str], str],
                               tmp_path: Path) -> None:
    server = sshd(**LEGACY)
    config = Path(client_config(""))
    screen = run_in_pty(["fix", server.target, "-F", str(config)], columns)
    assert screen.code == 0, screen.text
    doc = cli_json("fix", server.target, "-F", str(config))
    actions = copyable(doc["actions"])
    kinds = [a["kind"] for a in actions]
    assert kinds[:3] == ["ssh_config", "command", "command"] and "sshd_config" in kinds
    pasted = tmp_path / "pasted"
    pasted.mkdir()
    for action in actions:
        shown = screen.block(action["text"])
        if action["kind"] == "ssh_config":
            assert action["verified"], "the block was proved in place"
            check_ssh_config_block(action, shown, config, "127.0.0.1", pasted, server.port)
        elif action["kind"] == "command" and action["side"] == "client":
            run = run_printed(shown.strip())
            assert reached_auth(run.stderr), f"{shown!r} as printed: {run.stderr}"
        elif action["kind"] == "sshd_config":
            check_sshd_lines(shown, server, pasted)


def _failure(server: Sshd, config: Path) -> str:
    failed = subprocess.run(["ssh", "-F", str(config), "-p", str(server.port), "127.0.0.1", "true"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    message = failed.stderr.strip().splitlines()[-1]
    assert "Unable to negotiate" in message
    return message


def _check_explain(columns: int, args: list[str], server: Sshd, config: Path, tmp_path: Path) -> set[str]:
    screen = run_in_pty(["explain", *args], columns)
    assert screen.code == 0, screen.text
    doc = cli_json("explain", *args)
    pasted = tmp_path / "pasted"
    pasted.mkdir(exist_ok=True)
    seen = set()
    for fix in doc["fixes"]:
        for action in copyable(fix["actions"]):
            shown = screen.block(action["text"])
            seen.add(action["kind"])
            if action["kind"] == "ssh_config":
                check_ssh_config_block(action, shown, config, "127.0.0.1", pasted, server.port)
            elif action["kind"] == "command" and action["argv"][:1] == ["sshdoctor"]:
                run = run_printed(shown.strip())
                assert run.returncode == 0, f"{shown!r} as printed: {run.stdout}{run.stderr}"
            elif action["kind"] == "command" and action["side"] == "client":
                # explain does not know the user's -F: the command as printed, with this test's config in front.
                run = run_printed(shown.strip().replace("ssh ", f"ssh -F {config} ", 1).replace(
                    "sftp ", f"sftp -F {config} ", 1))
                assert reached_auth(run.stderr), f"{shown!r} as printed: {run.stderr}"
            elif action["kind"] == "sshd_config":
                check_sshd_lines(shown, server, pasted)
    return seen


@pytest.mark.parametrize("columns", WIDTHS)
def test_explain_advice_as_printed(columns: int, sshd: Callable[..., Sshd], client_config: Callable[[str], str],
                                   tmp_path: Path) -> None:
    """A message naming the one category that fails: its block and commands get through as printed."""
    server = sshd(kex=["diffie-hellman-group14-sha1"])
    config = Path(client_config(""))
    seen = _check_explain(columns, [_failure(server, config)], server, config, tmp_path)
    assert {"ssh_config", "command", "sshd_config"} <= seen


@pytest.mark.parametrize("columns", WIDTHS)
def test_explain_probe_fixes_every_category_as_printed(columns: int, sshd: Callable[..., Sshd],
                                                       client_config: Callable[[str], str], tmp_path: Path) -> None:
    """A server failing in several categories: ssh names only the first; explain --probe fixes them all, and
    without it explain says so and prints the command that looks (which runs as printed)."""
    server = sshd(**LEGACY)
    config = Path(client_config(""))
    message = _failure(server, config)
    seen = _check_explain(columns, [message, "--probe"], server, config, tmp_path)
    assert {"ssh_config", "command", "sshd_config"} <= seen
    doc = cli_json("explain", message)
    looks = [a for f in doc["fixes"] for a in f["actions"] if a["kind"] == "command" and a["argv"][:2] == ["sshdoctor", "fix"]]
    assert looks and any("others may fail next" in n for f in doc["fixes"] for a in f["actions"] for n in a.get("notes", []))


@pytest.mark.parametrize("columns", WIDTHS)
def test_check_commands_as_printed(columns: int, sshd: Callable[..., Sshd], client_config: Callable[[str], str]) -> None:
    server = sshd(**LEGACY)
    config = client_config("")
    screen = run_in_pty([server.target, "-F", config], columns)
    assert screen.code == 1, screen.text
    doc = cli_json("check", server.target, "-F", config)
    assert doc["ok"] is False
    nxt = doc["actions"][0]
    assert nxt["argv"][:2] == ["sshdoctor", "fix"] and "-F" in nxt["argv"] and config in nxt["argv"]
    shown = screen.block(nxt["text"])
    run = run_printed(shown.strip())
    assert run.returncode == 0, run.stdout + run.stderr
    # Now written and proved: the same walk passes, and says nothing was reached only "with the fix".
    after = cli_json("check", server.target, "-F", config)
    assert after["ok"] is True and not any(s["with_fix"] for s in after["stages"])
    for action in copyable(doc["actions"]):
        screen.block(action["text"])  # every command and block of the walk was printed whole


@pytest.mark.parametrize("columns", WIDTHS)
def test_harden_lines_as_printed(columns: int, sshd: Callable[..., Sshd], tmp_path: Path) -> None:
    server = sshd(kex="+diffie-hellman-group14-sha1,diffie-hellman-group1-sha1", ciphers="+aes128-cbc",
                  macs="+hmac-md5")
    screen = run_in_pty(["audit", server.target, "--harden", "--keep", "openssh-7.4"], columns)
    doc = cli_json("audit", server.target, "--harden", "--keep", "openssh-7.4")
    lines = doc["harden"]["sshd_config"]
    assert lines, doc["harden"]
    shown = screen.block("\n".join(lines))
    pasted = tmp_path / "pasted"
    pasted.mkdir()
    check_sshd_lines("\n".join(ln for ln in shown.splitlines() if not ln.startswith("#")), server, pasted)


@pytest.mark.parametrize("columns", WIDTHS)
def test_demo_block_as_printed(columns: int, client_config: Callable[[str], str], tmp_path: Path) -> None:
    screen = run_in_pty(["demo"], columns)
    assert screen.code in (0, None), screen.text
    # The demo's server gets a new port each run: the block is taken from this run's screen, as a user takes it.
    lines = screen.lines
    start = next(i for i, ln in enumerate(lines) if ln.startswith("    # added by sshdoctor fix for"))
    block = []
    for ln in lines[start:]:
        if not ln.startswith("    "):
            break
        block.append(ln[4:])
    shown = "\n".join(block) + "\n"
    assert shown.count("Host ") == 1 and "KexAlgorithms +" in shown
    config = Path(client_config(""))
    copy = tmp_path / "config"
    shutil.copyfile(config, copy)
    paste_ssh_block(copy, shown, None)
    g = subprocess.run(["ssh", "-G", "-F", str(copy), "127.0.0.1"], capture_output=True, text=True, timeout=30)
    assert g.returncode == 0, g.stderr
    assert "diffie-hellman-group1-sha1" in g.stdout or "diffie-hellman-group14-sha1" in g.stdout
