"""order_hostkeyalgs() against the real ssh: random known_hosts files,
configurations and targets; the proposal the real client sends is captured
and its host-key list must be exactly what the pure function predicts."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from sshdoctor.local.capture import ClientCapture
from sshdoctor.local.effective import effective
from sshdoctor.local.knownhosts import (
    hash_name,
    hostfile_name,
    load_files,
    order_hostkeyalgs,
    parse_known_hosts,
)
from tests.conftest import need

SERVER_IDENT = "SSH-2.0-OpenSSH_9.2"  # no compat quirks: the list is not filtered
HOSTS = ["alpha", "beta.example.com", "gamma.example.com", "Delta.Example.COM", "10.1.2.3", "fe80::1"]
PORTS = [22, 22, 2222, 830]


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Two public keys per type, as ``type base64`` text."""
    need(shutil.which("ssh-keygen"), "ssh-keygen")
    folder = tmp_path_factory.mktemp("keys")
    out: dict[str, list[str]] = {}
    for kind, args in (("ed25519", ["-t", "ed25519"]), ("ecdsa256", ["-t", "ecdsa", "-b", "256"]),
                       ("ecdsa384", ["-t", "ecdsa", "-b", "384"]), ("ecdsa521", ["-t", "ecdsa", "-b", "521"]),
                       ("rsa", ["-t", "rsa", "-b", "1024"]), ("dsa", ["-t", "dsa"])):
        for i in range(2):
            path = folder / f"{kind}_{i}"
            subprocess.run(["ssh-keygen", "-q", "-N", "", "-f", str(path), *args], check=True, capture_output=True)
            out.setdefault(kind, []).append(" ".join(path.with_suffix(".pub").read_text().split()[:2]))
    # Security-key types, built from their wire format (no token needed).
    ed_blob = base64.b64decode(out["ed25519"][0].split()[1])
    ed_pk = ed_blob[-32:]
    sk_ed = _string(b"sk-ssh-ed25519@openssh.com") + _string(ed_pk) + _string(b"ssh:")
    out["sk-ed25519"] = [f"sk-ssh-ed25519@openssh.com {base64.b64encode(sk_ed).decode()}"]
    ec_blob = base64.b64decode(out["ecdsa256"][0].split()[1])
    point = ec_blob[4 + 19 + 4 + 8 + 4:]
    sk_ec = _string(b"sk-ecdsa-sha2-nistp256@openssh.com") + _string(b"nistp256") + _string(point) + _string(b"ssh:")
    out["sk-ecdsa"] = [f"sk-ecdsa-sha2-nistp256@openssh.com {base64.b64encode(sk_ec).decode()}"]
    return out


@dataclass
class Case:
    host: str
    port: int
    alias: str | None
    hostkey_algorithms: str | None
    files: list[str]
    config: str


def _names(rng: random.Random) -> str:
    choices: list[str] = []
    for _ in range(rng.randint(1, 3)):
        host = rng.choice(HOSTS)
        form = rng.random()
        if form < 0.45:
            name = host
        elif form < 0.65:
            name = f"[{host}]:{rng.choice(PORTS)}"
        elif form < 0.8:
            name = rng.choice(["*.example.com", "*", "?lpha", "[*]:2222", "*a*", "10.1.*"])
        else:
            name = "!" + rng.choice([host, "*.example.com", f"[{host}]:2222"])
        if rng.random() < 0.3:
            name = name.upper()
        choices.append(name)
    return ",".join(choices)


def _line(rng: random.Random, keys: dict[str, list[str]], used: list[str]) -> str:
    kind = rng.choice(list(keys))
    key = rng.choice(keys[kind])
    roll = rng.random()
    if roll < 0.08 and used:
        return f"@revoked {_names(rng)} {rng.choice(used)}"
    if roll < 0.13:
        return f"@cert-authority {_names(rng)} {key}"
    if roll < 0.16:
        return f"{_names(rng)} {key.split()[0]} AAAAnotbase64!!"
    if roll < 0.19:
        other = rng.choice([k for k in keys if k != kind])
        return f"{_names(rng)} {keys[other][0].split()[0]} {key.split()[1]}"  # type mismatch
    if roll < 0.21:
        return "# " + _names(rng)
    used.append(key)
    if roll < 0.45:
        host = rng.choice(HOSTS)
        name = hostfile_name(host, rng.choice(PORTS))
        return f"{hash_name(name, rng.randbytes(20))} {key} comment"
    return f"{_names(rng)} {key}"


def _case(rng: random.Random, keys: dict[str, list[str]], folder: Path, index: int) -> Case:
    used: list[str] = []
    files = []
    for n in range(rng.randint(1, 3)):
        path = folder / f"kh{index}_{n}"
        path.write_text("\n".join(_line(rng, keys, used) for _ in range(rng.randint(0, 8))) + "\n")
        files.append(str(path))
    hka = rng.choice([None, None, None, "+ssh-rsa,ssh-dss", "-ssh-ed25519*", "^ssh-rsa,rsa-sha2-512",
                      "ecdsa-sha2-nistp384,ssh-ed25519,rsa-sha2-256", "+ssh-dss", "-ecdsa-sha2-nistp256*"])
    alias = rng.choice([None] * 8 + ["Alpha", "gamma.example.com"])
    lines = [f"UserKnownHostsFile {' '.join(files[:-1]) or '/dev/null'}", f"GlobalKnownHostsFile {files[-1]}"]
    if hka:
        lines.append(f"HostKeyAlgorithms {hka}")
    if alias:
        lines.append(f"HostKeyAlias {alias}")
    config = folder / f"config{index}"
    config.write_text("\n".join(lines) + "\n")
    host = rng.choice(HOSTS)
    if rng.random() < 0.2 and not host[0].isdigit() and ":" not in host:
        host = host.upper()
    return Case(host, rng.choice(PORTS), alias, hka, files[:-1] + files[-1:], str(config))


def predicted(case: Case) -> list[str]:
    eff = effective(case.host, port=case.port, config_file=case.config)
    algorithms = eff.get("hostkeyalgorithms").split(",")  # type: ignore[union-attr]
    if case.hostkey_algorithms is not None and case.hostkey_algorithms[0] not in "+-":
        return algorithms
    known = load_files(case.files)
    return order_hostkeyalgs(algorithms, known.entries_for(hostfile_name(case.host, case.port, case.alias)))


async def captured(case: Case, gate: asyncio.Semaphore) -> list[str]:
    async with gate, ClientCapture(case.host, port=case.port, config_file=case.config) as cap:
        proposal = await cap.proposal(SERVER_IDENT)
    return list(proposal.hostkey)


def test_parse_skips_what_ssh_skips(keys: dict[str, list[str]]) -> None:
    ed = keys["ed25519"][0]
    text = "\n".join([
        "# comment", "", f"alpha {ed}", f"@bogus alpha {ed}", f"@revoked @revoked alpha {ed}",
        f"alpha {ed.split()[0]}", f"alpha ssh-rsa {ed.split()[1]}", "|1|bad|salt " + ed, f"  beta {ed} c",
    ])
    lines = parse_known_hosts(text)
    assert [(line.line, line.names) for line in lines] == [(3, "alpha"), (9, "beta")]


def test_order_matches_real_ssh_on_random_cases(keys: dict[str, list[str]], tmp_path: Path) -> None:
    need(shutil.which("ssh"), "OpenSSH client")
    rng = random.Random(int(os.environ.get("SSHDOCTOR_SEED", "20240611")))
    cases = [_case(rng, keys, tmp_path, i) for i in range(int(os.environ.get("SSHDOCTOR_KH_CASES", "160")))]

    async def run_all() -> list[list[str]]:
        gate = asyncio.Semaphore(8)
        return await asyncio.gather(*(captured(c, gate) for c in cases))

    real = asyncio.run(run_all())
    mismatches = []
    reordered = 0
    for case, got in zip(cases, real, strict=True):
        want = predicted(case)
        if want != got:
            files = {p: Path(p).read_text() for p in case.files}
            mismatches.append(f"{case}\nwant {want}\ngot  {got}\n{files}")
        default = effective(case.host, port=case.port, config_file=case.config).get("hostkeyalgorithms")
        reordered += got != (default or "").split(",")
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ:\n" + "\n\n".join(mismatches[:3])
    # The cases must exercise the reordering, not just the verbatim list.
    assert reordered >= len(cases) // 5
