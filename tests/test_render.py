"""A notice rendered for air: loudness, peaks, repeats, chime, band filter, the cache."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from broadcaster.config import Config
from broadcaster.speech import engines, render, speak
from broadcaster.speech.cache import SpeechCache
from broadcaster.speech.chime import chime, chime_file
from broadcaster.speech.export import export
from broadcaster.speech.loudness import LIMIT_MARGIN_DB, PEAK_CEILING_DBFS
from broadcaster.speech.render import Notice, engine_chain, reading_form, render_notice
from broadcaster.speech.speak import Hear, Speech, split_sentences
from tests.support.audio import band_energy_ratio, loudness_and_peak, read
from tests.support.station import make_station

NOTICE = ("Thông báo: ủy ban nhân dân xã tổ chức tiêm phòng dại cho chó mèo "
          "vào sáng thứ bảy tại nhà văn hóa thôn. Đề nghị bà con đưa vật nuôi đến đúng giờ.")
REPO = Path(__file__).resolve().parent.parent
# Several sentence groups (CHUNK_CHARS each at most): the voice is streamed across them.
LONG_NOTICE = " ".join([
    "Ủy ban nhân dân xã thông báo lịch tiêm phòng cho đàn gia cầm trong toàn xã.",
    "Bà con mang theo sổ theo dõi, đến đúng giờ và giữ trật tự tại điểm tiêm.",
    "Đường liên thôn sẽ được sửa trong tuần tới, xe tải đi đường vòng qua chợ.",
    "Hội phụ nữ xã mời chị em dự buổi tập huấn về nuôi dạy con tại hội trường.",
    "Trạm y tế khám sức khỏe miễn phí cho người cao tuổi vào sáng chủ nhật.",
    "Đề nghị các hộ gia đình thu gom rác đúng nơi quy định, không đốt rác.",
    "Mùa mưa bão đã đến, bà con kiểm tra mái nhà và chằng chống cẩn thận.",
    "Các cháu học sinh không tắm sông, không chơi gần ao hồ khi trời mưa to.",
    "Ban chỉ huy quân sự xã nhắc thanh niên trong độ tuổi đến đăng ký đúng hạn.",
    "Mọi thắc mắc xin liên hệ văn phòng ủy ban nhân dân xã trong giờ hành chính.",
] * 2)
CEILING_DBFS = PEAK_CEILING_DBFS - LIMIT_MARGIN_DB


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


@pytest.mark.parametrize(("lufs", "rate", "channels", "speech_filter"), [
    (-16.0, 48000, 2, True), (-14.0, 44100, 1, False), (-23.0, 22050, 2, False),
])
def test_a_streamed_notice_is_on_target_within_0_3_lu_and_under_the_ceiling(
        tmp_path: Path, lufs: float, rate: int, channels: int, speech_filter: bool) -> None:
    station = make_station(tmp_path, rate=rate, channels=channels, lufs=lufs)
    if speech_filter:
        station.write_config(station.config_file.read_text().replace(
            "[audio]\n", "[audio]\nspeech_filter = true\n"))
    config = station.config()
    assert len(split_sentences(reading_form(config, LONG_NOTICE))) >= 4
    program = render_notice(config, Notice(LONG_NOTICE, repeat=2, gap_s=1.0))
    measured, peak = loudness_and_peak(program.path)
    assert abs(measured - lufs) <= 0.3
    assert peak <= CEILING_DBFS + 1e-3


def test_a_short_notice_keeps_its_shape(tmp_path: Path) -> None:
    """Chime, lead, voice at the output rate, gaps: the frames rendering it whole gave."""
    station = make_station(tmp_path, channels=1)
    config = station.config()
    program = render_notice(config, Notice(NOTICE, repeat=3, gap_s=2.5, chime="default"))
    espeak = engine_chain(config)[0]
    spoken = sum(espeak.synthesize(chunk).samples.size
                 for chunk in split_sentences(reading_form(config, NOTICE)))
    voice = soxr.resample(np.zeros(spoken, np.float32), 22050, 48000).shape[0]
    bell = soundfile.info(str(chime_file(config))).frames
    one, gap = bell + int(0.4 * 48000) + voice, int(2.5 * 48000)
    assert program.frames == 3 * one + 2 * gap
    assert program.restart_points == (0, one + gap, 2 * (one + gap))
    assert program.silences == ((one, one + gap), (2 * one + gap, 2 * (one + gap)))


def test_a_sentence_group_the_cache_lost_meanwhile_is_spoken_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = render_notice(make_station(tmp_path / "whole").config(), Notice(LONG_NOTICE))
    station = make_station(tmp_path / "evicted")

    def and_another_render_evicts_a_group(engine: engines.SpeechEngine, text: str,
                                           cache: SpeechCache, hear: Hear) -> Speech:
        speech = speak.speak_with(engine, text, cache, hear)
        cache.path(speech.chunk_keys[1], ".wav").unlink()
        return speech

    monkeypatch.setattr(render, "speak_with", and_another_render_evicts_a_group)
    program = render_notice(station.config(), Notice(LONG_NOTICE))
    assert program.frames == whole.frames
    assert np.array_equal(read(program.path)[0], read(whole.path)[0])


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
