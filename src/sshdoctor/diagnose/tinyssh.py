"""tinysshd, the minimal SSH server (server logs only: tinyssh has no client).

From tinyssh 20230101 tinyssh/sshcrypto_kex.c, sshcrypto_key.c and
sshcrypto_cipher.c: at debug level (``tinysshd -vv``) each selection logs the
client's list first, then either ``kex: kex selected: NAME`` or
``kex: kex not available LIST`` (``key`` for host keys, ``cipher`` for
ciphers), LIST being the client's offer. tinysshd always accepts the MAC
(it has only chacha20-poly1305, whose MAC is implicit) and offers only
``none`` compression. Log lines look like
``tinysshd: ID: debug: kex: cipher not available aes128-ctr,... {sshcrypto_cipher.c:76}``;
the connection then ends with ``fatal: unable to receive kex-message (protocol error)``.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

FAMILY = "tinyssh"
PROGRAM = "tinysshd"

_WHAT = {"kex": Category.KEX, "key": Category.HOSTKEY, "cipher": Category.CIPHER}


@register("tinysshd-not-available", "not available",
          r"kex: (?P<what>kex|key|cipher) not available (?P<client>[^\s{]*)", family=FAMILY)
def _not_available(m: re.Match[str], ctx: Context) -> Finding | None:
    if "tinysshd" not in m.string and "sshcrypto_" not in m.string:
        return None  # the words alone are too common; tinysshd's lines name it or its source file
    return negotiation(_WHAT[m["what"]], offer_tuple(m["client"]), reported_by=FAMILY, side="server",
                       program=PROGRAM, evidence=m.group(0))
