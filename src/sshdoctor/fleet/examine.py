"""One host, end to end: resolve as ssh does, probe, capture the local proposal, negotiate."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from sshdoctor.catalog.software import identify
from sshdoctor.local.capture import ClientCapture
from sshdoctor.local.effective import Effective, effective
from sshdoctor.local.errors import LocalError, SshMissing
from sshdoctor.local.sshbin import supported, version
from sshdoctor.model import Category, HostReport, Target, parse_target
from sshdoctor.negotiate import negotiate
from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.probe import DEFAULT_IDENT, probe


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """How to run the local ssh: an alternative config file and extra -o options."""

    config_file: str | None = None
    options: tuple[str, ...] = ()


DEFAULT_CLIENT = ClientSpec()

def resolve(spec: str, port: int | None, client: ClientSpec) -> tuple[Target, Effective | None, int | None]:
    """The address ssh would connect to for a target string (``ssh -G``).

    Returns the target, the effective configuration (None when no local ssh
    is installed) and the port the user named explicitly.
    """
    host, explicit = parse_target(spec, port)
    try:
        eff = effective(host, port=explicit, config_file=client.config_file, options=list(client.options))
    except SshMissing:
        return Target(host, explicit or 22), None, explicit
    alias = host if eff.hostname != host else None
    return Target(eff.hostname, eff.port, alias=alias), eff, explicit


def client_label(alias: str) -> str:
    return f"{version().label} (local ssh, effective config for {alias})"


async def examine(
    spec: str,
    *,
    port: int | None = None,
    timeout: float = 5.0,
    client: ClientSpec = DEFAULT_CLIENT,
) -> HostReport:
    """Probe a host and predict the local ssh's negotiation with it.

    Errors come back inside the report (``error``, ``error_kind``,
    ``exit_code``) except a target the user mistyped or a local ssh
    configuration that does not parse, which raise.
    """
    return (await examine_resolved(spec, port=port, timeout=timeout, client=client)).report


@dataclass(frozen=True, slots=True)
class Examined:
    """A host report with what the local side looked like when it was made."""

    report: HostReport
    effective: Effective | None
    explicit_port: int | None

    @property
    def host_arg(self) -> str:
        """The name to hand to ssh (the alias the user typed, or the host)."""
        return self.report.target.alias or self.report.target.host


async def examine_resolved(
    spec: str,
    *,
    port: int | None = None,
    timeout: float = 5.0,
    client: ClientSpec = DEFAULT_CLIENT,
) -> Examined:
    """:func:`examine`, also returning the effective ssh configuration used."""
    target, eff, explicit = await asyncio.to_thread(resolve, spec, port, client)
    report = await _examine(target, eff, explicit, timeout, client)
    return Examined(report=report, effective=eff, explicit_port=explicit)


async def _examine(
    target: Target, eff: Effective | None, explicit: int | None, timeout: float, client: ClientSpec
) -> HostReport:
    host_arg = target.alias or target.host
    capture: ClientCapture | None = None
    note: str | None = None
    if eff is None:
        note = "no OpenSSH client found (install openssh-client, or set SSHDOCTOR_SSH): negotiation not predicted"
    else:
        capture = ClientCapture(
            host_arg, port=explicit, config_file=client.config_file, options=list(client.options), timeout=timeout
        )

    async def local_ident() -> str:
        # Runs while the TCP connection is being made.
        nonlocal capture, note
        if capture is None:
            return DEFAULT_IDENT
        try:
            return await capture.start()
        except LocalError as exc:
            await capture.close()
            capture, note = None, exc.message
            return DEFAULT_IDENT

    ident_task = asyncio.ensure_future(local_ident())
    try:
        try:
            result = await probe(target, timeout=timeout, ident=ident_task)
        except ProbeError as exc:
            return HostReport(target=target, error=exc.message, error_kind=exc.kind, exit_code=exc.exit_code)
        ident = ident_task.result()
        outcome = client_proposal = None
        if capture is not None:
            try:
                client_proposal = await capture.proposal(result.banner.raw)
            except LocalError as exc:
                note = exc.message
        if client_proposal is None and eff is not None:
            # Fallback: the configured lists, without known_hosts ordering.
            client_proposal = eff.proposal()
        if client_proposal is not None:
            outcome = negotiate(client_proposal, result.proposal, client_label=client_label(host_arg))
        return HostReport(
            target=target,
            address=result.address,
            banner=result.banner,
            software=identify(result.banner).as_dict(),
            offer=result.proposal,
            client_proposal=client_proposal,
            client_ident=ident if capture is not None else None,
            outcome=outcome,
            error=note if outcome is None else None,
            error_kind="ssh-missing" if eff is None else None,
            exit_code=SshMissing.exit_code if eff is None else 0,
            timings=result.timings,
            local_supported=_local_supported() if eff is not None else None,
        )
    finally:
        if not ident_task.done():
            ident_task.cancel()
        with contextlib.suppress(BaseException):
            await ident_task
        if capture is not None:
            await capture.close()


def _local_supported() -> dict[str, tuple[str, ...]] | None:
    try:
        return {cat.value: supported(cat) for cat in Category}
    except LocalError:
        return None
