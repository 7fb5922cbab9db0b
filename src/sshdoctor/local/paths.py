"""Where the local OpenSSH looks for its files, as each platform's build decides.

ssh does not read ``$HOME``: it expands ``~`` and finds ``~/.ssh/config`` from
the password database (``getpwuid(getuid())->pw_dir``), so under ``sudo -E``,
in containers and in service accounts the two can differ. OpenSSH for
Windows uses ``%USERPROFILE%`` and keeps the system files in
``%PROGRAMDATA%\\ssh``.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

WINDOWS = sys.platform == "win32"


@cache
def ssh_home() -> Path:
    """The home directory the local ssh uses for ``~``."""
    if WINDOWS:
        profile = os.environ.get("USERPROFILE")
        return Path(profile) if profile else Path.home()
    import pwd

    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:  # no passwd entry (some containers): ssh then refuses to run; $HOME is the best guess
        return Path.home()


def home_differs() -> str | None:
    """``$HOME`` when it is not the home ssh uses (so a message can say which file is meant), else None."""
    env = os.environ.get("HOME")
    if not env or WINDOWS:
        return None
    try:
        same = os.path.samefile(env, ssh_home())
    except OSError:
        same = os.path.normpath(env) == os.path.normpath(ssh_home())
    return None if same else env


def user_ssh_dir() -> Path:
    """``~/.ssh`` as ssh means it."""
    return ssh_home() / ".ssh"


def user_config() -> Path:
    """The per-user ssh_config ssh reads when no ``-F`` is given."""
    return user_ssh_dir() / "config"


def user_known_hosts() -> tuple[Path, ...]:
    """ssh's default UserKnownHostsFile list."""
    return (user_ssh_dir() / "known_hosts", user_ssh_dir() / "known_hosts2")


def system_dir() -> Path:
    """Where the system-wide ssh_config, sshd_config and host keys live."""
    if WINDOWS:
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "ssh"
    return Path("/etc/ssh")


def expand_user(path: str) -> str:
    """``~`` and ``~/…`` expanded as ssh expands them (other users' ``~name`` as the OS does)."""
    if path == "~" or path.startswith(("~/", "~" + os.sep)):
        return str(ssh_home()) + path[1:]
    return os.path.expanduser(path)
