"""The letter grade of a server audit.

The grade answers "how bad is the worst thing a client can end up with",
so it is decided by the worst rule that applies (docs/audit.md):

* F: in some category every offered algorithm is ``fail``: every client
  is forced onto broken cryptography (or an unsafe host key).
* D: a ``fail`` finding exists: clients that prefer it get broken crypto.
* C: the server is vulnerable to Terrapin, or in some category every
  offered algorithm is ``warn`` or worse, so no client can avoid it.
* B: a ``warn`` finding exists.
* A: only ``info``.

The MAC category only counts when a non-AEAD cipher is offered: with AEAD
ciphers alone the MAC list is never used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sshdoctor.audit.terrapin import TerrapinStatus
from sshdoctor.audit.verdicts import Severity, offered, worst
from sshdoctor.catalog import is_aead
from sshdoctor.model import Category, Finding, Proposal

GRADES = ("A", "B", "C", "D", "F")
_NEGOTIATED = (Category.KEX, Category.HOSTKEY, Category.CIPHER, Category.MAC)


@dataclass(frozen=True, slots=True)
class Grade:
    """A letter and the reasons that decided it, most serious first."""

    letter: str
    reasons: tuple[str, ...] = ()

    def at_least(self, other: str) -> bool:
        """Whether this grade is ``other`` or better."""
        return GRADES.index(self.letter) <= GRADES.index(other)


def per_algorithm(findings: Sequence[Finding]) -> dict[tuple[Category, str], Severity]:
    """The worst severity found for each (category, algorithm)."""
    out: dict[tuple[Category, str], Severity] = {}
    for f in findings:
        if f.category is None or f.algorithm is None or f.kind == "signal":
            continue
        key = (f.category, f.algorithm)
        out[key] = worst([out.get(key, Severity.INFO), Severity(f.severity)])
    return out


def _categories_at(proposal: Proposal, levels: dict[tuple[Category, str], Severity], floor: Severity) -> list[Category]:
    """Categories whose every offered algorithm is ``floor`` or worse."""
    ciphers = offered(proposal, Category.CIPHER)
    mac_matters = any(not is_aead(c) for c in ciphers)
    hit = []
    for cat in _NEGOTIATED:
        if cat is Category.MAC and not mac_matters:
            continue
        names = offered(proposal, cat)
        if names and all(levels.get((cat, n), Severity.INFO).rank <= floor.rank for n in names):
            hit.append(cat)
    return hit


def grade(proposal: Proposal, findings: Sequence[Finding], terrapin: TerrapinStatus) -> Grade:
    """Grade a server from its proposal and every finding about it."""
    levels = per_algorithm(findings)
    fails = sorted({f.algorithm or f.kind for f in findings if f.severity == Severity.FAIL})
    warns = sorted({f.algorithm or f.kind for f in findings if f.severity == Severity.WARN})
    only_fail = _categories_at(proposal, levels, Severity.FAIL)
    if only_fail:
        return Grade("F", tuple(f"every {c.value} algorithm offered fails" for c in only_fail))
    if fails:
        return Grade("D", (f"fail: {', '.join(fails)}",))
    only_warn = _categories_at(proposal, levels, Severity.WARN)
    reasons: list[str] = []
    if terrapin.vulnerable:
        reasons.append("vulnerable to Terrapin (CVE-2023-48795)")
    reasons += [f"every {c.value} algorithm offered is weak" for c in only_warn]
    if reasons:
        return Grade("C", tuple(reasons))
    if warns:
        return Grade("B", (f"warn: {', '.join(warns)}",))
    return Grade("A", ("no weak algorithm, key or configuration found",))
