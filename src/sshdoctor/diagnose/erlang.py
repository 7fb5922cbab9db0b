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
``mac`` and ``compress``; no direction. With the logger at debug level the
line ends in a comma and the lists follow (ours cut with ``...``)::

      No common key exchange algorithm,
      we have:
        ecdh-sha2-nistp384, ecdh-sha2-nistp521, ...
      peer have:
        diffie-hellman-group14-sha1, kex-strict-s-v00@openssh.com

``ssh:connect`` itself returns only ``{error,"Key exchange failed"}``.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation, offer_tuple
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
_PENDING = "erlang-peer-list:"  # a flag: the next list line is the peer's offer for this category and side
_NAMES = re.compile(r"^(?P<list>[\w@.+-]+(?:, [\w@.+-]+)*)(?:\.\.\.)?$")


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
    # russh's errors read the same ("No common key exchange algorithm"): under Erlang's report the line is ours.
    ctx.flags.add("consumed")
    ctx.flags.add("erlang-kex-detail")
    category = _WORDS[m["what"]]
    ctx.flags.add(f"{_PENDING}{category.value}:{side}")
    host, port = ctx.peer or (None, None)
    # A trailing comma: the lists follow on the next lines (debug level), read by _peer_have.
    lists_follow = m.string.rstrip().endswith(",")
    return negotiation(category, None, reported_by=REPORTED_BY, side=side, program=PROGRAM, host=host,
                       port=port, evidence=m.group(0).strip(),
                       extra={"missing": "direction" if lists_follow else "offer and direction"})


def _pending(ctx: Context) -> tuple[Category, str] | None:
    for flag in ctx.flags:
        if flag.startswith(_PENDING):
            category, side = flag[len(_PENDING):].split(":")
            return Category(category), side
    return None


@register("erlang-peer-have", "peer have:", r"^\s*peer have:\s*(?P<list>[\w@.+-]+(?:, [\w@.+-]+)*)?", family=FAMILY)
def _peer_have(m: re.Match[str], ctx: Context) -> Finding | None:
    pending = _pending(ctx)
    if pending is None:
        return None
    if m["list"] is None:
        ctx.flags.add("erlang-peer-list-next")  # the list is on the next line
        return None
    return _peer_offer(m["list"], pending, ctx)


@register("erlang-peer-list", ",", r"^\s*[\w@.+-]+, ", family=FAMILY)
def _peer_list(m: re.Match[str], ctx: Context) -> Finding | None:
    return _list_line(m.string, ctx)


@register("erlang-peer-one", "", r"^\s*[\w@.+-]+$", family=FAMILY)
def _peer_one(m: re.Match[str], ctx: Context) -> Finding | None:
    return _list_line(m.string, ctx)


def _list_line(line: str, ctx: Context) -> Finding | None:
    if "erlang-peer-list-next" not in ctx.flags:
        return None
    ctx.flags.discard("erlang-peer-list-next")
    pending = _pending(ctx)
    names = _NAMES.match(line.strip())
    if pending is None or names is None:
        return None
    return _peer_offer(names["list"], pending, ctx)


def _peer_offer(text: str, pending: tuple[Category, str], ctx: Context) -> Finding:
    # The same finding as the "No common" line's, now with the peer's list: the engine merges the two.
    ctx.flags.discard(f"{_PENDING}{pending[0].value}:{pending[1]}")
    category, side = pending
    host, port = ctx.peer or (None, None)
    return negotiation(category, offer_tuple(text, sep=","), reported_by=REPORTED_BY, side=side, program=PROGRAM,
                       host=host, port=port, extra={"missing": "direction"})


@register("erlang-kex-failed-return", "Key exchange failed", r"\{error,\s*\"Key exchange failed\"\}", family=FAMILY)
def _returned(m: re.Match[str], ctx: Context) -> Finding | None:
    if "erlang-kex-detail" in ctx.flags:
        return None  # the report's Details line already named the category
    host, port = ctx.peer or (None, None)
    return negotiation(None, None, reported_by=REPORTED_BY, side="client", program=PROGRAM, host=host, port=port,
                       evidence=m.group(0), extra={"missing": "category and offer"})
