"""Fixes for "no common algorithm", as a careful admin would rank them.

Seen by a client (its message holds the server's offer): every failing
category of one host is fixed at once (one ``Host`` block, one command,
never one block per category that would each fail on its own); an
algorithm that is in the local ssh's defaults but missing from its list for
that host is the user's own configuration at work, and the fix is that line,
not a ``+`` that changes nothing. The server's change comes last, as the
full line sshd needs (the first value sshd reads wins).

Seen by a server (its log holds the client's offer): when the client's best
is sound, the server should offer it and nothing on the client needs to
change; when everything the client offers is weak, updating the client
comes first and the server's weak line second, with its cost.

Other clients (paramiko, JSch, Go, …) get their own setting, from their
profile's ``settings``, checked against what that implementation supports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sshdoctor.catalog import Rating, algorithm, is_pseudo
from sshdoctor.catalog.profiles import Profile, all_profiles
from sshdoctor.model import Action, ActionKind, Category, Change, Finding, Fix
from sshdoctor.model.invocation import Invocation
from sshdoctor.remedy.actions import device_commands, host_block, one_off, setting, sshd_lines
from sshdoctor.remedy.explain_types import ExplainFix, FixContext
from sshdoctor.remedy.plan import strongest_supported
from sshdoctor.remedy.risk import risk_of
from sshdoctor.remedy.strength import strength_key

OPENSSH_CLIENTS = ("openssh-client", "libssh")
SERVER_SIDE = ("openssh-server", "dropbear-server", "cisco")
_QUERY = {Category.KEX: "kex", Category.HOSTKEY: "key-sig", Category.CIPHER: "cipher", Category.MAC: "mac",
          Category.COMPRESSION: "compression"}
# explain's names for programs that are not their catalog implementation id.
_IMPLEMENTATION = {"openssh-client": "openssh", "dropbear-client": "dropbear", "putty": "putty", "libssh": "libssh"}


def real(names: Sequence[str] | None) -> list[str]:
    """A list without the protocol signals (ext-info-*, kex-strict-*): those are never offered methods."""
    return [n for n in (names or ()) if not is_pseudo(n)]


def is_server_side(f: Finding) -> bool:
    return f.reported_by in SERVER_SIDE or f.extra.get("side") == "server"


def _peer(f: Finding) -> tuple[str | None, int]:
    return (f.host, f.port or 22) if f.host else (None, f.port or 22)


def _profile(reported_by: str | None) -> Profile | None:
    """The newest catalog profile of the implementation that printed the text."""
    impl = _IMPLEMENTATION.get(reported_by or "", reported_by or "")
    releases = [p for p in all_profiles().values() if p.implementation == impl]
    return max(releases, key=lambda p: p.version_key(), default=None)


def _usable_locally(category: Category, offer: Sequence[str], ctx: FixContext) -> tuple[list[str], bool]:
    """The offer's names the local ssh can use, strongest first; False when no local ssh said."""
    supported = ctx.supported.get(category)
    if supported:
        return strongest_supported(category, offer, supported), True
    return sorted(set(real(offer)), key=lambda n: strength_key(category, n)), False


def _missing(i: int, f: Finding, what: str) -> ExplainFix:
    host, port = _peer(f)
    where = [host or "HOST", *(["-p", str(port)] if port != 22 else [])]
    notes = [f"The message does not say {what}."]
    actions: list[Action] = []
    if host:
        actions.append(Action.command(["sshdoctor", "fix", *where], "let sshdoctor look at the server itself"))
    else:
        notes.append("It does not name the host either: run sshdoctor fix with the host, or explain again with "
                     "--host and --probe.")
    return ExplainFix(finding=i, rank=1, title="what is missing", risk="none: nothing is changed yet",
                      fix=Fix(scope="needs-offer", changes=(), notes=tuple(notes), host=f.host),
                      extra_actions=(Action.note("what is missing", *notes), *actions))


# ------------------------------------------------------------------ seen by a client


def client_fixes(group: Sequence[tuple[int, Finding]], ctx: FixContext) -> list[ExplainFix]:
    """The fixes for every failing category one client reported for one host, together."""
    first_i, first = group[0]
    out: list[ExplainFix] = []
    changes: list[Change] = []
    risks: list[str] = []
    notes: list[str] = []
    removed: list[tuple[Category, str]] = []
    unfixable: list[Category] = []
    for i, f in group:
        assert f.category is not None
        if f.their_offer is None:
            out.append(_missing(i, f, "what the server offered"))
            continue
        category = f.category
        if category is Category.COMPRESSION:
            out.append(_compression(i, f))
            continue
        names, checked = _client_usable(f, category, ctx)
        if not names:
            unfixable.append(category)
            continue
        best = names[0]
        if not checked:
            notes.append(f"Not checked against a local ssh (none found): make sure yours supports {best}.")
        defaults = ctx.defaults.get(category) or ()
        if f.reported_by == "openssh-client" and best in defaults:
            # A '+best' changes nothing: it is on by default, so a configuration took it away.
            removed.append((category, best))
            continue
        changes.append(Change(category.directive, add=(best,)))
        risks.append(risk_of(category, best))
    for category, best in removed:
        out.append(_removed_by_config(first_i, first, category, best, ctx))
    if unfixable:
        out.append(_no_client_fix(first_i, first, unfixable, ctx))
    complete = any(f.extra.get("source") in ("debug-log", "probe") or f.extra.get("offer_from") == "probe"
                   for _, f in group)
    if changes and not complete and first.reported_by in OPENSSH_CLIENTS:
        # ssh names only the first category that fails: the next one may fail as well.
        notes.append("ssh stops at the first category that fails, so others may fail next; sshdoctor fix looks at "
                     "the server and fixes every category at once (or: explain --probe, or paste ssh -vv output).")
    if changes:
        out += _client_changes(first_i, first, changes, risks, notes)
        if not complete and first.reported_by in OPENSSH_CLIENTS and first.host:
            port = first.port or 22
            look = Action.command(["sshdoctor", "fix", first.host, *(["-p", str(port)] if port != 22 else [])],
                                  "or let sshdoctor look at the server: every failing category at once, proved")
            out.append(ExplainFix(finding=first_i, rank=len(out) + 1, title=look.title, risk="none: nothing changes yet",
                                  fix=Fix(scope="look", changes=()), extra_actions=(look,)))
    rank = len(out) + 1
    out.append(_server_change(first_i, [f for _, f in group], ctx, rank=rank))
    return [_renumber(fix, n) for n, fix in enumerate(out, start=1)]


def _renumber(fix: ExplainFix, rank: int) -> ExplainFix:
    return replace(fix, rank=rank)


def _client_usable(f: Finding, category: Category, ctx: FixContext) -> tuple[list[str], bool]:
    offer = f.their_offer or ()
    if f.reported_by in OPENSSH_CLIENTS or f.reported_by is None:
        return _usable_locally(category, offer, ctx)
    prof = _profile(f.reported_by)
    if prof is None:
        return sorted(set(real(offer)), key=lambda n: strength_key(category, n)), False
    return strongest_supported(category, offer, prof.supported.lists.get(category, ())), True


def _client_changes(i: int, f: Finding, changes: list[Change], risks: list[str], notes: list[str]) -> list[ExplainFix]:
    host, port = _peer(f)
    risk = " ".join(dict.fromkeys(risks))
    names = ", ".join(a for c in changes for a in c.add)
    scope = "every failing category at once" if len(changes) > 1 else "the failing category"
    if f.reported_by not in OPENSSH_CLIENTS and f.reported_by is not None:
        return [_other_client(i, f, changes, risk)]
    if f.reported_by == "libssh":
        notes.append("libssh reads ~/.ssh/config too (KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs).")
    if host is None:
        opts = " ".join(f"-o {c.directive}={c.option_value()}" for c in changes)
        return [ExplainFix(finding=i, rank=1, title=f"allow {names} ({scope})", risk=risk,
                           fix=Fix(scope="needs-host", changes=tuple(changes), risks=(risk,), notes=tuple(notes)),
                           extra_actions=(Action.note(
                               f"allow {names} for that host only ({scope})",
                               f"The message does not name the host: add {opts} to the ssh command that failed, or "
                               "a Host block for that host with the same lines (explain --host HOST writes it).",
                               *notes),))]
    block = replace(host_block(host, changes, port=port, comment=f"sshdoctor: {host} offers only older algorithms",
                               risk=risk, title=f"allow {names} for {host} only, in ~/.ssh/config ({scope})"),
                    notes=tuple(notes))
    inv = Invocation(destination=host, port=port if port != 22 else None)
    commands = one_off(changes, inv, risk=risk)
    return [ExplainFix(finding=i, rank=1, title=block.title, risk=risk, ssh_config=block.text,
                       ssh_options=tuple(a for c in changes for a in ("-o", f"{c.directive}={c.option_value()}")),
                       fix=Fix(scope="ssh_config-host", changes=tuple(changes), risks=(risk,), host=host,
                               notes=tuple(notes)),
                       extra_actions=(block,)),
            ExplainFix(finding=i, rank=2, title="or just once, on the command line", risk=risk,
                       ssh_options=tuple(a for c in changes for a in ("-o", f"{c.directive}={c.option_value()}")),
                       fix=Fix(scope="one-off", changes=tuple(changes), risks=(risk,), host=host),
                       extra_actions=tuple(commands))]


def _removed_by_config(i: int, f: Finding, category: Category, best: str, ctx: FixContext) -> ExplainFix:
    """The algorithm is in the local ssh's defaults: the user's own configuration removed it."""
    where = ctx.config_lines.get(category)
    effective = list(ctx.effective.get(category) or ())
    host, port = _peer(f)
    label = ctx.local_label or "your ssh"
    if where is None and best in effective:
        # Nothing on this machine removes it: the ssh that failed is configured (or built) otherwise.
        title = (f"{best} is on by default in {label}, and this machine's configuration keeps it for "
                 f"{host or 'that host'}: the ssh that printed the message has it removed")
        notes = [f"A '+{best}' changes nothing where it is on already. On the machine where ssh failed, "
                 f"'ssh -G {host or 'HOST'}' shows the {category.directive} list that applies; the line that narrows it "
                 "(in ~/.ssh/config, /etc/ssh/ssh_config or a file in /etc/ssh/ssh_config.d) needs "
                 f"{best} back (or the ssh there is another version, with other defaults)."]
        return ExplainFix(finding=i, rank=1, title=title, risk=risk_of(category, best),
                          fix=Fix(scope="ssh_config-line", changes=(), notes=tuple(notes), host=host),
                          extra_actions=(Action.note(title, *notes),))
    title = f"{best} is in your ssh's default {category.value} list: your configuration removes it for this host"
    notes = [f"A '+{best}' would change nothing here: the line that sets {category.directive} comes first and wins."]
    actions: list[Action] = []
    if where is not None:
        path, line, text = where
        notes.insert(0, f"{path} line {line}: {text}")
        new = f"{category.directive} {','.join([*effective, best])}"
        actions.append(Action(ActionKind.SSH_CONFIG, f"in place of line {line} of {path} (keeps your list, adds {best})",
                              text=new + "\n", file=path, placement=f"replacing line {line}", replaces=(text,),
                              risk=risk_of(category, best)))
    else:
        notes.insert(0, f"Find the {category.directive} line for this host: ssh -G {host or 'HOST'} shows the list "
                        "that applies, and ssh -G with -F /dev/null shows the defaults.")
    if host is not None:
        inv = Invocation(destination=host, port=port if port != 22 else None)
        actions += one_off([Change(category.directive, add=(best,))], inv, risk=risk_of(category, best))[:1]
    return ExplainFix(finding=i, rank=1, title=title, risk=risk_of(category, best),
                      fix=Fix(scope="ssh_config-line", changes=(Change(category.directive, add=(best,)),),
                              notes=tuple(notes), host=host),
                      extra_actions=(Action.note(title, *notes), *actions))


def _no_client_fix(i: int, f: Finding, categories: Sequence[Category], ctx: FixContext) -> ExplainFix:
    from sshdoctor.remedy.alternatives import alternatives

    who = f.reported_by or "the client"
    words = ", ".join(c.value for c in categories)
    notes: list[str] = []
    if f.reported_by in OPENSSH_CLIENTS or f.reported_by is None:
        notes.append(f"Your ssh supports none of the server's {words} algorithms (ssh -Q "
                     f"{_QUERY[categories[0]]} lists what it has): only the server side or another client can fix this.")
        for category in categories:
            notes += alternatives(category, f.their_offer or ())
    else:
        prof = _profile(f.reported_by)
        label = prof.label if prof else who
        notes.append(f"{label} implements none of the server's {words} algorithms: upgrade or change the server, or "
                     "use another client.")
    return ExplainFix(finding=i, rank=1, title="no client-side fix", risk="n/a",
                      fix=Fix(scope="none-on-client", changes=(), host=f.host, notes=tuple(notes)),
                      extra_actions=(Action.note("no client-side fix", *notes),))


def _compression(i: int, f: Finding) -> ExplainFix:
    offer = f.their_offer or ()
    if any(n.startswith("zlib") for n in offer):
        host, port = _peer(f)
        notes = ("OpenSSH's ssh always offers none and zlib@openssh.com; Compression yes only moves zlib first.",)
        acts: tuple[Action, ...] = (Action.note("turn compression on for this host", *notes),)
        if host is not None:
            inv = Invocation(destination=host, port=port if port != 22 else None)
            acts = (Action.command(inv.with_options(["Compression=yes"]).ssh_argv(), "turn compression on for this "
                                   "host", notes=notes),)
        return ExplainFix(finding=i, rank=1, title="turn compression on for this host", risk="none known",
                          ssh_options=("-o", "Compression=yes"), extra_actions=acts,
                          fix=Fix(scope="one-off", changes=(), notes=notes, host=f.host))
    text = f"The server offers only {', '.join(offer)}, which OpenSSH does not implement."
    return ExplainFix(finding=i, rank=1, title="no client-side fix", risk="n/a",
                      fix=Fix(scope="none-on-client", changes=(), host=f.host, notes=(text,)),
                      extra_actions=(Action.note("no client-side fix", text),))


def _other_client(i: int, f: Finding, changes: list[Change], risk: str) -> ExplainFix:
    """The equivalent setting in the program that printed the message, from its profile."""
    who = f.reported_by or "the client"
    if who == "cisco-client":
        # The router is the client (ssh from the device, copy scp:): its own client algorithm commands.
        kinds = [(_cisco(Category.from_directive(c.directive) or Category.MAC), c.add) for c in changes]
        lines = ["configure terminal", *(f"ip ssh client algorithm {kind} {' '.join(names)}" for kind, names in kinds),
                 "end"]
        action = device_commands(lines, "on the router (it is the client here): let its ssh client use "
                                 + ", ".join(a for c in changes for a in c.add), platform="cisco-ios-xe",
                                 notes=("Each command sets the whole client list: add the names the router uses for "
                                        "its other servers too (show ip ssh shows them).",), risk=risk)
        return ExplainFix(finding=i, rank=1, title=action.title, risk=risk,
                          fix=Fix(scope="device-client", changes=tuple(changes), risks=(risk,), host=f.host),
                          extra_actions=(action,))
    prof = _profile(f.reported_by)
    adds = {Category.from_directive(c.directive) or Category.KEX: c.add for c in changes}
    host, port = _peer(f)
    found = setting(prof, "client", adds, host=host or "HOST", port=port, risk=risk) if prof is not None else None
    names = ", ".join(a for c in changes for a in c.add)
    if found is not None:
        action = found
    else:
        label = prof.name if prof is not None else who
        action = Action.note(f"in {label}: add {names} to its algorithm lists, keeping its defaults",
                             f"{label} has no setting sshdoctor knows for this; its documentation names the option.")
    return ExplainFix(finding=i, rank=1, title=f"allow {names} in {prof.name if prof else who} for this connection",
                      risk=risk, fix=Fix(scope=f"{who}-setting", changes=tuple(changes), risks=(risk,), host=f.host),
                      extra_actions=(action,))


def _server_change(i: int, findings: Sequence[Finding], ctx: FixContext, *, rank: int) -> ExplainFix:
    """What to change on the server so the client needs nothing: full lines, strongest first."""
    lines: list[str] = []
    risks: list[str] = []
    notes: list[str] = []
    for f in findings:
        category = f.category
        if category is None or category is Category.COMPRESSION:
            continue
        prof = _profile(f.reported_by) if f.reported_by not in OPENSSH_CLIENTS else None
        client_defaults = ctx.defaults.get(category) if prof is None else (
            prof.client.lists.get(category) if prof.client else None)
        wanted = sorted(real(client_defaults), key=lambda n: strength_key(category, n))
        current = real(f.their_offer)
        if category is Category.HOSTKEY and "ssh-rsa" in current:
            # The server has an RSA key: signing with SHA-2 needs no new key, only the algorithm.
            wanted = [n for n in ("rsa-sha2-512", "rsa-sha2-256") if n in wanted] or wanted
        if not wanted:
            continue
        best = wanted[0]
        lines.append(f"{category.directive} {','.join(dict.fromkeys([best, *current]))}")
        risks.append(risk_of(category, best))
        since = _first_openssh(category, best)
        if since:
            notes.append(f"{best} needs OpenSSH {since} or later on the server; anything older (or an appliance) "
                         "needs a software or firmware upgrade instead.")
    if not lines:
        text = ("Upgrade the server's SSH software or firmware; current releases offer algorithms every current "
                "client accepts.")
        return ExplainFix(finding=i, rank=rank, title="on the server: upgrade", risk="none: removes a weakness",
                          fix=Fix(scope="server", changes=(), notes=(text,)),
                          extra_actions=(Action.note("on the server: upgrade", text, side="server"),))
    notes += ["Each line is the whole list: it goes in place of the line that sets it now (sshd takes the first "
              "value it reads), and keeps what the server offers today for the clients that use it.",
              "On the server, sshdoctor fix --server finds that line, changes it and proves it on a trial sshd.",
              "With that in place the client-side change above can be removed."]
    action = sshd_lines(lines, "on the server: offer a current algorithm first (removes the need)",
                        placement="in place of the lines that set these now, above any Match block",
                        risk=" ".join(dict.fromkeys(risks)), notes=notes)
    return ExplainFix(finding=i, rank=rank, title=action.title, risk=action.risk or "", sshd_config=action.text,
                      fix=Fix(scope="server", changes=(), notes=tuple(notes)), extra_actions=(action,))


def _first_openssh(category: Category, name: str) -> str | None:
    """The first OpenSSH release in the catalog whose sshd supports ``name``."""
    versions = [p for p in all_profiles().values()
                if p.implementation == "openssh" and name in p.supported.lists.get(category, ())]
    if not versions:
        return None
    return min(versions, key=lambda p: p.version_key()).version


# ------------------------------------------------------------------ seen by a server


def server_fixes(i: int, f: Finding, ctx: FixContext) -> list[ExplainFix]:
    """Fixes when the server's log holds the client's offer."""
    assert f.category is not None
    category = f.category
    who = f.host or "those clients"
    if f.their_offer is None:
        return [_missing(i, f, "what the client offered")]
    names, checked = _usable_locally(category, f.their_offer, ctx)
    fixes: list[ExplainFix] = []
    if not names:
        text = "The client offers nothing this OpenSSH implements: only the client can be fixed."
        return [ExplainFix(finding=i, rank=1, title="nothing to enable on the server", risk="n/a",
                           fix=Fix(scope="server", changes=(), notes=(text,)),
                           extra_actions=(Action.note("nothing to enable on the server", text, side="server"),)),
                _update_client(i, f, category, 2)]
    best = names[0]
    sound = algorithm(category, best).rating in (Rating.STRONG, Rating.ACCEPTABLE)
    current = real(f.our_offer) or real(ctx.sshd_lists.get(category))
    if f.reported_by == "dropbear-server":
        text = ("Dropbear has no option to add algorithms at run time (they are chosen in localoptions.h when it is "
                "built): upgrade the client, or rebuild/replace the server.")
        fixes.append(ExplainFix(finding=i, rank=1, title="Dropbear's algorithms are fixed at build time", risk="n/a",
                                fix=Fix(scope="server", changes=(), notes=(text,)),
                                extra_actions=(Action.note("Dropbear's algorithms are fixed at build time", text,
                                                           side="server"),)))
    else:
        risk = risk_of(category, best)
        notes = [f"{category.directive} applies to every client of this server (sshd_config has no Match for it)."]
        if not checked:
            notes.append(f"Not checked against this machine's OpenSSH: make sure the server's sshd supports {best}.")
        if not current and f.reported_by != "cisco":
            # Without the server's list a full line cannot be written, and a '+' may be a no-op:
            # let the tool that reads the real sshd_config do it.
            # The offer as sshd logs it (the address the text names, else none): what --client-offer reads.
            logged = (f"Unable to negotiate with {f.host or 'client'} port {f.port or 22}: no matching "
                      f"{category.openssh_error} found. Their offer: {','.join(real(f.their_offer))} [preauth]")
            argv = ["sudo", "sshdoctor", "fix", "--server", "--client-offer", logged]
            action = Action.command(argv, f"on the server: let sshd accept {best} from {who} as well (it finds the "
                                          "line that wins, and proves the result on a trial sshd)", side="server",
                                    risk=risk, notes=tuple(notes))
        elif f.reported_by == "cisco":
            action = device_commands(["configure terminal", f"ip ssh server algorithm {_cisco(category)} "
                                      + " ".join(dict.fromkeys([best, *current])), "end"],
                                     f"let the router accept {best} from {who}", platform="cisco-ios",
                                     notes=("Each command replaces the whole list: the current names are kept.",),
                                     risk=risk)
        else:
            line = f"{category.directive} {','.join(dict.fromkeys([best, *current]))}"
            action = sshd_lines([line], f"let the server accept {best} from {who}",
                                placement="in place of the line that sets it now (sshd takes the first value it reads)",
                                risk=risk, notes=tuple(notes))
        fixes.append(ExplainFix(finding=i, rank=1, title=action.title, risk=risk,
                                sshd_config=action.text if action.kind is ActionKind.SSHD_CONFIG else None,
                                fix=Fix(scope="server", changes=(Change(category.directive, add=(best,)),),
                                        risks=(risk,), notes=tuple(notes)), extra_actions=(action,)))
    if not sound:
        # Everything the client offers is weak: updating it is the better fix, the server's line the fallback.
        fixes.insert(0, _update_client(i, f, category, 1))
        fixes = [_renumber(fx, n) for n, fx in enumerate(fixes, start=1)]
    return fixes


def _cisco(category: Category) -> str:
    return {Category.KEX: "kex", Category.HOSTKEY: "hostkey", Category.CIPHER: "encryption"}.get(category, "mac")


def _update_client(i: int, f: Finding, category: Category, rank: int) -> ExplainFix:
    text = (f"Everything the client offers for {category.value} is weak. A current release of the same client (or "
            f"enabling a current {category.value} algorithm in it) makes the server change unnecessary.")
    return ExplainFix(finding=i, rank=rank, title="update the client (removes the need)", risk="none: removes a weakness",
                      fix=Fix(scope="client", changes=(), notes=(text,)),
                      extra_actions=(Action.note("update the client (removes the need)", text),))
