"""Ordering algorithms from strongest to weakest, from catalog facts."""

from __future__ import annotations

from collections.abc import Iterable

from sshdoctor.catalog import algorithm
from sshdoctor.model import Category, Change


def strength_key(category: Category, name: str) -> tuple[int, int, int, str]:
    """Sort key, smallest is strongest: rating, then AEAD/EtM, then size.

    Ties inside a rating are broken by what the catalog knows of each
    algorithm (group or key size, a 128-bit rather than 64-bit block),
    never by how a server happens to order its list.
    """
    algo = algorithm(category, name)
    bonus = 0
    if algo.aead or algo.etm:
        bonus -= 1
    if algo.block_bits is not None and algo.block_bits < 128:
        bonus += 1
    size = algo.group_bits or algo.key_bits or 0
    return (algo.rating.rank, bonus, -size, name)


def strongest_first(directive: str, names: Iterable[str]) -> tuple[str, ...]:
    """``names`` (each once) ordered strongest first for a directive's category."""
    category = Category.from_directive(directive) or Category.HOSTKEY
    return tuple(sorted(dict.fromkeys(names), key=lambda n: strength_key(category, n)))


def union_strongest_first(changes: Iterable[Change]) -> tuple[Change, ...]:
    """The union of several changes' additions, one Change per directive (first-seen order), strongest first."""
    merged: dict[str, list[str]] = {}
    for change in changes:
        merged.setdefault(change.directive, []).extend(change.add)
    return tuple(Change(directive=d, add=strongest_first(d, names)) for d, names in merged.items())
