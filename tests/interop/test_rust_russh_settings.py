"""The russh profile's fix advice compiles and works: the lab harness rebuilt with the advice for every
category at once (as sshdoctor's fix renders it) connects to servers that the defaults cannot reach.

One build per russh version, against the lab's already-built dependencies (cargo --offline).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import get_profile
from sshdoctor.lab.sshd import Sshd
from sshdoctor.model import Category
from sshdoctor.remedy.actions import setting
from tests.interop.families.rust import VERSIONS, clients
from tests.interop.harness import ROOT, prefix
from tests.interop.lab import require

MARK = "// sshdoctor:client-settings"
# Names each version supports but leaves out of its defaults (0.65 has every host key type it can
# do by default, 0.44 every MAC).
ADDS = {
    "0.44.1": {Category.KEX: ["diffie-hellman-group14-sha1"], Category.HOSTKEY: ["ecdsa-sha2-nistp384"],
               Category.CIPHER: ["aes128-cbc"]},
    "0.65.1": {Category.KEX: ["diffie-hellman-group14-sha1"], Category.CIPHER: ["aes128-cbc"],
               Category.MAC: ["hmac-sha1"]},
}
SERVERS: dict[Category, dict[str, object]] = {
    Category.KEX: {"kex": "diffie-hellman-group14-sha1"},
    Category.HOSTKEY: {"host_key_algorithms": ["ecdsa-sha2-nistp384"]},
    Category.CIPHER: {"ciphers": "aes128-cbc"},
    Category.MAC: {"ciphers": "aes128-ctr", "macs": "hmac-sha1"},
}
SLOT = {Category.KEX: "kex", Category.HOSTKEY: "hostkey", Category.CIPHER: "cipher_c2s", Category.MAC: "mac_c2s"}


def _adds(version: str) -> dict[Category, list[str]]:
    return ADDS[version]


def _advice(version: str) -> str:
    profile = get_profile(f"russh-{version}")
    assert profile is not None
    action = setting(profile, "client", _adds(version))
    assert action is not None
    text = action.text
    if version.startswith("0.44"):
        # The profile's `where` says so: 0.44 names host key algorithms with russh-keys' Name.
        text = text.replace("russh::keys::Algorithm::new(n).unwrap()", "russh::keys::key::Name::try_from(n).unwrap()")
    return text


def _build(version: str, work: Path) -> Path:
    short = version.rsplit(".", 1)[0]
    binary = VERSIONS[version]
    src = ROOT / "interop" / "rust" / f"russh-{short}"
    crate = work / "crate"
    (crate / "src").mkdir(parents=True)
    shutil.copytree(ROOT / "interop" / "rust" / "common", work / "common")
    shutil.copy(src / "Cargo.lock", crate / "Cargo.lock")
    name = f"{binary}-settings"
    (crate / "Cargo.toml").write_text((src / "Cargo.toml").read_text().replace(f'"{binary}"', f'"{name}"')
                                      .replace(f'name = "russh-lab-{short.replace(".", "")}"', f'name = "{name}"'))
    main = (src / "src" / "main.rs").read_text()
    assert MARK in main
    # The whole marker line becomes the advice, one statement per line, in the block that built `config`.
    lines = [_advice(version) if MARK in line else line for line in main.splitlines()]
    (crate / "src" / "main.rs").write_text("\n".join(lines) + "\n")
    cargo = Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo") / "bin" / "cargo"
    lab = prefix("rust")
    env = {**os.environ, "CARGO_HOME": str(lab / "cargo-home"), "CARGO_TARGET_DIR": str(lab / "target"),
           "RUSTUP_HOME": os.environ.get("RUSTUP_HOME") or str(Path.home() / ".rustup")}
    proc = subprocess.run([str(cargo), "build", "--release", "--offline", "--quiet", "--manifest-path",
                           str(crate / "Cargo.toml")], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, f"the advice does not compile:\n{_advice(version)}\n{proc.stderr[-3000:]}"
    return lab / "target" / "release" / name


def _run(binary: Path, port: int) -> dict[str, object]:
    proc = subprocess.run([str(binary), "client", "127.0.0.1", str(port)], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("version", list(VERSIONS))
def test_client_advice_compiles_and_connects(version: str, interop_keys: Path, tmp_path: Path) -> None:
    client = next(c for c in clients() if c.version == version)
    require(client)
    built = _build(version, tmp_path)
    problems = []
    for category in _adds(version):
        with Sshd(key_dir=interop_keys, **SERVERS[category]) as server:  # type: ignore[arg-type]
            before = _run(Path(client.argv[0]), server.port)
            after = _run(built, server.port)
        if before["ok"]:
            problems.append(f"{category.value}: the defaults already connect")
        chosen = after.get("chosen")
        if not after["ok"] or not isinstance(chosen, dict):
            problems.append(f"{category.value}: still fails with the advice: {after.get('error')}")
        elif chosen.get(SLOT[category]) != _adds(version)[category][0]:
            problems.append(f"{category.value}: chose {chosen.get(SLOT[category])}")
    built.unlink(missing_ok=True)
    assert not problems, "\n".join(problems)
