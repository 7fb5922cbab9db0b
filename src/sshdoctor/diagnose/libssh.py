"""libssh (used by hydra, Ansible's pylibssh, KDE, curl's SCP/SFTP with libssh …).

From libssh 0.11.5 src/kex.c: ``kex error : no match for method %s: server
[%s], client [%s]`` with the method names ``kex algos``, ``server host key
algo``, ``encryption client->server``, ``mac algo server->client`` ….
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, direction_from_words, negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding


@register("libssh-no-match", "no match for method",
          r"kex error : no match for method (?P<what>[\w >-]+?): server \[(?P<server>[^\]]*)\], client \[(?P<client>[^\]]*)\]",
          family="libssh")
def _libssh(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    return negotiation(category_from_words(m["what"]), offer_tuple(m["server"]), reported_by="libssh", side="client",
                       program="libssh", our_offer=offer_tuple(m["client"]), host=host, port=port,
                       evidence=m.group(0), extra={"direction": direction_from_words(m["what"])})
