"""``ssh -v/-vv/-vvv`` (and ``sshd -d``) logs: both KEXINIT proposals, replayed.

At debug2 OpenSSH prints each side's proposal: since 7.x as a block headed
``debug2: local client KEXINIT proposal`` / ``debug2: peer server KEXINIT
proposal`` (``local server`` / ``peer client`` in sshd's log) followed by
``debug2: KEX algorithms: …``, ``host key algorithms``, ``ciphers ctos`` …;
older releases print ten ``debug2: kex_parse_kexinit: LIST`` lines, ours
first. With both proposals the negotiation is replayed offline with
:func:`sshdoctor.negotiate.negotiate`, so every failing category is named
at once, not only the first one ssh stopped at.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import negotiation, offer_tuple
from sshdoctor.model import Category, Finding, Proposal, Slot
from sshdoctor.negotiate import negotiate

_HEADER = re.compile(r"debug2: (?P<whose>local|peer) (?P<role>client|server) KEXINIT proposal")
_FIELDS = {
    "KEX algorithms": "kex",
    "host key algorithms": "hostkey",
    "ciphers ctos": "cipher_c2s",
    "ciphers stoc": "cipher_s2c",
    "MACs ctos": "mac_c2s",
    "MACs stoc": "mac_s2c",
    "compression ctos": "compression_c2s",
    "compression stoc": "compression_s2c",
}
_ENTRY = re.compile(r"debug2: (?P<key>" + "|".join(_FIELDS) + r"): ?(?P<value>\S*)")
_OLD = re.compile(r"debug2: kex_parse_kexinit: (?P<value>\S*)")
_OLD_ORDER = ("kex", "hostkey", "cipher_c2s", "cipher_s2c", "mac_c2s", "mac_s2c", "compression_c2s",
              "compression_s2c")
_SOFTWARE = re.compile(r"debug1: Remote protocol version [\d.]+, remote software version (?P<sw>.+)")
_SLOTS = {
    Category.KEX: (Slot.KEX,),
    Category.HOSTKEY: (Slot.HOSTKEY,),
    Category.CIPHER: (Slot.CIPHER_C2S, Slot.CIPHER_S2C),
    Category.MAC: (Slot.MAC_C2S, Slot.MAC_S2C),
    Category.COMPRESSION: (Slot.COMPRESSION_C2S, Slot.COMPRESSION_S2C),
}


def category_offer(proposal: Proposal, category: Category) -> tuple[str, ...]:
    """One category's names over both directions, in the order sent."""
    names: list[str] = []
    for slot in _SLOTS[category]:
        names += [n for n in proposal.get(slot) if n not in names]
    return tuple(names)


class VlogReader:
    """Collects the two proposals from a debug log fed line by line."""

    def __init__(self) -> None:
        self.proposals: dict[str, Proposal] = {}  # "client" / "server"
        self.local_role: str | None = None
        self.software: str | None = None
        self._current: tuple[str, dict[str, tuple[str, ...]]] | None = None
        self._old: list[tuple[str, ...]] = []

    def feed(self, line: str) -> None:
        """Look at one cleaned line (cheap for lines that are not debug output)."""
        if not line.startswith("debug"):
            # sshd's debug lines come behind a log prefix ("sshd[812]: ", Win32-OpenSSH's "5468 10:22:00 356 ").
            at = line.find(" debug", 0, 120)
            if at == -1 or not line.startswith(("debug1: ", "debug2: ", "debug3: "), at + 1):
                self._current = None
                return
            line = line[at + 1:]
        if line.startswith("debug1: Remote protocol version"):
            m = _SOFTWARE.match(line)
            if m:
                self.software = m["sw"].strip()
            return
        if not line.startswith("debug2: "):
            return
        if "KEXINIT proposal" in line:
            m = _HEADER.match(line)
            if m:
                if m["whose"] == "local":
                    self.local_role = m["role"]
                self._current = (m["role"], {})
            return
        if self._current is not None:
            m = _ENTRY.match(line)
            if m:
                fields = self._current[1]
                fields[_FIELDS[m["key"]]] = offer_tuple(m["value"])
                if len(fields) == len(_FIELDS):
                    self._store(self._current[0], fields)
                    self._current = None
            return
        if line.startswith("debug2: kex_parse_kexinit: "):
            m = _OLD.match(line)
            if m:
                self._old.append(offer_tuple(m["value"]))
                if len(self._old) == 10:
                    # Ten lines per proposal (eight lists and two languages); ours come first.
                    role = self._old_role()
                    self._store(role, dict(zip(_OLD_ORDER, self._old[:8], strict=True)))
                    self._old = []

    def _old_role(self) -> str:
        if self.local_role is None:
            self.local_role = "client"  # ssh -v is what people paste; sshd -d logs carry the new headers too
            return "client"
        return "server" if "client" in self.proposals else "client"

    def _store(self, role: str, fields: dict[str, tuple[str, ...]]) -> None:
        self.proposals.setdefault(role, Proposal.from_offer_dict({k: list(v) for k, v in fields.items()}))

    def findings(self, host: str | None, port: int | None) -> list[Finding]:
        """One finding per category that has no common algorithm, in the order ssh checks them."""
        client, server = self.proposals.get("client"), self.proposals.get("server")
        if client is None or server is None:
            return []
        outcome = negotiate(client, server)
        side = self.local_role or "client"
        out: list[Finding] = []
        for category in outcome.failures:
            theirs = category_offer(server if side == "client" else client, category)
            ours = category_offer(client if side == "client" else server, category)
            extra: dict[str, object] = {"source": "debug-log", "replayed": True,
                                        "first_failure": category is outcome.first_failure}
            if self.software:
                extra["peer_software"] = self.software
            program = "The OpenSSH client" if side == "client" else "sshd"
            finding = negotiation(category, theirs, reported_by=f"openssh-{side}", side=side, program=program,
                                  host=host if side == "client" else None, port=port if side == "client" else None,
                                  our_offer=ours, extra=extra)
            out.append(finding)
        return out

    def negotiated_ok(self) -> bool | None:
        """Whether the replay succeeds (None without both proposals)."""
        client, server = self.proposals.get("client"), self.proposals.get("server")
        if client is None or server is None:
            return None
        return negotiate(client, server).ok
