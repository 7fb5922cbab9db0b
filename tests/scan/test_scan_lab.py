"""`sshdoctor scan` against real servers on loopback: results, the fleet
fragment proven with the real ssh, and the cached prediction checked
against a full per-host examination."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sshdoctor.host.examine import ClientSpec, examine
from sshdoctor.lab.asyncssh_server import AsyncsshServer
from sshdoctor.lab.dropbear import Dropbear
from sshdoctor.lab.ports import free_port
from sshdoctor.lab.sshd import Sshd
from sshdoctor.local.verify import run_ssh_check
from tests.scan.conftest import jsonl

LEGACY_SSHD = {"kex": ["diffie-hellman-group14-sha1"], "ciphers": ["aes128-cbc"], "host_key_algorithms": ["ssh-rsa"]}


def _by_port(docs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {d["target"]["port"]: d for d in docs}


def test_scan_reports_every_host_as_it_is(
    sshd: Callable[..., Sshd], dropbear: Callable[..., Dropbear], client_config: Callable[[str], str],
    run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path,
) -> None:
    modern, legacy, drop = sshd(), sshd(**LEGACY_SSHD), dropbear()
    refused = free_port()
    with AsyncsshServer() as old:
        targets = tmp_path / "fleet.txt"
        targets.write_text(f"# lab\n{modern.target}\n{legacy.target}\n{drop.target}\n{old.target}\n"
                           f"127.0.0.1:{refused}\n{modern.target}\nsw9:99999\n")
        proc = run_cli("scan", "-i", str(targets), "-F", client_config(""), "--jsonl", "--no-history",
                       "--profiles", "openssh-7.4,openssh-10.0")
        old_port, old_banner = old.port, f"SSH-2.0-{old.version}"
    assert proc.returncode == 1, proc.stderr
    docs = jsonl(proc.stdout)
    assert len(docs) == 6  # the duplicate merged, the bad line reported
    hosts = _by_port(docs)
    assert hosts[modern.port]["status"] == "ok" and hosts[modern.port]["banner"] == modern.banner
    assert hosts[drop.port]["status"] == "ok" and hosts[drop.port]["banner"] == drop.banner
    assert hosts[modern.port]["negotiation"]["ok"] and hosts[modern.port]["error"] is None
    for port in (legacy.port, old_port):
        doc = hosts[port]
        assert doc["status"] == "fails" and doc["negotiation"]["first_failure"] == "kex"
        assert doc["fix"]["needed"] and doc["fix"]["works"]
        assert {c["directive"] for c in doc["fix"]["changes"]} >= {"KexAlgorithms", "HostKeyAlgorithms", "Ciphers"}
        assert doc["profiles"]["openssh-7.4"]["ok"] and not doc["profiles"]["openssh-10.0"]["ok"]
        assert doc["audit"]["grade"] in ("C", "D", "F")
    assert hosts[old_port]["banner"] == old_banner
    assert hosts[refused]["status"] == "unreachable" and hosts[refused]["error_kind"] == "connection-refused"
    assert hosts[refused]["offer"] is None and hosts[refused]["negotiation"] is None
    invalid = [d for d in docs if d["status"] == "invalid"]
    assert len(invalid) == 1 and "invalid" in invalid[0]["error"]


def test_the_fleet_fragment_lets_the_real_ssh_through(
    sshd: Callable[..., Sshd], client_config: Callable[[str], str],
    run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path,
) -> None:
    legacy = sshd(**LEGACY_SSHD)
    config = client_config("")
    with AsyncsshServer() as old:
        fragment_path = tmp_path / "fragment"
        proc = run_cli("scan", legacy.target, old.target, "-F", config, "--no-history",
                       "--config-out", str(fragment_path))
        assert proc.returncode == 1, proc.stderr
        fragment = fragment_path.read_text()
        assert fragment.count("\nHost ") == 1 and "Host 127.0.0.1\n" in fragment
        assert "one ~/.ssh/config fragment" in proc.stdout
        fixed = tmp_path / "fixed_config"
        fixed.write_text(fragment + "\n" + Path(config).read_text())
        for port in (legacy.port, old.port):
            before = run_ssh_check("127.0.0.1", port=port, config_file=config, timeout=10)
            after = run_ssh_check("127.0.0.1", port=port, config_file=str(fixed), timeout=10)
            assert not before.kex_done, before
            assert after.kex_done, (port, after.last_error, fragment)


def test_cached_prediction_equals_per_host_examination(
    sshd: Callable[..., Sshd], dropbear: Callable[..., Dropbear], client_config: Callable[[str], str],
    run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path,
) -> None:
    """The scan captures the local ssh once per (context, banner) and orders
    host keys from known_hosts itself; a full examination runs ssh for each
    host. With known keys of several types and an alias block, they agree."""
    servers = [sshd(), sshd(), sshd(**LEGACY_SSHD), dropbear()]
    keys = {}
    for kind in ("ecdsa", "rsa", "ed25519"):
        path = tmp_path / f"key_{kind}"
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", kind, "-f", str(path)], check=True)
        keys[kind] = " ".join(path.with_suffix(".pub").read_text().split()[:2])
    config = client_config(f"Host legacy-alias\n    HostName 127.0.0.1\n    Port {servers[2].port}\n"
                           "    KexAlgorithms +diffie-hellman-group14-sha1\n")
    known = Path(config).parent / "known_hosts"
    known.write_text(f"[127.0.0.1]:{servers[0].port} {keys['ecdsa']}\n"
                     f"[127.0.0.1]:{servers[1].port} {keys['rsa']}\n"
                     f"[127.0.0.1]:{servers[3].port},legacy-alias {keys['ecdsa']}\n"
                     f"@cert-authority [127.0.0.1]:{servers[1].port} {keys['ed25519']}\n")
    targets = [s.target for s in servers] + ["legacy-alias"]
    proc = run_cli("scan", *targets, "-F", config, "--json", "--no-history")
    docs = json.loads(proc.stdout)["hosts"]

    async def examine_all() -> list[Any]:
        spec = ClientSpec(config_file=config)
        return await asyncio.gather(*(examine(t, client=spec) for t in targets))

    reports = asyncio.run(examine_all())
    reordered = 0
    for target, report in zip(targets, reports, strict=True):
        doc = next(d for d in docs if d["target"]["port"] == report.target.port and
                   (d["name"] == "legacy-alias") == (target == "legacy-alias"))
        assert report.client_proposal is not None
        assert doc["client_offer"] == report.client_proposal.offer_dict(), target
        reordered += doc["client_offer"]["hostkey"][0] != "ssh-ed25519-cert-v01@openssh.com"
    assert reordered >= 2  # known_hosts really changed the order for some hosts
    alias = next(d for d in docs if d["name"] == "legacy-alias")
    assert "diffie-hellman-group14-sha1" in alias["client_offer"]["kex"]
    assert alias["negotiation"]["first_failure"] != "kex"


def test_exact_mode_agrees_with_the_cached_prediction(
    sshd: Callable[..., Sshd], client_config: Callable[[str], str],
    run_cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    servers = [sshd(), sshd(**LEGACY_SSHD)]
    config = client_config("")
    targets = [s.target for s in servers]
    fast = json.loads(run_cli("scan", *targets, "-F", config, "--json", "--no-history").stdout)["hosts"]
    exact = json.loads(run_cli("scan", *targets, "-F", config, "--json", "--no-history", "--exact").stdout)["hosts"]
    key = lambda d: d["target"]["port"]  # noqa: E731
    for a, b in zip(sorted(fast, key=key), sorted(exact, key=key), strict=True):
        assert (a["status"], a["client_offer"], a["fix"]) == (b["status"], b["client_offer"], b["fix"])
    assert sorted(d["status"] for d in exact) == ["fails", "ok"]
