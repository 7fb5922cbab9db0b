"""Add algorithm names to an existing directive value without changing its meaning
for the names already there.

``+a,b`` gains names at its end (no duplicates, and nothing a pattern in the
list already covers); a plain replacement list gains them at its end too.
``-…`` and ``^…`` cannot express "the same list plus these at the end", so
they are rewritten as the explicit list they yield today (computed with the
one implementation of OpenSSH's list arithmetic, ``negotiate.listmod``)
followed by the new names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sshdoctor.negotiate.listmod import ListSyntaxError, apply_modifier, match_pattern_list


class MergeError(ValueError):
    """The value cannot take the names (no defaults known for a ``-``/``^`` list)."""


@dataclass(frozen=True, slots=True)
class ListContext:
    """The local ssh's default and supported lists, keyed by lowercased directive
    (``kexalgorithms`` …); needed only to rewrite ``-`` and ``^`` values."""

    defaults: Mapping[str, Sequence[str]] = field(default_factory=dict)
    supported: Mapping[str, Sequence[str]] = field(default_factory=dict)


def covered(name: str, value: str) -> bool:
    """Whether a ``+``/``^``/plain value already names (or pattern-matches) ``name``."""
    body = value[1:] if value[:1] in ("+", "^") else value
    if value[:1] == "-":
        return False
    return match_pattern_list(name, body) == 1


def _append(items: list[str], names: Sequence[str]) -> list[str]:
    out = list(items)
    for name in names:
        if match_pattern_list(name, ",".join(out)) != 1:
            out.append(name)
    return out


def merge_value(value: str, names: Sequence[str], *, key: str, lists: ListContext | None = None) -> str:
    """``value`` with ``names`` added at the lowest priority; unchanged when all
    are already there. Raises MergeError when a ``-``/``^`` value cannot be
    rewritten for lack of the local default list."""
    if value.startswith("+"):
        items = [n for n in value[1:].split(",") if n]
        merged = _append(items, names)
        return value if merged == items else "+" + ",".join(merged)
    if not value.startswith(("-", "^")):
        items = [n for n in value.split(",") if n]
        merged = _append(items, names)
        return value if merged == items else ",".join(merged)
    if value.startswith("^") and all(covered(n, value) for n in names):
        return value
    if lists is None or key not in lists.defaults or key not in lists.supported:
        raise MergeError(f"cannot add to {value!r} without the local ssh's default list for {key}")
    try:
        current = apply_modifier(value, lists.defaults[key], lists.supported[key])
    except ListSyntaxError as exc:
        raise MergeError(f"{value!r}: {exc}") from None
    merged = _append(current, names)
    return ",".join(merged)


def new_value(names: Sequence[str]) -> str:
    """The value for a directive the block does not set yet."""
    return "+" + ",".join(dict.fromkeys(names))
