"""Something sshdoctor concluded: a diagnosis or an audit verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from sshdoctor.model.category import Category


@dataclass(frozen=True, slots=True)
class Finding:
    """One conclusion, from a message, a log, an outcome or an audit.

    ``kind`` is a stable machine name (``no-common-algorithm``,
    ``weak-algorithm``, ``connection-refused`` …); ``their_offer`` is the
    other side's list when the source holds it.
    """

    kind: str
    explanation: str = ""
    category: Category | None = None
    severity: str = "info"
    host: str | None = None
    port: int | None = None
    their_offer: tuple[str, ...] | None = None
    our_offer: tuple[str, ...] | None = None
    reported_by: str | None = None
    algorithm: str | None = None
    reason: str | None = None
    cve: str | None = None
    evidence: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "kind": self.kind,
            "category": self.category.value if self.category else None,
            "severity": self.severity,
            "host": self.host,
            "port": self.port,
            "their_offer": list(self.their_offer) if self.their_offer is not None else None,
            "reported_by": self.reported_by,
            "explanation": self.explanation,
        }
        for key in ("algorithm", "reason", "cve", "evidence"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.our_offer is not None:
            data["our_offer"] = list(self.our_offer)
        data.update(self.extra)
        return data
