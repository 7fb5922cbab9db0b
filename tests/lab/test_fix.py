"""`sshdoctor fix` against lab servers set up like legacy devices.

The ssh_options from `fix --json` must make the real ssh complete key
exchange in one go, and every added algorithm must be the strongest one
the server offers that the local ssh supports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.catalog import algorithm
from sshdoctor.local.verify import run_ssh_check
from sshdoctor.model import Category
from sshdoctor.remedy.strength import strength_key

LEGACY = {
    "legacy-kex": {"kex": ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"]},
    "dss-only": {"host_key_algorithms": ["ssh-dss"]},
    "ssh-rsa-only": {"host_key_algorithms": ["ssh-rsa"]},
    "cbc-only": {"ciphers": ["aes128-cbc", "aes256-cbc"]},
    "3des-only": {"ciphers": ["3des-cbc"]},
    "md5-only": {"ciphers": ["aes128-ctr"], "macs": ["hmac-md5", "hmac-md5-96"]},
    "sha1-96-only": {"ciphers": ["aes128-ctr"], "macs": ["hmac-sha1-96"]},
    "everything-old": {
        "kex": ["diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1"],
        "host_key_algorithms": ["ssh-dss", "ssh-rsa"],
        "ciphers": ["3des-cbc", "aes128-cbc"],
        "macs": ["hmac-md5", "hmac-sha1-96"],
    },
}

DIRECTIVE_CATEGORY = {c.directive: c for c in Category}
SERVER_KEY = {"kex": "kex", "host_key_algorithms": "hostkey", "ciphers": "cipher", "macs": "mac"}


def fix_json(target: str, cfg: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "sshdoctor", "fix", "--json", "-F", cfg, target],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("case", sorted(LEGACY))
def test_fix_makes_real_ssh_complete_key_exchange(
    case: str, sshd: Callable[..., Any], client_config: Callable[[str], str]
) -> None:
    server = sshd(**LEGACY[case])
    cfg = client_config("")
    before = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg)
    assert not before.kex_done, "the legacy server must really fail first"
    code, doc = fix_json(server.target, cfg)
    assert code == 0, doc
    assert doc["verified"] is True
    assert doc["changes"], doc
    # The options alone, with the real ssh, complete key exchange.
    options = doc["ssh_options"]
    assert options[::2] == ["-o"] * (len(options) // 2)
    after = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg, extra_options=options[1::2])
    assert after.kex_done and after.reached_auth, after.last_error
    # Each added algorithm is the strongest the server offers that the local ssh supports.
    offered = {k: v for k, v in LEGACY[case].items()}
    for change in doc["changes"]:
        category = DIRECTIVE_CATEGORY.get(change["directive"])
        if category is None:
            continue  # PubkeyAcceptedAlgorithms rides along with ssh-rsa
        server_key = next(k for k, v in SERVER_KEY.items() if v == category.value)
        candidates = offered.get(server_key)
        assert candidates, f"{change} added for a category the server did not restrict"
        best = min(candidates, key=lambda n: strength_key(category, n))
        assert change["add"] == [best], (change, candidates)
        assert algorithm(category, best).rating.value in ("acceptable", "weak", "broken")
    assert len(doc["risks"]) == sum(len(c["add"]) for c in doc["changes"])


def test_choice_prefers_stronger_legacy_algorithm(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd(kex=["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"], ciphers=["3des-cbc", "aes128-cbc"])
    code, doc = fix_json(server.target, client_config(""))
    assert code == 0
    adds = {c["directive"]: c["add"] for c in doc["changes"]}
    assert adds["KexAlgorithms"] == ["diffie-hellman-group14-sha1"]
    assert adds["Ciphers"] == ["aes128-cbc"]
    assert "ssh_config" in doc and doc["ssh_config"].startswith("# added by sshdoctor")
    assert "Host 127.0.0.1\n" in doc["ssh_config"]


def test_nothing_to_fix(sshd: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = sshd()
    code, doc = fix_json(server.target, client_config(""))
    assert code == 0
    assert doc["changes"] == [] and doc["ssh_options"] == []
    assert doc["needed"] is False


def test_user_config_list_is_kept_on_the_command_line(
    sshd: Callable[..., Any], client_config: Callable[[str], str]
) -> None:
    # The user's own Ciphers line would be dropped by a "+x" relative to the
    # defaults on the command line; the fix must spell the list out instead.
    server = sshd(ciphers=["aes128-cbc", "aes256-gcm@openssh.com"], macs=["hmac-sha2-256"])
    cfg = client_config("Host 127.0.0.1\n    Ciphers chacha20-poly1305@openssh.com\n")
    code, doc = fix_json(server.target, cfg)
    assert code == 0, doc
    opt = next(o for o in doc["ssh_options"] if o.startswith("Ciphers="))
    assert opt.startswith("Ciphers=chacha20-poly1305@openssh.com,")
    assert doc["changes"] == [{"directive": "Ciphers", "add": ["aes256-gcm@openssh.com"]}]  # strongest offered
    assert doc["verified"] is True


def test_dropbear_needs_no_fix_and_is_verified(dropbear: Callable[..., Any], client_config: Callable[[str], str]) -> None:
    server = dropbear(host_keys=("ed25519",))
    code, doc = fix_json(server.target, client_config(""))
    assert code == 0
    assert doc["needed"] is False


@pytest.mark.parametrize("key", ["rsa", "ed25519", None])
def test_pre_rfc8332_server_gets_pubkey_ssh_rsa_only_for_an_rsa_key(key: str | None, tmp_path: Path,
                                                                   client_config: Callable[[str], str]) -> None:
    from sshdoctor.lab.asyncssh_server import AsyncsshServer
    from sshdoctor.lab.keys import host_key

    identity = f"IdentityFile {host_key(tmp_path, key)}\n" if key else "IdentityFile /nonexistent/key\n"
    with AsyncsshServer(version="OpenSSH_6.6.1", pseudo=False, hostkey=["ssh-rsa"],
                        kex=["diffie-hellman-group14-sha1"], cipher=["aes128-ctr"], mac=["hmac-sha1"]) as server:
        code, doc = fix_json(server.target, client_config(f"Host *\n    {identity}"))
    assert code == 0, doc
    adds = {c["directive"]: c["add"] for c in doc["changes"]}
    assert adds["HostKeyAlgorithms"] == ["ssh-rsa"]
    if key == "rsa":
        assert adds["PubkeyAcceptedAlgorithms"] == ["ssh-rsa"]
        assert any("RSA key signs logins" in r for r in doc["risks"])
    else:
        # Without an RSA key the line would change nothing: it is not offered.
        assert "PubkeyAcceptedAlgorithms" not in adds


def test_unfixable_cipher_lists_what_can_work(client_config: Callable[[str], str]) -> None:
    from sshdoctor.lab.asyncssh_server import AsyncsshServer

    with AsyncsshServer(cipher=["arcfour256", "arcfour"], kex=["diffie-hellman-group14-sha1"], mac=["hmac-sha1"]) as server:
        code, doc = fix_json(server.target, client_config(""))
    assert code == 9
    assert doc["unfixable"] == ["cipher"]
    assert doc["verified"] is False
    alternatives = doc["alternatives"]["cipher"]
    assert any("OpenSSH 7.5" in a for a in alternatives)  # arcfour left OpenSSH in 7.6
