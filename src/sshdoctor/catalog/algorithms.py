"""Algorithm records loaded from ``data/algorithms.toml``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from sshdoctor.catalog.datafile import load
from sshdoctor.model import Category


class Rating(StrEnum):
    """How safe an algorithm is, best first; ``info`` for pseudo-algorithms."""

    STRONG = "strong"
    ACCEPTABLE = "acceptable"
    WEAK = "weak"
    BROKEN = "broken"
    INFO = "info"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Lower is better; pseudo and unknown sort after broken."""
        return _RANK[self]


_RANK = {
    Rating.STRONG: 0,
    Rating.ACCEPTABLE: 1,
    Rating.WEAK: 2,
    Rating.BROKEN: 3,
    Rating.UNKNOWN: 4,
    Rating.INFO: 5,
}


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One algorithm name in one category, with its verdict and sources."""

    name: str
    category: Category
    rating: Rating
    reasons: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    aead: bool = False
    etm: bool = False
    cbc: bool = False
    pseudo: bool = False
    block_bits: int | None = None
    key_bits: int | None = None
    group_bits: int | None = None
    post_quantum: bool = False
    key_type: str | None = None
    certificate: bool = False
    same_as: str | None = None
    standard: bool | None = None
    notes: str | None = None
    known: bool = True

    @property
    def reason(self) -> str:
        """The reasons as one short phrase for a table cell."""
        return ", ".join(self.reasons)


_OPTIONAL = (
    "aead", "etm", "cbc", "pseudo", "block_bits", "key_bits", "group_bits",
    "post_quantum", "key_type", "certificate", "same_as", "standard", "notes",
)


def _read_data() -> dict[str, Any]:
    return load("algorithms.toml")


@cache
def _index() -> tuple[dict[tuple[Category, str], Algorithm], dict[str, dict[str, str]]]:
    data = _read_data()
    table: dict[tuple[Category, str], Algorithm] = {}
    for entry in data.get("algorithm", []):
        cat = Category(entry["category"])
        extra = {key: entry[key] for key in _OPTIONAL if key in entry}
        algo = Algorithm(
            name=entry["name"],
            category=cat,
            rating=Rating(entry["rating"]),
            reasons=tuple(entry.get("reasons", ())),
            sources=tuple(entry.get("sources", ())),
            **extra,
        )
        table[(cat, algo.name)] = algo
    return table, data.get("sources", {})


# Names that are signals, not algorithms, recognised even when a vendor
# invents a new variant the data file does not list yet.
_PSEUDO_PREFIXES = ("ext-info-", "kex-strict-", "kexguess2@")


def algorithm(category: Category, name: str) -> Algorithm:
    """The catalog record for a name, or an ``unknown`` record if absent."""
    table = _index()[0]
    found = table.get((category, name))
    if found is not None:
        return found
    if category is Category.KEX and name.startswith("gss-"):
        # GSS-API kex names carry a mechanism hash after the catalogued prefix
        # (RFC 4462 section 2.3), e.g. gss-group14-sha256-toWM5Slw5Ew8Mqkay+al2g==.
        prefix = name[: name.rfind("-") + 1]
        found = table.get((category, prefix))
        if found is not None:
            return found
    pseudo = category is Category.KEX and name.startswith(_PSEUDO_PREFIXES)
    return Algorithm(
        name=name,
        category=category,
        rating=Rating.INFO if pseudo else Rating.UNKNOWN,
        reasons=("not in sshdoctor's catalog",) if not pseudo else ("protocol signal",),
        pseudo=pseudo,
        known=False,
    )


def all_algorithms() -> list[Algorithm]:
    """Every record in the catalog."""
    return list(_index()[0].values())


def sources() -> dict[str, dict[str, str]]:
    """Source id to its title and url."""
    return _index()[1]


@cache
def _pseudo_names() -> frozenset[str]:
    return frozenset(a.name for a in _index()[0].values() if a.pseudo)


@cache
def _aead_names() -> frozenset[str]:
    return frozenset(a.name for a in _index()[0].values() if a.aead)


def is_pseudo(name: str) -> bool:
    """Whether a kex-list name is a signal (ext-info-c, kex-strict-…), never chosen."""
    return name in _pseudo_names() or name.startswith(_PSEUDO_PREFIXES)


def is_aead(cipher: str) -> bool:
    """Whether a cipher authenticates by itself, making the negotiated MAC unused."""
    return cipher in _aead_names()
