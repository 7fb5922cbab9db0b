"""``sshdoctor help [TOPIC]``: the documentation that ships with the package."""

from __future__ import annotations

import sys
from pathlib import Path

import click

DOCS = Path(__file__).resolve().parent.parent / "docs"


def topics() -> dict[str, str]:
    """Topic name (the file's stem) -> its title (the first heading)."""
    out: dict[str, str] = {}
    for path in sorted(DOCS.glob("*.md")):
        first = next((ln for ln in path.read_text("utf-8").splitlines() if ln.startswith("# ")), path.stem)
        out[path.stem] = first.lstrip("# ").strip()
    return out


@click.command(name="help")
@click.argument("topic", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the topics (or the topic) as one JSON document.")
@click.pass_context
def help_(ctx: click.Context, topic: str | None, as_json: bool) -> None:
    """Show a documentation TOPIC (json, exit-codes, explain, …), or the help of a command.

    Without TOPIC, lists the topics.
    """
    known = topics()
    if as_json:
        import json

        if topic is not None and topic not in known:
            raise click.UsageError(f"no help topic '{topic}' (topics: {', '.join(known)})")
        doc = {"topics": known} if topic is None else {"topic": topic, "title": known[topic],
                                                       "text": (DOCS / f"{topic}.md").read_text("utf-8")}
        click.echo(json.dumps(doc, ensure_ascii=True, indent=2))
        return
    if topic is None:
        click.echo("Topics (sshdoctor help TOPIC):")
        width = max(map(len, known))
        for name, title in known.items():
            click.echo(f"  {name.ljust(width)}  {title}")
        click.echo("Commands: sshdoctor COMMAND --help (sshdoctor --help lists them).")
        return
    if topic in known:
        text = (DOCS / f"{topic}.md").read_text("utf-8")
        if sys.stdout.isatty():
            click.echo_via_pager(text)
        else:
            click.echo(text, nl=False)
        return
    parent = ctx.parent
    group = parent.command if parent is not None else None
    if isinstance(group, click.Group):
        command = group.get_command(ctx, topic)
        if command is not None and topic != "help":
            with click.Context(command, info_name=topic, parent=parent) as sub:
                click.echo(command.get_help(sub))
            return
    import difflib

    close = difflib.get_close_matches(topic, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (topics: {', '.join(known)})"
    raise click.UsageError(f"no help topic '{topic}'{hint}")
