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
    for category in failing:
        if category is Category.COMPRESSION:
            continue
        wanted = sorted(client_defaults.get(category, ()), key=lambda n: strength_key(category, n))
        if prof is not None:
            possible = [n for n in wanted if n in prof.supported.lists.get(category, ())]
            if possible:
                if software.product == "openssh":
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
            target = next(
                (p for n in wanted if (p := first_version_supporting(prof.implementation, category, n)) is not None),
                None,
            )
            if target is not None:
                advice.append(
                    f"{prof.label} cannot use any {category.value} algorithm your ssh proposes by default; "
                    f"upgrade to {target.label} or later"
                )
                continue
        if wanted:
            advice.append(f"enable a modern {category.value} algorithm on the server, e.g. {wanted[0]}, or upgrade it")
    return advice
