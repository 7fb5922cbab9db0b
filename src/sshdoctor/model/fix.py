"""A change that makes a connection work, with what it costs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Change:
    """One directive and the algorithms it adds (``+``) or removes (``-``)."""

    directive: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    explicit: tuple[str, ...] = ()

    def option_value(self) -> str:
        """The value as written after the directive, e.g. ``+hmac-sha1``.

        ``explicit`` (a whole list) is used where a ``+`` relative to the
        compiled defaults would drop what the user's own config set.
        """
        if self.explicit:
            return ",".join(self.explicit)
        if self.add:
            return "+" + ",".join(self.add)
        return "-" + ",".join(self.remove)

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"directive": self.directive}
        if self.add:
            data["add"] = list(self.add)
        if self.remove:
            data["remove"] = list(self.remove)
        return data


@dataclass(frozen=True, slots=True)
class Fix:
    """A ranked remedy: where it applies (``scope``), the changes, and the risks."""

    scope: str
    changes: tuple[Change, ...]
    risks: tuple[str, ...] = ()
    host: str | None = None
    notes: tuple[str, ...] = ()
    renderings: dict[str, str] = field(default_factory=dict, compare=False)

    def ssh_options(self) -> list[str]:
        """The ``-o Directive=value`` arguments for a one-off ssh command."""
        args: list[str] = []
        for change in self.changes:
            args += ["-o", f"{change.directive}={change.option_value()}"]
        return args
