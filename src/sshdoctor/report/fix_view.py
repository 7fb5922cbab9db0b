"""Terminal rendering of a fix."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sshdoctor.catalog import algorithm
from sshdoctor.fleet.groupfix import GroupFix
from sshdoctor.host.applyfix import Applied
from sshdoctor.host.fix import FixReport
from sshdoctor.model import Category
from sshdoctor.report.actions import render_actions
from sshdoctor.report.sanitize import printable
from sshdoctor.report.tables import fit
from sshdoctor.report.terminal import CATEGORY_TITLE, console, rating_text


def _category(directive: str) -> Category | None:
    return Category.from_directive(directive)


def render_fix(fix: FixReport, out: Console | None = None) -> None:
    """Print a fix for a person: the change, the proof, where it goes, what it costs."""
    out = out or console()
    report = fix.report
    target = report.target
    name = printable(target.alias or target.host)
    software = report.software or {}
    out.print(Text.assemble(("fix for   ", "bold"), f"{name} port {target.port}",
                            (f"  ({printable(str(software.get('name', '')))} {software.get('version') or ''})", "dim")))
    plan = fix.plan
    if plan is None:
        out.print(Text(f"cannot plan a fix: {printable(fix.error or 'probe failed')}", style="bold red"))
        return
    if not plan.needed:
        verdict = "and the real ssh confirms it" if fix.verified else ""
        out.print(Text(f"✔ nothing to fix: your ssh already negotiates with this host {verdict}", style="bold green"))
        return
    out.print(Text("✘ now: no common " + ", ".join(CATEGORY_TITLE[c] for c in plan.before.failures), style="red"))
    if fix.changes:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("directive")
        table.add_column("adds", no_wrap=True)
        table.add_column("rating")
        table.add_column("why")
        for change in fix.changes:
            cat = _category(change.directive) or Category.HOSTKEY
            for alg in change.add:
                info = algorithm(cat, alg)
                table.add_row(change.directive, "+" + alg, rating_text(info.rating), info.reason)
        out.print(fit(table, out.width, keep=(0, 1, 2), prose=(3,)))
    for cat in plan.unfixable:
        out.print(Text(f"✘ your ssh supports none of the {CATEGORY_TITLE[cat]} algorithms this server offers", style="bold red"))
        for alt in fix.alternatives.get(cat.value, []):
            out.print(f"  - {printable(alt)}", markup=False)
    if fix.run is not None:
        run = fix.run
        if run.ok:
            methods = ", ".join(run.auth_methods) or "none listed"
            out.print(Text(f"✔ verified: your ssh completed key exchange with these options and reached "
                           f"authentication (server accepts: {methods})", style="bold green"))
        else:
            why = printable(run.last_error or f"ssh exited {run.exit_code}")
            out.print(Text(f"✘ not verified: the real ssh did not get through key exchange: {why}", style="bold red"))
    if not fix.changes and not fix.server_side:
        return
    out.print()
    if plan.unfixable and fix.changes:
        out.print(Text("the changes below fix the other categories, but are not enough on their own:", style="yellow"))
    render_actions(out, fix.actions(), heading="what to do (any one of these):", numbered=True)
    if fix.changes and fix.block_run is not None and not fix.block_verified:
        why = printable(fix.block_run.last_error or f"ssh exited {fix.block_run.exit_code}")
        out.print(Text(f"✘ with the block in place in {printable(fix.config_path)} the real ssh still fails: {why}",
                       style="bold red"))


def render_applied(applied: Applied, out: Console | None = None) -> None:
    """What --apply wrote, and whether the file alone now works."""
    out = out or console()
    res = applied.result
    out.print()
    if not res.written:
        title = "diff (dry run, nothing written):" if res.changed else f"{res.path}: already in place, nothing to write"
        out.print(Text(title, style="bold"))
        if res.diff:
            out.print(res.diff, markup=False, highlight=False)
        return
    backup = f" (backup: {res.backup})" if res.backup else ""
    out.print(Text(f"wrote {res.path}: {res.action} block at line {res.block_line}{backup}", style="bold"))
    for note in res.notes:
        out.print(f"  {note}", markup=False)
    if not applied.in_effect:
        out.print(Text(f"✘ ssh -G does not show the fix in effect: {applied.missing}", style="bold red"))
    elif applied.verified:
        out.print(Text("✔ re-checked: with the file alone your ssh now completes key exchange", style="bold green"))
    else:
        why = applied.run.last_error if applied.run else "not run"
        out.print(Text(f"✘ the file is in effect but ssh still fails: {printable(why or '')}", style="bold red"))


def render_group(group: GroupFix, *, written: bool, out: Console | None = None) -> None:
    """One line per host, then the shared block."""
    out = out or console()
    for fix in group.fixes:
        name = printable(fix.examined.host_arg)
        if fix.plan is None:
            out.print(Text(f"✘ {name}: {printable(fix.error or fix.report.error or 'probe failed')}", style="red"))
        elif not fix.changes:
            out.print(Text(f"✔ {name}: nothing to fix", style="green"))
        else:
            adds = "; ".join(f"{c.directive} {c.option_value()}" for c in fix.changes)
            out.print(f"• {name}: {adds}", markup=False)
    if group.applied is None:
        return
    out.print()
    out.print(Text("one block for all of them:" if written else "one block for all of them (not written; add --apply):",
                   style="bold"))
    out.print(group.applied.diff or "(already in place)", markup=False, highlight=False)
    how = "with the file" if written else "with the file as it would be (a private copy; nothing written)"
    for host, run in group.checks.items():
        worse = group.downgrades.get(host)
        mark, style = ("✔", "green") if run.ok and not worse else ("✘", "red")
        if worse:
            verdict = "the block makes it negotiate less than its own fix: " + "; ".join(worse)
        else:
            verdict = f"works {how}" if run.ok else printable(run.last_error or "fails")
        out.print(Text(f"{mark} {printable(host)}: {printable(verdict)}", style=style))
