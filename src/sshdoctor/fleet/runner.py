"""The concurrent scan: targets in, one :class:`HostResult` per host out, as each finishes.

- at most ``concurrency`` hosts in flight, and at most ``per_server``
  connections at a time to one server (address and port), so servers that
  limit unauthenticated connections (MaxStartups) or penalise them
  (OpenSSH 9.8+ PerSourcePenalties) never see a burst from the scanner;
- every network step bounded by ``timeout``; one retry (by default) after a
  transient failure (timeout, reset, closed before the identification
  string: what a full MaxStartups queue looks like);
- an optional global rate of new connections per second;
- targets read by a thread into a bounded queue, so a list of any length
  (standard input included) is consumed as the scan goes;
- :meth:`Scanner.stop` (Ctrl-C) ends the scan at once: results already
  finished are still delivered, the rest abandoned.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sshdoctor.catalog.profiles import Profile
from sshdoctor.catalog.software import identify
from sshdoctor.fleet.analysis import (
    FixNeeded,
    HostResult,
    Observed,
    audit_summary,
    invalid_result,
    plan_fix,
    profile_outcomes,
)
from sshdoctor.fleet.clientside import ClientSide, Resolved
from sshdoctor.fleet.targets import TargetError, TargetSpec
from sshdoctor.host.examine import examine_resolved
from sshdoctor.local.errors import LocalError
from sshdoctor.model import Banner, HostReport, Outcome, Proposal, Target
from sshdoctor.negotiate import negotiate
from sshdoctor.wire.address import ip_family
from sshdoctor.wire.errors import ProbeError, ResolveError
from sshdoctor.wire.probe import probe

# Failures worth one more try: the server or the path was busy, not absent.
TRANSIENT = frozenset(
    {"connect-timeout", "connection-reset", "closed-before-banner", "banner-timeout", "kexinit-timeout",
     "closed-after-banner", "probe-failed"}
)
_BATCH = 256


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How hard to push: concurrency, politeness, timeouts, retries, rate."""

    concurrency: int = 64
    per_server: int = 1
    timeout: float = 5.0
    retries: int = 1
    retry_delay: float = 1.0
    rate: float | None = None
    by_address: bool = False  # gate per address, not per (address, port)


@dataclass
class ScanStats:
    """What a scan did, for the summary (also of an interrupted scan)."""

    started: float = field(default_factory=time.time)
    finished: float | None = None
    done: int = 0
    retried: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False
    error: str | None = None

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started

    def as_dict(self) -> dict[str, object]:
        return {
            "hosts": self.done,
            "statuses": dict(self.statuses),
            "retried": self.retried,
            "interrupted": self.interrupted,
            "seconds": round(self.elapsed, 3),
            "error": self.error,
        }


class _Gates:
    """One semaphore per server, created on demand and dropped when idle,
    so memory follows the hosts in flight, not the hosts seen."""

    def __init__(self, per_server: int) -> None:
        self.per_server = per_server
        self._gates: dict[tuple[str, int], list[Any]] = {}

    async def acquire(self, key: tuple[str, int]) -> None:
        """Wait for a free slot on this server (pair with :meth:`release`; a plain pair of calls,
        not a context manager, costs a scan less per host)."""
        entry = self._gates.get(key)
        if entry is None:
            entry = [asyncio.Semaphore(self.per_server), 0]
            self._gates[key] = entry
        entry[1] += 1
        try:
            await entry[0].acquire()
        except BaseException:
            self._drop(key, entry)
            raise

    def release(self, key: tuple[str, int]) -> None:
        entry = self._gates[key]
        entry[0].release()
        self._drop(key, entry)

    def _drop(self, key: tuple[str, int], entry: list[Any]) -> None:
        entry[1] -= 1
        if entry[1] == 0:
            del self._gates[key]

    @contextlib.asynccontextmanager
    async def hold(self, key: tuple[str, int]) -> AsyncIterator[None]:
        await self.acquire(key)
        try:
            yield
        finally:
            self.release(key)

    def __len__(self) -> int:
        return len(self._gates)


class _Rate:
    """Spaces connection starts ``1/rate`` seconds apart."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self.next)
        self.next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


_DONE = object()
_STOP = object()


class Scanner:
    """Run a scan; iterate :meth:`run` for results as they finish."""

    def __init__(self, client: ClientSide, options: RunOptions | None = None, profiles: Sequence[Profile] = ()) -> None:
        self.client = client
        self.options = options or RunOptions()
        self.profiles = list(profiles)
        self.stats = ScanStats()
        self._gates = _Gates(self.options.per_server)
        self._rate = _Rate(self.options.rate) if self.options.rate else None
        self._tasks: list[asyncio.Task[Any]] = []
        self._out: asyncio.Queue[Any] | None = None
        self._thread_stop = threading.Event()
        self._plans: dict[tuple[Any, ...], FixNeeded] = {}
        self._outcomes: dict[tuple[Proposal, Proposal, str], Outcome] = {}
        self._softwares: dict[str, dict[str, object]] = {}
        self.in_flight = 0
        self._ready = 0  # results in the output queue, not yet taken

    # ---- control ---------------------------------------------------------

    def stop(self) -> None:
        """End the scan now; results already finished are still delivered."""
        if self.stats.interrupted:
            return
        self.stats.interrupted = True
        self._thread_stop.set()
        for task in self._tasks:
            task.cancel()
        if self._out is not None:
            self._out.put_nowait(_STOP)

    def has_ready(self) -> bool:
        """Whether another result is waiting to be taken (a burst of finished hosts; the queue's
        end-of-work markers do not count)."""
        return self._ready > 0

    async def run(self, items: Iterable[TargetSpec | Observed]) -> AsyncIterator[HostResult]:
        """Scan every target (or analyse every observation), yielding results as they finish."""
        work: asyncio.Queue[Any] = asyncio.Queue(maxsize=self.options.concurrency * 2)
        out: asyncio.Queue[Any] = asyncio.Queue()
        self._out = out
        feeder = asyncio.create_task(self._feed(iter(items), work))
        workers = [asyncio.create_task(self._work(work, out)) for _ in range(self.options.concurrency)]
        self._tasks = [feeder, *workers]
        remaining = len(workers)
        try:
            while remaining:
                item = await out.get()
                if item is _STOP:
                    break
                if item is _DONE:
                    remaining -= 1
                    continue
                self._ready -= 1
                self.stats.done += 1
                self.stats.statuses[item.status] += 1
                yield item
        finally:
            self._thread_stop.set()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self.stats.finished = time.time()

    # ---- feeding ---------------------------------------------------------

    async def _feed(self, items: Iterator[TargetSpec | Observed], work: asyncio.Queue[Any]) -> None:
        """Pull targets through a daemon thread (reading may block: stdin, a slow disk)."""
        loop = asyncio.get_running_loop()
        batches: asyncio.Queue[Any] = asyncio.Queue()
        # At most four batches on their way: the thread waits for a slot, the loop frees one per
        # batch taken. A plain callback hands each over (a coroutine scheduled from the thread would
        # be left never awaited when the scan ends first).
        slots = threading.Semaphore(4)

        def pump() -> None:
            def put(value: Any) -> bool:
                while not self._thread_stop.is_set():
                    if slots.acquire(timeout=0.2):
                        try:
                            loop.call_soon_threadsafe(batches.put_nowait, value)
                        except RuntimeError:  # the loop closed: the scan is over
                            return False
                        return True
                return False

            try:
                while not self._thread_stop.is_set():
                    batch = list(islice(items, _BATCH))
                    if not batch or not put(batch):
                        break
                put(None)
            except (TargetError, LocalError, OSError, ValueError) as exc:
                put(exc)
            except RuntimeError:  # the loop closed under us: the scan is over
                pass

        threading.Thread(target=pump, name="sshdoctor-targets", daemon=True).start()
        while True:
            batch = await batches.get()
            slots.release()
            if batch is None:
                break
            if isinstance(batch, Exception):
                self.stats.error = str(getattr(batch, "message", None) or batch)
                break
            for item in batch:
                await work.put(item)
        for _ in range(self.options.concurrency):
            await work.put(_DONE)

    async def _work(self, work: asyncio.Queue[Any], out: asyncio.Queue[Any]) -> None:
        try:
            while True:
                item = await work.get()
                if item is _DONE:
                    break
                self.in_flight += 1
                try:
                    result = await self._one(item)
                finally:
                    self.in_flight -= 1
                self._ready += 1
                out.put_nowait(result)
        finally:
            out.put_nowait(_DONE)

    # ---- one host --------------------------------------------------------

    async def _one(self, item: TargetSpec | Observed) -> HostResult:
        started = time.perf_counter()
        if isinstance(item, Observed):
            result = await self._observed(item)
        elif item.error is not None:
            return invalid_result(item)
        elif self.client.exact and self.client.available:
            result = await self._exact(item)
        else:
            result = await self._probed(item)
        # The result was built just now and is not yet shared: its frozen field is set in place,
        # as a dataclass's own __init__ does (a copy per host costs a scan more).
        object.__setattr__(result, "elapsed", time.perf_counter() - started)
        return result

    async def _resolve(self, spec: TargetSpec) -> Resolved:
        fast = self.client.resolve_fast(spec)
        if fast is not None:
            return fast
        return await asyncio.to_thread(self.client.resolve_slow, spec)

    async def _address(self, target: Target) -> str:
        host = target.host
        if ip_family(host) is not None:
            return host
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.options.timeout):
                infos = await loop.getaddrinfo(host, target.port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise ResolveError(f"resolving {host!r} timed out") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise ResolveError(f"could not resolve hostname {host}: {getattr(exc, 'strerror', exc)}") from None
        if not infos:
            raise ResolveError(f"no address for {host}")
        return str(infos[0][4][0])

    async def _probed(self, spec: TargetSpec) -> HostResult:
        try:
            resolved = await self._resolve(spec)
        except LocalError as exc:
            report = HostReport(target=Target(spec.host, spec.port or 22, alias=spec.label), error=exc.message,
                                error_kind=exc.kind, exit_code=exc.exit_code)
            return HostResult(spec=spec, report=report, attempts=0)
        target = resolved.target
        attempts = 0
        while True:
            attempts += 1
            try:
                address = await self._address(target)
                gate = (address, 0 if self.options.by_address else target.port)
                await self._gates.acquire(gate)
                try:
                    if self._rate is not None:
                        await self._rate.wait()
                    result = await self._probe_once(address, target.port)
                finally:
                    self._gates.release(gate)
                break
            except ProbeError as exc:
                if exc.kind in TRANSIENT and attempts <= self.options.retries:
                    self.stats.retried += 1
                    await asyncio.sleep(self.options.retry_delay)
                    continue
                report = HostReport(target=target, error=exc.message, error_kind=exc.kind, exit_code=exc.exit_code)
                return HostResult(spec=spec, report=report, attempts=attempts)
        address, banner, offer, timings = result
        return await self._analysed(spec, resolved, address, banner, offer, timings, attempts, "probe")

    async def _probe_once(self, address: str, port: int) -> tuple[str, Any, Proposal, dict[str, float]]:
        # No outer deadline: each of the probe's phases (connect, identification, KEXINIT) is bounded
        # by the timeout, and the identification presented is already known.
        try:
            found = await probe(Target(address, port), timeout=self.options.timeout, ident=self.client.ident)
        except OSError as exc:
            raise ProbeError(f"{address} port {port}: {exc.strerror or exc}") from None
        return found.address, found.banner, found.proposal, found.timings

    async def _analysed(self, spec: TargetSpec, resolved: Resolved, address: str | None, banner: Any,
                        offer: Proposal, timings: dict[str, float], attempts: int, source: str) -> HostResult:
        note: str | None = None
        proposal: Proposal | None = None
        try:
            proposal = await self.client.proposal(resolved, banner.raw if banner is not None else None)
        except LocalError as exc:
            note = exc.message
        if proposal is None and note is None:
            note = self.client.note or "no local ssh: negotiation not predicted"
        outcome = self._negotiate(proposal, offer, self.client.label(resolved)) if proposal is not None else None
        report = HostReport(
            target=resolved.target,
            address=address,
            banner=banner,
            software=self._software(banner) if banner is not None else None,
            offer=offer,
            client_proposal=proposal,
            client_ident=self.client.ident if proposal is not None else None,
            outcome=outcome,
            error=note if outcome is None else None,
            error_kind=None if outcome is not None else "not-predicted",
            timings=timings,
        )
        fix = None
        if outcome is not None and proposal is not None:
            fix = self._fix(resolved, offer, proposal, banner) if not outcome.ok else FixNeeded(needed=False, works=True)
        return HostResult(
            spec=spec,
            report=report,
            fix=fix,
            audit=audit_summary(banner.raw if banner is not None else None, offer),
            profiles=profile_outcomes(self.profiles, offer),
            attempts=attempts,
            source=source,
        )

    def _software(self, banner: Banner) -> dict[str, object]:
        # One dict per banner, so the JSON lines encode it once (by identity); nothing changes it.
        found = self._softwares.get(banner.raw)
        if found is None:
            if len(self._softwares) > 4096:
                self._softwares.clear()
            found = self._softwares[banner.raw] = identify(banner).as_dict()
        return found

    def _negotiate(self, proposal: Proposal, offer: Proposal, label: str) -> Outcome:
        # A fleet repeats a few offers many times: negotiate each pairing once.
        key = (proposal, offer, label)
        found = self._outcomes.get(key)
        if found is None:
            if len(self._outcomes) > 4096:
                self._outcomes.clear()
            found = self._outcomes[key] = negotiate(proposal, offer, client_label=label)
        return found

    def _fix(self, resolved: Resolved, offer: Proposal, proposal: Proposal, banner: Banner | None) -> FixNeeded:
        ctx_key = resolved.context.key if resolved.context is not None else ()
        software = identify(banner) if banner is not None else None
        who = (software.product, software.version) if software is not None else ("unknown", None)
        key = (offer, proposal, ctx_key, who)
        found = self._plans.get(key)
        if found is None:
            model = self.client.model(resolved, proposal)
            found = plan_fix(offer, model, who) if model is not None else FixNeeded(needed=True, works=False)
            if len(self._plans) > 4096:
                self._plans.clear()
            self._plans[key] = found
        return found

    async def _exact(self, spec: TargetSpec) -> HostResult:
        """Full per-host examination (``ssh -G`` and a capture for each host)."""
        attempts = 0
        while True:
            attempts += 1
            key = (spec.host.lower(), spec.port or 22)
            async with self._gates.hold(key):
                if self._rate is not None:
                    await self._rate.wait()
                try:
                    examined = await examine_resolved(spec.host, port=spec.port, timeout=self.options.timeout,
                                                      client=self.client.client)
                except LocalError as exc:
                    report = HostReport(target=Target(spec.host, spec.port or 22), error=exc.message,
                                        error_kind=exc.kind, exit_code=exc.exit_code)
                    return HostResult(spec=spec, report=report, attempts=attempts)
            report = examined.report
            if report.offer is None and report.error_kind in TRANSIENT and attempts <= self.options.retries:
                self.stats.retried += 1
                await asyncio.sleep(self.options.retry_delay)
                continue
            break
        if report.offer is None:
            return HostResult(spec=spec, report=report, attempts=attempts)
        fix = None
        if report.outcome is not None and report.client_proposal is not None and examined.effective is not None:
            from sshdoctor.local.clientmodel import client_model

            if report.outcome.ok:
                fix = FixNeeded(needed=False, works=True)
            else:
                product = report.software or {}
                fix = plan_fix(report.offer, client_model(examined.effective, report.client_proposal),
                               (str(product.get("product", "unknown")), product.get("version")))  # type: ignore[arg-type]
        return HostResult(
            spec=spec,
            report=report,
            fix=fix,
            audit=audit_summary(report.banner.raw if report.banner else None, report.offer),
            profiles=profile_outcomes(self.profiles, report.offer),
            attempts=attempts,
        )

    async def _observed(self, item: Observed) -> HostResult:
        spec = item.spec
        if item.offer is None:
            report = HostReport(target=Target(spec.host, spec.port or 22, alias=spec.label), address=item.address,
                                banner=item.banner, error=item.error or "no algorithms recorded", error_kind="imported-error")
            return HostResult(spec=spec, report=report, attempts=0, source=item.source)
        try:
            resolved = await self._resolve(spec)
        except LocalError:
            resolved = Resolved(spec, Target(spec.host, spec.port or 22, alias=spec.label), spec.host, spec.port, None)
        return await self._analysed(spec, resolved, item.address, item.banner, item.offer, {}, 0, item.source)
