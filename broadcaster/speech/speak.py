"""The engine chain: reading-form text → speech, trying engines in order, cached per sentence group.

`auto` tries the configured engines in order and falls back on any failure or
timeout; one notice is always spoken by a single engine, so the voice never
changes in the middle of a notice. The result says which engine spoke.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

from broadcaster.i18n import N_, _
from broadcaster.model import OperatorError
from broadcaster.speech.cache import SpeechCache, cache_key
from broadcaster.speech.engines import EngineFailure, SpeechEngine

if TYPE_CHECKING:
    import soundfile

    from broadcaster.speech.loudness import Samples

# Operator-facing messages of this module, kept together for translation.
MSG_ALL_FAILED = N_("no speech engine could speak the notice ({failures})")
MSG_ALL_FAILED_HINT = N_("no speech engine could speak the notice ({failures}); {hint}")
# What to do, by the engines tried: each hint only where it applies.
HINT_NETWORK = N_("gTTS needs the internet: check the network")
HINT_ADD_ESPEAK = N_("to speak without the network, add \"espeak\" to [tts] engines "
                     "(espeak-ng is installed)")
HINT_USE_ESPEAK = N_("to speak without the network, use --engine espeak")
HINT_INSTALL_ESPEAK = N_("to speak without the network, install espeak-ng (sudo apt-get "
                         "install espeak-ng) and add \"espeak\" to [tts] engines")
HINT_COMMAND = N_("check [tts.command] argv: run the command by hand to see why it fails")
MSG_RATES = N_("{engine} returned audio at different sample rates")
MSG_LOST = N_("{engine}: a spoken sentence group could not be read back from the cache")

T = TypeVar("T")
CHUNK_CHARS = 400  # sentence groups up to this size: one engine call, one cache entry each
MAX_LOCAL_VOICES = 4  # engine processes at once: each holds one group's samples (~3 MB)
READ_FRAMES = 65536  # speech read back from the cache this many samples at a time
Hear = Callable[[int, Iterator["Samples"]], None]  # (rate, one sentence group in blocks)
_SENTENCE_END = re.compile(r"(?<=[.!?;:\n])\s+")


@dataclass(frozen=True)
class Speech:
    """A notice spoken by one engine, kept in the cache: one WAV per sentence group."""

    engine: SpeechEngine
    cache: SpeechCache
    rate: int
    chunks: tuple[str, ...]
    chunk_keys: tuple[str, ...]

    def blocks(self) -> Iterator[Samples]:
        """The speech in order, mono float32 at `rate`, READ_FRAMES samples at most at a
        time, read back from the cache (a group the cache lost meanwhile is spoken again)."""
        for chunk, key in zip(self.chunks, self.chunk_keys, strict=True):
            with _cached_group(self.engine, chunk, key, self.cache) as group:
                if group.samplerate != self.rate:
                    raise EngineFailure(_(MSG_RATES).format(engine=self.engine.name))
                yield from group.blocks(blocksize=READ_FRAMES, dtype="float32")


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


def first_engine(engines: Sequence[SpeechEngine], attempt: Callable[[SpeechEngine], T],
                 listed: Sequence[str] = ()) -> T:
    """attempt(engine) for each engine in order until one does not raise EngineFailure.

    Raises OperatorError listing every engine's reason when none succeeds, with what to
    do for the engines tried (`listed`: the names in [tts] engines).
    """
    failures: list[str] = []
    for engine in engines:
        try:
            return attempt(engine)
        except EngineFailure as failure:
            failures.append(f"{engine.name}: {failure}")
    hint = what_to_do([engine.name for engine in engines], listed)
    if hint is None:
        raise OperatorError(_(MSG_ALL_FAILED).format(failures="; ".join(failures)))
    raise OperatorError(_(MSG_ALL_FAILED_HINT).format(failures="; ".join(failures),
                                                      hint=hint))


def what_to_do(tried: Sequence[str], listed: Sequence[str] = ()) -> str | None:
    """The hint after every engine in `tried` failed: the network for gTTS (and the offline
    voice, if it was not tried: listed but not chosen, installed but not listed, or not
    installed), the argv for a command; none for espeak-ng, whose own reason says it."""
    import shutil

    hints = []
    if "command" in tried:
        hints.append(_(HINT_COMMAND))
    if "gtts" in tried:
        hints.append(_(HINT_NETWORK))
        if "espeak" not in tried:
            if "espeak" in listed:
                hints.append(_(HINT_USE_ESPEAK))
            elif shutil.which("espeak-ng") is not None:
                hints.append(_(HINT_ADD_ESPEAK))
            else:
                hints.append(_(HINT_INSTALL_ESPEAK))
    return "; ".join(hints) or None


def speak_with(engine: SpeechEngine, text: str, cache: SpeechCache, hear: Hear) -> Speech:
    """Speech for reading-form `text` by one engine, chunk by chunk from the cache where
    it can; raises EngineFailure when the engine cannot speak any part of it.

    Each sentence group goes to the cache as soon as it is spoken, and is then read back
    for `hear(rate, blocks)`, group after group in order: whatever the text's length,
    memory holds only the groups being spoken (one per engine process) and one block.
    """
    chunks = split_sentences(text)
    if not chunks:
        raise EngineFailure("nothing to say")
    keys = tuple(cache_key("speech", engine.identity, chunk) for chunk in chunks)
    # Offline engines are local processes: one per core. An online service gets one
    # request at a time, as a person's browser would send them.
    workers = min(os.cpu_count() or 1, MAX_LOCAL_VOICES) if engine.local else 1
    todo = iter(zip(chunks, keys, strict=True))
    rate: int | None = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        spoken: deque[tuple[str, str, Future[None]]] = deque()

        def speak_next(count: int) -> None:
            for chunk, key in islice(todo, count):
                spoken.append((chunk, key, pool.submit(_speak_group, engine, chunk, key,
                                                       cache)))

        speak_next(2 * workers)  # a group heard late does not leave the engines idle
        try:
            while spoken:
                chunk, key, done = spoken.popleft()
                done.result()
                speak_next(1)
                with _cached_group(engine, chunk, key, cache) as group:
                    rate = rate or group.samplerate
                    if group.samplerate != rate:
                        raise EngineFailure(_(MSG_RATES).format(engine=engine.name))
                    hear(rate, group.blocks(blocksize=READ_FRAMES, dtype="float32"))
        finally:
            for *_started, waiting in spoken:  # after a failure, the rest need not be spoken
                waiting.cancel()
    if rate is None:
        raise EngineFailure("nothing to say")
    return Speech(engine, cache, rate, tuple(chunks), keys)


def _speak_group(engine: SpeechEngine, chunk: str, key: str, cache: SpeechCache) -> None:
    """Put the group's speech in the cache unless it is there already."""
    import soundfile

    if cache.lookup(key, ".wav") is not None:
        return
    pcm = engine.synthesize(chunk)
    if pcm.samples.size == 0:
        raise EngineFailure(f"{engine.name} produced no audio")
    cache.store(key, ".wav", lambda tmp: soundfile.write(
        str(tmp), pcm.samples, pcm.rate, subtype="PCM_16", format="WAV"))


@contextmanager
def _cached_group(engine: SpeechEngine, chunk: str, key: str,
                  cache: SpeechCache) -> Iterator[soundfile.SoundFile]:
    """The group's cached WAV, open for reading; spoken again if the cache lost it."""
    import soundfile

    for _attempt in range(2):
        path = cache.lookup(key, ".wav")
        if path is not None:
            try:
                group = soundfile.SoundFile(str(path))
            except (OSError, RuntimeError):  # evicted by another render just now
                pass
            else:
                with group:
                    yield group
                return
        _speak_group(engine, chunk, key, cache)
    raise EngineFailure(_(MSG_LOST).format(engine=engine.name))
