"""Making pasted text safe and cheap to scan, and putting wrapped messages back together.

Input may hold terminal colour codes (ssh wrapped by a tool that colours
its output), carriage returns, undecodable bytes or single lines of many
megabytes; every recogniser sees lines that went through :func:`clean_line`.

People rarely paste a message bare. It comes quoted (``> ``), in a code
fence, as a bullet, behind a log viewer's timestamp or line number, bold in
markdown, with addresses replaced by placeholders (``<host>``, ``x.x.x.x``,
Cloudflare's ``[email protected]``), and with long lines wrapped by a
terminal, an e-mail client or the device that logged them. :func:`strip_paste`
removes the decoration; :func:`continuation` decides whether a line carries
on the one before and how the two join.

A line break that falls inside an algorithm name is never guessed away:
the two pieces are joined with :data:`BREAK`, and :func:`whole_names` (which
``offer_tuple`` uses) leaves such a name out, since only whole names count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A single line longer than this is cut before any pattern looks at it: every
# message sshdoctor knows fits easily, and the cap bounds the work per line.
MAX_LINE = 8192

# Joins two pieces of a name that a line break cut apart; never part of a real name.
BREAK = "\u00a6"
# Stands for something the paste hid (Cloudflare's "[email protected]"); never part of a real name.
HIDDEN = "\u00a4hidden\u00a4"

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# Colour codes whose ESC byte was lost on the way (CI logs copied from a browser): "[31m", "[0;1m".
_ORPHAN_SGR = re.compile(r"\[(?:\d{1,3}(?:;\d{1,3})*m|m(?![\w-]))")
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
    if "m" in line and "[" in line and _ORPHAN_SGR.search(line):
        line = _ORPHAN_SGR.sub("", line)
    return _CONTROL.sub("", line)


# --- decoration around a pasted message -------------------------------------------------------


class Lazy:
    """A pattern compiled on first use: most runs explain one line and never need most of these."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    @property
    def rx(self) -> re.Pattern[str]:
        """The compiled pattern."""
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return self._compiled

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.rx.match(text, pos)

    def search(self, text: str, pos: int = 0, endpos: int = 1 << 30) -> re.Match[str] | None:
        return self.rx.search(text, pos, endpos)

    def sub(self, repl: str, text: str) -> str:
        return self.rx.sub(repl, text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.rx.fullmatch(text)

_FENCE = Lazy(r"^\s*(?:```|~~~)[^`]*$")
_LEAD = Lazy(
    r"^(?:"
    r"\s+"                                    # indentation
    r"|>[ >]*"                                # markdown / e-mail quote markers: "> ", ">> ", "> > "
    r"|[-*+\u2022\u25aa\u2013]\s+"            # bullets: "- ", "* ", "• "
    r"|\d{1,6}(?:\s*[|\u2502]\s+|\t)"         # a viewer's line number: "12 | ", "  12<TAB>" (cat -n)
    r"|`+(?=\S)"                              # an inline code span or a fence with text on it
    r"|\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]?\s+"  # ISO timestamp
    r"|\[\d\d:\d\d:\d\d(?:[.,]\d+)?\]\s+"     # "[10:22:01] "
    r"|#{1,6}\s+"                             # a markdown heading
    r")"
)
_MAILTO = Lazy(r"\[([^\]\s]+@[^\]\s]+)\]\(mailto:[^)\s]*\)")
_CF_EMAIL = Lazy(r"\[email(?:&#160;|\xa0| )protected\]")
_LEAD_CHARS = frozenset(" \t>-*+`[#0123456789\u2022\u25aa\u2013")


def strip_paste(line: str) -> str:
    """A cleaned line without the decoration a paste adds around a message.

    Removes quote markers, bullets, code fences and spans, markdown bold,
    a log viewer's line number or ISO timestamp, and undoes the rewriting a
    web page did (HTML entities, ``[x@y](mailto:x@y)`` links, Cloudflare's
    hidden addresses, which become :data:`HIDDEN`). What sshd, syslog or a
    device put in front of its message is kept: recognisers need it.
    """
    if not line:
        return line
    if "&" in line and ";" in line:
        import html  # only pastes from web pages need it; it costs start-up time

        line = html.unescape(line)
    if "**" in line:
        line = line.replace("**", "")
    if "mailto:" in line:
        line = _MAILTO.sub(r"\1", line)
    if "protected]" in line:
        line = _CF_EMAIL.sub(HIDDEN, line)
    if line[0] in _LEAD_CHARS:
        if _FENCE.match(line):
            return ""
        for _ in range(6):
            m = _LEAD.match(line)
            if m is None or not m.end():
                break
            line = line[m.end():]
        if line.endswith("`"):
            line = line.rstrip("`")
    elif line.endswith("`") and line.count("`") == 1:
        line = line[:-1]
    return line


# --- lists and wrapped messages ---------------------------------------------------------------

_NAME = r"[\w@.+\-\u00a4\u00a6]"
_HEAD = Lazy(r"^(?P<tok>,?" + _NAME + r"+(?:," + _NAME + r"*)*,?)(?P<rest>.*)$")
# After a list, these may follow on the continued line: the list ended there.
_AFTER_LIST = Lazy(r"^(?:\s*$|\s+\[preauth\]|\s+(?:server|client|and received|and)\s|[\"\])])")
# Prose that carries on a wrapped sentence (mail clients wrap at spaces).
_PROSE_GOES_ON = Lazy(r"^(?:[a-z0-9(\[]|The(?:ir|y) offer)")
# The rest of a name cut at a line end: lower case, with a digit, "@", "-" or an inner dot ("6-cbc", "ssh.com").
_NAME_TAIL = Lazy(r"^[a-z0-9@._+\-]*[0-9@\-.][a-z0-9@._+\-]*[a-z0-9]$|^[0-9]+$")
# A line that starts a new record rather than continuing the one before it.
_NEW_RECORD = Lazy(
    r"^(?:\*?[A-Z][a-z]{2} [ \d]\d |\d{4}-\d\d-\d\d|\d+ \d\d:\d\d|[%$#]|debug\d|[\w.-]+[#>]\s*$|[\w.@-]+:~?\S*[$#]\s"
    r"|Unable to negotiate|(?:kex|ssh)_exchange_identification|ssh(?:_dispatch_run_fatal)?:|Connection |OpenSSH_|"
    r"Bad packet|Corrupted MAC|Permission denied|Host key|Warning:|@@@|Received disconnect|Load key|banner exchange|"
    r"fatal:|error:|[\w.]+(?:Exception|Error)\b|Caused by:|at [\w$.]+\(|\.\.\. \d+ more)"
)


_LIST_TOKEN = Lazy(r"[\w@.+\-\u00a4\u00a6]+(?:,[\w@.+\-\u00a4\u00a6]*)*")
_TOKEN_BOUNDS = "[(=\"':"
_BOUND_TO_SPACE = str.maketrans(_TOKEN_BOUNDS, " " * len(_TOKEN_BOUNDS))
_OPENER_ENDS = ("offer:", "client", "server", "available:", 'proposal="', "algorithms:", "ctos:", "stoc:", "sent",
                "received", "[", "method:", "methods:", "cipher:", "ciphers:", "mac:", "macs:", "kex:", "key:", "keys:")


def list_is_open(line: str) -> bool:
    """Whether ``line`` ends inside a name-list that the next line may continue."""
    # String methods rather than one pattern: this runs on every line of a pasted log, lists included.
    if not line or line[-1].isspace() or line[-1] in _TOKEN_BOUNDS:
        return False
    # The last token, bounded by a space or one of [(="': ; a list longer than the window still shows its commas.
    token = line[-256:].translate(_BOUND_TO_SPACE).rsplit(None, 1)[-1].lstrip(",")
    if not token or _LIST_TOKEN.fullmatch(token) is None:
        return False
    if "," in token:
        return True
    before = line[max(0, len(line) - len(token) - 40): len(line) - len(token)].rstrip().lower()
    return before.endswith(_OPENER_ENDS)


@dataclass(frozen=True, slots=True)
class Wrapped:
    """A message that may be wrapped over several lines: it starts with ``start`` and is whole once
    ``complete`` says so (the joined text is given)."""

    start: str
    complete: Callable[[str], bool]
    max_lines: int = 8


_WRAPPED: list[Wrapped] = []


def register_wrapped(start: str, complete: str | Callable[[str], bool], *, max_lines: int = 8) -> None:
    """Declare a message that a terminal, mail client or device may wrap over several lines.

    A line holding ``start`` whose text does not yet satisfy ``complete`` (a
    regular expression searched in the joined text, or a predicate) is held
    and the following lines are appended (see :func:`continuation`) until it
    does, a line starts a new record, or ``max_lines`` were joined. Name-lists
    running to the end of a line need no declaration: they are continued
    whatever message holds them.
    """
    if isinstance(complete, str):
        pattern = Lazy(complete)
        _WRAPPED.append(Wrapped(start, lambda text: pattern.search(text) is not None, max_lines))
    else:
        _WRAPPED.append(Wrapped(start, complete, max_lines))


def wrapped_rule(line: str) -> Wrapped | None:
    """The declared wrapped message that ``line`` starts and does not yet complete, if any."""
    for rule in _WRAPPED:
        if rule.start in line and not rule.complete(line):
            return rule
    return None


# How two lines join (see :func:`junction`).
DIRECT = ""          # at a comma, or after a space the line kept: nothing was lost
PROSE = " "          # between words: a space, unless the block was wrapped hard (then nothing)
# Widths at which a two-line block is believed to be a hard wrap (a soft wrap at a space is rarely exactly this long).
HARD_WIDTHS = frozenset({40, 60, 80, 100, 120, 132, 140, 160, 200})


def junction(prev: str, nxt: str, *, rule: Wrapped | None = None) -> str | None:
    """How ``nxt`` carries on ``prev``: :data:`DIRECT`, :data:`BREAK` (a name cut in two, not
    guessed), :data:`PROSE` (words wrapped), or None when ``nxt`` does not continue it.

    ``nxt`` is a decoration-stripped line without its indentation; ``rule`` is
    the wrapped message ``prev`` started and has not completed, if any. A line
    ending in a space is a soft break (RFC 3676 "format=flowed"): what follows
    carries on unless it starts a record of its own.
    """
    if not nxt:
        return None
    new_record = _NEW_RECORD.match(nxt) is not None
    if list_is_open(prev) and not new_record:
        m = _HEAD.match(nxt)
        if m is not None:
            tok = m["tok"]
            if prev.endswith(",") or tok.startswith(","):
                return DIRECT
            if "," in tok[:-1] or (_AFTER_LIST.match(m["rest"]) and _NAME_TAIL.match(tok) and len(prev) >= 40):
                return BREAK
        if prev.endswith(","):
            return None
    if rule is not None:
        joined = prev + (DIRECT if prev.endswith(" ") else PROSE) + nxt
        if rule.complete(joined) or (not new_record and _PROSE_GOES_ON.match(nxt)):
            return DIRECT if prev.endswith(" ") else PROSE
        return None
    if prev.endswith(" ") and not new_record:
        return DIRECT
    return None


def continuation(prev: str, nxt: str, *, rule: Wrapped | None = None) -> str | None:
    """``prev`` and ``nxt`` joined when ``nxt`` carries on ``prev`` (see :func:`junction`), else None."""
    how = junction(prev, nxt, rule=rule)
    return None if how is None else prev + how + nxt


def join_block(pieces: list[str], seps: list[str], raw_lengths: list[int], gaps: list[bool]) -> str:
    """The lines of one wrapped message joined.

    A block is taken as hard-wrapped (a terminal or a device cut the lines at
    a fixed width, losing nothing) when every line but the last has the same
    length, at least 40, over three lines or more, or a common terminal width
    over two: then words are joined without a space, except where the next
    line began with one (``gaps``).
    """
    widths = raw_lengths[:-1]
    hard = bool(widths) and len(set(widths)) == 1 and (
        (len(widths) >= 2 and widths[0] >= 40) or widths[0] in HARD_WIDTHS)
    out = [pieces[0]]
    for piece, sep, gap in zip(pieces[1:], seps, gaps[1:], strict=True):
        if sep == PROSE and hard:
            sep = " " if gap else DIRECT
        out.append(sep)
        out.append(piece)
    return "".join(out)


def whole_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The names that are whole: those a line break cut (:data:`BREAK`), hidden ones
    (:data:`HIDDEN`) and any holding a space are left out."""
    return tuple(n for n in names if BREAK not in n and "\u00a4" not in n and " " not in n)


def fragments(text: str, sep: str = ",") -> tuple[str, ...]:
    """The pieces of a printed list that are not whole names (see :func:`whole_names`)."""
    return tuple(n.strip().replace(BREAK, "|") for n in text.split(sep)
                 if BREAK in n or "\u00a4" in n or " " in n.strip())


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
