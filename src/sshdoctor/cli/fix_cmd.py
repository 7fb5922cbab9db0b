"""``sshdoctor fix HOST``."""

from __future__ import annotations

import click

from sshdoctor.cli.common import fail, run_async, timeout_option
from sshdoctor.fleet.examine import ClientSpec
from sshdoctor.fleet.fixhost import fix_host


@click.command()
@click.argument("target")
@click.option("-p", "--port", type=click.IntRange(1, 65535), help="Port (default: as ssh resolves it).")
@click.option("-F", "config_file", type=click.Path(dir_okay=False), help="ssh client configuration file to use.")
@click.option("-o", "ssh_options", multiple=True, metavar="OPTION", help="Extra ssh -o option for the local client.")
@click.option("--offer-keys", is_flag=True, help="Let the verification run offer your keys (never a password).")
@click.option("--no-verify", is_flag=True, help="Plan only; do not run ssh against the host.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (see DESIGN.md).")
@timeout_option
def fix(target: str, port: int | None, config_file: str | None, ssh_options: tuple[str, ...], offer_keys: bool,
        no_verify: bool, as_json: bool, timeout: float) -> None:
    """Compute the narrowest client change that lets your ssh talk to TARGET,
    every failing category at once, and prove it with your real ssh.

    Exit status: 0 verified (or nothing to fix), 1 a fix is proposed but not
    verified, 7 no change of your ssh can work (see alternatives), 10-23 the
    probe failed.
    """
    client = ClientSpec(config_file=config_file, options=ssh_options)
    result = run_async(lambda: fix_host(target, port=port, timeout=timeout, client=client,
                                        offer_keys=offer_keys, verify=not no_verify))
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit(result.as_dict())
    else:
        from sshdoctor.report.fix_view import render_fix

        if result.report.banner is not None:
            render_fix(result)
    if result.plan is None:
        fail(result.error or result.report.error or "probe failed", result.report.exit_code or 19)
    if result.plan.unfixable:
        raise SystemExit(7)
    if not result.plan.needed or result.verified:
        raise SystemExit(0)
    raise SystemExit(1)
