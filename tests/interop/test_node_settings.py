"""The node ssh2 profile's fix advice works: each settings template, rendered and given to connect(), makes
the connection that the library's defaults cannot make (ssh2 1.x, the { append: [...] } form)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import get_profile
from sshdoctor.lab.sshd import Sshd
from sshdoctor.model import Category
from sshdoctor.remedy.actions import setting
from tests.interop.families.node import HERE, NODE, VERSIONS, _module, clients
from tests.interop.lab import require

# case -> (what to append per category, the sshd lists that need exactly that)
CASES: dict[str, tuple[dict[Category, list[str]], dict[str, object]]] = {
    "kex": ({Category.KEX: ["diffie-hellman-group14-sha1"]}, {"kex": "diffie-hellman-group14-sha1"}),
    "hostkey": ({Category.HOSTKEY: ["ssh-dss"]}, {"host_key_algorithms": "ssh-dss", "host_keys": ("dsa",)}),
    "cipher": ({Category.CIPHER: ["3des-cbc"]}, {"ciphers": "3des-cbc"}),
    "mac": ({Category.MAC: ["hmac-md5"]}, {"ciphers": "aes128-ctr", "macs": "hmac-md5"}),
    # Two categories at once: the lines of one piece of advice must not undo each other.
    "kex+cipher": ({Category.KEX: ["diffie-hellman-group14-sha1"], Category.CIPHER: ["3des-cbc"]},
                   {"kex": "diffie-hellman-group14-sha1", "ciphers": "3des-cbc"}),
}
SLOT = {Category.KEX: "kex", Category.HOSTKEY: "hostkey", Category.CIPHER: "cipher_c2s", Category.MAC: "mac_c2s"}
VERSIONS_1X = [v for v in VERSIONS if not v.startswith("0.")]


def _run(version: str, port: int, config: str | None) -> dict[str, object]:
    env = {**os.environ}
    if config is not None:
        env["SSHDOCTOR_SSH2_CONFIG"] = config
    proc = subprocess.run([NODE, str(HERE / "client.js"), _module(version), "127.0.0.1", str(port)], capture_output=True,
                          text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("category", CASES)
@pytest.mark.parametrize("version", VERSIONS_1X)
def test_client_template_enables_the_algorithm(version: str, category: str, interop_keys: Path) -> None:
    require(next(c for c in clients() if c.version == version))
    profile = get_profile(f"node-ssh2-{version}")
    assert profile is not None
    adds, lists = CASES[category]
    # The advice exactly as sshdoctor's fix gives it (remedy.actions.setting fills the templates).
    action = setting(profile, "client", adds, host="127.0.0.1")
    assert action is not None
    rendered = action.text
    with Sshd(key_dir=interop_keys, **lists) as server:  # type: ignore[arg-type]
        before = _run(version, server.port, None)
        after = _run(version, server.port, rendered)
    assert not before["ok"], f"the defaults already connect: {before}"
    assert after["ok"], f"{rendered!r} did not make the connection: {after}"
    chosen = after.get("chosen")
    assert isinstance(chosen, dict)
    for cat, names in adds.items():
        assert chosen[SLOT[cat]] == names[0]
