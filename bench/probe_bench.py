"""Benchmark for issue 2: `sshdoctor probe` against ssh-audit and nmap's
ssh2-enum-algos on the same local sshd, plus process start-up.

Run: python bench/probe_bench.py [--runs N]  (from a regular install: see bench/README.md)
Prints medians of wall and CPU time per tool, the ratios peer/sshdoctor
(> 1 means sshdoctor is faster) and the machine's load average before and
after. Targets (issue 10): at least 3x faster than ssh-audit and 2x faster
than nmap in wall time, no more CPU than either; `sshdoctor --version` and
`--help` under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SSHDOCTOR, Timing, have, run_timed
from sshdoctor.lab.sshd import Sshd, sshd_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if sshd_path() is None:
        print("sshd is not installed (apt-get install openssh-server)")
        return 2
    with Sshd() as server:
        tools: list[tuple[Timing, list[str], tuple[int, ...]]] = [
            (Timing("sshdoctor probe --json"), [*SSHDOCTOR, "probe", "--json", server.target], (0, 1)),
        ]
        if have("ssh-audit"):
            tools.append((Timing("ssh-audit"), ["ssh-audit", "-n", server.target], (0, 1, 2, 3)))
        else:
            print("ssh-audit not installed (pip install ssh-audit): skipped")
        if have("nmap"):
            nmap = ["nmap", "-sT", "-Pn", "-n", "-p", str(server.port), "--script", "ssh2-enum-algos", server.host]
            tools.append((Timing("nmap ssh2-enum-algos"), nmap, (0,)))
        else:
            print("nmap not installed (apt-get install nmap): skipped")
        startup = Timing("sshdoctor --version")
        helped = Timing("sshdoctor --help")
        load_before = os.getloadavg()
        # Warm-up: the first sshdoctor run fills its caches (ssh -Q, parsed catalog).
        run_timed([*SSHDOCTOR, "probe", "--json", server.target], Timing("warm-up"), (0, 1))
        for _ in range(args.runs):
            for timing, cmd, ok in tools:  # interleaved so load affects all alike
                run_timed(cmd, timing, ok)
            run_timed([*SSHDOCTOR, "--version"], startup)
            run_timed([*SSHDOCTOR, "--help"], helped)
        load_after = os.getloadavg()
    ours = tools[0][0]
    print(f"probe of one local sshd ({server.banner}), {args.runs} runs each, interleaved, medians; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after ({os.cpu_count()} CPUs)")
    print(f"{'tool':<26}{'wall ms':>10}{'cpu ms':>10}{'peer/ours wall':>16}{'peer/ours cpu':>15}{'fail':>6}")
    for timing, _cmd, _ok in tools:
        print(
            f"{timing.name:<26}{timing.wall_median * 1000:>10.1f}{timing.cpu_median * 1000:>10.1f}"
            f"{timing.wall_median / ours.wall_median:>16.2f}{timing.cpu_median / ours.cpu_median:>15.2f}{timing.failures:>6}"
        )
    for timing in (startup, helped):
        print(f"{timing.name:<26}{timing.wall_median * 1000:>10.1f}{timing.cpu_median * 1000:>10.1f}   target < 100 ms wall")
    verdicts = [f"{t.name} {'OK' if t.wall_median < 0.100 else 'MISSED'}" for t in (startup, helped)]
    wanted = {"ssh-audit": 3.0, "nmap ssh2-enum-algos": 2.0}
    for timing, _cmd, _ok in tools[1:]:
        ratio = timing.wall_median / ours.wall_median
        need = wanted.get(timing.name, 1.0)
        cpu_ok = ours.cpu_median <= timing.cpu_median
        verdicts.append(f"vs {timing.name}: {ratio:.2f}x wall (target {need:g}x) {'OK' if ratio >= need else 'MISSED'}, "
                        f"cpu {'OK' if cpu_ok else 'MISSED'}")
    print("; ".join(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
