"""The knowledge: algorithms with ratings and reasons, implementation profiles.

Everything here is read from the data files in ``catalog/data``; each fact
there names its source.
"""

from sshdoctor.catalog.algorithms import (
    Algorithm,
    Rating,
    algorithm,
    all_algorithms,
    is_aead,
    is_pseudo,
    sources,
)

__all__ = [
    "Algorithm",
    "Rating",
    "algorithm",
    "all_algorithms",
    "is_aead",
    "is_pseudo",
    "sources",
]
