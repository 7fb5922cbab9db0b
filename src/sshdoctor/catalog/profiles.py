"""Implementation profiles: per version, the default client and server
proposals and the supported set, from ``data/profiles/*.toml``.

Two kinds of file live there. An implementation's file (``[implementation]``
and ``[[release]]``) profiles its upstream releases, ids ``<implementation>-<version>``.
A distribution's file (``distro-*.toml``: ``[distribution]`` and ``[[profile]]``)
profiles the builds a distribution ships: each names a ``base`` profile
(an upstream release or another distribution profile) and only the
distribution's changes, as list edits, so ``debian-12`` is ``openssh-9.2``
plus what Debian's package adds. Distribution profiles are found by id with
:func:`get_profile` (and aliases such as ``rocky-9``), and listed by
:func:`distribution_profiles`; :func:`all_profiles` keeps to upstream
releases, which is what every "which release of X" question wants.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
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
    # Client-to-server compression where it differs from ``lists[COMPRESSION]`` (which is then the
    # server-to-client list): Dropbear's server from 2025.87 no longer decompresses.
    compression_c2s: tuple[str, ...] | None = None

    def proposal(self) -> Proposal:
        """The KEXINIT this side sends (pseudo names appended to kex)."""
        sent = Proposal.symmetric(
            kex=self.lists.get(Category.KEX, ()) + self.pseudo,
            hostkey=self.lists.get(Category.HOSTKEY, ()),
            cipher=self.lists.get(Category.CIPHER, ()),
            mac=self.lists.get(Category.MAC, ()),
            compression=self.lists.get(Category.COMPRESSION, ()),
        )
        return sent if self.compression_c2s is None else replace(sent, compression_c2s=self.compression_c2s)


@dataclass(frozen=True, slots=True)
class Identifies:
    """A glob over ``software comments`` of an identification string that names this build.

    ``note`` is said when the glob matches, e.g. that an older package
    revision lacks a change the profile records.
    """

    pattern: str
    note: str | None = None


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
    # Distribution builds only: what they are and what they derive from.
    distribution: str | None = None
    base: str | None = None
    package: str | None = None
    flags: tuple[str, ...] = ()
    identifies: tuple[Identifies, ...] = field(default=(), compare=False)
    # What a client in batch mode refuses to use even when it is negotiated (PuTTY's "warn below here").
    batch_refuses: dict[Category, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        text = f"{self.name} {self.version}"
        return f"{text} ({self.distribution})" if self.distribution else text

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
        for key in ("batch_refuses", "flags"):
            if key not in rel and base is not None and key in base:
                merged[key] = base[key]
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
    c2s = table.get("compression_c2s")
    return Side(lists=lists, pseudo=tuple(table.get("pseudo", ())), compression_c2s=tuple(c2s) if c2s is not None else None)


# ---------------------------------------------------------------- list edits

EDIT_KEYS = ("set", "remove", "keep", "before", "after", "prepend", "append")


def apply_edit(base: tuple[str, ...], change: list[str] | dict[str, Any], where: str = "") -> tuple[str, ...]:
    """One list after a distribution's change: a plain list replaces it; a table edits it.

    The table's keys apply in this order: ``set`` (start from this list
    instead), ``remove`` (drop these names), ``keep`` (drop every name not
    listed, keeping the base order), ``before`` / ``after`` (``{anchor = [names]}``:
    insert next to an anchor that must be present), ``prepend``, ``append``.
    Inserted names already present move to their new place.
    """
    if isinstance(change, list):
        return tuple(change)
    unknown = set(change) - set(EDIT_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown list edit {sorted(unknown)} (known: {', '.join(EDIT_KEYS)})")
    out = list(change.get("set", base))
    drop = set(change.get("remove", ()))
    if drop - set(out):
        raise ValueError(f"{where}: remove names {sorted(drop - set(out))}, which the base list lacks")
    out = [n for n in out if n not in drop]
    if "keep" in change:
        keep = set(change["keep"])
        out = [n for n in out if n in keep]
    for key in ("before", "after"):
        for anchor, names in change.get(key, {}).items():
            out = [n for n in out if n not in names]
            if anchor not in out:
                raise ValueError(f"{where}: {key} anchor {anchor!r} is not in the list")
            i = out.index(anchor) + (1 if key == "after" else 0)
            out[i:i] = list(names)
    if "prepend" in change:
        names = list(change["prepend"])
        out = names + [n for n in out if n not in names]
    if "append" in change:
        names = list(change["append"])
        out = [n for n in out if n not in names] + names
    return tuple(out)


def _edit_side(base: Side | None, change: dict[str, Any] | bool | None, where: str) -> Side | None:
    if change is None:
        return base
    if change is False:  # the build has no such side (e.g. a server-only package)
        return None
    if change is True:
        raise ValueError(f"{where}: a side is a table of list edits or false")
    lists = dict(base.lists) if base is not None else {}
    pseudo = base.pseudo if base is not None else ()
    c2s = base.compression_c2s if base is not None else None
    for key, value in change.items():
        if key == "pseudo":
            pseudo = apply_edit(pseudo, value, f"{where}.pseudo")
        elif key == "compression_c2s":
            c2s = apply_edit(c2s or (), value, f"{where}.compression_c2s")
        elif key in _CATS:
            cat = Category(key)
            lists[cat] = apply_edit(lists.get(cat, ()), value, f"{where}.{key}")
        else:
            raise ValueError(f"{where}: unknown category {key!r}")
    return Side(lists=lists, pseudo=pseudo, compression_c2s=c2s)


def _distribution_profile(dist: dict[str, Any], entry: dict[str, Any], base: Profile) -> Profile:
    pid = entry["id"]
    ident = entry.get("ident")
    identifies = tuple(Identifies(i["pattern"], i.get("note")) for i in entry.get("identifies", ()))
    patterns = tuple(dict.fromkeys(([ident] if ident else []) + [i.pattern for i in identifies]))
    supported = _edit_side(base.supported, entry.get("supported"), f"{pid}.supported")
    return Profile(
        id=pid,
        implementation=base.implementation,
        name=base.name,
        kind=base.kind,
        version=entry.get("version", base.version),
        client=_edit_side(base.client, entry.get("client"), f"{pid}.client"),
        server=_edit_side(base.server, entry.get("server"), f"{pid}.server"),
        supported=supported or Side(lists={}),
        sources=tuple(entry.get("sources", ())),
        notes=tuple(entry.get("notes", ())),
        date=entry.get("date"),
        banner_patterns=patterns or base.banner_patterns,
        check_order=base.check_order,
        settings=base.settings,
        distribution=entry.get("distribution", dist.get("name")),
        base=base.id,
        package=entry.get("package"),
        # A distribution profile's flags say all that holds for it; without any, its base's hold.
        flags=tuple(entry["flags"]) if "flags" in entry else base.flags,
        identifies=identifies,
        batch_refuses=base.batch_refuses,
    )


def _resolve_distributions(
    files: list[dict[str, Any]], upstream: dict[str, Profile]
) -> tuple[dict[str, Profile], dict[str, str]]:
    """Every distribution profile, bases resolved in any order (a base may be another file's)."""
    pending = [(f["distribution"], entry) for f in files for entry in f.get("profile", [])]
    done: dict[str, Profile] = {}
    while pending:
        left = []
        for dist, entry in pending:
            base = done.get(entry["base"]) or upstream.get(entry["base"])
            if base is None:
                left.append((dist, entry))
                continue
            if entry["id"] in done or entry["id"] in upstream:
                raise ValueError(f"profile id {entry['id']} is defined twice")
            done[entry["id"]] = _distribution_profile(dist, entry, base)
        if len(left) == len(pending):
            raise ValueError("unknown or circular base: " + ", ".join(f"{e['id']} -> {e['base']}" for _, e in left))
        pending = left
    aliases: dict[str, str] = {}
    for f in files:
        dist = f["distribution"]
        for alias in dist.get("aliases", ()):
            aliases[alias] = dist["id"]
    return done, aliases


def _load() -> tuple[dict[str, Profile], dict[str, dict[str, str]]]:
    loaded = _load_all()
    return loaded[0], loaded[2]


@cache
def _profile_file(stem: str) -> tuple[dict[str, Any], dict[str, Profile]]:
    """One data file (``profiles/<stem>.toml``): its contents, and the release profiles it
    defines (none for a distribution's file, which builds on other files' profiles)."""
    data = load(f"profiles/{stem}.toml")
    if "distribution" in data:
        return data, {}
    impl = data["implementation"]
    profiles: dict[str, Profile] = {}
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
            flags=tuple(rel.get("flags", ())),
            batch_refuses={Category(k): tuple(v) for k, v in rel.get("batch_refuses", {}).items()},
        )
    return data, profiles


@cache
def _load_all() -> tuple[dict[str, Profile], dict[str, Profile], dict[str, dict[str, str]], dict[str, str]]:
    """Upstream profiles, distribution profiles, every source, distribution aliases."""
    folder = DATA / "profiles"
    profiles: dict[str, Profile] = {}
    sources: dict[str, dict[str, str]] = {}
    distro_files: list[dict[str, Any]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data, built = _profile_file(entry.name[: -len(".toml")])
        sources.update(data.get("sources", {}))
        if "distribution" in data:
            distro_files.append(data)
            continue
        for pid in built:
            if pid in profiles:
                raise ValueError(f"profile id {pid} is defined twice")
        profiles.update(built)
    distros, aliases = _resolve_distributions(distro_files, profiles)
    return profiles, distros, sources, aliases


def implementation_profiles(product: str) -> list[Profile]:
    """Every release profile of one implementation.

    Each implementation's releases are in a file named after it, so only that file is read
    (a scan's audit of one banner needs no other); anything else falls back to the whole catalog.
    """
    if (DATA / "profiles" / f"{product}.toml").is_file():
        _data, built = _profile_file(product)
        if built and all(p.implementation == product for p in built.values()):
            return list(built.values())
    return [p for p in all_profiles().values() if p.implementation == product]


def all_profiles() -> dict[str, Profile]:
    """Every upstream release profile by id (distribution builds: :func:`distribution_profiles`)."""
    return _load()[0]


def distribution_profiles() -> dict[str, Profile]:
    """Every distribution build's profile by id (``debian-12``, ``rhel-9-legacy``…)."""
    return _load_all()[1]


def distribution_aliases() -> dict[str, str]:
    """Other names of distributions whose builds are the same (``rocky`` → ``rhel``)."""
    return _load_all()[3]


def profile_sources() -> dict[str, dict[str, str]]:
    return _load()[1]


def get_profile(name: str) -> Profile | None:
    """A profile by id (``openssh-7.4``, ``debian-12``), accepting ``OpenSSH_7.4`` and ``openssh 7.4p1`` too.

    Distribution aliases name the distribution they rebuild: ``rocky-9`` is ``rhel-9``.
    """
    profiles = all_profiles()
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in profiles:
        return profiles[key]
    distros = distribution_profiles()
    for alias, target in distribution_aliases().items():
        if key.startswith(alias + "-"):
            key = target + key[len(alias):]
            break
    if key in distros:
        return distros[key]
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
    # A variant release (``2.28.8-mlkem``, ``0.10.6-debian12``) is a build of its own, never the nearest release.
    candidates = [p for p in implementation_profiles(product) if "-" not in p.version]
    at_or_below = [p for p in candidates if p.version_key() <= want]
    if not at_or_below:
        return None
    return max(at_or_below, key=lambda p: p.version_key())


def matches_banner(profile: Profile, software: str) -> bool:
    return any(fnmatch.fnmatchcase(software, pat) for pat in profile.banner_patterns)
