"""Verdicts on the host keys a server actually uses.

The algorithm name says how a key signs; only the key says how large it
is. Rules (sources in docs/audit.md):

* DSA: fail. OpenSSH's ssh-dss is fixed at 1024 bits with SHA-1, and
  FIPS 186-5 no longer approves DSA for signing.
* RSA below 2048 bits: fail (below 112-bit strength, disallowed by NIST
  SP 800-131A); 2048 to 3071 bits: warn (112-bit, acceptable only until
  the end of 2030 per NIST SP 800-57 Part 1); 3072 and up: info.
* ECDSA on a 256-bit or larger curve, Ed25519, Ed448: info.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sshdoctor.audit.verdicts import TARGET_STRENGTH, Severity, ffc_strength
from sshdoctor.model import Category, Finding
from sshdoctor.wire.hostkeys import HostKey

RSA_MINIMUM = 2048


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    """One fetched host key with its severity and the reason."""

    key: HostKey
    severity: Severity
    reason: str

    def as_dict(self) -> dict[str, object]:
        """The contract's ``host_keys`` entry plus the verdict and the key itself."""
        key = self.key
        return {
            "algorithm": key.algorithm,
            "type": key.key_type,
            "bits": key.bits,
            "fingerprint_sha256": key.fingerprint_sha256,
            "certificate": key.certificate,
            "public_key": key.known_hosts_entry,
            "severity": self.severity.value,
            "reason": self.reason,
            "error": key.error,
        }


def judge_key(key: HostKey) -> KeyVerdict:
    """The verdict on one host key (info with the error when it could not be fetched)."""
    if key.error is not None or key.key_type is None or key.bits is None:
        return KeyVerdict(key, Severity.INFO, f"not checked: {key.error or 'no key'}")
    bits = key.bits
    if key.key_type == "dsa":
        return KeyVerdict(key, Severity.FAIL, f"{bits}-bit DSA host key: DSA signing is no longer approved (FIPS 186-5)")
    if key.key_type == "rsa":
        strength = ffc_strength(bits)
        if bits < RSA_MINIMUM:
            return KeyVerdict(key, Severity.FAIL,
                              f"{bits}-bit RSA host key: about {strength}-bit security, below the 2048-bit minimum")
        if strength < TARGET_STRENGTH:
            return KeyVerdict(key, Severity.WARN,
                              f"{bits}-bit RSA host key: about {strength}-bit security, acceptable only until 2030; "
                              "use 3072 bits or Ed25519")
        return KeyVerdict(key, Severity.INFO, f"{bits}-bit RSA host key")
    if key.key_type == "ecdsa" and bits < 256:
        return KeyVerdict(key, Severity.FAIL, f"{bits}-bit ECDSA host key: below 128-bit security")
    return KeyVerdict(key, Severity.INFO, f"{bits}-bit {key.key_type.upper()} host key")


def judge_keys(keys: Sequence[HostKey]) -> list[KeyVerdict]:
    """Verdicts for every fetched key, in the server's order."""
    return [judge_key(k) for k in keys]


def key_findings(verdicts: Sequence[KeyVerdict]) -> list[Finding]:
    """A finding for each key that is flagged (warn or fail)."""
    out: list[Finding] = []
    for v in verdicts:
        if v.severity is Severity.INFO:
            continue
        out.append(
            Finding(
                kind="host-key",
                category=Category.HOSTKEY,
                severity=v.severity.value,
                algorithm=v.key.algorithm,
                reason=v.reason,
                extra={"bits": v.key.bits, "type": v.key.key_type, "fingerprint_sha256": v.key.fingerprint_sha256},
            )
        )
    return out
