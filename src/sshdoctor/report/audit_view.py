"""Terminal rendering of audits: a server, a hardening plan, connecting clients."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sshdoctor.audit.client import ClientAudit
from sshdoctor.audit.harden import HardenPlan
from sshdoctor.audit.server import AuditReport
from sshdoctor.audit.verdicts import Severity
from sshdoctor.model import Category, Finding, Slot
from sshdoctor.report.actions import print_verbatim
from sshdoctor.report.sanitize import printable
from sshdoctor.report.tables import fit
from sshdoctor.report.terminal import CATEGORY_TITLE, console

SEVERITY_STYLE = {"fail": "bold red", "warn": "yellow", "info": "green"}
GRADE_STYLE = {"A": "bold green", "B": "green", "C": "yellow", "D": "bold red", "F": "bold white on red"}
_SIGNAL_STYLE = "dim"


def severity_text(severity: str) -> Text:
    return Text(severity, style=SEVERITY_STYLE.get(severity, ""))


def _head(label: str, value: str | Text) -> Text:
    text = Text(f"{label:<10}", style="bold")
    text.append(value if isinstance(value, Text) else Text(value))
    return text


def findings_table(findings: Sequence[Finding], *, with_signals: bool = True) -> Table:
    """One row per offered algorithm: category, name, verdict, reason."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("category", style="bold")
    table.add_column("algorithm", no_wrap=True)
    table.add_column("verdict")
    table.add_column("why")
    previous: Category | None = None
    for f in findings:
        if f.kind not in ("algorithm", "signal", "unknown-algorithm") or f.algorithm is None:
            continue
        if f.kind == "signal" and not with_signals:
            continue
        if previous is not None and f.category is not previous:
            table.add_row("", "", "", "")
        title = CATEGORY_TITLE[f.category] if f.category and f.category is not previous else ""
        previous = f.category
        direction = f.extra.get("direction")
        name = printable(f.algorithm) + (f" ({direction} only)" if direction else "")
        style = _SIGNAL_STYLE if f.kind == "signal" else ""
        table.add_row(title, Text(name, style=style), severity_text(f.severity), Text(f.reason or "", style="dim"))
    return table


def host_key_table(report: AuditReport) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("algorithm", "key", "bits", "fingerprint", "verdict", "why"):
        table.add_column(column, no_wrap=column in ("algorithm", "fingerprint"))
    for v in report.host_keys:
        key = v.key
        kind = (key.key_type or "?") + (" cert" if key.certificate else "")
        table.add_row(printable(key.algorithm), kind, str(key.bits or ""), key.fingerprint_sha256 or "",
                      severity_text(v.severity.value), Text(v.reason, style="dim"))
    return table


def _other_findings(report: AuditReport) -> list[Finding]:
    return [f for f in report.findings if f.kind in ("terrapin", "no-post-quantum-kex")]


def render_audit(report: AuditReport, out: Console | None = None) -> None:
    """Print a server audit for a person."""
    out = out or console()
    target = report.target
    where = f"{printable(target.alias or target.host)} port {target.port}"
    if report.address and report.address != (target.alias or target.host):
        where += f"  ({printable(report.address)})"
    out.print(_head("target", where))
    out.print(_head("software", printable(report.software.label)))
    out.print(_head("banner", Text(printable(report.banner.raw), style="dim")))
    grade = Text(f" {report.grade.letter} ", style=GRADE_STYLE[report.grade.letter])
    grade.append("  " + "; ".join(printable(r) for r in report.grade.reasons))
    out.print(_head("grade", grade))
    out.print()
    out.print(fit(findings_table(report.findings), out.width, keep=(0, 1, 2), prose=(3,)))
    out.print()
    if report.host_keys:
        out.print(Text("host keys (one key exchange per host-key algorithm)", style="bold"))
        table = host_key_table(report)
        last = len(table.columns) - 1
        out.print(fit(table, out.width, keep=range(last), prose=(last,)))
        out.print()
    status = report.terrapin
    if status.vulnerable:
        line = Text("✘ vulnerable", style="bold red")
    elif status.chacha20 or status.cbc_etm:
        line = Text("✔ mitigated by strict key exchange (for clients that support it)", style="green")
    else:
        line = Text("✔ not exposed (no ChaCha20-Poly1305, no CBC with EtM)", style="green")
    out.print(_head("terrapin", Text("CVE-2023-48795: ").append(line)))
    for f in _other_findings(report):
        out.print(Text("          ").append(severity_text(f.severity)).append(f" {printable(f.reason or '')}"))
    for hint in report.hints:
        out.print(_head("hint", Text(printable(hint), style="dim")))
    if report.policy is not None:
        render_policy(report, out)


def render_policy(report: AuditReport, out: Console) -> None:
    result = report.policy
    assert result is not None
    verdict = Text("PASS", style="bold green") if result.passed else Text("FAIL", style="bold red")
    out.print(_head("policy", Text(f"{result.policy.title}: ").append(verdict)))
    for v in result.violations:
        out.print(f"          - {printable(v.detail)}", markup=False, highlight=False)


def _picked(plan_after: dict[Slot, str | None], slot: Slot) -> str:
    value = plan_after.get(slot)
    return printable(value) if value else "-"


def render_harden(plan: HardenPlan, check: dict[str, object] | None, out: Console | None = None,
                  *, kept: Sequence[str] = ()) -> None:
    """Print the hardening plan: the lines, what they remove and keep, and the proofs."""
    out = out or console()
    out.print()
    out.print(Text("hardening", style="bold"), Text(f"keeping: {', '.join(kept) or 'no client named'}", style="dim"))
    if plan.build:
        out.print(Text(f"relative to {printable(plan.build)}", style="dim"))
    lines = plan.config_lines()
    if lines:
        out.print(Text("sshd_config (each line replaces any existing line of that directive):", style="bold"))
        print_verbatim(out, "\n".join(lines))
    removed = plan.removed()
    if removed:
        out.print(Text("removes:", style="bold"))
        for cat, names in removed.items():
            out.print(f"    {cat:<12} {printable(', '.join(names))}", markup=False, highlight=False)
    elif not lines:
        out.print(Text("nothing to remove: no weak algorithm is offered", style="green"))
    for change in plan.changes:
        for name, users in change.kept_weak.items():
            why = f"needed by {', '.join(users)}" if users else "nothing stronger is possible, so the list is not empty"
            out.print(Text(f"    keeps weak {change.category.value} {printable(name)}: {printable(why)}", style="yellow"))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("client", "today", "hardened", "key exchange", "host key", "cipher", "MAC"):
        table.add_column(column, no_wrap=True)
    for proof in plan.proofs:
        after = proof.after
        ok = Text("connects", style="green") if after.ok else Text("FAILS: " + ", ".join(c.value for c in after.failures),
                                                                      style="bold red")
        before = Text("connects", style="green") if proof.before.ok else Text("fails", style="red")
        picks = after.picks
        table.add_row(printable(proof.client), before, ok, _picked(picks, Slot.KEX), _picked(picks, Slot.HOSTKEY),
                      _picked(picks, Slot.CIPHER_C2S), _picked(picks, Slot.MAC_C2S) if picks.get(Slot.MAC_C2S)
                      else "(implicit)")
    if plan.proofs:
        out.print(Text("proof (sshdoctor's negotiation engine, each client's default proposal):", style="bold"))
        out.print(table)
    if check is not None:
        valid = bool(check.get("valid"))
        style = "green" if valid else ("red" if check.get("checked") else "yellow")
        message = printable(str(check.get("message")))
        sshd = check.get("sshd")
        if sshd:
            message += f" ({printable(str(sshd))})"
        match = check.get("matches_prediction")
        if match is True:
            message += "; sshd -T expands them to exactly the predicted lists"
        elif match is False:
            message += "; sshd -T expands them differently from the prediction"
        out.print(_head("sshd -t", Text(message, style=style)))
    for note in plan.notes:
        out.print(Text(f"note: {printable(note)}", style="yellow"))


def _names_line(audit: ClientAudit, slot: Slot) -> Text:
    levels = {(f.category, f.algorithm): f.severity for f in audit.findings if f.kind in ("algorithm", "unknown-algorithm")}
    text = Text()
    for i, name in enumerate(audit.proposal.get(slot)):
        if i:
            text.append(", ")
        severity = levels.get((slot.category, name))
        style = SEVERITY_STYLE.get(severity or "", _SIGNAL_STYLE) if severity != "info" else ""
        text.append(printable(name), style=style)
    return text


def render_client(audit: ClientAudit, index: int, out: Console | None = None) -> None:
    """Print one connecting client: who it is, its algorithms coloured by verdict, its order."""
    out = out or console()
    banner = printable(audit.banner.raw) if audit.banner else "(no identification)"
    out.rule(Text(f"client {index}: {printable(audit.peer)}  {banner}"), style="dim")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    best = audit.best
    if best is not None:
        marks = [m for m, hit in (("banner pattern", best.banner_pattern), ("version", best.version_match)) if hit]
        detail = f"score {best.score:.2f}, proposal similarity {best.proposal_similarity:.2f}"
        if marks:
            detail += ", matches " + " and ".join(marks)
        name = Text(f"{best.profile.label} ({best.profile.id})  ", style="bold" if best.confident else "yellow")
        if not best.confident:
            name.append("closest only, no profile fits well  ", style="yellow")
        grid.add_row("profile", name.append(detail, "dim"))
        others = ", ".join(f"{m.profile.id} {m.score:.2f}" for m in audit.matches[1:])
        if others:
            grid.add_row("", Text(f"next: {others}", style="dim"))
    else:
        grid.add_row("profile", "no client profile in the catalog to compare with")
    same = audit.proposal.cipher_c2s == audit.proposal.cipher_s2c and audit.proposal.mac_c2s == audit.proposal.mac_s2c
    slots = [Slot.KEX, Slot.HOSTKEY, Slot.CIPHER_C2S, Slot.MAC_C2S, Slot.COMPRESSION_C2S]
    if not same:
        slots += [Slot.CIPHER_S2C, Slot.MAC_S2C]
    for slot in slots:
        label = CATEGORY_TITLE[slot.category] if same or slot.direction is None else f"{slot.category.value} {slot.direction}"
        grid.add_row(label, _names_line(audit, slot))
    weak = [f for f in audit.findings if f.severity != Severity.INFO and f.kind == "algorithm"]
    if weak:
        grid.add_row("weak", Text(f"{len(weak)} offered: " + ", ".join(printable(f.algorithm or "") for f in weak),
                                  style="yellow"))
    for f in audit.findings:
        if f.severity != Severity.INFO and f.kind not in ("algorithm", "unknown-algorithm"):
            grid.add_row(severity_text(f.severity), Text(printable(f.reason or "")))
    out.print(grid)


def render_client_summary(audits: Sequence[ClientAudit], errors: Sequence[str], out: Console | None = None) -> None:
    """The table printed when listening ends."""
    out = out or console()
    out.print()
    if not audits and not errors:
        out.print(Text("no client connected", style="yellow"))
        return
    table = Table(title="clients seen", show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("#", "peer", "identification", "profile", "score", "weak", "terrapin"):
        table.add_column(column, no_wrap=True)
    for i, a in enumerate(audits, 1):
        weak = sum(1 for f in a.findings if f.kind == "algorithm" and f.severity != "info")
        terrapin = Text("exposed", style="red") if a.terrapin.vulnerable else Text("ok", style="green")
        table.add_row(str(i), printable(a.peer), printable(a.banner.raw if a.banner else "-"),
                      a.best.profile.id if a.best else "-", f"{a.best.score:.2f}" if a.best else "-", str(weak), terrapin)
    out.print(table)
    for error in errors:
        out.print(Text(f"connection without a usable KEXINIT: {printable(error)}", style="yellow"))
