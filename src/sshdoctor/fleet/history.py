"""Every scan kept in SQLite, and what changed for a host since its last scan.

The database lives at ``$XDG_DATA_HOME/sshdoctor/history.sqlite`` unless a
path is given. Offers are stored once per distinct content (fleets repeat
a few offers many times), results once per host and scan. Writes are
batched; an interrupted scan keeps every result written so far.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sshdoctor.fleet.analysis import HostResult
from sshdoctor.model import Category, Proposal

SCHEMA = """
CREATE TABLE IF NOT EXISTS scans(
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    finished REAL,
    command TEXT,
    client TEXT,
    hosts INTEGER DEFAULT 0,
    interrupted INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS offers(
    id INTEGER PRIMARY KEY,
    digest TEXT UNIQUE NOT NULL,
    offer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results(
    scan_id INTEGER NOT NULL REFERENCES scans(id),
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    name TEXT,
    address TEXT,
    banner TEXT,
    offer_id INTEGER REFERENCES offers(id),
    status TEXT NOT NULL,
    failures TEXT,
    changes TEXT,
    error TEXT,
    error_kind TEXT,
    at REAL NOT NULL,
    PRIMARY KEY(scan_id, host, port)
);
CREATE INDEX IF NOT EXISTS results_by_host ON results(host, port, scan_id);
"""
_BATCH = 200


class HistoryError(Exception):
    """The history database cannot be opened or is not sshdoctor's."""


def default_path() -> Path:
    """``$XDG_DATA_HOME/sshdoctor/history.sqlite`` (``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "sshdoctor" / "history.sqlite"


@dataclass(frozen=True, slots=True)
class Record:
    """One host in one stored scan."""

    scan_id: int
    host: str
    port: int
    name: str | None
    banner: str | None
    offer: Proposal | None
    status: str
    failures: tuple[str, ...]
    changes: tuple[str, ...]
    error: str | None
    at: float

    @property
    def reachable(self) -> bool:
        return self.offer is not None


@dataclass
class HostDiff:
    """What changed for one host between two scans."""

    host: str
    port: int
    previous_scan: int | None
    events: list[str] = field(default_factory=list)
    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    banner: tuple[str | None, str | None] | None = None

    @property
    def changed(self) -> bool:
        return bool(self.events)

    def as_dict(self) -> dict[str, object]:
        return {
            "previous_scan": self.previous_scan,
            "events": self.events,
            "added": self.added,
            "removed": self.removed,
            "banner": list(self.banner) if self.banner else None,
        }

    def lines(self) -> list[str]:
        """Short sentences for a person (remote text is sanitised by the renderer)."""
        out: list[str] = []
        for event in self.events:
            if event == "banner-changed" and self.banner:
                out.append(f"new banner: {self.banner[0]} → {self.banner[1]}")
            elif event == "algorithms-added":
                out += [f"{cat} added: {', '.join(names)}" for cat, names in self.added.items()]
            elif event == "algorithms-removed":
                out += [f"{cat} removed: {', '.join(names)}" for cat, names in self.removed.items()]
            else:
                out.append(_EVENT_TEXT.get(event, event))
        return out


_EVENT_TEXT = {
    "new-host": "first time scanned",
    "newly-unreachable": "newly unreachable",
    "reachable-again": "reachable again",
    "newly-fixed": "newly fixed: your ssh now negotiates",
    "newly-broken": "newly broken: your ssh no longer negotiates",
}


def _categories(offer: Proposal) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for slot, names in offer.offer_dict().items():
        cat = slot.split("_")[0]
        bucket = out.setdefault(cat, [])
        bucket += [n for n in names if n not in bucket]
    return out


def compare(previous: Record | None, current: Record) -> HostDiff:
    """The events between two records of the same host (``previous`` None: a new host)."""
    diff = HostDiff(current.host, current.port, previous.scan_id if previous else None)
    if previous is None:
        diff.events.append("new-host")
        return diff
    if previous.reachable and not current.reachable:
        diff.events.append("newly-unreachable")
    elif not previous.reachable and current.reachable:
        diff.events.append("reachable-again")
    if previous.banner and current.banner and previous.banner != current.banner:
        diff.events.append("banner-changed")
        diff.banner = (previous.banner, current.banner)
    if previous.offer is not None and current.offer is not None:
        old, new = _categories(previous.offer), _categories(current.offer)
        for cat in (c.value for c in Category):
            plus = [n for n in new.get(cat, []) if n not in old.get(cat, [])]
            minus = [n for n in old.get(cat, []) if n not in new.get(cat, [])]
            if plus:
                diff.added[cat] = plus
            if minus:
                diff.removed[cat] = minus
        if diff.added:
            diff.events.append("algorithms-added")
        if diff.removed:
            diff.events.append("algorithms-removed")
    if previous.status == "fails" and current.status == "ok":
        diff.events.append("newly-fixed")
    elif previous.status == "ok" and current.status == "fails":
        diff.events.append("newly-broken")
    return diff


class History:
    """The store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=10.0)
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path}: not a usable history database ({exc})") from None
        except OSError as exc:
            raise HistoryError(f"{self.path}: cannot open the history database: {exc.strerror}") from None
        self._pending = 0
        self._last_commit = time.monotonic()
        self._offer_ids: dict[Proposal, int] = {}

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    # ---- writing ---------------------------------------------------------

    def begin_scan(self, command: str, client: str) -> int:
        cur = self.db.execute("INSERT INTO scans(started, command, client) VALUES (?, ?, ?)", (time.time(), command, client))
        self.db.commit()
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish_scan(self, scan_id: int, hosts: int, interrupted: bool) -> None:
        self.db.execute("UPDATE scans SET finished = ?, hosts = ?, interrupted = ? WHERE id = ?",
                        (time.time(), hosts, int(interrupted), scan_id))
        self.db.commit()

    def _offer_id(self, offer: Proposal) -> int:
        # A fleet repeats a few offers: each is encoded and hashed once per scan, not once per host.
        known = self._offer_ids.get(offer)
        if known is not None:
            return known
        if len(self._offer_ids) > 10_000:
            self._offer_ids.clear()
        found = self._offer_ids[offer] = self._stored_offer_id(offer)
        return found

    def _stored_offer_id(self, offer: Proposal) -> int:
        text = json.dumps(offer.offer_dict(), separators=(",", ":"))
        digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
        self.db.execute("INSERT OR IGNORE INTO offers(digest, offer) VALUES (?, ?)", (digest, text))
        row = self.db.execute("SELECT id FROM offers WHERE digest = ?", (digest,)).fetchone()
        return int(row[0])

    def add(self, scan_id: int, result: HostResult) -> Record:
        """Store one host's result; returns it as a record (for diffs)."""
        report = result.report
        offer_id = self._offer_id(report.offer) if report.offer is not None else None
        outcome = report.outcome
        failures = [c.value for c in outcome.failures] if outcome is not None else []
        changes = [f"{c.directive} {c.option_value()}" for c in result.fix.changes] if result.fix else []
        banner = report.banner.raw if report.banner else None
        record = Record(scan_id, report.target.host, report.target.port, result.name, banner, report.offer,
                        result.status, tuple(failures), tuple(changes), report.error, time.time())
        self.db.execute(
            "INSERT OR REPLACE INTO results(scan_id, host, port, name, address, banner, offer_id, status, failures, "
            "changes, error, error_kind, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (scan_id, record.host, record.port, record.name, report.address, _text(banner), offer_id, record.status,
             json.dumps(failures), json.dumps(changes), _text(report.error), report.error_kind, record.at),
        )
        self._pending += 1
        if self._pending >= _BATCH or time.monotonic() - self._last_commit > 1.0:
            self.flush()
        return record

    def flush(self) -> None:
        self.db.commit()
        self._pending = 0
        self._last_commit = time.monotonic()

    # ---- reading ---------------------------------------------------------

    def _record(self, row: tuple[object, ...]) -> Record:
        scan_id, host, port, name, banner, offer_text, status, failures, changes, error, at = row
        offer = Proposal.from_offer_dict(json.loads(str(offer_text))) if offer_text else None
        return Record(int(str(scan_id)), str(host), int(str(port)), name if isinstance(name, str) else None,
                      banner if isinstance(banner, str) else None, offer, str(status),
                      tuple(json.loads(str(failures or "[]"))), tuple(json.loads(str(changes or "[]"))),
                      error if isinstance(error, str) else None, float(str(at)))

    _SELECT = (
        "SELECT r.scan_id, r.host, r.port, r.name, r.banner, o.offer, r.status, r.failures, r.changes, r.error, r.at "
        "FROM results r LEFT JOIN offers o ON o.id = r.offer_id "
    )

    def previous(self, host: str, port: int, before_scan: int) -> Record | None:
        """The host's latest record from a scan before ``before_scan``."""
        row = self.db.execute(
            self._SELECT + "WHERE r.host = ? AND r.port = ? AND r.scan_id < ? ORDER BY r.scan_id DESC LIMIT 1",
            (host, port, before_scan),
        ).fetchone()
        return self._record(row) if row else None

    def timeline(self, host: str, port: int | None = None) -> list[Record]:
        """Every record of a host (by address/name as scanned, or by the name shown), oldest first."""
        if port is None:
            rows = self.db.execute(self._SELECT + "WHERE r.host = ? OR r.name = ? ORDER BY r.scan_id, r.port",
                                   (host, host)).fetchall()
        else:
            rows = self.db.execute(self._SELECT + "WHERE (r.host = ? OR r.name = ?) AND r.port = ? ORDER BY r.scan_id",
                                   (host, host, port)).fetchall()
        return [self._record(row) for row in rows]

    def scans(self, limit: int = 50) -> list[dict[str, object]]:
        """The latest scans, newest first, with counts per status."""
        rows = self.db.execute(
            "SELECT s.id, s.started, s.finished, s.command, s.client, s.hosts, s.interrupted FROM scans s "
            "ORDER BY s.id DESC LIMIT ?", (limit,)).fetchall()
        out: list[dict[str, object]] = []
        for scan_id, started, finished, command, client, hosts, interrupted in rows:
            counts = dict(self.db.execute("SELECT status, COUNT(*) FROM results WHERE scan_id = ? GROUP BY status",
                                          (scan_id,)).fetchall())
            out.append({"id": scan_id, "started": started, "finished": finished, "command": command, "client": client,
                        "hosts": hosts, "interrupted": bool(interrupted), "statuses": counts})
        return out

    def records(self, scan_id: int) -> Iterator[Record]:
        for row in self.db.execute(self._SELECT + "WHERE r.scan_id = ? ORDER BY r.host, r.port", (scan_id,)):
            yield self._record(row)


def _text(value: str | None) -> str | None:
    # Remote text may hold undecodable bytes (kept as surrogates); SQLite wants valid UTF-8.
    if value is None:
        return None
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
