"""Every lab client against every lab server: compat's prediction equals what the real programs do.

For each pair: ok or not, and then every algorithm the real programs say
they chose, or the category the client's own message names. A difference is
either a bug (in a profile, the engine or explain) or a quirk the client or
server declares by name (``LabClient.quirks``), and then it is listed, not
hidden.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import get_profile
from sshdoctor.model import Proposal, Slot, Target
from sshdoctor.negotiate.refusal import as_the_client_sees_it, batch_refusal, guess_failure
from sshdoctor.wire.probe import probe
from tests.interop import registry
from tests.interop.differential import Truth, disagreements, predict, truth_of
from tests.interop.harness import ClientRun, LabClient, LabServer, Running, run_client
from tests.interop.lab import profile_side, require
from tests.interop.relay import Relay


@dataclass
class LiveServer:
    server: LabServer
    running: Running
    offer: Proposal  # what the prediction uses: its profile's server side, else its real offer
    relay: Relay


@pytest.fixture(scope="module")
def live_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    from tests.interop.harness import lab_keys

    keys = lab_keys(tmp_path_factory.mktemp("diff-keys"))
    # Clients that pin host keys (plink in batch mode) learn the lab's keys from here.
    os.environ["SSHDOCTOR_LAB_KEYS"] = str(keys)
    live: list[LiveServer] = []
    with contextlib.ExitStack() as stack:
        for server in registry.servers():
            if not server.installed():
                continue
            running = stack.enter_context(server.start(keys))
            real = asyncio.run(probe(Target(running.host, running.port), timeout=15)).proposal
            offer = real
            if server.profile:
                _, side = profile_side(server.profile, "server")
                hostkeys = [h for h in side.proposal().hostkey if h in real.hostkey]
                offer = side.proposal().with_slot(Slot.HOSTKEY, hostkeys)
            relay = stack.enter_context(Relay(running.port))
            live.append(LiveServer(server, running, offer, relay))
        yield live


def _names(proposal: Proposal) -> dict[str, list[str]]:
    """The lists without empty names (libssh 0.10's trailing comma matches nothing)."""
    return {k: [n for n in v if n] for k, v in proposal.offer_dict().items()}


def _check_order(client: LabClient) -> tuple[Slot, ...] | None:
    prof = get_profile(client.profile) if client.profile else None
    order = getattr(prof, "check_order", None) if prof is not None else None
    return tuple(Slot(s) for s in order) if order else None


@pytest.mark.parametrize("client", registry.clients(), ids=lambda c: c.id)
def test_prediction_equals_real_handshake(client: LabClient, live_servers: list[LiveServer], empty_home: Path) -> None:
    require(client)
    missing = [s.id for s in registry.servers() if not s.installed()]
    if missing:
        require(next(s for s in registry.servers() if not s.installed()))
    prof, side = profile_side(client.profile, "client")
    proposal = side.proposal()
    marks = [len(s.relay.sessions) for s in live_servers]
    chosen_marks = [len(s.running.chosen()) for s in live_servers]
    runs = run_client(client, "127.0.0.1", [s.relay.port for s in live_servers], home=empty_home)
    problems: list[str] = []

    def observed(live: LiveServer, mark: int, chosen_mark: int, run: ClientRun) -> Truth:
        sessions = live.relay.settle(mark + 1)
        session = sessions[mark] if len(sessions) > mark else None
        # Only what the server printed for this run's connection (not an earlier client's).
        server_rows = live.running.chosen()[chosen_mark:]
        reported = server_rows[-1].get("chosen") if server_rows else None
        return truth_of(run, session, reported if isinstance(reported, dict) else None)

    for live, mark, chosen_mark, run in zip(live_servers, marks, chosen_marks, runs, strict=True):
        truth = observed(live, mark, chosen_mark, run)
        pred = as_the_client_sees_it(prof, proposal, live.offer, predict(proposal, live.offer, _check_order(client)))
        refusal = batch_refusal(prof, proposal, live.offer, pred) if client.batch_mode else None
        server_prof = get_profile(live.server.profile) if live.server.profile else None
        guess = guess_failure(prof, server_prof, proposal, live.offer, pred) if server_prof is not None else None
        quirk_free = not (set(client.quirks) | set(live.server.quirks))
        found = disagreements(pred, truth, category_optional="no-category-in-message" in client.quirks,
                              refusal=refusal, guess=guess)
        if found and guess is not None and truth.ok:
            # How a server handles a guessed kex packet can depend on how the two sides' packets interleave:
            # dbclient against AsyncSSH fails every time when run alone (40 of 40), and once, in a fresh-CI run
            # on a loaded machine, got through. The prediction stands if the failure it names happens on one of
            # two re-runs of that pair; a model that is wrong fails all three.
            for _ in range(2):
                again_mark, again_chosen = len(live.relay.sessions), len(live.running.chosen())
                again = run_client(client, "127.0.0.1", [live.relay.port], home=empty_home)[0]
                retry = observed(live, again_mark, again_chosen, again)
                if not disagreements(pred, retry, guess=guess):
                    found = []
                    break
        for problem in found:
            problems.append(f"{live.server.id}: {problem}")
        if quirk_free and truth.client_kexinit is not None and _names(truth.client_kexinit) != _names(proposal):
            problems.append(f"{live.server.id}: the client sent a KEXINIT other than its profile's")
    assert not problems, f"{client.id} ({len(problems)} of {len(live_servers)} servers):\n  " + "\n  ".join(problems)
