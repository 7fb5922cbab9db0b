"""One ``Host`` block for a group of hosts (``fix --hosts FILE --pattern 'legacy-*'``), and each host re-checked."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

from sshdoctor.host.applyfix import recheck
from sshdoctor.host.examine import ClientSpec
from sshdoctor.host.fix import FixReport, fix_host
from sshdoctor.host.inplace import check_in_place
from sshdoctor.local.sshconfig import ApplyResult, apply_group_block
from sshdoctor.local.verify import SshRun
from sshdoctor.model import Category, Change
from sshdoctor.remedy.strength import strength_key, union_strongest_first


@dataclass
class GroupFix:
    """One block for a group of hosts, and the per-host results."""

    fixes: list[FixReport]
    pattern: str | None
    changes: tuple[Change, ...]
    applied: ApplyResult | None = None
    checks: dict[str, SshRun] = field(default_factory=dict)
    downgrades: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "pattern": self.pattern,
            "hosts": [f.examined.host_arg for f in self.fixes],
            "changes": [c.as_dict() for c in self.changes],
            "applied": self.applied.as_dict() if self.applied else None,
            "verified": {host: run.ok and host not in self.downgrades for host, run in self.checks.items()},
            "downgrades": self.downgrades,
            "per_host": [f.as_dict() for f in self.fixes],
        }


def merge_changes(fixes: Sequence[FixReport]) -> tuple[Change, ...]:
    """The union of every host's additions, one Change per directive, strongest first.

    The order matters: a ``+`` list is appended to the client's defaults in
    this order, and the client's order decides. A host that offers both
    group14 and group1 must get group14 from the block, not the first name
    another host needed.
    """
    return union_strongest_first(c for fix in fixes for c in fix.changes)


async def fix_group(hosts: Sequence[str], *, pattern: str | None, path: str | None, dry_run: bool,
                    client: ClientSpec, timeout: float = 5.0, concurrency: int = 8) -> GroupFix:
    """Plan every host, then write one block (``Host PATTERN`` or ``Host a b c``) for all that need a change."""
    limit = asyncio.Semaphore(concurrency)

    async def one(host: str) -> FixReport:
        async with limit:
            return await fix_host(host, timeout=timeout, client=client)

    fixes = list(await asyncio.gather(*(one(h) for h in hosts)))
    needing = [f for f in fixes if f.changes]
    changes = merge_changes(needing)
    if pattern is not None:
        outside = [f.examined.host_arg for f in needing if not fnmatch.fnmatchcase(f.examined.host_arg, pattern)]
        if outside:
            raise ValueError(f"hosts not matched by the pattern {pattern!r}: {', '.join(outside)}")
    group = GroupFix(fixes=fixes, pattern=pattern, changes=changes)
    if not needing:
        return group
    group.applied = await asyncio.to_thread(
        apply_group_block, path, pattern, [f.examined.host_arg for f in needing], list(changes),
        comment="sshdoctor fix for a group of hosts", dry_run=dry_run,
    )
    for fix in needing:
        host, port = fix.examined.host_arg, fix.examined.explicit_port
        if dry_run:
            # Not written: the file as it would be, in a private copy.
            run = await asyncio.to_thread(check_in_place, group.applied, path, host, port, client, timeout)
        else:
            _missing, run = await asyncio.to_thread(recheck, path, host, port, changes, timeout, client)
        if run is None:
            continue
        group.checks[host] = run
        worse = downgrades(fix, run)
        if worse:
            group.downgrades[host] = worse
    return group


def downgrades(fix: FixReport, run: SshRun) -> list[str]:
    """Where the group block makes a host negotiate something weaker than its own best fix would."""
    out: list[str] = []
    for change in fix.changes:
        category = Category.from_directive(change.directive)
        if category is None or not change.add:
            continue
        own = change.add[0]
        for slot in category.slots:
            got = run.chosen.get(slot.value)
            if got and got != own and strength_key(category, got) > strength_key(category, own):
                out.append(f"{slot.value}: {got} where its own fix gives {own}")
    return out
