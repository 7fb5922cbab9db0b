"""Which SSH host a user's command talks to: ssh, scp, sftp, rsync, git, ansible.

Pure parsing of an argument vector, so that ``sshdoctor run -- CMD`` can
scope a fix to the name the user typed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

# Options that take a value, per program (from their man pages).
_SSH_VALUE_OPTS = set("BbcDEeFIiJLlmOopQRSWw")
_SCP_VALUE_OPTS = set("cDFiJlOoPSX")
_SFTP_VALUE_OPTS = set("BbcDFiJlOoPRSsX")

_URL = re.compile(r"^(?:ssh|git\+ssh|ssh\+git|sftp)://(?:[^@/]+@)?(\[[^\]]+\]|[^/:]+)(?::(\d+))?(?:/|$)")
_SCP_LIKE = re.compile(r"^(?:[^@:/\s]+@)?(\[[^\]]+\]|[A-Za-z0-9._-]+):(?!//)")


@dataclass(frozen=True, slots=True)
class Destination:
    """The host as typed (maybe an ssh_config alias) and an explicit port."""

    host: str
    port: int | None = None


def _split_host(text: str) -> str:
    host = text.rsplit("@", 1)[-1]
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _walk(args: Sequence[str], value_opts: set[str]) -> tuple[list[str], dict[str, str]]:
    """Positional arguments and the last value of each single-letter option."""
    positional: list[str] = []
    opts: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positional += list(args[i + 1 :])
            break
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                letter = arg[j]
                if letter in value_opts:
                    value = arg[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                    if not arg[j + 1 :]:
                        i += 1
                    opts[letter] = value
                    break
                j += 1
        else:
            positional.append(arg)
        i += 1
    return positional, opts


def _port(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and 0 < int(text) < 65536 else None


def destination(argv: Sequence[str]) -> Destination | None:
    """The SSH destination of a command line, or None if it cannot be told."""
    if not argv:
        return None
    program = os.path.basename(argv[0])
    args = list(argv[1:])
    if program in ("ssh", "slogin"):
        positional, opts = _walk(args, _SSH_VALUE_OPTS)
        if not positional:
            return None
        if m := _URL.match(positional[0]):
            return Destination(_split_host(m[1]), _port(m[2]) or _port(opts.get("p")))
        return Destination(_split_host(positional[0]), _port(opts.get("p")))
    if program in ("scp", "sftp"):
        positional, opts = _walk(args, _SCP_VALUE_OPTS if program == "scp" else _SFTP_VALUE_OPTS)
        port = _port(opts.get("P"))
        for arg in positional:
            if m := _URL.match(arg):
                return Destination(_split_host(m[1]), _port(m[2]) or port)
            if m := _SCP_LIKE.match(arg):
                return Destination(_split_host(m[1]), port)
        if program == "sftp" and positional:
            return Destination(_split_host(positional[0]), port)
        return None
    # rsync, git and the rest: the first URL or host:path argument.
    for arg in args:
        if m := _URL.match(arg):
            return Destination(_split_host(m[1]), _port(m[2]))
        if not arg.startswith("-") and (m := _SCP_LIKE.match(arg)) and not os.path.exists(arg):
            return Destination(_split_host(m[1]))
    return None
