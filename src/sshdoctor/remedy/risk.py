"""What enabling a weak algorithm costs, in plain words.

The weakness of each algorithm is a catalog fact; the sentence that says
what an attacker gains from it is chosen here from those facts.
"""

from __future__ import annotations

from collections.abc import Sequence

from sshdoctor.catalog import Rating, algorithm
from sshdoctor.model import Category, Change


def change_risks(changes: Sequence[Change]) -> list[str]:
    """What each added algorithm of a fix costs, once per algorithm."""
    out: list[str] = []
    for change in changes:
        if change.directive.lower() in ("pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes"):
            out += [pubkey_risk(name) for name in change.add]
            continue
        category = Category.from_directive(change.directive) or Category.HOSTKEY
        out += [risk_of(category, name) for name in change.add]
    return list(dict.fromkeys(out))


def pubkey_risk(name: str) -> str:
    """What it costs to let your own key sign with ``name`` (user authentication, not the host key)."""
    if name.startswith("ssh-rsa"):
        return (f"{name} for your key: your RSA key signs logins to this host with SHA-1; a chosen-prefix collision "
                "(demonstrated in 2020) would let an attacker who controls what is signed forge a login signature, "
                "so keep this to the hosts that verify nothing better.")
    return f"{name} for your key: rated as its host-key use ({risk_of(Category.HOSTKEY, name)})"


def risk_of(category: Category, name: str) -> str:
    """One sentence on what an attacker gains when this algorithm is used."""
    algo = algorithm(category, name)
    reasons = " ".join(algo.reasons).lower()
    if algo.rating in (Rating.STRONG, Rating.INFO):
        return f"{name}: no known weakness."
    parts: list[str] = []
    if category is Category.KEX:
        if (algo.group_bits or 4096) <= 1024 or "1024" in reasons:
            parts.append(
                "a 1024-bit group is within reach of precomputation by a well-funded attacker, "
                "who could then decrypt recorded sessions (Logjam)"
            )
        if "sha-1" in reasons or name.endswith("sha1"):
            parts.append("the exchange hash is SHA-1, whose collision resistance is broken")
    elif category is Category.HOSTKEY:
        if algo.key_type == "dsa" or name.startswith("ssh-dss"):
            parts.append("1024-bit DSA host keys are too small to resist a determined attacker impersonating the server")
        elif "sha-1" in reasons or name in ("ssh-rsa", "ssh-rsa-cert-v01@openssh.com"):
            parts.append(
                "server signatures use SHA-1; chosen-prefix collisions (demonstrated in 2020) make forging "
                "them costly but feasible, letting an attacker impersonate the server"
            )
    elif category is Category.CIPHER:
        if algo.block_bits is not None and algo.block_bits <= 64:
            parts.append("its 64-bit block lets an attacker recover plaintext after tens of gigabytes (SWEET32)")
        if algo.cbc:
            parts.append("CBC mode in SSH allows limited plaintext recovery by an active attacker (CVE-2008-5161)")
        if "arcfour" in name or "rc4" in reasons:
            parts.append("RC4 keystream biases leak plaintext")
        if name == "none":
            parts.append("nothing is encrypted")
    elif category is Category.MAC:
        if "md5" in name:
            parts.append("MD5 is broken; integrity rests on HMAC's remaining margin")
        elif "sha1" in name:
            parts.append("SHA-1 based; HMAC-SHA1 is not known to be forgeable, but it is deprecated")
        if "-96" in name or (algo.key_bits or 128) < 128:
            parts.append("a truncated tag gives an attacker better odds of an undetected forgery")
        if not algo.etm:
            parts.append("encrypt-and-MAC exposes the MAC to timing attacks")
        if name == "none":
            parts.append("nothing protects integrity")
    if not parts:
        reason = algo.reason or "it is rated " + algo.rating.value
        parts.append(reason)
    return f"{name}: " + "; ".join(parts) + "."
