"""Fixes for what ``sshdoctor explain`` found, ranked the way a careful admin would choose.

For a negotiation failure seen by an OpenSSH client: (1) a ``Host`` block in
``~/.ssh/config`` adding (``+``) the strongest algorithm of the server's offer
that the local ssh supports, scoped to that one host; (2) the same as
one-off options for ssh, scp and sftp; (3) the change on the server that
makes either unnecessary. Seen from the server (its log holds the client's
offer), the order is the server's ``sshd_config`` first, then the client.
Never a replacement list (it would drop the defaults), never ``Host *`` for
a weak algorithm. Other clients get their own setting. Other findings get
the exact command, checked against the real file when the CLI could look.

Pure: what the local machine offers (``ssh -Q``, file modes) comes in a
:class:`FixContext` built by the caller.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from sshdoctor.model import Action, Category, Change, Finding, Fix
from sshdoctor.remedy.actions import sshd_lines
from sshdoctor.remedy.explain_negotiation import _missing, client_fixes, is_server_side, server_fixes
from sshdoctor.remedy.explain_types import ExplainFix, FileFact, FixContext
from sshdoctor.remedy.render import ssh_config_block, ssh_options
from sshdoctor.remedy.risk import pubkey_risk, risk_of

__all__ = ["ExplainFix", "FileFact", "FixContext", "explain_fixes", "paths_to_check"]




def paths_to_check(findings: Sequence[Finding]) -> list[str]:
    """Local files the findings name, for the caller to stat before asking for fixes."""
    paths: list[str] = []
    for f in findings:
        for key in ("path", "known_hosts"):
            value = f.extra.get(key)
            if isinstance(value, str) and value not in paths:
                paths.append(value)
    return paths


def explain_fixes(findings: Sequence[Finding], ctx: FixContext) -> list[ExplainFix]:
    """Every fix for every finding, grouped by finding, best first within each.

    The categories one client reported failing for one host are fixed
    together, under the first of those findings.
    """
    out: list[ExplainFix] = []
    groups: dict[tuple[object, ...], list[tuple[int, Finding]]] = {}
    for i, f in enumerate(findings):
        if f.kind == "no-common-algorithm" and f.category is not None and not is_server_side(f):
            groups.setdefault((f.host, f.port, f.reported_by), []).append((i, f))
    done: set[int] = set()
    for i, f in enumerate(findings):
        if i in done:
            continue
        if f.kind == "no-common-algorithm" and f.category is not None:
            if is_server_side(f):
                out += server_fixes(i, f, ctx)
                continue
            group = groups[(f.host, f.port, f.reported_by)]
            done.update(j for j, _ in group)
            out += client_fixes(group, ctx)
            continue
        if f.kind == "no-common-algorithm":
            out.append(_missing(i, f, "which category failed and what the server offered"))
            continue
        handler = _OTHER.get(f.kind)
        if handler is not None:
            out += handler(i, f, ctx)
    return out


# --- everything else ------------------------------------------------------------------------

def _peer(f: Finding) -> tuple[str, int, bool]:
    """Host and port for a fix; False when the text did not name the host."""
    if f.host:
        return f.host, f.port or 22, True
    return "HOST", f.port or 22, False


def _options(changes: list[Change]) -> list[str]:
    return ssh_options(changes)


def _fact(ctx: FixContext, path: str | None) -> FileFact | None:
    return ctx.files.get(path) if path else None


def _perm(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    path = str(f.extra.get("path") or "")
    fact = _fact(ctx, path)
    quoted = shlex.quote(path)
    commands: dict[str, str] = {}
    notes: list[str] = []
    if fact is not None and fact.exists:
        mode = fact.mode or 0
        notes.append(f"{path} is now mode {mode & 0o7777:04o}, owner uid {fact.uid}.")
        if ctx.uid is not None and fact.uid not in (ctx.uid, 0):
            commands["chown"] = f"chown {ctx.uid} {quoted}"
        if mode & 0o077:
            commands["chmod"] = f"chmod 600 {quoted}"
        if not commands:
            notes.append("Its mode and owner look right now: the parent directory may be the problem "
                         "(chmod 700 ~/.ssh).")
    else:
        commands["chmod"] = f"chmod 600 {quoted}"
        if fact is not None:
            notes.append(f"{path} does not exist on this machine: the message came from another one.")
    return [ExplainFix(finding=i, rank=1, title="make the file private again", risk="none",
                       commands=commands, fix=Fix(scope="local-file", changes=(), notes=tuple(notes)))]


def _key_format(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    path = str(f.extra.get("path") or "KEY")
    fact = _fact(ctx, path)
    quoted = shlex.quote(path)
    commands = {"check": f"ssh-keygen -y -f {quoted}"}
    notes: list[str] = []
    if fact is not None and fact.exists and fact.first_line:
        head = fact.first_line
        if head.startswith("PuTTY-User-Key-File"):
            commands["convert"] = f"puttygen {quoted} -O private-openssh -o {shlex.quote(path + '.openssh')}"
            notes.append("It is a PuTTY .ppk key.")
        elif head.startswith(("ssh-", "ecdsa-", "sk-")):
            notes.append("It is a public key: point IdentityFile at the private half (the file without .pub).")
        elif "BEGIN" not in head:
            notes.append("It does not start like any private key format.")
    elif fact is not None and not fact.exists:
        notes.append(f"{path} does not exist on this machine.")
    return [ExplainFix(finding=i, rank=1, title="find out what the key file really is", risk="none",
                       commands=commands, fix=Fix(scope="local-file", changes=(), notes=tuple(notes)))]


def _known_host_name(f: Finding) -> str:
    name = f.extra.get("known_hosts_name")
    if isinstance(name, str):
        return name
    host, port, _ = _peer(f)
    return host if port == 22 else f"[{host}]:{port}"


def _changed(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    name = _known_host_name(f)
    host, port, _ = _peer(f)
    kh = f.extra.get("known_hosts")
    file_arg = f" -f {shlex.quote(str(kh))}" if isinstance(kh, str) else ""
    scan = f"ssh-keyscan{' -p ' + str(port) if port != 22 else ''} {shlex.quote(host)} | ssh-keygen -lf -"
    return [
        ExplainFix(finding=i, rank=1, title="first, confirm the new key is genuine", risk="none",
                   commands={"fingerprint": scan}, fix=Fix(scope="verify", changes=(), notes=(
                       "Compare with the fingerprint the server's administrator or console shows "
                       "(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the server).",))),
        ExplainFix(finding=i, rank=2, title="then forget the old key", commands={
            "remove": f"ssh-keygen{file_arg} -R {shlex.quote(name)}"},
                   risk="if the change was not expected and you skip the check, an attacker in the middle gets "
                        "your session",
                   fix=Fix(scope="local-file", changes=(), notes=("Then connect once and accept the new key.",))),
    ]


def _verify_failed(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    host, port, _ = _peer(f)
    scan = f"ssh-keyscan{' -p ' + str(port) if port != 22 else ''} {shlex.quote(host)} | ssh-keygen -lf -"
    return [ExplainFix(finding=i, rank=1, title="check the host's key, then record it", risk="none once checked",
                       commands={"fingerprint": scan,
                                 "accept": f"ssh -o StrictHostKeyChecking=accept-new"
                                           f"{' -p ' + str(port) if port != 22 else ''} {shlex.quote(host)} true"},
                       fix=Fix(scope="verify", changes=(), notes=()))]


def _too_many(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    host = _peer(f)[0]
    block = f"Host {host}\n    IdentitiesOnly yes\n    IdentityFile ~/.ssh/KEY\n"
    return [ExplainFix(finding=i, rank=1, title="offer only the right key to this host", risk="none",
                       ssh_config=block, ssh_options=("-o", "IdentitiesOnly=yes", "-i", "~/.ssh/KEY"),
                       fix=Fix(scope="ssh_config-host", changes=(), host=host))]


def _no_mutual(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    host, port, _ = _peer(f)
    change = Change(directive="PubkeyAcceptedAlgorithms", add=("ssh-rsa",))
    risk = pubkey_risk("ssh-rsa")
    return [
        ExplainFix(finding=i, rank=1, title="let your RSA key sign with SHA-1 for this host only", risk=risk,
                   ssh_config=ssh_config_block(host, [change], port=port), ssh_options=tuple(_options([change])),
                   fix=Fix(scope="ssh_config-host", changes=(change,), host=host)),
        ExplainFix(finding=i, rank=2, title="or use an Ed25519 or ECDSA key, if the server accepts one",
                   risk="none", commands={"new key": "ssh-keygen -t ed25519"},
                   fix=Fix(scope="client", changes=())),
        ExplainFix(finding=i, rank=3, title="on the server: upgrade to OpenSSH 7.2 or later (rsa-sha2 signatures)",
                   risk="none: removes a weakness", fix=Fix(scope="server", changes=())),
    ]


def _pubkey_server(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    alg = f.algorithm or "ssh-rsa"
    nets = f.extra.get("networks")
    where = ",".join(str(n) for n in nets) if isinstance(nets, list) and nets else (f.host or "ADDRESS")
    block = f"Match Address {where}\n    PubkeyAcceptedAlgorithms +{alg}\n"
    return [
        ExplainFix(finding=i, rank=1, title=f"accept {alg} only from those clients", risk=risk_of(Category.HOSTKEY, alg),
                   sshd_config=block, fix=Fix(scope="server", changes=(Change("PubkeyAcceptedAlgorithms", add=(alg,)),),
                                              notes=("PubkeyAcceptedAlgorithms may go in a Match block, so the "
                                                     "exception can be limited to those addresses.",))),
        ExplainFix(finding=i, rank=2, title="or update those clients (they then sign with rsa-sha2-256/512)",
                   risk="none: removes a weakness", fix=Fix(scope="client", changes=())),
    ]


def _agent(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    return [ExplainFix(finding=i, rank=1, title="start an agent in this shell and load your key", risk="none",
                       commands={"start": 'eval "$(ssh-agent -s)"', "load": "ssh-add"},
                       fix=Fix(scope="local", changes=()))]


def _max_startups(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    """sshd dropped unauthenticated connections past MaxStartups: raise it on the server, share connections on the client."""
    line = str(f.extra.get("sshd_config") or "MaxStartups 100:30:200")
    server = sshd_lines([line], "on the server: let more unauthenticated connections wait (the default is 10:30:100)",
                        placement="anywhere above the first Match block (sshd takes the first value it reads)",
                        notes=("Then sshd -t and reload sshd. PerSourceMaxStartups (OpenSSH 8.5+) limits one busy "
                               "client without cutting off the others.",))
    client = Action.note("on the client: open fewer connections at once",
                         "ControlMaster auto with a ControlPath and ControlPersist lets ssh, scp and ansible share one "
                         "connection per host; a job runner's parallelism (ansible -f) is the other lever.")
    return [ExplainFix(finding=i, rank=1, title=server.title, risk="none known", sshd_config=server.text,
                       fix=Fix(scope="server", changes=()), extra_actions=(server,)),
            ExplainFix(finding=i, rank=2, title=client.title, risk="none", fix=Fix(scope="client", changes=()),
                       extra_actions=(client,))]


GROUP_EXCHANGE = ("diffie-hellman-group-exchange-sha256", "diffie-hellman-group-exchange-sha1")
# ssh without group exchange for one host, where a server's prime is too small (explain and check).
NO_GROUP_EXCHANGE = Change(directive="KexAlgorithms", remove=GROUP_EXCHANGE)


def _gex_too_small(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    """The server's group-exchange prime is below the client's 2048-bit minimum. The client printed it, so
    its own way round comes first (no group exchange for that host, which helps only when the server offers
    another method), then the lasting fix, the server's primes."""
    server = Action.note(
        "on the server: use group-exchange primes of 2048 bits or more",
        "OpenSSH servers take them from their moduli file (ModuliFile, /etc/ssh/moduli by default): keep only the "
        "lines whose fifth field (the size, in bits minus one) is 2047 or more. Appliances have a setting for the "
        "minimum Diffie-Hellman size. A server that also offers curve25519-sha256 or a fixed group of 2048 bits or "
        "more (diffie-hellman-group14-sha256, diffie-hellman-group16-sha512) is reached without group exchange.",
        side="server")
    server_fix = ExplainFix(finding=i, rank=2, title=server.title, risk="none: removes a weakness",
                            fix=Fix(scope="server", changes=()), extra_actions=(server,))
    if f.reported_by == "go":
        client = Action.note(
            "in the Go program: leave group exchange out of ssh.Config's KeyExchanges for this server",
            "x/crypto only uses diffie-hellman-group-exchange-sha256 when KeyExchanges names it; without it the "
            "handshake takes the next method both sides have, if the server offers one.")
        return [ExplainFix(finding=i, rank=1, title=client.title, risk="none", fix=Fix(scope="client", changes=()),
                           extra_actions=(client,)), server_fix]
    host, port, _ = _peer(f)
    change = NO_GROUP_EXCHANGE
    client_fix = ExplainFix(
        finding=i, rank=1, title="for this host only: no group exchange (works when the server offers another method)",
        risk="none: the key exchange that follows in your ssh's order is used instead",
        ssh_config=ssh_config_block(host, [change], port=port), ssh_options=tuple(_options([change])),
        fix=Fix(scope="ssh_config-host", changes=(change,), host=host,
                notes=("If the server offers group exchange only, ssh then reports 'no matching key exchange method' "
                       "and only the server can be fixed (sshdoctor explain --probe shows its offer).",)))
    return [client_fix, server_fix]


_OTHER = {
    "dh-gex-group-too-small": _gex_too_small,
    "max-startups": _max_startups,
    "bad-permissions": _perm,
    "invalid-key-format": _key_format,
    "host-key-changed": _changed,
    "host-key-verification-failed": _verify_failed,
    "too-many-auth-failures": _too_many,
    "no-mutual-signature-algorithm": _no_mutual,
    "pubkey-algorithm-not-accepted": _pubkey_server,
    "agent-unreachable": _agent,
}
