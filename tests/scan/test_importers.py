"""Other scanners' results through the same analysis: real nmap and
ssh-audit output made here against lab servers, and zgrab2 lines in its
documented layout (see data/README.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.fleet.importers import ImportFormatError, detect, read_any
from sshdoctor.lab.dropbear import Dropbear
from sshdoctor.lab.sshd import Sshd
from tests.conftest import need

DATA = Path(__file__).parent / "data"
LEGACY_SSHD = {"kex": ["diffie-hellman-group14-sha1"], "ciphers": ["aes128-cbc"], "host_key_algorithms": ["ssh-rsa"]}
COMPARED = ("kex", "hostkey", "cipher_c2s", "mac_c2s", "compression_c2s")


def _scan_json(run_cli: Callable[..., subprocess.CompletedProcess[str]], *args: str) -> dict[str, Any]:
    proc = run_cli("scan", *args, "--json", "--no-history")
    assert proc.returncode in (0, 1), proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture
def lab(sshd: Callable[..., Sshd], dropbear: Callable[..., Dropbear]) -> list[Any]:
    return [sshd(**LEGACY_SSHD), dropbear()]


def _own_offers(run_cli: Callable[..., subprocess.CompletedProcess[str]], lab: list[Any], config: str) -> dict[int, Any]:
    doc = _scan_json(run_cli, *(s.target for s in lab), "-F", config)
    return {h["target"]["port"]: h for h in doc["hosts"]}


def _check_same(imported: dict[str, Any], own: dict[int, Any], source: str) -> None:
    hosts = {h["target"]["port"]: h for h in imported["hosts"]}
    assert set(hosts) == set(own)
    for port, host in hosts.items():
        assert host["source"] == source
        for slot in COMPARED:
            assert host["offer"][slot] == own[port]["offer"][slot], (source, slot)
        assert host["status"] == own[port]["status"]
        assert host["fix"] == own[port]["fix"]
        assert host["audit"]["grade"] == own[port]["audit"]["grade"]


def test_nmap_xml_import(lab: list[Any], client_config: Callable[[str], str],
                         run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    need(shutil.which("nmap"), "nmap")
    config = client_config("")
    xml = tmp_path / "nmap.xml"
    ports = ",".join(str(s.port) for s in lab)
    subprocess.run(["nmap", "-sT", "-Pn", "-n", "-p", ports, "--script", "+ssh2-enum-algos,+banner", "-oX", str(xml),
                    "127.0.0.1"], check=True, capture_output=True, timeout=120)
    assert detect(str(xml)) == "nmap"
    imported = _scan_json(run_cli, "--import", str(xml), "-F", config)
    _check_same(imported, _own_offers(run_cli, lab, config), "nmap")
    assert {h["banner"] for h in imported["hosts"]} == {s.banner for s in lab}


def test_ssh_audit_json_import(lab: list[Any], client_config: Callable[[str], str],
                               run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    need(shutil.which("ssh-audit"), "ssh-audit")
    config = client_config("")
    targets = tmp_path / "targets"
    targets.write_text("".join(f"{s.target}\n" for s in lab))
    out = subprocess.run(["ssh-audit", "-j", "-T", str(targets)], capture_output=True, text=True, timeout=300)
    report = tmp_path / "audit.json"
    report.write_text(out.stdout)
    assert detect(str(report)) == "ssh-audit"
    imported = _scan_json(run_cli, "--import", str(report), "-F", config)
    _check_same(imported, _own_offers(run_cli, lab, config), "ssh-audit")
    assert {h["banner"] for h in imported["hosts"]} == {s.banner for s in lab}


def test_zgrab2_lines_import(client_config: Callable[[str], str],
                             run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    path = DATA / "zgrab2_ssh.jsonl"
    assert detect(str(path)) == "zgrab2"
    observed = list(read_any(str(path)))
    assert [(o.spec.host, o.spec.port, o.spec.label) for o in observed] == [
        ("192.0.2.10", 22, "sw-core.example"), ("192.0.2.11", 830, None), ("192.0.2.12", 22, None)]
    assert observed[1].offer is not None and observed[1].offer.cipher_s2c == ("aes256-cbc", "3des-cbc")
    doc = _scan_json(run_cli, "--import", str(path), "-F", client_config(""))
    hosts = {h["target"]["host"]: h for h in doc["hosts"]}
    assert hosts["192.0.2.10"]["status"] == "ok" and hosts["192.0.2.10"]["name"] == "sw-core.example"
    cisco = hosts["192.0.2.11"]
    assert cisco["status"] == "fails" and cisco["negotiation"]["first_failure"] == "kex"
    assert {c["directive"] for c in cisco["fix"]["changes"]} >= {"KexAlgorithms", "HostKeyAlgorithms", "Ciphers"}
    assert hosts["192.0.2.12"]["status"] == "unreachable" and "io-timeout" in hosts["192.0.2.12"]["error"]
    assert "Host 192.0.2.11" in doc["ssh_config"]


def test_unknown_or_broken_files_are_refused(tmp_path: Path,
                                             run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    with pytest.raises(ImportFormatError):
        detect(str(junk))
    broken = tmp_path / "broken.xml"
    broken.write_text("<nmaprun><host>")
    proc = run_cli("scan", "--import", str(broken), "--no-history", "-F", "/dev/null")
    assert proc.returncode == 2 and "not well-formed nmap XML" in proc.stderr and "Traceback" not in proc.stderr
