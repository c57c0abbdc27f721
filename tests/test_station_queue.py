"""The operator's queue on a running daemon (SPEC §1, §3, §6): a real `broadcaster run`
process, the real database, espeak-ng, and the test sound devices (the capture file for
what is aired, the real-time null sink for what happens while something is on air)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import soundfile

from broadcaster.model import Level, Outcome
from tests.support.daemon import daemon_station, queued, running_daemon
from tests.support.sound import (
    NullSink,
    frame_indices,
    rms_dbfs,
    runs,
    through_fades,
    write_indexed,
    write_tone,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")

RATE = 48000
FIRST = 1000  # the indexed file's first frame index, so silence never looks like it


def test_a_notice_queued_for_three_seconds_ahead_airs_on_time(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station", "capture")
    with running_daemon(station) as daemon:
        entry_id = queued(station, "say", "Chiều nay họp tổ dân phố tại nhà văn hóa.",
                          "--at", "+3s", "--repeat", "1", "--title", "Họp tổ")
        (line,) = daemon.wait_finished(entry_id, timeout=20)
        assert daemon.stop() == 0
    logged = station.cli("log", "--format", "json")
    assert logged.returncode == 0, logged.stderr
    (row,) = json.loads(logged.stdout)
    assert (row["id"], row["outcome"], row["engine"], row["source"], row["title"]) == (
        entry_id, "aired", "espeak", "operator", "Họp tổ")
    assert json.loads(station.cli("log", "--json").stdout) == [row]  # as every listing
    assert [(part["what"], part.get("source")) for part in row["parts"]] == [
        ("chime", "default"), ("say", None)]  # which file aired, where there is one
    assert line.started_at is not None and line.due_at is not None
    assert abs(line.started_at - line.due_at) < 1.0  # it waited for its time, not longer
    # the chime and the speech reached the device
    audio, rate = soundfile.read(str(station.root / "capture.wav"), dtype="float32")
    assert rate == RATE
    assert len(audio) > 2 * RATE
    assert rms_dbfs(np.asarray(audio)) > -40


@pytest.mark.slow
def test_an_emergency_cuts_into_a_file_which_then_resumes(tmp_path: Path,
                                                          null_sink: NullSink) -> None:
    frames = 4 * RATE
    write_indexed(tmp_path / "music.wav", frames, first=FIRST)
    station = daemon_station(tmp_path / "station", "nullsink")
    with running_daemon(station) as daemon, \
            null_sink.recording(tmp_path / "air.raw") as recording:
        music = queued(station, "play", str(tmp_path / "music.wav"))
        daemon.wait_for(lambda: daemon.state_of(music) == "on_air", "the music on air")
        told = station.cli("say", "Bão số 3 đang vào đất liền, bà con không ra khơi.",
                           "--level", "emergency", "--repeat", "1", "--title", "Bão số 3")
        assert told.returncode == 0, told.stderr
        storm = int(told.stdout.splitlines()[0])
        expected = datetime.strptime(told.stdout.splitlines()[1].rsplit(" at ", 1)[1],
                                     "%Y-%m-%d %H:%M:%S").replace(tzinfo=HANOI)
        assert expected.timestamp() < time.time() + 2  # it cuts in: not after the music
        lines = daemon.wait_finished(music, storm, timeout=30)

    assert [(line.queue_id, line.outcome, line.level) for line in lines] == [
        (storm, Outcome.AIRED, Level.EMERGENCY), (music, Outcome.AIRED, Level.NORMAL)]
    storm_line, music_line = lines
    assert storm_line.engine == "espeak"
    assert music_line.started_at is not None and storm_line.started_at is not None
    assert music_line.started_at < storm_line.started_at < storm_line.ended_at
    assert storm_line.ended_at < music_line.ended_at  # the music finished after the storm
    (cut,) = music_line.interruptions  # one row for the music, with its interruption
    assert cut.why == "an emergency cut in" and cut.cut_at is not None
    assert cut.cut_at < storm_line.ended_at <= (cut.resumed_at or 0.0) + 0.1
    logged = {row["id"]: row for row in json.loads(station.cli("log", "--format", "json").stdout)}
    assert [i["why"] for i in logged[music]["interruptions"]] == ["an emergency cut in"]
    (part,) = logged[music]["parts"]
    assert (part["n"], part["what"], part["aired"], part["reason"]) == (1, "file", True, None)
    assert part["source"].endswith(".wav")  # the queued copy of the music, by its content

    # on air: the music up to the cut, the emergency, then the music from where it was cut
    captured = null_sink.read(recording).astype(np.int32)
    played = through_fades(runs(frame_indices(captured)))
    assert len(played) == 2, played
    (before_at, _first, last), (after_at, resumed, end) = played
    assert 0 <= last - resumed < 0.01 * RATE  # the fade's first frames still match
    assert end == FIRST + frames - 1
    between = captured[before_at + (last - _first) + 1:after_at]
    loud = np.flatnonzero(np.abs(between).max(axis=1) > 1000)
    assert loud.size > 0.5 * RATE  # the chime and the storm warning


@pytest.mark.slow
def test_a_priority_item_goes_before_the_waiting_normal_ones(tmp_path: Path,
                                                             null_sink: NullSink) -> None:
    write_tone(tmp_path / "music.wav", 6.0)  # long enough for three CLI calls under load
    for name in ("weather", "market", "vaccination"):
        write_tone(tmp_path / f"{name}.wav", 0.3)
    station = daemon_station(tmp_path / "station", "nullsink")
    with running_daemon(station) as daemon:
        music = queued(station, "play", str(tmp_path / "music.wav"))
        daemon.wait_for(lambda: daemon.state_of(music) == "on_air", "the music on air")
        weather = queued(station, "play", str(tmp_path / "weather.wav"))
        market = queued(station, "play", str(tmp_path / "market.wav"))
        vaccination = queued(station, "play", str(tmp_path / "vaccination.wav"),
                             "--level", "priority")
        assert daemon.state_of(music) == "on_air"  # all three queued while it aired
        lines = daemon.wait_finished(music, weather, market, vaccination, timeout=20)
    assert [(line.queue_id, line.outcome) for line in lines] == [
        (music, Outcome.AIRED), (vaccination, Outcome.AIRED), (weather, Outcome.AIRED),
        (market, Outcome.AIRED)]


def test_cancelling_a_waiting_notice_logs_it_cancelled(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station", "capture")
    with running_daemon(station) as daemon:
        later = queued(station, "say", "Thông báo lịch cắt điện ngày mai.", "--at", "+10m")
        cancelled = station.cli("cancel", str(later))
        assert cancelled.returncode == 0, cancelled.stderr
        assert cancelled.stdout.strip().endswith(": cancelled")
        (line,) = daemon.wait_finished(later, timeout=5)
        assert line.outcome is Outcome.CANCELLED
        assert daemon.pending() == []
        again = station.cli("cancel", str(later))
        assert again.returncode == 1
        assert f"#{later} Thông báo lịch cắt điện ngày mai. was already cancelled at " \
            in again.stderr


@pytest.mark.slow
def test_status_shows_what_is_on_air_and_cancel_stops_it(tmp_path: Path,
                                                         null_sink: NullSink) -> None:
    write_tone(tmp_path / "music.wav", 30.0)
    station = daemon_station(tmp_path / "station", "nullsink")
    quiet = station.cli("status")
    assert quiet.returncode == 0, quiet.stderr
    assert "NOT RUNNING" in quiet.stdout
    with running_daemon(station) as daemon:
        music = queued(station, "play", str(tmp_path / "music.wav"))
        daemon.wait_on_air(music)
        shown = station.cli("status")
        assert shown.returncode == 0, shown.stderr
        assert "daemon: running" in shown.stdout
        assert f"on air: #{music} music.wav (normal)" in shown.stdout
        assert "of 30 s" in shown.stdout
        as_json = json.loads(station.cli("status", "--json").stdout)
        assert as_json["running"] is True
        assert as_json["on_air"]["id"] == music
        assert (as_json["device"], as_json["device_error"]) == ("nullsink", None)

        stopped = station.cli("cancel", str(music))
        assert stopped.returncode == 0, stopped.stderr
        assert stopped.stdout.strip().endswith(": stopping")
        (line,) = daemon.wait_finished(music, timeout=5)
        assert line.outcome is Outcome.CANCELLED
        assert line.started_at is not None and line.ended_at - line.started_at < 10
        assert line.reason == ("cancelled by operator; part 1 (file): on air when cancelled "
                               "by operator, not aired whole")
    after = station.cli("status")
    assert after.returncode == 0
    assert "NOT RUNNING" in after.stdout
