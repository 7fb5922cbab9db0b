"""libssh 0.10.x's KEXINIT: its profile's lists, except that both cipher lists end in an empty name.

libssh 0.10's src/kex.c builds the default cipher list from macros that end in a
comma (``AES`` = ``GCM "aes256-ctr,aes192-ctr,aes128-ctr,"``), so an OpenSSL
build sends ``...,aes128-ctr,`` on the wire; 0.11.0 dropped the comma. A catalog
profile holds no empty names, so the lab clients of 0.10.x declare the quirk
``empty-name-in-cipher-list``; this test pins exactly that difference (and fails
if it ever goes away).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sshdoctor.model import Proposal, Slot, Target
from sshdoctor.wire.probe import probe
from tests.interop.families import c
from tests.interop.harness import LabClient
from tests.interop.lab import profile_side, record_kexinit, require

QUIRKY = [x for x in c.clients() if c.EMPTY_NAME in x.quirks]
CIPHERS = (Slot.CIPHER_C2S, Slot.CIPHER_S2C)


def _check(seen: Proposal, want: Proposal, *, hostkeys: set[str] | None = None) -> None:
    for slot in Slot:
        got, expected = list(seen.get(slot)), list(want.get(slot))
        if slot is Slot.HOSTKEY and hostkeys is not None:
            expected = [n for n in expected if n in hostkeys]
        if slot in CIPHERS:
            assert got == [*expected, ""], f"{slot.value}: {got}"
        else:
            assert got == expected, f"{slot.value}: {got}"


@pytest.mark.parametrize("client", QUIRKY, ids=lambda x: x.id)
def test_libssh_010_client_sends_an_empty_last_cipher_name(client: LabClient, empty_home: Path) -> None:
    require(client)
    hello = record_kexinit(client, empty_home)
    assert hello.proposal is not None, hello.error
    _, side = profile_side(client.profile, "client")
    _check(hello.proposal, side.proposal())


def test_libssh_010_server_sends_an_empty_last_cipher_name(interop_keys: Path) -> None:
    server = next(s for s in c.servers() if s.impl == "libssh")
    require(server)
    with server.start(interop_keys) as running:
        seen = asyncio.run(probe(Target(running.host, running.port), timeout=15)).proposal
    _, side = profile_side(server.profile, "server")
    _check(seen, side.proposal(), hostkeys={"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256", "rsa-sha2-512"})
