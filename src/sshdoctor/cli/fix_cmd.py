"""``sshdoctor fix HOST`` (and ``--hosts FILE --pattern 'legacy-*'``)."""

from __future__ import annotations

import sys

import click

from sshdoctor.cli.common import fail, run_async, timeout_option
from sshdoctor.host.examine import ClientSpec
from sshdoctor.host.fix import fix_host

EXIT_UNFIXABLE = 9
EXIT_PLACEMENT = 7


def _read_hosts(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = [line.split("#", 1)[0].strip() for line in fh]
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", 3)
    return [line for line in lines if line]


@click.command()
@click.argument("target", required=False)
@click.option("-p", "--port", type=click.IntRange(1, 65535), help="Port (default: as ssh resolves it).")
@click.option("-F", "config_file", type=click.Path(dir_okay=False),
              help="ssh client configuration file to use (and to write with --apply).")
@click.option("-o", "ssh_options", multiple=True, metavar="OPTION", help="Extra ssh -o option for the local client.")
@click.option("--apply", "apply_", is_flag=True, help="Write the fix into ~/.ssh/config (or -F FILE), then re-check it.")
@click.option("--dry-run", is_flag=True, help="With --apply: print the diff, write nothing.")
@click.option("--hosts", "hosts_file", type=click.Path(dir_okay=False), help="Fix every host listed in FILE (one per line).")
@click.option("--pattern", help="With --hosts: one 'Host PATTERN' block for all of them (e.g. 'legacy-*').")
@click.option("--offer-keys", is_flag=True, help="Let the verification run offer your keys (never a password).")
@click.option("--no-verify", is_flag=True, help="Plan only; do not run ssh against the host.")
@click.option("--server", "on_server", is_flag=True,
              help="Run on the server: change its sshd_config so clients connect without any workaround.")
@click.option("--sshd-config", type=click.Path(dir_okay=False), help="With --server: the sshd_config (default the system's).")
@click.option("--sshd", "sshd_path", type=click.Path(dir_okay=False), help="With --server: the sshd binary to ask.")
@click.option("--for", "for_", metavar="PROFILES", help="With --server: more clients that must connect (profile ids).")
@click.option("--keep", metavar="PROFILES", help="With --server: clients that connect today and must keep connecting.")
@click.option("--client-offer", metavar="TEXT|FILE",
              help="With --server: a client's offer from a server log (sshd's 'Unable to negotiate' lines), which must "
                   "connect afterwards.")
@click.option("--reload", "reload_", is_flag=True, help="With --server --apply: reload the running sshd afterwards.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (sshdoctor help json).")
@timeout_option
def fix(target: str | None, port: int | None, config_file: str | None, ssh_options: tuple[str, ...], apply_: bool,
        dry_run: bool, hosts_file: str | None, pattern: str | None, offer_keys: bool, no_verify: bool,
        on_server: bool, sshd_config: str | None, sshd_path: str | None, for_: str | None, keep: str | None,
        client_offer: str | None, reload_: bool, as_json: bool, timeout: float) -> None:
    """Compute the narrowest client change that lets your ssh talk to TARGET,
    every failing category at once, and prove it with your real ssh; with
    --apply, write it as a Host block and prove the file works.

    With --server, run on the server: the smallest sshd_config change that
    lets the current OpenSSH and your ssh connect (--for more) while every
    client that connects today still does (--keep), written with --apply
    only after a trial sshd proved it.

    Exit status: 0 verified (or nothing to fix), 1 a fix is proposed but not
    verified, 5 the config file does not parse, 7 a block cannot take effect
    (an earlier line wins), 9 no change of your ssh can work (see the
    alternatives), 10-23 the probe failed.
    """
    if on_server:
        if target is not None or hosts_file is not None:
            fail("fix --server runs on the server itself: it takes no TARGET (use --sshd-config FILE)", 2)
        from sshdoctor.cli.fix_server import fix_server_main

        raise SystemExit(fix_server_main(sshd_config, sshd_path, for_, keep, client_offer, apply_, reload_, as_json,
                                         timeout))
    client = ClientSpec(config_file=config_file, options=ssh_options)
    if hosts_file is not None:
        _fix_group(hosts_file, pattern, config_file, client, apply_, dry_run, as_json, timeout)
        return
    if target is None:
        fail("fix needs a TARGET (or --hosts FILE)", 2)
    result = run_async(lambda: fix_host(target, port=port, timeout=timeout, client=client,
                                        offer_keys=offer_keys, verify=not no_verify))
    applied = None
    if apply_ and result.changes and result.plan is not None and result.plan.works:
        from sshdoctor.host.applyfix import apply_fix

        applied = run_async(lambda: apply_fix(result, path=config_file, dry_run=dry_run, client=client,
                                              timeout=timeout))
    if as_json:
        from sshdoctor.report.jsonout import emit

        doc = result.as_dict()
        if applied is not None:
            doc["applied"] = applied.as_dict()
        emit(doc)
    else:
        from sshdoctor.report.fix_view import render_applied, render_fix

        if result.report.offer is not None:
            render_fix(result)
        if applied is not None:
            render_applied(applied)
    if result.plan is None:
        fail(result.error or result.report.error or "probe failed", result.report.exit_code or 19)
    if result.plan.unfixable:
        raise SystemExit(EXIT_UNFIXABLE)
    if applied is not None and not dry_run:
        raise SystemExit(0 if applied.in_effect and applied.verified else 1)
    if not result.plan.needed or result.verified:
        raise SystemExit(0)
    raise SystemExit(1)


def _fix_group(hosts_file: str, pattern: str | None, config_file: str | None, client: ClientSpec, apply_: bool,
               dry_run: bool, as_json: bool, timeout: float) -> None:
    from sshdoctor.fleet.groupfix import fix_group

    hosts = _read_hosts(hosts_file)
    if not hosts:
        fail(f"{hosts_file} lists no hosts", 2)
    group = run_async(lambda: fix_group(hosts, pattern=pattern, path=config_file, client=client,
                                        dry_run=dry_run or not apply_, timeout=timeout))
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit(group.as_dict())
    else:
        from sshdoctor.report.fix_view import render_group

        render_group(group, written=apply_ and not dry_run)
    failed = [h for h, run in group.checks.items() if not run.ok or h in group.downgrades]
    if any(f.plan is None for f in group.fixes):
        sys.exit(1)
    sys.exit(1 if failed else 0)
