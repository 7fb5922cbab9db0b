"""Writing a verified fix into ssh_config, then proving the file works."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

from sshdoctor.fleet.examine import ClientSpec
from sshdoctor.fleet.fixhost import FixReport, fix_host
from sshdoctor.local.sshconfig import ApplyResult, apply_group_block, apply_host_block, effective_after, missing_after
from sshdoctor.local.verify import SshRun, run_ssh_check
from sshdoctor.model import Change


@dataclass(frozen=True, slots=True)
class Applied:
    """What was written where, whether ``ssh -G`` shows it, and the re-check."""

    result: ApplyResult
    missing: dict[str, list[str]] = field(default_factory=dict)
    run: SshRun | None = None

    @property
    def in_effect(self) -> bool:
        return not self.missing

    @property
    def verified(self) -> bool:
        return self.run is not None and self.run.ok

    def as_dict(self) -> dict[str, object]:
        return {
            **self.result.as_dict(),
            "in_effect": self.in_effect,
            "missing": self.missing,
            "verified_after": self.verified,
            "last_error": self.run.last_error if self.run and not self.run.ok else None,
        }


def _recheck(path: str | None, host: str, port: int | None, changes: Sequence[Change], timeout: float,
             client: ClientSpec) -> tuple[dict[str, list[str]], SshRun]:
    eff = effective_after(path, host, port=port)
    missing = missing_after(eff, changes)
    # Only the file now: no -o options, so the block itself must do the work.
    run = run_ssh_check(host, port=port, config_file=path, eff=eff, extra_options=list(client.options),
                        timeout=max(timeout, 5.0))
    return missing, run


async def apply_fix(fix: FixReport, *, path: str | None, dry_run: bool, client: ClientSpec,
                    timeout: float = 5.0) -> Applied:
    """Write ``fix`` as a Host block for the name the user typed and re-check it."""
    result = await asyncio.to_thread(
        apply_host_block,
        path,
        fix.pattern,
        [c for c in fix.changes],
        comment=f"sshdoctor fix for {fix.report.target.display()}",
        dry_run=dry_run,
    )
    if dry_run:
        return Applied(result=result)
    missing, run = await asyncio.to_thread(
        _recheck, path, fix.examined.host_arg, fix.examined.explicit_port, fix.changes, timeout, client
    )
    return Applied(result=result, missing=missing, run=run)


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
                _recheck, path, fix.examined.host_arg, fix.examined.explicit_port, changes, timeout, client
            )
            group.checks[fix.examined.host_arg] = run
    return group
