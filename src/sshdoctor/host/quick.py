"""``sshdoctor probe`` without asyncio: :func:`sshdoctor.host.examine.examine` in blocking form.

The same steps and the same report: the real ssh tells where it connects
and what it proposes (``local.capture_blocking``), one blocking probe reads
the server (``wire.blocking``), the engine predicts. It is only for the one
command that has to answer fast; everything else (scans above all) uses the
asyncio examination. On a platform without FIFOs (or when the portable
capture is forced) the caller uses the asyncio one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sshdoctor.local.capture_args import use_socket
from sshdoctor.local.capture_blocking import BlockingCapture
from sshdoctor.local.errors import LocalError, SshMissing
from sshdoctor.local.sshbin import ssh_path
from sshdoctor.model import HostReport, Proposal, Target, parse_target


def available() -> bool:
    """Whether this platform can run the blocking examination (FIFOs, and the capture not forced to sockets)."""
    return not use_socket()


@dataclass(frozen=True, slots=True)
class Spec:
    """How to run the local ssh (the fields of ``host.common.ClientSpec``, without importing it)."""

    config_file: str | None = None
    options: tuple[str, ...] = ()


def examine_blocking(spec: str, *, port: int | None = None, timeout: float = 5.0,
                     client: Spec | None = None) -> HostReport:
    """Probe a host and predict the local ssh's negotiation with it (see ``examine``).

    The local ssh is started first: it reads its configuration while Python
    loads the catalog and the engine, which only the later steps need.
    """
    client = client or Spec()
    host, explicit = parse_target(spec, port)
    capture = None
    try:
        ssh_path()
        capture = BlockingCapture(host, port=explicit, config_file=client.config_file, options=list(client.options),
                                  timeout=timeout)
        capture.spawn()
    except SshMissing as exc:
        from sshdoctor.catalog.software import identify
        from sshdoctor.host.common import failed_report
        from sshdoctor.wire.blocking import probe_blocking
        from sshdoctor.wire.errors import ProbeError
        from sshdoctor.wire.result import DEFAULT_IDENT

        target = Target(host, explicit or 22)
        try:
            result = probe_blocking(target, timeout=timeout, ident=DEFAULT_IDENT)
        except ProbeError as err:
            return failed_report(target, err)
        return HostReport(target=target, address=result.address, banner=result.banner,
                          software=identify(result.banner).as_dict(), offer=result.proposal, error=exc.message,
                          error_kind="ssh-missing", exit_code=SshMissing.exit_code, timings=result.timings)
    try:
        from sshdoctor.catalog.software import identify
        from sshdoctor.host.common import client_label, failed_report, local_supported
        from sshdoctor.negotiate import negotiate
        from sshdoctor.wire.blocking import probe_blocking
        from sshdoctor.wire.errors import ProbeError

        ident = capture.start()
        resolved = capture.resolved_host or host
        target = Target(resolved, capture.resolved_port or explicit or 22, alias=host if resolved != host else None)
        try:
            result = probe_blocking(target, timeout=timeout, ident=ident)
        except ProbeError as exc:
            return failed_report(target, exc)
        note = None
        client_proposal: Proposal | None = None
        try:
            client_proposal = capture.proposal(result.banner.raw)
        except LocalError as exc:
            note = exc.message
        outcome = None
        if client_proposal is not None:
            outcome = negotiate(client_proposal, result.proposal, client_label=client_label(ident, host))
        return HostReport(
            target=target, address=result.address, banner=result.banner,
            software=identify(result.banner).as_dict(), offer=result.proposal, client_proposal=client_proposal,
            client_ident=ident, outcome=outcome, error=note if outcome is None else None, timings=result.timings,
            local_supported=local_supported(),
        )
    finally:
        capture.close()
