"""Obsolete configuration keywords, as ssh and sshd report them.

Formats from OpenSSH 9.2 readconf.c / servconf.c: ``FILE line N:
Deprecated option NAME`` (logged, the line is ignored) and ``FILE line N:
Unsupported option "NAME"`` (ssh, SSH-1 options); web advice often still
recommends them (UsePrivilegeSeparation, Protocol, RSAAuthentication …).
"""

from __future__ import annotations

import re

from sshdoctor.catalog.obsolete import obsolete_keywords
from sshdoctor.diagnose.common import simple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding


def _finding(m: re.Match[str], program: str) -> Finding:
    keyword = m["keyword"]
    table = obsolete_keywords("sshd" if program == "openssh-server" else "ssh")
    fate = table.get(keyword.lower()) or obsolete_keywords("ssh" if program == "openssh-server" else "sshd").get(
        keyword.lower()
    )
    where = f"{m['file']} line {m['line']}"
    if fate is None:
        text = f"{keyword} at {where} is no longer supported by this OpenSSH; the line has no effect. Remove it."
    else:
        replacement = f" Use {fate.replacement} instead." if fate.replacement else " Remove the line."
        text = (f"{keyword} at {where} is obsolete ({fate.status} since OpenSSH {fate.since}): {fate.note}."
                f"{replacement} Advice that still recommends it predates that release.")
    return simple("obsolete-option", text, reported_by=program, severity="warn", evidence=m.group(0),
                  extra={"keyword": keyword, "file": m["file"], "line": int(m["line"]),
                         "sources": list(fate.sources) if fate else []})


@register("openssh-deprecated-option", "option",
          r"(?P<file>\S+) line (?P<line>\d+): (?:Deprecated|Unsupported) option \"?(?P<keyword>[A-Za-z0-9]+)\"?",
          family="openssh-client")
def _deprecated(m: re.Match[str], ctx: Context) -> Finding | None:
    program = "openssh-server" if "sshd" in m["file"] else "openssh-client"
    return _finding(m, program)
