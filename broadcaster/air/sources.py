"""What the player can put on air, each decoded in small blocks at the output's format.

A source hands the player blocks shaped (frames, channels) at the output sample rate,
`Samples`: 16-bit integers (full scale 32768) from files, float32 (full scale 1.0) where
it computes them (fades, silence, relays, the microphone); an empty block means it has
ended. A 16-bit file at the output's rate goes to the device sample for sample, never
through float. Nothing here loads a whole file: soundfile reads WAV/FLAC/OGG/MP3 a chunk
at a time, ffmpeg decodes anything else through a pipe, and a stateful resampler (soxr)
converts the rate between chunks without clicks. Relays live in `relay.py`.
"""

from __future__ import annotations

import abc
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError, RenderedProgram

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Block = npt.NDArray[np.float32]  # float samples, full scale 1.0
    Pcm16 = npt.NDArray[np.int16]  # 16-bit samples, full scale 32768
    Samples = Block | Pcm16  # what a source hands the player

# Decoded at once: a decoder call's overhead is spread over many blocks, and a chunk of
# 16-bit stereo is 64 KB (0.37 s at 44.1 kHz)
CHUNK_FRAMES = 16384
MSG_MISSING = N_("{path}: audio file not found; check the path")
MSG_UNREADABLE = N_("{path}: cannot read the audio file ({reason}); check its permissions")
MSG_UNSUPPORTED = N_("{path}: not an audio format this station can play ({reason})")
MSG_NO_FFMPEG = N_("{path}: this format needs ffmpeg, which is not installed; "
                   "install the Debian package 'ffmpeg'")
MSG_NO_SOXR = N_("cannot convert {source} Hz to {target} Hz: the Python package 'soxr' is missing; "
                 "reinstall broadcaster with its dependencies")
MSG_DECODE_FAILED = N_("{path}: decoding failed ({reason})")


@dataclass(frozen=True)
class OutputFormat:
    """What the sound device takes: every source converts to this."""

    sample_rate: int
    channels: int

    def frames(self, seconds: float) -> int:
        return round(seconds * self.sample_rate)


class Emit(Protocol):
    """How a source reports something worth logging while it plays (e.g. a relay gap)."""

    def __call__(self, kind: str, detail: str, gap_s: float | None = None) -> None: ...


def _ignore(kind: str, detail: str, gap_s: float | None = None) -> None:
    """An `Emit` that drops what it is told."""


class Source(abc.ABC):
    """One thing on air. `open`, then `read` until an empty block, then `close`.

    `position` counts output frames from the start of the item (a resumed file
    starts counting where it resumed), so `position / sample_rate` is seconds into it.
    """

    kind: str = "audio"
    title: str = ""
    may_be_silent = False  # a pause is silent on purpose: no dead-air alarm

    def __init__(self) -> None:
        self.position = 0
        self.fmt = OutputFormat(48000, 2)

    @abc.abstractmethod
    def open(self, fmt: OutputFormat, emit: Emit = _ignore) -> None:
        """Prepare to read; raises OperatorError (one line) when it cannot play."""

    @abc.abstractmethod
    def read(self, frames: int) -> Samples:
        """Up to `frames` frames; fewer only at the end; empty once ended. The block may be
        a view of the source's buffer: valid until the next `read`; copy it to keep it."""

    def close(self) -> None:  # noqa: B027  # most sources have something to release
        """Release files and processes; safe to call twice."""

    @property
    def duration_s(self) -> float | None:
        """Length in seconds when known before the end (files, programs, relays)."""
        return None

    def resume_point(self, at_frame: int) -> tuple[int, int]:
        """Where a cut at `at_frame` resumes, as (part index, frame inside that part):
        a playlist names its part; any other source is its own part 0."""
        return 0, at_frame

    @abc.abstractmethod
    def resumed(self, at_frame: int, away_frames: int) -> Source:
        """A fresh source that carries on after an emergency cut this one.

        `at_frame` is the position where the fade-out began; `away_frames` counts the
        output frames aired since then (fade and emergency), for sources tied to the clock.
        """


# --- decoding ---------------------------------------------------------------------------


def as_float(samples: Samples) -> Block:
    """`samples` as float32 at full scale 1.0 (16-bit ones divided by 32768, exactly)."""
    import numpy as np

    if samples.dtype == np.float32:
        return samples  # type: ignore[return-value]  # the dtype says which of the two
    return np.multiply(samples, np.float32(1 / 32768), dtype=np.float32)


def as_pcm16(samples: Samples) -> Pcm16:
    """`samples` as 16-bit integers: float ones scaled by 32768, rounded to the nearest
    and clipped (no dither), so a 16-bit source through float comes back unchanged."""
    import numpy as np

    if samples.dtype == np.int16:
        return samples  # type: ignore[return-value]  # the dtype says which of the two
    scaled = np.multiply(samples, np.float32(32768))
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype(np.int16)


def joined(blocks: list[Samples], channels: int) -> Samples:
    """The blocks one after the other: 16-bit if they all are, else float."""
    import numpy as np

    if not blocks:
        return np.zeros((0, channels), dtype=np.float32)
    if len(blocks) == 1:
        return blocks[0]
    if all(block.dtype == np.int16 for block in blocks):
        return cast("Pcm16", np.concatenate(blocks))
    return np.concatenate([as_float(block) for block in blocks])


class _Decoder(Protocol):
    sample_rate: int
    channels: int

    def read(self, frames: int) -> Samples: ...

    def close(self) -> None: ...


class _SoundfileDecoder:
    """WAV, FLAC, OGG, MP3 and the other formats libsndfile reads, seekable; 16-bit
    samples from a 16-bit file with `pcm16`, else float."""

    def __init__(self, path: Path, start_frame: int, *, pcm16: bool = False) -> None:
        import soundfile

        self._file = soundfile.SoundFile(str(path))
        self._dtype = "int16" if pcm16 else "float32"
        self.sample_rate = int(self._file.samplerate)
        self.channels = int(self._file.channels)
        self.frames = int(self._file.frames)
        if start_frame > 0:
            self._file.seek(min(start_frame, self.frames))

    def read(self, frames: int) -> Samples:
        return self._file.read(frames, dtype=self._dtype, always_2d=True)  # type: ignore[no-any-return]  # soundfile is untyped

    def close(self) -> None:
        self._file.close()


class FfmpegDecoder:
    """ffmpeg decoding `input_args` to raw float32 at `fmt` through a pipe.

    ffmpeg resamples and maps channels itself, so blocks come out ready for air.
    """

    def __init__(self, input_args: list[str], fmt: OutputFormat, label: str) -> None:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise OperatorError(_(MSG_NO_FFMPEG).format(path=label))
        self.sample_rate = fmt.sample_rate
        self.channels = fmt.channels
        self._label = label
        self._process = subprocess.Popen(
            [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", *input_args,
             "-vn", "-f", "f32le", "-ar", str(fmt.sample_rate), "-ac", str(fmt.channels),
             "pipe:1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    def read(self, frames: int) -> Block:
        import numpy as np

        stdout = self._process.stdout
        if stdout is None:
            raise RuntimeError("ffmpeg has no output pipe")
        wanted = frames * self.channels * 4
        data = bytearray()
        while len(data) < wanted:
            chunk = stdout.read(wanted - len(data))
            if not chunk:
                break
            data += chunk
        usable = len(data) - len(data) % (self.channels * 4)
        if usable == 0 and self._process.wait() != 0:
            raise OperatorError(_(MSG_DECODE_FAILED).format(path=self._label, reason=self.error()))
        return np.frombuffer(bytes(data[:usable]), dtype="<f4").reshape(-1, self.channels)

    def error(self) -> str:
        """ffmpeg's last complaint, once it has exited."""
        if self._process.stderr is None:
            return f"ffmpeg exit status {self._process.returncode}"
        lines = self._process.stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"ffmpeg exit status {self._process.returncode}"

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdout, self._process.stderr):
            if pipe is not None:
                pipe.close()


def map_channels(block: Samples, channels: int) -> Samples:
    """Mono → many by duplication, many → mono by averaging (float), else keep or drop the
    extras, or add silent ones."""
    import numpy as np

    have = block.shape[1]
    if have == channels:
        return block
    if have == 1:
        return cast("Samples", np.repeat(block, channels, axis=1))
    if channels == 1:
        mono: Block = as_float(block).mean(axis=1, keepdims=True, dtype=np.float32)
        return mono
    if have > channels:
        return cast("Samples", np.ascontiguousarray(block[:, :channels]))
    pad = np.zeros((block.shape[0], channels - have), dtype=block.dtype)
    return cast("Samples", np.concatenate([block, pad], axis=1))


class _Converter:
    """A decoder's output as 16-bit blocks of exactly the size asked for, at the output
    format: decoded, mapped, resampled and converted a chunk at a time, handed out as
    views of the chunk (a new chunk each time: a block kept stays valid)."""

    def __init__(self, decoder: _Decoder, fmt: OutputFormat) -> None:
        import numpy as np

        self._decoder = decoder
        self._fmt = fmt
        self._chunk: Pcm16 = np.zeros((0, fmt.channels), dtype=np.int16)
        self._at = 0  # frames of the chunk handed out
        self._ended = False
        self._resampler = None
        if decoder.sample_rate != fmt.sample_rate:
            try:
                import soxr
            except ImportError:
                raise OperatorError(_(MSG_NO_SOXR).format(
                    source=decoder.sample_rate, target=fmt.sample_rate)) from None
            self._resampler = soxr.ResampleStream(
                decoder.sample_rate, fmt.sample_rate, fmt.channels, dtype="float32")

    def read(self, frames: int) -> Pcm16:
        at = self._at
        if at + frames > len(self._chunk) and not self._ended:
            self._refill(frames)
            at = 0
        block = self._chunk[at:at + frames]
        self._at = at + len(block)
        return block

    def prime(self) -> bool:
        """Decode the first chunk now (a decoder that fails does so here); False when the
        input holds no audio at all."""
        self._refill(1)
        return len(self._chunk) > 0

    def _refill(self, frames: int) -> None:
        """A new chunk: what is left of the old one, then decoded frames, at least
        `frames` in all unless the input ends."""
        import numpy as np

        parts: list[Pcm16] = [self._chunk[self._at:]]
        have = len(parts[0])
        while have < frames and not self._ended:
            wanted = max(CHUNK_FRAMES, frames - have)
            if self._resampler is not None:  # about that many output frames
                wanted = wanted * self._decoder.sample_rate // self._fmt.sample_rate + 1
            raw = self._decoder.read(wanted)
            self._ended = len(raw) == 0
            block = map_channels(raw, self._fmt.channels) if len(raw) else raw
            if self._resampler is not None:
                if self._ended:
                    block = np.zeros((0, self._fmt.channels), dtype=np.float32)
                block = self._resampler.resample_chunk(as_float(block), last=self._ended)
            if len(block):
                parts.append(as_pcm16(block))
                have += len(block)
        self._chunk = parts[0] if len(parts) == 1 else np.concatenate(parts)
        self._at = 0

    def close(self) -> None:
        self._decoder.close()


def open_audio(path: Path, fmt: OutputFormat, start_frame: int = 0) -> tuple[_Converter, int]:
    """Blocks of `path` at `fmt`, from `start_frame` (in output frames).

    Returns the reader and the file's length in output frames (0 if unknown).
    Raises OperatorError when the file is missing, unreadable or not audio.
    """
    import soundfile

    if not path.is_file():
        raise OperatorError(_(MSG_MISSING).format(path=path))
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise OperatorError(_(MSG_UNREADABLE).format(path=path, reason=exc.strerror)) from None
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError):
        return _open_with_ffmpeg(path, fmt, start_frame), 0
    ratio = info.samplerate / fmt.sample_rate
    # 16-bit samples go through untouched unless they must be averaged down to mono
    pcm16 = info.subtype == "PCM_16" and not (fmt.channels == 1 < info.channels)
    decoder = _SoundfileDecoder(path, round(start_frame * ratio), pcm16=pcm16)
    return _Converter(decoder, fmt), round(decoder.frames / ratio)


def _open_with_ffmpeg(path: Path, fmt: OutputFormat, start_frame: int) -> _Converter:
    seek = ["-ss", f"{start_frame / fmt.sample_rate:.6f}"] if start_frame else []
    decoder = FfmpegDecoder([*seek, "-i", str(path)], fmt, str(path))
    reader = _Converter(decoder, fmt)
    try:
        audio = reader.prime()  # fail now, on open, rather than on air
    except OperatorError:
        decoder.close()
        raise
    if not audio:
        decoder.close()
        raise OperatorError(_(MSG_UNSUPPORTED).format(path=path, reason=_("ffmpeg found no audio")))
    return reader


# --- the sources ------------------------------------------------------------------------


class FileSource(Source):
    """An audio file; after an emergency it resumes at the frame it had reached."""

    kind = "file"

    def __init__(self, path: Path, *, title: str | None = None, start_frame: int = 0) -> None:
        super().__init__()
        self.path = path
        self.title = title or path.name
        self.start_frame = start_frame
        self._reader: _Converter | None = None
        self._frames = 0

    def open(self, fmt: OutputFormat, emit: Emit = _ignore) -> None:
        self.fmt = fmt
        self._reader, self._frames = open_audio(self.path, fmt, self.start_frame)
        self.position = self.start_frame

    def read(self, frames: int) -> Samples:
        if self._reader is None:
            raise RuntimeError("read() before open()")
        block = self._reader.read(frames)
        self.position += len(block)
        return block

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @property
    def duration_s(self) -> float | None:
        return self._frames / self.fmt.sample_rate if self._frames else None

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        return FileSource(self.path, title=self.title, start_frame=at_frame)


class ProgramSource(Source):
    """A rendered notice; after an emergency it restarts the repetition that was cut."""

    kind = "program"

    def __init__(self, program: RenderedProgram, *, title: str | None = None,
                 start_frame: int = 0) -> None:
        super().__init__()
        self.program = program
        self.title = title or program.path.stem
        self.start_frame = start_frame  # in the program's own frames
        self._file: FileSource | None = None

    def open(self, fmt: OutputFormat, emit: Emit = _ignore) -> None:
        self.fmt = fmt
        start = round(self.start_frame * fmt.sample_rate / self.program.sample_rate)
        self._file = FileSource(self.program.path, title=self.title, start_frame=start)
        self._file.open(fmt, emit)
        self.position = start

    def read(self, frames: int) -> Samples:
        if self._file is None:
            raise RuntimeError("read() before open()")
        block = self._file.read(frames)
        self.position = self._file.position
        return block

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    @property
    def duration_s(self) -> float | None:
        return self.program.duration_s

    @property
    def may_be_silent(self) -> bool:  # type: ignore[override]  # silent in the gaps only
        at = round(self.position * self.program.sample_rate / self.fmt.sample_rate)
        return self.program.silent_at(at)

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        cut_at = round(at_frame * self.program.sample_rate / self.fmt.sample_rate)
        return ProgramSource(self.program, title=self.title,
                             start_frame=self.program.restart_frame(cut_at))


class PauseSource(Source):
    """Silence on purpose (a gap between repetitions, a playlist `pause:`)."""

    kind = "pause"
    may_be_silent = True

    def __init__(self, seconds: float, *, title: str = "pause") -> None:
        super().__init__()
        self.seconds = seconds
        self.title = title
        self._total = 0

    def open(self, fmt: OutputFormat, emit: Emit = _ignore) -> None:
        self.fmt = fmt
        self._total = fmt.frames(self.seconds)

    def read(self, frames: int) -> Samples:
        import numpy as np

        count = max(0, min(frames, self._total - self.position))
        self.position += count
        return np.zeros((count, self.fmt.channels), dtype=np.int16)

    @property
    def duration_s(self) -> float | None:
        return self.seconds

    def resumed(self, at_frame: int, away_frames: int) -> Source:
        remaining = max(0.0, self.seconds - at_frame / self.fmt.sample_rate)
        return PauseSource(remaining, title=self.title)


class Looped:
    """Plays a list of files over and over (a relay's fallback fill); silence if none."""

    def __init__(self, paths: list[Path], fmt: OutputFormat,
                 on_error: Callable[[str], None]) -> None:
        self._paths = [p for p in paths if p.is_file()]
        self._fmt = fmt
        self._on_error = on_error
        self._index = 0
        self._reader: _Converter | None = None

    def read(self, frames: int) -> Samples:
        import numpy as np

        for _attempt in range(2 * len(self._paths)):
            if self._reader is None:
                path = self._paths[self._index % len(self._paths)]
                self._index += 1
                try:
                    self._reader, _ = open_audio(path, self._fmt)
                except OperatorError as exc:
                    self._on_error(str(exc))
                    continue
            block = self._reader.read(frames)
            if len(block) == frames:
                return block
            self._reader.close()
            self._reader = None
            if len(block):
                rest = np.zeros((frames - len(block), self._fmt.channels), dtype=block.dtype)
                return np.concatenate([block, rest])
        return np.zeros((frames, self._fmt.channels), dtype=np.int16)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
