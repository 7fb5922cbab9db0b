"""Prediction against truth for one (client, server) pair of the interop lab.

The prediction is the catalog's: the client's profile against the server's
profile (or, for a configured sshd, its real offer), negotiated by the
engine with the client's own check order. The truth is the real client
connecting through a relay that sees both KEXINITs and both NEWKEYS; what
was chosen comes from whichever side reports it; which category failed comes
from the client's own message, read by ``explain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sshdoctor.diagnose import explain_text
from sshdoctor.model import Category, Outcome, Proposal, Slot
from sshdoctor.negotiate import negotiate
from tests.interop.harness import ClientRun
from tests.interop.relay import Session


@dataclass(frozen=True)
class Truth:
    """What really happened on one connection."""

    ok: bool
    chosen: dict[str, str | None]
    category: Category | None
    client_kexinit: Proposal | None
    server_kexinit: Proposal | None
    error: str | None


def failed_category(run: ClientRun) -> Category | None:
    """The category the client's own words name as failing, as ``explain`` reads them."""
    text = "\n".join(t for t in (run.error, run.stderr) if t)
    for finding in explain_text(text):
        if finding.kind == "no-common-algorithm" and finding.category is not None:
            return finding.category
    return None


def truth_of(run: ClientRun, session: Session | None, server_chosen: dict[str, str | None] | None) -> Truth:
    chosen: dict[str, str | None] = {}
    for source in (server_chosen or {}, run.chosen or {}):
        chosen.update({k: v for k, v in source.items() if k in {s.value for s in Slot}})
    ok = session.kex_done if session is not None else run.ok
    return Truth(ok=ok, chosen=chosen, category=None if ok else failed_category(run),
                 client_kexinit=session.client.kexinit if session else None,
                 server_kexinit=session.server.kexinit if session else None, error=run.error)


def predict(client: Proposal, server: Proposal, check_order: Sequence[Slot] | None = None) -> Outcome:
    """The engine's outcome; ``first_failure`` follows the client's check order when it has its own."""
    outcome = negotiate(client, server)
    if check_order and outcome.failed_slots:
        order = {slot: i for i, slot in enumerate(check_order)}
        failed = tuple(sorted(outcome.failed_slots, key=lambda s: order.get(s, len(order))))
        outcome = Outcome(picks=outcome.picks, failed_slots=failed, implicit_mac=outcome.implicit_mac)
    return outcome


def disagreements(pred: Outcome, truth: Truth, *, category_optional: bool = False,
                  refusal: str | None = None, guess: str | None = None) -> list[str]:
    """Every way the prediction differs from the truth (empty when they agree). ``refusal`` is the
    model's reason why the client abandons a negotiation that succeeded (PuTTY in batch mode); ``guess``
    why a guessed key-exchange packet breaks it (negotiate.refusal.guess_failure)."""
    out: list[str] = []
    if guess is not None:
        if truth.ok and not guess.startswith("may fail"):
            out.append(f"predicted a failure on the guessed kex packet ({guess}), really ok")
        return out
    if refusal is not None:
        if truth.ok or "weak crypto primitive" not in (truth.error or ""):
            out.append(f"predicted a batch-mode refusal ({refusal}), really "
                       + ("ok" if truth.ok else f"failure: {truth.error!r}"))
        return out
    if pred.ok != truth.ok:
        out.append(f"predicted {'ok' if pred.ok else 'failure'}, really {'ok' if truth.ok else 'failure'}"
                   + (f" ({truth.error})" if truth.error else ""))
        return out
    if pred.ok:
        for key, real in truth.chosen.items():
            slot = Slot(key)
            want = pred.picks.get(slot)
            if slot in pred.implicit_mac:
                want = None
            if real != want:
                out.append(f"{key}: predicted {want}, really {real}")
    elif truth.category is None:
        if not category_optional:
            out.append(f"the client's message names no category that explain reads: {truth.error!r}")
    elif truth.category is not pred.first_failure:
        out.append(f"first failure: predicted {pred.first_failure}, the client reported {truth.category}"
                   f" (predicted failures: {[c.value for c in pred.failures]})")
    return out
