"""Prove an sshd configuration before it replaces anything: a trial sshd on loopback.

The configuration set, with the pending edits, is copied into a private
directory (``local.sshconfig.sshdcopy``) and checked with ``sshd -t``. A
second copy loses its ListenAddress, Port and PidFile lines and gets its
own on top (127.0.0.1, a spare port, no pid file), so the trial cannot
touch the production server's sockets or pid file. That sshd is started,
its real KEXINIT is read (``wire.probe``), every client that must connect
is negotiated against it (``negotiate``), and the real local ssh connects
with nothing to authenticate with: key exchange must complete and the
server must reach user authentication.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sshdoctor.lab.ports import free_port, wait_for_banner
from sshdoctor.local.errors import LocalError
from sshdoctor.local.sshconfig.sshdcopy import TRIAL_STRIP, copy_config_set
from sshdoctor.local.sshd import SshdTest, check_config, dump, find_sshd
from sshdoctor.local.verify import SshRun, run_ssh_check
from sshdoctor.model import Outcome, Proposal, Slot, Target
from sshdoctor.negotiate import negotiate
from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.probe import probe

TRIAL_HOST = "127.0.0.1"
_HOST_KEY_ALIAS = "sshdoctor-trial"


@dataclass(frozen=True, slots=True)
class TrialClient:
    """A client the new configuration must let in: a name and the KEXINIT it sends.

    ``role`` is ``serve`` (the change is for it) or ``keep`` (it connects
    today and must go on connecting).
    """

    name: str
    proposal: Proposal
    role: str = "keep"
    partial: tuple[str, ...] = ()  # categories known only from a log line; the rest copied from the server


@dataclass(frozen=True, slots=True)
class ClientCheck:
    """One client negotiated against the trial server's real offer."""

    name: str
    role: str
    outcome: Outcome

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    def as_dict(self) -> dict[str, object]:
        return {"client": self.name, "role": self.role, "ok": self.ok, "negotiation": self.outcome.as_dict()}


@dataclass(frozen=True, slots=True)
class Proof:
    """What the trial showed. ``stage`` names the step that failed (None: all passed)."""

    ok: bool
    stage: str | None
    message: str
    sshd_t: SshdTest | None = None
    port: int | None = None
    banner: str | None = None
    offer: Proposal | None = None
    clients: tuple[ClientCheck, ...] = ()
    ssh: SshRun | None = None
    log: str = ""
    effective: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def failed_clients(self) -> list[str]:
        return [c.name for c in self.clients if not c.ok]

    def as_dict(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "ok": self.ok,
            "stage": self.stage,
            "message": self.message,
            "sshd_t": {"ok": self.sshd_t.ok, "message": self.sshd_t.message} if self.sshd_t else None,
            "trial": {"host": TRIAL_HOST, "port": self.port, "banner": self.banner} if self.port else None,
            "offer": self.offer.offer_dict() if self.offer else None,
            "clients": [c.as_dict() for c in self.clients],
        }
        if self.ssh is not None:
            doc["local_ssh"] = {
                "command": self.ssh.command,
                "ok": self.ssh.ok,
                "kex_done": self.ssh.kex_done,
                "reached_auth": self.ssh.reached_auth,
                "chosen": self.ssh.chosen,
                "error": None if self.ssh.ok else (self.ssh.negotiation_error or self.ssh.last_error),
            }
        else:
            doc["local_ssh"] = None
        return doc


def trial_top(port: int) -> list[str]:
    """The lines the trial copy starts with (sshd keeps the first value, so these win)."""
    return [
        "# sshdoctor trial sshd: loopback only, its own port, no pid file",
        "AddressFamily any",
        f"ListenAddress {TRIAL_HOST}",
        f"Port {port}",
        "PidFile none",
    ]


class TrialSshd:
    """An sshd started from a copied configuration; ``with TrialSshd(...) as t: t.port``."""

    def __init__(self, main: str | Path, texts: Mapping[str, str], directory: Path, *, sshd: str,
                 timeout: float = 10.0) -> None:
        self.main = str(main)
        self.texts = texts
        self.directory = directory
        self.sshd = sshd
        self.timeout = timeout
        self.port = 0
        self.banner: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = directory / "trial.log"

    def start(self) -> TrialSshd:
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            # sshd insists on its privilege-separation directory when run as root.
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        last: Exception | None = None
        for attempt in range(3):  # a spare port can be taken between the probe and the bind
            self.port = free_port(TRIAL_HOST)
            folder = self.directory / f"trial-{attempt}"
            copies = copy_config_set(self.main, folder, texts=self.texts, strip=TRIAL_STRIP,
                                     top=trial_top(self.port))
            self.proc = subprocess.Popen(
                [self.sshd, "-D", "-f", str(copies.main), "-E", str(self.log)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            try:
                self.banner = wait_for_banner(TRIAL_HOST, self.port, timeout=self.timeout)
                return self
            except TimeoutError as exc:
                last = exc
                self.stop()
                if "Address already in use" not in self.log_text():
                    break
        raise LocalError(f"the trial sshd did not start: {self.log_tail() or last}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 8) -> str:
        return "; ".join(line.strip() for line in self.log_text().splitlines()[-lines:] if line.strip())

    def __enter__(self) -> TrialSshd:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def check_clients(clients: Sequence[TrialClient], offer: Proposal) -> tuple[ClientCheck, ...]:
    """Negotiate every client against a server's real offer."""
    return tuple(ClientCheck(c.name, c.role, negotiate(fill_partial(c, offer), offer, client_label=c.name))
                 for c in clients)


def fill_partial(client: TrialClient, offer: Proposal) -> Proposal:
    """A client known from a log line in some categories only: the rest is taken as the server's own lists."""
    proposal = client.proposal
    if client.partial:
        for slot in Slot:
            if slot.category.value not in client.partial:
                proposal = proposal.with_slot(slot, offer.get(slot))
    return proposal


async def prove(
    main: str | Path,
    texts: Mapping[str, str],
    clients: Sequence[TrialClient],
    *,
    sshd: str | None = None,
    timeout: float = 10.0,
    local_ssh: bool = True,
) -> Proof:
    """Check and try the configuration ``main`` would be with ``texts`` (path → new content).

    Nothing outside a private temporary directory is written. The proof
    fails at the first step that does: ``sshd -t``, the trial start, the
    probe, a client's negotiation, the local ssh.
    """
    binary = find_sshd(sshd)
    with tempfile.TemporaryDirectory(prefix="sshdoctor-trial-") as tmp:
        folder = Path(tmp)
        candidate = copy_config_set(main, folder / "candidate", texts=texts)
        tested = check_config(candidate.main, sshd=binary)
        if not tested.ok:
            tested = SshdTest(False, unpath(tested.message, candidate.copies), tested.command)
            return Proof(False, "sshd -t", f"sshd -t rejects the new configuration: {tested.message}", tested)
        try:
            effective = dict(dump(candidate.main, sshd=binary).values)
        except LocalError as exc:
            return Proof(False, "sshd -T", unpath(exc.message, candidate.copies), tested)
        trial = TrialSshd(main, texts, folder, sshd=binary, timeout=timeout)
        try:
            trial.start()
        except LocalError as exc:
            return Proof(False, "trial", exc.message, tested)
        try:
            proof = await _try(trial, clients, tested, timeout=timeout, local_ssh=local_ssh)
            return replace(proof, effective=effective)
        finally:
            trial.stop()


async def _try(trial: TrialSshd, clients: Sequence[TrialClient], tested: SshdTest, *, timeout: float,
               local_ssh: bool) -> Proof:
    try:
        result = await probe(Target(TRIAL_HOST, trial.port), timeout=timeout)
    except ProbeError as exc:
        return Proof(False, "probe", f"the trial sshd's offer could not be read: {exc.message}", tested,
                     trial.port, trial.banner, log=trial.log_tail())
    offer = result.proposal
    checks = check_clients(clients, offer)
    failed = [c for c in checks if not c.ok]
    run: SshRun | None = None
    if local_ssh:
        try:
            run = await asyncio.to_thread(_ssh, trial.port, timeout)
        except LocalError as exc:
            return Proof(False, "local ssh", f"the local ssh could not be run: {exc.message}", tested, trial.port,
                         trial.banner, offer, checks, log=trial.log_tail())
    def proof(ok: bool, stage: str | None, message: str) -> Proof:
        return Proof(ok, stage, message, tested, trial.port, trial.banner, offer, checks, run,
                     "" if ok else trial.log_tail())

    if failed:
        names = ", ".join(f"{c.name} (no common {', '.join(x.value for x in c.outcome.failures)})" for c in failed)
        return proof(False, "clients", f"the new configuration locks out {names}")
    if run is not None and not run.ok:
        why = run.last_error or "no key exchange"
        if run.negotiation_error:
            why = f"no matching {run.negotiation_error} found"
        return proof(False, "local ssh", f"the local ssh does not get in: {why}")
    return proof(True, None, "the trial sshd accepts every client that must connect")


def _ssh(port: int, timeout: float) -> SshRun:
    # A private alias: no known_hosts entry of the user's can clash with the trial's host key.
    return run_ssh_check(TRIAL_HOST, port=port, extra_options=[f"HostKeyAlias={_HOST_KEY_ALIAS}-{port}"],
                         timeout=timeout)


def unpath(message: str, copies: Mapping[str, Path]) -> str:
    """sshd's message with the private copies' paths turned back into the originals."""
    for original, copy in sorted(copies.items(), key=lambda kv: -len(str(kv[1]))):
        message = message.replace(str(copy), original)
    return message
