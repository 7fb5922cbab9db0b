"""JSON lines for ``scan --jsonl``: one compact document per host, fast.

The common case (no undecodable bytes anywhere) is encoded directly; only
a document whose encoding shows a lone surrogate (a byte that was not
UTF-8, kept by surrogateescape) goes through :func:`json_safe`, so every
line is accepted by strict decoders.
"""

from __future__ import annotations

import json
import json.encoder
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sshdoctor.report.sanitize import json_safe

_SEPARATORS = (",", ":")


def line(document: Any) -> str:
    """One document as a line of JSON (ASCII only, no lone surrogates)."""
    text = json.dumps(document, ensure_ascii=True, separators=_SEPARATORS)
    if "\\ud" in text:  # possibly a surrogate: redo it the careful way
        text = json.dumps(json_safe(document), ensure_ascii=True, separators=_SEPARATORS)
    return text


def emit_line(document: Any, *, flush: bool = True) -> None:
    """Print one line (a document, or one already encoded); flushed unless more lines follow at
    once (``flush=False``), so a reader sees each host as it finishes without a write per line."""
    sys.stdout.write((document if isinstance(document, str) else line(document)) + "\n")
    if flush:
        sys.stdout.flush()


Part = tuple[str, object, Callable[[], object]]
_ascii: Callable[[str], str] = json.encoder.encode_basestring_ascii


def _scalar(value: object) -> str:
    """``json.dumps`` of one value, without its set-up cost for the common scalars."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is str:
        return _ascii(value)  # type: ignore[arg-type]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):  # type: ignore[arg-type]
        return float.__repr__(value)
    return json.dumps(value, ensure_ascii=True, separators=_SEPARATORS)


class SharedParts:
    """Encodes documents given as parts (``HostResult.parts()``), each shared part once.

    A fleet repeats a few offers, outcomes, audits and fixes across thousands
    of hosts; their encodings are kept (by value where the object hashes, by
    identity otherwise, the object held so its id is not reused) and joined
    with the per-host fields. The line is the one :func:`line` gives for the
    same document (a test holds them equal).
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._by_value: dict[object, str] = {}
        self._by_id: dict[int, tuple[object, str]] = {}
        self._keys: dict[str, str] = {}

    def _shared(self, obj: object, make: Callable[[], object]) -> str:
        try:
            found = self._by_value.get(obj)
        except TypeError:  # unhashable (a dict, or a dataclass holding one): by identity
            held = self._by_id.get(id(obj))
            if held is not None and held[0] is obj:
                return held[1]
            text = json.dumps(make(), ensure_ascii=True, separators=_SEPARATORS)
            if len(self._by_id) >= self.limit:
                self._by_id.clear()
            self._by_id[id(obj)] = (obj, text)
            return text
        if found is None:
            found = json.dumps(make(), ensure_ascii=True, separators=_SEPARATORS)
            if len(self._by_value) >= self.limit:
                self._by_value.clear()
            self._by_value[obj] = found
        return found

    def line(self, parts: Sequence[Part]) -> str:
        """One document as a line of JSON, as :func:`line` writes it."""
        pieces = []
        keys = self._keys
        for key, shared, make in parts:
            value = _scalar(make()) if shared is None else self._shared(shared, make)
            head = keys.get(key)
            if head is None:
                head = keys[key] = _ascii(key) + ":"
            pieces.append(head + value)
        text = "{" + ",".join(pieces) + "}"
        if "\\ud" in text:  # possibly a surrogate: the careful way, on the whole document
            return line({key: make() for key, _shared, make in parts})
        return text
