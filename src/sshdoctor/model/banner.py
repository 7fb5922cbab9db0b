"""The identification string of RFC 4253 section 4.2."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Banner:
    """A peer's ``SSH-protoversion-softwareversion SP comments`` line.

    ``raw`` is the line as received (without CR LF), undecoded bytes mapped
    with surrogateescape so nothing is lost; it may hold control characters
    and must be sanitised before it reaches a terminal.
    """

    raw: str
    proto_version: str
    software: str
    comments: str | None = None
    pre_banner: tuple[str, ...] = ()

    @classmethod
    def parse(cls, line: str, pre_banner: tuple[str, ...] = ()) -> Banner:
        """Split an ``SSH-`` line into its parts; raises ValueError if not one."""
        if not line.startswith("SSH-"):
            raise ValueError("not an SSH identification string")
        rest = line[4:]
        proto, sep, tail = rest.partition("-")
        if not sep:
            raise ValueError("identification string has no software version")
        software, space, comments = tail.partition(" ")
        return cls(
            raw=line,
            proto_version=proto,
            software=software,
            comments=comments if space else None,
            pre_banner=pre_banner,
        )

    @property
    def speaks_ssh2(self) -> bool:
        """True for 2.0 and for 1.99 (a server that speaks both protocols)."""
        return self.proto_version in ("2.0", "1.99")
