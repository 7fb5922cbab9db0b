"""The runner's manners: one connection per server, retries, rate, streaming, Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bench.scan_responder import LEGACY, Responder

from sshdoctor.fleet.analysis import HostResult
from sshdoctor.fleet.clientside import ClientSide
from sshdoctor.fleet.runner import RunOptions, Scanner
from sshdoctor.fleet.targets import TargetSpec
from sshdoctor.host.examine import ClientSpec
from sshdoctor.lab.ports import free_port
from tests.scan.conftest import ROOT, jsonl


def _scan(specs: Iterator[TargetSpec] | list[TargetSpec], options: RunOptions,
          stop_after: int | None = None) -> tuple[list[HostResult], Scanner]:
    async def main() -> tuple[list[HostResult], Scanner]:
        client = ClientSide(ClientSpec(config_file="/dev/null"))
        await asyncio.to_thread(client.start)
        scanner = Scanner(client, options)
        results = []
        async for result in scanner.run(specs):
            results.append(result)
            if stop_after is not None and len(results) >= stop_after:
                scanner.stop()
        return results, scanner

    return asyncio.run(main())


@pytest.mark.parametrize("per_server", [1, 3])
def test_one_connection_at_a_time_per_server(per_server: int) -> None:
    with Responder(delay=0.15) as server:
        address, port = server.bound[0]
        # The same server under several labels (an inventory naming one box twice).
        specs = [TargetSpec(address, port, label=f"name{i}") for i in range(6)]
        results, _ = _scan(specs, RunOptions(concurrency=16, per_server=per_server))
        assert all(r.status == "ok" for r in results) and len(results) == 6
        assert server.max_open[port] == per_server


def test_per_address_gate_spans_ports() -> None:
    with Responder(ports=[0] * 4, delay=0.1) as server:
        specs = [TargetSpec(a, p) for a, p in server.bound]
        started = time.perf_counter()
        _scan(specs, RunOptions(concurrency=8))
        per_port = time.perf_counter() - started  # per (address, port): the four ports at once
        started = time.perf_counter()
        results, _ = _scan(specs, RunOptions(concurrency=8, by_address=True))
        per_address = time.perf_counter() - started  # one at a time across the ports
        assert per_address >= 4 * 0.1 and per_address - per_port > 0.2, (per_port, per_address)
        assert {r.status for r in results} == {"ok"}


def test_distinct_servers_run_in_parallel() -> None:
    with Responder(ports=[0] * 6, delay=0.3) as server:
        specs = [TargetSpec(a, p) for a, p in server.bound]
        started = time.perf_counter()
        results, _ = _scan(specs, RunOptions(concurrency=8))
        assert time.perf_counter() - started < 1.2  # six 0.3 s servers, not one after another
        assert {r.status for r in results} == {"ok"}


def test_a_dropped_connection_is_retried_once() -> None:
    with Responder(drop_first=1) as server:
        address, port = server.bound[0]
        results, scanner = _scan([TargetSpec(address, port)], RunOptions(retry_delay=0.05))
        assert results[0].status == "ok" and results[0].attempts == 2 and scanner.stats.retried == 1
    with Responder(drop_first=1) as server:
        address, port = server.bound[0]
        results, _ = _scan([TargetSpec(address, port)], RunOptions(retries=0))
        # A close with the client's identification unread is a reset or a FIN, as the kernel's timing has it.
        assert results[0].status == "unreachable"
        assert results[0].report.error_kind in ("closed-before-banner", "connection-reset")


def test_rate_limit_spaces_connections() -> None:
    with Responder(ports=[0] * 8) as server:
        specs = [TargetSpec(a, p) for a, p in server.bound]
        started = time.perf_counter()
        _scan(specs, RunOptions(concurrency=8, rate=20))
        assert time.perf_counter() - started >= 7 / 20 - 0.02


def test_targets_are_pulled_as_the_scan_goes() -> None:
    pulled = 0

    def endless() -> Iterator[TargetSpec]:
        nonlocal pulled
        port = free_port()  # nothing listens: each host fails fast
        for i in range(10_000_000):
            pulled += 1
            yield TargetSpec(f"127.0.{i >> 8 & 255}.{i & 255 or 1}", port)

    results, scanner = _scan(endless(), RunOptions(concurrency=8, retries=0), stop_after=300)
    assert scanner.stats.interrupted and len(results) >= 300
    # Read ahead is bounded by the queue and a few batches, not the list.
    assert pulled < 300 + 8 * 2 + 256 * 6, pulled


def test_ctrl_c_ends_cleanly_with_what_finished(tmp_path: Path) -> None:
    with Responder(ports=[0] * 40, delay=0.25, offer=LEGACY) as server:
        targets = tmp_path / "targets"
        targets.write_text("\n".join(server.targets) + "\n")
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT / "src")}
        proc = subprocess.Popen([sys.executable, "-m", "sshdoctor", "scan", "-i", str(targets), "-F", "/dev/null",
                                 "--jsonl", "--concurrency", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env, cwd=ROOT)
        assert proc.stdout is not None
        first = proc.stdout.readline()  # one host finished
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    docs = jsonl(first + rest)
    assert proc.returncode == 130, err
    assert 1 <= len(docs) < 40
    assert all(d["status"] == "fails" for d in docs)
    assert "interrupted after" in err and "Traceback" not in err
    history = subprocess.run([sys.executable, "-m", "sshdoctor", "history", "--json"], capture_output=True, text=True,
                             env=env, cwd=ROOT)
    scans = __import__("json").loads(history.stdout)["scans"]
    assert scans[0]["interrupted"] and scans[0]["hosts"] == len(docs)


def test_results_stream_before_the_scan_ends(run_cli: Callable[..., subprocess.CompletedProcess[str]],
                                             tmp_path: Path) -> None:
    with Responder(ports=[0, 0], delay=0.0) as fast, Responder(delay=2.0) as slow:
        targets = [*fast.targets, *slow.targets]
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT / "src")}
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "sshdoctor", "scan", *targets, "-F", "/dev/null", "--jsonl"],
                                stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        assert proc.stdout is not None
        proc.stdout.readline()
        first_at = time.perf_counter() - started
        proc.communicate(timeout=30)
        total = time.perf_counter() - started
    assert first_at < total - 1.0, (first_at, total)


def test_first_capture_takes_the_waiting_ssh_and_predicts_alike() -> None:
    """The ssh started for the identification string answers the first banner; its KEXINIT is
    the one a fresh ssh sends to that banner, and nothing is left running after the scan."""
    from sshdoctor.local.capture import capture_proposal

    banners = ["SSH-2.0-OpenSSH_5.3", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", "SSH-2.0-dropbear_2022.83"]

    async def scan_side() -> tuple[list[object], bool]:
        client = ClientSide(ClientSpec(config_file="/dev/null"))
        try:
            await client.prepare()
            kept = client._spare is not None
            resolved = client.resolve(TargetSpec("127.0.0.1", 2222))
            got = [await client.proposal(resolved, banner) for banner in banners]
            return got, kept and client._spare is None
        finally:
            await client.close()

    async def fresh() -> list[object]:
        return [(await capture_proposal("127.0.0.1", banner, config_file="/dev/null", port=2222,
                                        options=["UserKnownHostsFile=/dev/null", "GlobalKnownHostsFile=/dev/null"]))[1]
                for banner in banners]

    got, taken = asyncio.run(scan_side())
    assert taken, "the first capture did not take the waiting ssh"
    assert got == asyncio.run(fresh())
    left = subprocess.run(["pgrep", "-f", "sshdoctor-scan-a.invalid"], capture_output=True, text=True)
    assert left.stdout == ""
