"""The operator's live microphone (SPEC §3 `live`, §6): it cuts in below an emergency, what
it cut resumes after it, the noise gate and the limiter, the recording and its retention,
the push-to-talk button, and `live start` / `live stop` with the daemon.

The microphone here is a second PulseAudio null sink, `mic`, whose monitor is the sound
server's default source: the ALSA `pulse` device records it. Silence flows into it all
the time (a microphone never stops delivering) and the test plays its rising tone into it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
import soundfile
from gpiozero import Button, Device
from gpiozero.pins.mock import MockFactory

from broadcaster.air import (
    AirEvent,
    EventKind,
    FileSource,
    OutputFormat,
    PauseSource,
    Player,
    SoundOutput,
)
from broadcaster.air.live import LIVE_BLOCK_FRAMES, LiveLimiter, LiveSession, NoiseGate, Ring
from broadcaster.air.ptt import PushToTalk
from broadcaster.live_record import Recording, prune, recording_name
from broadcaster.model import Level, Outcome
from broadcaster.schedule.rules import QuietHours
from broadcaster.schedule.rundown import Cue, Item, Rundown, State, decide
from tests.support.daemon import daemon_station, queued, running_daemon, station_store
from tests.support.sound import (
    NullSink,
    frame_indices,
    heard_between,
    rescan_devices,
    write_indexed,
    write_tone,
)
from tests.support.station import Station
from tests.support.waiting import wait_until

RATE = 48000
FIRST = 1000
FADE = round(0.2 * RATE)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MIC = "mic"


# --- the microphone ------------------------------------------------------------------------


class Microphone:
    """The `mic` null sink: what is played into it is what the `pulse` device records."""

    def __init__(self, sink: NullSink) -> None:
        self.sink = sink
        self.env = {"PULSE_SERVER": sink.env["PULSE_SERVER"]}

    def say(self, path: Path) -> None:
        """Play `path` into the microphone; returns once it has played."""
        subprocess.run(["paplay", f"--device={MIC}", str(path)], env=self.sink.env, check=True,
                       timeout=60)

    @contextlib.contextmanager
    def saying(self, path: Path) -> Iterator[subprocess.Popen[bytes]]:
        """Play `path` into the microphone while inside (waits for it on the way out)."""
        process = subprocess.Popen(["paplay", f"--device={MIC}", str(path)], env=self.sink.env)
        try:
            yield process
        finally:
            process.wait(timeout=60)


@pytest.fixture
def microphone(null_sink: NullSink, monkeypatch: pytest.MonkeyPatch) -> Iterator[Microphone]:
    def pactl(*args: str) -> str:
        return subprocess.run(["pactl", *args], env=null_sink.env, check=True,
                              capture_output=True, text=True).stdout.strip()

    module = pactl("load-module", "module-null-sink", f"sink_name={MIC}", f"rate={RATE}",
                   "channels=1")
    pactl("set-default-source", f"{MIC}.monitor")
    with Path("/dev/zero").open("rb") as zeros:
        silence = subprocess.Popen(  # a microphone delivers all the time, silence or not
            ["pacat", "--playback", f"--device={MIC}", "--raw", "--format=s16le",
             f"--rate={RATE}", "--channels=1", "--latency-msec=10"], stdin=zeros,
            env=null_sink.env)
    monkeypatch.setenv("PULSE_SERVER", null_sink.env["PULSE_SERVER"])
    rescan_devices()  # PortAudio sees `pulse` with this server
    try:
        yield Microphone(null_sink)
    finally:
        silence.terminate()
        silence.wait(timeout=5)
        pactl("unload-module", module)
        pactl("set-default-source", "air.monitor")


def write_sweep(path: Path, seconds: float, low: float = 400.0, high: float = 1600.0,
                amplitude: float = 0.5) -> None:
    """A rising tone: `low` Hz to `high` Hz over `seconds`, mono."""
    t = np.arange(round(seconds * RATE)) / RATE
    phase = 2 * np.pi * (low * t + (high - low) * t * t / (2 * seconds))
    soundfile.write(str(path), (amplitude * np.sin(phase)).astype(np.float32), RATE,
                    subtype="PCM_16")


def loud_stretches(mono: npt.NDArray[np.float64], level: float = 0.05,
                   gap: int = RATE // 20) -> list[tuple[int, int]]:
    """[start, end) of each stretch louder than `level`, joined across gaps under `gap`."""
    loud = np.flatnonzero(np.abs(mono) > level)
    if loud.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(loud) > gap)
    starts = np.concatenate([[loud[0]], loud[breaks + 1]])
    ends = np.concatenate([loud[breaks], [loud[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def frequency(mono: npt.NDArray[np.float64]) -> float:
    """The mean frequency of a stretch of sine, from its zero crossings."""
    crossings = np.flatnonzero(np.diff(np.signbit(mono)))
    return float((crossings.size - 1) / 2 / ((crossings[-1] - crossings[0]) / RATE))


def sweep_frequencies(mono: npt.NDArray[np.float64], window: int = RATE // 20,
                      level: float = 0.05) -> list[float]:
    """The frequency of each `window` of `mono` that is loud all through (every 5 ms of it
    above `level`): windows with a dropout in them are left out."""
    found = []
    for at in range(0, len(mono) - window + 1, window):
        part = mono[at:at + window]
        peaks = np.abs(part[:len(part) // 240 * 240]).reshape(-1, 240).max(axis=1)
        if peaks.min() > level:
            found.append(frequency(part))
    return found


def live_output() -> SoundOutput:
    return SoundOutput("nullsink", OutputFormat(RATE, 2), block_frames=1024, latency=0.05)


# --- fast: the gate, the limiter, the ring, the recordings, the air order --------------------


def test_the_gate_opens_at_once_and_closes_after_the_hold_below_minus_50_dbfs() -> None:
    gate = NoiseGate(RATE)
    noise = np.full((RATE // 2, 1), 10 ** (-56 / 20), dtype=np.float32)  # hiss under it
    assert np.abs(gate.process(noise)).max() == 0.0  # closed: silence
    voice = np.full((RATE // 10, 1), 0.3, dtype=np.float32)
    opened = gate.process(voice)
    assert opened[round(0.002 * RATE):].min() == pytest.approx(0.3)  # open within 2 ms
    assert np.all(np.diff(opened[:round(0.002 * RATE), 0]) >= 0)  # smoothly, no click
    hold = gate.process(noise[:round(0.2 * RATE)])
    assert hold.min() == pytest.approx(10 ** (-56 / 20))  # the pause between words: held
    closing = gate.process(noise)
    assert np.all(np.diff(closing[:, 0]) <= 1e-9)  # a smooth release ...
    assert closing[-1, 0] == 0.0  # ... to silence


def test_the_limiter_keeps_peaks_under_minus_1_dbfs_two_ms_late() -> None:
    limiter = LiveLimiter(RATE, 1, 10 ** (-1.1 / 20))
    t = np.arange(RATE) / RATE
    loud = (1.6 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)[:, None]
    out = np.concatenate([limiter.process(loud[i:i + 256]) for i in range(0, RATE, 256)])
    assert 20 * np.log10(np.abs(out).max()) <= -1.0
    quiet = (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)[:, None]
    out = np.concatenate([limiter.process(quiet[i:i + 256]) for i in range(0, RATE, 256)])
    lag = limiter.lookahead
    assert lag <= 0.0025 * RATE
    assert np.array_equal(out[lag + 2 * lag:, 0], quiet[2 * lag:RATE - lag, 0])  # untouched


def test_the_ring_drops_what_does_not_fit_rather_than_wait() -> None:
    ring = Ring(1000, 1)
    block = np.arange(400, dtype=np.float32)[:, None]
    ring.push(block)
    ring.push(block)
    ring.push(block)  # 1200 > 1000: dropped whole
    assert (ring.available(), ring.overruns) == (800, 1)
    assert np.array_equal(ring.take(500)[:, 0], np.concatenate([block[:, 0], block[:100, 0]]))
    ring.push(block)  # wraps around the end
    assert np.array_equal(ring.take(700)[:, 0], np.concatenate([block[100:, 0], block[:, 0]]))


def test_a_recording_is_an_ogg_file_of_what_was_written(tmp_path: Path) -> None:
    recording = Recording(tmp_path / "live" / "live-20260514-091203-7.ogg", RATE)
    for _block in range(50):
        recording.write(np.full((960, 1), 0.1, dtype=np.float32))
    assert recording.close() == tmp_path / "live" / "live-20260514-091203-7.ogg"
    info = soundfile.info(str(recording.path))
    assert (info.format, info.subtype, info.samplerate) == ("OGG", "VORBIS", RATE)
    assert info.frames == 50 * 960  # one second


def test_retention_deletes_old_then_oversize_recordings_oldest_first(tmp_path: Path) -> None:
    folder = tmp_path / "live"
    folder.mkdir()
    now = datetime(2026, 5, 14, 9, 0, tzinfo=ZONE)

    def made(days_ago: float, entry_id: int, size: int) -> Path:
        path = folder / recording_name(now - timedelta(days=days_ago), entry_id)
        path.write_bytes(b"\0" * size)
        return path

    old = made(40, 1, 10)
    oldest_young, younger, newest = made(20, 2, 400_000), made(10, 3, 400_000), \
        made(1, 4, 400_000)
    on_air = made(30, 5, 10)
    other = folder / "notes.txt"
    other.write_bytes(b"\0" * 5_000_000)
    outside = tmp_path / recording_name(now - timedelta(days=400), 9)
    outside.write_bytes(b"x")
    (folder / recording_name(now - timedelta(days=300), 8)).symlink_to(outside)

    deleted = prune(folder, keep_days=30, max_mb=1, now=now, keep=frozenset({on_air}))

    assert deleted == [old, oldest_young]  # 40 days old; then 1.2 MB > 1 MB, oldest first
    assert younger.exists() and newest.exists() and on_air.exists()
    assert other.exists() and outside.exists()  # only our files, only in that folder


def test_live_cuts_in_at_once_below_an_emergency_and_what_it_cut_resumes_first() -> None:
    rundown = Rundown(QuietHours.parse([]), ZONE)
    music = Item(1, Level.NORMAL, 0.0, 1e9, State.ON_AIR, 60.0)
    live = Item(2, Level.PRIORITY, 100.0, 400.0, live=True)
    priority = Item(3, Level.PRIORITY, 50.0, 1e9)
    assert Cue(live, 100.0) in decide(rundown, [music, live, priority], 100.0, 0.5)
    cut = Item(1, Level.NORMAL, 0.0, 1e9, State.INTERRUPTED, 60.0)
    storm = Item(4, Level.EMERGENCY, 100.5, 1e9)
    plan = rundown.plan([cut, live, priority, storm], 101.0)
    assert [planned.item.id for planned in plan] == [4, 2, 1, 3]


# --- real time: the player, through the null sinks ----------------------------------------------


@pytest.mark.slow
def test_live_fades_the_item_out_airs_the_microphone_and_the_item_resumes_where_it_was(
        tmp_path: Path, microphone: Microphone, null_sink: NullSink) -> None:
    frames = 3 * RATE
    write_indexed(tmp_path / "music.wav", frames, first=FIRST)
    write_sweep(tmp_path / "voice.wav", 1.0)
    events: list[AirEvent] = []
    session = LiveSession("pulse", title="trực tiếp")
    with null_sink.recording(tmp_path / "air.raw") as recording, \
            Player(live_output(), on_event=events.append) as player:
        player.start()
        player.play(PauseSource(0.3))
        player.play(FileSource(tmp_path / "music.wav"))
        null_sink.wait_heard(recording, FIRST + RATE // 2)
        player.go_live(session.source(), "live")
        wait_until(lambda: ("live", EventKind.STARTED) in [(e.item_id, e.kind) for e in events],
                   "the microphone on air")
        microphone.say(tmp_path / "voice.wav")
        wait_until(lambda: session.frames > RATE + RATE // 5, "the voice on air, to its end")
        player.stop("live", Outcome.AIRED)
        assert player.wait_idle(timeout=20)
    session.close()

    kinds = [(e.title, e.kind) for e in events if e.title != "pause"]
    assert kinds == [("music.wav", EventKind.STARTED), ("music.wav", EventKind.INTERRUPTED),
                     ("trực tiếp", EventKind.STARTED), ("trực tiếp", EventKind.ENDED),
                     ("music.wav", EventKind.RESUMED), ("music.wav", EventKind.ENDED)]
    interrupted = next(e for e in events if e.kind is EventKind.INTERRUPTED)
    cut_at = FIRST + round(interrupted.position_s * RATE)
    captured = null_sink.read(recording).astype(np.float64) / 32768
    indices = frame_indices(null_sink.read(recording))
    fade_at = int(np.flatnonzero(indices == cut_at)[0])
    before = heard_between(indices, 0, fade_at)
    assert before[0][1] == FIRST and before[-1][2] == cut_at - 1  # untouched up to the cut
    after = heard_between(indices, fade_at + FADE + RATE // 2)
    assert after[0][1] == cut_at  # the file resumes from the frame where the fade began
    assert after[-1][2] == FIRST + frames - 1
    # between them the microphone: the rising tone, as loud as it was said (no limiting)
    between = captured[fade_at + FADE:after[0][0], 0]
    stretches = loud_stretches(between)  # one, or split by a dropout of the server under load
    start, end = stretches[0][0], stretches[-1][1]
    assert end - start == pytest.approx(RATE, abs=RATE // 10)
    # the sweep in order, 400 Hz rising to 1,600 Hz; a window the live ring dropped under
    # load is missing, which must not shift what the others are compared with
    heard = sweep_frequencies(between[start:end])
    assert len(heard) >= 10, heard
    assert heard[0] < 600 and heard[-1] > 1400, heard
    assert all(later > earlier * 0.97 for earlier, later in itertools.pairwise(heard)), heard
    assert np.abs(between).max() == pytest.approx(0.5, abs=0.03)
    assert np.array_equal(captured[fade_at + FADE:after[0][0], 0],
                          captured[fade_at + FADE:after[0][0], 1])  # mono to both channels


@pytest.mark.slow
def test_an_emergency_cuts_into_live_and_the_microphone_resumes_after_it(
        tmp_path: Path, microphone: Microphone, null_sink: NullSink) -> None:
    write_indexed(tmp_path / "music.wav", 2 * RATE, first=FIRST)
    write_sweep(tmp_path / "voice.wav", 3.0, 400, 1600)
    write_tone(tmp_path / "storm.wav", 0.5, hz=3000, channels=2)
    events: list[AirEvent] = []
    session = LiveSession("pulse", title="trực tiếp")

    def seen(item: str, kind: EventKind) -> bool:
        return (item, kind) in [(e.item_id, e.kind) for e in events]

    with null_sink.recording(tmp_path / "air.raw") as recording, \
            Player(live_output(), on_event=events.append) as player:
        player.start()
        player.play(PauseSource(0.3))
        player.play(FileSource(tmp_path / "music.wav"), item_id="music")
        null_sink.wait_heard(recording, FIRST + RATE // 4)
        player.go_live(session.source(), "live")
        wait_until(lambda: seen("live", EventKind.STARTED), "the microphone on air")
        with microphone.saying(tmp_path / "voice.wav"):
            wait_until(lambda: session.frames > RATE, "a second of the voice on air")
            player.request_emergency(FileSource(tmp_path / "storm.wav"), "storm")
            wait_until(lambda: seen("live", EventKind.RESUMED), "the microphone back on air")
            on_air = player.now_playing()
            assert on_air is not None and (on_air.item_id, on_air.kind) == ("live", "live")
            assert [item for item, _level in player.pending()] == ["music"]
        player.stop("live", Outcome.AIRED)
        assert player.wait_idle(timeout=20)
    session.close()

    order = [(e.item_id, e.kind) for e in events if e.item_id in ("music", "live", "storm")]
    assert order == [("music", EventKind.STARTED), ("music", EventKind.INTERRUPTED),
                     ("live", EventKind.STARTED), ("live", EventKind.INTERRUPTED),
                     ("storm", EventKind.STARTED), ("storm", EventKind.ENDED),
                     ("live", EventKind.RESUMED), ("live", EventKind.ENDED),
                     ("music", EventKind.RESUMED), ("music", EventKind.ENDED)]
    left = null_sink.read(recording)[:, 0].astype(np.float64) / 32768
    window = RATE // 100
    windows = left[:left.size // window * window].reshape(-1, window)
    crossings = np.count_nonzero(np.diff(np.signbit(windows), axis=1), axis=1)
    loud = np.sqrt(np.mean(windows ** 2, axis=1)) > 0.2
    storm = np.flatnonzero(loud & (crossings > 45)) * window  # 3 kHz; the voice ≤ 1.6 kHz
    assert storm.size > 0.4 * RATE / window
    voice_before = left[storm[0] - RATE // 2 - FADE:storm[0] - FADE]
    voice_after = left[storm[-1] + RATE // 4:storm[-1] + RATE // 2]
    # the voice after the emergency is higher than before it: the microphone now, no replay
    assert frequency(voice_after) > frequency(voice_before) + 100


@pytest.mark.slow
def test_live_stopped_during_the_emergency_ends_and_the_item_resumes_after_it(
        tmp_path: Path, microphone: Microphone, capture: Path) -> None:
    write_tone(tmp_path / "music.wav", 2.0, channels=2)
    write_tone(tmp_path / "storm.wav", 0.5, hz=880, channels=2)
    events: list[AirEvent] = []
    player: Player
    session = LiveSession("pulse", title="trực tiếp")

    def record(event: AirEvent) -> None:
        events.append(event)
        if (event.item_id, event.kind) == ("music", EventKind.STARTED):
            player.go_live(session.source(), "live")
        if (event.item_id, event.kind) == ("live", EventKind.STARTED):
            player.request_emergency(FileSource(tmp_path / "storm.wav"), "storm")
        if (event.item_id, event.kind) == ("storm", EventKind.STARTED):
            assert player.stop("live", Outcome.AIRED)  # the officer pressed stop meanwhile

    with Player(SoundOutput("capture", OutputFormat(RATE, 2)), on_event=record) as player:
        player.play(FileSource(tmp_path / "music.wav"), item_id="music")
        player.run_until_idle()
    session.close()

    assert [(e.item_id, e.kind, e.outcome) for e in events] == [
        ("music", EventKind.STARTED, None), ("music", EventKind.INTERRUPTED, None),
        ("live", EventKind.STARTED, None), ("live", EventKind.INTERRUPTED, None),
        ("storm", EventKind.STARTED, None), ("live", EventKind.ENDED, Outcome.AIRED),
        ("storm", EventKind.ENDED, Outcome.AIRED), ("music", EventKind.RESUMED, None),
        ("music", EventKind.ENDED, Outcome.AIRED)]
    assert LIVE_BLOCK_FRAMES == 256


# --- the push-to-talk button --------------------------------------------------------------------


@pytest.fixture
def gpio() -> Iterator[MockFactory]:
    previous = Device.pin_factory
    Device.pin_factory = MockFactory()
    try:
        yield Device.pin_factory
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = previous


def test_the_button_pressed_starts_live_and_released_ends_it(gpio: MockFactory) -> None:
    told: list[str] = []
    button = PushToTalk(17, lambda: told.append("pressed"), lambda: told.append("released"))
    try:
        assert button.problem is None and "released" in button.describe()
        pin = gpio.pin(17)
        pin.drive_low()  # pulled up: pressing connects it to ground
        wait_until(lambda: told == ["pressed"], "the press")
        assert "pressed" in button.describe()
        pin.drive_high()
        wait_until(lambda: told == ["pressed", "released"], "the release")
    finally:
        button.close()


def test_a_button_pin_that_cannot_be_used_is_reported_not_a_crash(gpio: MockFactory) -> None:
    taken = Button(17)  # another device holds the pin
    try:
        button = PushToTalk(17, lambda: None, lambda: None)
        assert button.problem is not None and "17" in button.problem
        assert button.describe().startswith("push-to-talk on GPIO17 cannot be used: ")
        assert not button.pressed
        button.close()
    finally:
        taken.close()


# --- the command line and the daemon ------------------------------------------------------------


LIVE_CLI = """\
import sys
from broadcaster import cli
from broadcaster.cli_live import live_app
if not any(group.name == "live" for group in cli.app.registered_groups):
    cli.app.add_typer(live_app, name="live")  # until cli.py mounts it
sys.argv = ["broadcaster", *sys.argv[1:]]
cli.main()
"""


def live_cli(station: Station, *args: str,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`broadcaster live ARGS` as the operator types it."""
    return subprocess.run([sys.executable, "-c", LIVE_CLI, "live", *args], capture_output=True,
                          text=True, cwd=station.root, timeout=60, check=False,
                          env={**os.environ, "BROADCASTER_CONFIG": str(station.config_file),
                               **(env or {})})


def live_station(root: Path, input_device: str = "pulse") -> Station:
    station = daemon_station(root, device="nullsink")
    text = station.config_file.read_text(encoding="utf-8")
    station.write_config(text.replace("channels = 2\n",
                                      f'channels = 2\ninput_device = "{input_device}"\n'))
    return station


@pytest.mark.slow
def test_live_start_and_stop_through_the_daemon_log_and_record_the_session(
        tmp_path: Path, microphone: Microphone, null_sink: NullSink) -> None:
    station = live_station(tmp_path / "station")
    write_sweep(tmp_path / "voice.wav", 1.0)
    write_tone(station.root / "audio" / "music.wav", 30.0, channels=2)
    down = live_cli(station, "start", env=microphone.env)
    assert down.returncode == 1 and "daemon is not running" in down.stderr

    with running_daemon(station, env=microphone.env) as daemon:
        music = queued(station, "play", str(station.root / "audio" / "music.wav"))
        daemon.wait_on_air(music)
        started = live_cli(station, "start", env=microphone.env)
        assert started.returncode == 0, started.stderr
        assert "is on air since" in started.stdout
        status = daemon.status() or {}
        assert status["live"]["state"] == "on_air"
        assert [(up["id"], up["state"]) for up in status["next"]] == [(music, "interrupted")]
        again = live_cli(station, "start", env=microphone.env)
        assert again.returncode == 1 and again.stderr.startswith("already live since ")
        assert "`broadcaster live stop` ends it" in again.stderr
        microphone.say(tmp_path / "voice.wav")
        stopped = live_cli(station, "stop", env=microphone.env)
        assert stopped.returncode == 0, stopped.stderr
        assert stopped.stdout.startswith("live ended: ") and ".ogg" in stopped.stdout
        daemon.wait_on_air(music)  # it resumes after live
        nothing = live_cli(station, "stop", env=microphone.env)
        assert nothing.returncode == 1 and "nothing is live" in nothing.stderr

    (line,) = [line for line in daemon.as_run() if line.source == "live"]
    assert line.outcome is Outcome.AIRED and line.reason is None
    assert line.title.startswith("live microphone, started by ")
    assert line.started_at is not None and line.ended_at > line.started_at
    (part,) = line.parts
    assert part.aired and part.source is not None
    recording = station.root / "audio" / "live" / part.source
    info = soundfile.info(str(recording))
    assert (info.format, info.subtype) == ("OGG", "VORBIS")
    assert 1.0 <= info.duration <= line.ended_at - line.started_at + 0.1
    with station_store(station) as store:
        assert not [entry for entry in store.pending() if entry.source == "live"]


@pytest.mark.slow
def test_live_start_refuses_a_missing_input_device_naming_the_inputs(
        tmp_path: Path, microphone: Microphone, null_sink: NullSink) -> None:
    station = live_station(tmp_path / "station", input_device="nosuchmic")
    with running_daemon(station, env=microphone.env):
        refused = live_cli(station, "start", env=microphone.env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("input device 'nosuchmic' not found; available input "
                                     "devices: ")
    assert '"pulse"' in refused.stderr and len(refused.stderr.splitlines()) == 1
