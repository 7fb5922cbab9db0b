"""Reading the catalog's TOML data files, with a parsed copy cached as JSON.

tomllib is pure Python and the data files are large enough for parsing
to show in start-up time; JSON decoding is done in C.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sshdoctor.catalog.cache import cached_json, file_identity

DATA = Path(__file__).resolve().parent / "data"


def load(relative: str) -> dict[str, Any]:
    """The parsed contents of ``catalog/data/<relative>``."""
    # A plain path: importlib.resources costs more start-up time than the
    # whole catalog lookup, and the package is always installed as files.
    path = DATA / relative
    # Keyed by the file's identity (path, inode, size, mtime): an edit or an upgrade replaces the file,
    # so the cache is never stale, and checking it costs a stat, not reading and hashing the file.
    identity = file_identity(str(path))
    data: dict[str, Any] = cached_json("catalog-" + relative.replace("/", "-"), identity,
                                       lambda: _parse(path.read_text("utf-8")))
    return data


def _parse(text: str) -> dict[str, Any]:
    # Imported only on a cache miss: tomllib is a noticeable part of start-up.
    import tomllib

    return tomllib.loads(text)
