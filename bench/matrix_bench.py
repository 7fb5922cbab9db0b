"""Benchmark for issue 5: a compatibility matrix of 10,000 host offers x 60
client profiles (600,000 negotiations) with ``negotiate.matrix``.

Run: python bench/matrix_bench.py [--hosts N] [--clients N] [--runs N] [--sample N] [--seed N]

Host offers are drawn from the catalog's server profiles, each category's
default list randomly edited the way administrators do (names removed,
legacy names from the release's supported set added, order shuffled).
Client proposals are client-capable profiles (spread evenly over the
catalog when it has more than asked for); when it has fewer, the rest are
profiles edited like user configurations
(``Ciphers -*-cbc``, ``KexAlgorithms +…``) through the one ``+ - ^``
implementation. The figure is the median wall time of ``negotiate_matrix``
(interning, matrices, picks: everything from Proposal objects to the
result), against a plain loop of ``negotiate()`` over a random sample of
pairs, extrapolated to the whole matrix, measured in the same run. Every
sampled pair is also checked to be equal between the two. A second line
repeats the matrix with 1% of hosts sending different lists in the two
directions, which turns off the sharing of work between directions.
Target: under 2 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sshdoctor.catalog.profiles import Profile, Side, all_profiles
from sshdoctor.model import Category, Proposal, Slot
from sshdoctor.negotiate import apply_modifier, negotiate
from sshdoctor.negotiate.listmod import ListSyntaxError
from sshdoctor.negotiate.matrix import NegotiationMatrix, negotiate_matrix

TARGET_SECONDS = 2.0
_EDITABLE = (Category.KEX, Category.HOSTKEY, Category.CIPHER, Category.MAC)


def _edited_list(rng: random.Random, default: tuple[str, ...], supported: tuple[str, ...]) -> tuple[str, ...]:
    """A server administrator's version of a default list."""
    names = list(default)
    roll = rng.random()
    if roll < 0.45 or not names:
        return tuple(names)
    if roll < 0.7 and len(names) > 1:  # hardened: some names removed
        keep = rng.randint(1, len(names) - 1)
        kept = set(rng.sample(names, keep))
        return tuple(n for n in names if n in kept)
    extra = [n for n in supported if n not in names]
    if roll < 0.9 and extra:  # legacy names re-enabled, at the end or the front
        added = rng.sample(extra, rng.randint(1, min(3, len(extra))))
        return tuple(names + added) if rng.random() < 0.7 else tuple(added + names)
    rng.shuffle(names)
    return tuple(names)


def make_hosts(rng: random.Random, count: int, asymmetric: float = 0.0) -> list[Proposal]:
    servers = [p for p in all_profiles().values() if p.server is not None]
    hosts = []
    for _ in range(count):
        prof = rng.choice(servers)
        side = prof.server
        assert side is not None
        lists = {
            c: _edited_list(rng, side.lists.get(c, ()), prof.supported.lists.get(c, ())) if c in _EDITABLE
            else side.lists.get(c, ())
            for c in Category
        }
        host = Side(lists=lists, pseudo=side.pseudo).proposal()
        if rng.random() < asymmetric:
            host = host.with_slot(Slot.CIPHER_S2C, list(reversed(host.cipher_s2c)))
        hosts.append(host)
    return hosts


_USER_EDITS = (
    (Category.CIPHER, "-*-cbc"),
    (Category.KEX, "+diffie-hellman-group14-sha1"),
    (Category.HOSTKEY, "+ssh-rsa"),
    (Category.MAC, "^hmac-sha2-256-etm@openssh.com"),
    (Category.KEX, "-diffie-hellman-group*"),
    (Category.CIPHER, "^aes256-gcm@openssh.com"),
)


def make_clients(rng: random.Random, count: int) -> tuple[list[Proposal], list[str], int]:
    """Client proposals and labels; also how many are edited variants."""
    profiles: list[Profile] = sorted(
        (p for p in all_profiles().values() if p.client is not None), key=lambda p: (p.implementation, p.version_key())
    )
    if len(profiles) > count:
        step = len(profiles) / count
        profiles = [profiles[int(i * step)] for i in range(count)]
    proposals = [p.client.proposal() for p in profiles if p.client is not None]
    labels = [p.id for p in profiles]
    variants = 0
    while len(proposals) < count and profiles:
        prof = rng.choice(profiles)
        category, value = rng.choice(_USER_EDITS)
        assert prof.client is not None
        try:
            edited = apply_modifier(value, prof.client.lists.get(category, ()), prof.supported.lists.get(category, ()))
        except ListSyntaxError:
            continue
        lists = dict(prof.client.lists)
        lists[category] = tuple(edited)
        proposals.append(Side(lists=lists, pseudo=prof.client.pseudo).proposal())
        labels.append(f"{prof.id} {category.directive}={value}")
        variants += 1
    return proposals, labels, variants


def time_matrix(hosts: list[Proposal], clients: list[Proposal], labels: list[str],
                runs: int) -> tuple[float, NegotiationMatrix]:
    times = []
    result = None
    for _ in range(max(1, runs)):
        started = time.perf_counter()
        result = negotiate_matrix(hosts, clients, client_labels=labels)
        times.append(time.perf_counter() - started)
    assert result is not None
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sample", type=int, default=20_000, help="pairs negotiated one by one for the baseline")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    hosts = make_hosts(rng, args.hosts)
    clients, labels, variants = make_clients(rng, args.clients)
    pairs = len(hosts) * len(clients)

    negotiate_matrix(hosts[:100], clients)  # warm-up: catalog loaded, numpy paths warm
    matrix_s, result = time_matrix(hosts, clients, labels, args.runs)

    sample = [(rng.randrange(len(hosts)), rng.randrange(len(clients))) for _ in range(min(args.sample, pairs))]
    started = time.perf_counter()
    outcomes = [negotiate(clients[c], hosts[h], client_label=labels[c]) for h, c in sample]
    loop_s = time.perf_counter() - started
    loop_extrapolated = loop_s * pairs / len(sample)

    mismatches = sum(1 for (h, c), want in zip(sample, outcomes, strict=True) if result.outcome(h, c) != want)
    ok_share = float(result.ok.mean())

    asym_hosts = make_hosts(random.Random(args.seed + 1), args.hosts, asymmetric=0.01)
    asym_s, _ = time_matrix(asym_hosts, clients, labels, args.runs)

    print(f"compatibility matrix: {len(hosts):,} hosts x {len(clients)} clients = {pairs:,} negotiations"
          f" ({len(clients) - variants} catalog client profiles, {variants} edited variants); {ok_share:.0%} of pairs connect")
    print(f"{'method':<46}{'seconds':>10}{'per pair µs':>13}{'loop/this':>11}")
    rows = [
        (f"negotiate_matrix (median of {args.runs})", matrix_s),
        ("negotiate_matrix, 1% asymmetric hosts (median)", asym_s),
        (f"negotiate() loop, {len(sample):,} pairs extrapolated", loop_extrapolated),
    ]
    for name, seconds in rows:
        print(f"{name:<46}{seconds:>10.3f}{seconds / pairs * 1e6:>13.3f}{loop_extrapolated / seconds:>11.1f}")
    print(f"sampled pairs equal to negotiate(): {len(sample) - mismatches:,}/{len(sample):,}")
    verdict = "OK" if matrix_s < TARGET_SECONDS and asym_s < TARGET_SECONDS else "MISSED"
    print(f"target < {TARGET_SECONDS:g} s: {verdict}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
