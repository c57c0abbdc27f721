"""Hard starts inside a slot (SPEC §5): the VOV news joins at 06:00:00 whatever came before.

The sequence logic runs on a fake clock that moves one block per read, as a sound card
takes blocks: the fade ends on the hard start, the block is cut there, what lies between
is skipped, a `fit: wait` notice airs after it, a slot that begins late airs in order, and
a cut by an emergency resumes with the hard start still at its moment. Then `playlist
check` refusals through the CLI, the plan `schedule` shows, and one real-time run
through the daemon and the PulseAudio null sink.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest

from broadcaster.air.sequence import (
    FADE_S,
    GAP_LEAD_S,
    HardStart,
    Part,
    PartState,
    SequenceSource,
    Timing,
)
from broadcaster.air.sources import Emit, OutputFormat, Source, _ignore
from broadcaster.asrun import Progress
from broadcaster.model import File, Fit, Outcome, Pause, Relay, Say
from broadcaster.store import items_from_json, items_to_json, playlist_from_json, playlist_to_json
from tests.support.station import Station

RATE = 8000
BLOCK = 160  # 20 ms
FMT = OutputFormat(RATE, 1)
T = 1_000.0  # the hard start on the fake clock
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class Steady(Source):
    """A part that says `value` in every frame for `seconds` (a file: it resumes where cut)."""

    kind = "file"

    def __init__(self, value: float, seconds: float, start: int = 0) -> None:
        super().__init__()
        self.value, self.seconds, self.start = value, seconds, start
        self.title = f"part {value:g}"
        self.closed = False

    def open(self, fmt: OutputFormat, emit: Emit = _ignore) -> None:
        self.fmt = fmt
        self.position = self.start

    def read(self, frames: int) -> npt.NDArray[np.float32]:
        count = max(0, min(frames, self.fmt.frames(self.seconds) - self.position))
        self.position += count
        return np.full((count, self.fmt.channels), self.value, dtype=np.float32)

    def close(self) -> None:
        self.closed = True

    @property
    def duration_s(self) -> float | None:
        return self.seconds

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        return Steady(self.value, self.seconds, at_frame)


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Log:
    """What the sequence reported: (index, state, reason) and the hard starts' moments."""

    parts: list[tuple[int, PartState, str | None]] = field(default_factory=list)
    moments: dict[int, float] = field(default_factory=dict)

    def __call__(self, index: int, state: PartState, reason: str | None) -> None:
        self.parts.append((index, state, reason))

    def started(self) -> list[int]:
        return [index for index, state, _ in self.parts if state is PartState.STARTED]

    def reason(self, index: int, state: PartState) -> str | None:
        return next(reason for i, s, reason in self.parts if (i, s) == (index, state))


def parts_of(*lengths: float) -> list[Part]:
    """Part i says i + 1 for its length in seconds."""
    def part(value: float, seconds: float) -> Part:
        return lambda: Steady(value, seconds)
    return [part(index + 1, seconds) for index, seconds in enumerate(lengths)]


def sequence(parts: list[Part], clock: Clock, log: Log, *hard: HardStart,
             waits: dict[int, float] | None = None) -> SequenceSource:
    timing = Timing(hard, waits or {}, clock, log.moments.__setitem__, clock.sleep)
    source = SequenceSource(parts, report=log, timing=timing)
    source.open(FMT)
    return source


def air(source: Source, clock: Clock, seconds: float | None = None) -> npt.NDArray[np.float32]:
    """Read block after block as a real-time device would, the clock moving one block per
    read, until `seconds` of audio (or the end); the audio, mono."""
    blocks = []
    total = 0
    while seconds is None or total < seconds * RATE:
        block = source.read(BLOCK)
        clock.now += BLOCK / RATE
        if len(block) == 0:
            break
        blocks.append(block[:, 0])
        total += len(block)
    return np.concatenate(blocks)


def hard_at(index: int, at: float = T, armed: bool = False) -> HardStart:
    return HardStart(index, at, "06:00:00", armed)


# --- the sequence on a fake clock ----------------------------------------------------------

def test_the_part_on_air_fades_out_to_end_on_the_hard_start_and_the_relay_starts_there() -> None:
    start = T - 3.0 + 0.00713  # the block edges never meet the hard start
    clock, log = Clock(start), Log()
    source = sequence(parts_of(1.0, 10.0, 2.0, 5.0), clock, log, hard_at(3))
    audio = air(source, clock)
    at = round((T - start) * RATE)  # where 06:00:00 falls in what went out
    assert np.all(audio[at:at + 5 * RATE] == 4)  # the hard-start part from there
    assert np.all(audio[RATE:at - FMT.frames(FADE_S)] == 2)  # part 2 untouched until the fade
    fade = audio[at - FMT.frames(FADE_S):at] / 2
    assert fade[0] == pytest.approx(1, abs=1e-3) and fade[-1] < 1e-3
    assert np.all(np.diff(fade) < 0)  # a cosine down to the moment, not a step
    assert log.moments == {3: pytest.approx(T, abs=0.5 / RATE)}
    assert log.started() == [0, 1, 3]
    assert log.reason(1, PartState.CUT) == (
        "cut at 06:00:00 for the hard start of part 4; 8 s of 10 s not aired")
    assert log.reason(2, PartState.SKIPPED) == (
        "not aired: the hard start of part 4 at 06:00:00 came first")
    assert (3, PartState.AIRED, None) in log.parts


def test_the_moment_comes_from_the_clock_at_each_block_not_from_frames_counted() -> None:
    start = T - 2.0
    clock, log = Clock(start), Log()
    source = sequence(parts_of(10.0, 1.0), clock, log, hard_at(1))
    blocks = []
    for _ in range(int(3 * RATE / BLOCK)):
        blocks.append(source.read(BLOCK)[:, 0])
        clock.now += BLOCK / RATE * 1.01  # the sound card runs 1 % slow
    audio = np.concatenate(blocks)
    first = int(np.flatnonzero(audio == 2)[0])
    assert first == pytest.approx((T - start) / 1.01 * RATE, abs=2)
    assert log.moments[1] == pytest.approx(T, abs=1 / RATE)


def test_a_device_that_takes_two_blocks_at_once_still_gets_the_hard_start_on_its_frame(
) -> None:
    start = T - 2.0 + 0.0031
    clock, log = Clock(start), Log()
    source = sequence(parts_of(10.0, 1.0), clock, log, hard_at(1))
    blocks = []
    for number in range(int(3 * RATE / BLOCK)):
        blocks.append(source.read(BLOCK)[:, 0])
        if number % 2:  # as through PulseAudio: a pair of blocks, then two blocks' wait
            clock.now += 2 * BLOCK / RATE
    audio = np.concatenate(blocks)
    assert int(np.flatnonzero(audio == 2)[0]) == round((T - start) * RATE)
    assert log.moments[1] == pytest.approx(T, abs=1 / RATE)


def test_parts_that_end_early_leave_silence_until_the_hard_start() -> None:
    clock, log = Clock(T - 2.0), Log()
    source = sequence(parts_of(0.5, 3.0), clock, log, hard_at(1))
    audio = air(source, clock, 2.5)
    assert np.all(audio[:RATE // 2] == 1)
    assert np.all(audio[RATE // 2:2 * RATE] == 0)  # silent on purpose: no dead-air alarm
    assert np.all(audio[2 * RATE:] == 2)
    assert (0, PartState.AIRED, None) in log.parts


def test_silence_before_a_hard_start_keeps_to_the_clock_on_a_device_faster_than_real_time(
) -> None:
    clock, log = Clock(T - 30.0), Log()
    source = sequence(parts_of(0.1, 1.0), clock, log, hard_at(1))
    out = 0
    while log.started() != [0, 1]:  # the clock never moves but by the sequence's own sleep
        out += len(source.read(BLOCK))
    # what went out: the first part (the device took it at once), the silence to the hard
    # start with the lead it may keep, a block of the hard-start part
    assert 30 * RATE <= out <= (0.1 + 30 + GAP_LEAD_S) * RATE + 2 * BLOCK
    assert clock.now == pytest.approx(T, abs=0.05)  # it waited: no minutes of silence


def test_a_notice_that_fits_waits_for_nothing_and_one_that_would_not_airs_after_the_relay(
) -> None:
    clock, log = Clock(T - 10.0), Log()
    # 1: 4 s, 2 (fit: wait): 5 s would end at T - 1 s, 3 (fit: wait): 3 s would not fit,
    # 4: the relay at T, 5: the closing
    source = sequence(parts_of(4.0, 5.0, 3.0, 2.0, 1.0), clock, log, hard_at(3),
                      waits={1: 5.0, 2: 3.0})
    audio = air(source, clock)
    assert log.started() == [0, 1, 3, 2, 4]
    assert not [entry for entry in log.parts if entry[1] in (PartState.CUT, PartState.SKIPPED)]
    assert np.all(audio[9 * RATE:10 * RATE] == 0)  # a second of silence before the relay
    assert np.all(audio[10 * RATE:12 * RATE] == 4)
    assert np.all(audio[12 * RATE:15 * RATE] == 3)  # the held notice right after it


def test_a_wait_part_uses_its_estimate_when_its_own_length_is_unknown() -> None:
    class Unknown(Steady):
        @property
        def duration_s(self) -> float | None:
            return None

    clock, log = Clock(T - 5.0), Log()
    parts: list[Part] = [lambda: Unknown(1, 3.0), lambda: Steady(2, 1.0)]
    source = sequence(parts, clock, log, hard_at(1), waits={0: 60.0})  # about a minute
    air(source, clock)
    assert log.started() == [1, 0]


def test_a_slot_that_begins_after_its_hard_start_airs_in_order_and_cuts_nothing() -> None:
    clock, log = Clock(T + 120.0), Log()  # the box came up two minutes late
    source = sequence(parts_of(1.0, 2.0, 1.0), clock, log, hard_at(2))
    audio = air(source, clock)
    assert log.started() == [0, 1, 2]
    assert [value for value in (1, 2, 3) if np.any(audio == value)] == [1, 2, 3]
    assert log.moments == {}


def test_an_emergency_cut_before_the_hard_start_resumes_and_the_hard_start_keeps_its_moment(
) -> None:
    clock, log = Clock(T - 6.0), Log()
    source = sequence(parts_of(20.0, 5.0), clock, log, hard_at(1))
    air(source, clock, 2.0)
    cut_at = source.position
    clock.now += 1.0  # the emergency airs
    resumed = source.resumed(cut_at, RATE)
    resumed.open(FMT)
    start = clock.now
    audio = air(resumed, clock)
    at = round((T - start) * RATE)
    assert np.all(audio[:at - FMT.frames(FADE_S)] == 1)  # the file where it was cut
    assert np.all(audio[at:at + 5 * RATE] == 2)
    assert log.moments[1] == pytest.approx(T, abs=1 / RATE)


def test_an_emergency_still_on_air_at_the_hard_start_hands_over_to_the_hard_start_part() -> None:
    clock, log = Clock(T - 3.0), Log()
    source = sequence(parts_of(20.0, 1.0, 5.0), clock, log, hard_at(2))
    air(source, clock, 1.0)
    cut_at = source.position
    clock.now = T + 1.5  # the emergency ended after 06:00:00
    resumed = source.resumed(cut_at, 3 * RATE)
    resumed.open(FMT)
    audio = air(resumed, clock)
    assert np.all(audio[:5 * RATE] == 3)  # the relay at once: it was on air before 06:00
    assert log.started() == [0, 2]
    assert log.reason(1, PartState.SKIPPED) == (
        "not aired: the hard start of part 3 at 06:00:00 came first")


def test_a_cut_during_the_hard_start_part_resumes_inside_it() -> None:
    clock, log = Clock(T - 1.0), Log()
    source = sequence(parts_of(5.0, 5.0), clock, log, hard_at(1))
    air(source, clock, 2.0)
    assert source.resume_point(source.position)[0] == 1
    resumed = source.resumed(source.position, RATE)
    resumed.open(FMT)
    assert np.all(air(resumed, clock) == 2)


# --- the as-run reasons and the stored playlist ------------------------------------------

def test_lost_time_is_said_in_minutes_and_seconds() -> None:
    from broadcaster.asrun import cut_for_hard_start

    assert cut_for_hard_start("06:00:00", 4, 105.2, 185.0) == (
        "cut at 06:00:00 for the hard start of part 4; 1 min 20 s of 3 min 05 s not aired")
    assert cut_for_hard_start("06:00:00", 4, 65.0, None) == (
        "cut at 06:00:00 for the hard start of part 4, after 1 min 05 s on air")


def test_hard_starts_and_fit_survive_the_queue_and_the_installed_slot() -> None:
    items = (Say("Mời bà con nghe.", fit=Fit.WAIT), File(Path("/a/b.wav"), fit=Fit.WAIT),
             Relay("http://stream.example/vov1", 1800.0, at=time(6, 0)), Pause(2.0))
    assert items_from_json(items_to_json(items)) == items
    assert '"at"' not in items_to_json((Pause(2.0),))  # as written before hard starts
    from broadcaster.model import Playlist, Slot

    playlist = Playlist("Sáng", items, slot=Slot(("mon",), time(5, 30), time(6, 30)),
                        zones=("thon-dong",))
    assert playlist_from_json(playlist_to_json(playlist)) == playlist
    assert playlist_from_json(playlist_to_json(Playlist("x", items))).zones is None
    assert Progress.from_json(Progress().to_json()) == Progress()


# --- playlist check through the CLI -------------------------------------------------------

SLOT = """\
title: Bản tin buổi sáng
{slot}items:
  - chime: default
  - say: "Xin chào bà con."
{extra}  - relay: http://stream.example/vov1
    duration: 20m
    at: "{at}"
"""


def check(station: Station, slot: str = 'slot: {days: daily, at: "05:30", until: "06:30"}\n',
          at: str = "06:00", extra: str = "", config: str = "") -> tuple[int, str]:
    if config:
        station.write_config(station.config_file.read_text(encoding="utf-8") + config)
    path = station.root / "sang.yaml"
    path.write_text(SLOT.format(slot=slot, at=at, extra=extra), encoding="utf-8")
    done = station.cli("playlist", "check", str(path))
    return done.returncode, done.stderr.replace(str(path), "sang.yaml").strip()


def test_playlist_check_accepts_a_hard_start_inside_the_slot(station: Station) -> None:
    assert check(station, extra="  - say: Thông báo.\n    fit: wait\n") == (0, "")


@pytest.mark.parametrize(("slot", "at", "extra", "expected"), [
    ("", "06:00", "", "sang.yaml:7: item 3 'at' \"06:00\" is a hard start inside a slot, and "
     "this playlist has no slot; remove 'at', or add a slot such as slot: {days: daily, at: "
     "\"05:30\", until: \"06:30\"}"),
    (None, "05:00", "", "sang.yaml:8: item 3 'at' \"05:00\" is before the slot starts at "
     "\"05:30\"; give a time from \"05:30\" on"),
    (None, "06:30", "", "sang.yaml:8: item 3 'at' \"06:30\" is not before the slot's 'until' "
     "\"06:30\"; give an earlier time or a later 'until'"),
    (None, "06:00", "  - file: nowhere.wav\n    at: \"06:10\"\n",
     "sang.yaml:6: item 3 'file' \"nowhere.wav\" is not in the audio folder"),
    (None, "06:00", "  - say: Thông báo.\n    at: \"06:10\"\n",
     "sang.yaml:10: item 4 'at' \"06:00\" is not after the hard start \"06:10\" of item 3 above "
     "it; hard starts go in time order: reorder the items or correct the times"),
    (None, "06:00", "  - say: Thông báo.\n    fit: wiat\n",
     "sang.yaml:7: item 3 'fit' \"wiat\" is not a way to fit (did you mean 'wait'?); write fit: "
     "wait (it waits until after the hard start when it would not end before it) or leave it "
     "out"),
    (None, "06:00", "  - pause: 3s\n    fit: wait\n",
     "sang.yaml:7: item 3: 'fit' goes with 'say' or 'file', not 'pause'; remove it"),
    (None, "6h", "", "sang.yaml:8: item 3 'at' \"6h\" is not a time; write it as HH:MM, "
     "e.g. \"05:30\""),
])
def test_playlist_check_refuses_a_hard_start_it_cannot_keep(
        station: Station, slot: str | None, at: str, extra: str, expected: str) -> None:
    code, said = check(station, **({} if slot is None else {"slot": slot}), at=at, extra=extra)
    assert code == 1
    assert said.startswith(expected), said
    assert len(said.splitlines()) == 1


def test_playlist_check_refuses_zones_the_config_does_not_have(station: Station) -> None:
    from broadcaster.playlist import PlaylistError, parse_playlist

    text = "title: Họp thôn\nzones: [thon-dong, thon-tay]\nitems:\n  - say: Mời họp.\n"
    with pytest.raises(PlaylistError) as refused:
        parse_playlist(text, Path("hop.yaml"), station.root, zones=("thon-dong", "thon-tây"))
    assert str(refused.value) == ("hop.yaml:2: unknown zone 'thon-tay'; did you mean "
                                  "'thon-tây'? (zones: thon-dong, thon-tây)")
    with pytest.raises(PlaylistError) as refused:
        parse_playlist(text, Path("hop.yaml"), station.root)
    assert str(refused.value).startswith("hop.yaml:2: unknown zone 'thon-dong' (zones: none;")
    assert parse_playlist(text.replace(", thon-tay", ""), Path("hop.yaml"), station.root,
                          zones=("thon-dong",)).zones == ("thon-dong",)


# --- the plan `schedule` shows -------------------------------------------------------------

def test_the_plan_shows_each_start_and_what_the_hard_start_cuts_or_moves() -> None:
    from broadcaster.playlist.plan import plan

    start = datetime(2026, 12, 7, 5, 30, tzinfo=ZONE)
    items = (Say("a", at=None), Say("b", fit=Fit.WAIT), File(Path("x.wav")), Pause(1.0),
             Relay("http://stream.example/vov1", 1200.0, at=time(6, 0)), Say("c"))
    lengths = [600.0, 1500.0, 1500.0, 1.0, 1200.0, 30.0]
    planned = plan(items, lengths, start)
    starts = [(p.index, p.start.strftime("%H:%M:%S") if p.start else None, p.fate)
              for p in planned]
    assert starts == [
        (0, "05:30:00", "airs"),
        (2, "05:40:00", "cut"),  # 1,500 s from 05:40 would end at 06:05
        (3, None, "skipped"),
        (4, "06:00:00", "airs"),
        (1, "06:20:00", "moved"),
        (5, "06:45:00", "airs")]
    assert planned[1].cut_s == pytest.approx(300)
    late = plan(items, lengths, datetime(2026, 12, 7, 6, 5, tzinfo=ZONE))
    assert [p.index for p in late] == [0, 1, 2, 3, 4, 5]
    assert all(p.fate == "airs" for p in late)


def test_schedule_lists_a_slots_items_with_their_planned_starts(station: Station) -> None:
    from datetime import date

    from broadcaster.programme import day_schedule, slot_plan
    from tests.support.sound import write_tone

    write_tone(station.root / "audio" / "nhac.wav", 90.0, rate=8000)  # probed: 90 s
    path = station.root / "sang.yaml"
    path.write_text("""\
title: Bản tin buổi sáng
slot: {days: daily, at: "05:30", until: "06:30"}
items:
  - say: Xin chào bà con.
  - file: nhac.wav
    fit: wait
  - relay: http://stream.example/vov1
    duration: 20m
    at: "05:31"
""", encoding="utf-8")
    done = station.cli("playlist", "apply", str(path))
    assert done.returncode == 0, done.stderr
    (line,) = day_schedule(station.config(), date.today())
    assert slot_plan(line) == [
        "05:30 slot sang, item by item:",
        "  05:30:00  1. say: Xin chào bà con.",
        "  05:30:01  silence until the hard start, 58 s",
        "  05:31:00  3. relay: http://stream.example/vov1 (hard start)",
        "  05:51:00  2. file: nhac.wav: will not fit, moved after the hard start of item 3"]


# --- one real-time run through the daemon --------------------------------------------------

@pytest.mark.slow
def test_the_daemon_fades_the_file_and_starts_the_hard_start_item_on_its_moment(
        tmp_path: Path, null_sink: object) -> None:
    from broadcaster.air import BLOCK_FRAMES, LATENCY_S
    from tests.support.daemon import ShiftedClock, daemon_station, station_in_this_process
    from tests.support.sound import NullSink, frame_indices, heard_between, write_indexed

    assert isinstance(null_sink, NullSink)
    rate = 48000
    fade = round(FADE_S * rate)  # the fade, where the indices blur
    station = daemon_station(tmp_path / "station", "nullsink")
    audio = station.root / "audio"
    write_indexed(audio / "long.wav", 30 * rate, first=1_000)
    write_indexed(audio / "vov.wav", 2 * rate, first=5_000_000)
    now = datetime.now(ZONE)
    slot_at = now.replace(second=0, microsecond=0) + timedelta(minutes=2)
    if slot_at.date() != now.date() or (slot_at + timedelta(minutes=2)).date() != now.date():
        pytest.skip("a slot window cannot cross midnight")
    hard = slot_at + timedelta(minutes=1)
    path = station.root / "sang.yaml"
    path.write_text(f"""\
title: Bản tin buổi sáng
slot: {{days: daily, at: "{slot_at:%H:%M}", until: "{hard + timedelta(minutes=1):%H:%M}"}}
items:
  - file: long.wav
  - pause: 2s
  - file: vov.wav
    at: "{hard:%H:%M}"
""", encoding="utf-8")
    done = station.cli("playlist", "apply", str(path))
    assert done.returncode == 0, done.stderr
    # the slot begins 4 s before the hard start (as if installed late), on the station's clock
    clock = ShiftedClock(hard - timedelta(seconds=6))
    recording = tmp_path / "air.raw"
    with null_sink.recording(recording), station_in_this_process(station, clock) as air:
        (line,) = air.wait_for(air.as_run, "the slot to air", timeout=30)
    assert line.outcome is Outcome.PARTIAL
    captured = null_sink.read(recording)
    indices = frame_indices(captured)
    starts = np.flatnonzero(indices == 1_000)
    vov = np.flatnonzero(indices == 5_000_000)
    assert starts.size and vov.size, "both files were heard"
    assert line.started_at is not None
    # its first frame was handed to the device at T (the as-run part keeps the moment) ...
    started = line.parts[2].started_at
    assert started is not None and started == pytest.approx(hard.timestamp(), abs=0.005)
    # ... and the captured frames are the truth: the long file went on, untouched, for the
    # time from the slot's first frame to T (less the fade), wherever a dropout of the sound
    # server under load may have moved it in the capture. Plus what the device holds (0.1 s
    # and a block or two): the slot's first frame went to an empty device, the hard-start
    # block to a full one, so it is heard that much after T. Less when the player itself was
    # starved of the CPU (under load): the hard start keeps to the clock, not to the frames.
    played = heard_between(indices, int(starts[0]), int(vov[0]) - fade)
    assert played[0][1] == 1_000
    aired_s = (played[-1][2] - 1_000) / rate
    expected_s = hard.timestamp() - line.started_at - FADE_S
    assert expected_s - 0.3 <= aired_s <= expected_s + LATENCY_S + 3 * BLOCK_FRAMES / rate
    before = captured[starts[0]:vov[0]]
    assert np.abs(before[-10:]).max() < 200  # faded out to almost nothing
    reason = line.reason or ""
    assert "part 1 (file): cut at " in reason and "for the hard start of part 3" in reason
    assert "part 2 (pause): not aired: the hard start of part 3" in reason
