"""What the local client can do, and what it does for one host."""

from __future__ import annotations

from dataclasses import dataclass

from sshdoctor.model.category import Category
from sshdoctor.model.proposal import Proposal


@dataclass(frozen=True, slots=True)
class ClientModel:
    """A client's capabilities for a host.

    ``proposal`` is the KEXINIT it sends; ``effective`` the list each
    category's directive yields for this host (``ssh -G``); ``defaults``
    the compiled-in lists (``ssh -G -F /dev/null``); ``supported`` what it
    can be configured to use (``ssh -Q``). A directive given on the command
    line replaces the configured one, and ``+``/``-``/``^`` there are
    relative to ``defaults``.
    """

    label: str
    proposal: Proposal
    effective: dict[Category, tuple[str, ...]]
    defaults: dict[Category, tuple[str, ...]]
    supported: dict[Category, tuple[str, ...]]
