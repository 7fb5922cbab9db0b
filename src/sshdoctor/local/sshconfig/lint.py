"""The I/O half of ``sshdoctor lint``: read the file (ssh_config or
sshd_config, told apart by name or content) and ask the local OpenSSH what it
supports and uses by default. The checks themselves are pure and live in
``audit.configlint``; the CLI joins the two."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sshdoctor.local.paths import expand_user
from sshdoctor.local.sshconfig.document import Flavour, decode, split_lines
from sshdoctor.local.sshconfig.keywords import ALGORITHM_DIRECTIVES, SSH_KEYWORDS, SSHD_KEYWORDS, canonical_key
from sshdoctor.local.sshconfig.lexer import LineSyntaxError, tokenize
from sshdoctor.local.sshconfig.loader import ConfigTree, load_tree, read_bytes
from sshdoctor.model import Category

_LISTED = (Category.KEX, Category.HOSTKEY, Category.CIPHER, Category.MAC)
# Words that appear in one of the two languages only and are common enough to
# decide which file this is.
_SSH_ONLY = frozenset(SSH_KEYWORDS - SSHD_KEYWORDS)
_SSHD_ONLY = frozenset(SSHD_KEYWORDS - SSH_KEYWORDS)


@dataclass(frozen=True, slots=True)
class LocalLists:
    """The local OpenSSH: supported names per category (``ssh -Q``), default
    lists per lowercased directive, version and label (``OpenSSH_9.2p1``)."""

    supported: Mapping[Category, Sequence[str]]
    defaults: Mapping[str, Sequence[str]]
    version: tuple[int, int]
    label: str


def detect_flavour(path: str, data: bytes) -> Flavour:
    """ssh_config or sshd_config: by the file name, else by the keywords it uses."""
    name = os.path.basename(path).lower()
    if "sshd" in name:
        return "sshd"
    if "ssh_config" in name or name == "config":
        return "ssh"
    votes = 0
    for text, _ in split_lines(decode(data)):
        try:
            directive = tokenize(text)
        except LineSyntaxError:
            continue
        if directive is None:
            continue
        if directive.key in _SSHD_ONLY:
            votes += 1
        elif directive.key in _SSH_ONLY:
            votes -= 1
    return "sshd" if votes > 0 else "ssh"


def is_user_config(path: str) -> bool:
    """Files under /etc are system files: their relative Includes point into /etc/ssh."""
    return not os.path.abspath(expand_user(path)).startswith("/etc/")


def _server_defaults(version: tuple[int, int]) -> dict[str, tuple[str, ...]]:
    from sshdoctor.catalog.profiles import get_profile

    profile = get_profile(f"openssh-{version[0]}.{version[1]}")
    if profile is None or profile.server is None:
        return {}
    return {c.directive.lower(): profile.server.lists.get(c, ()) for c in _LISTED if profile.server.lists.get(c)}


def _client_defaults() -> dict[str, tuple[str, ...]]:
    from sshdoctor.local.effective import effective

    eff = effective("sshdoctor.invalid", config_file="/dev/null")
    out: dict[str, tuple[str, ...]] = {}
    for key in ALGORITHM_DIRECTIVES:
        canon = canonical_key(key)
        value = eff.get(canon)
        if value:
            out[canon] = tuple(n for n in value.split(",") if n)
    return out


def local_lists(flavour: Flavour) -> LocalLists:
    """What the local OpenSSH supports and uses by default (server defaults
    for sshd_config come from the catalog profile of the same release)."""
    from sshdoctor.local.sshbin import supported, version

    ver = version()
    sup: Mapping[Category, Sequence[str]] = {c: supported(c) for c in _LISTED}
    defaults = _client_defaults() if flavour == "ssh" else _server_defaults((ver.major, ver.minor))
    return LocalLists(supported=sup, defaults=defaults, version=(ver.major, ver.minor), label=ver.label)


def read_config(
    path: str | Path,
    *,
    flavour: Flavour | None = None,
    include_base: str | None = None,
) -> tuple[ConfigTree, Flavour]:
    """Parse a file and its Includes for lint. Raises ConfigParseError (exit 5)
    for a file that does not parse, LocalError for one that cannot be read."""
    name = expand_user(str(path))
    data = read_bytes(name)
    assert data is not None
    kind: Flavour = flavour or detect_flavour(name, data)
    tree = load_tree(name, flavour=kind, user_config=is_user_config(name), include_base=include_base)
    return tree, kind


# "FILE line N: Bad configuration option: x", "FILE: line N: …", sshd's "FILE line N: Directive 'x' is not allowed …".
_REJECT = re.compile(r"^(?P<file>.+?):? line (?P<line>\d+): (?P<what>.+)$")


def _sshd_binary() -> str | None:
    for path in (os.environ.get("SSHDOCTOR_SSHD"), shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if path and os.access(path, os.X_OK):
            return path
    return None


def program_verdict(path: str, flavour: Flavour) -> dict[tuple[str, int], str] | None:
    """Run the program that reads the file (``ssh -G -F FILE``, ``sshd -t -f FILE``) and
    collect the lines it rejects; None when that program is not here to ask."""
    name = expand_user(path)
    if flavour == "ssh":
        from sshdoctor.local.errors import LocalError
        from sshdoctor.local.sshbin import run_ssh

        try:
            out = run_ssh(["-G", "-F", name, "--", "sshdoctor-lint.invalid"])
        except LocalError:
            return None
        text, code = out.stderr, out.returncode
    else:
        binary = _sshd_binary()
        if binary is None:
            return None
        try:
            proc = subprocess.run([binary, "-t", "-f", name], capture_output=True, text=True, timeout=20,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None
        text, code = proc.stderr, proc.returncode
    rejected: dict[tuple[str, int], str] = {}
    if code == 0:
        return rejected
    for line in text.splitlines():
        m = _REJECT.match(line.strip())
        # Deprecated and compiled-out options are warnings: the program goes on.
        if m is None or any(w in m["what"] for w in ("terminating", "Deprecated option", "Unsupported option")):
            continue
        where = (os.path.abspath(m["file"]) if os.path.exists(m["file"]) else m["file"], int(m["line"]))
        rejected.setdefault(where, m["what"].strip())
    return rejected


def form_checker(flavour: Flavour) -> Callable[[str, str, str], bool | None] | None:
    """A check of "FORM gives the same algorithms as VALUE" by the real program, or None when it cannot run."""
    if flavour == "ssh":
        from sshdoctor.local.errors import LocalError
        from sshdoctor.local.sshbin import run_ssh

        def lists(directive: str, value: str) -> list[str] | None:
            args = ["-G", "-F", "/dev/null", *(["-o", f"{directive}={value}"] if value else []), "--", "sshdoctor.invalid"]
            try:
                out = run_ssh(args)
            except LocalError:
                return None
            return _printed(out.stdout, directive) if out.returncode == 0 else None
    else:
        binary = _sshd_binary()
        if binary is None:
            return None

        def lists(directive: str, value: str) -> list[str] | None:
            args = [binary, "-T", "-f", "/dev/null", *(["-o", f"{directive}={value}"] if value else [])]
            try:
                proc = subprocess.run(args, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired):
                return None
            return _printed(proc.stdout, directive) if proc.returncode == 0 else None

    def same(directive: str, value: str, form: str) -> bool | None:
        want, got = lists(directive, value), lists(directive, form)
        if want is None or got is None or sorted(want) != sorted(got):
            return None
        return want == got

    return same


def _printed(output: str, directive: str) -> list[str] | None:
    key = directive.lower()
    for line in output.splitlines():
        name, _, value = line.partition(" ")
        if name.lower() == key:
            return [n for n in value.split(",") if n]
    return None
