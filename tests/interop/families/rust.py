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


def clients() -> list[LabClient]:
    return [LabClient("russh", version, (str(BIN / binary), "client"), profile=f"russh-{version}", reported_by="russh",
                      batch=True)
            for version, binary in VERSIONS.items()]


def servers() -> list[LabServer]:
    return [LabServer("russh", version, f"russh-{version}", argv=(str(BIN / binary), "server"))
            for version, binary in VERSIONS.items()]
