"""Speech rendered ahead of air time, for the daemon, and retried until it is there.

Each `say:` of a queued item is rendered in a worker process as soon as the daemon sees
the item; one already in the speech cache is the worker's answer at once. The daemon
never loads the audio-analysis libraries nor the reading-form rules (the worker looks
the cache up: a cache key is of the reading form), so a long notice costs the airing
process neither memory nor the CPU its player thread needs, and the station thread
never waits for a render or a lookup (an emergency reaches the player in milliseconds).
A render that fails (no network for gTTS and no other engine, the worker killed) is
tried again, the whole engine chain each time, with a growing pause, until the item's
expiry: the station never airs a notice as a chime alone. A notice that a fallback
engine spoke is rendered again by the first engine while there is time; once that
render came, it is what airs.

`done` is called (from a render thread) whenever a render ends, so the station can
decide again; the station asks `program`/`error`/`ready` from its own thread, and the
player's thread may `wait` for an emergency's speech.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from broadcaster.i18n import N_, _
from broadcaster.model import Level, OperatorError, RenderedProgram, Say, one_line

if TYPE_CHECKING:
    from broadcaster.config import Config
    from broadcaster.speech.render import Notice

log = logging.getLogger(__name__)

RETRY_FIRST_S = 5.0  # the first retry after a failed render; doubles each time
RETRY_MAX_S = 300.0
PREFER_MARGIN_S = 60.0  # no render by the first engine this close to air time
PREFER_EVERY_S = 300.0  # how often the first engine is tried again before air time
MSG_NOT_READY = N_("its speech is not ready yet")

_RANK = {Level.EMERGENCY: 0, Level.PRIORITY: 1, Level.NORMAL: 2}
PREFER_RANK = 3  # a second render by the first engine waits for every first render


def _STOP() -> None:
    """Marks the end of the render thread's work."""


Key = tuple[int, int]  # (queue id, index of the `say:` among the item's parts)


@dataclass
class _Speech:
    say: Say
    due: float
    expires: float
    rank: int
    program: RenderedProgram | None = None
    error: str | None = None
    attempts: int = 0
    retry_at: float | None = None
    rendering: bool = False
    prefer_at: float | None = None  # when to try the first engine again (a fallback spoke)


class SpeechAhead:
    def __init__(self, config: Config, done: Callable[[], None],
                 render: Callable[[Notice, str], RenderedProgram] | None = None) -> None:
        self.config = config
        self._done = done
        self._render = render or self._in_worker
        # one render at a time (a Pi has little memory), most urgent first: an emergency
        # queued behind three normal notices does not wait for their renders
        self._jobs: queue.PriorityQueue[tuple[int, float, int, Callable[[], None]]] = \
            queue.PriorityQueue()
        self._order = itertools.count()
        threading.Thread(target=self._serve, name="render", daemon=True).start()
        self._lock = threading.Condition()
        self._wanted: dict[Key, _Speech] = {}

    # --- asked by the station ------------------------------------------------------------

    def want(self, key: Key, say: Say, due: float, expires: float, now: float,
             level: Level = Level.NORMAL) -> None:
        """Render `say` for the item due at `due` (once; the worker answers a cached one
        at once). Renders go by level, then due time. Returns at once: the render and
        the cache lookup happen on the render thread."""
        with self._lock:
            if key in self._wanted:
                return
            speech = self._wanted[key] = _Speech(say, due, expires, _RANK[level])
        self._start(key, speech, now)

    def forget(self, entry_id: int) -> None:
        with self._lock:
            for key in [key for key in self._wanted if key[0] == entry_id]:
                del self._wanted[key]
            self._lock.notify_all()  # a waiting player thread gives up

    def ready(self, entry_id: int) -> bool:
        with self._lock:
            return all(s.program is not None for k, s in self._wanted.items() if k[0] == entry_id)

    def error(self, entry_id: int) -> str | None:
        with self._lock:
            errors = [s.error for k, s in self._wanted.items()
                      if k[0] == entry_id and s.program is None and s.error]
        return errors[-1] if errors else None

    def engines(self, entry_id: int) -> set[str]:
        with self._lock:
            return {s.program.engine for k, s in self._wanted.items()
                    if k[0] == entry_id and s.program is not None}

    def spoken(self, entry_id: int) -> dict[int, float]:
        """Seconds of each rendered `say:` of the item, by part index."""
        with self._lock:
            return {k[1]: s.program.duration_s for k, s in self._wanted.items()
                    if k[0] == entry_id and s.program is not None}

    def program(self, key: Key, wait_s: float = 0.0) -> RenderedProgram:
        """The speech to air now: the first engine's, if its render came since a fallback
        spoke, else what was rendered. `wait_s`: how long to wait for a render still
        running (an emergency's chime already plays). Raises OperatorError with why not."""
        with self._lock:
            speech = self._wanted.get(key)
        if speech is None:
            raise OperatorError(_(MSG_NOT_READY))
        with self._lock:  # a render (or its retry) still under way may be waited for
            self._lock.wait_for(lambda: speech.program is not None or key not in self._wanted
                                or not (speech.rendering or speech.retry_at is not None),
                                timeout=wait_s)
        program = speech.program
        if program is None:
            raise OperatorError(speech.error or _(MSG_NOT_READY))
        return program

    def retry_due(self, now: float) -> float | None:
        """Start the renders that are due again (a failed one; the first engine's after a
        fallback spoke); returns when the next one is (or None)."""
        upcoming: list[float] = []
        with self._lock:
            waiting = [(k, s, s.retry_at, s.prefer_at) for k, s in self._wanted.items()
                       if not s.rendering and (s.retry_at is not None or s.prefer_at is not None)]
        for key, speech, retry_at, prefer_at in waiting:
            moment = retry_at if retry_at is not None else prefer_at
            if moment is None:
                continue
            if moment > now:
                upcoming.append(moment)
            elif retry_at is not None:
                self._start(key, speech, now)
            else:
                speech.prefer_at = None
                speech.rendering = True
                self._submit(PREFER_RANK, speech.due, partial(self._prefer, key, speech, now))
        return min(upcoming, default=None)

    def _prefer(self, key: Key, speech: _Speech, started: float) -> None:
        """Render by the first engine (into the cache too); once it came, it airs."""
        preferred = self.config.tts.engines[0]
        program: RenderedProgram | None = None
        try:
            program = self._render(self._notice(speech.say), preferred)
        except Exception as exc:  # still unreachable: try again later while there is time
            log.info("%s still cannot speak #%d: %s", preferred, key[0], one_line(exc))
            again = started + PREFER_EVERY_S
            speech.prefer_at = again if speech.due - again > PREFER_MARGIN_S else None
        with self._lock:
            speech.rendering = False
            if program is not None:
                speech.program, speech.error = program, None
            self._lock.notify_all()
        self._done()

    def close(self) -> None:
        self._submit(-1, 0.0, None)  # the render thread ends after the render under way

    def _submit(self, rank: int, due: float, job: Callable[[], None] | None) -> None:
        self._jobs.put((rank, due, next(self._order), job or _STOP))

    def _serve(self) -> None:
        while True:
            _, _, _, job = self._jobs.get()
            if job is _STOP:
                return
            try:
                job()
            except Exception:  # a job must never end the render thread
                log.exception("render job failed")

    # --- rendering ------------------------------------------------------------------------

    def _start(self, key: Key, speech: _Speech, now: float) -> None:
        speech.rendering = True
        speech.retry_at = None
        speech.attempts += 1
        self._submit(speech.rank, speech.due, partial(self._run, key, speech, now))

    def _run(self, key: Key, speech: _Speech, started: float) -> None:
        try:
            program = self._render(self._notice(speech.say), "auto")
        except Exception as exc:  # a worker that crashes is a failed render, retried
            reason = one_line(exc)
            log.warning("speech for #%d could not be rendered (attempt %d): %s",
                        key[0], speech.attempts, reason)
            pause = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (speech.attempts - 1))
            retry_at = started + pause
            speech.retry_at = retry_at if retry_at < speech.expires else None
            self._settle(speech, None, reason, started)
            return
        self._settle(speech, program, None, started)

    def _settle(self, speech: _Speech, program: RenderedProgram | None,
                error: str | None, now: float) -> None:
        preferred = self.config.tts.engines[0] if self.config.tts.engines else None
        with self._lock:
            speech.rendering = False
            if program is not None:
                speech.program, speech.error = program, None
                if program.engine != preferred and speech.due - now > PREFER_MARGIN_S:
                    speech.prefer_at = now
            else:
                speech.error = error
            self._lock.notify_all()
        self._done()

    def _in_worker(self, notice: Notice, engine: str) -> RenderedProgram:
        from broadcaster.speech.worker import render_in_worker

        return render_in_worker(self.config, notice, engine)

    @staticmethod
    def _notice(say: Say) -> Notice:
        """A playlist's `say:` as the renderer takes it (its chime is a part of its own)."""
        from broadcaster.speech.render import Notice

        return Notice(say.text, repeat=say.repeat, gap_s=say.gap_s)
