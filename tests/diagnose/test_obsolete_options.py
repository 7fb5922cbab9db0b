"""Obsolete options the seeds still recommend, as the real ssh and sshd report them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sshdoctor.diagnose import explain_text
from sshdoctor.lab.sshd import sshd_path
from tests.conftest import need


def test_sshd_use_privilege_separation(tmp_path: Path) -> None:
    binary = sshd_path()
    need(binary, "sshd")
    assert binary is not None
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    cfg = tmp_path / "sshd_config"
    cfg.write_text(f"HostKey {key}\nUsePrivilegeSeparation yes\n")
    out = subprocess.run([binary, "-t", "-f", str(cfg)], capture_output=True, text=True)
    findings = [f for f in explain_text(out.stderr) if f.kind == "obsolete-option"]
    assert findings, out.stderr
    f = findings[0]
    assert f.reported_by == "openssh-server"
    assert f.extra["keyword"] == "UsePrivilegeSeparation"
    assert "7.5" in f.explanation and "Remove the line" in f.explanation


def test_ssh_rsaauthentication() -> None:
    out = subprocess.run(["ssh", "-G", "-o", "RSAAuthentication=yes", "x.invalid"], capture_output=True, text=True)
    findings = [f for f in explain_text(out.stderr) if f.kind == "obsolete-option"]
    assert findings, out.stderr
    assert "PubkeyAuthentication" in findings[0].explanation
