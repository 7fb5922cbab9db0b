"""``negotiate.matrix`` must give exactly what ``negotiate()`` gives, pair by pair."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sshdoctor.catalog import all_algorithms
from sshdoctor.catalog.profiles import all_profiles
from sshdoctor.model import CHECK_ORDER_CLIENT, Category, Proposal, Slot
from sshdoctor.negotiate import negotiate
from sshdoctor.negotiate.matrix import IMPLICIT, NONE, negotiate_matrix

PSEUDO = ("ext-info-c", "ext-info-s", "kex-strict-c-v00@openssh.com", "kex-strict-s-v00@openssh.com",
          "kexguess2@matt.ucc.asn.au")


def _pool() -> dict[Category, list[str]]:
    pool: dict[Category, list[str]] = {c: [] for c in Category}
    for algo in all_algorithms():
        pool[algo.category].append(algo.name)
    for cat in Category:
        pool[cat] += [f"unknown-{cat.value}-{i}@example.com" for i in range(3)]
        pool[cat].sort()
    pool[Category.KEX] += list(PSEUDO)
    return pool


POOL = _pool()


def random_list(rng: random.Random, category: Category) -> list[str]:
    names = POOL[category]
    size = rng.choice((0, 1, 1, 2, 3, 4, 6, 9, 14))
    chosen = rng.sample(names, min(size, len(names)))
    if chosen and rng.random() < 0.1:
        chosen.insert(rng.randrange(len(chosen)), rng.choice(chosen))  # a duplicate name
    return chosen


def random_proposal(rng: random.Random) -> Proposal:
    """Small random lists over a small vocabulary, so common names are frequent."""
    lists = {cat: random_list(rng, cat) for cat in Category}
    proposal = Proposal.symmetric(lists[Category.KEX], lists[Category.HOSTKEY], lists[Category.CIPHER],
                                  lists[Category.MAC], lists[Category.COMPRESSION])
    if rng.random() < 0.3:  # the two directions differ
        for slot, cat in ((Slot.CIPHER_S2C, Category.CIPHER), (Slot.MAC_C2S, Category.MAC),
                          (Slot.COMPRESSION_S2C, Category.COMPRESSION)):
            if rng.random() < 0.5:
                proposal = proposal.with_slot(slot, random_list(rng, cat))
    return proposal


def biased(rng: random.Random, base: Proposal) -> Proposal:
    """A profile's proposal with a few lists narrowed, to reach every outcome."""
    out = base
    for slot in Slot:
        names = list(out.get(slot))
        if names and rng.random() < 0.25:
            out = out.with_slot(slot, rng.sample(names, rng.randint(0, len(names))))
    return out


def assert_same(servers: list[Proposal], clients: list[Proposal], chunk: int = 1024) -> int:
    s_labels = [f"s{i}" for i in range(len(servers))]
    c_labels = [f"c{i}" for i in range(len(clients))]
    matrix = negotiate_matrix(servers, clients, server_labels=s_labels, client_labels=c_labels, chunk=chunk)
    assert matrix.shape == (len(servers), len(clients))
    ok = matrix.ok
    first = matrix.first_failure()
    failed = {cat: matrix.failed_category(cat) for cat in Category}
    checked = 0
    for h, server in enumerate(servers):
        for c, client in enumerate(clients):
            want = negotiate(client, server, client_label=c_labels[c], server_label=s_labels[h])
            got = matrix.outcome(h, c)
            assert got == want, f"server {server}\nclient {client}"
            assert bool(ok[h, c]) == want.ok
            assert (CHECK_ORDER_CLIENT[first[h, c]].category if first[h, c] >= 0 else None) == want.first_failure
            for cat in Category:
                assert bool(failed[cat][h, c]) == (cat in want.failures)
            checked += 1
    return checked


def test_random_pairs_equal_negotiate() -> None:
    rng = random.Random(20240501)
    servers = [random_proposal(rng) for _ in range(90)]
    clients = [random_proposal(rng) for _ in range(60)]
    assert assert_same(servers, clients) == 5400


def test_profile_pairs_equal_negotiate() -> None:
    """Every catalog client against every catalog server, plus narrowed variants."""
    rng = random.Random(7)
    profiles = list(all_profiles().values())
    clients = [p.client.proposal() for p in profiles if p.client is not None]
    servers = [p.server.proposal() for p in profiles if p.server is not None]
    clients += [biased(rng, rng.choice(clients)) for _ in range(20)]
    servers += [biased(rng, rng.choice(servers)) for _ in range(40)]
    assert assert_same(servers, clients) >= 3000


def test_chunking_does_not_change_results() -> None:
    rng = random.Random(3)
    servers = [random_proposal(rng) for _ in range(50)]
    clients = [random_proposal(rng) for _ in range(7)]
    whole = negotiate_matrix(servers, clients)
    pieces = negotiate_matrix(servers, clients, chunk=3)
    for slot in Slot:
        assert np.array_equal(whole.picks[slot], pieces.picks[slot])


def test_outcomes_cover_every_case() -> None:
    """The random sets above must reach success, failure, AEAD-implicit MACs and pseudo names."""
    rng = random.Random(20240501)
    servers = [random_proposal(rng) for _ in range(90)]
    clients = [random_proposal(rng) for _ in range(60)]
    matrix = negotiate_matrix(servers, clients)
    assert (matrix.picks[Slot.MAC_S2C] == IMPLICIT).any()
    assert (matrix.picks[Slot.KEX] == NONE).any() and (matrix.picks[Slot.KEX] >= 0).any()
    profiles = [p for p in all_profiles().values() if p.client is not None and p.server is not None]
    full = negotiate_matrix([p.server.proposal() for p in profiles if p.server],
                            [p.client.proposal() for p in profiles if p.client])
    assert full.ok.any()
    chosen_kex = {full.name(int(v)) for v in full.picks[Slot.KEX].ravel()}
    assert not chosen_kex & set(PSEUDO), "a pseudo-algorithm was chosen"


def test_pseudo_name_is_never_chosen_even_when_common() -> None:
    client = Proposal.symmetric(["ext-info-c", "kex-strict-c-v00@openssh.com", "curve25519-sha256"],
                                ["ssh-ed25519"], ["aes128-ctr"], ["hmac-sha2-256"])
    only_pseudo = Proposal.symmetric(["ext-info-c", "kex-strict-c-v00@openssh.com"],
                                     ["ssh-ed25519"], ["aes128-ctr"], ["hmac-sha2-256"])
    matrix = negotiate_matrix([only_pseudo, client], [client])
    assert matrix.outcome(0, 0).failures == (Category.KEX,)
    assert matrix.outcome(1, 0).picks[Slot.KEX] == "curve25519-sha256"


@pytest.mark.parametrize(("servers", "clients"), [(0, 3), (3, 0), (0, 0)])
def test_empty_inputs(servers: int, clients: int) -> None:
    proposal = Proposal.symmetric(["curve25519-sha256"], ["ssh-ed25519"], ["aes128-ctr"], ["hmac-sha2-256"])
    matrix = negotiate_matrix([proposal] * servers, [proposal] * clients)
    assert matrix.shape == (servers, clients)
    assert matrix.ok.shape == (servers, clients)
