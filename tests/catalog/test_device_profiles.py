"""Shape and consistency checks for the network-device profile files.

Device profiles describe SSH servers only: every release must resolve (after
``base`` inheritance) to a complete server proposal and a complete supported
set, every offered name must be supported, and every source must exist.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

PROFILES = Path(__file__).resolve().parents[2] / "src" / "sshdoctor" / "catalog" / "data" / "profiles"

DEVICE_FILES = ("cisco-ios", "cisco-iosxe", "cisco-nxos", "junos", "routeros")

CATEGORIES = ("kex", "hostkey", "cipher", "mac", "compression")
SIDES = ("client", "server", "supported")
PSEUDO_PREFIXES = ("ext-info-", "kex-strict-")


def _load(stem: str) -> dict[str, Any]:
    with (PROFILES / f"{stem}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _all_source_ids() -> set[str]:
    ids: set[str] = set()
    for path in PROFILES.glob("*.toml"):
        with path.open("rb") as fh:
            ids.update(tomllib.load(fh).get("sources", {}))
    return ids


def resolve(releases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each release with ``base`` filled in list by list from an earlier release of the same file."""
    done: dict[str, dict[str, Any]] = {}
    for rel in releases:
        merged: dict[str, Any] = {k: v for k, v in rel.items() if k not in SIDES}
        base = done.get(rel["base"]) if "base" in rel else None
        if "base" in rel and base is None:
            raise AssertionError(f"release {rel['version']}: base {rel['base']!r} is not an earlier release")
        for side in SIDES:
            table = dict(base.get(side, {})) if base else {}
            table.update(rel.get(side, {}))
            if table:
                merged[side] = table
        done[rel["version"]] = merged
    return done


def _cases() -> list[tuple[str, str]]:
    cases = []
    for stem in DEVICE_FILES:
        for rel in _load(stem).get("release", []):
            cases.append((stem, rel["version"]))
    return cases


@pytest.mark.parametrize("stem", DEVICE_FILES)
def test_implementation_table(stem: str) -> None:
    data = _load(stem)
    impl = data["implementation"]
    assert impl["id"] == stem
    assert impl["kind"] == "device"
    assert isinstance(impl["name"], str) and impl["name"]
    assert isinstance(impl["banner_patterns"], list)
    assert all(isinstance(p, str) and p for p in impl["banner_patterns"])
    assert data.get("release"), "a profile file needs at least one release"


@pytest.mark.parametrize("stem", DEVICE_FILES)
def test_sources_are_titled_links(stem: str) -> None:
    for sid, src in _load(stem).get("sources", {}).items():
        assert src.get("title"), sid
        assert src.get("url", "").startswith("https://") or src.get("url", "").startswith("http://"), sid


@pytest.mark.parametrize("stem", DEVICE_FILES)
def test_versions_unique_and_no_client_table(stem: str) -> None:
    releases = _load(stem)["release"]
    versions = [r["version"] for r in releases]
    assert len(versions) == len(set(versions))
    for rel in releases:
        assert "client" not in rel, f"{stem} {rel['version']}: devices are servers only"


@pytest.mark.parametrize(("stem", "version"), _cases())
def test_release_resolves_complete(stem: str, version: str) -> None:
    rel = resolve(_load(stem)["release"])[version]
    assert "client" not in rel
    for side in ("server", "supported"):
        table = rel.get(side)
        assert table is not None, f"{stem} {version}: no {side} table"
        for cat in CATEGORIES:
            names = table.get(cat)
            assert isinstance(names, list) and names, f"{stem} {version}: {side}.{cat} missing or empty"
            assert all(isinstance(n, str) and n for n in names)
            assert len(names) == len(set(names)), f"{stem} {version}: {side}.{cat} has duplicates"
    for pseudo in rel["server"].get("pseudo", []):
        assert pseudo.startswith(PSEUDO_PREFIXES), pseudo


@pytest.mark.parametrize(("stem", "version"), _cases())
def test_offered_names_are_supported(stem: str, version: str) -> None:
    rel = resolve(_load(stem)["release"])[version]
    for cat in CATEGORIES:
        missing = set(rel["server"][cat]) - set(rel["supported"][cat])
        assert not missing, f"{stem} {version}: {cat} offered but not supported: {sorted(missing)}"


@pytest.mark.parametrize(("stem", "version"), _cases())
def test_no_pseudo_names_in_kex(stem: str, version: str) -> None:
    rel = resolve(_load(stem)["release"])[version]
    for side in ("server", "supported"):
        bad = [n for n in rel[side]["kex"] if n.startswith(PSEUDO_PREFIXES)]
        assert not bad, f"{stem} {version}: pseudo names belong in 'pseudo': {bad}"


@pytest.mark.parametrize(("stem", "version"), _cases())
def test_sources_and_notes(stem: str, version: str) -> None:
    rel = resolve(_load(stem)["release"])[version]
    known = _all_source_ids()
    assert rel.get("sources"), f"{stem} {version}: needs at least one source"
    for sid in rel["sources"]:
        assert sid in known, f"{stem} {version}: unknown source {sid!r}"
    assert all(isinstance(n, str) and n for n in rel.get("notes", []))


def test_resolve_inherits_list_by_list() -> None:
    releases = [
        {"version": "1", "sources": ["s"], "server": {c: [f"{c}-a"] for c in CATEGORIES}},
        {"version": "2", "base": "1", "server": {"cipher": ["cipher-b"]}},
    ]
    got = resolve(releases)["2"]["server"]
    assert got["cipher"] == ["cipher-b"]
    assert got["kex"] == ["kex-a"]
    with pytest.raises(AssertionError):
        resolve([{"version": "3", "base": "9"}])
