"""Entry point. Subcommands are imported only when invoked, so ``--version``
and ``--help`` stay fast."""

from __future__ import annotations

import importlib
from typing import Any

import click

from sshdoctor import __version__
from sshdoctor.cli.commands import COMMANDS


class LazyGroup(click.Group):
    """A group whose commands live in modules loaded on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        try:
            module = importlib.import_module(entry[0])
        except ModuleNotFoundError as exc:
            if exc.name != entry[0]:
                raise
            return None  # click then says: No such command
        command: click.Command = getattr(module, entry[1])
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # `sshdoctor HOST` is `sshdoctor check HOST`: anything that is not a
        # command name (nor an option) is taken as a host.
        if args and args[0] not in COMMANDS and not args[0].startswith("-"):
            near = _mistyped(args[0])
            if near is not None:
                ctx.fail(f"no such command '{args[0]}'; did you mean '{near}'?")
            command = self.get_command(ctx, "check")
            return "check", command, args
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _mistyped(word: str) -> str | None:
    """The command ``word`` is a typo of, unless it can be a host: a name with
    a dot, port or user, an alias of the user's ssh_config, or a name that resolves."""
    import difflib

    if any(ch in word for ch in ".:@[/") or word.isdigit():
        return None
    near = difflib.get_close_matches(word.lower(), list(COMMANDS), n=1, cutoff=0.7)
    if not near:
        return None
    from sshdoctor.local.hostnames import is_config_alias, resolves

    if is_config_alias(word) or resolves(word):
        return None
    return near[0]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sshdoctor")
def cli() -> None:
    """sshdoctor explains and fixes SSH connection failures."""


def main(argv: list[str] | None = None) -> Any:
    """The click command line (``cli.entry`` tries the fast commands first)."""
    return cli.main(args=argv, prog_name="sshdoctor")
