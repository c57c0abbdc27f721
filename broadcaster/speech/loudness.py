"""Loudness for the air: ITU-R BS.1770 integrated loudness to a target (measured as
pyloudnorm measures it, and checked against it in the tests), sample peaks held under a
ceiling by a look-ahead limiter, an optional horn speech band.

Each step also works on a signal given a block at a time, with the same result as on the
whole signal, so a notice of hours is rendered in a few MB: `LoudnessMeter` keeps one
mean square per 100 ms, `Limiter` holds back a few ms, `speech_band_filter` carries its
filter state from block to block. Only numpy does the arithmetic (filters in `iir`):
importing scipy would cost each render worker over a second and ~75 MB.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]

PEAK_CEILING_DBFS = -1.0
LIMIT_MARGIN_DB = 0.1  # stay clear of the ceiling after 16-bit rounding
_LIMITER_WINDOW_S = 0.005
_MIN_GATED_S = 0.4  # BS.1770 needs one 400 ms block
_BLOCK_S = 0.4
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_TOLERANCE_LU = 0.05  # how close the gain search gets before it stops
_MAX_TRIES = 4
_FEED_FRAMES = 65536  # the longest stretch filtered at once: bounds the temporaries
_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)  # BS.1770 (L, R, C, Ls, Rs); 1 for others


def _channel_weight(channel: int) -> float:
    return _CHANNEL_WEIGHTS[channel] if channel < len(_CHANNEL_WEIGHTS) else 1.0


def channel_gain_db(channels: int) -> float:
    """How much louder BS.1770 measures a mono signal copied to `channels` channels.

    The renderer normalizes mono and copies it, so it aims this much lower.
    """
    import math

    return 10 * math.log10(sum(_channel_weight(channel) for channel in range(channels)))


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


def integrated_loudness(samples: Samples, rate: int) -> float:
    """Integrated loudness in LUFS of mono or (frames, channels) samples; -inf for silence
    or under 0.4 s."""
    import numpy as np

    frames = samples.reshape(samples.shape[0], -1)
    if frames.shape[0] < int(_MIN_GATED_S * rate):
        return float("-inf")
    powers = []
    for channel in range(frames.shape[1]):
        meter = LoudnessMeter(rate)
        meter.feed(frames[:, channel])
        powers.append(_channel_weight(channel) * meter.block_powers())
    return gated_loudness(np.sum(powers, axis=0))  # BS.1770 gates the channels' weighted sum


def peak_dbfs(samples: Samples) -> float:
    import numpy as np

    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 20 * float(np.log10(peak)) if peak > 0 else float("-inf")


class LoudnessMeter:
    """BS.1770 integrated loudness of a mono signal fed a block at a time, as pyloudnorm
    measures it whole (its K-weighting filters, 400 ms blocks overlapping by 75 %, the two
    gates), holding only the signal's energy per 100 ms: 1.2 MB for four hours."""

    def __init__(self, rate: int) -> None:
        from broadcaster.speech.iir import SosFilter, k_weighting

        self.rate = rate
        self._weighting = SosFilter(k_weighting(rate))
        self._frames = 0
        self._steps = array("d")  # energy of each complete 100 ms step
        self._open = 0.0  # energy of the step being filled

    @property
    def frames(self) -> int:
        return self._frames

    def feed(self, samples: Samples) -> None:
        """Add the next samples of the signal (mono, at `rate`)."""
        for start in range(0, samples.size, _FEED_FRAMES):
            weighted = self._weighting(samples[start:start + _FEED_FRAMES])
            self._add_energy(weighted * weighted)

    def _add_energy(self, squares: npt.NDArray[np.float64]) -> None:
        begin, end = self._frames, self._frames + squares.size
        while True:
            step_end = (len(self._steps) + 1) * self.rate // 10
            if step_end > end:
                self._open += float(squares[begin - self._frames:].sum())
                break
            self._open += float(squares[begin - self._frames:step_end - self._frames].sum())
            self._steps.append(self._open)
            self._open = 0.0
            begin = step_end
        self._frames = end

    def block_powers(self) -> npt.NDArray[np.float64]:
        """Mean square of each 400 ms block so far (pyloudnorm's block count and bounds)."""
        import numpy as np

        if self._frames < int(_MIN_GATED_S * self.rate):
            return np.zeros(0)
        count = round((self._frames / self.rate - _BLOCK_S) / 0.1) + 1
        steps = np.zeros(count + 3)  # the last block may reach past the end, as there
        known = min(len(self._steps), steps.size)
        steps[:known] = np.frombuffer(self._steps, dtype=np.float64, count=known)
        if known < steps.size:
            steps[known] = self._open
        energy = np.convolve(steps, np.ones(4), mode="valid")  # four steps to a block
        energy /= _BLOCK_S * self.rate
        return energy

    def loudness(self) -> float:
        """Integrated loudness in LUFS of what was fed; -inf for silence or under 0.4 s."""
        return gated_loudness(self.block_powers())


def gated_loudness(powers: npt.NDArray[np.float64]) -> float:
    """BS.1770 gating of 400 ms block mean squares (mono): LUFS, -inf when no block passes."""
    import numpy as np

    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(powers)
    loud = levels >= _ABSOLUTE_GATE_LUFS
    if not loud.any():
        return float("-inf")
    relative = -0.691 + 10 * float(np.log10(powers[loud].mean())) + _RELATIVE_GATE_LU
    kept = powers[loud & (levels > relative)]
    return -0.691 + 10 * float(np.log10(kept.mean())) if kept.size else float("-inf")


def gain_for(target_lufs: float, loudness_lufs: float, excerpts: Sequence[Samples], rate: int,
             ceiling: float) -> float:
    """The gain in dB that brings a voice measuring `loudness_lufs` to `target_lufs` once
    limited at `ceiling` (linear).

    Speech peaks sit well above its loudness, so the limiter takes some loudness off with
    them: that loss is measured on `excerpts` of the voice (mono at `rate`, as they will
    be limited) and made up, until the excerpts land within 0.05 LU (four tries at most).
    0 dB when the voice is silent or shorter than 0.4 s.
    """
    import math

    import numpy as np

    def excerpts_lufs(gain_db: float | None) -> float:
        """The excerpts' loudness together: as they are, or amplified and limited."""
        powers = [np.zeros(0)]
        for excerpt in excerpts:
            meter = LoudnessMeter(rate)
            meter.feed(excerpt if gain_db is None else
                       limit(excerpt * np.float32(db_to_gain(gain_db)), rate, ceiling))
            powers.append(meter.block_powers())
        return gated_loudness(np.concatenate(powers))

    if not math.isfinite(loudness_lufs):
        return 0.0
    plain = excerpts_lufs(None)
    gain_db = target_lufs - loudness_lufs
    if not math.isfinite(plain):
        return gain_db
    for _ in range(_MAX_TRIES):
        loss = plain + gain_db - excerpts_lufs(gain_db)
        wanted = target_lufs - loudness_lufs + loss
        if not math.isfinite(wanted) or abs(wanted - gain_db) < _TOLERANCE_LU:
            break
        gain_db = wanted
    return gain_db


def normalize(samples: Samples, rate: int, target_lufs: float,
              ceiling_dbfs: float = PEAK_CEILING_DBFS) -> Samples:
    """Mono samples brought to `target_lufs` with sample peaks ≤ `ceiling_dbfs`.

    The gain makes up what the limiter takes off with the peaks (see `gain_for`). Too
    short or silent input is only peak-limited.
    """
    import numpy as np

    ceiling = db_to_gain(ceiling_dbfs - LIMIT_MARGIN_DB)
    gain_db = gain_for(target_lufs, integrated_loudness(samples, rate), [samples], rate, ceiling)
    return limit(samples * np.float32(db_to_gain(gain_db)), rate, ceiling)


def _window(rate: int) -> int:
    return max(3, int(_LIMITER_WINDOW_S * rate) | 1)


def limit(samples: Samples, rate: int, ceiling: float) -> Samples:
    """Look-ahead peak limiter: |output| ≤ ceiling everywhere, gain changes over ~5 ms.

    Only the stretches around samples over the ceiling are touched (speech has few),
    so the cost follows the peaks, not the length.
    """
    import numpy as np

    over = np.flatnonzero(np.abs(samples) > ceiling)
    out = samples.astype(np.float32, copy=True)
    if over.size == 0:
        return out
    window = _window(rate)
    reach = 2 * window  # beyond this from an over-ceiling sample, the gain is back to 1
    splits = np.flatnonzero(np.diff(over) > 2 * reach) + 1
    for run in np.split(over, splits):
        start = max(0, int(run[0]) - reach)
        end = min(out.size, int(run[-1]) + reach + 1)
        out[start:end] = _limit_stretch(out[start:end], ceiling, window)
    return out


def _limit_stretch(stretch: Samples, ceiling: float, window: int) -> Samples:
    """The gain each sample needs, min-filtered over two windows then averaged over one:
    every averaged value is at most the gain needed at that sample."""
    import numpy as np

    needed = np.minimum(1.0, ceiling / np.maximum(np.abs(stretch), 1e-12)).astype(np.float32)
    held = running_min(needed, 2 * window + 1)
    smooth = running_mean(held, window)
    gain = np.minimum(smooth, needed)  # float rounding of the mean must not let a peak through
    return np.asarray(stretch * gain, dtype=np.float32)


def running_min(values: Samples, size: int) -> Samples:
    """The least of each `size` values centred on each one (`size` odd), the ends repeated
    beyond the edges: scipy.ndimage's minimum_filter1d(mode="nearest"), by van Herk and
    Gil-Werman (the least so far within blocks of `size`, forward and backward)."""
    import numpy as np

    half = size // 2
    padded = np.pad(values, (half, half + (-(values.size + 2 * half)) % size), mode="edge")
    blocks = padded.reshape(-1, size)
    from_start = np.minimum.accumulate(blocks, axis=1).ravel()
    to_end = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    # the window starting at i ends in the next block, or is a whole block
    return np.minimum(to_end[:values.size], from_start[size - 1:size - 1 + values.size])


def running_mean(values: Samples, size: int) -> Samples:
    """The mean of each `size` values centred on each one (`size` odd), the ends repeated
    beyond the edges: scipy.ndimage's uniform_filter1d(mode="nearest"), summed in float64."""
    import numpy as np

    half = size // 2
    sums = np.concatenate([[0.0], np.cumsum(np.pad(values.astype(np.float64), half,
                                                   mode="edge"))])
    return np.asarray((sums[size:] - sums[:-size]) / size, dtype=values.dtype)


class Limiter:
    """`limit` for a signal given a block at a time, with the same output (to float
    rounding): each block is limited with two windows (~10 ms) of the signal on either
    side, more than any sample's gain depends on, so output lags input by that much."""

    def __init__(self, rate: int, ceiling: float) -> None:
        import numpy as np

        self.rate = rate
        self.ceiling = ceiling
        self._margin = 2 * _window(rate)
        self._before: Samples = np.zeros(0, dtype=np.float32)  # already given out
        self._waiting: Samples = np.zeros(0, dtype=np.float32)  # not yet given out

    def push(self, samples: Samples) -> Samples:
        """Limit the next samples; returns the limited signal as far as it is final."""
        import numpy as np

        buffer = np.concatenate([self._before, self._waiting, samples.astype(np.float32)])
        first, ready = self._before.size, buffer.size - self._margin
        if ready <= first:
            self._waiting = buffer[first:]
            return np.zeros(0, dtype=np.float32)
        out = limit(buffer, self.rate, self.ceiling)[first:ready]
        self._before = buffer[max(0, ready - self._margin):ready]
        self._waiting = buffer[ready:]
        return out

    def flush(self) -> Samples:
        """The rest of the limited signal, once the input has ended."""
        import numpy as np

        buffer = np.concatenate([self._before, self._waiting])
        out = limit(buffer, self.rate, self.ceiling)[self._before.size:]
        self._before = self._waiting = np.zeros(0, dtype=np.float32)
        return out


def speech_band_filter(rate: int, low_hz: float = 250.0,
                       high_hz: float = 6000.0) -> Callable[[Samples], Samples]:
    """`speech_band` for a signal given a block at a time: call it on each block in order
    (the blocks joined are the whole filtered, to float rounding)."""
    import numpy as np

    from broadcaster.speech.iir import SosFilter, butterworth_band

    band_pass = SosFilter(butterworth_band(4, low_hz, min(high_hz, rate * 0.45), rate))

    def band(samples: Samples) -> Samples:
        return np.asarray(band_pass(samples), dtype=np.float32)

    return band


def speech_band(samples: Samples, rate: int, low_hz: float = 250.0,
                high_hz: float = 6000.0) -> Samples:
    """Band-limit speech for horn loudspeakers: no rumble they cannot reproduce, no hiss
    (a 4th-order Butterworth band pass; the top edge at most 0.45 of `rate`)."""
    return speech_band_filter(rate, low_hz, high_hz)(samples)
