"""russh (crates.io), the Rust SSH library of Warpgate, Kerminal and others: two releases whose defaults differ.

``interop/rust/install.sh`` builds one harness binary per russh version
(``russh-lab-044`` for 0.44.1, ``russh-lab-065`` for 0.65.1); each is
``client HOST PORT…`` and ``server PORT KEYDIR``. russh's API does not say
what it negotiated; the harness reads it from russh's own debug record of
the negotiation (both versions' clients, the 0.65 server).
"""

from __future__ import annotations

from tests.interop.harness import LabClient, LabServer, prefix

BIN = prefix("rust") / "bin"
VERSIONS = {"0.44.1": "russh-lab-044", "0.65.1": "russh-lab-065"}
# russh 0.44 (up to 0.55) keeps all four extension names (ext-info-c/-s, kex-strict-c/-s-v00@openssh.com) in
# its kex preference list and matches them like methods (negotiation.rs read_kex). Against a
# server that sends kex-strict-s-v00@openssh.com but has no real method in common, the kex
# "agrees" on that name, the next failing slot is reported ("No common key algorithm", "No
# common key cipher"), and only when every other slot agrees does it stop with "Unknown
# algorithm". The engine (rightly) never matches pseudo names, so it predicts a kex failure first.
KEX_MATCHES_EXTENSION_NAMES = "russh-kex-matches-extension-names"


def clients() -> list[LabClient]:
    return [LabClient("russh", version, (str(BIN / binary), "client"), profile=f"russh-{version}", reported_by="russh",
                      batch=True, quirks=(KEX_MATCHES_EXTENSION_NAMES,) if version.startswith("0.44") else ())
            for version, binary in VERSIONS.items()]


def servers() -> list[LabServer]:
    return [LabServer("russh", version, f"russh-{version}", argv=(str(BIN / binary), "server"))
            for version, binary in VERSIONS.items()]
