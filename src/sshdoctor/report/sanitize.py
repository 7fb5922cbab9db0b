"""Text from remote peers, made safe to print or serialise.

Banners, algorithm names and error descriptions come from servers that may
be hostile: control characters and escape sequences must never reach the
terminal raw, and undecodable bytes must not break JSON encoders.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """Escape every control, bidi-override and undecodable character."""
    return _UNSAFE.sub(_escape, text)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def json_safe(obj: Any) -> Any:
    """A copy of a JSON-able structure that any strict JSON decoder accepts.

    Strings stay exact except bytes that were not UTF-8 (kept by
    surrogateescape), which become ``\\xNN`` text; the encoder is run with
    ``ensure_ascii`` so control characters are escaped and never reach a
    terminal raw.
    """
    if isinstance(obj, str):
        return _SURROGATE.sub(_escape, obj)
    if isinstance(obj, dict):
        return {json_safe(str(k)): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj
