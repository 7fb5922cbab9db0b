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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from sshdoctor.catalog import is_pseudo
from sshdoctor.model import Category, Change, Finding, Fix
from sshdoctor.remedy.plan import strongest_supported
from sshdoctor.remedy.render import library_snippets, one_off_commands, ssh_config_block
from sshdoctor.remedy.risk import risk_of
from sshdoctor.remedy.strength import strength_key


@dataclass(frozen=True, slots=True)
class FileFact:
    """What the CLI saw of a local file a finding names."""

    path: str
    exists: bool
    mode: int | None = None
    uid: int | None = None
    first_line: str | None = None


@dataclass(frozen=True, slots=True)
class FixContext:
    """The local side: ``supported`` is ``ssh -Q`` per category (empty when unknown)."""

    supported: Mapping[Category, Sequence[str]] = field(default_factory=dict)
    defaults: Mapping[Category, Sequence[str]] = field(default_factory=dict)
    files: Mapping[str, FileFact] = field(default_factory=dict)
    uid: int | None = None
    local_label: str | None = None


@dataclass(frozen=True, slots=True)
class ExplainFix:
    """One ranked fix for finding number ``finding`` (its index in the findings list)."""

    finding: int
    rank: int
    title: str
    fix: Fix
    risk: str
    ssh_options: tuple[str, ...] = ()
    ssh_config: str | None = None
    sshd_config: str | None = None
    commands: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The contract's ``fixes`` entry (``ssh_options``, ``ssh_config``, ``risk``) plus where and why."""
        return {
            "finding": self.finding,
            "rank": self.rank,
            "scope": self.fix.scope,
            "title": self.title,
            "ssh_options": list(self.ssh_options),
            "ssh_config": self.ssh_config,
            "sshd_config": self.sshd_config,
            "commands": dict(self.commands),
            "changes": [c.as_dict() for c in self.fix.changes],
            "risk": self.risk,
            "notes": list(self.fix.notes),
        }


OPENSSH_CLIENTS = ("openssh-client",)
SERVER_SIDE = ("openssh-server", "dropbear-server", "cisco")


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
    """Every fix for every finding, grouped by finding, best first within each."""
    out: list[ExplainFix] = []
    for i, f in enumerate(findings):
        out += _for_finding(i, f, ctx)
    return out


def _for_finding(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    if f.kind == "no-common-algorithm" and f.category is not None:
        if f.reported_by in SERVER_SIDE or f.extra.get("side") == "server":
            return _server_seen(i, f, ctx)
        return _client_seen(i, f, ctx)
    if f.kind == "no-common-algorithm":
        return [_missing(i, f, "which category failed and what the server offered")]
    handler = _OTHER.get(f.kind)
    return handler(i, f, ctx) if handler else []


# --- negotiation seen by a client ---------------------------------------------------------

def _usable(category: Category, offer: Sequence[str], ctx: FixContext) -> tuple[list[str], bool]:
    """The offer's names the local ssh can use, strongest first; False when unchecked."""
    supported = ctx.supported.get(category)
    if supported:
        return strongest_supported(category, offer, supported), True
    names = sorted({n for n in offer if not is_pseudo(n)}, key=lambda n: strength_key(category, n))
    return names, False


def _peer(f: Finding) -> tuple[str, int, bool]:
    """Host pattern and port for a fix; False when the text did not name the host."""
    if f.host:
        return f.host, f.port or 22, True
    return "HOST", f.port or 22, False


def _missing(i: int, f: Finding, what: str) -> ExplainFix:
    host, port, known = _peer(f)
    where = f"{host}" + (f" -p {port}" if port != 22 else "")
    notes = (
        f"The message does not say {what}.",
        f"Get it with: sshdoctor explain --probe --host {where} (or sshdoctor probe {where}), "
        f"or paste the output of: ssh -vv {where}",
    ) + (() if known else ("The message does not name the host either: pass it with --host.",))
    return ExplainFix(finding=i, rank=1, title="what is missing", risk="none: nothing is changed yet",
                      fix=Fix(scope="needs-offer", changes=(), notes=notes, host=f.host))


def _client_seen(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    assert f.category is not None
    category = f.category
    if f.their_offer is None:
        return [_missing(i, f, "what the server offered"), *_server_change(i, f, ctx, rank=2)]
    names, checked = _usable(category, f.their_offer, ctx)
    host, port, known = _peer(f)
    fixes: list[ExplainFix] = []
    if category is Category.COMPRESSION:
        return [_compression(i, f), *_server_change(i, f, ctx, rank=2)]
    if not names:
        why = ("your ssh supports none of the algorithms the server offers (ssh -Q "
               f"{_QUERY[category]} lists what it has)" if checked else "the server offered nothing usable")
        fix = Fix(scope="none-on-client", changes=(), host=f.host, notes=(why + ": only the server side or "
                                                                             "another client can fix this.",))
        fixes.append(ExplainFix(finding=i, rank=1, title="no client-side fix", fix=fix, risk="n/a"))
        return fixes + _server_change(i, f, ctx, rank=2)
    best = names[0]
    change = Change(directive=category.directive, add=(best,))
    risk = risk_of(category, best)
    notes: list[str] = []
    if not checked:
        notes.append("Not checked against a local ssh (none found): make sure yours supports " + best + ".")
    if not known:
        notes.append("The message does not name the host: replace HOST (or pass --host).")
    if f.reported_by not in OPENSSH_CLIENTS and f.reported_by != "libssh":
        fixes += _other_client(i, f, best, risk)
        return fixes + _server_change(i, f, ctx, rank=len(fixes) + 1)
    if f.reported_by == "libssh":
        notes.append("libssh reads ~/.ssh/config too (KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs).")
    if category is Category.HOSTKEY and best in ("ssh-rsa", "ssh-dss"):
        notes.append(f"To log in with an RSA key to such a server you may also need PubkeyAcceptedAlgorithms +{best} "
                     "in the same block (see 'no mutual signature algorithm').")
    block = ssh_config_block(host, [change], port=port,
                             comment=f"sshdoctor: {host} only offers {', '.join(f.their_offer[:4])}")
    fixes.append(ExplainFix(
        finding=i, rank=1, title=f"allow {best} for this host only, in ~/.ssh/config", risk=risk,
        ssh_config=block, ssh_options=tuple(_options([change])),
        fix=Fix(scope="ssh_config-host", changes=(change,), risks=(risk,), host=host, notes=tuple(notes)),
    ))
    commands = one_off_commands([change], host, port)
    if category is Category.CIPHER:
        # ssh.c accepts the '+' form after -c (not after -m), and scp/sftp pass -c on to ssh.
        commands["ssh -c"] = f"ssh -c +{best}" + (f" -p {port}" if port != 22 else "") + f" {shlex.quote(host)}"
        commands["scp -c"] = f"scp -c +{best}" + (f" -P {port}" if port != 22 else "") + f" FILE {host}:PATH"
        commands["sftp -c"] = f"sftp -c +{best}" + (f" -P {port}" if port != 22 else "") + f" {host}"
    fixes.append(ExplainFix(
        finding=i, rank=2, title="or just once, on the command line (ssh, scp, sftp)", risk=risk,
        ssh_options=tuple(_options([change])), commands=commands,
        fix=Fix(scope="one-off", changes=(change,), risks=(risk,), host=host,
                notes=("-m would replace the MAC list rather than add to it, so MACs go through -o.",)
                if category is Category.MAC else ()),
    ))
    return fixes + _server_change(i, f, ctx, rank=3)


_QUERY = {Category.KEX: "kex", Category.HOSTKEY: "key-sig", Category.CIPHER: "cipher", Category.MAC: "mac",
          Category.COMPRESSION: "compression"}


def _options(changes: Sequence[Change]) -> list[str]:
    args: list[str] = []
    for c in changes:
        args += ["-o", f"{c.directive}={c.option_value()}"]
    return args


def _compression(i: int, f: Finding) -> ExplainFix:
    offer = f.their_offer or ()
    notes = ("OpenSSH's ssh always offers none and zlib@openssh.com; Compression yes only moves zlib first.",)
    if any(n.startswith("zlib") for n in offer):
        return ExplainFix(finding=i, rank=1, title="turn compression on for this host", risk="none known",
                          ssh_options=("-o", "Compression=yes"),
                          fix=Fix(scope="one-off", changes=(), notes=notes, host=f.host))
    return ExplainFix(finding=i, rank=1, title="no client-side fix", risk="n/a",
                      fix=Fix(scope="none-on-client", changes=(), host=f.host,
                              notes=(f"The server offers only {', '.join(offer)}, which OpenSSH does not implement.",)))


_LIB_KEYS = {
    "jsch": {Category.KEX: "kex", Category.HOSTKEY: "server_host_key", Category.CIPHER: "cipher.c2s",
             Category.MAC: "mac.c2s"},
}


def _other_client(i: int, f: Finding, best: str, risk: str) -> list[ExplainFix]:
    """The equivalent setting in the program that printed the message."""
    assert f.category is not None
    category = f.category
    change = Change(directive=category.directive, add=(best,))
    host, port, _ = _peer(f)
    who = f.reported_by or "the client"
    snippet: str
    notes: tuple[str, ...] = ()
    if who in ("paramiko", "asyncssh"):
        snippet = library_snippets([change], host, port)[who]
    elif who == "jsch":
        key = _LIB_KEYS["jsch"].get(category, category.value)
        snippet = f'session.setConfig("{key}", session.getConfig("{key}") + ",{best}");'
        if category in (Category.CIPHER, Category.MAC):
            other = key.replace("c2s", "s2c")
            snippet += f'\nsession.setConfig("{other}", session.getConfig("{other}") + ",{best}");'
    elif who == "go":
        field_name = {Category.KEX: "KeyExchanges", Category.CIPHER: "Ciphers", Category.MAC: "MACs",
                      Category.HOSTKEY: "HostKeyAlgorithms"}.get(category, "")
        snippet = (f"// golang.org/x/crypto/ssh: add {best} to ClientConfig.{field_name}"
                   + (" (in Config)" if category is not Category.HOSTKEY else "")
                   + f", keeping the defaults; the package must implement {best}.")
    elif who == "putty":
        snippet = (f"PuTTY/WinSCP: in the saved session, Connection > SSH > "
                   f"{'Kex' if category is Category.KEX else 'Host keys' if category is Category.HOSTKEY else 'Cipher'}"
                   f": make sure {best} is listed above the 'warn below here' line.")
        notes = ("If PuTTY says it could not agree, this PuTTY does not implement any of the server's "
                 "algorithms: upgrade PuTTY, or fix the server.",)
    elif who == "dropbear-client":
        flag = {Category.CIPHER: "-c", Category.MAC: "-m"}.get(category)
        snippet = (f"dbclient {flag} {best} …" if flag else
                   "dbclient has no option for this category; its set is fixed when it is built.")
    else:
        snippet = f"Add {best} to {who}'s {category.value} list, keeping its defaults."
    return [ExplainFix(finding=i, rank=1, title=f"allow {best} in {who} for this connection", risk=risk,
                       commands={who: snippet},
                       fix=Fix(scope=f"{who}-setting", changes=(change,), risks=(risk,), host=f.host, notes=notes))]


@cache
def _first_openssh(category: Category, name: str) -> str | None:
    """The first OpenSSH release in the catalog whose sshd supports ``name``."""
    from sshdoctor.catalog.profiles import all_profiles

    versions = [p for p in all_profiles().values()
                if p.implementation == "openssh" and name in p.supported.lists.get(category, ())]
    if not versions:
        return None
    return min(versions, key=lambda p: p.version_key()).version


def _server_change(i: int, f: Finding, ctx: FixContext, *, rank: int) -> list[ExplainFix]:
    """What to change on the server so the client needs nothing."""
    assert f.category is not None
    category = f.category
    wanted = [n for n in (ctx.defaults.get(category) or ()) if not is_pseudo(n)]
    wanted.sort(key=lambda n: strength_key(category, n))
    if category is Category.COMPRESSION or not wanted:
        return [ExplainFix(finding=i, rank=rank, title="on the server: upgrade", risk="none: removes a weakness",
                           fix=Fix(scope="server", changes=(), host=f.host,
                                   notes=("Upgrade the server's SSH software or firmware; current releases offer "
                                          "algorithms every current client accepts.",)))]
    best = wanted[0]
    since = _first_openssh(category, best)
    line = f"{category.directive} +{best}"
    notes = [f"Add to sshd_config, check with sshd -t, then reload sshd: {line}"]
    if since:
        notes.append(f"That needs OpenSSH {since} or later on the server; anything older (or an appliance) "
                     "needs a software or firmware upgrade instead.")
    if category is Category.HOSTKEY:
        notes.append("The server also needs a host key of that type (HostKey line; ssh-keygen -A makes the "
                     "missing ones).")
    notes.append("With that in place the client-side change above can be removed.")
    return [ExplainFix(finding=i, rank=rank, title=f"on the server: offer {best} as well (removes the need)",
                       risk=risk_of(category, best), sshd_config=line + "\n",
                       fix=Fix(scope="server", changes=(Change(category.directive, add=(best,)),), host=f.host,
                               notes=tuple(notes)))]


# --- negotiation seen by a server --------------------------------------------------------

def _server_seen(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    assert f.category is not None
    category = f.category
    who = f.host or "those clients"
    if f.their_offer is None:
        return [_missing(i, f, "what the client offered")]
    names, checked = _usable(category, f.their_offer, ctx)
    fixes: list[ExplainFix] = []
    if f.reported_by == "dropbear-server":
        fixes.append(ExplainFix(finding=i, rank=1, title="Dropbear's algorithms are fixed at build time",
                                risk="n/a", fix=Fix(scope="server", changes=(), notes=(
                                    "Dropbear has no option to add algorithms at run time (they are chosen in "
                                    "localoptions.h when it is built): upgrade the client, or rebuild/replace "
                                    "the server.",))))
    elif names:
        best = names[0]
        line = f"{category.directive} +{best}"
        notes = ["Add to sshd_config, check with sshd -t, then reload sshd.",
                 f"{category.directive} cannot go in a Match block: it applies to every client of this server."]
        if not checked:
            notes.append(f"Not checked against this machine's OpenSSH: make sure the server's sshd supports {best}.")
        else:
            notes.append("Checked against this machine's ssh -Q, which usually matches the sshd of the same "
                         "package.")
        if f.reported_by == "cisco":
            notes = [f"On the router, add {best} to the SSH server's {category.value} algorithms "
                     "(the platform's 'ip ssh server algorithm' configuration), keeping the current ones."]
            line_out = None
        else:
            line_out = line + "\n"
        risk = risk_of(category, best)
        fixes.append(ExplainFix(finding=i, rank=1, title=f"let the server accept {best} from {who}", risk=risk,
                                sshd_config=line_out,
                                fix=Fix(scope="server", changes=(Change(category.directive, add=(best,)),),
                                        risks=(risk,), notes=tuple(notes))))
    else:
        fixes.append(ExplainFix(finding=i, rank=1, title="nothing to enable on the server", risk="n/a",
                                fix=Fix(scope="server", changes=(), notes=(
                                    "The client offers nothing this OpenSSH implements: only the client can be "
                                    "fixed.",))))
    fixes.append(ExplainFix(finding=i, rank=len(fixes) + 1, title="or update the client (removes the need)",
                            risk="none: removes a weakness", fix=Fix(scope="client", changes=(), notes=(
                                "The client offers only old algorithms. A current release of the same client (or "
                                f"enabling a current {category.value} algorithm in it) makes the server change "
                                "unnecessary.",))))
    return fixes


# --- everything else ------------------------------------------------------------------------

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
    risk = risk_of(Category.HOSTKEY, "ssh-rsa").replace("server signatures", "your login signatures")
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


_OTHER = {
    "bad-permissions": _perm,
    "invalid-key-format": _key_format,
    "host-key-changed": _changed,
    "host-key-verification-failed": _verify_failed,
    "too-many-auth-failures": _too_many,
    "no-mutual-signature-algorithm": _no_mutual,
    "pubkey-algorithm-not-accepted": _pubkey_server,
    "agent-unreachable": _agent,
}
