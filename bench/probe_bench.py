"""Benchmark for issue 2: `sshdoctor probe` against ssh-audit and nmap's
ssh2-enum-algos on the same local sshd, plus process start-up.

Run: python bench/probe_bench.py [--runs N]  (from a regular install: see bench/README.md)
Prints medians of wall and CPU time per tool and the ratios peer/sshdoctor
(> 1 means sshdoctor is faster). Targets: faster than both peers; start-up
(`sshdoctor --version`) under 150 ms.
"""

from __future__ import annotations

import argparse
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
        # Warm-up: the first sshdoctor run fills its caches (ssh -Q, parsed catalog).
        run_timed([*SSHDOCTOR, "probe", "--json", server.target], Timing("warm-up"), (0, 1))
        for _ in range(args.runs):
            for timing, cmd, ok in tools:  # interleaved so load affects all alike
                run_timed(cmd, timing, ok)
            run_timed([*SSHDOCTOR, "--version"], startup)
    ours = tools[0][0]
    print(f"probe of one local sshd (OpenSSH {server.banner}), {args.runs} runs each, medians")
    print(f"{'tool':<26}{'wall ms':>10}{'cpu ms':>10}{'peer/ours wall':>16}{'peer/ours cpu':>15}{'fail':>6}")
    for timing, _cmd, _ok in tools:
        print(
            f"{timing.name:<26}{timing.wall_median * 1000:>10.1f}{timing.cpu_median * 1000:>10.1f}"
            f"{timing.wall_median / ours.wall_median:>16.2f}{timing.cpu_median / ours.cpu_median:>15.2f}{timing.failures:>6}"
        )
    print(f"{startup.name:<26}{startup.wall_median * 1000:>10.1f}{startup.cpu_median * 1000:>10.1f}   target < 150 ms wall")
    verdicts = [f"start-up {'OK' if startup.wall_median < 0.150 else 'MISSED'}"]
    for timing, _cmd, _ok in tools[1:]:
        faster = ours.wall_median < timing.wall_median and ours.cpu_median < timing.cpu_median
        verdicts.append(f"vs {timing.name}: {'faster' if faster else 'NOT faster'} (wall and cpu)")
    print("; ".join(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
