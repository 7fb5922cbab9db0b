"""Where a Host block goes so that its settings take effect, and the new text.

ssh keeps the first value it reads for each directive, so a fix for one host
must be read before any other line that could set the same directive for
that host. The rules, in order:

1. A directive set for every host in the global part (before the first
   Host/Match line, Includes there included) cannot be overridden by any
   block: refuse, naming the line that has to change.
2. If a ``Host`` block with exactly the wanted patterns exists and no line
   before it sets the directives for these hosts, merge into it: an
   existing value gains the names, a missing directive is added at the end
   of the block, everything else stays as it is.
3. Otherwise write a new block right before the first Host/Match block of
   the main file that could apply to one of the hosts (or at the end when
   none could). Its values carry over whatever the line that used to win
   set, plus the new names, so the host's lists change by exactly the fix.

The caller re-reads the result and checks with ``verify`` that each
directive now comes from the new lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sshdoctor.local.sshconfig.document import ConfigDocument, ConfigLine, Section
from sshdoctor.local.sshconfig.errors import PlacementConflict
from sshdoctor.local.sshconfig.keywords import ALGORITHM_DIRECTIVES, canonical_key
from sshdoctor.local.sshconfig.loader import ConfigTree, Entry
from sshdoctor.local.sshconfig.matching import Applies, HostQuery, entry_applies, entry_unconditional, section_applies
from sshdoctor.local.sshconfig.merge import ListContext, MergeError, covered, merge_value, new_value
from sshdoctor.model import Change

_DEFAULT_INDENT = "    "


@dataclass(frozen=True, slots=True)
class EditPlan:
    """The main file's new text and what was done.

    ``action`` is ``unchanged``, ``merged`` (into an existing block),
    ``inserted`` (a new block before another), ``appended`` or ``created``.
    ``block_start``/``block_end`` are 0-based line indices of the block that
    now carries the fix, in the new text.
    """

    text: str
    action: str
    block_start: int
    block_end: int
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class _Line:
    text: str
    ending: str


def possible_setters(tree: ConfigTree, query: HostQuery, key: str) -> list[tuple[Entry, Applies]]:
    """The lines that may set directive ``key`` for the host, in reading order,
    up to and including the first one that certainly does."""
    out: list[tuple[Entry, Applies]] = []
    for entry in tree.entries:
        if canonical_key(entry.directive.key) != key:
            continue
        applies = entry_applies(entry, query)
        if applies.possible:
            out.append((entry, applies))
            if applies is Applies.YES:
                break
    return out


def first_setter(tree: ConfigTree, query: HostQuery, key: str) -> tuple[Entry, Applies] | None:
    """The first line that sets (or may set) directive ``key`` for the host."""
    found = possible_setters(tree, query, key)
    return found[0] if found else None


def _first_header(doc: ConfigDocument) -> int:
    headers = [s.start for s in doc.sections if s.kind != "global"]
    return headers[0] if headers else len(doc.lines)


def _value_of(entry: Entry) -> str:
    values = entry.directive.values
    if len(values) != 1:
        raise PlacementConflict(
            f"{entry.where}: {entry.directive.keyword} has {len(values)} values where OpenSSH takes one; fix that line first",
            path=entry.doc.path,
            line=entry.line.number,
        )
    return values[0]


def _indent(doc: ConfigDocument) -> str:
    for section in doc.sections:
        if section.kind == "global":
            continue
        for i in section.body():
            line = doc.lines[i]
            if line.directive is not None:
                text = line.text
                lead = text[: len(text) - len(text.lstrip(" \t"))]
                if lead:
                    return lead
    return _DEFAULT_INDENT


def _display(key: str, change: Change) -> str:
    return ALGORITHM_DIRECTIVES[key][0] if key in ALGORITHM_DIRECTIVES else change.directive


def _keys(changes: Sequence[Change]) -> list[tuple[str, Change]]:
    out: list[tuple[str, Change]] = []
    for change in changes:
        if change.remove or not change.add:
            raise ValueError(f"{change.directive}: only additions (+names) can be written into a Host block")
        key = canonical_key(change.directive)
        if key not in ALGORITHM_DIRECTIVES:
            raise ValueError(f"{change.directive} is not an algorithm-list directive")
        out.append((key, change))
    return out


def _global_conflict(entry: Entry, directive: str, names: Sequence[str]) -> PlacementConflict:
    line = entry.line.text.strip()
    if entry.in_main:
        how = f"'{line}' sets {directive} for every host before any Host block is read"
    else:
        main = entry.chain[0].doc.path
        scope = "for every host" if entry_unconditional(entry) else "for this host"
        how = (f"'{line}' sets {directive} {scope}, and ssh reads it (through the Include on {main}:"
               f"{entry.top_index + 1}) before any Host block of {main}")
    return PlacementConflict(
        f"{entry.where}: {how}; ssh keeps the first value it reads, so no Host block can add {','.join(names)}: "
        "change that line (or move it into a 'Host *' block at the end of the file) and run again",
        path=entry.doc.path,
        line=entry.line.number,
    )


def _replace_value(line: ConfigLine, value: str) -> str:
    assert line.directive is not None
    arg = line.directive.args[0]
    raw = f'"{value}"' if arg.quoted(line.text) else value
    return line.text[: arg.start] + raw + line.text[arg.end :]


def _exact_block(doc: ConfigDocument, patterns: tuple[str, ...]) -> Section | None:
    for section in doc.sections:
        if section.kind == "host" and sorted(section.patterns) == sorted(patterns):
            return section
    return None


def plan_block(
    tree: ConfigTree,
    patterns: Sequence[str],
    targets: Sequence[HostQuery],
    changes: Sequence[Change],
    *,
    hostname: str | None = None,
    port: int | None = None,
    comment: str | None = None,
    lists: ListContext | None = None,
) -> EditPlan:
    """Compute the new text of ``tree.main`` that scopes ``changes`` to ``patterns``.

    ``targets`` are the hosts the block is for (one alias, or every host of a
    group). Raises PlacementConflict when no placement can work and
    ValueError for changes that are not additions to algorithm lists.
    """
    doc = tree.main
    pats = tuple(patterns)
    keyed = _keys(changes)
    notes: list[str] = []
    first_header = _first_header(doc)

    setters: dict[str, list[tuple[Entry, Applies] | None]] = {}
    for key, change in keyed:
        found = [first_setter(tree, q, key) for q in targets]
        for hit in found:
            if hit is not None and hit[0].top_index < first_header:
                raise _global_conflict(hit[0], _display(key, change), change.add)
        setters[key] = found

    lines = [_Line(line.text, line.ending) for line in doc.lines]
    nl = doc.newline
    indent = _indent(doc)

    existing = _exact_block(doc, pats)
    if existing is not None and _mergeable(existing, setters):
        return _merge(doc, lines, existing, keyed, setters, hostname, port, targets, tree, indent, nl, lists, notes)

    values: list[tuple[str, str]] = []
    for key, change in keyed:
        runs = [possible_setters(tree, q, key) for q in targets]
        # The line that decides the list when no run-dependent block applies:
        # its list, plus the fix, is what the new block must say.
        certain = [run[-1][0] if run and run[-1][1] is Applies.YES else None for run in runs]
        distinct = {(e.doc.path, e.index) if e else None for e in certain}
        if len(distinct) > 1:
            where = ", ".join(sorted(e.where for e in certain if e))
            raise PlacementConflict(
                f"the hosts get {_display(key, change)} from different lines ({where}); "
                "one block cannot keep each host's list: write one block per host"
            )
        carry = certain[0] if certain else None
        if carry is not None:
            try:
                value = merge_value(_value_of(carry), change.add, key=key, lists=lists)
            except MergeError as exc:
                raise PlacementConflict(f"{carry.where}: {exc}", path=carry.doc.path, line=carry.line.number) from None
            notes.append(f"{_display(key, change)} keeps the list of {carry.where} and adds {','.join(change.add)}")
        else:
            value = new_value(change.add)
        maybes = sorted({e.where for run in runs for e, applies in run if applies is Applies.MAYBE})
        if maybes:
            notes.append(
                f"{', '.join(maybes)} may also set {_display(key, change)} for this host (the block depends on "
                "the run); the new block is read first and takes precedence"
            )
        values.append((_display(key, change), value))

    block: list[str] = []
    if comment:
        block += [f"# {c}".rstrip() for c in comment.splitlines()]
    header_at = len(block)
    block.append("Host " + " ".join(pats))
    if len(targets) == 1:
        alias = targets[0].alias
        if hostname and hostname != alias and first_setter(tree, targets[0], "hostname") is None:
            block.append(f"{indent}HostName {hostname}")
        if port and port != 22 and first_setter(tree, targets[0], "port") is None:
            block.append(f"{indent}Port {port}")
    block += [f"{indent}{name} {value}" for name, value in values]

    insert_at = _insertion_point(doc, targets)
    if insert_at is None:
        return _append(doc, lines, block, header_at, nl, notes)
    new = [_Line(text, nl) for text in block] + [_Line("", nl)]
    lines[insert_at:insert_at] = new
    start = insert_at + header_at
    return EditPlan(_join(lines), "inserted", start, insert_at + len(block), tuple(notes))


def _mergeable(section: Section, setters: dict[str, list[tuple[Entry, Applies] | None]]) -> bool:
    for hits in setters.values():
        for hit in hits:
            if hit is None:
                continue
            entry = hit[0]
            if entry.top_index < section.start:
                return False
            if section.start <= entry.top_index < section.end and not entry.in_main:
                # Set by a file the block Includes: a line added to the
                # block would come after it.
                return False
    return True


def _merge(
    doc: ConfigDocument,
    lines: list[_Line],
    section: Section,
    keyed: list[tuple[str, Change]],
    setters: dict[str, list[tuple[Entry, Applies] | None]],
    hostname: str | None,
    port: int | None,
    targets: Sequence[HostQuery],
    tree: ConfigTree,
    indent: str,
    nl: str,
    lists: ListContext | None,
    notes: list[str],
) -> EditPlan:
    body_directives = [i for i in section.body() if doc.lines[i].directive is not None]
    own_indent = indent
    if body_directives:
        text = doc.lines[body_directives[-1]].text
        own_indent = text[: len(text) - len(text.lstrip(" \t"))] or indent
    changed = False
    added: list[str] = []
    for key, change in keyed:
        line_index = next((i for i in body_directives if canonical_key(doc.lines[i].key or "") == key), None)
        if line_index is None:
            added.append(f"{own_indent}{_display(key, change)} {new_value(change.add)}")
            continue
        line = doc.lines[line_index]
        assert line.directive is not None
        if len(line.directive.args) != 1:
            raise PlacementConflict(
                f"{doc.path}:{line.number}: {line.directive.keyword} has {len(line.directive.args)} values where "
                "OpenSSH takes one; fix that line first",
                path=doc.path,
                line=line.number,
            )
        old = line.directive.args[0].value
        try:
            value = merge_value(old, change.add, key=key, lists=lists)
        except MergeError as exc:
            raise PlacementConflict(f"{doc.path}:{line.number}: {exc}", path=doc.path, line=line.number) from None
        if value != old:
            if not old.startswith(("+", "-", "^")):
                notes.append(f"{doc.path}:{line.number} replaces the default list; the names were added to that list")
            elif old[0] in "-^":
                notes.append(
                    f"{doc.path}:{line.number} was '{old}'; it is now the explicit list that gave, plus the new names"
                )
            lines[line_index].text = _replace_value(line, value)
            changed = True
    if len(targets) == 1:
        query = targets[0]
        sets_hostname = any(doc.lines[i].key == "hostname" for i in body_directives)
        sets_port = any(doc.lines[i].key == "port" for i in body_directives)
        if hostname and hostname != query.alias and not sets_hostname and first_setter(tree, query, "hostname") is None:
            added.insert(0, f"{own_indent}HostName {hostname}")
        if port and port != 22 and not sets_port and first_setter(tree, query, "port") is None:
            added.insert(1 if added and added[0].lstrip().startswith("HostName") else 0, f"{own_indent}Port {port}")
    if added:
        after = (body_directives[-1] if body_directives else section.start) + 1
        tail = lines[after - 1]
        new = [_Line(text, nl) for text in added]
        if tail.ending == "":
            # Keep a file that had no final newline without one.
            tail.ending = nl
            new[-1].ending = ""
        lines[after:after] = new
        changed = True
    if not changed:
        return EditPlan(doc.text(), "unchanged", section.start, section.end)
    return EditPlan(_join(lines), "merged", section.start, section.end + len(added), tuple(notes))


def _insertion_point(doc: ConfigDocument, targets: Sequence[HostQuery]) -> int | None:
    """Before the first main-file block that could apply to a target, above the
    comment lines that introduce it; None when no block could apply."""
    for section in doc.sections:
        if section.kind == "global":
            continue
        if not any(section_applies(section, q).possible for q in targets):
            continue
        at = section.start
        while at > 0 and doc.lines[at - 1].is_comment:
            at -= 1
        if at == 0 and section.start > 0:
            # A comment at the very top describes the file, not this block.
            at = section.start
        return at
    return None


def _append(doc: ConfigDocument, lines: list[_Line], block: list[str], header_at: int, nl: str, notes: list[str]) -> EditPlan:
    if not lines:
        new = [_Line(text, nl) for text in block]
        return EditPlan(_join(new), "created", header_at, len(new), tuple(notes))
    final_ending = lines[-1].ending
    if final_ending == "":
        lines[-1].ending = nl
    if lines[-1].text.strip():
        lines.append(_Line("", nl))
    start = len(lines)
    lines += [_Line(text, nl) for text in block]
    # A file that ended without a newline keeps ending without one.
    lines[-1].ending = nl if final_ending else ""
    return EditPlan(_join(lines), "appended", start + header_at, len(lines), tuple(notes))


def _join(lines: list[_Line]) -> str:
    return "".join(line.text + line.ending for line in lines)


def verify(tree: ConfigTree, targets: Sequence[HostQuery], changes: Sequence[Change], block: tuple[int, int]) -> None:
    """Check, on the re-read new file, that every directive of ``changes`` now
    comes from the block's lines and names the added algorithms."""
    for key, change in _keys(changes):
        for query in targets:
            hit = first_setter(tree, query, key)
            ok = hit is not None and hit[0].in_main and block[0] <= hit[0].index < block[1]
            if ok and hit is not None:
                value = _value_of(hit[0])
                ok = all(covered(name, value) for name in change.add)
            if not ok:
                where = hit[0].where if hit else "nothing"
                raise PlacementConflict(
                    f"after the edit {_display(key, change)} for {query.alias} would still come from {where}; "
                    "the file was not changed",
                    path=hit[0].doc.path if hit else None,
                    line=hit[0].line.number if hit else None,
                )
