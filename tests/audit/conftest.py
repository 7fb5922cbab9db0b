"""Fixtures for the audit tests: lab servers with known weaknesses and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sshdoctor.lab.asyncssh_server import AsyncsshServer
from sshdoctor.lab.sshd import Sshd

# An sshd that offers its defaults plus legacy algorithms, with a 1024-bit RSA and a DSA host key.
LEGACY_SSHD: dict[str, Any] = {
    "kex": "+diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1",
    "ciphers": "+3des-cbc,aes128-cbc,aes256-cbc",
    "macs": "+hmac-md5,hmac-sha1-96,hmac-md5-96",
    "host_key_algorithms": "+ssh-rsa,ssh-dss",
    "host_keys": ("ed25519", "ecdsa", "rsa1024", "dsa"),
}
# Only what sshdoctor rates strong, and an Ed25519 key.
STRONG_SSHD: dict[str, Any] = {
    "kex": "sntrup761x25519-sha512@openssh.com,curve25519-sha256",
    "ciphers": "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-ctr",
    "macs": "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
    "host_key_algorithms": "ssh-ed25519",
    "host_keys": ("ed25519",),
}


def run_cli(*args: str, timeout: float = 120) -> tuple[int, str, str]:
    """Run ``python -m sshdoctor ARGS``: exit status, stdout, stderr."""
    env = {**os.environ, "SSHDOCTOR_NO_CACHE": "1"}
    proc = subprocess.run([sys.executable, "-m", "sshdoctor", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def no_strict_kex() -> Iterator[Callable[..., AsyncsshServer]]:
    """Factory for AsyncSSH servers that send neither ext-info-s nor strict kex (a pre-2024 server)."""
    started: list[AsyncsshServer] = []

    def start(**kwargs: Any) -> AsyncsshServer:
        server = AsyncsshServer(pseudo=False, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def legacy_sshd(sshd: Callable[..., Sshd]) -> Sshd:
    return sshd(**LEGACY_SSHD)


@pytest.fixture
def strong_sshd(sshd: Callable[..., Sshd]) -> Sshd:
    return sshd(**STRONG_SSHD)
