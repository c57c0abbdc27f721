"""The engine chain: reading-form text → speech, trying engines in order, cached per sentence group.

`auto` tries the configured engines in order and falls back on any failure or
timeout; one notice is always spoken by a single engine, so the voice never
changes in the middle of a notice. The result says which engine spoke.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from broadcaster.model import OperatorError
from broadcaster.speech.cache import SpeechCache, cache_key
from broadcaster.speech.engines import EngineFailure, Pcm, SpeechEngine

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# Operator-facing messages of this module, kept together for translation.
MSG_ALL_FAILED = ("no speech engine could speak the notice ({failures}); "
                  "check the network or install espeak-ng")

T = TypeVar("T")
CHUNK_CHARS = 400  # sentence groups up to this size: one engine call, one cache entry each
_SENTENCE_END = re.compile(r"(?<=[.!?;:\n])\s+")


@dataclass(frozen=True)
class Speech:
    samples: npt.NDArray[np.float32]
    rate: int
    engine: str
    chunk_keys: tuple[str, ...]


def split_sentences(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Groups of whole sentences of at most `limit` characters (a longer sentence is
    split at commas, then at spaces)."""
    chunks: list[str] = []
    current = ""
    for sentence in _pieces(text, limit):
        if current and len(current) + 1 + len(sentence) > limit:
            chunks.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        chunks.append(current)
    return chunks


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        sentence = " ".join(sentence.split())
        if not sentence:
            continue
        while len(sentence) > limit:
            cut = sentence.rfind(", ", 0, limit)
            if cut <= 0:
                cut = sentence.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            pieces.append(sentence[:cut + 1].strip())
            sentence = sentence[cut + 1:].strip()
        if sentence:
            pieces.append(sentence)
    return pieces


def first_engine(engines: Sequence[SpeechEngine], attempt: Callable[[SpeechEngine], T]) -> T:
    """attempt(engine) for each engine in order until one does not raise EngineFailure.

    Raises OperatorError listing every engine's reason when none succeeds.
    """
    failures: list[str] = []
    for engine in engines:
        try:
            return attempt(engine)
        except EngineFailure as failure:
            failures.append(f"{engine.name}: {failure}")
    raise OperatorError(MSG_ALL_FAILED.format(failures="; ".join(failures)))


def speak_with(engine: SpeechEngine, text: str, cache: SpeechCache) -> Speech:
    """Speech for reading-form `text` by one engine, chunk by chunk from the cache where
    it can; raises EngineFailure when the engine cannot speak any part of it."""
    import numpy as np

    chunks = split_sentences(text)
    if not chunks:
        raise EngineFailure("nothing to say")
    keys = tuple(cache_key("speech", engine.identity, chunk) for chunk in chunks)
    # Offline engines are local processes: one per core. An online service gets one
    # request at a time, as a person's browser would send them.
    workers = (os.cpu_count() or 1) if engine.local else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pieces = list(pool.map(lambda chunk, key: _chunk(engine, chunk, key, cache),
                               chunks, keys))
    rate = pieces[0].rate
    if any(piece.rate != rate for piece in pieces):
        raise EngineFailure(f"{engine.name} returned audio at different sample rates")
    return Speech(np.concatenate([piece.samples for piece in pieces]), rate, engine.name, keys)


def _chunk(engine: SpeechEngine, chunk: str, key: str, cache: SpeechCache) -> Pcm:
    import numpy as np
    import soundfile

    cached = cache.lookup(key, ".wav")
    if cached is not None:
        samples, rate = soundfile.read(str(cached), dtype="float32")
        return Pcm(np.asarray(samples, dtype=np.float32), int(rate))
    pcm = engine.synthesize(chunk)
    if pcm.samples.size == 0:
        raise EngineFailure(f"{engine.name} produced no audio")
    cache.store(key, ".wav", lambda tmp: soundfile.write(
        str(tmp), pcm.samples, pcm.rate, subtype="PCM_16", format="WAV"))
    return pcm
