"""Live microphone latency, input block to output block, through a real loop on this machine.

There is no sound card here: a PulseAudio server (started and stopped here) has two null
sinks. Tone bursts are played into `mic`, whose monitor is the `pulse` ALSA input the live
session records; the player airs it to the `air` sink. Both monitors are recorded with
parec, each stream's frames put on the clock by the earliest arrival of its chunks, and
each burst's onset is found in both: the difference is the live path (PortAudio input,
ring, gate and limiter, the player's block, the output's buffer, the pulse plugin).

The ALSA hardware figure (designed ≈ 38 ms, see broadcaster/air/live.py) is not
measurable here.

    .venv/bin/python -m benchmarks.bench_live [--bursts 40]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

from tests.support.sound import (
    running_null_sink,
    use_test_sound_devices,
)

RATE = 48000
CHUNK = 240  # frames parec is read by (5 ms)
SPACING_S = 0.5


class Listener:
    """parec on one monitor: its frames, and when (monotonic) frame 0 was recorded."""

    def __init__(self, device: str, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            ["parec", f"--device={device}", "--format=s16le", f"--rate={RATE}",
             "--channels=1", "--latency-msec=5"], stdout=subprocess.PIPE, env=env)
        self._chunks: list[bytes] = []
        self._frames = 0
        self.t0 = float("inf")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        out = self._process.stdout
        assert out is not None
        while chunk := out.read(CHUNK * 2):
            arrived = time.monotonic()
            self._frames += len(chunk) // 2
            self.t0 = min(self.t0, arrived - self._frames / RATE)  # the least delayed read
            self._chunks.append(chunk)

    def stop(self) -> npt.NDArray[np.float64]:
        self._process.terminate()
        self._thread.join(timeout=5)
        return np.frombuffer(b"".join(self._chunks), dtype="<i2").astype(np.float64) / 32768


def onsets(samples: npt.NDArray[np.float64], level: float = 0.1) -> list[int]:
    loud = np.flatnonzero(np.abs(samples) > level)
    if loud.size == 0:
        return []
    starts = loud[np.concatenate([[True], np.diff(loud) > RATE * SPACING_S / 2])]
    return [int(start) for start in starts]


def bursts(path: Path, count: int) -> None:
    """`count` 10 ms bursts of 1 kHz, SPACING_S apart, after half a second of silence."""
    total = round((count * SPACING_S + 1.0) * RATE)
    signal = np.zeros(total, dtype=np.float32)
    t = np.arange(round(0.01 * RATE)) / RATE
    burst = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    for k in range(count):
        at = round((0.5 + k * SPACING_S) * RATE)
        signal[at:at + burst.size] = burst
    soundfile.write(str(path), signal, RATE, subtype="PCM_16")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=40)
    args = parser.parse_args()
    folder = use_test_sound_devices()
    from broadcaster.air import OutputFormat, Player, SoundOutput
    from broadcaster.air.live import LiveSession

    with running_null_sink() as sink:
        env = sink.env
        subprocess.run(["pactl", "load-module", "module-null-sink", "sink_name=mic",
                        f"rate={RATE}", "channels=1"], env=env, check=True, capture_output=True)
        subprocess.run(["pactl", "set-default-source", "mic.monitor"], env=env, check=True)
        with Path("/dev/zero").open("rb") as zeros:
            silence = subprocess.Popen(
                ["pacat", "--playback", "--device=mic", "--raw", "--format=s16le",
                 f"--rate={RATE}", "--channels=1", "--latency-msec=10"], stdin=zeros, env=env)
        os.environ["PULSE_SERVER"] = env["PULSE_SERVER"]
        import sounddevice

        sounddevice._terminate()
        sounddevice._initialize()
        bursts(folder / "bursts.wav", args.bursts)
        session = LiveSession("pulse", title="bench")
        output = SoundOutput("nullsink", OutputFormat(RATE, 2))
        try:
            with Player(output) as player:
                player.start()
                player.go_live(session.source(), "live")
                while session.frames < RATE // 2:
                    time.sleep(0.05)
                heard, aired = Listener("mic.monitor", env), Listener("air.monitor", env)
                time.sleep(0.5)
                subprocess.run(["paplay", "--device=mic", str(folder / "bursts.wav")],
                               env=env, check=True)
                time.sleep(0.5)
                player.stop("live")
                player.wait_idle(timeout=10)
            said, on_air = heard.stop(), aired.stop()
        finally:
            silence.terminate()
            session.close()
    sent = [heard.t0 + frame / RATE for frame in onsets(said)]
    got = [aired.t0 + frame / RATE for frame in onsets(on_air)]
    latencies = []
    for moment in sent:
        later = [arrival - moment for arrival in got if 0 <= arrival - moment < SPACING_S / 2]
        if later:
            latencies.append(min(later) * 1000)
    if not latencies:
        raise SystemExit("no burst came through: see the PulseAudio log under " + str(folder))
    values = np.array(latencies)
    print(f"live latency through PulseAudio null sinks, {len(values)} of {len(sent)} bursts: "
          f"median {np.median(values):.1f} ms, p95 {np.percentile(values, 95):.1f} ms, "
          f"max {values.max():.1f} ms; counters {session.counters}; "
          f"output underflows {output.underflows}")
    print("ALSA hardware device: not measurable here (no sound card); designed ≈ 38 ms "
          "(see broadcaster/air/live.py)")


if __name__ == "__main__":
    main()
