"""A server audit: every offered algorithm judged, Terrapin, host keys, grade, policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sshdoctor.audit.grade import Grade, grade
from sshdoctor.audit.hostkeys import KeyVerdict, judge_keys, key_findings
from sshdoctor.audit.policy import Policy, PolicyResult, evaluate
from sshdoctor.audit.terrapin import TerrapinStatus, assess, terrapin_findings
from sshdoctor.audit.verdicts import algorithm_findings, offered
from sshdoctor.catalog import algorithm
from sshdoctor.catalog.profiles import implementation_profiles, profile_for_software
from sshdoctor.catalog.software import Software, identify
from sshdoctor.model import Banner, Category, Finding, Proposal, Target
from sshdoctor.wire.hostkeys import HostKey

_SEVERITY_ORDER = {"fail": 0, "warn": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Everything ``sshdoctor audit HOST`` concluded about one server."""

    target: Target
    banner: Banner
    software: Software
    offer: Proposal
    findings: tuple[Finding, ...]
    terrapin: TerrapinStatus
    host_keys: tuple[KeyVerdict, ...]
    grade: Grade
    hints: tuple[str, ...] = ()
    policy: PolicyResult | None = None
    address: str | None = None

    def flagged(self) -> list[Finding]:
        """The fail and warn findings, most serious first."""
        bad = [f for f in self.findings if f.severity in ("fail", "warn")]
        return sorted(bad, key=lambda f: _SEVERITY_ORDER[f.severity])

    def as_dict(self) -> dict[str, object]:
        """The contract's ``audit`` document (plus additive fields)."""
        target = self.target.as_dict()
        if self.target.alias:
            target["alias"] = self.target.alias
        return {
            "target": target,
            "banner": self.banner.raw,
            "grade": self.grade.letter,
            "terrapin": self.terrapin.as_dict(),
            "host_keys": [v.as_dict() for v in self.host_keys],
            "findings": [finding_dict(f) for f in self.findings],
            "grade_reasons": list(self.grade.reasons),
            "address": self.address,
            "software": self.software.as_dict(),
            "offer": self.offer.offer_dict(),
            "hints": [{"kind": "version", "text": h} for h in self.hints],
            "policy": self.policy.as_dict() if self.policy else None,
        }


def finding_dict(f: Finding) -> dict[str, object]:
    """An audit finding as the contract spells it: ``cve`` always present."""
    data: dict[str, object] = {
        "severity": f.severity,
        "category": f.category.value if f.category else None,
        "algorithm": f.algorithm,
        "reason": f.reason,
        "cve": f.cve,
        "kind": f.kind,
    }
    data.update(f.extra)
    return data


def post_quantum_findings(proposal: Proposal, side: str = "server") -> list[Finding]:
    """A warn finding when no offered key exchange is a post-quantum hybrid."""
    kex = offered(proposal, Category.KEX)
    if not kex or any(algorithm(Category.KEX, n).post_quantum for n in kex):
        return []
    return [Finding(kind="no-post-quantum-kex", category=Category.KEX, severity="warn", algorithm=None,
                    reason="no post-quantum hybrid key exchange offered: sessions recorded today could be decrypted "
                           "by a future quantum computer (OpenSSH 10.1+ warns on such connections)",
                    extra={"side": side})]


def version_hints(software: Software) -> list[str]:
    """Labelled hints from the version in the banner; never CVE claims."""
    prof = profile_for_software(software.product, software.version)
    if prof is None:
        return []
    newest = max(implementation_profiles(prof.implementation), key=lambda p: p.version_key())
    if newest.version_key() <= prof.version_key():
        return []
    return [
        f"HINT (from the banner only): {software.label} corresponds to {prof.label}; the newest release sshdoctor "
        f"knows is {newest.label}. Banners do not show fixes a distribution backports, so sshdoctor does not match "
        "versions to CVEs: check your vendor's security advisories."
    ]


def audit_server(
    target: Target,
    banner: Banner,
    offer: Proposal,
    host_keys: Sequence[HostKey] = (),
    *,
    policy: Policy | None = None,
    address: str | None = None,
) -> AuditReport:
    """Judge a server's offer and host keys; pure, so tests can feed it any proposal."""
    software = identify(banner)
    terrapin = assess(offer, "server")
    verdicts = judge_keys(host_keys)
    findings = (
        algorithm_findings(offer)
        + terrapin_findings(terrapin)
        + post_quantum_findings(offer)
        + key_findings(verdicts)
    )
    result = grade(offer, findings, terrapin)
    checked = evaluate(policy, offer, verdicts, terrapin, result) if policy is not None else None
    return AuditReport(
        target=target,
        banner=banner,
        software=software,
        offer=offer,
        findings=tuple(findings),
        terrapin=terrapin,
        host_keys=tuple(verdicts),
        grade=result,
        hints=tuple(version_hints(software)),
        policy=checked,
        address=address,
    )
