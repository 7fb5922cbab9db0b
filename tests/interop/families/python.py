"""The Python SSH libraries: paramiko, AsyncSSH and Twisted Conch, from PyPI.

``interop/python/install.sh`` makes one venv per release under the lab prefix
(``python/<impl>-<version>``); the harnesses in ``interop/python`` are run
with that venv's interpreter. The client harnesses take every port in one
run (an interpreter start and the library import cost more than a
handshake) and mark each port's part of their log on stderr, so each
connection's result keeps only its own log lines for ``explain``.
"""

from __future__ import annotations

import re

from tests.interop.harness import ROOT, ClientRun, LabClient, LabServer, parse_json_lines, prefix

HERE = ROOT / "interop" / "python"
VENVS = prefix("python")

PARAMIKO = ("2.7.2", "2.12.0", "3.0.0", "3.4.1", "3.5.1", "4.0.0", "5.1.0")
ASYNCSSH = ("2.13.0", "2.14.2", "2.19.0", "2.24.1")
TWISTED = ("22.4.0", "26.10.0")

_MARK = re.compile(r"^sshdoctor-harness: port (\d+)$", re.M)

# Behaviour the catalog's engine cannot model (each named in the report of issue 12):
# - A paramiko server (every release) never skips a wrong guessed key exchange packet (first_kex_packet_follows,
#   RFC 4253 section 7): a client that guesses (Dropbear's dbclient) and whose first kex is not the server's
#   first fails with "Expecting packet from (21,), got 30". The engine predicts success.
PARAMIKO_KEX_GUESS = "paramiko-ignores-wrong-kex-guess"
# - An AsyncSSH server keeps a guessed packet when the method it chose is the client's first, where RFC 4253 (and
#   Dropbear) count the guess wrong whenever the two first methods differ: from 2.24 (ML-KEM first) a Dropbear
#   client fails with "Key exchange not in progress".
ASYNCSSH_KEX_GUESS = "asyncssh-keeps-kex-guess-when-chosen"
# - paramiko (every release) and AsyncSSH before 2.23 negotiate a MAC even when the chosen cipher is AES-GCM or
#   ChaCha20 (no lab server shows it: all of them offer a MAC both share).
# - A paramiko server from 2.9 on advertises group exchange without a moduli file and refuses it when picked:
#   paramiko_server.py loads /etc/ssh/moduli from 2.9 on, as paramiko's demo server does, so it does what it says.


def split_by_port(stdout: str, stderr: str, returncode: int, count: int) -> list[ClientRun]:
    """The contract's JSON lines, each run given only the stderr lines after its own port marker."""
    runs = parse_json_lines(stdout, stderr, returncode, count)
    marks = list(_MARK.finditer(stderr))
    if len(marks) != count:
        return runs
    parts = [stderr[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(stderr))].lstrip("\n")
             for i, m in enumerate(marks)]
    return [ClientRun(ok=r.ok, chosen=r.chosen, error=r.error, stderr=part, ident=r.ident, raw=r.raw)
            for r, part in zip(runs, parts, strict=True)]


def _python(impl: str, version: str) -> str:
    return str(VENVS / f"{impl}-{version}" / "bin" / "python")


def clients() -> list[LabClient]:
    out: list[LabClient] = []
    for version in PARAMIKO:
        out.append(LabClient("paramiko", version, (_python("paramiko", version), str(HERE / "paramiko_client.py")),
                             profile=f"paramiko-{version}", reported_by="paramiko", batch=True, parse=split_by_port))
    for version in ASYNCSSH:
        out.append(LabClient("asyncssh", version, (_python("asyncssh", version), str(HERE / "asyncssh_client.py")),
                             profile=f"asyncssh-{version}", reported_by="asyncssh", batch=True, parse=split_by_port))
    for version in TWISTED:
        # Twisted's only words for a failed negotiation are "couldn't match all kex parts": no category.
        out.append(LabClient("twisted-conch", version, (_python("twisted", version), str(HERE / "twisted_client.py")),
                             profile=f"twisted-conch-{version}", reported_by="twisted-conch", batch=True,
                             parse=split_by_port, quirks=("no-category-in-message",)))
    return out


def servers() -> list[LabServer]:
    out: list[LabServer] = []
    for version in PARAMIKO:
        out.append(LabServer("paramiko", version, f"paramiko-{version}",
                             argv=(_python("paramiko", version), str(HERE / "paramiko_server.py")),
                             quirks=(PARAMIKO_KEX_GUESS,)))
    for version in ASYNCSSH:
        out.append(LabServer("asyncssh", version, f"asyncssh-{version}",
                             argv=(_python("asyncssh", version), str(HERE / "asyncssh_server.py")),
                             quirks=(ASYNCSSH_KEX_GUESS,)))
    for version in TWISTED:
        out.append(LabServer("twisted-conch", version, f"twisted-conch-{version}",
                             argv=(_python("twisted", version), str(HERE / "twisted_server.py"))))
    return out
