"""Distribution profiles (``data/profiles/distro-*.toml``): an upstream profile plus the distribution's changes.

The static tests check the loader's list edits, that every distribution
profile resolves, cites its sources and keeps the upstream ids as they
were. The live tests hold the Debian 12 profiles against the Debian 12
programs installed here (ssh, sshd, dbclient, dropbear, plink): the real
KEXINIT must equal ``debian-12``, ``debian-12-dropbear`` and
``debian-12-putty`` exactly, strict-kex markers included.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import (
    Side,
    all_profiles,
    apply_edit,
    distribution_profiles,
    get_profile,
    profile_sources,
)
from sshdoctor.lab.dropbear import Dropbear
from sshdoctor.model import Category, Target
from sshdoctor.wire.probe import probe
from tests.compat.record import record_client
from tests.compat.test_profiles_real import assert_matches
from tests.conftest import need

DATA = Path(__file__).resolve().parents[2] / "src" / "sshdoctor" / "catalog" / "data" / "profiles"
DISTRO_FILES = sorted(DATA.glob("distro-*.toml"))


def _side(pid: str, side: str) -> Side:
    prof = get_profile(pid)
    assert prof is not None, pid
    got = getattr(prof, side)
    assert isinstance(got, Side), f"{pid} has no {side} side"
    return got


# ------------------------------------------------------------------ list edits


def test_a_plain_list_replaces_and_a_table_edits_in_a_fixed_order() -> None:
    base = ("a", "b", "c")
    assert apply_edit(base, ["x"]) == ("x",)
    assert apply_edit(base, {"before": {"b": ["x"]}}) == ("a", "x", "b", "c")
    assert apply_edit(base, {"after": {"b": ["x", "y"]}}) == ("a", "b", "x", "y", "c")
    assert apply_edit(base, {"remove": ["b"], "append": ["z"], "prepend": ["y"]}) == ("y", "a", "c", "z")
    assert apply_edit(base, {"keep": ["c", "a"]}) == ("a", "c")
    assert apply_edit(base, {"set": ["q"], "append": ["r"]}) == ("q", "r")
    # An inserted name already present moves rather than repeats.
    assert apply_edit(base, {"append": ["a"]}) == ("b", "c", "a")


@pytest.mark.parametrize("change", [{"before": {"nope": ["x"]}}, {"remove": ["nope"]}, {"insert": ["x"]}])
def test_an_edit_that_cannot_apply_is_a_data_error(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        apply_edit(("a", "b"), change)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the files


@pytest.mark.parametrize("path", DISTRO_FILES, ids=lambda p: p.name)
def test_every_source_is_defined_and_cited(path: Path) -> None:
    doc = tomllib.loads(path.read_text("utf-8"))
    assert {"id", "name"} <= set(doc["distribution"])
    sources = doc.get("sources", {})
    cited: set[str] = set()
    for entry in doc["profile"]:
        assert entry["sources"], entry["id"]
        assert entry["id"].startswith(doc["distribution"]["id"] + "-"), entry["id"]
        cited.update(entry["sources"])
    assert cited <= set(sources), f"undefined sources {sorted(cited - set(sources))}"
    assert set(sources) <= cited, f"sources defined but never cited: {sorted(set(sources) - cited)}"
    for sid, src in sources.items():
        assert src["title"].strip() and src["url"].startswith("https://"), sid


def test_every_distribution_profile_resolves_and_names_its_base() -> None:
    distros = distribution_profiles()
    assert {"debian-12", "debian-12-dropbear", "debian-12-putty", "ubuntu-20.04", "ubuntu-22.04", "ubuntu-24.04",
            "rhel-8", "rhel-9", "rhel-9-legacy", "rhel-9-future", "rhel-9-fips", "rhel-9-default-sha1", "rhel-10",
            "amazon-linux-2023", "alpine-3.19", "alpine-3.20", "alpine-3.21"} <= set(distros)
    sources = profile_sources()
    for pid, prof in distros.items():
        assert prof.base is not None and (prof.base in all_profiles() or prof.base in distros), pid
        assert prof.distribution and prof.distribution in prof.label, pid
        assert prof.client is not None or prof.server is not None, pid
        assert all(s in sources for s in prof.sources), pid
        # The identification string the profile says its build sends is the first banner pattern.
        assert prof.banner_patterns and " " not in prof.banner_patterns[0].split(" ", 1)[0], pid


def test_upstream_ids_keep_their_upstream_profiles() -> None:
    upstream = all_profiles()
    assert not set(upstream) & set(distribution_profiles()), "a distribution id shadows an upstream one"
    assert all(p.distribution is None for p in upstream.values())
    prof = get_profile("openssh-9.2")
    assert prof is not None and prof.client is not None and prof.server is not None
    assert prof.client.pseudo == ("ext-info-c",) and "sntrup761x25519-sha512" not in prof.client.lists[Category.KEX]
    assert get_profile("OpenSSH_9.2p1") is prof


def test_debian_12_is_upstream_9_2_plus_exactly_the_two_backports() -> None:
    up, deb = get_profile("openssh-9.2"), get_profile("debian-12")
    assert up is not None and deb is not None and deb.base == "openssh-9.2" and deb.implementation == "openssh"
    for side, marker in (("client", "kex-strict-c-v00@openssh.com"), ("server", "kex-strict-s-v00@openssh.com")):
        a, b = getattr(up, side), getattr(deb, side)
        assert b.pseudo == (*a.pseudo, marker)
        kex = list(a.lists[Category.KEX])
        kex.insert(kex.index("sntrup761x25519-sha512@openssh.com"), "sntrup761x25519-sha512")
        assert list(b.lists[Category.KEX]) == kex
        assert {c: v for c, v in b.lists.items() if c is not Category.KEX} == \
               {c: v for c, v in a.lists.items() if c is not Category.KEX}
    assert "sntrup761x25519-sha512" in deb.supported.lists[Category.KEX]
    assert deb.label == "OpenSSH 9.2p1 (Debian 12)"


def test_rocky_and_alma_are_rhel() -> None:
    for alias in ("rocky-9", "almalinux-9", "alma-9", "Rocky-9"):
        assert get_profile(alias) is get_profile("rhel-9"), alias
    assert get_profile("rocky-9-legacy") is get_profile("rhel-9-legacy")
    assert get_profile("alma-8") is get_profile("rhel-8")


def test_rhel_9_records_that_sha1_signatures_are_refused_below_ssh() -> None:
    default, sha1, legacy = get_profile("rhel-9"), get_profile("rhel-9-default-sha1"), get_profile("rhel-9-legacy")
    assert default is not None and sha1 is not None and legacy is not None
    assert "sha1-signatures-refused" in default.flags and "crypto-policy" in default.flags
    assert "sha1-signatures-refused" not in sha1.flags and "sha1-signatures-refused" not in legacy.flags
    assert any("+ssh-rsa" in n and "DEFAULT:SHA1" in n for n in default.notes)
    assert default.server is not None and sha1.server is not None
    assert "ssh-rsa" not in default.server.lists[Category.HOSTKEY]
    assert "ssh-rsa" not in default.supported.lists[Category.HOSTKEY]
    assert "ssh-rsa" in sha1.server.lists[Category.HOSTKEY] and "ssh-rsa" in sha1.supported.lists[Category.HOSTKEY]
    assert sha1.server.lists[Category.KEX][-2:] == ("diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1")
    fips = get_profile("rhel-9-fips")
    assert fips is not None and fips.server is not None and "fips-mode" in fips.flags
    assert not {"ssh-ed25519", "chacha20-poly1305@openssh.com", "curve25519-sha256"} & {
        n for names in fips.server.lists.values() for n in names}


def test_identification_globs_name_their_own_build_and_no_other() -> None:
    distros = distribution_profiles()
    for pid, prof in distros.items():
        if prof.identifies:
            assert any(fnmatch.fnmatchcase(prof.banner_patterns[0], i.pattern) for i in prof.identifies), pid
        for other in distros.values():
            if other.id != pid and other.identifies:
                assert not any(fnmatch.fnmatchcase(prof.banner_patterns[0], i.pattern) for i in other.identifies), \
                    f"{other.id} claims {pid}'s banner"


# ------------------------------------------------------------------ the Debian 12 programs installed here


def _isolated_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def _debian_package(name: str) -> str | None:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True, check=False)
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def _need_debian_12_openssh() -> None:
    version = _debian_package("openssh-client") if shutil.which("dpkg-query") else None
    need(version, "Debian 12's openssh-client")
    assert version is not None
    m = re.match(r"1:9\.2p1-2\+deb12u(\d+)$", version)
    if m is None or int(m[1]) < 4:
        pytest.skip(f"openssh-client {version} is not Debian 12's 1:9.2p1-2+deb12u4 or later")


def test_debian_12_ssh_sends_the_debian_12_client_profile(tmp_path: Path) -> None:
    _need_debian_12_openssh()
    ssh = shutil.which("ssh")
    assert ssh is not None
    hello = record_client([ssh, "-F", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                           "-o", f"UserKnownHostsFile={tmp_path / 'kh'}", "-p", "{port}", "sshdoctor@127.0.0.1", "true"],
                          env=_isolated_env(tmp_path))
    assert hello.banner is not None and hello.proposal is not None, hello.error
    assert fnmatch.fnmatchcase(hello.banner.software + " " + hello.banner.comments, "OpenSSH_9.2p1 Debian-2+deb12u*")
    assert_matches(hello.proposal, _side("debian-12", "client"))


def test_debian_12_sshd_sends_the_debian_12_server_profile(key_dir: Path) -> None:
    _need_debian_12_openssh()
    from sshdoctor.lab.sshd import Sshd, sshd_path

    need(sshd_path(), "Debian 12's sshd")
    # sshd's own default HostKey order (RSA, ECDSA, Ed25519) decides its host key list's order.
    with Sshd(key_dir=key_dir, host_keys=("rsa", "ecdsa", "ed25519")) as server:
        result = asyncio.run(probe(Target(server.host, server.port), timeout=15))
    assert_matches(result.proposal, _side("debian-12", "server"))


def test_debian_12_dbclient_and_dropbear_send_the_debian_12_dropbear_profile(
    tmp_path: Path, dropbear: Callable[..., Dropbear]
) -> None:
    version = _debian_package("dropbear-bin")
    if version is None or not version.startswith("2022.83-1+deb12"):
        need(None, "Debian 12's dropbear-bin")
    dbclient = shutil.which("dbclient")
    assert dbclient is not None
    hello = record_client([dbclient, "-y", "-p", "{port}", "127.0.0.1", "true"], env=_isolated_env(tmp_path))
    assert hello.proposal is not None, hello.error
    assert_matches(hello.proposal, _side("debian-12-dropbear", "client"))
    server = dropbear(host_keys=("ed25519", "ecdsa", "rsa"))
    result = asyncio.run(probe(Target("127.0.0.1", server.port), timeout=10))
    assert_matches(result.proposal, _side("debian-12-dropbear", "server"),
                   hostkey_filter={"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256", "ssh-rsa"})


def test_debian_12_plink_sends_the_debian_12_putty_profile(tmp_path: Path) -> None:
    version = _debian_package("putty-tools")
    if version is None or not version.startswith("0.78-2+deb12"):
        need(None, "Debian 12's putty-tools")
    plink = shutil.which("plink")
    assert plink is not None
    hello = record_client([plink, "-batch", "-ssh", "-P", "{port}", "127.0.0.1", "true"], env=_isolated_env(tmp_path))
    assert hello.proposal is not None, hello.error
    assert_matches(hello.proposal, _side("debian-12-putty", "client"))
