"""What the one-host workflows share and that needs no asyncio: how the local ssh is run, and the
report of a failed probe."""

from __future__ import annotations

from dataclasses import dataclass

from sshdoctor.catalog.software import identify
from sshdoctor.local.errors import LocalError
from sshdoctor.local.sshbin import supported
from sshdoctor.model import Category, HostReport, Target
from sshdoctor.wire.errors import ProbeError


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """How to run the local ssh: an alternative config file and extra -o options."""

    config_file: str | None = None
    options: tuple[str, ...] = ()


DEFAULT_CLIENT = ClientSpec()


def client_label(ident: str, alias: str) -> str:
    """How the local client is named in outcomes: its version and the host whose config applies."""
    software = ident.split("-", 2)[-1] if ident.startswith("SSH-") else ident
    return f"{software} (local ssh, effective config for {alias})"


def failed_report(target: Target, exc: ProbeError) -> HostReport:
    """The report of a probe that failed, with the server's identification when it sent one."""
    banner = exc.banner
    return HostReport(target=target, banner=banner, software=identify(banner).as_dict() if banner else None,
                      error=exc.message, error_kind=exc.kind, exit_code=exc.exit_code)


def local_supported() -> dict[str, tuple[str, ...]] | None:
    """``ssh -Q`` per category (cached), or None without a usable local ssh."""
    try:
        return {cat.value: supported(cat) for cat in Category}
    except LocalError:
        return None
