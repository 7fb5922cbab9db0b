"""Erlang/OTP's ssh application (ssh:connect and ssh:daemon; RabbitMQ, CouchDB,
Elixir's nerves_ssh and many embedded Erlang systems).

From ssh 4.15.2 (OTP 25) ssh_transport.erl: when the KEXINITs have nothing in
common in a category the connection process disconnects with code 3 and logs a
report (logger, so stderr of an escript or the node's log):

    Erlang SSH client version: 4.15.2 (OpenSSL 3.0.19 27 Jan 2026).
    ...
    Disconnects with code = 3 [RFC4253 11.1]: Key exchange failed
    State = {kexinit,client,init}
    ...
    Details:
      No common key exchange algorithm

The category words are ``key exchange``, ``key`` (host key), ``cipher``,
``mac`` and ``compress``; no direction and no lists. With more detailed logging
it adds ``,`` and the lists (``we have:`` / ``peer have:``) on the lines
after. ``ssh:connect`` itself returns only ``{error,"Key exchange failed"}``.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

FAMILY = "erlang"
REPORTED_BY = "erlang-ssh"
PROGRAM = "Erlang/OTP ssh"

_WORDS = {
    "key exchange": Category.KEX,
    "key": Category.HOSTKEY,
    "cipher": Category.CIPHER,
    "mac": Category.MAC,
    "compress": Category.COMPRESSION,
    "compression": Category.COMPRESSION,
}
_ROLE = re.compile(r"Erlang SSH (client|server) version|State = \{kexinit,(client|server)")
_DISCONNECT = "Disconnects with code = 3 [RFC4253 11.1]: Key exchange failed"


def _role(ctx: Context) -> str | None:
    """client or server, from the report lines before this one; None when they are not Erlang's."""
    role = None
    for line in ctx.recent:
        m = _ROLE.search(line)
        if m:
            role = m[1] or m[2]
    return role


@register("erlang-no-common", "No common",
          r"^\s*No common (?P<what>key exchange|key|cipher|mac|compress(?:ion)?) algorithm\b", family=FAMILY)
def _no_common(m: re.Match[str], ctx: Context) -> Finding | None:
    # Other libraries say "No common ... algorithm" too; Erlang's comes under its disconnect report.
    if not any(_DISCONNECT in line for line in ctx.recent):
        return None
    side = _role(ctx) or "client"
    ctx.flags.add("erlang-kex-detail")
    host, port = ctx.peer or (None, None)
    return negotiation(_WORDS[m["what"]], None, reported_by=REPORTED_BY, side=side, program=PROGRAM, host=host,
                       port=port, evidence=m.group(0).strip(), extra={"missing": "offer and direction"})


@register("erlang-kex-failed-return", "Key exchange failed", r"\{error,\s*\"Key exchange failed\"\}", family=FAMILY)
def _returned(m: re.Match[str], ctx: Context) -> Finding | None:
    if "erlang-kex-detail" in ctx.flags:
        return None  # the report's Details line already named the category
    host, port = ctx.peer or (None, None)
    return negotiation(None, None, reported_by=REPORTED_BY, side="client", program=PROGRAM, host=host, port=port,
                       evidence=m.group(0), extra={"missing": "category and offer"})
