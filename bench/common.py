"""Helpers shared by the benchmarks: timing child processes (wall and CPU)."""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# The console script of the environment running the bench: sshdoctor as a user runs it, not python -m.
_SCRIPT = Path(sys.executable).with_name("sshdoctor")
SSHDOCTOR = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "sshdoctor"]


@dataclass
class Timing:
    """Repeated runs of one command."""

    name: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_rss_kb: int = 0
    failures: int = 0

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall) if self.wall else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")


def run_timed(cmd: Sequence[str], timing: Timing, ok_codes: Sequence[int] = (0,)) -> subprocess.CompletedProcess[bytes]:
    """Run a command once, adding its wall and CPU time (user+sys of the child) to ``timing``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(list(cmd), stdin=subprocess.DEVNULL, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    timing.wall.append(wall)
    timing.cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    timing.peak_rss_kb = max(timing.peak_rss_kb, after.ru_maxrss)
    if proc.returncode not in ok_codes:
        timing.failures += 1
    return proc


def have(binary: str) -> bool:
    return shutil.which(binary) is not None
