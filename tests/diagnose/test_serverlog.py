"""Server-log summaries: aggregation into networks, streaming, bounded memory."""

from __future__ import annotations

import io

from sshdoctor.diagnose import looks_like_server_log, summarise_log, summarise_stream
from sshdoctor.diagnose.serverlog import aggregate

LINE = ("Mar  3 10:15:01 gw sshd[{pid}]: Unable to negotiate with {addr} port 5{pid}: no matching key exchange "
        "method found. Their offer: diffie-hellman-group1-sha1 [preauth]\n")


def test_aggregate_levels() -> None:
    assert aggregate({"10.0.0.1": 3}) == [("10.0.0.1", 1, 3)]
    nets = aggregate({f"10.1.{i}.{j}": 1 for i in range(3) for j in range(4)})
    assert nets == [("10.1.0.0/24", 4, 4), ("10.1.1.0/24", 4, 4), ("10.1.2.0/24", 4, 4)]
    many = aggregate({f"10.{i}.0.1": 1 for i in range(20)})
    assert many == [("10.0.0.0/8", 20, 20)]


def test_stream_and_text_agree() -> None:
    text = "".join(LINE.format(pid=i, addr=f"192.0.2.{i}") for i in range(50))
    text += "Mar  3 10:15:01 gw sshd[1]: Accepted publickey for x from 192.0.2.1 port 2 ssh2\n" * 100
    a = summarise_log(text.splitlines())
    b = summarise_stream(io.BytesIO(text.encode()), chunk_size=997)  # odd chunk size: lines split across reads
    assert a.as_dict()["groups"] == b.as_dict()["groups"]
    group = b.ordered()[0]
    assert group.events == 50 and group.clients == 50
    assert group.sentence().startswith("50 clients from 192.0.2.0/24 failed: no matching key exchange method")
    assert b.lines == 150


def test_detection() -> None:
    assert looks_like_server_log([LINE.format(pid=i, addr="10.0.0.1") for i in range(5)])
    assert not looks_like_server_log(["Unable to negotiate with 10.0.0.1 port 22: no matching MAC found. Their offer: x"])


def test_many_addresses_stay_bounded() -> None:
    from sshdoctor.diagnose import serverlog

    old = serverlog.MAX_ADDRESSES
    serverlog.MAX_ADDRESSES = 100
    try:
        text = "".join(LINE.format(pid=i, addr=f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}")
                       for i in range(3000))
        s = summarise_stream(io.BytesIO(text.encode()))
        group = s.ordered()[0]
        assert len(group.addresses) == 100 and group.events == 3000
        assert group.clients > 100
    finally:
        serverlog.MAX_ADDRESSES = old
