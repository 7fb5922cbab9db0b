"""catalog/identify.py: the one place that maps a name or an identification string to a profile."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys

import pytest

from sshdoctor.catalog import identify
from sshdoctor.catalog.identify import NoProfileAtOrBelow, Resolution, for_banner, for_software, resolve
from sshdoctor.catalog.profiles import Profile, Side, all_profiles, get_profile
from sshdoctor.host.compat import CompatUsageError, find_profile
from sshdoctor.model import Banner


def _id(found: Resolution | None) -> str | None:
    return found.profile.id if found is not None else None


# ------------------------------------------------------------------ banners naming a distribution


@pytest.mark.parametrize(("banner", "pid"), [
    ("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10", "ubuntu-22.04"),
    ("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", "debian-12"),
    ("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", "debian-12"),
    ("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.13", "ubuntu-20.04"),
    ("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.9", "ubuntu-24.04"),
    ("SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3", "debian-11"),
])
def test_a_banner_that_names_its_distribution_picks_that_build(banner: str, pid: str) -> None:
    found = for_banner(Banner.parse(banner))
    assert _id(found) == pid
    assert found is not None and found.note is not None and pid in found.note


def test_an_older_package_revision_says_what_it_lacks() -> None:
    old = for_software("OpenSSH_9.2p1 Debian-2+deb12u3")
    new = for_software("OpenSSH_9.2p1 Debian-2+deb12u10")
    assert old is not None and old.note is not None and "deb12u4" in old.note
    assert new is not None and new.note is not None and "predate" not in new.note
    pre = for_software("OpenSSH_8.9p1 Ubuntu-3ubuntu0.4")
    assert _id(pre) == "ubuntu-22.04" and pre is not None and "Terrapin" in (pre.note or "")


def test_a_rhel_banner_says_only_openssh_8_7_and_is_not_guessed() -> None:
    found = for_banner(Banner.parse("SSH-2.0-OpenSSH_8.7"))
    assert _id(found) == "openssh-8.7"
    assert found is not None and found.note is not None
    assert "rhel-9" in found.note and "amazon-linux-2023" in found.note and "does not say" in found.note
    assert _id(for_software("OpenSSH_8.0")) == "openssh-8.0"


def test_a_plain_upstream_banner_is_upstream() -> None:
    found = for_software("OpenSSH_9.9p1")
    assert _id(found) == "openssh-9.9"
    assert _id(for_software("OpenSSH_7.4p1 FreeBSD-20170903")) == "openssh-7.4"


# ------------------------------------------------------------------ command-line names


@pytest.mark.parametrize(("spec", "pid"), [
    ("debian-12", "debian-12"), ("rhel-9", "rhel-9"), ("rocky-9", "rhel-9"), ("almalinux-9-fips", "rhel-9-fips"),
    ("ubuntu-22.04", "ubuntu-22.04"), ("alpine-3.20", "alpine-3.20"), ("amazon-linux-2023", "amazon-linux-2023"),
    ("openssh-9.2", "openssh-9.2"), ("OpenSSH_7.4p1", "openssh-7.4"),
])
def test_profile_ids_and_aliases_need_no_note(spec: str, pid: str) -> None:
    found = find_profile(spec)
    assert found is not None and found[0].id == pid and found[1] is None


@pytest.mark.parametrize(("spec", "pid"), [
    ("rhel-9.4", "rhel-9"), ("rocky-9.3-legacy", "rhel-9-legacy"), ("ubuntu-22.04.3", "ubuntu-22.04"),
])
def test_a_point_release_is_its_release_line(spec: str, pid: str) -> None:
    found = find_profile(spec)
    assert found is not None and found[0].id == pid and found[1] is not None and pid in found[1]


@pytest.mark.parametrize("spec", ["dropbear", "example.org", "build-server-2", "web-01.example.com", "rhel-9.local"])
def test_names_that_may_be_hosts_name_no_profile(spec: str) -> None:
    assert find_profile(spec) is None


@pytest.mark.parametrize(("spec", "pid"), [
    ("JSCH-0.1.54", "jsch-0.1.55"),
    ("Ganymed_262", "ganymed-ssh2-262"),
    ("TrileadSSH2Java_213", "trilead-ssh2-1.0.0-build222"),
    ("PuTTY_Release_0.78", "putty-0.78"),
    ("paramiko_3.4.0", "paramiko-3.4.0"),
    ("AsyncSSH_2.14.0", "asyncssh-2.14.0"),
    ("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10", "ubuntu-22.04"),
    ("SSH-2.0-dropbear_2022.83", "dropbear-2022.83"),
])
def test_a_client_identification_string_is_resolved_and_the_report_says_to_what(spec: str, pid: str) -> None:
    found = find_profile(spec)
    assert found is not None and found[0].id == pid
    _says(found, pid)


def _says(found: tuple[Profile, str | None], pid: str) -> None:
    """The report names the profile: as the endpoint's own name (the release itself), or in the note."""
    if found[1] is None:
        assert found[0].id == pid
    else:
        assert pid in found[1]


def test_go_carries_no_version_and_the_note_says_which_release_stands_in() -> None:
    found = find_profile("Go")
    newest = max((p for p in all_profiles().values() if p.implementation == "go"), key=lambda p: p.version_key())
    assert found is not None and found[0] is newest and found[1] is not None and "no version" in found[1]
    assert find_profile("SSH-2.0-Go") == found


def test_a_version_between_profiles_is_the_nearest_earlier_one(landed: None) -> None:
    found = find_profile("libssh2_1.10.5")
    assert found is not None and found[0].id == "libssh2-1.10.0" and "nearest earlier" in (found[1] or "")


def test_older_than_every_profile_is_a_usage_error() -> None:
    with pytest.raises(NoProfileAtOrBelow):
        resolve("OpenSSH_4.0p1")
    with pytest.raises(CompatUsageError, match="oldest"):
        find_profile("SSH-2.0-OpenSSH_4.0p1")


# ------------------------------------------------------------------ data-driven: implementations profiled elsewhere


def _fake(impl: str, name: str, version: str, patterns: tuple[str, ...]) -> Profile:
    side = Side(lists={})
    return Profile(id=f"{impl}-{version}", implementation=impl, name=name, kind="software", version=version,
                   client=side, server=None, supported=side, banner_patterns=patterns)


FAKE = {
    "libssh2": [_fake("libssh2", "libssh2", v, ("libssh2_*",)) for v in ("1.8.0", "1.10.0", "1.11.1")],
    "node-ssh2": [_fake("node-ssh2", "node ssh2", v, ("ssh2js*",)) for v in ("0.8.9", "1.4.0", "1.16.0")],
    "erlang-ssh": [_fake("erlang-ssh", "Erlang/OTP ssh", v, ("Erlang/*",)) for v in ("24.3", "25.2.3", "26.2")],
    "twisted-conch": [_fake("twisted-conch", "Twisted Conch", v, ("Twisted_*", "Twisted")) for v in ("22.10.0", "24.3.0")],
    "net-ssh": [_fake("net-ssh", "Ruby net-ssh", v, ("Ruby/Net::SSH_*",)) for v in ("6.1.0", "7.0.1")],
}


@pytest.fixture
def landed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Profiles of implementations other engineers are adding, as their banner_patterns will read."""
    real = identify._implementations()
    monkeypatch.setattr(identify, "_implementations", lambda: {**real, **FAKE})


@pytest.mark.parametrize(("spec", "pid"), [
    ("libssh2_1.10.0", "libssh2-1.10.0"),
    ("libssh2_1.9.0", "libssh2-1.8.0"),
    ("ssh2js1.16.0", "node-ssh2-1.16.0"),
    ("ssh2js0.4.10", "node-ssh2-0.8.9"),
    ("Erlang/4.15.2", "erlang-ssh-25.2.3"),
    ("Twisted_26.10.0", "twisted-conch-24.3.0"),
    ("Ruby/Net::SSH_7.0.1", "net-ssh-7.0.1"),
    ("SSH-2.0-Ruby/Net::SSH_7.0.1 x86_64-linux-gnu", "net-ssh-7.0.1"),
    ("SSH-2.0-libssh2_1.11.1", "libssh2-1.11.1"),
])
def test_resolution_follows_banner_patterns_and_quirks(landed: None, spec: str, pid: str) -> None:
    found = find_profile(spec)
    assert found is not None and found[0].id == pid
    _says(found, pid)


def test_a_quirk_applies_only_where_the_profiles_are_numbered_its_way(monkeypatch: pytest.MonkeyPatch) -> None:
    # Erlang profiles numbered by the ssh application's own version: the string's version is used.
    real = identify._implementations()
    by_app = [_fake("erlang-ssh", "Erlang/OTP ssh", v, ("Erlang/*",)) for v in ("4.13", "4.15.2", "5.1")]
    monkeypatch.setattr(identify, "_implementations", lambda: {**real, "erlang-ssh": by_app})
    assert _id(resolve("Erlang/4.15.2")) == "erlang-ssh-4.15.2"


@pytest.mark.parametrize("spec", ["libssh2_1.10.0", "ssh2js1.16.0", "Erlang/4.15.2", "Twisted_26.10.0",
                                  "Ruby/Net::SSH_7.0.1"])
def test_the_real_catalog_resolves_them_once_their_profiles_land(spec: str) -> None:
    software = spec.split(" ", 1)[0]
    if not any(fnmatch.fnmatchcase(software, pat) for p in all_profiles().values() for pat in p.banner_patterns):
        pytest.skip(f"no profile claims {spec} yet")
    found = find_profile(spec)
    assert found is not None and any(fnmatch.fnmatchcase(software, pat) for pat in found[0].banner_patterns)
    _says(found, found[0].id)


# ------------------------------------------------------------------ the command


def test_compat_names_the_profile_it_used_for_a_client_string() -> None:
    proc = subprocess.run([sys.executable, "-m", "sshdoctor", "compat", "JSCH-0.1.54", "rocky-9", "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    doc = json.loads(proc.stdout)
    assert doc["client"] == "jsch-0.1.55" and doc["server"] == "rhel-9"
    assert any("jsch-0.1.55" in n for n in doc["notes"])
    assert get_profile("rhel-9") is not None
