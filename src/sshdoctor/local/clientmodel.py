"""Assemble what the local client can do for one host."""

from __future__ import annotations

from functools import cache

from sshdoctor.local.effective import Effective, effective
from sshdoctor.local.sshbin import supported, version
from sshdoctor.model import Category, ClientModel, Proposal

_LISTED = (Category.KEX, Category.HOSTKEY, Category.CIPHER, Category.MAC, Category.COMPRESSION)


@cache
def compiled_defaults() -> dict[Category, tuple[str, ...]]:
    """The lists the local ssh uses with no configuration at all."""
    eff = effective("sshdoctor.invalid", config_file="/dev/null")
    return {cat: eff.algorithms(cat) for cat in _LISTED}


def client_model(eff: Effective, proposal: Proposal) -> ClientModel:
    """The local client for ``eff``'s host, given the KEXINIT it was seen to send."""
    return ClientModel(
        label=f"{version().label} (local ssh, effective config for {eff.alias})",
        proposal=proposal,
        effective={cat: eff.algorithms(cat) for cat in _LISTED},
        defaults=compiled_defaults(),
        supported={cat: supported(cat) for cat in _LISTED},
    )
