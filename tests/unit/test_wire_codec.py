from __future__ import annotations

import pytest

from sshdoctor.model import Banner, Proposal
from sshdoctor.wire import kexinit, packet
from sshdoctor.wire.errors import ProtocolError


def test_kexinit_round_trip() -> None:
    prop = Proposal(
        kex=("curve25519-sha256", "ext-info-c"),
        hostkey=("ssh-ed25519",),
        cipher_c2s=("aes128-ctr",),
        cipher_s2c=("aes256-ctr",),
        mac_c2s=("hmac-sha1",),
        mac_s2c=("hmac-sha2-256",),
        compression_c2s=("none",),
        compression_s2c=("zlib",),
        language_c2s=(),
        language_s2c=("en",),
        first_kex_follows=True,
    )
    back = kexinit.decode(kexinit.encode(prop))
    assert back == prop
    assert len(back.cookie) == 16


def test_truncated_kexinit_names_the_field() -> None:
    payload = kexinit.encode(Proposal.symmetric(["a"], ["b"], ["c"], ["d"]))
    with pytest.raises(ProtocolError, match="truncated in name-list mac_c2s"):
        kexinit.decode(payload[:40])


def test_packet_framing_is_block_aligned_with_padding() -> None:
    framed = packet.build_packet(b"\x14hello")
    length = int.from_bytes(framed[:4], "big")
    assert (length + 4) % 8 == 0
    assert packet.split_packet(framed[4:]) == b"\x14hello"


@pytest.mark.parametrize("length", [0, 4, packet.MAX_PACKET + 1, 0xFFFFFFFF])
def test_absurd_lengths_rejected(length: int) -> None:
    with pytest.raises(ProtocolError, match="bad packet length"):
        packet.check_length(length)


def test_banner_parse() -> None:
    b = Banner.parse("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")
    assert (b.proto_version, b.software, b.comments) == ("2.0", "OpenSSH_9.2p1", "Debian-2+deb12u3")
    assert Banner.parse("SSH-1.99-Cisco-1.25").speaks_ssh2
    assert not Banner.parse("SSH-1.5-old").speaks_ssh2
