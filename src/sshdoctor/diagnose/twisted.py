"""Twisted Conch, the SSH of the Twisted framework.

From twisted/conch/ssh/transport.py ``SSHTransportBase.ssh_KEXINIT`` (22.4.0 to
26.10.0, checked in the interop lab): when any slot has no common algorithm,
Conch sends DISCONNECT code 3 with the description ``couldn't match all kex
parts`` and logs ``Disconnecting with error, code 3`` / ``reason: b"couldn't
match all kex parts"``. The words name no category and neither list is logged,
so the offer has to be fetched. The other side sees the same description in
its disconnect message (``Received disconnect from … 3: couldn't match all kex
parts``). A server's log lines come from its SSHServerTransport (or a subclass)
and its SSHFactory.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

FAMILY = "twisted"
_SERVER = re.compile(r"SSHFactory|ServerTransport|Server#|SSHServer")
_CLIENT = re.compile(r"ClientTransport|Client#|SSHClient")


def _side(line: str, ctx: Context) -> str:
    """server when the log line or the lines before it come from Conch's server classes."""
    for text in (line, *reversed(ctx.recent)):
        if _SERVER.search(text):
            return "server"
        if _CLIENT.search(text):
            return "client"
    return "client"


@register("twisted-kex-parts", "couldn't match all kex parts", r"couldn't match all kex parts", family=FAMILY)
def _kex_parts(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    line = m.string
    extra: dict[str, object] = {"missing": "category and offer (Conch names neither)"}
    # Conch logs 'reason: b"..."' under its own "Disconnecting with error, code 3" line; another program quoting
    # the words (its "Received disconnect ...") was talking to a Conch server.
    previous = ctx.recent[-1] if ctx.recent else ""
    if line.lstrip().startswith("reason:") or "Disconnecting with error, code 3" in previous:
        side = _side(line, ctx)
    else:
        side = "server"
        extra["note"] = "the other side runs Twisted Conch and sent this disconnect"
    return negotiation(None, None, reported_by="twisted-conch", side=side, program="Twisted Conch", host=host,
                       port=port, evidence=m.group(0), extra=extra)
