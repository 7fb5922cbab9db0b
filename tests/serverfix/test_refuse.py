"""When ``fix --server --apply`` (or ``apply_server_change``) must not write, it writes nothing,
and when it wrote and the check after fails, the originals come back."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sshdoctor.audit.harden import KeptClient
from sshdoctor.catalog.profiles import get_profile
from sshdoctor.host import serverfix
from sshdoctor.host.serverfix import ServerApply, apply_server_change
from sshdoctor.host.trial import TrialClient
from sshdoctor.local.sshconfig import atomic
from sshdoctor.local.sshd import check_config
from sshdoctor.model import Proposal
from tests.serverfix.conftest import RESTRICTIVE, Server, run_fix

FixJson = Callable[..., tuple[int, dict[str, object]]]


class Crash(BaseException):
    """Stands for the process dying between the backup and the rename."""


def old_switch() -> Proposal:
    """A client that knows only diffie-hellman-group14-sha1 for key exchange."""
    profile = get_profile("openssh-7.4")
    assert profile is not None and profile.client is not None
    return Proposal(**{**{s: getattr(profile.client.proposal(), s) for s in (
        "hostkey", "cipher_c2s", "cipher_s2c", "mac_c2s", "mac_s2c", "compression_c2s", "compression_s2c")},
        "kex": ("diffie-hellman-group14-sha1",)})


def apply(server: Server, lines: list[str], **kwargs: object) -> ServerApply:
    return asyncio.run(apply_server_change(server.main, lines, timeout=5.0, **kwargs))  # type: ignore[arg-type]


def test_result_sshd_t_rejects_nothing_written(server: Server) -> None:
    server.write("\n".join([*RESTRICTIVE, *server.base_lines()]) + "\n")
    before = server.snapshot()
    result = apply(server, ["KexAlgorithms no-such-kex@example.com"])
    assert not result.applied
    assert result.proof is not None and result.proof.stage == "sshd -t"
    assert "no-such-kex@example.com" in result.proof.message
    assert str(server.main) in result.proof.message, "sshd's words name the real file, not the private copy"
    assert server.snapshot() == before


def test_config_sshd_rejects_today_nothing_written(server: Server, fix_json: FixJson) -> None:
    server.write("\n".join([*RESTRICTIVE, "NoSuchDirective yes", *server.base_lines()]) + "\n")
    before = server.snapshot()
    code, doc = fix_json(server.main, apply=True)
    assert code == 3
    assert doc["applied"] is False and "NoSuchDirective" in str(doc["error"])
    assert server.snapshot() == before


def test_lock_out_of_a_kept_client_is_refused(server: Server) -> None:
    server.write("\n".join(["KexAlgorithms curve25519-sha256,diffie-hellman-group14-sha1",
                            *server.base_lines(("rsa", "ed25519"))]) + "\n")
    before = server.snapshot()
    # What a hardening would write: it drops the SHA-1 exchange the switch needs.
    result = apply(server, ["KexAlgorithms curve25519-sha256"], keep=[KeptClient("old switch", old_switch())])
    assert not result.applied
    assert result.proof is not None and result.proof.stage == "clients"
    assert result.proof.failed_clients == ["old switch"]
    assert "old switch" in (result.error or "")
    assert server.snapshot() == before
    # Without that client the same line proves out and is written in place.
    done = apply(server, ["KexAlgorithms curve25519-sha256"], keep=[TrialClient("modern", get_profile(
        "openssh-10.5").client.proposal())])  # type: ignore[union-attr]
    assert done.applied, done.error
    assert "KexAlgorithms curve25519-sha256\n" in server.main.read_text()
    assert check_config(server.main).ok
    # The same again: already in effect, nothing written, no new backup.
    backups = sorted(server.root.glob("sshd_config.sshdoctor-*.bak"))
    again = apply(server, ["KexAlgorithms curve25519-sha256"])
    assert again.applied and again.written == () and again.proof is None
    assert sorted(server.root.glob("sshd_config.sshdoctor-*.bak")) == backups


def test_lock_out_of_the_local_ssh_is_refused(server: Server) -> None:
    server.write("\n".join(server.base_lines(("rsa", "ed25519"))) + "\n")
    before = server.snapshot()
    result = apply(server, ["KexAlgorithms diffie-hellman-group1-sha1"])
    assert not result.applied
    assert result.proof is not None and result.proof.stage == "local ssh"
    assert server.snapshot() == before


def test_crash_between_backup_and_rename_keeps_the_original(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.write("\n".join([*RESTRICTIVE, *server.base_lines()]) + "\n")
    original = server.main.read_bytes()

    def crash(tmp: Path) -> None:
        assert tmp.exists()
        raise Crash

    monkeypatch.setattr(atomic, "_between_backup_and_replace", crash)
    with pytest.raises(Crash):
        run_fix(str(server.main), apply=True, timeout=5.0)
    assert server.main.read_bytes() == original
    backups = list(server.root.glob("sshd_config.sshdoctor-*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == original
    assert not list(server.root.glob(".sshd_config.sshdoctor-*.tmp"))
    assert check_config(server.main).ok


def test_process_killed_between_backup_and_rename(server: Server) -> None:
    server.write("\n".join([*RESTRICTIVE, *server.base_lines()]) + "\n")
    original = server.main.read_bytes()
    script = (
        "import os, sys\n"
        "from sshdoctor.local.sshconfig import atomic\n"
        "atomic._between_backup_and_replace = lambda tmp: os._exit(137)\n"
        "from sshdoctor.cli.fix_server import fix_server_main\n"
        "sys.exit(fix_server_main(sys.argv[1], None, None, None, None, True, False, True, 5.0))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(server.main)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 137, out.stderr
    assert server.main.read_bytes() == original
    assert [b.read_bytes() for b in server.root.glob("sshd_config.sshdoctor-*.bak")] == [original]
    assert check_config(server.main).ok


def test_failed_check_after_writing_puts_everything_back(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Debian layout with only a DSA key: the fix creates a drop-in and a key, and edits a drop-in.
    server.write(f"Include {server.dropins}/*.conf\n" + "\n".join(server.base_lines(("dsa",))) + "\n")
    legacy = server.write("HostKeyAlgorithms ssh-dss\n", server.dropins / "10-legacy.conf")
    before = server.snapshot()
    monkeypatch.setattr(serverfix, "_check_written", lambda *a: "sshd -T differs (simulated)")
    result = run_fix(str(server.main), apply=True, timeout=5.0)
    outcome = result.outcome  # type: ignore[attr-defined]
    assert outcome is not None and not outcome.applied and outcome.restored
    assert {Path(w.path).name for w in outcome.written} == {"10-legacy.conf", "00-sshdoctor.conf"}
    assert server.snapshot() == before, "files, the new drop-in and the generated key must all be gone"
    assert legacy.read_text() == "HostKeyAlgorithms ssh-dss\n"
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert not os.path.exists(server.root / "ssh_host_ed25519_key")
