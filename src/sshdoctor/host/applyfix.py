"""Writing a verified fix into ssh_config, then proving the file works."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from sshdoctor.host.examine import ClientSpec
from sshdoctor.host.fix import FixReport
from sshdoctor.local.sshconfig import ApplyResult, apply_host_block, effective_after, missing_after
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


def recheck(path: str | None, host: str, port: int | None, changes: Sequence[Change], timeout: float,
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
        recheck, path, fix.examined.host_arg, fix.examined.explicit_port, fix.changes, timeout, client
    )
    return Applied(result=result, missing=missing, run=run)
