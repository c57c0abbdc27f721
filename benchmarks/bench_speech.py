"""Offline speech: a 1,000-word notice normalized and rendered with espeak-ng, then from cache;
a one-line notice rendered by a fresh worker process, as the daemon renders every notice;
the speech band filter's speed.

SPEC §9 targets: ≤ 3 s rendered, ≤ 50 ms cached. Run: `.venv/bin/python -m benchmarks.bench_speech`.
Each cold run uses a fresh cache; the cached runs repeat the same notice. Prints medians.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from broadcaster.config import parse_config
from broadcaster.speech.loudness import speech_band_filter
from broadcaster.speech.normalize import normalize
from broadcaster.speech.render import Notice, reading_form, render_notice
from tests.support.render import render_in_measured_worker

CONFIG = """\
[station]
data_dir = "{data}"
[audio]
sample_rate = 48000
channels = 2
speech_filter = true
[tts]
engines = ["espeak"]
"""

SENTENCES = (
    "Thực hiện Kế hoạch số {n}/KH-UBND ngày {d}/11/2026 của UBND huyện, "
    "UBND xã thông báo lịch tiêm phòng đợt {n2} cho đàn gia cầm.",
    "Từ {h}h30 đến {h2}h00 ngày {d}/12/2026, Trạm Thú y và BCH Quân sự xã tiêm tại thôn {n2}.",
    "Mỗi liều vắc-xin trị giá {m}.500 đồng, ngân sách hỗ trợ {p}% cho hộ nghèo.",
    "Tạm ngừng cấp điện trên QL1A đoạn dài {k},5 km để sửa chữa đường dây.",
    "Mọi thắc mắc xin liên hệ số điện thoại 0912 345 {n3} hoặc Văn phòng HĐND - UBND xã.",
)


def thousand_word_notice() -> str:
    """Distinct sentences (numbers vary), so no sentence is served from another's cache."""
    parts: list[str] = []
    index = 0
    while sum(len(part.split()) for part in parts) < 1000:
        template = SENTENCES[index % len(SENTENCES)]
        parts.append(template.format(n=100 + index, d=1 + index % 28, n2=1 + index % 9,
                                     h=6 + index % 4, h2=14 + index % 4, m=1 + index % 9,
                                     p=10 + index % 90, k=1 + index % 7, n3=100 + index))
        index += 1
    return " ".join(parts)


def worker_renders(runs: int = 5) -> tuple[float, float]:
    """Median seconds for a fresh worker to render a new one-line notice (fresh cache,
    chime included), and the largest peak RSS of those workers in MB."""
    seconds: list[float] = []
    peaks: list[float] = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            config_file = Path(tmp) / "broadcaster.toml"
            config_file.write_text(CONFIG.format(data=tmp), encoding="utf-8")
            config = parse_config(config_file.read_text(encoding="utf-8"), config_file)
            start = time.perf_counter()
            _, peak_mb = render_in_measured_worker(
                config, Notice(f"Chiều nay họp tổ dân phố lần {run}.", chime="default"))
            seconds.append(time.perf_counter() - start)
            peaks.append(peak_mb)
    return statistics.median(seconds), max(peaks)


def band_s_per_hour(runs: int = 5) -> float:
    """Median seconds the speech band filter takes per hour of 22,050 Hz audio (espeak-ng's
    rate), fed 65,536 samples at a time as the renderer feeds it."""
    noise = np.random.default_rng(0).standard_normal(22050 * 120).astype(np.float32)
    seconds: list[float] = []
    for _ in range(runs):
        band = speech_band_filter(22050)
        start = time.perf_counter()
        for block in range(0, noise.size, 65536):
            band(noise[block:block + 65536])
        seconds.append((time.perf_counter() - start) * 30)
    return statistics.median(seconds)


def main() -> None:
    text = thousand_word_notice()
    words = len(text.split())
    normalize_ms: list[float] = []
    cold_s: list[float] = []
    warm_ms: list[float] = []
    audio_s = 0.0
    start = time.perf_counter()
    normalize(text)  # the first call compiles the patterns and loads the dictionary
    first_ms = (time.perf_counter() - start) * 1000
    for _ in range(21):
        start = time.perf_counter()
        normalize(text)
        normalize_ms.append((time.perf_counter() - start) * 1000)
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            config = parse_config(CONFIG.format(data=tmp), Path(tmp) / "broadcaster.toml")
            reading_form(config, text)
            start = time.perf_counter()
            program = render_notice(config, Notice(text, chime="default"))
            cold_s.append(time.perf_counter() - start)
            audio_s = program.duration_s
            for _ in range(5):
                start = time.perf_counter()
                render_notice(config, Notice(text, chime="default"))
                warm_ms.append((time.perf_counter() - start) * 1000)
    worker_s, worker_mb = worker_renders()
    band_s = band_s_per_hour()
    rows = [
        ("normalize 1,000 words (median of 21)", f"{statistics.median(normalize_ms):.1f} ms",
         "≤ 10 ms"),
        ("normalize 1,000 words, first call", f"{first_ms:.1f} ms", "—"),
        ("normalize + render (espeak-ng, cold cache)", f"{statistics.median(cold_s):.2f} s",
         "≤ 3 s"),
        ("same notice again (cached)", f"{statistics.median(warm_ms):.1f} ms", "≤ 50 ms"),
        ("one-line notice, fresh worker (median of 5)", f"{worker_s:.2f} s", "—"),
        ("that worker's peak RSS (largest of 5)", f"{worker_mb:.0f} MB", "—"),
        ("speech band filter, per hour of 22,050 Hz", f"{band_s:.2f} s", "—"),
    ]
    print(f"notice: {words} words, {len(text)} characters, {audio_s:.0f} s of audio "
          "at 48 kHz stereo, speech filter on; medians of 3 cold and 15 cached runs")
    print(f"| {'what':44} | {'measured':>10} | {'target':>8} |")
    print(f"| {'-' * 44} | {'-' * 10} | {'-' * 8} |")
    for what, measured, target in rows:
        print(f"| {what:44} | {measured:>10} | {target:>8} |")


if __name__ == "__main__":
    main()
