"""Advice as :class:`~sshdoctor.model.Action` values: the one place where a
fix becomes a Host block, a command line, sshd_config lines, device commands
or a library setting. Pure: callers hand in where things go."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from sshdoctor.catalog.profiles import Profile
from sshdoctor.model import Action, ActionKind, Category, Change
from sshdoctor.model.invocation import Invocation
from sshdoctor.remedy.render import ssh_config_block, ssh_options


def host_block(pattern: str, changes: Sequence[Change], *, hostname: str | None = None, port: int | None = None,
               comment: str | None = None, file: str = "~/.ssh/config", placement: str | None = None,
               risk: str | None = None, verified: str | None = None, title: str | None = None) -> Action:
    """A ``Host`` block scoped to ``pattern``, for ``file``."""
    text = ssh_config_block(pattern, changes, hostname=hostname, port=port, comment=comment)
    return Action(ActionKind.SSH_CONFIG, title or f"for {pattern} only, in {file}", text=text, file=file,
                  placement=placement or "before the first Host or Match block that also matches it (ssh takes the "
                                         "first value it reads)", risk=risk, verified=verified)


def one_off(changes: Sequence[Change], inv: Invocation, *, verified: str | None = None,
            risk: str | None = None) -> list[Action]:
    """The fix on the command line only: the user's own ssh command, and sftp, with the ``-o`` options."""
    opts = [a for a in ssh_options(changes) if a != "-o"]
    fixed = inv.with_options(opts)
    return [
        Action.command(fixed.ssh_argv(), "or just once, on the command line", risk=risk, verified=verified),
        Action.command(fixed.sftp_argv(), "the same for sftp (scp takes the same -o options)", risk=risk),
    ]


def shell_command(text: str, title: str, *, side: str = "client", notes: Sequence[str] = ()) -> Action:
    """A command written as shell text (pipes and all); ``argv`` is set when it is a plain command."""
    plain = not any(ch in text for ch in "|;&<>$`")
    argv = tuple(shlex.split(text)) if plain else ()
    return Action(ActionKind.COMMAND, title, side=side, text=text, argv=argv, notes=tuple(notes))


def sshd_lines(lines: Sequence[str], title: str, *, file: str = "/etc/ssh/sshd_config", placement: str,
               replaces: Sequence[str] = (), risk: str | None = None, notes: Sequence[str] = (),
               verified: str | None = None) -> Action:
    """Full sshd_config lines and where they win."""
    return Action(ActionKind.SSHD_CONFIG, title, side="server", text="\n".join(lines) + "\n", file=file,
                  placement=placement, replaces=tuple(replaces), risk=risk, notes=tuple(notes), verified=verified)


def device_commands(lines: Sequence[str], title: str, *, platform: str, notes: Sequence[str] = (),
                    risk: str | None = None) -> Action:
    return Action(ActionKind.DEVICE, title, side="server", text="\n".join(lines) + "\n", language=platform,
                  notes=tuple(notes), risk=risk)


def _fill(template: str, names: Sequence[str], host: str, port: int) -> str:
    """A settings template with its placeholders filled in, literally: code in other languages is full of
    braces (Erlang tuples, JavaScript objects) that are not placeholders."""
    values = {
        "{names}": ",".join(names),
        "{quoted}": ", ".join(f'"{n}"' for n in names),
        "{squoted}": ", ".join(f"'{n}'" for n in names),
        "{spaced}": " ".join(names),
        "{colon}": ":".join(names),
        "{host}": host,
        "{port}": str(port),
    }
    out = template
    for key, value in values.items():
        out = out.replace(key, value)
    return out


def setting(profile: Profile, side: str, adds: Mapping[Category, Sequence[str]], *, host: str = "HOST",
            port: int = 22, risk: str | None = None) -> Action | None:
    """The implementation's own setting (``[implementation.settings.<side>]`` of its profile) that
    enables ``adds``; None when the profile has no template for one of the categories."""
    table = profile.settings.get(side)
    if not table:
        return None
    lines: list[str] = []
    for category, names in adds.items():
        template = table.get(category.value)
        if not template:
            return None
        lines.append(_fill(template, list(names), host, port))
    language = table.get("language", "text")
    where = table.get("where", "")
    kind = ActionKind.DEVICE if profile.kind == "device" or (language == "text" and side == "server") else ActionKind.LIBRARY
    return Action(kind, f"in {profile.name}" + (f", {where}" if where else ""), side=side,
                  text="\n".join(lines) + "\n", language=language, risk=risk,
                  notes=(f"From the {profile.name} profile's settings ({table.get('source', 'catalog')}).",))
