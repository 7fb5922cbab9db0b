"""Terminal rendering of the scan history."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sshdoctor.fleet.history import HostDiff, Record
from sshdoctor.report.sanitize import printable
from sshdoctor.report.scan_view import STATUS_STYLE
from sshdoctor.report.terminal import console


def _when(stamp: object) -> str:
    if not isinstance(stamp, (int, float)):
        return "?"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def render_scans(scans: Sequence[dict[str, object]], out: Console | None = None) -> None:
    """The latest scans, newest first."""
    out = out or console()
    if not scans:
        out.print("no scans stored yet")
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("scan", "when", "hosts", "ok", "fails", "unreachable", "command"):
        table.add_column(col)
    for scan in scans:
        statuses = scan.get("statuses")
        counts = statuses if isinstance(statuses, dict) else {}
        note = " (interrupted)" if scan.get("interrupted") else ""
        table.add_row(str(scan["id"]), _when(scan.get("started")) + note, str(scan.get("hosts") or 0),
                      Text(str(counts.get("ok", 0)), style="green"), Text(str(counts.get("fails", 0)), style="red"),
                      Text(str(counts.get("unreachable", 0)), style="yellow"),
                      Text(printable(str(scan.get("command") or "")), style="dim"))
    out.print(table)


def render_timeline(host: str, entries: Sequence[tuple[Record, HostDiff]], out: Console | None = None) -> None:
    """Every scan of a host, and what changed each time."""
    out = out or console()
    out.print(Text(f"history of {printable(host)}", style="bold"))
    for record, diff in entries:
        head = Text.assemble(f"scan {record.scan_id}  {_when(record.at)}  port {record.port}  ",
                             (record.status, STATUS_STYLE.get(record.status, "")))
        if record.banner:
            head.append(f"  {printable(record.banner)}", style="dim")
        out.print(head)
        if record.error and record.status == "unreachable":
            out.print(Text(f"    {printable(record.error)}", style="yellow"))
        for line in diff.lines():
            out.print(Text(f"    • {printable(line)}"))
        if record.changes:
            out.print(Text("    needs: " + "; ".join(printable(c) for c in record.changes), style="cyan"))
