"""The narrowest client-side change that makes negotiation succeed.

Each failing category gets one ``+algorithm``: the strongest the server
offers that the local client supports. Ciphers and MACs are planned
together, since an AEAD cipher makes the MAC irrelevant; among plans with
the fewest directives the strongest wins. The result is checked by
re-running the negotiation on the changed proposal.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sshdoctor.catalog import is_aead, is_pseudo
from sshdoctor.model import Category, Change, ClientModel, Outcome, Proposal, Slot
from sshdoctor.negotiate import negotiate
from sshdoctor.remedy.strength import strength_key

_SLOTS = {c: c.slots for c in Category}


class PlanStatus:
    """What every plan (client or server side) says about itself."""

    before: Outcome
    after: Outcome

    @property
    def needed(self) -> bool:
        return not self.before.ok

    @property
    def works(self) -> bool:
        return self.after.ok


@dataclass(frozen=True, slots=True)
class ClientPlan(PlanStatus):
    """Directives to add, the negotiation they lead to, and what cannot be fixed here."""

    changes: tuple[Change, ...]
    before: Outcome
    after: Outcome
    unfixable: tuple[Category, ...] = ()

    def added(self, category: Category) -> tuple[str, ...]:
        for change in self.changes:
            if change.directive == category.directive:
                return change.add
        return ()


def strongest_supported(category: Category, offer: Iterable[str], supported: Sequence[str]) -> list[str]:
    """The names of ``offer`` the client supports, strongest first, pseudo names dropped."""
    usable = {n for n in offer if n in supported and not is_pseudo(n)}
    return sorted(usable, key=lambda n: strength_key(category, n))


def _with_added(client: Proposal, adds: dict[Category, tuple[str, ...]]) -> Proposal:
    out = client
    for category, names in adds.items():
        for slot in _SLOTS[category]:
            current = out.get(slot)
            out = out.with_slot(slot, list(current) + [n for n in names if n not in current])
    return out


def _offer(server: Proposal, category: Category) -> list[str]:
    names: list[str] = []
    for slot in _SLOTS[category]:
        names += [n for n in server.get(slot) if n not in names]
    return names


def _cipher_choices(server: Proposal, client: ClientModel, outcome: Outcome) -> list[tuple[str, ...]]:
    """Candidate cipher additions: nothing (if ciphers agree), else one name
    usable in both directions, else one per direction."""
    failing = [s for s in _SLOTS[Category.CIPHER] if s in outcome.failed_slots]
    if not failing:
        return [()]
    supported = client.supported[Category.CIPHER]
    per_slot = [strongest_supported(Category.CIPHER, server.get(s), supported) for s in failing]
    if any(not names for names in per_slot):
        return []
    both = [n for n in per_slot[0] if all(n in names for names in per_slot)]
    if both:
        return [(n,) for n in both]
    return [tuple(dict.fromkeys(combo)) for combo in itertools.product(*per_slot)]


def plan_client_fix(server: Proposal, client: ClientModel) -> ClientPlan:
    """The minimal set of ``+`` additions to the client's lists for ``server``."""
    before = negotiate(client.proposal, server, client_label=client.label)
    if before.ok:
        return ClientPlan(changes=(), before=before, after=before)
    adds: dict[Category, tuple[str, ...]] = {}
    unfixable: list[Category] = []
    for category in (Category.KEX, Category.HOSTKEY, Category.COMPRESSION):
        if not any(s in before.failed_slots for s in _SLOTS[category]):
            continue
        names = strongest_supported(category, _offer(server, category), client.supported[category])
        if category is Category.COMPRESSION or not names:
            unfixable.append(category)  # OpenSSH always offers every compression it has
        else:
            adds[category] = (names[0],)

    best: tuple[tuple[int, tuple[tuple[int, int, int, str], ...]], dict[Category, tuple[str, ...]]] | None = None
    cipher_options = _cipher_choices(server, client, before)
    if not cipher_options:
        unfixable.append(Category.CIPHER)
        cipher_options = [()]
    for ciphers in cipher_options:
        trial = dict(adds)
        if ciphers:
            trial[Category.CIPHER] = ciphers
        outcome = negotiate(_with_added(client.proposal, trial), server)
        mac_fail = [s for s in _SLOTS[Category.MAC] if s in outcome.failed_slots]
        if mac_fail:
            macs = strongest_supported(Category.MAC, _offer(server, Category.MAC), client.supported[Category.MAC])
            if macs:
                trial[Category.MAC] = (macs[0],)
        score = (len(trial), tuple(strength_key(Category.CIPHER, c) for c in ciphers))
        if best is None or score < best[0]:
            best = (score, trial)
    assert best is not None
    adds = best[1]
    after = negotiate(_with_added(client.proposal, adds), server, client_label=client.label)
    for slot in after.failed_slots:
        if slot.category not in unfixable:
            unfixable.append(slot.category)
    changes = tuple(Change(directive=cat.directive, add=adds[cat]) for cat in Category if cat in adds)
    return ClientPlan(changes=changes, before=before, after=after, unfixable=tuple(unfixable))


def needs_pubkey_sha1(server: Proposal, plan: ClientPlan, software: tuple[str, str | None] = ("unknown", None)) -> bool:
    """Whether user authentication with an RSA key will need ``ssh-rsa`` too.

    A server that can only verify SHA-1 RSA signatures predates RFC 8332;
    OpenSSH 8.8+ clients no longer make them by default. Its sign: the
    host-key list offers ``ssh-rsa`` but no ``rsa-sha2-*`` and no
    ``ext-info-s``, and it is not an OpenSSH 7.2+ server (which verifies
    rsa-sha2 signatures whatever its host key list says). ``software`` is
    the (product, version) the banner names.
    """
    hostkeys = set(server.hostkey)
    product, version = software
    if product == "openssh" and version:
        parts = [int(x) for x in version.split("p")[0].split(".")[:2] if x.isdigit()]
        if tuple(parts) >= (7, 2):
            return False
    return (
        "ssh-rsa" in hostkeys
        and not hostkeys & {"rsa-sha2-256", "rsa-sha2-512"}
        and "ext-info-s" not in server.kex
        and plan.after.picks.get(Slot.HOSTKEY) == "ssh-rsa"
    )


def server_verifies_sha1_only(server: Proposal, server_sig_algs: Sequence[str] | None,
                              software: tuple[str, str | None] = ("unknown", None)) -> bool:
    """Whether the server can verify an RSA user key's signature only as ``ssh-rsa`` (SHA-1).

    A server that sent ``server-sig-algs`` (RFC 8308) says so itself: SHA-1
    only when ``ssh-rsa`` is there and no ``rsa-sha2-*``. Without it, the
    host-key list and the banner decide (:func:`needs_pubkey_sha1`'s rules).
    """
    if server_sig_algs is not None:
        algs = set(server_sig_algs)
        return "ssh-rsa" in algs and not algs & {"rsa-sha2-256", "rsa-sha2-512"}
    hostkeys = set(server.hostkey)
    product, version = software
    if product == "openssh" and version:
        parts = [int(x) for x in version.split("p")[0].split(".")[:2] if x.isdigit()]
        if tuple(parts) >= (7, 2):
            return False
    return "ssh-rsa" in hostkeys and not hostkeys & {"rsa-sha2-256", "rsa-sha2-512"} and "ext-info-s" not in server.kex


def aead_only(ciphers: Iterable[str]) -> bool:
    return all(is_aead(c) for c in ciphers)


__all__ = ["ClientPlan", "aead_only", "needs_pubkey_sha1", "plan_client_fix", "replace", "server_verifies_sha1_only",
           "strongest_supported"]
