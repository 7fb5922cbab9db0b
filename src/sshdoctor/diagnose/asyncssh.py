"""AsyncSSH, the asyncio SSH library.

From AsyncSSH connection.py ``_choose_alg()`` (2.13 to 2.24.1, checked in the
interop lab): ``No matching %s algorithm found, sent LOCAL and received REMOTE``
for key exchange, encryption, MAC and compression, raised as
``asyncssh.misc.KeyExchangeFailed`` and logged as ``Sending disconnect: …``.
"received" is always the peer's list. A server also says ``Unable to find
compatible server host key``; a client never checks host key algorithms
itself, the server does. Which side wrote a log shows in its first lines:
``Opening SSH connection to …`` / ``Connected to SSH server at …`` (client) or
``Accepted SSH client connection`` (server).
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, negotiation, offer_tuple, simple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

FAMILY = "asyncssh"
_SIDE = "asyncssh-side:"

_ASYNCSSH_WORDS = {
    "key exchange": Category.KEX,
    "encryption": Category.CIPHER,
    "MAC": Category.MAC,
    "compression": Category.COMPRESSION,
}


def _side(ctx: Context) -> str | None:
    return next((f.removeprefix(_SIDE) for f in ctx.flags if f.startswith(_SIDE)), None)


def _set_side(ctx: Context, side: str) -> None:
    for flag in [f for f in ctx.flags if f.startswith(_SIDE)]:
        ctx.flags.discard(flag)
    ctx.flags.add(_SIDE + side)


@register("asyncssh-client-log", "Opening SSH connection to", r"Opening SSH connection to ", family=FAMILY)
def _client_log(m: re.Match[str], ctx: Context) -> Finding | None:
    _set_side(ctx, "client")
    return None


@register("asyncssh-client-connected", "Connected to SSH server at", r"Connected to SSH server at ", family=FAMILY)
def _client_connected(m: re.Match[str], ctx: Context) -> Finding | None:
    _set_side(ctx, "client")
    return None


@register("asyncssh-server-log", "Accepted SSH client connection", r"Accepted SSH client connection", family=FAMILY)
def _server_log(m: re.Match[str], ctx: Context) -> Finding | None:
    _set_side(ctx, "server")
    return None


@register("asyncssh-no-matching", "algorithm found, sent",
          r"No matching (?P<what>[\w ]+?) algorithm found, sent (?P<sent>\S*) and received (?P<received>\S*)",
          family=FAMILY)
def _asyncssh(m: re.Match[str], ctx: Context) -> Finding | None:
    category = _ASYNCSSH_WORDS.get(m["what"]) or category_from_words(m["what"])
    received = () if m["received"] == "<None>" else offer_tuple(m["received"])
    sent = () if m["sent"] == "<None>" else offer_tuple(m["sent"])
    host, port = ctx.peer or (None, None)
    side = _side(ctx)
    extra: dict[str, object] = {}
    if side is None:
        side = "client"
        extra["side_note"] = "AsyncSSH prints the same text as a server; 'received' is the peer's list"
    return negotiation(category, received, reported_by="asyncssh", side=side, program="AsyncSSH",
                       our_offer=sent, host=host, port=port, evidence=m.group(0), extra=extra)


@register("asyncssh-no-host-key", "Unable to find compatible server host key",
          r"Unable to find compatible server host key", family=FAMILY)
def _host_key(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    # At debug level 2 the client's lists come just before, under "Received key exchange request".
    offer: tuple[str, ...] | None = None
    received = False
    for line in ctx.recent:
        if "Received key exchange request" in line:
            received, offer = True, None
        elif received and (hk := re.search(r"Host key algs: (\S*)", line)):
            offer, received = offer_tuple(hk[1]), False
    extra: dict[str, object] = {} if offer is not None else {
        "missing": "offer (AsyncSSH logs the client's host key algs at debug level 2)"}
    return negotiation(Category.HOSTKEY, offer, reported_by="asyncssh", side="server", program="AsyncSSH",
                       host=host, port=port, evidence=m.group(0), extra=extra)


@register("asyncssh-kex-not-in-progress", "Key exchange not in progress", r"Key exchange not in progress", family=FAMILY)
def _not_in_progress(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    text = ("AsyncSSH got a key exchange packet after its key exchange had finished. The usual cause is a client "
            "that guessed the key exchange and sent its first packet early (first_kex_packet_follows, as Dropbear's "
            "dbclient does): AsyncSSH keeps the guess when the method it chose is the client's first, while the "
            "client, following RFC 4253 section 7, counts the guess as wrong whenever the two sides' first methods "
            "differ, and sends its packet again. With AsyncSSH 2.24 and later the server's first method is ML-KEM, "
            "so a Dropbear client meets this every time. Make both sides prefer the same first key exchange (e.g. "
            "kex_algs on the AsyncSSH side starting with the client's first method).")
    return simple("protocol-error", text, reported_by="asyncssh", host=host, port=port, evidence=m.group(0),
                  category=Category.KEX, extra={"cause": "guessed kex packet kept"})
