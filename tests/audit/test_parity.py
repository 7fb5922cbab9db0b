"""Parity with ssh-audit: what it fails or warns on, sshdoctor reports, or docs/audit.md says why not."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.catalog import algorithm
from sshdoctor.lab.asyncssh_server import AsyncsshServer
from sshdoctor.lab.dropbear import Dropbear
from sshdoctor.lab.sshd import Sshd
from sshdoctor.model import Category
from sshdoctor.negotiate.listmod import match_pattern
from tests.audit.conftest import LEGACY_SSHD, STRONG_SSHD, run_cli
from tests.conftest import need

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
SECTIONS = {"kex": "kex", "key": "hostkey", "enc": "cipher", "mac": "mac"}


@dataclass(frozen=True)
class Row:
    """One documented difference: where it applies and which ssh-audit note it explains."""

    category: str
    patterns: tuple[str, ...]
    keyword: str

    def covers(self, category: str, name: str, note: str) -> bool:
        return (self.category == category and any(match_pattern(name, p) for p in self.patterns)
                and self.keyword.lower() in note.lower())


def documented_rows() -> list[Row]:
    """The table under "## Parity with ssh-audit" in docs/audit.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Parity with ssh-audit", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or cells[0] in ("category", "") or set(cells[0]) <= {"-"}:
            continue
        patterns = tuple(re.findall(r"`([^`]+)`", cells[1]))
        keyword = re.findall(r"`([^`]+)`", cells[2])
        assert patterns and keyword and cells[4], f"incomplete parity row: {line}"
        rows.append(Row(cells[0], patterns, keyword[0]))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    found = documented_rows()
    assert {r.category for r in found} >= {"kex", "hostkey", "mac", "cve", "note"}
    return found


@contextlib.contextmanager
def lab(kind: str, key_dir: Path) -> Iterator[str]:
    if kind == "sshd-default":
        server: Any = Sshd(key_dir=key_dir)
    elif kind == "sshd-legacy":
        server = Sshd(key_dir=key_dir, **LEGACY_SSHD)
    elif kind == "sshd-strong":
        server = Sshd(key_dir=key_dir, **STRONG_SSHD)
    elif kind == "sshd-cbc-etm":
        server = Sshd(key_dir=key_dir, ciphers="aes256-cbc,aes128-ctr", macs="hmac-sha2-256-etm@openssh.com,hmac-sha1",
                      host_keys=("ecdsa384", "rsa"))
    elif kind == "dropbear":
        server = Dropbear(key_dir=key_dir)
    elif kind == "asyncssh-switch":
        server = AsyncsshServer(version="Cisco-1.25")
    else:
        server = AsyncsshServer(pseudo=False, kex=["curve25519-sha256", "ecdh-sha2-nistp256"],
                                hostkey=["ecdsa-sha2-nistp256", "rsa-sha2-256"],
                                cipher=["chacha20-poly1305@openssh.com", "aes128-cbc"],
                                mac=["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512"], version="OpenSSH_8.4p1")
    server.start()
    try:
        yield server.target
    finally:
        server.stop() if isinstance(server, AsyncsshServer) else server.close()


SERVERS = ["sshd-default", "sshd-legacy", "sshd-strong", "sshd-cbc-etm", "dropbear", "asyncssh-switch", "asyncssh-no-strict"]


def ssh_audit(target: str) -> dict[str, Any]:
    host, port = target.rsplit(":", 1)
    proc = subprocess.run(["ssh-audit", "-j", "--skip-rate-test", "-t", "20", "-p", port, host], capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip(), proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def reported(doc: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(category, algorithm) -> finding kinds sshdoctor rates warn or fail; ``*`` for Terrapin's algorithm lists."""
    out: dict[tuple[str, str], set[str]] = {}
    for f in doc["findings"]:
        if f["severity"] not in ("warn", "fail"):
            continue
        if f["algorithm"]:
            out.setdefault((f["category"], f["algorithm"]), set()).add(f["kind"])
        for name in f.get("algorithms", []) if f["kind"] == "terrapin" else []:
            out.setdefault(("*", name), set()).add("terrapin")
    return out


@pytest.mark.parametrize("kind", SERVERS)
def test_everything_ssh_audit_flags_is_reported_or_documented(kind: str, rows: list[Row], key_dir: Path) -> None:
    need(shutil.which("ssh-audit"), "ssh-audit (pip install ssh-audit)")
    if kind.startswith("sshd"):
        from sshdoctor.lab.sshd import sshd_path

        need(sshd_path(), "OpenSSH sshd")
    if kind == "dropbear":
        from sshdoctor.lab.dropbear import dropbear_path

        need(dropbear_path(), "Dropbear")
    with lab(kind, key_dir) as target:
        theirs = ssh_audit(target)
        rc, out, err = run_cli("audit", target, "-F", "/dev/null", "--json")
    assert rc == 0, err
    ours = json.loads(out)
    flagged = reported(ours)
    missing: list[str] = []
    for section, category in SECTIONS.items():
        for entry in theirs.get(section, []):
            name = entry["algorithm"]
            for level in ("fail", "warn"):
                for note in entry.get("notes", {}).get(level, []):
                    if "terrapin" in note.lower():
                        ok = "terrapin" in flagged.get(("*", name), set())
                    else:
                        ok = (category, name) in flagged or any(r.covers(category, name, note) for r in rows)
                    if not ok:
                        missing.append(f"{category} {name}: ssh-audit {level}: {note}")
    for cve in theirs.get("cves", []):
        if not any(r.covers("cve", str(cve.get("name", "")), "CVE-") for r in rows):
            missing.append(f"cve {cve}")
    for note in theirs.get("additional_notes", []):
        if "terrapin" in note.lower():
            if not any(f["kind"] == "terrapin" for f in ours["findings"]):
                missing.append(f"Terrapin note without a sshdoctor terrapin finding: {note[:80]}")
        elif not any(r.category == "note" and r.keyword.lower() in note.lower() for r in rows):
            missing.append(f"note: {note[:120]}")
    assert not missing, "\n".join(missing)

    # The documented post-quantum difference holds: one server-level finding instead of one per method.
    pq_warned = any("post-quantum" in n for e in theirs.get("kex", []) for n in e.get("notes", {}).get("warn", []))
    has_hybrid = any(algorithm(Category.KEX, n).post_quantum for n in ours["offer"]["kex"])
    if pq_warned and not has_hybrid:
        assert any(f["kind"] == "no-post-quantum-kex" and f["severity"] == "warn" for f in ours["findings"])
    # Terrapin verdicts agree: ssh-audit flags Terrapin per algorithm exactly when sshdoctor says vulnerable.
    flags_terrapin = any("terrapin" in n.lower() for s in SECTIONS for e in theirs.get(s, [])
                         for level in ("fail", "warn") for n in e.get("notes", {}).get(level, []))
    assert flags_terrapin == ours["terrapin"]["vulnerable"]


def test_the_table_is_not_a_blanket_excuse(rows: list[Row]) -> None:
    """Rows must be narrow: none may excuse the weaknesses sshdoctor is expected to flag itself."""
    must_flag: list[tuple[str, str, str]] = [
        ("kex", "diffie-hellman-group1-sha1", "SHA-1 hash"),
        ("cipher", "3des-cbc", "CBC mode"),
        ("mac", "hmac-sha1", "SHA-1 hash"),
        ("hostkey", "ssh-rsa", "SHA-1 hash"),
        ("kex", "diffie-hellman-group14-sha256", "2048-bit modulus"),
    ]
    for category, name, note in must_flag:
        assert not any(r.covers(category, name, note) for r in rows), (category, name)
