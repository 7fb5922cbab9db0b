"""The JVM libraries: JSch (the original and the mwiede fork), Apache MINA SSHD, sshj, trilead-ssh2, Ganymed SSH-2.

interop/jvm/install.sh puts each pinned version's jars under ``$SSHDOCTOR_LAB_PREFIX/jvm/lib`` and a
launcher per program under ``bin``; every client harness takes several ports in one run (JVM start-up
is the slow part). The JSch fork runs on Java 17 and on Temurin 25 as two variants: its default kex
list depends on the JRE (ML-KEM is offered first only where the JRE provides it, Java 24+), so each
variant has its own catalog release, ``<version>-mlkem`` (a suffix without digits, so a banner of a newer
release still resolves to the plain Java 17 profile).
"""

from __future__ import annotations

import re

from tests.interop.harness import ClientRun, LabClient, LabServer, parse_json_lines, prefix

BIN = prefix("jvm") / "bin"
_MARK = re.compile(r"^sshdoctor-harness: port (\d+)$", re.M)

JSCH_MWIEDE = ("0.2.26", "2.27.3", "2.28.8")
MINA = ("2.12.0", "2.15.0", "2.20.0")
SSHJ = ("0.31.0", "0.35.0", "0.38.0", "0.40.0")
TRILEAD = ("1.0.0-build222",)
GANYMED = ("262",)

# Quirks: behaviour of the real library that the catalog's negotiation engine does not model.
# The original JSch throws a bare "Algorithm negotiation fail" (its INFO log shows the proposals, not the slot), and
# trilead's "Cannot negotiate, proposals do not match." names neither slot nor lists (Ganymed, which trilead forked,
# throws the same words from ClientKexManager.handleMessage).
NO_CATEGORY = "no-category-in-message"
# These settle the MAC slots even when the cipher chosen is AEAD (AES-GCM, chacha20-poly1305), so a server whose MACs
# are all unknown to them stops a connection that OpenSSH would make: JSch's fork (KeyExchange.guess checks AEAD only
# after every slot), sshj (Proposal.negotiate) and MINA before 2.16 (AbstractSession.negotiate skips the MAC from
# 2.16.0). Captured: tests/corpus/jsch/jsch-0226-mac-with-gcm.txt, tests/corpus/mina-sshd/mina-2120-mac-with-gcm.txt.
JSCH_MAC_WITH_AEAD = "jsch-negotiates-mac-with-aead"
MINA_MAC_WITH_AEAD = "mina-negotiates-mac-with-aead"
SSHJ_MAC_WITH_AEAD = "sshj-negotiates-mac-with-aead"


def _before(version: str, release: tuple[int, ...]) -> bool:
    return tuple(int(x) for x in version.split(".")[:len(release)]) < release


def split_by_port(stdout: str, stderr: str, returncode: int, count: int) -> list[ClientRun]:
    """The contract's JSON lines, each run given only the stderr after its own ``sshdoctor-harness: port N`` line."""
    runs = parse_json_lines(stdout, stderr, returncode, count)
    marks = list(_MARK.finditer(stderr))
    if len(marks) != count:
        return runs
    parts = [stderr[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(stderr))].lstrip("\n")
             for i, m in enumerate(marks)]
    return [ClientRun(ok=r.ok, chosen=r.chosen, error=r.error, stderr=part, ident=r.ident, raw=r.raw)
            for r, part in zip(runs, parts, strict=True)]


def _client(impl: str, version: str, profile: str, *, variant: str = "", quirks: tuple[str, ...] = ()) -> LabClient:
    name = f"{impl}-{version}" + (f"-{variant}" if variant else "")
    return LabClient(impl, version, (str(BIN / f"{name}-client"),), profile=profile, reported_by=impl,
                     variant=variant, batch=True, parse=split_by_port, quirks=quirks)


def clients() -> list[LabClient]:
    # JSch 0.1.55 has no AEAD cipher, so only the missing category is its quirk.
    out = [_client("jsch", "0.1.55", "jsch-0.1.55", quirks=(NO_CATEGORY,))]
    for v in JSCH_MWIEDE:
        out.append(_client("jsch-mwiede", v, f"jsch-mwiede-{v}", variant="java17", quirks=(JSCH_MAC_WITH_AEAD,)))
        out.append(_client("jsch-mwiede", v, f"jsch-mwiede-{v}-mlkem", variant="java25", quirks=(JSCH_MAC_WITH_AEAD,)))
    out += [_client("mina-sshd", v, f"mina-sshd-{v}", quirks=(MINA_MAC_WITH_AEAD,) if _before(v, (2, 16)) else ()) for v in MINA]
    out += [_client("sshj", v, f"sshj-{v}", quirks=(SSHJ_MAC_WITH_AEAD,)) for v in SSHJ]
    # trilead has no AEAD cipher.
    out += [_client("trilead-ssh2", v, f"trilead-ssh2-{v}", quirks=(NO_CATEGORY,)) for v in TRILEAD]
    # Nor has Ganymed; its message is trilead's.
    out += [_client("ganymed-ssh2", v, f"ganymed-ssh2-{v}", quirks=(NO_CATEGORY,)) for v in GANYMED]
    return out


def servers() -> list[LabServer]:
    # A MINA server before 2.16 needs a MAC in common with an AEAD cipher too (the same AbstractSession.negotiate).
    return [LabServer("mina-sshd", v, f"mina-sshd-{v}", argv=(str(BIN / f"mina-sshd-{v}-server"),),
                      quirks=(MINA_MAC_WITH_AEAD,) if _before(v, (2, 16)) else ()) for v in MINA]
