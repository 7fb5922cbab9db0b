"""``sshdoctor lint [FILE]``: check the algorithm directives of ssh_config / sshd_config."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from sshdoctor.cli.common import guarded

_STYLE = {"fail": "bold red", "warn": "yellow", "info": "cyan"}
EXIT_PARSE = 5


def _render(findings: Sequence[object]) -> None:
    """``FILE:LINE: severity: message`` lines, coloured when stdout is a terminal."""
    from rich.text import Text

    from sshdoctor.audit.configlint import ConfigFinding
    from sshdoctor.report.sanitize import printable
    from sshdoctor.report.terminal import console

    out = console()
    for finding in findings:
        assert isinstance(finding, ConfigFinding)
        line = Text(f"{printable(finding.file)}:{finding.line}: ")
        line.append(finding.severity, style=_STYLE.get(finding.severity, ""))
        line.append(f": {printable(finding.message)} [{finding.code}]")
        # One finding per line, never wrapped, so CI logs and grep see it whole.
        out.print(line, soft_wrap=True)


@click.command()
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--ssh", "flavour", flag_value="ssh", help="Treat FILE as ssh_config (client).")
@click.option("--sshd", "flavour", flag_value="sshd", help="Treat FILE as sshd_config (server).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with every finding.")
def lint(file: str | None, flavour: str | None, as_json: bool) -> None:
    """Check the algorithm directives of FILE (default ~/.ssh/config, or
    /etc/ssh/sshd_config with --sshd): unknown and unsupported names, weak
    algorithms enabled for every host, replacement lists that drop modern
    defaults, lines that never take effect, obsolete keywords.

    Exit status: 0 clean (or advice only), 1 warnings, 6 failures, 5 the
    file does not parse, 4 no local ssh (sshdoctor help exit-codes).
    """
    from sshdoctor.local.sshconfig.apply import default_config_path

    path = file or ("/etc/ssh/sshd_config" if flavour == "sshd" else str(default_config_path()))
    if file is None and not os.path.exists(path):
        sys.stderr.write(f"sshdoctor: {path} does not exist: nothing to check\n")
        raise SystemExit(0)
    kind = flavour if flavour in ("ssh", "sshd") else None
    raise SystemExit(guarded(lambda: _run(path, kind, as_json)))


def _run(path: str, flavour: str | None, as_json: bool) -> int:
    from sshdoctor.audit.configlint import LintContext, exit_code, lint_tree
    from sshdoctor.local.sshconfig.errors import ConfigParseError
    from sshdoctor.local.sshconfig.lint import form_checker, local_lists, program_verdict, read_config
    from sshdoctor.report.jsonout import emit

    try:
        tree, kind = read_config(path, flavour="sshd" if flavour == "sshd" else "ssh" if flavour == "ssh" else None)
    except ConfigParseError as exc:
        if not as_json:
            raise
        emit({"file": path, "kind": None, "error": exc.message, "findings": []})
        return EXIT_PARSE
    lists = local_lists(kind)
    ctx = LintContext(flavour=kind, supported=lists.supported, defaults=lists.defaults,
                      version=lists.version, label=lists.label, rejected=program_verdict(path, kind),
                      same_as=form_checker(kind))
    findings = lint_tree(tree, ctx)
    if as_json:
        emit({
            "file": path,
            "kind": "ssh_config" if kind == "ssh" else "sshd_config",
            "checked_with": lists.label,
            "findings": [f.as_dict() for f in findings],
        })
    else:
        _render(findings)
    return exit_code(findings)
