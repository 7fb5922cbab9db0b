"""Server logs summarised by failure and client network, in bounded memory.

Input is auth.log / syslog, ``journalctl -u ssh`` output, an ``sshd -E``
file or Dropbear's syslog lines, of any size. Binary input is read in large
chunks and only lines holding one of a few literal needles are decoded and
handed to the server-side recognisers; everything else is counted and
skipped, which is what makes a gigabyte take seconds.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from sshdoctor.diagnose.common import TITLE
from sshdoctor.diagnose.engine import Explainer
from sshdoctor.model import Category, Finding

SERVER_FAMILIES = ("openssh-server", "dropbear", "cisco")
# sshd logs the banner failure with the client's own words (kex.c is shared).
SERVER_NAMES = ("openssh-banner-closed",)

# The two frequent server lines are read straight from the bytes by one pattern each
# (a literal start lets the regex engine skip ahead fast); every other line a
# server-side recogniser can match contains one of NEEDLES and goes through the engine.
# The port is optional (OpenSSH before 7.3 and Win32-OpenSSH's early builds leave it out).
_FAST_NEGOTIATE = re.compile(
    rb"Unable to negotiate with ([^ \n:]+(?::[^ \n:]*)*?)(?: port \d+)?: no matching ([A-Za-z ]+?) found\. "
    rb"Their offer: ([^ \n]*)")
_FAST_AUTH = re.compile(rb"Failed (?:password|publickey|keyboard-interactive/pam|none|hostbased) for "
                        rb"(?:invalid user )?[^ \n]* from ([^ \n]+) port \d+")
NEEDLES = (
    b"not in PubkeyAccepted", b"Did not receive identification", b"invalid format", b"invalid protocol identifier",
    b"Bad protocol version", b"drop connection #", b"MaxStartups throttling", b"penalty of", b"No matching algo",
    b"NO_MATCH", b"SECURITY-SSHD", b"no matching cipher found: client", b"no matching mac found: client",
    b"no matching comp found: client", b"Connection from", b"maximum authentication", b"no hostkey alg",
    b"Unable to negotiate a key", b"Connection closed by remote host",
)

MAX_ADDRESSES = 50_000  # per failure group; beyond this addresses are folded into networks
MAX_GROUPS = 1_000
CHUNK = 1 << 22

# syslog/journal lines, Dropbear's, and Win32-OpenSSH's sshd.log ("5468 10:22:00 356 …", "9584 2020-06-01 17:10:25.656 …").
_SYSLOG = re.compile(r"\b(?:sshd(?:-session)?|dropbear)\[\d+\]:|\[preauth\]|^\[\d+\] \w{3} [ \d]\d \d\d:\d\d:\d\d "
                     r"|^\d{2,6} (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d[.: ]\d{3} |\bsshd(?:-session)?: PID \d+: ")


def looks_like_server_log(lines: Iterable[str]) -> bool:
    """Whether a sample of lines is a server log rather than a client's output."""
    total = marked = 0
    for line in lines:
        if not line.strip():
            continue
        total += 1
        if _SYSLOG.search(line):
            marked += 1
    return marked >= 3 and marked * 10 >= total * 3


def _network(address: str, prefix4: int, prefix6: int) -> str:
    parts = address.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts):
        # The common case, without ipaddress objects (a summary may hold 10^5 addresses).
        if prefix4 >= 32:
            return address
        value = 0
        for p in parts:
            value = value << 8 | (int(p) & 0xFF)
        value &= (0xFFFFFFFF << (32 - prefix4)) & 0xFFFFFFFF
        octets = ".".join(str(value >> shift & 0xFF) for shift in (24, 16, 8, 0))
        return f"{octets}/{prefix4}"
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address
    prefix = prefix4 if ip.version == 4 else prefix6
    if prefix >= ip.max_prefixlen:
        return str(ip)
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


_LEVELS = ((32, 128), (24, 64), (16, 48), (8, 32), (0, 0))


def aggregate(counts: dict[str, int], *, max_networks: int = 4) -> list[tuple[str, int, int]]:
    """Addresses grouped into as few networks as it takes: ``(network, clients, events)``.

    The narrowest of /32, /24, /16, /8 (IPv6 /128, /64, /48, /32) that
    yields at most ``max_networks`` networks is used.
    """
    if not counts:
        return []
    for p4, p6 in _LEVELS:
        nets: dict[str, list[int]] = {}
        for addr, n in counts.items():
            net = _network(addr, p4, p6) if "/" not in addr else _widen(addr, p4, p6)
            slot = nets.setdefault(net, [0, 0])
            slot[0] += 1
            slot[1] += n
        if len(nets) <= max_networks or p4 == 0:
            ordered = sorted(nets.items(), key=lambda kv: (-kv[1][1], kv[0]))
            return [(net, c, e) for net, (c, e) in ordered]
    return []


def _widen(net: str, p4: int, p6: int) -> str:
    try:
        n = ipaddress.ip_network(net, strict=False)
    except ValueError:
        return net
    prefix = p4 if n.version == 4 else p6
    if prefix >= n.prefixlen:
        return str(n)
    return str(n.supernet(new_prefix=prefix))


@dataclass
class Group:
    """All events of one failure (kind, category, offer) with the addresses they came from."""

    finding: Finding
    events: int = 0
    addresses: dict[str, int] = field(default_factory=dict)
    folded: dict[str, int] = field(default_factory=dict)  # /24 or /64 networks once addresses overflow
    folded_clients: int = 0

    def add(self, address: str | None, n: int = 1) -> None:
        self.events += n
        key = address or "unknown"
        if key in self.addresses:
            self.addresses[key] += n
        elif len(self.addresses) < MAX_ADDRESSES:
            self.addresses[key] = n
        else:
            # Past the cap, only /24 (/64) networks are kept: memory stays bounded, the
            # client count becomes a count of networks for the overflow.
            net = _network(key, 24, 64)
            if net not in self.folded:
                self.folded_clients += 1
            self.folded[net] = self.folded.get(net, 0) + n

    @property
    def clients(self) -> int:
        return len(self.addresses) + self.folded_clients

    def networks(self) -> list[tuple[str, int, int]]:
        merged = dict(self.addresses)
        merged.pop("unknown", None)
        for net, n in self.folded.items():
            merged[net if "/" in net else net + "/24"] = n
        return aggregate(merged)

    def sentence(self) -> str:
        """``12 clients from 10.1.0.0/16 failed: no matching host key type, they offered ssh-rsa``."""
        f = self.finding
        nets = self.networks()
        where = ", ".join(net for net, _, _ in nets) if nets else "unknown addresses"
        who = f"{self.clients} client{'s' if self.clients != 1 else ''}"
        return f"{who} from {where} {_failure_words(f)} ({self.events} time{'s' if self.events != 1 else ''})"

    def as_dict(self) -> dict[str, object]:
        f = self.finding
        return {
            "kind": f.kind,
            "category": f.category.value if f.category else None,
            "reported_by": f.reported_by,
            "their_offer": list(f.their_offer) if f.their_offer is not None else None,
            "algorithm": f.algorithm,
            "events": self.events,
            "clients": self.clients,
            "networks": [{"network": n, "clients": c, "events": e} for n, c, e in self.networks()],
            "summary": self.sentence(),
        }


_CATEGORY_WORDS = {
    Category.KEX: "no matching key exchange method",
    Category.HOSTKEY: "no matching host key type",
    Category.CIPHER: "no matching cipher",
    Category.MAC: "no matching MAC",
    Category.COMPRESSION: "no matching compression method",
}


def _failure_words(f: Finding) -> str:
    if f.kind == "no-common-algorithm" and f.category is not None:
        text = "failed: " + _CATEGORY_WORDS.get(f.category, TITLE[f.category])
        if f.their_offer:
            text += ", they offered " + ",".join(f.their_offer[:6]) + (",…" if len(f.their_offer) > 6 else "")
        return text
    if f.kind == "pubkey-algorithm-not-accepted":
        return f"were refused: their {f.algorithm} signature is not in PubkeyAcceptedAlgorithms"
    words = {
        "banner-exchange-closed": "connected and closed without an SSH banner",
        "invalid-banner": "sent something that is not SSH",
        "max-startups": "were dropped by MaxStartups",
        "penalty": "were refused by PerSourcePenalties",
        "auth-failed": "failed to authenticate",
        "too-many-auth-failures": "exceeded MaxAuthTries",
    }
    return words.get(f.kind, f"failed: {f.kind}")


def _group_key(f: Finding) -> tuple[object, ...]:
    return (f.kind, f.category, f.reported_by, f.their_offer, f.algorithm)


@dataclass
class LogSummary:
    """Failure groups of a server log, most frequent first, plus counts."""

    lines: int = 0
    bytes: int = 0
    matched: int = 0
    groups: dict[tuple[object, ...], Group] = field(default_factory=dict)
    dropped_groups: int = 0

    def add(self, finding: Finding, n: int = 1) -> None:
        self.matched += n
        key = _group_key(finding)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                self.dropped_groups += 1
                return
            group = self.groups[key] = Group(finding=finding)
        group.add(finding.host, n)

    def ordered(self) -> list[Group]:
        """Negotiation failures first, then by number of events."""
        return sorted(self.groups.values(),
                      key=lambda g: (g.finding.kind != "no-common-algorithm", g.finding.kind == "auth-failed",
                                     -g.events))

    def findings(self) -> list[Finding]:
        """One representative finding per group, its host replaced by the networks."""
        out = []
        for g in self.ordered():
            nets = g.networks()
            f = g.finding
            extra = {**f.extra, "events": g.events, "clients": g.clients,
                     "networks": [n for n, _, _ in nets], "summary": g.sentence()}
            extra.pop("client_port", None)
            host = nets[0][0] if len(nets) == 1 else None
            out.append(Finding(kind=f.kind, explanation=f.explanation, category=f.category, severity=f.severity,
                               host=host, port=None, their_offer=f.their_offer, our_offer=f.our_offer,
                               reported_by=f.reported_by, algorithm=f.algorithm, evidence=f.evidence, extra=extra))
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "bytes": self.bytes,
            "matched": self.matched,
            "groups": [g.as_dict() for g in self.ordered()],
            "groups_dropped": self.dropped_groups,
        }


def summarise_log(lines: Iterable[str]) -> LogSummary:
    """Summarise server-log lines given as text."""
    summary = LogSummary()
    explainer = Explainer(families=SERVER_FAMILIES, names=SERVER_NAMES, keep=False)
    for line in lines:
        summary.lines += 1
        summary.bytes += len(line)
        for f in explainer.feed(line):
            summary.add(f)
    for f in explainer.flush():
        summary.add(f)
    return summary


def _interesting_lines(chunk: bytes) -> Iterator[bytes]:
    """The lines of ``chunk`` (whole lines only) that contain a needle, in order.

    One bytes.find() pass per needle: the needles are rare, and find() runs at
    memory speed where an alternation regex would test every position.
    """
    starts: set[int] = set()
    for needle in NEEDLES:
        pos = chunk.find(needle)
        while pos != -1:
            start = chunk.rfind(b"\n", 0, pos) + 1
            starts.add(start)
            end = chunk.find(b"\n", pos)
            if end == -1:
                break
            pos = chunk.find(needle, end)
    for start in sorted(starts):
        end = chunk.find(b"\n", start)
        yield chunk[start:] if end == -1 else chunk[start:end]


class _Fast:
    """Counts of the two frequent lines, keyed by what varies little, until the end of the stream."""

    def __init__(self) -> None:
        self.negotiate: dict[tuple[bytes, bytes], dict[bytes, int]] = {}
        self.auth: dict[bytes, int] = {}
        self.address_cap = 4 * MAX_ADDRESSES

    def scan(self, block: bytes) -> None:
        for addr, what, offer in _FAST_NEGOTIATE.findall(block):
            counts = self.negotiate.setdefault((what, offer), {})
            if addr in counts or len(counts) < self.address_cap:
                counts[addr] = counts.get(addr, 0) + 1
            else:
                counts[b"*overflow*"] = counts.get(b"*overflow*", 0) + 1
        auth = self.auth
        for addr in _FAST_AUTH.findall(block):
            if addr in auth or len(auth) < self.address_cap:
                auth[addr] = auth.get(addr, 0) + 1
            else:
                auth[b"*overflow*"] = auth.get(b"*overflow*", 0) + 1

    def into(self, summary: LogSummary) -> None:
        from sshdoctor.diagnose.common import category_from_words, negotiation, offer_tuple, simple

        for (what, offer), counts in self.negotiate.items():
            words = what.decode("ascii", "replace")
            finding = negotiation(category_from_words(words), offer_tuple(offer.decode("utf-8", "replace")),
                                  reported_by="openssh-server", side="server", program="sshd")
            _add_counts(summary, finding, counts)
        if self.auth:
            finding = simple("auth-failed", "Password or key authentication failed. Key exchange had succeeded, so "
                             "this is not an algorithm problem.", reported_by="openssh-server", severity="info")
            _add_counts(summary, finding, self.auth)


def _add_counts(summary: LogSummary, finding: Finding, counts: dict[bytes, int]) -> None:
    from dataclasses import replace

    for addr, n in counts.items():
        host = None if addr == b"*overflow*" else addr.decode("ascii", "replace")
        summary.add(replace(finding, host=host), n)


def summarise_stream(stream: IO[bytes], *, head: bytes = b"", chunk_size: int = CHUNK) -> LogSummary:
    """Summarise a binary stream of server-log lines; memory stays bounded whatever its size."""
    summary = LogSummary()
    # Only picked-out lines reach the explainer, so a line cannot be continued by the next one it sees.
    explainer = Explainer(families=SERVER_FAMILIES, names=SERVER_NAMES, keep=False, join=False)
    fast = _Fast()
    rest = head
    while True:
        block = stream.read(chunk_size)
        data = rest + block if block else rest
        if not data:
            break
        if block:
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) < 4 * chunk_size:
                rest = data  # no newline yet: wait for more
                continue
            if cut == 0:
                cut = len(data)  # an absurdly long line: take it as it is (clean_line caps it)
            whole, rest = data[:cut], data[cut:]
        else:
            whole, rest = data, b""
        summary.bytes += len(whole)
        summary.lines += whole.count(b"\n") + (0 if whole.endswith(b"\n") else 1)
        fast.scan(whole)
        for raw in _interesting_lines(whole):
            for f in explainer.feed(raw.decode("utf-8", "replace")):
                summary.add(f)
        if not block:
            break
    fast.into(summary)
    return summary
