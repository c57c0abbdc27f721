"""On the dot (SPEC §4 `warmup_s`, §9): a scheduled item goes to the player ahead of its
time, which switches the amplifier on and opens the device first, then starts it at its
due time. While it is held there it can still be cancelled, and an emergency still goes
first. A real daemon on the capture device, whose amplifier takes a second to warm up.
"""

from __future__ import annotations

from pathlib import Path

from broadcaster.model import Level, Outcome
from tests.support.daemon import Daemon, daemon_station, queued, running_daemon
from tests.support.sound import write_tone

WARM_UP = "warmup_s = 1\nhold_s = 0"


def held_by_the_player(daemon: Daemon, entry_id: int) -> bool:
    """True while the player has the item, ahead of its time, not yet on air."""
    status = daemon.status() or {}
    return not status.get("on_air") and any(
        item["id"] == entry_id and item["state"] == "cued" for item in status.get("next", []))


def test_the_amplifier_warms_up_before_the_item_is_due_not_after(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station", "capture", amplifier=WARM_UP)
    write_tone(tmp_path / "news.wav", 0.5)
    with running_daemon(station) as daemon:
        news = queued(station, "play", str(tmp_path / "news.wav"), "--at", "+3s")
        (line,) = daemon.wait_finished(news, timeout=10)
    assert line.outcome is Outcome.AIRED
    assert line.started_at is not None and line.due_at is not None
    assert abs(line.started_at - line.due_at) < 0.5  # not the warm-up (1 s) late


def test_an_item_held_for_its_time_can_be_cancelled(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station", "capture", amplifier=WARM_UP)
    write_tone(tmp_path / "news.wav", 0.5)
    with running_daemon(station) as daemon:
        news = queued(station, "play", str(tmp_path / "news.wav"), "--at", "+3s")
        daemon.wait_for(lambda: held_by_the_player(daemon, news), "the player to hold it",
                        timeout=5)
        assert station.cli("cancel", str(news)).returncode == 0
        (line,) = daemon.wait_finished(news, timeout=3)
    assert (line.outcome, line.started_at) == (Outcome.CANCELLED, None)


def test_an_emergency_goes_before_an_item_held_for_its_time(tmp_path: Path) -> None:
    station = daemon_station(tmp_path / "station", "capture", amplifier=WARM_UP)
    write_tone(tmp_path / "news.wav", 0.5)
    with running_daemon(station) as daemon:
        news = queued(station, "play", str(tmp_path / "news.wav"), "--at", "+4s")
        daemon.wait_for(lambda: held_by_the_player(daemon, news), "the player to hold it",
                        timeout=5)
        fire = queued(station, "say", "Cháy ở chợ xã, bà con tránh xa khu vực chợ.",
                      "--level", "emergency", "--repeat", "1")
        lines = daemon.wait_finished(news, fire, timeout=15)
    assert [(line.queue_id, line.outcome) for line in lines] == [
        (fire, Outcome.AIRED), (news, Outcome.AIRED)]
    alarm, after = lines
    assert alarm.level is Level.EMERGENCY
    assert after.started_at is not None and after.started_at >= alarm.ended_at - 0.5
