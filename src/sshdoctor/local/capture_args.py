"""How the capture runs the local ssh: its options and ProxyCommand (no asyncio here: the
blocking capture of ``sshdoctor probe`` and the asyncio one share it)."""

from __future__ import annotations

import os
import shlex
import sys

from sshdoctor.local.effective import config_args
from sshdoctor.local.sshbin import ssh_path

FIXED_OPTIONS = (
    "BatchMode=yes",
    "ControlMaster=no",
    "ControlPath=none",
    "ConnectTimeout=5",
    "ForwardAgent=no",
    "LogLevel=ERROR",
    "ClearAllForwardings=yes",
    "PermitLocalCommand=no",
    "RequestTTY=no",
    # Our ProxyCommand relays bytes; it cannot hand ssh a file descriptor.
    "ProxyUseFdpass=no",
    # A configured RemoteCommand would make ssh refuse our command ("true").
    "RemoteCommand=none",
)


def use_socket() -> bool:
    """Whether to capture through a loopback socket (Windows, or forced) rather than FIFOs."""
    forced = os.environ.get("SSHDOCTOR_CAPTURE", "").lower()
    if forced in ("socket", "fifo"):
        return forced == "socket"
    return sys.platform == "win32" or not hasattr(os, "mkfifo")


def relay_command(port: int) -> str:
    """The portable ProxyCommand; quoted for POSIX sh, or for Windows' command line."""
    relay = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxyrelay.py")
    if sys.platform == "win32":
        return f'"{sys.executable}" -S -I "{relay}" {port} %h %p'
    return f"{shlex.quote(sys.executable)} -S -I {shlex.quote(relay)} {port} %h %p"



def fifo_proxy(s2c: str, c2s: str) -> str:
    """The POSIX ProxyCommand: report where ssh resolved the host (%h %p: HostName and Port after its
    configuration), then relay between ssh and the two FIFOs."""
    script = 'printf "%%s %%s\\n" "$2" "$3" > "$1"; cat "$0" & exec cat > "$1"'
    return "sh -c " + shlex.quote(script) + f" {shlex.quote(s2c)} {shlex.quote(c2s)} %h %p"


def capture_argv(host: str, port: int | None, config_file: str | None, options: list[str], proxy: str) -> list[str]:
    """The ssh command line of a capture: the user's -F and -o, our fixed options and ProxyCommand (a
    command-line option wins over every config file), and ``true`` as the remote command."""
    args = [ssh_path(), *config_args(config_file, options)]
    for opt in (*FIXED_OPTIONS, f"ProxyCommand={proxy}"):
        args += ["-o", opt]
    if port is not None:
        args += ["-p", str(port)]
    return [*args, "--", host, "true"]
