"""JSON output: exactly one document on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

from sshdoctor.report.sanitize import json_safe


def dumps(document: Any) -> str:
    return json.dumps(json_safe(document), indent=2, ensure_ascii=True)


def emit(document: Any) -> None:
    """Print one JSON document."""
    sys.stdout.write(dumps(document) + "\n")
    sys.stdout.flush()


def emit_line(document: Any) -> None:
    """Print one compact JSON line (for --jsonl streams)."""
    sys.stdout.write(json.dumps(json_safe(document), ensure_ascii=True, separators=(",", ":")) + "\n")
    sys.stdout.flush()
