"""A real OpenSSH sshd on loopback with the algorithm lists a caller asks for."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from sshdoctor.lab.base import ProcessServer
from sshdoctor.lab.keys import host_key
from sshdoctor.lab.ports import free_port, wait_for_banner

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")

# Which host key a host-key algorithm needs.
KEY_FOR_ALGORITHM = {
    "ssh-ed25519": "ed25519",
    "ecdsa-sha2-nistp256": "ecdsa",
    "ecdsa-sha2-nistp384": "ecdsa384",
    "ecdsa-sha2-nistp521": "ecdsa521",
    "rsa-sha2-512": "rsa",
    "rsa-sha2-256": "rsa",
    "ssh-rsa": "rsa",
    "ssh-dss": "dsa",
}


def sshd_path() -> str | None:
    """The sshd binary, or None if openssh-server is not installed."""
    for path in (os.environ.get("SSHDOCTOR_SSHD"), shutil.which("sshd"), *SSHD_CANDIDATES):
        if path and os.access(path, os.X_OK):
            return path
    return None


class Sshd(ProcessServer):
    """Start with ``with Sshd(kex=[...], ciphers=[...]) as server: server.port``.

    Lists are written to sshd_config verbatim (so ``+``/``-``/``^`` work);
    ``host_key_algorithms`` also decides which host keys are loaded.
    """

    def __init__(
        self,
        *,
        kex: Sequence[str] | str | None = None,
        ciphers: Sequence[str] | str | None = None,
        macs: Sequence[str] | str | None = None,
        host_key_algorithms: Sequence[str] | str | None = None,
        host_keys: Sequence[str] = ("ed25519", "ecdsa", "rsa"),
        extra: Mapping[str, str] | None = None,
        key_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._lists = {
            "KexAlgorithms": kex,
            "Ciphers": ciphers,
            "MACs": macs,
            "HostKeyAlgorithms": host_key_algorithms,
        }
        self.host_keys = list(host_keys)
        if host_key_algorithms is not None and not isinstance(host_key_algorithms, str):
            needed = {KEY_FOR_ALGORITHM[a] for a in host_key_algorithms if a in KEY_FOR_ALGORITHM}
            self.host_keys = sorted(needed) or self.host_keys
        self.extra = dict(extra or {})
        super().__init__("sshdoctor-sshd-")
        self.key_dir = key_dir or self.dir
        self.log = self.dir / "sshd.log"

    def config_text(self) -> str:
        # sshd keeps the first value it reads: the caller's extras go first.
        lines = [f"{directive} {value}" for directive, value in self.extra.items()]
        lines += [
            f"ListenAddress {self.host}",
            f"Port {self.port}",
            "PidFile none",
            "UsePAM no",
            "StrictModes no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            f"AuthorizedKeysFile {self.dir}/authorized_keys",
            "MaxStartups 100:30:200",
            "LoginGraceTime 30",
            "LogLevel DEBUG1",
            "Subsystem sftp internal-sftp",
        ]
        for kind in self.host_keys:
            lines.append(f"HostKey {host_key(self.key_dir, kind)}")
        for directive, value in self._lists.items():
            if value:
                text = value if isinstance(value, str) else ",".join(value)
                lines.append(f"{directive} {text}")
        return "\n".join(lines) + "\n"

    def start(self) -> Sshd:
        binary = sshd_path()
        if binary is None:
            raise FileNotFoundError("sshd is not installed (Debian: apt-get install openssh-server)")
        if os.geteuid() == 0:
            # sshd insists on its privilege-separation directory when run as root.
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        config = self.dir / "sshd_config"
        config.write_text(self.config_text())
        check = subprocess.run([binary, "-t", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise ValueError(f"sshd rejects the lab config: {check.stderr.strip()}")
        self.proc = subprocess.Popen(
            [binary, "-D", "-f", str(config), "-E", str(self.log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self.banner = wait_for_banner(self.host, self.port)
        except TimeoutError:
            self.stop()
            raise
        return self
