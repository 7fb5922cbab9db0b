"""Run the real local ssh against a host and see how far it gets.

Used to prove a fix: key exchange must complete and the server must reach
user authentication. Nothing is typed or offered: BatchMode, every
authentication method off (unless keys are asked for), and host keys are
checked against a private copy of the user's known_hosts files so the
ordering ssh derives from them is kept while the user's files stay
untouched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sshdoctor.local.effective import Effective, config_args, effective
from sshdoctor.local.errors import LocalError
from sshdoctor.local.paths import expand_user
from sshdoctor.local.sshbin import ssh_path

_KEX = re.compile(r"^debug1: kex: algorithm: (\S+)", re.M)
_HOSTKEY = re.compile(r"^debug1: kex: host key algorithm: (\S+)", re.M)
_DIR = re.compile(
    r"^debug1: kex: (client->server|server->client) cipher: (\S+) MAC: (\S+) compression: (\S+)", re.M
)
_METHODS = re.compile(r"^debug1: Authentications that can continue: (\S*)", re.M)
_DENIED = re.compile(r"Permission denied \(([^)]*)\)")
_SIG_ALGS = re.compile(r"^debug1: kex_input_ext_info: server-sig-algs=<([^>]*)>", re.M)
_NEGOTIATE = re.compile(r"Unable to negotiate with .*?: no matching (.+?) found\. Their offer: (\S*)")

_QUIET_AUTH = (
    "PubkeyAuthentication=no",
    "PasswordAuthentication=no",
    "KbdInteractiveAuthentication=no",
    "GSSAPIAuthentication=no",
    "HostbasedAuthentication=no",
)


@dataclass(frozen=True, slots=True)
class SshRun:
    """What one real ssh run showed."""

    command: list[str]
    exit_code: int
    kex_done: bool
    reached_auth: bool
    authenticated: bool
    chosen: dict[str, str] = field(default_factory=dict)
    auth_methods: tuple[str, ...] = ()
    negotiation_error: str | None = None
    their_offer: tuple[str, ...] | None = None
    server_sig_algs: tuple[str, ...] | None = None
    last_error: str | None = None
    log: str = ""

    @property
    def negotiated(self) -> bool:
        """Algorithm negotiation succeeded (ssh printed its choices), whatever came after."""
        return self.negotiation_error is None and "kex" in self.chosen and "cipher_c2s" in self.chosen

    @property
    def host_key_rejected(self) -> bool:
        return "Host key verification failed" in self.log

    @property
    def ok(self) -> bool:
        """Key exchange completed and the server got as far as authentication."""
        return self.kex_done and (self.reached_auth or self.authenticated)


def parse_ssh_log(text: str) -> dict[str, object]:
    """Pull the negotiated algorithms and the auth stage out of ``ssh -v`` output."""
    chosen: dict[str, str] = {}
    if m := _KEX.search(text):
        chosen["kex"] = m[1]
    if m := _HOSTKEY.search(text):
        chosen["hostkey"] = m[1]
    for m in _DIR.finditer(text):
        suffix = "c2s" if m[1] == "client->server" else "s2c"
        chosen[f"cipher_{suffix}"] = m[2]
        chosen[f"mac_{suffix}"] = m[3]
        chosen[f"compression_{suffix}"] = m[4]
    methods: tuple[str, ...] = ()
    if (m := _METHODS.search(text)) or (m := _DENIED.search(text)):
        methods = tuple(x for x in m[1].split(",") if x)
    neg = _NEGOTIATE.search(text)
    sig = _SIG_ALGS.search(text)
    return {
        "server_sig_algs": tuple(x for x in sig[1].split(",") if x) if sig else None,
        "chosen": chosen,
        "kex_done": "SSH2_MSG_NEWKEYS received" in text,
        "reached_auth": bool(methods) or "SSH2_MSG_SERVICE_ACCEPT received" in text,
        "authenticated": "Authenticated to " in text,
        "auth_methods": methods,
        "negotiation_error": neg[1] if neg else None,
        "their_offer": tuple(neg[2].split(",")) if neg else None,
    }


def _private_known_hosts(eff: Effective | None, tmp: Path) -> list[str]:
    """Copies of the user's known_hosts files (absent ones stay absent)."""
    copies: list[str] = []
    files: list[str] = []
    if eff is not None:
        for value in eff.raw.get("userknownhostsfile", []):
            files += value.split()
    for i, name in enumerate(files or ["~/.ssh/known_hosts"]):
        src = Path(expand_user(name))
        dst = tmp / f"known_hosts_{i}"
        if src.is_file():
            shutil.copyfile(src, dst)
        copies.append(str(dst))
    return copies


def run_ssh_check(
    host: str,
    *,
    port: int | None = None,
    extra_options: list[str] | None = None,
    config_file: str | None = None,
    eff: Effective | None = None,
    offer_keys: bool = False,
    timeout: float = 10.0,
    command: str = "true",
) -> SshRun:
    """Run ``ssh -v`` for ``host`` with ``extra_options`` and report how far it got."""
    if eff is None:
        eff = effective(host, port=port, config_file=config_file, options=list(extra_options or []))
    with tempfile.TemporaryDirectory(prefix="sshdoctor-verify-") as tmpdir:
        tmp = Path(tmpdir)
        known = _private_known_hosts(eff, tmp)
        args = [ssh_path(), "-v", *config_args(config_file, list(extra_options or []))]
        fixed = [
            "BatchMode=yes",
            f"ConnectTimeout={max(1, int(timeout))}",
            "StrictHostKeyChecking=accept-new",
            "UserKnownHostsFile=" + " ".join(known),
            "UpdateHostKeys=no",
            "ControlMaster=no",
            "ControlPath=none",
            "ClearAllForwardings=yes",
            "RequestTTY=no",
            "PermitLocalCommand=no",
        ]
        if not offer_keys:
            fixed += list(_QUIET_AUTH)
        for opt in fixed:
            args += ["-o", opt]
        if port is not None:
            args += ["-p", str(port)]
        args += ["--", host, command]
        try:
            proc = subprocess.run(
                args, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", timeout=timeout + 5
            )
        except subprocess.TimeoutExpired:
            raise LocalError(f"ssh did not finish within {timeout + 5:g} s") from None
    log = proc.stderr
    parsed = parse_ssh_log(log)
    errors = [line for line in log.splitlines() if line and not line.startswith(("debug", "Warning: Permanently"))]
    return SshRun(
        command=args,
        exit_code=proc.returncode,
        kex_done=bool(parsed["kex_done"]),
        reached_auth=bool(parsed["reached_auth"]),
        authenticated=bool(parsed["authenticated"]),
        chosen=dict(parsed["chosen"]),  # type: ignore[call-overload]
        auth_methods=tuple(parsed["auth_methods"]),  # type: ignore[arg-type]
        negotiation_error=parsed["negotiation_error"],  # type: ignore[arg-type]
        their_offer=parsed["their_offer"],  # type: ignore[arg-type]
        server_sig_algs=parsed["server_sig_algs"],  # type: ignore[arg-type]
        last_error=errors[-1] if errors else None,
        log=log,
    )
