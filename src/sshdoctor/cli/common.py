"""Shared CLI plumbing: error mapping to one line and an exit code."""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import click

from sshdoctor.local.errors import LocalError
from sshdoctor.model import TargetSyntaxError
from sshdoctor.report.sanitize import printable
from sshdoctor.wire.errors import ProbeError

T = TypeVar("T")

EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def fail(message: str, code: int) -> NoReturn:
    """Print ``sshdoctor: message`` on stderr and exit with ``code``."""
    sys.stderr.write(f"sshdoctor: {printable(message)}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body; known failures become one line and an exit code."""
    try:
        return fn()
    except ProbeError as exc:
        fail(exc.message, exc.exit_code)
    except LocalError as exc:
        fail(exc.message, exc.exit_code)
    except TargetSyntaxError as exc:
        fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except (SystemExit, click.exceptions.Exit, click.ClickException):
        raise
    except Exception as exc:
        if os.environ.get("SSHDOCTOR_DEBUG"):
            traceback.print_exc()
        fail(f"internal error: {type(exc).__name__}: {exc} (set SSHDOCTOR_DEBUG=1 for details)", EXIT_INTERNAL)


def run_async(coro_fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine under :func:`guarded`."""
    return guarded(lambda: asyncio.run(coro_fn()))


def timeout_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--timeout",
        type=click.FloatRange(0.1, 600),
        default=5.0,
        show_default=True,
        help="Seconds to wait for each network step.",
    )(fn)


def client_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``-p PORT``, ``-F FILE`` and ``-o OPTION``: where to connect and how to run the local ssh."""
    fn = click.option("-o", "ssh_options", multiple=True, metavar="OPTION",
                      help="Extra ssh -o option for the local client.")(fn)
    fn = click.option("-F", "config_file", type=click.Path(dir_okay=False),
                      help="ssh client configuration file to use.")(fn)
    return click.option("-p", "--port", type=click.IntRange(1, 65535),
                        help="Port (default: as ssh resolves it, usually 22).")(fn)
