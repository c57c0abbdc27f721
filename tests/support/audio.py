"""Measurements on rendered or captured audio. Loudness is pyloudnorm's, the reference the
station's own meter (broadcaster.speech.loudness) is held to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyloudnorm
import soundfile

from broadcaster.speech.loudness import peak_dbfs


def read(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return samples, int(rate)


def pyloudnorm_lufs(samples: npt.NDArray[np.float32], rate: int) -> float:
    """BS.1770 integrated loudness of mono or (frames, channels) samples, by pyloudnorm."""
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64)))


def loudness_and_peak(path: Path) -> tuple[float, float]:
    samples, rate = read(path)
    return pyloudnorm_lufs(samples, rate), peak_dbfs(samples)


def band_energy_ratio(samples: npt.NDArray[np.float32], rate: int, low: float,
                      high: float) -> float:
    """Share of the signal's energy between `low` and `high` Hz."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    spectrum = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / rate)
    band = (freqs >= low) & (freqs < high)
    return float(spectrum[band].sum() / spectrum.sum())
