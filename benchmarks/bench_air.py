"""Playout: memory of airing a 60-minute file, and emergency cut-in latency.

SPEC §9 targets: peak RSS of the process airing a 60-min 44.1 kHz stereo file ≤ 55 MB
(pydub loading it whole, measured beside it: about 1.25 GB); emergency, command → first
emergency block handed to the device while another item airs, median ≤ 350 ms, of which
the player's part (request → first block, the 200 ms fade included) measured here has
about 220 ms (issue 13's budget; benchmarks.bench_emergency measures the whole path).

Run: `PYTHONPATH=. python -m benchmarks.bench_air [--minutes 60] [--tries 10]`.
It uses the test sound devices (tests/support/sound.py): the ALSA capture file for the
memory run (the capture is then compared with the source, sample for sample) and a
PulseAudio null sink for the latency (needs pulseaudio, pulseaudio-utils,
libasound2-plugins). Each memory figure is one child process's peak RSS (its VmHWM).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile

from tests.support.sound import (
    CAPTURE_ENV,
    NullSink,
    rescan_devices,
    use_test_sound_devices,
    write_tone,
)

RATE = 44100

AIR_CHILD = """
import sys
from pathlib import Path
from broadcaster.air import air
from broadcaster.config import parse_config
text = '[audio]\\ndevice = "capture"\\nsample_rate = 44100\\nchannels = 2\\n'
text += '[amplifier]\\nwarmup_s = 0\\nhold_s = 0\\n'
air(parse_config(text, Path(sys.argv[2]) / "broadcaster.toml"), Path(sys.argv[1]))
"""

PYDUB_CHILD = """
import sys
from pydub import AudioSegment
segment = AudioSegment.from_file(sys.argv[1])
"""

# The child's own peak (VmHWM of its address space): getrusage's maxrss would include the
# parent's pages, which Linux carries over into a child through fork and exec.
PEAK = """
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def write_long_file(path: Path, minutes: float) -> None:
    """A stereo 16-bit WAV of `minutes`, written a minute at a time (a tone with noise)."""
    rng = np.random.default_rng(7)
    with soundfile.SoundFile(str(path), "w", RATE, 2, subtype="PCM_16") as out:
        for minute in range(int(minutes)):
            t = np.arange(minute * 60 * RATE, (minute + 1) * 60 * RATE) / RATE
            tone = 0.3 * np.sin(2 * np.pi * (220 + minute) * t)
            noise = 0.05 * rng.standard_normal((t.size, 2))
            out.write((tone[:, None] + noise).astype(np.float32))


def child_peak_rss_mb(code: str, *args: str, env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of `python -c code args` in a child process."""
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code + PEAK, *args], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed: {done.stderr.strip()[-500:]}")
    return int(done.stdout.split()[-1]) / 1024, time.monotonic() - began


def same_audio(source: Path, capture: Path) -> bool:
    """Sample-for-sample equality, read in blocks; the capture may end in the device's
    closing silence."""
    with soundfile.SoundFile(str(source)) as a, soundfile.SoundFile(str(capture)) as b:
        if b.frames < a.frames or b.samplerate != a.samplerate:
            return False
        for block in a.blocks(blocksize=RATE * 10, dtype="int16"):
            if not np.array_equal(block, b.read(len(block), dtype="int16")):
                return False
        return not b.read(dtype="int16").any()


def memory(folder: Path, minutes: float) -> list[tuple[str, str, str]]:
    source = folder / "long.wav"
    write_long_file(source, minutes)
    capture = folder / "capture.wav"
    env = {**os.environ, CAPTURE_ENV: str(capture),
           "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")])}
    ours, ours_s = child_peak_rss_mb(AIR_CHILD, str(source), str(folder / "station"), env=env)
    equal = same_audio(source, capture)
    capture.unlink()
    pydub, pydub_s = child_peak_rss_mb(PYDUB_CHILD, str(source), env=env)
    label = f"{minutes:g}-min 44.1 kHz stereo WAV"
    return [
        (f"peak RSS, broadcaster air, {label}", f"{ours:.0f} MB ({ours_s:.0f} s)",
         "≤ 55 MB" + ("" if equal else "  CAPTURE DIFFERS FROM SOURCE")),
        (f"peak RSS, pydub AudioSegment.from_file, {label}", f"{pydub:.0f} MB ({pydub_s:.0f} s)",
         "(comparison)"),
        ("captured audio equals the source", "yes" if equal else "NO", "yes"),
    ]


def latency(folder: Path, tries: int) -> list[tuple[str, str, str]]:
    from broadcaster.air import (
        AirEvent,
        EventKind,
        FileSource,
        OutputFormat,
        Player,
        SoundOutput,
    )

    missing = NullSink.available()
    if missing:
        return [("emergency latency", f"not measured: {missing}", "≤ ~220 ms")]
    write_tone(folder / "music.wav", 30.0, hz=330, channels=2)
    write_tone(folder / "storm.wav", 0.3, hz=880, channels=2)
    sink = NullSink(use_test_sound_devices())
    sink.start()
    rescan_devices()
    measured: list[float] = []
    started = threading.Event()
    began = [0.0]

    def record(event: AirEvent) -> None:
        if event.kind is EventKind.STARTED and event.title == "storm.wav":
            measured.append(event.at - began[0])
            started.set()

    try:
        output = SoundOutput("nullsink", OutputFormat(48000, 2), block_frames=1024,
                             latency=0.1)
        with Player(output, on_event=record) as player:
            player.start()
            for _ in range(tries):
                music = player.play(FileSource(folder / "music.wav"))
                time.sleep(0.5 + random.random())
                started.clear()
                began[0] = time.monotonic()
                player.request_emergency(FileSource(folder / "storm.wav"))
                started.wait(timeout=5)
                time.sleep(0.5)  # the emergency ends, the music resumes
                player.stop(music)
                player.wait_idle(timeout=5)
    finally:
        sink.stop()
    if not measured:
        return [("emergency latency", "no emergency reached the device", "≤ ~220 ms")]
    ms = [m * 1000 for m in measured]
    return [(f"emergency request → first block to device ({len(ms)} tries, null sink)",
             f"median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms", "≤ ~220 ms")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args()
    use_test_sound_devices()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-air-") as tmp:
        folder = Path(tmp)
        rows += memory(folder, args.minutes)
        rows += latency(folder, args.tries)
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    print(f"{'what':<{width}}  {'measured':<{value_width}}  target")
    for what, value, target in rows:
        print(f"{what:<{width}}  {value:<{value_width}}  {target}")


if __name__ == "__main__":
    main()
