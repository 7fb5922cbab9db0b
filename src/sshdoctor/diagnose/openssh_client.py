"""Messages of the OpenSSH client (ssh, scp, sftp) about key exchange and the transport.

Formats are those of OpenSSH's packet.c ``sshpkt_fatal()`` / ssherr.c (the
five ``no matching … found. Their offer:`` forms), kex.c
``kex_exchange_identification()``, and the pre-7.0 ``kex.c`` fatal messages
(``no matching cipher found: client … server …``).
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import (
    category_from_words,
    gex_group_too_small,
    host_of,
    negotiation,
    offer_fragments,
    offer_tuple,
    peer_extra,
    port_of,
    simple,
)
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.diagnose.text import register_wrapped
from sshdoctor.model import Category, Finding

FAMILY = "openssh-client"
PROGRAM = "The OpenSSH client"

# sshd's lines, however they were logged: syslog/journal ("sshd[123]:", "[preauth]"), sshd -E or the Windows
# Event Viewer ("sshd: ", Cygwin's "sshd: PID 123: "), Win32-OpenSSH's sshd.log ("5468 10:22:00 356 ",
# "9584 2020-06-01 17:10:25.656 "), Nexus ("dcos_sshd[123]"), and "fatal: ", which ssh prints only to syslog.
_SERVER_MARK = re.compile(
    r"\[preauth\]|\b(?:dcos_)?sshd(?:-session)?\[\d+\]:|\bsshd(?:-session)?:\s|\bfatal: |"
    r"^\d{2,6} (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d[.: ]\d{3} "
)


def server_line(line: str) -> bool:
    """Whether a line comes from sshd's log rather than from the client."""
    return _SERVER_MARK.search(line) is not None


def from_server(line: str, ctx: Context) -> bool:
    """Whether a line is sshd's: by its own marks, or because the text is a server log
    (a ``Connection from … on …`` line came first, or a Windows Event Viewer entry headed ``sshd``)."""
    return server_line(line) or ctx.last_client is not None or "server-log" in ctx.flags


_OFFER = r"(?P<offer>[^\s\[,]*(?:, ?[^\s\[,]*)*)"
NEGOTIATE = (
    r"Unable to negotiate with (?:(?P<host><[^>]{1,40}>|\S+?)\s*)?(?:port (?P<port><[^>]{1,20}>|\S+?)\s*)?:"
    r" no matching (?P<what>[\w ]+?) found\.?(?: (?:[Tt]heir|They) offer: ?" + _OFFER + ")?"
)

# Terminals and mail clients wrap long lines; each of these messages is whole once its last words are there.
register_wrapped("Unable to negotiate with", r"(?:[Tt]heir|They) offer: ?\S|\[preauth\]", max_lines=6)
register_wrapped("_exchange_identification:",
                 r"_exchange_identification: .*(?:remote host|by peer|invalid characters|timed out|MaxStartups|"
                 r"at this time|Broken pipe|connection abort)\s*$", max_lines=4)
register_wrapped("ssh_dispatch_run_fatal:",
                 r"port \d+: .*\b(?:incorrect|corrupted|length|format|libcrypto|pipe|peer|denied|error|argument|large|"
                 r"negative|decoding|match|failed|closed|supported|timeout|value)\.?\s*$", max_lines=4)
register_wrapped("no matching", r"\bserver [\w@.-]", max_lines=6)
register_wrapped("Connection timed out during", r"during banner exchange", max_lines=3)
register_wrapped("Connecting to ", r"Connecting to .* port \d+", max_lines=3)
register_wrapped("Connection to ", r"Connection to \S+ port \d+", max_lines=3)
register_wrapped("Connection closed by ", r"Connection closed by (?:remote host|\S+ port \d+)", max_lines=3)
register_wrapped("Connection reset by ", r"Connection reset by (?:peer|\S+ port -?\d+)", max_lines=3)


def offer_extra(offer: str | None) -> dict[str, object]:
    """``offer_fragments`` for a finding, when a break or the paste left pieces that are not whole names."""
    pieces = offer_fragments(offer)
    return {"offer_incomplete": True, "offer_fragments": list(pieces)} if pieces else {}


@register("openssh-unable-to-negotiate", "Unable to negotiate with", NEGOTIATE, family=FAMILY)
def _negotiate(m: re.Match[str], ctx: Context) -> Finding | None:
    if from_server(m.string, ctx):
        return None  # openssh_server handles the sshd form, where the offer is the client's
    extra: dict[str, object] = {"proxy": True} if m["host"] == "UNKNOWN" else {}
    extra.update(peer_extra(m["host"], m["port"]))
    extra.update(offer_extra(m["offer"]))
    return negotiation(
        category_from_words(m["what"]), offer_tuple(m["offer"]) if m["offer"] is not None else None,
        reported_by=FAMILY, side="client", program=PROGRAM, host=host_of(m["host"]), port=port_of(m["port"]),
        evidence=m.group(0), extra=extra or None,
    )


@register("openssh-no-matching-offer", " offer:",
          r"\bno matching (?P<what>key exchange method|host key type|host key|cipher|MAC|compression method)"
          r" found\.? (?:[Tt]heir|They) offer: ?" + _OFFER, flags=re.IGNORECASE, family=FAMILY)
def _bare(m: re.Match[str], ctx: Context) -> Finding | None:
    # The message without its "Unable to negotiate with HOST port N:" head, as people often quote it.
    if "Unable to negotiate" in m.string:
        return None
    side = "server" if from_server(m.string, ctx) else "client"
    host, port = ctx.peer if side == "client" and ctx.peer else (None, None)
    return negotiation(category_from_words(m["what"]), offer_tuple(m["offer"]), reported_by=f"openssh-{side}",
                       side=side, program=PROGRAM if side == "client" else "sshd", host=host, port=port,
                       evidence=m.group(0), extra=offer_extra(m["offer"]) or None)


_CISCO_DEBUG = re.compile(r"\bSSH2? \d+: ")
_LEGACY_WORDS = {"cipher": Category.CIPHER, "mac": Category.MAC, "comp": Category.COMPRESSION}


@register("openssh-legacy-no-matching", "no matching",
          r"no matching (?P<what>cipher|mac|comp) found: client (?P<client>.+?) server (?P<server>\S+)",
          family=FAMILY)
def _legacy(m: re.Match[str], ctx: Context) -> Finding | None:
    if "%SSH" in m.string or "SECURITY-SSHD" in m.string or _CISCO_DEBUG.search(m.string):
        return None  # Cisco's wording looks the same; cisco.py reads it
    category = _LEGACY_WORDS[m["what"]]
    if from_server(m.string, ctx):
        return negotiation(category, offer_tuple(m["client"]), reported_by="openssh-server", side="server",
                           program="sshd (before 7.0)", our_offer=offer_tuple(m["server"]), evidence=m.group(0),
                           extra=offer_extra(m["client"]) or None)
    host, port = ctx.peer or (None, None)
    return negotiation(category, offer_tuple(m["server"]), reported_by=FAMILY, side="client",
                       program="The OpenSSH client (before 7.0)", our_offer=offer_tuple(m["client"]),
                       host=host, port=port, evidence=m.group(0), extra=offer_extra(m["server"]) or None)


@register("openssh-legacy-kex", "Unable to negotiate a key exchange method",
          r"Unable to negotiate a key exchange method", family=FAMILY)
def _legacy_kex(m: re.Match[str], ctx: Context) -> Finding | None:
    side = "server" if server_line(m.string) else "client"
    return negotiation(Category.KEX, None, reported_by=f"openssh-{side}", side=side,
                       program="OpenSSH (before 7.0)", evidence=m.group(0))


@register("openssh-legacy-hostkey", "no hostkey alg", r"\bno hostkey alg\b", family=FAMILY)
def _legacy_hostkey(m: re.Match[str], ctx: Context) -> Finding | None:
    side = "server" if server_line(m.string) else "client"
    return negotiation(Category.HOSTKEY, None, reported_by=f"openssh-{side}", side=side,
                       program="OpenSSH (before 7.0)", evidence=m.group(0))


@register("openssh-connecting", "Connecting to",
          r"debug1: Connecting to (?P<name>\S+) \[(?P<addr>[^\]]+)\] port (?P<port>\d+)", family=FAMILY)
def _connecting(m: re.Match[str], ctx: Context) -> Finding | None:
    addr = host_of(m["addr"])
    if addr is None:
        return None  # "Connecting to X.X.X.X [X.X.X.X]": the paste hid the address
    ctx.peer = (addr, port_of(m["port"]))
    if host_of(m["name"]) is not None:
        ctx.aliases[m["name"]] = addr
    return None


_BANNER_CLOSED = (
    "The server accepted the TCP connection and closed it before sending its SSH identification line, so no "
    "algorithm was ever negotiated: this is not an algorithm problem. Usual causes: sshd refusing the connection "
    "(MaxStartups, PerSourcePenalties, TCP wrappers or fail2ban), a firewall or load balancer answering for a "
    "server that is down, or a ProxyCommand/ProxyJump that failed. The server's log says which "
    "(sshdoctor explain --log /var/log/auth.log on the server)."
)


_SERVER_CLOSED = ("A client opened a TCP connection and closed it before its SSH identification line: a port "
                  "scanner, a load-balancer health check, or a client that gave up (its own timeout, or a "
                  "firewall in between).")


@register("openssh-banner-closed", "Connection closed by remote host",
          r"(?:kex|ssh)_exchange_identification: Connection closed by remote host", family=FAMILY)
def _banner_closed(m: re.Match[str], ctx: Context) -> Finding | None:
    if from_server(m.string, ctx):
        # sshd logs the same words (kex.c is shared); its log names the client a line earlier.
        host, port = ctx.last_client or (None, None)
        host = host_of(host)
        return simple("banner-exchange-closed", _SERVER_CLOSED, reported_by="openssh-server", host=host,
                      evidence=m.group(0), extra={"peer_role": "client", "client_port": port} if host else None)
    return simple("banner-exchange-closed", _BANNER_CLOSED, reported_by=FAMILY, evidence=m.group(0))


@register("openssh-connection-to", "Connection to ",
          r"^(?:banner exchange: )?Connection to (?P<host>\S+) port (?P<port>\d+)", family=FAMILY)
def _connection_to(m: re.Match[str], ctx: Context) -> Finding | None:
    host = host_of(m["host"])
    if host is not None:
        ctx.peer = (host, port_of(m["port"]))
    return None


@register("openssh-banner-reset", "Connection reset",
          r"(?:(?:kex|ssh)_exchange_identification: read: Connection reset by peer)"
          r"|(?:^|: |\s)Connection reset by (?P<host>\S+) port (?P<port>-?\d+)", family=FAMILY)
def _reset(m: re.Match[str], ctx: Context) -> Finding | None:
    if server_line(m.string):
        return None
    if m["host"] is not None and host_of(m["host"]) is not None:
        ctx.peer = (host_of(m["host"]) or m["host"], port_of(m["port"]))
    during_banner = "exchange_identification" in m.group(0)
    text = (
        "The connection was reset (a TCP RST) "
        + ("before the server sent its identification line. " if during_banner else "after it was set up. ")
        + "Something between you and the server, or the server itself, aborted it: a firewall or IPS dropping "
        "SSH, sshd's MaxStartups/PerSourcePenalties, or a server that crashed. It is not an algorithm mismatch "
        "(that would print 'Unable to negotiate')."
    )
    return simple("connection-reset", text, reported_by=FAMILY, host=host_of(m["host"]), port=port_of(m["port"]),
                  evidence=m.group(0))


@register("openssh-banner-refused", "banner line",
          r"(?:kex|ssh)_exchange_identification: banner line \d+: (?P<why>Exceeded MaxStartups|Not allowed at this time)",
          family=FAMILY)
def _banner_refused(m: re.Match[str], ctx: Context) -> Finding | None:
    # sshd writes these words before it closes a connection it will not serve (sshd.c drop_connection, 8.x on;
    # the penalty text from 9.8); ssh shows them at -v.
    from sshdoctor.diagnose.openssh_server import MAXSTARTUPS_EXTRA, MAXSTARTUPS_TEXT, PENALTY_TEXT

    host, port = ctx.peer or (None, None)
    if m["why"] == "Exceeded MaxStartups":
        return simple("max-startups", MAXSTARTUPS_TEXT, reported_by=FAMILY, host=host, port=port,
                      evidence=m.group(0), extra=dict(MAXSTARTUPS_EXTRA))
    return simple("penalty", PENALTY_TEXT, reported_by=FAMILY, host=host, port=port, evidence=m.group(0))


@register("openssh-banner-invalid", "invalid characters",
          r"(?:kex|ssh)_exchange_identification: banner line contains invalid characters", family=FAMILY)
def _banner_invalid(m: re.Match[str], ctx: Context) -> Finding | None:
    text = ("What answered on that port sent a line with a NUL or a stray carriage return before any SSH "
            "identification: it is probably not an SSH server (an HTTP or TLS service, a proxy, a telnet "
            "console), or the port is wrong.")
    return simple("invalid-banner", text, reported_by=FAMILY, evidence=m.group(0))


@register("openssh-banner-timeout", "during banner exchange",
          r"Connection timed out during banner exchange", family=FAMILY)
def _banner_timeout(m: re.Match[str], ctx: Context) -> Finding | None:
    text = ("The TCP connection was made, but no SSH identification line came back before ConnectTimeout ran "
            "out. Typical causes: an overloaded server or one stuck resolving your address (UseDNS), a "
            "tarpit, a port forward with nothing behind it, or a middlebox that accepts connections and then "
            "drops the traffic.")
    return simple("banner-timeout", text, reported_by=FAMILY, evidence=m.group(0))


@register("openssh-bad-packet-length", "Bad packet length", r"Bad packet length (?P<len>\d+)", family=FAMILY)
def _bad_length(m: re.Match[str], ctx: Context) -> Finding | None:
    text = (f"A packet header claimed a length of {m['len']} bytes, which cannot be right. Either the stream "
            "was not SSH at all after the identification line, or decryption went wrong: a broken cipher "
            "implementation on one side (classically with CBC or chacha20 on old firmware), a middlebox "
            "rewriting the stream, or an MTU problem. Try another cipher for this host "
            "(e.g. -c aes128-ctr) to tell which.")
    return simple("bad-packet-length", text, reported_by=FAMILY, evidence=m.group(0))


_CORRUPT = ("A packet failed its integrity check. On a healthy network this means one side computes the MAC "
            "differently from the other (a buggy implementation of that MAC or of an encrypt-then-MAC mode) or "
            "something in between alters the traffic. Choosing a different MAC or an AEAD cipher for this host "
            "usually tells which.")


@register("openssh-corrupted-mac", "Corrupted MAC", r"Corrupted MAC on input", family=FAMILY)
def _corrupted(m: re.Match[str], ctx: Context) -> Finding | None:
    return simple("corrupted-mac", _CORRUPT, reported_by=FAMILY, evidence=m.group(0))


@register("openssh-dispatch-fatal", "ssh_dispatch_run_fatal",
          r"ssh_dispatch_run_fatal: Connection (?:to|from) (?P<host>\S+?)(?: port (?P<port>\d+))?: (?P<reason>.+)",
          family=FAMILY)
def _dispatch(m: re.Match[str], ctx: Context) -> Finding | None:
    reason = m["reason"].strip()
    host, port = host_of(m["host"]), port_of(m["port"])
    if host is not None:
        ctx.peer = (host, port)
    if "message authentication code incorrect" in reason:
        return simple("corrupted-mac", _CORRUPT, reported_by=FAMILY, host=host, port=port, evidence=m.group(0))
    if "DH GEX group out of range" in reason:
        return gex_group_too_small(FAMILY, evidence=m.group(0), host=host, port=port, recent=tuple(ctx.recent))
    if "Connection corrupted" in reason or "packet length" in reason.lower():
        return simple("bad-packet-length", "The encrypted stream could not be decoded: a packet length made no "
                      "sense after decryption (see 'Bad packet length').", reported_by=FAMILY, host=host,
                      port=port, evidence=m.group(0))
    text = (f"ssh stopped with a protocol error while handling a packet: {reason}. This comes after "
            "algorithm negotiation, so the algorithms were agreed; the failure is in how one side implements "
            "one of them, or in what the server sent.")
    return simple("protocol-error", text, reported_by=FAMILY, host=host, port=port, evidence=m.group(0),
                  extra={"reason": reason})


@register("openssh-no-mutual-signature", "no mutual signature",
          r"no mutual signature (?:algorithm|supported)", family=FAMILY)
def _no_mutual(m: re.Match[str], ctx: Context) -> Finding | None:
    text = ("Your key could not be used for login: none of the signature algorithms your ssh will make with "
            "it is one the server accepts. Typically an RSA key against a server that only knows the SHA-1 "
            "'ssh-rsa' signature (OpenSSH before 7.2, many appliances), which OpenSSH 8.8 and later no longer "
            "make by default. Fix for that host only: PubkeyAcceptedAlgorithms +ssh-rsa (and HostKeyAlgorithms "
            "+ssh-rsa if its host key is RSA too), or better, use an Ed25519/ECDSA key if the server takes one.")
    host, port = ctx.peer or (None, None)
    return simple("no-mutual-signature-algorithm", text, reported_by=FAMILY, host=host, port=port,
                  evidence=m.group(0), extra={"algorithm_needed": "ssh-rsa"})


_DISPATCH_HEAD = re.compile(r"ssh_dispatch_run_fatal: Connection (?:to|from) (?P<host>\S+?)(?: port (?P<port>\d+))?:\s*$")


@register("openssh-gex-out-of-range", "DH GEX group out of range",
          r"^(?!.*ssh_dispatch_run_fatal).*\bDH GEX group out of range", family=FAMILY)
def _gex_bare(m: re.Match[str], ctx: Context) -> Finding | None:
    # The message without ssh's "ssh_dispatch_run_fatal: Connection to …" prefix, as people quote it, or
    # with that prefix wrapped onto the line before.
    host, port = ctx.peer or (None, None)
    for line in reversed(ctx.recent):
        head = _DISPATCH_HEAD.search(line)
        if head:
            host, port = host_of(head["host"]), port_of(head["port"])
            break
    return gex_group_too_small(FAMILY, evidence=m.group(0).strip(), host=host, port=port, recent=tuple(ctx.recent))
