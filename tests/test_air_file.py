"""Airing files through the test capture device (sounddevice → PortAudio → ALSA file PCM)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from broadcaster.air import EventKind, PauseSource, air
from broadcaster.model import OperatorError, Outcome
from tests.support.sound import (
    peak_frequency,
    rms_dbfs,
    station_config,
    write_indexed,
    write_tone,
)


def captured(path: Path, frames: int | None = None) -> tuple[np.ndarray, int]:
    """The capture, up to `frames` (checking that what follows is the device's closing
    silence: one buffer, written so that plugins play the end out)."""
    samples, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    if frames is None:
        frames = len(samples) - int(np.argmax(samples[::-1].any(axis=1)))
    tail = samples[frames:]
    assert len(tail) <= 0.2 * rate
    assert not tail.any()
    return samples[:frames], int(rate)


def test_a_wav_file_reaches_the_device_sample_for_sample(tmp_path: Path, capture: Path) -> None:
    source = write_indexed(tmp_path / "news.wav", 48000 * 3 + 123)
    config = station_config(tmp_path / "station", "capture")

    events = air(config, tmp_path / "news.wav")

    samples, rate = captured(capture, len(source))
    assert rate == 48000
    assert samples.shape == source.shape
    assert np.array_equal(samples, source)
    assert [e.kind for e in events] == [EventKind.STARTED, EventKind.ENDED]
    assert events[-1].outcome is Outcome.AIRED


def test_a_44k_mono_flac_is_resampled_and_doubled_to_48k_stereo(tmp_path: Path,
                                                                   capture: Path) -> None:
    write_tone(tmp_path / "tone.flac", 2.0, hz=440, rate=44100, channels=1, amplitude=0.5)
    config = station_config(tmp_path / "station", "capture")

    air(config, tmp_path / "tone.flac")

    samples, rate = captured(capture)
    audio = samples.astype(np.float64) / 32768
    assert rate == 48000
    assert abs(len(audio) - 96000) <= 64
    assert np.array_equal(samples[:, 0], samples[:, 1])
    assert peak_frequency(audio, rate) == pytest.approx(440, abs=1)
    assert rms_dbfs(audio[4800:-4800]) == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
    # resampled block by block without clicks: what is left after taking the sine out is
    # only 16-bit rounding and the resampler's passband ripple, at every block boundary
    middle = audio[480:-480, 0]
    t = np.arange(480, 480 + middle.size) / 48000
    basis = np.stack([np.sin(2 * np.pi * 440 * t), np.cos(2 * np.pi * 440 * t)], axis=1)
    fit, *_ = np.linalg.lstsq(basis, middle, rcond=None)
    assert np.abs(middle - basis @ fit).max() < 0.005


def test_stereo_is_averaged_for_a_mono_station(tmp_path: Path, capture: Path) -> None:
    left = np.full(4800, 0.25, dtype=np.float32)
    soundfile.write(str(tmp_path / "lr.wav"), np.stack([left, -left * 0.5], 1), 48000)
    config = station_config(tmp_path / "station", "capture", channels=1)

    air(config, tmp_path / "lr.wav")

    samples, _ = captured(capture, 4800)
    assert samples.shape == (4800, 1)
    assert np.all(samples == round(0.125 * 32768 / 2))


def test_formats_libsndfile_cannot_read_go_through_ffmpeg(tmp_path: Path, capture: Path) -> None:
    write_tone(tmp_path / "tone.wav", 2.0, hz=1000, rate=44100, channels=2)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(tmp_path / "tone.wav"),
                    "-c:a", "aac", str(tmp_path / "tone.m4a")], check=True)
    config = station_config(tmp_path / "station", "capture")

    air(config, tmp_path / "tone.m4a")

    samples, rate = captured(capture)
    audio = samples.astype(np.float64) / 32768
    assert abs(len(audio) / rate - 2.0) < 0.1
    assert peak_frequency(audio, rate) == pytest.approx(1000, abs=2)
    assert rms_dbfs(audio[4800:-4800]) == pytest.approx(-9.0, abs=0.5)


def test_an_mp3_plays_through_soundfile(tmp_path: Path, capture: Path) -> None:
    write_tone(tmp_path / "tone.wav", 1.5, hz=660, rate=44100, channels=2)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(tmp_path / "tone.wav"),
                    str(tmp_path / "tone.mp3")], check=True)
    config = station_config(tmp_path / "station", "capture")

    air(config, tmp_path / "tone.mp3")

    samples, rate = captured(capture)
    audio = samples.astype(np.float64) / 32768
    assert abs(len(audio) / rate - 1.5) < 0.1
    assert peak_frequency(audio, rate) == pytest.approx(660, abs=2)


def test_a_pause_is_silence_of_its_length(tmp_path: Path, capture: Path) -> None:
    config = station_config(tmp_path / "station", "capture")

    air(config, PauseSource(0.5))

    samples, _ = captured(capture, 24000)
    assert samples.shape == (24000, 2)
    assert not samples.any()


def test_a_missing_file_is_refused_in_one_line(tmp_path: Path, capture: Path) -> None:
    config = station_config(tmp_path / "station", "capture")

    with pytest.raises(OperatorError) as refused:
        air(config, tmp_path / "nowhere.wav")

    assert "nowhere.wav: audio file not found" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_text_file_is_refused_as_not_audio(tmp_path: Path, capture: Path) -> None:
    (tmp_path / "notice.mp3").write_text("Thông báo: không phải âm thanh\n", encoding="utf-8")
    config = station_config(tmp_path / "station", "capture")

    with pytest.raises(OperatorError) as refused:
        air(config, tmp_path / "notice.mp3")

    assert "notice.mp3" in str(refused.value)
    assert "\n" not in str(refused.value)
