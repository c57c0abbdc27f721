"""`scripts/try` on a machine with no sound card (issue 10): the station airs where the
script says, also when a desktop's PulseAudio server runs (ALSA's pulse hook used to
send "default" there and leave the file untouched), and in real time when PulseAudio is
installed (the ALSA file device took a 10-minute notice in two seconds).

The script's own `sound` step is run (what `scripts/try` does before it starts the
daemon), then a program plays through ALSA's "default" as the daemon would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.support.sound import NullSink

TRY = Path(__file__).resolve().parents[1] / "scripts" / "try"
PLAY = """\
import sys, time
import numpy as np, sounddevice
seconds = float(sys.argv[1])
t = np.arange(round(seconds * 48000)) / 48000
tone = np.repeat((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None], 2, axis=1)
began = time.monotonic()
with sounddevice.OutputStream(samplerate=48000, channels=2, dtype="float32") as stream:
    stream.write(tone)
    stream.write(np.zeros((9600, 2), dtype=np.float32))  # the daemon's tail of silence
print(time.monotonic() - began)
"""


@pytest.fixture
def no_sound_card() -> None:
    listed = subprocess.run(["aplay", "-l"], capture_output=True, text=True, check=False)
    if any(line.startswith("card") for line in listed.stdout.splitlines()):
        pytest.skip("this machine has a sound card: scripts/try airs through it")


@pytest.fixture
def out(tmp_path: Path) -> Iterator[Path]:
    """scripts/try's out/ folder for this test; `scripts/try stop` on the way out."""
    folder = tmp_path / "out"
    yield folder
    subprocess.run([str(TRY), "stop"], env={**os.environ, "BROADCASTER_TRY_OUT": str(folder)},
                   capture_output=True, check=False, timeout=30)


def try_sound(out: Path, env: dict[str, str]) -> tuple[str, str]:
    """`scripts/try sound`: what it told the operator, and the ALSA_CONFIG_PATH it chose."""
    done = subprocess.run([str(TRY), "sound"], capture_output=True, text=True, timeout=60,
                          env={**env, "BROADCASTER_TRY_OUT": str(out)}, check=False)
    assert done.returncode == 0, done.stderr
    key, _, path = done.stdout.strip().partition("=")
    assert key == "ALSA_CONFIG_PATH" and path == str(out / "asoundrc"), done.stdout
    return done.stderr, path


def play_default(seconds: float, alsa_config: str, env: dict[str, str]) -> float:
    """Play a tone through ALSA's "default" as the daemon does; the seconds it took."""
    done = subprocess.run([sys.executable, "-c", PLAY, str(seconds)], capture_output=True,
                          text=True, timeout=60, check=False,
                          env={**env, "ALSA_CONFIG_PATH": alsa_config})
    assert done.returncode == 0, done.stderr
    return float(done.stdout)


def tone_seconds(path: Path) -> float:
    """How long the tone in the recording lasts (from its first loud frame to its last)."""
    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    (loud,) = np.nonzero(np.abs(samples).max(axis=1) > 0.1)
    return float(loud[-1] - loud[0] + 1) / rate if len(loud) else 0.0


def without_pulseaudio(folder: Path) -> str:
    """A PATH with every program of this machine except PulseAudio's."""
    folder.mkdir()
    for directory in ("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        for program in Path(directory).glob("*"):
            target = folder / program.name
            if program.name not in ("pulseaudio", "parec", "pactl") and not target.exists():
                target.symlink_to(program)
    return str(folder)


@pytest.mark.usefixtures("no_sound_card")
def test_without_pulseaudio_it_airs_into_the_file_even_beside_a_desktop_sound_server(
        tmp_path: Path, out: Path, null_sink: NullSink) -> None:
    desktop = {**os.environ, "PULSE_SERVER": f"unix:{null_sink.socket}",
               "PATH": without_pulseaudio(tmp_path / "bin")}
    told, alsa_config = try_sound(out, desktop)
    assert f"airs into {out / 'on-air.wav'}" in told
    assert "FASTER THAN REAL TIME" in told  # and so the as-run times are not real
    play_default(0.5, alsa_config, desktop)
    assert tone_seconds(out / "on-air.wav") == pytest.approx(0.5, abs=0.02)


@pytest.mark.slow
@pytest.mark.usefixtures("no_sound_card")
def test_with_pulseaudio_it_airs_in_real_time_into_its_own_recording(
        out: Path, null_sink: NullSink) -> None:
    desktop = {**os.environ, "PULSE_SERVER": f"unix:{null_sink.socket}"}
    told, alsa_config = try_sound(out, desktop)
    assert f"airs in real time into {out / 'on-air.flac'}" in told
    took = play_default(1.0, alsa_config, desktop)
    assert took >= 1.0  # paced like a sound card, not written as fast as it comes
    stopped = subprocess.run([str(TRY), "stop"], capture_output=True, text=True, timeout=30,
                             env={**os.environ, "BROADCASTER_TRY_OUT": str(out)}, check=False)
    assert stopped.returncode == 0, stopped.stderr
    assert tone_seconds(out / "on-air.flac") == pytest.approx(1.0, abs=0.05)
