"""phpseclib, the pure-PHP SSH2 client (Laravel/Flysystem SFTP, WordPress plugins, …).

From phpseclib/Net/SSH2.php at the tags 2.0.55 and 3.0.56 (the same texts since
2.0.0 and 3.0.0): one message per category and direction, never with a list.

- ``No compatible key exchange algorithms found``
- ``No compatible server host key algorithms found``
- ``No compatible (client to server|server to client) encryption algorithms found``
- ``No compatible (client to server|server to client) message authentication algorithms found``
- ``No compatible (client to server|server to client) compression algorithms found``

2.0 raises them with user_error() (``PHP Notice:  … in …/SSH2.php on line N``); 3.0
throws ``phpseclib3\\Exception\\NoSupportedAlgorithmsException: …``. Either way
phpseclib has already sent SSH_MSG_DISCONNECT (key exchange failed).
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import direction_from_words, negotiation
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

FAMILY = "phpseclib"

_WORDS = {
    "key exchange": Category.KEX,
    "server host key": Category.HOSTKEY,
    "encryption": Category.CIPHER,
    "message authentication": Category.MAC,
    "compression": Category.COMPRESSION,
}


@register("phpseclib-no-compatible", "No compatible ",
          r"No compatible (?:(?P<dir>client to server|server to client) )?"
          r"(?P<what>key exchange|server host key|encryption|message authentication|compression) algorithms found",
          family=FAMILY)
def _no_compatible(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    line = m.string
    # 3.0 throws an exception class of its own namespace; 2.0 raises a PHP notice.
    branch = "3.0" if "phpseclib3" in line else ("2.0" if "Notice" in line else None)
    program = "phpseclib" + (f" {branch}" if branch else "")
    direction = direction_from_words(m["dir"]) if m["dir"] else None
    return negotiation(_WORDS[m["what"]], None, reported_by=FAMILY, side="client", program=program, host=host,
                       port=port, evidence=m.group(0),
                       extra={"direction": direction, "missing": "offer", "branch": branch})
