"""Host keys for lab servers, generated once per directory with ssh-keygen."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

KEY_TYPES = {
    "ed25519": ["-t", "ed25519"],
    "ecdsa": ["-t", "ecdsa", "-b", "256"],
    "ecdsa384": ["-t", "ecdsa", "-b", "384"],
    "ecdsa521": ["-t", "ecdsa", "-b", "521"],
    "rsa": ["-t", "rsa", "-b", "2048"],
    "rsa1024": ["-t", "rsa", "-b", "1024"],
    "dsa": ["-t", "dsa"],
}


def host_key(directory: Path, kind: str) -> Path:
    """Path of an OpenSSH-format private key of ``kind``, made if missing."""
    path = directory / f"ssh_host_{kind}_key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        keygen = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
        subprocess.run(
            [keygen, "-q", "-N", "", "-C", f"sshdoctor-lab-{kind}", *KEY_TYPES[kind], "-f", str(path)],
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        os.chmod(path, 0o600)
    return path


def dropbear_key(directory: Path, kind: str) -> Path:
    """A Dropbear-format host key of ``kind`` (rsa, ecdsa, ed25519, dss)."""
    path = directory / f"dropbear_{kind}_host_key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        tool = shutil.which("dropbearkey") or "/usr/bin/dropbearkey"
        args = [tool, "-t", kind, "-f", str(path)]
        if kind == "rsa":
            args += ["-s", "2048"]
        subprocess.run(args, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return path
