"""Which kinds of user keys the local ssh would offer: its IdentityFiles and the agent's keys."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess

from sshdoctor.local.effective import Effective
from sshdoctor.local.paths import expand_user


def _file_is_rsa(path: str) -> bool:
    """An RSA key file: its .pub says ``ssh-rsa``, or the private key is PEM RSA or OpenSSH-format RSA."""
    for candidate in (path + ".pub", path):
        try:
            with open(candidate, "rb") as fh:
                head = fh.read(8192)
        except OSError:
            continue
        if head.startswith(b"ssh-rsa ") or head.startswith(b"-----BEGIN RSA PRIVATE KEY-----"):
            return True
        if head.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
            body = b"".join(head.splitlines()[1:8])
            try:
                return b"ssh-rsa" in base64.b64decode(body + b"=" * (-len(body) % 4))[:200]
            except ValueError:
                return False
        if candidate.endswith(".pub"):
            return False
    return False


def has_rsa_key(eff: Effective) -> bool:
    """Whether ssh would offer an RSA key: an IdentityFile that exists and is RSA, or one in the agent."""
    for value in eff.raw.get("identityfile", []):
        path = expand_user(value)
        if os.path.exists(path) and _file_is_rsa(path):
            return True
    agent = eff.get("identityagent")
    if (agent or "").lower() == "none" or not (os.environ.get("SSH_AUTH_SOCK") or agent):
        return False
    tool = shutil.which("ssh-add")
    if tool is None:
        return False
    try:
        out = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(line.startswith("ssh-rsa ") for line in out.stdout.splitlines())
