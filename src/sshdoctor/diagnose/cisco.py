"""Cisco IOS / IOS XE and IOS XR as SSH servers.

Cisco's code is not public. The formats are taken from logs published by
their users: IOS (a Cisco 1941, 15.x) ``%SSH-3-NO_MATCH: No matching cipher
found: client LIST server LIST`` (opensysadmins.com, 2024-07, "No matching key
exchange method found"), and IOS XR ``%SECURITY-SSHD-6-INFO_GENERAL : no
matching cipher found: client LIST, server LIST`` (Cisco bug CSCvx77619 as
quoted by findbugzero.com). In both the router is the server, so ``client``
is the connecting client's offer.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, negotiation, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding


@register("cisco-ios-no-match", "%SSH-3-NO_MATCH",
          r"%SSH-3-NO_MATCH: No matching (?P<what>[\w ]+?) found: client (?P<client>\S+) server (?P<server>\S+)",
          family="cisco")
def _ios(m: re.Match[str], ctx: Context) -> Finding | None:
    return negotiation(category_from_words(m["what"]), offer_tuple(m["client"]), reported_by="cisco", side="server",
                       program="Cisco IOS", our_offer=offer_tuple(m["server"]), evidence=m.group(0),
                       extra={"peer_role": "client", "platform": "ios"})


@register("cisco-xr-no-match", "SECURITY-SSHD",
          r"%SECURITY-SSHD-\d-\w+ ?: no matching (?P<what>[\w ]+?) found: client (?P<client>.+?), server (?P<server>\S+)",
          family="cisco")
def _xr(m: re.Match[str], ctx: Context) -> Finding | None:
    return negotiation(category_from_words(m["what"]), offer_tuple(m["client"]), reported_by="cisco", side="server",
                       program="Cisco IOS XR", our_offer=offer_tuple(m["server"]), evidence=m.group(0),
                       extra={"peer_role": "client", "platform": "ios-xr"})
