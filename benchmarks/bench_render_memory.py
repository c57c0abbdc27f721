"""Rendering the longest notice allowed (SPEC §9): peak RSS of the render worker ≤ 150 MB
at `max_chars` = 200,000 characters, speech streamed to the cache by sentence group.

Run: `.venv/bin/python -m benchmarks.bench_render_memory [--chars N ...]` (default: 20,000
and 200,000; the longest takes a few minutes). Each notice is distinct sentences (those of
bench_speech, numbers varying, so no sentence group comes from another's cache) rendered
by espeak-ng in the real worker process (`python -m broadcaster.speech.worker`, as the
daemon runs it) for a fresh station: 48 kHz stereo, speech filter on, -16 LUFS. Prints the
worker's peak RSS, the wall time, the program's length, its loudness error and its peak,
read back a block at a time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.bench_speech import SENTENCES
from broadcaster.config import load_config
from broadcaster.speech import loudness
from broadcaster.speech.render import Notice
from tests.support.render import render_in_measured_worker, voice_loudness_and_peak

CONFIG = """\
[station]
data_dir = "data"
[audio]
sample_rate = 48000
channels = 2
loudness_lufs = -16.0
speech_filter = true
[tts]
engines = ["espeak"]
max_chars = 200000
cache_max_mb = 100000
"""
TARGET_MB = 150


def notice_of(chars: int) -> str:
    """bench_speech's sentences with their numbers varying, cut at a sentence end."""
    parts: list[str] = []
    length, index = 0, 0
    while True:
        template = SENTENCES[index % len(SENTENCES)]
        sentence = template.format(n=100 + index, d=1 + index % 28, n2=1 + index % 9,
                                   h=6 + index % 4, h2=14 + index % 4, m=1 + index % 9,
                                   p=10 + index % 90, k=1 + index % 7, n3=100 + index)
        if length + len(sentence) + 1 > chars:
            return " ".join(parts)
        parts.append(sentence)
        length += len(sentence) + 1
        index += 1


def measure(chars: int) -> tuple[str, str, str, str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        config_file = Path(tmp) / "broadcaster.toml"
        config_file.write_text(CONFIG, encoding="utf-8")
        config = load_config(config_file)
        text = notice_of(chars)
        began = time.monotonic()
        program, peak_mb = render_in_measured_worker(config, Notice(text), timeout_s=7200)
        wall_s = time.monotonic() - began
        lufs, peak = voice_loudness_and_peak(program)
    error = lufs + loudness.channel_gain_db(config.audio.channels) - config.audio.loudness_lufs
    return (f"{len(text):,} chars, {program.duration_s / 3600:.2f} h of audio",
            f"{peak_mb:.0f} MB", f"{wall_s:.0f} s", f"{error:+.2f} LU", f"{peak:.2f} dBFS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, action="append",
                        help="notice length in characters (repeatable)")
    sizes = parser.parse_args().chars or [20_000, 200_000]
    rows = [measure(chars) for chars in sizes]
    print(f"espeak-ng, 48 kHz stereo, speech filter, -16 LUFS; peak RSS target ≤ {TARGET_MB} MB")
    print(f"| {'notice':34} | {'peak RSS':>8} | {'wall':>6} | {'loudness':>9} | {'peak':>11} |")
    print(f"| {'-' * 34} | {'-' * 8} | {'-' * 6} | {'-' * 9} | {'-' * 11} |")
    for what, rss, wall, error, peak in rows:
        print(f"| {what:34} | {rss:>8} | {wall:>6} | {error:>9} | {peak:>11} |")


if __name__ == "__main__":
    main()
