"""The russh profile file, offline: every release resolves to complete lists of names the catalog knows,
defaults are supported, pseudo names stand apart, sources exist, and the settings templates render
through sshdoctor's fix advice. (What each program really sends is test_profiles.py's, in the lab.)"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from sshdoctor.catalog.profiles import get_profile
from sshdoctor.model import Category
from sshdoctor.remedy.actions import setting
from tests.catalog.test_sourced_profiles import CATEGORIES, PROFILES, PSEUDO, _all_source_ids, _catalog_names, _resolve

STEM = "russh"
IMPL = "russh"


def _data() -> dict[str, Any]:
    with (PROFILES / f"{STEM}.toml").open("rb") as fh:
        return tomllib.load(fh)


RELEASES = _resolve(_data()["release"])


@pytest.mark.parametrize("version", list(RELEASES))
def test_release_lists(version: str) -> None:
    rel = RELEASES[version]
    catalog = _catalog_names()
    assert rel.get("sources") and not set(rel["sources"]) - _all_source_ids()
    for side in ("client", "server", "supported"):
        table = rel[side]
        for cat in CATEGORIES:
            names = table[cat]
            assert names and len(names) == len(set(names)), f"{side}.{cat}"
            assert not [n for n in names if n not in catalog[cat]], f"{side}.{cat}: unknown names"
            if side != "supported":
                assert not set(names) - set(rel["supported"][cat]), f"{side}.{cat} offers what it cannot do"
        if side != "supported":
            assert set(table.get("pseudo", [])) <= PSEUDO[side]
            assert not set(table["kex"]) & (PSEUDO["client"] | PSEUDO["server"])
    profile = get_profile(f"{IMPL}-{version}")
    assert profile is not None and profile.client is not None and profile.server is not None


@pytest.mark.parametrize("side", ["client", "server"])
@pytest.mark.parametrize("version", list(RELEASES))
def test_settings_render_as_advice(version: str, side: str) -> None:
    profile = get_profile(f"{IMPL}-{version}")
    assert profile is not None
    impl = _data()["implementation"]
    table = impl["settings"][side]
    assert table["source"] in _all_source_ids()
    adds = {Category(c): ["aes128-ctr" if c == "cipher" else "x-name"] for c in CATEGORIES if c in table}
    action = setting(profile, side, adds, host="192.0.2.1")
    assert action is not None and action.language == table["language"]
    assert action.text.count("\n") == len(adds)
    assert "aes128-ctr" in action.text and not re.search(r"\{\w+\}", action.text), action.text
