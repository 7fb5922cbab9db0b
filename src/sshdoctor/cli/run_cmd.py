"""``sshdoctor run -- CMD …``: run the user's own command, and if it fails on
an SSH problem, explain it and offer (or apply) the verified fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections import deque

import click

from sshdoctor.cli.common import run_async, timeout_option

TAIL_BYTES = 256 * 1024


def _run_tee(argv: list[str]) -> tuple[int, str]:
    """Run ``argv`` with stdin/stdout untouched; copy stderr through, keeping its tail."""
    try:
        proc = subprocess.Popen(argv, stderr=subprocess.PIPE)
    except OSError as exc:
        sys.stderr.write(f"sshdoctor: cannot run {argv[0]}: {exc.strerror}\n")
        raise SystemExit(127) from None
    tail: deque[bytes] = deque()
    size = 0
    assert proc.stderr is not None
    out = sys.stderr.buffer

    def pump() -> None:
        nonlocal size
        stream = proc.stderr
        assert stream is not None
        fd = stream.fileno()
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            out.write(chunk)
            out.flush()
            tail.append(chunk)
            size += len(chunk)
            while size > TAIL_BYTES and len(tail) > 1:
                size -= len(tail.popleft())

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        code = proc.wait()
    reader.join(5)
    return code, b"".join(tail).decode("utf-8", "replace")


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--apply", "apply_", is_flag=True, help="Write the verified fix into ~/.ssh/config (or -F FILE) and re-run once.")
@click.option("-F", "config_file", type=click.Path(dir_okay=False), help="ssh client configuration file to check and write.")
@timeout_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(apply_: bool, config_file: str | None, timeout: float, command: tuple[str, ...]) -> None:
    """Run COMMAND (ssh, scp, sftp, rsync -e ssh, git over ssh, ansible …)
    unchanged. If it fails on an SSH problem, explain what it printed and
    show the verified fix for the host it talked to; with --apply, write the
    fix and run the command once more. Exit status: the command's own."""
    from sshdoctor.diagnose import explain_text
    from sshdoctor.diagnose.cmdline import destination
    from sshdoctor.host.examine import ClientSpec
    from sshdoctor.report.terminal import console

    argv = list(command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise click.UsageError("run needs a command after --")
    if shutil.which(argv[0]) is None and not os.path.exists(argv[0]):
        sys.stderr.write(f"sshdoctor: {argv[0]}: command not found\n")
        raise SystemExit(127)
    code, text = _run_tee(argv)
    if code == 0:
        raise SystemExit(0)
    findings = explain_text(text)
    negotiation = [f for f in findings if f.kind == "no-common-algorithm"]
    err = console(stderr=True)
    if not findings:
        err.print(f"[dim]sshdoctor: {argv[0]} exited {code}; nothing in its output is an SSH problem sshdoctor knows[/dim]")
        raise SystemExit(code)
    from sshdoctor.report.explain_view import headline

    err.rule("sshdoctor")
    for finding in findings:
        err.print(f"• {headline(finding)}", markup=False)
    if not negotiation:
        err.print(f"run [bold]sshdoctor explain[/bold] on the output for details; exit {code} kept")
        raise SystemExit(code)
    dest = destination(argv)
    host = dest.host if dest else (negotiation[0].host or "")
    port = dest.port if dest else negotiation[0].port
    if not host:
        raise SystemExit(code)
    from sshdoctor.host.fix import fix_host
    from sshdoctor.report.fix_view import render_fix

    client = ClientSpec(config_file=config_file)
    result = run_async(lambda: fix_host(host, port=port, timeout=timeout, client=client))
    render_fix(result, err)
    if not (apply_ and result.changes and result.plan is not None and result.plan.works and result.verified):
        if result.changes and not apply_:
            err.print("re-run with [bold]sshdoctor run --apply -- …[/bold] to write it and try again")
        raise SystemExit(code)
    from sshdoctor.host.applyfix import apply_fix
    from sshdoctor.report.fix_view import render_applied

    applied = run_async(lambda: apply_fix(result, path=config_file, dry_run=False, client=client, timeout=timeout))
    render_applied(applied, err)
    err.rule("sshdoctor: running it again")
    code, _text = _run_tee(argv)
    raise SystemExit(code)
