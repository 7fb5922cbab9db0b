"""For text nobody recognised: the known message it most resembles."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from sshdoctor.diagnose.text import clean_line, strip_paste

# (kind, a typical message). Only used to point the user at the nearest match.
KNOWN: tuple[tuple[str, str], ...] = (
    ("no-common-algorithm", "Unable to negotiate with HOST port 22: no matching key exchange method found. Their offer: LIST"),
    ("no-common-algorithm", "Unable to negotiate with HOST port 22: no matching host key type found. Their offer: ssh-rsa"),
    ("no-common-algorithm", "Unable to negotiate with HOST port 22: no matching cipher found. Their offer: aes128-cbc"),
    ("no-common-algorithm", "Unable to negotiate with HOST port 22: no matching MAC found. Their offer: hmac-sha1"),
    ("no-common-algorithm", "Couldn't agree a key exchange algorithm (available: LIST)"),
    ("no-common-algorithm", "Incompatible ssh peer (no acceptable kex algorithm)"),
    ("no-common-algorithm", "No matching MAC algorithm found, sent LIST and received LIST"),
    ("no-common-algorithm", "kex error : no match for method kex algos: server [LIST], client [LIST]"),
    ("no-common-algorithm", "ssh: handshake failed: ssh: no common algorithm for key exchange"),
    ("no-common-algorithm", "Algorithm negotiation fail"),
    ("no-common-algorithm", "dbclient: Connection to user@HOST:22 exited: No matching algo kex"),
    ("no-common-algorithm", "no matching key exchange method found. Their offer: LIST"),
    ("no-common-algorithm", "%SSH-3-NO_MATCH: No matching kex algorithm found: client LIST server LIST"),
    ("max-startups", "kex_exchange_identification: banner line 0: Exceeded MaxStartups"),
    ("max-startups", "drop connection #10 from [ADDR]:PORT on [ADDR]:22 past MaxStartups"),
    ("banner-exchange-closed", "kex_exchange_identification: Connection closed by remote host"),
    ("connection-reset", "kex_exchange_identification: read: Connection reset by peer"),
    ("banner-timeout", "Connection timed out during banner exchange"),
    ("bad-packet-length", "Bad packet length 1349676916."),
    ("corrupted-mac", "Corrupted MAC on input."),
    ("host-key-changed", "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!"),
    ("host-key-verification-failed", "Host key verification failed."),
    ("permission-denied", "user@HOST: Permission denied (publickey)."),
    ("too-many-auth-failures", "Received disconnect from HOST port 22:2: Too many authentication failures"),
    ("connection-refused", "ssh: connect to host HOST port 22: Connection refused"),
    ("connection-timeout", "ssh: connect to host HOST port 22: Connection timed out"),
    ("no-route", "ssh: connect to host HOST port 22: No route to host"),
    ("unresolved-host", "ssh: Could not resolve hostname HOST: Name or service not known"),
    ("bad-permissions", "Bad owner or permissions on ~/.ssh/config"),
    ("invalid-key-format", 'Load key "~/.ssh/id_rsa": invalid format'),
    ("agent-unreachable", "Could not open a connection to your authentication agent."),
    ("no-mutual-signature-algorithm", "send_pubkey_test: no mutual signature algorithm"),
)

_WORDS = re.compile(r"[a-z]{3,}")


def closest_hint(lines: Iterable[str], *, max_lines: int = 40) -> tuple[str, str, float] | None:
    """``(kind, example, score)`` of the known message closest to any of the first lines, or None."""
    best: tuple[str, str, float] | None = None
    for i, raw in enumerate(lines):
        if i >= max_lines:
            break
        line = strip_paste(clean_line(raw))[:300].lower()
        words = set(_WORDS.findall(line))
        if not words:
            continue
        for kind, example in KNOWN:
            ex = example.lower()
            overlap = len(words & set(_WORDS.findall(ex))) / max(1, len(set(_WORDS.findall(ex))))
            ratio = difflib.SequenceMatcher(None, line, ex).quick_ratio() if overlap else 0.0
            score = 0.6 * overlap + 0.4 * ratio
            if best is None or score > best[2]:
                best = (kind, example, round(score, 2))
    return best
