"""russh, the Rust SSH library (Warpgate, Kerminal and many Rust tools), client and server.

From russh's own error type (src/lib.rs up to 0.4x, src/lib_inner.rs later):

* 0.65: ``Error::NoCommonAlgo``, shown as ``No common Kex algorithm - ours: ["a", "b"], theirs:
  ["c"]`` (kinds Kex, Key, Cipher, Mac, Compression; Debug form ``NoCommonAlgo { kind: Kex,
  ours: [...], theirs: [...] }``);
* 0.44: one error per category without lists: ``No common key exchange algorithm``, ``No common
  key algorithm`` (host key), ``No common key cipher``, ``No common MAC algorithm``, ``No common
  compression algorithm`` (Debug: ``NoCommonKexAlgo``, ``NoCommonKeyAlgo``, ``NoCommonCipher``,
  ``NoCommonMac``, ``NoCommonCompression``);
* up to 0.55: ``Unknown algorithm`` (``UnknownAlgo``) when no real key exchange method is common but
  the peer sends an extension name russh also lists (kex-strict-s-v00@openssh.com from a
  server, ext-info-c from a client): russh agrees on that pseudo name and then finds no
  implementation for it.

The same text comes from a russh client and a russh server; "ours" is the side that wrote it.
A server's message is told apart by the word "server" before it on the line (a log target like
``russh::server``, or the program's own prefix) or, for key exchange, by the other side's
extension names (a client sends ext-info-c / kex-strict-c-…).
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

FAMILY = "russh"
PROGRAM = "russh"

_KIND = {
    "Kex": Category.KEX,
    "Key": Category.HOSTKEY,
    "Cipher": Category.CIPHER,
    "Mac": Category.MAC,
    "Compression": Category.COMPRESSION,
}
_OLD_WORDS = {
    "key exchange algorithm": Category.KEX,
    "key algorithm": Category.HOSTKEY,
    "key cipher": Category.CIPHER,
    "MAC algorithm": Category.MAC,
    "compression algorithm": Category.COMPRESSION,
}
_OLD_DEBUG = {
    "NoCommonKexAlgo": Category.KEX,
    "NoCommonKeyAlgo": Category.HOSTKEY,
    "NoCommonCipher": Category.CIPHER,
    "NoCommonMac": Category.MAC,
    "NoCommonCompression": Category.COMPRESSION,
}
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_LIST = r"\[(?:\"(?:[^\"\\]|\\.)*\"(?:, )?)*\]"


def _names(text: str) -> tuple[str, ...]:
    return tuple(n for n in _QUOTED.findall(text) if n)[:256]


def _side(m: re.Match[str], theirs: tuple[str, ...] = ()) -> str:
    start = m.start("msg") if "msg" in m.re.groupindex and m["msg"] is not None else m.start()
    if "server" in m.string[:start].lower():
        return "server"
    if any(n == "ext-info-c" or n.startswith("kex-strict-c-") for n in theirs):
        return "server"
    return "client"


def _finding(category: Category | None, m: re.Match[str], ctx: Context, *, ours: tuple[str, ...] | None = None,
             theirs: tuple[str, ...] | None = None, extra: dict[str, object] | None = None) -> Finding:
    side = _side(m, theirs or ())
    host, port = (ctx.peer or (None, None)) if side == "client" else (None, None)
    return negotiation(category, theirs, reported_by=FAMILY, side=side, program=PROGRAM, host=host, port=port,
                       our_offer=ours, evidence=m.group(0), extra=extra)


@register("russh-no-common-algo", "No common ",
          r"No common (?P<kind>Kex|Key|Cipher|Mac|Compression) algorithm - ours: (?P<ours>" + _LIST + r"), "
          r"theirs: (?P<theirs>" + _LIST + r")", family=FAMILY)
def _no_common(m: re.Match[str], ctx: Context) -> Finding | None:
    return _finding(_KIND[m["kind"]], m, ctx, ours=_names(m["ours"]), theirs=_names(m["theirs"]))


@register("russh-no-common-algo-debug", "NoCommonAlgo",
          r"NoCommonAlgo \{ kind: (?P<kind>Kex|Key|Cipher|Mac|Compression), ours: (?P<ours>" + _LIST + r"), "
          r"theirs: (?P<theirs>" + _LIST + r") \}", family=FAMILY)
def _no_common_debug(m: re.Match[str], ctx: Context) -> Finding | None:
    return _finding(_KIND[m["kind"]], m, ctx, ours=_names(m["ours"]), theirs=_names(m["theirs"]))


@register("russh-044-no-common", "No common ",
          r"\bNo common (?P<what>key exchange algorithm|key algorithm|key cipher|MAC algorithm|compression algorithm)"
          r"(?=\s*$|[\"')\]])", family=FAMILY)
def _old(m: re.Match[str], ctx: Context) -> Finding | None:
    return _finding(_OLD_WORDS[m["what"]], m, ctx, extra={"missing": "offer"})


@register("russh-044-no-common-debug", "NoCommon",
          r"\b(?P<what>NoCommonKexAlgo|NoCommonKeyAlgo|NoCommonCipher|NoCommonMac|NoCommonCompression)\b",
          family=FAMILY)
def _old_debug(m: re.Match[str], ctx: Context) -> Finding | None:
    return _finding(_OLD_DEBUG[m["what"]], m, ctx, extra={"missing": "offer"})


# "Unknown algorithm" alone is too common a phrase to claim: only russh's whole message (a line
# that ends with it, alone or after "error:"), or its Debug name, is read.
@register("russh-unknown-algo", "nknown",
          r"^(?:.*\b[Ee](?:rror|RROR):?\s+)?(?P<msg>Unknown algorithm)\s*$|\bUnknownAlgo\b", family=FAMILY)
def _unknown(m: re.Match[str], ctx: Context) -> Finding | None:
    return _finding(Category.KEX, m, ctx, extra={
        "missing": "offer",
        "note": ("russh up to 0.55 reports 'Unknown algorithm' when no real key exchange method is common and the other "
                 "side sends an extension name (kex-strict-*, ext-info-*) that russh lists too: it agrees on that "
                 "name, which is not a method. russh 0.56 and newer say 'No common Kex algorithm'."),
    })
