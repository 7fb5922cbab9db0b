"""Severity of each offered algorithm, from catalog facts.

The catalog rates algorithms (strong, acceptable, weak, broken); an audit
speaks in severities (fail, warn, info). The mapping:

* broken -> fail: a practical attack exists, or there is no protection.
* weak -> warn: deprecated, with a known theoretical or costly attack.
* acceptable -> warn when its security level is below 128 bits (a
  2048-bit group, a tag shorter than 128 bits, SHA-224), since NIST SP
  800-57 Part 1 accepts 112-bit strength only until the end of 2030;
  otherwise info (sound, though a stronger choice exists).
* strong, protocol signals, and names the catalog does not know -> info.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sshdoctor.catalog import Algorithm, Rating, algorithm
from sshdoctor.model import Category, Finding, Proposal, Slot

# Finite-field and integer-factorisation sizes to their security strength in
# bits, NIST SP 800-57 Part 1 Rev. 5, Table 2.
_FFC_STRENGTH = ((15360, 256), (7680, 192), (3072, 128), (2048, 112), (1024, 80))
TARGET_STRENGTH = 128


class Severity(StrEnum):
    """How much an audit result matters, worst first when sorted by ``rank``."""

    FAIL = "fail"
    WARN = "warn"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for fail, 1 for warn, 2 for info."""
        return _RANK[self]


_RANK = {Severity.FAIL: 0, Severity.WARN: 1, Severity.INFO: 2}


def worst(severities: Iterable[Severity]) -> Severity:
    """The most serious of some severities (info when there are none)."""
    return min(severities, key=lambda s: s.rank, default=Severity.INFO)


def ffc_strength(bits: int) -> int:
    """Security strength of a finite-field group or RSA modulus of ``bits`` bits."""
    for size, strength in _FFC_STRENGTH:
        if bits >= size:
            return strength
    return 0


def security_strength(algo: Algorithm) -> int | None:
    """A catalog algorithm's security level in bits, where the catalog's facts give one."""
    levels: list[int] = []
    if algo.category is Category.KEX and algo.group_bits:
        levels.append(ffc_strength(algo.group_bits))
    if algo.category is Category.MAC and algo.key_bits and not algo.aead:
        levels.append(algo.key_bits)  # for a MAC the catalog's size is the tag length
    if "sha224" in algo.name:
        levels.append(112)  # SHA-224: 112-bit collision resistance
    return min(levels) if levels else None


def severity_of(algo: Algorithm) -> Severity:
    """The audit severity of one catalog record (see the module docstring)."""
    if algo.rating is Rating.BROKEN:
        return Severity.FAIL
    if algo.rating is Rating.WEAK:
        return Severity.WARN
    if algo.rating is Rating.ACCEPTABLE:
        strength = security_strength(algo)
        if strength is not None and strength < TARGET_STRENGTH:
            return Severity.WARN
    return Severity.INFO


def reason_of(algo: Algorithm) -> str:
    """The reason shown next to a verdict, in the catalog's words plus the strength rule."""
    if algo.pseudo:
        return algo.reason or "protocol signal, never negotiated"
    if not algo.known:
        return "not in sshdoctor's catalog: no verdict"
    parts = list(algo.reasons)
    strength = security_strength(algo)
    if algo.rating is Rating.ACCEPTABLE and strength is not None and strength < TARGET_STRENGTH:
        level = f"about {strength}-bit security"
        if not any(level in p for p in parts):
            parts.append(level)
        parts.append("below the 128-bit level needed beyond 2030")
    if not parts:
        return "no known weakness"
    return ", ".join(parts)


_SLOT_GROUPS = {
    Category.KEX: (Slot.KEX,),
    Category.HOSTKEY: (Slot.HOSTKEY,),
    Category.CIPHER: (Slot.CIPHER_C2S, Slot.CIPHER_S2C),
    Category.MAC: (Slot.MAC_C2S, Slot.MAC_S2C),
    Category.COMPRESSION: (Slot.COMPRESSION_C2S, Slot.COMPRESSION_S2C),
}


def slots_of(category: Category) -> tuple[Slot, ...]:
    """The KEXINIT slots that carry a category's lists."""
    return _SLOT_GROUPS[category]


def offered(proposal: Proposal, category: Category, *, pseudo: bool = False) -> list[str]:
    """Every name offered in a category, both directions merged in order of first appearance."""
    names: list[str] = []
    for slot in _SLOT_GROUPS[category]:
        for name in proposal.get(slot):
            if name in names:
                continue
            if not pseudo and algorithm(category, name).pseudo:
                continue
            names.append(name)
    return names


def _directions(proposal: Proposal, category: Category, name: str) -> str | None:
    """``c2s``/``s2c`` when a name is offered in one direction only."""
    slots = _SLOT_GROUPS[category]
    if len(slots) == 1:
        return None
    present = [s.direction for s in slots if name in proposal.get(s)]
    return present[0] if len(present) == 1 else None


def algorithm_findings(proposal: Proposal) -> list[Finding]:
    """One finding per offered name (signals included), in offer order per category."""
    findings: list[Finding] = []
    for category in Category:
        for name in offered(proposal, category, pseudo=True):
            algo = algorithm(category, name)
            if algo.pseudo:
                kind = "signal"
            elif not algo.known:
                kind = "unknown-algorithm"
            else:
                kind = "algorithm"
            extra: dict[str, object] = {"rating": algo.rating.value}
            direction = _directions(proposal, category, name)
            if direction:
                extra["direction"] = direction
            findings.append(
                Finding(
                    kind=kind,
                    category=category,
                    severity=severity_of(algo).value,
                    algorithm=name,
                    reason=reason_of(algo),
                    extra=extra,
                )
            )
    return findings
