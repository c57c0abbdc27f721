"""The operator's microphone on air: `[audio] input_device` through a noise gate and the
speech limiter, as a `Source` the player airs like any other (SPEC §3 `live`, §6).

PortAudio's thread calls `_LiveInput._arrived` with each input block; it only copies the
block into a `Ring` (no lock, no allocation, never waits: what does not fit is dropped
and counted). The player's thread reads the ring block by block, gates, limits, records
(`Recording` writes the file from its own thread) and hands the block to the output.

Latency, input block to output block. At 48 kHz:

- input: blocks of INPUT_BLOCK_FRAMES = 128 frames (2.7 ms), suggested latency
  INPUT_LATENCY_S = 0.005 s (ALSA: two periods of 128);
- ring: the player reads as soon as one output block has arrived; a backlog that
  persists for a second (the input's clock faster than the output's) is skipped down to
  one block, so latency cannot creep;
- limiter: 2 ms of look-ahead (LIMITER_WINDOW_S = 1 ms, two windows: the speech limiter's
  algorithm and ceiling, −1 dBFS, with a 5× shorter window; its 10 ms look-ahead is free
  for rendered speech but would be a fifth of the live budget, and gain changes over 1 ms
  are still smooth on a voice);
- output while live: the player's blocks of LIVE_BLOCK_FRAMES = 256 frames (5.3 ms)
  through LIVE_LATENCY_S = 0.02 s of device buffer (ALSA: about three periods of 256),
  primed with one block of silence; it returns to 1024 frames / 0.1 s when live ends
  (`SoundOutput.retune`; the longer buffer is safer for files and relays on a Pi).

So on an ALSA hardware device: 5 (input) + ≤ 5.3 (ring) + 2 (limiter) + 20 (device
buffer) + 5.3 (block being written) ≈ 38 ms, under the 50 ms target. This machine has no
sound card: benchmarks/bench_live.py measures the loop through a PulseAudio null sink,
whose monitor delivers in chunks of about 10 ms and adds its own buffering.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from broadcaster.air.sources import Emit, OutputFormat, Source, _ignore, map_channels
from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError, one_line

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from broadcaster.air.sources import Block, Samples
    from broadcaster.live_record import Recording

log = logging.getLogger(__name__)

INPUT_BLOCK_FRAMES = 128
INPUT_LATENCY_S = 0.005
LIVE_BLOCK_FRAMES = 256
LIVE_LATENCY_S = 0.02
LIMITER_WINDOW_S = 0.001
GATE_THRESHOLD_DBFS = -50.0  # below this (peak over 1 ms) the gate closes, after the hold
GATE_HOLD_S = 0.25  # the gaps between words stay open: no chopped syllables
GATE_ATTACK_S = 0.001  # opens at once, without a click
GATE_RELEASE_S = 0.15
RING_S = 1.0  # what the ring holds; more than this behind the player is an overrun
LATE_INPUT_S = 0.05  # the player waits this long for input before filling with silence
SILENT_INPUT_S = 2.0  # no input at all for this long: the device is gone
DRIFT_CHECK_S = 1.0
MSG_INPUT_STOPPED = N_("the microphone (input device {spec}) stopped delivering sound; "
                       "check its cable, then `broadcaster live start` again")
MSG_NO_SOXR = N_("the input device records at {source} Hz, not {target} Hz, and the Python "
                 "package 'soxr' to convert it is missing; reinstall broadcaster with its "
                 "dependencies")


def _db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


# --- the way from the callback to the player ----------------------------------------------


class Ring:
    """Frames from one writer (PortAudio's thread) to one reader (the player's), without a
    lock: the writer only moves `_written` (after copying), the reader only `_taken`, and
    each reads the other's count once (an int, replaced whole under the interpreter lock).
    The writer drops a block that does not fit (an overrun) rather than wait."""

    def __init__(self, frames: int, channels: int) -> None:
        import numpy as np

        self._data = np.zeros((frames, channels), dtype=np.float32)
        self._size = frames
        self._written = 0  # frames ever written; only `push` changes it
        self._taken = 0  # frames ever taken; only `take` and `skip` change it
        self.overruns = 0

    def push(self, block: Block) -> None:
        """Copy `block` in (the callback's side); dropped whole when it does not fit."""
        count = len(block)
        written = self._written
        if count > self._size - (written - self._taken):
            self.overruns += 1
            return
        start = written % self._size
        first = min(count, self._size - start)
        self._data[start:start + first] = block[:first]
        self._data[:count - first] = block[first:]
        self._written = written + count

    def available(self) -> int:
        return self._written - self._taken

    def take(self, count: int) -> Block:
        """The next `count` frames (at most what is available), copied out."""
        import numpy as np

        count = min(count, self.available())
        start = self._taken % self._size
        first = min(count, self._size - start)
        out = np.concatenate([self._data[start:start + first], self._data[:count - first]])
        self._taken += count
        return out

    def skip(self, count: int) -> None:
        self._taken += min(count, self.available())


# --- what the sound goes through ------------------------------------------------------------


class NoiseGate:
    """Silence between phrases: closes (over `release_s`) once the peak has stayed under
    `threshold_dbfs` for `hold_s`; opens at once (over `attack_s`) on the first louder
    millisecond. Keeps its state across blocks; every channel gets the same gain."""

    def __init__(self, rate: int, *, threshold_dbfs: float = GATE_THRESHOLD_DBFS,
                 hold_s: float = GATE_HOLD_S, attack_s: float = GATE_ATTACK_S,
                 release_s: float = GATE_RELEASE_S) -> None:
        self.threshold = _db_to_gain(threshold_dbfs)
        self._chunk = max(1, round(0.001 * rate))
        self._hold = round(hold_s * rate)
        self._up = 1.0 / max(1.0, attack_s * rate)
        self._down = 1.0 / max(1.0, release_s * rate)
        self.gain = 0.0  # closed until someone speaks
        self._quiet = self._hold  # frames under the threshold so far

    @property
    def is_open(self) -> bool:
        return self.gain > 0.0

    def process(self, block: Block) -> Block:
        import numpy as np

        if len(block) == 0:
            return block
        level = np.abs(block).max(axis=1)
        gains = np.empty(len(block), dtype=np.float32)
        for start in range(0, len(block), self._chunk):
            end = min(len(block), start + self._chunk)
            if float(level[start:end].max()) >= self.threshold:
                self._quiet = 0
            else:
                self._quiet += end - start
            target = 1.0 if self._quiet < self._hold else 0.0
            steps = np.arange(1, end - start + 1, dtype=np.float32)
            if target > self.gain:
                ramp = np.minimum(target, self.gain + self._up * steps)
            else:
                ramp = np.maximum(target, self.gain - self._down * steps)
            gains[start:end] = ramp
            self.gain = float(ramp[-1])
        return np.asarray(block * gains[:, None], dtype=np.float32)


class LiveLimiter:
    """The speech limiter (`speech.loudness.limit`: the gain each frame needs, min-filtered
    over two windows, averaged over one) on a stream, with a 1 ms window: output is
    `lookahead` frames behind input, peaks ≤ `ceiling` on every channel (one gain for all)."""

    def __init__(self, rate: int, channels: int, ceiling: float) -> None:
        import numpy as np

        self.ceiling = ceiling
        self._window = max(3, int(LIMITER_WINDOW_S * rate) | 1)
        self.lookahead = 2 * self._window
        # the frames around what goes out now: already out, then not yet out
        self._tail = np.zeros((2 * self.lookahead, channels), dtype=np.float32)

    def process(self, block: Block) -> Block:
        import numpy as np

        from broadcaster.speech.loudness import running_mean, running_min

        count = len(block)
        buffer = np.concatenate([self._tail, block.astype(np.float32, copy=False)])
        self._tail = buffer[count:]
        out = buffer[self.lookahead:self.lookahead + count]
        peak = np.abs(buffer).max(axis=1)
        if float(peak.max()) <= self.ceiling:
            return np.array(out, dtype=np.float32)
        needed = np.minimum(1.0, self.ceiling / np.maximum(peak, 1e-12)).astype(np.float32)
        held = running_min(needed, 2 * self._window + 1)
        gain = np.minimum(running_mean(held, self._window), needed)
        gain = gain[self.lookahead:self.lookahead + count]
        return np.asarray(out * gain[:, None], dtype=np.float32)


# --- one session ------------------------------------------------------------------------------


@dataclass
class LiveCounters:
    """What went wrong on the way, for `status` (each a count of events, not of frames)."""

    overruns: int = 0  # input the ring or PortAudio had to drop (the player fell behind)
    underruns: int = 0  # blocks the player filled with silence (the input came late)
    skipped: int = 0  # a persistent backlog skipped (the input's clock runs fast)


class LiveSession:
    """One operator's session at the microphone: the device, the gate's and limiter's
    state, the counters and the recording, kept across an emergency that cuts in (the
    microphone resumes after it, not a replay). Sources come from `source()`; each opens
    the device afresh. `close()` ends the recording (the station does, when live ends)."""

    def __init__(self, device: str | int | None, *, title: str = "",
                 recording: Recording | None = None) -> None:
        self.device = device
        self.title = title
        self.recording = recording
        self.counters = LiveCounters()
        self.frames = 0  # frames of microphone sound aired, over every stretch
        self._gate: NoiseGate | None = None
        self._limiter: LiveLimiter | None = None

    def source(self) -> LiveSource:
        return LiveSource(self)

    def process(self, block: Block, rate: int) -> Block:
        """Gate, then limit (the limiter's state carries over an emergency's gap)."""
        from broadcaster.speech.loudness import LIMIT_MARGIN_DB, PEAK_CEILING_DBFS

        if self._gate is None or self._limiter is None:
            self._gate = NoiseGate(rate)
            self._limiter = LiveLimiter(rate, block.shape[1],
                                        _db_to_gain(PEAK_CEILING_DBFS - LIMIT_MARGIN_DB))
        return self._limiter.process(self._gate.process(block))

    def close(self) -> None:
        if self.recording is not None:
            self.recording.close()


class _LiveInput:
    """The input stream and its ring; `_arrived` runs in PortAudio's thread."""

    def __init__(self, device: str | int | None, fmt: OutputFormat,
                 counters: LiveCounters) -> None:
        from broadcaster.air.devices import (
            MSG_INPUT_CANNOT_OPEN,
            available_inputs_text,
            resolve_input_device,
            sounddevice_module,
        )

        sd = sounddevice_module()
        index, most = resolve_input_device(device)
        self.channels = max(1, min(fmt.channels, most))
        self.last_arrival = time.monotonic()
        self._counters = counters
        default_rate = int(sd.query_devices(index)["default_samplerate"])
        problem: Exception | None = None
        self.stream: Any = None
        for rate in dict.fromkeys((fmt.sample_rate, default_rate)):  # ours, else the device's
            self.rate = rate
            self.ring = Ring(round(RING_S * rate), self.channels)
            try:
                self.stream = sd.InputStream(
                    device=index, samplerate=rate, channels=self.channels, dtype="float32",
                    blocksize=INPUT_BLOCK_FRAMES, latency=INPUT_LATENCY_S,
                    callback=self._arrived)
                self.stream.start()
                break
            except (sd.PortAudioError, ValueError) as exc:
                problem = exc
                if self.stream is not None:
                    self.stream.close()
                    self.stream = None
        if self.stream is None:
            spec = "default" if device is None else str(device)
            raise OperatorError(_(MSG_INPUT_CANNOT_OPEN).format(
                spec=repr(spec), rate=fmt.sample_rate, channels=self.channels,
                reason=one_line(problem or RuntimeError()), available=available_inputs_text()))

    def _arrived(self, indata: npt.NDArray[np.float32], frames: int, _time: Any,
                 status: Any) -> None:
        """PortAudio's callback: copy and return; never wait, never allocate much."""
        if status.input_overflow:
            self._counters.overruns += 1
        self.ring.push(indata)
        self.last_arrival = time.monotonic()

    @property
    def running(self) -> bool:
        return bool(self.stream is not None and self.stream.active)

    def close(self) -> None:
        import contextlib

        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(Exception):  # PortAudioError from a vanished device
                stream.abort()
            with contextlib.suppress(Exception):
                stream.close()


class LiveSource(Source):
    """The microphone on air until the player stops it (`live stop`, the button let go);
    it never ends by itself. Raises OperatorError from `open` when the input device is
    missing or busy (naming the input devices) and from `read` when it stops delivering.
    After an emergency, `resumed` is the microphone again, from now."""

    kind = "live"
    may_be_silent = True  # the gate is silent between phrases on purpose

    def __init__(self, session: LiveSession) -> None:
        super().__init__()
        self.session = session
        self.title = session.title
        self._input: _LiveInput | None = None
        self._primed = False
        self._resampler: Any = None
        self._pending: Block | None = None
        self._drift_at = 0.0
        self._lowest = 0

    def open(self, fmt: OutputFormat, emit: Emit = _ignore) -> None:
        import numpy as np

        self.fmt = fmt
        self._input = _LiveInput(self.session.device, fmt, self.session.counters)
        self._pending = np.zeros((0, self._input.channels), dtype=np.float32)
        if self._input.rate != fmt.sample_rate:
            try:
                import soxr
            except ImportError:
                self.close()
                raise OperatorError(_(MSG_NO_SOXR).format(
                    source=self._input.rate, target=fmt.sample_rate)) from None
            self._resampler = soxr.ResampleStream(self._input.rate, fmt.sample_rate,
                                                  self._input.channels, dtype="float32")
        self._drift_at = time.monotonic() + DRIFT_CHECK_S
        self._lowest = 1 << 62

    def read(self, frames: int) -> Samples:
        import numpy as np

        live = self._input
        if live is None or self._pending is None:
            raise RuntimeError("read() before open()")
        if not self._primed:  # one block of silence keeps the fresh output from running dry
            self._primed = True
            live.ring.skip(max(0, live.ring.available() - self._input_frames(frames)))
            return np.zeros((frames, self.fmt.channels), dtype=np.float32)
        while len(self._pending) < frames:
            got = self._from_ring(live, self._input_frames(frames - len(self._pending)))
            if self._resampler is not None:
                got = self._resampler.resample_chunk(got)
            self._pending = np.concatenate([self._pending, got.astype(np.float32)])
        block, self._pending = self._pending[:frames], self._pending[frames:]
        aired = self.session.process(block, self.fmt.sample_rate)
        if self.session.recording is not None:
            self.session.recording.write(aired)
        self.session.frames += len(aired)
        self.position += len(aired)
        self.session.counters.overruns = max(self.session.counters.overruns,
                                             live.ring.overruns)
        return map_channels(aired, self.fmt.channels)

    def _input_frames(self, frames: int) -> int:
        rate = self._input.rate if self._input is not None else self.fmt.sample_rate
        return max(1, math.ceil(frames * rate / self.fmt.sample_rate))

    def _from_ring(self, live: _LiveInput, wanted: int) -> Block:
        """`wanted` input frames: waits for them as they arrive; silence for what is later
        than LATE_INPUT_S (an underrun); raises when the device went silent for good."""
        import numpy as np

        deadline = time.monotonic() + LATE_INPUT_S
        while live.ring.available() < wanted:
            now = time.monotonic()
            if not live.running or now - live.last_arrival > SILENT_INPUT_S:
                spec = "default" if self.session.device is None else str(self.session.device)
                raise OperatorError(_(MSG_INPUT_STOPPED).format(spec=repr(spec)))
            if now >= deadline:
                break
            missing = wanted - live.ring.available()
            time.sleep(min(deadline - now, max(0.0005, missing / live.rate / 2)))
        block = live.ring.take(wanted)
        if len(block) < wanted:
            self.session.counters.underruns += 1
            block = np.concatenate([block, np.zeros((wanted - len(block), live.channels),
                                                    dtype=np.float32)])
        self._keep_up(live, wanted)
        return block

    def _keep_up(self, live: _LiveInput, block: int) -> None:
        """A backlog that never went under one block for a second is the input's clock
        running ahead of the output's: skip it, so the latency stays where it began."""
        self._lowest = min(self._lowest, live.ring.available())
        now = time.monotonic()
        if now < self._drift_at:
            return
        if self._lowest > block:
            live.ring.skip(self._lowest - block)
            self.session.counters.skipped += 1
        self._lowest = 1 << 62
        self._drift_at = now + DRIFT_CHECK_S

    def close(self) -> None:
        if self._input is not None:
            self._input.close()
            self._input = None

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        return LiveSource(self.session)
