"""Naming the software behind an identification string."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sshdoctor.catalog.datafile import load
from sshdoctor.model import Banner


@dataclass(frozen=True, slots=True)
class Software:
    """What a banner says the peer runs; ``product`` is a profile family id."""

    product: str
    name: str
    version: str | None = None
    distro: str | None = None

    @property
    def label(self) -> str:
        parts = [self.name]
        if self.version:
            parts.append(self.version)
        text = " ".join(parts)
        return f"{text} ({self.distro})" if self.distro else text

    def as_dict(self) -> dict[str, object]:
        return {"product": self.product, "name": self.name, "version": self.version, "distro": self.distro}


@cache
def _rules() -> tuple[list[tuple[re.Pattern[str], dict[str, Any]]], list[tuple[re.Pattern[str], str]]]:
    data = load("software.toml")
    software = [(re.compile(r["pattern"]), r) for r in data.get("software", [])]
    distros = [(re.compile(r["pattern"]), r["name"]) for r in data.get("distro", [])]
    return software, distros


def identify(banner: Banner) -> Software:
    """The implementation and version a banner names, ``unknown`` if none matches."""
    return _identify(banner.software, banner.comments)


@lru_cache(maxsize=4096)  # a fleet shows a few banners thousands of times
def _identify(software_text: str, comments: str | None) -> Software:
    text = software_text + (f" {comments}" if comments else "")
    software, distros = _rules()
    for pattern, rule in software:
        m = pattern.match(text)
        if not m:
            continue
        groups = m.groupdict()
        distro = None
        comment = groups.get("comment") or comments or ""
        for dpat, dname in distros:
            dm = dpat.search(comment)
            if dm:
                distro = dname.format(**dm.groupdict())
                break
        return Software(product=rule["id"], name=rule["name"], version=groups.get("version"), distro=distro)
    return Software(product="unknown", name=software_text or "unknown")
