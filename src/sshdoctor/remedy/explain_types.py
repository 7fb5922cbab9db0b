"""The values ``explain``'s fixes are made of: what the CLI saw locally, and a ranked fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sshdoctor.model import Action, ActionKind, Category, Fix
from sshdoctor.remedy.actions import shell_command


@dataclass(frozen=True, slots=True)
class FileFact:
    """What the CLI saw of a local file a finding names."""

    path: str
    exists: bool
    mode: int | None = None
    uid: int | None = None
    first_line: str | None = None


@dataclass(frozen=True, slots=True)
class FixContext:
    """The local side: ``supported`` is ``ssh -Q`` per category (empty when unknown)."""

    supported: Mapping[Category, Sequence[str]] = field(default_factory=dict)
    defaults: Mapping[Category, Sequence[str]] = field(default_factory=dict)
    files: Mapping[str, FileFact] = field(default_factory=dict)
    uid: int | None = None
    local_label: str | None = None
    # The host the findings name, as the local ssh would treat it (``ssh -G``): its lists, and the
    # line of the user's configuration that sets each category, when one does.
    effective: Mapping[Category, Sequence[str]] = field(default_factory=dict)
    config_lines: Mapping[Category, tuple[str, int, str]] = field(default_factory=dict)
    # This machine's sshd, when the text is its own log: the lists it offers now (``sshd -T``).
    sshd_lists: Mapping[Category, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExplainFix:
    """One ranked fix for finding number ``finding`` (its index in the findings list)."""

    finding: int
    rank: int
    title: str
    fix: Fix
    risk: str
    ssh_options: tuple[str, ...] = ()
    ssh_config: str | None = None
    sshd_config: str | None = None
    commands: Mapping[str, str] = field(default_factory=dict)
    extra_actions: tuple[Action, ...] = ()

    def actions(self) -> list[Action]:
        """What to do, as Actions: the explicit ones, else those the fields describe."""
        if self.extra_actions:
            return list(self.extra_actions)
        out: list[Action] = []
        if self.ssh_config:
            out.append(Action(ActionKind.SSH_CONFIG, self.title, text=self.ssh_config, file="~/.ssh/config",
                              risk=self.risk))
        if self.sshd_config:
            out.append(Action(ActionKind.SSHD_CONFIG, self.title, side="server", text=self.sshd_config,
                              file="/etc/ssh/sshd_config", risk=self.risk))
        for name, text in self.commands.items():
            out.append(shell_command(text, name if out or len(self.commands) > 1 else self.title))
        if not out:
            out.append(Action.note(self.title, *self.fix.notes, side="server" if self.fix.scope == "server" else "client"))
        elif self.fix.notes:
            first = out[0]
            out[0] = Action(first.kind, first.title, side=first.side, text=first.text, argv=first.argv, file=first.file,
                            placement=first.placement, risk=first.risk, notes=self.fix.notes)
        return out

    def as_dict(self) -> dict[str, object]:
        """The contract's ``fixes`` entry (``ssh_options``, ``ssh_config``, ``risk``) plus where and why."""
        return {
            "finding": self.finding,
            "rank": self.rank,
            "scope": self.fix.scope,
            "title": self.title,
            "ssh_options": list(self.ssh_options),
            "ssh_config": self.ssh_config,
            "sshd_config": self.sshd_config,
            "commands": dict(self.commands),
            "changes": [c.as_dict() for c in self.fix.changes],
            "risk": self.risk,
            "notes": list(self.fix.notes),
            "actions": [a.as_dict() for a in self.actions()],
        }


