"""Terminal rendering of the stage-by-stage walk."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from sshdoctor.host.checkup import Checkup
from sshdoctor.report.actions import print_verbatim, render_action
from sshdoctor.report.sanitize import printable
from sshdoctor.report.terminal import console

_MARK = {
    "ok": ("✔ ok     ", "green"),
    "failed": ("✘ failed ", "bold red"),
    "warning": ("! warning", "yellow"),
    "skipped": ("· skipped", "dim"),
}


def render_checkup(check: Checkup, out: Console | None = None) -> None:
    """One status line per stage, the causes of the failed one, then the verdict."""
    out = out or console()
    target = check.target
    where = f"{target.alias or target.host} port {target.port}" if target else check.spec
    out.print(Text.assemble(("checking  ", "bold"), printable(where)))
    blamed = check.failed
    for stage in check.stages:
        mark, style = _MARK.get(stage.status, ("?", ""))
        if stage.with_fix and stage.status == "ok":
            mark, style = ("✔ w/ fix", "yellow")
        out.print(Text.assemble((mark, style), f"  {stage.name:<21} ", (printable(stage.summary), "")))
        if stage.status in ("failed", "warning"):
            for i, cause in enumerate(stage.causes, 1):
                lead = "likely" if i == 1 else "or"
                out.print(Text(f"{'':13}{lead}: {printable(cause.text)}", style="bold" if i == 1 else ""))
                if cause.confirm is not None and cause.confirm.copyable:
                    where = " (on the server)" if cause.confirm.side == "server" else ""
                    out.print(Text(f"{'':17}{printable(cause.confirm.title)}{where}:", style="dim"))
                    print_verbatim(out, cause.confirm.text)
            if stage.fix is not None and stage is not blamed:
                render_action(out, stage.fix)
    out.print()
    style = "bold green" if check.exit_code == 0 else "bold red"
    out.print(Text(f"verdict: {printable(check.verdict)}", style=style))
    action = check.next_action
    if action is not None:
        out.print(Text("next:", style="bold"))
        render_action(out, action)
