"""The failures people hit right after (or instead of) a negotiation failure.

Formats from OpenSSH 9.2 (sshconnect.c, sshconnect2.c, authfile.c,
readconf.c, ssh-add.c, authfd.c) as printed by the real programs (see
tests/corpus/neighbours), and the strerror() texts of glibc.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import host_of, peer_extra, port_of, simple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

FAMILY = "openssh-client"

NETWORK_TEXT = {
    "connection-refused": ("Nothing is listening on that address and port (or a firewall actively rejects it): "
                           "the SSH server is down, listens on another port, or only on another address. This "
                           "happens before any SSH is spoken, so no algorithm setting can change it."),
    "connection-timeout": ("No answer at all to the TCP connection attempt: the host is down, or a firewall "
                           "silently drops packets to that port, or the address is wrong. Nothing SSH-specific "
                           "was reached."),
    "no-route": ("The network stack could not reach the address at all (no route, network unreachable, or an "
                 "ICMP rejection from a router): a wrong address, a VPN that is down, or a firewall rule."),
}


@register("openssh-connect-failed", "connect to host",
          r"connect to host (?P<host>\S+) port (?P<port>\d+): (?P<why>Connection refused|Connection timed out|"
          r"No route to host|Network is unreachable|Operation timed out)", family=FAMILY)
def _connect(m: re.Match[str], ctx: Context) -> Finding | None:
    why = m["why"]
    kind = ("connection-refused" if why == "Connection refused"
            else "connection-timeout" if "timed out" in why else "no-route")
    host = host_of(m["host"])
    if host is not None:
        ctx.peer = (host, port_of(m["port"]))
    return simple(kind, NETWORK_TEXT[kind], reported_by=FAMILY, host=host, port=port_of(m["port"]),
                  evidence=m.group(0), extra=peer_extra(m["host"], m["port"]) or None)


@register("openssh-resolve", "Could not resolve hostname",
          r"Could not resolve hostname (?P<host>[^:\s]+): (?P<why>.+)", family=FAMILY)
def _resolve(m: re.Match[str], ctx: Context) -> Finding | None:
    why = m["why"].strip()
    temporary = "Temporary failure" in why
    text = (f"The name {m['host']} could not be turned into an address ({why}). "
            + ("The resolver itself could not be asked (no network, or no DNS server reachable). "
               if temporary else "The name does not exist as written: check for a typo, a missing domain, or "
               "a Host alias in ~/.ssh/config that should carry a HostName line. ")
            + "This happens before any connection; algorithms play no part.")
    return simple("unresolved-host", text, reported_by=FAMILY, host=host_of(m["host"]), evidence=m.group(0),
                  extra={"reason": why, **peer_extra(m["host"])})


@register("openssh-closed-by", "Connection closed by",
          r"^Connection closed by (?P<host>\S+) port (?P<port>\d+)\s*$", family=FAMILY)
def _closed_by(m: re.Match[str], ctx: Context) -> Finding | None:
    if m["host"] != "UNKNOWN":
        if host_of(m["host"]) is not None:
            ctx.peer = (m["host"], port_of(m["port"]))
        return None
    text = ("ssh was talking through a ProxyCommand or ProxyJump (that is why the peer is 'UNKNOWN port "
            "65535'), and that proxy closed the connection. The target itself may be fine: the jump host refused "
            "or could not reach it, or the proxy command failed. Run ssh -v to see the proxy's own messages, and "
            "try the jump host on its own (ssh JUMPHOST).")
    return simple("proxy-closed", text, reported_by=FAMILY, evidence=m.group(0), extra={"proxy": True})


@register("openssh-load-key", "Load key",
          r"Load key \"(?P<path>[^\"]+)\": (?P<why>invalid format|bad permissions|error in libcrypto|"
          r"incorrect passphrase supplied to decrypt private key|.+)", family=FAMILY)
def _load_key(m: re.Match[str], ctx: Context) -> Finding | None:
    path, why = m["path"], m["why"].strip()
    if why == "bad permissions":
        return _perm_finding(path, m.group(0), private_key=True)
    text = (f"ssh could not read the private key {path} ({why}). Usual causes: the file is a public key "
            "(.pub) or a PuTTY .ppk file (convert it with puttygen KEY.ppk -O private-openssh -o KEY), it lost "
            "its final newline or got Windows line endings when copied, or it is a key type this ssh no "
            "longer loads. Check it with: ssh-keygen -y -f " + path)
    return simple("invalid-key-format", text, reported_by=FAMILY, evidence=m.group(0), extra={"path": path,
                  "reason": why})


def _perm_finding(path: str, evidence: str, *, private_key: bool) -> Finding:
    what = "private key" if private_key else "file"
    text = (f"ssh refuses to use the {what} {path} because others can read or write it (or it is owned by "
            "someone else): it could have been changed or read by another user. Fix the mode and owner; the "
            "suggested command below was checked against the real file when it exists on this machine.")
    return simple("bad-permissions", text, reported_by=FAMILY, evidence=evidence,
                  extra={"path": path, "private_key": private_key})


@register("openssh-bad-owner", "Bad owner or permissions on",
          r"Bad owner or permissions on (?P<path>\S+)", family=FAMILY)
def _bad_owner(m: re.Match[str], ctx: Context) -> Finding | None:
    return _perm_finding(m["path"], m.group(0), private_key=False)


@register("openssh-key-too-open", "are too open",
          r"Permissions (?P<mode>0\d+) for '(?P<path>[^']+)' are too open", family=FAMILY)
def _too_open(m: re.Match[str], ctx: Context) -> Finding | None:
    f = _perm_finding(m["path"], m.group(0), private_key=True)
    f.extra["mode"] = m["mode"]
    return f


_AGENT_TEXT = ("No ssh-agent could be reached: SSH_AUTH_SOCK is unset (no agent started in this session), points "
               "to a socket that no longer exists (an old login, tmux or screen kept a stale value), or the agent "
               "died. Start one with eval \"$(ssh-agent -s)\" and ssh-add, or fix SSH_AUTH_SOCK. Keys on disk "
               "still work without an agent.")


@register("openssh-agent", "agent",
          r"(?:Error connecting to agent: (?P<why>.+))|(?:Could not open a connection to your authentication agent)",
          family=FAMILY)
def _agent(m: re.Match[str], ctx: Context) -> Finding | None:
    return simple("agent-unreachable", _AGENT_TEXT, reported_by=FAMILY, evidence=m.group(0),
                  extra={"reason": (m["why"] or "SSH_AUTH_SOCK not set").strip()})


_CHANGED_TEXT = ("The server presented a different host key from the one recorded in known_hosts. Either the "
                 "server was reinstalled or its keys were regenerated (common after an upgrade, or when an "
                 "address is reused), or someone is intercepting the connection. Confirm the new fingerprint "
                 "with the server's administrator or console before removing the old entry.")


@register("openssh-offending-key", "Offending",
          r"Offending (?P<type>\S+) key in (?P<path>\S+?):(?P<line>\d+)", family=FAMILY)
def _offending(m: re.Match[str], ctx: Context) -> Finding | None:
    return simple("host-key-changed", _CHANGED_TEXT, reported_by=FAMILY, evidence=m.group(0),
                  extra={"known_hosts": m["path"], "line": int(m["line"]), "key_type": m["type"]})


@register("openssh-host-key-changed", "has changed",
          r"Host key for (?P<host>\S+) has changed and you have requested strict checking", family=FAMILY)
def _changed(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = _split_known_host(m["host"])
    return simple("host-key-changed", _CHANGED_TEXT, reported_by=FAMILY, host=host, port=port, evidence=m.group(0),
                  extra={"known_hosts_name": m["host"]})


@register("openssh-identification-changed", "IDENTIFICATION HAS CHANGED",
          r"REMOTE HOST IDENTIFICATION HAS CHANGED", family=FAMILY)
def _ident_changed(m: re.Match[str], ctx: Context) -> Finding | None:
    return simple("host-key-changed", _CHANGED_TEXT, reported_by=FAMILY, evidence=m.group(0))


def _split_known_host(name: str) -> tuple[str, int | None]:
    """``[host]:port`` as known_hosts writes it, or a bare host (port 22)."""
    if name.startswith("[") and "]:" in name:
        host, _, port = name[1:].partition("]:")
        return host, port_of(port)
    return name, None


@register("openssh-host-key-unknown", "host key is known for",
          r"No (?P<type>\S+) host key is known for (?P<host>\S+) and you have requested strict checking",
          family=FAMILY)
def _unknown(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = _split_known_host(m["host"])
    ctx.peer = (host, port or 22)
    return None


@register("openssh-verification-failed", "Host key verification failed",
          r"Host key verification failed", family=FAMILY)
def _verification(m: re.Match[str], ctx: Context) -> Finding | None:
    text = ("ssh could not verify the server's host key, so it stopped (StrictHostKeyChecking, or BatchMode "
            "where it cannot ask). If the host is new to you, check its fingerprint out of band and connect "
            "once interactively, or add it with ssh-keyscan after checking; if it says the key changed, see "
            "that finding.")
    host, port = ctx.peer or (None, None)
    return simple("host-key-verification-failed", text, reported_by=FAMILY, host=host, port=port,
                  evidence=m.group(0))


@register("openssh-permission-denied", "Permission denied (",
          r"(?:(?P<user>[^@\s]+)@(?P<host>\S+?): )?Permission denied \((?P<methods>[^)]*)\)", family=FAMILY)
def _denied(m: re.Match[str], ctx: Context) -> Finding | None:
    methods = [x for x in m["methods"].split(",") if x]
    text = ("Key exchange worked (so algorithms are not the problem) but the server accepted none of the login "
            f"methods tried; it allows: {', '.join(methods) or 'none'}. Check the user name, that the right key "
            "is offered (ssh -v shows which), that its public half is in the server's authorized_keys with "
            "correct permissions, and, for an RSA key against an old server, the 'no mutual signature "
            "algorithm' case.")
    return simple("permission-denied", text, reported_by=FAMILY, host=host_of(m["host"]), evidence=m.group(0),
                  extra={"methods": methods, "user": m["user"]})


@register("openssh-too-many-failures", "Too many authentication failures",
          r"(?:Received disconnect from (?P<host>\S+) port (?P<port>\d+):\d+: )?Too many authentication failures",
          family=FAMILY)
def _too_many(m: re.Match[str], ctx: Context) -> Finding | None:
    text = ("The server cut the connection after too many rejected login attempts (its MaxAuthTries, 6 by "
            "default). ssh offers every key in the agent and every IdentityFile in turn; with many keys the "
            "right one comes too late. For this host, name the key and offer only it: IdentityFile ~/.ssh/KEY "
            "and IdentitiesOnly yes.")
    return simple("too-many-auth-failures", text, reported_by=FAMILY, host=host_of(m["host"]),
                  port=port_of(m["port"]), evidence=m.group(0))
