"""The result of negotiating one client proposal against one server proposal."""

from __future__ import annotations

from dataclasses import dataclass, field

from sshdoctor.model.category import ALL_SLOTS, Category, Slot


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a client would choose per slot, and what fails.

    ``picks`` maps every slot to the algorithm the client would pick in
    that slot judged on its own (None where nothing is common, or for a MAC
    made implicit by an AEAD cipher). ``chosen`` is what a real handshake
    ends with: the picks when every slot agrees, else nothing.
    ``failed_slots`` lists every slot with no common algorithm, in the order
    the client checks them; ``first_failure`` is the category the client
    itself would report.
    """

    picks: dict[Slot, str | None]
    failed_slots: tuple[Slot, ...] = ()
    implicit_mac: tuple[Slot, ...] = ()
    client: str = ""
    server: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def chosen(self) -> dict[Slot, str | None]:
        if self.failed_slots:
            return dict.fromkeys(Slot)
        return {slot: self.picks.get(slot) for slot in ALL_SLOTS}

    @property
    def ok(self) -> bool:
        return not self.failed_slots

    @property
    def first_failure(self) -> Category | None:
        return self.failed_slots[0].category if self.failed_slots else None

    @property
    def failures(self) -> tuple[Category, ...]:
        """Every category with no common algorithm, each once, in check order."""
        seen: list[Category] = []
        for slot in self.failed_slots:
            if slot.category not in seen:
                seen.append(slot.category)
        return tuple(seen)

    def as_dict(self) -> dict[str, object]:
        """The contract's ``negotiation`` object."""
        chosen = self.chosen
        return {
            "client": self.client,
            "ok": self.ok,
            "chosen": {slot.value: chosen.get(slot) for slot in ALL_SLOTS},
            "first_failure": self.first_failure.value if self.first_failure else None,
            "failures": [c.value for c in self.failures],
        }
