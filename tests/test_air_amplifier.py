"""The amplifier relay around the audio, on gpiozero's mock pins (no GPIO here)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin

from broadcaster.air import AirEvent, EventKind, FileSource, OutputFormat, Source, air
from broadcaster.air.amplifier import Amplifier, NoSwitch, switch_from_config
from broadcaster.air.sources import Emit
from broadcaster.config import AmplifierSection
from tests.support.sound import station_config, write_tone

if TYPE_CHECKING:
    from broadcaster.air.sources import Samples

PIN = 17


@pytest.fixture
def gpio() -> Iterator[MockFactory]:
    previous = Device.pin_factory
    Device.pin_factory = MockFactory()
    try:
        yield Device.pin_factory
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = previous


def relay_pin(factory: MockFactory) -> MockPin:
    return factory.pin(PIN)


def amplified(folder: Path, *, warmup: float = 0.3, hold: float = 0.2,
              active_high: bool = True) -> str:
    return (f"gpio_pin = {PIN}\nactive_high = {str(active_high).lower()}\n"
            f"warmup_s = {warmup}\nhold_s = {hold}\n")


def test_relay_is_on_warmup_before_audio_and_off_hold_after(tmp_path: Path, capture: Path,
                                                            gpio: MockFactory) -> None:
    write_tone(tmp_path / "news.wav", 0.5)
    config = station_config(tmp_path / "station", "capture", amplifier=amplified(tmp_path))
    seen: list[tuple[EventKind, float, bool]] = []

    def record(event: AirEvent) -> None:
        seen.append((event.kind, time.monotonic(), relay_pin(gpio).state))

    began = time.monotonic()
    air(config, tmp_path / "news.wav", on_event=record)
    returned = time.monotonic()

    states = relay_pin(gpio).states
    assert [s.state for s in states] == [False, True, False]
    switched_on = began + states[1].timestamp
    (_, started_at, on_at_start), (_, ended_at, on_at_end) = seen
    assert on_at_start and on_at_end
    assert started_at - switched_on >= 0.3  # warm-up before the first audio
    assert states[2].timestamp >= 0.2  # on for at least warm-up + audio ... and the hold
    assert returned - ended_at >= 0.2 - 0.05  # the hold came after the last block
    assert not relay_pin(gpio).state


def test_active_low_relay_idles_high(tmp_path: Path, capture: Path, gpio: MockFactory) -> None:
    write_tone(tmp_path / "news.wav", 0.1)
    config = station_config(tmp_path / "station", "capture",
                            amplifier=amplified(tmp_path, warmup=0, hold=0, active_high=False))
    air(config, tmp_path / "news.wav")
    assert [s.state for s in relay_pin(gpio).states] == [False, True, False, True]


class _PowerCutAt(Source):
    """A file that stops airing with Ctrl-C (KeyboardInterrupt) after `frames` frames."""

    def __init__(self, inner: FileSource, frames: int) -> None:
        super().__init__()
        self.inner, self.frames, self.title = inner, frames, inner.title

    def open(self, fmt: OutputFormat, emit: Emit | None = None) -> None:
        self.inner.open(fmt)

    def read(self, frames: int) -> Samples:
        if self.inner.position >= self.frames:
            raise KeyboardInterrupt
        block = self.inner.read(frames)
        self.position = self.inner.position
        return block

    def close(self) -> None:
        self.inner.close()

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        return self


def test_relay_is_off_after_an_interruption_in_the_middle(tmp_path: Path, capture: Path,
                                                          gpio: MockFactory) -> None:
    write_tone(tmp_path / "news.wav", 1.0)
    config = station_config(tmp_path / "station", "capture",
                            amplifier=amplified(tmp_path, warmup=0, hold=5))

    with pytest.raises(KeyboardInterrupt):
        air(config, _PowerCutAt(FileSource(tmp_path / "news.wav"), 24000))

    assert [s.state for s in relay_pin(gpio).states] == [False, True, False]


def test_a_missing_device_never_switches_the_relay_on(tmp_path: Path, gpio: MockFactory) -> None:
    write_tone(tmp_path / "news.wav", 0.1)
    config = station_config(tmp_path / "station", "no-such-card", amplifier=amplified(tmp_path))
    with pytest.raises(Exception, match="not found"):
        air(config, tmp_path / "news.wav")
    assert not relay_pin(gpio).state


def test_without_a_pin_the_relay_is_a_no_op_and_status_says_so_plainly() -> None:
    switch = switch_from_config(AmplifierSection())
    assert isinstance(switch, NoSwitch)
    amplifier = Amplifier(switch, sleep=lambda s: None)
    amplifier.before_audio()  # nothing to switch: never "…, on"
    assert amplifier.describe() == "no relay configured"
    assert amplifier.problem is None


def test_a_relay_whose_switching_fails_is_a_problem_of_the_item_not_a_crash(
        gpio: MockFactory) -> None:
    switch = switch_from_config(AmplifierSection(gpio_pin=PIN))
    relay_pin(gpio)._set_state = _refuse  # a busy pin
    amplifier = Amplifier(switch, sleep=lambda s: None)
    amplifier.before_audio()
    assert amplifier.problem == "relay on GPIO17 did not switch on: the pin is busy"
    assert amplifier.describe() == amplifier.problem  # not "…, on"


def _refuse(value: object) -> None:
    raise OSError("the pin is busy")


def test_hold_and_warmup_follow_the_injected_clock() -> None:
    now = [100.0]
    slept: list[float] = []
    amplifier = Amplifier(NoSwitch(), warmup_s=2.0, hold_s=5.0, clock=lambda: now[0],
                          sleep=slept.append)
    amplifier.before_audio()
    amplifier.before_audio()  # already on: no second warm-up
    assert slept == [2.0]
    amplifier.after_audio()
    now[0] += 4.9
    amplifier.poll()
    assert amplifier.is_on
    assert amplifier.seconds_to_off() == pytest.approx(0.1)
    now[0] += 0.1
    amplifier.poll()
    assert not amplifier.is_on


def test_new_audio_during_the_hold_keeps_it_on() -> None:
    now = [0.0]
    amplifier = Amplifier(NoSwitch(), hold_s=5.0, clock=lambda: now[0], sleep=lambda s: None)
    amplifier.before_audio()
    amplifier.after_audio()
    now[0] = 3.0
    amplifier.before_audio()
    now[0] = 9.0
    amplifier.poll()
    assert amplifier.is_on
