"""What a scan concludes about one host: the probe document, the audit
summary, the fix the local client needs, and how named client profiles
would fare. Pure functions over values; results are cached per distinct
offer, since fleets repeat the same few offers many times over."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sshdoctor.catalog import Rating, algorithm, is_pseudo
from sshdoctor.catalog.profiles import Profile, get_profile
from sshdoctor.fleet.targets import TargetSpec
from sshdoctor.model import Banner, Category, Change, ClientModel, HostReport, Outcome, Proposal, Slot, Target
from sshdoctor.negotiate import negotiate
from sshdoctor.remedy.plan import ClientPlan, plan_client_fix, server_verifies_sha1_only
from sshdoctor.remedy.risk import risk_of

STATUSES = ("ok", "fails", "unpredicted", "unreachable", "invalid")


@dataclass(frozen=True, slots=True)
class FixNeeded:
    """The client change a host needs (empty when it negotiates already)."""

    needed: bool
    works: bool
    changes: tuple[Change, ...] = ()
    unfixable: tuple[Category, ...] = ()

    def as_dict(self) -> dict[str, object]:
        options: list[str] = []
        for change in self.changes:
            options += ["-o", f"{change.directive}={change.option_value()}"]
        return {
            "needed": self.needed,
            "works": self.works,
            "changes": [c.as_dict() for c in self.changes],
            "ssh_options": options,
            "unfixable": [c.value for c in self.unfixable],
            "risks": self.risks(),
        }

    def risks(self) -> list[str]:
        """What each added algorithm costs, one sentence each."""
        return [risk_of(_category(c.directive), name) for c in self.changes for name in c.add]


def _category(directive: str) -> Category:
    return Category.from_directive(directive) or Category.HOSTKEY


@dataclass(frozen=True, slots=True)
class HostResult:
    """One host of a scan, as every report renders it."""

    spec: TargetSpec
    report: HostReport
    fix: FixNeeded | None = None
    audit: dict[str, object] | None = None
    profiles: dict[str, Outcome] = field(default_factory=dict)
    attempts: int = 1
    elapsed: float = 0.0
    source: str = "probe"
    diff: dict[str, object] | None = None

    @property
    def status(self) -> str:
        """``ok``, ``fails`` (the local ssh cannot negotiate), ``unpredicted``
        (no local ssh), ``unreachable`` or ``invalid`` (not a target)."""
        if self.report.error_kind == "invalid-target":
            return "invalid"
        if self.report.offer is None:
            return "unreachable"
        if self.report.outcome is None:
            return "unpredicted"
        return "ok" if self.report.outcome.ok else "fails"

    @property
    def name(self) -> str:
        """The name a person knows the host by (alias, inventory name or host)."""
        return self.spec.label or self.report.target.alias or self.spec.host

    @property
    def config_name(self) -> str:
        """The name a ``Host`` line must match for ssh to apply a fix (what is typed)."""
        return self.spec.host

    def as_dict(self) -> dict[str, object]:
        """The contract's probe document, ``error`` included, plus the scan's fields."""
        return {key: make() for key, _shared, make in self.parts()}

    def parts(self) -> list[tuple[str, object, Callable[[], object]]]:
        """The document's fields in order, as :meth:`HostReport.parts` gives them; the audit, the
        fix and each profile's outcome are shared between hosts with the same offer."""
        parts = self.report.parts()
        audit, fix, profiles = self.audit, self.fix, self.profiles
        parts += [
            ("status", None, lambda: self.status),
            ("name", None, lambda: self.name),
            ("source", None, lambda: self.source),
            ("audit", audit, lambda: audit),
            ("fix", fix, fix.as_dict if fix is not None else lambda: None),
            ("profiles", profiles or None,
             lambda: {pid: o.as_dict() for pid, o in profiles.items()}),
            ("attempts", None, lambda: self.attempts),
            ("elapsed_ms", None, lambda: round(self.elapsed * 1000, 1)),
        ]
        if self.diff is not None:
            diff = self.diff
            parts.append(("diff", None, lambda: diff))
        return parts


def resolve_profiles(names: Sequence[str]) -> list[Profile]:
    """Client profiles by name; ValueError naming the unknown ones."""
    found: list[Profile] = []
    unknown: list[str] = []
    for name in names:
        profile = get_profile(name)
        if profile is None or profile.client is None:
            unknown.append(name)
        elif profile not in found:
            found.append(profile)
    if unknown:
        raise ValueError(f"unknown client profile(s): {', '.join(unknown)} (see `sshdoctor compat --list` or the catalog)")
    return found


@lru_cache(maxsize=4096)
def _profile_outcome(profile_id: str, offer: Proposal) -> Outcome:
    profile = get_profile(profile_id)
    assert profile is not None and profile.client is not None
    return negotiate(profile.client.proposal(), offer, client_label=profile.label)


def profile_outcomes(profiles: Sequence[Profile], offer: Proposal) -> dict[str, Outcome]:
    """How each client profile would negotiate with this offer (one mapping per distinct offer: do not modify)."""
    if not profiles:
        return {}
    return _profile_outcomes(tuple(p.id for p in profiles), offer)


@lru_cache(maxsize=2048)
def _profile_outcomes(profile_ids: tuple[str, ...], offer: Proposal) -> dict[str, Outcome]:
    return {pid: _profile_outcome(pid, offer) for pid in profile_ids}


@lru_cache(maxsize=2048)
def audit_summary(banner_raw: str | None, offer: Proposal) -> dict[str, object]:
    """The audit of the offer: grade, Terrapin and the fail/warn findings.

    Host keys are not fetched by a scan (that takes a full key exchange),
    so the grade rests on the offered algorithms alone.
    """
    try:
        from sshdoctor.audit.server import audit_server, finding_dict
    except ImportError:  # pragma: no cover - the audit package ships with sshdoctor
        return ratings_summary(offer)
    banner = Banner.parse(banner_raw) if banner_raw and banner_raw.startswith("SSH-") else Banner.parse("SSH-2.0-unknown")
    audit = audit_server(Target("scan"), banner, offer)
    flagged = audit.flagged()
    return {
        "grade": audit.grade.letter,
        "grade_reasons": list(audit.grade.reasons),
        "terrapin": audit.terrapin.as_dict(),
        "fail": sum(1 for f in flagged if f.severity == "fail"),
        "warn": sum(1 for f in flagged if f.severity == "warn"),
        "findings": [finding_dict(f) for f in flagged],
        "host_keys_checked": False,
    }


def ratings_summary(offer: Proposal) -> dict[str, object]:
    """Catalog ratings of every offered algorithm (counts and the weak or broken ones)."""
    counts = {r.value: 0 for r in Rating}
    flagged: list[dict[str, object]] = []
    for category in Category:
        names: list[str] = []
        for slot, values in offer.offer_dict().items():
            if slot.split("_")[0] == category.value:
                names += [n for n in values if n not in names and not is_pseudo(n)]
        for name in names:
            algo = algorithm(category, name)
            counts[algo.rating.value] += 1
            if algo.rating in (Rating.WEAK, Rating.BROKEN):
                flagged.append({"category": category.value, "algorithm": name, "rating": algo.rating.value,
                                "reason": algo.reason})
    return {"ratings": counts, "findings": flagged}


def plan_fix(offer: Proposal, model: ClientModel, software: tuple[str, str | None] = ("unknown", None)) -> FixNeeded:
    """The narrowest ``+algorithm`` changes for the local client (as ``fix`` plans them; without a connection
    of its own a scan can only tell a pre-RFC 8332 server from its offer and banner)."""
    plan: ClientPlan = plan_client_fix(offer, model)
    changes = list(plan.changes)
    if (plan.works and plan.needed and plan.after.picks.get(Slot.HOSTKEY) == "ssh-rsa"
            and server_verifies_sha1_only(offer, None, software)):
        changes.append(Change(directive="PubkeyAcceptedAlgorithms", add=("ssh-rsa",)))
    return FixNeeded(needed=plan.needed, works=plan.works, changes=tuple(changes), unfixable=plan.unfixable)


@dataclass(frozen=True, slots=True)
class Observed:
    """A host another scanner already saw (nmap, ssh-audit, zgrab2): what it
    recorded, to be analysed like a probe of our own."""

    spec: TargetSpec
    banner: Banner | None
    offer: Proposal | None
    source: str
    address: str | None = None
    error: str | None = None


def invalid_result(spec: TargetSpec) -> HostResult:
    """A line of a target list that is not a target."""
    report = HostReport(target=Target(spec.host, spec.port or 22), error=spec.error, error_kind="invalid-target",
                        exit_code=2)
    return HostResult(spec=spec, report=report, attempts=0)
