"""Benchmark of ``sshdoctor explain``.

(a) one message explained cold, process start to exit, many times: median
and its ratio to ``python -c pass`` (target: under 200 ms);
(b) a generated auth.log (default 1 GB; ``--size 100M`` for a quick run)
summarised: throughput (target: 50 MB/s or more) and peak RSS of the child
(target: under 200 MB), with ``grep -c 'Unable to negotiate'`` on the same
file timed in the same run as the floor.

    python bench/explain_bench.py [--size 1G] [--runs 20] [--keep FILE]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MESSAGE = ("Unable to negotiate with 10.0.0.7 port 22: no matching key exchange method found. "
           "Their offer: diffie-hellman-group1-sha1,diffie-hellman-group14-sha1")


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    if text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def timed(argv: list[str], *, stdout: int | None = subprocess.DEVNULL) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=stdout, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def cold_start(runs: int) -> None:
    base = [timed([sys.executable, "-c", "pass"]) for _ in range(runs)]
    cmd = [sys.executable, "-m", "sshdoctor", "explain", MESSAGE]
    timed(cmd)  # page cache warm-up, as a user's second run would be
    ours = [timed(cmd) for _ in range(runs)]
    b, o = statistics.median(base), statistics.median(ours)
    print(f"(a) explain one message, cold process: median {o * 1000:.0f} ms over {runs} runs "
          f"(python -c pass: {b * 1000:.0f} ms, ratio {o / b:.1f}x; target < 200 ms: {'ok' if o < 0.2 else 'MISSED'})")


_PREFIXES = ("Accepted publickey for deploy from {ip} port {port} ssh2: ED25519 SHA256:{fp}",
             "pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
             "pam_unix(sshd:session): session closed for user deploy",
             "Received disconnect from {ip} port {port}:11: disconnected by user",
             "Disconnected from user deploy {ip} port {port}",
             "Failed password for invalid user admin from {ip} port {port} ssh2",
             "Invalid user admin from {ip} port {port}",
             "Connection closed by authenticating user root {ip} port {port} [preauth]",
             "Server listening on 0.0.0.0 port 22.")
_NEGOTIATION = (
    "Unable to negotiate with {ip} port {port}: no matching host key type found. Their offer: ssh-rsa,ssh-dss [preauth]",
    "Unable to negotiate with {ip} port {port}: no matching key exchange method found. Their offer: "
    "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1 [preauth]",
    "Unable to negotiate with {ip} port {port}: no matching cipher found. Their offer: aes128-cbc,3des-cbc [preauth]",
)


def generate(path: Path, size: int) -> None:
    """Mixed sshd lines in syslog format, about 5 % negotiation failures from many addresses."""
    rng = random.Random(7)
    block_lines = []
    for i in range(20000):
        ip = f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        port = rng.randrange(1024, 65535)
        template = rng.choice(_NEGOTIATION) if rng.random() < 0.05 else rng.choice(_PREFIXES)
        body = template.format(ip=ip, port=port, fp="x" * 43)
        block_lines.append(f"Mar {1 + i % 28:2d} 10:{i % 60:02d}:{(i * 7) % 60:02d} gw sshd[{1000 + i}]: {body}\n")
    block = "".join(block_lines).encode()
    with open(path, "wb") as fh:
        written = 0
        while written < size:
            chunk = block[: size - written]
            fh.write(chunk)
            written += len(chunk)


def log_summary(size: int, keep: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(keep) if keep else Path(tmp) / "auth.log"
        if not path.exists() or path.stat().st_size != size:
            t = time.perf_counter()
            generate(path, size)
            print(f"generated {size / 1e6:.0f} MB auth.log in {time.perf_counter() - t:.1f} s")
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=False)  # page cache: both read warm
        grep_s = timed(["grep", "-c", "Unable to negotiate", str(path)])
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ours_s = timed([sys.executable, "-m", "sshdoctor", "explain", "--log", "--json", "--file", str(path)])
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        mb = size / 1e6
        rate = mb / ours_s
        print(f"(b) summarise {mb:.0f} MB auth.log: {ours_s:.1f} s = {rate:.0f} MB/s "
              f"(target >= 50 MB/s: {'ok' if rate >= 50 else 'MISSED'}); "
              f"grep -c 'Unable to negotiate': {grep_s:.2f} s = {mb / grep_s:.0f} MB/s; ratio {ours_s / grep_s:.1f}x grep")
        rss = peak_kb / 1024
        note = "" if peak_kb > before else " (the largest child so far was an earlier one)"
        print(f"    peak RSS of the largest child: {rss:.0f} MB (target < 200 MB: {'ok' if rss < 200 else 'MISSED'}){note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1G", help="size of the generated auth.log (e.g. 100M, 1G)")
    parser.add_argument("--runs", type=int, default=20, help="runs of the cold-start measurement")
    parser.add_argument("--keep", help="generate the log at this path and keep it (reused if the size matches)")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "0")
    cold_start(args.runs)
    log_summary(parse_size(args.size), args.keep)


if __name__ == "__main__":
    main()
