"""Reading the fixture files of tests/corpus."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEPARATOR = "--- output ---\n"


@dataclass(frozen=True)
class Fixture:
    path: Path
    header: dict[str, list[str]]
    text: str

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"

    @property
    def expect(self) -> list[dict[str, Any]]:
        return [json.loads(e) for e in self.header.get("expect", [])]

    @property
    def captured(self) -> bool:
        return any(s.startswith("captured") for s in self.header.get("source", []))


def load(path: Path) -> Fixture:
    raw = path.read_text(encoding="utf-8", errors="surrogateescape")
    head, sep, text = raw.partition(SEPARATOR)
    assert sep, f"{path}: no '{SEPARATOR.strip()}' line"
    header: dict[str, list[str]] = {}
    for line in head.splitlines():
        if line.startswith("# ") and ": " in line:
            key, _, value = line[2:].partition(": ")
            header.setdefault(key.strip(), []).append(value.strip())
    return Fixture(path=path, header=header, text=text)


def all_fixtures() -> list[Fixture]:
    return [load(p) for p in sorted(CORPUS.glob("*/*.txt"))]
