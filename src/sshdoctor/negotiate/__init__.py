"""Pure simulation of SSH algorithm negotiation (RFC 4253 section 7.1)."""

from sshdoctor.negotiate.engine import choose, negotiate
from sshdoctor.negotiate.listmod import apply_modifier, match_pattern_list

__all__ = ["apply_modifier", "choose", "match_pattern_list", "negotiate"]
