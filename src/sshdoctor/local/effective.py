"""The client's effective configuration for a host, as ``ssh -G`` reports it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sshdoctor.local.errors import SshConfigError
from sshdoctor.local.sshbin import run_ssh
from sshdoctor.model import Category, Proposal

_LIST_KEYS = {
    Category.KEX: "kexalgorithms",
    Category.HOSTKEY: "hostkeyalgorithms",
    Category.CIPHER: "ciphers",
    Category.MAC: "macs",
}


@dataclass(frozen=True, slots=True)
class Effective:
    """Selected ``ssh -G`` values; ``raw`` keeps every line (multi-valued keys as lists)."""

    alias: str
    hostname: str
    port: int
    user: str | None
    raw: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        values = self.raw.get(key.lower())
        return values[0] if values else None

    def algorithms(self, category: Category) -> tuple[str, ...]:
        """The configured list for a category (before ssh adds pseudo names)."""
        if category is Category.COMPRESSION:
            # sshconnect2.c compression_alg_list(): ssh always offers both.
            if self.get("compression") == "yes":
                return ("zlib@openssh.com", "zlib", "none")
            return ("none", "zlib@openssh.com", "zlib")
        value = self.get(_LIST_KEYS[category]) or ""
        return tuple(n for n in value.split(",") if n)

    def proposal(self, extra_kex: tuple[str, ...] = ("ext-info-c",)) -> Proposal:
        """The KEXINIT this configuration implies, without known_hosts ordering."""
        return Proposal.symmetric(
            kex=self.algorithms(Category.KEX) + extra_kex,
            hostkey=self.algorithms(Category.HOSTKEY),
            cipher=self.algorithms(Category.CIPHER),
            mac=self.algorithms(Category.MAC),
            compression=self.algorithms(Category.COMPRESSION),
        )


def config_args(config_file: str | None, options: list[str] | None = None) -> list[str]:
    """The ``-F`` and ``-o`` arguments that select the user's configuration."""
    args: list[str] = []
    if config_file:
        args += ["-F", config_file]
    for opt in options or []:
        args += ["-o", opt]
    return args


def effective(
    host: str,
    *,
    port: int | None = None,
    config_file: str | None = None,
    options: list[str] | None = None,
) -> Effective:
    """Run ``ssh -G`` for a host; a configuration ssh rejects raises SshConfigError."""
    args = ["-G", *config_args(config_file, options)]
    if port is not None:
        args += ["-p", str(port)]
    args += ["--", host]
    out = run_ssh(args)
    if out.returncode != 0:
        message = " ".join(out.stderr.split())[:300] or f"ssh -G exited {out.returncode}"
        raise SshConfigError(f"the ssh configuration does not parse: {message}")
    raw: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        raw.setdefault(key.lower(), []).append(value)
    hostname = (raw.get("hostname") or [host])[0]
    try:
        resolved_port = int((raw.get("port") or ["22"])[0])
    except ValueError:
        resolved_port = port or 22
    return Effective(
        alias=host,
        hostname=hostname,
        port=resolved_port,
        user=raw["user"][0] if raw.get("user") else None,
        raw=raw,
    )
