"""Helpers shared by the recognisers: category words, offers, explanations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sshdoctor.catalog import Rating, algorithm, is_pseudo
from sshdoctor.diagnose.text import BREAK, HIDDEN, Lazy, fragments, whole_names
from sshdoctor.model import Category, Finding

NO_COMMON = "no-common-algorithm"

TITLE = {
    Category.KEX: "key exchange method",
    Category.HOSTKEY: "host key algorithm",
    Category.CIPHER: "cipher",
    Category.MAC: "MAC",
    Category.COMPRESSION: "compression method",
}

_WORD_RULES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"host.?key|server_host_key|key type|signature"), Category.HOSTKEY),
    (re.compile(r"key.?exchange|\bkex\b"), Category.KEX),
    (re.compile(r"\bmacs?\b|digest|hmac"), Category.MAC),
    (re.compile(r"cipher|encryption|\benc\b"), Category.CIPHER),
    (re.compile(r"\bcomp"), Category.COMPRESSION),
)


def category_from_words(text: str) -> Category | None:
    """The category a program's own words name (``key exchange method``, ``enc c->s``, ``macs`` …)."""
    lowered = text.lower()
    for pattern, category in _WORD_RULES:
        if pattern.search(lowered):
            return category
    return None


def direction_from_words(text: str) -> str | None:
    """``c2s`` or ``s2c`` when the words name one direction."""
    lowered = text.lower().replace(" ", "")
    if any(w in lowered for w in ("c->s", "ctos", "c2s", "client->server", "client-to-server", "clienttoserver")):
        return "c2s"
    if any(w in lowered for w in ("s->c", "stoc", "s2c", "server->client", "server-to-client", "servertoclient")):
        return "s2c"
    return None


def offer_tuple(text: str, sep: str = ",") -> tuple[str, ...]:
    """A name-list as printed, split; a list of hundreds of names is cut to bound the work.

    Only whole names are kept: a name that a line break cut in two (the
    engine joins the pieces with ``text.BREAK``) or that the paste hid is
    left out rather than guessed; :func:`offer_fragments` lists those.
    """
    # No name ends with a full stop: one there closes the sentence the list was quoted in.
    names = tuple(n.strip().strip("\"'`").rstrip(".") for n in text.split(sep))
    return whole_names(tuple(n for n in names if n))[:256]


def offer_fragments(text: str | None, sep: str = ",") -> tuple[str, ...]:
    """The pieces of a printed list that :func:`offer_tuple` left out, for the finding to show."""
    if not text or (BREAK not in text and "\u00a4" not in text and " " not in text.strip()):
        return ()
    return fragments(text, sep)


def port_of(text: str | None) -> int | None:
    """A port number, or None when absent or not a valid port (``xxxxx``, ``<port>``)."""
    if text is None or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value < 65536 else None


# What people write instead of an address when they paste a message.
_PLACEHOLDER_WORD = Lazy(
    r"(?:your|my|remote|target|the|some|ssh|sftp|real|server|client)?[-_. ]?"
    r"(?:host(?:[-_ ]?name)?|server(?:[-_ ]?name)?|ip(?:[-_ ]?(?:v[46]|addr(?:ess)?))?|addr(?:ess)?|domain|"
    r"fqdn|redacted\w*|hidden|ip[-_]?here|x+|\*+)"
    r"(?:[-_ ]?(?:\d|ip|addr(?:ess)?|name))?(?:\.(?:example|domain|local|com|net|org|lan)){0,3}"
)
_PLACEHOLDER_OCTET = Lazy(r"[xyzXYZ*#?]+|\d{1,3}")
_EXAMPLE_PLACEHOLDER = Lazy(r"(?:(?:[\w-]+\.)?example|domain|yourdomain|mydomain)\.(?:com|org|net)")


def is_placeholder_host(text: str | None) -> bool:
    """Whether a host as printed is a stand-in for a real one: ``<host>``, ``x.x.x.x``,
    ``192.168.YYY.XXX``, ``***``, ``[email protected]``, ``server.example.com`` …

    Documentation addresses (192.0.2.10) and names under example.com other
    than the generic ``server``/``host``/``hostname`` ones count as real.
    """
    if not text:
        return False
    raw = text.strip()
    if raw[:1].isdigit() and raw.replace(".", "").isdigit():
        return False  # the usual case, an address as printed: no pattern needed
    if raw.startswith("<") or HIDDEN in raw or "\u00a4" in raw or raw.startswith("*(") or "redact" in raw.lower():
        return True
    t = raw.strip("[]<>()\"'").lower()
    if not t:
        return True
    parts = t.split(".")
    if len(parts) == 4 and all(_PLACEHOLDER_OCTET.fullmatch(p) for p in parts) and not all(p.isdigit() for p in parts):
        return True
    if _PLACEHOLDER_WORD.fullmatch(t):
        return True
    if t in ("example.com", "example.org", "example.net"):
        return True
    if _EXAMPLE_PLACEHOLDER.fullmatch(t):
        label = parts[0]
        return len(parts) == 2 or _PLACEHOLDER_WORD.fullmatch(label) is not None
    return False


def host_of(text: str | None) -> str | None:
    """A peer name from a message; OpenSSH's ``UNKNOWN`` (a ProxyCommand) and placeholders mean none."""
    if not text or text == "UNKNOWN" or is_placeholder_host(text):
        return None
    return text.strip("[]<>")


def peer_extra(host: str | None, port: str | None = None) -> dict[str, object]:
    """What a finding records about a peer the paste did not name (``host_placeholder``, ``port_placeholder``)."""
    extra: dict[str, object] = {}
    if host and host != "UNKNOWN" and is_placeholder_host(host):
        extra["host_placeholder"] = host.replace(HIDDEN, "[email protected]")
    if port and not port.isdigit():
        extra["port_placeholder"] = port
    return extra


def _offer_verdict(category: Category, offer: Iterable[str]) -> str:
    """A phrase on how good the other side's offer is, from the catalog."""
    real = [n for n in offer if not is_pseudo(n)]
    if not real:
        return "The list was empty: that side has nothing enabled for this category."
    rated = [(algorithm(category, n).rating, n) for n in real]
    best = min(rated, key=lambda rn: rn[0].rank)
    if best[0] in (Rating.WEAK, Rating.BROKEN):
        reason = algorithm(category, best[1]).reason
        return (f"Even the best of it, {best[1]}, is rated {best[0].value}"
                + (f" ({reason})" if reason else "")
                + ", which is why current software no longer enables it by default.")
    if best[0] is Rating.UNKNOWN:
        return f"sshdoctor's catalog does not know {best[1]}: possibly a vendor-specific or very new algorithm."
    return (f"Its best entry, {best[1]}, is rated {best[0].value}: the other side is probably the older "
            "or more restricted one, or this side has been configured very narrowly.")


def negotiation_explanation(category: Category, their_offer: tuple[str, ...] | None, *, side: str,
                            program: str) -> str:
    """Plain words for a failed negotiation seen by ``program`` acting as ``side``."""
    other = "server" if side == "client" else "client"
    what = TITLE[category]
    text = (f"{program} ({side} side) and the {other} have no {what} in common, so the connection "
            "stopped during key exchange, before any login was tried.")
    if their_offer is not None:
        text += f" The {other} offered only: {', '.join(their_offer)}. " + _offer_verdict(category, their_offer)
    else:
        text += f" The message does not say what the {other} offered."
    return text


def negotiation(category: Category | None, their_offer: tuple[str, ...] | None, *, reported_by: str,
                side: str, program: str, host: str | None = None, port: int | None = None,
                our_offer: tuple[str, ...] | None = None, evidence: str | None = None,
                extra: dict[str, object] | None = None) -> Finding:
    """A ``no-common-algorithm`` finding with its explanation."""
    if category is None:
        explanation = (f"{program} could not agree on algorithms with the other side; the message does not "
                       "say which category failed.")
    else:
        explanation = negotiation_explanation(category, their_offer, side=side, program=program)
    data: dict[str, object] = {"side": side}
    data.update(extra or {})
    return Finding(
        kind=NO_COMMON,
        explanation=explanation,
        category=category,
        severity="fail",
        host=host,
        port=port,
        their_offer=their_offer,
        our_offer=our_offer,
        reported_by=reported_by,
        evidence=evidence,
        extra=data,
    )


def simple(kind: str, explanation: str, *, reported_by: str, host: str | None = None, port: int | None = None,
           evidence: str | None = None, severity: str = "fail", category: Category | None = None,
           algorithm_name: str | None = None, their_offer: tuple[str, ...] | None = None,
           extra: dict[str, object] | None = None) -> Finding:
    """Any other finding."""
    return Finding(kind=kind, explanation=explanation, category=category, severity=severity, host=host, port=port,
                   reported_by=reported_by, evidence=evidence, algorithm=algorithm_name, their_offer=their_offer,
                   extra=dict(extra or {}))


# What refuses a group-exchange prime below 2048 bits, and where that minimum is written.
GEX_MINIMUM = {
    "openssh-client": ("OpenSSH's ssh (7.2 and later)", "DH_GRP_MIN 2048 in dh.h, raised from 1024 in OpenSSH 7.2"),
    "go": ("Go's x/crypto/ssh", "dhGroupExchangeMinimumBits = 2048 in ssh/kex.go"),
}
_GEX_CHOSEN = re.compile(r"kex: algorithm: (diffie-hellman-group-exchange-\S+)")


def gex_group_too_small(reported_by: str, *, evidence: str, host: str | None, port: int | None,
                        recent: Sequence[str] = (), bits: int | None = None) -> Finding:
    """The server's group-exchange prime was smaller than the client takes (after the algorithms were agreed)."""
    program, where = GEX_MINIMUM[reported_by]
    algorithm_name = next((m[1] for line in reversed(recent) if (m := _GEX_CHOSEN.search(line))), None)
    size = f"a {bits}-bit group" if bits else "a group smaller than 2048 bits"
    text = (f"Both sides agreed on Diffie-Hellman group exchange{f' ({algorithm_name})' if algorithm_name else ''}, "
            f"and the server then sent {size}. {program} refuses group-exchange primes below 2048 bits "
            f"({where}), and no setting lowers that. So nothing is missing from either side's algorithm lists: "
            "the primes the server uses for group exchange are too small (an old moduli file, or an appliance set "
            "to 1024-bit Diffie-Hellman). The lasting fix is on the server; on the client, avoiding group exchange "
            "for this host works when the server offers another key exchange.")
    return Finding(kind="dh-gex-group-too-small", explanation=text, category=Category.KEX, severity="fail",
                   host=host, port=port, reported_by=reported_by, evidence=evidence, algorithm=algorithm_name,
                   extra={"bits": bits, "client_minimum_bits": 2048})
