"""The longest notice allowed renders within a Raspberry Pi's memory (SPEC §9: peak RSS
≤ 150 MB): speech goes to the cache a sentence group at a time and the program is
written in blocks, with the loudness, peaks and shape of rendering it whole. A short
notice renders in a worker that never loads scipy or pyloudnorm."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from broadcaster.model import RenderedProgram
from broadcaster.speech import loudness
from broadcaster.speech.engines import EspeakEngine
from broadcaster.speech.render import Notice
from broadcaster.speech.worker import WORKER_ARGV, worker_request
from tests.support.audio import pyloudnorm_lufs
from tests.support.render import render_in_measured_worker, voice_loudness_and_peak
from tests.support.station import Station, make_station

PEAK_RSS_MB = 150
# A stand-in voice as fast as a voice can be: 5 ms of a 400 Hz hum in syllables per
# character of text, at 8 kHz, with a click every half second for the limiter to catch.
HUM_VOICE = """\
import array, math, sys, wave
text = open(sys.argv[1], encoding="utf-8").read()
n = 40 * len(text)
hum = array.array("h", (int(6000 * abs(math.sin(math.pi * i / 1600))
                            * math.sin(2 * math.pi * 400 * i / 8000)) for i in range(n)))
for i in range(0, n, 4000):
    hum[i] = 30000
with wave.open(sys.argv[2], "wb") as out:
    out.setnchannels(1)
    out.setsampwidth(2)
    out.setframerate(8000)
    out.writeframes(hum.tobytes())
"""
SENTENCE = "Thôn {n} họp tổ dân phố tối nay tại nhà văn hóa, bà con đến đúng giờ."


def longest_notice(chars: int) -> str:
    """Distinct sentences (no sentence group is another's) cut to `chars` characters."""
    text = " ".join(SENTENCE.format(n=n) for n in range(chars // len(SENTENCE) + 2))
    return text[:chars]


@pytest.fixture
def hum_station(tmp_path: Path) -> Station:
    voice = tmp_path / "hum.py"
    voice.write_text(HUM_VOICE, encoding="utf-8")
    station = make_station(tmp_path / "station", engines='["command"]', rate=16000,
                           channels=1)
    station.write_config(
        station.config_file.read_text().replace("[audio]\n", "[audio]\nspeech_filter = true\n")
        .replace("[tts]\n", "[tts]\nmax_chars = 200000\n")
        + f'\n[tts.command]\nargv = ["{sys.executable}", "-I", "-S", "{voice}", '
          '"{text_file}", "{out}"]\n')
    return station


@pytest.mark.slow
def test_the_longest_notice_renders_in_a_small_worker(hum_station: Station) -> None:
    config = hum_station.config()
    text = longest_notice(config.tts.max_chars)
    assert len(text) == 200_000
    program, peak_mb = render_in_measured_worker(config, Notice(text))
    assert peak_mb <= PEAK_RSS_MB
    assert program.duration_s > 900  # a quarter of an hour and more: whole, ~0.5 GB in floats
    assert soundfile.info(str(program.path)).frames == program.frames
    lufs, peak = voice_loudness_and_peak(program)
    assert abs(lufs - config.audio.loudness_lufs) <= 0.3
    assert peak <= loudness.PEAK_CEILING_DBFS - loudness.LIMIT_MARGIN_DB + 1e-3


def speech_sample(rate: int = 22050) -> npt.NDArray[np.float32]:
    text = "Ủy ban nhân dân xã thông báo lịch tiêm phòng cho đàn gia cầm. Bà con mang theo sổ."
    pcm = EspeakEngine("vi", 10, 1.0).synthesize(text)
    assert pcm.rate == rate
    return pcm.samples


def in_blocks(samples: npt.NDArray[np.float32], seed: int) -> list[npt.NDArray[np.float32]]:
    """The samples cut at random places, some blocks a single sample long."""
    rng = np.random.default_rng(seed)
    cuts = rng.choice(samples.size - 1, size=40, replace=False)
    return np.split(samples, np.unique(np.append(cuts, cuts[::8] + 1)))


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 48000])
def test_streamed_loudness_is_pyloudnorms_measure(rate: int) -> None:
    rng = np.random.default_rng(rate)
    bursts = np.repeat(rng.random(rate // 400) ** 3, 400)  # loud, soft and silent 50 ms
    noise = (0.3 * rng.standard_normal(bursts.size) * bursts).astype(np.float32)
    for signal in (noise, np.concatenate([noise[: rate // 2], np.zeros(rate, np.float32)])):
        meter = loudness.LoudnessMeter(rate)
        for block in in_blocks(signal, seed=rate):
            meter.feed(block)
        assert abs(meter.loudness() - pyloudnorm_lufs(signal, rate)) < 0.01
    speech = speech_sample()
    meter = loudness.LoudnessMeter(22050)
    for block in in_blocks(speech, seed=1):
        meter.feed(block)
    assert abs(meter.loudness() - pyloudnorm_lufs(speech, 22050)) < 0.01


def test_streamed_meter_says_silence_and_short_are_unmeasurable() -> None:
    silent = loudness.LoudnessMeter(16000)
    silent.feed(np.zeros(16000 * 3, dtype=np.float32))
    short = loudness.LoudnessMeter(16000)
    short.feed(np.full(16000 // 4, 0.5, dtype=np.float32))
    assert silent.loudness() == short.loudness() == float("-inf")


def test_block_limiter_gives_what_the_whole_limiter_gives() -> None:
    speech = speech_sample()
    loud = speech * np.float32(loudness.db_to_gain(-8 - loudness.integrated_loudness(speech,
                                                                                       22050)))
    ceiling = loudness.db_to_gain(-1.1)
    limiter = loudness.Limiter(22050, ceiling)
    streamed = np.concatenate([limiter.push(block) for block in in_blocks(loud, seed=2)]
                              + [limiter.flush()])
    whole = loudness.limit(loud, 22050, ceiling)
    assert np.count_nonzero(np.abs(loud) > ceiling) > 1000  # the limiter has work
    assert streamed.size == loud.size
    assert np.max(np.abs(streamed - whole)) < 1e-6
    assert np.max(np.abs(streamed)) <= np.float32(ceiling) * (1 + 1e-6)


def test_speech_band_in_blocks_is_the_band_of_the_whole() -> None:
    speech = speech_sample()
    band = loudness.speech_band_filter(22050)
    streamed = np.concatenate([band(block) for block in in_blocks(speech, seed=3)])
    whole = loudness.speech_band(speech, 22050)
    assert streamed.size == whole.size
    assert np.max(np.abs(streamed - whole)) <= 1e-7  # a float32 step at most: float rounding


def test_a_notice_renders_without_importing_scipy_or_pyloudnorm(station: Station) -> None:
    """Every notice is rendered by a fresh worker: importing scipy alone took it over a
    second and ~75 MB (three times as long on a Raspberry Pi)."""
    station.write_config(station.config_file.read_text()
                         .replace("[audio]\n", "[audio]\nspeech_filter = true\n"))
    request = worker_request(station.config(),
                             Notice("Chiều nay họp tổ dân phố tại nhà văn hóa.", chime="default"))
    done = subprocess.run([WORKER_ARGV[0], "-X", "importtime", *WORKER_ARGV[1:]],
                          input=request, capture_output=True, text=True, cwd=station.root,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    program = RenderedProgram.from_dict(json.loads(done.stdout))
    assert program.path.is_file()
    assert program.duration_s > 3  # chime and speech
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert {"broadcaster.speech.loudness", "broadcaster.speech.iir"} <= imported
    assert not {name for name in imported if name.split(".")[0] in ("scipy", "pyloudnorm")}
