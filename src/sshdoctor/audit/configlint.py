"""Checks of the algorithm directives in ssh_config and sshd_config (pure).

``lint_tree`` takes a parsed file with its Includes and what the local
OpenSSH supports and uses by default, and returns findings with file, line,
severity (``fail``, ``warn``, ``info``) and a stable ``code``:

- ``unknown-keyword``, ``vendor-keyword``, ``obsolete-keyword``
- ``unknown-algorithm``, ``unsupported-algorithm``, ``bad-wildcard``,
  ``no-match``, ``extra-arguments``, ``empty-list``
- ``weak-for-all-hosts``
- ``replacement-list``
- ``shadowed``
- ``not-allowed-in-match`` (sshd)
- ``rejected-by-program``: the installed ssh or sshd, run on the file, refuses the line

``fail`` means ssh or sshd rejects the file, or something broken is
enabled for every host; ``warn`` means the file works but not as it reads
or at a cost; ``info`` is advice.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from sshdoctor.catalog import Rating, algorithm, all_algorithms
from sshdoctor.catalog.obsolete import obsolete_keywords
from sshdoctor.local.sshconfig.document import Flavour, Section
from sshdoctor.local.sshconfig.keywords import (
    ALGORITHM_DIRECTIVES,
    SSH_KEYWORDS,
    SSHD_GLOBAL_ONLY,
    SSHD_KEYWORDS,
    VENDOR_SSH_KEYWORDS,
    VENDOR_SSHD_KEYWORDS,
    WILDCARD_DIRECTIVES,
    canonical_key,
)
from sshdoctor.local.sshconfig.loader import ConfigTree, Entry
from sshdoctor.local.sshconfig.matching import Applies, entry_unconditional, host_section, is_unconditional
from sshdoctor.model import Category
from sshdoctor.negotiate.listmod import ListSyntaxError, apply_modifier, filter_allow, match_pattern_list

SEVERITY_ORDER = {"fail": 0, "warn": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class ConfigFinding:
    """One lint result, located at a line of a file."""

    file: str
    line: int
    severity: str
    code: str
    message: str
    directive: str | None = None
    algorithm: str | None = None
    suggestion: str | None = None

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }
        for key in ("directive", "algorithm", "suggestion"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True, slots=True)
class LintContext:
    """What the local OpenSSH knows: ``supported`` per category (``ssh -Q``),
    ``defaults`` per lowercased directive (its list with no configuration),
    and a label such as ``OpenSSH_9.2p1`` for messages."""

    flavour: Flavour
    supported: Mapping[Category, Sequence[str]]
    defaults: Mapping[str, Sequence[str]]
    version: tuple[int, int] | None = None
    label: str = "the local OpenSSH"
    # What the program that reads the file said of it when it was run on it
    # (``ssh -G -F FILE``, ``sshd -t -f FILE``): (path, line) -> its message.
    # None when it could not be run; then the keyword tables decide alone.
    rejected: Mapping[tuple[str, int], str] | None = None
    # Checks a suggested form against the real program: (directive, value, form)
    # -> True (same list), False (same algorithms, other order), None (differs
    # or not checkable).
    same_as: Callable[[str, str, str], bool | None] | None = None


def _version_at_least(ctx: LintContext, since: str) -> bool:
    if ctx.version is None:
        return True
    major, minor = (int(x) for x in since.split("."))
    return ctx.version >= (major, minor)


class _Linter:
    def __init__(self, tree: ConfigTree, ctx: LintContext) -> None:
        self.tree = tree
        self.ctx = ctx
        self.findings: list[ConfigFinding] = []
        self.ignored_unknown: list[str] = []

    def add(self, entry: Entry, severity: str, code: str, message: str, *, directive: str | None = None,
            algorithm: str | None = None, suggestion: str | None = None) -> None:
        self.findings.append(
            ConfigFinding(entry.doc.path, entry.line.number, severity, code, message, directive, algorithm, suggestion)
        )

    # ---------------------------------------------------------------- keywords

    def keyword(self, entry: Entry) -> None:
        d = entry.directive
        if d.key == "ignoreunknown" and self.ctx.flavour == "ssh":
            self.ignored_unknown += [v.lower() for v in d.values]
        known = SSH_KEYWORDS if self.ctx.flavour == "ssh" else SSHD_KEYWORDS
        vendor = VENDOR_SSH_KEYWORDS if self.ctx.flavour == "ssh" else VENDOR_SSHD_KEYWORDS
        program = "ssh" if self.ctx.flavour == "ssh" else "sshd"
        ignored = program == "ssh" and any(match_pattern_list(d.key, p) == 1 for p in self.ignored_unknown)
        if self.ctx.rejected is not None and (entry.doc.path, entry.line.number) not in self.ctx.rejected and (
                d.key in vendor or d.key not in known) and not ignored:
            return  # the program that reads the file took it: a keyword of this build (DebianBanner on Debian)
        if d.key in vendor:
            if not ignored:
                self.add(entry, "warn", "vendor-keyword",
                         f"{d.keyword} comes from {vendor[d.key]}; OpenSSH builds without it stop at this line"
                         + (": list it in an IgnoreUnknown line above" if program == "ssh" else ""), directive=d.keyword)
            return
        if d.key not in known:
            if ignored:
                self.add(entry, "info", "unknown-keyword", f"{d.keyword} is unknown to OpenSSH (skipped: IgnoreUnknown)",
                         directive=d.keyword)
                return
            guess = difflib.get_close_matches(d.key, sorted(known), n=1, cutoff=0.75)
            hint = f"; did you mean {_display_keyword(guess[0])}?" if guess else ""
            self.add(entry, "fail", "unknown-keyword",
                     f"{d.keyword} is not an OpenSSH {program} keyword: {program} stops with 'Bad configuration option'{hint}",
                     directive=d.keyword, suggestion=_display_keyword(guess[0]) if guess else None)
            return
        table = obsolete_keywords(self.ctx.flavour)
        old = table.get(d.key)
        if old is None:
            return
        if old.status == "alias":
            severity = "info"
            what = f"renamed to {old.replacement} in OpenSSH {old.since}"
        elif old.status == "removed":
            severity = "fail" if _version_at_least(self.ctx, old.since) else "warn"
            what = f"rejected since OpenSSH {old.since}; use {old.replacement}"
        else:
            severity = "warn"
            what = f"{old.status} since OpenSSH {old.since}"
            if old.replacement:
                what += f" (use {old.replacement})"
        self.add(entry, severity, "obsolete-keyword", f"{d.keyword} is {what}: {old.note}", directive=d.keyword,
                 suggestion=old.replacement)

    # -------------------------------------------------------------- algorithms

    def algorithms(self, entry: Entry) -> None:
        d = entry.directive
        name, category = ALGORITHM_DIRECTIVES[d.key]
        program = "ssh" if self.ctx.flavour == "ssh" else "sshd"
        if self.ctx.flavour == "sshd" and d.key in SSHD_GLOBAL_ONLY and any(
            ctx.section.kind == "match" for ctx in entry.chain
        ):
            self.add(entry, "fail", "not-allowed-in-match",
                     f"{d.keyword} is not allowed inside a Match block: sshd refuses to start", directive=name)
            return
        if len(d.args) != 1:
            self.add(entry, "fail", "extra-arguments",
                     f"{d.keyword} takes one comma-separated list, not {len(d.args)} words: {program} stops at this line",
                     directive=name)
            return
        value = d.args[0].value
        prefix = value[0] if value[:1] in ("+", "-", "^") else ""
        names = [n for n in value[len(prefix):].split(",") if n]
        if not names:
            self.add(entry, "fail", "empty-list", f"{d.keyword} lists no algorithm", directive=name)
            return
        supported = list(self.ctx.supported.get(category, ()))
        for item in names:
            self.one_name(entry, name, category, prefix, item, supported, d.key)
        if prefix in ("", "+", "^") and entry_unconditional(entry):
            self.weak_everywhere(entry, name, category, names, supported)
        if prefix == "" and d.key not in ("casignaturealgorithms",):
            self.replacement(entry, name, category, value, supported)

    def one_name(self, entry: Entry, directive: str, category: Category, prefix: str, item: str,
                 supported: list[str], key: str) -> None:
        program = "ssh" if self.ctx.flavour == "ssh" else "sshd"
        if any(ch in item for ch in "*?!"):
            if prefix != "-" and key not in WILDCARD_DIRECTIVES:
                self.add(entry, "fail", "bad-wildcard",
                         f"{item}: {directive} accepts wildcards only in a '-' list; {program} stops at this line",
                         directive=directive, algorithm=item)
            elif not filter_allow(supported, item.lstrip("!")):
                self.add(entry, "warn", "no-match", f"{item} matches no {category.value} algorithm {self.ctx.label} supports",
                         directive=directive, algorithm=item)
            return
        if item in supported:
            return
        record = algorithm(category, item)
        rejects = prefix != "-"
        consequence = (f"{program} stops at this line for every host" if program == "ssh" else "sshd refuses to start") \
            if rejects else "removing it has no effect"
        if record.pseudo:
            self.add(entry, "fail" if rejects else "info", "unsupported-algorithm",
                     f"{item} is a protocol signal that ssh adds by itself, not an algorithm to configure: {consequence}",
                     directive=directive, algorithm=item)
            return
        if record.known:
            self.add(entry, "fail" if rejects else "info", "unsupported-algorithm",
                     f"{item} is not supported by {self.ctx.label}: {consequence}", directive=directive, algorithm=item)
            return
        candidates = sorted(set(supported) | {a.name for a in all_algorithms() if a.category is category})
        guess = difflib.get_close_matches(item, candidates, n=1, cutoff=0.6)
        hint = f"; did you mean {guess[0]}?" if guess else ""
        self.add(entry, "fail" if rejects else "info", "unknown-algorithm",
                 f"{item} is not a known {category.value} algorithm: {consequence}{hint}",
                 directive=directive, algorithm=item, suggestion=guess[0] if guess else None)

    def weak_everywhere(self, entry: Entry, directive: str, category: Category, names: list[str],
                        supported: list[str]) -> None:
        scope = _scope(entry, self.ctx.flavour)
        enabled: list[str] = []
        for item in names:
            enabled += filter_allow(supported, item) if any(ch in item for ch in "*?") else [item]
        for item in dict.fromkeys(enabled):
            record = algorithm(category, item)
            if record.rating not in (Rating.WEAK, Rating.BROKEN):
                continue
            severity = "fail" if record.rating is Rating.BROKEN else "warn"
            self.add(entry, severity, "weak-for-all-hosts",
                     f"{item} is {record.rating.value} ({record.reason}) and enabled for every "
                     f"{'host' if self.ctx.flavour == 'ssh' else 'client'} ({scope}); "
                     + ("enable it only in a Host block for the hosts that need it" if self.ctx.flavour == "ssh"
                        else "remove it unless a named client needs it"),
                     directive=directive, algorithm=item)

    def replacement(self, entry: Entry, directive: str, category: Category, value: str, supported: list[str]) -> None:
        key = canonical_key(entry.directive.key)
        defaults = list(self.ctx.defaults.get(key, ()))
        if not defaults or not supported:
            return
        try:
            intended = apply_modifier(value, defaults, supported)
        except ListSyntaxError:
            self.add(entry, "fail", "empty-list",
                     f"{directive} {value} leaves no algorithm {self.ctx.label} supports", directive=directive)
            return
        dropped = [n for n in defaults if n not in intended]
        form, exact = suggest_form(intended, defaults, supported)
        modern = [n for n in dropped if algorithm(category, n).rating in (Rating.STRONG, Rating.ACCEPTABLE)]
        if form == "" and exact:
            self.add(entry, "info", "replacement-list",
                     f"{directive} repeats the default list of {self.ctx.label}; without the line you would also get "
                     "future defaults", directive=directive)
            return
        if form is not None and self.ctx.same_as is not None:
            # The claim is the program's to confirm, not the catalog's.
            real = self.ctx.same_as(directive, value, form)
            if real is None:
                form, exact = None, False
            else:
                exact = real
        if form is None:
            advice = "no single +/-/^ form gives this list"
        elif form == "":
            advice = "without the line you get the same algorithms, in the default order"
        elif exact:
            advice = f"'{directive} {form}' gives the same list"
        else:
            advice = f"'{directive} {form}' gives the same algorithms in the default order"
        if modern:
            self.add(entry, "warn", "replacement-list",
                     f"{directive} replaces the default list: it drops {', '.join(modern)} and will not get algorithms "
                     f"that later OpenSSH releases add by default; {advice}", directive=directive, suggestion=form or None)
        else:
            self.add(entry, "info", "replacement-list",
                     f"{directive} replaces the default list and will not get algorithms that later OpenSSH releases "
                     f"add by default; {advice}", directive=directive, suggestion=form or None)

    # ---------------------------------------------------------------- shadowing

    def shadowing(self) -> None:
        seen: dict[str, list[Entry]] = {}
        for entry in self.tree.entries:
            key = entry.directive.key
            if key not in ALGORITHM_DIRECTIVES:
                continue
            key = canonical_key(key)
            for earlier in seen.get(key, []):
                if _covers(earlier, entry, self.ctx.flavour):
                    target = _target_text(entry, self.ctx.flavour)
                    self.add(entry, "warn", "shadowed",
                             f"{entry.directive.keyword} never takes effect for {target}: {earlier.where} sets "
                             f"{ALGORITHM_DIRECTIVES[key][0]} first and the first value read wins; move this line above "
                             "it or merge the two", directive=ALGORITHM_DIRECTIVES[key][0])
                    break
            seen.setdefault(key, []).append(entry)

    def program_rejects(self) -> None:
        """Lines the real program refused that no check of ours called a failure (``Tag`` on a 9.2 ssh)."""
        if not self.ctx.rejected:
            return
        failed = {(f.file, f.line) for f in self.findings if f.severity == "fail"}
        program = "ssh" if self.ctx.flavour == "ssh" else "sshd"
        known = SSH_KEYWORDS if self.ctx.flavour == "ssh" else SSHD_KEYWORDS
        for entry in self.tree.entries:
            where = (entry.doc.path, entry.line.number)
            said = self.ctx.rejected.get(where)
            if said is None or where in failed:
                continue
            failed.add(where)
            own = next((i for i, f in enumerate(self.findings) if (f.file, f.line) == where), None)
            if own is not None:  # our warning was right, and the program makes it a failure
                f = self.findings[own]
                self.findings[own] = replace(f, severity="fail", message=f"{f.message} ({self.ctx.label}'s {program} "
                                                                        f"rejects it: {said})")
                continue
            d = entry.directive
            self.add(entry, "fail", "rejected-by-program",
                     f"{d.keyword}: {self.ctx.label}'s {program} rejects this line ({said})"
                     + (" although later OpenSSH releases know it" if d.key in known else "")
                     + f": {program} stops here", directive=d.keyword)

    def run(self) -> list[ConfigFinding]:
        for entry in self.tree.entries:
            self.keyword(entry)
            if entry.directive.key in ALGORITHM_DIRECTIVES:
                self.algorithms(entry)
        self.shadowing()
        self.program_rejects()
        order = {doc.path: n for n, doc in enumerate(self.tree.documents)}
        return sorted(self.findings, key=lambda f: (order.get(f.file, 0), f.line, SEVERITY_ORDER[f.severity]))


def _display_keyword(key: str) -> str:
    return ALGORITHM_DIRECTIVES[key][0] if key in ALGORITHM_DIRECTIVES else key


def _scope(entry: Entry, flavour: Flavour) -> str:
    section = entry.chain[-1].section
    if section.kind == "global":
        return "global section" if entry.in_main else f"global section of an included file, {entry.where}"
    header = entry.doc.lines[section.start].text.strip()
    return f"'{header}'"


def _target_text(entry: Entry, flavour: Flavour) -> str:
    section = entry.chain[-1].section
    if section.kind == "global":
        return "any host" if flavour == "ssh" else "any client"
    return f"'{entry.doc.lines[section.start].text.strip()}'"


def _section_covers(first: Section, second: Section, flavour: Flavour) -> bool:
    """Whether every host (client) ``second`` applies to is one ``first`` applies to."""
    if first is second or is_unconditional(first):
        return True
    if flavour == "sshd" or first.kind != "host" or second.kind != "host":
        return False
    positives = [p for p in second.patterns if not p.startswith("!")]
    if not positives:
        return False
    for pattern in positives:
        if any(ch in pattern for ch in "*?"):
            if pattern not in first.patterns or any(p.startswith("!") for p in first.patterns):
                return False
        elif host_section(first.patterns, pattern) is not Applies.YES:
            return False
    return True


def _covers(earlier: Entry, later: Entry, flavour: Flavour) -> bool:
    """Whether ``earlier`` is read first for every host/connection ``later`` applies to."""
    if flavour == "sshd":
        # sshd: a Match block's value overrides the global one; among the
        # global lines, and among the blocks that match, the first one wins.
        e_match = any(c.section.kind == "match" for c in earlier.chain)
        l_match = any(c.section.kind == "match" for c in later.chain)
        if not e_match:
            return not l_match
        e_section = next(c.section for c in earlier.chain if c.section.kind == "match")
        l_section = next((c.section for c in later.chain if c.section.kind == "match"), None)
        return l_section is not None and (e_section is l_section or is_unconditional(e_section))
    outer = earlier.chain[:-1]
    if not all(is_unconditional(c.section) for c in outer):
        return False
    return _section_covers(earlier.chain[-1].section, later.chain[-1].section, flavour)


def suggest_form(intended: Sequence[str], defaults: Sequence[str], supported: Sequence[str]) -> tuple[str | None, bool]:
    """The ``+``/``-``/``^`` value that yields ``intended`` from the defaults
    (``""`` for the defaults themselves) and whether it yields it exactly or
    only as the same set in another order; (None, False) when none does."""
    intended = list(intended)
    extras = [n for n in intended if n not in defaults]
    dropped = [n for n in defaults if n not in intended]
    candidates: list[str] = []
    if not extras and not dropped:
        candidates.append("")
    if not extras and dropped:
        candidates.append("-" + ",".join(dropped))
    if extras and not dropped:
        candidates += ["+" + ",".join(extras), "^" + ",".join(extras)]
    nearest: str | None = None
    for form in candidates:
        try:
            result = apply_modifier(form, defaults, supported) if form else list(defaults)
        except ListSyntaxError:
            continue
        if result == intended:
            return form, True
        if nearest is None and sorted(result) == sorted(intended):
            nearest = form
    return nearest, False


def lint_tree(tree: ConfigTree, ctx: LintContext) -> list[ConfigFinding]:
    """Every finding for a file and what it includes, in reading order."""
    return _Linter(tree, ctx).run()


def exit_code(findings: Sequence[ConfigFinding]) -> int:
    """0 clean (info only), 1 warnings, 6 at least one ``fail`` (docs/exit-codes.md)."""
    severities = {f.severity for f in findings}
    if "fail" in severities:
        return 6
    if "warn" in severities:
        return 1
    return 0
