"""Where to connect."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    """A host and port; ``alias`` is the name the user typed when it differs."""

    host: str
    port: int = 22
    alias: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"host": self.host, "port": self.port}

    def display(self) -> str:
        """``host`` for port 22, else ``[host]:port`` as OpenSSH writes it."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


class TargetSyntaxError(ValueError):
    """A target string that is not HOST, HOST:PORT, [IPV6]:PORT or USER@HOST."""


def parse_target(spec: str, port: int | None = None) -> tuple[str, int | None]:
    """Split a user's target into host and explicit port (None if not given).

    Accepts ``host``, ``host:port``, ``[v6addr]:port``, a bare IPv6 address,
    and an ignored ``user@`` prefix; ``port`` (from ``-p``) wins over none,
    and conflicting ports are an error.
    """
    text = spec.strip()
    if not text or any(ch.isspace() or ord(ch) < 0x20 for ch in text):
        raise TargetSyntaxError(f"invalid target {spec!r}")
    if text.startswith("ssh://"):
        text = text[6:].rstrip("/")
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    explicit: int | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise TargetSyntaxError(f"invalid target {spec!r}")
        if rest:
            explicit = _port(rest[1:], spec)
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        explicit = _port(p, spec)
    else:
        host = text  # a name, IPv4, or a bare IPv6 address
    if not host:
        raise TargetSyntaxError(f"invalid target {spec!r}: no host")
    if port is not None and explicit is not None and port != explicit:
        raise TargetSyntaxError(f"target {spec!r} names port {explicit} but -p says {port}")
    return host, explicit if explicit is not None else port


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise TargetSyntaxError(f"invalid port in {spec!r}")
    return int(text)
