"""Advice as data: everything sshdoctor tells a user to type, paste or write.

An :class:`Action` is built where the decision is made (``remedy``,
``audit``, the one-host workflows) and rendered in one place per output form
(``report.actions``); the same objects are every command's ``actions`` in
``--json``, so a script, ``--apply`` and the tests apply exactly what the
user reads. ``text`` is the copyable part, verbatim: renderers never wrap
or cut it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class ActionKind(StrEnum):
    """What kind of thing the user does with an action's text."""

    COMMAND = "command"  # run it: ``argv`` (``text`` is it quoted for a POSIX shell)
    SSH_CONFIG = "ssh_config"  # put the block in an ssh_config file
    SSHD_CONFIG = "sshd_config"  # put the lines in sshd_config (``placement`` says where)
    DEVICE = "device"  # type the commands at a device's CLI
    LIBRARY = "library"  # a setting in the code of a program that uses an SSH library
    NOTE = "note"  # words only: nothing to copy


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do, complete as it stands.

    ``side`` is ``client`` or ``server`` (whose machine it changes);
    ``file`` and ``placement`` say where a config text goes (for sshd_config
    the full resulting line, ``replaces`` the line it takes the place of);
    ``verified`` names what really ran it (None: not run); ``risk`` is what
    it costs in security.
    """

    kind: ActionKind
    title: str
    side: str = "client"
    text: str = ""
    argv: tuple[str, ...] = ()
    file: str | None = None
    placement: str | None = None
    replaces: tuple[str, ...] = ()
    language: str | None = None
    risk: str | None = None
    verified: str | None = None
    notes: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @classmethod
    def command(cls, argv: Sequence[str], title: str, **kwargs: object) -> Action:
        """A command line; its text is the argv quoted for a POSIX shell."""
        args = tuple(argv)
        return cls(ActionKind.COMMAND, title, text=shlex.join(args), argv=args, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def note(cls, title: str, *notes: str, side: str = "client") -> Action:
        return cls(ActionKind.NOTE, title, side=side, notes=notes)

    @property
    def copyable(self) -> bool:
        return self.kind is not ActionKind.NOTE and bool(self.text)

    def as_dict(self) -> dict[str, object]:
        """The ``actions`` entry of every command's JSON."""
        doc: dict[str, object] = {"kind": self.kind.value, "side": self.side, "title": self.title, "text": self.text}
        if self.argv:
            doc["argv"] = list(self.argv)
        for key in ("file", "placement", "language", "risk", "verified"):
            value = getattr(self, key)
            if value is not None:
                doc[key] = value
        if self.replaces:
            doc["replaces"] = list(self.replaces)
        if self.notes:
            doc["notes"] = list(self.notes)
        doc.update(self.extra)
        return doc


def actions_json(actions: Sequence[Action]) -> list[dict[str, object]]:
    """The ``actions`` list of a JSON document."""
    return [a.as_dict() for a in actions]
