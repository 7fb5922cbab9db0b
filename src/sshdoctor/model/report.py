"""What sshdoctor learned about one host: the probe document of the JSON contract."""

from __future__ import annotations

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
        data: dict[str, object] = {
            "target": self.target.as_dict(),
            "banner": self.banner.raw if self.banner else None,
            "offer": self.offer.offer_dict() if self.offer else None,
            "negotiation": None,
        }
        if self.target.alias:
            data["target"] = {**self.target.as_dict(), "alias": self.target.alias}
        data["address"] = self.address
        data["software"] = self.software
        if self.outcome is not None:
            data["negotiation"] = {
                **self.outcome.as_dict(),
                "per_slot": {slot.value: pick for slot, pick in self.outcome.picks.items()},
            }
        if self.client_proposal is not None:
            data["client_offer"] = self.client_proposal.offer_dict()
        data["error"] = self.error
        if self.error_kind:
            data["error_kind"] = self.error_kind
        return data
