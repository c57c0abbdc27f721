"""A notice rendered to broadcast-ready audio: chime, speech, repeats with gaps.

text → reading form → speech (engine chain, cached) → speech band → gain → output rate →
limiter → one WAV at the output's rate and channels, cached under a key of everything
that shapes it. Nothing holds the whole notice in memory (the largest allowed is hours
long): each sentence group goes to the speech cache as it is spoken and is measured on
the way (BS.1770 loudness, a few excerpts); the voice is then read back from the cache,
processed and written a block at a time to a temporary file, which every repetition of
the program copies.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError, RenderedProgram
from broadcaster.speech.cache import SpeechCache, cache_key
from broadcaster.speech.engines import (
    ENGINE_NAMES,
    EngineFailure,
    SpeechEngine,
    build_engine,
    decode_audio,
)
from broadcaster.speech.layout import pcm16, program_of, program_parts, write_program
from broadcaster.speech.speak import Speech, first_engine, speak_with

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from broadcaster.config import Config
    from broadcaster.speech.loudness import LoudnessMeter, Samples
    from broadcaster.speech.normalize import Abbreviations

# Operator-facing messages of this module, kept together for translation.
MSG_EMPTY = N_("the text has nothing to read aloud; write the notice in words")
MSG_TOO_LONG = N_("the text is {length} characters, more than the limit of {limit}; "
                  "split it into several notices")
MSG_UNKNOWN_ENGINE = N_("unknown engine {name!r}; choose auto, gtts, espeak or command")
MSG_CHIME_FILE = N_("{path}: cannot use as chime ({reason}); give a readable audio file")

EXCERPTS = 8  # excerpts of the voice kept while it is spoken, for the limiter's loss
EXCERPT_S = 6.0  # the start of a sentence group
REDO_LU = 0.2  # a voice this far from its target is processed again (the promise is 0.3)


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
        raise OperatorError(_(MSG_TOO_LONG).format(length=len(text), limit=config.tts.max_chars))
    spoken = normalize(text, station_abbreviations(config))
    if not any(ch.isalpha() for ch in spoken):
        raise OperatorError(_(MSG_EMPTY))
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
        raise OperatorError(_(MSG_UNKNOWN_ENGINE).format(name=choice))
    return [build_engine(choice, config.tts)]


def render_notice(config: Config, notice: Notice, engine: str = "auto") -> RenderedProgram:
    """Render `notice` (operator text) for air; cached, so a repeat costs a lookup.

    Any engine of the chain whose copy is cached answers first, in the chain's order:
    with `auto`, a notice the fallback spoke while the network was down is ready at once
    after a restart instead of after gTTS's timeout (the daemon asks the first engine
    again while there is time). The program says which engine spoke it. Raises
    OperatorError (one line) when the text is unsuitable or no engine can speak.
    """
    spoken = reading_form(config, notice.text)
    cache = _cache(config)
    chime = _chime_spec(config, notice.chime)
    chain = engine_chain(config, engine)
    cached = _first_cached(config, cache, chain, spoken, notice, chime)
    if cached is not None:
        return cached

    def attempt(speaker: SpeechEngine) -> RenderedProgram:
        key = _program_key(config, speaker, spoken, notice, chime)
        survey = _Survey(config.audio.speech_filter)
        speech = speak_with(speaker, spoken, cache, survey.hear)
        return _render(config, cache, key, speech, survey, notice, chime)

    return first_engine(chain, attempt, listed=config.tts.engines)


def cached_notice(config: Config, notice: Notice, engine: str = "auto") -> RenderedProgram | None:
    """The notice as already rendered by the first engine of the chain that has it, or None.

    Cheap (no audio libraries are imported). Raises OperatorError when the text is
    unsuitable.
    """
    spoken = reading_form(config, notice.text)
    return _first_cached(config, _cache(config), engine_chain(config, engine), spoken, notice,
                         _chime_spec(config, notice.chime))


def _first_cached(config: Config, cache: SpeechCache, chain: list[SpeechEngine], spoken: str,
                  notice: Notice, chime: str | None) -> RenderedProgram | None:
    for speaker in chain:
        program = _cachedprogram(cache, _program_key(config, speaker, spoken, notice, chime))
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
        raise OperatorError(_(MSG_CHIME_FILE).format(path=path, reason=exc.strerror)) from None


def _cachedprogram(cache: SpeechCache, key: str) -> RenderedProgram | None:
    meta = cache.lookup(key, ".json")
    audio = cache.lookup(key, ".wav")
    if meta is None or audio is None:
        return None
    return RenderedProgram.from_dict(json.loads(meta.read_text(encoding="utf-8")), audio)


class _Survey:
    """What is learnt of the voice while it is spoken, a sentence group at a time: its
    loudness as it will air (speech band included) and the starts of a few groups spread
    evenly over it, on which to try the limiter."""

    def __init__(self, speech_filter: bool) -> None:
        self.speech_filter = speech_filter
        self.meter: LoudnessMeter | None = None
        self.excerpts: list[Samples] = []  # from every `stride`-th group
        self._stride = 1
        self._groups = 0
        self._band: Callable[[Samples], Samples] | None = None

    def hear(self, rate: int, group: Iterator[Samples]) -> None:
        """Take in the next sentence group, a block at a time."""
        import numpy as np

        from broadcaster.speech import loudness

        if self.meter is None:
            self.meter = loudness.LoudnessMeter(rate)
            self._band = loudness.speech_band_filter(rate) if self.speech_filter else None
        excerpt: list[Samples] = []
        wanted = int(EXCERPT_S * rate)
        for block in group:
            if self._band is not None:
                block = self._band(block)
            self.meter.feed(block)
            if wanted > 0:
                excerpt.append(block[:wanted])
                wanted -= excerpt[-1].size
        if self._groups % self._stride == 0:
            self.excerpts.append(np.concatenate(excerpt))
            if len(self.excerpts) > EXCERPTS:  # every other one goes, the stride doubles
                self.excerpts = self.excerpts[::2]
                self._stride *= 2
        self._groups += 1

    def loudness(self) -> float:
        return self.meter.loudness() if self.meter is not None else float("-inf")


def _render(config: Config, cache: SpeechCache, key: str, speech: Speech, survey: _Survey,
            notice: Notice, chime: str | None) -> RenderedProgram:
    from broadcaster.speech import loudness

    rate = config.audio.sample_rate
    target = config.audio.loudness_lufs - loudness.channel_gain_db(config.audio.channels)
    ceiling = loudness.db_to_gain(loudness.PEAK_CEILING_DBFS - loudness.LIMIT_MARGIN_DB)
    excerpts = [_resample(excerpt, speech.rate, rate) for excerpt in survey.excerpts]
    survey.excerpts.clear()
    voice_lufs = survey.loudness()
    gain_db = loudness.gain_for(target, voice_lufs, excerpts, rate, ceiling)
    bell = loudness.normalize(_load_chime(chime, rate), rate, target) if chime else None

    cache.directory.mkdir(parents=True, exist_ok=True)
    # Beside the cache, not in /tmp (RAM on some boxes): it holds the whole voice.
    with tempfile.TemporaryFile(dir=cache.directory) as voice:
        frames, measured = _write_voice(config, speech, gain_db, ceiling, voice)
        miss = target - measured
        if math.isfinite(miss) and abs(miss) > REDO_LU:
            # The excerpts misjudged what the limiter takes off the whole voice by about
            # `miss`: one more pass, aiming them that much higher.
            gain_db = loudness.gain_for(target + miss, voice_lufs, excerpts, rate, ceiling)
            voice.seek(0)
            voice.truncate()
            frames, _ = _write_voice(config, speech, gain_db, ceiling, voice)
        parts = program_parts(notice, rate, None if bell is None else bell.size, frames)
        program = program_of(cache.path(key, ".wav"), config, speech.engine.name, parts)
        cache.store(key, ".wav", lambda tmp: write_program(
            tmp, parts, bell, voice, rate, config.audio.channels))
    cache.store_text(key, ".json", json.dumps(program.to_dict()))
    cache.evict(keep=frozenset({program.path, cache.path(key, ".json")}))
    return program


def _write_voice(config: Config, speech: Speech, gain_db: float, ceiling: float,
                 out: IO[bytes]) -> tuple[int, float]:
    """The voice as it airs into `out`, 16-bit mono at the output rate: speech band, gain,
    output rate, limiter, a block at a time. Returns its frames and its loudness (LUFS)."""
    import numpy as np
    import soxr

    from broadcaster.speech import loudness

    rate = config.audio.sample_rate
    band = loudness.speech_band_filter(speech.rate) if config.audio.speech_filter else None
    resampler = (soxr.ResampleStream(speech.rate, rate, 1, dtype="float32", quality="HQ")
                 if speech.rate != rate else None)
    limiter = loudness.Limiter(rate, ceiling)
    meter = loudness.LoudnessMeter(rate)
    gain = np.float32(loudness.db_to_gain(gain_db))

    def emit(block: Samples) -> None:
        meter.feed(block)
        out.write(pcm16(block).tobytes())

    for block in speech.blocks():
        if band is not None:
            block = band(block)
        block = block * gain
        if resampler is not None:
            block = resampler.resample_chunk(block)
        emit(limiter.push(block))
    if resampler is not None:
        emit(limiter.push(resampler.resample_chunk(np.zeros(0, np.float32), last=True)))
    emit(limiter.flush())
    return meter.frames, meter.loudness()


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
        raise OperatorError(_(MSG_CHIME_FILE).format(path=path, reason=exc)) from None
    return _resample(pcm.samples, pcm.rate, rate)
