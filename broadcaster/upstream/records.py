"""The upstream side of the station database: the inbox, the refusals, the message ids and
sequences already seen, the revoked keys, and the receipts outbox kept until the broker
has them.

The tables live in the station database (store.py's file), created on first use; every
change is one transaction of `Store.transaction()`, so a power cut leaves a push either
fully taken (seen, queued or in the inbox, its receipts in the outbox) or not at all.
Times are UTC epoch seconds.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from broadcaster.i18n import N_, _
from broadcaster.model import Level, OperatorError, Playlist
from broadcaster.store import (
    PROVINCE,
    AsRunEntry,
    Entry,
    Store,
    playlist_from_json,
    playlist_to_json,
)
from broadcaster.upstream.decisions import Revoked, SenderHistory, pushed_due

# Operator-facing messages of this module, kept together for translation.
MSG_NOT_WAITING = N_("no push #{id} is waiting in the inbox; see `broadcaster inbox`")
MSG_EXPIRED_IN_INBOX = N_("push #{id} expired at {when} while it waited; ask the province to "
                          "send it again")
REASON_EXPIRED_IN_INBOX = "expired while it waited in the inbox"
# The as-run reason of a queued push cancelled by the revocation of the key that signed it.
MSG_KEY_REVOKED_CANCELLED = N_("its province key was revoked: {why}")

SEEN_KEEP_S = 400 * 86400  # message ids are remembered longer than any push lives
SENT_KEEP_S = 30 * 86400  # receipts the broker confirmed are kept a month for `inbox --sent`

_SCHEMA = """
CREATE TABLE IF NOT EXISTS upstream_seen (
    message_id  TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    digest      TEXT NOT NULL,        -- sha256 of the message: a repeated delivery matches
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS upstream_senders (
    key_id      TEXT PRIMARY KEY,
    last_seq    INTEGER NOT NULL,
    last_at     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS upstream_inbox (
    id          INTEGER PRIMARY KEY,  -- what the operator types: `inbox accept 3`
    message_id  TEXT NOT NULL UNIQUE,
    key_id      TEXT NOT NULL,
    target      TEXT NOT NULL,
    title       TEXT NOT NULL,
    level       TEXT NOT NULL,
    playlist    TEXT NOT NULL,        -- JSON of the validated playlist
    received_at REAL NOT NULL,
    expires_at  REAL NOT NULL,
    state       TEXT NOT NULL DEFAULT 'waiting',  -- waiting, accepted, rejected, expired
    decided_at  REAL,
    reason      TEXT,
    queue_id    INTEGER
);
CREATE TABLE IF NOT EXISTS upstream_refusals (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT,                 -- as the message claimed, when it could be read
    key_id      TEXT,
    reason      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    topic       TEXT,
    received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS upstream_refusals_time ON upstream_refusals (received_at);
CREATE TABLE IF NOT EXISTS upstream_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order receipts are sent in
    message_id  TEXT,
    kind        TEXT NOT NULL,        -- received, accepted, rejected, aired, missed
    body        TEXT NOT NULL,        -- the receipt as published (JSON)
    created_at  REAL NOT NULL,
    sent_at     REAL                  -- when the broker acknowledged it (PUBACK)
);
CREATE INDEX IF NOT EXISTS upstream_outbox_unsent ON upstream_outbox (sent_at, id);
CREATE TABLE IF NOT EXISTS upstream_marks (
    name        TEXT PRIMARY KEY,     -- 'as_run': the last as-run line looked at
    value       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS upstream_revoked (
    key_id      TEXT PRIMARY KEY,     -- refused from now on, even if still in trusted_keys
    revoked_at  REAL NOT NULL,        -- the revocation's signed issue time
    by_key      TEXT NOT NULL,        -- the trusted key that signed it (maybe itself)
    reason      TEXT NOT NULL,
    message_id  TEXT NOT NULL,        -- the revocation's envelope
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS upstream_receiving (
    message_id  TEXT PRIMARY KEY,     -- a push taken whose recorded audio is still arriving
    key_id      TEXT NOT NULL,
    envelope    TEXT NOT NULL,        -- the signed message as it came: read again when complete
    received_at REAL NOT NULL,
    expires_at  REAL NOT NULL
);
"""
_TABLES = tuple(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", _SCHEMA))


@dataclass(frozen=True)
class InboxEntry:
    id: int
    message_id: str
    key_id: str
    target: str
    title: str
    level: Level
    playlist: Playlist
    received_at: float
    expires_at: float
    state: str
    decided_at: float | None
    reason: str | None
    queue_id: int | None


@dataclass(frozen=True)
class Refusal:
    id: int
    message_id: str | None
    key_id: str | None
    reason: str
    size: int
    topic: str | None
    received_at: float


@dataclass(frozen=True)
class Receiving:
    """A push waiting for its files: `envelope` is the message as it came."""

    message_id: str
    key_id: str
    envelope: bytes
    received_at: float
    expires_at: float


@dataclass(frozen=True)
class Receipt:
    """A receipt in the outbox: `body` is published as it is."""

    id: int
    message_id: str | None
    kind: str
    body: str
    created_at: float
    sent_at: float | None


class UpstreamRecords:
    """The upstream tables of one Store (one process's connection)."""

    def __init__(self, store: Store, station_id: str) -> None:
        self.store = store
        self.station_id = station_id
        present = {row[0] for row in store.query(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not present.issuperset(_TABLES):  # a database from before some of them
            with store.transaction() as db:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)

    # --- what came before ------------------------------------------------------------------

    def history(self, message_id: str, key_id: str) -> SenderHistory:
        seen = self.store.query("SELECT received_at, digest FROM upstream_seen"
                                " WHERE message_id = ?", (message_id,))
        last = self.store.query("SELECT last_seq FROM upstream_senders WHERE key_id = ?",
                                (key_id,))
        return SenderHistory(
            seen_at=datetime.fromtimestamp(seen[0][0], UTC) if seen else None,
            seen_digest=seen[0][1] if seen else None,
            last_seq=int(last[0][0]) if last else None)

    @staticmethod
    def mark_seen(db: sqlite3.Connection, *, message_id: str, key_id: str, seq: int,
                  digest: str, now: float) -> None:
        """An authentic message: its id is never taken again, nor a sequence ≤ its own."""
        db.execute("INSERT OR IGNORE INTO upstream_seen VALUES (?,?,?,?,?)",
                   (message_id, key_id, seq, digest, now))
        # ids older than any push can live are let go in the same write (no extra SD write)
        db.execute("DELETE FROM upstream_seen WHERE received_at < ?", (now - SEEN_KEEP_S,))
        db.execute("INSERT INTO upstream_senders VALUES (?,?,?) ON CONFLICT(key_id) DO UPDATE"
                   " SET last_seq = max(last_seq, excluded.last_seq), last_at = excluded.last_at",
                   (key_id, seq, now))

    # --- revoked keys -----------------------------------------------------------------------

    def revoked(self, key_id: str) -> Revoked | None:
        """The revocation of `key_id`, if one was taken."""
        rows = self.store.query("SELECT key_id, revoked_at, by_key, reason FROM"
                                " upstream_revoked WHERE key_id = ?", (key_id,))
        return _revoked(rows[0]) if rows else None

    def revocations(self) -> list[Revoked]:
        """Every revoked key, in the order they were revoked."""
        rows = self.store.query("SELECT key_id, revoked_at, by_key, reason FROM"
                                " upstream_revoked ORDER BY revoked_at, key_id")
        return [_revoked(row) for row in rows]

    def revoke(self, db: sqlite3.Connection, *, keys: tuple[str, ...], revoked_at: float,
               by_key: str, reason: str, message_id: str,
               now: float) -> tuple[list[str], list[Entry]]:
        """Record the revocation of `keys` (inside the caller's transaction); a key revoked
        before keeps its first revocation. Pushes those keys signed that still wait in the
        inbox are taken out of it (`rejected` goes upstream): the operator can no longer
        accept them. Those queued and off air are cancelled, one an emergency cut and
        that waits to resume included (logged `cancelled`, "its province key was revoked:
        …"; their `cancelled` receipts come from the as-run log like every final receipt).
        One on air at that moment is not cut: only an emergency cuts what is on air, and
        the operator can `cancel` it.
        Slot playlists the key installed are removed, their airings queued and not
        started cancelled likewise.
        Returns the keys newly revoked and the queue entries cancelled."""
        fresh: list[str] = []
        cancelled: list[Entry] = []
        for key in keys:
            cursor = db.execute("INSERT OR IGNORE INTO upstream_revoked VALUES (?,?,?,?,?,?)",
                                (key, revoked_at, by_key, reason, message_id, now))
            if cursor.rowcount:
                fresh.append(key)
            (first,) = db.execute("SELECT key_id, revoked_at, by_key, reason FROM"
                                  " upstream_revoked WHERE key_id = ?", (key,)).fetchall()
            why = _revoked(first).why()
            waiting = db.execute("SELECT id, message_id FROM upstream_inbox WHERE key_id = ?"
                                 " AND state = 'waiting'", (key,)).fetchall()
            for inbox_id, waiting_id in waiting:
                db.execute("UPDATE upstream_inbox SET state = 'rejected', decided_at = ?,"
                           " reason = ? WHERE id = ?", (now, why, inbox_id))
                self.add_receipt(db, waiting_id, "rejected", now, reason=why)
            # every push taken is in upstream_seen with its key (kept 400 days, longer
            # than any push lives), whether it was queued at once or from the inbox
            queued = db.execute("SELECT q.id FROM queue q JOIN upstream_seen s"
                                " ON s.message_id = q.reference WHERE s.key_id = ?"
                                " AND q.source = 'upstream' AND q.state = 'pending'"
                                " ORDER BY q.id", (key,)).fetchall()
            # what waits off air, a bulletin an emergency cut included: no more of a
            # revoked key's words goes on air (the one on air now ends as it will)
            arriving = db.execute("SELECT message_id FROM upstream_receiving WHERE key_id = ?",
                                  (key,)).fetchall()
            for (arriving_id,) in arriving:  # its files may still come: it never airs now
                db.execute("DELETE FROM upstream_receiving WHERE message_id = ?",
                           (arriving_id,))
                self.add_receipt(db, arriving_id, "rejected", now, reason=why)
            # the slots it installed go, their airings not started with them
            for slot in db.execute("SELECT name FROM slots WHERE key_id = ? AND origin = ?",
                                   (key, PROVINCE)).fetchall():
                removed = self.store.remove_slot(
                    slot[0], now, _(MSG_KEY_REVOKED_CANCELLED).format(why=why),
                    origin=PROVINCE, connection=db)
                cancelled += removed[0] if removed is not None else []
            cancelled += self.store.cancel_waiting(
                db, [row[0] for row in queued], now,
                _(MSG_KEY_REVOKED_CANCELLED).format(why=why))
        return fresh, cancelled

    # --- pushes waiting for their files ------------------------------------------------------

    @staticmethod
    def add_receiving(db: sqlite3.Connection, *, message_id: str, key_id: str, raw: bytes,
                      now: float, expires_at: float) -> None:
        db.execute("INSERT INTO upstream_receiving VALUES (?,?,?,?,?)",
                   (message_id, key_id, raw.decode("utf-8"), now, expires_at))

    def receiving(self) -> list[Receiving]:
        """The pushes whose files are still arriving, oldest first."""
        rows = self.store.query("SELECT message_id, key_id, envelope, received_at, expires_at"
                                " FROM upstream_receiving ORDER BY received_at, message_id")
        return [Receiving(row[0], row[1], str(row[2]).encode("utf-8"), row[3], row[4])
                for row in rows]

    @staticmethod
    def done_receiving(db: sqlite3.Connection, message_id: str) -> bool:
        """Take a push out of the waiting list (inside the caller's transaction); False
        when it was no longer there (a revocation took it meanwhile)."""
        return bool(db.execute("DELETE FROM upstream_receiving WHERE message_id = ?",
                               (message_id,)).rowcount)

    # --- refusals --------------------------------------------------------------------------

    def refuse(self, db: sqlite3.Connection, *, reason: str, message_id: str | None,
               key_id: str | None, size: int, topic: str | None, now: float,
               duplicate: bool = False, **details: Any) -> None:
        """Record a refusal and queue its `rejected` receipt (`details` go in it)."""
        db.execute("INSERT INTO upstream_refusals (message_id, key_id, reason, size, topic,"
                   " received_at) VALUES (?,?,?,?,?,?)",
                   (message_id, key_id, reason, size, topic, now))
        extra = {"duplicate": True} if duplicate else {}
        self.add_receipt(db, message_id, "rejected", now, reason=reason, **extra, **details)

    def refusals(self, since: float | None = None) -> list[Refusal]:
        rows = self.store.query("SELECT * FROM upstream_refusals WHERE received_at >= ?"
                                " ORDER BY received_at, id",
                                (since if since is not None else float("-inf"),))
        return [Refusal(*row) for row in rows]

    # --- the inbox -------------------------------------------------------------------------

    def add_to_inbox(self, db: sqlite3.Connection, *, message_id: str, key_id: str,
                     target: str, playlist: Playlist, level: Level, now: float,
                     expires_at: float) -> int:
        cursor = db.execute(
            "INSERT INTO upstream_inbox (message_id, key_id, target, title, level, playlist,"
            " received_at, expires_at) VALUES (?,?,?,?,?,?,?,?)",
            (message_id, key_id, target, playlist.title, level.value,
             playlist_to_json(playlist), now, expires_at))
        return int(cursor.lastrowid or 0)

    def inbox(self, *, every: bool = False) -> list[InboxEntry]:
        """The pushes waiting for the operator (with `every`, the decided ones too)."""
        where = "" if every else " WHERE state = 'waiting'"
        rows = self.store.query(f"SELECT * FROM upstream_inbox{where} ORDER BY id")  # noqa: S608
        return [_inbox_entry(row) for row in rows]

    def waiting_count(self) -> int:
        return int(self.store.query("SELECT count(*) FROM upstream_inbox"
                                    " WHERE state = 'waiting'")[0][0])

    def accept(self, inbox_id: int, moment: datetime) -> tuple[InboxEntry, int]:
        """Queue a waiting push (source "upstream", due now or at the start of its
        valid_from day in `moment`'s zone, the station's) and send `accepted`; returns it
        and its queue id. Raises OperatorError when there is no such push waiting or it
        expired (then `rejected` goes upstream)."""
        now = moment.timestamp()
        entry = self._waiting(inbox_id, now)
        due = pushed_due(entry.playlist, moment).timestamp()
        with self.store.transaction() as db:
            _claim(db, inbox_id)
            queue_id = self.store.enqueue(
                title=entry.title, level=entry.level, source="upstream",
                items=entry.playlist.items, due_at=due, now=now, expires_at=entry.expires_at,
                reference=entry.message_id, zones=entry.playlist.zones, connection=db)
            db.execute("UPDATE upstream_inbox SET state = 'accepted', decided_at = ?,"
                       " queue_id = ? WHERE id = ?", (now, queue_id, inbox_id))
            self.add_receipt(db, entry.message_id, "accepted", now, queue_id=queue_id)
        return entry, queue_id

    def reject(self, inbox_id: int, now: float, reason: str) -> InboxEntry:
        """Take a waiting push out of the inbox and send `rejected` with `reason`."""
        entry = self._waiting(inbox_id, now)
        with self.store.transaction() as db:
            _claim(db, inbox_id)
            db.execute("UPDATE upstream_inbox SET state = 'rejected', decided_at = ?,"
                       " reason = ? WHERE id = ?", (now, reason, inbox_id))
            self.add_receipt(db, entry.message_id, "rejected", now, reason=reason)
        return entry

    def _waiting(self, inbox_id: int, now: float) -> InboxEntry:
        rows = self.store.query("SELECT * FROM upstream_inbox WHERE id = ? AND state = "
                                "'waiting'", (inbox_id,))
        if not rows:
            raise OperatorError(_(MSG_NOT_WAITING).format(id=inbox_id))
        entry = _inbox_entry(rows[0])
        if entry.expires_at <= now:
            with self.store.transaction() as db:
                db.execute("UPDATE upstream_inbox SET state = 'expired', decided_at = ?,"
                           " reason = ? WHERE id = ?", (now, REASON_EXPIRED_IN_INBOX, inbox_id))
                self.add_receipt(db, entry.message_id, "rejected", now,
                                 reason=REASON_EXPIRED_IN_INBOX)
            when = datetime.fromtimestamp(entry.expires_at, UTC).isoformat(timespec="seconds")
            raise OperatorError(_(MSG_EXPIRED_IN_INBOX).format(id=inbox_id, when=when))
        return entry

    # --- receipts --------------------------------------------------------------------------

    def add_receipt(self, db: sqlite3.Connection, message_id: str | None, kind: str,
                    now: float, **details: Any) -> None:
        """Queue a receipt in the outbox (inside the caller's transaction)."""
        body = {"v": 1, "station": self.station_id, "message_id": message_id,
                "receipt": kind, "at": _utc(now),
                **{key: value for key, value in details.items() if value is not None}}
        db.execute("INSERT INTO upstream_outbox (message_id, kind, body, created_at)"
                   " VALUES (?,?,?,?)",
                   (message_id, kind, json.dumps(body, ensure_ascii=False), now))

    def unsent(self, after: int = 0) -> list[Receipt]:
        """Receipts the broker has not acknowledged yet, in the order they were made."""
        rows = self.store.query("SELECT * FROM upstream_outbox WHERE sent_at IS NULL"
                                " AND id > ? ORDER BY id", (after,))
        return [Receipt(*row) for row in rows]

    def receipts(self, message_id: str | None = None) -> list[Receipt]:
        """Every receipt still kept (sent a month back, or unsent), oldest first."""
        if message_id is None:
            rows = self.store.query("SELECT * FROM upstream_outbox ORDER BY id")
        else:
            rows = self.store.query("SELECT * FROM upstream_outbox WHERE message_id = ?"
                                    " ORDER BY id", (message_id,))
        return [Receipt(*row) for row in rows]

    def mark_sent(self, receipt_ids: list[int], now: float) -> None:
        """The broker has these (PUBACK); receipts sent long ago are let go."""
        with self.store.transaction() as db:
            db.executemany("UPDATE upstream_outbox SET sent_at = ? WHERE id = ?"
                           " AND sent_at IS NULL", [(now, rid) for rid in receipt_ids])
            db.execute("DELETE FROM upstream_outbox WHERE sent_at < ?", (now - SENT_KEEP_S,))

    # --- the as-run log → aired / missed -----------------------------------------------------

    def new_as_run(self) -> list[tuple[AsRunEntry, str | None]]:
        """As-run lines not looked at yet, each with its upstream message id (None for the
        station's own items), oldest first; `looked_at` moves the mark."""
        mark = self.store.query("SELECT value FROM upstream_marks WHERE name = 'as_run'")
        if not mark:  # first start with the link: old lines are not news
            last = self.store.last_as_run_id()
            with self.store.transaction() as db:
                db.execute("INSERT OR IGNORE INTO upstream_marks VALUES ('as_run', ?)", (last,))
            return []
        # a province slot's occurrences carry its slot order's id (the station's own, none)
        return [(line, reference if line.source in ("upstream", "slot") else None)
                for line, reference in self.store.as_run_after(int(mark[0][0]))]

    @staticmethod
    def looked_at(db: sqlite3.Connection, as_run_id: int) -> None:
        db.execute("UPDATE upstream_marks SET value = max(value, ?) WHERE name = 'as_run'",
                   (as_run_id,))


def pushes_waiting(store: Store) -> tuple[list[str], list[str]]:
    """For queued_audio: the playlists (JSON) of pushes waiting in the inbox, and the
    stored names (`<sha>.<suffix>`) of the files of pushes still receiving them. Empty
    in a station database without the upstream tables."""
    from broadcaster.upstream.files import FilesRefused, read_manifests

    tables = {row[0] for row in store.query("SELECT name FROM sqlite_master WHERE name IN"
                                            " ('upstream_inbox', 'upstream_receiving')")}
    inbox = [str(row[0]) for row in store.query(
        "SELECT playlist FROM upstream_inbox WHERE state = 'waiting'")] \
        if "upstream_inbox" in tables else []
    names: list[str] = []
    arriving = store.query("SELECT envelope FROM upstream_receiving") \
        if "upstream_receiving" in tables else []
    for (text,) in arriving:
        try:
            names += [manifest.stored_name
                      for manifest in read_manifests(json.loads(text).get("files"))]
        except (FilesRefused, ValueError, AttributeError):
            continue  # it was checked when it came: nothing here can be this
    return inbox, names


def as_run_data(line: AsRunEntry) -> dict[str, Any]:
    """The as-run line as a receipt carries it."""
    return {"queue_id": line.queue_id, "title": line.title, "level": line.level.value,
            "outcome": line.outcome.value, "reason": line.reason, "engine": line.engine,
            "due": _utc(line.due_at), "started": _utc(line.started_at),
            "ended": _utc(line.ended_at),
            "parts": [part.to_dict() for part in line.parts],
            "interruptions": [{"cut_at": _utc(cut.cut_at), "why": cut.why,
                               "resumed_at": _utc(cut.resumed_at)}
                              for cut in line.interruptions],
            "zones": list(line.zones) if line.zones is not None else None}


def _utc(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def _claim(db: sqlite3.Connection, inbox_id: int) -> None:
    """Inside the deciding transaction: the push still waits (a revocation, or the
    operator in another shell, may have decided it since it was read), else
    OperatorError, and the transaction is rolled back."""
    if not db.execute("SELECT 1 FROM upstream_inbox WHERE id = ? AND state = 'waiting'",
                      (inbox_id,)).fetchone():
        raise OperatorError(_(MSG_NOT_WAITING).format(id=inbox_id))


def _revoked(row: tuple[Any, ...]) -> Revoked:
    return Revoked(key_id=row[0], revoked_at=datetime.fromtimestamp(row[1], UTC),
                   by_key=row[2], reason=row[3])


def _inbox_entry(row: tuple[Any, ...]) -> InboxEntry:
    return InboxEntry(id=row[0], message_id=row[1], key_id=row[2], target=row[3], title=row[4],
                      level=Level(row[5]), playlist=playlist_from_json(row[6]),
                      received_at=row[7], expires_at=row[8], state=row[9], decided_at=row[10],
                      reason=row[11], queue_id=row[12])
