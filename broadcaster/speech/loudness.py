"""Loudness for the air: ITU-R BS.1770 integrated loudness (pyloudnorm) to a target,
sample peaks held under a ceiling by a look-ahead limiter, an optional horn speech band.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]

PEAK_CEILING_DBFS = -1.0
LIMIT_MARGIN_DB = 0.1  # stay clear of the ceiling after 16-bit rounding
_LIMITER_WINDOW_S = 0.005
_MIN_GATED_S = 0.4
_TOLERANCE_LU = 0.3  # BS.1770 needs one 400 ms block


def channel_gain_db(channels: int) -> float:
    """How much louder BS.1770 measures a mono signal copied to `channels` channels.

    The renderer normalizes mono and copies it, so it aims this much lower.
    """
    import math

    weights = (1.0, 1.0, 1.0, 1.41, 1.41)  # BS.1770 channel weights (L, R, C, Ls, Rs)
    return 10 * math.log10(sum(weights[:channels]) + max(0, channels - len(weights)))


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


def integrated_loudness(samples: Samples, rate: int) -> float:
    """Integrated loudness in LUFS of mono or (frames, channels) samples; -inf for silence."""
    import pyloudnorm

    if samples.shape[0] < int(_MIN_GATED_S * rate):
        return float("-inf")
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples.astype("float64")))


def peak_dbfs(samples: Samples) -> float:
    import numpy as np

    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 20 * float(np.log10(peak)) if peak > 0 else float("-inf")


def normalize(samples: Samples, rate: int, target_lufs: float,
              ceiling_dbfs: float = PEAK_CEILING_DBFS) -> Samples:
    """Mono samples brought to `target_lufs` with sample peaks ≤ `ceiling_dbfs`.

    Speech peaks sit well above its loudness, so plain gain would clip: the limiter
    takes the peaks down and the gain is raised again until the loudness is within
    0.3 LU (three passes at most). Too short or silent input is only peak-limited.
    """
    import numpy as np

    ceiling = db_to_gain(ceiling_dbfs - LIMIT_MARGIN_DB)
    loudness = integrated_loudness(samples, rate)
    if not np.isfinite(loudness):
        return limit(samples, rate, ceiling)
    gain_db = target_lufs - loudness
    out = samples
    for _ in range(3):
        out = limit(samples * np.float32(db_to_gain(gain_db)), rate, ceiling)
        error = target_lufs - integrated_loudness(out, rate)
        if abs(error) < _TOLERANCE_LU or not np.isfinite(error):
            break
        gain_db += error
    return out


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
    window = max(3, int(_LIMITER_WINDOW_S * rate) | 1)
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
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    needed = np.minimum(1.0, ceiling / np.maximum(np.abs(stretch), 1e-12)).astype(np.float32)
    held = minimum_filter1d(needed, size=2 * window + 1, mode="nearest")
    smooth = uniform_filter1d(held, size=window, mode="nearest")
    gain = np.minimum(smooth, needed)  # float rounding of the mean must not let a peak through
    return np.asarray(stretch * gain, dtype=np.float32)


def speech_band(samples: Samples, rate: int, low_hz: float = 250.0,
                high_hz: float = 6000.0) -> Samples:
    """Band-limit speech for horn loudspeakers: no rumble they cannot reproduce, no hiss."""
    import numpy as np
    from scipy.signal import butter, sosfilt

    high_hz = min(high_hz, rate * 0.45)
    sos = butter(4, [low_hz, high_hz], btype="bandpass", fs=rate, output="sos")
    return np.asarray(sosfilt(sos, samples), dtype=np.float32)
