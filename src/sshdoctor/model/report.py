"""What sshdoctor learned about one host: the probe document of the JSON contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sshdoctor.model.banner import Banner
from sshdoctor.model.outcome import Outcome
from sshdoctor.model.proposal import Proposal
from sshdoctor.model.target import Target


@dataclass(frozen=True, slots=True)
class HostReport:
    """A probe of one host and the local client's negotiation against it.

    On failure ``error`` and ``error_kind`` say why and the later fields are
    None; failure is a value, so one bad host never aborts a scan.
    """

    target: Target
    address: str | None = None
    banner: Banner | None = None
    software: dict[str, object] | None = None
    offer: Proposal | None = None
    client_proposal: Proposal | None = None
    client_ident: str | None = None
    outcome: Outcome | None = None
    error: str | None = None
    error_kind: str | None = None
    exit_code: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    local_supported: dict[str, tuple[str, ...]] | None = None

    def as_dict(self) -> dict[str, object]:
        """The contract's ``probe`` document (plus additive fields)."""
        return {key: make() for key, _shared, make in self.parts()}

    def parts(self) -> list[tuple[str, object, Callable[[], object]]]:
        """The document's fields in order, each as (key, shared, make): ``make()`` builds the value;
        ``shared`` is the object it is built from alone when hosts share it (an offer, an outcome),
        so an encoder may reuse its encoding (``report.jsonlines``), or None when it is per host."""
        outcome, offer, proposal = self.outcome, self.offer, self.client_proposal
        target = self.target
        parts: list[tuple[str, object, Callable[[], object]]] = [
            ("target", None, (lambda: {**target.as_dict(), "alias": target.alias}) if target.alias else target.as_dict),
            ("banner", None, lambda: self.banner.raw if self.banner else None),
            ("offer", offer, offer.offer_dict if offer is not None else _none),
            ("negotiation", outcome, (lambda: _negotiation(outcome)) if outcome is not None else _none),
            ("address", None, lambda: self.address),
            ("software", self.software, lambda: self.software),
        ]
        if proposal is not None:
            parts.append(("client_offer", proposal, proposal.offer_dict))
        parts.append(("error", None, lambda: self.error))
        if self.error_kind:
            parts.append(("error_kind", None, lambda: self.error_kind))
        return parts


def _none() -> None:
    return None


def _negotiation(outcome: Outcome) -> dict[str, object]:
    return {**outcome.as_dict(), "per_slot": {slot.value: pick for slot, pick in outcome.picks.items()}}
