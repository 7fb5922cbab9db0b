"""Making pasted text safe and cheap to scan.

Input may hold terminal colour codes (ssh wrapped by a tool that colours
its output), carriage returns, undecodable bytes or single lines of many
megabytes; every recogniser sees lines that went through :func:`clean_line`.
"""

from __future__ import annotations

import re

# A single line longer than this is cut before any pattern looks at it: every
# message sshdoctor knows fits easily, and the cap bounds the work per line.
MAX_LINE = 8192

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_line(line: str) -> str:
    """One line with escape sequences and control characters removed, length capped."""
    if len(line) > MAX_LINE:
        line = line[:MAX_LINE]
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    line = line.rstrip("\r\n")
    if "\r" in line:
        # A progress display redrawn with CR: the last state is what the user saw.
        line = line.rsplit("\r", 1)[-1] or line.replace("\r", "")
    return _CONTROL.sub("", line)


def split_names(text: str, sep: str = ",") -> tuple[str, ...]:
    """An algorithm name-list as a tuple, empty names dropped, whitespace trimmed."""
    return tuple(n.strip() for n in text.split(sep) if n.strip())


def looks_binary(sample: bytes) -> bool:
    """Whether a chunk of input is binary data rather than text."""
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) // 10
