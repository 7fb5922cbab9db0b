"""Cisco IOS / IOS XE and IOS XR, as SSH servers and as SSH clients.

Cisco's code is not public. The formats are taken from logs published by
their users: IOS (a Cisco 1941, 15.x) ``%SSH-3-NO_MATCH: No matching cipher
found: client LIST server LIST`` (opensysadmins.com, 2024-07, "No matching key
exchange method found"; the kex and hostkey variants read ``No matching kex
algorithm found`` / ``No matching hostkey algorithm found``), the older debug
form ``SSH2 0: no matching cipher found: client LIST server LIST``, and IOS XR
``%SECURITY-SSHD-6-INFO_GENERAL : no matching cipher found: client LIST, server
LIST`` (Cisco bug CSCvx77619 as quoted by findbugzero.com).

The console wraps these long lines at its width, often inside a word or a
name (``clie`` / ``nt``, ``aes25`` / ``6-cbc``); the engine joins the lines and
only whole names are kept. The message is the same whichever side the device
was: "client" is always the connecting side's list. The device is taken to
be the client when the text shows it connecting (``R1#ssh -l admin HOST``,
``copy scp:``, ``[Connection to HOST aborted: error status 0]``) or when the
server's list holds names only OpenSSH servers send (``kex-strict-s-v00``,
``sntrup761x25519-sha512``, ``mlkem768x25519-sha256``); otherwise it is the
server, as on routers and switches that users log in to.
"""

from __future__ import annotations

import re
from functools import cache

from sshdoctor.diagnose.common import category_from_words, host_of, negotiation, offer_fragments, offer_tuple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.diagnose.text import BREAK, register_wrapped
from sshdoctor.model import Category, Finding

_GAP = f"[ {BREAK}]?"


def _loose(word: str) -> str:
    """``word`` as a pattern that survives a line break inside it (joined with a space or BREAK)."""
    return _GAP.join(re.escape(c) for c in word)


_CLIENT, _SERVER = _loose("client"), _loose("server")
_IOS = (r"(?:%SSH-3-NO_MATCH: No matching|\bSSH2? \d+: no matching) (?P<what>[\w " + BREAK + r"]+?) found: " + _CLIENT
        + rf"[ {BREAK}]+(?P<client>.*?)[ {BREAK}]+" + _SERVER + rf"[ {BREAK}]+(?P<server>\S.*?)\s*$")
register_wrapped("%SSH-3-NO_MATCH", rf"[ {BREAK}]{_SERVER}[ {BREAK}]+[\w@.-]")
register_wrapped("SECURITY-SSHD", ", server ")

# Names that only an OpenSSH-derived server puts in its list: a "server" list holding one did not come from IOS.
_OPENSSH_SERVER_ONLY = frozenset({
    "kex-strict-s-v00@openssh.com", "sntrup761x25519-sha512@openssh.com", "sntrup761x25519-sha512",
    "mlkem768x25519-sha256", "ext-info-s",
})
_CLIENT_MARK = "cisco-client"


@cache
def _ios_names() -> frozenset[str]:
    """Every name any IOS or IOS XE release in the catalog supports (loaded only when a Cisco message is seen)."""
    from sshdoctor.catalog.profiles import all_profiles

    names: set[str] = set()
    for p in all_profiles().values():
        if p.implementation in ("cisco-ios", "cisco-iosxe"):
            for side in (p.supported, p.server, p.client):
                for listed in (side.lists.values() if side else ()):
                    names.update(listed)
    return frozenset(names)


def _device_is_client(category: Category | None, server_list: tuple[str, ...], ctx: Context) -> bool:
    if _CLIENT_MARK in ctx.flags:
        return True
    if any(n in _OPENSSH_SERVER_ONLY for n in server_list):
        return True
    if category is None:
        return False
    # A "server" list with a name the catalog knows but no IOS release supports did not come from the device.
    from sshdoctor.catalog import Rating, algorithm, is_pseudo

    known = [n for n in server_list if not is_pseudo(n) and algorithm(category, n).rating is not Rating.UNKNOWN]
    ios = _ios_names()
    return bool(known) and any(n not in ios for n in known)


def _finding(m: re.Match[str], ctx: Context, platform: str, program: str) -> Finding:
    client, server = offer_tuple(m["client"]), offer_tuple(m["server"])
    pieces = offer_fragments(m["client"]) + offer_fragments(m["server"])
    extra: dict[str, object] = {"platform": platform}
    if pieces:
        extra.update(offer_incomplete=True, offer_fragments=list(pieces))
    category = category_from_words(m["what"].replace(BREAK, ""))
    if _device_is_client(category, server, ctx):
        host, port = ctx.peer or (None, None)
        extra["peer_role"] = "server"
        return negotiation(category, server, reported_by="cisco-client", side="client", program=f"{program} (as client)",
                           our_offer=client, host=host, port=port, evidence=m.group(0), extra=extra)
    extra["peer_role"] = "client"
    return negotiation(category, client, reported_by="cisco", side="server", program=program, our_offer=server,
                       evidence=m.group(0), extra=extra)


@register("cisco-ios-no-match", "o matching", _IOS, family="cisco")
def _ios(m: re.Match[str], ctx: Context) -> Finding | None:
    return _finding(m, ctx, "ios", "Cisco IOS")


@register("cisco-xr-no-match", "SECURITY-SSHD",
          r"%SECURITY-SSHD-\d-\w+ ?: no matching (?P<what>[\w ]+?) found: client (?P<client>.+?), server (?P<server>\S+)",
          family="cisco")
def _xr(m: re.Match[str], ctx: Context) -> Finding | None:
    return _finding(m, ctx, "ios-xr", "Cisco IOS XR")


@register("cisco-client-aborted", "aborted: error status",
          r"\[Connection to (?P<host>\S+?) aborted: error status \d+\]", family="cisco")
def _aborted(m: re.Match[str], ctx: Context) -> Finding | None:
    # What the IOS ssh client prints when its own connection fails: the device is the client.
    ctx.flags.add(_CLIENT_MARK)
    host = host_of(m["host"])
    if host is not None:
        ctx.peer = (host, None)
    return None


@register("cisco-exec-ssh", "ssh -",
          r"^[\w.-]+[#>]\s*ssh\s(?:\s*-\w+(?:\s+(?!-)\S+)?)*\s*(?:\w+@)?(?P<host>[\w.:-]+)\s*$", family="cisco")
def _exec_ssh(m: re.Match[str], ctx: Context) -> Finding | None:
    # An IOS exec prompt running ssh (IOS wants "-l user") — the device connects out, as a client.
    return _connects_out(m["host"], ctx)


@register("cisco-exec-copy", "copy ",
          r"^[\w.-]+[#>]\s*copy\s+(?:\S+\s+)?(?:scp|sftp)://(?:[^@/\s]+@)?(?P<host>[^/:\s]+)", family="cisco")
def _exec_copy(m: re.Match[str], ctx: Context) -> Finding | None:
    # "copy running-config scp://…" or "copy scp://… flash:": the device is the SSH client.
    return _connects_out(m["host"], ctx)


def _connects_out(host_text: str | None, ctx: Context) -> Finding | None:
    ctx.flags.add(_CLIENT_MARK)
    host = host_of(host_text)
    if host is not None:
        ctx.peer = (host, 22)
    return None
