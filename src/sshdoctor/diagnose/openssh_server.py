"""Lines of sshd's log (syslog, journal, ``sshd -E``): there the offer is the client's.

Formats from OpenSSH's packet.c (``Unable to negotiate …``), auth2-pubkey.c
(``userauth_pubkey: signature algorithm … not in PubkeyAcceptedAlgorithms``,
``key type … not in …`` before 8.8), sshd.c / sshd-session.c (banner
exchange, ``drop connection #N … past MaxStartups`` and, from 9.8,
``… penalty: <reason>``), srclimit.c (PerSourcePenalties), as of the
V_9_2_P1 and V_9_8_P1 tags.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, host_of, negotiation, offer_tuple, peer_extra, port_of, simple
from sshdoctor.diagnose.openssh_client import NEGOTIATE, from_server, offer_extra
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Finding

FAMILY = "openssh-server"
_PID = re.compile(r"\bsshd(?:-session)?\[(\d+)\]:")


def _pid(line: str) -> str | None:
    m = _PID.search(line)
    return m[1] if m else None


def client_for(line: str, ctx: Context) -> tuple[str | None, int | None]:
    """The client address a line is about: by syslog PID when there is one, else the last connection."""
    pid = _pid(line)
    if pid is not None and pid in ctx.client_of_pid:
        return ctx.client_of_pid[pid]
    if ctx.last_client is not None:
        return ctx.last_client
    return None, None


def _client(host: str | None, port: int | None) -> dict[str, object]:
    return {"peer_role": "client", "client_port": port} if host else {}


@register("sshd-unable-to-negotiate", "Unable to negotiate with", NEGOTIATE, family=FAMILY)
def _negotiate(m: re.Match[str], ctx: Context) -> Finding | None:
    if not from_server(m.string, ctx):
        return None
    host, port = host_of(m["host"]), port_of(m["port"])
    extra = _client(host, port)
    extra.update(peer_extra(m["host"], m["port"]))
    extra.update(offer_extra(m["offer"]))
    return negotiation(category_from_words(m["what"]), offer_tuple(m["offer"]) if m["offer"] is not None else None,
                       reported_by=FAMILY, side="server", program="sshd", host=host, evidence=m.group(0),
                       extra=extra)


@register("sshd-event-viewer", "sshd", r"^sshd(?:-session)?$", family=FAMILY)
def _event_viewer(m: re.Match[str], ctx: Context) -> Finding | None:
    # A Windows Event Viewer entry copied as text puts the program's name on a line of its own.
    ctx.flags.add("server-log")
    return None


@register("sshd-connection-from", "Connection from",
          r"Connection from (?P<host>\S+) port (?P<port>\S+) on ", family=FAMILY)
def _connection(m: re.Match[str], ctx: Context) -> Finding | None:
    ctx.flags.add("server-log")
    host = host_of(m["host"])
    if host is None:
        ctx.last_client = None  # "Connection from <remote-ip> port …": the paste hid the address
        return None
    peer = (host, port_of(m["port"]))
    ctx.last_client = peer
    pid = _pid(m.string)
    if pid is not None:
        if len(ctx.client_of_pid) > 4096:
            ctx.client_of_pid.clear()  # bounded memory on endless logs
        ctx.client_of_pid[pid] = peer
    return None


@register("sshd-pubkey-not-accepted", "not in PubkeyAccepted",
          r"userauth_pubkey: (?:signature algorithm|key type) (?P<alg>\S+) not in (?P<opt>PubkeyAccepted\w+)",
          family=FAMILY)
def _pubkey(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = client_for(m.string, ctx)
    alg = m["alg"]
    text = (f"A client tried to log in with a {alg} signature and sshd refused it because {alg} is not in "
            f"{m['opt']}. Since OpenSSH 8.8 'ssh-rsa' (RSA with SHA-1) is off by default; old clients "
            "(PuTTY before 0.75, paramiko before 2.9, JSch before 0.1.58, OpenSSH before 7.2, many "
            "appliances) can only sign that way. The key itself is fine: newer clients sign the same RSA "
            "key with rsa-sha2-256/512.")
    return simple("pubkey-algorithm-not-accepted", text, reported_by=FAMILY, host=host, evidence=m.group(0),
                  algorithm_name=alg, their_offer=(alg,), extra={**_client(host, port), "directive": m["opt"]})


@register("sshd-no-identification", "Did not receive identification string",
          r"Did not receive identification string from (?P<host>\S+?)(?: port (?P<port>\d+))?(?:\s|$)",
          family=FAMILY)
def _no_ident(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = host_of(m["host"]), port_of(m["port"])
    text = ("A client opened a TCP connection and closed it without sending an SSH identification line: a "
            "port scanner, a load balancer health check, a monitoring probe, or a client that gave up (its own "
            "timeout, or it saw something it did not like, such as a firewall in between).")
    return simple("banner-exchange-closed", text, reported_by=FAMILY, host=host, evidence=m.group(0),
                  extra=_client(host, port))


@register("sshd-invalid-banner", "invalid ",
          r"(?:banner exchange: Connection from (?P<host>\S+) port (?P<port>\d+): invalid format)"
          r"|(?:client sent invalid protocol identifier)",
          family=FAMILY)
def _bad_banner(m: re.Match[str], ctx: Context) -> Finding | None:
    host = host_of(m["host"] or m.groupdict().get("host2"))
    port = port_of(m["port"] or m.groupdict().get("port2"))
    if host is None:
        host, port = client_for(m.string, ctx)
    text = ("A client sent something that is not an SSH identification line (an HTTP request, TLS, a scanner's "
            "probe), so sshd dropped it. Harmless unless it is your own tool pointed at the wrong port.")
    return simple("invalid-banner", text, reported_by=FAMILY, host=host, evidence=m.group(0),
                  extra=_client(host, port))


_register_old = register(
    "sshd-bad-protocol-version", "Bad protocol version identification",
    r"Bad protocol version identification '.*' from (?P<host2>\S+?)(?: port (?P<port2>\d+))?(?:\s|$)(?P<host>)?(?P<port>)?",
    family=FAMILY)(_bad_banner)


MAXSTARTUPS_TEXT = (
    "sshd refused the connection before sending its banner because too many connections were still "
    "unauthenticated: its MaxStartups limit (default 10:30:100, meaning from 10 pending connections on it drops "
    "30% of new ones, rising to all of them at 100). The client sees 'kex_exchange_identification: Connection "
    "closed by remote host' or 'read: Connection reset by peer' (with -v: 'banner line 0: Exceeded "
    "MaxStartups'). This is not an algorithm problem. If the bursts are legitimate (CI, Ansible forks, many "
    "parallel scp/rsync), raise the limit in sshd_config, e.g. 'MaxStartups 100:30:200' (and, from OpenSSH 8.5, "
    "'PerSourceMaxStartups 10' so that one source cannot take every slot), check it with 'sshd -t' and reload "
    "sshd; on the clients, reuse connections (ControlMaster auto, ControlPersist 10m) or open fewer at once. If "
    "it is a brute-force wave, keep the limit and block the sources instead (fail2ban, a firewall rate limit); "
    "a shorter LoginGraceTime frees slots sooner."
)
# The sshd_config change the text describes, for whoever renders fixes.
MAXSTARTUPS_EXTRA: dict[str, object] = {"directive": "MaxStartups", "sshd_config": "MaxStartups 100:30:200",
                                        "default": "10:30:100"}
PENALTY_TEXT = (
    "sshd (9.8 or later) refused the connection because this address is serving a PerSourcePenalties penalty "
    "(earned by failed logins, crashes or connections that never authenticated). The client sees 'Connection "
    "closed by remote host' or a reset (with -v: 'banner line 0: Not allowed at this time'). If the address is "
    "legitimate (a NAT gateway, a CI runner), exempt it with PerSourcePenaltyExemptList in sshd_config, or fix "
    "what earned the penalty."
)


@register("sshd-drop-connection", "drop connection #",
          r"drop connection #\d+ from \[(?P<host>[^\]]+)\]:(?P<port>\d+) on \[[^\]]*\]:\d+ (?P<why>.+)",
          family=FAMILY)
def _drop(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = host_of(m["host"]), port_of(m["port"])
    why = m["why"].strip()
    if "maxstartups" in why.lower():
        return simple("max-startups", MAXSTARTUPS_TEXT, reported_by=FAMILY, host=host, evidence=m.group(0),
                      extra={**_client(host, port), **MAXSTARTUPS_EXTRA})
    return simple("penalty", PENALTY_TEXT, reported_by=FAMILY, host=host, evidence=m.group(0),
                  extra={**_client(host, port), "reason": why})


@register("sshd-maxstartups-throttling", "MaxStartups throttling",
          r"(?P<state>beginning|in|exited) MaxStartups throttling(?: after (?P<after>[\d:]+), (?P<n>\d+) connections? "
          r"dropped)?", family=FAMILY)
def _throttle(m: re.Match[str], ctx: Context) -> Finding | None:
    extra: dict[str, object] = dict(MAXSTARTUPS_EXTRA)
    if m["n"] is not None:
        extra.update(dropped=int(m["n"]), duration=m["after"])
    return simple("max-startups", MAXSTARTUPS_TEXT, reported_by=FAMILY, evidence=m.group(0), extra=extra)


@register("sshd-penalise", "penalty of",
          r"srclimit_penalise: (?P<fam>\S+): (?:new|activating) (?P<net>\S+) (?:\S+ )?penalty of (?P<secs>\d+) "
          r"seconds for (?P<why>.+)", family=FAMILY)
def _penalise(m: re.Match[str], ctx: Context) -> Finding | None:
    net = m["net"]
    host = net.split("/")[0]
    text = (f"sshd (PerSourcePenalties, 9.8+) started a {m['secs']}-second penalty for {net}: {m['why'].strip()}. "
            "While it lasts, new connections from there are refused before the banner.")
    return simple("penalty", text, reported_by=FAMILY, host=host, evidence=m.group(0),
                  extra={"peer_role": "client", "network": net, "reason": m["why"].strip()})


@register("sshd-auth-failed", "for",
          r"(?:Failed (?P<method>password|publickey|keyboard-interactive/pam|none|hostbased) for (?:invalid user )?"
          r"(?P<user>\S*) from (?P<host>\*\([^)]*\)|\S+) port (?P<port>\S+?)(?: ssh2|\s|$))"
          r"|(?:maximum authentication attempts exceeded for (?:invalid user )?(?P<user2>\S*) from (?P<host2>\S+) "
          r"port (?P<port2>\d+))", family=FAMILY)
def _auth_failed(m: re.Match[str], ctx: Context) -> Finding | None:
    if m["host2"]:
        text = ("The client used up MaxAuthTries (default 6) before any method succeeded: usually an agent "
                "holding many keys, each offered in turn.")
        return simple("too-many-auth-failures", text, reported_by=FAMILY, host=m["host2"], evidence=m.group(0),
                      extra={**_client(m["host2"], port_of(m["port2"])), "user": m["user2"]})
    text = (f"Authentication by {m['method']} failed for user '{m['user']}'. Key exchange had succeeded, so "
            "this is not an algorithm problem.")
    host = host_of(m["host"])
    return simple("auth-failed", text, reported_by=FAMILY, host=host, evidence=m.group(0), severity="info",
                  extra={**_client(host, port_of(m["port"])), **peer_extra(m["host"], m["port"]), "user": m["user"],
                         "method": m["method"]})
