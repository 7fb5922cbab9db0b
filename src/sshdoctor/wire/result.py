"""What a probe yields and how its failures are worded: shared by the asyncio probe
(``wire.probe``) and the blocking one (``wire.blocking``)."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

from sshdoctor.model import Banner, Proposal, Target
from sshdoctor.wire.errors import BannerTimeout, ConnectionRefused, ProbeError, Tarpit, Unreachable

DEFAULT_TIMEOUT = 5.0
DEFAULT_IDENT = "SSH-2.0-OpenSSH_9.9"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What a server said before authentication."""

    target: Target
    address: str
    banner: Banner
    proposal: Proposal
    timings: dict[str, float] = field(default_factory=dict)


def connect_error(exc: OSError, where: str) -> ProbeError:
    if isinstance(exc, ConnectionRefusedError):
        return ConnectionRefused(f"connection refused by {where} (nothing listening, or a firewall REJECT)")
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return Unreachable(f"{where}: {exc.strerror or 'unreachable'}")
    return ProbeError(f"cannot connect to {where}: {exc.strerror or exc}")


# Lines of text before the wait runs out: a tarpit keeps a client busy this way.
TARPIT_LINES = 3


def banner_timeout(pre: list[str], timeout: float) -> ProbeError:
    """Why no identification string came, from what did come."""
    if len(pre) >= TARPIT_LINES:
        return Tarpit(f"a tarpit, not an SSH server: {len(pre)} lines of text and no SSH identification string "
                      f"within {timeout:g} s (endlessh or similar)")
    if pre:
        first = next((line for line in pre if line.strip()), pre[0])
        return BannerTimeout(f"no SSH identification string within {timeout:g} s; the server sent {first[:80]!r} "
                             "(another service on this port?)")
    return BannerTimeout(f"no SSH identification string within {timeout:g} s")
