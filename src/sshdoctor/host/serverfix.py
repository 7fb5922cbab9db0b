"""``sshdoctor fix --server``: the server-side fix, run on the server itself.

Read and plan (``host.serverplan``): what the real sshd makes of its
configuration, the fewest names to add to its lists so the clients it must
serve get in, a host key when a client can use none of the loaded ones,
every client that connects today still connecting; each change is the full
resulting line, put where it wins (``local.sshconfig.sshdplace``). Apply: prove the
result on a trial sshd (``host.trial``) before anything is replaced, write
atomically with backups, check the written files with ``sshd -t`` and
``sshd -T``, put the originals back if that fails; reload only when asked.

:func:`apply_server_change` is the apply-and-prove path on its own, for
any full sshd_config lines (``audit --harden --apply`` uses it too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sshdoctor.host.serverplan import (
    FixPlan,
    NewHostKey,
    ServerState,
    current_openssh,
    local_client,
    plan_fix,
    profile_clients,
    read_client_offer,
    read_server,
    supported_lists,
)
from sshdoctor.host.trial import Proof, TrialClient, prove
from sshdoctor.local.errors import LocalError
from sshdoctor.local.sshconfig.atomic import WriteResult, replace_file
from sshdoctor.local.sshconfig.document import encode
from sshdoctor.local.sshconfig.loader import ConfigTree, load_tree
from sshdoctor.local.sshconfig.sshdplace import FileEdit, PlacementPlan, ServerLine, place_lines
from sshdoctor.local.sshd import (
    DEFAULT_CONFIG,
    Reload,
    check_config,
    dump,
    keygen_path,
    reload_command,
    run_reload,
)
from sshdoctor.model import Action, ActionKind, Proposal


class Client(Protocol):
    """Anything with a name and a proposal (``TrialClient``, ``audit.harden.KeptClient``)."""

    @property
    def name(self) -> str: ...

    @property
    def proposal(self) -> Proposal: ...


# ---------------------------------------------------------------- applying


@dataclass(frozen=True, slots=True)
class Written:
    path: str
    backup: str | None
    created: bool

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "backup": self.backup, "created": self.created}


@dataclass(frozen=True, slots=True)
class ServerApply:
    """What :func:`apply_server_change` did: the proof, what was written, whether it was undone."""

    placement: PlacementPlan
    proof: Proof | None
    applied: bool
    written: tuple[Written, ...] = ()
    restored: bool = False
    generated_keys: tuple[str, ...] = ()
    error: str | None = None
    reload: Reload | None = None

    def as_dict(self) -> dict[str, object]:
        return {"applied": self.applied, "written": [w.as_dict() for w in self.written], "restored": self.restored,
                "generated_keys": list(self.generated_keys), "error": self.error,
                "proof": self.proof.as_dict() if self.proof else None}


def _include_patterns(tree: ConfigTree) -> list[str]:
    out: list[str] = []
    for entry in tree.entries:
        if entry.directive.key == "include":
            out += [v if os.path.isabs(v) else os.path.join("/etc/ssh", v) for v in entry.directive.values]
    return out


def _generate(keys: Sequence[NewHostKey]) -> list[str]:
    made: list[str] = []
    try:
        for key in keys:
            if not key.generate:
                continue
            if os.path.exists(key.path):
                raise LocalError(f"{key.path} appeared meanwhile; not overwriting it")
            argv = [keygen_path(), *key.argv()[1:]]
            out = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
                                 check=False)
            if out.returncode != 0:
                raise LocalError(f"ssh-keygen failed for {key.path}: {out.stderr.strip()[:200]}")
            made.append(key.path)
    except BaseException:
        _remove(made)
        raise
    return made


def _remove(paths: Iterable[str]) -> None:
    for path in paths:
        for name in (path, path + ".pub"):
            with contextlib.suppress(OSError):
                os.unlink(name)


def _write(edits: Sequence[FileEdit], tree: ConfigTree) -> list[tuple[FileEdit, WriteResult]]:
    """Replace every file atomically; if one fails, put back the ones already replaced."""
    done: list[tuple[FileEdit, WriteResult]] = []
    avoid = _include_patterns(tree)
    try:
        for edit in edits:
            done.append((edit, replace_file(edit.path, encode(edit.text), expected=edit.original,
                                            avoid_patterns=avoid)))
    except BaseException:
        _restore(done)
        raise
    return done


def _restore(done: Sequence[tuple[FileEdit, WriteResult]]) -> None:
    for edit, result in reversed(done):
        with contextlib.suppress(OSError):
            if edit.original is None:
                os.unlink(result.path)
            elif result.backup is not None:
                # The backup is a full copy with the original's mode and owner: renaming it back is atomic.
                os.replace(result.backup, result.path)


def _header(purpose: str) -> tuple[str, ...]:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return (f"Written by sshdoctor on {stamp}: {purpose}",)


async def apply_server_change(
    sshd_config: str | Path,
    lines: Sequence[str | ServerLine],
    *,
    keep: Sequence[Client] = (),
    serve: Sequence[Client] = (),
    new_keys: Sequence[NewHostKey] = (),
    sshd: str | None = None,
    timeout: float = 10.0,
    local_ssh: bool = True,
    reload: bool = False,
    init_root: str | Path = "/",
    purpose: str = "sshd_config change",
) -> ServerApply:
    """Write full sshd_config ``lines`` where they win, only if a trial sshd proves them.

    Each line (``"KexAlgorithms a,b"``) replaces the line that wins today
    in its own file, or goes where sshd reads it first. ``keep`` and
    ``serve`` clients must negotiate with the trial server's real offer;
    with ``local_ssh`` the real local ssh must also reach authentication.
    ``new_keys`` are generated first (and removed again if the change is
    refused). Nothing is replaced before the proof; after writing, ``sshd
    -t`` and ``sshd -T`` run on the real files and any difference from
    the proved configuration puts the originals back. ``reload`` then runs
    the init system's reload command. Raises ConfigParseError when a file
    does not parse, LocalError when sshd cannot be run.
    """
    config = str(sshd_config)
    parsed = [line if isinstance(line, ServerLine) else ServerLine.parse(line) for line in lines
              if isinstance(line, ServerLine) or not line.lstrip().startswith("#")]
    tree = load_tree(config, flavour="sshd", user_config=False)
    placement = place_lines(tree, parsed, header=_header(purpose))
    changed = [e for e in placement.edits if e.original is None or encode(e.text) != e.original]
    if not changed and not new_keys:
        # Every line already says what it should: nothing to prove, nothing to write.
        return ServerApply(dataclasses.replace(placement, edits=()), None, True)
    placement = dataclasses.replace(placement, edits=tuple(changed))
    texts = {edit.path: edit.text for edit in placement.edits}
    clients = [c if isinstance(c, TrialClient) else TrialClient(c.name, c.proposal, role)
               for role, group in (("serve", serve), ("keep", keep)) for c in group]
    made = _generate(new_keys)
    try:
        proof = await prove(config, texts, clients, sshd=sshd, timeout=timeout, local_ssh=local_ssh)
        if not proof.ok:
            _remove(made)
            return ServerApply(placement, proof, False, error=proof.message)
        done = _write(placement.edits, tree)
    except BaseException:
        _remove(made)
        raise
    written = tuple(Written(str(r.path), str(r.backup) if r.backup else None, e.original is None) for e, r in done)
    problem = _check_written(config, sshd, proof)
    if problem is not None:
        _restore(done)
        _remove(made)
        return ServerApply(placement, proof, False, written, True, (), problem)
    result = ServerApply(placement, proof, True, written, False, tuple(made))
    if reload:
        command = reload_command(root=init_root, pidfile=dump(config, sshd=sshd).first("pidfile"))
        result = ServerApply(placement, proof, True, written, False, tuple(made), None, run_reload(command))
    return result


def _check_written(config: str, sshd: str | None, proof: Proof) -> str | None:
    """``sshd -t`` and ``sshd -T`` on the files as written: they must say what the proof saw."""
    tested = check_config(config, sshd=sshd)
    if not tested.ok:
        return f"sshd -t rejects the written files ({tested.message}); the originals were put back"
    try:
        now = dump(config, sshd=sshd)
    except LocalError as exc:
        return f"{exc.message}; the originals were put back"
    if proof.effective and dict(now.values) != proof.effective:
        differ = sorted(k for k in set(now.values) | set(proof.effective) if now.values.get(k) != proof.effective.get(k))
        return (f"sshd -T on the written files differs from the proved configuration ({', '.join(differ[:6])}); "
                "the originals were put back")
    return None


# ---------------------------------------------------------------- the fix --server workflow


@dataclass(frozen=True, slots=True)
class ServerFixResult:
    """Everything ``fix --server`` found, planned and did; ``as_dict`` is its JSON document."""

    state: ServerState
    plan: FixPlan
    placement: PlacementPlan
    actions: tuple[Action, ...]
    proof: Proof | None
    applied: bool
    reload: Reload
    outcome: ServerApply | None = None
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        if self.plan.unfixable:
            return 9
        if not self.plan.needed:
            return 0
        if self.outcome is not None:
            return 0 if self.applied else 1
        return 0 if self.proof is not None and self.proof.ok else 1

    def as_dict(self) -> dict[str, object]:
        changes: list[dict[str, object]] = []
        where = {p.line.key: p for p in self.placement.placed}
        for change in self.plan.changes:
            doc = change.as_dict()
            placed = where.get(change.line().key)
            if placed is not None:
                doc.update({"file": placed.path, "op": placed.op, "winning_line": placed.winner})
            changes.append(doc)
        changes += [k.as_dict() for k in self.plan.keys]
        return {
            "sshd_config": self.state.config,
            "effective": self.state.as_dict(),
            "changes": changes,
            "clients": [v.as_dict() for v in self.plan.verdicts],
            "actions": [a.as_dict() for a in self.actions],
            "proof": self.proof.as_dict() if self.proof else None,
            "applied": self.applied,
            "written": [w.as_dict() for w in self.outcome.written] if self.outcome else [],
            "restored": self.outcome.restored if self.outcome else False,
            "error": self.outcome.error if self.outcome else None,
            "reload": self.reload.as_dict(),
            "notes": list(self.notes),
        }


def _placement_words(path: str, op: str, line: int, original_lines: int) -> str:
    if op == "replace":
        return f"replace line {line} of {path}"
    if op == "create":
        return f"new file {path}"
    if line > original_lines:
        return f"at the end of {path}"
    return f"before line {line} of {path}"


def build_actions(state: ServerState, plan: FixPlan, placement: PlacementPlan, reload: Reload,
                  *, verified: str | None = None) -> list[Action]:
    """The plan as Actions, in the order to carry them out: keys, file edits, check, reload."""
    actions: list[Action] = []
    for key in plan.keys:
        if key.generate:
            actions.append(Action.command(key.argv(), f"Generate the {key.key_type} host key sshd lacks",
                                          side="server", risk=None))
    docs = {d.path: d for d in state.tree.documents}
    for edit in placement.edits:
        count = len(docs[edit.path].lines) if edit.path in docs else 0
        for hunk in edit.hunks:
            where = _placement_words(edit.path, hunk.op, hunk.line, count)
            actions.append(Action(ActionKind.SSHD_CONFIG, f"sshd_config: {where}", side="server",
                                  text="\n".join(hunk.new), file=edit.path, placement=where, replaces=hunk.old,
                                  verified=verified, notes=(hunk.why,) if hunk.why else (),
                                  extra={"op": hunk.op, "line": hunk.line}))
    generated = [p for p in placement.placed if p.generated]
    if generated:
        actions.append(Action.command(
            ["update-crypto-policies", "--set", _policy_for(plan)],
            "Or instead of the drop-in: change the system-wide crypto policy (affects every program)",
            side="server", extra={"alternative": True}))
    if actions:
        actions.append(Action.command([state.sshd.binary, "-t", "-f", state.config],
                                      "Check the configuration as sshd reads it", side="server"))
        if reload.argv:
            actions.append(Action.command(reload.argv, f"Reload sshd ({reload.init}); open sessions stay",
                                          side="server", notes=reload.notes))
        else:
            actions.append(Action.note("Reload sshd", *reload.notes, side="server"))
    return actions


def _policy_for(plan: FixPlan) -> str:
    added = [n for c in plan.changes for n in c.add]
    sha1_only = all("sha1" in n or n == "ssh-rsa" for n in added)
    return "DEFAULT:SHA1" if sha1_only else "LEGACY"


async def fix_server(
    sshd_config: str | None = None,
    *,
    sshd: str | None = None,
    for_: Sequence[str] = (),
    keep: Sequence[str] = (),
    client_offer: str | None = None,
    apply: bool = False,
    reload: bool = False,
    timeout: float = 5.0,
    local: bool = True,
    init_root: str | Path = "/",
) -> ServerFixResult:
    """Read, plan, prove and (with ``apply``) write the server-side fix.

    The clients served are the newest OpenSSH release's client and the
    local ssh (``local``), plus ``for_`` profile ids; ``keep`` profile ids
    and the ``client_offer`` log text must go on connecting.
    """
    state = read_server(sshd_config, sshd=sshd)
    clients: list[TrialClient] = []
    clients += profile_clients([current_openssh().id, *for_], "serve")
    if local:
        clients.append(await local_client(state.sshd.identity, timeout=timeout))
    clients += profile_clients(keep, "keep")
    if client_offer:
        clients += read_client_offer(client_offer)
    clients = list({c.name: c for c in clients}.values())
    plan = plan_fix(state, clients, supported_lists(state))
    placement = place_lines(state.tree, plan.lines(), header=_header(placement_purpose(plan)))
    command = reload_command(root=init_root, pidfile=state.dumped.first("pidfile"))
    notes = [*plan.notes, *placement.notes]
    if (match := state.match_note()) is not None:
        notes.append(match)
    if os.path.abspath(state.config) != DEFAULT_CONFIG:
        notes.append(f"the reload makes the running sshd read its own configuration file; that is {state.config} "
                     "only if it was started with -f " + state.config)
    proof: Proof | None = None
    outcome: ServerApply | None = None
    # The proof holds the plan to what it promises: clients that cannot be served by any
    # change are reported (exit 9), not allowed to block the change for the others.
    proved = [v.client for v in plan.verdicts if v.after.ok and (v.client.role == "serve" or v.before.ok
                                                                 or v.client.partial)]
    if plan.needed and apply:
        outcome = await apply_server_change(
            state.config, plan.lines(),
            serve=[c for c in proved if c.role == "serve"], keep=[c for c in proved if c.role != "serve"],
            new_keys=plan.keys, sshd=state.sshd.binary, timeout=timeout, reload=reload, init_root=init_root,
            purpose=placement_purpose(plan))
        proof = outcome.proof
        placement = outcome.placement
    elif plan.needed:
        proof = await prove_plan(state, plan, placement, proved, timeout=timeout)
    verified = "trial sshd: sshd -t, its real offer, every client, the local ssh" if proof and proof.ok else None
    actions = build_actions(state, plan, placement, command, verified=verified)
    ran = outcome.reload if outcome is not None and outcome.reload is not None else command
    return ServerFixResult(state, plan, placement, tuple(actions), proof, bool(outcome and outcome.applied), ran,
                           outcome, tuple(notes))


async def prove_plan(state: ServerState, plan: FixPlan, placement: PlacementPlan, clients: Sequence[TrialClient],
                     *, timeout: float) -> Proof:
    """Prove a plan without writing anything: host keys it would generate are made in a
    private directory and the trial's copies name those instead."""
    texts = {edit.path: edit.text for edit in placement.edits}
    pending = [k for k in plan.keys if k.generate]
    with tempfile.TemporaryDirectory(prefix="sshdoctor-keys-") as tmp:
        for key in pending:
            stand_in = dataclasses.replace(key, path=os.path.join(tmp, os.path.basename(key.path)))
            _generate([stand_in])
            texts = {path: text.replace(f"HostKey {key.path}", f"HostKey {stand_in.path}")
                     for path, text in texts.items()}
        return await prove(state.config, texts, clients, sshd=state.sshd.binary, timeout=timeout)


def placement_purpose(plan: FixPlan) -> str:
    names = sorted({n for c in plan.changes for n in c.clients} | {n for k in plan.keys for n in k.clients})
    return "fix --server for " + ", ".join(names)
