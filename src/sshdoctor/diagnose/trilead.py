"""trilead-ssh2 (com.trilead:trilead-ssh2 and Jenkins' fork org.jenkins-ci:trilead-ssh2), client,
and Ganymed SSH-2 (ch.ethz.ganymed:ganymed-ssh2), the library trilead forked.

KexManager.handleMessage() throws ``java.io.IOException: Cannot negotiate, proposals do
not match.`` when mergeKexParameters() finds a slot without a match; it does not say
which slot, nor either list. Connection.connect() wraps it: ``There was a problem
while connecting to HOST:PORT`` caused by ``Key exchange was not finished, connection
is closed.`` caused by the message above. Ganymed (build 262, ClientKexManager) throws
the same words, under ``Key exchange was not finished, connection is closed.`` alone
(no peer named); the two are told apart by the package in the stack trace or log line
(``ch.ethz.ssh2.`` is Ganymed's, ``com.trilead.ssh2.`` trilead's). The bare message is
taken as trilead's.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation, port_of
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

PROGRAM = "trilead-ssh2"
GANYMED = "ganymed-ssh2"

_PEER = re.compile(r"There was a problem while connecting to (?P<host>[^\s:]+):(?P<port>\d+)")
_PACKAGE = re.compile(r"\b(?:ch\.ethz|com\.trilead)\.ssh2\.")


@register("trilead-peer", "There was a problem while connecting to", _PEER.pattern, family="trilead")
def _peer(m: re.Match[str], ctx: Context) -> Finding | None:
    # Connection.connect() names the peer in the outer exception; the cause below it says what failed.
    ctx.peer = (m["host"], port_of(m["port"]))
    return None


@register("ganymed-frame", "ch.ethz.ssh2.", r"\bch\.ethz\.ssh2\.", family="trilead")
def _ganymed_frame(m: re.Match[str], ctx: Context) -> Finding | None:
    # A stack trace may put many of the caller's frames between Ganymed's and the "Caused by" line.
    ctx.flags.add(GANYMED)
    return None


def _library(line: str, ctx: Context) -> str:
    """Which of the two libraries printed the message: the nearest line naming one of their packages, else
    Ganymed if any earlier line named its package."""
    for text in (line, *reversed(ctx.recent)):
        m = _PACKAGE.search(text)
        if m is not None:
            return GANYMED if m.group(0).startswith("ch.") else PROGRAM
    return GANYMED if GANYMED in ctx.flags else PROGRAM


@register("trilead-no-match", "Cannot negotiate, proposals do not match", r"Cannot negotiate, proposals do not match\.?",
          family="trilead")
def _trilead(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    library = _library(m.string, ctx)
    return negotiation(None, None, reported_by=library, side="client", program=library, host=host, port=port,
                       evidence=m.group(0), extra={"missing": "category and offer"})
