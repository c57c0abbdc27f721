"""Zones (cụm loa): each item reaches only its zones' loudspeaker lines, on gpiozero's mock
pins (no GPIO here), through the real player and sound device."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin

from broadcaster.air import (
    AirEvent,
    Amplifier,
    EventKind,
    FileSource,
    OutputFormat,
    PauseSource,
    Player,
    SoundOutput,
)
from broadcaster.air.amplifier import switch_from_config
from broadcaster.air.zones import ZoneRelays
from broadcaster.config import AmplifierSection
from broadcaster.model import Outcome
from broadcaster.store import DATABASE, Store
from tests.support.daemon import daemon_station, queued, running_daemon
from tests.support.sound import NullSink, write_indexed, write_tone
from tests.support.station import Station

RATE = 48000
AMPLIFIER = 17
ZONES = {"Thôn Đông": (22,), "Thôn Tây": (23, 24)}
BROKEN = 23  # a relay pin that fails when switched, in the tests that want one


class _FailingPin(MockPin):  # type: ignore[misc]  # gpiozero is untyped
    """A relay driver that raises when pin BROKEN is switched on (a GPIO error)."""

    def _set_state(self, value: Any) -> None:
        if self._number == BROKEN and value:
            raise OSError("GPIO chip busy")
        super()._set_state(value)


@pytest.fixture
def gpio() -> Iterator[MockFactory]:
    previous = Device.pin_factory
    Device.pin_factory = MockFactory()
    try:
        yield Device.pin_factory
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = previous


def lines(factory: MockFactory) -> dict[str, bool]:
    """Which zone lines hear the station: each zone's relays all closed."""
    return {zone: all(factory.pin(pin).state for pin in pins) for zone, pins in ZONES.items()}


def zoned_player(tmp_path: Path, factory: MockFactory, record: Any, *,
                 zones: dict[str, tuple[int, ...]] = ZONES) -> Player:
    amplifier = Amplifier(switch_from_config(AmplifierSection(gpio_pin=AMPLIFIER, warmup_s=0,
                                                              hold_s=0)))
    output = SoundOutput("capture", OutputFormat(RATE, 2), block_frames=1024, latency=0.05)
    return Player(output, amplifier, on_event=record,
                  zones=ZoneRelays.from_config(zones, active_high=True))


def test_each_item_reaches_only_its_zones_and_the_lines_open_after_it(
        tmp_path: Path, capture: Path, gpio: MockFactory) -> None:
    write_tone(tmp_path / "tone.wav", 0.3)
    seen: list[tuple[str, EventKind, dict[str, bool]]] = []

    def record(event: AirEvent) -> None:
        seen.append((event.title, event.kind, lines(gpio)))

    with zoned_player(tmp_path, gpio, record) as player:
        player.play(FileSource(tmp_path / "tone.wav", title="đông"), zones=("Thôn Đông",))
        player.play(FileSource(tmp_path / "tone.wav", title="tây"), zones=("Thôn Tây",))
        player.play(FileSource(tmp_path / "tone.wav", title="cả xã"))
        player.run_until_idle()
        assert lines(gpio) == {"Thôn Đông": False, "Thôn Tây": False}  # quiet: all open

    both, east, west = ({"Thôn Đông": True, "Thôn Tây": True},
                        {"Thôn Đông": True, "Thôn Tây": False},
                        {"Thôn Đông": False, "Thôn Tây": True})
    assert seen == [("đông", EventKind.STARTED, east), ("đông", EventKind.ENDED, east),
                    ("tây", EventKind.STARTED, west), ("tây", EventKind.ENDED, west),
                    ("cả xã", EventKind.STARTED, both), ("cả xã", EventKind.ENDED, both)]
    amplifier_on = next(s.timestamp for s in gpio.pin(AMPLIFIER).states if s.state)
    east_on = next(s.timestamp for s in gpio.pin(22).states if s.state)
    assert east_on <= amplifier_on  # the line is connected before the amplifier powers up


def test_items_for_the_same_zone_do_not_click_its_relay(tmp_path: Path, capture: Path,
                                                        gpio: MockFactory) -> None:
    write_tone(tmp_path / "tone.wav", 0.2)
    with zoned_player(tmp_path, gpio, None) as player:
        for _ in range(3):
            player.play(FileSource(tmp_path / "tone.wav"), zones=("Thôn Tây",))
        player.run_until_idle()
    assert [s.state for s in gpio.pin(23).states] == [False, True, False]
    assert [s.state for s in gpio.pin(22).states] == [False]


@pytest.mark.slow
def test_an_emergency_closes_every_zone_and_the_item_it_cut_resumes_on_its_own(
        tmp_path: Path, null_sink: NullSink, gpio: MockFactory) -> None:
    write_indexed(tmp_path / "notice.wav", 2 * RATE, first=1000)
    write_tone(tmp_path / "storm.wav", 0.4, hz=880)
    seen: list[tuple[str, EventKind, dict[str, bool]]] = []

    def record(event: AirEvent) -> None:
        seen.append((event.title, event.kind, lines(gpio)))

    amplifier = Amplifier(switch_from_config(AmplifierSection(gpio_pin=AMPLIFIER, warmup_s=0,
                                                              hold_s=0)))
    output = SoundOutput("nullsink", OutputFormat(RATE, 2), block_frames=1024, latency=0.05)
    with null_sink.recording(tmp_path / "air.raw") as recording, \
            Player(output, amplifier, on_event=record,
                   zones=ZoneRelays.from_config(ZONES, active_high=True)) as player:
        player.start()
        player.play(PauseSource(0.3), zones=("Thôn Tây",))
        player.play(FileSource(tmp_path / "notice.wav", title="tây"), zones=("Thôn Tây",))
        null_sink.wait_heard(recording, 1000 + RATE // 2)  # half a second of it on air
        player.request_emergency(FileSource(tmp_path / "storm.wav", title="bão"))
        assert player.wait_idle(timeout=10)

    west = {"Thôn Đông": False, "Thôn Tây": True}
    kinds = [(title, kind, state) for title, kind, state in seen if title != "pause"]
    assert kinds == [("tây", EventKind.STARTED, west), ("tây", EventKind.INTERRUPTED, west),
                     ("bão", EventKind.STARTED, {"Thôn Đông": True, "Thôn Tây": True}),
                     ("bão", EventKind.ENDED, {"Thôn Đông": True, "Thôn Tây": True}),
                     ("tây", EventKind.RESUMED, west), ("tây", EventKind.ENDED, west)]


def test_a_relay_that_fails_is_said_with_the_item_and_in_status(tmp_path: Path,
                                                                capture: Path) -> None:
    previous = Device.pin_factory
    Device.pin_factory = factory = MockFactory(pin_class=_FailingPin)
    try:
        write_tone(tmp_path / "tone.wav", 0.2)
        events: list[AirEvent] = []
        with zoned_player(tmp_path, factory, events.append) as player:
            player.play(FileSource(tmp_path / "tone.wav", title="tây"), zones=("Thôn Tây",))
            player.run_until_idle()
            states = {state.name: state for state in player.zone_states()}
    finally:
        factory.reset()
        Device.pin_factory = previous

    (failed,) = [e for e in events if e.kind is EventKind.FAILED]
    assert failed.outcome is None  # it still aired: the reason goes with its as-run line
    assert failed.detail.startswith("zone Thôn Tây: relay on GPIO23 did not switch on: "
                                    "GPIO chip busy")
    assert [e.kind for e in events][-1] is EventKind.ENDED
    assert states["Thôn Tây"].problem is not None and not states["Thôn Tây"].closed
    assert states["Thôn Đông"].problem is None


def test_a_relay_pin_that_cannot_be_driven_leaves_the_other_zones_working(
        tmp_path: Path, capture: Path, gpio: MockFactory) -> None:
    write_tone(tmp_path / "tone.wav", 0.2)
    zones: dict[str, tuple[int, ...]] = {"Thôn Đông": (22,), "Xóm Bãi": (60,)}  # no GPIO60
    events: list[AirEvent] = []
    with zoned_player(tmp_path, gpio, events.append, zones=zones) as player:
        player.play(FileSource(tmp_path / "tone.wav"))
        player.run_until_idle()
        states = {state.name: state for state in player.zone_states()}
    assert [s.state for s in gpio.pin(22).states] == [False, True, False]
    problem = states["Xóm Bãi"].problem
    assert problem is not None and problem.startswith("zone Xóm Bãi: relay on GPIO60 cannot "
                                                      "be driven: ")
    (failed,) = [e for e in events if e.kind is EventKind.FAILED]
    assert failed.detail.startswith(problem)


# --- through the command line and the daemon --------------------------------------------------

DAEMON_ZONES = '\n[zones]\n"Thôn Đông" = 22\n"Thôn Tây" = [23, 24]\n"Xóm Bãi" = 60\n'


def zoned_station(root: Path) -> Station:
    station = daemon_station(root, amplifier="gpio_pin = 17\nwarmup_s = 0\nhold_s = 0")
    station.write_config(station.config_file.read_text(encoding="utf-8") + DAEMON_ZONES)
    return station


def test_say_refuses_a_zone_the_station_lacks_and_an_emergency_for_some_zones(
        tmp_path: Path) -> None:
    station = zoned_station(tmp_path)
    before = station.files()
    unknown = station.cli("say", "Họp thôn lúc 8 giờ", "--zone", "Thôn Bắc")
    emergency = station.cli("say", "Bão số 3", "--level", "emergency", "--zone", "Thôn Tây")
    for refused in (unknown, emergency):
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "'Thôn Bắc'" in unknown.stderr and "Thôn Đông, Thôn Tây, Xóm Bãi" in unknown.stderr
    assert station.files() == before  # nothing queued, no database made


@pytest.mark.slow
def test_the_daemon_airs_each_item_to_its_zones_and_logs_them(tmp_path: Path,
                                                              capture: Path) -> None:
    station = zoned_station(tmp_path)
    write_tone(tmp_path / "audio" / "tone.wav", 0.3)
    mock = {"GPIOZERO_PIN_FACTORY": "mock"}
    with running_daemon(station, env=mock) as daemon:
        status = daemon.status()
        assert status is not None
        zones = {zone["name"]: zone for zone in status["zones"]}
        assert zones["Thôn Đông"] == {"name": "Thôn Đông", "pins": [22], "on": False,
                                      "problem": None}
        assert zones["Xóm Bãi"]["problem"].startswith("zone Xóm Bãi: relay on GPIO60 cannot")
        east = queued(station, "play", "audio/tone.wav", "--zone", "thon dong")  # no accents
        every = queued(station, "play", "audio/tone.wav")
        aired = daemon.wait_finished(east, every)
        shown = station.cli("status")
    by_id = {line.queue_id: line for line in aired}
    assert by_id[east].zones == ("Thôn Đông",)
    assert by_id[every].zones == ("Thôn Đông", "Thôn Tây", "Xóm Bãi")
    assert by_id[east].outcome is Outcome.AIRED and by_id[east].reason is None
    reason = by_id[every].reason  # it aired, but Xóm Bãi's line never closed: said so
    assert reason is not None and "Xóm Bãi" in reason and "GPIO60" in reason
    assert "Thôn Tây (GPIO23,24)" in shown.stdout


def test_a_one_off_playlist_for_one_zone_is_queued_for_that_zone_only(tmp_path: Path) -> None:
    station = zoned_station(tmp_path)
    write_tone(tmp_path / "audio" / "tone.wav", 0.3)
    notice = tmp_path / "hop-thon.yaml"
    notice.write_text("title: Họp thôn Đông\nzones: [Thôn Đông]\n"
                      "items:\n  - file: tone.wav\n", encoding="utf-8")
    applied = station.cli("playlist", "apply", str(notice))
    assert applied.returncode == 0, applied.stderr
    store = Store(station.root / "data" / DATABASE)
    try:
        (entry,) = store.pending()
    finally:
        store.close()
    assert entry.zones == ("Thôn Đông",)
