"""A power cut (SPEC §2, §6): `kill -9` the daemon while something airs, then start it
again. Nothing queued is lost, what was on air is logged `interrupted` and airs again,
what is still within its grace airs, what is past it is logged `missed`, the slots are as
installed and the database is sound.

Loop it: `for i in $(seq 20); do .venv/bin/python -m pytest \
tests/test_station_powercut.py -q -x || break; done`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcaster.model import File, Level, Outcome
from tests.support.daemon import Daemon, daemon_station, queued, station_store
from tests.support.sound import NullSink, write_tone

SLOT = """\
title: Bản tin buổi sáng
slot: {{days: daily, at: "{at:%H:%M}"}}
items:
  - chime: default
  - say: "Đài truyền thanh xã xin kính chào bà con."
"""


def aired_for(daemon: Daemon) -> float:
    """How far into the item on air the station is, by its live status (0: nothing)."""
    on_air = (daemon.status() or {}).get("on_air")
    if not on_air:
        return 0.0
    return float(on_air["offset_s"]) + time.time() - float(on_air["since"])


@pytest.mark.slow
@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_a_power_cut_on_air_loses_nothing(tmp_path: Path, null_sink: NullSink,
                                          attempt: int) -> None:
    station = daemon_station(tmp_path / "station", "nullsink")
    audio = station.root / "audio"
    write_tone(tmp_path / "music.wav", 2.0)
    for name in ("market", "flood-drill"):
        write_tone(audio / f"{name}.wav", 0.3)
    # a slot far from now, installed before the daemon ever ran
    later = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=3)
    (tmp_path / "buoi-sang.yaml").write_text(SLOT.format(at=later), encoding="utf-8")
    installed = station.cli("playlist", "apply", str(tmp_path / "buoi-sang.yaml"))
    assert installed.returncode == 0, installed.stderr
    with station_store(station) as store:
        slots_before = store.slots()

    daemon = Daemon(station)
    try:
        daemon.start()
        music = queued(station, "play", str(tmp_path / "music.wav"))
        daemon.wait_for(lambda: daemon.state_of(music) == "on_air", "the music on air")
        daemon.wait_for(lambda: aired_for(daemon) >= 0.3 * attempt,  # a different moment
                        f"{0.3 * attempt:.1f} s of the music on air")  # each time
        daemon.power_cut()

        # while the power is off: the operator queues a notice, and what was queued
        # upstream lies in the database with its due time gone by (as after 20 minutes
        # without power)
        notice = queued(station, "say", "Mời bà con đến nhận gạo hỗ trợ.", "--repeat", "1")
        now = time.time()
        with station_store(station) as store:
            market = store.enqueue(title="chợ phiên", level=Level.NORMAL, source="upstream",
                                   items=(File(audio / "market.wav"),), due_at=now - 300,
                                   expires_at=now + 300, now=now - 1300)
            drill = store.enqueue(title="diễn tập lũ", level=Level.PRIORITY,
                                  source="upstream", items=(File(audio / "flood-drill.wav"),),
                                  due_at=now - 200, expires_at=now + 3400, now=now - 1300)
            gone = store.enqueue(title="họp sáng", level=Level.NORMAL, source="upstream",
                                 items=(File(audio / "market.wav"),), due_at=now - 1200,
                                 expires_at=now - 600, now=now - 1300)

        daemon.start()
        lines = daemon.wait_finished(music, notice, market, drill, gone, timeout=30)
        schedule = station.cli("schedule", "--json")
        assert daemon.stop() == 0
    finally:
        daemon.power_cut()

    assert [(line.queue_id, line.outcome) for line in lines] == [
        (gone, Outcome.MISSED),  # expired while the power was off: logged at start-up
        (music, Outcome.AIRED),  # what was on air goes first again, from its start
        (drill, Outcome.AIRED),  # then priority,
        (market, Outcome.AIRED), (notice, Outcome.AIRED)]  # then by due time
    missed, resumed = lines[0], lines[1]
    assert missed.reason and missed.reason.startswith("the station was off from")
    assert resumed.started_at is not None and resumed.started_at < resumed.ended_at
    (cut,) = resumed.interruptions
    assert cut.why.startswith("the station was off") and cut.resumed_at is not None
    assert cut.cut_at is None  # kill -9 leaves no trace of when the audio stopped
    assert lines[-1].engine == "espeak"
    # the slot is as installed, and still scheduled
    with station_store(station) as store:
        assert store.slots() == slots_before
    assert schedule.returncode == 0, schedule.stderr
    assert [row["what"] for row in json.loads(schedule.stdout)] == ["slot buoi-sang"]
    with sqlite3.connect(station.root / "data" / "station.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
