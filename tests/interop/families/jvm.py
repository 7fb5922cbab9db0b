"""The JVM libraries: JSch (the original and the mwiede fork), Apache MINA SSHD, sshj, trilead-ssh2.

interop/jvm/install.sh puts each pinned version's jars under ``$SSHDOCTOR_LAB_PREFIX/jvm/lib`` and a
launcher per program under ``bin``; every client harness takes several ports in one run (JVM start-up
is the slow part). The JSch fork runs on Java 17 and on Temurin 25 as two variants: its default kex
list depends on the JRE (ML-KEM is offered first only where the JRE provides it, Java 24+), so each
variant has its own catalog release (``<version>-java25``).
"""

from __future__ import annotations

from tests.interop.harness import LabClient, LabServer, prefix

BIN = prefix("jvm") / "bin"

JSCH_MWIEDE = ("0.2.26", "2.27.3", "2.28.8")
MINA = ("2.12.0", "2.15.0", "2.20.0")
SSHJ = ("0.31.0", "0.35.0", "0.38.0", "0.40.0")
TRILEAD = ("1.0.0-build222",)

# The original JSch throws a bare "Algorithm negotiation fail"; its INFO log names the proposals only.
NO_CATEGORY = ("no-category-in-message",)


def _client(impl: str, version: str, profile: str, *, variant: str = "", quirks: tuple[str, ...] = ()) -> LabClient:
    name = f"{impl}-{version}" + (f"-{variant}" if variant else "")
    return LabClient(impl, version, (str(BIN / f"{name}-client"),), profile=profile, reported_by=impl,
                     variant=variant, batch=True, quirks=quirks)


def clients() -> list[LabClient]:
    out = [_client("jsch", "0.1.55", "jsch-0.1.55", quirks=NO_CATEGORY)]
    for v in JSCH_MWIEDE:
        out.append(_client("jsch-mwiede", v, f"jsch-mwiede-{v}", variant="java17"))
        out.append(_client("jsch-mwiede", v, f"jsch-mwiede-{v}-java25", variant="java25"))
    out += [_client("mina-sshd", v, f"mina-sshd-{v}") for v in MINA]
    out += [_client("sshj", v, f"sshj-{v}") for v in SSHJ]
    out += [_client("trilead-ssh2", v, f"trilead-ssh2-{v}", quirks=NO_CATEGORY) for v in TRILEAD]
    return out


def servers() -> list[LabServer]:
    return [LabServer("mina-sshd", v, f"mina-sshd-{v}", argv=(str(BIN / f"mina-sshd-{v}-server"),)) for v in MINA]
