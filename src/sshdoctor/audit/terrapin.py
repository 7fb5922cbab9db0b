"""Exposure to the Terrapin prefix-truncation attack (CVE-2023-48795).

An active attacker can delete packets at the start of the encrypted
transport without detection when the connection uses ChaCha20-Poly1305
(its nonce is the implicit sequence number) or a CBC cipher with an
encrypt-then-MAC MAC. Strict key exchange (the ``kex-strict-*-v00``
signals, OpenSSH 9.6) resets sequence numbers after key exchange and ends
the attack, but only when both sides announce it. Source: the Terrapin
paper (terrapin-attack.com) and OpenSSH 9.6's PROTOCOL file.
"""

from __future__ import annotations

from dataclasses import dataclass

from sshdoctor.catalog import algorithm
from sshdoctor.model import Category, Finding, Proposal, Slot

CVE = "CVE-2023-48795"
STRICT = {"server": "kex-strict-s-v00@openssh.com", "client": "kex-strict-c-v00@openssh.com"}


@dataclass(frozen=True, slots=True)
class TerrapinStatus:
    """What one side's proposal means for Terrapin.

    ``vulnerable`` is true when an exploitable cipher mode is offered and
    strict key exchange is not: then every peer can be attacked. With strict
    key exchange offered, only peers that lack it remain exposed.
    """

    side: str
    strict_kex: bool
    chacha20: bool
    cbc_etm: bool
    exposed_ciphers: tuple[str, ...] = ()
    etm_macs: tuple[str, ...] = ()

    @property
    def vulnerable(self) -> bool:
        return (self.chacha20 or self.cbc_etm) and not self.strict_kex

    def as_dict(self) -> dict[str, object]:
        """The contract's ``terrapin`` object (plus the algorithms behind it)."""
        return {
            "vulnerable": self.vulnerable,
            "strict_kex": self.strict_kex,
            "chacha20": self.chacha20,
            "cbc_etm": self.cbc_etm,
            "exposed_ciphers": list(self.exposed_ciphers),
            "etm_macs": list(self.etm_macs),
        }


def _names(proposal: Proposal, slots: tuple[Slot, ...]) -> list[str]:
    out: list[str] = []
    for slot in slots:
        out += [n for n in proposal.get(slot) if n not in out]
    return out


def is_chacha20(cipher: str) -> bool:
    """ChaCha20-Poly1305 in its OpenSSH form or the standardised name (same construction)."""
    return cipher.startswith("chacha20-poly1305")


def assess(proposal: Proposal, side: str = "server") -> TerrapinStatus:
    """Terrapin status of a server's (or, with ``side="client"``, a client's) proposal."""
    ciphers = _names(proposal, (Slot.CIPHER_C2S, Slot.CIPHER_S2C))
    macs = _names(proposal, (Slot.MAC_C2S, Slot.MAC_S2C))
    chacha = [c for c in ciphers if is_chacha20(c)]
    cbc = [c for c in ciphers if algorithm(Category.CIPHER, c).cbc]
    etm = [m for m in macs if algorithm(Category.MAC, m).etm]
    cbc_etm = bool(cbc and etm)
    return TerrapinStatus(
        side=side,
        strict_kex=STRICT[side] in proposal.kex,
        chacha20=bool(chacha),
        cbc_etm=cbc_etm,
        exposed_ciphers=tuple(chacha + (cbc if cbc_etm else [])),
        etm_macs=tuple(etm if cbc_etm else []),
    )


def terrapin_findings(status: TerrapinStatus) -> list[Finding]:
    """A warn finding when exposed; an info note when strict kex protects only patched peers."""
    modes = []
    if status.chacha20:
        modes.append("ChaCha20-Poly1305")
    if status.cbc_etm:
        modes.append("CBC ciphers with encrypt-then-MAC MACs")
    if not modes:
        return []
    offered = " and ".join(modes)
    peer = "clients" if status.side == "server" else "servers"
    if status.vulnerable:
        reason = (f"offers {offered} without strict key exchange: an attacker in the path can silently drop "
                  f"the first encrypted packets (e.g. the extension negotiation)")
        return [Finding(kind="terrapin", category=Category.KEX, severity="warn", algorithm=None, reason=reason, cve=CVE,
                        extra={"algorithms": [*status.exposed_ciphers, *status.etm_macs]})]
    reason = (f"offers {offered} but also strict key exchange: safe with {peer} that support it "
              f"(OpenSSH 9.6+ and other 2024 releases); unpatched {peer} remain exposed")
    return [Finding(kind="terrapin", category=Category.KEX, severity="info", algorithm=None, reason=reason, cve=CVE,
                    extra={"algorithms": [*status.exposed_ciphers, *status.etm_macs]})]
