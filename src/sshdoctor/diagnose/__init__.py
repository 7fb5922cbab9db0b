"""Text in, findings out: error messages and ``-v`` logs of SSH clients, and server logs.

Pure: nothing here opens files or sockets; callers hand in the text or the
stream. Each message family is a module whose recognisers register
themselves on import (see :mod:`sshdoctor.diagnose.registry`).
"""

# Wrappers first: they consume their line before the inner message is matched raw.
from sshdoctor.diagnose import (  # noqa: F401  (registers recognisers)
    asyncssh,
    cisco,
    dropbear,
    erlang,
    go,
    jsch,
    libssh,
    libssh2,
    mina,
    neighbours,
    netssh,
    node_ssh2,
    obsolete,
    openssh_client,
    openssh_server,
    paramiko,
    phpseclib,
    putty,
    russh,
    sshj,
    sshnet,
    tinyssh,
    trilead,
    twisted,
    vendors,
    wrappers,
)
from sshdoctor.diagnose.engine import Explainer, explain_lines, explain_text
from sshdoctor.diagnose.hints import closest_hint
from sshdoctor.diagnose.serverlog import LogSummary, looks_like_server_log, summarise_log, summarise_stream
from sshdoctor.diagnose.text import looks_binary

__all__ = [
    "Explainer",
    "LogSummary",
    "closest_hint",
    "explain_lines",
    "explain_text",
    "looks_binary",
    "looks_like_server_log",
    "summarise_log",
    "summarise_stream",
]
