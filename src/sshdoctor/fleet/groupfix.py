"""One ``Host`` block for a group of hosts (``fix --hosts FILE --pattern 'legacy-*'``), and each host re-checked."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

from sshdoctor.host.applyfix import recheck
from sshdoctor.host.examine import ClientSpec
from sshdoctor.host.fix import FixReport, fix_host
from sshdoctor.local.sshconfig import ApplyResult, apply_group_block
from sshdoctor.local.verify import SshRun
from sshdoctor.model import Change


@dataclass
class GroupFix:
    """One block for a group of hosts, and the per-host results."""

    fixes: list[FixReport]
    pattern: str | None
    changes: tuple[Change, ...]
    applied: ApplyResult | None = None
    checks: dict[str, SshRun] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "pattern": self.pattern,
            "hosts": [f.examined.host_arg for f in self.fixes],
            "changes": [c.as_dict() for c in self.changes],
            "applied": self.applied.as_dict() if self.applied else None,
            "verified": {host: run.ok for host, run in self.checks.items()},
            "per_host": [f.as_dict() for f in self.fixes],
        }


def merge_changes(fixes: Sequence[FixReport]) -> tuple[Change, ...]:
    """The union of every host's additions, one Change per directive, in a stable order."""
    merged: dict[str, list[str]] = {}
    for fix in fixes:
        for change in fix.changes:
            names = merged.setdefault(change.directive, [])
            names += [n for n in change.add if n not in names]
    return tuple(Change(directive=d, add=tuple(n)) for d, n in merged.items())


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
    if not dry_run:
        for fix in needing:
            _missing, run = await asyncio.to_thread(
                recheck, path, fix.examined.host_arg, fix.examined.explicit_port, changes, timeout, client
            )
            group.checks[fix.examined.host_arg] = run
    return group
