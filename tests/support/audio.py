"""Measurements on rendered or captured audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

from broadcaster.speech.loudness import integrated_loudness, peak_dbfs


def read(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return samples, int(rate)


def loudness_and_peak(path: Path) -> tuple[float, float]:
    samples, rate = read(path)
    return integrated_loudness(samples, rate), peak_dbfs(samples)


def band_energy_ratio(samples: npt.NDArray[np.float32], rate: int, low: float,
                      high: float) -> float:
    """Share of the signal's energy between `low` and `high` Hz."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    spectrum = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / rate)
    band = (freqs >= low) & (freqs < high)
    return float(spectrum[band].sum() / spectrum.sum())
