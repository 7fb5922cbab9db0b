"""Helpers shared by the importers."""

from __future__ import annotations

from collections.abc import Sequence

from sshdoctor.model import Banner, Proposal


def banner_of(raw: object) -> Banner | None:
    """A Banner from a recorded identification string, None if there is none."""
    if not isinstance(raw, str) or not raw.startswith("SSH-"):
        return None
    try:
        return Banner.parse(raw.rstrip("\r\n"))
    except ValueError:
        return None


def names(value: object) -> tuple[str, ...]:
    """A list of algorithm names (strings, or objects with an ``algorithm`` key)."""
    if not isinstance(value, list):
        return ()
    out: list[str] = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("algorithm")
        if isinstance(item, str) and item:
            out.append(item)
    return tuple(out)


def one_direction(kex: Sequence[str], hostkey: Sequence[str], cipher: Sequence[str], mac: Sequence[str],
                  compression: Sequence[str]) -> Proposal:
    """A proposal from scanners that record one list per category (both directions alike)."""
    return Proposal.symmetric(kex=kex, hostkey=hostkey, cipher=cipher, mac=mac, compression=compression or ("none",))
