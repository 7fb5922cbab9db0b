"""Per-direction compression in profiles: Dropbear's server from 2025.87 only compresses what it sends."""

from __future__ import annotations

from dataclasses import replace

from sshdoctor.catalog.profiles import get_profile
from sshdoctor.model import Slot
from sshdoctor.negotiate import negotiate


def _server(pid: str):  # type: ignore[no-untyped-def]
    profile = get_profile(pid)
    assert profile is not None and profile.server is not None
    return profile.server.proposal()


def test_dropbear_2025_87_server_decompresses_nothing() -> None:
    offer = _server("dropbear-2025.87")
    assert offer.compression_c2s == ("none",)
    assert offer.compression_s2c[0] == "zlib@openssh.com"
    assert _server("dropbear-2026.91").compression_c2s == ("none",)  # later releases keep it
    before = _server("dropbear-2024.86")
    assert before.compression_c2s == before.compression_s2c


def test_a_compressing_client_compresses_only_what_the_server_sends() -> None:
    profile = get_profile("openssh-9.9")
    assert profile is not None and profile.client is not None
    zlib_first = ("zlib@openssh.com", "zlib", "none")  # ssh -C
    client = replace(profile.client.proposal(), compression_c2s=zlib_first, compression_s2c=zlib_first)
    picks = negotiate(client, _server("dropbear-2025.87")).picks
    assert picks[Slot.COMPRESSION_C2S] == "none" and picks[Slot.COMPRESSION_S2C] == "zlib@openssh.com"
    older = negotiate(client, _server("dropbear-2024.86")).picks
    assert older[Slot.COMPRESSION_C2S] == "zlib@openssh.com"
