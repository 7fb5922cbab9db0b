"""trilead-ssh2 (com.trilead:trilead-ssh2 and Jenkins' fork org.jenkins-ci:trilead-ssh2), client.

KexManager.handleMessage() throws ``java.io.IOException: Cannot negotiate, proposals do
not match.`` when mergeKexParameters() finds a slot without a match; it does not say
which slot, nor either list. Connection.connect() wraps it: ``There was a problem
while connecting to HOST:PORT`` caused by ``Key exchange was not finished, connection
is closed.`` caused by the message above.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation, port_of
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

PROGRAM = "trilead-ssh2"

_PEER = re.compile(r"There was a problem while connecting to (?P<host>[^\s:]+):(?P<port>\d+)")


@register("trilead-peer", "There was a problem while connecting to", _PEER.pattern, family="trilead")
def _peer(m: re.Match[str], ctx: Context) -> Finding | None:
    # Connection.connect() names the peer in the outer exception; the cause below it says what failed.
    ctx.peer = (m["host"], port_of(m["port"]))
    return None


@register("trilead-no-match", "Cannot negotiate, proposals do not match", r"Cannot negotiate, proposals do not match\.?",
          family="trilead")
def _trilead(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    return negotiation(None, None, reported_by="trilead-ssh2", side="client", program=PROGRAM, host=host, port=port,
                       evidence=m.group(0), extra={"missing": "category and offer"})
