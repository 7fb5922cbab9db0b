"""How the user runs ssh for a host, so that every command sshdoctor prints
runs as printed: the same destination (alias, ``user@``), port, ``-F`` file,
``-o`` options, identity, jump host and remote command the user gave, with
only the fix added."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Invocation:
    """The parts of an ssh command line that decide where and how it connects.

    ``destination`` is the host as typed (an ssh_config alias stays an
    alias); ``port`` is only what the user gave (``-p``), never a resolved
    default, so a printed command changes nothing but the fix.
    """

    destination: str
    user: str | None = None
    port: int | None = None
    config_file: str | None = None
    options: tuple[str, ...] = ()
    identity: tuple[str, ...] = ()
    jump: str | None = None
    remote: tuple[str, ...] = ()
    program: str = "ssh"
    env: dict[str, str] = field(default_factory=dict, compare=False)

    def with_options(self, extra: Sequence[str]) -> Invocation:
        """The same invocation with more ``-o`` options (``Directive=value``), after the user's own."""
        return replace(self, options=(*self.options, *extra))

    def _common(self, port_flag: str) -> list[str]:
        args: list[str] = []
        if self.config_file:
            args += ["-F", self.config_file]
        for opt in self.options:
            args += ["-o", opt]
        for ident in self.identity:
            args += ["-i", ident]
        if self.jump:
            args += ["-J", self.jump]
        if self.port is not None:
            args += [port_flag, str(self.port)]
        return args

    @property
    def target(self) -> str:
        """``user@host`` as ssh takes it (a bare IPv6 address needs no brackets for ssh)."""
        return f"{self.user}@{self.destination}" if self.user else self.destination

    def ssh_argv(self, *, remote: Sequence[str] | None = None) -> list[str]:
        """``ssh [-F f] [-o …] [-i …] [-J …] [-p N] [user@]host [command …]``."""
        tail = list(self.remote if remote is None else remote)
        return ["ssh", *self._common("-p"), self.target, *tail]

    def sftp_argv(self) -> list[str]:
        """``sftp`` to the same host with the same options (it takes -P for the port)."""
        host = f"[{self.destination}]" if ":" in self.destination else self.destination
        return ["sftp", *self._common("-P"), f"{self.user}@{host}" if self.user else host]

    def ssh_check_argv(self) -> list[str]:
        """A run of this ssh that shows how far negotiation gets and changes nothing: ``-v``, BatchMode,
        the remote command ``true``."""
        quiet = replace(self, options=(*self.options, "BatchMode=yes"))
        return ["ssh", "-v", *quiet._common("-p"), quiet.target, "true"]
