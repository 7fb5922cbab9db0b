"""``fix`` for one host: probe, plan the narrowest change, prove it with the real ssh."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sshdoctor.catalog.software import Software, identify
from sshdoctor.host.examine import DEFAULT_CLIENT, ClientSpec, Examined, examine_resolved
from sshdoctor.local.capture import capture_proposal
from sshdoctor.local.clientmodel import client_model
from sshdoctor.local.errors import LocalError
from sshdoctor.local.verify import SshRun, run_ssh_check
from sshdoctor.model import Category, Change, ClientModel, HostReport, Outcome
from sshdoctor.negotiate import negotiate
from sshdoctor.remedy.alternatives import alternatives
from sshdoctor.remedy.plan import ClientPlan, needs_pubkey_sha1, plan_client_fix
from sshdoctor.remedy.render import library_snippets, one_off_commands, ssh_config_block
from sshdoctor.remedy.risk import risk_of
from sshdoctor.remedy.serverside import server_side_advice


@dataclass(frozen=True, slots=True)
class FixReport:
    """Everything ``fix`` found and proposes for one host."""

    examined: Examined
    plan: ClientPlan | None = None
    changes: tuple[Change, ...] = ()
    option_changes: tuple[Change, ...] = ()
    predicted: Outcome | None = None
    run: SshRun | None = None
    server_side: tuple[str, ...] = ()
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    @property
    def report(self) -> HostReport:
        return self.examined.report

    @property
    def verified(self) -> bool:
        return self.run is not None and self.run.ok

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
        out = []
        for change in self.changes:
            category = Category.from_directive(change.directive) or Category.HOSTKEY
            out += [risk_of(category, name) for name in change.add]
        return out

    def as_dict(self) -> dict[str, object]:
        """The contract's ``fix`` document (plus additive fields)."""
        target = self.report.target
        doc: dict[str, object] = {
            "target": target.as_dict(),
            "verified": self.verified,
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
            doc["verification"] = {
                "command": self.run.command,
                "kex_completed": self.run.kex_done,
                "reached_auth": self.run.reached_auth,
                "auth_methods": list(self.run.auth_methods),
                "chosen": self.run.chosen,
                "last_error": self.run.last_error,
            }
        if self.changes:
            doc["one_off"] = one_off_commands(self.option_changes, target.alias or target.host, target.port)
            doc["libraries"] = library_snippets(self.changes, target.host, target.port)
        doc["server_side"] = list(self.server_side)
        doc["alternatives"] = self.alternatives
        return doc


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
    accepted = (examined.effective.get("pubkeyacceptedalgorithms") or "").split(",")
    if (plan.works and "ssh-rsa" not in accepted
            and needs_pubkey_sha1(report.offer, plan, (software.product, software.version))):
        changes.append(Change(directive="PubkeyAcceptedAlgorithms", add=("ssh-rsa",)))
    changes_t = tuple(changes)
    option_changes = _option_changes(changes_t, model)
    server_side = tuple(server_side_advice(software, plan.before.failures, model.defaults)) if plan.needed else ()
    alts = {
        c.value: alternatives(c, _offer_for(report, c), _device_hint(server_side)) for c in plan.unfixable
    }
    predicted = None
    run = None
    options = _flatten(option_changes)
    if plan.needed and plan.works and report.banner is not None:
        try:
            _ident, proposal = await capture_proposal(
                examined.host_arg,
                report.banner.raw,
                port=examined.explicit_port,
                config_file=client.config_file,
                options=[*client.options, *options],
                timeout=timeout,
            )
            predicted = negotiate(proposal, report.offer, client_label=model.label)
        except LocalError:
            predicted = None
    if verify and plan.works:
        run = await asyncio.to_thread(
            run_ssh_check,
            examined.host_arg,
            port=examined.explicit_port,
            extra_options=[*client.options, *options],
            config_file=client.config_file,
            eff=examined.effective,
            offer_keys=offer_keys,
            timeout=max(timeout, 5.0),
        )
    return FixReport(
        examined=examined,
        plan=plan,
        changes=changes_t,
        option_changes=option_changes,
        predicted=predicted,
        run=run,
        server_side=server_side,
        alternatives=alts,
    )


def _flatten(changes: tuple[Change, ...]) -> list[str]:
    return [f"{c.directive}={c.option_value()}" for c in changes]


def _offer_for(report: HostReport, category: Category) -> list[str]:
    assert report.offer is not None
    names: list[str] = []
    for slot_name, values in report.offer.offer_dict().items():
        if slot_name.split("_")[0] == category.value:
            names += [n for n in values if n not in names]
    return names


def _device_hint(server_side: tuple[str, ...]) -> str | None:
    return next((line for line in server_side if line.startswith(("on the device", "sshd_config"))), None)
