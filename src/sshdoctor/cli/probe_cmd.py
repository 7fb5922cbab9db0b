"""``sshdoctor probe HOST``."""

from __future__ import annotations

import click

from sshdoctor.cli.common import client_options, fail, run_async, timeout_option
from sshdoctor.host.examine import ClientSpec, examine


@click.command()
@click.argument("target")
@client_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (sshdoctor help json).")
@timeout_option
def probe(target: str, port: int | None, config_file: str | None, ssh_options: tuple[str, ...],
          as_json: bool, timeout: float) -> None:
    """Show what TARGET (HOST, HOST:PORT, [V6]:PORT or an ssh_config alias) offers,
    rate every algorithm, and predict what your ssh would negotiate.

    Exit status: 0 negotiation would succeed, 1 it would fail, 10-23 the
    probe failed (sshdoctor help exit-codes), 4 no local ssh, 5 bad ssh config.
    """
    client = ClientSpec(config_file=config_file, options=ssh_options)
    report = run_async(lambda: examine(target, port=port, timeout=timeout, client=client))
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit(report.as_dict())
    else:
        from sshdoctor.report.terminal import render_probe

        if report.offer is not None:
            render_probe(report)
    if report.offer is None:
        fail(report.error or "probe failed", report.exit_code or 19)
    if report.outcome is None:
        fail(report.error or "negotiation not predicted", report.exit_code or 4)
    raise SystemExit(0 if report.outcome.ok else 1)
