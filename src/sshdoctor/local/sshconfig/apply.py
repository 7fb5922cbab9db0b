"""Write a host-scoped fix into an ssh_config file, safely, and check it with ssh -G.

``apply_host_block`` and ``apply_group_block`` read the file and what it
includes, refuse anything that does not parse, work out where the block
must go (``placement``), re-read the result to prove the directives now
come from the new lines, and only then write it (``atomic``). With
``dry_run`` they return the unified diff and write nothing. A second call
with the same arguments changes nothing.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sshdoctor.local.effective import Effective, effective
from sshdoctor.local.paths import expand_user, user_config
from sshdoctor.local.sshconfig.atomic import replace_file
from sshdoctor.local.sshconfig.document import encode, parse_text
from sshdoctor.local.sshconfig.keywords import ALGORITHM_DIRECTIVES, canonical_key
from sshdoctor.local.sshconfig.loader import ConfigTree, build_tree, default_include_base, load_tree
from sshdoctor.local.sshconfig.matching import HostQuery
from sshdoctor.local.sshconfig.merge import ListContext
from sshdoctor.local.sshconfig.placement import EditPlan, plan_block, verify
from sshdoctor.model import Change
from sshdoctor.negotiate.listmod import match_pattern


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply did (or, with ``dry_run``, would do).

    ``action``: ``unchanged``, ``merged``, ``inserted``, ``appended`` or
    ``created``. ``block_line`` is the 1-based line of the block's ``Host``
    header in the new file; ``backup`` the copy of the previous file.
    """

    path: Path
    changed: bool
    written: bool
    action: str
    diff: str
    block_line: int
    backup: Path | None = None
    notes: tuple[str, ...] = field(default=())
    # The whole file as it is (or would be) after the edit, and the lines the edit adds.
    new_text: str = field(default="", compare=False, repr=False)
    added: tuple[str, ...] = field(default=(), compare=False)
    # 1-based line of the file before the edit in front of which the added lines go (0: at the end).
    before_line: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "changed": self.changed,
            "written": self.written,
            "action": self.action,
            "block_line": self.block_line,
            "backup": str(self.backup) if self.backup else None,
            "diff": self.diff,
            "notes": list(self.notes),
        }


# What may be written into the file unquoted: a host pattern or name, an
# algorithm name. Anything else (blanks, quotes, '#', control characters)
# could change the meaning of the line or start a new one.
_WORD = re.compile(r"[A-Za-z0-9@%._:+*?!\[\]-]+\Z")
_ALGORITHM = re.compile(r"[A-Za-z0-9@._+-]+\Z")


def _check(kind: str, value: str, pattern: re.Pattern[str] = _WORD) -> None:
    if not pattern.match(value):
        raise ValueError(f"{kind} {value!r} cannot be written into an ssh_config file")


def _check_inputs(patterns: Sequence[str], directives: Sequence[Change], hostname: str | None, port: int | None) -> None:
    for pattern in patterns:
        _check("host pattern", pattern)
    for change in directives:
        for name in (*change.add, *change.remove):
            _check("algorithm name", name, _ALGORITHM)
    if hostname is not None:
        _check("host name", hostname)
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range")


def default_config_path() -> Path:
    """The user's ssh_config: ~/.ssh/config."""
    return user_config()


@cache
def _local_lists() -> ListContext:
    # Only needed to rewrite a "-" or "^" value; ssh is run at most twice.
    from sshdoctor.local.sshbin import supported

    eff = effective("sshdoctor.invalid", config_file="/dev/null")
    defaults: dict[str, tuple[str, ...]] = {}
    sup: dict[str, tuple[str, ...]] = {}
    for key, (_, category) in ALGORITHM_DIRECTIVES.items():
        canon = canonical_key(key)
        value = eff.get(canon) or ""
        defaults[canon] = tuple(n for n in value.split(",") if n)
        sup[canon] = supported(category)
    return ListContext(defaults=defaults, supported=sup)


def _lists_if_needed(tree: ConfigTree, changes: Sequence[Change]) -> ListContext | None:
    keys = {canonical_key(c.directive) for c in changes}
    for entry in tree.entries:
        if canonical_key(entry.directive.key) in keys and any(v.startswith(("-", "^")) for v in entry.directive.values):
            return _local_lists()
    return None


def _diff(path: Path, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=str(path),
            tofile=f"{path} (sshdoctor)",
        )
    )


def _include_patterns(tree: ConfigTree, user_config: bool) -> list[str]:
    base = default_include_base("ssh", user_config)
    out: list[str] = []
    for entry in tree.entries:
        if entry.directive.key == "include":
            for arg in entry.directive.values:
                full = arg if os.path.isabs(arg) or arg.startswith("~") else os.path.join(base, arg)
                out.append(expand_user(full))
    return out


def _apply(
    path: str | Path | None,
    patterns: Sequence[str],
    targets: Sequence[HostQuery],
    directives: Sequence[Change],
    *,
    hostname: str | None,
    port: int | None,
    comment: str | None,
    dry_run: bool,
    user_config: bool | None,
    include_base: str | None,
) -> ApplyResult:
    _check_inputs(patterns, directives, hostname, port)
    target = Path(expand_user(str(path))) if path is not None else default_config_path()
    if user_config is None:
        # Files under /etc are system files: relative Includes point into /etc/ssh.
        user_config = not str(target.absolute()).startswith("/etc/")
    tree = load_tree(target, flavour="ssh", user_config=user_config, include_base=include_base, missing_ok=True)
    old_text = tree.main.text()
    existed = target.exists()
    plan: EditPlan = plan_block(
        tree,
        patterns,
        targets,
        directives,
        hostname=hostname,
        port=port,
        comment=comment,
        lists=_lists_if_needed(tree, directives),
    )
    if plan.action == "unchanged":
        return ApplyResult(target, False, False, "unchanged", "", plan.block_start + 1, notes=plan.notes,
                           new_text=old_text)
    # Prove on the re-read result that the block now decides each directive.
    after = build_tree(
        parse_text(plan.text, path=tree.main.path, flavour="ssh"), user_config=user_config, include_base=include_base
    )
    verify(after, targets, directives, (plan.block_start, plan.block_end))
    diff = _diff(target, old_text, plan.text)
    added, before = _added_lines(old_text, plan.text)
    if dry_run:
        return ApplyResult(target, True, False, plan.action, diff, plan.block_start + 1, notes=plan.notes,
                           new_text=plan.text, added=added, before_line=before)
    written = replace_file(
        target,
        encode(plan.text),
        expected=tree.main.data() if existed else None,
        avoid_patterns=_include_patterns(tree, user_config),
    )
    return ApplyResult(target, True, True, plan.action, diff, plan.block_start + 1, written.backup, plan.notes,
                       new_text=plan.text, added=added, before_line=before)


def _added_lines(old: str, new: str) -> tuple[tuple[str, ...], int]:
    """The lines the edit adds, in order, and the 1-based line of the old file they go in front of (0: the end)."""
    old_lines = old.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new.splitlines(), autojunk=False)
    out: list[str] = []
    before = -1
    for tag, i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            out += new.splitlines()[j1:j2]
            if before < 0:
                before = i1 + 1 if i1 < len(old_lines) else 0
    return tuple(out), max(before, 0)


def apply_host_block(
    path: str | Path | None,
    pattern: str,
    directives: Sequence[Change],
    *,
    hostname: str | None = None,
    port: int | None = None,
    comment: str | None = None,
    dry_run: bool = False,
    user_config: bool | None = None,
    include_base: str | None = None,
) -> ApplyResult:
    """Scope ``directives`` (``Change`` with ``add`` names) to ``Host pattern`` in
    ``path`` (None: ~/.ssh/config).

    ``hostname``/``port`` are written as HostName/Port when the alias differs
    and nothing else sets them. ``user_config`` (default: true unless the
    file is under /etc) decides where relative Includes point;
    ``include_base`` overrides that directory. Raises ConfigParseError (file does not
    parse), PlacementConflict (an earlier line must change instead) or
    ConfigWriteError; the file is untouched in every case.
    """
    query = HostQuery(alias=pattern, hostname=hostname)
    return _apply(
        path,
        [pattern],
        [query],
        directives,
        hostname=hostname,
        port=port,
        comment=comment,
        dry_run=dry_run,
        user_config=user_config,
        include_base=include_base,
    )


def apply_group_block(
    path: str | Path | None,
    pattern: str | None,
    hosts: Sequence[str],
    directives: Sequence[Change],
    *,
    comment: str | None = None,
    dry_run: bool = False,
    user_config: bool | None = None,
    include_base: str | None = None,
) -> ApplyResult:
    """One block for several hosts that need the same change: ``Host pattern``
    (every host must match it) or, with ``pattern`` None, ``Host a b c``."""
    names = list(dict.fromkeys(hosts))
    if not names:
        raise ValueError("no hosts given")
    if pattern is not None:
        strays = [h for h in names if not match_pattern(h, pattern)]
        if strays:
            raise ValueError(f"pattern {pattern!r} does not match {', '.join(strays)}")
        patterns = [pattern]
    else:
        patterns = names
    return _apply(
        path,
        patterns,
        [HostQuery(alias=h) for h in names],
        directives,
        hostname=None,
        port=None,
        comment=comment,
        dry_run=dry_run,
        user_config=user_config,
        include_base=include_base,
    )


def effective_after(path: str | Path | None, host: str, *, port: int | None = None) -> Effective:
    """``ssh -G`` for the host with the edited file (``-F path``; None: the
    default configuration files, as a plain ``ssh host`` reads them)."""
    return effective(host, port=port, config_file=str(path) if path is not None else None)


def missing_after(eff: Effective, changes: Sequence[Change]) -> dict[str, list[str]]:
    """The added names that ``ssh -G`` does not show in effect, per directive
    (empty when the fix is in effect)."""
    missing: dict[str, list[str]] = {}
    for change in changes:
        # ssh -G prints each list under the lowercased current directive name.
        key = canonical_key(change.directive)
        listed = set((eff.get(key) or "").split(","))
        absent = [n for n in change.add if n not in listed]
        if absent:
            missing[change.directive] = absent
    return missing


__all__ = [
    "ApplyResult",
    "apply_group_block",
    "apply_host_block",
    "default_config_path",
    "effective_after",
    "missing_after",
]
