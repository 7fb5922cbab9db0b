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
# The ssh2 server acts on a client's guessed first key exchange packet (RFC 4253 first_kex_packet_follows)
# whenever the kex method was guessed right, never looking at the host key algorithm; RFC 4253 7.1 says
# a wrong host key guess makes the packet one to ignore too (ssh2-streams check_KEXINIT, kex.js alike).
# The 0.8.x server lists ssh-rsa first whatever keys it has, so Dropbear's dbclient (which guesses,
# preferring ssh-ed25519) sees a wrong guess and sends KEX_ECDH_INIT again: the server has answered
# the first already, calls the second "Received unexpected packet", and dbclient reports "Integrity
# error (bad packet size …)". The algorithms agree; the engine cannot see this.
KEX_GUESS = "ssh2-0.8-server-accepts-wrong-kex-guess"


def _quirks(version: str, side: str) -> tuple[str, ...]:
    if not version.startswith("0."):
        return ()
    return (MAC_WITH_AEAD, KEX_GUESS) if side == "server" else (MAC_WITH_AEAD,)


def _module(version: str) -> str:
    return str(prefix("node") / f"ssh2-{version}")


def _needs(version: str) -> tuple[str, ...]:
    return (str(prefix("node") / f"ssh2-{version}" / "node_modules" / "ssh2" / "package.json"),)


def clients() -> list[LabClient]:
    return [LabClient("node-ssh2", version, (NODE, str(HERE / "client.js"), _module(version)),
                      profile=f"node-ssh2-{version}", reported_by="node-ssh2", batch=True, needs=_needs(version),
                      quirks=_quirks(version, "client"))
            for version in VERSIONS]


def servers() -> list[LabServer]:
    return [LabServer("node-ssh2", version, f"node-ssh2-{version}", argv=(NODE, str(HERE / "server.js"), _module(version)),
                      needs=_needs(version), quirks=_quirks(version, "server"))
            for version in VERSIONS]
