"""One configuration file as a list of lines that keeps every byte.

``parse_text`` turns the text of an ssh_config or sshd_config file into
lines (each with its own line ending) and sections (the global part and
each ``Host`` / ``Match`` block); ``ConfigDocument.text()`` gives back the
exact input. Decoding uses ``surrogateescape`` so bytes that are not UTF-8
(a Latin-1 comment, say) survive the round trip unchanged.

Only what OpenSSH itself would reject is an error here: an open quote, a
keyword with no argument, a ``Host`` pattern that is empty, a ``Match`` with
a criterion no release knows or without its argument, control characters
that mean the file is not text. Unknown keywords are left to lint, since
vendors add their own (``UseKeychain`` on macOS).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from sshdoctor.local.sshconfig.errors import ConfigParseError
from sshdoctor.local.sshconfig.keywords import (
    SSH_MATCH_CRITERIA,
    SSH_MATCH_NO_ARGUMENT,
    SSHD_MATCH_CRITERIA,
    SSHD_MATCH_NO_ARGUMENT,
)
from sshdoctor.local.sshconfig.lexer import Directive, LineSyntaxError, tokenize

Flavour = Literal["ssh", "sshd"]

# Control characters a text configuration never holds; \t, \n, \v, \f and \r may.
_BINARY = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\v\f\r") | {"\x7f"}


def decode(data: bytes) -> str:
    """Bytes to text that encodes back to the same bytes."""
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class ConfigLine:
    """One physical line: 1-based number, text without ending, the ending itself."""

    number: int
    text: str
    ending: str
    directive: Directive | None

    @property
    def key(self) -> str | None:
        return self.directive.key if self.directive else None

    @property
    def is_comment(self) -> bool:
        return self.directive is None and self.text.strip(" \t\r\f\v") != ""

    @property
    def is_blank(self) -> bool:
        return self.directive is None and self.text.strip(" \t\r\f\v") == ""


@dataclass(frozen=True, slots=True)
class MatchCriterion:
    """One ``Match`` criterion, e.g. ``!host`` with argument ``*.example.com``."""

    name: str
    negated: bool
    argument: str | None


@dataclass(frozen=True, slots=True)
class Section:
    """The global part (``kind == "global"``) or one Host / Match block.

    ``start`` is the index of the header line (of the first line for the
    global part), ``end`` the index one past its last line.
    """

    kind: Literal["global", "host", "match"]
    start: int
    end: int
    patterns: tuple[str, ...] = ()
    criteria: tuple[MatchCriterion, ...] = ()

    @property
    def header_index(self) -> int | None:
        return None if self.kind == "global" else self.start

    def body(self) -> range:
        """Indices of the lines after the header."""
        return range(self.start if self.kind == "global" else self.start + 1, self.end)


@dataclass(frozen=True, slots=True)
class ConfigDocument:
    """A parsed file. ``lines[i].number == i + 1``."""

    path: str
    flavour: Flavour
    lines: tuple[ConfigLine, ...]
    sections: tuple[Section, ...] = field(default=())

    def text(self) -> str:
        return "".join(line.text + line.ending for line in self.lines)

    def data(self) -> bytes:
        return encode(self.text())

    @property
    def newline(self) -> str:
        """The line ending most lines use (LF for an empty file or a tie)."""
        crlf = sum(1 for line in self.lines if line.ending == "\r\n")
        lf = sum(1 for line in self.lines if line.ending == "\n")
        return "\r\n" if crlf > lf else "\n"

    def section_of(self, index: int) -> Section:
        for section in self.sections:
            if section.start <= index < section.end:
                return section
        return self.sections[-1]

    def directives(self) -> Iterator[tuple[int, ConfigLine, Directive]]:
        for i, line in enumerate(self.lines):
            if line.directive is not None:
                yield i, line, line.directive


def split_lines(text: str) -> list[tuple[str, str]]:
    """(text, ending) pairs; the ending is ``\\r\\n``, ``\\n`` or ``""`` (last line)."""
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        nl = text.find("\n", pos)
        if nl == -1:
            out.append((text[pos:], ""))
            break
        if nl > pos and text[nl - 1] == "\r":
            out.append((text[pos : nl - 1], "\r\n"))
        else:
            out.append((text[pos:nl], "\n"))
        pos = nl + 1
    return out


def _check_text(path: str, number: int, text: str) -> None:
    bad = next((ch for ch in text if ch in _BINARY), None)
    if bad is not None:
        raise ConfigParseError(path, number, f"control character 0x{ord(bad):02x}: this is not a text configuration file")


def _match_criteria(path: str, number: int, directive: Directive, flavour: Flavour) -> tuple[MatchCriterion, ...]:
    known = SSH_MATCH_CRITERIA if flavour == "ssh" else SSHD_MATCH_CRITERIA
    no_arg = SSH_MATCH_NO_ARGUMENT if flavour == "ssh" else SSHD_MATCH_NO_ARGUMENT
    values = list(directive.values)
    criteria: list[MatchCriterion] = []
    i = 0
    while i < len(values):
        word = values[i]
        i += 1
        negated = word.startswith("!")
        name = word[1:] if negated else word
        argument: str | None = None
        if "=" in name and name.split("=", 1)[0].lower() in known:
            # "host=pattern" form (OpenSSH 10.0 and later)
            name, argument = name.split("=", 1)
        name = name.lower()
        if name not in known:
            raise ConfigParseError(path, number, f"unknown Match criterion {word!r}")
        if name not in no_arg and argument is None:
            if i >= len(values) or values[i] == "":
                raise ConfigParseError(path, number, f"Match {name} needs an argument")
            argument = values[i]
            i += 1
        criteria.append(MatchCriterion(name, negated, argument))
    if not criteria:
        raise ConfigParseError(path, number, "Match needs at least one criterion")
    names = [c.name for c in criteria]
    if "all" in names and (names.index("all") != len(names) - 1 or len(names) > 2):
        # OpenSSH allows at most one criterion before "all" and none after it.
        raise ConfigParseError(path, number, "Match all cannot be combined with other criteria")
    return tuple(criteria)


def parse_text(text: str, *, path: str = "<config>", flavour: Flavour = "ssh") -> ConfigDocument:
    """Parse the text of one file (Includes are not followed here).

    Raises ConfigParseError naming the line for anything OpenSSH would reject.
    """
    lines: list[ConfigLine] = []
    headers: list[tuple[int, Section]] = []
    for index, (body, ending) in enumerate(split_lines(text)):
        number = index + 1
        _check_text(path, number, body)
        try:
            directive = tokenize(body)
        except LineSyntaxError as exc:
            raise ConfigParseError(path, number, str(exc)) from None
        lines.append(ConfigLine(number, body, ending, directive))
        if directive is None:
            continue
        if any(a.value == "" for a in directive.args) and directive.key in ("host", "match", "include"):
            raise ConfigParseError(path, number, f"{directive.keyword} has an empty argument")
        if directive.key == "host" and flavour == "ssh":
            headers.append((index, Section("host", index, index, patterns=directive.values)))
        elif directive.key == "match":
            criteria = _match_criteria(path, number, directive, flavour)
            headers.append((index, Section("match", index, index, criteria=criteria)))
        elif directive.key == "include" and not directive.args:
            raise ConfigParseError(path, number, "Include needs a file name")
    sections: list[Section] = []
    first = headers[0][0] if headers else len(lines)
    sections.append(Section("global", 0, first))
    for n, (index, header) in enumerate(headers):
        end = headers[n + 1][0] if n + 1 < len(headers) else len(lines)
        sections.append(Section(header.kind, index, end, header.patterns, header.criteria))
    return ConfigDocument(path=path, flavour=flavour, lines=tuple(lines), sections=tuple(sections))
