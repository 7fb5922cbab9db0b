"""The algorithm choice of RFC 4253 section 7.1 as the OpenSSH client makes it."""

from __future__ import annotations

from collections.abc import Sequence

from sshdoctor.catalog import is_aead, is_pseudo
from sshdoctor.model import CHECK_ORDER_CLIENT, Category, Outcome, Proposal, Slot

_CIPHER_FOR_MAC = {Slot.MAC_C2S: Slot.CIPHER_C2S, Slot.MAC_S2C: Slot.CIPHER_S2C}


def choose(client: Sequence[str], server: Sequence[str]) -> str | None:
    """The first algorithm on the client's list that the server also offers.

    Pseudo-algorithms (ext-info-c, kex-strict-…) are signals and never chosen.
    """
    offered = set(server)
    for name in client:
        if name in offered and not is_pseudo(name):
            return name
    return None


def negotiate(
    client: Proposal,
    server: Proposal,
    *,
    client_label: str = "",
    server_label: str = "",
) -> Outcome:
    """Simulate key-exchange negotiation between two proposals.

    Every slot is judged, in the order OpenSSH's kex_choose_conf() checks
    them, so the outcome names every failing category at once while
    ``first_failure`` stays the one ssh would print. A MAC slot is only
    needed when the cipher chosen for that direction is not AEAD.
    """
    picks: dict[Slot, str | None] = {}
    failed: list[Slot] = []
    implicit: list[Slot] = []
    for slot in CHECK_ORDER_CLIENT:
        if slot.category is Category.MAC:
            cipher = picks.get(_CIPHER_FOR_MAC[slot])
            if cipher is not None and is_aead(cipher):
                picks[slot] = None
                implicit.append(slot)
                continue
        pick = choose(client.get(slot), server.get(slot))
        picks[slot] = pick
        if pick is None:
            failed.append(slot)
    return Outcome(
        picks=picks,
        failed_slots=tuple(failed),
        implicit_mac=tuple(implicit),
        client=client_label,
        server=server_label,
    )
