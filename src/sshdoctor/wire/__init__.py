"""Network code: the identification exchange, KEXINIT probe, host keys, listener."""

from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.probe import ProbeResult, probe

__all__ = ["ProbeError", "ProbeResult", "probe"]
