"""`scan --jsonl` encodes what hosts share once: the lines equal a plain encoding of each document."""

from __future__ import annotations

import asyncio
import json

from bench.scan_responder import LEGACY, Responder

from sshdoctor.catalog.profiles import get_profile
from sshdoctor.fleet.analysis import HostResult
from sshdoctor.fleet.clientside import ClientSide
from sshdoctor.fleet.runner import RunOptions, Scanner
from sshdoctor.fleet.targets import TargetSpec
from sshdoctor.host.examine import ClientSpec
from sshdoctor.lab.ports import free_port
from sshdoctor.report.jsonlines import SharedParts, line


def _scan(specs: list[TargetSpec]) -> list[HostResult]:
    async def main() -> list[HostResult]:
        client = ClientSide(ClientSpec(config_file="/dev/null"))
        await asyncio.to_thread(client.start)
        profiles = [p for p in (get_profile("openssh-7.4"), get_profile("putty-0.76")) if p is not None]
        scanner = Scanner(client, RunOptions(concurrency=8), profiles)
        return [result async for result in scanner.run(specs)]

    return asyncio.run(main())


def test_shared_encoding_equals_the_plain_one() -> None:
    with Responder(ports=[0] * 3) as modern, Responder(ports=[0] * 3, offer=LEGACY,
                                                        banner="SSH-2.0-OpenSSH_5.3 \udcff legacy") as legacy:
        specs = [TargetSpec(a, p) for a, p in modern.bound + legacy.bound]
        specs.append(TargetSpec("127.0.0.1", free_port()))  # refused: a document without an offer
        specs.append(TargetSpec("bad target!", None, error="not a target"))
        results = _scan(specs)
    assert {r.status for r in results} >= {"ok", "fails", "unreachable", "invalid"}
    encoder = SharedParts()
    for result in results:
        fast = encoder.line(result.parts())
        assert fast == line(result.as_dict()), result.name
        json.loads(fast)
    # The three modern hosts share one offer: encoded once, by value.
    offers = [k for k in encoder._by_value if type(k).__name__ == "Proposal"]
    assert 2 <= len(offers) <= 3  # the two servers' offers (and the local client's proposal)
