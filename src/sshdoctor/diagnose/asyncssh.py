"""AsyncSSH, the asyncio SSH library.

From AsyncSSH 2.24.1 connection.py ``_choose_alg()``: ``No matching %s
algorithm found, sent LOCAL and received REMOTE`` for key exchange,
encryption, MAC and compression.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

_ASYNCSSH_WORDS = {
    "key exchange": Category.KEX,
    "encryption": Category.CIPHER,
    "MAC": Category.MAC,
    "compression": Category.COMPRESSION,
}


@register("asyncssh-no-matching", "algorithm found, sent",
          r"No matching (?P<what>[\w ]+?) algorithm found, sent (?P<sent>\S*) and received (?P<received>\S*)",
          family="asyncssh")
def _asyncssh(m: re.Match[str], ctx: Context) -> Finding | None:
    category = _ASYNCSSH_WORDS.get(m["what"]) or category_from_words(m["what"])
    received = () if m["received"] == "<None>" else offer_tuple(m["received"])
    sent = () if m["sent"] == "<None>" else offer_tuple(m["sent"])
    host, port = ctx.peer or (None, None)
    return negotiation(category, received, reported_by="asyncssh", side="client", program="AsyncSSH",
                       our_offer=sent, host=host, port=port, evidence=m.group(0),
                       extra={"side_note": "AsyncSSH prints the same text as a server; 'received' is the peer's list"})
