"""`status` as the operator reads it (issue 10, "the command line, finished"): it says the
daemon is gone the moment it is, shows where in a resumed file the station is, dates
its last error and drops it once things work again, says plainly that no relay is
configured, shows the upstream link on the station's clock, and `status --json` carries
the same facts as the text with the daemon down. The daemon's journal says once what is
wrong with the device or the speech, and nothing for items that air fine."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from broadcaster.model import Outcome
from tests.support.broker import Broker, broker  # noqa: F401  # the fixture
from tests.support.daemon import Daemon, daemon_station, queued, running_daemon
from tests.support.sound import NullSink, write_indexed, write_tone
from tests.support.station import Station

RATE = 48000
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the test stations' zone (the default)


def status_json(station: Station) -> dict[str, Any]:
    done = station.cli("status", "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def status_when(station: Station, key: str, wanted: object = bool) -> dict[str, Any] | None:
    """`status --json` once its `key` is `wanted` (a value, or a test of it), else None."""
    data = status_json(station)
    found = wanted(data[key]) if callable(wanted) else data[key] == wanted
    return data if found else None


def status_text(station: Station) -> str:
    done = station.cli("status")
    assert done.returncode == 0, done.stderr
    return done.stdout


def clock(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, ZONE).strftime("%Y-%m-%d %H:%M:%S")


def journal(daemon: Daemon) -> list[str]:
    """The daemon's log lines (its stderr, as systemd's journal keeps it)."""
    return [line for line in daemon.stderr().splitlines() if not line.startswith("--- start")]


def test_status_says_not_running_the_moment_the_daemon_is_killed_and_json_says_as_much(
        tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    daemon = Daemon(station)
    try:
        daemon.start()
        later = queued(station, "say", "Họp thôn lúc bảy giờ tối.", "--at", "+2h")
        urgent = queued(station, "say", "Cắt điện từ chín giờ.", "--at", "+1h",
                        "--level", "priority")
        assert status_json(station)["running"] is True
        daemon.power_cut()  # kill -9: the status file stays behind, its lock does not
        text = status_text(station)
        data = status_json(station)
    finally:
        daemon.power_cut()
    assert (station.root / "run" / "status.json").exists()
    assert text.startswith("daemon: NOT RUNNING")
    assert data["running"] is False and data["pid"] is None and data["version"] == 3
    # the same facts as the text: what waits, in air order, with its expected start
    assert [up["id"] for up in data["next"]] == [urgent, later]
    for up in data["next"]:
        assert f"next:   #{up['id']} {clock(up['expected'])} {up['level']} {up['title']}" \
            in text
    assert f"device: {data['device']} " in text
    assert f"amplifier: {data['amplifier']}\n" in text
    assert f"upstream: {data['upstream']}\n" in text
    assert data["amplifier"] == "no relay configured"


@pytest.mark.slow
def test_a_resumed_file_shows_where_it_is_in_the_file_not_the_time_since_it_resumed(
        tmp_path: Path, null_sink: NullSink) -> None:
    station = daemon_station(tmp_path / "station", "nullsink")
    write_indexed(tmp_path / "long.wav", 12 * RATE, first=1)
    write_indexed(tmp_path / "alarm.wav", RATE // 2, first=1)  # a tone would fool wait_heard
    recording = tmp_path / "recording.raw"
    with null_sink.recording(recording), running_daemon(station) as daemon:
        music = queued(station, "play", str(tmp_path / "long.wav"))
        null_sink.wait_heard(recording, 3 * RATE)
        alarm = queued(station, "play", str(tmp_path / "alarm.wav"), "--level", "emergency")
        daemon.wait_on_air(alarm)
        daemon.wait_on_air(music)  # resumed after the emergency, where it was cut
        data = status_json(station)
        text = status_text(station)
        # it resumed where the emergency cut it, 3 s or more into the file (not at 0 s)
        assert 3.0 <= data["on_air"]["offset_s"] < 12.0, data["on_air"]
        shown = re.search(rf"on air: #{music} long\.wav \(normal\), (\d+) s of 12 s", text)
        assert shown is not None, text
        assert int(shown[1]) >= 3

        null_sink.wait_heard(recording, 6 * RATE)
        assert daemon.stop() == 0  # SIGTERM mid-air: it resumes where it stopped
        daemon.start()
        daemon.wait_on_air(music)
        data = status_json(station)
        assert 6.0 <= data["on_air"]["offset_s"] < 12.0, data["on_air"]
        assert daemon.wait_finished(music, timeout=15)[0].outcome is Outcome.AIRED


def test_the_last_error_has_its_time_and_goes_once_an_item_airs_fine(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(200))  # a WAV head, no audio
    write_tone(tmp_path / "good.wav", 0.3)
    with running_daemon(station) as daemon:
        text = status_text(station)
        assert "amplifier: no relay configured\n" in text  # not "…, on" or "…, off"
        assert "last error: none\n" in text

        before = time.time()
        failed = queued(station, "play", str(broken))
        assert daemon.wait_finished(failed)[0].outcome is Outcome.FAILED
        data = daemon.wait_for(lambda: status_when(station, "last_error"), "the last error")
        assert data["last_error"].startswith("part 1 (") and "skipped" in data["last_error"]
        assert before - 1 <= data["last_error_at"] <= time.time() + 1
        assert f"last error: {clock(data['last_error_at'])}: " in status_text(station)

        good = [queued(station, "play", str(tmp_path / "good.wav")) for _ in range(3)]
        assert all(line.outcome is Outcome.AIRED for line in daemon.wait_finished(*good))
        data = daemon.wait_for(lambda: status_when(station, "last_error", None),
                               "the last error to clear")
        assert data["last_error_at"] is None
        assert "last error: none\n" in status_text(station)
        lines = journal(daemon)
    # one line for the item that failed; nothing for the three that aired fine
    assert len(lines) == 1 and f"#{failed} broken.wav: failed" in lines[0], lines


def test_a_relay_that_cannot_be_driven_is_named_with_its_cause_and_logged_with_the_item(
        tmp_path: Path) -> None:
    if Path("/proc/device-tree/model").exists():
        pytest.skip("this machine may have the Raspberry Pi's GPIO")
    station = daemon_station(tmp_path / "station",
                             amplifier="gpio_pin = 17\nwarmup_s = 0\nhold_s = 0")
    write_tone(tmp_path / "news.wav", 0.3)
    with running_daemon(station) as daemon:
        news = queued(station, "play", str(tmp_path / "news.wav"))
        (line,) = daemon.wait_finished(news)
        # The as-run line is written first, the status file a moment later.
        data = daemon.wait_for(lambda: status_when(station, "last_error"), "the last error")
        text = status_text(station)
        lines = journal(daemon)
    cause = "relay on GPIO17 cannot be driven: no GPIO driver works on this machine (native:"
    assert line.outcome is Outcome.AIRED  # the audio did reach the sound device …
    assert line.reason is not None and line.reason.startswith(cause)  # … maybe not the air
    assert line.reason.endswith("the loudspeakers may have stayed silent")
    assert data["last_error"] == line.reason and data["last_error_at"] is not None
    assert f"amplifier: {cause}" in text and "remove [amplifier] gpio_pin" in text
    assert "gpiozero is not installed" not in text + line.reason + "\n".join(lines)
    assert sum(cause in entry for entry in lines) == 2, lines  # at start, and with the item


def test_the_journal_says_once_that_the_device_is_missing_and_why_speech_fails(
        tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station", "no-such-card")
    text = station.config_file.read_text(encoding="utf-8")
    station.write_config(text.replace('engines = ["espeak"]', 'engines = ["command"]')
                         + '\n[tts.command]\nargv = ["false"]\n')
    write_tone(tmp_path / "news.wav", 0.3)
    with running_daemon(station) as daemon:
        queued(station, "play", str(tmp_path / "news.wav"))
        queued(station, "say", "Xin chào bà con.")
        first = daemon.wait_for(lambda: (daemon.status() or {}).get("last_error_at"),
                                "the device error")
        # the player tries the device again every 5 s: the status shows each try …
        daemon.wait_for(lambda: (daemon.status() or {}).get("last_error_at") != first,
                        "the device to be tried again", timeout=15)
        daemon.wait_for(lambda: "could not be rendered" in daemon.stderr(),
                        "the speech failure in the journal")
        lines = journal(daemon)
    # … the journal says it once, with what to do
    device = [line for line in lines if "no-such-card" in line]
    assert len(device) == 1, lines
    assert "set [audio] device in the config" in device[0]
    assert "tries the device again every 5 s" in device[0]
    # each attempt at the speech is one line, numbered (the first retry comes 5 s after
    # the first attempt: within this test's window when the worker starts fast)
    speech = [line for line in lines if "could not be rendered" in line]
    assert speech and "(attempt 1)" in speech[0], lines
    for attempt, line in enumerate(speech, 1):
        assert f"(attempt {attempt})" in line
        assert "check [tts.command] argv" in line
        assert "network" not in line and "install espeak-ng" not in line


def test_the_upstream_line_is_on_the_station_clock(tmp_path: Path,
                                                   broker: Broker) -> None:  # noqa: F811
    station = daemon_station(tmp_path / "station")
    text = station.config_file.read_text(encoding="utf-8")
    station.write_config(text + f'\n[district]\nbroker = "{broker.url}"\n')
    with running_daemon(station) as daemon:
        data = daemon.wait_for(
            lambda: status_when(station, "upstream", lambda text: text.startswith("connected")),
            "the upstream link to connect")
        shown = status_text(station)
    since = re.search(r"connected to \S+ since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)",
                      data["upstream"])
    assert since is not None, data["upstream"]
    at = datetime.strptime(since[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZONE)
    assert abs(at.timestamp() - time.time()) < 60  # the station's clock, not UTC's
    assert f"upstream: {data['upstream']}" in shown
