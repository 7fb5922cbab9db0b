"""Closed-source clients and devices whose messages are known only from published texts.

SecureCRT (VanDyke, client). Its code is not public; the wording is from dialogs its
users published: ``Key exchange failed.`` followed by ``No compatible cipher. The server
supports these ciphers: LIST`` (blog.hqcodeshop.fi, 2015, SecureCRT against OpenSSH 6.7)
and ``No compatible key-exchange method. The server supports these methods: LIST``,
sometimes followed by ``The following key-exchange method(s) are supported but not
currently allowed for this session: LIST`` (infosecmonkey.com, 2026, SecureCRT 9.7.1
against FortiOS 7.6.6); that second list is SecureCRT's own and is not read. The list is the
server's offer, with some names in SecureCRT's
display spelling (``AES-128-CTR``), which is turned back into the wire name.

Tectia, Cisco ASA, FortiOS, ArubaOS and RouterOS print no negotiation message that
could be sourced, so no recogniser is registered for them here.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

# SecureCRT shows AES in CBC/CTR mode as "AES-128-CTR"; the wire name is "aes128-ctr".
_DISPLAY_AES = re.compile(r"^AES-(?P<bits>128|192|256)-(?P<mode>CTR|CBC)$", re.IGNORECASE)

_SECURECRT_WORDS = {
    "key-exchange method": Category.KEX,
    "cipher": Category.CIPHER,
    "mac": Category.MAC,
    "hostkey": Category.HOSTKEY,
    "host key": Category.HOSTKEY,
    "compression": Category.COMPRESSION,
}


def _wire_name(name: str) -> str:
    m = _DISPLAY_AES.match(name)
    return f"aes{m['bits']}-{m['mode'].lower()}" if m else name


@register("securecrt-no-compatible", "The server supports these",
          r"No compatible (?P<what>[\w -]+?)\. The server supports these [\w -]+?: (?P<offer>\S+)", family="securecrt")
def _securecrt(m: re.Match[str], ctx: Context) -> Finding | None:
    what = m["what"].strip().lower()
    category = _SECURECRT_WORDS.get(what) or category_from_words(what)
    offer = tuple(_wire_name(n) for n in offer_tuple(m["offer"]))
    host, port = ctx.peer or (None, None)
    return negotiation(category, offer, reported_by="securecrt", side="client", program="SecureCRT", host=host,
                       port=port, evidence=m.group(0), extra={"display_names": m["offer"] != ",".join(offer)})

