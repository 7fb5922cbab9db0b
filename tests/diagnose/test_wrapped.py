"""The captured OpenSSH texts, pasted the ways people paste them: explain must find the same.

Each fixture of tests/corpus/openssh is turned into variants: wrapped by a
mail client at 40, 60 and 80 columns (at spaces and after commas, the space
kept at the end of the line as format=flowed does, with and without the
continuation indented), quoted with "> " and ">> ", in a code fence, as a
bullet, behind cat -n line numbers or a viewer's timestamps, coloured with
ANSI codes, with CRLF line ends. Every variant must give the findings of
the text as captured. A terminal's hard wrap, which cuts names, is checked
separately: the names it cut are left out, every other one is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from sshdoctor.diagnose import Explainer, explain_text
from sshdoctor.model import Finding
from tests.diagnose.corpus import CORPUS, Fixture, load

FIXTURES = [load(p) for p in sorted((CORPUS / "openssh").glob("*.txt"))]


def signature(found: list[Finding]) -> list[tuple[Any, ...]]:
    """What a finding says, as the corpus expectations name it."""
    return sorted((f.kind, f.category.value if f.category else None, f.reported_by, f.host, f.port, f.their_offer)
                  for f in found)


def mail_wrap(text: str, width: int, indent: str = "") -> str:
    """Wrap every long line at spaces or after commas, keeping the space at the end (RFC 3676)."""
    out: list[str] = []
    for line in text.splitlines():
        first = True
        while len(line) > width:
            cut = max(line.rfind(" ", 0, width), line.rfind(",", 0, width))
            if cut <= 0:
                nxt = [i for i in (line.find(" ", width), line.find(",", width)) if i > 0]
                if not nxt:
                    break
                cut = min(nxt)  # a token longer than the width stays whole, as mail clients leave it
            out.append(("" if first else indent) + line[: cut + 1])
            line = line[cut + 1:]
            first = False
        out.append(("" if first else indent) + line)
    return "\n".join(out) + "\n"


def hard_wrap(line: str, width: int) -> list[str]:
    """A terminal's wrap: every ``width`` characters, wherever that falls."""
    return [line[i: i + width] for i in range(0, len(line), width)]


def _lines(text: str, prefix: str) -> str:
    return "".join(prefix + line + "\n" for line in text.splitlines())


VARIANTS: dict[str, Callable[[str], str]] = {
    **{f"mail-{w}": (lambda t, w=w: mail_wrap(t, w)) for w in (40, 60, 80)},
    **{f"mail-{w}-indented": (lambda t, w=w: mail_wrap(t, w, "    ")) for w in (40, 60, 80)},
    "quoted": lambda t: _lines(t, "> "),
    "quoted-twice": lambda t: _lines(t, ">> "),
    "quoted-wrapped-60": lambda t: _lines(mail_wrap(t, 60), "> "),
    "fenced": lambda t: "Here is what I get:\n\n```console\n" + t + "```\n\nAny idea?\n",
    "bullet": lambda t: "- " + t,
    "cat-n": lambda t: "".join(f"{i:6d}\t{line}\n" for i, line in enumerate(t.splitlines(), 1)),
    "viewer-timestamps": lambda t: _lines(t, "2024-05-07T09:28:30.408Z "),
    "ansi": lambda t: _lines(t, "\x1b[31m").replace("\n", "\x1b[0m\n"),
    "ansi-lost-escape": lambda t: _lines(t, "[33m").replace("\n", "[0m\n"),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "crlf-wrapped-80": lambda t: mail_wrap(t, 80).replace("\n", "\r\n"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_variant_finds_the_same(fixture: Fixture, variant: str) -> None:
    want = signature(explain_text(fixture.text))
    assert want, "the captured text itself is recognised"
    text = VARIANTS[variant](fixture.text)
    assert signature(explain_text(text)) == want, text


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_crlf_streamed_like_the_cli(fixture: Fixture) -> None:
    # The command splits on b"\n" only, so each line keeps its "\r".
    explainer = Explainer()
    for line in fixture.text.replace("\n", "\r\n").split("\n"):
        explainer.feed(line)
    assert signature(explainer.finish()) == signature(explain_text(fixture.text))


_SINGLE = [f for f in FIXTURES if f.path.stem.startswith(("no-matching-", "legacy-"))]


@pytest.mark.parametrize("width", [40, 60, 80])
@pytest.mark.parametrize("fixture", _SINGLE, ids=[f.name for f in _SINGLE])
def test_hard_wrap_keeps_only_whole_names(fixture: Fixture, width: int) -> None:
    line = fixture.text.strip("\n")
    assert "\n" not in line
    (original,) = [f for f in explain_text(line) if f.kind == "no-common-algorithm"]
    assert original.their_offer
    wrapped = hard_wrap(line, width)
    # The offsets where the terminal cut the line; a name with a cut strictly inside it was not whole.
    cuts = {width * i for i in range(1, len(wrapped))}
    kept = []
    for name in original.their_offer:
        at = [m.start() for m in re.finditer(re.escape(name), line)][-1]
        if not any(at < c < at + len(name) for c in cuts):
            kept.append(name)
    (found,) = [f for f in explain_text("\n".join(wrapped)) if f.kind == "no-common-algorithm"]
    assert (found.category, found.reported_by, found.host, found.port) == (
        original.category, original.reported_by, original.host, original.port)
    assert found.their_offer == tuple(kept)
    assert bool(found.extra.get("offer_incomplete")) == (len(kept) < len(original.their_offer))


def test_a_break_inside_a_name_is_not_guessed() -> None:
    text = ("Unable to negotiate with 192.0.2.10 port 22: no matching host key type found. Their offer: ssh-r\n"
            "sa,ssh-dss\n")
    (f,) = explain_text(text)
    assert f.their_offer == ("ssh-dss",)
    assert f.extra["offer_incomplete"] is True and f.extra["offer_fragments"] == ["ssh-r|sa"]


def test_a_list_continued_after_a_comma_is_whole() -> None:
    text = ("Unable to negotiate with 192.0.2.10 port 22: no matching cipher found. Their offer: aes128-cbc,\n"
            "    3des-cbc,aes256-cbc\n")
    (f,) = explain_text(text)
    assert f.their_offer == ("aes128-cbc", "3des-cbc", "aes256-cbc")
    assert "offer_incomplete" not in f.extra


def test_an_unrelated_next_line_is_not_taken_for_the_list() -> None:
    for after in ("$ ssh -V", "Connection closed by 192.0.2.10 port 22", "Thanks.", "hello", "Any idea?"):
        text = f"Unable to negotiate with 192.0.2.10 port 22: no matching MAC found. Their offer: hmac-sha1\n{after}\n"
        found = [f for f in explain_text(text) if f.kind == "no-common-algorithm"]
        assert [f.their_offer for f in found] == [("hmac-sha1",)], after
