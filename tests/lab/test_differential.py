"""Prediction against reality: random sshd configurations, real ssh.

For each case a real sshd is started with random algorithm lists (many of
them legacy-only), sshdoctor predicts what the local ssh will do, and the
real ``ssh -v`` is run. Success or failure, every chosen algorithm and the
first failing category must agree. Some cases give the client a random
restrictive ssh_config and some a populated known_hosts.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sshdoctor.host.examine import ClientSpec, examine
from sshdoctor.lab.sshd import KEY_FOR_ALGORITHM, Sshd
from sshdoctor.local.verify import run_ssh_check
from sshdoctor.model import Category, Slot
from tests.conftest import need

CASES = int(os.environ.get("SSHDOCTOR_DIFF_CASES", "300"))
SEED = int(os.environ.get("SSHDOCTOR_DIFF_SEED", "20261122"))

HOSTKEY_ALGS = list(KEY_FOR_ALGORITHM)
WORDS = {c: c.openssh_error for c in Category}


def q(kind: str) -> list[str]:
    out = subprocess.run(["ssh", "-Q", kind], capture_output=True, text=True, check=True).stdout
    return [n for n in out.split() if n]


def defaults() -> dict[str, list[str]]:
    out = subprocess.run(["ssh", "-G", "-F", "/dev/null", "x.invalid"], capture_output=True, text=True, check=True)
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    return {k: lines[k].split(",") for k in ("kexalgorithms", "ciphers", "macs", "hostkeyalgorithms")}


@dataclass
class Case:
    kex: list[str]
    hostkeys: list[str]
    ciphers: list[str]
    macs: list[str]
    compression: str
    client_lines: list[str] = field(default_factory=list)
    known_types: list[str] = field(default_factory=list)
    hashed: bool = False


def pick(rng: random.Random, pool: list[str], legacy_pool: list[str]) -> list[str]:
    source = legacy_pool if legacy_pool and rng.random() < 0.35 else pool
    k = rng.randint(1, min(4, len(source)))
    return rng.sample(source, k)


def make_case(rng: random.Random, sup: dict[str, list[str]], dflt: dict[str, list[str]]) -> Case:
    legacy = {k: [n for n in sup[k] if n not in dflt.get(k, [])] for k in sup}
    case = Case(
        kex=pick(rng, sup["kex"], legacy["kex"]),
        hostkeys=pick(rng, HOSTKEY_ALGS, [a for a in HOSTKEY_ALGS if a in ("ssh-rsa", "ssh-dss")]),
        ciphers=pick(rng, sup["cipher"], legacy["cipher"]),
        macs=pick(rng, sup["mac"], legacy["mac"]),
        compression=rng.choice(["yes", "no", "delayed"]),
    )
    if rng.random() < 0.3:
        directives = {
            "KexAlgorithms": sup["kex"],
            "Ciphers": sup["cipher"],
            "MACs": sup["mac"],
            "HostKeyAlgorithms": HOSTKEY_ALGS,
        }
        for directive, pool in rng.sample(sorted(directives.items()), rng.randint(1, 3)):
            names = ",".join(rng.sample(pool, rng.randint(1, 3)))
            mod = rng.choice(["+", "-", "^", ""])
            if mod == "-":
                names = ",".join(rng.sample(pool, 1))
            case.client_lines.append(f"    {directive} {mod}{names}")
        if rng.random() < 0.3:
            case.client_lines.append(f"    Compression {rng.choice(['yes', 'no'])}")
    if rng.random() < 0.3:
        case.known_types = rng.sample(case.hostkeys, 1)
        case.hashed = rng.random() < 0.5
    return case


def known_hosts_line(server: Sshd, key_dir: Path, alg: str) -> str:
    pub = (key_dir / f"ssh_host_{KEY_FOR_ALGORITHM[alg]}_key.pub").read_text().split()
    return f"[127.0.0.1]:{server.port} {pub[0]} {pub[1]}\n"


def test_prediction_matches_real_ssh(sshd, key_dir: Path, tmp_path: Path, ssh_binary: str) -> None:  # type: ignore[no-untyped-def]
    need(ssh_binary, "ssh")
    rng = random.Random(SEED)
    sup = {k: q(k) for k in ("kex", "cipher", "mac")}
    dflt = defaults()
    dflt_by_kind = {"kex": dflt["kexalgorithms"], "cipher": dflt["ciphers"], "mac": dflt["macs"]}
    mismatches: list[str] = []
    failing_cases = 0
    host_key_rejections = 0
    for i in range(CASES):
        case = make_case(rng, sup, dflt_by_kind)
        server = sshd(
            kex=case.kex,
            host_key_algorithms=case.hostkeys,
            ciphers=case.ciphers,
            macs=case.macs,
            extra={"Compression": case.compression},
        )
        case_dir = tmp_path / f"case{i}"
        case_dir.mkdir()
        kh = case_dir / "known_hosts"
        kh.write_text("".join(known_hosts_line(server, key_dir, a) for a in case.known_types))
        if case.hashed and case.known_types:
            subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(kh)], check=True, capture_output=True)
        cfg = case_dir / "ssh_config"
        cfg.write_text(
            "Host 127.0.0.1\n"
            + "".join(line + "\n" for line in case.client_lines)
            + f"    UserKnownHostsFile {kh}\n    GlobalKnownHostsFile /dev/null\n"
        )
        report = asyncio.run(examine(server.target, client=ClientSpec(config_file=str(cfg)), timeout=5))
        real = run_ssh_check("127.0.0.1", port=server.port, config_file=str(cfg), timeout=10)
        server.close()
        outcome = report.outcome
        label = f"case {i} (seed {SEED}): {case}"
        if outcome is None:
            mismatches.append(f"{label}: no prediction ({report.error})")
            continue
        if outcome.ok != real.negotiated:
            mismatches.append(f"{label}: predicted ok={outcome.ok}, real negotiated={real.negotiated}: {real.last_error}")
            continue
        if outcome.ok and not real.kex_done:
            # Negotiation agreed but the run stopped later: only acceptable when
            # known_hosts holds this host under another key type.
            if not (real.host_key_rejected and case.known_types):
                mismatches.append(f"{label}: negotiated but key exchange did not complete: {real.last_error}")
            host_key_rejections += 1
        if outcome.ok:
            for slot in Slot:
                want = outcome.chosen[slot] or "<implicit>"
                if real.chosen.get(slot.value) != want:
                    mismatches.append(f"{label}: {slot.value} predicted {want}, real {real.chosen.get(slot.value)}")
        else:
            failing_cases += 1
            first = outcome.first_failure
            assert first is not None
            if real.negotiation_error != WORDS[first]:
                mismatches.append(f"{label}: first failure predicted {first}, real said {real.negotiation_error!r}")
    assert not mismatches, "\n".join(mismatches[:20]) + f"\n({len(mismatches)} of {CASES} cases differ)"
    # The generator must exercise failures as well as successes.
    assert 0.2 * CASES <= failing_cases <= 0.9 * CASES, failing_cases


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "C")
