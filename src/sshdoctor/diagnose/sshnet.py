"""SSH.NET (Renci.SshNet), the .NET SSH client behind Posh-SSH and many .NET tools.

Read from the sources at the tags 2016.1.0, 2020.0.2, 2023.0.0, 2024.0.0 and
2024.1.0 (sshnet/SSH.NET): every negotiation failure is an
``SshConnectionException`` with a fixed text and no lists.

- ``Failed to negotiate key exchange algorithm.`` (ServiceFactory.CreateKeyExchange)
- ``Client encryption algorithm not found`` / ``Server decryption algorithm not found``
  (Security/KeyExchange.cs, client-to-server and server-to-client cipher)
- ``Client HMAC algorithm not found`` (2024.0.0 on) / ``Server HMAC algorithm not
  found``; before 2024.0.0 both MAC directions said ``Server HMAC …``
- ``Compression algorithm not found`` / ``Decompression algorithm not found``
- ``The connection was closed by the server: TEXT (REASON).`` when the server sent
  SSH_MSG_DISCONNECT; REASON is the DisconnectReason enum name (``KeyExchangeFailed``).
- ``An established connection was aborted by the server.`` when the socket closed:
  what SSH.NET shows when the server found no common host key algorithm, since the
  client never checks that category itself.
- ``Key exchange negotiation failed.`` (KeyExchange.Finish): the exchange hash's
  signature did not verify; the algorithms had been agreed.

They reach the user as ``Renci.SshNet.Common.SshConnectionException: …`` in a .NET
stack trace, or as ``New-SSHSession : …`` from Posh-SSH.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, negotiation, simple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

FAMILY = "sshnet"
PROGRAM = "SSH.NET"

# message head -> (category, direction); None direction where the text does not say
_NOT_FOUND: dict[str, tuple[Category, str | None]] = {
    "Client encryption": (Category.CIPHER, "c2s"),
    "Server decryption": (Category.CIPHER, "s2c"),
    "Client HMAC": (Category.MAC, "c2s"),
    # Before 2024.0.0 the client-to-server check said "Server HMAC" too.
    "Server HMAC": (Category.MAC, None),
    "Compression": (Category.COMPRESSION, "c2s"),
    "Decompression": (Category.COMPRESSION, "s2c"),
}


@register("sshnet-kex-negotiate", "Failed to negotiate key exchange algorithm",
          r"Failed to negotiate key exchange algorithm\.", family=FAMILY)
def _kex(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    return negotiation(Category.KEX, None, reported_by=FAMILY, side="client", program=PROGRAM, host=host,
                       port=port, evidence=m.group(0), extra={"missing": "offer"})


@register("sshnet-not-found", "algorithm not found",
          r"\b(?P<what>Client encryption|Server decryption|Client HMAC|Server HMAC|Decompression|Compression) "
          r"algorithm not found\b", family=FAMILY)
def _not_found(m: re.Match[str], ctx: Context) -> Finding | None:
    # Other programs' messages end in "algorithm not found" too; only SSH.NET's exact heads match.
    category, direction = _NOT_FOUND[m["what"]]
    host, port = ctx.peer or (None, None)
    extra: dict[str, object] = {"direction": direction, "missing": "offer"}
    if m["what"] == "Server HMAC":
        extra["note"] = "before SSH.NET 2024.0.0 this text was used for both MAC directions"
    return negotiation(category, None, reported_by=FAMILY, side="client", program=PROGRAM, host=host, port=port,
                       evidence=m.group(0), extra=extra)


@register("sshnet-closed-by-server", "The connection was closed by the server",
          r"The connection was closed by the server: (?P<text>.*) \((?P<reason>[A-Za-z]+)\)\.", family=FAMILY)
def _closed(m: re.Match[str], ctx: Context) -> Finding | None:
    if m["reason"] != "KeyExchangeFailed":
        return None
    host, port = ctx.peer or (None, None)
    # The server's own words name the category when it is a negotiation failure (Dropbear, Cisco, …).
    category = category_from_words(m["text"])
    return negotiation(category, None, reported_by=FAMILY, side="client", program=PROGRAM, host=host, port=port,
                       evidence=m.group(0), extra={"server_said": m["text"], "reason": m["reason"]})


@register("sshnet-aborted", "An established connection was aborted by the server",
          r"An established connection was aborted by the server\.", family=FAMILY)
def _aborted(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    text = ("The server closed the connection without saying why. During the first seconds of a connection "
            "this is how SSH.NET reports a server that found no algorithm in common and hung up, most often "
            "the host key algorithm: SSH.NET never checks that category itself (OpenSSH servers log 'no "
            "matching host key type found'). Other causes are a server refusing this client address "
            "(MaxStartups, fail2ban, a firewall) or a server that crashed. The server's log says which.")
    return simple("connection-reset", text, reported_by=FAMILY, host=host, port=port, evidence=m.group(0),
                  extra={"side": "client", "possible_category": Category.HOSTKEY.value})


@register("sshnet-exchange-hash", "Key exchange negotiation failed",
          r"Key exchange negotiation failed\.", family=FAMILY)
def _hash(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    text = ("The algorithms were agreed, but the server's signature over the key exchange did not verify "
            "(SSH.NET KeyExchange.Finish): a host key signature SSH.NET could not check, a fault in one side's "
            "key exchange code, or traffic altered on the way. It is not a missing algorithm. Try another host key "
            "algorithm or key exchange method by removing entries from ConnectionInfo.HostKeyAlgorithms or "
            "KeyExchangeAlgorithms before Connect(), or a newer SSH.NET release.")
    return simple("protocol-error", text, reported_by=FAMILY, host=host, port=port, evidence=m.group(0),
                  extra={"side": "client", "stage": "exchange-hash"})
