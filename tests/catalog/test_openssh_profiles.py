"""Checks of the OpenSSH release profiles in ``catalog/data/profiles/openssh.toml``.

The static tests read the file with ``tomllib``, resolve ``base`` inheritance
themselves and check that every release is complete and self-consistent.

The live tests hold the 9.2 profile against the OpenSSH 9.2p1 installed here
(Debian 12): ``ssh -Q``, ``ssh -G``, ``sshd -T`` and the KEXINIT messages that
the real ``ssh`` and ``sshd`` send on 127.0.0.1.  They skip when the programs
are missing or are not version 9.2.  Nothing leaves 127.0.0.0/8.

Debian's 9.2p1 package is not upstream 9.2, and the profile records upstream.
The live tests therefore allow exactly these two Debian changes, nothing else:

* the Terrapin fix (CVE-2023-48795) backported in 1:9.2p1-2+deb12u2, which
  appends ``kex-strict-c-v00@openssh.com`` (client) and
  ``kex-strict-s-v00@openssh.com`` (server) to the KEXINIT kex list;
* 1:9.2p1-2+deb12u4 (Debian bug #1088873), which adds the key exchange name
  ``sntrup761x25519-sha512`` (without ``@openssh.com``) to what ``ssh -Q kex``
  lists and puts it just before ``sntrup761x25519-sha512@openssh.com`` in the
  default client and server kex lists.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import time
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

PROFILE = Path(__file__).resolve().parents[2] / "src" / "sshdoctor" / "catalog" / "data" / "profiles" / "openssh.toml"

SIDES: dict[str, tuple[str, ...]] = {
    "client": ("kex", "pseudo", "hostkey", "cipher", "mac", "compression"),
    "server": ("kex", "pseudo", "hostkey", "cipher", "mac", "compression"),
    "supported": ("kex", "hostkey", "cipher", "mac", "compression"),
}
PSEUDO = {
    "client": {"ext-info-c", "kex-strict-c-v00@openssh.com"},
    "server": {"ext-info-s", "kex-strict-s-v00@openssh.com"},
}
ALL_PSEUDO = PSEUDO["client"] | PSEUDO["server"]

Resolved = dict[str, dict[str, list[str]]]


# --------------------------------------------------------------------------- loading


def load() -> dict[str, Any]:
    with PROFILE.open("rb") as f:
        return tomllib.load(f)


def vtuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def resolve_all(doc: dict[str, Any]) -> dict[str, Resolved]:
    """Resolve ``base`` inheritance list by list; returns version -> side -> category -> list."""
    out: dict[str, Resolved] = {}
    for rel in doc["release"]:
        version = rel["version"]
        base = rel.get("base")
        if base is None:
            resolved: Resolved = {side: {} for side in SIDES}
        else:
            assert base in out, f"{version}: base {base} must be an earlier release in the file"
            resolved = {side: {c: list(v) for c, v in lists.items()} for side, lists in out[base].items()}
        for side in SIDES:
            for cat, value in rel.get(side, {}).items():
                assert cat in SIDES[side], f"{version}: unknown category {side}.{cat}"
                resolved[side][cat] = list(value)
        out[version] = resolved
    return out


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return load()


@pytest.fixture(scope="module")
def resolved(doc: dict[str, Any]) -> dict[str, Resolved]:
    return resolve_all(doc)


# --------------------------------------------------------------------------- static checks


def test_implementation_block(doc: dict[str, Any]) -> None:
    impl = doc["implementation"]
    assert impl["id"] == "openssh"
    assert impl["name"] == "OpenSSH"
    assert impl["kind"] == "software"
    assert any(fnmatch.fnmatchcase("OpenSSH_9.2p1 Debian-2+deb12u10", p) for p in impl["banner_patterns"])
    assert any(fnmatch.fnmatchcase("OpenSSH_10.0", p) for p in impl["banner_patterns"])


def test_versions_contiguous_from_5_9(doc: dict[str, Any]) -> None:
    versions = [vtuple(r["version"]) for r in doc["release"]]
    assert versions[0] == (5, 9)
    for prev, cur in itertools.pairwise(versions):
        # OpenSSH numbering: X.0 ... X.9, then (X+1).0; no release may be skipped.
        assert cur in ((prev[0], prev[1] + 1), (prev[0] + 1, 0)), f"gap or disorder between {prev} and {cur}"
    assert versions[-1] >= (10, 0)


def test_dates_are_iso_and_increase(doc: dict[str, Any]) -> None:
    dates = [date.fromisoformat(r["date"]) for r in doc["release"] if "date" in r]
    assert len(dates) == len(doc["release"])
    assert dates == sorted(dates)
    assert len(set(dates)) == len(dates)


def test_only_the_first_release_has_no_base(doc: dict[str, Any]) -> None:
    releases = doc["release"]
    assert "base" not in releases[0]
    for prev, rel in itertools.pairwise(releases):
        assert rel.get("base") == prev["version"], rel["version"]


def test_sources_exist_and_are_cited(doc: dict[str, Any]) -> None:
    sources = doc["sources"]
    for sid, src in sources.items():
        assert src["title"].strip(), sid
        assert src["url"].startswith("https://"), sid
    cited: set[str] = set()
    for rel in doc["release"]:
        assert rel["sources"], rel["version"]
        for sid in rel["sources"]:
            assert sid in sources, f"{rel['version']}: unknown source {sid}"
            cited.add(sid)
        # every release cites the code at its own tag and its own release notes
        tag = "V_" + rel["version"].replace(".", "_") + "_P1"
        assert f"openssh-{tag}-myproposal.h" in rel["sources"]
        assert f"openssh-{rel['version']}-release" in rel["sources"]
    assert cited == set(sources), "sources defined but never cited"


def test_every_release_resolves_to_complete_lists(resolved: dict[str, Resolved]) -> None:
    for version, sides in resolved.items():
        for side, cats in SIDES.items():
            for cat in cats:
                assert cat in sides[side], f"{version}: {side}.{cat} missing after inheritance"
                values = sides[side][cat]
                assert all(isinstance(v, str) and v and v == v.strip() and "," not in v for v in values), (version, side, cat)
                assert len(values) == len(set(values)), f"{version}: duplicate names in {side}.{cat}"
                if cat != "pseudo":
                    assert values, f"{version}: {side}.{cat} is empty"


def test_defaults_are_supported(resolved: dict[str, Resolved]) -> None:
    for version, sides in resolved.items():
        supported = sides["supported"]
        for side in ("client", "server"):
            for cat, values in sides[side].items():
                if cat == "pseudo":
                    continue
                missing = [v for v in values if v not in supported[cat]]
                assert not missing, f"{version}: {side}.{cat} not in supported.{cat}: {missing}"


def test_pseudo_names_are_kept_apart(resolved: dict[str, Resolved]) -> None:
    for version, sides in resolved.items():
        for side in ("client", "server"):
            assert set(sides[side]["pseudo"]) <= PSEUDO[side], (version, side)
            assert not set(sides[side]["kex"]) & ALL_PSEUDO, (version, side)
        assert not set(sides["supported"]["kex"]) & ALL_PSEUDO, version


def test_landmarks_from_release_notes(resolved: dict[str, Resolved]) -> None:
    """A few changes every release-notes reader knows, as guards against careless edits."""
    r = resolved
    assert "arcfour" not in r["6.7"]["server"]["cipher"] and "arcfour" in r["6.7"]["client"]["cipher"]
    assert r["6.9"]["client"]["cipher"][0] == "chacha20-poly1305@openssh.com"
    for side in ("client", "server"):
        assert "diffie-hellman-group1-sha1" not in r["7.0"][side]["kex"]
        assert "ssh-dss" not in r["7.0"][side]["hostkey"]
        assert "diffie-hellman-group14-sha1" not in r["8.2"][side]["kex"]
        assert "ssh-rsa" in r["8.7"][side]["hostkey"] and "ssh-rsa" not in r["8.8"][side]["hostkey"]
        assert r["9.0"][side]["kex"][0] == "sntrup761x25519-sha512@openssh.com"
        assert r["10.0"][side]["kex"][0] == "mlkem768x25519-sha256"
    assert r["7.2"]["client"]["pseudo"] == ["ext-info-c"]
    assert "3des-cbc" in r["7.3"]["client"]["cipher"] and "3des-cbc" not in r["7.4"]["client"]["cipher"]
    assert not [c for c in r["7.6"]["client"]["cipher"] if c.endswith("-cbc")]
    assert r["9.6"]["client"]["pseudo"][-1] == "kex-strict-c-v00@openssh.com"
    assert r["9.6"]["server"]["pseudo"][-1] == "kex-strict-s-v00@openssh.com"
    assert "ssh-dss" in r["9.7"]["supported"]["hostkey"] and "ssh-dss" not in r["10.0"]["supported"]["hostkey"]
    assert "zlib" in r["9.8"]["client"]["compression"] and "zlib" not in r["9.9"]["client"]["compression"]
    assert not [k for k in r["10.0"]["server"]["kex"] if k.startswith("diffie-hellman")]
    assert [k for k in r["10.0"]["client"]["kex"] if k.startswith("diffie-hellman")]


# --------------------------------------------------------------------------- live checks against 9.2

DEBIAN_SNTRUP = "sntrup761x25519-sha512"
SNTRUP_OLD = "sntrup761x25519-sha512@openssh.com"
KEYGEN_ORDER = ("rsa", "dsa", "ecdsa", "ed25519")  # sshd's built-in HostKey order


def _version_of(cmd: list[str]) -> str | None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stderr + proc.stdout


def _debian_package(name: str) -> bool:
    """True when the Debian package ``name`` (built from Debian's patched OpenSSH) is installed."""
    dpkg = shutil.which("dpkg-query")
    if not dpkg:
        return False
    try:
        proc = subprocess.run([dpkg, "-W", "-f=${Status}", name], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and "install ok installed" in proc.stdout


@pytest.fixture(scope="module")
def local_ssh() -> tuple[str, bool]:
    """Path of an installed OpenSSH 9.2 ``ssh`` and whether it is Debian's build."""
    path = shutil.which("ssh")
    if not path:
        pytest.skip("ssh not installed")
    banner = _version_of([path, "-V"]) or ""
    if not re.search(r"\bOpenSSH_9\.2(?![0-9])", banner):
        pytest.skip(f"installed ssh is not OpenSSH 9.2: {banner.strip()!r}")
    return path, "Debian" in banner or _debian_package("openssh-client")


@pytest.fixture(scope="module")
def local_sshd() -> tuple[str, bool]:
    """Path of an installed OpenSSH 9.2 ``sshd`` and whether it is Debian's build."""
    path = shutil.which("sshd") or ("/usr/sbin/sshd" if os.access("/usr/sbin/sshd", os.X_OK) else None)
    if not path:
        pytest.skip("sshd not installed (Debian package openssh-server)")
    banner = _version_of([path, "-V"]) or ""  # sshd -V exists from 9.2 on; it omits the "p1 Debian-..." suffix
    if not re.search(r"\bOpenSSH_9\.2(?![0-9])", banner):
        pytest.skip(f"installed sshd is not OpenSSH 9.2: {banner.strip()!r}")
    return path, "Debian" in banner or _debian_package("openssh-server")


@pytest.fixture(scope="module")
def host_keys(tmp_path_factory: pytest.TempPathFactory, local_sshd: tuple[str, bool]) -> list[str]:
    """The host keys ``ssh-keygen -A`` makes, in the order sshd loads its default HostKey files."""
    keygen = shutil.which("ssh-keygen")
    if not keygen:
        pytest.skip("ssh-keygen not installed")
    prefix = tmp_path_factory.mktemp("keygen-A")
    (prefix / "etc" / "ssh").mkdir(parents=True)
    subprocess.run([keygen, "-A", "-f", str(prefix)], check=True, capture_output=True, timeout=120)
    keys = [prefix / "etc" / "ssh" / f"ssh_host_{t}_key" for t in KEYGEN_ORDER]
    found = [str(k) for k in keys if k.exists()]
    assert found, "ssh-keygen -A made no host keys"
    return found


def debian_kex(upstream: list[str]) -> list[str]:
    """Upstream kex list as Debian 1:9.2p1-2+deb12u4 and later changes it."""
    if SNTRUP_OLD not in upstream or DEBIAN_SNTRUP in upstream:
        return list(upstream)
    i = upstream.index(SNTRUP_OLD)
    return [*upstream[:i], DEBIAN_SNTRUP, *upstream[i:]]


def assert_kex(observed: list[str], upstream: list[str], debian: bool) -> None:
    allowed = [upstream, debian_kex(upstream)] if debian else [upstream]
    assert observed in allowed, f"kex differs beyond the known Debian patches:\n  got      {observed}\n  upstream {upstream}"


def assert_pseudo(observed: list[str], upstream: list[str], debian: bool, strict_marker: str) -> None:
    allowed = [upstream, [*upstream, strict_marker]] if debian else [upstream]
    assert observed in allowed, f"pseudo-algorithms {observed} differ from upstream {upstream}"


def _config_lines(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key in ("kexalgorithms", "ciphers", "macs", "hostkeyalgorithms"):
            out[key] = value.strip().split(",")
    return out


def test_live_query_matches_supported(local_ssh: tuple[str, bool], resolved: dict[str, Resolved]) -> None:
    ssh, debian = local_ssh
    supported = resolved["9.2"]["supported"]
    queries = {"kex": "kex", "cipher": "cipher", "mac": "mac", "hostkey": "key-sig", "compression": "compression"}
    # Debian may also list GSSAPI methods, but only under "ssh -Q kex-gss", which is not compared here.
    debian_extra = {"kex": {DEBIAN_SNTRUP}} if debian else {}
    for cat, query in queries.items():
        proc = subprocess.run([ssh, "-Q", query], capture_output=True, text=True, timeout=30, check=True)
        got = set(proc.stdout.split())
        want = set(supported[cat])
        assert want <= got, f"ssh -Q {query} lacks {sorted(want - got)}"
        extra = got - want
        assert extra <= debian_extra.get(cat, set()), f"ssh -Q {query} has unexpected extra names {sorted(extra)}"


def test_live_client_config_matches_profile(local_ssh: tuple[str, bool], resolved: dict[str, Resolved]) -> None:
    ssh, debian = local_ssh
    client = resolved["9.2"]["client"]
    proc = subprocess.run(
        [ssh, "-G", "-F", "/dev/null", "example.invalid"], capture_output=True, text=True, timeout=30, check=True
    )
    got = _config_lines(proc.stdout)
    assert_kex(got["kexalgorithms"], client["kex"], debian)
    assert got["ciphers"] == client["cipher"]
    assert got["macs"] == client["mac"]
    assert got["hostkeyalgorithms"] == client["hostkey"]


def test_live_server_config_matches_profile(
    local_sshd: tuple[str, bool], host_keys: list[str], resolved: dict[str, Resolved]
) -> None:
    sshd, debian = local_sshd
    server = resolved["9.2"]["server"]
    cmd = [sshd, "-T", "-f", "/dev/null", "-o", "PidFile=none"]
    for key in host_keys:
        cmd += ["-h", key]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if proc.returncode != 0 and os.geteuid() != 0:
        pytest.skip(f"sshd -T needs privileges here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    got = _config_lines(proc.stdout)
    assert_kex(got["kexalgorithms"], server["kex"], debian)
    assert got["ciphers"] == server["cipher"]
    assert got["macs"] == server["mac"]


# ----- real KEXINIT messages on loopback


class _Reader:
    """Byte reader over ``recv`` with an overall deadline."""

    def __init__(self, recv: Callable[[float], bytes], timeout: float = 20.0) -> None:
        self._recv = recv
        self._buf = b""
        self._deadline = time.monotonic() + timeout

    def _fill(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no KEXINIT in time")
        chunk = self._recv(left)
        if not chunk:
            raise EOFError(f"peer closed the connection; had {self._buf!r}")
        self._buf += chunk

    def line(self) -> bytes:
        while b"\n" not in self._buf:
            self._fill()
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        data, self._buf = self._buf[:n], self._buf[n:]
        return data


def read_kexinit(reader: _Reader) -> list[list[str]]:
    """Skip the identification exchange, then return the ten name-lists of the first (unencrypted) KEXINIT."""
    while not reader.line().startswith(b"SSH-"):
        pass
    packet_length, padding = struct.unpack(">IB", reader.exact(5))
    payload = reader.exact(packet_length - 1)[: packet_length - 1 - padding]
    assert payload[0] == 20, f"expected SSH_MSG_KEXINIT, got message {payload[0]}"
    offset = 1 + 16  # message number, cookie
    lists = []
    for _ in range(10):
        (n,) = struct.unpack(">I", payload[offset : offset + 4])
        offset += 4
        field = payload[offset : offset + n].decode()
        offset += n
        lists.append(field.split(",") if field else [])
    return lists


def check_kexinit(lists: list[list[str]], side: dict[str, list[str]], debian: bool, strict_marker: str) -> None:
    kex, hostkey, enc_cs, enc_sc, mac_cs, mac_sc, comp_cs, comp_sc, _, _ = lists
    real = [k for k in kex if k not in ALL_PSEUDO]
    pseudo = [k for k in kex if k in ALL_PSEUDO]
    assert kex == real + pseudo, "pseudo-algorithms must come after the real ones"
    assert_kex(real, side["kex"], debian)
    assert_pseudo(pseudo, side["pseudo"], debian, strict_marker)
    assert hostkey == side["hostkey"]
    assert enc_cs == enc_sc == side["cipher"]
    assert mac_cs == mac_sc == side["mac"]
    assert comp_cs == comp_sc == side["compression"]


def test_live_server_kexinit_matches_profile(
    local_sshd: tuple[str, bool], host_keys: list[str], resolved: dict[str, Resolved]
) -> None:
    sshd, debian = local_sshd
    cmd = [sshd, "-i", "-f", "/dev/null", "-o", "PidFile=none"]
    for key in host_keys:
        cmd += ["-h", key]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    stdout_fd = proc.stdout.fileno()

    def recv(left: float) -> bytes:
        if not sel.select(left):
            raise TimeoutError("sshd sent no KEXINIT in time")
        return os.read(stdout_fd, 65536)

    try:
        proc.stdin.write(b"SSH-2.0-sshdoctor_test\r\n")
        proc.stdin.flush()
        try:
            lists = read_kexinit(_Reader(recv))
        except EOFError:
            if os.geteuid() != 0:
                pytest.skip("sshd -i refused to run without privileges here")
            raise
    finally:
        sel.close()
        proc.kill()
        _, err = proc.communicate(timeout=30)
    assert lists, err
    check_kexinit(lists, resolved["9.2"]["server"], debian, "kex-strict-s-v00@openssh.com")


def test_live_client_kexinit_matches_profile(local_ssh: tuple[str, bool], resolved: dict[str, Resolved]) -> None:
    ssh, debian = local_ssh
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(20)
        port = listener.getsockname()[1]
        options = [
            "BatchMode=yes",
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",  # no known key: default host key order
            "GlobalKnownHostsFile=/dev/null",
            "ConnectTimeout=20",
        ]
        cmd = [ssh, "-F", "/dev/null", "-p", str(port)]
        for opt in options:
            cmd += ["-o", opt]
        proc = subprocess.Popen(
            [*cmd, "127.0.0.1", "true"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2 sshdoctor_test\r\n")

                def recv(left: float) -> bytes:
                    conn.settimeout(left)
                    return conn.recv(65536)

                lists = read_kexinit(_Reader(recv))
        finally:
            proc.kill()
            proc.communicate(timeout=30)
    check_kexinit(lists, resolved["9.2"]["client"], debian, "kex-strict-c-v00@openssh.com")
