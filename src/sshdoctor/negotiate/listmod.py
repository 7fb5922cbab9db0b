"""OpenSSH's algorithm-list syntax: patterns and the ``+``, ``-``, ``^`` modifiers.

This is the one implementation of the list arithmetic used everywhere
(local config prediction, fixes, hardening), following kex_assemble_names()
and match_pattern_list() of OpenSSH.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache


@lru_cache(maxsize=4096)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    # OpenSSH patterns know only '*' and '?'; everything else is literal.
    body = "".join(
        ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern
    )
    return re.compile(body + r"\Z", re.DOTALL)


def match_pattern(name: str, pattern: str) -> bool:
    """Whether ``name`` matches one OpenSSH wildcard pattern."""
    return _pattern_regex(pattern).match(name) is not None


def match_pattern_list(name: str, patterns: str) -> int:
    """OpenSSH's match_pattern_list(): 1 if a positive pattern matches,
    -1 if a negated one does (negation wins), 0 if none does."""
    got_positive = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        if negated:
            pattern = pattern[1:]
        if match_pattern(name, pattern):
            if negated:
                return -1
            got_positive = True
    return 1 if got_positive else 0


def filter_allow(names: Iterable[str], patterns: str) -> list[str]:
    """The names that match the pattern list, in their own order."""
    return [n for n in names if match_pattern_list(n, patterns) == 1]


def filter_deny(names: Iterable[str], patterns: str) -> list[str]:
    """The names that do not match the pattern list, in their own order."""
    return [n for n in names if match_pattern_list(n, patterns) != 1]


def names_cat(first: Sequence[str], second: Iterable[str]) -> list[str]:
    """``first`` followed by the names of ``second`` it does not already hold."""
    out = list(first)
    seen = set(out)
    for name in second:
        if name not in seen:
            out.append(name)
            seen.add(name)
    return out


class ListSyntaxError(ValueError):
    """A directive value OpenSSH itself would reject."""


def apply_modifier(value: str | None, default: Sequence[str], supported: Sequence[str]) -> list[str]:
    """The list a directive value yields, as kex_assemble_names() computes it.

    ``value`` is what follows the directive (``+hmac-sha1``, ``-*cbc``,
    ``^aes128-ctr``, or a plain list; None or empty means the default).
    Names are matched as patterns against ``supported``; unknown names drop
    out silently, as in OpenSSH.
    """
    if not value:
        return list(default)
    if value[0] == "-":
        return filter_deny(default, value[1:])
    if value[0] == "+":
        wanted = names_cat(default, value[1:].split(","))
    elif value[0] == "^":
        wanted = names_cat(value[1:].split(","), default)
    else:
        wanted = value.split(",")
    result: list[str] = []
    for pattern in wanted:
        if pattern.startswith("!"):
            raise ListSyntaxError(f"negated pattern {pattern!r} is not allowed here")
        result = names_cat(result, filter_allow(supported, pattern))
    if not result:
        raise ListSyntaxError(f"{value!r} leaves no algorithm")
    return result
