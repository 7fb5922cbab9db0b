"""sshj (com.hierynomus:sshj), the Java SSH client library.

Proposal.negotiate() throws ``net.schmizz.sshj.transport.TransportException`` at the
first KEXINIT slot without a match: from 0.32.0 ``Unable to reach a settlement of
<Slot>: [ours] and [theirs]`` with the slot named KeyExchangeAlgorithms,
HostKeyAlgorithms, Client2ServerCipherAlgorithms, Server2ClientMACAlgorithms,
Client2ServerCompressionAlgorithms and so on; before that ``Unable to reach a
settlement: [ours] and [theirs]``, where only the names tell the category. sshj's log
repeats it as ``Dying because - ...``. sshj has no server: the first list is the
client's, the second the server's.
"""

from __future__ import annotations

import re

from sshdoctor.catalog import algorithm, is_pseudo
from sshdoctor.diagnose.common import negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

PROGRAM = "sshj"

_SLOT = re.compile(r"(?P<dir>Client2Server|Server2Client)?(?P<what>KeyExchange|HostKey|Cipher|MAC|Compression)Algorithms")
_WHAT = {"KeyExchange": Category.KEX, "HostKey": Category.HOSTKEY, "Cipher": Category.CIPHER, "MAC": Category.MAC,
         "Compression": Category.COMPRESSION}


def category_of_names(names: tuple[str, ...]) -> Category | None:
    """The category whose catalog knows most of ``names`` (a message that does not say which list it is)."""
    if any(is_pseudo(n) for n in names):
        return Category.KEX
    best: tuple[int, Category | None] = (0, None)
    for category in Category:
        known = sum(1 for n in names if algorithm(category, n).known)
        if known > best[0]:
            best = (known, category)
    return best[1]


@register("sshj-no-settlement", "Unable to reach a settlement",
          r"Unable to reach a settlement(?: of (?P<slot>\w+))?: \[(?P<ours>[^\]]*)\] and \[(?P<theirs>[^\]]*)\]",
          family="sshj")
def _sshj(m: re.Match[str], ctx: Context) -> Finding | None:
    ours, theirs = offer_tuple(m["ours"]), offer_tuple(m["theirs"])
    category: Category | None = None
    direction: str | None = None
    slot = _SLOT.fullmatch(m["slot"]) if m["slot"] else None
    if slot is not None:
        category = _WHAT[slot["what"]]
        direction = {"Client2Server": "c2s", "Server2Client": "s2c"}.get(slot["dir"] or "")
    else:
        category = category_of_names(ours + theirs)
    host, port = ctx.peer or (None, None)
    return negotiation(category, theirs, reported_by="sshj", side="client", program=PROGRAM, our_offer=ours,
                       host=host, port=port, evidence=m.group(0),
                       extra={"direction": direction, "category_from": "slot" if slot is not None else "names"})
