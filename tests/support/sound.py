"""Test sound devices (there is no sound card here) and audio made to be recognised.

Two devices, both real ALSA PCMs: the player opens them through libasound
(`broadcaster.air.alsa`), PortAudio lists them and records the live microphone:

- `capture`: an ALSA `type file` PCM behind a `plug` that forces S16_LE, writing a
  WAV to the path in $BROADCASTER_TEST_CAPTURE (read at each open). Faster than
  real time: for content checks.
- `nullsink`: the ALSA pulse plugin into a PulseAudio null sink started by the
  test run (`NullSink`), recorded from its monitor with parec. Real time: for fades,
  cut-ins and relays.

`ALSA_CONFIG_PATH` must point at `write_asoundrc`'s file before libasound or
sounddevice is first used; tests/conftest.py does that at start-up.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from broadcaster.config import Config, parse_config
from tests.support.waiting import wait_until

CAPTURE_ENV = "BROADCASTER_TEST_CAPTURE"
BUSY_ENV = "BROADCASTER_TEST_BUSY"
LATE_ENV = "BROADCASTER_TEST_LATE"
SINK = "air"
# what the recording takes in after the sink went quiet: the monitor → parec path holds
# ~20 ms, so this much more means everything played before is in the file
CATCH_UP_S = 0.2

ASOUNDRC = """\
</usr/share/alsa/alsa.conf>
# the test capture device: a WAV file, 16-bit (the plug makes it so)
pcm.capture {{
  type plug
  slave {{
    pcm {{
      type file
      slave.pcm "null"
      file {{ @func getenv vars [ {capture_env} ] default "/dev/null" }}
      format "wav"
    }}
    format S16_LE
  }}
  hint {{ show on description "broadcaster test capture (WAV file)" }}
}}
# a device that is there when listed but cannot be opened once the test says so
pcm.busy {{
  type plug
  slave.pcm {{ @func getenv vars [ {busy_env} ] default "null" }}
  hint {{ show on description "broadcaster test device that turns busy" }}
}}
# a device that is not there until its PulseAudio server (at the address in the env)
# comes up: a sound card plugged in, or a sound server started, after the daemon
pcm.late {{
  type pulse
  server {{ @func getenv vars [ {late_env} ] default "unix:/nonexistent" }}
  device "{sink}"
  hint {{ show on description "broadcaster test device that comes late" }}
}}
# the PulseAudio null sink, once NullSink has started it
pcm.nullsink {{
  type pulse
  server "unix:{socket}"
  device "{sink}"
  hint {{ show on description "broadcaster test null sink (PulseAudio)" }}
}}
ctl.nullsink {{
  type pulse
  server "unix:{socket}"
}}
"""


_folder: Path | None = None


def use_test_sound_devices() -> Path:
    """Point ALSA at the test devices (call before sounddevice is imported); idempotent."""
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="broadcaster-sound-"))
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
        os.environ["ALSA_CONFIG_PATH"] = str(write_asoundrc(_folder))
    return _folder


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[Path]:
    """The WAV file the `capture` device writes during this test."""
    with capture_to(tmp_path / "capture.wav") as path:
        yield path


@pytest.fixture(scope="session")
def null_sink() -> Iterator[NullSink]:
    """The PulseAudio null sink behind the `nullsink` device, for the whole run."""
    missing = NullSink.available()
    if missing:
        pytest.skip(f"no PulseAudio null sink: {missing}")
    with running_null_sink() as sink:
        yield sink


@contextlib.contextmanager
def running_null_sink() -> Iterator[NullSink]:
    """Start the null sink (tests and benchmarks), stop it on the way out. Raises
    RuntimeError naming what is missing when PulseAudio is not installed."""
    missing = NullSink.available()
    if missing:
        raise RuntimeError(missing)
    sink = NullSink(use_test_sound_devices())
    sink.start()
    rescan_devices()
    try:
        yield sink
    finally:
        sink.stop()


def write_asoundrc(folder: Path) -> Path:
    """The ALSA configuration of the test devices, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "asoundrc"
    path.write_text(ASOUNDRC.format(capture_env=CAPTURE_ENV, busy_env=BUSY_ENV,
                                    late_env=LATE_ENV, socket=pulse_socket(folder), sink=SINK),
                    encoding="utf-8")
    return path


def pulse_socket(folder: Path) -> Path:
    return folder / "pulse" / "native"


def rescan_devices() -> None:
    """Make PortAudio list devices again (after the null sink came up)."""
    import sounddevice

    sounddevice._terminate()
    sounddevice._initialize()


@contextlib.contextmanager
def capture_to(path: Path) -> Iterator[Path]:
    """While inside, the `capture` device writes to `path`."""
    old = os.environ.get(CAPTURE_ENV)
    os.environ[CAPTURE_ENV] = str(path)
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop(CAPTURE_ENV, None)
        else:
            os.environ[CAPTURE_ENV] = old


class NullSink:
    """A private PulseAudio server with one null sink, as root or not, no D-Bus needed."""

    def __init__(self, folder: Path, rate: int = 48000, channels: int = 2) -> None:
        self.folder = folder
        self.rate = rate
        self.channels = channels
        self.socket = pulse_socket(folder)
        self._process: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "PULSE_SERVER": f"unix:{self.socket}",
                    "PULSE_RUNTIME_PATH": str(self.socket.parent),
                    "XDG_RUNTIME_DIR": str(self.socket.parent), "HOME": str(folder)}

    @staticmethod
    def available() -> str | None:
        """None if it can run here, else what is missing."""
        for program, package in (("pulseaudio", "pulseaudio"), ("parec", "pulseaudio-utils")):
            if shutil.which(program) is None:
                return f"{program} missing (apt-get install {package})"
        plugin = list(Path("/usr/lib").glob("*/alsa-lib/libasound_module_pcm_pulse.so"))
        if not plugin:
            return "the ALSA pulse plugin is missing (apt-get install libasound2-plugins)"
        return None

    def start(self) -> None:
        self.socket.parent.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "pulseaudio.log").open("wb")
        self._process = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n",
             "--disallow-exit", "--use-pid-file=no", "--disable-shm=yes",
             "--log-target=stderr",
             f"--load=module-null-sink sink_name={SINK} norewinds=1 rate={self.rate} "
             f"channels={self.channels}",
             f"--load=module-native-protocol-unix socket={self.socket} auth-anonymous=1"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.env)
        wait_until(self._answers, "pulseaudio to come up", timeout=15)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    @contextlib.contextmanager
    def recording(self, path: Path) -> Iterator[Path]:
        """Record the sink's monitor (16-bit raw) into `path` while inside.

        Entering returns once the monitor's frames reach the file; leaving waits until
        nothing plays into the sink any more and the recording has caught up with it.
        """
        with path.open("wb") as out:
            parec = subprocess.Popen(
                ["parec", f"--device={SINK}.monitor", "--format=s16le",
                 f"--rate={self.rate}", f"--channels={self.channels}", "--latency-msec=20"],
                stdout=out, stderr=subprocess.DEVNULL, env=self.env)
            try:
                self._wait_recorded(path, 1, "parec to record the sink's monitor")
                yield path
                wait_until(self._idle, "the sink to go quiet (something still plays)")
                self._wait_recorded(path, self._frames_in(path) + round(CATCH_UP_S * self.rate),
                                   "the recording to catch up with the sink")
            finally:
                parec.terminate()
                parec.wait(timeout=5)

    def wait_heard(self, recording: Path, index: int, timeout: float = 10.0) -> None:
        """Block until `recording` holds a frame of a `write_indexed` file saying `index`
        or later: that far into the file, it has been on air. Only meaningful while
        nothing but indexed files and silence goes to the sink."""
        looked_at = 0  # frames already looked at: each is read once

        def heard() -> bool:
            nonlocal looked_at
            frames = self._frames_in(recording) - looked_at
            samples = np.fromfile(recording, dtype="<i2", count=frames * self.channels,
                                  offset=looked_at * 2 * self.channels).reshape(-1, self.channels)
            looked_at += frames
            return frames > 0 and int(frame_indices(samples).max()) >= index
        wait_until(heard, f"frame {index} on air", timeout)

    def read(self, path: Path) -> npt.NDArray[np.int16]:
        frames = self._frames_in(path)
        return np.fromfile(path, dtype="<i2", count=frames * self.channels).reshape(
            -1, self.channels)

    def _frames_in(self, path: Path) -> int:
        return path.stat().st_size // (2 * self.channels)

    def _wait_recorded(self, path: Path, frames: int, what: str) -> None:
        wait_until(lambda: self._frames_in(path) >= frames, what)

    def _answers(self) -> bool:
        """Whether the sound server answers (raises if it exited)."""
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError(f"pulseaudio exited: see {self.folder / 'pulseaudio.log'}")
        return subprocess.run(["pactl", "info"], env=self.env, capture_output=True,
                              check=False).returncode == 0

    def _idle(self) -> bool:
        """Whether no stream plays into the sink (none, or every one stopped)."""
        sinks = subprocess.run(["pactl", "list", "short", "sinks"], env=self.env,
                               capture_output=True, text=True, check=True).stdout
        return any(line.split()[1:2] == [SINK] and line.split()[-1] in ("IDLE", "SUSPENDED")
                   for line in sinks.splitlines())


def station_config(folder: Path, device: str, *, rate: int = 48000, channels: int = 2,
                   amplifier: str = "warmup_s = 0\nhold_s = 0\n") -> Config:
    """A station config airing through the test `device`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "broadcaster.toml"
    text = (f'[station]\ndata_dir = "data"\naudio_dir = "audio"\n\n'
            f'[audio]\ndevice = "{device}"\nsample_rate = {rate}\nchannels = {channels}\n\n'
            f"[amplifier]\n{amplifier}")
    path.write_text(text, encoding="utf-8")
    return parse_config(text, path)


# --- audio that can be recognised in a capture ----------------------------------------


def write_indexed(path: Path, frames: int, rate: int = 48000,
                  first: int = 0) -> npt.NDArray[np.int16]:
    """A 16-bit stereo WAV whose every frame says its own index: left = i mod 2^15,
    right = i div 2^15 (so up to a billion frames), i counted from `first` (use 1 or
    more to tell the file's first frame from silence). Returns the samples."""
    index = np.arange(first, first + frames, dtype=np.int64)
    samples = np.stack([index % 32768, index // 32768], axis=1).astype(np.int16)
    soundfile.write(str(path), samples, rate, subtype="PCM_16")
    return samples


def frame_indices(samples: npt.NDArray[np.signedinteger]) -> npt.NDArray[np.int64]:
    """Undo `write_indexed` on captured frames (meaningless where the audio was not it)."""
    return samples[:, 0].astype(np.int64) + 32768 * samples[:, 1].astype(np.int64)


def write_tone(path: Path, seconds: float, *, hz: float = 440.0, rate: int = 48000,
               channels: int = 1, amplitude: float = 0.5, subtype: str = "PCM_16") -> None:
    """A sine tone, written in one-second blocks."""
    total = round(seconds * rate)
    with soundfile.SoundFile(str(path), "w", rate, channels, subtype=subtype) as out:
        for start in range(0, total, rate):
            t = np.arange(start, min(total, start + rate)) / rate
            wave = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
            out.write(np.repeat(wave[:, None], channels, axis=1))


def runs(indices: npt.NDArray[np.int64]) -> list[tuple[int, int, int]]:
    """(where in the capture, first index, last index) of each stretch of consecutive
    frame indices longer than 100 frames: where an indexed file played untouched."""
    breaks = np.flatnonzero(np.diff(indices) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [indices.size]])
    return [(int(a), int(indices[a]), int(indices[b - 1]))
            for a, b in zip(starts, ends, strict=True) if b - a > 100]


def through_fades(played: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """`runs` with a fade's start put back onto the run it fades: a fade keeps the left
    channel's small values (just after each 2^15 wrap) consecutive for a while, except
    where rounding repeats one index, which splits the run in two in the same place of
    the capture."""
    joined: list[tuple[int, int, int]] = []
    for at, first, last in played:
        if joined:
            before_at, before_first, before_last = joined[-1]
            if at == before_at + before_last - before_first + 1 \
                    and first - before_last in (0, 1):
                joined[-1] = (before_at, before_first, last)
                continue
        joined.append((at, first, last))
    return joined


def heard_between(indices: npt.NDArray[np.int64], start: int,
                  end: int | None = None) -> list[tuple[int, int, int]]:
    """`runs` between frames `start` and `end` of a capture (positions counted from the
    capture's start), checked to go forward: each run carries on where the one before
    stopped or later (a dropout of the sound server under load may lose frames between
    them), never playing a frame twice."""
    played = [(at + start, first, last) for at, first, last in runs(indices[start:end])]
    assert played, "nothing of the indexed file was heard there"
    assert all(later[1] > earlier[2] for earlier, later in itertools.pairwise(played)), played
    return played


def peak_frequency(samples: npt.NDArray[np.floating], rate: int) -> float:
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(mono.size)))
    return float(np.fft.rfftfreq(mono.size, 1 / rate)[int(np.argmax(spectrum))])


def rms_dbfs(samples: npt.NDArray[np.floating]) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(samples, dtype=np.float64))) + 1e-12))
