"""Hosts grouped by the change they need, and one ~/.ssh/config fragment for all of them.

A ``Host`` line matches names, not ports, so every host name gets the union
of what its ports need (adding an algorithm to a list never stops another
port from working). Names needing the same changes share one block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sshdoctor.fleet.analysis import HostResult
from sshdoctor.model import Category, Change
from sshdoctor.remedy.render import ssh_config_block
from sshdoctor.remedy.strength import union_strongest_first

_DIRECTIVE_ORDER = [c.directive for c in Category] + ["PubkeyAcceptedAlgorithms"]


def _order(directive: str) -> int:
    return _DIRECTIVE_ORDER.index(directive) if directive in _DIRECTIVE_ORDER else len(_DIRECTIVE_ORDER)


ChangeKey = tuple[tuple[str, tuple[str, ...]], ...]


def _merge(changes: list[Change]) -> ChangeKey:
    # Strongest first: the client's order decides, so a host offering group14 and group1 gets group14.
    merged = union_strongest_first(changes)
    return tuple((c.directive, c.add) for c in sorted(merged, key=lambda c: _order(c.directive)))


@dataclass
class FixGroup:
    """Host names that need the same changes."""

    changes: tuple[Change, ...]
    names: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"changes": [c.as_dict() for c in self.changes], "names": self.names, "hosts": self.hosts}


@dataclass
class Grouping:
    """Fixable hosts grouped by change set, and the hosts no client change can reach.

    Built incrementally (:meth:`add`) so a long scan keeps only the hosts
    that need something, not every result.
    """

    _by_name: dict[str, list[Change]] = field(default_factory=dict)
    _targets: dict[str, list[str]] = field(default_factory=dict)
    unfixable: dict[str, list[str]] = field(default_factory=dict)

    def add(self, result: HostResult) -> None:
        fix = result.fix
        if fix is None or not fix.needed:
            return
        where = result.report.target.display()
        if not fix.works:
            self.unfixable[result.name] = [c.value for c in fix.unfixable]
            return
        name = result.config_name
        self._by_name.setdefault(name, []).extend(fix.changes)
        targets = self._targets.setdefault(name, [])
        if where not in targets:
            targets.append(where)

    def groups(self) -> list[FixGroup]:
        """Largest group first; names in the order they were found."""
        grouped: dict[ChangeKey, FixGroup] = {}
        for name, changes in self._by_name.items():
            key = _merge(changes)
            group = grouped.get(key)
            if group is None:
                group = FixGroup(changes=tuple(Change(directive=d, add=a) for d, a in key))
                grouped[key] = group
            group.names.append(name)
            group.hosts += self._targets[name]
        return sorted(grouped.values(), key=lambda g: -len(g.names))

    def fragment(self, *, client: str = "", when: datetime | None = None) -> str:
        """The ~/.ssh/config text: one ``Host`` block per distinct change set."""
        groups = self.groups()
        if not groups:
            return ""
        stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
        count = sum(len(g.names) for g in groups)
        head = [
            f"# sshdoctor scan, {stamp}: {count} host name(s) need a client change"
            + (f" for {client}" if client else ""),
            "# Place these blocks before any 'Host *' block: ssh uses the first value it reads.",
        ]
        blocks = []
        for group in groups:
            summary = "; ".join(f"{c.directive} {c.option_value()}" for c in group.changes)
            ports = ", ".join(group.hosts[:3]) + (f" and {len(group.hosts) - 3} more" if len(group.hosts) > 3 else "")
            blocks.append(ssh_config_block(" ".join(group.names), group.changes,
                                           comment=f"{len(group.names)} host(s): {summary} ({ports})"))
        return "\n".join(head) + "\n\n" + "\n".join(blocks)

    def as_dict(self) -> dict[str, object]:
        return {
            "groups": [g.as_dict() for g in self.groups()],
            "unfixable": self.unfixable,
        }
