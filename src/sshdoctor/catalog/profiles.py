"""Implementation profiles: per version, the default client and server
proposals and the supported set, from ``data/profiles/*.toml``."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sshdoctor.catalog.datafile import DATA, load
from sshdoctor.model import Category, Proposal

SIDES = ("client", "server", "supported")
_CATS = tuple(c.value for c in Category)


@dataclass(frozen=True, slots=True)
class Side:
    """One side's lists per category, plus the pseudo names it appends to kex."""

    lists: dict[Category, tuple[str, ...]]
    pseudo: tuple[str, ...] = ()

    def proposal(self) -> Proposal:
        """The KEXINIT this side sends (pseudo names appended to kex)."""
        return Proposal.symmetric(
            kex=self.lists.get(Category.KEX, ()) + self.pseudo,
            hostkey=self.lists.get(Category.HOSTKEY, ()),
            cipher=self.lists.get(Category.CIPHER, ()),
            mac=self.lists.get(Category.MAC, ()),
            compression=self.lists.get(Category.COMPRESSION, ()),
        )


@dataclass(frozen=True, slots=True)
class Profile:
    """One release of one implementation, ``id`` like ``openssh-7.4``."""

    id: str
    implementation: str
    name: str
    kind: str
    version: str
    client: Side | None
    server: Side | None
    supported: Side
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    date: str | None = None
    banner_patterns: tuple[str, ...] = field(default=())
    check_order: tuple[str, ...] = ()
    settings: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def version_key(self) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", self.version))


def _resolve(releases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_version: dict[str, dict[str, Any]] = {}
    out = []
    for rel in releases:
        merged: dict[str, Any] = {k: v for k, v in rel.items() if k not in SIDES}
        base = by_version.get(rel["base"]) if "base" in rel else None
        if "base" in rel and base is None:
            raise ValueError(f"release {rel['version']} names unknown base {rel['base']}")
        for side in SIDES:
            inherited = dict(base[side]) if base and base.get(side) is not None else None
            own = rel.get(side)
            if own is None:
                merged[side] = inherited
            else:
                merged[side] = {**(inherited or {}), **own}
        by_version[rel["version"]] = merged
        out.append(merged)
    return out


def _side(table: dict[str, Any] | None) -> Side | None:
    if table is None:
        return None
    lists = {Category(k): tuple(v) for k, v in table.items() if k in _CATS}
    return Side(lists=lists, pseudo=tuple(table.get("pseudo", ())))


@cache
def _load() -> tuple[dict[str, Profile], dict[str, dict[str, str]]]:
    folder = DATA / "profiles"
    profiles: dict[str, Profile] = {}
    sources: dict[str, dict[str, str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = load(f"profiles/{entry.name}")
        impl = data["implementation"]
        sources.update(data.get("sources", {}))
        for rel in _resolve(data.get("release", [])):
            pid = f"{impl['id']}-{rel['version']}"
            supported = _side(rel.get("supported")) or Side(lists={})
            profiles[pid] = Profile(
                id=pid,
                implementation=impl["id"],
                name=impl.get("name", impl["id"]),
                kind=impl.get("kind", "software"),
                version=rel["version"],
                client=_side(rel.get("client")),
                server=_side(rel.get("server")),
                supported=supported,
                sources=tuple(rel.get("sources", ())),
                notes=tuple(rel.get("notes", ())),
                date=rel.get("date"),
                banner_patterns=tuple(impl.get("banner_patterns", ())),
                check_order=tuple(impl.get("check_order", ())),
                settings={k: dict(v) for k, v in impl.get("settings", {}).items()},
            )
    return profiles, sources


def all_profiles() -> dict[str, Profile]:
    """Every profile by id."""
    return _load()[0]


def profile_sources() -> dict[str, dict[str, str]]:
    return _load()[1]


def get_profile(name: str) -> Profile | None:
    """A profile by id (``openssh-7.4``), accepting ``OpenSSH_7.4`` and ``openssh 7.4p1`` too."""
    profiles = all_profiles()
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in profiles:
        return profiles[key]
    m = re.match(r"^(.*?)-?(\d+(?:\.\d+)*)(?:p\d+)?$", key)
    if m:
        base = f"{m[1]}-{m[2]}"
        if base in profiles:
            return profiles[base]
    return None


def profile_for_software(product: str, version: str | None) -> Profile | None:
    """The closest profile at or below a version banner-identified software runs."""
    if not version:
        return None
    want = tuple(int(x) for x in re.findall(r"\d+", version.split("p")[0]))
    candidates = [p for p in all_profiles().values() if p.implementation == product]
    at_or_below = [p for p in candidates if p.version_key() <= want]
    if not at_or_below:
        return None
    return max(at_or_below, key=lambda p: p.version_key())


def matches_banner(profile: Profile, software: str) -> bool:
    return any(fnmatch.fnmatchcase(software, pat) for pat in profile.banner_patterns)
