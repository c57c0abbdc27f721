"""Emergencies cut in (SPEC §1, §6): real time, through a PulseAudio null sink."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from broadcaster.air import (
    AirEvent,
    EventKind,
    FileSource,
    OutputFormat,
    PauseSource,
    Player,
    ProgramSource,
    SoundOutput,
)
from broadcaster.model import Level, Outcome, RenderedProgram
from tests.support.sound import NullSink, frame_indices, runs, write_indexed, write_tone

RATE = 48000
FIRST = 1000  # the indexed file's first frame index, so silence never looks like it



@pytest.mark.slow
def test_emergency_cuts_into_a_file_which_resumes_at_the_frame_it_reached(
        tmp_path: Path, null_sink: NullSink) -> None:
    frames = 3 * RATE
    source = write_indexed(tmp_path / "music.wav", frames, first=FIRST).astype(np.float64)
    write_tone(tmp_path / "storm.wav", 1.0, hz=880, channels=2, amplitude=0.5)
    events: list[AirEvent] = []
    output = SoundOutput("nullsink", OutputFormat(RATE, 2), block_frames=1024, latency=0.05)

    with null_sink.recording(tmp_path / "air.raw") as recording, \
            Player(output, on_event=events.append) as player:
        player.start()
        player.play(PauseSource(0.3))  # the null sink's monitor misses a stream's first 0.1 s
        player.play(FileSource(tmp_path / "music.wav"))
        time.sleep(1.5)
        player.request_emergency(FileSource(tmp_path / "storm.wav", title="bão"))
        time.sleep(0.2)
        assert player.now_playing() is not None
        assert player.wait_idle(timeout=10)

    kinds = [(e.title, e.kind) for e in events if e.title != "pause"]
    assert kinds == [("music.wav", EventKind.STARTED), ("music.wav", EventKind.INTERRUPTED),
                     ("bão", EventKind.STARTED), ("bão", EventKind.ENDED),
                     ("music.wav", EventKind.RESUMED), ("music.wav", EventKind.ENDED)]
    assert events[-1].outcome is Outcome.AIRED
    interrupted = next(e for e in events if e.kind is EventKind.INTERRUPTED)
    cut_at = FIRST + round(interrupted.position_s * RATE)

    captured = null_sink.read(recording).astype(np.int32)
    played = runs(frame_indices(captured))
    assert len(played) == 2, played
    (before_at, first, last), (after_at, resumed, end) = played
    # untouched from the first frame up to where it was cut ...
    assert first == FIRST
    assert last >= cut_at - 1
    # ... then faded out from that very frame, a 200 ms cosine (±1 for rounding) ...
    fade_at = before_at + cut_at - FIRST
    fade_frames = round(0.2 * RATE)
    gain = 0.5 * (1 + np.cos(np.pi * np.arange(fade_frames) / fade_frames))
    expected = np.rint(source[cut_at - FIRST:][:fade_frames] * gain[:, None])
    assert np.abs(captured[fade_at:fade_at + fade_frames] - expected).max() <= 1
    # ... the emergency (both channels alike) within 300 ms of the cut ...
    after_fade = captured[fade_at:after_at]
    tone = np.flatnonzero((after_fade[:, 0] == after_fade[:, 1])
                          & (np.abs(after_fade[:, 0]) > 1000))
    assert tone[0] <= 0.3 * RATE
    assert tone.size > 0.9 * RATE
    # ... and the file again from exactly the frame where the fade began, to its end
    assert resumed == cut_at
    assert end == FIRST + frames - 1


def test_an_emergency_does_not_cut_another_emergency(tmp_path: Path,
                                                     null_sink: NullSink) -> None:
    write_tone(tmp_path / "flood.wav", 0.6, hz=440)
    write_tone(tmp_path / "fire.wav", 0.3, hz=660)
    events: list[AirEvent] = []
    output = SoundOutput("nullsink", OutputFormat(RATE, 2), latency=0.05)

    with Player(output, on_event=events.append) as player:
        player.start()
        player.request_emergency(FileSource(tmp_path / "flood.wav"))
        time.sleep(0.2)
        player.request_emergency(FileSource(tmp_path / "fire.wav"))
        assert player.wait_idle(timeout=10)

    assert [(e.title, e.kind) for e in events] == [
        ("flood.wav", EventKind.STARTED), ("flood.wav", EventKind.ENDED),
        ("fire.wav", EventKind.STARTED), ("fire.wav", EventKind.ENDED)]
    assert all(e.level is Level.EMERGENCY for e in events)


def test_a_cut_notice_restarts_from_the_repetition_that_was_cut(tmp_path: Path,
                                                                null_sink: NullSink) -> None:
    repetition = round(0.5 * RATE)
    write_indexed(tmp_path / "notice.wav", 3 * repetition, first=FIRST)
    program = RenderedProgram(path=tmp_path / "notice.wav", sample_rate=RATE, channels=2,
                              frames=3 * repetition,
                              restart_points=(0, repetition, 2 * repetition), engine="espeak")
    write_tone(tmp_path / "fire.wav", 0.5, hz=660, channels=2)
    started = threading.Event()
    events: list[AirEvent] = []

    def record(event: AirEvent) -> None:
        events.append(event)
        if event.kind is EventKind.STARTED and event.title == "tiêm phòng":
            started.set()

    output = SoundOutput("nullsink", OutputFormat(RATE, 2), latency=0.05)
    with null_sink.recording(tmp_path / "air.raw") as recording, \
            Player(output, on_event=record) as player:
        player.start()
        player.play(PauseSource(0.3))
        player.play(ProgramSource(program, title="tiêm phòng"))
        assert started.wait(timeout=5)
        time.sleep(0.75)  # into the second repetition
        player.request_emergency(FileSource(tmp_path / "fire.wav"))
        assert player.wait_idle(timeout=10)

    interrupted = next(e for e in events if e.kind is EventKind.INTERRUPTED)
    cut_at = round(interrupted.position_s * RATE)
    assert repetition < cut_at < 2 * repetition
    played = runs(frame_indices(null_sink.read(recording)))
    assert [(first, last) for _, first, last in played][-1] == (
        FIRST + repetition, FIRST + 3 * repetition - 1)
    assert played[0][1] == FIRST


def test_a_priority_item_goes_next_before_waiting_normal_ones(tmp_path: Path,
                                                              capture: Path) -> None:
    for name in ("music", "weather", "vaccination"):
        write_tone(tmp_path / f"{name}.wav", 0.2)
    order: list[str] = []
    player: Player

    def record(event: AirEvent) -> None:
        if event.kind is EventKind.STARTED:
            order.append(event.title)
            if event.title == "music.wav":  # while music is on air:
                player.play(FileSource(tmp_path / "weather.wav"))
                player.play(FileSource(tmp_path / "vaccination.wav"), Level.PRIORITY)

    output = SoundOutput("capture", OutputFormat(RATE, 2))
    with Player(output, on_event=record) as player:
        player.play(FileSource(tmp_path / "music.wav"))
        player.run_until_idle()

    assert order == ["music.wav", "vaccination.wav", "weather.wav"]


def test_cancelling_the_item_on_air_fades_it_out_and_ends_it_cancelled(
        tmp_path: Path, capture: Path) -> None:
    write_tone(tmp_path / "music.wav", 2.0, channels=2)
    events: list[AirEvent] = []
    player: Player

    def record(event: AirEvent) -> None:
        events.append(event)
        if event.kind is EventKind.STARTED:
            assert player.now_playing() is not None
            player.stop(event.item_id)

    output = SoundOutput("capture", OutputFormat(RATE, 2))
    with Player(output, on_event=record) as player:
        player.play(FileSource(tmp_path / "music.wav"), item_id="nhạc")
        player.run_until_idle()
        assert player.now_playing() is None

    assert [(e.kind, e.outcome) for e in events] == [
        (EventKind.STARTED, None), (EventKind.ENDED, Outcome.CANCELLED)]
    # one block, then the 200 ms fade
    assert events[-1].position_s == pytest.approx(0.2 + 1024 / RATE, abs=1024 / RATE)
