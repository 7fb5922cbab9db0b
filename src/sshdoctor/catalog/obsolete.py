"""Configuration keywords that OpenSSH removed, ignores or renamed
(``data/obsolete_directives.toml``), for lint and for explaining the
messages ssh and sshd print about them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sshdoctor.catalog.datafile import load


@dataclass(frozen=True, slots=True)
class Obsolete:
    """A keyword that OpenSSH removed, ignores or renamed."""

    status: str  # "ignored", "deprecated", "unsupported", "alias", "removed"
    since: str
    replacement: str | None
    note: str
    sources: tuple[str, ...]


@cache
def obsolete_keywords(flavour: str) -> dict[str, Obsolete]:
    """Lowercased keyword to its fate, for ``ssh`` (ssh_config) or ``sshd``."""
    return {
        entry["keyword"]: Obsolete(
            entry["status"], entry["since"], entry.get("replacement"), entry["note"], tuple(entry["sources"])
        )
        for entry in load("obsolete_directives.toml").get(flavour, [])
    }
