"""A private copy of an sshd configuration set, for ``sshd -t`` and a trial sshd.

The main file and every file it Includes are copied into one directory;
each ``Include`` is rewritten to name the copies explicitly (in the order
sshd would read the originals, so a glob keeps its sorted order), with
pending edits applied and new drop-ins counted where their glob would find
them. Optionally some directives are commented out in every copy and
lines of the caller's own are put on top of the main copy: a trial sshd
then cannot bind the production addresses or overwrite its pid file,
because first-value-wins does not hold for ``ListenAddress`` and ``Port``
(sshd collects every one), so they must go, not just be overridden.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sshdoctor.local.sshconfig.document import ConfigDocument, decode, encode, parse_text
from sshdoctor.local.sshconfig.errors import ConfigParseError
from sshdoctor.local.sshconfig.loader import MAX_INCLUDE_DEPTH, include_paths, read_bytes

SSHD_INCLUDE_BASE = "/etc/ssh"
TRIAL_STRIP = frozenset({"listenaddress", "port", "pidfile"})


@dataclass(frozen=True, slots=True)
class CopySet:
    """The copies: the main copy's path and which original each copy stands for."""

    main: Path
    copies: Mapping[str, Path] = field(default_factory=dict)


def _quote(path: str) -> str:
    return f'"{path}"' if any(c in path for c in " \t#'\"\\") else path


class _Copier:
    def __init__(self, directory: Path, texts: Mapping[str, str], strip: frozenset[str], base: str) -> None:
        self.directory = directory
        self.texts = dict(texts)
        self.strip = strip
        self.base = base
        self.copies: dict[str, Path] = {}

    def _text(self, path: str) -> str | None:
        if path in self.texts:
            return self.texts[path]
        data = read_bytes(path, missing_ok=True)
        return None if data is None else decode(data)

    def _matches(self, arg: str, doc: ConfigDocument, number: int) -> list[str]:
        found = set(include_paths(arg, base=self.base, user_config=False, doc=doc, number=number))
        pattern = arg if os.path.isabs(arg) else os.path.join(self.base, arg)
        # Files about to be created count where their glob would find them.
        found |= {p for p in self.texts if fnmatch.fnmatchcase(p, pattern)
                  and "/" not in os.path.relpath(p, os.path.dirname(pattern))}
        return sorted(found)

    def copy(self, path: str, depth: int, name: str | None = None, top: Sequence[str] = ()) -> Path | None:
        if path in self.copies:
            return self.copies[path]
        text = self._text(path)
        if text is None:
            return None
        target = self.directory / (name or f"f{len(self.copies):03d}-{os.path.basename(path)}")
        self.copies[path] = target
        doc = parse_text(text, path=path, flavour="sshd")
        out: list[str] = [f"{line}\n" for line in top]
        for line in doc.lines:
            directive = line.directive
            if directive is not None and directive.key in self.strip:
                out.append(f"# sshdoctor trial: {line.text}{line.ending}")
                continue
            if directive is None or directive.key != "include":
                out.append(line.text + line.ending)
                continue
            if depth >= MAX_INCLUDE_DEPTH:
                raise ConfigParseError(path, line.number, "too many nested Includes (a loop?)")
            names: list[str] = []
            for arg in directive.values:
                for included in self._matches(arg, doc, line.number):
                    copied = self.copy(included, depth + 1)
                    if copied is not None:
                        names.append(_quote(str(copied)))
            lead = line.text[: directive.keyword_start]
            if names:
                out.append(f"{lead}{directive.keyword} {' '.join(names)}{line.ending}")
            else:
                out.append(f"# sshdoctor: matches no file: {line.text}{line.ending}")
        target.write_bytes(encode("".join(out)))
        return target


def copy_config_set(
    main: str | Path,
    directory: str | Path,
    *,
    texts: Mapping[str, str] | None = None,
    strip: frozenset[str] = frozenset(),
    top: Sequence[str] = (),
    include_base: str = SSHD_INCLUDE_BASE,
) -> CopySet:
    """Copy ``main`` and what it includes into ``directory``.

    ``texts`` maps a path to the content it is about to have (edited files
    and new drop-ins); ``strip`` are lowercased keywords commented out in
    every copy; ``top`` lines start the main copy. Raises ConfigParseError
    and LocalError like the loader.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    copier = _Copier(folder, texts or {}, strip, include_base)
    copied = copier.copy(str(main), 0, name="sshd_config", top=top)
    if copied is None:
        raise ConfigParseError(str(main), None, "no such file")
    return CopySet(copied, dict(copier.copies))
