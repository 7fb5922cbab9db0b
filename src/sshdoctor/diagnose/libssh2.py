"""libssh2 (curl's SCP/SFTP, PHP's ssh2 extension, libgit2, ssh2-python …).

From libssh2 1.10.0 and 1.11.1 src/session.c and src/kex.c: when the two
KEXINITs have nothing in common in some category, kex_agree_methods returns
-1 without a message of its own, _libssh2_kex_exchange turns that into
LIBSSH2_ERROR_KEX_FAILURE (-5), and session_startup replaces whatever text
was set with ``Unable to exchange encryption keys``. The message never names
the category or either list; the same text (with another code) also follows
other key exchange failures, such as a host key signature that does not
verify. Users see it as ``Failure establishing ssh session: -5, Unable to
exchange encryption keys`` (curl), ``Error starting up SSH connection(-5):
Unable to exchange encryption keys`` (PHP), or, from ssh2-python, the bare
exception ``ssh2.exceptions.KexFailureError``.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

FAMILY = "libssh2"
PROGRAM = "libssh2"
KEX_FAILURE = -5  # LIBSSH2_ERROR_KEX_FAILURE

_CODE = re.compile(r"(?:\(|\s|^|error )(-\d{1,2})\b(?:\)|,|:|\s)")


def _code(line: str) -> int | None:
    m = _CODE.search(line)
    return int(m[1]) if m else None


@register("libssh2-kex-failure", "Unable to exchange encryption keys", r"Unable to exchange encryption keys",
          family=FAMILY)
def _unable(m: re.Match[str], ctx: Context) -> Finding | None:
    line = m.string
    code = _code(line[: m.start()]) or _code(line)
    if code is not None and code != KEX_FAILURE:
        # Another key exchange step failed (a signature, a DH value); the algorithms were agreed.
        return None
    host, port = ctx.peer or (None, None)
    extra: dict[str, object] = {"missing": "category and offer"}
    if code is not None:
        extra["code"] = code
    return negotiation(None, None, reported_by=FAMILY, side="client", program=PROGRAM, host=host, port=port,
                       evidence=m.group(0), extra=extra)


@register("libssh2-python-kexfailure", "KexFailureError", r"\bssh2\.exceptions\.KexFailureError\b",
          family=FAMILY)
def _python(m: re.Match[str], ctx: Context) -> Finding | None:
    # ssh2-python raises LIBSSH2_ERROR_KEX_FAILURE as this exception with no text at all.
    if "Unable to exchange encryption keys" in m.string:
        return None  # the text recogniser above reads the same line
    host, port = ctx.peer or (None, None)
    return negotiation(None, None, reported_by=FAMILY, side="client", program=f"{PROGRAM} (ssh2-python)", host=host,
                       port=port, evidence=m.group(0), extra={"missing": "category and offer", "code": KEX_FAILURE})
