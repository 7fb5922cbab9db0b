"""JSON lines for ``scan --jsonl``: one compact document per host, fast.

The common case (no undecodable bytes anywhere) is encoded directly; only
a document whose encoding shows a lone surrogate (a byte that was not
UTF-8, kept by surrogateescape) goes through :func:`json_safe`, so every
line is accepted by strict decoders.
"""

from __future__ import annotations

import json
import sys
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
    """Print one line; flushed unless more lines follow at once (``flush=False``),
    so a reader sees each host as it finishes without a write per line in a burst."""
    sys.stdout.write(line(document) + "\n")
    if flush:
        sys.stdout.flush()
