"""A real Dropbear server on loopback. Its algorithms are fixed when it is
built; only the host key types can be chosen at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from sshdoctor.lab.base import ProcessServer
from sshdoctor.lab.keys import dropbear_key
from sshdoctor.lab.ports import free_port, wait_for_banner


def dropbear_path() -> str | None:
    """The dropbear binary, or None if dropbear-bin is not installed."""
    for path in (os.environ.get("SSHDOCTOR_DROPBEAR"), shutil.which("dropbear"), "/usr/sbin/dropbear"):
        if path and os.access(path, os.X_OK):
            return path
    return None


class Dropbear(ProcessServer):
    """``with Dropbear(host_keys=("rsa",)) as server: server.port``."""

    def __init__(
        self,
        *,
        host_keys: Sequence[str] = ("ed25519", "ecdsa", "rsa"),
        key_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.host_keys = list(host_keys)
        super().__init__("sshdoctor-dropbear-")
        self.key_dir = key_dir or self.dir
        self.log = self.dir / "dropbear.log"

    def start(self) -> Dropbear:
        binary = dropbear_path()
        if binary is None:
            raise FileNotFoundError("dropbear is not installed (Debian: apt-get install dropbear-bin)")
        args = [binary, "-F", "-E", "-s", "-p", f"{self.host}:{self.port}", "-P", str(self.dir / "pid")]
        for kind in self.host_keys:
            args += ["-r", str(dropbear_key(self.key_dir, kind))]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            self.banner = wait_for_banner(self.host, self.port)
        except TimeoutError:
            self.stop()
            raise
        return self
