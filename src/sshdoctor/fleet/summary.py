"""What the end-of-scan summary needs, gathered as results stream in.

Counts are kept for every host; rows only for the hosts that need a look
(up to a cap), so the summary of a scan of any size fits in memory. The
fix groups keep one name per host that needs a change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sshdoctor.fleet.analysis import HostResult
from sshdoctor.fleet.grouping import Grouping

MAX_ROWS = 200


@dataclass
class ProfileTally:
    """How many hosts a client profile would reach."""

    label: str
    ok: int = 0
    fails: int = 0


@dataclass
class ScanSummary:
    """Counters, notable hosts, fix groups, per-profile tallies and changes since the last scan."""

    statuses: Counter[str] = field(default_factory=Counter)
    grades: Counter[str] = field(default_factory=Counter)
    software: Counter[str] = field(default_factory=Counter)
    first_failures: Counter[str] = field(default_factory=Counter)
    rows: list[HostResult] = field(default_factory=list)
    dropped_rows: int = 0
    grouping: Grouping = field(default_factory=Grouping)
    profiles: dict[str, ProfileTally] = field(default_factory=dict)
    changed: list[HostResult] = field(default_factory=list)
    dropped_changes: int = 0
    total: int = 0
    show_all: bool = False

    def add(self, result: HostResult) -> None:
        self.total += 1
        self.statuses[result.status] += 1
        report = result.report
        if report.software:
            self.software[str(report.software.get("name") or "unknown")] += 1
        if result.audit and isinstance(result.audit.get("grade"), str):
            self.grades[str(result.audit["grade"])] += 1
        if report.outcome is not None and report.outcome.first_failure is not None:
            self.first_failures[report.outcome.first_failure.value] += 1
        for pid, outcome in result.profiles.items():
            tally = self.profiles.setdefault(pid, ProfileTally(outcome.client or pid))
            if outcome.ok:
                tally.ok += 1
            else:
                tally.fails += 1
        self.grouping.add(result)
        if self.show_all or result.status != "ok":
            if len(self.rows) < MAX_ROWS:
                self.rows.append(result)
            else:
                self.dropped_rows += 1
        if result.diff is not None and result.diff.get("events") and result.diff.get("events") != ["new-host"]:
            if len(self.changed) < MAX_ROWS:
                self.changed.append(result)
            else:
                self.dropped_changes += 1

    @property
    def needs_attention(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "ok")
