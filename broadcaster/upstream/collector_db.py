"""The receipt collector's own database (`<data_dir>/district/collector.db`): every push it
saw go out, every receipt and the stations' state as their live messages said it.

One writer (the collector process, one connection); `district report` and `district
status` read it with connections of their own. WAL, `synchronous=FULL`, and every
message stored in one transaction: a power cut leaves the file consistent, and the
collector acknowledges a message to the broker only after its commit, so nothing
committed is lost and nothing acknowledged is missing.

Tables:
  pushes    one row per push (or revocation) seen on a push topic: its id, target,
            level, times
  receipts  one row per receipt (a QoS 1 redelivery, byte for byte the same, is stored
            once: `digest` is unique), with what a report needs taken out of the body;
            a chunk of a file refused is kind CHUNK_REJECTED
  stations  one row per station: online/offline and since when, when it was last heard
            from, its last status (on air, faults, clock, software) and heartbeat
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError

if TYPE_CHECKING:
    from broadcaster.config import Config

SCHEMA_VERSION = 1
MSG_CANNOT_OPEN = N_("{path}: cannot open the collector's database ({reason})")
MSG_NO_COLLECTOR = N_("{path}: no receipt collector's database here; run `broadcaster "
                      "district collect` on this machine (systemd: broadcaster-collector)")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pushes (
    message_id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    level TEXT,
    key_id TEXT,
    issued REAL,
    expires REAL,
    seen_at REAL NOT NULL,
    kind TEXT NOT NULL DEFAULT 'push'
);
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    station TEXT NOT NULL,
    message_id TEXT,
    kind TEXT NOT NULL,
    reason TEXT,
    title TEXT,
    started REAL,
    ended REAL,
    engine TEXT,
    duplicate INTEGER NOT NULL DEFAULT 0,
    sent_at REAL,
    received_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_by_push ON receipts (message_id, station);
CREATE INDEX IF NOT EXISTS receipts_by_station ON receipts (station, kind);
CREATE TABLE IF NOT EXISTS stations (
    station TEXT PRIMARY KEY,
    name TEXT,
    state TEXT,
    since REAL,
    last_heard REAL,
    first_heard REAL NOT NULL,
    status TEXT,
    heartbeat REAL
);
"""


# The one final receipt per push: refused, or the as-run outcome (SPEC §6). Here, beside
# the receipts' table, so `district report` reads them without the envelope's crypto.
FINAL_RECEIPTS = ("rejected", "aired", "partial", "failed", "cut", "interrupted", "missed",
                  "cancelled")
# A `rejected` receipt naming a `chunk` refuses one chunk of a push's file (the station asks
# for it again), not the push: stored under this kind, a note, never a final answer.
CHUNK_REJECTED = "rejected chunk"


def receipt_kind(body: Mapping[str, Any]) -> object:
    """What a receipt's body says it is, as stored and reported: its `receipt`, or
    CHUNK_REJECTED for a chunk refused. Whether it is the station's final answer:
    `receipt_kind(body) in FINAL_RECEIPTS` (a `duplicate` one aside)."""
    kind = body.get("receipt")
    if kind == "rejected" and isinstance(body.get("chunk"), dict):
        return CHUNK_REJECTED
    return kind


def collector_db_path(config: Config) -> Path:
    return config.data_dir / "district" / "collector.db"


@dataclass(frozen=True)
class Push:
    message_id: str
    target: str
    level: str | None
    key_id: str | None
    issued: float | None
    expires: float | None
    seen_at: float
    # or "revoke", "slot": their receipts are reported like a push's (a slot order's
    # `aired` comes each day its slot airs: the report shows the latest)
    kind: str = "push"


@dataclass(frozen=True)
class Receipt:
    station: str
    message_id: str | None
    kind: str
    reason: str | None
    title: str | None
    started: float | None
    ended: float | None
    engine: str | None
    duplicate: bool
    sent_at: float | None
    received_at: float


@dataclass(frozen=True)
class StationRow:
    station: str
    name: str | None
    state: str | None  # online, offline; None: heard from, but no status yet
    since: float | None
    last_heard: float | None
    first_heard: float
    status: dict[str, Any]  # the last `online` status body ({} before the first)
    heartbeat: float | None


class CollectorDB:
    """One connection to the collector's database. `writer=True` creates the file and
    its tables; a reader refuses a missing file (OperatorError) rather than make one."""

    def __init__(self, path: Path, *, writer: bool = False) -> None:
        self.path = path
        try:
            if writer:
                path.parent.mkdir(parents=True, exist_ok=True)
            elif not path.exists():
                raise OperatorError(_(MSG_NO_COLLECTOR).format(path=path))
            self._db = sqlite3.connect(str(path), timeout=5.0, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout=5000")
            if writer:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")  # acknowledged means on disk
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise OperatorError(_(MSG_CANNOT_OPEN).format(path=path, reason=exc)) from None
        except OSError as exc:
            raise OperatorError(_(MSG_CANNOT_OPEN).format(path=path,
                                                          reason=exc.strerror)) from None

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        with self.transaction() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version >= SCHEMA_VERSION:
                return
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- writes (the collector) ----------------------------------------------------------

    def add_push(self, db: sqlite3.Connection, push: Push) -> None:
        """The first sighting of a push wins (a redelivery or a replayed copy changes
        nothing)."""
        db.execute("INSERT OR IGNORE INTO pushes VALUES (?,?,?,?,?,?,?,?)",
                   (push.message_id, push.target, push.level, push.key_id, push.issued,
                    push.expires, push.seen_at, push.kind))

    def add_receipt(self, db: sqlite3.Connection, receipt: Receipt, digest: str,
                    body: str) -> bool:
        """Store a receipt; False when the same bytes were stored before (QoS 1)."""
        cursor = db.execute(
            "INSERT OR IGNORE INTO receipts (digest, station, message_id, kind, reason, title,"
            " started, ended, engine, duplicate, sent_at, received_at, body)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (digest, receipt.station, receipt.message_id, receipt.kind, receipt.reason,
             receipt.title, receipt.started, receipt.ended, receipt.engine,
             int(receipt.duplicate), receipt.sent_at, receipt.received_at, body))
        return cursor.rowcount == 1

    def station(self, db: sqlite3.Connection, station: str) -> StationRow | None:
        row = db.execute("SELECT * FROM stations WHERE station = ?", (station,)).fetchone()
        return _station(row) if row else None

    def put_station(self, db: sqlite3.Connection, row: StationRow) -> None:
        db.execute("INSERT OR REPLACE INTO stations VALUES (?,?,?,?,?,?,?,?)",
                   (row.station, row.name, row.state, row.since, row.last_heard,
                    row.first_heard, json.dumps(row.status, ensure_ascii=False),
                    row.heartbeat))

    # --- reads (report, status) ----------------------------------------------------------

    def push(self, message_id: str) -> Push | None:
        row = self._db.execute("SELECT * FROM pushes WHERE message_id = ?",
                               (message_id,)).fetchone()
        return Push(*row) if row else None

    def receipts(self, message_id: str) -> list[Receipt]:
        """Every receipt for one push, in the order they were stored."""
        rows = self._db.execute(
            "SELECT station, message_id, kind, reason, title, started, ended, engine,"
            " duplicate, sent_at, received_at FROM receipts WHERE message_id = ? ORDER BY id",
            (message_id,)).fetchall()
        return [Receipt(station=row[0], message_id=row[1], kind=row[2], reason=row[3],
                        title=row[4], started=row[5], ended=row[6], engine=row[7],
                        duplicate=bool(row[8]), sent_at=row[9], received_at=row[10])
                for row in rows]

    def stations(self) -> list[StationRow]:
        return [_station(row) for row in
                self._db.execute("SELECT * FROM stations ORDER BY station").fetchall()]

    def last_aired(self) -> dict[str, tuple[float | None, str | None]]:
        """Each station's newest `aired` receipt: (its end, its title)."""
        rows = self._db.execute(
            "SELECT station, ended, title FROM receipts AS r WHERE kind = 'aired'"
            " AND id = (SELECT max(id) FROM receipts WHERE station = r.station"
            " AND kind = 'aired')").fetchall()
        return {station: (ended, title) for station, ended, title in rows}

    def counts(self) -> tuple[int, int, int]:
        """(pushes, receipts, stations) stored: for the collector's log."""
        row = self._db.execute("SELECT (SELECT count(*) FROM pushes), (SELECT count(*) FROM"
                               " receipts), (SELECT count(*) FROM stations)").fetchone()
        return int(row[0]), int(row[1]), int(row[2])


def _station(row: tuple[Any, ...]) -> StationRow:
    try:
        status = json.loads(row[6]) if row[6] else {}
    except ValueError:
        status = {}
    return StationRow(station=row[0], name=row[1], state=row[2], since=row[3],
                      last_heard=row[4], first_heard=row[5],
                      status=status if isinstance(status, dict) else {}, heartbeat=row[7])


def utc_moment(value: object) -> float | None:
    """An ISO time from a station (UTC, 'Z') as epoch seconds; None for anything else."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None
