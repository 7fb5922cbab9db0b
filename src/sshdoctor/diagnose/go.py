"""Go's golang.org/x/crypto/ssh (Terraform, Packer, many Go tools).

From ssh/common.go: up to v0.38.0 ``ssh: no common algorithm for %s; client
offered: %v, server offered: %v`` (lists as ``[a b]``), from v0.40.0
``ssh: no common algorithm for %s; we offered: %q, peer offered: %q``
(lists as ``["a" "b"]``); client.go wraps both in ``ssh: handshake failed:``.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, direction_from_words, negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

_GO_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _go_list(text: str) -> tuple[str, ...]:
    inner = text.strip()[1:-1]
    if '"' in inner:
        return tuple(q for q in _GO_QUOTED.findall(inner) if q)[:256]
    return offer_tuple(inner, sep=" ")


@register("go-no-common", "no common algorithm for",
          r"ssh: no common algorithm for (?P<what>[\w ]+?); (?:(?:client offered: (?P<client>\[[^\]]*\]), "
          r"server offered: (?P<server>\[[^\]]*\]))|(?:we offered: (?P<ours>\[[^\]]*\]), "
          r"peer offered: (?P<theirs>\[[^\]]*\])))", family="go")
def _go(m: re.Match[str], ctx: Context) -> Finding | None:
    if m["theirs"] is not None:
        theirs, ours = _go_list(m["theirs"]), _go_list(m["ours"])
    else:
        # Before v0.40.0 the text names client and server; a Go program is most often the client.
        theirs, ours = _go_list(m["server"]), _go_list(m["client"])
    host, port = ctx.peer or (None, None)
    return negotiation(category_from_words(m["what"]), theirs, reported_by="go", side="client",
                       program="Go's golang.org/x/crypto/ssh", our_offer=ours, host=host, port=port,
                       evidence=m.group(0), extra={"direction": direction_from_words(m["what"])})
