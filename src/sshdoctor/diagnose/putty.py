"""PuTTY and the programs built on its SSH code: plink, PSCP, PSFTP, WinSCP.

Formats from PuTTY 0.78 ssh/transport2.c (also in WinSCP 6.5.6's copy,
source/putty/ssh/transport2.c): ``Couldn't agree a %s (available: %s)``
where ``available`` is the server's list, ``Selected %s "%s" does not
correspond to any supported algorithm``, and the weak-crypto warning
``The first %s supported by the server is %s, which is below the configured
warning threshold.`` which plink ``-batch`` turns into ``Cannot confirm a
weak crypto primitive in batch mode``. The Debian build of 0.78 was seen
(tests/corpus/putty) to print the ``Selected …`` form, with the server's
whole list quoted, when nothing matched.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, direction_from_words, negotiation, offer_tuple, simple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

PROGRAM = "PuTTY (or plink, PSFTP, WinSCP)"


@register("putty-couldnt-agree", "Couldn't agree a",
          r"Couldn't agree an? (?P<what>[\w -]+?) \(available: (?P<offer>[^)]*)\)", family="putty")
def _agree(m: re.Match[str], ctx: Context) -> Finding | None:
    return negotiation(category_from_words(m["what"]), offer_tuple(m["offer"]), reported_by="putty", side="client",
                       program=PROGRAM, evidence=m.group(0), extra={"direction": direction_from_words(m["what"])})


@register("putty-selected-unsupported", "does not correspond to",
          r"Selected (?P<what>[\w -]+?) \"(?P<offer>[^\"]*)\" does not correspond to any supported algorithm",
          family="putty")
def _selected(m: re.Match[str], ctx: Context) -> Finding | None:
    return negotiation(category_from_words(m["what"]), offer_tuple(m["offer"]), reported_by="putty", side="client",
                       program=PROGRAM, evidence=m.group(0),
                       extra={"direction": direction_from_words(m["what"]), "wording": "selected-unsupported"})


_WEAK = re.compile(r"The first (?P<what>[\w -]+?) (?:supported by the server|we have stored for this server) "
                   r"is (?P<alg>\S+?),? which is below the configured warning threshold")


@register("putty-weak-refused", "weak crypto primitive",
          r"Cannot confirm a weak crypto primitive in batch mode|cannot confirm weak crypto primitive",
          family="putty")
def _weak(m: re.Match[str], ctx: Context) -> Finding | None:
    # PuTTY wraps the warning over several lines before this one.
    joined = " ".join(ctx.recent)
    matches = list(_WEAK.finditer(joined))
    w = matches[-1] if matches else None
    category = category_from_words(w["what"]) if w else None
    alg = w["alg"] if w else None
    text = ("PuTTY found a common algorithm, but the only one it could use is below its 'warn below here' line, "
            "and in batch mode it cannot ask you, so it gave up. "
            + (f"The algorithm is {alg}. " if alg else "")
            + "Either accept it for this session (run without -batch once and answer the prompt), move it "
            "above the warning line in the saved session (Connection > SSH > Kex / Cipher / Host keys), or, "
            "better, enable a stronger algorithm on the server.")
    return simple("weak-algorithm-refused", text, reported_by="putty", category=category, algorithm_name=alg,
                  their_offer=(alg,) if alg else None, evidence=m.group(0))


@register("putty-host-key-unknown", "Cannot confirm a host key in batch mode",
          r"Cannot confirm a host key in batch mode", family="putty")
def _hostkey(m: re.Match[str], ctx: Context) -> Finding | None:
    text = ("PuTTY has no stored host key for this server and -batch forbids asking. Verify the fingerprint it "
            "printed with the server's administrator, then store it once (run without -batch, or pass "
            "-hostkey FINGERPRINT).")
    return simple("host-key-unknown", text, reported_by="putty", evidence=m.group(0))


@register("putty-network-error", "Network error:",
          r"Network error: (?P<what>Connection refused|Connection timed out|No route to host|Network is unreachable)",
          family="putty")
def _network(m: re.Match[str], ctx: Context) -> Finding | None:
    kind = {"Connection refused": "connection-refused", "Connection timed out": "connection-timeout"}.get(
        m["what"], "no-route")
    from sshdoctor.diagnose.neighbours import NETWORK_TEXT

    return simple(kind, NETWORK_TEXT[kind], reported_by="putty", evidence=m.group(0))
