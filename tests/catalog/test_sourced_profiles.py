"""Offline checks of the profiles taken from source and vendor documentation only.

These implementations (SSH.NET, phpseclib, FortiOS and the devices and Windows
clients beside them) are not in the interop lab, so nothing here runs them. What can
be checked without them is checked: every release resolves to complete lists, every
name is one the algorithm catalog knows, every release names sources that exist,
defaults are part of the supported set, and the settings templates render.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.catalog.profiles import all_profiles, get_profile

DATA = Path(__file__).resolve().parents[2] / "src" / "sshdoctor" / "catalog" / "data"
PROFILES = DATA / "profiles"

# file stem -> (implementation id, the sides every release must have)
FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sshnet": ("sshnet", ("client",)),
    "phpseclib": ("phpseclib", ("client",)),
    "fortios": ("fortios", ("server",)),
    "junos": ("junos", ("server",)),
    "routeros": ("routeros", ("server",)),
    "winscp": ("winscp", ("client",)),
}
DEVICES = {"fortios", "junos", "routeros"}
CATEGORIES = ("kex", "hostkey", "cipher", "mac", "compression")
SIDES = ("client", "server", "supported")
PSEUDO = {
    "client": {"ext-info-c", "kex-strict-c-v00@openssh.com"},
    "server": {"ext-info-s", "kex-strict-s-v00@openssh.com"},
}
SLOTS = {"kex", "hostkey", "cipher_c2s", "cipher_s2c", "mac_c2s", "mac_s2c", "compression_c2s", "compression_s2c"}
LANGUAGES = {"java", "go", "rust", "javascript", "python", "ruby", "c", "erlang", "text"}
# {spaced} (space-joined) and {colon} (colon-joined) are needed by device CLIs whose
# lists are not comma-separated (FortiOS, Junos, Cisco ASA).
PLACEHOLDERS = {"names", "quoted", "squoted", "host", "port", "spaced", "colon"}


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _resolve(releases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Releases by version with ``base`` applied list by list, as the loader does."""
    done: dict[str, dict[str, Any]] = {}
    for rel in releases:
        base = done.get(rel["base"]) if "base" in rel else None
        assert "base" not in rel or base is not None, f"{rel['version']}: base {rel.get('base')} is not an earlier release"
        assert rel["version"] not in done, f"version {rel['version']} twice"
        merged = {k: v for k, v in rel.items() if k not in SIDES}
        for side in SIDES:
            inherited = dict(base[side]) if base and side in base else None
            own = rel.get(side)
            if own is None and inherited is None:
                continue
            merged[side] = {**(inherited or {}), **(own or {})}
        done[rel["version"]] = merged
    return done


def _catalog_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {c: set() for c in CATEGORIES}
    for entry in _load(DATA / "algorithms.toml").get("algorithm", []):
        names[entry["category"]].add(entry["name"])
        for alias in entry.get("aliases", []):
            names[entry["category"]].add(alias)
    return names


def _all_source_ids() -> set[str]:
    ids: set[str] = set()
    for path in PROFILES.glob("*.toml"):
        ids |= set(_load(path).get("sources", {}))
    return ids


def _cases() -> list[tuple[str, str]]:
    return [(stem, rel["version"]) for stem in FILES for rel in _load(PROFILES / f"{stem}.toml")["release"]]


CASES = _cases()


@pytest.mark.parametrize("stem", FILES)
def test_implementation_table(stem: str) -> None:
    data = _load(PROFILES / f"{stem}.toml")
    impl = data["implementation"]
    assert impl["id"] == FILES[stem][0]
    assert impl["kind"] == ("device" if stem in DEVICES else "software")
    assert data["release"], "at least one release"
    for slot in impl.get("check_order", []):
        assert slot in SLOTS, slot
    for sid, src in data.get("sources", {}).items():
        assert src.get("title"), sid
        assert str(src.get("url", "")).startswith(("https://", "http://")), sid


@pytest.mark.parametrize(("stem", "version"), CASES)
def test_release_is_complete_and_sourced(stem: str, version: str) -> None:
    rel = _resolve(_load(PROFILES / f"{stem}.toml")["release"])[version]
    known = _all_source_ids()
    assert rel.get("sources"), f"{stem} {version}: no sources"
    assert not set(rel["sources"]) - known, f"{stem} {version}: unknown sources {set(rel['sources']) - known}"
    assert all(isinstance(n, str) and n for n in rel.get("notes", []))
    for side in FILES[stem][1] + ("supported",):
        table = rel.get(side)
        assert table is not None, f"{stem} {version}: no {side} table"
        for cat in CATEGORIES:
            names = table.get(cat)
            assert isinstance(names, list) and names, f"{stem} {version}: {side}.{cat} missing or empty"
            assert len(names) == len(set(names)), f"{stem} {version}: {side}.{cat} has duplicates"
    if stem in DEVICES:
        assert "client" not in rel, f"{stem} {version}: devices are servers"


@pytest.mark.parametrize(("stem", "version"), CASES)
def test_every_name_is_in_the_catalog(stem: str, version: str) -> None:
    rel = _resolve(_load(PROFILES / f"{stem}.toml")["release"])[version]
    catalog = _catalog_names()
    missing = []
    for side in SIDES:
        for cat in CATEGORIES:
            missing += [f"{side}.{cat}: {n}" for n in rel.get(side, {}).get(cat, []) if n not in catalog[cat]]
    assert not missing, f"{stem} {version}: names the catalog does not know: {missing}"


@pytest.mark.parametrize(("stem", "version"), CASES)
def test_defaults_are_supported_and_pseudo_names_apart(stem: str, version: str) -> None:
    rel = _resolve(_load(PROFILES / f"{stem}.toml")["release"])[version]
    for side in ("client", "server"):
        if side not in rel:
            continue
        for cat in CATEGORIES:
            extra = set(rel[side][cat]) - set(rel["supported"][cat])
            assert not extra, f"{stem} {version}: {side}.{cat} offers unsupported {sorted(extra)}"
        assert set(rel[side].get("pseudo", [])) <= PSEUDO[side], rel[side].get("pseudo")
        assert not set(rel[side]["kex"]) & (PSEUDO["client"] | PSEUDO["server"]), "pseudo names belong in 'pseudo'"


@pytest.mark.parametrize("stem", FILES)
def test_loader_reads_every_release(stem: str) -> None:
    impl_id = FILES[stem][0]
    versions = [rel["version"] for rel in _load(PROFILES / f"{stem}.toml")["release"]]
    for version in versions:
        profile = get_profile(f"{impl_id}-{version}")
        assert profile is not None and profile.implementation == impl_id
        side = profile.client if "client" in FILES[stem][1] else profile.server
        assert side is not None
        assert side.proposal().kex
    assert len([p for p in all_profiles().values() if p.implementation == impl_id]) == len(versions)


def _templates() -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for stem in FILES:
        impl = _load(PROFILES / f"{stem}.toml")["implementation"]
        for role, table in impl.get("settings", {}).items():
            out.append((stem, role, table))
    return out


@pytest.mark.parametrize(("stem", "role", "table"), _templates(), ids=lambda v: v if isinstance(v, str) else "t")
def test_settings_templates_render(stem: str, role: str, table: dict[str, str]) -> None:
    assert role in ("client", "server")
    assert role in FILES[stem][1], f"{stem}: settings for a side it does not have"
    assert table.get("where") and table.get("language") in LANGUAGES
    assert table.get("source") in _all_source_ids(), table.get("source")
    names = ["aes128-ctr", "diffie-hellman-group14-sha256"]
    values = {
        "names": ",".join(names),
        "quoted": ", ".join(f'"{n}"' for n in names),
        "squoted": ", ".join(f"'{n}'" for n in names),
        "spaced": " ".join(names),
        "colon": ":".join(names),
        "host": "192.0.2.1",
        "port": "22",
    }
    templates = {k: v for k, v in table.items() if k in CATEGORIES}
    assert templates, f"{stem}: no category template"
    for cat, template in templates.items():
        used = set(re.findall(r"(?<!\{)\{(\w+)\}(?!\})", template))
        assert used <= PLACEHOLDERS, f"{stem} {cat}: unknown placeholders {used - PLACEHOLDERS}"
        rendered = template.format_map(values)
        assert "{" not in rendered.replace("{{", "") or table["language"] != "text", rendered
        assert names[0] in rendered or "{names}" not in template
