"""Checks of the non-OpenSSH software profiles in ``catalog/data/profiles``.

The data checks read the TOML files directly (not through the catalog loader) so they
test the files themselves: every release resolves to complete lists, every source id
exists, every default is in the supported set. The live checks compare a profile with
the real program where it is installed here: Dropbear and plink from Debian packages,
paramiko and AsyncSSH from pip. They talk only over loopback or a socket pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PROFILES = Path(__file__).resolve().parents[2] / "src" / "sshdoctor" / "catalog" / "data" / "profiles"

# file name -> (implementation id, sides every release of it must have)
FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "putty.toml": ("putty", ("client",)),
    "winscp.toml": ("winscp", ("client",)),
    "dropbear.toml": ("dropbear", ("client", "server")),
    "paramiko.toml": ("paramiko", ("client", "server")),
    "asyncssh.toml": ("asyncssh", ("client", "server")),
    "libssh.toml": ("libssh", ("client", "server")),
    "go-x-crypto.toml": ("go", ("client", "server")),
    "jsch.toml": ("jsch", ("client",)),
    "jsch-mwiede.toml": ("jsch-mwiede", ("client",)),
    "win32-openssh.toml": ("win32-openssh", ("client", "server")),
    "libssh2.toml": ("libssh2", ("client",)),
    "tinyssh.toml": ("tinyssh", ("server",)),
    "erlang-ssh.toml": ("erlang-ssh", ("client", "server")),
    "twisted-conch.toml": ("twisted-conch", ("client", "server")),
    "net-ssh.toml": ("net-ssh", ("client",)),
}
CATEGORIES = ("kex", "hostkey", "cipher", "mac", "compression")
CLIENT_PSEUDO = {"ext-info-c", "kex-strict-c-v00@openssh.com", "kexguess2@matt.ucc.asn.au"}
SERVER_PSEUDO = {"ext-info-s", "kex-strict-s-v00@openssh.com", "kexguess2@matt.ucc.asn.au"}
ALL_PSEUDO = CLIENT_PSEUDO | SERVER_PSEUDO
NAMES = (
    "kex",
    "hostkey",
    "cipher_c2s",
    "cipher_s2c",
    "mac_c2s",
    "mac_s2c",
    "compression_c2s",
    "compression_s2c",
    "lang_c2s",
    "lang_s2c",
)
# Debian 12 backports the strict-kex (CVE-2023-48795) fix to dropbear 2022.83 and
# PuTTY 0.78; the profiles describe the upstream releases and say so in their notes.
DEBIAN_STRICT_KEX = {"client": ["kex-strict-c-v00@openssh.com"], "server": ["kex-strict-s-v00@openssh.com"]}


# --------------------------------------------------------------------------------------
# loading and base resolution


def _load(name: str) -> dict[str, Any]:
    with open(PROFILES / name, "rb") as f:
        return tomllib.load(f)


def resolve(releases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Releases by version with ``base`` applied list by list, in file order."""
    done: dict[str, dict[str, Any]] = {}
    for rel in releases:
        base = done.get(rel["base"]) if "base" in rel else None
        if "base" in rel:
            assert base is not None, f"{rel['version']}: base {rel['base']} is not an earlier release"
        merged = {k: v for k, v in rel.items() if k not in ("client", "server", "supported")}
        for side in ("client", "server", "supported"):
            inherited = dict(base[side]) if base and side in base else None
            own = rel.get(side)
            if own is None and inherited is None:
                continue
            merged[side] = {**(inherited or {}), **(own or {})}
        assert rel["version"] not in done, f"version {rel['version']} twice"
        done[rel["version"]] = merged
    return done


@pytest.fixture(scope="module")
def data() -> dict[str, dict[str, Any]]:
    return {name: _load(name) for name in FILES}


@pytest.fixture(scope="module")
def resolved(data: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    return {FILES[name][0]: resolve(doc["release"]) for name, doc in data.items()}


@pytest.fixture(scope="module")
def all_source_ids() -> set[str]:
    ids: set[str] = set()
    for path in PROFILES.glob("*.toml"):
        with open(path, "rb") as f:
            ids |= set(tomllib.load(f).get("sources", {}))
    return ids


def profile(resolved: dict[str, dict[str, dict[str, Any]]], impl: str, version: str) -> dict[str, Any]:
    rel = resolved[impl].get(version)
    if rel is None:
        pytest.skip(f"no {impl}-{version} profile")
    return rel


# --------------------------------------------------------------------------------------
# data checks


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_header(data: dict[str, dict[str, Any]], name: str) -> None:
    impl = data[name]["implementation"]
    assert impl["id"] == FILES[name][0]
    assert impl["kind"] == "software"
    assert impl["name"]
    assert impl["banner_patterns"] and all(isinstance(p, str) and p for p in impl["banner_patterns"])
    for sid, src in data[name]["sources"].items():
        assert set(src) == {"title", "url"}, sid
        assert src["url"].startswith("https://"), sid


@pytest.mark.parametrize("name", sorted(FILES))
def test_releases_resolve_to_complete_lists(data: dict[str, dict[str, Any]], name: str) -> None:
    impl, sides = FILES[name]
    releases = data[name]["release"]
    assert releases
    assert "base" not in releases[0]
    for version, rel in resolve(releases).items():
        where = f"{impl}-{version}"
        assert set(sides) | {"supported"} == {s for s in ("client", "server", "supported") if s in rel}, where
        if "date" in rel:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rel["date"]), where
        for side in (*sides, "supported"):
            table = rel[side]
            assert set(table) <= set(CATEGORIES) | {"pseudo", "compression_c2s"}, (where, side, set(table))
            if "compression_c2s" in table:  # a direction that differs: its names are compression names
                assert set(table["compression_c2s"]) <= set(rel["supported"]["compression"]), where
            for cat in CATEGORIES:
                names = table.get(cat)
                assert isinstance(names, list) and names, (where, side, cat)
                assert all(isinstance(n, str) and n and "," not in n for n in names), (where, side, cat)
                assert len(names) == len(set(names)), (where, side, cat, "duplicate")
                assert not set(names) & ALL_PSEUDO, (where, side, cat, "pseudo name in a real list")
        for side in sides:
            pseudo = rel[side].get("pseudo", [])
            allowed = CLIENT_PSEUDO if side == "client" else SERVER_PSEUDO
            assert set(pseudo) <= allowed, (where, side, pseudo)
        assert "pseudo" not in rel["supported"], where


@pytest.mark.parametrize("name", sorted(FILES))
def test_sources_exist(data: dict[str, dict[str, Any]], all_source_ids: set[str], name: str) -> None:
    for rel in data[name]["release"]:
        assert rel["sources"], rel["version"]
        missing = set(rel["sources"]) - all_source_ids
        assert not missing, (rel["version"], missing)


@pytest.mark.parametrize("name", sorted(FILES))
def test_defaults_are_supported(data: dict[str, dict[str, Any]], name: str) -> None:
    impl, sides = FILES[name]
    for version, rel in resolve(data[name]["release"]).items():
        for side in sides:
            for cat in CATEGORIES:
                extra = set(rel[side][cat]) - set(rel["supported"][cat])
                assert not extra, (f"{impl}-{version}", side, cat, sorted(extra))


def test_version_coverage(resolved: dict[str, dict[str, dict[str, Any]]]) -> None:
    putty = set(resolved["putty"])
    assert {f"0.{n}" for n in range(70, 84)} <= putty
    assert min(resolved["dropbear"], key=lambda v: tuple(map(int, v.split(".")))) == "2016.74"
    assert {"2022.83"} <= set(resolved["dropbear"])
    libssh_lines = {".".join(v.split(".")[:2]) for v in resolved["libssh"]}
    assert {"0.9", "0.10", "0.11"} <= libssh_lines
    assert {"2.13.0", "2.14.0"} <= set(resolved["asyncssh"])
    assert any(v.startswith("2.") for v in resolved["paramiko"])
    assert any(v.startswith("3.") for v in resolved["paramiko"])
    assert {"0.17.0"} <= set(resolved["go"]) and any(v.startswith("0.0.0-2020") for v in resolved["go"])
    assert {"0.1.54", "0.1.55"} <= set(resolved["jsch"])
    assert any(v.startswith("0.2.") for v in resolved["jsch-mwiede"])
    assert {"7.7", "8.1", "8.6", "9.5"} <= set(resolved["win32-openssh"])


def test_terrapin_markers(resolved: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Strict kex appears exactly from the release that added it."""
    first = {
        "putty": "0.80",
        "dropbear": "2024.84",
        "paramiko": "3.4.0",
        "asyncssh": "2.14.2",
        "go": "0.17.0",
        "jsch-mwiede": "0.2.15",
        "win32-openssh": "9.5",
        "winscp": "6.3",
    }
    for impl, version in first.items():
        order = list(resolved[impl])
        cut = order.index(version)
        for i, v in enumerate(order):
            has = "kex-strict-c-v00@openssh.com" in resolved[impl][v]["client"].get("pseudo", [])
            assert has == (i >= cut), (impl, v)


# --------------------------------------------------------------------------------------
# wire helpers


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def read_kexinit(sock: socket.socket) -> dict[str, Any]:
    """Skip the peer's identification line(s), then decode its first binary packet."""
    while True:
        line = b""
        while not line.endswith(b"\n"):
            line += _recv_exact(sock, 1)
        if line.startswith(b"SSH-"):
            break
    (length,) = struct.unpack(">I", _recv_exact(sock, 4))
    packet = _recv_exact(sock, length)
    payload = packet[1 : length - packet[0]]
    assert payload[0] == 20, "first packet is not KEXINIT"
    offset, lists = 17, {}
    for name in NAMES:
        (n,) = struct.unpack(">I", payload[offset : offset + 4])
        offset += 4
        lists[name] = payload[offset : offset + n].decode().split(",") if n else []
        offset += n
    lists["banner"] = line.decode().strip()
    return lists


def split(kexinit: dict[str, Any]) -> dict[str, list[str]]:
    """A recorded KEXINIT in profile shape; both directions must agree."""
    for cat in ("cipher", "mac"):
        assert kexinit[f"{cat}_c2s"] == kexinit[f"{cat}_s2c"], cat
    kex = kexinit["kex"]
    return {
        "kex": [a for a in kex if a not in ALL_PSEUDO],
        "pseudo": [a for a in kex if a in ALL_PSEUDO],
        "hostkey": kexinit["hostkey"],
        "cipher": kexinit["cipher_c2s"],
        "mac": kexinit["mac_c2s"],
        # servers that compress only towards the client put the fuller list there
        "compression": kexinit["compression_s2c"],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


def probe_server(port: int) -> dict[str, Any]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"SSH-2.0-sshdoctor_test\r\n")
        return read_kexinit(sock)


@contextlib.contextmanager
def client_kexinit(argv: list[str], env: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """Run a client program against a one-shot loopback listener; yield its KEXINIT.
    ``{port}`` in argv is replaced by the listener's port."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        srv.settimeout(20)
        port = srv.getsockname()[1]
        proc = subprocess.Popen(
            [a.replace("{port}", str(port)) for a in argv],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(20)
                conn.sendall(b"SSH-2.0-OpenSSH_9.9 sshdoctor_test\r\n")
                result = read_kexinit(conn)
        finally:
            proc.kill()
            proc.wait(timeout=10)
    yield result


def assert_side(
    observed: dict[str, list[str]],
    expected: dict[str, Any],
    where: str,
    extra_pseudo: list[str] | None = None,
    cats: tuple[str, ...] = CATEGORIES,
) -> None:
    for cat in cats:
        assert observed[cat] == expected[cat], f"{where} {cat}:\n  real    {observed[cat]}\n  profile {expected[cat]}"
    want = list(expected.get("pseudo", []))
    allowed = [want] + ([want + extra_pseudo] if extra_pseudo else [])
    assert observed["pseudo"] in allowed, f"{where} pseudo: real {observed['pseudo']}, profile {want}"


# --------------------------------------------------------------------------------------
# live: Dropbear (Debian dropbear-bin)

DROPBEAR = shutil.which("dropbear") or ("/usr/sbin/dropbear" if os.path.exists("/usr/sbin/dropbear") else None)
DROPBEARKEY = shutil.which("dropbearkey")
DBCLIENT = shutil.which("dbclient")


def _dropbear_version() -> str | None:
    if not DROPBEAR:
        return None
    out = subprocess.run([DROPBEAR, "-V"], capture_output=True, text=True, timeout=10)
    m = re.search(r"v(\d{4}\.\d+)", out.stdout + out.stderr)
    return m[1] if m else None


@pytest.mark.skipif(not (DROPBEAR and DROPBEARKEY), reason="dropbear not installed")
def test_dropbear_server_matches_profile(resolved: dict[str, dict[str, dict[str, Any]]], tmp_path: Path) -> None:
    version = _dropbear_version()
    if version != "2022.83":
        pytest.skip(f"installed dropbear is {version}, this check is for 2022.83")
    expected = profile(resolved, "dropbear", version)["server"]
    key = tmp_path / "ed25519"
    subprocess.run([DROPBEARKEY, "-t", "ed25519", "-f", str(key)], check=True, capture_output=True, timeout=30)
    port = free_port()
    proc = subprocess.Popen(
        [DROPBEAR, "-F", "-E", "-p", f"127.0.0.1:{port}", "-r", str(key)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        observed = split(probe_server(port))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # 2020.79-2022.83 advertise the RSA signature names even without an RSA key (a
    # regression fixed in 2024.84, noted in the profile); otherwise only Ed25519 is usable.
    usable = {"ssh-ed25519"} | ({"rsa-sha2-256", "ssh-rsa"} if "2020.79" <= version <= "2022.83" else set())
    assert observed["hostkey"] == [a for a in expected["hostkey"] if a in usable]
    assert_side(
        observed,
        expected,
        f"dropbear-{version} server",
        DEBIAN_STRICT_KEX["server"],
        cats=("kex", "cipher", "mac", "compression"),
    )


@pytest.mark.skipif(not DBCLIENT, reason="dbclient not installed")
def test_dbclient_matches_profile(resolved: dict[str, dict[str, dict[str, Any]]], tmp_path: Path) -> None:
    version = _dropbear_version()
    if version != "2022.83":
        pytest.skip(f"installed dropbear is {version}, this check is for 2022.83")
    expected = profile(resolved, "dropbear", version)["client"]
    env = {**os.environ, "HOME": str(tmp_path)}
    with client_kexinit([DBCLIENT, "-y", "-p", "{port}", "test@127.0.0.1"], env) as kexinit:
        observed = split(kexinit)
    assert_side(observed, expected, f"dbclient-{version}", DEBIAN_STRICT_KEX["client"])


# --------------------------------------------------------------------------------------
# live: plink (Debian putty-tools)

PLINK = shutil.which("plink")


@pytest.mark.skipif(not PLINK, reason="plink not installed")
def test_plink_matches_profile(resolved: dict[str, dict[str, dict[str, Any]]], tmp_path: Path) -> None:
    out = subprocess.run([PLINK, "-V"], capture_output=True, text=True, timeout=10)
    m = re.search(r"Release (\d+\.\d+)", out.stdout + out.stderr)
    if not m:
        pytest.skip("plink does not report a release version")
    expected = profile(resolved, "putty", m[1])["client"]
    env = {**os.environ, "HOME": str(tmp_path)}  # no saved sessions, no cached host keys
    with client_kexinit([PLINK, "-ssh", "-batch", "-P", "{port}", "-l", "test", "127.0.0.1"], env) as kexinit:
        observed = split(kexinit)
    assert kexinit["compression_c2s"] == kexinit["compression_s2c"]
    extra = DEBIAN_STRICT_KEX["client"] if "kex-strict-c-v00@openssh.com" not in expected.get("pseudo", []) else None
    assert_side(observed, expected, f"plink {m[1]}", extra)


# --------------------------------------------------------------------------------------
# live: paramiko (pip)


def _available(expected: dict[str, Any], supported: dict[str, list[str]]) -> dict[str, Any]:
    """The profile's lists cut down to what this installation can do (optional
    crypto backends decide some algorithms); the order must still match."""
    out = {cat: [a for a in expected[cat] if a in supported[cat]] for cat in CATEGORIES}
    out["pseudo"] = expected.get("pseudo", [])
    return out


def _ed25519_openssh_pem(tmp_path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    path = tmp_path / "ed25519"
    path.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
    )
    return path


def _quietly(func: Any, *args: Any, **kwargs: Any) -> None:
    """Run a handshake that is expected to fail once the test hangs up."""
    with contextlib.suppress(Exception):
        func(*args, **kwargs)


def _paramiko_tables(paramiko: Any) -> dict[str, list[str]]:
    t = paramiko.Transport
    return {
        "kex": list(t._kex_info),
        "hostkey": list(t._key_info),
        "cipher": list(t._cipher_info),
        "mac": list(t._mac_info),
        "compression": list(t._compression_info),
    }


def test_paramiko_client_matches_profile(resolved: dict[str, dict[str, dict[str, Any]]]) -> None:
    paramiko = pytest.importorskip("paramiko")
    expected = profile(resolved, "paramiko", paramiko.__version__)["client"]
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(20)
        transport = paramiko.Transport(theirs)
        thread = threading.Thread(target=_quietly, args=(transport.start_client,), kwargs={"timeout": 10}, daemon=True)
        thread.start()
        try:
            ours.sendall(b"SSH-2.0-OpenSSH_9.9 sshdoctor_test\r\n")
            observed = split(read_kexinit(ours))
        finally:
            transport.close()
    assert_side(observed, _available(expected, _paramiko_tables(paramiko)), f"paramiko-{paramiko.__version__} client")


def test_paramiko_server_matches_profile(resolved: dict[str, dict[str, dict[str, Any]]], tmp_path: Path) -> None:
    paramiko = pytest.importorskip("paramiko")
    expected = profile(resolved, "paramiko", paramiko.__version__)["server"]
    keys = [
        paramiko.Ed25519Key(filename=str(_ed25519_openssh_pem(tmp_path))),
        paramiko.ECDSAKey.generate(),
        paramiko.RSAKey.generate(2048),
    ]
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(20)
        transport = paramiko.Transport(theirs)
        for key in keys:
            transport.add_server_key(key)
        server = paramiko.ServerInterface()
        thread = threading.Thread(target=_quietly, args=(transport.start_server,), kwargs={"server": server}, daemon=True)
        thread.start()
        try:
            ours.sendall(b"SSH-2.0-OpenSSH_9.9 sshdoctor_test\r\n")
            observed = split(read_kexinit(ours))
        finally:
            transport.close()
    assert_side(observed, _available(expected, _paramiko_tables(paramiko)), f"paramiko-{paramiko.__version__} server")


# --------------------------------------------------------------------------------------
# live: AsyncSSH (pip)


def _asyncssh_tables(asyncssh: Any) -> dict[str, list[str]]:
    from asyncssh import compression, encryption, kex, mac, public_key

    def names(algs: list[bytes]) -> list[str]:
        return [a.decode() for a in algs]

    return {
        "kex": names(kex.get_kex_algs()),
        "cipher": names(encryption.get_encryption_algs()),
        "mac": names(mac.get_mac_algs()),
        "compression": names(compression.get_compression_algs()),
        "hostkey": names(public_key.get_public_key_algs()) + names(public_key.get_certificate_algs()),
    }


def test_asyncssh_client_matches_profile(resolved: dict[str, dict[str, dict[str, Any]]]) -> None:
    asyncssh = pytest.importorskip("asyncssh")
    expected = profile(resolved, "asyncssh", asyncssh.__version__)["client"]

    async def connect(port: int) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncssh.connect("127.0.0.1", port, known_hosts=None, username="test", config=[]), 10)

    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        srv.settimeout(20)
        port = srv.getsockname()[1]
        thread = threading.Thread(target=lambda: asyncio.run(connect(port)), daemon=True)
        thread.start()
        conn, _ = srv.accept()
        with conn:
            conn.settimeout(20)
            conn.sendall(b"SSH-2.0-OpenSSH_9.9 sshdoctor_test\r\n")
            observed = split(read_kexinit(conn))
    thread.join(timeout=15)
    assert_side(observed, _available(expected, _asyncssh_tables(asyncssh)), f"asyncssh-{asyncssh.__version__} client")


def test_asyncssh_server_matches_profile(resolved: dict[str, dict[str, dict[str, Any]]]) -> None:
    asyncssh = pytest.importorskip("asyncssh")
    expected = profile(resolved, "asyncssh", asyncssh.__version__)["server"]

    async def run() -> dict[str, Any]:
        keys = [asyncssh.generate_private_key(alg) for alg in ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa")]
        server = await asyncssh.listen("127.0.0.1", 0, server_host_keys=keys, config=[])
        try:
            port = server.sockets[0].getsockname()[1]
            return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, probe_server, port), 20)
        finally:
            server.close()
            await server.wait_closed()

    observed = split(asyncio.run(run()))
    assert_side(observed, _available(expected, _asyncssh_tables(asyncssh)), f"asyncssh-{asyncssh.__version__} server")
