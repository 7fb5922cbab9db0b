"""``sshdoctor HOST``: walk a connection stage by stage, like a doctor.

Name, network, identification, negotiation, client configuration,
authentication: each stage either passes, fails with ranked causes (each
with how to confirm it), or is skipped because an earlier one failed.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from dataclasses import dataclass, field

from sshdoctor.host.examine import DEFAULT_CLIENT, ClientSpec, examine
from sshdoctor.host.fix import FixReport, fix_host
from sshdoctor.local import health
from sshdoctor.local.effective import Effective, effective
from sshdoctor.local.errors import SshConfigError, SshMissing
from sshdoctor.model import Category, Target, parse_target
from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.probe import open_connection

STAGES = ("name", "network", "identification", "negotiation", "client configuration", "authentication")


@dataclass(frozen=True, slots=True)
class Cause:
    """A likely cause and the command or check that confirms it."""

    text: str
    confirm: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"cause": self.text, "confirm": self.confirm}


@dataclass
class Stage:
    """One step of the walk."""

    name: str
    status: str = "skipped"  # ok | failed | warning | skipped
    summary: str = ""
    causes: list[Cause] = field(default_factory=list)
    fix: str | None = None
    details: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "causes": [c.as_dict() for c in self.causes],
            "fix": self.fix,
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
    def next_command(self) -> str | None:
        failed = self.failed
        if failed is None:
            return None
        if failed.fix:
            return failed.fix
        return next((c.confirm for c in failed.causes if c.confirm), None)

    @property
    def exit_code(self) -> int:
        return 0 if self.failed is None else 1

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target.as_dict() if self.target else {"host": self.spec, "port": None},
            "ok": self.failed is None,
            "stages": [s.as_dict() for s in self.stages],
            "verdict": self.verdict,
            "next": self.next_command,
        }


def _user_config_path(client: ClientSpec) -> str:
    return client.config_file or os.path.join(os.path.expanduser("~"), ".ssh", "config")


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
            cfg.causes.append(Cause(problem.message, f"ls -l {problem.path}"))
            cfg.fix = problem.fix
        cfg.causes.append(Cause("a line ssh cannot parse", f"ssh -G {host} (shows the file and line)"))
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
            Cause("a typo in the name or in HostName", f"ssh -G {host} | grep -i '^hostname'"),
            Cause("DNS does not know it (or the resolver is unreachable)", f"getent hosts {hostname}; dig {hostname}"),
            Cause("a name that only /etc/hosts or a VPN's DNS knows", "grep -n NAME /etc/hosts; resolvectl status"),
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
        if exc.kind == "connection-refused":
            stage.causes = [
                Cause("no sshd listening on that port (stopped, or listening elsewhere)",
                      f"on the server: sudo ss -ltnp | grep ':{port} '; systemctl status ssh"),
                Cause("a firewall rule that rejects (REJECT, not DROP)", "on the server: sudo iptables -S | grep REJECT; "
                      "sudo ufw status; sudo firewall-cmd --list-all"),
                Cause("the wrong port", f"ssh -G {target.alias or target.host} | grep '^port'"
                      if target.alias else f"check the port: nothing answers on {port}"),
            ]
        elif exc.kind == "connect-timeout":
            stage.causes = [
                Cause("a firewall or cloud security group silently drops the packets",
                      f"on the server: sudo tcpdump -nn port {port} (SYNs arrive but no SYN-ACK leaves: host firewall; "
                      "nothing arrives: network firewall / security group)"),
                Cause("the wrong address (an old DNS record, a private address from outside)",
                      f"getent hosts {target.host}; ip route get {target.host}"),
                Cause("the host is down", f"ping -c 3 {target.host}"),
            ]
            stage.fix = (f"on the server: sudo ufw allow {port}/tcp  or  sudo firewall-cmd --permanent "
                         f"--add-port={port}/tcp && sudo firewall-cmd --reload")
        else:
            stage.causes = [Cause("no route to the host from here (VPN down, wrong network)",
                                  f"ip route get {target.host}; traceroute -T -p {port} {target.host}")]
        return False
    writer.close()
    stage.status = "ok"
    stage.summary = f"TCP connection to {addr} port {target.port} accepted"
    return True


_IDENT_CAUSES = {
    "closed-before-banner": [
        Cause("TCP wrappers (hosts.deny) or an sshd Match/AllowUsers rule drops this client address",
              "on the server: grep -v '^#' /etc/hosts.deny; journalctl -u ssh -n 50"),
        Cause("MaxStartups: too many unauthenticated connections at once", "on the server: journalctl -u ssh | "
              "grep -i 'drop connection\\|MaxStartups'"),
        Cause("fail2ban or sshd's PerSourcePenalties (OpenSSH 9.8+) blocked this address after failures",
              "on the server: sudo fail2ban-client status sshd; journalctl -u ssh | grep -i penalty"),
        Cause("sshd crashes when it starts a session (bad host key, broken config)", "on the server: sudo sshd -t; "
              "journalctl -u ssh -n 50"),
    ],

    "banner-timeout": [
        Cause("sshd is overloaded or waiting on slow DNS (UseDNS)", "on the server: journalctl -u ssh -n 50; "
              "grep -i usedns /etc/ssh/sshd_config"),
        Cause("something that is not sshd accepts connections on that port", "nc HOST PORT"),
    ],
    "not-ssh": [Cause("another service (HTTP, a proxy) listens on that port", "nc HOST PORT  (see what it says)")],
    "ssh1-only": [Cause("an SSH-1-only server; no current client speaks SSH-1", "upgrade the server's SSH software")],
    "pre-banner-flood": [Cause("a tarpit (endlessh) or a misbehaving server", "nc HOST PORT | head")],
    "tarpit": [Cause("a tarpit (endlessh and the like) answers on this port, not sshd", "nc HOST PORT | head")],
}


# A close at once is as often a reset (the kernel resets when sshd closes unread data): same causes.
_IDENT_CAUSES["connection-reset"] = [*_IDENT_CAUSES["closed-before-banner"],
                                     Cause("a middlebox reset the connection", "on the server: journalctl -u ssh -n 50")]


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
        stage.causes = list(_IDENT_CAUSES.get(kind, [Cause(report.error or kind)]))
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
        nego.status = "ok"
        chosen = plan.before.chosen
        nego.summary = f"your ssh agrees on {chosen.get(next(iter(chosen)))} and the rest"
        return
    failing = ", ".join(c.value for c in plan.before.failures)
    nego.status = "failed"
    nego.summary = f"no common algorithm for: {failing}"
    nego.details["before"] = plan.before.as_dict()
    if plan.unfixable:
        nego.causes.append(Cause(f"your ssh supports nothing the server offers for {', '.join(c.value for c in plan.unfixable)}",
                                 "sshdoctor fix " + (report.target.alias or report.target.host)))
    else:
        adds = "; ".join(f"{c.directive} {c.option_value()}" for c in fix.changes)
        verified = "verified with your ssh" if fix.verified else "not verified"
        nego.causes.append(Cause(f"the server offers only algorithms your ssh disables by default ({verified}: {adds})",
                                 " ".join(["ssh", *fix.ssh_options(), report.target.alias or report.target.host])))
    name = report.target.alias or report.target.host
    port = f" -p {report.target.port}" if report.target.port != 22 and not report.target.alias else ""
    nego.fix = f"sshdoctor fix {name}{port} --apply"
    for line in fix.server_side:
        nego.causes.append(Cause("on the server: " + line))


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
    if nego.status == "failed" and check.fix is not None and check.fix.plan is not None:
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
                "or /etc/ssh/ssh_config) narrows the list for this host",
                f"ssh -G {spec} | grep -i -E '^(kexalgorithms|ciphers|macs|hostkeyalgorithms) '",
            ))
            nego.causes.insert(0, Cause("your own ssh configuration removes what would work (see client configuration)"))
    for problem in problems:
        stage.causes.append(Cause(problem.message, problem.fix))
    if stage.status != "failed":
        stage.status = "warning" if problems else "ok"
        stage.summary = problems[0].message if problems else "no problem found in your ssh configuration and keys"
        if problems:
            stage.fix = problems[0].fix


def _auth_stage(check: Checkup) -> None:
    stage = check.stage("authentication")
    fix = check.fix
    if fix is None or fix.run is None or not fix.run.kex_done:
        return
    run = fix.run
    methods = list(run.auth_methods)
    stage.details["methods"] = methods
    if not run.reached_auth:
        stage.status = "failed"
        stage.summary = run.last_error or "the server closed the connection before authentication"
        return
    stage.status = "ok"
    stage.summary = f"the server accepts: {', '.join(methods) or 'none listed'} (sshdoctor sent no password or key)"
    if methods and "publickey" not in methods:
        stage.status = "failed"
        stage.summary = f"the server accepts only: {', '.join(methods)}; it never looks at your keys"
        stage.causes = [
            Cause("sshd has PubkeyAuthentication no (or AuthenticationMethods without publickey)",
                  "on the server: sudo sshd -T | grep -i -E 'pubkeyauthentication|authenticationmethods'"),
            Cause("ssh will ask for a password; scripts with BatchMode=yes fail",
                  f"ssh -o PreferredAuthentications={methods[0]} {check.spec}"),
        ]
        stage.fix = "on the server: set PubkeyAuthentication yes in sshd_config, then sshd -t && systemctl reload ssh"
    if "publickey" in methods and run.server_sig_algs is not None:
        stage.details["server_sig_algs"] = list(run.server_sig_algs)
        keys = health.key_types(list(check.identity_files))
        stage.details["your_key_types"] = keys
        if keys and all(k == "RSA" for k in keys) and not set(run.server_sig_algs) & {"rsa-sha2-256", "rsa-sha2-512"}:
            stage.status = "warning"
            stage.summary += "; your only keys are RSA and the server verifies only SHA-1 RSA signatures"
            stage.fix = "add 'PubkeyAcceptedAlgorithms +ssh-rsa' to this host's block, or use an Ed25519 key"
    offer = fix.report.offer
    if offer is not None and "publickey" in methods and run.server_sig_algs is None:
        hostkeys = set(offer.hostkey)
        if "ssh-rsa" in hostkeys and not hostkeys & {"rsa-sha2-256", "rsa-sha2-512"} and "ext-info-s" not in offer.kex:
            stage.status = "warning"
            stage.summary += "; the server predates rsa-sha2: an RSA key will need PubkeyAcceptedAlgorithms +ssh-rsa"
            stage.fix = "add 'PubkeyAcceptedAlgorithms +ssh-rsa' to this host's block (or use an Ed25519/ECDSA key)"


async def checkup(spec: str, *, port: int | None = None, timeout: float = 5.0,
                  client: ClientSpec = DEFAULT_CLIENT) -> Checkup:
    """Walk the connection to ``spec`` and stop at the first failing stage."""
    check = Checkup(spec=spec, stages=[Stage(n) for n in STAGES])
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
