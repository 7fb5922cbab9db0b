"""``sshdoctor check HOST`` (also ``sshdoctor HOST``)."""

from __future__ import annotations

import click

from sshdoctor.cli.common import client_options, run_async, timeout_option
from sshdoctor.host.checkup import checkup
from sshdoctor.host.examine import ClientSpec


@click.command()
@click.argument("target")
@client_options
@click.option("--json", "as_json", is_flag=True, help="Print the stages as one JSON document.")
@timeout_option
def check(target: str, port: int | None, config_file: str | None, ssh_options: tuple[str, ...], as_json: bool,
          timeout: float) -> None:
    """Walk the connection to TARGET stage by stage (name, network,
    identification, negotiation, client configuration, authentication) and
    stop at the first that fails, with its likely causes and the fix.
    No password is ever sent. Exit status: 0 all stages pass, 1 a stage failed."""
    client = ClientSpec(config_file=config_file, options=ssh_options)
    result = run_async(lambda: checkup(target, port=port, timeout=timeout, client=client))
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit(result.as_dict())
    else:
        from sshdoctor.report.checkup_view import render_checkup

        render_checkup(result)
    raise SystemExit(result.exit_code)
