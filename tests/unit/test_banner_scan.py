"""The identification reader gives the same answer however the bytes arrive (whole lines are read
by a fast path, split ones byte by byte)."""

from __future__ import annotations

import pytest

from sshdoctor.wire.errors import ProbeError
from sshdoctor.wire.scan import BannerScan

STREAMS = [
    b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n\x00\x00\x01\x0cKEX",
    b"SSH-2.0-dropbear_2022.83\n",
    b"welcome\r\n\r\nsecond line\nSSH-2.0-x y z\r\nrest",
    b"\nSSH-2.0-empty-first-line\r\n",
    b"SSH-2.0-bare\rCR\r\n",
    b"SSH-2.0-nul\x00here\r\n",
    b"HTTP/1.1 400 Bad Request\r\n\r\n",
    b"SSH-1.5-old\r\n",
    b"SSH-2.0-" + b"a" * 9000 + b"\r\n",
    b"line\r\n" * 1100,
    b"SSH-2.0-\xff\xfebytes\r\nrest",
]


def _outcome(chunks: list[bytes]) -> tuple[str, str, bytes, tuple[str, ...]]:
    scan = BannerScan()
    try:
        for i, chunk in enumerate(chunks):
            banner = scan.feed(chunk)
            if banner is not None:
                return ("banner", banner.raw, scan.rest + b"".join(chunks[i + 1:]), tuple(scan.pre))
    except ProbeError as exc:
        return (type(exc).__name__, exc.message, b"", tuple(scan.pre))
    return ("more", "", b"", tuple(scan.pre))


@pytest.mark.parametrize("stream", STREAMS, ids=range(len(STREAMS)))
def test_every_split_reads_alike(stream: bytes) -> None:
    whole = _outcome([stream])
    for cut in range(1, min(len(stream), 80)):
        split = _outcome([stream[:cut], stream[cut:]])
        assert split[:2] == whole[:2] and split[3] == whole[3], cut
        if whole[0] == "banner":
            assert split[2] == whole[2]
    bytewise = _outcome([stream[i:i + 1] for i in range(min(len(stream), 12000))])
    assert bytewise[:2] == whole[:2]


def test_many_lines_in_one_chunk_are_a_tarpit_not_a_crash() -> None:
    kind, message, _rest, pre = _outcome([b"x\r\n" * 5000])
    assert kind == "TooManyPreBannerLines" and len(pre) == 1024 and "tarpit" in message
