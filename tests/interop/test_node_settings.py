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
from tests.interop.families.node import HERE, NODE, VERSIONS, _module, clients
from tests.interop.lab import require

# category -> (what to append, the sshd lists that need it and offer nothing else in that category)
CASES: dict[str, tuple[list[str], dict[str, object]]] = {
    "kex": (["diffie-hellman-group14-sha1"], {"kex": "diffie-hellman-group14-sha1"}),
    "hostkey": (["ssh-dss"], {"host_key_algorithms": "ssh-dss", "host_keys": ("dsa",)}),
    "cipher": (["3des-cbc"], {"ciphers": "3des-cbc"}),
    "mac": (["hmac-md5"], {"ciphers": "aes128-ctr", "macs": "hmac-md5"}),
}
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
    names, lists = CASES[category]
    template = profile.settings["client"][category]
    # As sshdoctor's fix advice fills it (remedy.actions: str.format, so {{ }} are literal braces).
    rendered = template.format(squoted=", ".join(f"'{n}'" for n in names), quoted=", ".join(f'"{n}"' for n in names),
                               names=",".join(names), host="127.0.0.1", port=22)
    with Sshd(key_dir=interop_keys, **lists) as server:  # type: ignore[arg-type]
        before = _run(version, server.port, None)
        after = _run(version, server.port, rendered)
    assert not before["ok"], f"the defaults already connect: {before}"
    assert after["ok"], f"{rendered!r} did not make the connection: {after}"
    chosen = after.get("chosen")
    assert isinstance(chosen, dict)
    slot = {"kex": "kex", "hostkey": "hostkey", "cipher": "cipher_c2s", "mac": "mac_c2s"}[category]
    assert chosen[slot] == names[0]
