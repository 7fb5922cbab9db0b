"""The ssh inside a user's own command: ssh, scp, sftp, rsync, git, ansible.

``sshdoctor run -- CMD`` must fix the host that command talks to, in the
file that command's ssh reads, and print the user's command back with the
fix in it. So the ssh options are read from where each program takes them:
ssh/scp/sftp's own ``-F -p/-P -l -o -i -J`` and ``user@``; rsync's ``-e``
(or ``RSYNC_RSH``); git's ``GIT_SSH_COMMAND`` (or ``core.sshCommand`` is
not read: it needs git); ansible's ``--ssh-common-args`` (or
``ANSIBLE_SSH_COMMON_ARGS``). Pure: argv and environment in, values out.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sshdoctor.model.invocation import Invocation

# Options that take a value (from the man pages).
_SSH_VALUE = set("BbcDEeFIiJLlmOopQRSWw")
_SCP_VALUE = set("cDFiJlOoPSX")
_SFTP_VALUE = set("BbcDFiJlOoPRSsX")
_URL = re.compile(r"^(?:ssh|git\+ssh|ssh\+git|sftp)://(?:(?P<user>[^@/]+)@)?(?P<host>\[[^\]]+\]|[^/:]+)(?::(?P<port>\d+))?")
_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@:/\s]+)@)?(?P<host>\[[^\]]+\]|[A-Za-z0-9._-]+):(?!//)")


@dataclass(frozen=True, slots=True)
class Wrapped:
    """A command and the ssh it runs: ``via`` says where the ssh options live
    (``argv`` for ssh/scp/sftp, ``rsync-e``, ``GIT_SSH_COMMAND``, ``ansible``)."""

    argv: tuple[str, ...]
    ssh: Invocation
    via: str
    ssh_args: tuple[str, ...] = ()

    def with_fix(self, options: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
        """The user's own command with ``-o`` options added where its ssh reads them, runnable as printed
        (an environment variable becomes an ``env NAME=value`` prefix)."""
        extra = [a for opt in options for a in ("-o", opt)]
        argv = list(self.argv)
        env = env or {}
        if self.via == "argv":
            return [argv[0], *extra, *argv[1:]]
        if self.via == "rsync-e":
            for i, arg in enumerate(argv):
                if arg == "-e" and i + 1 < len(argv):
                    argv[i + 1] = shlex.join([*shlex.split(argv[i + 1])[:1], *extra, *shlex.split(argv[i + 1])[1:]])
                    return argv
                if arg.startswith("--rsh="):
                    inner = shlex.split(arg[6:])
                    argv[i] = "--rsh=" + shlex.join([*inner[:1], *extra, *inner[1:]])
                    return argv
            inner = shlex.split(env.get("RSYNC_RSH", "ssh"))
            return [argv[0], "-e", shlex.join([*inner[:1], *extra, *inner[1:]]), *argv[1:]]
        if self.via == "GIT_SSH_COMMAND":
            inner = shlex.split(env.get("GIT_SSH_COMMAND") or "ssh")
            return ["env", "GIT_SSH_COMMAND=" + shlex.join([*inner[:1], *extra, *inner[1:]]), *argv]
        if self.via == "ansible":
            joined = " ".join([*self.ssh_args, *(shlex.quote(a) for a in extra)])
            cleaned: list[str] = []
            skip = False
            for arg in argv:
                if skip:
                    skip = False
                    continue
                if arg == "--ssh-common-args":
                    skip = True
                    continue
                if not arg.startswith("--ssh-common-args="):
                    cleaned.append(arg)
            return [*cleaned, f"--ssh-common-args={joined.strip()}"]
        return argv


def _walk(args: Sequence[str], value_opts: set[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Positional arguments, and every (letter, value) option in order."""
    positional: list[str] = []
    opts: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positional += list(args[i + 1:])
            break
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                letter = arg[j]
                if letter in value_opts:
                    value = arg[j + 1:]
                    if not value and i + 1 < len(args):
                        i += 1
                        value = args[i]
                    opts.append((letter, value))
                    break
                j += 1
        else:
            positional.append(arg)
        i += 1
    return positional, opts


def _port(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and 0 < int(text) < 65536 else None


def _host(text: str) -> str:
    return text[1:-1] if text.startswith("[") and text.endswith("]") else text


def _ssh_options(opts: list[tuple[str, str]], port_letter: str) -> dict[str, object]:
    """The Invocation fields ssh-style options give (first -F/-p wins as ssh takes the first)."""
    out: dict[str, object] = {"options": tuple(v for k, v in opts if k == "o"),
                              "identity": tuple(v for k, v in opts if k == "i")}
    for key, letter in (("config_file", "F"), ("jump", "J"), ("user", "l")):
        out[key] = next((v for k, v in opts if k == letter), None)
    out["port"] = _port(next((v for k, v in opts if k == port_letter), None))
    return out


def _from_ssh_words(words: Sequence[str], host: str, user: str | None, port: int | None) -> Invocation:
    """An Invocation from an ssh command given as words (``ssh -F x -p 2222``), for a known host."""
    _pos, opts = _walk(list(words[1:]), _SSH_VALUE)
    fields = _ssh_options(opts, "p")
    return Invocation(destination=host, user=user or fields["user"], port=port or fields["port"],  # type: ignore[arg-type]
                      config_file=fields["config_file"], options=fields["options"],  # type: ignore[arg-type]
                      identity=fields["identity"], jump=fields["jump"])  # type: ignore[arg-type]


def _remote(arg: str) -> tuple[str, str | None, int | None] | None:
    """(host, user, port) of a URL or ``[user@]host:path`` argument."""
    if m := _URL.match(arg):
        return _host(m["host"]), m["user"], _port(m["port"])
    if (m := _SCP_LIKE.match(arg)) and not os.path.exists(arg):
        return _host(m["host"]), m["user"], None
    return None


def parse_wrapped(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Wrapped | None:
    """The ssh a command runs and for which host, or None when it cannot be told."""
    if not argv:
        return None
    env = env or {}
    program = os.path.basename(argv[0])
    args = list(argv[1:])
    if program in ("ssh", "slogin"):
        positional, opts = _walk(args, _SSH_VALUE)
        if not positional:
            return None
        found = _remote(positional[0]) if positional[0].startswith(("ssh://",)) else None
        dest = positional[0]
        user = None
        if found is None:
            user, _, host = dest.rpartition("@") if "@" in dest else (None, "", dest)
            found = (_host(host), user or None, None)
        fields = _ssh_options(opts, "p")
        inv = Invocation(destination=found[0], user=found[1] or fields["user"],  # type: ignore[arg-type]
                         port=found[2] or fields["port"], config_file=fields["config_file"],  # type: ignore[arg-type]
                         options=fields["options"], identity=fields["identity"], jump=fields["jump"],  # type: ignore[arg-type]
                         remote=tuple(positional[1:]))
        return Wrapped(tuple(argv), inv, "argv")
    if program in ("scp", "sftp"):
        positional, opts = _walk(args, _SCP_VALUE if program == "scp" else _SFTP_VALUE)
        fields = _ssh_options(opts, "P")
        target = next((r for a in positional if (r := _remote(a)) is not None), None)
        if target is None and program == "sftp" and positional:
            user, _, host = positional[0].rpartition("@")
            target = (_host(host), user or None, None)
        if target is None:
            return None
        inv = Invocation(destination=target[0], user=target[1] or fields["user"],  # type: ignore[arg-type]
                         port=target[2] or fields["port"], config_file=fields["config_file"],  # type: ignore[arg-type]
                         options=fields["options"], identity=fields["identity"], jump=fields["jump"],  # type: ignore[arg-type]
                         program=program)
        return Wrapped(tuple(argv), inv, "argv")
    target = next((r for a in args if not a.startswith("-") and (r := _remote(a)) is not None), None)
    if target is None:
        return None
    host, user, port = target
    if program == "rsync":
        shell = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "-e"), None) or next(
            (a[6:] for a in args if a.startswith("--rsh=")), None) or env.get("RSYNC_RSH") or "ssh"
        return Wrapped(tuple(argv), _from_ssh_words(shlex.split(shell), host, user, port), "rsync-e")
    if program == "git":
        words = shlex.split(env.get("GIT_SSH_COMMAND") or "ssh")
        return Wrapped(tuple(argv), _from_ssh_words(words, host, user, port), "GIT_SSH_COMMAND")
    return Wrapped(tuple(argv), Invocation(destination=host, user=user, port=port), "argv")


def parse_ansible(argv: Sequence[str], env: Mapping[str, str], host: str) -> Wrapped:
    """Ansible's ssh for ``host`` (the one its output names): ``--ssh-common-args`` or the environment."""
    common = next((a.split("=", 1)[1] for a in argv if a.startswith("--ssh-common-args=")), None)
    if common is None:
        common = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--ssh-common-args"), None)
    common = common if common is not None else env.get("ANSIBLE_SSH_COMMON_ARGS", "")
    words = shlex.split(common)
    inv = _from_ssh_words(["ssh", *words], host, None, None)
    return Wrapped(tuple(argv), inv, "ansible", ssh_args=tuple(shlex.quote(w) for w in words))
