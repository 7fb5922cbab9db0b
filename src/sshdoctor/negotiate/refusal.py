"""When a client refuses what negotiation agreed on: PuTTY in batch mode.

PuTTY keeps every enabled algorithm in its lists, those below the "warn
below here" line included; when negotiation lands on one of those, it asks
before going on, and plink -batch (and every script that runs it) gives up:
"Cannot confirm a weak crypto primitive in batch mode". From 0.80 (and in
distribution builds with the Terrapin fix backported) it asks the same
before a Terrapin-vulnerable choice: ChaCha20-Poly1305, or a CBC cipher
with an encrypt-then-MAC MAC, unless both sides do strict key exchange.
The data is the client profile's (``batch_refuses``, the ``terrapin-prompt``
flag); the decision is here.
"""

from __future__ import annotations

from sshdoctor.catalog import algorithm
from sshdoctor.catalog.profiles import Profile
from sshdoctor.model import Category, Outcome, Proposal, Slot

STRICT_C = "kex-strict-c-v00@openssh.com"
STRICT_S = "kex-strict-s-v00@openssh.com"


def terrapin_exposed(client: Proposal, server: Proposal, outcome: Outcome) -> bool:
    """The chosen cipher and MAC are open to Terrapin (CVE-2023-48795) and strict kex is not on both sides."""
    if STRICT_C in client.kex and STRICT_S in server.kex:
        return False
    for cipher_slot, mac_slot in ((Slot.CIPHER_C2S, Slot.MAC_C2S), (Slot.CIPHER_S2C, Slot.MAC_S2C)):
        cipher = outcome.picks.get(cipher_slot)
        mac = outcome.picks.get(mac_slot)
        if cipher is None:
            continue
        if cipher.startswith("chacha20-poly1305"):
            return True
        if algorithm(Category.CIPHER, cipher).cbc and mac is not None and algorithm(Category.MAC, mac).etm:
            return True
    return False


def batch_refusal(profile: Profile, client: Proposal, server: Proposal, outcome: Outcome) -> str | None:
    """Why this client, run non-interactively, abandons a negotiation that succeeded; None when it does not."""
    if not outcome.ok:
        return None
    for slot, pick in outcome.picks.items():
        if pick is not None and pick in profile.batch_refuses.get(slot.category, ()):
            return (f"{pick} is below {profile.name}'s 'warn below here' line: it asks before using it, and in batch "
                    "mode it cannot ask (Cannot confirm a weak crypto primitive in batch mode)")
    if "terrapin-prompt" in profile.flags and terrapin_exposed(client, server, outcome):
        return (f"the choice is open to Terrapin (CVE-2023-48795) without strict key exchange: {profile.name} asks "
                "first, and in batch mode it cannot ask (Cannot confirm a weak crypto primitive in batch mode)")
    return None


def _first(names: tuple[str, ...]) -> str | None:
    from sshdoctor.catalog import is_pseudo

    return next((n for n in names if not is_pseudo(n)), None)


def guess_failure(client: Profile, server: Profile, client_proposal: Proposal, server_proposal: Proposal,
                  outcome: Outcome) -> str | None:
    """Why a negotiation that agrees still fails on a guessed key-exchange packet; None when it does not.

    A client that guesses (Dropbear's dbclient) sends its first kex packet for its own first method before it
    has the server's KEXINIT; RFC 4253 section 7 calls the guess wrong when the two first methods (kex or host
    key) differ, and
    the client then sends the packet again for the method really chosen. A server that never skips a wrong
    guess (paramiko) stops on it; one that keeps the guess whenever the chosen method is the client's first
    (AsyncSSH, node ssh2 0.8) stops on the second packet. A reason that starts with "may fail" depends on
    timing. The flags are the profiles'.
    """
    if not outcome.ok or "client-guesses-kex" not in client.flags:
        return None
    guessed = _first(client_proposal.kex)
    wrong = guessed != _first(server_proposal.kex)
    chosen = outcome.picks.get(Slot.KEX)
    if "server-fails-wrong-kex-guess" in server.flags:
        return (f"{client.name} guesses {guessed} and sends its key exchange early; the guess is wrong (the server's "
                f"first method differs) and {server.name} does not skip the guessed packet")
    wrong = wrong or _first(client_proposal.hostkey) != _first(server_proposal.hostkey)
    if not wrong:
        return None
    if "server-strict-kex-rejects-wrong-guess" in server.flags and "kex-strict-c-v00@openssh.com" in \
            client_proposal.kex:
        return (f"may fail: {client.name}'s guessed kex packet is wrong and {server.name}, in strict key exchange, "
                "refuses it rather than skip it; whether the client guesses depends on timing (it guesses only "
                "before the server's KEXINIT has arrived)")
    if "server-keeps-kex-guess-when-chosen" in server.flags and chosen == guessed:
        return (f"{client.name} guesses {guessed}, judges the guess wrong (the server's first method differs) and "
                f"sends its key exchange again; {server.name} kept the first one, so the second is out of turn")
    return None


def as_the_client_sees_it(client: Profile, client_proposal: Proposal, server_proposal: Proposal,
                          outcome: Outcome) -> Outcome:
    """The outcome in the order the client reports it, when its matching has a known flaw.

    A client that takes the kex extension names for methods (russh up to 0.55) "agrees" on
    ``kex-strict-s-v00@openssh.com`` when that is all the two kex lists share: the failure it reports is then
    the next failing category (the kex failure comes last, as "Unknown algorithm").
    """
    if "client-matches-kex-signals" not in client.flags or Slot.KEX not in outcome.failed_slots:
        return outcome
    from sshdoctor.catalog import is_pseudo

    # It keeps all four extension names in its own list, whichever it sends: any of them in the server's list
    # "agrees".
    if not any(is_pseudo(n) for n in server_proposal.kex):
        return outcome
    failed = (*(s for s in outcome.failed_slots if s is not Slot.KEX), Slot.KEX)
    return Outcome(picks=outcome.picks, failed_slots=failed, implicit_mac=outcome.implicit_mac, client=outcome.client,
                   server=outcome.server, notes=outcome.notes)
