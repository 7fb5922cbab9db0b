"""The server-side change that makes a client workaround unnecessary."""

from __future__ import annotations

from collections.abc import Sequence

from sshdoctor.catalog.profiles import Profile, all_profiles, profile_for_software
from sshdoctor.catalog.software import Software
from sshdoctor.model import Category
from sshdoctor.remedy.strength import strength_key

# Cisco IOS / IOS-XE keywords of "ip ssh server algorithm <kind> ...".
_CISCO_KIND = {Category.KEX: "kex", Category.HOSTKEY: "hostkey", Category.CIPHER: "encryption", Category.MAC: "mac"}


def first_version_supporting(implementation: str, category: Category, name: str) -> Profile | None:
    """The oldest release of an implementation whose supported set has ``name``."""
    releases = sorted(
        (p for p in all_profiles().values() if p.implementation == implementation),
        key=lambda p: p.version_key(),
    )
    for prof in releases:
        if name in prof.supported.lists.get(category, ()):
            return prof
    return None


def _earliest(implementation: str, category: Category, names: Sequence[str]) -> Profile | None:
    """The oldest release that supports at least one of ``names``."""
    found = [p for n in names if (p := first_version_supporting(implementation, category, n)) is not None]
    return min(found, key=lambda p: p.version_key(), default=None)


def server_side_advice(
    software: Software, failing: Sequence[Category], client_defaults: dict[Category, tuple[str, ...]]
) -> list[str]:
    """Lines for the server's administrator, strongest option first.

    For a known implementation and version, name the algorithm of the
    client's defaults that the server's release can enable; when its release
    supports none, name the first release that does.
    """
    advice: list[str] = []
    prof = profile_for_software(software.product, software.version)
    if software.product.startswith("cisco"):
        # Cisco banners carry the SSH server's own version (1.25), not the
        # IOS release: take the newest profiled release for the command set.
        releases = [p for p in all_profiles().values() if p.implementation.startswith("cisco-ios")]
        prof = max(releases, key=lambda p: p.version_key(), default=None)
    for category in failing:
        if category is Category.COMPRESSION:
            continue
        wanted = sorted(client_defaults.get(category, ()), key=lambda n: strength_key(category, n))
        if prof is not None:
            possible = [n for n in wanted if n in prof.supported.lists.get(category, ())]
            if possible:
                if software.product == "openssh" and category is Category.HOSTKEY and "ssh-ed25519" in possible:
                    advice.append(
                        "on the server: ssh-keygen -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key, add "
                        "'HostKey /etc/ssh/ssh_host_ed25519_key' to sshd_config, then sshd -t && systemctl reload ssh"
                    )
                elif software.product == "openssh":
                    advice.append(
                        f"sshd_config on the server: {category.directive} +{possible[0]}"
                        "  (then: sshd -t && systemctl reload ssh)"
                    )
                elif software.product.startswith("cisco"):
                    kind = _CISCO_KIND.get(category)
                    if kind:
                        advice.append(f"on the device: ip ssh server algorithm {kind} {' '.join(possible[:3])}")
                else:
                    advice.append(f"on the server ({prof.label}): enable {category.directive} {possible[0]}")
                continue
            target = _earliest(prof.implementation, category, wanted)
            if target is not None:
                advice.append(
                    f"{prof.label} cannot use any {category.value} algorithm your ssh proposes by default; "
                    f"upgrade to {target.label} or later"
                )
                continue
        known_impl = any(p.implementation == software.product for p in all_profiles().values())
        if known_impl and prof is None:
            # Older than every profiled release of a known implementation.
            target = _earliest(software.product, category, wanted)
            if target is not None:
                advice.append(f"{software.label} is older than any release sshdoctor knows; upgrade to {target.label} "
                              f"or later for a {category.value} algorithm your ssh proposes by default")
                continue
        if wanted:
            advice.append(f"enable a modern {category.value} algorithm on the server, e.g. {wanted[0]}, or upgrade it")
    return advice
