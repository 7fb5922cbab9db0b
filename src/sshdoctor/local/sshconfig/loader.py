"""Read a configuration file and every file it Includes, in OpenSSH's order.

The result is a ``ConfigTree``: the main document, the included ones, and
every line in the order ssh or sshd reads it, each with the chain of
sections it sits in. A line in an included file applies only when the line
that included it applies and its own section does (readconf.c passes the
includer's state down and restores it afterwards).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from sshdoctor.local.errors import LocalError
from sshdoctor.local.paths import expand_user, user_ssh_dir
from sshdoctor.local.sshconfig.document import (
    ConfigDocument,
    ConfigLine,
    Flavour,
    Section,
    decode,
    parse_text,
)
from sshdoctor.local.sshconfig.errors import ConfigParseError
from sshdoctor.local.sshconfig.lexer import Directive

# Far above any hand-written configuration, low enough that a wrong file
# (a log, a disk image) is refused before it is read into memory.
MAX_BYTES = 8 * 1024 * 1024
# READCONF_MAX_DEPTH in readconf.c; sshd uses the same limit (SERVCONF_MAX_DEPTH).
MAX_INCLUDE_DEPTH = 16


@dataclass(frozen=True, slots=True)
class Context:
    """One level of nesting: a section of one document."""

    doc: ConfigDocument
    section: Section


@dataclass(frozen=True, slots=True)
class Entry:
    """A directive line as the reader meets it.

    ``chain`` runs from the main file's section to the line's own section;
    ``top_index`` is the main-file line through which it is reached (the
    line itself, or the Include that brought it in).
    """

    doc: ConfigDocument
    index: int
    chain: tuple[Context, ...]
    top_index: int

    @property
    def line(self) -> ConfigLine:
        return self.doc.lines[self.index]

    @property
    def directive(self) -> Directive:
        directive = self.line.directive
        assert directive is not None
        return directive

    @property
    def where(self) -> str:
        """``path:line`` for messages."""
        return f"{self.doc.path}:{self.line.number}"

    @property
    def in_main(self) -> bool:
        return len(self.chain) == 1


@dataclass(frozen=True, slots=True)
class ConfigTree:
    """A main document and what it includes, flattened in reading order."""

    main: ConfigDocument
    entries: tuple[Entry, ...]
    documents: tuple[ConfigDocument, ...]


def default_include_base(flavour: Flavour, user_config: bool) -> str:
    """Where relative Include paths point: ~/.ssh for a user's file, /etc/ssh otherwise."""
    if flavour == "ssh" and user_config:
        return str(user_ssh_dir())
    return "/etc/ssh"


def read_bytes(path: str, *, missing_ok: bool = False) -> bytes | None:
    """A file's bytes, refusing anything too large to be a configuration file."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        if missing_ok:
            return None
        raise LocalError(f"{path}: no such file") from None
    except OSError as exc:
        raise LocalError(f"{path}: cannot read: {exc.strerror}") from None
    if size > MAX_BYTES:
        raise ConfigParseError(path, None, f"{size} bytes is too large for a configuration file (limit {MAX_BYTES})")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise LocalError(f"{path}: is a directory") from None
    except OSError as exc:
        raise LocalError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ConfigParseError(path, None, f"more than {MAX_BYTES} bytes is too large for a configuration file")
    return data


def parse_bytes(data: bytes, *, path: str, flavour: Flavour) -> ConfigDocument:
    return parse_text(decode(data), path=path, flavour=flavour)


def include_paths(argument: str, *, base: str, user_config: bool, doc: ConfigDocument, number: int) -> list[str]:
    """The files one Include argument names, sorted as glob(3) returns them."""
    if argument.startswith("~") and not user_config:
        raise ConfigParseError(doc.path, number, f"Include path {argument!r} may not start with ~ in a system file")
    if not os.path.isabs(argument) and not argument.startswith("~"):
        argument = os.path.join(base, argument)
    pattern = expand_user(argument)
    return sorted(p for p in glob.glob(pattern) if not os.path.isdir(p))


class _Builder:
    def __init__(self, flavour: Flavour, user_config: bool, base: str) -> None:
        self.flavour: Flavour = flavour
        self.user_config = user_config
        self.base = base
        self.entries: list[Entry] = []
        self.documents: list[ConfigDocument] = []
        self.cache: dict[str, ConfigDocument] = {}

    def load(self, path: str) -> ConfigDocument | None:
        if path in self.cache:
            return self.cache[path]
        data = read_bytes(path, missing_ok=True)
        if data is None:
            return None
        doc = parse_bytes(data, path=path, flavour=self.flavour)
        self.cache[path] = doc
        self.documents.append(doc)
        return doc

    def walk(self, doc: ConfigDocument, outer: tuple[Context, ...], top: int | None, depth: int) -> None:
        for index, line, directive in doc.directives():
            chain = (*outer, Context(doc, doc.section_of(index)))
            top_index = index if top is None else top
            self.entries.append(Entry(doc, index, chain, top_index))
            if directive.key != "include":
                continue
            if depth >= MAX_INCLUDE_DEPTH:
                raise ConfigParseError(doc.path, line.number, "too many nested Includes (a loop?)")
            for arg in directive.values:
                for path in include_paths(arg, base=self.base, user_config=self.user_config, doc=doc, number=line.number):
                    included = self.load(path)
                    if included is not None:
                        self.walk(included, chain, top_index, depth + 1)


def build_tree(
    main: ConfigDocument,
    *,
    user_config: bool = True,
    include_base: str | None = None,
) -> ConfigTree:
    """Follow the Includes of an already parsed main document."""
    base = include_base or default_include_base(main.flavour, user_config)
    builder = _Builder(main.flavour, user_config, base)
    builder.cache[main.path] = main
    builder.walk(main, (), None, 0)
    return ConfigTree(main=main, entries=tuple(builder.entries), documents=(main, *builder.documents))


def load_tree(
    path: str | Path,
    *,
    flavour: Flavour = "ssh",
    user_config: bool = True,
    include_base: str | None = None,
    missing_ok: bool = False,
) -> ConfigTree:
    """Read and parse a file and its Includes; a missing file with
    ``missing_ok`` is an empty document (a config about to be created)."""
    name = str(path)
    data = read_bytes(name, missing_ok=missing_ok)
    main = parse_bytes(data or b"", path=name, flavour=flavour)
    return build_tree(main, user_config=user_config, include_base=include_base)
