"""Every fixture of the corpus, through ``explain``: kind, category, offer, program and peer must match."""

from __future__ import annotations

from typing import Any

import pytest

from sshdoctor.diagnose import explain_text
from sshdoctor.model import Finding
from tests.diagnose.corpus import Fixture, all_fixtures

FIXTURES = all_fixtures()


def _value(f: Finding, key: str) -> Any:
    data = f.as_dict()
    if key in data:
        return data[key]
    return f.extra.get(key)


def _matches(f: Finding, want: dict[str, Any]) -> bool:
    return all(_value(f, k) == v for k, v in want.items())


def test_corpus_is_not_empty() -> None:
    assert len(FIXTURES) >= 40
    assert sum(f.captured for f in FIXTURES) >= 30


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_fixture(fixture: Fixture) -> None:
    assert fixture.header.get("command"), "every fixture names the command that produced it"
    assert fixture.header.get("program"), "every fixture names the program and version"
    assert fixture.header.get("source"), "every fixture says whether it was captured or taken from source"
    assert fixture.expect, "every fixture says what a correct diagnosis holds"
    found = explain_text(fixture.text)
    for want in fixture.expect:
        assert any(_matches(f, want) for f in found), (want, [f.as_dict() for f in found])
