"""paramiko, the Python SSH library (and Ansible's paramiko connection, Fabric, netmiko …).

From paramiko 5.1.0 transport.py: ``Incompatible ssh peer (no acceptable kex
algorithm)``, ``… (no acceptable host key)``, ``… (can't match requested host
key type)`` and the older wording ``Incompatible ssh server (no acceptable
ciphers|macs|compression)``. paramiko never prints either list, so the offer
has to be fetched (``sshdoctor explain --probe``).
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, negotiation
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

_PARAMIKO_WORDS = {
    "kex algorithm": Category.KEX,
    "host key": Category.HOSTKEY,
    "ciphers": Category.CIPHER,
    "macs": Category.MAC,
    "compression": Category.COMPRESSION,
}


@register("paramiko-incompatible", "Incompatible ssh",
          r"Incompatible ssh (?P<who>peer|server) \((?P<what>no acceptable [\w ]+|can't match requested host key type)\)",
          family="paramiko")
def _paramiko(m: re.Match[str], ctx: Context) -> Finding | None:
    what = m["what"].removeprefix("no acceptable ")
    category = _PARAMIKO_WORDS.get(what) or category_from_words(what)
    host, port = ctx.peer or (None, None)
    return negotiation(category, None, reported_by="paramiko", side="client", program="paramiko",
                       host=host, port=port, evidence=m.group(0))
