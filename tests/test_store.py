"""The station database: the queue, slots and as-run log survive and stay consistent."""

from __future__ import annotations

import sqlite3
from datetime import date, time
from pathlib import Path

import pytest

from broadcaster.asrun import Progress
from broadcaster.model import (
    Chime,
    File,
    Level,
    OperatorError,
    Outcome,
    Pause,
    Playlist,
    Relay,
    Say,
    Slot,
)
from broadcaster.store import SCHEMA_VERSION, Store, playlist_from_json, playlist_to_json

V2_SCHEMA = """
CREATE TABLE queue (id INTEGER PRIMARY KEY, title TEXT NOT NULL, level TEXT NOT NULL,
    source TEXT NOT NULL, items TEXT NOT NULL, due_at REAL NOT NULL, expires_at REAL,
    hard_end REAL, state TEXT NOT NULL DEFAULT 'pending', created_at REAL NOT NULL,
    occurrence TEXT UNIQUE, reference TEXT, started_at REAL);
CREATE TABLE slots (name TEXT PRIMARY KEY, playlist TEXT NOT NULL, installed_at REAL NOT NULL);
CREATE TABLE as_run (id INTEGER PRIMARY KEY, queue_id INTEGER, title TEXT NOT NULL,
    level TEXT NOT NULL, source TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT,
    engine TEXT, due_at REAL, started_at REAL, ended_at REAL NOT NULL);
"""
ITEMS = (Chime("default"), Say("Thông báo lịch tiêm phòng.", repeat=2, gap_s=20.0),
         File(Path("/srv/audio/nhac.mp3")), Relay("http://stream.example/vov1", 1800.0),
         Pause(3.0))


def test_queued_notice_survives_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db")
    entry_id = store.enqueue(title="Tiêm phòng", level=Level.NORMAL, source="operator",
                             items=ITEMS, due_at=1000.0, now=900.0, expires_at=1e10)
    store.close()
    again = Store(tmp_path / "station.db")
    (entry,) = again.pending()
    assert (entry.id, entry.items, entry.level, entry.state) == (entry_id, ITEMS, Level.NORMAL,
                                                                 "pending")
    assert again.integrity_ok()


def test_finishing_writes_the_as_run_line_with_the_queue(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db")
    entry_id = store.enqueue(title="Bão số 3", level=Level.EMERGENCY, source="upstream",
                             items=ITEMS[:2], due_at=10.0, now=10.0, expires_at=1e10)
    entry = store.entry(entry_id)
    assert entry is not None
    store.finish(entry, Outcome.AIRED, started_at=10.2, ended_at=70.0, engine="espeak")
    assert store.pending() == []
    (line,) = store.as_run()
    assert (line.title, line.outcome, line.engine, line.source) == (
        "Bão số 3", Outcome.AIRED, "espeak", "upstream")
    assert store.as_run(since=71.0) == []


def test_cancel_pending_is_logged_and_unknown_id_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db")
    entry_id = store.enqueue(title="Họp", level=Level.NORMAL, source="operator",
                             items=ITEMS[:2], due_at=50.0, now=1.0, expires_at=1e10)
    store.cancel(entry_id, now=2.0)
    assert [line.outcome for line in store.as_run()] == [Outcome.CANCELLED]
    with pytest.raises(OperatorError, match=f"no pending item with id {entry_id}"):
        store.cancel(entry_id, now=3.0)


def test_cancelling_an_item_cut_and_waiting_to_resume_says_when_it_started(
        tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db")
    entry_id = store.enqueue(title="Họp", level=Level.NORMAL, source="operator",
                             items=ITEMS[:2], due_at=50.0, now=1.0, expires_at=1e10)
    store.set_on_air(entry_id, 60.0)
    store.set_progress(entry_id, Progress(), state="pending")  # an emergency cut it
    store.cancel(entry_id, now=70.0)
    (line,) = store.as_run()
    assert (line.outcome, line.started_at, line.ended_at) == (Outcome.CANCELLED, 60.0, 70.0)


def test_a_slot_occurrence_is_queued_only_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db")
    store.enqueue(title="Sáng", level=Level.NORMAL, source="slot", items=ITEMS, due_at=1.0,
                  now=1.0, expires_at=1e10, occurrence="buoi-sang@2026-12-01")
    with pytest.raises(sqlite3.IntegrityError):
        store.enqueue(title="Sáng", level=Level.NORMAL, source="slot", items=ITEMS,
                      due_at=1.0, now=1.0, expires_at=1e10, occurrence="buoi-sang@2026-12-01")
    assert store.has_occurrence("buoi-sang@2026-12-01")
    assert len(store.pending()) == 1


def test_a_failed_change_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db")
    with pytest.raises(RuntimeError), store.transaction() as db:
        store.enqueue(title="a", level=Level.NORMAL, source="operator", items=ITEMS,
                      due_at=1.0, now=1.0, expires_at=1e10, connection=db)
        raise RuntimeError("power cut")
    assert store.pending() == []


def test_slot_playlist_round_trips_through_json() -> None:
    playlist = Playlist(title="Bản tin buổi sáng", items=ITEMS, level=Level.PRIORITY,
                        slot=Slot(("mon", "wed"), time(5, 30), time(6, 30)),
                        valid_from=date(2026, 12, 1), valid_until=date(2026, 12, 31))
    assert playlist_from_json(playlist_to_json(playlist)) == playlist


def test_a_version_2_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with sqlite3.connect(path) as db:  # the schema as version 2 left it, with one item
        db.executescript(V2_SCHEMA)
        db.execute("INSERT INTO queue (title, level, source, items, due_at, created_at)"
                   " VALUES ('Họp', 'normal', 'operator', '[]', 5.0, 1.0)")
        db.execute("PRAGMA user_version=2")
    store = Store(path)
    (entry,) = store.pending()
    assert (entry.title, entry.progress.parts, entry.duration_s) == ("Họp", (), None)
    store.finish(entry, Outcome.AIRED, ended_at=9.0)
    assert [line.parts for line in store.as_run()] == [()]


def test_a_version_3_database_is_upgraded_in_place(tmp_path: Path) -> None:
    """Version 4 adds the web console's accounts and login log; what was queued stays."""
    path = tmp_path / "station.db"
    with sqlite3.connect(path) as db:  # the schema as version 3 left it, with one item
        db.executescript(V2_SCHEMA + """
            ALTER TABLE queue ADD COLUMN progress TEXT;
            ALTER TABLE queue ADD COLUMN duration_s REAL;
            ALTER TABLE as_run ADD COLUMN parts TEXT;
            ALTER TABLE as_run ADD COLUMN interruptions TEXT;
            CREATE TABLE runs (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL,
                started_at REAL NOT NULL, stopped_at REAL);""")
        db.execute("INSERT INTO queue (title, level, source, items, due_at, created_at,"
                   " duration_s) VALUES ('Họp', 'normal', 'operator', '[]', 5.0, 1.0, 42.0)")
        db.execute("PRAGMA user_version=3")
    store = Store(path)
    (entry,) = store.pending()
    assert (entry.title, entry.duration_s) == ("Họp", 42.0)
    with store.transaction() as db:
        db.execute("INSERT INTO accounts (name, role, hash, created_at)"
                   " VALUES ('lan', 'operator', '$argon2id$...', 1.0)")
        db.execute("INSERT INTO login_attempts (at, name, source, outcome)"
                   " VALUES (2.0, 'lan', '192.168.1.20', 'ok')")
    assert store.query("SELECT name FROM accounts") == [("lan",)]
    assert store.query("SELECT name FROM sqlite_master WHERE type = 'index'"
                       " AND tbl_name = 'login_attempts'") == [("login_attempts_time",)]
    assert store.query("SELECT count(*) FROM sessions") == [(0,)]  # version 5
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_version_5_database_keeps_its_slots_as_the_operators(tmp_path: Path) -> None:
    """Version 6 says who installed a slot: every slot before it is the operator's."""
    path = tmp_path / "station.db"
    store = Store(path)  # the current version, taken back to what version 5 had
    with store.transaction() as db:
        db.execute("ALTER TABLE queue DROP COLUMN zones")
        db.execute("ALTER TABLE as_run DROP COLUMN zones")
        db.execute("DROP TABLE slots")
        db.execute("CREATE TABLE slots (name TEXT PRIMARY KEY, playlist TEXT NOT NULL,"
                   " installed_at REAL NOT NULL)")
        db.execute("INSERT INTO slots VALUES ('buoi-sang', '{}', 7.0)")
        db.execute("PRAGMA user_version=5")
    store.close()
    store = Store(path)
    (slot,) = store.installed_slots()
    assert (slot.name, slot.installed_at, slot.origin, slot.message_id) == (
        "buoi-sang", 7.0, "operator", None)
    assert not slot.from_province
    assert store.slots() == [("buoi-sang", "{}", 7.0)]
    assert not store.install_slot("buoi-sang", "{}", 8.0, origin="province", message_id="m")
    assert store.installed_slots() == [slot]  # the province cannot overwrite it
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_version_6_database_keeps_its_queue_and_log_for_every_zone(tmp_path: Path) -> None:
    """Version 7 adds zones: what was queued or logged before is for every zone."""
    path = tmp_path / "station.db"
    store = Store(path)
    queued = store.enqueue(title="cũ", level=Level.NORMAL, source="operator", items=(),
                           due_at=1.0, now=1.0, expires_at=9.0)
    done = store.enqueue(title="xong", level=Level.NORMAL, source="operator", items=(),
                         due_at=1.0, now=1.0, expires_at=9.0)
    entry = store.entry(done)
    assert entry is not None
    store.finish(entry, Outcome.AIRED, ended_at=2.0)
    with store.transaction() as db:
        db.execute("ALTER TABLE queue DROP COLUMN zones")
        db.execute("ALTER TABLE as_run DROP COLUMN zones")
        db.execute("PRAGMA user_version=6")
    store.close()
    store = Store(path)
    assert [(e.id, e.zones) for e in store.pending()] == [(queued, None)]
    assert [(a.title, a.zones) for a in store.as_run()] == [("xong", None)]
    zoned = store.enqueue(title="thôn Đông", level=Level.NORMAL, source="operator", items=(),
                          due_at=1.0, now=1.0, expires_at=9.0, zones=("Thôn Đông",))
    entry = store.entry(zoned)
    assert entry is not None and entry.zones == ("Thôn Đông",)
    store.finish(entry, Outcome.AIRED, ended_at=3.0, zones=("Thôn Đông",))
    assert store.as_run()[-1].zones == ("Thôn Đông",)
    store.close()


def test_a_slot_is_replaced_or_removed_only_by_who_installed_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db")
    assert store.install_slot("vov", "{}", 1.0, origin="province", message_id="m-1",
                              key_id="k")
    assert not store.install_slot("vov", "{}", 2.0)  # the operator's apply
    assert store.remove_slot("vov", 3.0, "gỡ", origin="operator") is None
    assert store.install_slot("vov", "[]", 4.0, origin="province", message_id="m-2")
    slot = store.installed_slot("vov")
    assert slot is not None and (slot.playlist, slot.message_id, slot.installed_at) == (
        "[]", "m-2", 4.0)
    store.enqueue_occurrence("vov", occurrence="vov@2026-07-01", title="VOV",
                             level=Level.NORMAL, items=ITEMS, due_at=5.0, now=5.0,
                             expires_at=1e10, hard_end=None)
    (entry,) = store.pending()
    assert entry.reference == "m-2"  # each airing answers the slot order
    assert store.remove_slot("vov", 6.0, "gỡ", origin="province") == ([entry], [])
    assert store.installed_slots() == []


def test_database_is_group_writable_only(tmp_path: Path) -> None:
    Store(tmp_path / "station.db").close()
    mode = (tmp_path / "station.db").stat().st_mode & 0o777
    assert mode & 0o007 == 0
    assert mode & 0o060 == 0o060


def test_the_daemon_and_a_command_can_create_the_database_together(tmp_path: Path) -> None:
    """`scripts/try` starts the daemon and at once runs `playlist apply`: both open a new
    database; one builds it, the other finds it built (no 'duplicate column name')."""
    import subprocess
    import sys

    opener = ("import sys, time; from pathlib import Path; from broadcaster.store import Store\n"
              "while not Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
              "Store(Path(sys.argv[1])).close()")
    for attempt in range(5):
        path, go = tmp_path / f"station-{attempt}.db", tmp_path / f"go-{attempt}"
        openers = [subprocess.Popen([sys.executable, "-c", opener, str(path), str(go)],
                                    stderr=subprocess.PIPE, text=True) for _ in range(4)]
        go.touch()
        failures = [p.communicate(timeout=60)[1] for p in openers if p.wait(timeout=60)]
        assert failures == []
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
