"""Dropbear's client (dbclient) and server.

From Dropbear 2022.83 (common-kex.c ``No matching algo %s`` with the names
kex, hostkey, enc c->s, enc s->c, mac c->s, mac s->c, comp c->s, comp s->c;
cli-session.c ``Connection to %s@%s:%s exited: %s``; svr-session.c
``Exit before auth from <addr:port>: %s``). Dropbear never prints the
other side's list.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, direction_from_words, negotiation, port_of
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

_ALGO = r"No matching algo (?P<what>kex|hostkey|(?:enc|mac|comp) [cs]->[cs])"


@register("dbclient-no-matching", "No matching algo",
          r"Connection to (?:(?P<user>[^@\s]*)@)?(?P<host>\S+?):(?P<port>\d+) exited: " + _ALGO, family="dropbear")
def _client(m: re.Match[str], ctx: Context) -> Finding | None:
    return negotiation(category_from_words(m["what"]), None, reported_by="dropbear-client", side="client",
                       program="Dropbear's client (dbclient)", host=m["host"], port=port_of(m["port"]),
                       evidence=m.group(0), extra={"direction": direction_from_words(m["what"])})


@register("dropbear-server-no-matching", "No matching algo",
          r"Exit before auth from <(?P<host>[^>]*?):(?P<port>\d+)>:.*?" + _ALGO, family="dropbear")
def _server(m: re.Match[str], ctx: Context) -> Finding | None:
    host = m["host"]
    return negotiation(category_from_words(m["what"]), None, reported_by="dropbear-server", side="server",
                       program="The Dropbear server", host=host, evidence=m.group(0),
                       extra={"peer_role": "client", "client_port": port_of(m["port"]),
                              "direction": direction_from_words(m["what"])})
