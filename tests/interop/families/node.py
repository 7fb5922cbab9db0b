"""The npm package ssh2 (Node.js): 0.8.9 (its protocol in ssh2-streams 0.4.10) and four 1.x releases.

``interop/node/install.sh`` puts each version in its own ``npm install
--prefix`` folder; ``interop/node/client.js`` and ``server.js`` take that
folder as their first argument. The client reports what it negotiated from
the library's 'handshake' event (1.x) or its debug lines (0.8.x).
"""

from __future__ import annotations

import shutil

from tests.interop.harness import ROOT, LabClient, LabServer, prefix

HERE = ROOT / "interop" / "node"
NODE = shutil.which("node") or "/usr/bin/node"
VERSIONS = ("0.8.9", "1.4.0", "1.11.0", "1.16.0", "1.17.0")
# ssh2-streams 0.4 (ssh2 0.8.x) settles both MAC slots even when the cipher is AES-GCM (check_KEXINIT
# has no AEAD case), so a GCM server whose MACs it lacks stops a connection that OpenSSH (and ssh2
# 1.x, kex.js "MAC: <implicit>") would make: "Handshake failed: no matching client->server HMAC".
MAC_WITH_AEAD = "ssh2-0.8-negotiates-mac-with-aead"


def _quirks(version: str) -> tuple[str, ...]:
    return (MAC_WITH_AEAD,) if version.startswith("0.") else ()


def _module(version: str) -> str:
    return str(prefix("node") / f"ssh2-{version}")


def _needs(version: str) -> tuple[str, ...]:
    return (str(prefix("node") / f"ssh2-{version}" / "node_modules" / "ssh2" / "package.json"),)


def clients() -> list[LabClient]:
    return [LabClient("node-ssh2", version, (NODE, str(HERE / "client.js"), _module(version)),
                      profile=f"node-ssh2-{version}", reported_by="node-ssh2", batch=True, needs=_needs(version),
                      quirks=_quirks(version))
            for version in VERSIONS]


def servers() -> list[LabServer]:
    return [LabServer("node-ssh2", version, f"node-ssh2-{version}", argv=(NODE, str(HERE / "server.js"), _module(version)),
                      needs=_needs(version), quirks=_quirks(version))
            for version in VERSIONS]
