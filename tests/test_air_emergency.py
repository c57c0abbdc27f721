"""Emergencies cut in (SPEC §1, §6): real time, through a PulseAudio null sink."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from broadcaster.air import (
    AirEvent,
    EventKind,
    FileSource,
    NowPlaying,
    OutputFormat,
    PauseSource,
    Player,
    ProgramSource,
    SoundOutput,
)
from broadcaster.model import Level, Outcome, RenderedProgram
from tests.support.sound import (
    NullSink,
    frame_indices,
    heard_between,
    write_indexed,
    write_tone,
)

RATE = 48000
FIRST = 1000  # the indexed file's first frame index, so silence never looks like it
STORM_S = 0.5
FADE = round(0.2 * RATE)  # the player's cosine fade-out, in frames


@pytest.mark.slow
def test_emergency_cuts_into_a_file_which_resumes_at_the_frame_it_reached(
        tmp_path: Path, null_sink: NullSink) -> None:
    frames = 2 * RATE
    source = write_indexed(tmp_path / "music.wav", frames, first=FIRST).astype(np.float64)
    write_tone(tmp_path / "storm.wav", STORM_S, hz=880, channels=2, amplitude=0.5)
    events: list[AirEvent] = []
    on_air_in_storm: list[NowPlaying | None] = []
    player: Player

    def record(event: AirEvent) -> None:
        events.append(event)
        if (event.title, event.kind) == ("bão", EventKind.STARTED):
            on_air_in_storm.append(player.now_playing())

    output = SoundOutput("nullsink", OutputFormat(RATE, 2), block_frames=1024, latency=0.05)
    with null_sink.recording(tmp_path / "air.raw") as recording, \
            Player(output, on_event=record) as player:
        player.start()
        player.play(PauseSource(0.3))  # the null sink's monitor misses a stream's first 0.1 s
        player.play(FileSource(tmp_path / "music.wav"))
        null_sink.wait_heard(recording, FIRST + RATE // 2)  # half a second of it on air
        player.request_emergency(FileSource(tmp_path / "storm.wav", title="bão"))
        assert player.wait_idle(timeout=10)

    kinds = [(e.title, e.kind) for e in events if e.title != "pause"]
    assert kinds == [("music.wav", EventKind.STARTED), ("music.wav", EventKind.INTERRUPTED),
                     ("bão", EventKind.STARTED), ("bão", EventKind.ENDED),
                     ("music.wav", EventKind.RESUMED), ("music.wav", EventKind.ENDED)]
    assert events[-1].outcome is Outcome.AIRED
    (storm,) = on_air_in_storm
    assert storm is not None and (storm.title, storm.level) == ("bão", Level.EMERGENCY)
    interrupted = next(e for e in events if e.kind is EventKind.INTERRUPTED)
    cut_at = FIRST + round(interrupted.position_s * RATE)
    assert cut_at >= FIRST + RATE // 2  # not before what was heard when it was asked for

    captured = null_sink.read(recording).astype(np.int32)
    indices = frame_indices(captured)
    fade_at = int(np.flatnonzero(indices == cut_at)[0])
    before = heard_between(indices, 0, fade_at)
    after = heard_between(indices, fade_at + FADE)
    # untouched from the first frame up to where it was cut ...
    assert before[0][1] == FIRST
    assert before[-1][2] == cut_at - 1
    # ... then faded out from that very frame, a 200 ms cosine (±1 for rounding) ...
    gain = 0.5 * (1 + np.cos(np.pi * np.arange(FADE) / FADE))
    expected = np.rint(source[cut_at - FIRST:][:FADE] * gain[:, None])
    assert np.abs(captured[fade_at:fade_at + FADE] - expected).max() <= 1
    # ... the emergency (both channels alike) within 300 ms of the cut ...
    after_fade = captured[fade_at:after[0][0]]
    tone = np.flatnonzero((after_fade[:, 0] == after_fade[:, 1])
                          & (np.abs(after_fade[:, 0]) > 1000))
    assert tone[0] <= 0.3 * RATE
    assert tone.size > 0.9 * STORM_S * RATE
    # ... and the file again from exactly the frame where the fade began, to its end
    assert after[0][1] == cut_at
    assert after[-1][2] == FIRST + frames - 1


def test_the_emergency_follows_the_last_frame_of_the_fade_at_once(tmp_path: Path,
                                                                  capture: Path) -> None:
    music = write_indexed(tmp_path / "music.wav", RATE, first=FIRST)
    storm = np.full((RATE // 10, 2), 12345, dtype=np.int16)
    soundfile.write(str(tmp_path / "storm.wav"), storm, RATE, subtype="PCM_16")
    events: list[AirEvent] = []
    player: Player

    def record(event: AirEvent) -> None:
        events.append(event)
        if (event.title, event.kind) == ("music.wav", EventKind.STARTED):  # music on air:
            player.request_emergency(FileSource(tmp_path / "storm.wav"))

    output = SoundOutput("capture", OutputFormat(RATE, 2), block_frames=1024)
    with Player(output, on_event=record) as player:
        player.play(FileSource(tmp_path / "music.wav"))
        player.run_until_idle()

    captured, _rate = soundfile.read(str(capture), dtype="int16")
    cut = round(next(e for e in events if e.kind is EventKind.INTERRUPTED).position_s * RATE)
    assert cut == 1024  # the block on air when it was asked for, then the fade
    assert np.array_equal(captured[:cut], music[:cut])
    gain = 0.5 * (1 + np.cos(np.pi * np.arange(FADE) / FADE))
    faded = np.rint(music[cut:cut + FADE] * gain[:, None])
    assert np.abs(captured[cut:cut + FADE] - faded).max() <= 1
    # no silence between: the fade's last block ends with it
    assert np.array_equal(captured[cut + FADE:cut + FADE + len(storm)], storm)
    assert np.array_equal(captured[cut + FADE + len(storm):][:RATE - cut], music[cut:])


def test_an_emergency_does_not_cut_another_emergency(tmp_path: Path, capture: Path) -> None:
    write_tone(tmp_path / "flood.wav", 0.3, hz=440)
    write_tone(tmp_path / "fire.wav", 0.3, hz=660)
    events: list[AirEvent] = []
    player: Player

    def record(event: AirEvent) -> None:
        events.append(event)
        if (event.title, event.kind) == ("flood.wav", EventKind.STARTED):  # flood on air:
            player.request_emergency(FileSource(tmp_path / "fire.wav"))

    output = SoundOutput("capture", OutputFormat(RATE, 2))
    with Player(output, on_event=record) as player:
        player.request_emergency(FileSource(tmp_path / "flood.wav"))
        player.run_until_idle()

    assert [(e.title, e.kind) for e in events] == [
        ("flood.wav", EventKind.STARTED), ("flood.wav", EventKind.ENDED),
        ("fire.wav", EventKind.STARTED), ("fire.wav", EventKind.ENDED)]
    assert all(e.level is Level.EMERGENCY for e in events)
    assert events[1].outcome is Outcome.AIRED
    assert events[1].position_s == pytest.approx(0.3)  # flood to its end


def test_a_cut_notice_restarts_from_the_repetition_that_was_cut(tmp_path: Path,
                                                                null_sink: NullSink) -> None:
    repetition = round(0.5 * RATE)
    write_indexed(tmp_path / "notice.wav", 3 * repetition, first=FIRST)
    program = RenderedProgram(path=tmp_path / "notice.wav", sample_rate=RATE, channels=2,
                              frames=3 * repetition,
                              restart_points=(0, repetition, 2 * repetition), engine="espeak")
    write_tone(tmp_path / "fire.wav", 0.3, hz=660, channels=2)
    events: list[AirEvent] = []

    output = SoundOutput("nullsink", OutputFormat(RATE, 2), latency=0.05)
    with null_sink.recording(tmp_path / "air.raw") as recording, \
            Player(output, on_event=events.append) as player:
        player.start()
        player.play(PauseSource(0.3))
        player.play(ProgramSource(program, title="tiêm phòng"))
        null_sink.wait_heard(recording, FIRST + repetition + RATE // 10)  # into the 2nd one
        player.request_emergency(FileSource(tmp_path / "fire.wav"))
        assert player.wait_idle(timeout=10)

    interrupted = next(e for e in events if e.kind is EventKind.INTERRUPTED)
    cut_at = round(interrupted.position_s * RATE)
    assert cut_at >= repetition + RATE // 10  # not before what was heard when it was asked
    restart = max(point for point in program.restart_points if point <= cut_at)
    indices = frame_indices(null_sink.read(recording))
    fade_at = int(np.flatnonzero(indices == FIRST + cut_at)[0])
    before = heard_between(indices, 0, fade_at)
    after = heard_between(indices, fade_at + FADE)
    assert before[0][1] == FIRST
    # after the emergency: from the start of the repetition that was cut, to the end
    assert after[0][1] == FIRST + restart
    assert after[-1][2] == FIRST + 3 * repetition - 1


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
