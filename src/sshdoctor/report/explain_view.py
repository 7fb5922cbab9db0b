"""Terminal rendering of ``sshdoctor explain``: findings, ranked fixes, log summaries.

Everything shown came from pasted text or a log, so every string goes through
:func:`printable` before it reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sshdoctor.catalog import is_pseudo
from sshdoctor.model import Finding
from sshdoctor.report.actions import action_from_dict, print_prose, render_action
from sshdoctor.report.sanitize import printable
from sshdoctor.report.terminal import CATEGORY_TITLE, console

_HEADLINES = {
    "no-common-algorithm": "no common {category}",
    "banner-exchange-closed": "connection closed before the SSH banner",
    "connection-reset": "connection reset",
    "banner-timeout": "no SSH banner in time",
    "invalid-banner": "not an SSH banner",
    "bad-packet-length": "bad packet length (stream not decodable)",
    "corrupted-mac": "corrupted MAC (integrity check failed)",
    "no-mutual-signature-algorithm": "no signature algorithm the server accepts for your key",
    "pubkey-algorithm-not-accepted": "client's key signature algorithm refused",
    "host-key-changed": "the server's host key changed",
    "host-key-verification-failed": "host key could not be verified",
    "permission-denied": "login refused (key exchange worked)",
    "too-many-auth-failures": "too many authentication failures",
    "connection-refused": "connection refused",
    "connection-timeout": "connection timed out",
    "no-route": "no route to host",
    "unresolved-host": "host name does not resolve",
    "bad-permissions": "file permissions too open",
    "invalid-key-format": "private key could not be loaded",
    "agent-unreachable": "no ssh-agent reachable",
    "max-startups": "dropped by MaxStartups",
    "penalty": "refused by PerSourcePenalties",
    "proxy-closed": "the proxy (ProxyCommand/ProxyJump) closed the connection",
    "weak-algorithm-refused": "only a weak algorithm in common, refused in batch mode",
    "host-key-unknown": "host key not known (batch mode)",
    "protocol-error": "protocol error after key exchange",
    "dh-gex-group-too-small": "the server's Diffie-Hellman group is too small for your client",
    "auth-failed": "authentication failures",
    "wrapped-failure": "the wrapped ssh command failed",
}


def headline(f: Finding) -> str:
    """A short title for a finding."""
    template = _HEADLINES.get(f.kind, f.kind)
    category = CATEGORY_TITLE[f.category] if f.category else "algorithm"
    return template.format(category=category)


def _where(f: Finding) -> str:
    parts = []
    if f.reported_by:
        parts.append(f"reported by {f.reported_by}")
    if f.extra.get("peer_role") == "client":
        if f.extra.get("summary") is None and f.host:
            parts.append(f"client {f.host}")
    elif f.host:
        parts.append(f"{f.host}" + (f" port {f.port}" if f.port else ""))
    via = f.extra.get("via")
    if via:
        parts.append(f"via {via}")
    return ", ".join(parts)


def render_findings(findings: Sequence[Finding], fixes: Sequence[dict[str, object]], out: Console | None = None) -> None:
    """Each finding with its explanation and its fixes, safest first."""
    out = out or console()
    for i, f in enumerate(findings):
        style = "bold red" if f.severity == "fail" else "bold yellow"
        out.print(Text.assemble(("✘ " if f.severity == "fail" else "• ", style), (printable(headline(f)), style),
                                ("  " + printable(_where(f)), "dim")))
        summary = f.extra.get("summary")
        if isinstance(summary, str):
            out.print(Text("  " + printable(summary), style="bold"))
        if f.their_offer is not None:
            label = "client offered" if f.extra.get("side") == "server" else "their offer"
            offered = [n for n in f.their_offer if not is_pseudo(n)]
            signals = [n for n in f.their_offer if is_pseudo(n)]
            line = Text.assemble(("  " + label + ": ", "bold"), printable(", ".join(offered) or "(nothing)"))
            if signals:
                line.append(f"  (and the protocol signals {printable(', '.join(signals))}, which are not methods)",
                            style="dim")
            out.print(line)
        elif f.kind == "no-common-algorithm":
            out.print(Text("  their offer: not in the message", style="yellow"))
        print_prose(out, f.explanation)
        mine = [x for x in fixes if x.get("finding") == i]
        for fix in mine:
            out.print(Text.assemble(("  " + str(fix.get("rank")) + ". ", "bold green"),
                                    (printable(str(fix.get("title"))), "bold")))
            docs = fix.get("actions")
            seen_risk: set[str] = set()
            for doc in docs if isinstance(docs, list) else []:
                if isinstance(doc, dict):
                    action = action_from_dict(doc)
                    render_action(out, action, show_title=action.title != fix.get("title"),
                                  show_risk=bool(action.risk) and action.risk not in seen_risk, nested=True)
                    seen_risk.add(action.risk or "")
        out.print()


def render_summary(summary: dict[str, object], out: Console | None = None) -> None:
    """The log summary: one row per failure group."""
    out = out or console()
    groups = summary.get("groups")
    out.print(Text(f"{summary.get('lines')} lines, {summary.get('matched')} events recognised", style="bold"))
    if not isinstance(groups, list) or not groups:
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("events", justify="right")
    table.add_column("clients", justify="right")
    table.add_column("what happened")
    for g in groups:
        if isinstance(g, dict):
            table.add_row(str(g.get("events")), str(g.get("clients")), Text(printable(str(g.get("summary")))))
    out.print(table)
    out.print()


def render_unrecognised(hint: tuple[str, str, float] | None, reason: str, out: Console | None = None) -> None:
    """What to say when nothing matched."""
    out = out or console()
    out.print(Text(f"not recognised: {printable(reason)}", style="bold yellow"))
    if hint is not None and hint[2] >= 0.2:
        out.print(Text(f"closest known message ({hint[0]}): {printable(hint[1])}", style="dim"))
    out.print(Text("Paste the whole output (for ssh: ssh -vv HOST 2>&1 | sshdoctor explain -).", style="dim"))
