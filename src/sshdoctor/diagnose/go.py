"""Go's golang.org/x/crypto/ssh (Terraform, Packer, Gitea, many Go tools), client and server.

The negotiation error of ssh/common.go (findCommon), by version:

* before 2015-08 (commit 6c2080b): ``ssh: no common algorithms`` (no category);
* up to v0.39.0: ``ssh: no common algorithm for %s; client offered: %v, server
  offered: %v`` (lists as ``[a b]``), the same text on both sides;
* v0.40.0 to v0.54.0: ``ssh.AlgorithmNegotiationError``, ``ssh: no common algorithm
  for %s; we offered: %v, peer offered: %v``, where "we" is the side that prints it;
* from v0.55.0: the same with ``%q`` (lists as ``["a" "b"]``).

``%s`` is ``key exchange``, ``host key``, ``client to server cipher``, ``server to
client MAC``, ``client to server compression`` and so on. A client gets the error
from ssh.Dial / ssh.NewClientConn wrapped in ``ssh: handshake failed: `` (client.go);
a server gets it bare from ssh.NewServerConn (server.go), so the wrapper tells the
side, and the side tells whose list is the peer's.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import (
    category_from_words,
    direction_from_words,
    gex_group_too_small,
    negotiation,
    offer_tuple,
)
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

PROGRAM = "Go's golang.org/x/crypto/ssh"

_GO_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _go_list(text: str) -> tuple[str, ...]:
    """A Go ``%v`` (``[a b]``) or ``%q`` (``["a" "b"]``) string slice, as names."""
    inner = text.strip()[1:-1]
    if '"' in inner:
        return tuple(q for q in _GO_QUOTED.findall(inner) if q)[:256]
    return offer_tuple(inner, sep=" ")


@register("go-no-common", "no common algorithm for",
          r"(?P<wrapped>ssh: handshake failed: )?ssh: no common algorithm for (?P<what>[\w ]+?); "
          r"(?:(?:client offered: (?P<client>\[[^\]]*\]), server offered: (?P<server>\[[^\]]*\]))"
          r"|(?:we offered: (?P<ours>\[[^\]]*\]), peer offered: (?P<theirs>\[[^\]]*\])))", family="go")
def _go(m: re.Match[str], ctx: Context) -> Finding | None:
    # Only the client wraps the error in "ssh: handshake failed: "; a server program logs it bare.
    side = "client" if m["wrapped"] else "server"
    if m["theirs"] is not None:
        theirs, ours = _go_list(m["theirs"]), _go_list(m["ours"])
    elif side == "client":
        theirs, ours = _go_list(m["server"]), _go_list(m["client"])
    else:
        theirs, ours = _go_list(m["client"]), _go_list(m["server"])
    host, port = ctx.peer or (None, None)
    return negotiation(category_from_words(m["what"]), theirs, reported_by="go", side=side, program=PROGRAM,
                       our_offer=ours, host=host, port=port, evidence=m.group(0),
                       extra={"direction": direction_from_words(m["what"])})


@register("go-no-common-old", "ssh: no common algorithms", r"(?P<wrapped>ssh: handshake failed: )?ssh: no common algorithms\b",
          family="go")
def _go_old(m: re.Match[str], ctx: Context) -> Finding | None:
    # x/crypto before 2015-08 named neither the category nor the lists.
    host, port = ctx.peer or (None, None)
    return negotiation(None, None, reported_by="go", side="client" if m["wrapped"] else "server", program=PROGRAM,
                       host=host, port=port, evidence=m.group(0))


@register("go-gex-out-of-range", "gex p is out of range",
          r"ssh: server-generated gex p is out of range \((?P<bits>\d+) bits\)", family="go")
def _go_gex(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    return gex_group_too_small("go", evidence=m.group(0), host=host, port=port, recent=tuple(ctx.recent),
                               bits=int(m["bits"]))
