"""The catalog's profiles of the programs installed here, held against those programs.

OpenSSH 9.2 (ssh -Q, ssh -G, sshd -T and both KEXINITs) is checked in
tests/catalog/test_openssh_profiles.py; this file adds Dropbear 2022.83
(server probed, dbclient recorded), plink 0.78, paramiko and AsyncSSH (their
KEXINIT recorded by ``wire.listener``), and the compat engine's verdict for
openssh-9.2 checked against the real ssh 9.2.

Debian's builds differ from upstream in exactly these ways, and only these
are allowed:

* dropbear-bin 2022.83-1+deb12u1 (CVE-2023-48795, Terrapin) backports strict
  key exchange: the server appends ``kex-strict-s-v00@openssh.com`` and
  dbclient ``kex-strict-c-v00@openssh.com`` to the kex list. Upstream has
  them from 2024.84 on.
* putty-tools 0.78-2+deb12u1 (CVE-2023-48795) backports "Support OpenSSH's
  new strict kex feature": plink appends ``kex-strict-c-v00@openssh.com``.
  Upstream has it from 0.80 on.

A profile the catalog does not have yet makes its test skip with the lists
the program really sent, so the gap is visible in the test report.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.catalog import is_pseudo
from sshdoctor.catalog.profiles import Profile, Side, get_profile
from sshdoctor.model import Category, Proposal, Slot, Target
from sshdoctor.wire.probe import probe
from tests.compat.record import record_client
from tests.conftest import need

STRICT_C = "kex-strict-c-v00@openssh.com"
STRICT_S = "kex-strict-s-v00@openssh.com"

_SLOTS = {
    Category.KEX: (Slot.KEX,),
    Category.HOSTKEY: (Slot.HOSTKEY,),
    Category.CIPHER: (Slot.CIPHER_C2S, Slot.CIPHER_S2C),
    Category.MAC: (Slot.MAC_C2S, Slot.MAC_S2C),
    Category.COMPRESSION: (Slot.COMPRESSION_C2S, Slot.COMPRESSION_S2C),
}


def _lists(proposal: Proposal) -> str:
    return "; ".join(f"{slot.value}={','.join(proposal.get(slot))}" for slot in Slot)


def profile_or_skip(pid: str, side: str, seen: Proposal | None = None) -> Side:
    prof = get_profile(pid)
    got = getattr(prof, side) if prof is not None else None
    if got is None:
        extra = f"; the program sent: {_lists(seen)}" if seen is not None else ""
        pytest.skip(f"the catalog has no {side} side for {pid} yet{extra}")
    assert isinstance(got, Side)
    return got


def assert_matches(seen: Proposal, side: Side, *, debian_pseudo: tuple[str, ...] = (),
                   hostkey_filter: set[str] | None = None) -> None:
    """Every list as sent equals the profile; pseudo names may have the Debian additions.

    An empty name (libssh 0.10 ends its cipher lists with a comma) matches nothing on either side and is
    not an algorithm: it is left out of the comparison.
    """
    seen = Proposal(**{slot.value: tuple(n for n in seen.get(slot) if n) for slot in Slot})
    kex = list(seen.kex)
    real = [k for k in kex if not is_pseudo(k)]
    pseudo = [k for k in kex if is_pseudo(k)]
    assert real == list(side.lists[Category.KEX]), "kex differs from the profile"
    allowed = [list(side.pseudo), [*side.pseudo, *(p for p in debian_pseudo if p not in side.pseudo)]]
    assert pseudo in allowed, f"pseudo names {pseudo} differ from the profile's {list(side.pseudo)}"
    want_hostkey = list(side.lists[Category.HOSTKEY])
    if hostkey_filter is not None:  # a server offers only what its loaded keys allow
        want_hostkey = [n for n in want_hostkey if n in hostkey_filter]
    assert list(seen.hostkey) == want_hostkey, "host key list differs from the profile"
    for category in (Category.CIPHER, Category.MAC, Category.COMPRESSION):
        for slot in _SLOTS[category]:
            assert list(seen.get(slot)) == list(side.lists[category]), f"{slot.value} differs from the profile"


def _isolated_home(tmp_path: Path) -> dict[str, str]:
    """No saved sessions, host keys or config of the user's may shape the client's proposal."""
    home = tmp_path / "home"
    home.mkdir()
    return {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


# ------------------------------------------------------------------ Dropbear 2022.83

# Host-key algorithms each key type the lab Dropbear loads makes possible
# (the lab's ECDSA key is P-256).
DROPBEAR_KEY_ALGORITHMS = {
    "ed25519": {"ssh-ed25519"},
    "ecdsa": {"ecdsa-sha2-nistp256"},
    "rsa": {"rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"},
}


def _dropbear_version() -> str | None:
    path = shutil.which("dropbear") or "/usr/sbin/dropbear"
    if not os.access(path, os.X_OK):
        return None
    import subprocess

    out = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=10)
    text = out.stderr + out.stdout
    return text.split("v", 1)[1].split()[0] if "Dropbear v" in text else None


def test_dropbear_server_offer_matches_profile(dropbear: Callable[..., Any]) -> None:
    version = _dropbear_version()
    if version != "2022.83":
        pytest.skip(f"installed Dropbear is {version}, not 2022.83")
    keys = ("ed25519", "ecdsa", "rsa")
    server = dropbear(host_keys=keys)
    import asyncio

    result = asyncio.run(probe(Target("127.0.0.1", server.port), timeout=10))
    assert result.banner.software == "dropbear_2022.83"
    side = profile_or_skip("dropbear-2022.83", "server", result.proposal)
    allowed = set().union(*(DROPBEAR_KEY_ALGORITHMS[k] for k in keys))
    assert_matches(result.proposal, side, debian_pseudo=(STRICT_S,), hostkey_filter=allowed)


def test_dbclient_kexinit_matches_profile(tmp_path: Path) -> None:
    dbclient = shutil.which("dbclient")
    need(dbclient, "Dropbear's dbclient")
    assert dbclient is not None
    hello = record_client([dbclient, "-y", "-p", "{port}", "127.0.0.1", "true"], env=_isolated_home(tmp_path))
    assert hello.banner is not None and hello.proposal is not None, hello.error
    if hello.banner.software != "dropbear_2022.83":
        pytest.skip(f"installed dbclient is {hello.banner.software}, not 2022.83")
    side = profile_or_skip("dropbear-2022.83", "client", hello.proposal)
    assert_matches(hello.proposal, side, debian_pseudo=(STRICT_C,))


# ------------------------------------------------------------------ PuTTY 0.78 (plink)


def test_plink_kexinit_matches_profile(tmp_path: Path) -> None:
    plink = shutil.which("plink")
    need(plink, "plink (putty-tools)")
    assert plink is not None
    hello = record_client([plink, "-batch", "-ssh", "-P", "{port}", "127.0.0.1", "true"], env=_isolated_home(tmp_path))
    assert hello.banner is not None and hello.proposal is not None, hello.error
    if hello.banner.software != "PuTTY_Release_0.78":
        pytest.skip(f"installed plink is {hello.banner.software}, not 0.78")
    side = profile_or_skip("putty-0.78", "client", hello.proposal)
    assert_matches(hello.proposal, side, debian_pseudo=(STRICT_C,))


# ------------------------------------------------------------------ paramiko, AsyncSSH

PARAMIKO_CLIENT = """
import sys, paramiko
t = paramiko.Transport(("127.0.0.1", int(sys.argv[1])))
try:
    t.start_client(timeout=10)
except Exception:
    pass
"""

ASYNCSSH_CLIENT = """
import asyncio, sys, asyncssh
async def main():
    try:
        await asyncssh.connect("127.0.0.1", int(sys.argv[1]), known_hosts=None)
    except Exception:
        pass
asyncio.run(main())
"""


def _library_profile(implementation: str, version: str) -> Profile | None:
    """The profile of exactly this release (x.y.z, else x.y)."""
    parts = version.split(".")
    for candidate in (version, ".".join(parts[:2])):
        prof = get_profile(f"{implementation}-{candidate}")
        if prof is not None and prof.implementation == implementation:
            return prof
    return None


@pytest.mark.parametrize(("module", "implementation", "script"), [
    ("paramiko", "paramiko", PARAMIKO_CLIENT),
    ("asyncssh", "asyncssh", ASYNCSSH_CLIENT),
])
def test_library_client_kexinit_matches_profile(module: str, implementation: str, script: str, tmp_path: Path) -> None:
    lib = pytest.importorskip(module)
    version = str(lib.__version__)
    hello = record_client([sys.executable, "-c", script, "{port}"], env=_isolated_home(tmp_path))
    assert hello.banner is not None and hello.proposal is not None, hello.error
    assert version in hello.banner.software, hello.banner.raw
    prof = _library_profile(implementation, version)
    if prof is None:
        pytest.skip(f"the catalog has no {implementation} {version} profile; it sent: {_lists(hello.proposal)}")
    side = profile_or_skip(prof.id, "client", hello.proposal)
    assert_matches(hello.proposal, side)


def test_the_comparison_itself_catches_differences() -> None:
    """The checks above skip while a profile is missing; the comparison they use must still bite."""
    side = Side(lists={Category.KEX: ("curve25519-sha256",), Category.HOSTKEY: ("ssh-ed25519", "rsa-sha2-256"),
                       Category.CIPHER: ("aes128-ctr",), Category.MAC: ("hmac-sha2-256",),
                       Category.COMPRESSION: ("none",)}, pseudo=("ext-info-c",))
    sent = side.proposal()
    assert_matches(sent, side)
    assert_matches(sent.with_slot(Slot.KEX, [*sent.kex, STRICT_C]), side, debian_pseudo=(STRICT_C,))
    assert_matches(sent.with_slot(Slot.HOSTKEY, ["rsa-sha2-256"]), side, hostkey_filter={"rsa-sha2-256"})
    for bad in (
        sent.with_slot(Slot.KEX, [*sent.kex, STRICT_C]),  # a pseudo name not allowed here
        sent.with_slot(Slot.KEX, ["diffie-hellman-group14-sha1", *sent.kex]),
        sent.with_slot(Slot.HOSTKEY, ["rsa-sha2-256", "ssh-ed25519"]),  # order matters
        sent.with_slot(Slot.CIPHER_S2C, ["aes256-ctr"]),
        sent.with_slot(Slot.COMPRESSION_C2S, ["none", "zlib"]),
    ):
        with pytest.raises(AssertionError):
            assert_matches(bad, side)
