"""The station database (SQLite, WAL): the queue, the slots, the as-run log. The source of truth.

The operator's commands and the upstream link write here; the daemon reads what they
wrote. Each change is one transaction, so a power cut at any moment leaves either the
whole change or none of it. Times are stored as UTC epoch seconds.

One Store per process owns its connection; it is not shared between threads.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcaster.asrun import Interruption, PartResult, Progress, interruption_from, part_from
from broadcaster.i18n import N_, _
from broadcaster.model import (
    Chime,
    File,
    Fit,
    Level,
    OperatorError,
    Outcome,
    Pause,
    Playlist,
    PlaylistItem,
    Relay,
    Say,
    Slot,
)

if TYPE_CHECKING:
    from broadcaster.config import Config

DATABASE = "station.db"
BUSY_TIMEOUT_S = 5.0  # how long a connection waits for another one's write lock

# Operator-facing messages of this module, kept together for translation.
MSG_CANNOT_OPEN = N_("{path}: cannot open the station database ({reason}); "
                     "check that you are in the 'broadcaster' group")
MSG_NO_SUCH_ITEM = N_("no pending item with id {id}; see `broadcaster queue`")
MSG_CANCELLED = N_("cancelled by operator")

SCHEMA_VERSION = 7
_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    level       TEXT NOT NULL,
    source      TEXT NOT NULL,        -- operator, slot, upstream
    items       TEXT NOT NULL,        -- JSON list of playlist items
    due_at      REAL NOT NULL,
    expires_at  REAL,                 -- the latest moment it may still start (SPEC §6)
    hard_end    REAL,                 -- a slot's `until`: faded out and logged cut then
    state       TEXT NOT NULL DEFAULT 'pending',  -- pending, on_air, cancel, done
    created_at  REAL NOT NULL,
    occurrence  TEXT UNIQUE,          -- "slot-name@2026-12-01": a slot airs once a day
    reference   TEXT,                 -- the upstream message id, for receipts
    started_at  REAL                  -- when it first went on air
);
CREATE INDEX IF NOT EXISTS queue_pending ON queue (state, due_at);
CREATE TABLE IF NOT EXISTS slots (
    name         TEXT PRIMARY KEY,    -- the playlist file's stem
    playlist     TEXT NOT NULL,       -- JSON of the validated playlist
    installed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS as_run (
    id          INTEGER PRIMARY KEY,
    queue_id    INTEGER,
    title       TEXT NOT NULL,
    level       TEXT NOT NULL,
    source      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT,
    engine      TEXT,
    due_at      REAL,
    started_at  REAL,
    ended_at    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS as_run_time ON as_run (ended_at);
"""
# Version 3: what airs is told part by part and interruption by interruption, and the
# daemon's runs are kept (so a miss can say "the station was off from 05:10 to 06:40").
_V3 = """
ALTER TABLE queue ADD COLUMN progress TEXT;   -- JSON Progress: parts, cuts, where to resume
ALTER TABLE queue ADD COLUMN duration_s REAL; -- known once its audio is
ALTER TABLE as_run ADD COLUMN parts TEXT;      -- JSON: each part, aired or why not
ALTER TABLE as_run ADD COLUMN interruptions TEXT;  -- JSON: cut at, why, resumed at
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    pid         INTEGER NOT NULL,
    started_at  REAL NOT NULL,
    stopped_at  REAL                  -- NULL: it did not stop cleanly (kill -9, power cut)
);
"""
# Version 4: the web console's accounts and every attempt to log in to it (read and written
# by broadcaster/web/accounts.py; the store only builds the tables).
_V4 = """
CREATE TABLE IF NOT EXISTS accounts (
    name        TEXT PRIMARY KEY,     -- lower case: a phone capitalizes the first letter
    role        TEXT NOT NULL,        -- viewer, operator, leader
    hash        TEXT NOT NULL,        -- argon2id, with its parameters
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_attempts (
    at          REAL NOT NULL,
    name        TEXT NOT NULL,        -- as typed (also names that have no account)
    source      TEXT NOT NULL,        -- the client's address
    outcome     TEXT NOT NULL         -- ok, failed, locked
);
CREATE INDEX IF NOT EXISTS login_attempts_time ON login_attempts (at);
"""
# Version 5: the console's open sessions, so that logging out, a new password or a removed
# account ends a session on the server and not only in one browser (web/accounts.py).
_V5 = """
CREATE TABLE IF NOT EXISTS sessions (
    id          TEXT PRIMARY KEY,     -- the random part of the signed session cookie
    name        TEXT NOT NULL,        -- the account
    started_at  REAL NOT NULL,
    source      TEXT NOT NULL         -- the client's address at login
);
CREATE INDEX IF NOT EXISTS sessions_name ON sessions (name);
"""
# Version 6: a slot playlist says who installed it (`origin`): the station's operator
# (`playlist apply`; every slot before version 6) or the province, by a signed slot order
# (`message_id`, which each occurrence carries as its reference for receipts, and the
# `key_id` that signed it). No comment inside: SQLite keeps a column's text in the schema.
_V6 = """
ALTER TABLE slots ADD COLUMN origin TEXT NOT NULL DEFAULT 'operator';
ALTER TABLE slots ADD COLUMN message_id TEXT;
ALTER TABLE slots ADD COLUMN key_id TEXT
"""
# Version 7: zones (cụm loa). A queue entry names the zones it is for (JSON list; NULL: every
# zone), and an as-run line the zones it went out to (NULL: the station has no zones).
_V7 = """
ALTER TABLE queue ADD COLUMN zones TEXT;
ALTER TABLE as_run ADD COLUMN zones TEXT
"""
OPERATOR, PROVINCE = "operator", "province"  # who installed a slot playlist


@dataclass(frozen=True)
class Entry:
    """One thing waiting to air (or airing): a notice, a file, a playlist occurrence."""

    id: int
    title: str
    level: Level
    source: str
    items: tuple[PlaylistItem, ...]
    due_at: float
    expires_at: float
    hard_end: float | None
    state: str
    occurrence: str | None
    reference: str | None
    started_at: float | None = None  # when it first went on air
    progress: Progress = field(default_factory=Progress)
    duration_s: float | None = None
    zones: tuple[str, ...] | None = None  # the zones (cụm loa) it is for; None: every zone


@dataclass(frozen=True)
class InstalledSlot:
    """A slot playlist as installed: by the station's operator or by the province (then
    with the slot order's message id and signing key). `installed_at` is epoch seconds."""

    name: str
    playlist: str  # JSON of the validated playlist (playlist_from_json reads it)
    installed_at: float
    origin: str = OPERATOR  # OPERATOR or PROVINCE
    message_id: str | None = None
    key_id: str | None = None

    @property
    def from_province(self) -> bool:
        return self.origin == PROVINCE


@dataclass(frozen=True)
class AsRunEntry:
    id: int
    queue_id: int | None
    title: str
    level: Level
    source: str
    outcome: Outcome
    reason: str | None
    engine: str | None
    due_at: float | None
    started_at: float | None
    ended_at: float
    parts: tuple[PartResult, ...] = ()
    interruptions: tuple[Interruption, ...] = ()
    zones: tuple[str, ...] | None = None  # the zones it went out to; None: no zones


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # the 'broadcaster' group may queue; others may not
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o660))
                path.chmod(0o660)  # whatever the umask; SQLite gives -wal/-shm the same
            self._db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S,
                                       isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a power cut keeps committed work
            self.wait_when_busy(BUSY_TIMEOUT_S)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise OperatorError(_(MSG_CANNOT_OPEN).format(path=path, reason=exc)) from None
        except OSError as exc:
            raise OperatorError(_(MSG_CANNOT_OPEN).format(path=path, reason=exc.strerror)) from None

    def close(self) -> None:
        self._db.close()

    def wait_when_busy(self, seconds: float) -> None:
        """How long a read or a change waits for another connection's lock before it
        raises sqlite3.OperationalError ("database is locked"); BUSY_TIMEOUT_S when opened."""
        self._db.execute(f"PRAGMA busy_timeout={round(seconds * 1000)}")

    def let_go_of_replaced(self) -> None:
        """The file at our path is no longer ours (deleted or replaced): empty our write-
        ahead log into our own (old) file and close, so the `-wal` left beside the path
        cannot be replayed into the new database when it is next opened."""
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("PRAGMA journal_mode=DELETE")  # removes -wal and -shm
        except sqlite3.DatabaseError:
            pass  # still closed below; SQLite removes the log when it can
        self._db.close()

    def _migrate(self) -> None:
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version >= SCHEMA_VERSION:
            return
        with self.transaction():
            # Read again under the write lock: the daemon and a command opening a new
            # database together must not both build it ("duplicate column name").
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version >= SCHEMA_VERSION:
                return
            if version == 0:
                _script(self._db, _SCHEMA)
            if version == 1:  # the queue keeps when its entry went on air
                self._db.execute("ALTER TABLE queue ADD COLUMN started_at REAL")
            if version < 3:
                _script(self._db, _V3)
            if version < 4:
                _script(self._db, _V4)
            if version < 5:
                _script(self._db, _V5)
            if version < 6:
                _script(self._db, _V6)
            if version < 7:
                _script(self._db, _V7)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: BEGIN IMMEDIATE … COMMIT, rolled back on any exception (a
        COMMIT the disk refuses included), so the connection is never left inside it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                with suppress(sqlite3.Error):  # SQLite may have rolled it back itself
                    self._db.execute("ROLLBACK")
            raise

    def data_version(self) -> int:
        """Changes when another connection commits: a cheap 'anything new?' for the daemon."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read statement, for modules that keep tables of their own
        (the upstream link's inbox and outbox); changes go through `transaction()`."""
        return self._db.execute(sql, parameters).fetchall()

    def integrity_ok(self) -> bool:
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # --- the queue -------------------------------------------------------------------------

    def enqueue(self, *, title: str, level: Level, source: str,
                items: tuple[PlaylistItem, ...], due_at: float, now: float,
                expires_at: float, hard_end: float | None = None,
                occurrence: str | None = None, reference: str | None = None,
                zones: tuple[str, ...] | None = None,
                connection: sqlite3.Connection | None = None) -> int:
        """Add an entry for `zones` (None: every zone); returns its id. Inside
        `transaction()` pass its connection."""
        db = connection or self._db
        cursor = db.execute(
            "INSERT INTO queue (title, level, source, items, due_at, expires_at, hard_end,"
            " created_at, occurrence, reference, zones) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (title, level.value, source, items_to_json(items), due_at, expires_at, hard_end,
             now, occurrence, reference, _zones_json(zones)))
        return int(cursor.lastrowid or 0)

    def enqueue_occurrence(self, slot: str, *, occurrence: str, title: str, level: Level,
                           items: tuple[PlaylistItem, ...], due_at: float, now: float,
                           expires_at: float, hard_end: float | None,
                           zones: tuple[str, ...] | None = None) -> int | None:
        """Queue one occurrence of slot `slot` if the slot is still installed (a `playlist
        remove` may have committed a moment ago); its id, else None. An occurrence of a
        province slot carries the installing slot order's message id as its reference."""
        with self.transaction() as db:
            row = db.execute("SELECT message_id FROM slots WHERE name = ?", (slot,)).fetchone()
            if row is None:
                return None
            # a province slot's occurrence answers its slot order: aired, missed … receipts
            return self.enqueue(title=title, level=level, source="slot", items=items,
                                due_at=due_at, now=now, expires_at=expires_at,
                                hard_end=hard_end, occurrence=occurrence, reference=row[0],
                                zones=zones, connection=db)

    def has_occurrence(self, occurrence: str) -> bool:
        row = self._db.execute("SELECT 1 FROM queue WHERE occurrence = ?",
                               (occurrence,)).fetchone()
        return row is not None

    def pending(self) -> list[Entry]:
        """Entries not yet finished, by due time (the station decides the air order)."""
        rows = self._db.execute(
            "SELECT * FROM queue WHERE state != 'done' ORDER BY due_at, id").fetchall()
        return [_entry(row) for row in rows]

    def entry(self, entry_id: int) -> Entry | None:
        row = self._db.execute("SELECT * FROM queue WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row) if row else None

    def set_on_air(self, entry_id: int, started_at: float) -> None:
        """It went on air (the first time: `started_at` is kept across resumes)."""
        with self.transaction() as db:
            db.execute("UPDATE queue SET state = 'on_air',"
                       " started_at = coalesce(started_at, ?) WHERE id = ?",
                       (started_at, entry_id))

    def set_progress(self, entry_id: int, progress: Progress, *, state: str | None = None,
                     duration_s: float | None = None) -> None:
        """Keep how far it got (and optionally a new state or its length) with it."""
        with self.transaction() as db:
            db.execute("UPDATE queue SET progress = ?, state = coalesce(?, state),"
                       " duration_s = coalesce(?, duration_s) WHERE id = ?",
                       (progress.to_json(), state, duration_s, entry_id))

    def set_duration(self, entry_id: int, duration_s: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE queue SET duration_s = ? WHERE id = ?", (duration_s, entry_id))

    def finish(self, entry: Entry, outcome: Outcome, *, ended_at: float,
               started_at: float | None = None, reason: str | None = None,
               engine: str | None = None, progress: Progress | None = None,
               zones: tuple[str, ...] | None = None) -> bool:
        """Close an entry and write its one as-run line (`zones`: those it went out to),
        in one transaction. False (and nothing written) when it was closed already (by the
        operator's `cancel`)."""
        with self.transaction() as db:
            return _close(db, entry, outcome, ended_at=ended_at, started_at=started_at,
                          reason=reason, engine=engine, progress=progress, zones=zones)

    def is_done(self, entry_id: int) -> bool:
        row = self._db.execute("SELECT state FROM queue WHERE id = ?", (entry_id,)).fetchone()
        return row is None or row[0] == "done"

    def cancel(self, entry_id: int, now: float) -> Entry:
        """Cancel a pending entry (logged `cancelled`); an entry on air is left to the daemon,
        which sees the request and stops it. Raises OperatorError when there is none."""
        entry = self.entry(entry_id)
        if entry is None or entry.state == "done":
            raise OperatorError(_(MSG_NO_SUCH_ITEM).format(id=entry_id))
        if entry.state == "pending":  # one cut and waiting to resume says when it started
            self.finish(entry, Outcome.CANCELLED, ended_at=now, reason=_(MSG_CANCELLED),
                        started_at=entry.started_at)
        else:
            with self.transaction() as db:
                db.execute("UPDATE queue SET state = 'cancel' WHERE id = ?", (entry_id,))
        return entry

    def cancel_waiting(self, db: sqlite3.Connection, entry_ids: list[int], now: float,
                       reason: str) -> list[Entry]:
        """Inside the caller's transaction: cancel those of `entry_ids` that wait off air,
        whether they never started or were cut and wait to resume (each logged `cancelled`
        with `reason`, with when it first went on air and what of it aired); returns them.
        One on air now is left to end as it will: only an emergency cuts what is on air."""
        cancelled = []
        for entry_id in entry_ids:
            row = db.execute("SELECT * FROM queue WHERE id = ? AND state = 'pending'",
                             (entry_id,)).fetchone()
            if row is not None:
                entry = _entry(row)
                if _close(db, entry, Outcome.CANCELLED, ended_at=now, reason=reason,
                          started_at=entry.started_at):
                    cancelled.append(entry)
        return cancelled

    # --- slots -----------------------------------------------------------------------------

    def install_slot(self, name: str, playlist_json: str, now: float, *,
                     origin: str = OPERATOR, message_id: str | None = None,
                     key_id: str | None = None,
                     connection: sqlite3.Connection | None = None) -> bool:
        """Install or replace the slot playlist `name` (inside `transaction()` pass its
        connection). A slot is replaced only by one of the same origin: the operator never
        overwrites the province's, nor the province the operator's; False then (nothing
        changed)."""
        with self._within(connection) as db:
            cursor = db.execute(
                "INSERT INTO slots (name, playlist, installed_at, origin, message_id, key_id)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET"
                " playlist = excluded.playlist, installed_at = excluded.installed_at,"
                " message_id = excluded.message_id, key_id = excluded.key_id"
                " WHERE slots.origin = excluded.origin",
                (name, playlist_json, now, origin, message_id, key_id))
            return cursor.rowcount > 0

    def slots(self) -> list[tuple[str, str, float]]:
        rows = self._db.execute("SELECT name, playlist, installed_at FROM slots ORDER BY name")
        return [(str(r[0]), str(r[1]), float(r[2])) for r in rows.fetchall()]

    def installed_slots(self) -> list[InstalledSlot]:
        """Every installed slot playlist, by name, with who installed it."""
        rows = self._db.execute(f"SELECT {_SLOT_COLUMNS} FROM slots ORDER BY name")  # noqa: S608
        return [_installed(row) for row in rows.fetchall()]

    def installed_slot(self, name: str, *,
                       connection: sqlite3.Connection | None = None) -> InstalledSlot | None:
        """The slot playlist `name`, if installed (read in the caller's transaction when
        `connection` is given)."""
        db = connection or self._db
        row = db.execute(f"SELECT {_SLOT_COLUMNS} FROM slots WHERE name = ?",  # noqa: S608
                         (name,)).fetchone()
        return _installed(row) if row else None

    def remove_slot(self, name: str, now: float, reason: str, *, origin: str | None = None,
                    connection: sqlite3.Connection | None = None,
                    ) -> tuple[list[Entry], list[Entry]] | None:
        """Uninstall the slot `name` and cancel its occurrences queued but not yet started
        (logged `cancelled` with `reason`), in one transaction (the caller's, when
        `connection` is given). Returns those and the ones left to end as they will (on
        air, or cut and resuming); None when no slot has that name, or (with `origin`)
        none installed by that origin (nothing changed)."""
        with self._within(connection) as db:
            deleted = db.execute("DELETE FROM slots WHERE name = ? AND origin = coalesce(?,"
                                 " origin)", (name, origin)).rowcount
            if not deleted:
                return None
            cancelled, left = [], []
            for entry in self.pending():
                if entry.occurrence is None or entry.occurrence.rpartition("@")[0] != name:
                    continue
                if entry.state == "pending" and entry.started_at is None:
                    _close(db, entry, Outcome.CANCELLED, ended_at=now, reason=reason)
                    cancelled.append(entry)
                else:
                    left.append(entry)
        return cancelled, left

    @contextmanager
    def _within(self, connection: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
        """The caller's transaction when it passes one, else a new one."""
        if connection is not None:
            yield connection
            return
        with self.transaction() as db:
            yield db

    # --- the daemon's runs --------------------------------------------------------------

    def last_seen(self) -> float | None:
        """When the station was last seen alive (a clean stop, else the latest trace it
        left: a run's start, an as-run line), None if never. Read before `run_started`."""
        last = self._db.execute(
            "SELECT max(coalesce(stopped_at, started_at)) FROM runs").fetchone()[0]
        traces = self._db.execute("SELECT max(ended_at) FROM as_run").fetchone()[0]
        return max((t for t in (last, traces) if t is not None), default=None)

    def run_started(self, pid: int, now: float) -> None:
        """Record a daemon start (`now`: when it started; the run is known by both)."""
        with self.transaction() as db:
            db.execute("INSERT INTO runs (pid, started_at) VALUES (?, ?)", (pid, now))

    def run_stopped(self, pid: int, started_at: float, now: float) -> None:
        """Record the clean stop of the run `run_started(pid, started_at)` recorded."""
        with self.transaction() as db:
            db.execute("UPDATE runs SET stopped_at = ? WHERE pid = ? AND started_at = ?",
                       (now, pid, started_at))

    # --- the as-run log --------------------------------------------------------------------

    def as_run(self, since: float | None = None, until: float | None = None) -> list[AsRunEntry]:
        rows = self._db.execute(
            "SELECT * FROM as_run WHERE ended_at >= ? AND ended_at < ? ORDER BY ended_at, id",
            (since if since is not None else float("-inf"),
             until if until is not None else float("inf"))).fetchall()
        return [as_run_entry(r) for r in rows]

    def last_as_run_id(self) -> int:
        return int(self._db.execute("SELECT coalesce(max(id), 0) FROM as_run").fetchone()[0])

    def as_run_after(self, as_run_id: int) -> list[tuple[AsRunEntry, str | None]]:
        """As-run lines after `as_run_id`, oldest first, each with its queue entry's
        upstream reference (the push's message id, for receipts)."""
        rows = self._db.execute(
            "SELECT a.*, q.reference FROM as_run a LEFT JOIN queue q ON q.id = a.queue_id"
            " WHERE a.id > ? ORDER BY a.id", (as_run_id,)).fetchall()
        return [(as_run_entry(row), row[-1]) for row in rows]


def as_run_entry(r: tuple[Any, ...]) -> AsRunEntry:
    """An as_run row (SELECT * order) as typed data."""
    return AsRunEntry(id=r[0], queue_id=r[1], title=r[2], level=Level(r[3]), source=r[4],
                      outcome=Outcome(r[5]), reason=r[6], engine=r[7], due_at=r[8],
                      started_at=r[9], ended_at=r[10],
                      parts=tuple(part_from(p) for p in json.loads(r[11] or "[]")),
                      interruptions=tuple(interruption_from(i) for i in json.loads(r[12] or "[]")),
                      zones=_zones_from(r[13]))


def open_store(config: Config) -> Store:
    """The station's database, as every command and the daemon open it."""
    from broadcaster.config import make_data_dir

    make_data_dir(config.data_dir)  # a missing folder is said to be missing, not a group
    return Store(config.data_dir / DATABASE)


_SLOT_COLUMNS = "name, playlist, installed_at, origin, message_id, key_id"


def _installed(row: tuple[Any, ...]) -> InstalledSlot:
    return InstalledSlot(name=str(row[0]), playlist=str(row[1]), installed_at=float(row[2]),
                         origin=str(row[3]), message_id=row[4], key_id=row[5])


def _entry(row: tuple[Any, ...]) -> Entry:
    return Entry(id=row[0], title=row[1], level=Level(row[2]), source=row[3],
                 items=items_from_json(row[4]), due_at=row[5], expires_at=row[6],
                 hard_end=row[7], state=row[8], occurrence=row[10], reference=row[11],
                 started_at=row[12], progress=Progress.from_json(row[13]),
                 duration_s=row[14], zones=_zones_from(row[15]))


def _zones_json(zones: tuple[str, ...] | None) -> str | None:
    return None if zones is None else json.dumps(list(zones), ensure_ascii=False)


def _zones_from(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(json.loads(text))


def _close(db: sqlite3.Connection, entry: Entry, outcome: Outcome, *, ended_at: float,
           started_at: float | None = None, reason: str | None = None,
           engine: str | None = None, progress: Progress | None = None,
           zones: tuple[str, ...] | None = None) -> bool:
    """Inside a transaction: the entry done and its one as-run line (see Store.finish)."""
    done = db.execute("UPDATE queue SET state = 'done' WHERE id = ? AND state != 'done'",
                      (entry.id,)).rowcount
    if not done:
        return False
    kept = progress or entry.progress
    db.execute(
        "INSERT INTO as_run (queue_id, title, level, source, outcome, reason, engine,"
        " due_at, started_at, ended_at, parts, interruptions, zones)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (entry.id, entry.title, entry.level.value, entry.source, outcome.value, reason,
         engine, entry.due_at, started_at, ended_at,
         json.dumps([p.to_dict() for p in kept.parts], ensure_ascii=False),
         json.dumps([i.to_dict() for i in kept.interruptions], ensure_ascii=False),
         _zones_json(zones)))
    return True


def _script(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


# --- playlist items as JSON ----------------------------------------------------------------

def items_to_json(items: tuple[PlaylistItem, ...]) -> str:
    return json.dumps([item_to_dict(item) for item in items], ensure_ascii=False)


def items_from_json(text: str) -> tuple[PlaylistItem, ...]:
    return tuple(item_from_dict(data) for data in json.loads(text))


def item_to_dict(item: PlaylistItem) -> dict[str, Any]:
    """The item's keys; a hard start (`at`) and `fit` only when it has them, so an item
    without them is written as before (and older stations read it)."""
    return {**_content_to_dict(item), **_timing_to_dict(item)}


def _content_to_dict(item: PlaylistItem) -> dict[str, Any]:
    match item:
        case Chime(source):
            return {"chime": source}
        case Say(text, repeat, gap_s):
            return {"say": text, "repeat": repeat, "gap_s": gap_s}
        case File(path):
            return {"file": str(path)}
        case Relay(url, duration_s):
            return {"relay": url, "duration_s": duration_s}
        case Pause(duration_s):
            return {"pause": duration_s}
    raise TypeError(f"not a playlist item: {item!r}")


def _timing_to_dict(item: PlaylistItem) -> dict[str, Any]:
    timing: dict[str, Any] = {}
    if item.at is not None:
        timing["at"] = item.at.strftime("%H:%M")
    if item.fit is not Fit.CUT:
        timing["fit"] = item.fit.value
    return timing


def item_from_dict(data: dict[str, Any]) -> PlaylistItem:
    """An item as item_to_dict wrote it (with or without its `at` and `fit`)."""
    at = time.fromisoformat(data["at"]) if data.get("at") else None
    fit = Fit(data.get("fit", Fit.CUT.value))
    if "chime" in data:
        return Chime(data["chime"], at=at, fit=fit)
    if "say" in data:
        return Say(data["say"], int(data.get("repeat", 1)), float(data.get("gap_s", 0.0)),
                   at=at, fit=fit)
    if "file" in data:
        return File(Path(data["file"]), at=at, fit=fit)
    if "relay" in data:
        return Relay(data["relay"], float(data["duration_s"]), at=at, fit=fit)
    if "pause" in data:
        return Pause(float(data["pause"]), at=at, fit=fit)
    raise ValueError(f"not a playlist item: {data!r}")


def playlist_to_json(playlist: Playlist) -> str:
    slot = playlist.slot
    return json.dumps({
        "title": playlist.title,
        "level": playlist.level.value,
        "slot": None if slot is None else _slot_to_dict(slot),
        "valid_from": playlist.valid_from.isoformat() if playlist.valid_from else None,
        "valid_until": playlist.valid_until.isoformat() if playlist.valid_until else None,
        "items": [item_to_dict(item) for item in playlist.items],
        **({"zones": list(playlist.zones)} if playlist.zones is not None else {}),
    }, ensure_ascii=False)


def playlist_from_json(text: str) -> Playlist:
    data = json.loads(text)
    slot = data["slot"]
    return Playlist(
        title=data["title"],
        level=Level(data["level"]),
        slot=None if slot is None else _slot_from_dict(slot),
        valid_from=date.fromisoformat(data["valid_from"]) if data["valid_from"] else None,
        valid_until=date.fromisoformat(data["valid_until"]) if data["valid_until"] else None,
        items=tuple(item_from_dict(item) for item in data["items"]),
        zones=tuple(data["zones"]) if data.get("zones") is not None else None,
    )


def _slot_to_dict(slot: Slot) -> dict[str, Any]:
    """The slot's keys; the calendar ones only when used, so a weekly slot is written as
    before the calendar existed (and older stations read it)."""
    written: dict[str, Any] = {"days": list(slot.days), "at": slot.at.strftime("%H:%M"),
                               "until": slot.until.strftime("%H:%M") if slot.until else None}
    if slot.dates:
        written["dates"] = [day.isoformat() for day in slot.dates]
    if slot.lunar_days:
        written["lunar_days"] = list(slot.lunar_days)
    if slot.skip_holidays:
        written["skip_holidays"] = True
    if slot.skip_dates:
        written["skip_dates"] = [day.isoformat() for day in slot.skip_dates]
    return written


def _slot_from_dict(data: dict[str, Any]) -> Slot:
    """A slot as _slot_to_dict wrote it, or as written before the calendar (days only)."""
    return Slot(days=tuple(data["days"]), at=time.fromisoformat(data["at"]),
                until=time.fromisoformat(data["until"]) if data["until"] else None,
                dates=tuple(date.fromisoformat(day) for day in data.get("dates", ())),
                lunar_days=tuple(int(day) for day in data.get("lunar_days", ())),
                skip_holidays=bool(data.get("skip_holidays", False)),
                skip_dates=tuple(date.fromisoformat(day) for day in data.get("skip_dates", ())))
