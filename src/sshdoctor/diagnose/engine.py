"""Running every recogniser over a text, line by line, and tidying the result.

The engine keeps no more than a bounded list of findings and a few lines of
context, so a text of any length can be streamed through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sshdoctor.diagnose.registry import Context, Recogniser, recognisers
from sshdoctor.diagnose.text import (
    BREAK,
    MAX_LINE,
    Wrapped,
    clean_line,
    join_block,
    junction,
    list_is_open,
    strip_paste,
    wrapped_rule,
)
from sshdoctor.diagnose.vlog import VlogReader
from sshdoctor.model import Finding

MAX_FINDINGS = 500
MAX_JOINED = 32  # lines one wrapped message may span


class Explainer:
    """Feed lines with :meth:`feed`; :meth:`finish` returns the findings.

    With ``join`` (the default) a line that ends inside a name-list, or that
    starts a message declared with ``text.register_wrapped`` and is not yet
    whole, is held until the next line shows whether it carries on (a
    terminal, mail client or device wrapped it): the findings of a line may
    therefore come back from the following :meth:`feed`, or from
    :meth:`flush` at the end. Without ``join`` every line stands alone (the
    server-log summary, which feeds only the lines it picked out).
    """

    def __init__(self, *, families: Iterable[str] | None = None, names: Iterable[str] = (), keep: bool = True,
                 join: bool = True) -> None:
        wanted = set(families) if families is not None else None
        extra = set(names)
        self._recs: tuple[Recogniser, ...] = tuple(
            r for r in recognisers() if wanted is None or r.family in wanted or r.name in extra
        )
        self.ctx = Context()
        self.vlog = VlogReader()
        self.keep = keep
        self.join = join
        self.found: list[Finding] = []
        self.lines = 0
        # The block of lines held back while the next one may carry it on.
        self._pieces: list[str] = []
        self._seps: list[str] = []
        self._lengths: list[int] = []
        self._gaps: list[bool] = []
        self._text = ""  # the block joined so far (words with a space)
        self._lead = 0
        self._rule: Wrapped | None = None

    def feed(self, raw: str) -> list[Finding]:
        """Process one line; returns the findings it (or a line held before it) produced."""
        self.lines += 1
        cleaned = clean_line(raw)
        line = strip_paste(cleaned)
        if not self.join:
            return self._process(line) if line.strip() else []
        produced: list[Finding] = []
        body = line.lstrip()
        if self._pieces:
            how = junction(self._text, body, rule=self._open_rule()) if body else None
            if how is not None and len(self._text) + len(body) < MAX_LINE and len(self._pieces) < MAX_JOINED:
                self._add(body, how, cleaned)
                if not self._holds():
                    produced = self.flush()
                return produced
            produced = self.flush()
        if not body:
            return produced
        rule = wrapped_rule(line)
        if rule is None and line[-1] != " " and not list_is_open(line):
            return produced + self._process(line)  # the usual line: nothing to hold
        self._rule = rule
        self._add(line, "", cleaned)
        if self._holds():
            return produced
        return produced + self.flush()

    def _add(self, piece: str, how: str, cleaned: str) -> None:
        lead = len(cleaned) - len(cleaned.lstrip())
        if self._pieces:
            self._seps.append(how)
            self._text += how + piece
        else:
            self._text = piece
            self._lead = lead
        self._pieces.append(piece)
        self._lengths.append(len(cleaned))
        # More indentation than the first line had: a hard wrap fell just before a space.
        self._gaps.append(lead > self._lead)

    def _open_rule(self) -> Wrapped | None:
        rule = self._rule
        if rule is None or len(self._pieces) >= rule.max_lines or rule.complete(self._text):
            return None
        return rule

    def _holds(self) -> bool:
        """Whether the next line may still carry on the block held (a line ending in a space is a soft break)."""
        return self._text.endswith(" ") or list_is_open(self._text) or self._open_rule() is not None

    def flush(self) -> list[Finding]:
        """Process the lines held back for a possible continuation; their findings."""
        if not self._pieces:
            return []
        pieces = self._pieces
        line = pieces[0] if len(pieces) == 1 else join_block(pieces, self._seps, self._lengths, self._gaps)
        self._pieces, self._seps, self._lengths, self._gaps, self._text, self._rule = [], [], [], [], "", None
        return self._process(line)

    def _process(self, line: str) -> list[Finding]:
        self.vlog.feed(line)
        produced: list[Finding] = []
        self.ctx.flags.discard("consumed")
        for rec in self._recs:
            if rec.needle not in line:
                continue
            m = rec.pattern.search(line)
            if m is None:
                continue
            result = rec.build(m, self.ctx)
            if isinstance(result, Finding):
                produced.append(result)
            elif result:
                produced.extend(result)
            if "consumed" in self.ctx.flags:
                break
        if produced and (BREAK in line or "\u00a4" in line):
            produced = [_mark_incomplete(f) for f in produced]
        self.ctx.recent.append(line)
        if self.keep and len(self.found) < MAX_FINDINGS:
            self.found.extend(produced[: MAX_FINDINGS - len(self.found)])
        return produced

    def finish(self) -> list[Finding]:
        """The findings of everything fed, merged and ordered."""
        self.flush()
        host, port = self.ctx.peer or (None, None)
        found = self.vlog.findings(host, port) + self.found
        return tidy(found, self.ctx)


def _mark_incomplete(f: Finding) -> Finding:
    """A finding from a line where a break cut a name or the paste hid one: its list is not all there."""
    if f.their_offer is None and f.our_offer is None:
        return f
    f.extra.setdefault("offer_incomplete", True)
    return f


def _same_host(a: str | None, b: str | None, ctx: Context) -> bool:
    if a is None or b is None or a == b:
        return True
    return ctx.aliases.get(a) == b or ctx.aliases.get(b) == a


def _merge(a: Finding, b: Finding) -> Finding:
    """``a`` with the blanks filled from ``b`` (the same event seen in two lines)."""
    return replace(
        a,
        host=a.host or b.host,
        port=a.port if a.port is not None else b.port,
        their_offer=a.their_offer if a.their_offer is not None else b.their_offer,
        our_offer=a.our_offer if a.our_offer is not None else b.our_offer,
        algorithm=a.algorithm or b.algorithm,
        category=a.category or b.category,
        evidence=a.evidence or b.evidence,
        extra={**b.extra, **a.extra},
    )


def tidy(found: list[Finding], ctx: Context) -> list[Finding]:
    """Merge repeats of one event, drop what a more specific finding explains, fill in the peer."""
    merged: list[Finding] = []
    for f in found:
        for i, g in enumerate(merged):
            if (g.kind, g.category, g.reported_by) == (f.kind, f.category, f.reported_by) and _same_host(
                g.host, f.host, ctx
            ) and (g.port is None or f.port is None or g.port == f.port):
                merged[i] = _merge(g, f)
                break
        else:
            merged.append(f)
    kinds = {f.kind for f in merged}
    out: list[Finding] = []
    for f in merged:
        if f.kind == "wrapped-failure" and len(kinds) > 1:
            continue
        if f.kind == "host-key-verification-failed" and "host-key-changed" in kinds:
            continue
        if f.kind == "banner-exchange-closed" and f.reported_by == "openssh-client" and "proxy-closed" in kinds:
            continue
        if f.kind in ("banner-exchange-closed", "connection-reset") and "max-startups" in kinds:
            # The server's own log says why it dropped the connection.
            f.extra.setdefault("likely_cause", "max-startups")
        if ctx.via and f.reported_by not in ("git", "ansible"):
            f.extra.setdefault("via", ctx.via)
        if f.host is None and ctx.peer is not None and f.reported_by == "openssh-client":
            f = replace(f, host=ctx.peer[0], port=f.port if f.port is not None else ctx.peer[1])
        out.append(f)
    return out


def explain_lines(lines: Iterable[str]) -> list[Finding]:
    """Findings for a text given as lines (streamed; memory stays bounded)."""
    explainer = Explainer()
    for line in lines:
        explainer.feed(line)
    return explainer.finish()


def explain_text(text: str) -> list[Finding]:
    """Findings for a pasted message or log."""
    return explain_lines(text.splitlines())
