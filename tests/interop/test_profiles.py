"""Each lab program's real KEXINIT equals its catalog profile, list for list."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sshdoctor.model import Target
from sshdoctor.wire.probe import probe
from tests.compat.test_profiles_real import assert_matches
from tests.interop import registry
from tests.interop.harness import LabClient, LabServer
from tests.interop.lab import profile_side, record_kexinit, require

# The host-key algorithms each of the lab's keys (Ed25519, ECDSA P-256, RSA) makes possible.
KEY_ALGORITHMS = {"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa",
                  "ssh-ed25519-cert-v01@openssh.com",
                  # AsyncSSH signs with the RSA key under the SSH.COM names too.
                  "ssh-rsa-sha224@ssh.com", "ssh-rsa-sha256@ssh.com", "ssh-rsa-sha384@ssh.com", "ssh-rsa-sha512@ssh.com"}


@pytest.mark.parametrize("client", registry.clients(), ids=lambda c: c.id)
def test_client_kexinit_equals_profile(client: LabClient, empty_home: Path) -> None:
    require(client)
    hello = record_kexinit(client, empty_home)
    assert hello.proposal is not None, hello.error
    _, side = profile_side(client.profile, "client")
    assert_matches(hello.proposal, side)


@pytest.mark.parametrize("server", [s for s in registry.servers() if s.profile], ids=lambda s: s.id)
def test_server_offer_equals_profile(server: LabServer, interop_keys: Path) -> None:
    require(server)
    with server.start(interop_keys) as running:
        result = asyncio.run(probe(Target(running.host, running.port), timeout=15))
    _, side = profile_side(server.profile, "server")
    assert_matches(result.proposal, side, hostkey_filter=KEY_ALGORITHMS)
