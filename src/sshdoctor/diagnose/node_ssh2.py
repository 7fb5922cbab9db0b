"""The npm package ssh2 (Node.js: node-ssh, ssh2-sftp-client, many deploy tools), client and server.

From lib/protocol/kex.js (1.x): ``Handshake failed: no matching key exchange algorithm``, ``… no
matching host key format``, ``… no matching C->S cipher`` / ``S->C cipher``, ``C->S MAC`` /
``S->C MAC``, ``C->S compression`` / ``S->C compression``. From ssh2-streams lib/ssh.js (ssh2
0.8.x): the same first two, then ``client->server cipher``, ``client->server HMAC`` and
``client->server compression algorithm`` (and server->client). The messages name no offer.

Both sides raise the same Error (``err.level`` is 'handshake'): a client's 'error' event, or the
server's per-connection 'error' event. A line that says "server" before the message (a log
prefix such as ``ssh2 server: client error:``) is read as the server's.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, direction_from_words, negotiation
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

FAMILY = "node-ssh2"
PROGRAM = "ssh2 (Node.js)"


@register("node-ssh2-no-matching", "Handshake failed: no matching",
          r"Handshake failed: no matching (?P<what>key exchange algorithm|host key format|"
          r"(?:C->S|S->C|client->server|server->client) (?:cipher|MAC|HMAC|compression(?: algorithm)?))",
          family=FAMILY)
def _no_matching(m: re.Match[str], ctx: Context) -> Finding | None:
    side = "server" if "server" in m.string[: m.start()].lower() else "client"
    host, port = (ctx.peer or (None, None)) if side == "client" else (None, None)
    direction = direction_from_words(m["what"])
    return negotiation(category_from_words(m["what"]), None, reported_by=FAMILY, side=side, program=PROGRAM,
                       host=host, port=port, evidence=m.group(0),
                       extra={"missing": "offer", **({"direction": direction} if direction else {})})
