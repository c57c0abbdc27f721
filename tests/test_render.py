"""A notice rendered for air: loudness, peaks, repeats, chime, band filter, the cache."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from broadcaster.config import Config
from broadcaster.speech import engines
from broadcaster.speech.cache import SpeechCache
from broadcaster.speech.chime import chime
from broadcaster.speech.render import Notice, export, render_notice
from tests.support.audio import band_energy_ratio, loudness_and_peak, read
from tests.support.station import make_station

NOTICE = ("Thông báo: ủy ban nhân dân xã tổ chức tiêm phòng dại cho chó mèo "
          "vào sáng thứ bảy tại nhà văn hóa thôn. Đề nghị bà con đưa vật nuôi đến đúng giờ.")
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("lufs", "rate", "channels"), [
    (-16.0, 48000, 2), (-23.0, 44100, 2), (-14.0, 48000, 1), (-18.0, 22050, 1),
])
def test_rendered_notice_meets_loudness_target_and_peak_ceiling(
        tmp_path: Path, lufs: float, rate: int, channels: int) -> None:
    station = make_station(tmp_path, rate=rate, channels=channels, lufs=lufs)
    program = render_notice(station.config(), Notice(NOTICE, repeat=2, gap_s=1.0,
                                                     chime="default"))
    measured, peak = loudness_and_peak(program.path)
    assert abs(measured - lufs) <= 1.0
    assert peak <= -1.0
    info = soundfile.info(str(program.path))
    assert (info.samplerate, info.channels, info.frames) == (rate, channels, program.frames)


def test_repeats_are_identical_and_separated_by_the_gap(tmp_path: Path) -> None:
    station = make_station(tmp_path, channels=1)
    once = render_notice(station.config(), Notice(NOTICE, chime="default"))
    thrice = render_notice(station.config(), Notice(NOTICE, repeat=3, gap_s=2.0,
                                                    chime="default"))
    gap = 2 * 48000
    assert thrice.frames == 3 * once.frames + 2 * gap
    assert thrice.restart_points == (0, once.frames + gap, 2 * (once.frames + gap))
    samples, _ = read(thrice.path)
    first = samples[:once.frames]
    second = samples[once.frames + gap: 2 * once.frames + gap]
    assert np.array_equal(first, second)
    assert not samples[once.frames: once.frames + gap].any()
    assert thrice.restart_frame(once.frames + gap + 100) == once.frames + gap


def test_notice_starts_with_the_chime_when_asked(tmp_path: Path) -> None:
    station = make_station(tmp_path, channels=1)
    program = render_notice(station.config(), Notice(NOTICE, chime="default"))
    samples, rate = read(program.path)
    bell = samples[: int(0.3 * rate), 0]
    peak_hz = np.fft.rfftfreq(bell.size, 1 / rate)[np.argmax(np.abs(np.fft.rfft(bell)))]
    assert abs(peak_hz - 392.0) < 10  # the first strike, G4


def test_speech_filter_takes_out_what_horns_cannot_play(tmp_path: Path) -> None:
    plain = make_station(tmp_path / "plain", channels=1)
    horn = make_station(tmp_path / "horn", channels=1)
    horn.write_config(horn.config_file.read_text().replace(
        "[audio]\n", "[audio]\nspeech_filter = true\n"))
    full, rate = read(render_notice(plain.config(), Notice(NOTICE)).path)
    banded, _ = read(render_notice(horn.config(), Notice(NOTICE)).path)
    assert band_energy_ratio(banded, rate, 0, 150) < 0.2 * band_energy_ratio(full, rate, 0, 150)
    assert band_energy_ratio(banded, rate, 300, 3400) > 0.7


def test_repeat_comes_from_the_cache_even_after_a_restart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    station = make_station(tmp_path)
    first = render_notice(station.config(), Notice(NOTICE))
    calls: list[str] = []
    original = engines.EspeakEngine.synthesize

    def counting(self: engines.EspeakEngine, text: str) -> engines.Pcm:
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(engines.EspeakEngine, "synthesize", counting)
    again = render_notice(station.config(), Notice(NOTICE))  # a fresh config: as after a restart
    assert again == first
    assert calls == []
    # the same speech with another presentation reuses the spoken sentences
    render_notice(station.config(), Notice(NOTICE, repeat=2, gap_s=1.0))
    assert calls == []


def test_cache_drops_least_recently_used_entries_first(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path, max_bytes=2500)
    for index, name in enumerate(["old", "used", "new"]):
        path = cache.store(name * 10, ".bin", lambda tmp: tmp.write_bytes(b"x" * 1000))
        os.utime(path, (time.time() - 100 + index, time.time() - 100 + index))
    assert cache.lookup("used" * 10, ".bin") is not None  # touching it makes it recent
    cache.evict()
    assert cache.lookup("old" * 10, ".bin") is None
    assert cache.lookup("used" * 10, ".bin") is not None
    assert cache.lookup("new" * 10, ".bin") is not None


def test_cache_write_interrupted_leaves_no_entry(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path, max_bytes=10**6)

    def dies(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("power cut")

    with pytest.raises(OSError, match="power cut"):
        cache.store("k" * 64, ".wav", dies)
    assert cache.lookup("k" * 64, ".wav") is None
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_export_writes_wav_and_mp3(tmp_path: Path) -> None:
    station = make_station(tmp_path / "s")
    program = render_notice(station.config(), Notice(NOTICE))
    export(program, tmp_path / "out.wav")
    export(program, tmp_path / "out.mp3")
    assert (tmp_path / "out.wav").read_bytes() == program.path.read_bytes()
    decoded, rate = read(tmp_path / "out.mp3")
    assert rate == 48000
    assert abs(decoded.shape[0] - program.frames) < 0.1 * program.frames


def test_shipped_chime_is_the_generated_one() -> None:
    shipped, rate = soundfile.read(str(REPO / "audio" / "chime.wav"), dtype="int16")
    generated = np.round(chime(rate) * 32767).astype(np.int16)
    assert rate == 48000
    assert np.abs(shipped.astype(np.int32) - generated).max() <= 1


def test_chime_file_under_audio_dir(tmp_path: Path) -> None:
    station = make_station(tmp_path)
    config: Config = station.config()
    soundfile.write(str(config.audio_dir / "nhac-hieu.wav"), chime(16000), 16000)
    program = render_notice(config, Notice(NOTICE, chime="nhac-hieu.wav"))
    assert program.restart_points == (0,)
    assert program.frames > 2 * 48000
