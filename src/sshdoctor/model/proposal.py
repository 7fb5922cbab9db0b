"""The ten name-lists of an SSH_MSG_KEXINIT (RFC 4253 section 7.1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sshdoctor.model.category import ALL_SLOTS, SLOT_NAMES, Slot

NameList = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Proposal:
    """One side's algorithm proposal, lists exactly as sent (pseudo-algorithms included)."""

    kex: NameList = ()
    hostkey: NameList = ()
    cipher_c2s: NameList = ()
    cipher_s2c: NameList = ()
    mac_c2s: NameList = ()
    mac_s2c: NameList = ()
    compression_c2s: NameList = ()
    compression_s2c: NameList = ()
    language_c2s: NameList = ()
    language_s2c: NameList = ()
    first_kex_follows: bool = False
    cookie: bytes = field(default=b"", compare=False, repr=False)

    def get(self, slot: Slot) -> NameList:
        """The name-list of one negotiated slot."""
        result: NameList = getattr(self, slot.value)
        return result

    def with_slot(self, slot: Slot, names: Sequence[str]) -> Proposal:
        """A copy with one slot replaced."""
        changes: dict[str, Any] = {slot.value: tuple(names)}
        return replace(self, **changes)

    def offer_dict(self) -> dict[str, list[str]]:
        """The eight negotiated lists keyed as the JSON contract's ``offer``."""
        return {name: list(getattr(self, name)) for name in SLOT_NAMES}

    @classmethod
    def symmetric(
        cls,
        kex: Sequence[str],
        hostkey: Sequence[str],
        cipher: Sequence[str],
        mac: Sequence[str],
        compression: Sequence[str] = ("none",),
    ) -> Proposal:
        """A proposal with the same list in both directions, as OpenSSH sends."""
        return cls(
            kex=tuple(kex),
            hostkey=tuple(hostkey),
            cipher_c2s=tuple(cipher),
            cipher_s2c=tuple(cipher),
            mac_c2s=tuple(mac),
            mac_s2c=tuple(mac),
            compression_c2s=tuple(compression),
            compression_s2c=tuple(compression),
        )

    @classmethod
    def from_offer_dict(cls, offer: Mapping[str, Sequence[str]]) -> Proposal:
        """Inverse of :meth:`offer_dict`; missing slots are empty."""
        lists: dict[str, Any] = {slot.value: tuple(offer.get(slot.value, ())) for slot in ALL_SLOTS}
        return cls(**lists)
