"""``sshdoctor run -- CMD …``: run the user's own command, and if it fails on
an SSH problem, explain it and offer (or apply) the verified fix, in the terms
of that command: its host, port, user, -F file and options."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections import deque
from typing import Any

import click

from sshdoctor.cli.common import run_async, timeout_option

TAIL_BYTES = 256 * 1024


def _run_tee(argv: list[str], *, stdout_to_stderr: bool = False) -> tuple[int, str]:
    """Run ``argv`` with stdin untouched; copy stderr through, keeping its tail (stdout too, with --json)."""
    try:
        proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=sys.stderr if stdout_to_stderr else None)
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


def _emit(doc: dict[str, Any], as_json: bool) -> None:
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit(doc)


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--apply", "apply_", is_flag=True,
              help="Write the verified fix into the file the command's ssh reads, then run the command once more.")
@click.option("-F", "config_file", type=click.Path(dir_okay=False),
              help="ssh client configuration file to check and write (default: the command's own -F, else ~/.ssh/config).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document on stdout (the command's own output goes to stderr).")
@timeout_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(apply_: bool, config_file: str | None, as_json: bool, timeout: float, command: tuple[str, ...]) -> None:
    """Run COMMAND (ssh, scp, sftp, rsync -e ssh, git over ssh, ansible …)
    unchanged. If it fails on an SSH problem, explain what it printed and
    show the verified fix for the host it talked to, and the same command
    with the fix in it; with --apply, write the fix into the file that
    command's ssh reads and, once the fix is proved, run it once more.
    Exit status: the command's own."""
    from sshdoctor.diagnose import explain_text
    from sshdoctor.local.wrapped import parse_ansible, parse_wrapped
    from sshdoctor.report.terminal import console

    argv = list(command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise click.UsageError("run needs a command after --")
    if shutil.which(argv[0]) is None and not os.path.exists(argv[0]):
        sys.stderr.write(f"sshdoctor: {argv[0]}: command not found\n")
        raise SystemExit(127)
    code, text = _run_tee(argv, stdout_to_stderr=as_json)
    doc: dict[str, Any] = {"command": argv, "exit_code": code, "findings": [], "fix": None, "actions": [],
                           "applied": None, "rerun": None}
    if code == 0:
        _emit(doc, as_json)
        raise SystemExit(0)
    findings = explain_text(text)
    doc["findings"] = [f.as_dict() for f in findings]
    negotiation = [f for f in findings if f.kind == "no-common-algorithm"]
    err = console(stderr=True)
    if not findings:
        if not as_json:
            err.print(f"[dim]sshdoctor: {argv[0]} exited {code}; nothing in its output is an SSH problem sshdoctor "
                      "knows[/dim]")
        _emit(doc, as_json)
        raise SystemExit(code)
    from sshdoctor.report.explain_view import headline

    if not as_json:
        err.rule("sshdoctor")
        for finding in findings:
            err.print(f"• {headline(finding)}", markup=False)
    wrapped = parse_wrapped(argv, os.environ)
    if wrapped is None and negotiation and negotiation[0].host:
        wrapped = parse_ansible(argv, os.environ, negotiation[0].host)
    if not negotiation or wrapped is None:
        if not as_json:
            err.print("run [bold]sshdoctor explain[/bold] on the output for details; exit " + str(code) + " kept")
        _emit(doc, as_json)
        raise SystemExit(code)
    _fix_and_maybe_rerun(wrapped, config_file, apply_, as_json, timeout, code, doc, err)


def _fix_and_maybe_rerun(wrapped: Any, config_file: str | None, apply_: bool, as_json: bool, timeout: float, code: int,
                         doc: dict[str, Any], err: Any) -> None:
    from sshdoctor.host.examine import ClientSpec
    from sshdoctor.host.fix import fix_host
    from sshdoctor.model import Action, actions_json
    from sshdoctor.report.actions import render_action
    from sshdoctor.report.fix_view import render_fix

    inv = wrapped.ssh
    path = config_file or inv.config_file
    client = ClientSpec(config_file=path, options=inv.options)
    spec = f"{inv.user}@{inv.destination}" if inv.user else inv.destination
    result = run_async(lambda: fix_host(spec, port=inv.port, timeout=timeout, client=client))
    doc["fix"] = result.as_dict()
    actions = list(result.actions())
    if result.changes and result.plan is not None and result.plan.works:
        options = [f"{c.directive}={c.option_value()}" for c in result.option_changes]
        fixed = Action.command(wrapped.with_fix(options, os.environ), "your command, with the fix",
                               verified="the real ssh completed key exchange with these options"
                               if result.verified else None)
        apply_cmd = Action.command(["sshdoctor", "run", *(["-F", config_file] if config_file else []), "--apply", "--",
                                    *wrapped.argv], f"write the fix into {result.config_path} and run it again")
        actions = [fixed, *actions, apply_cmd]
    doc["actions"] = actions_json(actions)
    if not as_json:
        render_fix(result, err)
        if actions and actions[0].title == "your command, with the fix":
            render_action(err, actions[0])
    ready = result.changes and result.plan is not None and result.plan.works and result.verified
    if not (apply_ and ready):
        if not as_json and result.changes and not apply_:
            render_action(err, actions[-1])
        elif not as_json and apply_ and not ready:
            err.print("[bold red]not written and not run again: the fix is not verified[/bold red]")
        _emit(doc, as_json)
        raise SystemExit(code)
    from sshdoctor.host.applyfix import apply_fix
    from sshdoctor.report.fix_view import render_applied

    applied = run_async(lambda: apply_fix(result, path=path, dry_run=False, client=client, timeout=timeout))
    doc["applied"] = applied.as_dict()
    if not as_json:
        render_applied(applied, err)
    if not (applied.in_effect and applied.verified):
        if not as_json:
            err.print("[bold red]not run again: with the file alone the real ssh still fails[/bold red]")
        _emit(doc, as_json)
        raise SystemExit(code)
    if not as_json:
        err.rule("sshdoctor: running it again: " + shlex.join(wrapped.argv))
    code, _text = _run_tee(list(wrapped.argv), stdout_to_stderr=as_json)
    doc["rerun"] = {"exit_code": code}
    _emit(doc, as_json)
    raise SystemExit(code)
