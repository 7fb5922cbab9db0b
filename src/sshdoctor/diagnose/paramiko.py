"""paramiko, the Python SSH library (and Ansible's paramiko connection, Fabric, netmiko …).

The exception texts, from transport.py ``_parse_kex_init`` (2.x to 5.1, checked in
the interop lab): ``Incompatible ssh peer (no acceptable kex algorithm)``, ``…
(no acceptable host key)``, ``… (can't match requested host key type)`` (server
side) and ``Incompatible ssh server (no acceptable ciphers|macs|compression)``;
the compression one of 2.x adds both agreed lists and its own list. The
exception names no direction and no list, but paramiko's DEBUG log (``logging``
at DEBUG, or ``paramiko.util.log_to_file``) prints the peer's KEXINIT just
before it: ``kex algos:['a', 'b'] server key:[…] client encrypt:[…] …`` on one
line up to 2.12, one line per list from 3.0 (``kex algos: a, b``). Those lists
are the other side's offer, whichever side paramiko is; the log line of the
exception says ``Exception (client)`` or ``Exception (server)`` from 2.9 on.
``Incompatible version (1.5 instead of 2.0)`` is the identification check
(``_check_banner``), and ``Error reading SSH protocol banner`` the banner read.
"""

from __future__ import annotations

import re

from sshdoctor.diagnose.common import category_from_words, negotiation, simple
from sshdoctor.diagnose.registry import Context, register
from sshdoctor.model import Category, Finding

FAMILY = "paramiko"

_PARAMIKO_WORDS = {
    "kex algorithm": Category.KEX,
    "host key": Category.HOSTKEY,
    "ciphers": Category.CIPHER,
    "macs": Category.MAC,
    "compression": Category.COMPRESSION,
}

# The peer's lists as paramiko logs them, kept in the context's flags as "paramiko-offer:LABEL=a,b".
_OFFER = "paramiko-offer:"
_LABELS = ("kex algos", "server key", "client encrypt", "server encrypt", "client mac", "server mac",
           "client compress", "server compress")
_LIST_FOR = {
    Category.KEX: ("kex algos", None),
    Category.HOSTKEY: ("server key", None),
    Category.CIPHER: ("client encrypt", "server encrypt"),
    Category.MAC: ("client mac", "server mac"),
    Category.COMPRESSION: ("client compress", "server compress"),
}
_SIDE = "paramiko-side:"
_OLD_STYLE = re.compile(r"(kex algos|server key|client encrypt|server encrypt|client mac|server mac|client compress"
                        r"|server compress):\[([^\]]*)\]")


def _remember(ctx: Context, label: str, names: list[str]) -> None:
    for flag in [f for f in ctx.flags if f.startswith(f"{_OFFER}{label}=")]:
        ctx.flags.discard(flag)
    ctx.flags.add(f"{_OFFER}{label}={','.join(names)}")


def _forget_offers(ctx: Context) -> None:
    for flag in [f for f in ctx.flags if f.startswith(_OFFER)]:
        ctx.flags.discard(flag)


def _recalled(ctx: Context, label: str) -> tuple[str, ...] | None:
    prefix = f"{_OFFER}{label}="
    for flag in ctx.flags:
        if flag.startswith(prefix):
            value = flag[len(prefix):]
            return tuple(n for n in value.split(",") if n)
    return None


def _names(text: str) -> list[str]:
    """A list as 3.x logs it (``a, b`` or ``<none>``)."""
    text = text.strip()
    if text in ("", "<none>"):
        return []
    return [n.strip() for n in text.split(",") if n.strip()][:256]


@register("paramiko-kex-algos", "kex algos:", r"kex algos: ?(?P<rest>.*)$", family=FAMILY)
def _kex_algos(m: re.Match[str], ctx: Context) -> Finding | None:
    _forget_offers(ctx)
    rest = m["rest"]
    if rest.startswith("["):  # 2.x: every list on this one line, as Python list reprs
        for label, body in _OLD_STYLE.findall(m.group(0)):
            _remember(ctx, label, re.findall(r"'([^']*)'", body)[:256])
    else:
        _remember(ctx, "kex algos", _names(rest))
    return None


def _register_list(label: str) -> None:
    @register(f"paramiko-{label.replace(' ', '-')}", f"{label}: ",
              rf"(?:^|[\s:]){label}: (?P<rest>[^\[].*)$", family=FAMILY)
    def _list(m: re.Match[str], ctx: Context) -> Finding | None:
        # Only inside a paramiko key exchange log: its "kex algos" line comes first.
        if _recalled(ctx, "kex algos") is not None:
            _remember(ctx, label, _names(m["rest"]))
        return None


for _label in _LABELS[1:]:
    _register_list(_label)


@register("paramiko-thread-mode", "starting thread (", r"starting thread \((?P<mode>client|server) mode\)",
          family=FAMILY)
def _mode(m: re.Match[str], ctx: Context) -> Finding | None:
    for flag in [f for f in ctx.flags if f.startswith(_SIDE)]:
        ctx.flags.discard(flag)
    ctx.flags.add(_SIDE + m["mode"])
    return None


def _their_offer(ctx: Context, category: Category | None) -> tuple[tuple[str, ...] | None, dict[str, object]]:
    if category is None:
        return None, {}
    c2s, s2c = _LIST_FOR[category]
    offer = _recalled(ctx, c2s)
    extra: dict[str, object] = {}
    if s2c is not None:
        other = _recalled(ctx, s2c)
        if other is not None and other != offer:
            # paramiko does not say which direction failed: keep both lists
            extra["their_offer_c2s"], extra["their_offer_s2c"] = list(offer or ()), list(other)
    return offer, extra


@register("paramiko-incompatible", "Incompatible ssh",
          r"(?:Exception(?: \((?P<mode>client|server)\))?: )?Incompatible ssh (?P<who>peer|server) "
          r"\((?P<what>no acceptable [\w ]+|can't match requested host key type)\)",
          family=FAMILY)
def _paramiko(m: re.Match[str], ctx: Context) -> Finding | None:
    what = m["what"].removeprefix("no acceptable ")
    category = Category.HOSTKEY if "host key type" in what else _PARAMIKO_WORDS.get(what) or category_from_words(what)
    side = m["mode"] or next((f.removeprefix(_SIDE) for f in ctx.flags if f.startswith(_SIDE)), "client")
    offer, extra = _their_offer(ctx, category)
    host, port = ctx.peer or (None, None)
    if offer is None:
        extra["missing"] = "offer (paramiko's DEBUG log prints it: 'kex algos:', 'server key:' …)"
    return negotiation(category, offer, reported_by="paramiko", side=side, program="paramiko",
                       host=host, port=port, evidence=m.group(0), extra=extra)


@register("paramiko-incompatible-version", "Incompatible version",
          r"Incompatible version \((?P<theirs>[\d.]+) instead of 2\.0\)", family=FAMILY)
def _version(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    text = (f"The other side announced SSH protocol {m['theirs']} in its identification line, and paramiko speaks "
            "only SSH 2 (it accepts 2.0 and 1.99). This is not an algorithm problem: the server is an SSH-1-only "
            "build or device. Enable protocol 2 on it (old OpenSSH: 'Protocol 2' in sshd_config; network devices: "
            "'ip ssh version 2' or their equivalent), or use a client that still speaks SSH 1.")
    return simple("protocol-version-mismatch", text, reported_by="paramiko", host=host, port=port,
                  evidence=m.group(0), extra={"their_version": m["theirs"]})


@register("paramiko-unexpected-packet", "Expecting packet from",
          r"Expecting packet from \((?P<want>[\d, ]+)\), got (?P<got>\d+)", family=FAMILY)
def _unexpected(m: re.Match[str], ctx: Context) -> Finding | None:
    host, port = ctx.peer or (None, None)
    want = [int(x) for x in re.findall(r"\d+", m["want"])]
    got = int(m["got"])
    if got in (30, 34) and set(want) & {30, 34} and got not in want:
        # 30 is KEXDH_INIT / KEX_ECDH_INIT, 34 KEX_DH_GEX_REQUEST: the two sides chose different key exchanges.
        text = ("The two sides chose different key exchange methods: the client started "
                + ("Diffie-Hellman group exchange (message 34)" if got == 34 else "a fixed-group or ECDH exchange (message 30)")
                + " while paramiko expected the other kind. A paramiko server (2.9 and later) advertises the "
                "diffie-hellman-group-exchange methods even without a moduli file, then refuses them when a client "
                "picks one. Fix the server: call transport.load_server_moduli() (it reads /etc/ssh/moduli) before "
                "start_server(), or remove the group-exchange names with disabled_algorithms={'kex': [...]}; or "
                "make the client prefer another key exchange.")
        return simple("protocol-error", text, reported_by="paramiko", host=host, port=port, evidence=m.group(0),
                      category=Category.KEX, extra={"cause": "group exchange advertised without moduli"})
    if want == [21] and got in (30, 32, 34):
        # NEWKEYS expected, a second key exchange packet came: the client had sent a guessed packet
        # (first_kex_packet_follows) for a method that was not agreed, and paramiko treated the guess as real.
        text = ("The client sent a second key exchange packet where paramiko expected NEWKEYS. The client had "
                "guessed the key exchange and sent its first packet early (first_kex_packet_follows, as Dropbear's "
                "dbclient does); the guess counted as wrong because the two sides' first kex algorithms differ, so "
                "the client started again, but paramiko (every release) never skips a wrong guess (RFC 4253 section "
                "7) and had already answered it. Make both sides prefer the same first key exchange (put the "
                "client's first one first on the paramiko side via Transport._preferred_kex, or the other way "
                "round), or use a client that does not guess.")
        return simple("protocol-error", text, reported_by="paramiko", host=host, port=port, evidence=m.group(0),
                      category=Category.KEX, extra={"cause": "guessed kex packet not ignored"})
    text = (f"paramiko received SSH message {got} where it expected {', '.join(map(str, want))}: the other side "
            "went a different way in the protocol (usually a key exchange both sides understood differently).")
    return simple("protocol-error", text, reported_by="paramiko", host=host, port=port, evidence=m.group(0))


@register("paramiko-banner", "Error reading SSH protocol banner",
          r"Error reading SSH protocol banner(?P<why>.*)$", family=FAMILY)
def _banner(m: re.Match[str], ctx: Context) -> Finding | None:
    why = m["why"].strip()
    host, port = ctx.peer or (None, None)
    low = why.lower()
    if "reset" in low:
        kind = "connection-reset"
    elif "timed out" in low or "timeout" in low:
        kind = "banner-timeout"
    else:
        kind = "banner-exchange-closed"
    text = ("paramiko did not get the other side's SSH identification line: the connection "
            + ("was reset" if kind == "connection-reset" else "timed out" if kind == "banner-timeout" else "was closed")
            + " before it arrived. No algorithms were exchanged yet. Usual causes: something other than an SSH server "
            "on that port, a firewall or proxy cutting the connection, the server's MaxStartups or connection limit, "
            "or a server too slow to answer within banner_timeout (15 s by default).")
    return simple(kind, text, reported_by="paramiko", host=host, port=port, evidence=m.group(0),
                  extra={"detail": why} if why else None)
