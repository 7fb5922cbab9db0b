"""Many servers against many clients at once: :func:`negotiate`, vectorised.

A compatibility matrix of ten thousand hosts and sixty client profiles is
600,000 negotiations; a Python loop over them takes tens of seconds, this
takes well under one. Algorithm names are interned to integer ids. For each
slot the servers become a boolean matrix (server x name id) and every client
an ordered row of ids; gathering the server columns in each client's order
and taking the first True (``argmax``) gives every client's pick against
every server in one step.

The semantics are exactly those of :func:`sshdoctor.negotiate.negotiate`
(tests hold the two equal on thousands of random pairs): the client's order
wins, pseudo-algorithms are never chosen, a MAC is not negotiated where the
cipher chosen for that direction is AEAD, and every slot is judged so every
failing category is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sshdoctor.catalog import is_aead, is_pseudo
from sshdoctor.model import CHECK_ORDER_CLIENT, Category, Outcome, Proposal, Slot

#: Pick value for a slot with no common algorithm.
NONE = -1
#: Pick value for a MAC slot made unnecessary by an AEAD cipher.
IMPLICIT = -2

IntMatrix = npt.NDArray[np.int32]
BoolMatrix = npt.NDArray[np.bool_]

_CIPHER_FOR_MAC = {Slot.MAC_C2S: Slot.CIPHER_C2S, Slot.MAC_S2C: Slot.CIPHER_S2C}
# The two directions of one category; when every proposal sends the same
# list both ways (OpenSSH always does) the work is done once.
_PAIRS = ((Slot.CIPHER_C2S, Slot.CIPHER_S2C), (Slot.MAC_C2S, Slot.MAC_S2C),
          (Slot.COMPRESSION_C2S, Slot.COMPRESSION_S2C))


class Vocabulary:
    """Name <-> integer id, for the names the clients propose."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self.names: list[str] = []

    def intern(self, name: str) -> int:
        found = self._ids.get(name)
        if found is None:
            found = self._ids[name] = len(self.names)
            self.names.append(name)
        return found

    def get(self, name: str) -> int | None:
        return self._ids.get(name)

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True, slots=True, eq=False)
class NegotiationMatrix:
    """Every server-client pair's picks; ``picks[slot][server, client]`` is a
    name id (see :attr:`names`), :data:`NONE` or :data:`IMPLICIT`."""

    names: tuple[str, ...]
    picks: dict[Slot, IntMatrix]
    server_labels: tuple[str, ...]
    client_labels: tuple[str, ...]

    @property
    def shape(self) -> tuple[int, int]:
        """(servers, clients)."""
        first = self.picks[Slot.KEX]
        return int(first.shape[0]), int(first.shape[1])

    def failed(self, slot: Slot) -> BoolMatrix:
        """Where a slot has no common algorithm."""
        mask: BoolMatrix = self.picks[slot] == NONE
        return mask

    def failed_category(self, category: Category) -> BoolMatrix:
        """Where any slot of a category has no common algorithm."""
        mask = np.zeros(self.shape, dtype=np.bool_)
        for slot in Slot:
            if slot.category is category:
                mask |= self.failed(slot)
        return mask

    @property
    def ok(self) -> BoolMatrix:
        """Where negotiation succeeds in every slot."""
        bad = np.zeros(self.shape, dtype=np.bool_)
        for slot in Slot:
            bad |= self.failed(slot)
        return ~bad

    def first_failure(self) -> npt.NDArray[np.int8]:
        """Index into ``CHECK_ORDER_CLIENT`` of the slot the client reports, -1 where ok."""
        out = np.full(self.shape, -1, dtype=np.int8)
        for index in reversed(range(len(CHECK_ORDER_CLIENT))):
            out[self.failed(CHECK_ORDER_CLIENT[index])] = index
        return out

    def name(self, value: int) -> str | None:
        """The algorithm name of a pick value (None for NONE and IMPLICIT)."""
        return self.names[value] if value >= 0 else None

    def outcome(self, server: int, client: int) -> Outcome:
        """The :class:`Outcome` of one pair, equal to what :func:`negotiate` returns."""
        picks: dict[Slot, str | None] = {}
        failed: list[Slot] = []
        implicit: list[Slot] = []
        for slot in CHECK_ORDER_CLIENT:
            value = int(self.picks[slot][server, client])
            picks[slot] = self.name(value)
            if value == NONE:
                failed.append(slot)
            elif value == IMPLICIT:
                implicit.append(slot)
        return Outcome(
            picks=picks,
            failed_slots=tuple(failed),
            implicit_mac=tuple(implicit),
            client=self.client_labels[client] if self.client_labels else "",
            server=self.server_labels[server] if self.server_labels else "",
        )


def _client_rows(clients: Sequence[Proposal], slot: Slot, vocab: Vocabulary) -> IntMatrix:
    """Each client's list as ids, pseudo names dropped, padded with -1."""
    rows = [[vocab.intern(n) for n in p.get(slot) if not is_pseudo(n)] for p in clients]
    width = max((len(r) for r in rows), default=0) or 1
    out = np.full((len(rows), width), -1, dtype=np.int32)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _server_matrix(servers: Sequence[Proposal], slot: Slot, vocab: Vocabulary) -> BoolMatrix:
    """servers x (names + 1 padding column, always False) membership matrix.

    Names no client proposes can never be chosen and are left out; a list
    seen before (servers of one make share them) is looked up once.
    """
    memo: dict[tuple[str, ...], list[int]] = {}
    rows: list[int] = []
    cols: list[int] = []
    field = slot.value  # attribute access: this loop runs once per server and slot
    for index, proposal in enumerate(servers):
        names: tuple[str, ...] = getattr(proposal, field)
        ids = memo.get(names)
        if ids is None:
            ids = memo[names] = [i for n in names if (i := vocab.get(n)) is not None]
        rows.extend([index] * len(ids))
        cols.extend(ids)
    matrix = np.zeros((len(servers), len(vocab) + 1), dtype=np.bool_)
    matrix[np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)] = True
    return matrix


def _first_common(server: BoolMatrix, client: IntMatrix, chunk: int) -> IntMatrix:
    """For every server and client, the first id of the client's row present
    in the server's row, or NONE."""
    n_servers, n_clients = server.shape[0], client.shape[0]
    out = np.empty((n_servers, n_clients), dtype=np.int32)
    # Padding (-1) indexes the last column, which is always False.
    columns = np.where(client < 0, server.shape[1] - 1, client)
    client_index = np.arange(n_clients)[None, :]
    for start in range(0, n_servers, chunk):
        block = server[start : start + chunk][:, columns]  # (chunk, clients, width)
        first = block.argmax(axis=2)
        found = np.take_along_axis(block, first[..., None], axis=2)[..., 0]
        out[start : start + chunk] = np.where(found, columns[client_index, first], NONE)
    return out


def _same_both_ways(proposals: Sequence[Proposal], c2s: Slot, s2c: Slot) -> bool:
    first, second = c2s.value, s2c.value
    return all(getattr(p, first) == getattr(p, second) for p in proposals)


def negotiate_matrix(
    servers: Sequence[Proposal],
    clients: Sequence[Proposal],
    *,
    server_labels: Sequence[str] = (),
    client_labels: Sequence[str] = (),
    chunk: int = 1024,
) -> NegotiationMatrix:
    """Negotiate every client proposal against every server proposal.

    ``chunk`` bounds memory: servers are processed that many at a time
    (each block holds chunk x clients x longest-client-list booleans).
    """
    vocab = Vocabulary()
    client_rows = {slot: _client_rows(clients, slot, vocab) for slot in Slot}
    server_mats: dict[Slot, BoolMatrix] = {}
    shared: dict[Slot, Slot] = {}
    for c2s, s2c in _PAIRS:
        if _same_both_ways(servers, c2s, s2c) and _same_both_ways(clients, c2s, s2c):
            shared[s2c] = c2s
    for slot in Slot:
        if slot not in shared:
            server_mats[slot] = _server_matrix(servers, slot, vocab)
    picks: dict[Slot, IntMatrix] = {}
    for slot in Slot:
        if slot in shared:
            continue
        picks[slot] = _first_common(server_mats[slot], client_rows[slot], max(1, chunk))
    for s2c, c2s in shared.items():
        picks[s2c] = picks[c2s]
    # A MAC is only negotiated where the direction's cipher is not AEAD.
    aead = np.array([is_aead(n) for n in vocab.names] + [False], dtype=np.bool_)
    for mac_slot, cipher_slot in _CIPHER_FOR_MAC.items():
        cipher = picks[cipher_slot]
        implicit = (cipher >= 0) & aead[np.where(cipher >= 0, cipher, len(vocab))]
        picks[mac_slot] = np.where(implicit, np.int32(IMPLICIT), picks[mac_slot]).astype(np.int32)
    return NegotiationMatrix(
        names=tuple(vocab.names),
        picks=picks,
        server_labels=tuple(server_labels),
        client_labels=tuple(client_labels),
    )
