"""Ruby net-ssh (Capistrano, Chef, Vagrant, Test Kitchen …).

From lib/net/ssh/transport/algorithms.rb ``negotiate`` (7.0.1, checked in the
interop lab; the wording is the same from 4.x to 7.3): ``could not settle on
NAME algorithm`` with NAME one of kex, host_key, encryption_client,
encryption_server, hmac_client, hmac_server, compression_client,
compression_server, raised as Net::SSH::Exception, followed by two lines
``Server NAME preferences: a,b`` and ``Client NAME preferences: c,d``. Ruby
prints an uncaught one as ``…:in `negotiate': could not settle on kex algorithm
(Net::SSH::Exception)`` with the two list lines under it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sshdoctor.diagnose.common import negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

FAMILY = "netssh"
_NAMES = {
    "kex": (Category.KEX, None),
    "host_key": (Category.HOSTKEY, None),
    "encryption_client": (Category.CIPHER, "c2s"),
    "encryption_server": (Category.CIPHER, "s2c"),
    "hmac_client": (Category.MAC, "c2s"),
    "hmac_server": (Category.MAC, "s2c"),
    "compression_client": (Category.COMPRESSION, "c2s"),
    "compression_server": (Category.COMPRESSION, "s2c"),
}
_NAME = "|".join(_NAMES)
_PENDING = "netssh-pending:"


def _finding(name: str, theirs: tuple[str, ...] | None, ours: tuple[str, ...] | None, evidence: str,
             ctx: Context) -> Finding:
    category, direction = _NAMES[name]
    host, port = ctx.peer or (None, None)
    extra: dict[str, object] = {"direction": direction, "algorithm_name": name}
    found = negotiation(category, theirs, reported_by="net-ssh", side="client", program="net-ssh", host=host,
                        port=port, our_offer=ours, evidence=evidence, extra=extra)
    if theirs is None:
        # The first line of the three: the lines after it (merged into this finding) hold both lists.
        text = found.explanation.replace(" The message does not say what the server offered.",
                                         " net-ssh prints the server's and its own list on the two lines after it.")
        found = replace(found, explanation=text)
    return found


@register("netssh-could-not-settle", "could not settle on",
          rf"could not settle on (?P<name>{_NAME}) algorithm", family=FAMILY)
def _settle(m: re.Match[str], ctx: Context) -> Finding | None:
    for flag in [f for f in ctx.flags if f.startswith(_PENDING)]:
        ctx.flags.discard(flag)
    ctx.flags.add(_PENDING + m["name"])
    return _finding(m["name"], None, None, m.group(0), ctx)


@register("netssh-server-preferences", "preferences: ",
          rf"^\s*Server (?P<name>{_NAME}) preferences: (?P<list>\S*)\s*$", family=FAMILY)
def _server_preferences(m: re.Match[str], ctx: Context) -> Finding | None:
    # Only under net-ssh's own message; the same finding again, now with the server's list.
    if _PENDING + m["name"] not in ctx.flags:
        return None
    return _finding(m["name"], offer_tuple(m["list"]), None, m.group(0).strip(), ctx)


@register("netssh-client-preferences", "preferences: ",
          rf"^\s*Client (?P<name>{_NAME}) preferences: (?P<list>\S*)\s*$", family=FAMILY)
def _client_preferences(m: re.Match[str], ctx: Context) -> Finding | None:
    if _PENDING + m["name"] not in ctx.flags:
        return None
    ctx.flags.discard(_PENDING + m["name"])
    return _finding(m["name"], None, offer_tuple(m["list"]), m.group(0).strip(), ctx)
