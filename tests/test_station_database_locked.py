"""The station airs on through a database it cannot write for a while (SPEC §2, §6: the
database is the source of truth, and the station is never silent when it should speak).

Another program may hold the station database's write lock for longer than anyone waits
for it (an operator's `sqlite3` shell left inside a transaction, a backup, a command on a
slow SD card), or the card may be full. The daemon holds the changes it could not make,
in order and with their true times, airs on, says so in `status` and its log, and writes
them when the database takes them again.

The daemon tests are real: `broadcaster run`, its database, a second connection holding
`BEGIN IMMEDIATE` across the moment, the operator's commands as subprocesses, the
PulseAudio null sink (real time). The `HeldWrites` tests use real SQLite too.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcaster.lifecycle import REPORT_AFTER_S, HeldWrites
from broadcaster.model import File, Level, Outcome
from broadcaster.store import Store
from tests.support.daemon import Daemon, daemon_station, queued, running_daemon
from tests.support.sound import NullSink, write_tone
from tests.support.station import Station
from tests.support.waiting import wait_until

LOCK_S = 12.0  # longer than the store's busy timeout (5 s), as the problem was found
LOCKED = "is locked by another program"


@contextlib.contextmanager
def write_lock(database: Path, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
    """Another program holding the station database's write lock while inside."""
    other = sqlite3.connect(str(database), isolation_level=None)
    try:
        other.execute(begin)
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


def last_error(daemon: Daemon) -> str:
    return str((daemon.status() or {}).get("last_error") or "")


# --- the daemon -------------------------------------------------------------------------


@pytest.mark.slow
def test_the_station_airs_through_a_12_s_lock_and_logs_the_item_with_its_true_end(
        tmp_path: Path, null_sink: NullSink) -> None:
    station = daemon_station(tmp_path / "station", "nullsink")
    write_tone(station.root / "audio" / "first.wav", 4.0)
    write_tone(station.root / "audio" / "second.wav", 4.0)
    with running_daemon(station) as daemon:
        first = queued(station, "play", str(station.root / "audio" / "first.wav"))
        second = queued(station, "play", str(station.root / "audio" / "second.wav"))
        daemon.wait_on_air(first)
        with write_lock(daemon.database):
            locked_at = time.monotonic()
            # what was queued airs on: the first item ends (its line cannot be written)
            # and the second follows it on air
            daemon.wait_on_air(second, timeout=10)
            during = daemon.wait_for(lambda: last_error(daemon) if LOCKED in last_error(daemon)
                                     else None, "status to say the database is locked",
                                     timeout=10)
            said = station.cli("status")
            assert daemon.finished(first) == []  # held, not lost: nothing written yet
            daemon.wait_for(lambda: time.monotonic() - locked_at >= LOCK_S, "the lock's 12 s")
            released = time.time()
        lines = daemon.wait_finished(first, second, timeout=15)
        daemon.wait_for(lambda: (daemon.status() or {}).get("running")
                        and not last_error(daemon), "the locked message to clear", timeout=5)
        assert daemon.pid is not None  # alive all along (wait_for fails when it exits)
    assert "close the program holding the station database" in during
    assert said.returncode == 0 and LOCKED in said.stdout, said.stdout + said.stderr
    by_id = {line.queue_id: line for line in lines}
    ended, followed = by_id[first], by_id[second]
    assert (ended.outcome, followed.outcome) == (Outcome.AIRED, Outcome.AIRED)
    assert ended.started_at is not None and followed.started_at is not None
    # its true times, not those of the write made once the lock went
    assert ended.ended_at < released - 3
    assert ended.ended_at - ended.started_at == pytest.approx(4.0, abs=0.5)
    assert followed.started_at - ended.ended_at == pytest.approx(0.0, abs=0.5)  # no silence
    assert followed.started_at < released  # it aired while the database was locked


@pytest.mark.slow
def test_an_emergency_typed_while_the_database_is_locked_airs_as_the_lock_goes(
        tmp_path: Path, null_sink: NullSink) -> None:
    station = daemon_station(tmp_path / "station", "nullsink")
    write_tone(station.root / "audio" / "opening.wav", 3.0)
    write_tone(station.root / "audio" / "music.wav", 60.0)
    env = {**os.environ, "BROADCASTER_CONFIG": str(station.config_file)}
    with running_daemon(station) as daemon:
        opening = queued(station, "play", str(station.root / "audio" / "opening.wav"))
        music = queued(station, "play", str(station.root / "audio" / "music.wav"))
        daemon.wait_on_air(opening)
        with write_lock(daemon.database, "BEGIN EXCLUSIVE"):
            # the opening ends under the lock: the station holds its line, the music airs
            daemon.wait_on_air(music, timeout=10)
            daemon.wait_for(lambda: LOCKED in last_error(daemon),
                            "status to say the database is locked", timeout=10)
            # typed at the box: it waits for the lock (up to the busy timeout, 5 s)
            say = subprocess.Popen(
                [sys.executable, "-m", "broadcaster", "say", "--level", "emergency",
                 "Lũ đang lên, bà con di chuyển lên chỗ cao."],
                cwd=station.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            try:
                daemon.wait_for(lambda: has_open(say.pid, daemon.database),
                                "`say` to open the database", timeout=4)
            finally:
                released = time.time()
        out, err = say.communicate(timeout=30)
        assert say.returncode == 0, err
        storm = int(out.splitlines()[0])
        daemon.wait_on_air(storm, timeout=10)
        alarm = daemon.wait_for(lambda: next((entry for entry in daemon.pending()
                                              if entry.id == storm and entry.started_at), None),
                                "the emergency's start to be written")
        (opened,) = daemon.wait_finished(opening, timeout=5)
        daemon.wait_for(lambda: not last_error(daemon), "the locked message to clear",
                        timeout=5)
        daemon.wait_for(lambda: [(up["id"], up["state"]) for up in
                                 (daemon.status() or {}).get("next", [])]
                        == [(music, "interrupted")], "the music to wait to resume", timeout=5)
    assert alarm.level is Level.EMERGENCY and alarm.started_at is not None
    assert opened.outcome is Outcome.AIRED and opened.ended_at < released
    # as the lock went, not at a later retry (`say` was waiting on it already; a loaded box
    # and the fade of the music included)
    assert alarm.started_at - released < 2.5


@pytest.mark.slow
def test_a_stop_under_the_lock_waits_for_it_to_write_what_it_held(
        tmp_path: Path, null_sink: NullSink) -> None:
    """systemd stops the daemon while another program holds the lock: on its way out the
    daemon waits for the lock as a command does (5 s), and what it held is written."""
    station = daemon_station(tmp_path / "station", "nullsink")
    write_tone(station.root / "audio" / "opening.wav", 2.0)
    daemon = Daemon(station)
    with contextlib.ExitStack() as stack:
        stack.callback(daemon.power_cut)  # never a process left behind
        daemon.start()
        opening = queued(station, "play", str(station.root / "audio" / "opening.wav"))
        daemon.wait_on_air(opening)
        stopped: list[int] = []
        with write_lock(daemon.database):
            daemon.wait_for(lambda: LOCKED in last_error(daemon),
                            "status to say the database is locked", timeout=15)
            stopping = threading.Thread(target=lambda: stopped.append(daemon.stop()))
            stopping.start()
            wait_until(lambda: not daemon.status_file.exists(), "the daemon on its way out")
        stopping.join(timeout=15)
    assert stopped == [0], daemon.stderr()
    (line,) = daemon.as_run()
    assert (line.queue_id, line.outcome) == (opening, Outcome.AIRED)
    with sqlite3.connect(str(daemon.database)) as db:
        assert db.execute("SELECT count(*) FROM runs WHERE stopped_at IS NULL").fetchone() \
            == (0,)  # a clean stop, recorded
    assert "not logged" not in daemon.stderr()


def has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (it is then past its start-up)."""
    folder = Path(f"/proc/{pid}/fd")
    with contextlib.suppress(OSError):
        for fd in folder.iterdir():
            with contextlib.suppress(OSError):
                if fd.readlink() == path.resolve():
                    return True
    return False


# --- the held writes (real SQLite, a second connection, a clock of our own) --------------


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def queued_entry(store: Store, title: str) -> int:
    return store.enqueue(title=title, level=Level.NORMAL, source="operator",
                         items=(File(path=Path("x.wav")),), due_at=100.0, now=100.0,
                         expires_at=10_000.0)


def test_writes_refused_by_a_lock_are_held_in_order_and_made_with_their_own_times(
        tmp_path: Path) -> None:
    database = tmp_path / "station.db"
    store = Store(database)
    store.wait_when_busy(0.0)
    first, second = queued_entry(store, "một"), queued_entry(store, "hai")
    ticks = Ticks()
    writes = HeldWrites(database, ticks)
    entries = {entry.id: entry for entry in store.pending()}
    with write_lock(database):
        writes.write(lambda: store.set_on_air(first, 200.0))
        writes.write(lambda: store.finish(entries[first], Outcome.AIRED, ended_at=230.0,
                                          started_at=200.0), closes=first)
        writes.write(lambda: store.finish(entries[second], Outcome.MISSED, ended_at=231.0,
                                          reason="expired"), closes=second)
        assert (writes.held, writes.closing()) == (3, {first, second})
        assert writes.problem() is None  # not yet: a command's commit may take a moment
        ticks.now = REPORT_AFTER_S
        assert not writes.flush()
        problem = writes.problem()
        assert problem is not None and LOCKED in problem and str(database) in problem
        writes.worked()  # a turn without a refusal, but changes still held: not over
        assert writes.problem() is not None
    assert writes.flush() and writes.held == 0
    writes.worked()
    assert writes.problem() is None
    lines = store.as_run()
    assert [(line.queue_id, line.outcome, line.started_at, line.ended_at) for line in lines] \
        == [(first, Outcome.AIRED, 200.0, 230.0), (second, Outcome.MISSED, None, 231.0)]
    assert store.pending() == []
    store.close()


def test_a_full_disk_is_said_as_such_and_what_was_held_is_named_when_it_stays(
        tmp_path: Path) -> None:
    database = tmp_path / "station.db"
    store = Store(database)
    entry_id = queued_entry(store, "một")
    (entry,) = store.pending()
    ticks = Ticks()
    writes = HeldWrites(database, ticks)
    pages = store.query("PRAGMA page_count")[0][0]
    store.query(f"PRAGMA max_page_count={pages}")  # the disk is full from here on
    writes.write(lambda: [queued_entry(store, "lời dài " * 2000) for _ in range(3)])
    writes.write(lambda: store.finish(entry, Outcome.AIRED, ended_at=300.0), closes=entry_id)
    ticks.now = REPORT_AFTER_S + 1
    problem = writes.problem()
    assert problem is not None and "cannot be written (database or disk is full)" in problem
    assert writes.lost() == ("the station stopped with 2 changes the database refused "
                             f"(database or disk is full); not logged: items #{entry_id}")
    # the refused transaction was rolled back whole: the connection is usable
    assert [line.queue_id for line in store.as_run()] == []
    store.query("PRAGMA max_page_count=1073741823")
    assert writes.flush()
    assert [line.queue_id for line in store.as_run()] == [entry_id]
    store.close()


def test_a_command_that_waited_on_the_lock_says_so_in_one_line(station: Station) -> None:
    """An operator's `say` while another program holds the database past the busy
    timeout: one line saying what holds it and that nothing changed, exit status 1."""
    assert station.cli("say", "Thông báo trước.").returncode == 0
    database = station.root / "data" / "station.db"
    with write_lock(database, "BEGIN EXCLUSIVE"):
        refused = station.cli("say", "Thông báo trong lúc khóa.")
    assert refused.returncode == 1
    assert refused.stderr.startswith("the station database refused the change (database is "
                                     "locked): another program holds it"), refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert len(json.loads(station.cli("queue", "--json").stdout)) == 1
