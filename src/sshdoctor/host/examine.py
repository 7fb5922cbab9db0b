"""One host, end to end: resolve as ssh does, probe, capture the local proposal, negotiate."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from sshdoctor.catalog.software import identify
from sshdoctor.host.common import DEFAULT_CLIENT, ClientSpec, client_label, failed_report, local_supported
from sshdoctor.local.capture import ClientCapture
from sshdoctor.local.effective import Effective, effective
from sshdoctor.local.errors import LocalError, SshMissing
from sshdoctor.local.sshbin import ssh_path
from sshdoctor.model import HostReport, Proposal, Target, parse_target
from sshdoctor.negotiate import negotiate
from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.probe import probe
from sshdoctor.wire.result import DEFAULT_IDENT


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
    return (await _examine(spec, port, timeout, client, want_effective=False)).report


async def examine_resolved(
    spec: str,
    *,
    port: int | None = None,
    timeout: float = 5.0,
    client: ClientSpec = DEFAULT_CLIENT,
) -> Examined:
    """:func:`examine`, also returning the effective ssh configuration (``ssh -G``)."""
    return await _examine(spec, port, timeout, client, want_effective=True)


def _have_ssh() -> bool:
    try:
        ssh_path()
    except SshMissing:
        return False
    return True


async def _examine(spec: str, port: int | None, timeout: float, client: ClientSpec, *, want_effective: bool) -> Examined:
    host, explicit = parse_target(spec, port)
    if not _have_ssh():
        target = Target(host, explicit or 22)
        report = await _probe_only(target, timeout, note=SshMissing(
            "no OpenSSH client found (install openssh-client, or set SSHDOCTOR_SSH): negotiation not predicted").message)
        return Examined(report=report, effective=None, explicit_port=explicit)
    eff_task = None
    if want_effective:
        eff_task = asyncio.ensure_future(asyncio.to_thread(
            effective, host, port=explicit, config_file=client.config_file, options=list(client.options)))
    capture = ClientCapture(host, port=explicit, config_file=client.config_file, options=list(client.options),
                            timeout=timeout)
    try:
        # The real ssh reports the HostName and Port it would use (ssh -G's
        # answer, without a second process), then its identification.
        ident = await capture.start()
        resolved = capture.resolved_host or host
        target = Target(resolved, capture.resolved_port or explicit or 22, alias=host if resolved != host else None)
        eff = await eff_task if eff_task is not None else None
        try:
            result = await probe(target, timeout=timeout, ident=ident)
        except ProbeError as exc:
            return Examined(report=failed_report(target, exc), effective=eff, explicit_port=explicit)
        note = None
        client_proposal: Proposal | None = None
        try:
            client_proposal = await capture.proposal(result.banner.raw)
        except LocalError as exc:
            note = exc.message
            client_proposal = eff.proposal() if eff is not None else None  # configured lists, no known_hosts order
        outcome = None
        if client_proposal is not None:
            outcome = negotiate(client_proposal, result.proposal, client_label=client_label(ident, host))
        report = HostReport(
            target=target,
            address=result.address,
            banner=result.banner,
            software=identify(result.banner).as_dict(),
            offer=result.proposal,
            client_proposal=client_proposal,
            client_ident=ident,
            outcome=outcome,
            error=note if outcome is None else None,
            timings=result.timings,
            local_supported=local_supported(),
        )
        return Examined(report=report, effective=eff, explicit_port=explicit)
    finally:
        await capture.close()
        if eff_task is not None:
            # Awaited whatever happened, so a failure of its own (a config ssh -G
            # rejects) is never left for the event loop to report at exit.
            if not eff_task.done():
                eff_task.cancel()
            with contextlib.suppress(BaseException):
                await eff_task


async def _probe_only(target: Target, timeout: float, note: str) -> HostReport:
    try:
        result = await probe(target, timeout=timeout, ident=DEFAULT_IDENT)
    except ProbeError as exc:
        return failed_report(target, exc)
    return HostReport(
        target=target,
        address=result.address,
        banner=result.banner,
        software=identify(result.banner).as_dict(),
        offer=result.proposal,
        error=note,
        error_kind="ssh-missing",
        exit_code=SshMissing.exit_code,
        timings=result.timings,
    )


__all__ = ["DEFAULT_CLIENT", "ClientSpec", "Examined", "client_label", "examine", "examine_resolved",
           "failed_report", "local_supported"]
