"""``fix`` for one host: probe, plan the narrowest change, prove it with the real ssh.

Two proofs, each for what it covers: the one-off command (the user's own
ssh command with the ``-o`` options) is run as printed; the ``Host`` block is
placed in a copy of the user's real configuration file exactly where
``--apply`` would write it, and the real ssh runs with that copy. Only what
ran is called verified.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sshdoctor.catalog.software import Software, identify
from sshdoctor.host.examine import DEFAULT_CLIENT, ClientSpec, Examined, examine_resolved
from sshdoctor.host.inplace import check_in_place
from sshdoctor.local.capture import capture_proposal
from sshdoctor.local.clientmodel import client_model
from sshdoctor.local.errors import LocalError
from sshdoctor.local.keys import has_rsa_key
from sshdoctor.local.paths import user_config
from sshdoctor.local.verify import SshRun, run_ssh_check
from sshdoctor.model import Action, Category, Change, ClientModel, HostReport, Outcome, actions_json
from sshdoctor.model.invocation import Invocation
from sshdoctor.negotiate import negotiate
from sshdoctor.remedy.actions import host_block, one_off
from sshdoctor.remedy.alternatives import alternatives
from sshdoctor.remedy.plan import ClientPlan, plan_client_fix, server_verifies_sha1_only
from sshdoctor.remedy.render import library_snippets, one_off_commands, ssh_config_block
from sshdoctor.remedy.risk import change_risks
from sshdoctor.remedy.serverside import server_side_actions


@dataclass(frozen=True, slots=True)
class FixReport:
    """Everything ``fix`` found and proposes for one host."""

    examined: Examined
    plan: ClientPlan | None = None
    changes: tuple[Change, ...] = ()
    option_changes: tuple[Change, ...] = ()
    predicted: Outcome | None = None
    run: SshRun | None = None
    server_side: tuple[Action, ...] = ()
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    invocation: Invocation | None = None
    config_path: str = "~/.ssh/config"
    placement: object | None = None
    block_run: SshRun | None = None

    @property
    def report(self) -> HostReport:
        return self.examined.report

    @property
    def verified(self) -> bool:
        """The real ssh ran with the fix's options and completed key exchange."""
        return self.run is not None and self.run.ok

    @property
    def block_verified(self) -> bool:
        """The real ssh, given the config file as it would be after the change, completed key exchange."""
        return self.block_run is not None and self.block_run.ok

    @property
    def pattern(self) -> str:
        return self.examined.host_arg

    def ssh_options(self) -> list[str]:
        args: list[str] = []
        for change in self.option_changes:
            args += ["-o", f"{change.directive}={change.option_value()}"]
        return args

    def ssh_config(self) -> str:
        if not self.changes:
            return ""
        target = self.report.target
        return ssh_config_block(self.pattern, self.changes, comment=f"added by sshdoctor fix for {target.display()}")

    def risks(self) -> list[str]:
        return change_risks(self.changes)

    def actions(self) -> list[Action]:
        """What the user can do, best first: the Host block, the one-off commands, the server's change."""
        out: list[Action] = []
        if self.changes and self.plan is not None and self.plan.works:
            risk = " ".join(self.risks())
            out.append(self._block_action(risk))
            if self.invocation is not None:
                proof = ("the real ssh ran with these options and completed key exchange, reaching authentication"
                         if self.verified else None)
                out += one_off(self.option_changes, self.invocation, verified=proof, risk=risk)
        out += self.server_side
        return out

    def _block_action(self, risk: str) -> Action:
        from sshdoctor.local.sshconfig import ApplyResult

        res = self.placement if isinstance(self.placement, ApplyResult) else None
        target = self.report.target
        verified = (f"the real ssh, with {self.config_path} as it would be after this change, completed key exchange"
                    if self.block_verified else None)
        if res is None or not res.added:
            return host_block(self.pattern, self.changes, comment=f"added by sshdoctor fix for {target.display()}",
                              file=self.config_path, risk=risk, verified=verified)
        before = f"before line {res.before_line}" if res.before_line else "at the end"
        where = {
            "merged": f"{before}, inside the Host block that already matches {self.pattern}",
            "inserted": f"{before}, ahead of the first block that also matches {self.pattern} (ssh takes the "
                        "first value it reads)",
            "appended": "at the end of the file",
            "created": "a new file",
        }.get(res.action, res.action)
        text = "\n".join(res.added).strip("\n") + "\n"
        return Action(kind=host_block(self.pattern, self.changes).kind, title=f"for {self.pattern} only, in "
                      f"{self.config_path}", text=text, file=self.config_path, placement=where, risk=risk,
                      verified=verified, notes=res.notes)

    def as_dict(self) -> dict[str, object]:
        """The contract's ``fix`` document (plus additive fields)."""
        target = self.report.target
        doc: dict[str, object] = {
            "target": target.as_dict(),
            "verified": self.verified,
            "block_verified": self.block_verified,
            "changes": [c.as_dict() for c in self.changes],
            "ssh_options": self.ssh_options(),
            "ssh_config": self.ssh_config(),
            "risks": self.risks(),
            "needed": bool(self.plan and self.plan.needed),
            "banner": self.report.banner.raw if self.report.banner else None,
            "error": self.error or self.report.error,
        }
        if self.plan is not None:
            doc["before"] = self.plan.before.as_dict()
            doc["unfixable"] = [c.value for c in self.plan.unfixable]
        if self.predicted is not None:
            doc["predicted"] = self.predicted.as_dict()
        if self.run is not None:
            doc["verification"] = _run_dict(self.run)
        if self.block_run is not None:
            doc["block_verification"] = _run_dict(self.block_run)
        if self.changes:
            doc["one_off"] = one_off_commands(self.option_changes, target.alias or target.host, target.port)
            doc["libraries"] = library_snippets(self.changes, target.host, target.port)
        doc["server_side"] = [a.as_dict() for a in self.server_side]
        doc["alternatives"] = self.alternatives
        doc["actions"] = actions_json(self.actions())
        return doc


def _run_dict(run: SshRun) -> dict[str, object]:
    return {
        "command": run.command,
        "kex_completed": run.kex_done,
        "reached_auth": run.reached_auth,
        "auth_methods": list(run.auth_methods),
        "chosen": run.chosen,
        "last_error": run.last_error,
    }


def _option_changes(changes: tuple[Change, ...], client: ClientModel) -> tuple[Change, ...]:
    """Command-line form: ``+x`` is relative to the compiled defaults, so where
    the user's config already changed a list, spell the whole list out."""
    out = []
    for change in changes:
        category = Category.from_directive(change.directive)
        if category is None or client.effective.get(category) == client.defaults.get(category):
            out.append(change)
            continue
        full = list(client.effective[category]) + [n for n in change.add if n not in client.effective[category]]
        out.append(Change(directive=change.directive, add=change.add, explicit=tuple(full)))
    return tuple(out)


def invocation_for(spec: str, examined: Examined, client: ClientSpec) -> Invocation:
    """The user's own ssh command for the host: the name and ``user@`` as typed, their -p, -F and -o."""
    text = spec[6:] if spec.startswith("ssh://") else spec
    user = text.rsplit("@", 1)[0] if "@" in text else None
    return Invocation(destination=examined.host_arg, user=user, port=examined.explicit_port,
                      config_file=client.config_file, options=tuple(client.options))


def _place(path: str | None, pattern: str, changes: tuple[Change, ...], comment: str) -> object | None:
    """Where --apply would put the block (a dry run on the real file), or None when it cannot be placed."""
    from sshdoctor.local.sshconfig import apply_host_block

    try:
        return apply_host_block(path, pattern, list(changes), comment=comment, dry_run=True)
    except (LocalError, ValueError):
        return None


async def fix_host(
    spec: str,
    *,
    port: int | None = None,
    timeout: float = 5.0,
    client: ClientSpec = DEFAULT_CLIENT,
    offer_keys: bool = False,
    verify: bool = True,
) -> FixReport:
    """Probe ``spec``, plan the minimal client change, check it with the real ssh."""
    examined = await examine_resolved(spec, port=port, timeout=timeout, client=client)
    report = examined.report
    if report.offer is None or report.client_proposal is None or examined.effective is None:
        return FixReport(examined=examined, error=report.error)
    model = client_model(examined.effective, report.client_proposal)
    plan = plan_client_fix(report.offer, model)
    changes = list(plan.changes)
    software = identify(report.banner) if report.banner else Software("unknown", "unknown")
    invocation = invocation_for(spec, examined, client)
    config_path = client.config_file or str(user_config())
    server_side = tuple(server_side_actions(software, report.offer, plan.before.failures, model.defaults,
                                            banner=report.banner)) if plan.needed else ()
    alts = {c.value: alternatives(c, _offer_for(report, c)) for c in plan.unfixable}
    predicted = None
    run = None
    if plan.needed and plan.works and report.banner is not None:
        options = _flatten(_option_changes(tuple(changes), model))
        try:
            _ident, proposal = await capture_proposal(
                examined.host_arg, report.banner.raw, port=examined.explicit_port, config_file=client.config_file,
                options=[*client.options, *options], timeout=timeout)
            predicted = negotiate(proposal, report.offer, client_label=model.label)
        except LocalError:
            predicted = None
    if verify and plan.works:
        run = await _verify(examined, client, _option_changes(tuple(changes), model), offer_keys, timeout)
        # An RSA key signs with SHA-1 only for a server that verifies nothing better (no rsa-sha2 in its
        # server-sig-algs): only then, and only for a user who has an RSA key, is PubkeyAcceptedAlgorithms needed.
        accepted = (examined.effective.get("pubkeyacceptedalgorithms") or "").split(",")
        if (run is not None and run.ok and "ssh-rsa" not in accepted
                and server_verifies_sha1_only(report.offer, run.server_sig_algs, (software.product, software.version))
                and has_rsa_key(examined.effective)):
            changes.append(Change(directive="PubkeyAcceptedAlgorithms", add=("ssh-rsa",)))
    changes_t = tuple(changes)
    option_changes = _option_changes(changes_t, model)
    if run is not None and option_changes != _option_changes(tuple(plan.changes), model):
        run = await _verify(examined, client, option_changes, offer_keys, timeout)
    placement = None
    block_run = None
    if changes_t and plan.works:
        comment = f"added by sshdoctor fix for {report.target.display()}"
        placement = await asyncio.to_thread(_place, client.config_file, examined.host_arg, changes_t, comment)
        if verify:
            block_run = await asyncio.to_thread(check_in_place, placement, client.config_file, examined.host_arg,
                                                examined.explicit_port, client, timeout)
    return FixReport(
        examined=examined, plan=plan, changes=changes_t, option_changes=option_changes, predicted=predicted, run=run,
        server_side=server_side, alternatives=alts, invocation=invocation, config_path=config_path,
        placement=placement, block_run=block_run,
    )


async def _verify(examined: Examined, client: ClientSpec, option_changes: tuple[Change, ...], offer_keys: bool,
                  timeout: float) -> SshRun:
    return await asyncio.to_thread(
        run_ssh_check, examined.host_arg, port=examined.explicit_port,
        extra_options=[*client.options, *_flatten(option_changes)], config_file=client.config_file,
        eff=examined.effective, offer_keys=offer_keys, timeout=max(timeout, 5.0))


def _flatten(changes: tuple[Change, ...]) -> list[str]:
    return [f"{c.directive}={c.option_value()}" for c in changes]


def _offer_for(report: HostReport, category: Category) -> list[str]:
    assert report.offer is not None
    names: list[str] = []
    for slot_name, values in report.offer.offer_dict().items():
        if slot_name.split("_")[0] == category.value:
            names += [n for n in values if n not in names]
    return names
