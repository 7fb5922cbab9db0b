"""``sshdoctor history [HOST[:PORT]]``: stored scans, or one host over time."""

from __future__ import annotations

import click

from sshdoctor.cli.common import EXIT_USAGE, fail, guarded

EXIT_LOCAL = 3


@click.command()
@click.argument("host", required=False)
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="History database (default: XDG data dir).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Scans to list.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def history(host: str | None, db_path: str | None, limit: int, as_json: bool) -> None:
    """Without HOST: the latest stored scans. With HOST (a name or address as
    scanned, optionally :PORT): every scan of it and what changed each time
    (algorithms added or removed, a new banner, newly unreachable, newly fixed).

    Exit status: 0 shown, 1 HOST was never scanned, 2 bad usage, 3 the
    database cannot be read.
    """
    def body() -> None:
        try:
            _run(host, db_path, limit, as_json)
        except BrokenPipeError:
            import os
            import sys

            # The reader went away (``| head``): end quietly, as a pipeline expects.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(141) from None

    guarded(body)


def _run(host: str | None, db_path: str | None, limit: int, as_json: bool) -> None:
    import os

    from sshdoctor.fleet.history import History, HistoryError, HostDiff, Record, compare, default_path
    from sshdoctor.model import TargetSyntaxError, parse_target

    path = db_path or str(default_path())
    if not os.path.exists(path):
        fail(f"no scan history at {path} (run `sshdoctor scan` first, or name the database with --db)", EXIT_LOCAL)
    try:
        store = History(path)
    except HistoryError as exc:
        fail(str(exc), EXIT_LOCAL)
    with store:
        if host is None:
            scans = store.scans(limit)
            if as_json:
                from sshdoctor.report.jsonout import emit

                emit({"scans": scans})
            else:
                from sshdoctor.report.history_view import render_scans

                render_scans(scans)
            raise SystemExit(0)
        try:
            name, port = parse_target(host)
        except TargetSyntaxError as exc:
            fail(str(exc), EXIT_USAGE)
        entries: list[tuple[Record, HostDiff]] = []
        last: dict[int, Record] = {}
        for record in store.timeline(name, port):
            # A host scanned on several ports has one thread of records per port.
            entries.append((record, compare(last.get(record.port), record)))
            last[record.port] = record
    if not entries:
        fail(f"{host} was never scanned (in {path})", 1)
    if as_json:
        from sshdoctor.report.jsonout import emit

        emit({"host": name, "port": port, "scans": [
            {"scan_id": r.scan_id, "port": r.port, "at": r.at, "name": r.name, "status": r.status, "banner": r.banner,
             "failures": list(r.failures), "changes": list(r.changes), "error": r.error,
             "diff": {**d.as_dict(), "lines": d.lines()}} for r, d in entries]})
    else:
        from sshdoctor.report.history_view import render_timeline

        render_timeline(name, entries)
