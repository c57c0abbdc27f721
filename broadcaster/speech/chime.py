"""The station's attention chime, synthesised here so the project owns every sample of it.

Four bell strikes rising (G4 C5 E5 G5), each a few inharmonic partials with an
exponential decay, the way a struck bar sounds. `python -m broadcaster.speech.chime OUT`
writes it to a WAV file (that is how `audio/chime.wav` was made).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from broadcaster.config import Config

NOTES_HZ = (392.00, 523.25, 659.25, 783.99)
STRIKE_INTERVAL_S = 0.42
RING_S = 1.6
STATION_CHIME = "chime.wav"  # a station's own chime, in its audio folder
MADE_CHIME = "chime-default.wav"  # the synthesised one, in the cache folder
MAKE_TIMEOUT_S = 60.0
# (frequency ratio, relative amplitude, decay time constant in s) of a struck bar
PARTIALS = ((1.0, 1.0, 0.55), (2.76, 0.35, 0.22), (5.40, 0.12, 0.10), (2.0, 0.18, 0.35))


def chime(rate: int) -> npt.NDArray[np.float32]:
    """The chime as mono float32 at `rate` Hz, peak 0.5 (the renderer sets its loudness)."""
    import numpy as np

    total = int((STRIKE_INTERVAL_S * (len(NOTES_HZ) - 1) + RING_S) * rate)
    out = np.zeros(total, dtype=np.float64)
    t = np.arange(int(RING_S * rate)) / rate
    attack = np.minimum(1.0, t / 0.004)  # 4 ms onset: no click
    for index, note in enumerate(NOTES_HZ):
        strike = np.zeros_like(t)
        for ratio, amplitude, decay in PARTIALS:
            strike += amplitude * np.exp(-t / decay) * np.sin(2 * np.pi * note * ratio * t)
        start = int(index * STRIKE_INTERVAL_S * rate)
        out[start:start + t.size] += attack * strike
    fade = min(total, int(0.05 * rate))
    out[-fade:] *= np.linspace(1.0, 0.0, fade)
    out *= 0.5 / np.max(np.abs(out))
    return out.astype(np.float32)


def write_chime(path: Path, rate: int = 48000) -> None:
    """The chime as a 16-bit mono WAV, written to a temporary name and renamed into place."""
    import soundfile

    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # two writers
    soundfile.write(str(tmp), chime(rate), rate, subtype="PCM_16", format="WAV")
    tmp.replace(path)


def chime_file(config: Config, source: str = "default") -> Path:
    """The one answer to "which chime": a file under audio_dir, or for "default" the
    station's `audio_dir/chime.wav`, else this synthesised chime (written once into the
    cache). The daemon, `air --text` and `tts --chime` all ring what this returns."""
    if source != "default":
        return config.audio_dir / source
    own = config.audio_dir / STATION_CHIME
    if own.is_file():
        return own
    made = config.cache_dir / MADE_CHIME
    if not made.is_file():
        made.parent.mkdir(parents=True, exist_ok=True)
        write_chime(made)
    return made


def make_ahead(config: Config) -> None:
    """For the daemon's start: the synthesised chime written into the cache if the station
    rings it and it is not there yet, by a child process (the daemon need not load numpy
    for it), so the first emergency's chime is a file already, not synthesised on its way
    to air. A child that fails changes nothing: `chime_file` makes it when it is asked."""
    made = config.cache_dir / MADE_CHIME
    if (config.audio_dir / STATION_CHIME).is_file() or made.is_file():
        return
    try:
        made.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "broadcaster.speech.chime", str(made)],
                       capture_output=True, check=False, timeout=MAKE_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("audio/chime.wav")
    write_chime(out)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
