"""Programs that run ssh and wrap its message: git and Ansible.

git (2.39, connect.c / transport) ends with ``fatal: Could not read from
remote repository.`` after ssh's own lines. Ansible (2.17.5,
plugins/callback/default.py and plugins/connection/ssh.py) prints
``fatal: [HOST]: UNREACHABLE! => {… "msg": "Failed to connect to the host via
ssh: <ssh's stderr>" …}``, the message JSON-encoded inside; with the paramiko
or libssh connection the msg holds that library's text.
"""

from __future__ import annotations

import json
import re

from sshdoctor.diagnose.common import host_of, port_of, simple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

WRAPPED = "wrapped-failure"


@register("git-remote", "Could not read from remote repository",
          r"fatal: Could not read from remote repository\.?", family="git")
def _git(m: re.Match[str], ctx: Context) -> Finding | None:
    ctx.via = "git"
    text = ("git ran ssh and ssh failed; git's own line says nothing about why. The reason is in the lines ssh "
            "printed just before it. If there are none, run the command again with GIT_SSH_COMMAND='ssh -vv' and "
            "paste the whole output.")
    return simple(WRAPPED, text, reported_by="git", evidence=m.group(0))


_MSG = re.compile(r'"msg": ("(?:[^"\\]|\\.)*")')


def _inner(line: str, ctx: Context, host: str | None) -> list[Finding]:
    m = _MSG.search(line)
    if not m:
        return []
    try:
        text = json.loads(m[1])
    except ValueError:
        return []
    if not isinstance(text, str):
        return []
    from sshdoctor.diagnose.engine import explain_lines  # the engine imports this module

    ctx.flags.add("consumed")
    found = explain_lines(text.splitlines())
    out = []
    for f in found:
        if f.kind == WRAPPED:
            continue
        f.extra.setdefault("via", "ansible")
        if host:
            f.extra.setdefault("inventory_host", host)
        out.append(f)
    return out


@register("ansible-unreachable", "UNREACHABLE!", r"fatal: \[(?P<host>[^\]]*)\]: UNREACHABLE! =>", family="ansible")
def _ansible(m: re.Match[str], ctx: Context) -> list[Finding] | Finding | None:
    ctx.via = "ansible"
    ctx.via_host = m["host"]
    inner = _inner(m.string, ctx, m["host"])
    if inner:
        return inner
    text = (f"Ansible could not connect to '{m['host']}'. The connection plugin's message (in \"msg\") holds "
            "the real reason; if it was cut off, rerun with -vvv to see ssh's own output.")
    return simple(WRAPPED, text, reported_by="ansible", evidence=m.group(0), extra={"inventory_host": m["host"]})


@register("ansible-msg", '"msg": "', r'"msg": "', family="ansible")
def _ansible_msg(m: re.Match[str], ctx: Context) -> list[Finding] | None:
    # The indented form puts "msg" on a line of its own after UNREACHABLE! => {
    if ctx.via != "ansible":
        return None
    return _inner(m.string, ctx, ctx.via_host) or None


@register("java-connecting", "Connecting to ",
          r"\bConnecting to (?P<host>[^\s\[]+) port (?P<port>\d+)\b", family="java")
def _java_connecting(m: re.Match[str], ctx: Context) -> Finding | None:
    # JSch's and Apache MINA's loggers ("INFO com.jcraft.jsch.JSch - Connecting to HOST port 22") name the peer
    # before the exception and its stack trace; OpenSSH's own line has "[address]" and is read elsewhere.
    host = host_of(m["host"])
    if host is not None:
        ctx.peer = (host, port_of(m["port"]))
    return None
