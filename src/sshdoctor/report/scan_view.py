"""Terminal output of a scan: a progress bar while it runs, a summary after."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sshdoctor.fleet.analysis import HostResult
from sshdoctor.fleet.runner import ScanStats
from sshdoctor.fleet.summary import ScanSummary
from sshdoctor.report.sanitize import printable
from sshdoctor.report.tables import fit
from sshdoctor.report.terminal import CATEGORY_TITLE, console

STATUS_STYLE = {
    "ok": "green",
    "fails": "bold red",
    "unreachable": "yellow",
    "unpredicted": "magenta",
    "invalid": "red",
}
_STATUS_ORDER = {"fails": 0, "unreachable": 1, "unpredicted": 2, "invalid": 3, "ok": 4}
STATUS_WORDS = {
    "ok": "your ssh negotiates",
    "fails": "your ssh cannot negotiate",
    "unreachable": "unreachable",
    "unpredicted": "negotiation not predicted",
    "invalid": "not a target",
}


def progress(total: int | None = None) -> Progress:
    """A progress display on stderr (shown only on a terminal)."""
    columns = [SpinnerColumn(), TextColumn("[bold]scanning[/]")]
    if total:
        columns += [BarColumn(), MofNCompleteColumn()]
    else:
        columns.append(TextColumn("{task.completed} hosts"))
    columns += [TextColumn("[dim]{task.fields[detail]}"), TimeElapsedColumn()]
    return Progress(*columns, console=console(stderr=True), transient=True)


def _fix_text(result: HostResult) -> Text:
    report = result.report
    if result.status in ("unreachable", "invalid", "unpredicted"):
        return Text(printable(report.error or ""), style="dim")
    fix = result.fix
    if fix is None or not fix.needed:
        return Text("")
    if not fix.works:
        cats = ", ".join(c.value for c in fix.unfixable)
        return Text(f"no client change can work ({cats})", style="red")
    # One change per line: a change is never cut, and the column is only as wide as the longest one.
    return Text("\n".join(f"{c.directive} {c.option_value()}" for c in fix.changes), style="cyan")


def host_table(rows: list[HostResult], profile_ids: list[str]) -> Table:
    """One row per host: status, software, grade, what fails, the fix or the error."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("host", no_wrap=True)
    table.add_column("status")
    table.add_column("software")
    table.add_column("grade")
    table.add_column("fails in")
    for pid in profile_ids:
        table.add_column(pid, justify="center")
    table.add_column("fix / error")
    for result in rows:
        report = result.report
        software = report.software or {}
        label = " ".join(str(software.get(k) or "") for k in ("name", "version")).strip()
        grade = str((result.audit or {}).get("grade") or "")
        failures = ", ".join(CATEGORY_TITLE[c] for c in report.outcome.failures) if report.outcome else ""
        cells = [
            Text(printable(f"{result.name} ({report.target.display()})" if result.name != report.target.host
                           else report.target.display())),
            Text(result.status, style=STATUS_STYLE.get(result.status, "")),
            Text(printable(label)),
            Text(grade, style="red" if grade in ("D", "F") else ""),
            Text(failures, style="red"),
        ]
        for pid in profile_ids:
            outcome = result.profiles.get(pid)
            cells.append(Text("" if outcome is None else ("✔" if outcome.ok else "✘"),
                              style="green" if outcome is not None and outcome.ok else "red"))
        cells.append(_fix_text(result))
        table.add_row(*cells)
    return table


def render_summary(summary: ScanSummary, stats: ScanStats, *, fragment: str, client: str,
                   out: Console | None = None) -> None:
    """The end-of-scan report for a person."""
    out = out or console()
    head = Text.assemble(("scanned ", "bold"), f"{stats.done} host(s) in {stats.elapsed:.1f} s")
    if stats.interrupted:
        head.append("  (interrupted: only the hosts that finished are counted)", style="bold yellow")
    out.print(head)
    if stats.error:
        out.print(Text(f"target list stopped early: {printable(stats.error)}", style="bold red"))
    parts = []
    for status in ("ok", "fails", "unreachable", "unpredicted", "invalid"):
        count = summary.statuses.get(status, 0)
        if count:
            parts.append(Text(f"{count} {STATUS_WORDS[status]}", style=STATUS_STYLE[status]))
    if parts:
        out.print(Text("  ").join(parts))
    if client:
        out.print(Text(f"client: {client}", style="dim"))
    if summary.grades:
        grades = "  ".join(f"{g}: {n}" for g, n in sorted(summary.grades.items()))
        out.print(Text(f"audit grades (offered algorithms only): {grades}", style="dim"))
    if summary.rows:
        out.print()
        profile_ids = list(summary.profiles)
        rows = sorted(summary.rows, key=lambda r: (_STATUS_ORDER.get(r.status, 9), r.name, r.report.target.port))
        table = host_table(rows, profile_ids)
        # The host and the fix are never cut; software is what folds, or goes, at narrow widths.
        out.print(fit(table, out.width, keep=[i for i in range(len(table.columns)) if i != 2], prose=(2,)))
        if summary.dropped_rows:
            out.print(Text(f"… and {summary.dropped_rows} more (use --csv or --html for every host)", style="dim"))
    if summary.profiles:
        out.print()
        out.print(Text("client profiles:", style="bold"))
        for pid, tally in summary.profiles.items():
            out.print(Text(f"    {pid:<16} reaches {tally.ok} of {tally.ok + tally.fails} reachable host(s)",
                           style="green" if not tally.fails else "yellow"))
    if summary.changed:
        out.print()
        out.print(Text("changed since the last scan:", style="bold"))
        for result in summary.changed:
            lines = (result.diff or {}).get("lines")
            out.print(Text(f"  {printable(result.name)} ({result.report.target.display()})", style="bold"))
            for line in lines if isinstance(lines, list) else []:
                out.print(Text(f"      {printable(str(line))}"))
        if summary.dropped_changes:
            out.print(Text(f"  … and {summary.dropped_changes} more", style="dim"))
    unfixable = summary.grouping.unfixable
    if unfixable:
        out.print()
        out.print(Text(f"{len(unfixable)} host(s) no change of your ssh can reach (see `sshdoctor fix HOST`):",
                       style="bold red"))
        for name, cats in list(unfixable.items())[:20]:
            out.print(Text(f"    {printable(name)}: no common {', '.join(cats)}"))
    if fragment:
        out.print()
        out.print(Text("one ~/.ssh/config fragment for the whole fleet:", style="bold"))
        for line in fragment.splitlines():
            # Never wrapped: a wrapped comment would turn into a broken config line when pasted.
            out.print(Text(printable(line), style="cyan"), soft_wrap=True)
    elif stats.done and not summary.statuses.get("fails"):
        out.print(Text("no host needs a client change", style="green"))
