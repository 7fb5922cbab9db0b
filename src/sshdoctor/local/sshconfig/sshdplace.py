"""Where a full sshd_config line goes so that sshd uses it, and the new file texts.

sshd keeps the first value it reads for a directive, reads ``Include``d
files where the Include stands (a glob's files in sorted order), and takes
the algorithm lists only outside ``Match`` blocks. So for each line:

1. The line that wins today (the first one outside any Match block, in
   reading order) is replaced in its own file, main file or drop-in,
   keeping its indentation, trailing comment and line ending.
2. When the winner sits in a file that is generated (a crypto-policies
   back-end, rewritten by ``update-crypto-policies``), or nothing sets the
   directive, the line is written where it is read first: a new drop-in
   that sorts before every other file of a glob Include at the top of the
   main file, else the main file's global part, before the first Match
   block and before the Include that brings the winner in.

Lines that sshd accumulates (``HostKey``) go where new lines go. Nothing
here writes a file: :func:`place_lines` returns the edits, the caller
proves and writes them.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sshdoctor.local.sshconfig.document import ConfigDocument
from sshdoctor.local.sshconfig.keywords import canonical_key
from sshdoctor.local.sshconfig.loader import ConfigTree, Entry

DROPIN_NAME = "00-sshdoctor.conf"
# Directives sshd collects from every line rather than keeping the first.
ACCUMULATING = frozenset({"hostkey", "hostcertificate", "listenaddress", "port", "acceptenv", "subsystem",
                          "include", "setenv"})
_GLOB = set("*?[")
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")


def is_generated(path: str) -> bool:
    """A file a tool rewrites (crypto-policies back-ends): never edited in place."""
    real = os.path.realpath(path)
    return any("/crypto-policies/" in p for p in (path, real))


@dataclass(frozen=True, slots=True)
class ServerLine:
    """One full sshd_config line: ``KexAlgorithms a,b``."""

    directive: str
    value: str

    def __post_init__(self) -> None:
        # What is written must stay one directive on one line: no line breaks, no comment
        # start, no other control characters (a name pasted from a log could carry any).
        if not _KEYWORD.match(self.directive) or not self.value.strip() or any(
                c == "#" or ord(c) < 0x20 or c == "\x7f" for c in self.value):
            raise ValueError(f"cannot write {self.directive!r} {self.value!r} as an sshd_config line")

    @property
    def key(self) -> str:
        return canonical_key(self.directive)

    @property
    def text(self) -> str:
        return f"{self.directive} {self.value}"

    @classmethod
    def parse(cls, line: str) -> ServerLine:
        """``"KexAlgorithms a,b"`` (or ``Directive=value``) as a ServerLine."""
        text = line.strip()
        for sep in (" ", "\t", "="):
            if sep in text:
                directive, _, value = text.partition(sep)
                value = value.strip().lstrip("=").strip()
                if directive and value:
                    return cls(directive.strip(), value)
        raise ValueError(f"not an sshd_config line: {line!r}")


@dataclass(frozen=True, slots=True)
class Hunk:
    """One change to one file: ``replace`` line ``line`` (1-based, in the
    original), ``insert`` before it, or ``create`` the file."""

    op: str
    line: int
    new: tuple[str, ...]
    old: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True, slots=True)
class FileEdit:
    """A file's new text and the hunks that make it; ``original`` None for a new file."""

    path: str
    original: bytes | None
    text: str
    hunks: tuple[Hunk, ...]


@dataclass(frozen=True, slots=True)
class Placed:
    """Where one line went: the edit's file, and the line it replaced or must be read before."""

    line: ServerLine
    path: str
    op: str
    winner: str | None = None  # path:line of the line that wins today
    generated: bool = False  # the winner is in a generated file (crypto-policies)


@dataclass(frozen=True, slots=True)
class PlacementPlan:
    edits: tuple[FileEdit, ...]
    placed: tuple[Placed, ...]
    notes: tuple[str, ...] = field(default=())


def global_entry(entry: Entry) -> bool:
    """Outside every Match block (where the algorithm lists may be set)."""
    return all(ctx.section.kind == "global" for ctx in entry.chain)


def winning_entry(tree: ConfigTree, key: str) -> Entry | None:
    """The line whose value sshd uses for ``key`` (the first outside Match blocks), if any."""
    for entry in tree.entries:
        if canonical_key(entry.directive.key) == key and global_entry(entry):
            return entry
    return None


def _replace_value(doc: ConfigDocument, index: int, value: str) -> str:
    line = doc.lines[index]
    assert line.directive is not None and line.directive.args
    first, last = line.directive.args[0], line.directive.args[-1]
    return line.text[: first.start] + value + line.text[last.end :]


@dataclass(slots=True)
class _Draft:
    doc: ConfigDocument | None
    path: str
    replaces: dict[int, str] = field(default_factory=dict)
    inserts: dict[int, list[str]] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    why: dict[int, str] = field(default_factory=dict)


def _dropin_target(tree: ConfigTree, before: Entry | None, name: str) -> str | None:
    """A new drop-in path read before ``before`` (and before everything else of its
    glob Include), when the main file includes drop-ins outside Match blocks."""
    limit = before.top_index if before is not None else len(tree.main.lines)
    for entry in tree.entries:
        if not entry.in_main or entry.directive.key != "include" or not global_entry(entry):
            continue
        if entry.index > limit:
            break
        for pattern in entry.directive.values:
            if not os.path.isabs(pattern) or not _GLOB & set(os.path.basename(pattern)):
                continue
            directory = os.path.dirname(pattern)
            if _GLOB & set(directory) or not os.path.isdir(directory):
                continue
            candidate = os.path.join(directory, name)
            if not fnmatch.fnmatchcase(candidate, pattern):
                continue
            existing = sorted(p for p in glob.glob(pattern) if not os.path.isdir(p))
            if all(candidate <= p for p in existing):
                return candidate
    return None


def _main_insertion(tree: ConfigTree, before: Entry | None) -> int:
    """Index in the main file for new global lines: before the first Match block,
    before the line (or Include) that wins today, above comments introducing it."""
    doc = tree.main
    headers = [s.start for s in doc.sections if s.kind != "global"]
    at = headers[0] if headers else len(doc.lines)
    if before is not None:
        at = min(at, before.top_index)
    if at < len(doc.lines):
        while at > 0 and doc.lines[at - 1].is_comment:
            at -= 1
    return at


def place_lines(
    tree: ConfigTree,
    lines: Sequence[ServerLine],
    *,
    dropin_name: str = DROPIN_NAME,
    header: Sequence[str] = (),
) -> PlacementPlan:
    """The edits that make each line the one sshd uses (see the module docstring).

    ``header`` are comment lines (without ``#``) written above lines that
    sshdoctor adds (not above replaced lines).
    """
    docs = {doc.path: doc for doc in tree.documents}
    drafts: dict[str, _Draft] = {}
    placed: list[Placed] = []
    notes: list[str] = []

    def draft(path: str) -> _Draft:
        if path not in drafts:
            drafts[path] = _Draft(docs.get(path), path)
        return drafts[path]

    for line in lines:
        winner = None if line.key in ACCUMULATING else winning_entry(tree, line.key)
        generated = winner is not None and is_generated(winner.doc.path)
        if winner is not None and not generated:
            d = draft(winner.doc.path)
            d.replaces[winner.index] = _replace_value(winner.doc, winner.index, line.value)
            d.why[winner.index] = f"replaces the {line.directive} line that wins today"
            placed.append(Placed(line, winner.doc.path, "replace", winner.where))
            continue
        if generated and winner is not None:
            notes.append(f"{line.directive} comes from {winner.where}, a file update-crypto-policies rewrites; "
                         "the new line is written where sshd reads it first instead")
        target = _dropin_target(tree, winner, dropin_name)
        if target is not None and target in docs:
            d = draft(target)
            doc = docs[target]
            headers = [s.start for s in doc.sections if s.kind != "global"]
            at = headers[0] if headers else len(doc.lines)
            d.inserts.setdefault(at, []).append(line.text)
            placed.append(Placed(line, target, "insert", winner.where if winner else None, generated))
        elif target is not None:
            d = draft(target)
            d.created.append(line.text)
            placed.append(Placed(line, target, "create", winner.where if winner else None, generated))
        else:
            d = draft(tree.main.path)
            at = _main_insertion(tree, winner)
            d.inserts.setdefault(at, []).append(line.text)
            placed.append(Placed(line, tree.main.path, "insert", winner.where if winner else None, generated))
    edits = tuple(_render(d, header) for d in drafts.values())
    return PlacementPlan(edits, tuple(placed), tuple(notes))


def _render(d: _Draft, header: Sequence[str]) -> FileEdit:
    comments = [f"# {h}".rstrip() for h in header]
    if d.doc is None:
        new = [*comments, *d.created]
        return FileEdit(d.path, None, "".join(f"{t}\n" for t in new), (Hunk("create", 1, tuple(new),
                                                                             why="a new drop-in read first"),))
    doc = d.doc
    nl = doc.newline
    hunks: list[Hunk] = []
    out: list[tuple[str, str]] = []
    for i, line in enumerate(doc.lines):
        if i in d.inserts:
            block = [*comments, *d.inserts[i]]
            if line.directive is not None and line.directive.key == "match":
                block.append("")  # keep the new lines visibly apart from the block that follows
            out += [(t, nl) for t in block]
            hunks.append(Hunk("insert", i + 1, tuple(block), why="read before the line that would win"))
        if i in d.replaces:
            out.append((d.replaces[i], line.ending or ""))
            hunks.append(Hunk("replace", i + 1, (d.replaces[i],), (line.text,), d.why.get(i, "")))
        else:
            out.append((line.text, line.ending))
    end = len(doc.lines)
    if end in d.inserts:
        block = [*comments, *d.inserts[end]]
        if out and out[-1][1] == "":
            # The file had no final newline: the old last line gets one, the new last line none.
            out[-1] = (out[-1][0], nl)
            out += [(t, nl) for t in block[:-1]] + [(block[-1], "")]
        else:
            out += [(t, nl) for t in block]
        hunks.append(Hunk("insert", end + 1, tuple(block), why="at the end of the global part"))
    text = "".join(t + e for t, e in out)
    return FileEdit(d.path, doc.data(), text, tuple(hunks))
