"""A notice's program: chime, lead, voice, gaps between repetitions, and its WAV.

The layout is a list of parts (what, frames); from it come the RenderedProgram's restart
points and silences, and the WAV, written a block at a time with the voice copied from
its file for each repetition (a notice can be hours long: nothing is held whole).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from broadcaster.model import RenderedProgram

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from broadcaster.config import Config
    from broadcaster.speech.loudness import Samples
    from broadcaster.speech.render import Notice

LEAD_S = 0.4  # between the chime and the speech
BLOCK_FRAMES = 65536


def pcm16(samples: Samples) -> npt.NDArray[np.int16]:
    """float → 16-bit as libsndfile writes it (×32767, rounded to nearest)."""
    import numpy as np

    return np.asarray(np.rint(np.clip(samples, -1.0, 1.0) * 32767), dtype="<i2")


# A program is parts in order, each (what, frames); every repetition starts at the
# beginning or right after a gap.
Part = tuple[Literal["gap", "bell", "lead", "voice"], int]


def program_parts(notice: Notice, rate: int, bell: int | None, voice: int) -> list[Part]:
    parts: list[Part] = []
    for index in range(notice.repeat):
        if index:
            parts.append(("gap", int(notice.gap_s * rate)))
        if bell is not None:
            parts += [("bell", bell), ("lead", int(LEAD_S * rate))]
        parts.append(("voice", voice))
    return parts


def program_of(path: Path, config: Config, engine: str, parts: list[Part]) -> RenderedProgram:
    restart_points = [0]
    silences: list[tuple[int, int]] = []
    position = 0
    for what, frames in parts:
        position += frames
        if what == "gap":
            silences.append((position - frames, position))
            restart_points.append(position)
    return RenderedProgram(path=path, sample_rate=config.audio.sample_rate,
                           channels=config.audio.channels, frames=position,
                           restart_points=tuple(restart_points), engine=engine,
                           silences=tuple(silences))


def write_program(path: Path, parts: list[Part], bell: Samples | None, voice: IO[bytes],
                   rate: int, channels: int) -> None:
    """Write the parts as one `channels`-channel 16-bit WAV, a block at a time (the voice
    is copied from its file for each repetition)."""
    import numpy as np
    import soundfile

    with soundfile.SoundFile(str(path), "w", samplerate=rate, channels=channels,
                             subtype="PCM_16", format="WAV") as out:
        for what, frames in parts:
            for block in _part_blocks(what, frames, bell, voice):
                out.write(np.repeat(block[:, None], channels, axis=1))


def _part_blocks(what: str, frames: int, bell: Samples | None,
                 voice: IO[bytes]) -> Iterator[npt.NDArray[np.int16]]:
    import numpy as np

    if what == "voice":
        voice.seek(0)
        while data := voice.read(2 * BLOCK_FRAMES):
            yield np.frombuffer(data, dtype="<i2")
    elif what == "bell" and bell is not None:
        yield pcm16(bell)
    else:
        for start in range(0, frames, BLOCK_FRAMES):
            yield np.zeros(min(BLOCK_FRAMES, frames - start), dtype="<i2")
