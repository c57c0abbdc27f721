"""The render's own signal arithmetic (numpy only) against what it replaced, scipy and
pyloudnorm, kept here as the reference: biquad filtering, the K-weighting, the speech band,
the limiter's running minimum and mean, BS.1770 loudness."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
import scipy.ndimage
import scipy.signal
import soxr
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcaster.speech import loudness
from broadcaster.speech.engines import EspeakEngine
from broadcaster.speech.iir import SosFilter, butterworth_band, k_weighting
from tests.support.audio import pyloudnorm_lufs

RATES = (8000, 16000, 22050, 24000, 44100, 48000)
DESIGNS = {  # what the station filters with, and harder cascades than it needs
    "speech band": butterworth_band(4, 250, 6000, 22050),
    "K-weighting at 48 kHz": k_weighting(48000),
    "narrow band at 8 kHz": scipy.signal.butter(4, [250, 300], "bandpass", fs=8000,
                                                output="sos"),
    "elliptic low pass": scipy.signal.ellip(7, 0.5, 60, 0.05, output="sos"),
}


def response_db(sos: npt.NDArray[np.float64], hz: npt.NDArray[np.float64],
                rate: int) -> npt.NDArray[np.float64]:
    """Magnitude response of a biquad cascade at `hz`, in dB."""
    z = np.exp(-2j * np.pi * hz / rate)  # z⁻¹
    gain = np.ones(hz.size, dtype=complex)
    for b0, b1, b2, a0, a1, a2 in sos:
        gain *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return 20 * np.log10(np.abs(gain))


def noise(size: int, seed: int = 0) -> npt.NDArray[np.float64]:
    return np.random.default_rng(seed).standard_normal(size)


def espeak(text: str) -> npt.NDArray[np.float32]:
    pcm = EspeakEngine("vi", 10, 1.0).synthesize(text)
    assert pcm.rate == 22050
    return pcm.samples


@pytest.mark.parametrize("design", DESIGNS)
def test_filtering_whole_is_sosfilt(design: str) -> None:
    sos = DESIGNS[design]
    signal = np.concatenate([noise(30_000), np.zeros(100_000), noise(5_000, seed=1)])
    expected = scipy.signal.sosfilt(sos, signal)
    filtered = SosFilter(sos)(signal)
    assert filtered.dtype == np.float64
    assert np.max(np.abs(filtered - expected)) <= 1e-9 * np.max(np.abs(expected))
    assert np.count_nonzero(filtered[-5_000:])  # the state left after the silence still rings


@settings(max_examples=60, deadline=None)
@given(design=st.sampled_from(sorted(DESIGNS)),
       sizes=st.lists(st.integers(0, 20_000), min_size=1, max_size=12).filter(any))
def test_filtering_in_blocks_is_sosfilt_of_the_whole(design: str, sizes: list[int]) -> None:
    sos = DESIGNS[design]
    signal = noise(sum(sizes), seed=len(sizes)).astype(np.float32)
    band = SosFilter(sos)
    blocks = np.split(signal, np.cumsum(sizes)[:-1])
    filtered = np.concatenate([band(block) for block in blocks])
    expected = scipy.signal.sosfilt(sos, signal.astype(np.float64))
    assert filtered.shape == expected.shape
    assert np.max(np.abs(filtered - expected)) <= 1e-9 * np.max(np.abs(expected))


@pytest.mark.parametrize("rate", RATES)
def test_k_weighting_is_pyloudnorms(rate: int) -> None:
    stages = pyloudnorm.Meter(rate)._filters.values()
    theirs = np.array([[*(stage.passband_gain * stage.b), *stage.a] for stage in stages])
    assert np.max(np.abs(k_weighting(rate) - theirs)) <= 1e-12


@pytest.mark.parametrize("rate", RATES)
def test_speech_band_is_the_butterworth_band_scipy_designs(rate: int) -> None:
    high = min(6000.0, 0.45 * rate)
    ours = butterworth_band(4, 250, high, rate)
    theirs = scipy.signal.butter(4, [250, high], "bandpass", fs=rate, output="sos")
    # from 20 Hz to near Nyquist: closer to the zeros, evaluating the response loses digits
    hz = np.linspace(20.0, 0.98 * rate / 2, 20_000)
    difference = np.abs(response_db(ours, hz, rate) - response_db(theirs, hz, rate))
    assert np.max(difference) <= 1e-9  # dB: the same filter
    speech = espeak("Bà con chú ý.") if rate == 22050 else noise(rate, seed=rate)
    assert np.max(np.abs(SosFilter(ours)(speech) - scipy.signal.sosfilt(theirs, speech))) < 1e-9
    edges = response_db(ours, np.array([250.0, high]), rate)
    assert np.allclose(edges, -3.01, atol=0.01)  # Butterworth: half power at the edges


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(-1, 1, width=32), min_size=1, max_size=3000),
       half=st.integers(0, 300))
def test_running_min_and_mean_are_ndimages(values: list[float], half: int) -> None:
    samples = np.array(values, dtype=np.float32)
    size = 2 * half + 1
    least = loudness.running_min(samples, size)
    assert least.dtype == np.float32
    assert np.array_equal(least, scipy.ndimage.minimum_filter1d(samples, size, mode="nearest"))
    mean = loudness.running_mean(samples, size)
    assert mean.dtype == np.float32
    expected = scipy.ndimage.uniform_filter1d(samples, size, mode="nearest")
    assert np.max(np.abs(mean - expected)) <= 1.2e-7  # one float32 step near 1 at most


def test_limiter_gains_are_what_scipy_gave() -> None:
    rate, ceiling = 22050, loudness.db_to_gain(-1.1)
    speech = espeak("Ủy ban nhân dân xã thông báo lịch tiêm phòng. Bà con mang theo sổ.")
    loud = speech * np.float32(8 / np.max(np.abs(speech)))
    window = loudness._window(rate)
    needed = np.minimum(1.0, ceiling / np.maximum(np.abs(loud), 1e-12)).astype(np.float32)
    held = scipy.ndimage.minimum_filter1d(needed, size=2 * window + 1, mode="nearest")
    gain = np.minimum(scipy.ndimage.uniform_filter1d(held, size=window, mode="nearest"), needed)
    limited = loudness.limit(loud, rate, ceiling)
    assert np.count_nonzero(needed < 1) > 1000
    assert np.max(np.abs(limited - loud * gain)) <= 1e-6


SIGNALS = ("bursts of noise", "1 kHz tone", "tones and silence", "espeak speech")


def signal_at(kind: str, rate: int) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(rate)
    t = np.arange(3 * rate) / rate
    if kind == "bursts of noise":
        bursts = np.repeat(rng.random(3 * rate // 400) ** 3, 400)
        return (0.3 * rng.standard_normal(bursts.size) * bursts).astype(np.float32)
    if kind == "1 kHz tone":
        return (0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    if kind == "tones and silence":
        tones = 0.5 * np.sin(2 * np.pi * 60 * t) + 0.05 * np.sin(2 * np.pi * 3000 * t)
        return (tones * (t % 1.0 < 0.6)).astype(np.float32)
    speech = espeak("Ủy ban nhân dân xã thông báo lịch tiêm phòng cho đàn gia cầm.")
    return np.asarray(soxr.resample(speech, 22050, rate), dtype=np.float32)


@pytest.mark.parametrize("rate", [22050, 24000, 44100, 48000])
@pytest.mark.parametrize("kind", SIGNALS)
def test_loudness_is_pyloudnorms(kind: str, rate: int) -> None:
    signal = signal_at(kind, rate)
    reference = pyloudnorm_lufs(signal, rate)
    assert -60 < reference < 0
    meter = loudness.LoudnessMeter(rate)
    for block in np.array_split(signal, 7):
        meter.feed(block)
    assert abs(meter.loudness() - reference) < 0.01
    assert abs(loudness.integrated_loudness(signal, rate) - reference) < 0.01


def test_loudness_of_several_channels_is_pyloudnorms() -> None:
    rate = 48000
    channels = np.stack([signal_at(kind, rate)[:2 * rate] for kind in SIGNALS]
                        + [0.2 * signal_at("bursts of noise", rate)[:2 * rate]], axis=1)
    for count in (2, 5):
        measured = loudness.integrated_loudness(channels[:, :count], rate)
        assert abs(measured - pyloudnorm_lufs(channels[:, :count], rate)) < 0.01


def test_normalized_chime_measures_the_target_by_pyloudnorm() -> None:
    from broadcaster.speech.chime import chime

    rate = 48000
    bell = loudness.normalize(chime(rate), rate, -18.0)
    assert abs(pyloudnorm_lufs(bell, rate) - -18.0) <= 0.3
    assert loudness.peak_dbfs(bell) <= loudness.PEAK_CEILING_DBFS
