"""Remembering which targets were already seen, in bounded memory.

The first ``memory_limit`` keys are kept as 64-bit digests in a set; past
that they move to a temporary SQLite table on disk, so merging duplicates
in a list of millions of targets does not hold the list in memory. Two
different targets share a 64-bit digest with probability about n²/2⁶⁵
(1e-8 for a million targets).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tempfile

DEFAULT_MEMORY_LIMIT = 100_000


def _digest(key: str) -> int:
    raw = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


class Deduper:
    """``add(key)`` is True the first time a key is seen, False after."""

    def __init__(self, memory_limit: int = DEFAULT_MEMORY_LIMIT) -> None:
        self.memory_limit = memory_limit
        self._set: set[int] = set()
        self._db: sqlite3.Connection | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.count = 0

    def add(self, key: str) -> bool:
        digest = _digest(key)
        if self._db is None:
            if digest in self._set:
                return False
            self._set.add(digest)
            self.count += 1
            if len(self._set) > self.memory_limit:
                self._spill()
            return True
        cur = self._db.execute("INSERT OR IGNORE INTO seen(d) VALUES (?)", (digest,))
        if cur.rowcount:
            self.count += 1
            return True
        return False

    def _spill(self) -> None:
        import tempfile  # only once a list is long enough to spill to disk

        self._dir = tempfile.TemporaryDirectory(prefix="sshdoctor-seen-")
        db = sqlite3.connect(os.path.join(self._dir.name, "seen.sqlite"), isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE TABLE seen(d INTEGER PRIMARY KEY) WITHOUT ROWID")
        db.execute("BEGIN")
        db.executemany("INSERT INTO seen(d) VALUES (?)", ((d,) for d in self._set))
        self._set = set()
        self._db = db

    @property
    def on_disk(self) -> bool:
        return self._db is not None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
