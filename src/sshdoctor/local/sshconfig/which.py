"""Which line of the user's ssh configuration sets a directive for a host (the first one ssh reads)."""

from __future__ import annotations

from dataclasses import dataclass

from sshdoctor.local.errors import LocalError
from sshdoctor.local.paths import system_dir, user_config
from sshdoctor.local.sshconfig.loader import load_tree
from sshdoctor.local.sshconfig.matching import Applies, HostQuery, entry_applies


@dataclass(frozen=True, slots=True)
class SettingLine:
    """A directive line: where it is and what it says; ``certain`` is False when a Match
    criterion that depends on the run (exec, user …) may or may not let it apply."""

    path: str
    line: int
    text: str
    value: str
    certain: bool = True


def winning_line(host: str, directive: str, *, hostname: str | None = None,
                 config_file: str | None = None) -> SettingLine | None:
    """The first line that sets ``directive`` for ``host`` (user file, then the system file, as ssh reads
    them; only ``config_file`` with -F); None when no line sets it or the files cannot be read."""
    paths = [(config_file, True)] if config_file else [(str(user_config()), True),
                                                       (str(system_dir() / "ssh_config"), False)]
    key = directive.lower()
    query = HostQuery(alias=host, hostname=hostname)
    for path, user in paths:
        try:
            tree = load_tree(path, user_config=user, missing_ok=True)
        except (LocalError, ValueError):
            return None
        for entry in tree.entries:
            if entry.directive.key != key:
                continue
            applies = entry_applies(entry, query)
            if applies is Applies.NO:
                continue
            values = entry.directive.values
            return SettingLine(entry.doc.path, entry.line.number, entry.line.text.strip(),
                               values[0] if values else "", certain=applies is Applies.YES)
    return None
