"""``sshdoctor HOST``: walk a connection stage by stage, like a doctor.

Name, network, identification, negotiation, client configuration,
authentication: each stage either passes, fails with ranked causes (each
with how to confirm it), or is skipped because an earlier one failed.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import socket
from dataclasses import dataclass, field

from sshdoctor.host.examine import DEFAULT_CLIENT, ClientSpec, examine
from sshdoctor.host.fix import FixReport, fix_host
from sshdoctor.local import health
from sshdoctor.local.effective import Effective, effective
from sshdoctor.local.errors import SshConfigError, SshMissing
from sshdoctor.local.paths import user_config
from sshdoctor.model import Action, ActionKind, Category, Change, Slot, Target, actions_json, parse_target
from sshdoctor.model.invocation import Invocation
from sshdoctor.negotiate import negotiate
from sshdoctor.remedy.actions import shell_command
from sshdoctor.remedy.explain_fixes import GROUP_EXCHANGE, NO_GROUP_EXCHANGE
from sshdoctor.remedy.render import ssh_options
from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.probe import open_connection

STAGES = ("name", "network", "identification", "negotiation", "client configuration", "authentication")


@dataclass(frozen=True, slots=True)
class Cause:
    """A likely cause and the command that confirms it (run where its ``side`` says)."""

    text: str
    confirm: Action | None = None

    def as_dict(self) -> dict[str, object]:
        return {"cause": self.text, "confirm": self.confirm.text if self.confirm else None,
                "confirm_action": self.confirm.as_dict() if self.confirm else None}


def here(text: str, title: str = "confirm") -> Action:
    """A command to run on this machine."""
    return shell_command(text, title)


def there(text: str, title: str = "confirm on the server") -> Action:
    """A command to run on the server."""
    return shell_command(text, title, side="server")


@dataclass
class Stage:
    """One step of the walk."""

    name: str
    status: str = "skipped"  # ok | failed | warning | skipped
    summary: str = ""
    causes: list[Cause] = field(default_factory=list)
    fix: Action | None = None
    details: dict[str, object] = field(default_factory=dict)
    # Reached only with a fix applied (the verification ran with it): says so, never a plain ok.
    with_fix: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "with_fix": self.with_fix,
            "causes": [c.as_dict() for c in self.causes],
            "fix": self.fix.text if self.fix else None,
            "fix_action": self.fix.as_dict() if self.fix else None,
            "details": self.details,
        }


@dataclass
class Checkup:
    """The whole walk for one host."""

    spec: str
    target: Target | None = None
    stages: list[Stage] = field(default_factory=list)
    fix: FixReport | None = None
    identity_files: tuple[str, ...] = ()
    invocation: Invocation | None = None

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    @property
    def failed(self) -> Stage | None:
        """The stage to blame: the first that failed, unless a later one was
        shown to be the root cause (the user's config breaking negotiation)."""
        root = next((s for s in self.stages if s.status == "failed" and s.details.get("root_cause")), None)
        return root or next((s for s in self.stages if s.status == "failed"), None)

    @property
    def verdict(self) -> str:
        failed = self.failed
        if failed is None:
            warn = next((s for s in self.stages if s.status == "warning"), None)
            if warn is not None:
                return f"connection works up to authentication; check: {warn.summary}"
            return "the connection works up to authentication"
        top = failed.causes[0].text if failed.causes else failed.summary
        return f"{failed.name} failed: {top}"

    @property
    def next_action(self) -> Action | None:
        """The one thing to do next: the blamed stage's fix, else how to confirm its likeliest cause."""
        failed = self.failed
        if failed is None:
            return None
        if failed.fix:
            return failed.fix
        return next((c.confirm for c in failed.causes if c.confirm), None)

    @property
    def next_command(self) -> str | None:
        action = self.next_action
        return action.text if action is not None else None

    @property
    def exit_code(self) -> int:
        """0 only when no stage failed: a ✘ anywhere is a non-zero exit."""
        return 0 if not any(s.status == "failed" for s in self.stages) else 1

    def actions(self) -> list[Action]:
        """Every command and change the walk suggests, the next one first."""
        out: list[Action] = []
        first = self.next_action
        if first is not None:
            out.append(first)
        for stage in self.stages:
            if stage.status not in ("failed", "warning"):
                continue
            for act in (stage.fix, *(c.confirm for c in stage.causes)):
                if act is not None and act not in out:
                    out.append(act)
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target.as_dict() if self.target else {"host": self.spec, "port": None},
            "ok": self.exit_code == 0,
            "stages": [s.as_dict() for s in self.stages],
            "verdict": self.verdict,
            "next": self.next_command,
            "actions": actions_json(self.actions()),
        }


def _user_config_path(client: ClientSpec) -> str:
    return client.config_file or str(user_config())


def _ssh_g(check: Checkup, grep: str) -> Action:
    """``ssh -G`` for the host as the user runs ssh (same -F, -o, -p), filtered."""
    assert check.invocation is not None
    inv = check.invocation
    argv = ["ssh", "-G", *(["-F", inv.config_file] if inv.config_file else []),
            *(a for opt in inv.options for a in ("-o", opt)), *(["-p", str(inv.port)] if inv.port else []), inv.target]
    return here(f"{shlex.join(argv)} | grep -i -E {shlex.quote(grep)}")


def _name_stage(check: Checkup, spec: str, port: int | None, client: ClientSpec) -> tuple[Effective | None, int | None]:
    stage = check.stage("name")
    host, explicit = parse_target(spec, port)
    eff: Effective | None = None
    try:
        eff = effective(host, port=explicit, config_file=client.config_file, options=list(client.options))
    except SshConfigError as exc:
        cfg = check.stage("client configuration")
        cfg.status = "failed"
        cfg.summary = exc.message
        problem = health.config_permissions(_user_config_path(client))
        m = re.search(r"Bad owner or permissions on (\S+)", exc.message)
        if m:
            # ssh's own verdict, about the file it actually read.
            path = m[1]
            problem = health.config_permissions(path) or health.Problem(
                "bad-permissions", path, f"Bad owner or permissions on {path}: ssh refuses to read it",
                f"chown $(id -un) {path} && chmod 600 {path}",
            )
        if problem is not None:
            cfg.causes.append(Cause(problem.message, here(shlex.join(["ls", "-l", problem.path or ""]))))
            cfg.fix = here(problem.fix, "fix") if problem.fix else None
        assert check.invocation is not None
        inv = check.invocation
        cfg.causes.append(Cause("a line ssh cannot parse (ssh names the file and line)", here(shlex.join(
            ["ssh", "-G", *(["-F", inv.config_file] if inv.config_file else []), inv.target]))))
        stage.status = "skipped"
        stage.summary = "ssh cannot read its configuration"
        return None, explicit
    except SshMissing as exc:
        stage.details["note"] = exc.message
    hostname = eff.hostname if eff else host
    target_port = eff.port if eff else (explicit or 22)
    check.target = Target(hostname, target_port, alias=host if hostname != host else None)
    details: dict[str, object] = {"hostname": hostname, "port": target_port}
    if eff is not None:
        details["user"] = eff.user
        for key in ("proxyjump", "proxycommand"):
            if eff.get(key) and eff.get(key) != "none":
                details[key] = eff.get(key)
    try:
        infos = socket.getaddrinfo(hostname, target_port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        stage.status = "failed"
        stage.summary = f"could not resolve hostname {hostname}: {getattr(exc, 'strerror', None) or exc}"
        stage.details = details
        stage.causes = [
            Cause("a typo in the name or in HostName", _ssh_g(check, "^hostname ")),
            Cause("DNS does not know it (or the resolver is unreachable)", here(shlex.join(["getent", "hosts", hostname]))),
            Cause("a name that only /etc/hosts or a VPN's DNS knows",
                  here(f"grep -n -i -w {shlex.quote(hostname)} /etc/hosts")),
        ]
        return eff, explicit
    details["addresses"] = sorted({str(i[4][0]) for i in infos})
    stage.status = "ok"
    stage.summary = f"{host} → {hostname} port {target_port} ({', '.join(details['addresses'])})"  # type: ignore[arg-type]
    if "proxyjump" in details or "proxycommand" in details:
        stage.summary += "; ssh goes through a proxy, sshdoctor probes the target directly"
    stage.details = details
    return eff, explicit


async def _network_stage(check: Checkup, timeout: float) -> bool:
    stage = check.stage("network")
    assert check.target is not None
    target = check.target
    try:
        _reader, writer, addr = await open_connection(target, timeout)
    except ProbeError as exc:
        stage.status = "failed"
        stage.summary = exc.message
        port = target.port
        host = shlex.quote(target.host)
        if exc.kind == "connection-refused":
            stage.causes = [
                Cause("no sshd listening on that port (stopped, or listening elsewhere)",
                      there(f"sudo ss -ltnp | grep -w {port}")),
                Cause("a firewall rule that rejects (REJECT, not DROP)", there("sudo iptables -S | grep -w REJECT")),
                Cause("the wrong port", _ssh_g(check, "^port ")),
            ]
        elif exc.kind == "connect-timeout":
            stage.causes = [
                Cause("a firewall or cloud security group silently drops the packets (SYNs that arrive with no SYN-ACK "
                      "leaving: the host firewall; nothing arriving: a network firewall or security group)",
                      there(f"sudo tcpdump -nn -c 5 tcp port {port}")),
                Cause("the wrong address (an old DNS record, a private address from outside)",
                      here(f"ip route get {host}")),
                Cause("the host is down", here(f"ping -c 3 {host}")),
            ]
            stage.fix = there(f"sudo ufw allow {port}/tcp", "on the server, if ufw is its firewall: allow the port")
        else:
            stage.causes = [Cause("no route to the host from here (VPN down, wrong network)", here(f"ip route get {host}"))]
        return False
    writer.close()
    stage.status = "ok"
    stage.summary = f"TCP connection to {addr} port {target.port} accepted"
    return True


def _ident_causes(kind: str, check: Checkup) -> list[Cause]:
    """Why a server sends no (usable) identification string, and how to see it."""
    assert check.target is not None
    t = check.target
    probe = here(shlex.join(["sshdoctor", "probe", f"[{t.host}]:{t.port}" if ":" in t.host else f"{t.host}:{t.port}"]),
                 "see what the server sends (sshdoctor prints any lines before the identification)")
    closed = [
        Cause("TCP wrappers (hosts.deny) or an sshd Match/AllowUsers rule drops this client address",
              there("grep -v '^#' /etc/hosts.deny")),
        Cause("MaxStartups: too many unauthenticated connections at once",
              there("sudo journalctl -u ssh -u sshd --since -1h | grep -i -E 'MaxStartups|drop connection'")),
        Cause("fail2ban or sshd's PerSourcePenalties (OpenSSH 9.8+) blocked this address after failures",
              there("sudo fail2ban-client status sshd")),
        Cause("sshd crashes when it starts a session (bad host key, broken config)", there("sudo sshd -t")),
    ]
    table = {
        "closed-before-banner": closed,
        # A close at once is as often a reset (the kernel resets when sshd closes unread data): same causes.
        "connection-reset": [*closed, Cause("a middlebox reset the connection", probe)],
        "banner-timeout": [
            Cause("sshd is overloaded or waits on slow DNS (UseDNS yes)", there("sudo sshd -T | grep -i usedns")),
            Cause("something that is not sshd accepts connections on that port", probe),
        ],
        "not-ssh": [Cause("another service (HTTP, a proxy) listens on that port", probe)],
        "ssh1-only": [Cause("an SSH-1-only server; no current client speaks SSH-1 (upgrade the server's SSH software)")],
        "pre-banner-flood": [Cause("a tarpit (endlessh) or a misbehaving server", probe)],
        "tarpit": [Cause("a tarpit (endlessh and the like) answers on this port, not sshd", probe)],
    }
    return table.get(kind, [])


def _ident_and_negotiation(check: Checkup, fix: FixReport) -> None:
    ident = check.stage("identification")
    nego = check.stage("negotiation")
    report = fix.report
    if report.offer is None:
        kind = report.error_kind or "probe-failed"
        stage = nego if kind in ("protocol-error", "disconnected", "kexinit-timeout", "closed-after-banner") else ident
        if stage is nego:
            ident.status = "ok"
            ident.summary = report.banner.raw if report.banner is not None else "identification exchanged"
        stage.status = "failed"
        stage.summary = report.error or kind
        stage.causes = _ident_causes(kind, check) or [Cause(report.error or kind)]
        return
    software = report.software or {}
    ident.status = "ok"
    label = " ".join(str(x) for x in (software.get("name", "?"), software.get("version")) if x)
    ident.summary = f"{report.banner.raw if report.banner else '?'} ({label})"
    plan = fix.plan
    if plan is None:
        nego.status, nego.summary = "skipped", fix.error or "no local ssh to negotiate with"
        return
    if not plan.needed:
        run = fix.run
        if run is not None and not run.kex_done and "DH GEX group out of range" in (run.last_error or ""):
            _small_group(check, nego, fix, run.last_error or "")
            return
        if run is not None and not run.kex_done:
            # The prediction agrees, but the real ssh did not get through key exchange: something the offer does
            # not show (a proxy that rewrites the identification string breaks the signature over it).
            nego.status = "failed"
            nego.summary = (f"your ssh and the server agree on the algorithms, but the real ssh fails in key exchange: "
                            f"{run.last_error or f'ssh exited {run.exit_code}'}")
            nego.causes = [
                Cause("something between you and the server changes what it sends (a proxy or middlebox that rewrites "
                      "the identification string makes the host key signature wrong: 'incorrect signature')",
                      _verbose(check)),
                Cause("a server bug in this key exchange method", _verbose(check)),
            ]
            return
        nego.status = "ok"
        chosen = plan.before.chosen
        nego.summary = f"your ssh agrees on {chosen.get(next(iter(chosen)))} and the rest"
        return
    failing = ", ".join(c.value for c in plan.before.failures)
    nego.status = "failed"
    nego.summary = f"no common algorithm for: {failing}"
    nego.details["before"] = plan.before.as_dict()
    actions = fix.actions()
    if plan.unfixable:
        nego.causes.append(Cause(f"your ssh supports nothing the server offers for "
                                 f"{', '.join(c.value for c in plan.unfixable)}"))
    else:
        adds = "; ".join(f"{c.directive} {c.option_value()}" for c in fix.changes)
        verified = "verified with your ssh" if fix.verified else "not verified"
        one_off = next((a for a in actions if a.kind is ActionKind.COMMAND and a.side == "client"), None)
        nego.causes.append(Cause(f"the server offers only algorithms your ssh disables by default ({verified}: {adds})",
                                 one_off))
    nego.fix = _fix_command(check) if fix.changes else None
    for action in fix.server_side:
        title = action.title if action.title.startswith("on the server") else "on the server: " + action.title
        nego.causes.append(Cause(title, action if action.copyable else None))


def _small_group(check: Checkup, nego: Stage, fix: FixReport, error: str) -> None:
    """The algorithms agree, but the server's group-exchange prime is below the 2048 bits ssh takes
    (OpenSSH 7.2 and later): the server's primes are the fix; without group exchange ssh may use another method."""
    report = fix.report
    plan = fix.plan
    chosen = plan.before.chosen.get(Slot.KEX) if plan is not None else None
    nego.status = "failed"
    nego.summary = (f"your ssh and the server agree on {chosen or 'group exchange'}, but the server's prime is below the "
                    f"2048 bits your ssh accepts: {error}")
    nego.causes = [Cause("on the server: its group exchange uses primes below 2048 bits, which OpenSSH 7.2 and later "
                         "refuse; give it primes of 2048 bits or more (OpenSSH servers: the moduli file)")]
    proposal, offer = report.client_proposal, report.offer
    if proposal is None or offer is None or check.invocation is None:
        return
    without = proposal.with_slot(Slot.KEX, [k for k in proposal.kex if k not in GROUP_EXCHANGE])
    other = negotiate(without, offer)
    if other.ok:
        alt = other.chosen.get(Slot.KEX)
        option = ssh_options([NO_GROUP_EXCHANGE])[1]  # "KexAlgorithms=-…", as explain prints it
        argv = check.invocation.with_options([option]).ssh_check_argv()
        nego.causes.append(Cause(f"for this host, ssh without group exchange would use {alt} (predicted, not run)",
                                 here(shlex.join(argv), "see that it gets through")))
    else:
        nego.causes.append(Cause("the server offers no other key exchange your ssh has: only the server can fix this"))


def _verbose(check: Checkup) -> Action:
    """The user's own ssh command with -v, BatchMode and the remote command true: shows how far it gets."""
    assert check.invocation is not None
    return here(shlex.join(check.invocation.ssh_check_argv()), "see how far the real ssh gets")


def _fix_command(check: Checkup) -> Action:
    """``sshdoctor fix`` for the host as the user named it, with their -p, -F and -o."""
    assert check.invocation is not None
    inv = check.invocation
    argv = ["sshdoctor", "fix", inv.target, *(["-p", str(inv.port)] if inv.port else []),
            *(["-F", inv.config_file] if inv.config_file else []), *(a for o in inv.options for a in ("-o", o)), "--apply"]
    return Action.command(argv, "write the verified fix for this host")


async def _config_stage(check: Checkup, spec: str, port: int | None, client: ClientSpec, timeout: float,
                        eff: Effective | None) -> None:
    stage = check.stage("client configuration")
    if stage.status == "failed":
        return
    problems: list[health.Problem] = []
    if (perm := health.config_permissions(_user_config_path(client))) is not None:
        problems.append(perm)
    if eff is not None:
        for path in eff.raw.get("identityfile", []):
            if (p := health.identity_file(path)) is not None:
                problems.append(p)
    if (agent := health.agent()) is not None:
        problems.append(agent)
    nego = check.stage("negotiation")
    if nego.status == "failed" and check.fix is not None and check.fix.plan is not None and check.fix.plan.needed:
        bare = await examine(spec, port=port, timeout=timeout, client=ClientSpec(config_file="/dev/null"))
        if bare.outcome is not None and bare.outcome.ok and eff is not None:
            from sshdoctor.local.clientmodel import compiled_defaults

            defaults = compiled_defaults()
            culprits = [
                c.directive for c in check.fix.plan.before.failures
                if c is not Category.COMPRESSION and eff.algorithms(c) != defaults.get(c)
            ]
            stage.status = "failed"
            stage.details["root_cause"] = True
            stage.summary = "your ssh configuration causes the failure: with -F /dev/null it negotiates"
            stage.causes.append(Cause(
                f"{', '.join(culprits) or 'an algorithm directive'} in {_user_config_path(client)} (or an Include, "
                "or the system ssh_config) narrows the list for this host",
                _ssh_g(check, "^(kexalgorithms|ciphers|macs|hostkeyalgorithms) "),
            ))
            nego.causes.insert(0, Cause("your own ssh configuration removes what would work (see client configuration)"))
    for problem in problems:
        stage.causes.append(Cause(problem.message, here(problem.fix, "fix") if problem.fix else None))
    if stage.status != "failed":
        stage.status = "warning" if problems else "ok"
        stage.summary = problems[0].message if problems else "no problem found in your ssh configuration and keys"
        if problems and problems[0].fix:
            stage.fix = here(problems[0].fix, "fix")
    if nego.status == "failed" and stage.status == "ok":
        # Checked with the configuration as it is; nothing here is wrong, the server is the other side of it.
        stage.summary += " (the negotiation failure is the server's offer against your ssh's defaults)"


def _auth_stage(check: Checkup) -> None:
    stage = check.stage("authentication")
    fix = check.fix
    if fix is None or fix.run is None or not fix.run.kex_done:
        return
    run = fix.run
    with_fix = bool(fix.plan is not None and fix.plan.needed)
    methods = list(run.auth_methods)
    stage.details["methods"] = methods
    stage.with_fix = with_fix
    lead = "with the fix applied: " if with_fix else ""
    if not run.reached_auth:
        stage.status = "failed"
        stage.summary = lead + (run.last_error or "the server closed the connection before authentication")
        return
    stage.status = "ok"
    stage.summary = lead + f"the server accepts: {', '.join(methods) or 'none listed'} (sshdoctor sent no password or key)"
    if methods and "publickey" not in methods:
        stage.status = "failed"
        stage.summary = lead + f"the server accepts only: {', '.join(methods)}; it never looks at your keys"
        assert check.invocation is not None
        stage.causes = [
            Cause("sshd has PubkeyAuthentication no (or AuthenticationMethods without publickey)",
                  there("sudo sshd -T | grep -i -E 'pubkeyauthentication|authenticationmethods'")),
            Cause("ssh will ask for a password; scripts with BatchMode=yes fail",
                  here(shlex.join(check.invocation.with_options([f"PreferredAuthentications={methods[0]}"]).ssh_argv()),
                       "log in with that method")),
        ]
        stage.fix = there("sudo sed -n '/^[[:space:]]*PubkeyAuthentication/Ip' /etc/ssh/sshd_config",
                          "on the server: find the PubkeyAuthentication line, make it yes, then sshd -t and reload sshd")
    if "publickey" in methods and run.server_sig_algs is not None:
        stage.details["server_sig_algs"] = list(run.server_sig_algs)
        keys = health.key_types(list(check.identity_files))
        stage.details["your_key_types"] = keys
        if keys and all(k == "RSA" for k in keys) and not set(run.server_sig_algs) & {"rsa-sha2-256", "rsa-sha2-512"}:
            stage.status = "warning"
            stage.summary += "; your only keys are RSA and the server verifies only SHA-1 RSA signatures"
            stage.fix = _pubkey_block(check)
    offer = fix.report.offer
    if offer is not None and "publickey" in methods and run.server_sig_algs is None:
        hostkeys = set(offer.hostkey)
        if "ssh-rsa" in hostkeys and not hostkeys & {"rsa-sha2-256", "rsa-sha2-512"} and "ext-info-s" not in offer.kex:
            keys = health.key_types(list(check.identity_files))
            if "RSA" in keys:
                stage.status = "warning"
                stage.summary += "; the server predates rsa-sha2: your RSA key will need PubkeyAcceptedAlgorithms +ssh-rsa"
                stage.fix = _pubkey_block(check)


def _pubkey_block(check: Checkup) -> Action:
    from sshdoctor.remedy.actions import host_block
    from sshdoctor.remedy.risk import pubkey_risk

    assert check.invocation is not None
    return host_block(check.invocation.destination, [Change("PubkeyAcceptedAlgorithms", add=("ssh-rsa",))],
                      file=check.fix.config_path if check.fix else "~/.ssh/config", risk=pubkey_risk("ssh-rsa"),
                      title="let your RSA key sign with SHA-1 for this host only (or use an Ed25519 key)")


async def checkup(spec: str, *, port: int | None = None, timeout: float = 5.0,
                  client: ClientSpec = DEFAULT_CLIENT) -> Checkup:
    """Walk the connection to ``spec``; a stage after a failed one is skipped or marked as reached with the fix."""
    check = Checkup(spec=spec, stages=[Stage(n) for n in STAGES])
    host, explicit = parse_target(spec, port)
    text = spec[6:] if spec.startswith("ssh://") else spec
    check.invocation = Invocation(destination=host, user=text.rsplit("@", 1)[0] if "@" in text else None,
                                  port=explicit, config_file=client.config_file, options=tuple(client.options))
    eff, _explicit = await asyncio.to_thread(_name_stage, check, spec, port, client)
    if eff is not None:
        check.identity_files = tuple(eff.raw.get("identityfile", []))
    if check.stage("name").status != "ok":
        return check
    if not await _network_stage(check, timeout):
        return check
    fix = await fix_host(spec, port=port, timeout=timeout, client=client)
    check.fix = fix
    _ident_and_negotiation(check, fix)
    if check.stage("identification").status == "failed":
        return check
    await _config_stage(check, spec, port, client, timeout, eff)
    _auth_stage(check)
    return check
