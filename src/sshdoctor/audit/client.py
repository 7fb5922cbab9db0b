"""Auditing a client from what it sent: identification, profile, algorithms, order.

Identification compares the client's KEXINIT with every profile that has a
client side: per category the similarity of the two ordered lists (the
ratio of matching elements, which rewards both the same names and the same
order), weighted towards the lists that tell implementations apart (key
exchange, ciphers, MACs) rather than the host-key list, which OpenSSH
reorders by known_hosts. The banner adds to that: a matching pattern for
the implementation, and the exact version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from sshdoctor.audit.server import finding_dict, post_quantum_findings
from sshdoctor.audit.terrapin import TerrapinStatus, assess, terrapin_findings
from sshdoctor.audit.verdicts import Severity, algorithm_findings, severity_of
from sshdoctor.catalog import algorithm
from sshdoctor.catalog.profiles import Profile, all_profiles, matches_banner, profile_for_software
from sshdoctor.catalog.software import Software, identify
from sshdoctor.model import Banner, Finding, Proposal, Slot

_WEIGHTS = {Slot.KEX: 0.3, Slot.CIPHER_C2S: 0.25, Slot.MAC_C2S: 0.25, Slot.HOSTKEY: 0.1, Slot.COMPRESSION_C2S: 0.1}
PROPOSAL_WEIGHT = 0.6
PATTERN_WEIGHT = 0.25
VERSION_WEIGHT = 0.15
# Below this a "best" match is only the least bad one (e.g. no profile of that implementation yet).
CONFIDENT_SCORE = 0.6
_ORDER_SLOTS = (Slot.KEX, Slot.HOSTKEY, Slot.CIPHER_C2S, Slot.MAC_C2S)


@dataclass(frozen=True, slots=True)
class ProfileMatch:
    """How well a client matches one profile (1.0 is a perfect match)."""

    profile: Profile
    score: float
    proposal_similarity: float
    banner_pattern: bool
    version_match: bool

    @property
    def confident(self) -> bool:
        """Whether the match is good enough to name the client by it."""
        return self.score >= CONFIDENT_SCORE

    def as_dict(self) -> dict[str, object]:
        return {
            "profile": self.profile.id,
            "label": self.profile.label,
            "score": round(self.score, 3),
            "proposal_similarity": round(self.proposal_similarity, 3),
            "banner_pattern": self.banner_pattern,
            "version_match": self.version_match,
            "confident": self.confident,
        }


def list_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """0..1: how alike two ordered name-lists are (1.0 when identical)."""
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, list(a), list(b), autojunk=False).ratio()


def proposal_similarity(a: Proposal, b: Proposal) -> float:
    """Weighted similarity of two proposals over the slots that identify a client."""
    return sum(weight * list_similarity(a.get(slot), b.get(slot)) for slot, weight in _WEIGHTS.items())


def identify_client(banner: Banner | None, proposal: Proposal, *, limit: int = 3) -> list[ProfileMatch]:
    """The client profiles closest to what a client sent, best first."""
    software = identify(banner) if banner is not None else None
    exact = profile_for_software(software.product, software.version) if software is not None else None
    matches: list[ProfileMatch] = []
    for prof in all_profiles().values():
        if prof.client is None:
            continue
        similarity = proposal_similarity(proposal, prof.client.proposal())
        pattern = banner is not None and matches_banner(prof, banner.software)
        version = exact is not None and exact.id == prof.id
        score = PROPOSAL_WEIGHT * similarity + PATTERN_WEIGHT * pattern + VERSION_WEIGHT * version
        matches.append(ProfileMatch(prof, score, similarity, pattern, version))
    matches.sort(key=lambda m: (-m.score, -m.proposal_similarity, m.profile.id))
    return matches[:limit]


def order_findings(proposal: Proposal) -> list[Finding]:
    """Per category, weak algorithms placed before a sound one: a server offering both gets the weak one."""
    out: list[Finding] = []
    for slot in _ORDER_SLOTS:
        names = [n for n in proposal.get(slot) if not algorithm(slot.category, n).pseudo]
        levels = [severity_of(algorithm(slot.category, n)) for n in names]
        if Severity.INFO not in levels:
            continue
        last_sound = max(i for i, level in enumerate(levels) if level is Severity.INFO)
        early = [n for i, n in enumerate(names) if i < last_sound and levels[i] is not Severity.INFO]
        if not early:
            continue
        start = names.index(early[0])
        later = next(n for i, n in enumerate(names) if i > start and levels[i] is Severity.INFO)
        shown = ", ".join(early[:4]) + (f" and {len(early) - 4} more" if len(early) > 4 else "")
        out.append(Finding(
            kind="weak-preferred",
            category=slot.category,
            severity="warn",
            algorithm=early[0],
            reason=f"lists {shown} ahead of sound algorithms (e.g. before {later}); "
                   f"a server that offers both gets the weaker choice",
            extra={"weak_before_sound": early},
        ))
    return out


@dataclass(frozen=True, slots=True)
class ClientAudit:
    """What one connecting client revealed, and the verdicts on it."""

    peer: str
    banner: Banner | None
    software: Software | None
    proposal: Proposal
    matches: tuple[ProfileMatch, ...]
    findings: tuple[Finding, ...]
    terrapin: TerrapinStatus

    @property
    def best(self) -> ProfileMatch | None:
        return self.matches[0] if self.matches else None

    def as_dict(self) -> dict[str, object]:
        return {
            "peer": self.peer,
            "banner": self.banner.raw if self.banner else None,
            "software": self.software.as_dict() if self.software else None,
            "identified": self.best.as_dict() if self.best else None,
            "candidates": [m.as_dict() for m in self.matches],
            "offer": self.proposal.offer_dict(),
            "terrapin": self.terrapin.as_dict(),
            "findings": [finding_dict(f) for f in self.findings],
        }


def audit_client(peer: str, banner: Banner | None, proposal: Proposal) -> ClientAudit:
    """Identify a client and judge its proposal, its order, and its Terrapin exposure."""
    status = assess(proposal, "client")
    findings = (
        algorithm_findings(proposal)
        + order_findings(proposal)
        + terrapin_findings(status)
        + post_quantum_findings(proposal, "client")
    )
    return ClientAudit(
        peer=peer,
        banner=banner,
        software=identify(banner) if banner is not None else None,
        proposal=proposal,
        matches=tuple(identify_client(banner, proposal)),
        findings=tuple(findings),
        terrapin=status,
    )
