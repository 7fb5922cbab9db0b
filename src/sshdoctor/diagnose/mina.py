"""Apache MINA SSHD (Jenkins, Gerrit, JGit, Eclipse), client and server.

AbstractSession.negotiate() (sshd-core, every 2.x release) throws
``SshException: Unable to negotiate key exchange for <option> (client: <list> /
server: <list>)`` at the first KEXINIT option without a match. ``<option>`` is the
KexProposalOption description: ``kex algorithms``, ``server host key algorithms``,
``encryption algorithms (client to server)``, ``mac algorithms (server to client)``,
``compression algorithms (client to server)`` and so on. The text is the same on both
sides; both lists are named by role, so the side decides which is the peer's. A
server's log shows it in ``WARN ...ServerSessionImpl - exceptionCaught(ServerSessionImpl[...])``
and ``Disconnecting(ServerSessionImpl[...])`` lines, a client's in ClientSessionImpl ones
and in the exception a caller gets.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, direction_from_words, negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

PROGRAM = "Apache MINA SSHD"

_SESSION = re.compile(r"\b(Server|Client)Session(?:Impl)?\b|\bSsh(Server|Client)\b")


def _side(line: str, ctx: Context) -> str:
    """``server`` when the line, or the latest line naming a MINA session, is the server's."""
    for text in (line, *reversed(ctx.recent)):
        m = _SESSION.search(text)
        if m is not None:
            return "server" if "Server" in m.group(0) else "client"
    return "client"


@register("mina-unable-to-negotiate", "Unable to negotiate key exchange for",
          r"Unable to negotiate key exchange for (?P<what>[\w ]+?(?: \((?:client to server|server to client)\))?) "
          r"\(client: (?P<client>[^/)]*) / server: (?P<server>[^)]*)\)", family="mina")
def _mina(m: re.Match[str], ctx: Context) -> Finding | None:
    side = _side(m.string, ctx)
    client, server = offer_tuple(m["client"]), offer_tuple(m["server"])
    theirs, ours = (server, client) if side == "client" else (client, server)
    host, port = ctx.peer or (None, None)
    return negotiation(category_from_words(m["what"]), theirs, reported_by="mina-sshd", side=side, program=PROGRAM,
                       our_offer=ours, host=host, port=port, evidence=m.group(0),
                       extra={"direction": direction_from_words(m["what"])})
