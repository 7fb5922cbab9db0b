"""History: what changed for a host between scans, through real servers that change."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from sshdoctor.lab.sshd import Sshd
from tests.scan.conftest import jsonl


def test_scan_diff_and_history_follow_a_changing_server(
    sshd: Callable[..., Sshd], client_config: Callable[[str], str],
    run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path,
) -> None:
    config = client_config("")
    db = str(tmp_path / "h.sqlite")
    first = sshd(kex=["diffie-hellman-group14-sha1", "diffie-hellman-group16-sha512"])
    port = first.port
    target = first.target

    def scan(*extra: str) -> dict[str, object]:
        proc = run_cli("scan", target, "-F", config, "--db", db, "--jsonl", "--diff", *extra)
        docs = jsonl(proc.stdout)
        assert len(docs) == 1, proc.stderr
        return docs[0]

    doc = scan()
    assert doc["status"] == "ok" and doc["diff"]["events"] == ["new-host"]  # type: ignore[index]
    first.close()

    # Same port, one kex algorithm dropped, one added, and a new banner text.
    sshd(port=port, kex=["diffie-hellman-group14-sha1", "curve25519-sha256"], extra={"VersionAddendum": "rebuilt"})
    doc = scan()
    diff = doc["diff"]
    assert isinstance(diff, dict)
    assert set(diff["events"]) == {"banner-changed", "algorithms-added", "algorithms-removed"}
    assert diff["added"] == {"kex": ["curve25519-sha256"]}
    assert diff["removed"] == {"kex": ["diffie-hellman-group16-sha512"]}
    assert diff["banner"][1].endswith("rebuilt")



def test_newly_broken_newly_fixed_and_unreachable(
    sshd: Callable[..., Sshd], client_config: Callable[[str], str],
    run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path,
) -> None:
    config = client_config("")
    db = str(tmp_path / "h.sqlite")
    legacy = sshd(kex=["diffie-hellman-group14-sha1"])
    target = legacy.target

    def events(*extra: str) -> list[str]:
        proc = run_cli("scan", target, "-F", config, "--db", db, "--jsonl", "--diff", *extra)
        doc = jsonl(proc.stdout)[0]
        return list(doc["diff"]["events"])

    assert events("-o", "KexAlgorithms=+diffie-hellman-group14-sha1") == ["new-host"]
    assert events() == ["newly-broken"]
    assert events("-o", "KexAlgorithms=+diffie-hellman-group14-sha1") == ["newly-fixed"]
    legacy.close()
    assert events() == ["newly-unreachable"]

    proc = run_cli("history", "--db", db, target, "--json")
    timeline = json.loads(proc.stdout)["scans"]
    assert [s["status"] for s in timeline] == ["ok", "fails", "ok", "unreachable"]
    assert timeline[-1]["diff"]["events"] == ["newly-unreachable"]
    proc = run_cli("history", "--db", db)
    assert proc.returncode == 0 and "scan" in proc.stdout
    proc = run_cli("history", "--db", db, "never.example")
    assert proc.returncode == 1 and "never scanned" in proc.stderr
