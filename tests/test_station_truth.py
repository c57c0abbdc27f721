"""What a new operator found (issue 8), each through the real command line and a real
daemon: the as-run log says what reached the loudspeakers, nothing that merely waited
is dropped, and one data directory has one station."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcaster.model import Outcome
from tests.support.daemon import Daemon, daemon_station, queued, running_daemon
from tests.support.sound import NullSink, frame_indices, runs, write_indexed, write_tone
from tests.support.station import Station

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
RATE = 48000

COUNTING_VOICE = """\
#!/bin/sh
# an engine that cannot speak (gTTS without network); counts how often it was asked
count=$(cat "{count}" 2>/dev/null || echo 0)
echo $((count + 1)) > "{count}"
{then}
"""
NEVER = 'echo "network is unreachable" >&2; exit 1'
KILLS_ITS_WORKER_ONCE = '[ "$count" -gt 0 ] || kill -9 $PPID\nexec "{espeak}" -v vi -w "$1" -f "$2"'


def with_voice(station: Station, tmp_path: Path, then: str) -> Path:
    """The station speaks only through a script (`[tts] engines = ["command"]`)."""
    voice = tmp_path / "voice"
    count = tmp_path / "calls"
    voice.write_text(COUNTING_VOICE.format(count=count, then=then), encoding="utf-8")
    voice.chmod(voice.stat().st_mode | stat.S_IXUSR)
    station.write_config(station.config_file.read_text().replace(
        'engines = ["espeak"]', 'engines = ["command"]')
        + f'\n[tts.command]\nargv = ["{voice}", "{{out}}", "{{text_file}}"]\n')
    return count


def test_a_notice_whose_speech_never_renders_is_retried_then_failed_never_aired(
        tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    calls = with_voice(station, tmp_path, NEVER)
    with running_daemon(station) as daemon:
        notice = queued(station, "say", "Thông báo khẩn về bão số 3.", "--repeat", "2",
                        "--expires", "+12s")
        shown = daemon.wait_for(
            lambda: [up for up in (daemon.status() or {}).get("next", [])
                     if up["note"] == "speech not ready"], "the notice shown unready")
        assert shown[0]["id"] == notice
        (line,) = daemon.wait_finished(notice, timeout=30)
    assert line.outcome is Outcome.FAILED
    assert line.reason is not None
    assert line.reason.startswith("its speech could not be rendered by its expiry: ")
    assert "network is unreachable" in line.reason
    assert line.started_at is None  # not even the chime went on air
    assert int(calls.read_text()) >= 2  # tried again before giving up
    assert "could not be rendered (attempt 2)" in daemon.stderr()
    assert not (station.root / "capture.wav").exists()


def test_a_speech_worker_killed_while_rendering_is_retried_and_the_notice_airs(
        tmp_path: Path) -> None:
    espeak = shutil.which("espeak-ng")
    assert espeak
    station = daemon_station(tmp_path / "station")
    calls = with_voice(station, tmp_path, KILLS_ITS_WORKER_ONCE.format(espeak=espeak))
    with running_daemon(station) as daemon:
        notice = queued(station, "say", "Mời bà con đến nhận gạo hỗ trợ.", "--repeat", "1")
        (line,) = daemon.wait_finished(notice, timeout=30)
    assert (line.outcome, line.engine) == (Outcome.AIRED, "command")
    assert [part.what for part in line.parts if part.aired] == ["chime", "say"]
    assert int(calls.read_text()) == 2
    assert "exit status -9" in daemon.stderr()


def test_a_queued_file_that_vanished_is_logged_failed_with_its_reason(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    write_tone(tmp_path / "news.wav", 0.5)
    with running_daemon(station) as daemon:
        news = queued(station, "play", str(tmp_path / "news.wav"), "--at", "+3s")
        for copy in (station.root / "audio" / "queued").iterdir():
            copy.unlink()  # someone tidied the audio folder
        (line,) = daemon.wait_finished(news, timeout=15)
    assert line.outcome is Outcome.FAILED
    assert line.reason is not None and line.reason.startswith("part 1 (file): ")
    assert line.started_at is None


@pytest.mark.slow
def test_waiting_behind_a_long_file_is_not_missing(tmp_path: Path,
                                                   null_sink: NullSink) -> None:
    station = daemon_station(tmp_path / "station", "nullsink")
    # the music outlasts the four commands below even on a loaded machine (~1 s each),
    # and the short notice's expiry falls inside it but after the `queue` that lists it
    write_tone(tmp_path / "music.wav", 14.0)
    with running_daemon(station) as daemon:
        music = queued(station, "play", str(tmp_path / "music.wav"))
        daemon.wait_on_air(music)
        behind = queued(station, "say", "Họp tổ dân phố lúc 19 giờ.", "--repeat", "1")
        short = queued(station, "say", "Thông báo ngắn.", "--repeat", "1", "--expires", "+6s")
        urgent = queued(station, "say", "Cắt điện lúc 14 giờ.", "--repeat", "1",
                        "--level", "priority")
        listed = json.loads(station.cli("queue", "--json").stdout)
        daemon.wait_for(lambda: all(up["note"] != "speech not ready" for up in
                                    (daemon.status() or {}).get("next", [])) or None,
                        "every notice rendered")
        assert ((daemon.status() or {}).get("on_air") or {}).get("id") == music
        lines = daemon.wait_finished(music, behind, short, urgent, timeout=30)
    assert [row["id"] for row in listed] == [music, urgent, behind, short]
    aired = sorted((line for line in lines if line.started_at is not None),
                   key=lambda line: line.started_at or 0.0)
    assert [line.queue_id for line in aired] == [music, urgent, behind]  # as listed
    by_id = {line.queue_id: line for line in lines}
    assert by_id[behind].outcome is Outcome.AIRED  # it waited its turn
    started = by_id[behind].started_at
    assert started is not None and started >= by_id[music].ended_at - 0.1
    # only what could not start before its own expiry is missed, and it says why
    assert by_id[short].outcome is Outcome.MISSED
    assert by_id[short].reason == f"expired while waiting behind #{music}"


SLOT = """\
title: Bản tin trưa
slot: {{days: daily, at: "{at:%H:%M}", until: "{until:%H:%M}"}}
items:
  - file: news.wav
"""


def test_a_slot_applied_inside_its_window_airs_at_once(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    write_tone(station.root / "audio" / "news.wav", 0.5)
    now = datetime.now(HANOI)
    if now.hour == 23 and now.minute >= 57:
        pytest.skip("a slot does not cross midnight; too close to it now")
    playlist = tmp_path / "trua.yaml"
    playlist.write_text(SLOT.format(at=now - timedelta(minutes=1),
                                    until=now + timedelta(minutes=2)), encoding="utf-8")
    with running_daemon(station) as daemon:
        applied = station.cli("playlist", "apply", str(playlist))
        assert applied.returncode == 0, applied.stderr
        assert "its window is open now: it airs at once" in applied.stdout
        line = daemon.wait_for(lambda: next(iter(daemon.as_run()), None), "the slot to air",
                               timeout=15)
    assert (line.source, line.outcome) == ("slot", Outcome.AIRED)
    assert line.started_at is not None and line.started_at >= now.timestamp()


def test_say_during_quiet_hours_tells_when_it_will_air_and_nothing_is_missed(
        tmp_path: Path) -> None:
    now = datetime.now(HANOI)
    end = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    station = daemon_station(tmp_path / "station",
                             quiet_hours=(f"{now - timedelta(hours=1):%H:%M}-{end:%H:%M}",))
    done = station.cli("say", "Mời bà con đi họp.", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].endswith(f"expected to start at {end:%Y-%m-%d %H:%M:%S}")
    assert f"note: will air at {end:%Y-%m-%d %H:%M}, after quiet hours" in done.stderr
    assert "nothing airs until the station starts" in done.stderr
    (row,) = json.loads(station.cli("queue", "--json").stdout)
    assert row["expected"] == f"{end:%Y-%m-%d %H:%M:%S}"
    assert station.cli("log").stdout.strip() == "the as-run log has nothing in that period"
    # a notice that quiet hours would hold past its expiry is refused, not queued to miss
    refused = station.cli("say", "Họp gấp.", "--at", "+5m")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "quiet hours hold it until" in refused.stderr


def test_a_time_already_past_today_means_tomorrow_and_the_operator_is_told(
        tmp_path: Path) -> None:
    now = datetime.now(HANOI)
    if now.hour == 0 and now.minute < 2:
        pytest.skip("just after midnight there is no earlier minute today")
    earlier = now - timedelta(minutes=1)
    station = daemon_station(tmp_path / "station")
    done = station.cli("say", "Họp chi bộ.", "--at", f"{earlier:%H:%M}")
    assert done.returncode == 0, done.stderr
    tomorrow = earlier + timedelta(days=1)
    assert (f"note: {earlier:%H:%M} has passed today: queued for tomorrow, "
            f"{tomorrow:%Y-%m-%d %H:%M}") in done.stderr
    refused = station.cli("say", "Họp chi bộ.", "--at", "+10m", "--expires", "+5m")
    assert refused.returncode == 1 and "is not after its start" in refused.stderr


ONE_OFF = """\
title: Lịch tiêm phòng
{validity}
items:
  - say: "Mời bà con đưa gia cầm đi tiêm phòng."
"""


def test_a_one_off_past_its_validity_is_refused_and_a_future_one_is_due_after_quiet_hours(
        tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station", quiet_hours=("21:30-05:00",))
    old = tmp_path / "old.yaml"
    old.write_text(ONE_OFF.format(validity="valid_until: 2020-01-01"), encoding="utf-8")
    refused = station.cli("playlist", "apply", str(old))
    assert refused.returncode == 1
    assert refused.stderr == f"{old}: valid_until 2020-01-01 has passed; change valid_until " \
                             "or remove it to air the playlist\n"
    tomorrow = datetime.now(HANOI).date() + timedelta(days=1)
    future = tmp_path / "future.yaml"
    future.write_text(ONE_OFF.format(validity=f"valid_from: {tomorrow}"), encoding="utf-8")
    applied = station.cli("playlist", "apply", str(future))
    assert applied.returncode == 0, applied.stderr
    (row,) = json.loads(station.cli("queue", "--json").stdout)
    assert row["due"] == f"{tomorrow} 05:00:00"  # not 00:00, inside the quiet hours


def test_a_second_daemon_on_the_same_data_is_refused_naming_the_first(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    with running_daemon(station) as daemon:
        socket_before = (station.root / "run" / "control").stat().st_ino
        second = subprocess.run([sys.executable, "-m", "broadcaster", "run"],
                                cwd=station.root, env=daemon.env, capture_output=True,
                                text=True, timeout=30, check=False)
        assert second.returncode == 1
        assert second.stderr.count("\n") == 1
        assert f"another station daemon (pid {daemon.pid}) already runs on" in second.stderr
        assert (station.root / "run" / "control").stat().st_ino == socket_before
        notice = queued(station, "say", "Xin chào bà con.", "--repeat", "1")
        lines = daemon.wait_finished(notice, timeout=20)
    assert [line.outcome for line in lines] == [Outcome.AIRED]


def test_the_database_deleted_under_the_daemon_makes_it_exit_non_zero(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    daemon = Daemon(station)
    try:
        daemon.start()
        for suffix in ("", "-wal", "-shm"):
            (station.root / "data" / f"station.db{suffix}").unlink(missing_ok=True)
        process = daemon._process  # the test owns the process
        assert process is not None
        assert process.wait(timeout=5) == 1
        assert "station database" in daemon.stderr() and "was deleted" in daemon.stderr()
    finally:
        daemon.power_cut()


@pytest.mark.slow
def test_sigterm_mid_air_then_start_resumes_the_file_where_it_stopped(
        tmp_path: Path, null_sink: NullSink) -> None:
    station = daemon_station(tmp_path / "station", "nullsink")
    write_indexed(tmp_path / "long.wav", 6 * RATE, first=1)
    recording = tmp_path / "recording.raw"
    daemon = Daemon(station)
    try:
        with null_sink.recording(recording):
            daemon.start()
            music = queued(station, "play", str(tmp_path / "long.wav"))
            null_sink.wait_heard(recording, 2 * RATE)
            stopped_at = time.time()
            assert daemon.stop() == 0  # SIGTERM, as `systemctl restart` sends
            assert daemon.state_of(music) == "pending"
            daemon.start()
            (line,) = daemon.wait_finished(music, timeout=20)
    finally:
        daemon.power_cut()
    assert line.outcome is Outcome.AIRED
    (cut,) = line.interruptions
    assert cut.why == "the daemon stopped" and cut.cut_at is not None
    assert cut.cut_at == pytest.approx(stopped_at, abs=0.5)
    assert cut.resumed_at is not None and cut.resumed_at > cut.cut_at
    assert line.ended_at > cut.resumed_at
    played = runs(frame_indices(null_sink.read(recording)))
    (_, first, stop), *rest = played
    (_, again, last) = rest[-1]
    assert first <= 1 and last >= 6 * RATE - 2048  # from its start to its end
    assert 0 <= stop - again <= 2048 + RATE // 5  # where it stopped, within a block (+ fade)


def test_a_database_restored_under_the_daemon_is_the_one_it_restarts_on(
        tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    data = station.root / "data"
    backup = tmp_path / "backup.db"
    assert station.cli("say", "Bản sao lưu.", "--at", "+2h").returncode == 0
    with sqlite3.connect(data / "station.db") as db:  # the operator's backup
        db.execute(f"VACUUM INTO '{backup}'")
    daemon = Daemon(station)
    try:
        daemon.start()
        for _ in range(3):  # the running station writes to its own database meanwhile
            queued(station, "say", "Sau khi sao lưu.", "--at", "+3h")
        shutil.copy(backup, data / "restored.db")
        (data / "restored.db").replace(data / "station.db")
        process = daemon._process
        assert process is not None and process.wait(timeout=5) == 1
        assert "was replaced under the running daemon" in daemon.stderr()
        daemon.start()
        titles = [entry.title for entry in daemon.pending()]
    finally:
        daemon.power_cut()
    assert titles == ["Bản sao lưu."]
    with sqlite3.connect(data / "station.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_the_csv_log_opens_in_a_spreadsheet_without_running_formulas(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    done = station.cli("say", "Thử máy.", "--at", "+1h", "--title", '=HYPERLINK("x")')
    assert done.returncode == 0, done.stderr
    assert station.cli("cancel", done.stdout.splitlines()[0]).returncode == 0
    csv_text = station.cli("log", "--format", "csv").stdout
    assert csv_text.startswith("\ufeffid,due,started")
    assert "'=HYPERLINK" in csv_text


def test_mistakes_an_operator_makes_are_refused_and_a_notepad_config_is_fine(
        tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    for args, expected in ((["--gap", "30m"], "between readings is too long"),
                           (["--title", "Dòng một\nDòng hai"], "a title is one line"),
                           (["--title", "x" * 201], "a title is one line")):
        done = station.cli("say", "Họp tổ.", *args)
        assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
        assert expected in done.stderr
    assert not (station.root / "data" / "station.db").exists()  # nothing changed
    station.config_file.write_bytes(b"\xef\xbb\xbf" + station.config_file.read_bytes())
    assert station.cli("queue").returncode == 0


def test_queue_and_status_show_the_next_slot_before_it_is_queued(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    write_tone(station.root / "audio" / "news.wav", 0.5)
    now = datetime.now(HANOI)
    at = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    playlist = tmp_path / "chieu.yaml"
    playlist.write_text(SLOT.format(at=at, until=at + timedelta(minutes=1)), encoding="utf-8")
    assert station.cli("playlist", "apply", str(playlist)).returncode == 0
    key = f"chieu@{at:%Y-%m-%d}"
    (row,) = json.loads(station.cli("queue", "--json").stdout)
    assert (row["id"], row["expected"]) == (f"slot {key}", f"{at:%Y-%m-%d %H:%M:%S}")
    with running_daemon(station) as daemon:
        shown = daemon.wait_for(lambda: (daemon.status() or {}).get("next"), "the next slot")
        assert (shown[0]["slot"], shown[0]["expected"]) == (key, at.timestamp())
        assert f"next:   slot {key}" in station.cli("status").stdout
