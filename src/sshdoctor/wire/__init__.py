"""Network code: the identification exchange, KEXINIT probe, host keys, listener.

The package itself imports no asyncio: ``sshdoctor probe`` runs the blocking
probe and must start fast; ``probe`` here is the asyncio one, loaded on use.
"""

from typing import Any

from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.result import ProbeResult

__all__ = ["ProbeError", "ProbeResult", "probe"]


def __getattr__(name: str) -> Any:
    if name == "probe":
        from sshdoctor.wire.probe import probe

        return probe
    raise AttributeError(name)
