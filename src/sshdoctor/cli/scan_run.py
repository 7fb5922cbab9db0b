"""The body of ``sshdoctor scan``: targets to the runner, results to every sink as they arrive."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TextIO

from sshdoctor.cli.common import EXIT_INTERRUPTED, EXIT_USAGE, fail
from sshdoctor.fleet.analysis import HostResult, Observed, resolve_profiles
from sshdoctor.fleet.clientside import ClientSide
from sshdoctor.fleet.dedupe import Deduper
from sshdoctor.fleet.runner import RunOptions, Scanner, ScanStats
from sshdoctor.fleet.summary import ScanSummary
from sshdoctor.fleet.targets import TargetSpec
from sshdoctor.host.examine import ClientSpec

EXIT_LOCAL = 3
EXIT_BROKEN_PIPE = 141  # as a shell reports a process ended by SIGPIPE


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


@dataclass(frozen=True)
class ScanRequest:
    """Everything the command line asked for."""

    targets: tuple[str, ...]
    inputs: tuple[str, ...]
    from_ssh_config: bool
    known_hosts: tuple[str, ...]
    inventories: tuple[str, ...]
    imports: tuple[str, ...]
    port: int | None
    max_cidr: int
    config_file: str | None
    ssh_options: tuple[str, ...]
    profiles: list[str]
    exact: bool
    concurrency: int
    per_server: int
    per_address: bool
    rate: float | None
    retries: int
    timeout: float
    as_json: bool
    as_jsonl: bool
    csv_path: str | None
    html_path: str | None
    config_out: str | None
    db_path: str | None
    no_history: bool
    show_diff: bool
    show_all: bool
    progress: bool
    command: str = "sshdoctor scan"


def _items(request: ScanRequest) -> Iterator[TargetSpec | Observed]:
    """Every source in turn, duplicates merged (a bad line always passes)."""
    from sshdoctor.fleet import targets as t

    def sources() -> Iterator[TargetSpec | Observed]:
        yield from t.from_arguments(request.targets, port=request.port, limit=request.max_cidr)
        for path in request.inputs:
            yield from t.from_file(path, port=request.port, limit=request.max_cidr)
        if request.from_ssh_config:
            yield from t.ssh_config_aliases(request.config_file)
        for path in request.known_hosts:
            yield from t.known_hosts_targets(path)
        for path in request.inventories:
            yield from t.ansible_targets(path)
        if request.imports:
            from sshdoctor.fleet.importers import read_any

            for path in request.imports:
                yield from read_any(path)

    seen = Deduper()
    try:
        for item in sources():
            spec = item.spec if isinstance(item, Observed) else item
            if spec.error is not None or seen.add(spec.key):
                yield item
    finally:
        seen.close()


class _Sinks:
    """Where each result goes: history, JSON lines, CSV, the summary, the retained list."""

    def __init__(self, request: ScanRequest, profile_ids: list[str], client_label: str) -> None:
        self.request = request
        self.summary = ScanSummary(show_all=request.show_all)
        self.retained: list[HostResult] = []
        self.keep = request.as_json or bool(request.html_path)
        self.broken_pipe = False
        self.history: Any = None
        self.scan_id = 0
        self.csv: Any = None
        self._csv_file: TextIO | None = None
        self.lines: Any = None
        if request.as_jsonl:
            from sshdoctor.report.jsonlines import SharedParts

            self.lines = SharedParts()
        if request.csv_path:
            from sshdoctor.report.csvout import CsvWriter

            try:
                self._csv_file = open(request.csv_path, "w", newline="", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                fail(f"cannot write {request.csv_path}: {exc.strerror}", EXIT_USAGE)
            self.csv = CsvWriter(self._csv_file, profile_ids)
        if not request.no_history:
            from sshdoctor.fleet.history import History, HistoryError

            try:
                self.history = History(request.db_path)
            except HistoryError as exc:
                fail(str(exc), EXIT_LOCAL)
            self.scan_id = self.history.begin_scan(request.command, client_label)

    def take(self, result: HostResult, *, more: bool = False) -> HostResult:
        """Record one result in every sink; ``more`` says another is ready now (flush later)."""
        if self.history is not None and result.status != "invalid":
            from sshdoctor.fleet.history import compare

            record = self.history.add(self.scan_id, result)
            if self.request.show_diff:
                previous = self.history.previous(record.host, record.port, self.scan_id)
                diff = compare(previous, record)
                result = replace(result, diff={**diff.as_dict(), "lines": diff.lines()})
        if self.request.as_jsonl:
            from sshdoctor.report.jsonlines import emit_line

            emit_line(self.lines.line(result.parts()), flush=not more)
        if self.csv is not None:
            self.csv.write(result)
        self.summary.add(result)
        if self.keep:
            self.retained.append(result)
        return result

    def close(self, stats: ScanStats) -> None:
        if self.history is not None:
            self.history.finish_scan(self.scan_id, stats.done, stats.interrupted)
            self.history.close()
        if self._csv_file is not None:
            self._csv_file.close()


async def _scan(request: ScanRequest, items: Iterable[TargetSpec | Observed]) -> tuple[Scanner, _Sinks, str]:
    client = ClientSide(ClientSpec(config_file=request.config_file, options=request.ssh_options), exact=request.exact)
    try:
        await client.prepare()
        return await _scan_with(request, items, client)
    finally:
        await client.close()


async def _scan_with(request: ScanRequest, items: Iterable[TargetSpec | Observed],
                     client: ClientSide) -> tuple[Scanner, _Sinks, str]:
    label = client.label_text() if client.available else f"no local ssh ({client.note})"
    profiles = resolve_profiles(request.profiles)
    options = RunOptions(concurrency=request.concurrency, per_server=request.per_server, timeout=request.timeout,
                         retries=request.retries, rate=request.rate, by_address=request.per_address)
    scanner = Scanner(client, options, profiles)
    sinks = _Sinks(request, [p.id for p in profiles], label)
    loop = asyncio.get_running_loop()

    def interrupt() -> None:
        scanner.stop()
        # A second Ctrl-C falls through to Python's default handling.
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGINT)

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, interrupt)
    show_progress = request.progress and not (request.as_json or request.as_jsonl) and sys.stderr.isatty()
    bar: Any = None
    task: Any = None
    if show_progress:
        from sshdoctor.report.scan_view import progress

        bar = progress()
        bar.start()
        task = bar.add_task("scan", total=None, detail="")
    try:
        async for result in scanner.run(items):
            try:
                sinks.take(result, more=scanner.has_ready())
            except BrokenPipeError:
                # The reader went away (``| head``): stop quietly, as a pipeline expects.
                sinks.broken_pipe = True
                scanner.stop()
                break
            if bar is not None:
                counts = sinks.summary.statuses
                detail = f"{counts.get('ok', 0)} ok · {counts.get('fails', 0)} fail · {counts.get('unreachable', 0)} unreachable"
                bar.update(task, advance=1, detail=detail)
    finally:
        if bar is not None:
            bar.stop()
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGINT)
        sinks.close(scanner.stats)
    return scanner, sinks, label


def run_scan(request: ScanRequest) -> int:
    """Run the scan and write every report; returns the exit status."""
    # asyncio's own loop: uvloop runs the scan faster, but its process spawning races with the
    # ssh runs of worker threads (an intermittent EBADF, uvloop issues #414, #508), so it is not used.
    scanner, sinks, label = asyncio.run(_scan(request, _items(request)))
    stats = scanner.stats
    if sinks.broken_pipe:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    summary = sinks.summary
    fragment = summary.grouping.fragment(client=label)
    if request.config_out:
        try:
            with open(request.config_out, "w", encoding="utf-8") as fh:
                fh.write(fragment)
        except OSError as exc:
            fail(f"cannot write {request.config_out}: {exc.strerror}", EXIT_LOCAL)
    profile_ids = [p.id for p in resolve_profiles(request.profiles)]
    if request.html_path:
        from sshdoctor.report.html import render_html

        page = render_html(sinks.retained, stats=stats, client=label, fragment=fragment, profile_ids=profile_ids,
                           unfixable=summary.grouping.unfixable)
        try:
            with open(request.html_path, "w", encoding="utf-8") as fh:
                fh.write(page)
        except OSError as exc:
            fail(f"cannot write {request.html_path}: {exc.strerror}", EXIT_LOCAL)
    if request.as_json:
        from sshdoctor.report.jsonout import emit

        emit({
            "scan": {**stats.as_dict(), "id": sinks.scan_id or None, "client": label},
            "hosts": [r.as_dict() for r in sinks.retained],
            "groups": summary.grouping.as_dict(),
            "ssh_config": fragment,
        })
    elif request.as_jsonl:
        if stats.interrupted:
            sys.stderr.write(f"sshdoctor: interrupted after {stats.done} host(s)\n")
    else:
        from sshdoctor.report.scan_view import render_summary

        render_summary(summary, stats, fragment=fragment, client=label)
    if stats.error:
        fail(f"target list: {stats.error}", EXIT_USAGE)
    if stats.interrupted:
        return EXIT_INTERRUPTED
    problems = sum(n for status, n in summary.statuses.items() if status != "ok")
    return 1 if problems else 0
