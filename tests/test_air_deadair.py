"""Dead air: long silence inside an item that should sound is reported (not pauses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from broadcaster.air import (
    AirEvent,
    EventKind,
    FileSource,
    OutputFormat,
    PauseSource,
    Player,
    SoundOutput,
)
from broadcaster.air.deadair import DeadAirCheck
from tests.support.sound import write_tone

RATE = 48000


def blocks(level: float, seconds: float) -> list[np.ndarray]:
    return [np.full((1000, 2), level, dtype=np.float32)] * round(seconds * RATE / 1000)


def test_ten_seconds_below_minus_50_dbfs_is_reported_once() -> None:
    check = DeadAirCheck(RATE)
    quiet = 10 ** (-55 / 20)
    said = [check.feed(block) for block in blocks(quiet, 25)]
    assert said.count(True) == 1
    assert said.index(True) == 480  # the first block past 10 s


def test_sound_above_the_threshold_resets_the_count() -> None:
    check = DeadAirCheck(RATE)
    quiet, audible = 10 ** (-55 / 20), 10 ** (-40 / 20)
    stream = blocks(quiet, 8) + blocks(audible, 0.1) + blocks(quiet, 8)
    assert not any(check.feed(block) for block in stream)


def test_16_bit_blocks_are_measured_on_the_same_scale() -> None:
    check = DeadAirCheck(RATE)
    quiet = round(10 ** (-55 / 20) * 32768)  # 58 of 32768
    audible = round(10 ** (-45 / 20) * 32768)
    stream = [np.full((1000, 2), quiet, dtype=np.int16)] * 300 \
        + [np.full((1000, 2), audible, dtype=np.int16)] \
        + [np.full((1000, 2), quiet, dtype=np.int16)] * 500
    said = [check.feed(block) for block in stream]
    assert said.count(True) == 1
    assert said.index(True) == 301 + 480  # the audible block began the count again


def test_a_pause_is_exempt() -> None:
    check = DeadAirCheck(RATE)
    assert not any(check.feed(block, exempt=True) for block in blocks(0.0, 20))


def test_a_silent_file_on_air_raises_a_dead_air_event(tmp_path: Path, capture: Path) -> None:
    soundfile.write(str(tmp_path / "blank.wav"), np.zeros((RATE, 2), dtype=np.int16), RATE)
    write_tone(tmp_path / "tone.wav", 1.0)
    events: list[AirEvent] = []
    output = SoundOutput("capture", OutputFormat(RATE, 2))

    with Player(output, on_event=events.append,
                dead_air=DeadAirCheck(RATE, limit_s=0.5)) as player:
        player.play(FileSource(tmp_path / "tone.wav"))
        player.play(PauseSource(1.0))
        player.play(FileSource(tmp_path / "blank.wav"))
        player.run_until_idle()

    dead = [e for e in events if e.kind is EventKind.DEAD_AIR]
    assert [(e.title, round(e.position_s, 1)) for e in dead] == [("blank.wav", 0.5)]
    assert "silence on air" in dead[0].detail
