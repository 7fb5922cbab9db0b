"""The terminal form of advice: every :class:`~sshdoctor.model.Action` printed the same way.

Copyable text is printed verbatim, one line at a time, with rich's soft
wrap: rich never inserts a line break or cuts it, whatever the terminal
width (a terminal that folds a long line visually still copies it as one).
Each copyable line is indented by exactly ``INDENT``, which ssh_config,
sshd_config, shells and device CLIs all ignore. Prose (titles, notes) may
wrap.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from sshdoctor.model import Action, ActionKind
from sshdoctor.report.sanitize import printable

INDENT = "    "
# What is said about a copyable text sits at a shallower indent, so the lines at INDENT are exactly the text.
NOTE_INDENT = "  "

_KIND_STYLE = {
    ActionKind.COMMAND: "cyan",
    ActionKind.SSH_CONFIG: "cyan",
    ActionKind.SSHD_CONFIG: "cyan",
    ActionKind.DEVICE: "cyan",
    ActionKind.LIBRARY: "cyan",
}


def print_verbatim(out: Console, text: str, style: str = "cyan") -> None:
    """Print copyable text: never wrapped, never cut, never marked up."""
    for line in text.rstrip("\n").split("\n"):
        out.print(Text(INDENT + line, style=style), soft_wrap=True, highlight=False, markup=False)


def print_prose(out: Console, text: str, style: str = "") -> None:
    """A sentence for people at the note indent; wrapped lines keep the indent (copy text never wraps).

    Wrapped here, at word boundaries, so no line carries trailing blanks; a word longer than the line
    (a path, a list of names) is kept whole rather than cut.
    """
    import textwrap

    width = max(out.width - 1, 40)
    lines = textwrap.wrap(printable(text), width=width, initial_indent=NOTE_INDENT, subsequent_indent=NOTE_INDENT,
                          break_long_words=False, break_on_hyphens=False) or [NOTE_INDENT]
    for line in lines:
        out.print(Text(line, style=style), soft_wrap=True, highlight=False, markup=False)


def render_action(out: Console, action: Action, *, number: int | None = None, show_title: bool = True,
                  show_risk: bool = True, nested: bool = False) -> None:
    """One action: its title (and where it goes), the text to copy, then what it costs and what proved it.

    ``nested``: the action is one step under a numbered fix, so its title is indented like the notes.
    """
    head = Text((NOTE_INDENT if nested and show_title else "") + (f"{number}. " if number is not None else ""),
                style="bold")
    if show_title:
        head.append(printable(action.title), style="bold")
    where = [w for w in (action.file, action.placement) if w]
    if action.kind in (ActionKind.SSH_CONFIG, ActionKind.SSHD_CONFIG) and where:
        head.append(f"{'  ' if show_title else NOTE_INDENT}[{printable(' — '.join(where))}]", style="dim")
    elif action.language and action.kind in (ActionKind.LIBRARY, ActionKind.DEVICE):
        head.append(f"{'  ' if show_title else NOTE_INDENT}[{printable(action.language)}]", style="dim")
    if head.plain.strip():
        out.print(head)
    if action.replaces:
        print_prose(out, f"in place of: {' / '.join(action.replaces)}", "dim")
    if action.copyable:
        print_verbatim(out, action.text, _KIND_STYLE.get(action.kind, "cyan"))
    for note in action.notes:
        print_prose(out, note, "dim")
    if action.verified:
        print_prose(out, f"✔ verified: {action.verified}", "green")
    if action.risk and show_risk:
        print_prose(out, f"cost: {action.risk}", "yellow")


def action_from_dict(doc: dict[str, object]) -> Action:
    """An action back from its JSON form (for renderers handed ``as_dict`` documents)."""
    def text(key: str) -> str | None:
        value = doc.get(key)
        return str(value) if value is not None else None

    def strings(key: str) -> tuple[str, ...]:
        value = doc.get(key)
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    return Action(ActionKind(str(doc["kind"])), str(doc.get("title", "")), side=str(doc.get("side", "client")),
                  text=str(doc.get("text", "")), argv=strings("argv"), file=text("file"), placement=text("placement"),
                  replaces=strings("replaces"), language=text("language"), risk=text("risk"),
                  verified=text("verified"), notes=strings("notes"))


def render_actions(out: Console, actions: Sequence[Action], *, heading: str | None = None, numbered: bool = False) -> None:
    """Every action in order, under an optional heading."""
    if not actions:
        return
    if heading:
        out.print(Text(heading, style="bold"))
    for n, action in enumerate(actions, start=1):
        render_action(out, action, number=n if numbered else None)
