"""Every way a probe can fail, as one hierarchy with stable kinds and exit codes.

Failure is a value the fleet runner can store; the CLI maps ``exit_code``
to the process exit status so scripts can tell the causes apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sshdoctor.model import Banner


class ProbeError(Exception):
    """A probe that did not yield the server's KEXINIT."""

    kind = "probe-failed"
    exit_code = 19
    stage = "transport"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        # The identification string, when the server sent one before it failed.
        self.banner: Banner | None = None

    def with_banner(self, banner: Banner) -> ProbeError:
        """This error, saying which server (its identification string) failed after sending it."""
        self.banner = banner
        ident = banner.raw if len(banner.raw) <= 120 else banner.raw[:117] + "..."
        if ident not in self.message:
            self.message = f"{self.message} (the server identified as {ident!r})"
            self.args = (self.message,)
        return self


class ResolveError(ProbeError):
    kind = "name-not-resolved"
    exit_code = 10
    stage = "name"


class ConnectionRefused(ProbeError):
    kind = "connection-refused"
    exit_code = 11
    stage = "network"


class ConnectTimeout(ProbeError):
    kind = "connect-timeout"
    exit_code = 12
    stage = "network"


class Unreachable(ProbeError):
    kind = "unreachable"
    exit_code = 13
    stage = "network"


class ClosedBeforeBanner(ProbeError):
    kind = "closed-before-banner"
    exit_code = 14
    stage = "identification"


class ConnectionReset(ProbeError):
    kind = "connection-reset"
    exit_code = 15
    stage = "identification"


class BannerTimeout(ProbeError):
    kind = "banner-timeout"
    exit_code = 16
    stage = "identification"


class NotSSH(ProbeError):
    kind = "not-ssh"
    exit_code = 17
    stage = "identification"


class SSH1Only(ProbeError):
    kind = "ssh1-only"
    exit_code = 18
    stage = "identification"


class ProtocolError(ProbeError):
    kind = "protocol-error"
    exit_code = 19
    stage = "negotiation"


class Disconnected(ProbeError):
    kind = "disconnected"
    exit_code = 20
    stage = "negotiation"


class TooManyPreBannerLines(ProbeError):
    kind = "pre-banner-flood"
    exit_code = 21
    stage = "identification"


class Tarpit(TooManyPreBannerLines):
    """Lines of text, slowly, and never an identification string (endlessh and its kind)."""

    kind = "tarpit"


class KexinitTimeout(ProbeError):
    kind = "kexinit-timeout"
    exit_code = 22
    stage = "negotiation"


class ClosedAfterBanner(ProbeError):
    kind = "closed-after-banner"
    exit_code = 23
    stage = "negotiation"
