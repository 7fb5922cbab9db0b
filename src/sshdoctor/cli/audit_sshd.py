"""The local OpenSSH server binary, for hardening: its build's defaults and ``sshd -t``.

When the audited server runs exactly the build installed here (same
identification string), ``sshd -T`` gives its real compiled-in lists,
distribution patches included; otherwise the catalog profile of its
release is used. Either way the hardened lines are checked with the real
``sshd -t`` (and expanded with ``sshd -T``) before they are shown.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sshdoctor.audit.harden import HARDENED, HardenPlan, ServerBuild
from sshdoctor.local.errors import LocalError
from sshdoctor.local.sshbin import supported
from sshdoctor.model import Banner, Category

_T_KEYS = {
    Category.KEX: "kexalgorithms",
    Category.HOSTKEY: "hostkeyalgorithms",
    Category.CIPHER: "ciphers",
    Category.MAC: "macs",
}
_TIMEOUT = 20


def sshd_binary() -> str | None:
    """The installed sshd, if any (``SSHDOCTOR_SSHD`` overrides)."""
    for path in (os.environ.get("SSHDOCTOR_SSHD"), shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if path and os.access(path, os.X_OK):
            return path
    return None


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=_TIMEOUT)


@cache
def local_identity() -> str | None:
    """``OpenSSH_9.2p1 Debian-2+deb12u10``: what the local sshd puts in its identification string.

    sshd prints it first when given a bad option (``-V`` drops the
    distribution part).
    """
    binary = sshd_binary()
    if binary is None:
        return None
    try:
        out = _run([binary, "-h"])
    except (OSError, subprocess.SubprocessError):
        return None
    for line in (out.stderr + out.stdout).splitlines():
        if line.startswith("OpenSSH_"):
            return line.split(",")[0].strip()
    return None


def _dump(config: str) -> dict[str, list[str]]:
    """``sshd -T -f config``: the effective lists, expanded by the real sshd."""
    binary = sshd_binary()
    if binary is None:
        raise LocalError("sshd is not installed")
    out = _run([binary, "-T", "-f", config, "-o", "PidFile=none"])
    if out.returncode != 0:
        raise LocalError(f"sshd -T failed: {out.stderr.strip() or out.returncode}")
    lists: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key in _T_KEYS.values():
            lists[key] = value.split(",")
    return lists


def same_build_defaults(banner: Banner) -> ServerBuild | None:
    """The audited server's defaults from the local ``sshd -T``, when it is the same build."""
    ident = local_identity()
    remote = banner.software + (f" {banner.comments}" if banner.comments else "")
    if ident is None or ident != remote:
        return None
    try:
        lists = _dump("/dev/null")
        defaults = {cat: tuple(lists[key]) for cat, key in _T_KEYS.items()}
        can_use = {cat: supported(cat) for cat in HARDENED}
    except (LocalError, KeyError, OSError, subprocess.SubprocessError):
        return None
    version = ident.removeprefix("OpenSSH_").split("p")[0].split(" ")[0]
    parts = [int(x) for x in version.split(".")[:2] if x.isdigit()]
    major, minor = [*parts, 0, 0][:2]
    return ServerBuild(label=f"{ident} (the local sshd: same build, defaults from sshd -T)",
                       defaults=defaults, supported=can_use, version=(major, minor))


@dataclass(frozen=True, slots=True)
class SshdCheck:
    """What the real sshd said about the hardened lines."""

    checked: bool
    valid: bool
    message: str
    sshd: str | None = None
    expanded: dict[str, list[str]] = field(default_factory=dict)
    matches_prediction: bool | None = None

    def as_dict(self) -> dict[str, object]:
        return {"checked": self.checked, "valid": self.valid, "message": self.message, "sshd": self.sshd,
                "expanded": self.expanded, "matches_prediction": self.matches_prediction}


def check_with_sshd(plan: HardenPlan, *, same_build: bool) -> SshdCheck:
    """Run ``sshd -t`` (and ``sshd -T``) on a throw-away config holding the hardened lines.

    ``matches_prediction`` compares sshd's own expansion of the lines with
    sshdoctor's; it is only meaningful (and only set) when the local sshd
    is the audited server's build.
    """
    binary = sshd_binary()
    ident = local_identity()
    if binary is None:
        return SshdCheck(False, False, "sshd is not installed here (Debian: openssh-server); lines not checked")
    lines = plan.config_lines()
    with tempfile.TemporaryDirectory(prefix="sshdoctor-harden-") as tmp:
        key = Path(tmp) / "hostkey"
        keygen = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
        try:
            _run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
        except (OSError, subprocess.SubprocessError) as exc:
            return SshdCheck(False, False, f"cannot make a throw-away host key: {exc}", ident)
        config = Path(tmp) / "sshd_config"
        config.write_text("\n".join([f"HostKey {key}", "PidFile none", *lines]) + "\n")
        try:
            out = _run([binary, "-t", "-f", str(config)])
        except (OSError, subprocess.SubprocessError) as exc:
            return SshdCheck(False, False, f"sshd -t could not run: {exc}", ident)
        if out.returncode != 0:
            message = out.stderr.strip() or f"exit status {out.returncode}"
            if "privilege separation" in message.lower():
                return SshdCheck(False, False, f"sshd -t needs /run/sshd here: {message}", ident)
            return SshdCheck(True, False, f"sshd -t rejects the lines: {message}", ident)
        try:
            expanded = _dump(str(config))
        except LocalError as exc:
            return SshdCheck(True, True, f"sshd -t accepts the lines (sshd -T failed: {exc.message})", ident)
    matches = None
    if same_build:
        matches = all(
            set(expanded.get(_T_KEYS[c.category], ())) == set(c.result)
            for c in plan.changes
            # Only lines actually written can be compared; host keys also depend on the keys loaded.
            if c.form in ("default", "remove", "append", "list") and c.category is not Category.HOSTKEY
        )
    return SshdCheck(True, True, "sshd -t accepts the lines", ident, expanded, matches)
