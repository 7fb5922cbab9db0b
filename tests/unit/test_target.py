from __future__ import annotations

import pytest

from sshdoctor.model import TargetSyntaxError, parse_target


@pytest.mark.parametrize(
    ("spec", "port", "expected"),
    [
        ("host", None, ("host", None)),
        ("host:2222", None, ("host", 2222)),
        ("user@host:2222", None, ("host", 2222)),
        ("[::1]:2222", None, ("::1", 2222)),
        ("::1", None, ("::1", None)),
        ("[::1]", 22, ("::1", 22)),
        ("host", 2200, ("host", 2200)),
        ("ssh://u@h:23/", None, ("h", 23)),
    ],
)
def test_parse(spec: str, port: int | None, expected: tuple[str, int | None]) -> None:
    assert parse_target(spec, port) == expected


@pytest.mark.parametrize("spec", ["", "host:0", "host:70000", "host:x", "[::1", "a b", "h\x1b[2J", "host:22"])
def test_rejects(spec: str) -> None:
    with pytest.raises(TargetSyntaxError):
        parse_target(spec, 23 if spec == "host:22" else None)
