"""A notice rendered to broadcast-ready audio: chime, speech, repeats with gaps.

text → reading form → speech (engine chain, cached) → speech band → output rate →
loudness → one WAV at the output's rate and channels, cached under a key of
everything that shapes it. The renderer holds the speech of one notice in memory
(mono, a few MB a minute) and writes the program out in blocks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from broadcaster.model import OperatorError, RenderedProgram
from broadcaster.speech.cache import SpeechCache, cache_key
from broadcaster.speech.engines import (
    ENGINE_NAMES,
    EngineFailure,
    SpeechEngine,
    build_engine,
    decode_audio,
    require_program,
)
from broadcaster.speech.speak import first_engine, speak_with

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from broadcaster.config import Config
    from broadcaster.speech.normalize import Abbreviations

# Operator-facing messages of this module, kept together for translation.
MSG_EMPTY = "the text has nothing to read aloud; write the notice in words"
MSG_TOO_LONG = ("the text is {length} characters, more than the limit of {limit}; "
                "split it into several notices")
MSG_UNKNOWN_ENGINE = "unknown engine {name!r}; choose auto, gtts, espeak or command"
MSG_OUTPUT_FORMAT = "{path}: unsupported output format {suffix!r}; use .wav or .mp3"
MSG_OUTPUT_DIR = ("{path}: the folder {folder} does not exist or is not writable; "
                  "choose another path")
MSG_CHIME_FILE = "{path}: cannot use as chime ({reason}); give a readable audio file"
MSG_ENCODE = "{path}: could not encode ({reason})"

OUTPUT_SUFFIXES = (".wav", ".mp3")
LEAD_S = 0.4  # between the chime and the speech
BLOCK_FRAMES = 65536


@dataclass(frozen=True)
class Notice:
    """What to render: reading-form text and how to present it."""

    text: str
    repeat: int = 1
    gap_s: float = 0.0
    chime: str | Path | None = None  # None, "default" (the station's own) or an audio file


def reading_form(config: Config, text: str) -> str:
    """The Vietnamese reading form of an operator's text; OperatorError if unsuitable."""
    from broadcaster.speech.normalize import normalize

    if len(text) > config.tts.max_chars:
        raise OperatorError(MSG_TOO_LONG.format(length=len(text), limit=config.tts.max_chars))
    spoken = normalize(text, station_abbreviations(config))
    if not any(ch.isalpha() for ch in spoken):
        raise OperatorError(MSG_EMPTY)
    return spoken


def station_abbreviations(config: Config) -> Abbreviations:
    from broadcaster.speech.normalize import load_abbreviations

    station_file = config.abbreviations_file
    try:
        return load_abbreviations(station_file if station_file and station_file.exists() else None)
    except ValueError as exc:  # AbbreviationFileError: already one `file:line: message` line
        raise OperatorError(str(exc)) from None


def engine_chain(config: Config, choice: str = "auto") -> list[SpeechEngine]:
    """The engines to try, in order: the configured order for `auto`, else the one named."""
    if choice == "auto":
        return [build_engine(name, config.tts) for name in config.tts.engines]
    if choice not in ENGINE_NAMES:
        raise OperatorError(MSG_UNKNOWN_ENGINE.format(name=choice))
    return [build_engine(choice, config.tts)]


def render_notice(config: Config, notice: Notice, engine: str = "auto") -> RenderedProgram:
    """Render `notice` (operator text) for air; cached, so a repeat costs a lookup.

    Raises OperatorError (one line) when the text is unsuitable or no engine can speak.
    """
    spoken = reading_form(config, notice.text)
    cache = _cache(config)
    chime = _chime_spec(config, notice.chime)

    def attempt(speaker: SpeechEngine) -> RenderedProgram:
        key = _program_key(config, speaker, spoken, notice, chime)
        cached = _cached_program(cache, key)
        if cached is not None:
            return cached
        speech = speak_with(speaker, spoken, cache)
        return _render(config, cache, key, speech.samples, speech.rate, speech.engine,
                       notice, chime)

    return first_engine(engine_chain(config, engine), attempt)


def cached_notice(config: Config, notice: Notice, engine: str = "auto") -> RenderedProgram | None:
    """The notice as already rendered by the first engine of the chain that has it, or None.

    Cheap (no audio libraries are imported): the daemon asks this before it starts a
    render worker. Raises OperatorError when the text is unsuitable.
    """
    spoken = reading_form(config, notice.text)
    cache = _cache(config)
    chime = _chime_spec(config, notice.chime)
    for speaker in engine_chain(config, engine):
        program = _cached_program(cache, _program_key(config, speaker, spoken, notice, chime))
        if program is not None:
            return program
    return None


def _cache(config: Config) -> SpeechCache:
    return SpeechCache(config.cache_dir, config.tts.cache_max_mb * 1024 * 1024)


def _program_key(config: Config, speaker: SpeechEngine, spoken: str, notice: Notice,
                 chime: str | None) -> str:
    return cache_key("program", speaker.identity, spoken, notice.repeat, notice.gap_s, chime,
                     config.audio.loudness_lufs, config.audio.speech_filter,
                     config.audio.sample_rate, config.audio.channels)


def _chime_spec(config: Config, chime: str | Path | None) -> str | None:
    """A hashable description of the chime: None, or the file's path and mtime ("default"
    is the station's chime file, as the daemon rings it)."""
    from broadcaster.speech.chime import chime_file

    if chime is None:
        return None
    path = Path(chime)
    if str(chime) == "default" or not path.is_absolute():
        path = chime_file(config, str(chime))
    try:
        return f"{path.resolve()}@{path.stat().st_mtime_ns}"
    except OSError as exc:
        raise OperatorError(MSG_CHIME_FILE.format(path=path, reason=exc.strerror)) from None


def _cached_program(cache: SpeechCache, key: str) -> RenderedProgram | None:
    meta = cache.lookup(key, ".json")
    audio = cache.lookup(key, ".wav")
    if meta is None or audio is None:
        return None
    return RenderedProgram.from_dict(json.loads(meta.read_text(encoding="utf-8")), audio)


def _render(config: Config, cache: SpeechCache, key: str, speech: npt.NDArray[np.float32],
            speech_rate: int, engine: str, notice: Notice, chime: str | None) -> RenderedProgram:
    import numpy as np

    from broadcaster.speech import loudness

    rate = config.audio.sample_rate
    target = config.audio.loudness_lufs - loudness.channel_gain_db(config.audio.channels)
    if config.audio.speech_filter:
        speech = loudness.speech_band(speech, speech_rate)
    # Loudness at the engine's rate (fewer samples); resampling can overshoot a little,
    # so the peaks are limited once more at the output rate.
    voice = loudness.normalize(speech, speech_rate, target)
    ceiling = loudness.db_to_gain(loudness.PEAK_CEILING_DBFS - loudness.LIMIT_MARGIN_DB)
    voice = loudness.limit(_resample(voice, speech_rate, rate), rate, ceiling)
    bell = loudness.normalize(_load_chime(chime, rate), rate, target) if chime else None

    segments: list[npt.NDArray[np.float32]] = []
    restart_points: list[int] = []
    silences: list[tuple[int, int]] = []
    position = 0
    lead = np.zeros(int(LEAD_S * rate), dtype=np.float32)
    gap = np.zeros(int(notice.gap_s * rate), dtype=np.float32)
    for index in range(notice.repeat):
        if index:
            segments.append(gap)
            silences.append((position, position + gap.size))
            position += gap.size
        restart_points.append(position)
        parts = [bell, lead, voice] if bell is not None else [voice]
        segments.extend(parts)
        position += sum(part.size for part in parts)

    program = RenderedProgram(path=cache.path(key, ".wav"), sample_rate=rate,
                              channels=config.audio.channels, frames=position,
                              restart_points=tuple(restart_points), engine=engine,
                              silences=tuple(silences))
    cache.store(key, ".wav", lambda tmp: _write_wav(tmp, segments, rate, config.audio.channels))
    cache.store_text(key, ".json", json.dumps(program.to_dict()))
    cache.evict(keep=frozenset({program.path, cache.path(key, ".json")}))
    return program


def _resample(samples: npt.NDArray[np.float32], source: int,
              target: int) -> npt.NDArray[np.float32]:
    import numpy as np
    import soxr

    if source == target:
        return samples
    return np.asarray(soxr.resample(samples, source, target, quality="HQ"), dtype=np.float32)


def _load_chime(spec: str, rate: int) -> npt.NDArray[np.float32]:
    path = Path(spec.rsplit("@", 1)[0])
    try:
        pcm = decode_audio(path)
    except EngineFailure as exc:
        raise OperatorError(MSG_CHIME_FILE.format(path=path, reason=exc)) from None
    return _resample(pcm.samples, pcm.rate, rate)


def _write_wav(path: Path, segments: list[npt.NDArray[np.float32]], rate: int,
               channels: int) -> None:
    """Write mono segments as one `channels`-channel 16-bit WAV, a block at a time."""
    import numpy as np
    import soundfile

    with soundfile.SoundFile(str(path), "w", samplerate=rate, channels=channels,
                             subtype="PCM_16", format="WAV") as out:
        for segment in segments:
            for start in range(0, segment.size, BLOCK_FRAMES):
                block = segment[start:start + BLOCK_FRAMES]
                out.write(np.repeat(block[:, None], channels, axis=1))


def check_output_path(out: Path) -> None:
    """Refuse an output path we cannot write before any work is done."""
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise OperatorError(MSG_OUTPUT_FORMAT.format(path=out, suffix=out.suffix or "(none)"))
    folder = out.parent if str(out.parent) else Path()
    import os

    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise OperatorError(MSG_OUTPUT_DIR.format(path=out, folder=folder))


def export(program: RenderedProgram, out: Path) -> None:
    """Write the program to `out` (.wav as it is, .mp3 encoded by ffmpeg), atomically."""
    check_output_path(out)
    tmp = out.with_name(f".{out.name}.part")
    try:
        if out.suffix.lower() == ".wav":
            shutil.copyfile(program.path, tmp)
        else:
            _encode_mp3(program.path, tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _encode_mp3(source: Path, out: Path) -> None:
    try:
        ffmpeg = require_program("ffmpeg", "ffmpeg")
    except EngineFailure as exc:
        raise OperatorError(str(exc)) from None
    argv = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(source),
            "-codec:a", "libmp3lame", "-q:a", "3", "-f", "mp3", str(out)]
    done = subprocess.run(argv, capture_output=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["ffmpeg failed"]
        raise OperatorError(MSG_ENCODE.format(path=out, reason=lines[-1]))
