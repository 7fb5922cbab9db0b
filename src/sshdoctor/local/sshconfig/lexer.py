"""Split one configuration line the way OpenSSH does, keeping positions.

OpenSSH (readconf.c and servconf.c, 8.7 and later) reads a line like this:
trailing whitespace is dropped; the keyword is the first word, ended by
whitespace or by one ``=`` (``strdelim()`` in misc.c); the rest is split by
``argv_split()``: blanks separate arguments, ``"`` and ``'`` quote, ``\\``
escapes a quote, a backslash or (unquoted) a space, and a ``#`` at the start
of an argument ends the line. Every argument keeps its span in the line so
an editor can rewrite one value and leave the rest of the line alone.
"""

from __future__ import annotations

from dataclasses import dataclass

_WS = " \t\r\n"
_TRAILING = " \t\r\n\f"


class LineSyntaxError(ValueError):
    """A line OpenSSH itself rejects before looking at its keyword."""


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument: its value after quote and escape removal, and where it is."""

    value: str
    start: int
    end: int

    def quoted(self, text: str) -> bool:
        """Whether the raw argument in ``text`` is wrapped in double quotes."""
        raw = text[self.start : self.end]
        return len(raw) >= 2 and raw[0] == raw[-1] == '"'


@dataclass(frozen=True, slots=True)
class Directive:
    """A keyword line: the keyword as written, lowercased, and its arguments."""

    keyword: str
    key: str
    keyword_start: int
    args: tuple[Arg, ...]
    comment_start: int | None = None

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(a.value for a in self.args)


def _strdelim(s: str, pos: int) -> tuple[str | None, int | None]:
    """Port of OpenSSH's strdelim(): the next word and where parsing resumes.

    Returns (None, None) for an unterminated quote, (word, None) at the end.
    """
    j = pos
    while j < len(s) and s[j] not in _WS + '"=':
        j += 1
    if j == len(s):
        return s[pos:], None
    if s[j] == '"':
        close = s.find('"', j + 1)
        if close == -1:
            return None, None
        word = s[pos:j] + s[j + 1 : close]
        nxt = close + 1
        while nxt < len(s) and s[nxt] in _WS:
            nxt += 1
        return word, nxt
    word = s[pos:j]
    saw_equals = s[j] == "="
    nxt = j + 1
    while nxt < len(s) and s[nxt] in _WS:
        nxt += 1
    if nxt < len(s) and s[nxt] == "=" and not saw_equals:
        nxt += 1
        while nxt < len(s) and s[nxt] in _WS:
            nxt += 1
    return word, nxt


def split_args(s: str, pos: int) -> tuple[list[Arg], int | None]:
    """Port of argv_split(..., terminate_on_comment=1) from ``pos``; also returns
    where a trailing comment starts. Raises LineSyntaxError on an open quote."""
    args: list[Arg] = []
    i = pos
    n = len(s)
    while i < n:
        if s[i] in " \t":
            i += 1
            continue
        if s[i] == "#":
            return args, i
        start = i
        quote = ""
        out: list[str] = []
        while i < n:
            ch = s[i]
            if ch == "\\" and i + 1 < n and (s[i + 1] in "'\"\\" or (not quote and s[i + 1] == " ")):
                out.append(s[i + 1])
                i += 2
                continue
            if not quote and ch in " \t":
                break
            if not quote and ch in "\"'":
                quote = ch
            elif quote and ch == quote:
                quote = ""
            else:
                out.append(ch)
            i += 1
        if quote:
            raise LineSyntaxError("unterminated quote")
        args.append(Arg("".join(out), start, i))
    return args, None


def tokenize(text: str) -> Directive | None:
    """The directive on a line (no line ending), or None for a blank or comment line.

    Raises LineSyntaxError where OpenSSH would report "no argument after
    keyword" or "invalid quotes".
    """
    end = len(text)
    while end > 0 and text[end - 1] in _TRAILING:
        end -= 1
    line = text[:end]
    keyword, rest = _strdelim(line, 0)
    keyword_start = 0
    if keyword == "" and rest is not None:
        # Leading whitespace (or a leading '='): OpenSSH takes the next word.
        keyword_start = rest
        keyword, rest = _strdelim(line, rest)
    if not keyword or keyword.startswith("#"):
        return None
    if rest is not None:
        while rest < len(line) and line[rest] in _WS:
            rest += 1
    if rest is None or rest >= len(line):
        raise LineSyntaxError(f'no argument after keyword "{keyword}"')
    args, comment = split_args(line, rest)
    return Directive(
        keyword=keyword,
        key=keyword.lower(),
        keyword_start=keyword_start,
        args=tuple(args),
        comment_start=comment,
    )
