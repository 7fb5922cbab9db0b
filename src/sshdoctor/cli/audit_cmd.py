"""``sshdoctor audit HOST`` (with ``--policy`` and ``--harden``) and ``sshdoctor audit --client``."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sshdoctor.cli.common import EXIT_USAGE, fail, run_async
from sshdoctor.model import Target

if TYPE_CHECKING:
    from sshdoctor.audit.harden import HardenPlan
    from sshdoctor.audit.policy import Policy
    from sshdoctor.audit.server import AuditReport
    from sshdoctor.catalog.profiles import Profile

EXIT_POLICY = 1
EXIT_HARDEN = 24
DEFAULT_STEP_TIMEOUT = 5.0

Kept = list[tuple[str, "Profile | None"]]


@click.command()
@click.argument("target", required=False)
@click.option("-p", "--port", type=click.IntRange(1, 65535), help="Port (default: as ssh resolves it, usually 22).")
@click.option("-F", "config_file", type=click.Path(dir_okay=False), help="ssh client configuration used to resolve TARGET.")
@click.option("--policy", metavar="modern|intermediate|FILE", help="Check the server against a policy; exit 1 if it fails.")
@click.option("--harden", is_flag=True, help="Print sshd_config lines that remove weak algorithms (see --keep).")
@click.option("--keep", metavar="PROFILES", default="",
              help="With --harden: comma-separated client profiles that must still connect (e.g. openssh-7.4,putty-0.76); "
                   "'local' is your ssh.")
@click.option("--apply", "apply_", is_flag=True,
              help="With --harden, on the server itself: write the lines where they win, only after a trial sshd "
                   "proved that every kept client (and your ssh) still connects.")
@click.option("--sshd-config", type=click.Path(dir_okay=False), help="With --harden --apply: the sshd_config to change.")
@click.option("--reload", "reload_", is_flag=True, help="With --harden --apply: reload the running sshd afterwards.")
@click.option("--client", "client_mode", is_flag=True, help="Listen and audit the SSH clients that connect.")
@click.option("-l", "--listen-port", type=click.IntRange(0, 65535), default=2222, show_default=True,
              help="With --client: port to listen on (0 picks a free one).")
@click.option("--host", "listen_host", default="127.0.0.1", show_default=True, help="With --client: address to listen on.")
@click.option("--count", type=click.IntRange(1), help="With --client: stop after this many clients.")
@click.option("--timeout", type=click.FloatRange(0.1, 86400),
              help="Seconds per network step for a server audit (default 5); with --client, how long to listen in all.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (sshdoctor help audit).")
def audit(target: str | None, port: int | None, config_file: str | None, policy: str | None, harden: bool, keep: str,
          apply_: bool, sshd_config: str | None, reload_: bool, client_mode: bool, listen_port: int, listen_host: str,
          count: int | None, timeout: float | None, as_json: bool) -> None:
    """Audit TARGET's algorithms, host keys and Terrapin exposure, grade it
    (A-F), check a policy, or plan a hardened sshd_config that keeps named
    clients working. With --client, listen instead and audit each client
    that connects.

    Exit status: 0 done (and the policy passes), 1 the policy fails, 2 usage
    error, 3 cannot listen (--client), 10-23 the server could not be
    reached or probed, 24 --harden cannot keep every named client
    connecting or sshd -t rejects the lines (sshdoctor help exit-codes).
    """
    if client_mode:
        if target is not None or harden or policy or keep or port is not None:
            fail("--client listens for clients: it takes no TARGET, -p, --policy, --harden or --keep", EXIT_USAGE)
        _client_mode(listen_host, listen_port, count, timeout, as_json)
        return
    if target is None:
        fail("missing TARGET (or use --client to audit connecting clients)", EXIT_USAGE)
    if count is not None:
        fail("--count only applies to --client", EXIT_USAGE)
    if keep and not harden:
        fail("--keep only applies to --harden", EXIT_USAGE)
    if (apply_ or sshd_config or reload_) and not harden:
        fail("--apply, --sshd-config and --reload only apply to --harden", EXIT_USAGE)
    chosen = _load_policy(policy) if policy else None
    kept = _kept_profiles(tuple(k.strip() for k in keep.split(",") if k.strip())) if harden else None
    apply = (sshd_config or "/etc/ssh/sshd_config", reload_) if apply_ else None
    _server_mode(target, port, config_file, chosen, kept, timeout or DEFAULT_STEP_TIMEOUT, as_json, apply)


def _load_policy(spec: str) -> Policy:
    """A built-in policy by name, or a policy file; any problem is a usage error."""
    from sshdoctor.audit.policy import PolicyError, builtin, builtin_ids, policy_from_dict

    if spec in builtin_ids():
        return builtin(spec)
    path = Path(spec)
    if not path.is_file():
        fail(f"no built-in policy {spec!r} (built-in: {', '.join(builtin_ids())}) and no such file", EXIT_USAGE)
    try:
        return policy_from_dict(tomllib.loads(path.read_text(encoding="utf-8")), default_id=path.stem)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read policy file {spec}: {exc}", EXIT_USAGE)
    except tomllib.TOMLDecodeError as exc:
        fail(f"policy file {spec} is not valid TOML: {exc}", EXIT_USAGE)
    except PolicyError as exc:
        fail(f"policy file {spec}: {exc}", EXIT_USAGE)


def _kept_profiles(names: tuple[str, ...]) -> Kept:
    """Resolve --keep names to profiles; ``local`` (the user's ssh) is captured later.

    A release without its own profile (``paramiko-2.7``) takes the closest
    profiled release below it, as the profile files document.
    """
    import re

    from sshdoctor.catalog.profiles import all_profiles, get_profile, profile_for_software

    out: Kept = []
    for name in names:
        if name == "local":
            out.append((name, None))
            continue
        prof = get_profile(name)
        label = name
        split = re.match(r"^(.+?)[-_ ]v?(\d[\d.]*)$", name.strip().lower())
        if prof is None and split:
            prof = profile_for_software(split[1], split[2])
            label = f"{name} (as {prof.id})" if prof is not None else name
        if prof is None:
            family = split[1] if split else name.lower()
            similar = sorted(p for p, v in all_profiles().items() if v.implementation.startswith(family) and v.client)
            hint = f" (known: {', '.join(similar[:8])}{' …' if len(similar) > 8 else ''})" if similar else ""
            fail(f"--keep: unknown client profile {name!r}{hint}", EXIT_USAGE)
        if prof.client is None:
            fail(f"--keep: {prof.id} is a server-only profile (no client side)", EXIT_USAGE)
        out.append((label if label != name else prof.id, prof))
    return out


def _server_mode(target: str, port: int | None, config_file: str | None, policy: Policy | None, kept: Kept | None,
                 timeout: float, as_json: bool, apply: tuple[str, bool] | None = None) -> None:
    report, plan, check = run_async(lambda: _gather(target, port, config_file, policy, timeout, as_json, kept))
    names = [name for name, _ in kept or []]
    applied = None
    if apply is not None and plan is not None:
        applied = _apply_harden(plan, kept or [], apply[0], apply[1], timeout)
    if as_json:
        from sshdoctor.report.jsonout import emit

        document = report.as_dict()
        if plan is not None:
            document["harden"] = {**plan.as_dict(), "keep": names, "sshd_check": check,
                                  "applied": applied.as_dict() if applied is not None else None}
        emit(document)
    else:
        from sshdoctor.report.audit_view import render_audit, render_harden

        render_audit(report)
        if plan is not None:
            render_harden(plan, check, kept=names)
        if applied is not None:
            from sshdoctor.cli.fix_server import render_server_apply

            render_server_apply(applied)
    if applied is not None and not applied.applied:
        raise SystemExit(EXIT_HARDEN)
    code = 0
    if report.policy is not None and not report.policy.passed:
        code = EXIT_POLICY
    rejected = check is not None and bool(check.get("checked")) and not check.get("valid")
    if plan is not None and (plan.cut_off or plan.already_failing or rejected):
        code = EXIT_HARDEN
    raise SystemExit(code)


def _resolve(spec: str, port: int | None, config_file: str | None) -> Target:
    """The host and port ssh would connect to (``ssh -G``), or the target as typed without a local ssh."""
    from sshdoctor.local.effective import effective
    from sshdoctor.local.errors import SshMissing
    from sshdoctor.model import parse_target

    host, explicit = parse_target(spec, port)
    try:
        eff = effective(host, port=explicit, config_file=config_file)
    except SshMissing:
        return Target(host, explicit or 22)
    return Target(eff.hostname, eff.port, alias=host if eff.hostname != host else None)


@contextlib.contextmanager
def _status(message: str, show: bool) -> Iterator[None]:
    """A spinner on a terminal's stderr; nothing when piped or in JSON mode."""
    if not show:
        yield
        return
    from sshdoctor.report.terminal import console

    with console(stderr=True).status(message):
        yield


async def _gather(target: str, port: int | None, config_file: str | None, policy: Policy | None, timeout: float,
                  as_json: bool, kept: Kept | None) -> tuple[AuditReport, HardenPlan | None, dict[str, object] | None]:
    """Resolve as ssh does, probe, fetch host keys, audit; then plan and check the hardening when asked."""
    from sshdoctor.audit.server import audit_server
    from sshdoctor.wire.hostkeys import fetch_host_keys
    from sshdoctor.wire.probe import probe

    resolved = await asyncio.to_thread(_resolve, target, port, config_file)
    show = not as_json and sys.stderr.isatty()
    with _status(f"probing {resolved.display()} ...", show):
        result = await probe(resolved, timeout=timeout)
    with _status(f"one key exchange per host-key algorithm ({len(result.proposal.hostkey)}) ...", show):
        keys = await fetch_host_keys(result.address, resolved.port, result.proposal, timeout=timeout)
    report = audit_server(resolved, result.banner, result.proposal, keys, policy=policy, address=result.address)
    if kept is None:
        return report, None, None
    plan, check = await _harden(report, kept, policy, resolved.alias or resolved.host, config_file, timeout)
    return report, plan, check


async def _harden(report: AuditReport, kept: Kept, policy: Policy | None, host_arg: str, config_file: str | None,
                  timeout: float) -> tuple[HardenPlan, dict[str, object]]:
    from sshdoctor.audit.harden import KeptClient, build_from_profile, drop_rule, plan_hardening
    from sshdoctor.catalog.profiles import profile_for_software
    from sshdoctor.cli.audit_sshd import check_with_sshd, same_build_defaults
    from sshdoctor.local.capture import capture_proposal

    clients: list[KeptClient] = []
    for name, prof in kept:
        if prof is None:
            ident, proposal = await capture_proposal(host_arg, report.banner.raw, port=report.target.port,
                                                     config_file=config_file, timeout=timeout)
            clients.append(KeptClient(f"local ({ident.removeprefix('SSH-2.0-')})", proposal))
        elif prof.client is not None:
            clients.append(KeptClient(name, prof.client.proposal()))
    software = report.software
    build = None
    same_build = False
    if software.product == "openssh":
        build = await asyncio.to_thread(same_build_defaults, report.banner)
        same_build = build is not None
        if build is None:
            prof = profile_for_software("openssh", software.version)
            build = build_from_profile(prof) if prof is not None else None
    drop = drop_rule(terrapin_exposed=report.terrapin.vulnerable, allowed=policy.allows if policy else None)
    plan = plan_hardening(report.offer, clients, build, drop=drop, server_label=software.label, host_keys=report.host_keys)
    if build is None or not plan.config_lines():
        return plan, {"checked": False, "valid": False, "message": "no sshd_config lines to check"}
    check = await asyncio.to_thread(check_with_sshd, plan, same_build=same_build)
    return plan, check.as_dict()


def _apply_harden(plan: HardenPlan, kept: Kept, sshd_config: str, reload: bool, timeout: float) -> Any:
    """``--harden --apply``: the same write-and-prove path as ``fix --server``; a kept client that would
    stop connecting makes it refuse and restore the original files."""
    from sshdoctor.audit.harden import KeptClient
    from sshdoctor.host.serverfix import apply_server_change

    lines = [line for change in plan.changes if (line := change.full_line()) is not None]
    clients = [KeptClient(name, prof.client.proposal()) for name, prof in kept if prof is not None and prof.client]
    return run_async(lambda: apply_server_change(sshd_config, lines, keep=clients, reload=reload,
                                                 timeout=max(timeout, 10.0), purpose="sshdoctor audit --harden"))


def _client_mode(host: str, port: int, count: int | None, duration: float | None, as_json: bool) -> None:
    from sshdoctor.cli.audit_listen import run_listener

    session = run_async(lambda: run_listener(host, port, count=count, duration=duration, as_json=as_json))
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit(session.as_dict())
    else:
        from sshdoctor.report.audit_view import render_client_summary

        render_client_summary(session.audits, session.errors)
    raise SystemExit(0)
