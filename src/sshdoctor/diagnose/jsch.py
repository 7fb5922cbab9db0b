"""JSch, the Java SSH library (Jenkins, Eclipse, many Java tools).

From the maintained fork (mwiede/jsch) 2.28.7
JSchAlgoNegoFailException: ``Algorithm negotiation fail: algorithmName="kex"
jschProposal="…" serverProposal="…"`` with the names kex, server_host_key,
cipher.c2s, cipher.s2c, mac.c2s, mac.s2c, compression.c2s, compression.s2c.
The original JCraft JSch (0.1.55 and before) says only ``Algorithm negotiation fail``.
The detailed form is the fork's, so it is reported as ``jsch-mwiede``; the bare one as
``jsch`` (the fork threw the bare text too before 0.2.4, where JSchAlgoNegoFailException came in).
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

_JSCH_WORDS = {
    "kex": Category.KEX,
    "server_host_key": Category.HOSTKEY,
    "cipher": Category.CIPHER,
    "mac": Category.MAC,
    "compression": Category.COMPRESSION,
}


@register("jsch-nego-fail", "Algorithm negotiation fail",
          r"Algorithm negotiation fail(?::? algorithmName=\"(?P<what>[^\"]*)\" jschProposal=\"(?P<ours>[^\"]*)\" "
          r"serverProposal=\"(?P<theirs>[^\"]*)\")?", family="jsch")
def _jsch(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    if m["what"] is None:
        return negotiation(None, None, reported_by="jsch", side="client", program="JSch", host=host, port=port,
                           evidence=m.group(0), extra={"missing": "category and offer"})
    base, _, direction = m["what"].partition(".")
    category = _JSCH_WORDS.get(base) or category_from_words(base)
    return negotiation(category, offer_tuple(m["theirs"]), reported_by="jsch-mwiede", side="client",
                       program="JSch (mwiede fork)",
                       our_offer=offer_tuple(m["ours"]), host=host, port=port, evidence=m.group(0),
                       extra={"direction": direction or None})
