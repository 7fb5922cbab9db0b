"""Terminal tables at 80 columns: no algorithm name, directive or fix is ever cut (rich marks a cut with …);
the prose columns fold or go instead."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from sshdoctor.lab.sshd import Sshd
from tests.printed.pty_run import run_in_pty

LEGACY = {"kex": ["diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha256"],
          "ciphers": ["aes128-cbc", "aes256-ctr"], "host_key_algorithms": ["ssh-rsa"],
          "macs": ["hmac-sha1", "hmac-sha2-512-etm@openssh.com"]}


def _json(*args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "sshdoctor", *args, "--json"], capture_output=True, text=True,
                         timeout=240)
    doc: dict[str, object] = json.loads(out.stdout)
    return doc


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("command", ["probe", "fix", "audit", "scan"])
def test_no_name_or_fix_is_cut(command: str, columns: int, sshd: Callable[..., Sshd],
                               client_config: Callable[[str], str]) -> None:
    server = sshd(**LEGACY)
    args = [command, server.target, "-F", client_config("")] if command != "audit" else [command, server.target]
    if command == "scan":
        args.append("--no-history")
    screen = run_in_pty(args, columns)
    assert "…" not in screen.text, screen.text
    offer = _json("probe", server.target, "-F", client_config(""))["offer"]
    assert isinstance(offer, dict)
    names = {n for names in offer.values() for n in names}
    if command in ("probe", "audit"):
        for name in names:
            assert any(name in line.split() for line in screen.lines), f"{name} is not printed whole:\n{screen.text}"
    if command in ("fix", "scan"):
        # Every change is printed whole: directive and value on one line, as a user copies them.
        fix = _json("fix", server.target, "-F", client_config(""))
        changes = fix["changes"]
        assert isinstance(changes, list) and changes
        for change in changes:
            words = f"{change['directive']} +{','.join(change['add'])}"
            assert any(words in ln for ln in screen.lines), f"{words} is not printed whole:\n{screen.text}"
