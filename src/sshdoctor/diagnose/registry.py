"""The registry of recognisers: each known message is one unit.

A recogniser names a literal ``needle`` that every line it can match must
contain (a cheap ``in`` test that skips most lines), a compiled pattern, and
a function that turns a match into a :class:`Finding`. Modules register their
recognisers when imported; :func:`recognisers` lists them all.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sshdoctor.model import Finding


@dataclass
class Context:
    """What earlier lines of the same text said, for messages that need it.

    ``peer`` is the last host and port a line named (``debug1: Connecting
    to …``, ``ssh: connect to host …``); ``aliases`` maps a host name to the
    address ssh connected to; ``recent`` holds the last few lines for
    messages that a program wraps over several lines; ``via`` names a
    wrapper (git, ansible) whose output holds the message.
    """

    peer: tuple[str, int | None] | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=12))
    via: str | None = None
    via_host: str | None = None
    client_of_pid: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    last_client: tuple[str, int | None] | None = None
    flags: set[str] = field(default_factory=set)


Build = Callable[[re.Match[str], Context], "Finding | list[Finding] | None"]


@dataclass(frozen=True, slots=True)
class Recogniser:
    """One message family: ``needle`` must occur in a line for ``pattern`` to be tried."""

    name: str
    needle: str
    source: str
    build: Build
    family: str
    flags: int = 0

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled pattern; compiled on first use, since most never meet their needle."""
        compiled = _COMPILED.get(self.name)
        if compiled is None:
            compiled = _COMPILED[self.name] = re.compile(self.source, self.flags)
        return compiled


_COMPILED: dict[str, re.Pattern[str]] = {}


_REGISTRY: list[Recogniser] = []


def register(name: str, needle: str, pattern: str, *, family: str, flags: int = 0) -> Callable[[Build], Build]:
    """Decorator: add ``build`` as the recogniser ``name``."""

    def wrap(build: Build) -> Build:
        _REGISTRY.append(Recogniser(name, needle, pattern, build, family, flags))
        return build

    return wrap


def recognisers() -> tuple[Recogniser, ...]:
    """Every registered recogniser, in registration order."""
    return tuple(_REGISTRY)
