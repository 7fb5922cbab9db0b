"""The narrowest server-side change that lets a given client connect.

The mirror of :func:`sshdoctor.remedy.plan.plan_client_fix`: for each
failing category the server enables one more algorithm, the strongest of
the client's proposal that the server's release supports. The client's
order decides what is then chosen, so one name in the server's list is
enough. Ciphers are tried one candidate at a time because an AEAD cipher
also settles the MAC; among plans with the fewest directives the strongest
wins. The plan is checked by negotiating again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sshdoctor.model import Category, Change, Outcome, Proposal, Slot
from sshdoctor.negotiate import negotiate
from sshdoctor.remedy.plan import PlanStatus, strongest_supported
from sshdoctor.remedy.strength import strength_key

_SLOTS = {c: c.slots for c in Category}


@dataclass(frozen=True, slots=True)
class ServerPlan(PlanStatus):
    """Algorithms the server should add, the negotiation that follows, what cannot be fixed.

    ``supported_known`` is False when the server's release is not in the
    catalog: the plan then assumes it can enable anything the client
    proposes, and says so.
    """

    changes: tuple[Change, ...]
    before: Outcome
    after: Outcome
    unfixable: tuple[Category, ...] = ()
    supported_known: bool = True


def _client_names(client: Proposal, category: Category, slots: Sequence[Slot] | None = None) -> list[str]:
    names: list[str] = []
    for slot in slots or _SLOTS[category]:
        names += [n for n in client.get(slot) if n not in names]
    return names


def _with_added(server: Proposal, adds: Mapping[Category, tuple[str, ...]]) -> Proposal:
    out = server
    for category, names in adds.items():
        for slot in _SLOTS[category]:
            current = out.get(slot)
            out = out.with_slot(slot, list(current) + [n for n in names if n not in current])
    return out


def _usable(category: Category, offered: Sequence[str], supported: Mapping[Category, Sequence[str]] | None) -> list[str]:
    allowed = offered if supported is None else supported.get(category, ())
    return strongest_supported(category, offered, allowed)


def _cipher_options(
    client: Proposal, outcome: Outcome, supported: Mapping[Category, Sequence[str]] | None
) -> list[tuple[str, ...]] | None:
    """Candidate cipher additions (one name for both failing directions where
    possible); None when some direction has no usable cipher."""
    failing = [s for s in _SLOTS[Category.CIPHER] if s in outcome.failed_slots]
    if not failing:
        return [()]
    per_slot = [_usable(Category.CIPHER, client.get(s), supported) for s in failing]
    if any(not names for names in per_slot):
        return None
    both = [n for n in per_slot[0] if all(n in names for names in per_slot)]
    if both:
        return [(n,) for n in both]
    return [tuple(dict.fromkeys(pair)) for pair in zip(*per_slot, strict=False)][:1]


def plan_server_fix(
    client: Proposal,
    server: Proposal,
    supported: Mapping[Category, Sequence[str]] | None,
    *,
    client_label: str = "",
) -> ServerPlan:
    """The fewest ``+algorithm`` additions to the server's lists for ``client``.

    ``supported`` is what the server's release can enable (a profile's
    supported set); None means unknown.
    """
    before = negotiate(client, server, client_label=client_label)
    known = supported is not None
    if before.ok:
        return ServerPlan(changes=(), before=before, after=before, supported_known=known)
    adds: dict[Category, tuple[str, ...]] = {}
    unfixable: list[Category] = []
    for category in (Category.KEX, Category.HOSTKEY, Category.COMPRESSION):
        if not any(s in before.failed_slots for s in _SLOTS[category]):
            continue
        names = _usable(category, _client_names(client, category), supported)
        # sshd has no list directive for compression (only Compression yes/no).
        if category is Category.COMPRESSION or not names:
            unfixable.append(category)
        else:
            adds[category] = (names[0],)
    options = _cipher_options(client, before, supported)
    if options is None:
        unfixable.append(Category.CIPHER)
        options = [()]
    best: tuple[tuple[int, tuple[tuple[int, int, int, str], ...]], dict[Category, tuple[str, ...]]] | None = None
    for ciphers in options:
        trial = dict(adds)
        if ciphers:
            trial[Category.CIPHER] = ciphers
        outcome = negotiate(client, _with_added(server, trial))
        mac_slots = [s for s in _SLOTS[Category.MAC] if s in outcome.failed_slots]
        if mac_slots:
            macs = _usable(Category.MAC, _client_names(client, Category.MAC, mac_slots), supported)
            if macs:
                trial[Category.MAC] = (macs[0],)
        score = (len(trial), tuple(strength_key(Category.CIPHER, c) for c in ciphers))
        if best is None or score < best[0]:
            best = (score, trial)
    assert best is not None
    adds = best[1]
    after = negotiate(client, _with_added(server, adds), client_label=client_label)
    for slot in after.failed_slots:
        if slot.category not in unfixable:
            unfixable.append(slot.category)
    changes = tuple(Change(directive=c.directive, add=adds[c]) for c in Category if c in adds)
    return ServerPlan(changes=changes, before=before, after=after, unfixable=tuple(unfixable), supported_known=known)
