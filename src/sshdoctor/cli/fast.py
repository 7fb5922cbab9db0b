"""The commands that must answer at once, without loading click: ``--version``, ``--help`` and a
plain ``probe``.

``probe`` is what people run to see a server, and scripts run it across
fleets: start-up is most of its time, so here it needs no click, no
asyncio and (with --json) no rich. Only plain, valid command lines are
taken here: anything else (an unknown option, a bad value, ``--help`` of a
command) returns None and goes to the click command, which owns the
messages for those.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sshdoctor import __version__

EXIT_USAGE = 2
EXIT_INTERNAL = 70


@dataclass
class ProbeArgs:
    """A ``probe`` command line, as the click command reads it."""

    target: str = ""
    port: int | None = None
    config_file: str | None = None
    options: list[str] = field(default_factory=list)
    as_json: bool = False
    timeout: float = 5.0


def parse_probe(args: Sequence[str]) -> ProbeArgs | None:
    """``probe`` arguments, or None for anything the click command should judge."""
    out = ProbeArgs()
    targets: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        value: str | None = None
        name = arg
        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
        elif arg[:2] in ("-p", "-F", "-o") and len(arg) > 2:
            name, value = arg[:2], arg[2:]
        if name in ("-p", "--port", "-F", "-o", "--timeout"):
            if value is None:
                if i + 1 >= len(args):
                    return None
                i += 1
                value = args[i]
            if name in ("-p", "--port"):
                if not value.isdigit() or not 1 <= int(value) <= 65535:
                    return None
                out.port = int(value)
            elif name == "-F":
                out.config_file = value
            elif name == "-o":
                out.options.append(value)
            else:
                try:
                    out.timeout = float(value)
                except ValueError:
                    return None
                if not 0.1 <= out.timeout <= 600:
                    return None
        elif arg == "--json":
            out.as_json = True
        elif arg.startswith("-") and arg != "-":
            return None
        else:
            targets.append(arg)
        i += 1
    if len(targets) != 1:
        return None
    out.target = targets[0]
    return out


def _fail(message: str, code: int) -> int:
    from sshdoctor.report.sanitize import printable

    sys.stderr.write(f"sshdoctor: {printable(message)}\n")
    sys.stderr.flush()
    return code


def run_probe(args: ProbeArgs) -> int:
    """``sshdoctor probe``: the same report, output and exit status as the click command."""
    from sshdoctor.host.quick import Spec, examine_blocking
    from sshdoctor.local.errors import LocalError
    from sshdoctor.model import TargetSyntaxError

    renderer: threading.Thread | None = None
    if not args.as_json:
        # rich loads while the network and the local ssh do their part.
        renderer = threading.Thread(target=lambda: __import__("sshdoctor.report.terminal"), daemon=True)
        renderer.start()
    try:
        report = examine_blocking(args.target, port=args.port, timeout=args.timeout,
                                  client=Spec(config_file=args.config_file, options=tuple(args.options)))
    except TargetSyntaxError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except LocalError as exc:
        return _fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("SSHDOCTOR_DEBUG"):
            raise
        return _fail(f"internal error: {type(exc).__name__}: {exc} (set SSHDOCTOR_DEBUG=1 for details)", EXIT_INTERNAL)
    if args.as_json:
        from sshdoctor.report.jsonout import emit

        emit(report.as_dict())
    elif report.offer is not None:
        if renderer is not None:
            renderer.join()
        from sshdoctor.report.terminal import render_probe

        render_probe(report)
    if report.offer is None:
        return _fail(report.error or "probe failed", report.exit_code or 19)
    if report.outcome is None:
        return _fail(report.error or "negotiation not predicted", report.exit_code or 4)
    return 0 if report.outcome.ok else 1


def try_fast(argv: Sequence[str]) -> int | None:
    """The exit status of a command handled here, or None when click must handle it."""
    if list(argv) == ["--version"]:
        sys.stdout.write(f"sshdoctor, version {__version__}\n")
        return 0
    if list(argv) in (["--help"], ["-h"]):
        from sshdoctor.cli.commands import COMMANDS

        width = max(map(len, COMMANDS))
        lines = ["Usage: sshdoctor [OPTIONS] COMMAND [ARGS]...", "",
                 "  sshdoctor explains and fixes SSH connection failures.", "",
                 "Options:", "  --version   Show the version and exit.", "  -h, --help  Show this message and exit.",
                 "", "Commands:", *(f"  {name.ljust(width)}  {COMMANDS[name][2]}" for name in sorted(COMMANDS))]
        sys.stdout.write("\n".join(lines) + "\n")
        return 0
    if argv and argv[0] == "probe":
        from sshdoctor.host.quick import available

        args = parse_probe(argv[1:])
        if args is not None and available():
            return run_probe(args)
    return None
