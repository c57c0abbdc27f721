"""A missing or lost sound device (SPEC §8): the daemon keeps running, `status` says what
is wrong, and the item airs once the device is there (the player retries every 5 s).

The device is the test asoundrc's `late` PCM: a PulseAudio server of this test's own,
at an address the daemon is given; until the test starts that server, there is no
such device.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcaster.air.player import DEVICE_RETRY_S
from broadcaster.model import Outcome
from tests.support.daemon import Daemon, daemon_station, queued, running_daemon
from tests.support.sound import LATE_ENV, NullSink, pulse_socket, write_tone
from tests.support.station import Station


@pytest.fixture
def late_sink(tmp_path: Path) -> Iterator[NullSink]:
    """The `late` device's sound server: not running until the test starts it."""
    missing = NullSink.available()
    if missing:
        pytest.skip(f"no PulseAudio null sink: {missing}")
    sink = NullSink(tmp_path / "late")
    try:
        yield sink
    finally:
        sink.stop()


def late_station(tmp_path: Path, sink: NullSink) -> tuple[Station, dict[str, str]]:
    station = daemon_station(tmp_path / "station", "late")
    write_tone(tmp_path / "notice.wav", 0.5)
    return station, {LATE_ENV: f"unix:{pulse_socket(sink.folder)}"}


def device_error(daemon: Daemon) -> str | None:
    return (daemon.status() or {}).get("device_error")


@pytest.mark.slow
def test_no_sound_device_at_start_the_daemon_waits_and_airs_once_it_is_there(
        tmp_path: Path, late_sink: NullSink) -> None:
    station, env = late_station(tmp_path, late_sink)
    with running_daemon(station, env) as daemon:
        notice = queued(station, "play", str(tmp_path / "notice.wav"))
        error = daemon.wait_for(lambda: device_error(daemon), "the device error", timeout=10)
        assert "'late'" in error
        shown = station.cli("status")
        assert shown.returncode == 0, shown.stderr
        assert "device: late - ERROR: sound device 'late'" in shown.stdout
        assert daemon.state_of(notice) == "pending"  # kept, not failed

        late_sink.start()  # the sound card is plugged in
        (line,) = daemon.wait_finished(notice, timeout=DEVICE_RETRY_S + 3)
        assert line.outcome is Outcome.AIRED
        daemon.wait_for(lambda: device_error(daemon) is None, "the error to clear",
                        timeout=3)


@pytest.mark.slow
def test_a_sound_device_lost_while_running_is_reported_and_used_again_once_back(
        tmp_path: Path, late_sink: NullSink) -> None:
    station, env = late_station(tmp_path, late_sink)
    late_sink.start()
    with running_daemon(station, env) as daemon:
        first = queued(station, "play", str(tmp_path / "notice.wav"))
        assert daemon.wait_finished(first, timeout=10)[0].outcome is Outcome.AIRED

        late_sink.stop()  # unplugged
        second = queued(station, "play", str(tmp_path / "notice.wav"))
        daemon.wait_for(lambda: device_error(daemon), "the device error", timeout=5)
        status = json.loads(station.cli("status", "--json").stdout)
        assert status["running"] is True
        assert status["device"] == "late"
        assert status["device_error"]

        late_sink.start()  # plugged in again
        (line,) = daemon.wait_finished(second, timeout=DEVICE_RETRY_S + 3)
        assert line.outcome is Outcome.AIRED
