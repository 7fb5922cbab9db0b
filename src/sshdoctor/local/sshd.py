"""The OpenSSH server installed on this machine: where it is, what it makes of a
configuration (``sshd -T``, ``sshd -t``), its host keys, and how the init
system reloads it.

Everything here runs the real sshd or reads the real filesystem; nothing
starts, stops or signals a running server (the reload command is returned,
and run only by :func:`run_reload` when asked).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sshdoctor.local.errors import LocalError

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd", "/usr/bin/sshd")
DEFAULT_CONFIG = "/etc/ssh/sshd_config"
_TIMEOUT = 20.0

# Which negotiated host-key algorithms one loaded key can sign with (the
# first word of its .pub file). An RSA key signs all three; the SHA-2 ones
# exist since OpenSSH 7.2.
KEY_ALGORITHMS: dict[str, tuple[str, ...]] = {
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
    "ssh-ed25519": ("ssh-ed25519",),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
    "ssh-dss": ("ssh-dss",),
    "sk-ssh-ed25519@openssh.com": ("sk-ssh-ed25519@openssh.com",),
    "sk-ecdsa-sha2-nistp256@openssh.com": ("sk-ecdsa-sha2-nistp256@openssh.com",),
}
# ssh-keygen -t arguments that make a key of each type, and the file name
# sshd's own defaults (and ssh-keygen -A) use for it.
KEYGEN_ARGS: dict[str, tuple[tuple[str, ...], str]] = {
    "ssh-ed25519": (("-t", "ed25519"), "ssh_host_ed25519_key"),
    "ecdsa-sha2-nistp256": (("-t", "ecdsa", "-b", "256"), "ssh_host_ecdsa_key"),
    "ssh-rsa": (("-t", "rsa", "-b", "3072"), "ssh_host_rsa_key"),
}


def find_sshd(explicit: str | None = None) -> str:
    """The sshd binary: ``explicit``, else $SSHDOCTOR_SSHD, PATH, the usual places."""
    if explicit:
        if os.access(explicit, os.X_OK):
            return explicit
        raise LocalError(f"{explicit}: not an executable sshd")
    for path in (os.environ.get("SSHDOCTOR_SSHD"), shutil.which("sshd"), *SSHD_CANDIDATES):
        if path and os.access(path, os.X_OK):
            return path
    raise LocalError("sshd is not installed here (Debian/Ubuntu: apt-get install openssh-server); give --sshd PATH")


def keygen_path() -> str:
    return shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"


def _run(args: Sequence[str], timeout: float = _TIMEOUT) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(args), capture_output=True, text=True, errors="replace",
                              stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise LocalError(f"{args[0]} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise LocalError(f"cannot run {args[0]}: {exc.strerror or exc}") from None


@dataclass(frozen=True, slots=True)
class SshdDump:
    """``sshd -T``: every keyword sshd printed, lowercased, with all its values in order."""

    values: Mapping[str, tuple[str, ...]]
    conditions: str | None = None

    def first(self, key: str) -> str | None:
        found = self.values.get(key.lower())
        return found[0] if found else None

    def names(self, key: str) -> tuple[str, ...]:
        """A comma-separated list keyword (``kexalgorithms``) as names."""
        value = self.first(key) or ""
        return tuple(n for n in value.split(",") if n)

    def all(self, key: str) -> tuple[str, ...]:
        """A keyword sshd prints once per value (``hostkey``, ``listenaddress``)."""
        return tuple(self.values.get(key.lower(), ()))


def conditions_arg(user: str | None = None, host: str | None = None, addr: str | None = None) -> str:
    """The ``-C`` argument for ``sshd -T``: which connection Match blocks are judged for."""
    parts = [f"{k}={v}" for k, v in (("user", user), ("host", host), ("addr", addr)) if v]
    return ",".join(parts)


def dump(config: str | Path, *, sshd: str | None = None, conditions: str | None = None) -> SshdDump:
    """``sshd -T -f config`` (with ``-C conditions``): the effective configuration.

    Raises LocalError with sshd's own words when it rejects the file.
    """
    binary = find_sshd(sshd)
    args = [binary, "-T", "-f", str(config)]
    if conditions:
        args += ["-C", conditions]
    out = _run(args)
    if out.returncode != 0:
        raise LocalError(f"sshd -T -f {config} failed: {_first_lines(out.stderr) or out.returncode}")
    values: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key:
            values.setdefault(key.lower(), []).append(value.strip())
    return SshdDump({k: tuple(v) for k, v in values.items()}, conditions)


@dataclass(frozen=True, slots=True)
class SshdTest:
    """``sshd -t -f config``: whether sshd would start with it, and what it said."""

    ok: bool
    message: str
    command: tuple[str, ...] = ()


def check_config(config: str | Path, *, sshd: str | None = None) -> SshdTest:
    """Run ``sshd -t -f config`` (sshd's own syntax and sanity check, host keys included)."""
    binary = find_sshd(sshd)
    args = (binary, "-t", "-f", str(config))
    out = _run(args)
    text = _first_lines(out.stderr + out.stdout)
    if out.returncode == 0:
        return SshdTest(True, text or "sshd -t accepts the configuration", args)
    return SshdTest(False, text or f"sshd -t exited {out.returncode}", args)


def _first_lines(text: str, limit: int = 6) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines[:limit])


@cache
def identity(sshd: str | None = None) -> str | None:
    """``OpenSSH_9.2p1 Debian-2+deb12u10``: what this sshd puts in its identification string.

    sshd prints it when given an option it does not know (``-V`` drops
    the distribution part).
    """
    try:
        binary = find_sshd(sshd)
        out = _run([binary, "-h"])
    except LocalError:
        return None
    for line in (out.stderr + out.stdout).splitlines():
        if line.startswith("OpenSSH_"):
            return line.split(",")[0].strip()
    return None


def version_of(ident: str | None) -> tuple[int, int] | None:
    """(9, 2) from ``OpenSSH_9.2p1 …``."""
    if not ident or not ident.startswith("OpenSSH_"):
        return None
    head = ident.removeprefix("OpenSSH_").split("p")[0].split(" ")[0]
    parts = [int(x) for x in head.split(".")[:2] if x.isdigit()]
    if not parts:
        return None
    return (parts[0], parts[1] if len(parts) > 1 else 0)


@dataclass(frozen=True, slots=True)
class HostKeyFile:
    """One ``HostKey`` file: its path, key type (None: not loadable) and the algorithms it signs."""

    path: str
    key_type: str | None

    @property
    def algorithms(self) -> tuple[str, ...]:
        return KEY_ALGORITHMS.get(self.key_type or "", ())

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "type": self.key_type, "algorithms": list(self.algorithms)}


def key_type(path: str | Path) -> str | None:
    """The type of a host key file (from its .pub, else ``ssh-keygen -y``); None if it cannot be read."""
    name = str(path)
    if not os.path.isfile(name):
        return None
    pub = name + ".pub"
    try:
        with open(pub, encoding="ascii", errors="replace") as fh:
            first = fh.read(4096).split()
        if first:
            return first[0]
    except OSError:
        pass
    try:
        out = _run([keygen_path(), "-y", "-P", "", "-f", name], timeout=10)
    except LocalError:
        return None
    words = out.stdout.split()
    return words[0] if out.returncode == 0 and words else None


def host_keys(dumped: SshdDump) -> tuple[HostKeyFile, ...]:
    """The HostKey files sshd -T lists (its defaults when no line sets any), with their types."""
    return tuple(HostKeyFile(p, key_type(p)) for p in dumped.all("hostkey"))


@dataclass(frozen=True, slots=True)
class Reload:
    """How to make the running sshd read its configuration again, for the init system found."""

    init: str  # systemd | openrc | sysv | signal | unknown
    argv: tuple[str, ...]
    notes: tuple[str, ...] = ()
    ran: bool = False
    exit_code: int | None = None
    output: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"init": self.init, "command": list(self.argv), "ran": self.ran, "exit_code": self.exit_code,
                "output": self.output, "notes": list(self.notes)}


_UNIT_DIRS = ("etc/systemd/system", "run/systemd/system", "usr/lib/systemd/system", "lib/systemd/system")


def _unit(root: Path) -> str | None:
    # Debian and Ubuntu call the unit ssh (sshd is an alias there); RHEL, Fedora, Arch, SUSE call it sshd.
    for name in ("ssh", "sshd"):
        if any((root / d / f"{name}.service").exists() for d in _UNIT_DIRS):
            return name
    return None


def reload_command(*, root: str | Path = "/", pidfile: str | None = None) -> Reload:
    """The reload command of the init system this machine runs (``root`` is for tests).

    systemd when it is running (``/run/systemd/system``), OpenRC
    (``/run/openrc``), SysV scripts in /etc/init.d, else a HUP to the pid
    in sshd's PidFile (read where it is, whatever ``root``). A reload re-reads the configuration without
    dropping open sessions; nothing here restarts sshd.
    """
    base = Path(root)
    unit = _unit(base)
    if (base / "run/systemd/system").is_dir() and unit:
        notes: tuple[str, ...] = ()
        if any((base / d / "ssh.socket").exists() for d in _UNIT_DIRS) and unit == "ssh":
            notes = ("if ssh.socket is enabled (Ubuntu 22.10 and later), ListenAddress and Port come from the "
                     "socket unit; the algorithm lists are read by the ssh service as usual",)
        return Reload("systemd", ("systemctl", "reload", unit), notes)
    if (base / "run/openrc").is_dir() and (base / "etc/init.d/sshd").exists():
        return Reload("openrc", ("rc-service", "sshd", "reload"))
    for name in ("ssh", "sshd"):
        if (base / "etc/init.d" / name).exists():
            return Reload("sysv", ("service", name, "reload"))
    if pidfile and pidfile != "none":
        pid = _read_pid(Path(pidfile))
        if pid is not None:
            return Reload("signal", ("kill", "-HUP", str(pid)),
                          (f"no init system found; {pidfile} names the running sshd",))
    return Reload("unknown", (), ("no init system and no running sshd found: start sshd, or send SIGHUP to it",))


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def run_reload(reload: Reload, *, timeout: float = 30.0) -> Reload:
    """Run the reload command; the result says what happened."""
    if not reload.argv:
        return reload
    try:
        out = _run(reload.argv, timeout=timeout)
    except LocalError as exc:
        return Reload(reload.init, reload.argv, reload.notes, True, None, exc.message)
    return Reload(reload.init, reload.argv, reload.notes, True, out.returncode, _first_lines(out.stdout + out.stderr))


@dataclass(frozen=True, slots=True)
class SshdInfo:
    """The sshd binary and what it says about itself."""

    binary: str
    identity: str | None
    version: tuple[int, int] | None = None
    extra: dict[str, object] = field(default_factory=dict)


def sshd_info(sshd: str | None = None) -> SshdInfo:
    binary = find_sshd(sshd)
    ident = identity(binary)
    return SshdInfo(binary, ident, version_of(ident))
