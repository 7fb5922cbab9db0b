"""The HTML scan report: fleet summary, filterable host table, host × client
heat map and per-host details, in one self-contained file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import jinja2

from sshdoctor.fleet.analysis import HostResult
from sshdoctor.fleet.runner import ScanStats
from sshdoctor.model import Outcome, Slot
from sshdoctor.model.invocation import Invocation
from sshdoctor.remedy.actions import one_off
from sshdoctor.report.html_template import TEMPLATE
from sshdoctor.report.sanitize import printable
from sshdoctor.report.scan_view import STATUS_WORDS
from sshdoctor.report.terminal import CATEGORY_TITLE

LOCAL = "local ssh"
_ORDER = {"fails": 0, "unreachable": 1, "unpredicted": 2, "invalid": 3, "ok": 4}


@dataclass(frozen=True, slots=True)
class Column:
    """One client in the heat map: the local ssh or a named profile."""

    id: str
    label: str
    ok: int
    known: int


def _cell(outcome: Outcome | None) -> dict[str, str]:
    if outcome is None:
        return {"css": "na", "text": "–", "title": "not known"}
    if outcome.ok:
        return {"css": "ok", "text": "✔", "title": f"{outcome.client}: would negotiate"}
    first = outcome.first_failure
    word = CATEGORY_TITLE[first] if first else "?"
    return {"css": "fail", "text": "✘ " + (first.value if first else ""), "title": f"{outcome.client}: no common {word}"}


def _one_off(result: HostResult) -> str:
    """The user's ssh command with the fix, runnable as printed (``-p PORT``, never ``[host]:port``)."""
    fix = result.fix
    if fix is None or not fix.needed or not fix.works or not fix.changes:
        return ""
    target = result.report.target
    inv = Invocation(destination=result.config_name or target.host, port=target.port if target.port != 22 else None)
    return one_off(list(fix.changes), inv)[0].text


def _host(result: HostResult, profile_ids: Sequence[str]) -> dict[str, object]:
    report = result.report
    software = report.software or {}
    outcome = report.outcome
    fix = result.fix
    fix_text = "; ".join(f"{c.directive} {c.option_value()}" for c in fix.changes) if fix and fix.needed else ""
    if fix is not None and fix.needed and not fix.works:
        fix_text = "no client change can work (" + ", ".join(c.value for c in fix.unfixable) + ")"
    offer_rows = []
    if report.offer is not None:
        chosen = outcome.picks if outcome is not None else {}
        for slot in Slot:
            offer_rows.append((slot.value, printable(",".join(report.offer.get(slot))), printable(chosen.get(slot) or "–")))
    audit = result.audit or {}
    findings = []
    listed = audit.get("findings")
    for f in listed if isinstance(listed, list) else []:
        if isinstance(f, dict):
            text = f"{f.get('algorithm') or f.get('kind')}: {f.get('reason') or ''}"
            findings.append({"severity": str(f.get("severity") or f.get("rating") or ""), "text": printable(text)})
    where = printable(report.target.display())
    name = printable(result.name) if result.name != report.target.host else where
    banner = printable(report.banner.raw) if report.banner else ""
    lines = (result.diff or {}).get("lines")
    cells = [_cell(outcome)] + [_cell(result.profiles.get(pid)) for pid in profile_ids]
    return {
        "name": name,
        "where": where,
        "status": result.status,
        "software": printable(" ".join(str(software.get(k) or "") for k in ("name", "version")).strip()),
        "grade": str(audit.get("grade") or ""),
        "failures": ", ".join(c.value for c in outcome.failures) if outcome else "",
        "first_failure": outcome.first_failure.openssh_error if outcome and outcome.first_failure else "",
        "fix_text": printable(fix_text),
        "fix_options": printable(" ".join(f"-o {c.directive}={c.option_value()}" for c in fix.changes)) if fix else "",
        "one_off": printable(_one_off(result)),
        "grade_css": "grade-" + str(audit.get("grade") or "none").lower(),
        "in_heat": report.offer is not None,
        "risks": [printable(r) for r in fix.risks()] if fix else [],
        "error": printable(report.error or ""),
        "banner": banner,
        "address": printable(report.address or ""),
        "source": result.source,
        "attempts": result.attempts,
        "offer": offer_rows,
        "findings": findings,
        "diff": [printable(str(x)) for x in lines] if isinstance(lines, list) else [],
        "cells": cells,
        "search": " ".join([name, where, banner, fix_text, str(report.error or "")]).lower(),
    }


def render_html(results: Sequence[HostResult], *, stats: ScanStats, client: str, fragment: str,
                profile_ids: Sequence[str], unfixable: dict[str, list[str]], when: datetime | None = None) -> str:
    """The report as one HTML document."""
    ordered = sorted(results, key=lambda r: (_ORDER.get(r.status, 9), r.name, r.report.target.port))
    hosts = [_host(r, profile_ids) for r in ordered]
    columns = []
    for index, (cid, label) in enumerate([(LOCAL, client), *((p, p) for p in profile_ids)]):
        known = ok = 0
        for h in hosts:
            cell = h["cells"][index]  # type: ignore[index]
            if cell["css"] != "na":
                known += 1
                ok += cell["css"] == "ok"
        labels = [r.profiles[cid].client for r in ordered if cid in r.profiles][:1]
        columns.append(Column(cid, printable(labels[0] if labels else label), ok, known))
    counts = Counter(r.status for r in results)
    grades = sorted(Counter(str((r.audit or {}).get("grade")) for r in results if (r.audit or {}).get("grade")).items())
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(TEMPLATE)
    return template.render(
        when=(when or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        stats=stats.as_dict(),
        client=printable(client),
        counts=counts,
        status_words=[(s, w) for s, w in STATUS_WORDS.items() if s != "invalid" or counts.get("invalid")],
        grades=grades,
        fragment="\n".join(printable(line) for line in fragment.splitlines()),
        unfixable=[(printable(n), c) for n, c in unfixable.items()],
        hosts=hosts,
        columns=columns,
    )
