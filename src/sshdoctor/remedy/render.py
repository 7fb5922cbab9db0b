"""Where a client fix goes: ssh options, an ssh_config block, scp/sftp lines,
and the equivalent settings of paramiko, AsyncSSH and Ansible."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from sshdoctor.model import Change


def ssh_options(changes: Sequence[Change]) -> list[str]:
    """``["-o", "KexAlgorithms=+x", …]`` for the ssh/scp/sftp command line."""
    args: list[str] = []
    for change in changes:
        args += ["-o", f"{change.directive}={change.option_value()}"]
    return args


def ssh_config_block(pattern: str, changes: Sequence[Change], *, hostname: str | None = None,
                     port: int | None = None, comment: str | None = None) -> str:
    """A ``Host`` block for ~/.ssh/config scoped to ``pattern`` only."""
    lines = []
    if comment:
        lines.append(f"# {comment}")
    lines.append(f"Host {pattern}")
    if hostname and hostname != pattern:
        lines.append(f"    HostName {hostname}")
    if port and port != 22:
        lines.append(f"    Port {port}")
    for change in changes:
        lines.append(f"    {change.directive} {change.option_value()}")
    return "\n".join(lines) + "\n"


def one_off_commands(changes: Sequence[Change], host: str, port: int = 22, user: str | None = None) -> dict[str, str]:
    """One-off ssh, scp and sftp command lines that carry the fix."""
    opts = " ".join(shlex.quote(a) for a in ssh_options(changes))
    dest = f"{user}@{host}" if user else host
    ssh_port = f" -p {port}" if port != 22 else ""
    scp_port = f" -P {port}" if port != 22 else ""
    return {
        "ssh": f"ssh {opts}{ssh_port} {shlex.quote(dest)}",
        "scp": f"scp {opts}{scp_port} FILE {shlex.quote(dest)}:PATH",
        "sftp": f"sftp {opts}{scp_port} {shlex.quote(dest)}",
    }


_PARAMIKO_KEYS = {"KexAlgorithms": "kex", "Ciphers": "ciphers", "MACs": "digests", "HostKeyAlgorithms": "key_types"}
_ASYNCSSH_KEYS = {
    "KexAlgorithms": "kex_algs",
    "Ciphers": "encryption_algs",
    "MACs": "mac_algs",
    "HostKeyAlgorithms": "server_host_key_algs",
}


def library_snippets(changes: Sequence[Change], host: str, port: int = 22) -> dict[str, str]:
    """The same change for paramiko, AsyncSSH and Ansible users."""
    ansible_args = " ".join(f"-o {c.directive}={c.option_value()}" for c in changes)
    lines_asyncssh = [f"    {_ASYNCSSH_KEYS[c.directive]}=[{', '.join(repr(a) for a in c.add)}, *DEFAULTS]," for c in changes
                      if c.directive in _ASYNCSSH_KEYS]
    paramiko = [
        "# paramiko enables most legacy algorithms by default; make sure none is disabled:",
        "client.connect(",
        f"    {host!r}, port={port},",
        "    disabled_algorithms={},",
        ")",
    ]
    for c in changes:
        key = _PARAMIKO_KEYS.get(c.directive)
        if key:
            paramiko.append(f"# needs {', '.join(c.add)} in Transport.get_security_options().{key}")
    return {
        "ansible": f"ansible_ssh_common_args: '{ansible_args}'",
        "asyncssh": "\n".join(
            [
                "# DEFAULTS: the AsyncSSH default list for that category",
                f"await asyncssh.connect({host!r}, port={port},",
                *lines_asyncssh,
                ")",
            ]
        ),
        "paramiko": "\n".join(paramiko),
    }
