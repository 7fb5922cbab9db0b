"""A small on-disk cache for facts about local programs that only change when
the program does (``ssh -Q`` output), keyed by the binary's identity."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sshdoctor`` (default ``~/.cache/sshdoctor``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sshdoctor"


def file_identity(path: str) -> str:
    """A string that changes whenever the file is replaced or modified."""
    st = os.stat(path)
    return f"{os.path.realpath(path)}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def cached_json(name: str, identity: str, compute: Callable[[], Any]) -> Any:
    """Return the cached value for ``identity`` or compute and store it.

    Any problem with the cache (unwritable home, corrupt file) falls back
    to computing: the cache may only ever save time.
    """
    if os.environ.get("SSHDOCTOR_NO_CACHE"):
        return compute()
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    path = cache_dir() / f"{name}-{digest}.json"
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text())
        if data.get("identity") == identity:
            return data["value"]
    value = compute()
    import tempfile  # only when the cache is written

    with contextlib.suppress(OSError, TypeError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as fh:
            json.dump({"identity": identity, "value": value}, fh)
        os.replace(tmp, path)
    return value
