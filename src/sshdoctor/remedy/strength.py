"""Ordering algorithms from strongest to weakest, from catalog facts."""

from __future__ import annotations

from sshdoctor.catalog import algorithm
from sshdoctor.model import Category


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
