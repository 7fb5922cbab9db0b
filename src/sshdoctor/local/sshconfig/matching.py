"""Does a Host or Match section apply to a host? Yes, no, or cannot tell here.

Host patterns are decided exactly (readconf.c: a negated pattern that
matches turns the block off, otherwise any matching pattern turns it on).
Match criteria that depend on the run (``exec``, ``user``, ``localnetwork``,
``canonical``, ``final``, ``tagged`` …) cannot be decided without running
ssh, so they count as "maybe": a placement decision must then assume the
block may apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sshdoctor.local.sshconfig.document import MatchCriterion, Section
from sshdoctor.local.sshconfig.loader import Entry
from sshdoctor.negotiate.listmod import match_pattern, match_pattern_list


class Applies(Enum):
    """Three-valued answer; ``combine`` is logical AND."""

    NO = 0
    MAYBE = 1
    YES = 2

    def combine(self, other: Applies) -> Applies:
        return self if self.value <= other.value else other

    @property
    def possible(self) -> bool:
        return self is not Applies.NO


@dataclass(frozen=True, slots=True)
class HostQuery:
    """The name typed on the command line (``alias``) and, when known, the
    HostName ssh ends up with (what ``Match host`` compares)."""

    alias: str
    hostname: str | None = None


def host_section(patterns: tuple[str, ...], alias: str) -> Applies:
    """A ``Host`` line against the alias, as readconf.c's oHost case decides it."""
    active = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if match_pattern(alias, pattern[1:] if negated else pattern):
            if negated:
                return Applies.NO
            active = True
    return Applies.YES if active else Applies.NO


def _criterion(c: MatchCriterion, query: HostQuery) -> Applies:
    if c.name == "all":
        return Applies.NO if c.negated else Applies.YES
    if c.name in ("host", "originalhost") and c.argument is not None:
        names = {query.alias}
        if c.name == "host" and query.hostname:
            # Before a HostName line is read ssh compares the alias, after it
            # the HostName: when both give the same answer it is certain.
            names.add(query.hostname)
        results = {match_pattern_list(n.lower(), c.argument) == 1 for n in names}
        if len(results) > 1:
            return Applies.MAYBE
        hit = results.pop()
        return Applies.YES if hit != c.negated else Applies.NO
    return Applies.MAYBE


def match_section(criteria: tuple[MatchCriterion, ...], query: HostQuery) -> Applies:
    result = Applies.YES
    for c in criteria:
        result = result.combine(_criterion(c, query))
    return result


def section_applies(section: Section, query: HostQuery) -> Applies:
    """Whether one section's lines apply to the host."""
    if section.kind == "global":
        return Applies.YES
    if section.kind == "host":
        return host_section(section.patterns, query.alias)
    return match_section(section.criteria, query)


def entry_applies(entry: Entry, query: HostQuery) -> Applies:
    """Whether a line applies: every section around it must."""
    result = Applies.YES
    for ctx in entry.chain:
        result = result.combine(section_applies(ctx.section, query))
        if result is Applies.NO:
            break
    return result


def is_unconditional(section: Section) -> bool:
    """Global part, ``Host *`` or ``Match all``: applies to every host."""
    if section.kind == "global":
        return True
    if section.kind == "host":
        return "*" in section.patterns and not any(p.startswith("!") for p in section.patterns)
    return len(section.criteria) == 1 and section.criteria[0].name == "all" and not section.criteria[0].negated


def entry_unconditional(entry: Entry) -> bool:
    return all(is_unconditional(ctx.section) for ctx in entry.chain)
