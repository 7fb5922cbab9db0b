"""``sshdoctor fix --server``: run on the server, fix its sshd_config for the clients it must serve.

``fix_server_main`` is what the ``fix`` command calls with ``--server``;
it returns the exit status: 0 nothing to do, or the change proved (and,
with --apply, written), 1 the change was refused or could not be proved,
9 some client cannot be served by any change of this sshd, 3-5 the local
machine stopped it (sshd or ssh missing, a file that does not parse).
"""

from __future__ import annotations

import asyncio
import sys

from rich.console import Console
from rich.text import Text

from sshdoctor.host.serverfix import ServerApply, ServerFixResult, fix_server
from sshdoctor.local.errors import LocalError
from sshdoctor.model import Action, ActionKind, Category
from sshdoctor.report.sanitize import printable

EXIT_REFUSED = 1
EXIT_UNFIXABLE = 9


def _ids(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def fix_server_main(sshd_config: str | None, sshd: str | None, for_: str | None, keep: str | None,
                    client_offer: str | None, apply: bool, reload: bool, as_json: bool, timeout: float) -> int:
    """Read, plan, prove and (with ``apply``) write the server-side fix; print it; return the exit status."""
    try:
        result = asyncio.run(fix_server(sshd_config, sshd=sshd, for_=_ids(for_), keep=_ids(keep),
                                        client_offer=client_offer, apply=apply, reload=reload, timeout=timeout))
    except LocalError as exc:
        return _error(exc.message, exc.exit_code, as_json, sshd_config)
    except KeyboardInterrupt:
        return _error("interrupted", 130, as_json, sshd_config)
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit(result.as_dict())
    else:
        render(result, Console(file=sys.stdout, highlight=False, soft_wrap=False))
    return result.exit_code


def _error(message: str, code: int, as_json: bool, config: str | None) -> int:
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit({"sshd_config": config, "error": message, "applied": False, "actions": []})
    sys.stderr.write(f"sshdoctor: {printable(message)}\n")
    return code


def _line(console: Console, text: str, style: str = "") -> None:
    # Copyable text and paths: printed whole, never wrapped or cut, at any width.
    console.print(Text(text, style=style), soft_wrap=True)


def render(result: ServerFixResult, console: Console) -> None:
    """The terminal view: what sshd uses today, the clients, the steps, the proof."""
    state = result.state
    _line(console, f"sshd configuration: {state.config} ({state.sshd.identity or 'sshd'}, {state.sshd.binary})",
          "bold")
    console.print("Today, as sshd -T reads it:")
    for category, name in (("kex", "KexAlgorithms"), ("hostkey", "HostKeyAlgorithms"), ("cipher", "Ciphers"),
                           ("mac", "MACs")):
        where = state.winner(Category(category)) or "compiled-in default"
        _line(console, f"  {name} {','.join(state.dumped.names(name.lower()))}    ({where})")
    for key in state.keys:
        _line(console, f"  HostKey {key.path} ({key.key_type or 'not loadable'})")
    console.print("Clients:")
    for verdict in result.plan.verdicts:
        before = "connects" if verdict.before.ok else "no common " + ", ".join(c.value for c in verdict.before.failures)
        after = "connects" if verdict.after.ok else "no common " + ", ".join(c.value for c in verdict.after.failures)
        required = verdict.client.role == "serve" or verdict.before.ok or bool(verdict.client.partial)
        mark = "✔" if verdict.after.ok else ("✘" if required else "-")
        role = "must connect" if verdict.client.role == "serve" else "keeps connecting"
        if not required:
            role = "cannot connect today; not required"
        _line(console, f"  {mark} {verdict.client.name} ({role}): today {before}; after the change {after}")
    for note in result.notes:
        console.print(Text(f"note: {note}", style="dim"))
    if not result.plan.needed:
        console.print("Nothing to change: every client that must connect already does.", style="green")
        return
    console.print("The change, step by step (copy each block as it stands):", style="bold")
    for n, action in enumerate(result.actions, 1):
        _step(console, n, action)
    _proof(console, result)


def _step(console: Console, n: int, action: Action) -> None:
    # Copyable lines start at column 0; everything said about them is indented.
    if action.kind is ActionKind.SSHD_CONFIG:
        op, line = action.extra.get("op"), action.extra.get("line")
        if op == "replace":
            header = f"Replace line {line} of {action.file} with the line below"
        elif op == "create":
            header = f"Create {action.file} with these lines"
        else:
            header = f"Add these lines to {action.file}, {str(action.placement).split(' of ')[0]}"
        _line(console, f"{n}. {header}", "bold")
        for old in action.replaces:
            _line(console, f"   it reads now: {old}", "dim")
        for text in action.text.splitlines():
            _line(console, text, "cyan")
    elif action.kind is ActionKind.COMMAND:
        _line(console, f"{n}. {action.title}:", "bold")
        _line(console, action.text, "cyan")
    else:
        _line(console, f"{n}. {action.title}", "bold")
    for note in action.notes:
        console.print(Text(f"   {note}", style="dim"))
    console.print()


def _proof(console: Console, result: ServerFixResult) -> None:
    proof = result.proof
    if proof is None:
        console.print("Not proved.", style="yellow")
        return
    if proof.ok:
        _line(console, f"Proved on a trial sshd (127.0.0.1 port {proof.port}): sshd -t accepts it, every client "
              "negotiates with its real offer, the local ssh reaches authentication.", "green")
    else:
        _line(console, f"Not proved ({proof.stage}): {printable(proof.message)}", "red")
    outcome = result.outcome
    if outcome is None:
        if proof.ok:
            console.print("Nothing was written; run again with --apply to write it (backups are kept).")
        return
    if outcome.applied:
        for written in outcome.written:
            backup = f" (backup: {written.backup})" if written.backup else " (new file)"
            _line(console, f"Written: {written.path}{backup}", "green")
        if outcome.reload is not None and outcome.reload.ran:
            status = "done" if outcome.reload.exit_code == 0 else f"failed: {outcome.reload.output}"
            _line(console, f"Reload ({' '.join(outcome.reload.argv)}): {status}")
        else:
            console.print("The running sshd was not reloaded (use --reload, or run the reload command above).")
    else:
        restored = " The original files were put back." if outcome.restored else " Nothing was written."
        _line(console, f"Refused: {printable(outcome.error or proof.message)}.{restored}", "red")


def render_server_apply(outcome: ServerApply, console: Console | None = None) -> None:
    """What an apply-and-prove run (``audit --harden --apply``) did: the proof, the files written, or the refusal."""
    from sshdoctor.report.terminal import console as make_console

    out = console or make_console()
    proof = outcome.proof
    if proof is not None and proof.ok:
        _line(out, f"Proved on a trial sshd (127.0.0.1 port {proof.port}): sshd -t accepts it, every kept client "
              "negotiates with its real offer, the local ssh reaches authentication.", "green")
    elif proof is not None:
        _line(out, f"Not proved ({proof.stage}): {printable(proof.message)}", "red")
    if outcome.applied:
        for written in outcome.written:
            backup = f" (backup: {written.backup})" if written.backup else " (new file)"
            _line(out, f"Written: {written.path}{backup}", "green")
        if outcome.reload is None or not outcome.reload.ran:
            out.print("The running sshd was not reloaded (use --reload).")
    else:
        restored = " The original files were put back." if outcome.restored else " Nothing was written."
        _line(out, f"Refused: {printable(outcome.error or (proof.message if proof else 'not proved'))}.{restored}", "red")
