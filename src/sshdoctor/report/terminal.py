"""Terminal rendering with rich: tables, colour where it helps, sanitised remote text."""

from __future__ import annotations

import sys

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from sshdoctor.catalog import Rating, algorithm
from sshdoctor.model import Category, HostReport, Slot
from sshdoctor.report.sanitize import printable

RATING_STYLE = {
    Rating.STRONG: "green",
    Rating.ACCEPTABLE: "cyan",
    Rating.WEAK: "yellow",
    Rating.BROKEN: "bold red",
    Rating.INFO: "dim",
    Rating.UNKNOWN: "magenta",
}

CATEGORY_TITLE = {
    Category.KEX: "key exchange",
    Category.HOSTKEY: "host key",
    Category.CIPHER: "cipher",
    Category.MAC: "MAC",
    Category.COMPRESSION: "compression",
}


def console(stderr: bool = False) -> Console:
    """A console; when output is piped, wide enough that algorithm names never wrap."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 160
    return Console(file=stream, highlight=False, soft_wrap=False, width=width)


def rating_text(rating: Rating) -> Text:
    return Text(rating.value, style=RATING_STYLE[rating])


def _slot_groups(report: HostReport) -> list[tuple[str, list[Slot]]]:
    """Show one list per category when both directions agree, else both."""
    assert report.offer is not None
    groups: list[tuple[str, list[Slot]]] = [("key exchange", [Slot.KEX]), ("host key", [Slot.HOSTKEY])]
    for cat, c2s, s2c in (
        (Category.CIPHER, Slot.CIPHER_C2S, Slot.CIPHER_S2C),
        (Category.MAC, Slot.MAC_C2S, Slot.MAC_S2C),
        (Category.COMPRESSION, Slot.COMPRESSION_C2S, Slot.COMPRESSION_S2C),
    ):
        title = CATEGORY_TITLE[cat]
        if report.offer.get(c2s) == report.offer.get(s2c):
            groups.append((title, [c2s, s2c]))
        else:
            groups.append((f"{title} client→server", [c2s]))
            groups.append((f"{title} server→client", [s2c]))
    return groups


def _local_status(report: HostReport, slots: list[Slot], name: str) -> Text:
    cat = slots[0].category
    if report.outcome is not None and any(report.outcome.picks.get(s) == name for s in slots):
        if report.outcome.ok:
            return Text("chosen", style="bold green")
        return Text("common", style="green")
    client = report.client_proposal
    if client is not None and name in client.get(slots[0]):
        return Text("enabled")
    if algorithm(cat, name).pseudo:
        return Text("")
    local = (report.local_supported or {}).get(cat.value)
    if local is not None and name in local:
        return Text("off by default", style="yellow")
    if local is not None:
        return Text("unsupported", style="red")
    return Text("")


def offer_table(report: HostReport, width: int = 160) -> RenderableType:
    """Every offered algorithm with its rating, reason and what the local ssh does with it (names never cut)."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("category", style="bold")
    table.add_column("algorithm", no_wrap=True)
    table.add_column("rating")
    table.add_column("your ssh", no_wrap=True)
    table.add_column("why")
    assert report.offer is not None
    for title, slots in _slot_groups(report):
        names = report.offer.get(slots[0])
        if not names:
            table.add_row(title, Text("(empty list)", style="red"), "", "", "")
        for i, name in enumerate(names):
            algo = algorithm(slots[0].category, name)
            table.add_row(
                title if i == 0 else "",
                Text(printable(name)),
                rating_text(algo.rating),
                _local_status(report, slots, name),
                Text(algo.reason, style="dim" if algo.rating is Rating.INFO else ""),
            )
        table.add_row("", "", "", "", "")
    from sshdoctor.report.tables import fit

    return fit(table, width, keep=(0, 1, 2, 3), prose=(4,))


def negotiation_lines(report: HostReport) -> list[Text]:
    """The verdict on the local client's negotiation, as ssh would experience it."""
    outcome = report.outcome
    if outcome is None:
        return [Text(f"negotiation not predicted: {printable(report.error or 'no local ssh')}", style="yellow")]
    if outcome.ok:
        picks = outcome.chosen
        lines = [Text(f"✔ {outcome.client}: key exchange would succeed", style="bold green")]
        for label, slot in (("kex", Slot.KEX), ("host key", Slot.HOSTKEY)):
            lines.append(Text(f"    {label:<12} {picks[slot]}"))
        for direction, cslot, mslot, zslot in (
            ("client→server", Slot.CIPHER_C2S, Slot.MAC_C2S, Slot.COMPRESSION_C2S),
            ("server→client", Slot.CIPHER_S2C, Slot.MAC_S2C, Slot.COMPRESSION_S2C),
        ):
            mac = picks[mslot] or "<implicit>"
            lines.append(Text(f"    {direction:<12} {picks[cslot]}  MAC {mac}  compression {picks[zslot]}"))
        return lines
    first = outcome.first_failure
    assert first is not None
    host = report.target.alias or report.target.host
    lines = [
        Text(f"✘ {outcome.client}: key exchange would fail", style="bold red"),
        Text(
            f"    ssh would say: Unable to negotiate with {printable(report.address or host)} port {report.target.port}: "
            f"no matching {first.openssh_error} found."
        ),
        Text("    no common algorithm in: " + ", ".join(CATEGORY_TITLE[c] for c in outcome.failures)),
        Text(f"    next: sshdoctor fix {printable(host)}" + (f" -p {report.target.port}" if report.target.port != 22 else ""),
             style="bold"),
    ]
    return lines


def render_probe(report: HostReport, out: Console | None = None) -> None:
    """Print a probe report for a person."""
    out = out or console()
    target = report.target
    where = printable(target.alias or target.host)
    head = Text.assemble(("target    ", "bold"), f"{where} port {target.port}")
    if report.address and report.address != (target.alias or target.host):
        head.append(f"  ({printable(report.address)})", style="dim")
    out.print(head)
    if report.banner is None or report.offer is None:
        if report.banner is not None:
            out.print(Text.assemble(("banner    ", "bold"), (printable(report.banner.raw), "dim")))
        out.print(Text(f"error     {printable(report.error or 'probe failed')}", style="bold red"))
        return
    software = report.software or {}
    label = str(software.get("name", "unknown"))
    if software.get("version"):
        label += f" {software['version']}"
    if software.get("distro"):
        label += f" ({software['distro']})"
    out.print(Text.assemble(("software  ", "bold"), printable(label)))
    out.print(Text.assemble(("banner    ", "bold"), (printable(report.banner.raw), "dim")))
    for pre in report.banner.pre_banner[:5]:
        out.print(Text.assemble(("pre-banner", "bold"), f" {printable(pre)}"))
    out.print()
    out.print(offer_table(report, out.width))
    for verdict in negotiation_lines(report):
        out.print(verdict)
