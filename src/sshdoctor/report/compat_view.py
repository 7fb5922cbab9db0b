"""Terminal rendering of ``compat``: one pair both ways, or the client matrix of a server."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sshdoctor.catalog import Rating, algorithm
from sshdoctor.catalog.profiles import Profile, all_profiles, distribution_aliases, distribution_profiles
from sshdoctor.host.compat import CompatReport, Direction, Endpoint, MatrixReport
from sshdoctor.model import Category, Change, Outcome, Slot
from sshdoctor.model.invocation import Invocation
from sshdoctor.remedy.actions import one_off
from sshdoctor.remedy.risk import risk_of
from sshdoctor.report.actions import INDENT
from sshdoctor.report.sanitize import printable
from sshdoctor.report.tables import fit
from sshdoctor.report.terminal import CATEGORY_TITLE, console, rating_text

_ROWS: tuple[tuple[str, tuple[Slot, ...]], ...] = (
    ("key exchange", (Slot.KEX,)),
    ("host key", (Slot.HOSTKEY,)),
    ("cipher", (Slot.CIPHER_C2S, Slot.CIPHER_S2C)),
    ("MAC", (Slot.MAC_C2S, Slot.MAC_S2C)),
    ("compression", (Slot.COMPRESSION_C2S, Slot.COMPRESSION_S2C)),
)
_ARROW = {Slot.CIPHER_C2S: " client→server", Slot.MAC_C2S: " client→server", Slot.COMPRESSION_C2S: " client→server",
          Slot.CIPHER_S2C: " server→client", Slot.MAC_S2C: " server→client", Slot.COMPRESSION_S2C: " server→client"}


def _category(directive: str) -> Category:
    return Category.from_directive(directive) or Category.HOSTKEY


def _names(names: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(printable(n) for n in names[:limit])
    if len(names) > limit:
        shown += f", … (+{len(names) - limit})"
    return shown or "(empty list)"


def _pick_cell(outcome: Outcome, slot: Slot) -> Text:
    if slot in outcome.implicit_mac:
        return Text("implicit (AEAD cipher)", style="dim")
    if slot in outcome.failed_slots:
        return Text("✘ nothing in common", style="bold red")
    return Text(printable(outcome.picks.get(slot) or ""), style="green" if outcome.ok else "")


def outcome_table(direction: Direction) -> Table:
    """Per category: the pick (or the failure), and both lists where it fails."""
    assert direction.client.client is not None and direction.server.server is not None
    client = direction.client.client.proposal
    server = direction.server.server
    outcome = direction.outcome
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("category", style="bold", no_wrap=True)
    table.add_column("chosen", no_wrap=True)
    if not outcome.ok:  # the lists matter only where something fails
        table.add_column("client proposes")
        table.add_column("server offers")
    for title, slots in _ROWS:
        same = all(client.get(s) == client.get(slots[0]) and server.get(s) == server.get(slots[0]) for s in slots)
        for slot in slots[:1] if same else slots:
            failed = slot in outcome.failed_slots
            cells = [Text(title + ("" if same or len(slots) == 1 else _ARROW[slot])), _pick_cell(outcome, slot)]
            if not outcome.ok:
                cells.append(Text(_names(client.get(slot)) if failed else "", style="dim"))
                cells.append(Text(_names(server.get(slot)) if failed else "", style="dim"))
            table.add_row(*cells)
    return table


def _change_lines(changes: Sequence[Change], implementation: str | None, role: str) -> list[Text]:
    lines: list[Text] = []
    for change in changes:
        category = _category(change.directive)
        for name in change.add:
            info = algorithm(category, name)
            if implementation in ("openssh", "win32-openssh"):
                where = f"-o {change.directive}=+{name}" if role == "client" else f"{change.directive} +{name}"
            else:
                where = f"enable {name} ({CATEGORY_TITLE[category]})"
            line = Text("    ")
            line.append(printable(where), style="cyan")
            line.append("  ")
            line.append_text(rating_text(info.rating))
            if info.reason:
                line.append(f"  {info.reason}", style="dim")
            if role == "server" and category is Category.HOSTKEY and info.key_type:
                line.append(f"  (the server needs a host key of type {info.key_type})", style="yellow")
            lines.append(line)
    return lines


def _fix_lines(direction: Direction) -> list[Text]:
    lines: list[Text] = []
    client, server = direction.client, direction.server
    cplan, splan = direction.client_plan, direction.server_plan
    if cplan is not None:
        lines.append(Text(f"fix on the client ({printable(client.name)}):", style="bold"))
        lines += _change_lines(cplan.changes, client.implementation, "client")
        if cplan.changes and client.implementation == "openssh":
            target = server.target
            if server.kind == "host" and target is not None:
                inv = Invocation(destination=target.alias or target.host, port=target.port if target.port != 22 else None)
                lines.append(Text("    one-off:", style="dim"))
                lines.append(Text(INDENT * 2 + one_off(list(cplan.changes), inv)[0].text, style="cyan"))
            else:
                opts = " ".join(f"-o {c.directive}={c.option_value()}" for c in cplan.changes)
                lines.append(Text(f"    one-off: add {opts} to that client's ssh command line", style="dim"))
        for cat in cplan.unfixable:
            lines.append(Text(f"    ✘ {printable(client.name)} supports no {CATEGORY_TITLE[cat]} algorithm the server offers",
                              style="red"))
    if splan is not None:
        head = f"fix on the server ({printable(server.name)}):"
        if not splan.supported_known:
            head += "  (its software is not in the catalog: assuming it can enable these)"
        lines.append(Text(head, style="bold"))
        if server.implementation == "openssh" and splan.changes:
            lines.append(Text("    in sshd_config, then sshd -t and reload:", style="dim"))
        lines += _change_lines(splan.changes, server.implementation, "server")
        for cat in splan.unfixable:
            if cat is Category.COMPRESSION:
                why = "compression cannot be fixed with an algorithm list on the server"
            else:
                why = f"this release supports no {CATEGORY_TITLE[cat]} algorithm {printable(client.name)} proposes; upgrade it"
            lines.append(Text(f"    ✘ {why}", style="red"))
    risks: list[str] = []
    for plan in (cplan, splan):
        if plan is None:
            continue
        for change in plan.changes:
            for name in change.add:
                category = _category(change.directive)
                risk = risk_of(category, name)
                if algorithm(category, name).rating is not Rating.STRONG and risk not in risks:
                    risks.append(risk)
    if risks:
        lines.append(Text("what it costs:", style="bold"))
        lines += [Text(f"    - {printable(r)}") for r in risks]
    return lines


def _verdict(direction: Direction) -> Text:
    outcome = direction.outcome
    pair = f"{printable(direction.client.name)} → {printable(direction.server.name)}"
    if outcome.ok:
        return Text(f"✔ {pair}: key exchange succeeds", style="bold green")
    first = outcome.first_failure
    assert first is not None
    failing = ", ".join(CATEGORY_TITLE[c] for c in outcome.failures)
    return Text(f"✘ {pair}: fails; the client reports no matching {first.openssh_error} (nothing in common: {failing})",
                style="bold red")


def _endpoint_line(role: str, endpoint: Endpoint) -> Text:
    line = Text.assemble((f"{role:<9}", "bold"), printable(endpoint.name), ("  " + printable(endpoint.detail), "dim"))
    if endpoint.banner is not None:
        line.append(f"  banner {printable(endpoint.banner.raw)}", style="dim")
    return line


def render_compat(report: CompatReport, out: Console | None = None) -> None:
    """Print a comparison for a person: both endpoints, each direction, the fixes."""
    out = out or console()
    out.print(_endpoint_line("client", report.forward.client))
    out.print(_endpoint_line("server", report.forward.server))
    for note in report.notes:
        out.print(Text(f"note     {printable(note)}", style="yellow"))
    directions = [report.forward] + ([report.reverse] if report.reverse is not None else [])
    for direction in directions:
        out.print()
        out.print(_verdict(direction))
        out.print(outcome_table(direction))
        for line in _fix_lines(direction):
            out.print(line, soft_wrap=True)
    if report.reverse is None:
        out.print()
        out.print(Text("(no reverse direction: only one side has both a client and a server)", style="dim"))


# ---------------------------------------------------------------- matrix


def _range(profiles: Sequence[Profile]) -> str:
    if len(profiles) == 1:
        return profiles[0].version
    return f"{profiles[0].version} – {profiles[-1].version} ({len(profiles)})"


def _group_key(report: MatrixReport, index: int) -> tuple[object, ...]:
    outcome = report.outcome(index)
    plan = report.plans.get(report.clients[index].id)
    changes = tuple((c.directive, c.add) for c in plan.changes) if plan is not None else ()
    picks = tuple(outcome.chosen.get(s) for s in (Slot.KEX, Slot.HOSTKEY, Slot.CIPHER_S2C))
    return (report.clients[index].implementation, outcome.ok, outcome.failures, changes, picks)


def matrix_table(report: MatrixReport) -> Table:
    """One row per run of consecutive releases of an implementation that fare alike."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("client", style="bold", no_wrap=True)
    table.add_column("versions", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("no common", no_wrap=True)
    table.add_column("chosen (kex / host key / cipher), or the client-side fix")
    groups: list[tuple[tuple[object, ...], list[int]]] = []
    for index in range(len(report.clients)):
        key = _group_key(report, index)
        if groups and groups[-1][0] == key:
            groups[-1][1].append(index)
        else:
            groups.append((key, [index]))
    previous = None
    for _key, members in groups:
        first = report.clients[members[0]]
        outcome = report.outcome(members[0])
        plan = report.plans.get(first.id)
        if outcome.ok:
            chosen = outcome.chosen
            detail = Text(" / ".join(printable(chosen.get(s) or "") for s in (Slot.KEX, Slot.HOSTKEY, Slot.CIPHER_S2C)))
        elif plan is not None and plan.changes and plan.works:
            detail = Text("\n".join(f"{c.directive}=+{','.join(c.add)}" for c in plan.changes), style="cyan")
        else:
            cats = ", ".join(CATEGORY_TITLE[c] for c in (plan.unfixable if plan else ()))
            detail = Text(f"no client change helps ({cats}): upgrade the server or use another client", style="red")
        table.add_row(
            first.name if first.implementation != previous else "",
            _range([report.clients[i] for i in members]),
            Text("✔ connects", style="green") if outcome.ok else Text("✘ fails", style="bold red"),
            Text(", ".join(CATEGORY_TITLE[c] for c in outcome.failures), style="red"),
            detail,
        )
        previous = first.implementation
    return table


def render_matrix(report: MatrixReport, out: Console | None = None) -> None:
    """Print which client profiles can connect to one server."""
    out = out or console()
    out.print(_endpoint_line("server", report.server))
    for note in report.server.notes:
        out.print(Text(f"note     {printable(note)}", style="dim"))
    out.print()
    table = matrix_table(report)
    out.print(fit(table, out.width, keep=range(len(table.columns))))
    total, ok = len(report.clients), report.ok_count
    style = "bold green" if ok == total else "bold red" if ok == 0 else "bold yellow"
    out.print()
    out.print(Text(f"{ok} of {total} client profiles connect with their default settings; {total - ok} fail", style=style))


def render_profile_list(out: Console | None = None) -> None:
    """Every profile id with its roles, grouped by implementation."""
    out = out or console()
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("implementation", style="bold")
    table.add_column("roles")
    table.add_column("profile ids")
    by_impl: dict[str, list[Profile]] = {}
    for prof in all_profiles().values():
        by_impl.setdefault(prof.implementation, []).append(prof)
    for _impl, profiles in sorted(by_impl.items()):
        profiles.sort(key=lambda p: p.version_key())
        roles = sorted({r for p in profiles for r, side in (("client", p.client), ("server", p.server)) if side})
        ids = f"{profiles[0].id} … {profiles[-1].id} ({len(profiles)})" if len(profiles) > 4 else \
            ", ".join(p.id for p in profiles)
        table.add_row(profiles[0].name, "+".join(roles), ids)
    out.print(table)
    _render_distribution_list(out)


def _natural(text: str) -> list[tuple[int, int | str]]:
    """Sort key putting rhel-9 before rhel-10."""
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", text)]


def _render_distribution_list(out: Console) -> None:
    """Distribution builds (their own defaults and crypto policies), one row per distribution."""
    by_dist: dict[str, list[Profile]] = {}
    for prof in distribution_profiles().values():
        found = re.match(r"^(.*?)-\d", prof.id)
        by_dist.setdefault(found[1] if found else prof.id, []).append(prof)
    if not by_dist:
        return
    aliases: dict[str, list[str]] = {}
    for alias, target in distribution_aliases().items():
        aliases.setdefault(target, []).append(alias)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("distribution", style="bold")
    table.add_column("builds (profile ids)")
    for family, profiles in sorted(by_dist.items()):
        also = aliases.get(family)
        label = family + (f" (also {', '.join(sorted(also))})" if also else "")
        ids = sorted((p.id for p in profiles), key=_natural)
        table.add_row(label, ", ".join(ids))
    out.print()
    out.print(table)
