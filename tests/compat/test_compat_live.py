"""``compat`` with live hosts and the local ssh, checked against the real ssh and sshd.

Nothing here leaves 127.0.0.1: lab sshd and Dropbear servers are started
by the fixtures; the local ssh is run with an isolated configuration.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from sshdoctor.catalog.profiles import get_profile
from sshdoctor.local.sshbin import version
from sshdoctor.local.verify import run_ssh_check
from sshdoctor.model import Proposal
from tests.lab.hostile import HostileServer
from tests.lab.test_bad_input import kexinit_packet, serve_then_hang

LEGACY = {"kex": ["diffie-hellman-group14-sha1"], "host_key_algorithms": ["ssh-rsa"],
          "ciphers": ["aes128-cbc"], "macs": ["hmac-sha1"]}
SSHD_KEY = {"KexAlgorithms": "kex", "HostKeyAlgorithms": "host_key_algorithms", "Ciphers": "ciphers", "MACs": "macs"}


def compat(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "sshdoctor", "compat", *args],
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def compat_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = compat(*args, "--json")
    assert out, err
    return code, json.loads(out)


def _options(ssh_options: list[str]) -> list[str]:
    """``["-o", "A=b", …]`` to ``["A=b", …]``."""
    return [v for i, v in enumerate(ssh_options) if i % 2 == 1]


def test_local_against_legacy_sshd_both_fixes_work_with_the_real_programs(
    sshd: Callable[..., Any], client_config: Callable[[str], str]
) -> None:
    cfg = client_config("")
    server = sshd(**LEGACY)
    code, doc = compat_json("-F", cfg, "local", f"127.0.0.1:{server.port}")
    assert code == 1 and doc["ok"] is False
    assert doc["client"] == "local" and doc["server"] == f"127.0.0.1:{server.port}"
    assert doc["failures"] == ["kex", "hostkey", "cipher"] and doc["first_failure"] == "kex"

    # The real ssh fails the same way ...
    plain = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg)
    assert not plain.negotiated and plain.negotiation_error == "key exchange method"
    # ... and the client-side fix is all it takes.
    client_fix = doc["fix"]["client"]
    assert client_fix["works"] is True
    fixed = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg, extra_options=_options(client_fix["ssh_options"]))
    assert fixed.kex_done, fixed.last_error

    # The server-side fix, written into a real sshd_config, lets the unchanged ssh in.
    server_fix = doc["fix"]["server"]
    assert server_fix["works"] is True and server_fix["supported_known"] is True
    lists = {key: list(values) for key, values in LEGACY.items()}
    for change in server_fix["changes"]:
        lists[SSHD_KEY[change["directive"]]] += change["add"]
    assert server_fix["sshd_config"].count("\n") == len(server_fix["changes"]) >= 3
    upgraded = sshd(**lists)
    code, after = compat_json("-F", cfg, "local", f"127.0.0.1:{upgraded.port}")
    assert code == 0 and after["ok"] is True and after["fix"] == {"client": None, "server": None}
    proof = run_ssh_check("127.0.0.1", port=upgraded.port, config_file=cfg)
    assert proof.kex_done, proof.last_error
    for slot in ("kex", "hostkey", "cipher_c2s"):
        assert proof.chosen.get(slot) == after["chosen"][slot]


def test_matrix_row_of_the_installed_openssh_matches_the_real_ssh(
    sshd: Callable[..., Any], client_config: Callable[[str], str]
) -> None:
    """The matrix predicts openssh-X.Y from the catalog; the installed ssh X.Y must agree."""
    local = version()
    prof = get_profile(f"openssh-{local.major}.{local.minor}")
    assert prof is not None, f"no profile for the installed {local.text}"
    server = sshd(host_key_algorithms=["ssh-rsa"], ciphers=["aes128-cbc", "aes256-ctr"])
    code, doc = compat_json(f"127.0.0.1:{server.port}", "--clients", "openssh-*")
    assert code == 1
    row = next(c for c in doc["clients"] if c["client"] == prof.id)
    cfg = client_config("")
    real = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg)
    if local.at_least(8, 8):  # ssh-rsa left the client's defaults in 8.8
        assert row["ok"] is False and row["failures"] == ["hostkey"]
        assert real.negotiation_error == "host key type"
        assert real.their_offer == ("ssh-rsa",)
        fixed = run_ssh_check("127.0.0.1", port=server.port, config_file=cfg,
                              extra_options=_options(row["fix"]["ssh_options"]))
        assert fixed.kex_done, fixed.last_error
    else:
        assert row["ok"] is True and real.kex_done
    older = next(c for c in doc["clients"] if c["client"] == "openssh-8.7")
    assert older["ok"] is True and older["chosen"]["hostkey"] == "ssh-rsa"


def test_profile_against_dropbear_and_the_matrix_view(dropbear: Callable[..., Any]) -> None:
    server = dropbear()
    target = f"127.0.0.1:{server.port}"
    code, doc = compat_json("openssh-7.4", target)
    assert code == 0 and doc["ok"] is True
    assert "Dropbear" in doc["server_detail"]
    assert doc["reverse"] is None
    code, out, err = compat(target, "--clients", "openssh-7.*,openssh-9.2")
    assert code == 0, err
    assert "OpenSSH" in out and "✔ connects" in out and "client profiles connect" in out


def test_hostile_banner_and_names_are_escaped() -> None:
    evil = "\x1b[2J\x1b]0;pwned\x07"
    offer = Proposal.symmetric(kex=[f"curve25519-sha256{evil}"], hostkey=["ssh-ed25519"], cipher=["aes128-ctr"],
                               mac=["hmac-sha2-256"])
    banner = f"SSH-2.0-Evil{evil}\u202eRTL\r\n".encode()
    with HostileServer(serve_then_hang(banner + kexinit_packet(offer))) as server:
        code, out, err = compat("openssh-9.2", f"127.0.0.1:{server.port}")
        code_json, out_json, _ = compat("openssh-9.2", f"127.0.0.1:{server.port}", "--json")
    assert code == 1 and code_json == 1, err
    for text in (out, err, out_json):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2J" in out
    doc = json.loads(out_json)
    assert doc["failures"] == ["kex"]


def test_unreachable_host_gives_the_probe_exit_code() -> None:
    code, out, err = compat("openssh-9.2", "127.0.0.1:1")
    assert code == 11 and out == "" and err.count("\n") == 1
