"""``sshdoctor compat A B`` and ``sshdoctor compat HOST --clients all``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from sshdoctor.cli.common import EXIT_USAGE, fail, run_async, timeout_option
from sshdoctor.host.compat import CompatUsageError, client_matrix
from sshdoctor.host.compat import compat as compare_endpoints
from sshdoctor.host.examine import ClientSpec

T = TypeVar("T")


def _usage_checked(make: Callable[[], Awaitable[T]]) -> T:
    """Run under the common error mapping; a misused endpoint is a usage error (exit 2)."""

    async def body() -> T | CompatUsageError:
        try:
            return await make()
        except CompatUsageError as exc:
            return exc  # returned, not raised: the common guard would call it an internal error

    result = run_async(body)
    if isinstance(result, CompatUsageError):
        fail(str(result), EXIT_USAGE)
    return result


@click.command()
@click.argument("endpoints", nargs=-1, metavar="CLIENT SERVER | SERVER --clients LIST")
@click.option("--clients", "clients", metavar="all|LIST",
              help="Matrix mode: these client profiles (ids, globs like 'openssh-*', implementation names) "
                   "against one SERVER.")
@click.option("--list", "list_profiles", is_flag=True, help="List the profiles sshdoctor knows and exit.")
@click.option("-F", "config_file", type=click.Path(dir_okay=False), help="ssh client configuration file (for 'local').")
@click.option("-o", "ssh_options", multiple=True, metavar="OPTION", help="Extra ssh -o option (for 'local').")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (sshdoctor help json).")
@timeout_option
def compat(endpoints: tuple[str, ...], clients: str | None, list_profiles: bool, config_file: str | None,
           ssh_options: tuple[str, ...], as_json: bool, timeout: float) -> None:
    """Can CLIENT talk to SERVER, and what is the smallest fix on either side?

    Each of CLIENT and SERVER is a profile (openssh-7.4, putty-0.76,
    cisco-ios-15; see --list), a live host (HOST or HOST:PORT, probed), or
    'local' for your own ssh (client only). Where both are profiles with
    both roles, the other direction is shown too.

    With --clients, shows which client profiles can connect to SERVER.

    Exit status: 0 negotiation succeeds (matrix: every client connects),
    1 it fails (matrix: at least one client fails), 2 bad arguments,
    10-23 the probe failed (sshdoctor help exit-codes).
    """
    if list_profiles:
        _list(as_json)
        return
    spec = ClientSpec(config_file=config_file, options=ssh_options)
    if clients is not None:
        if len(endpoints) != 1:
            fail("with --clients give exactly one SERVER (a host or a server profile)", EXIT_USAGE)
        matrix = _usage_checked(lambda: client_matrix(endpoints[0], clients, timeout=timeout, client=spec))
        if as_json:
            from sshdoctor.report.jsonout import emit

            emit(matrix.as_dict())
        else:
            from sshdoctor.report.compat_view import render_matrix

            render_matrix(matrix)
        raise SystemExit(0 if matrix.ok_count == len(matrix.clients) else 1)
    if len(endpoints) != 2:
        fail("give a CLIENT and a SERVER (or one SERVER with --clients); see sshdoctor compat --help", EXIT_USAGE)
    report = _usage_checked(lambda: compare_endpoints(endpoints[0], endpoints[1], timeout=timeout, client=spec))
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit(report.as_dict())
    else:
        from sshdoctor.report.compat_view import render_compat

        render_compat(report)
    raise SystemExit(0 if report.ok else 1)


def _list(as_json: bool) -> None:
    if as_json:
        from sshdoctor.catalog.profiles import all_profiles, distribution_profiles
        from sshdoctor.report.jsonout import emit

        emit({"profiles": [
            {"id": p.id, "implementation": p.implementation, "name": p.name, "version": p.version,
             "client": p.client is not None, "server": p.server is not None,
             "distribution": p.distribution, "base": p.base}
            for p in [*sorted(all_profiles().values(), key=lambda p: (p.implementation, p.version_key())),
                      *sorted(distribution_profiles().values(), key=lambda p: p.id)]
        ]})
        return
    from sshdoctor.report.compat_view import render_profile_list

    render_profile_list()
