"""A hardened server configuration that keeps the clients a user names working.

Start from what the server offers, drop every algorithm the audit flags
(``warn`` or ``fail``), then, for each named client, simulate the
negotiation and give back the strongest dropped algorithm it needs, until
every client connects. The result is written as sshd_config lines relative
to the server's compiled-in defaults (``-`` to remove, ``+`` to append, so
the server keeps gaining new defaults on upgrade), a full list only when
neither expresses the set, and re-checked through the same list arithmetic
OpenSSH uses (``negotiate.listmod``) before the negotiation proof.

``^`` is never needed on a server: in SSH the client's preference order
decides (RFC 4253 section 7.1), so moving names to the front of a server
list changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from sshdoctor.audit.hostkeys import KeyVerdict
from sshdoctor.audit.terrapin import is_chacha20
from sshdoctor.audit.verdicts import Severity, offered, severity_of
from sshdoctor.catalog import algorithm
from sshdoctor.catalog.profiles import Profile
from sshdoctor.model import Category, Outcome, Proposal
from sshdoctor.negotiate import negotiate
from sshdoctor.negotiate.listmod import ListSyntaxError, apply_modifier
from sshdoctor.remedy.strength import strength_key

HARDENED = (Category.KEX, Category.HOSTKEY, Category.CIPHER, Category.MAC)
# First OpenSSH releases whose kex_assemble_names() accepts '+' and '-'
# (kex.c at tags V_7_0_P1 and V_7_5_P1).
PLUS_SINCE = (7, 0)
MINUS_SINCE = (7, 5)
_MAX_ROUNDS = 64

Drop = Callable[[Category, str], bool]


@dataclass(frozen=True, slots=True)
class KeptClient:
    """A client that must still connect: a name and the proposal it sends by default."""

    name: str
    proposal: Proposal


@dataclass(frozen=True, slots=True)
class ServerBuild:
    """What an OpenSSH server's lists are relative to.

    ``defaults`` are the lists each directive yields when absent (for host
    keys, the HostKeyAlgorithms default, before filtering by loaded keys);
    ``supported`` what the build accepts in a list; ``version`` decides
    which modifiers exist.
    """

    label: str
    defaults: Mapping[Category, Sequence[str]]
    supported: Mapping[Category, Sequence[str]]
    version: tuple[int, int]


def build_from_profile(profile: Profile) -> ServerBuild | None:
    """The build of an OpenSSH release from its catalog profile.

    The HostKeyAlgorithms default is the client's host-key default of the
    same release: sshd and ssh both start from KEX_DEFAULT_PK_ALG in
    myproposal.h.
    """
    if profile.implementation != "openssh" or profile.server is None or profile.client is None:
        return None
    key = profile.version_key()
    defaults = {cat: profile.server.lists.get(cat, ()) for cat in (Category.KEX, Category.CIPHER, Category.MAC)}
    defaults[Category.HOSTKEY] = profile.client.lists.get(Category.HOSTKEY, ())
    return ServerBuild(
        label=f"{profile.label} compiled-in defaults (catalog profile {profile.id})",
        defaults=defaults,
        supported=dict(profile.supported.lists),
        version=(key[0], key[1] if len(key) > 1 else 0),
    )


def weak_or_worse(category: Category, name: str) -> bool:
    """The default drop rule: everything the audit rates warn or fail."""
    return severity_of(algorithm(category, name)) is not Severity.INFO


def drop_rule(*, terrapin_exposed: bool = False, allowed: Callable[[Category, str], bool] | None = None) -> Drop:
    """Drop weak algorithms, ChaCha20 where Terrapin is not mitigated, and whatever a policy disallows."""

    def drop(category: Category, name: str) -> bool:
        if weak_or_worse(category, name):
            return True
        if terrapin_exposed and category is Category.CIPHER and is_chacha20(name):
            return True
        return allowed is not None and not allowed(category, name)

    return drop


@dataclass(frozen=True, slots=True)
class DirectiveChange:
    """One category's new setting and what it does."""

    category: Category
    form: str  # unchanged | default | remove | append | list | generic
    value: str | None
    removed: tuple[str, ...]
    result: tuple[str, ...]
    kept_weak: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def directive(self) -> str:
        return self.category.directive

    def line(self) -> str | None:
        """The sshd_config line (None when nothing needs writing)."""
        if self.form in ("unchanged", "generic"):
            return None
        if self.form == "default":
            return f"# {self.directive}: the compiled-in default is right; delete any {self.directive} line"
        return f"{self.directive} {self.value}"

    def full_line(self) -> str | None:
        """The line spelled out as the whole list (what a change that replaces the winning line writes)."""
        if self.form in ("unchanged", "generic"):
            return None
        return f"{self.directive} {','.join(self.result)}"

    def as_dict(self) -> dict[str, object]:
        return {
            "category": self.category.value,
            "directive": self.directive,
            "form": self.form,
            "value": self.value,
            "line": self.line(),
            "removed": list(self.removed),
            "offered_after": list(self.result),
            "kept_weak": {k: list(v) for k, v in self.kept_weak.items()},
        }


@dataclass(frozen=True, slots=True)
class ClientProof:
    """One named client's negotiation with the server before and after hardening."""

    client: str
    before: Outcome
    after: Outcome

    def as_dict(self) -> dict[str, object]:
        return {"client": self.client, "before": self.before.as_dict(), "after": self.after.as_dict()}


@dataclass(frozen=True, slots=True)
class HardenPlan:
    """The hardened configuration, the proposal it yields, and the proof per client."""

    changes: tuple[DirectiveChange, ...]
    hardened: Proposal
    proofs: tuple[ClientProof, ...]
    build: str | None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every named client that connects today still connects."""
        return all(p.after.ok for p in self.proofs if p.before.ok)

    @property
    def cut_off(self) -> list[str]:
        """Named clients that connect today but would not after hardening (always empty unless a bug)."""
        return [p.client for p in self.proofs if p.before.ok and not p.after.ok]

    @property
    def already_failing(self) -> list[str]:
        """Named clients that cannot connect even to the current server."""
        return [p.client for p in self.proofs if not p.before.ok]

    def config_lines(self) -> list[str]:
        """The sshd_config lines to write (each replaces an existing line of that directive)."""
        return [line for c in self.changes if (line := c.line()) is not None]

    def removed(self) -> dict[str, list[str]]:
        return {c.category.value: list(c.removed) for c in self.changes if c.removed}

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "build": self.build,
            "sshd_config": self.config_lines(),
            "changes": [c.as_dict() for c in self.changes],
            "offer_after": self.hardened.offer_dict(),
            "clients": [p.as_dict() for p in self.proofs],
            "cut_off": self.cut_off,
            "already_failing": self.already_failing,
            "notes": list(self.notes),
        }


def _key_slot(name: str) -> tuple[str, bool]:
    """Which loaded key a host-key algorithm needs: RSA signatures share one key, ECDSA needs its curve."""
    algo = algorithm(Category.HOSTKEY, name)
    base = name.replace("-cert-v01@openssh.com", "")
    if algo.key_type == "rsa":
        base = "rsa"
    return base, algo.certificate


def _available(category: Category, offered_names: Sequence[str]) -> Callable[[str], bool]:
    """Whether a configured name would actually be offered (host keys: only with a key for it)."""
    if category is not Category.HOSTKEY:
        return lambda name: True
    slots = {_key_slot(n) for n in offered_names}
    return lambda name: _key_slot(name) in slots


def _in_order(reference: Sequence[str], names: set[str]) -> list[str]:
    return [n for n in reference if n in names]


def _assemble(want: dict[Category, list[str]], offer: Proposal) -> Proposal:
    pseudo = tuple(n for n in offer.kex if algorithm(Category.KEX, n).pseudo)
    return Proposal(
        kex=tuple(want[Category.KEX]) + pseudo,
        hostkey=tuple(want[Category.HOSTKEY]),
        cipher_c2s=tuple(want[Category.CIPHER]),
        cipher_s2c=tuple(want[Category.CIPHER]),
        mac_c2s=tuple(want[Category.MAC]),
        mac_s2c=tuple(want[Category.MAC]),
        compression_c2s=offer.compression_c2s,
        compression_s2c=offer.compression_s2c,
    )


def _choose_keep(clients: Sequence[KeptClient], current: dict[Category, list[str]],
                 offer_lists: dict[Category, list[str]], offer: Proposal) -> dict[Category, list[str]]:
    """Give back the strongest dropped algorithm each failing client needs, until all connect."""
    want = {cat: list(names) for cat, names in current.items()}
    for _ in range(_MAX_ROUNDS):
        changed = False
        for client in clients:
            outcome = negotiate(client.proposal, _assemble(want, offer))
            for slot in outcome.failed_slots:
                cat = slot.category
                if cat not in want:
                    continue
                needed = [n for n in offer_lists[cat] if n in client.proposal.get(slot) and n not in want[cat]]
                if not needed:
                    continue
                best = min(needed, key=partial(strength_key, cat))
                order = list(dict.fromkeys([*offer_lists[cat], *want[cat]]))
                want[cat] = _in_order(order, {*want[cat], best})
                changed = True
                break  # renegotiate: a different cipher can change what the MAC slot needs
        if not changed:
            break
    return want


def _render(category: Category, want: list[str], offered_names: list[str], build: ServerBuild) -> DirectiveChange:
    """The shortest sshd_config value that makes the server offer exactly ``want``."""
    removed = tuple(n for n in offered_names if n not in want)
    if set(want) == set(offered_names):
        return DirectiveChange(category, "unchanged", None, (), tuple(offered_names))
    if category is Category.HOSTKEY and set(want) - set(offered_names):
        # Newly offered with a key the server has: the list is spelled out, whatever the defaults say.
        return DirectiveChange(category, "list", ",".join(want), removed, tuple(want))
    defaults = list(build.defaults.get(category, ()))
    supported = list(dict.fromkeys([*build.supported.get(category, ()), *offered_names]))
    available = _available(category, offered_names)
    candidates: list[tuple[str, str | None]] = [("default", None)]
    if build.version >= MINUS_SINCE:
        minus = [n for n in defaults if n not in want and available(n)]
        if minus:
            candidates.append(("remove", "-" + ",".join(minus)))
    if build.version >= PLUS_SINCE:
        plus = [n for n in want if n not in defaults]
        if plus:
            candidates.append(("append", "+" + ",".join(plus)))
    candidates.append(("list", ",".join(want)))
    for form, value in candidates:
        try:
            result = [n for n in apply_modifier(value, defaults, supported) if available(n)]
        except ListSyntaxError:
            continue
        if set(result) == set(want):
            return DirectiveChange(category, form, value, removed, tuple(result))
    # Unreachable: the plain list of names the server already offers always yields them.
    return DirectiveChange(category, "list", ",".join(want), removed, tuple(want))


def plan_hardening(
    offer: Proposal,
    clients: Sequence[KeptClient],
    build: ServerBuild | None,
    *,
    drop: Drop = weak_or_worse,
    server_label: str = "the server",
    host_keys: Sequence[KeyVerdict] = (),
) -> HardenPlan:
    """Plan the hardened lists for a server and prove them against every named client."""
    notes: list[str] = []
    lists = {cat: offered(offer, cat) for cat in HARDENED}
    pool = {cat: _pool(cat, names, build, drop) for cat, names in lists.items()}
    want: dict[Category, list[str]] = {}
    for cat, names in lists.items():
        kept = [n for n in pool[cat] if not drop(cat, n)]
        fresh = [n for n in kept if n not in names]
        if not [n for n in names if not drop(cat, n)] and names:
            if fresh:
                notes.append(f"every {cat.value} algorithm {server_label} offers now is weak; the hardened list offers "
                             f"{', '.join(fresh)} instead (its release supports them"
                             + (", with the RSA key it has" if cat is Category.HOSTKEY else "") + ")")
            else:
                kept = [min(names, key=partial(strength_key, cat))]
                notes.append(f"every {cat.value} algorithm {server_label} offers is weak and its release has nothing "
                             f"better: kept the strongest, {kept[0]}, so the list is not empty")
        want[cat] = kept
    want = _choose_keep(clients, want, pool, offer)
    hardened = _assemble(want, offer)
    proofs_after = {c.name: negotiate(c.proposal, hardened, client_label=c.name) for c in clients}
    changes: list[DirectiveChange] = []
    for cat in HARDENED:
        if build is not None:
            change = _render(cat, want[cat], lists[cat], build)
        else:
            removed = tuple(n for n in lists[cat] if n not in want[cat])
            change = DirectiveChange(cat, "generic" if removed else "unchanged", None, removed, tuple(want[cat]))
        users = _users_of(cat, [n for n in want[cat] if drop(cat, n)], proofs_after)
        changes.append(DirectiveChange(change.category, change.form, change.value, change.removed, change.result, users))
    if build is None:
        notes.append(f"{server_label} is not an OpenSSH release sshdoctor knows: no sshd_config lines; remove the "
                     "listed algorithms in its own configuration")
    hardened = _assemble({c.category: list(c.result) for c in changes}, offer)
    proofs = tuple(
        ClientProof(c.name, negotiate(c.proposal, offer, client_label=c.name),
                    negotiate(c.proposal, hardened, client_label=c.name))
        for c in clients
    )
    notes += key_notes(host_keys, hardened.hostkey, openssh=build is not None)
    for proof in proofs:
        if not proof.before.ok:
            failing = ", ".join(cat.value for cat in proof.before.failures)
            notes.append(f"{proof.client} cannot connect to {server_label} even now (no common {failing}); "
                         "hardening cannot help it")
    return HardenPlan(tuple(changes), hardened, proofs, build.label if build else None, tuple(notes))


def key_notes(keys: Sequence[KeyVerdict], offered_after: Sequence[str], *, openssh: bool = True) -> list[str]:
    """Advice on flagged host keys, which list changes alone cannot fix."""
    notes: list[str] = []
    seen: set[str] = set()
    for verdict in keys:
        key = verdict.key
        if verdict.severity is Severity.INFO or key.fingerprint_sha256 in seen or key.key_type is None:
            continue
        seen.add(key.fingerprint_sha256 or key.algorithm)
        still = [a for a in offered_after if _key_slot(a) == _key_slot(key.algorithm)]
        label = f"the {key.bits}-bit {key.key_type.upper()} host key ({key.fingerprint_sha256})"
        if not still:
            notes.append(f"{label} is no longer offered: " + ("delete its HostKey line" if openssh else "remove it"))
        elif key.key_type == "rsa":
            how = " (ssh-keygen -t rsa -b 3072)" if openssh else ""
            notes.append(f"replace {label} with a 3072-bit one{how} or rely on Ed25519; clients that know the old "
                         "key will warn once")
    return notes


def _pool(category: Category, names: list[str], build: ServerBuild | None, drop: Drop) -> list[str]:
    """What the hardened list may hold: what is offered, plus the sound defaults of the server's release
    (for host keys, only those a loaded key can make: rsa-sha2-* with the RSA key ssh-rsa already uses)."""
    if build is None:
        return list(names)
    available = _available(category, names)
    sound = [n for n in build.defaults.get(category, ()) if not drop(category, n) and available(n)
             and n in build.supported.get(category, ())]
    return list(dict.fromkeys([*names, *sound]))


def _users_of(category: Category, weak: list[str], outcomes: Mapping[str, Outcome]) -> dict[str, tuple[str, ...]]:
    """For each weak algorithm kept, the named clients that would negotiate it."""
    users: dict[str, tuple[str, ...]] = {}
    for name in weak:
        who = tuple(client for client, out in outcomes.items() if name in {p for s, p in out.picks.items()
                                                                           if s.category is category})
        users[name] = who
    return users
