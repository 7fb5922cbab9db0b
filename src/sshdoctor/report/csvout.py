"""CSV output of a scan: one row per host, written as each host finishes."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO

from sshdoctor.fleet.analysis import HostResult
from sshdoctor.report.sanitize import printable

BASE_COLUMNS = (
    "name", "host", "port", "address", "status", "banner", "software", "grade", "audit_fail", "audit_warn",
    "first_failure", "failures", "fix", "ssh_options", "unfixable", "error", "error_kind", "attempts", "source",
)


def _cell(value: object) -> str:
    text = printable("" if value is None else str(value))
    # A cell a spreadsheet would run as a formula gets a leading quote.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def row(result: HostResult, profile_ids: Sequence[str]) -> list[str]:
    """The CSV cells of one host."""
    report = result.report
    software = report.software or {}
    outcome = report.outcome
    audit = result.audit or {}
    fix = result.fix
    values: list[object] = [
        result.name,
        report.target.host,
        report.target.port,
        report.address,
        result.status,
        report.banner.raw if report.banner else None,
        " ".join(str(software.get(k) or "") for k in ("name", "version")).strip(),
        audit.get("grade"),
        audit.get("fail"),
        audit.get("warn"),
        outcome.first_failure.value if outcome and outcome.first_failure else None,
        " ".join(c.value for c in outcome.failures) if outcome else None,
        "; ".join(f"{c.directive} {c.option_value()}" for c in fix.changes) if fix else None,
        " ".join(f"-o {c.directive}={c.option_value()}" for c in fix.changes) if fix else None,
        " ".join(c.value for c in fix.unfixable) if fix else None,
        report.error,
        report.error_kind,
        result.attempts,
        result.source,
    ]
    for pid in profile_ids:
        o = result.profiles.get(pid)
        values.append(None if o is None else ("ok" if o.ok else f"fails:{o.first_failure.value if o.first_failure else ''}"))
    return [_cell(v) for v in values]


class CsvWriter:
    """Writes the header at once and a row per :meth:`write`."""

    def __init__(self, stream: TextIO, profile_ids: Sequence[str]) -> None:
        self.stream = stream
        self.profile_ids = list(profile_ids)
        self.writer = csv.writer(stream)
        self.writer.writerow([*BASE_COLUMNS, *(f"profile:{p}" for p in self.profile_ids)])

    def write(self, result: HostResult) -> None:
        self.writer.writerow(row(result, self.profile_ids))
        self.stream.flush()
