"""The Go profile's settings templates are real Go that adds to the defaults, in every lab version.

For each x/crypto version of the lab, the harness is built once more with the
catalog's ``[implementation.settings.client]`` and ``.server`` templates in its
hooks (``interop/go/harness/hooks_default.go``), from the module cache the
installer filled (``GOPROXY=off``: nothing is fetched). The real KEXINIT of that
client and that server must be the profile's defaults with the names appended.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import Profile, get_profile
from sshdoctor.model import Category, Slot, Target
from sshdoctor.wire.probe import probe
from tests.interop.families import go
from tests.interop.harness import ROOT, LabClient, LabServer, prefix
from tests.interop.lab import record_kexinit, require

HARNESS = ROOT / "interop" / "go" / "harness"
ADD_KEX_CLIENT = ["diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha256"]
ADD_CIPHER = ["aes128-cbc", "3des-cbc"]
# Every MAC x/crypto implements is a default: the template appends one again, which is sent twice.
ADD_MAC = ["hmac-sha1"]
ADD_HOSTKEY = ["ecdsa-sha2-nistp384"]


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _server_kex(version: str) -> list[str]:
    # A ServerConfig takes group exchange only from v0.39.0 (before, NewServerConn refuses it).
    return ["diffie-hellman-group1-sha1"] + (["diffie-hellman-group-exchange-sha256"] if _minor(version) >= 39 else [])


def _hooks(prof: Profile, version: str) -> str:
    client, server = prof.settings["client"], prof.settings["server"]
    lines = [
        "//go:build sshdoctor_settings", "", "package main", "", 'import "golang.org/x/crypto/ssh"', "",
        "func customizeClient(config *ssh.ClientConfig) {",
        "\t" + client["kex"].format(quoted=_quoted(ADD_KEX_CLIENT)),
        "\t" + client["cipher"].format(quoted=_quoted(ADD_CIPHER)),
        "\t" + client["mac"].format(quoted=_quoted(ADD_MAC)),
    ]
    if _minor(version) >= 39:  # the host key template needs ssh.SupportedAlgorithms, as its "where" says
        lines.append("\t" + client["hostkey"].format(quoted=_quoted(ADD_HOSTKEY)))
    lines += [
        "}", "",
        "func customizeServer(config *ssh.ServerConfig) {",
        "\t" + server["kex"].format(quoted=_quoted(_server_kex(version))),
        "\t" + server["cipher"].format(quoted=_quoted(ADD_CIPHER)),
        "\t" + server["mac"].format(quoted=_quoted(ADD_MAC)),
        "}", "",
    ]
    return "\n".join(lines)


def _go() -> str:
    found = "/usr/local/go/bin/go" if os.access("/usr/local/go/bin/go", os.X_OK) else shutil.which("go")
    assert found, "no Go toolchain"
    return found


def _build(version: str, suffix: str, variant: str, out: Path) -> Path:
    prof = get_profile(f"go-{version}")
    assert prof is not None
    src = out / "src"
    src.mkdir()
    for f in HARNESS.glob("*.go"):
        shutil.copy(f, src / f.name)
    (src / "hooks_settings.go").write_text(_hooks(prof, version))
    lab = prefix("go")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(out), "GOENV": "off", "GOTOOLCHAIN": "local",
           "CGO_ENABLED": "0", "GOPROXY": "off", "GOCACHE": str(lab / "gocache")}
    tags = ["sshdoctor_settings"] + (["sshdoctor_algos"] if _minor(version) >= 39 else [])
    if variant == "debian12":
        env.update(GO111MODULE="off", GOPATH="/usr/share/gocode", GOFLAGS="-buildvcs=false")
    else:
        for name in ("go.mod", "go.sum"):
            shutil.copy(lab / "build" / suffix / name, src / name)
        env.update(GOPATH=str(lab / "gopath"), GOMODCACHE=str(lab / "gopath" / "pkg" / "mod"),
                   GOFLAGS="-mod=mod -buildvcs=false")
    binary = out / "sshdoctor-go-settings"
    proc = subprocess.run([_go(), "build", "-trimpath", "-tags", ",".join(tags), "-o", str(binary), "."], cwd=src,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"the settings templates do not build against x/crypto {version}:\n{proc.stderr}"
    return binary


@pytest.mark.parametrize(("version", "suffix", "variant"), go.VERSIONS,
                         ids=[f"go-{v}" + (f"-{var}" if var else "") for v, _, var in go.VERSIONS])
def test_settings_templates_add_to_the_defaults(version: str, suffix: str, variant: str, tmp_path: Path,
                                                interop_keys: Path, empty_home: Path) -> None:
    lab_client = next(c for c in go.clients() if c.version == version)
    require(lab_client)
    prof = get_profile(f"go-{version}")
    assert prof is not None and prof.client is not None and prof.server is not None
    binary = _build(version, suffix, variant, tmp_path)

    client = LabClient("go", version, (str(binary), "client"), profile=prof.id, reported_by="go", batch=True)
    sent = record_kexinit(client, empty_home).proposal
    assert sent is not None
    defaults = prof.client.lists
    assert list(sent.get(Slot.KEX)) == [*defaults[Category.KEX], *ADD_KEX_CLIENT, *prof.client.pseudo]
    for slot in (Slot.CIPHER_C2S, Slot.CIPHER_S2C):
        assert list(sent.get(slot)) == [*defaults[Category.CIPHER], *ADD_CIPHER]
    for slot in (Slot.MAC_C2S, Slot.MAC_S2C):
        assert list(sent.get(slot)) == [*defaults[Category.MAC], *ADD_MAC]
    if _minor(version) >= 39:
        assert set(defaults[Category.HOSTKEY]) | set(ADD_HOSTKEY) <= set(sent.get(Slot.HOSTKEY))
    else:
        assert list(sent.get(Slot.HOSTKEY)) == list(defaults[Category.HOSTKEY])

    server = LabServer("go", version, None, argv=(str(binary), "server"))
    with server.start(interop_keys) as running:
        offer = asyncio.run(probe(Target(running.host, running.port), timeout=15)).proposal
    served = prof.server.lists
    assert list(offer.get(Slot.KEX)) == [*served[Category.KEX], *_server_kex(version), *prof.server.pseudo]
    assert list(offer.get(Slot.CIPHER_C2S)) == [*served[Category.CIPHER], *ADD_CIPHER]
    assert list(offer.get(Slot.MAC_S2C)) == [*served[Category.MAC], *ADD_MAC]
